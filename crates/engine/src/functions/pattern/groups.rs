//! The first stage of clustering: events grouped by their token shape.
//!
//! Every event's value is split into tokens and keyed by its *shape*: the token count, each
//! punctuation token and word as written, and each typed token (number, time, IP address, id)
//! by its type only. Events of one shape differ only in their typed tokens, so a group is
//! summarised exactly and compactly: how many events it has (per compared window), which
//! positions vary and the values seen there, the severities, the first and last time, the
//! earliest events as samples and, for `anomaly`, a histogram of times.
//!
//! Everything a group keeps is a commutative summary (sums, minimums, the smallest samples, a
//! self-coarsening histogram), so the groups of a set of events do not depend on the order the
//! events arrive in nor on how they are split among partitions: merging two partitions' groups
//! gives the groups of the union. That is what makes `pattern` deterministic.
//!
//! Groups are bounded: past [`MAX_GROUPS`] shapes, words after the first two tokens are keyed as
//! "some word" ([`Level::Prefix`]), and past that again every word is ([`Level::Shape`]). The
//! level only rises when the events really have that many shapes, so it too is independent of
//! order and partitioning.

use std::collections::HashMap;

use super::severity::{Severity, severity};
use super::tokens::{Token, TokenType, tokenize};

/// Shapes kept before words are keyed more coarsely.
pub const MAX_GROUPS: usize = 100_000;
/// Distinct values kept per varying position; a position with more keeps none.
pub const MAX_VALUES: usize = 16;
/// Samples kept per group (the earliest events).
pub const SAMPLES: usize = 3;
/// Buckets a histogram keeps before it doubles its bucket width.
pub const MAX_BUCKETS: usize = 100;

/// Which events the compared windows hold: the query's own range, or the baseline of `diff`.
pub const CURRENT: u8 = 0;
pub const BASELINE: u8 = 1;

/// How coarsely words are keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Every word as written.
    Exact = 0,
    /// The first two tokens as written, later words as "a word".
    Prefix = 1,
    /// Every word as "a word".
    Shape = 2,
}

impl Level {
    fn from_u8(v: u8) -> Option<Level> {
        match v {
            0 => Some(Level::Exact),
            1 => Some(Level::Prefix),
            2 => Some(Level::Shape),
            _ => None,
        }
    }

    fn coarser(self) -> Option<Level> {
        match self {
            Level::Exact => Some(Level::Prefix),
            Level::Prefix => Some(Level::Shape),
            Level::Shape => None,
        }
    }

    /// Whether the word at `position` is keyed as written.
    fn keeps_word(self, position: usize) -> bool {
        match self {
            Level::Exact => true,
            Level::Prefix => position < 2,
            Level::Shape => false,
        }
    }
}

/// What the command was asked to compute, read from its literal arguments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The query's time range, epoch ms, when it has one.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// [`Config::ANOMALY`] and [`Config::COMPARE`].
    pub flags: u8,
}

impl Config {
    /// Keep histograms and compute the anomaly fields.
    pub const ANOMALY: u8 = 1;
    /// Events come from two windows (`diff`, `logcompare`).
    pub const COMPARE: u8 = 2;

    pub fn anomaly(&self) -> bool {
        self.flags & Self::ANOMALY != 0
    }

    pub fn compare(&self) -> bool {
        self.flags & Self::COMPARE != 0
    }
}

/// One event kept as a sample. Samples order by window (the current one first), then time
/// (events without one last), then text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    pub window: u8,
    pub untimed: bool,
    pub ts: i64,
    pub text: String,
}

impl Sample {
    pub fn new(window: u8, ts: Option<i64>, text: &str) -> Sample {
        Sample {
            window,
            untimed: ts.is_none(),
            ts: ts.unwrap_or(0),
            text: text.to_owned(),
        }
    }

    pub fn time(&self) -> Option<i64> {
        (!self.untimed).then_some(self.ts)
    }

    fn before(&self, window: u8, ts: Option<i64>, text: &str) -> bool {
        (self.window, self.untimed, self.ts, self.text.as_str())
            < (window, ts.is_none(), ts.unwrap_or(0), text)
    }
}

/// The values seen at a varying position, with their counts, or `Many` past [`MAX_VALUES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values {
    /// Sorted by value.
    Few(Vec<(String, u64)>),
    Many,
}

impl Values {
    pub fn one(value: &str, count: u64) -> Values {
        Values::Few(vec![(value.to_owned(), count)])
    }

    pub fn add(&mut self, value: &str, count: u64) {
        let Values::Few(values) = self else { return };
        match values.binary_search_by(|(v, _)| v.as_str().cmp(value)) {
            Ok(at) => values[at].1 += count,
            Err(at) if values.len() < MAX_VALUES => values.insert(at, (value.to_owned(), count)),
            Err(_) => *self = Values::Many,
        }
    }

    pub fn merge(&mut self, other: &Values) {
        match other {
            Values::Many => *self = Values::Many,
            Values::Few(values) => {
                for (v, n) in values {
                    self.add(v, *n);
                }
            }
        }
    }
}

/// Bucket widths in ms, each dividing the next, so a histogram coarsens exactly; past the
/// last one widths double.
const WIDTHS: [i64; 17] = [
    1,
    10,
    100,
    1_000,
    2_000,
    10_000,
    30_000,
    60_000,
    300_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    21_600_000,
    43_200_000,
    86_400_000,
    604_800_000,
];

/// The width of bucket ladder step `step`, in ms.
pub fn width(step: u8) -> i64 {
    let step = usize::from(step);
    match WIDTHS.get(step) {
        Some(w) => *w,
        None => {
            let doublings = u32::try_from(step - WIDTHS.len() + 1).unwrap_or(u32::MAX);
            WIDTHS[WIDTHS.len() - 1].saturating_mul(2_i64.saturating_pow(doublings))
        }
    }
}

/// Event counts by time bucket: the finest ladder width at which at most [`MAX_BUCKETS`]
/// buckets are non-empty (a function of the set of times, whatever order they come in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub step: u8,
    /// (bucket index = time / width, count), sorted.
    pub buckets: Vec<(i64, u64)>,
}

impl Histogram {
    pub fn add(&mut self, ts: i64, count: u64) {
        let bucket = ts.div_euclid(width(self.step));
        match self.buckets.binary_search_by_key(&bucket, |b| b.0) {
            Ok(at) => self.buckets[at].1 += count,
            Err(at) => self.buckets.insert(at, (bucket, count)),
        }
        self.fit();
    }

    /// Coarsens to ladder step `step` (at least the current one).
    pub fn coarsen_to(&mut self, step: u8) {
        if step <= self.step {
            return;
        }
        let factor = width(step) / width(self.step).max(1);
        let mut out: Vec<(i64, u64)> = Vec::with_capacity(self.buckets.len());
        for &(b, n) in &self.buckets {
            let b = b.div_euclid(factor.max(1));
            match out.last_mut() {
                Some(last) if last.0 == b => last.1 += n,
                _ => out.push((b, n)),
            }
        }
        self.buckets = out;
        self.step = step;
    }

    fn fit(&mut self) {
        while self.buckets.len() > MAX_BUCKETS && self.step < u8::MAX {
            self.coarsen_to(self.step + 1);
        }
    }

    pub fn merge(&mut self, other: &Histogram) {
        let mut other = other.clone();
        let step = self.step.max(other.step);
        self.coarsen_to(step);
        other.coarsen_to(step);
        for (b, n) in other.buckets {
            match self.buckets.binary_search_by_key(&b, |x| x.0) {
                Ok(at) => self.buckets[at].1 += n,
                Err(at) => self.buckets.insert(at, (b, n)),
            }
        }
        self.fit();
    }
}

/// The events of one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The earliest events (see [`Sample`]); the first is the group's representative, whose
    /// tokens are `spans`.
    pub samples: Vec<Sample>,
    pub spans: Vec<(u32, u32)>,
    pub types: Vec<TokenType>,
    /// Positions where the events' tokens differ.
    pub varies: Vec<bool>,
    /// The values seen at each varying position (`None` where the position is constant).
    pub values: Vec<Option<Values>>,
    /// Events per window ([`CURRENT`], [`BASELINE`]).
    pub counts: [u64; 2],
    /// Events per [`Severity`].
    pub severity: [u64; 6],
    /// The first and last time of the current window's events.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Times of the current window's events (kept for `anomaly` only).
    pub histogram: Option<Histogram>,
}

impl Group {
    pub fn rep(&self) -> &str {
        self.samples.first().map_or("", |s| s.text.as_str())
    }

    /// The representative's token at `position`.
    pub fn token(&self, position: usize) -> &str {
        let (s, e) = self.spans[position];
        self.rep().get(s as usize..e as usize).unwrap_or("")
    }

    pub fn total(&self) -> u64 {
        self.counts[0] + self.counts[1]
    }

    fn new(event: &Event<'_>, keep_histogram: bool) -> Group {
        let mut group = Group {
            samples: vec![Sample::new(event.window, event.ts, event.text)],
            spans: event.tokens.iter().map(|t| (t.start, t.end)).collect(),
            types: event.tokens.iter().map(|t| t.kind).collect(),
            varies: vec![false; event.tokens.len()],
            values: vec![None; event.tokens.len()],
            counts: [0; 2],
            severity: [0; 6],
            first: None,
            last: None,
            histogram: keep_histogram.then(Histogram::default),
        };
        group.count(event);
        group
    }

    /// Counts, severity, times: what every event adds.
    fn count(&mut self, event: &Event<'_>) {
        self.counts[usize::from(event.window.min(1))] += 1;
        if let Some(s) = event.severity {
            self.severity[s.index()] += 1;
        }
        if event.window == CURRENT
            && let Some(ts) = event.ts
        {
            self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
            if let Some(h) = &mut self.histogram {
                h.add(ts, 1);
            }
        }
    }

    fn add(&mut self, event: &Event<'_>) {
        let before = self.total();
        for (i, token) in event.tokens.iter().enumerate() {
            let value = token.text(event.text);
            if !self.varies[i] && value != self.token(i) {
                self.varies[i] = true;
                self.values[i] = Some(Values::one(self.token(i), before));
            }
            if let Some(values) = &mut self.values[i] {
                values.add(value, 1);
            }
        }
        self.count(event);
        let last = self.samples.last();
        if self.samples.len() < SAMPLES
            || last.is_some_and(|l| !l.before(event.window, event.ts, event.text))
        {
            let at = self
                .samples
                .partition_point(|s| s.before(event.window, event.ts, event.text));
            self.samples
                .insert(at, Sample::new(event.window, event.ts, event.text));
            self.samples.truncate(SAMPLES);
            if at == 0 {
                self.spans = event.tokens.iter().map(|t| (t.start, t.end)).collect();
            }
        }
    }

    /// Adds `other`, a group of the same shape.
    fn merge(&mut self, other: Group) {
        let (ta, tb) = (self.total(), other.total());
        for i in 0..self.varies.len().min(other.varies.len()) {
            let differ = self.token(i) != other.token(i);
            if !(self.varies[i] || other.varies[i] || differ) {
                continue;
            }
            let mut values = self.values[i]
                .take()
                .unwrap_or_else(|| Values::one(self.token(i), ta));
            match &other.values[i] {
                Some(v) => values.merge(v),
                None => values.add(other.token(i), tb),
            }
            self.varies[i] = true;
            self.values[i] = Some(values);
        }
        for w in 0..2 {
            self.counts[w] += other.counts[w];
        }
        for s in 0..6 {
            self.severity[s] += other.severity[s];
        }
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        match (&mut self.histogram, &other.histogram) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.histogram = Some(b.clone()),
            _ => {}
        }
        let take_spans = other.samples.first() < self.samples.first();
        let mut samples = std::mem::take(&mut self.samples);
        samples.extend(other.samples);
        samples.sort();
        samples.truncate(SAMPLES);
        self.samples = samples;
        if take_spans {
            self.spans = other.spans;
        }
    }

    /// The group's shape key at `level`.
    fn key(&self, level: Level, out: &mut Vec<u8>) {
        let rep = self.rep();
        let tokens: Vec<Token> = self
            .spans
            .iter()
            .zip(&self.types)
            .map(|(&(start, end), &kind)| Token { start, end, kind })
            .collect();
        shape_key(rep, &tokens, level, out);
    }

    /// Rough bytes held, for memory accounting.
    fn size(&self) -> usize {
        std::mem::size_of::<Group>()
            + self
                .samples
                .iter()
                .map(|s| s.text.len() + 48)
                .sum::<usize>()
            + self.spans.len() * 11
            + self
                .values
                .iter()
                .flatten()
                .map(|v| match v {
                    Values::Few(v) => v.iter().map(|(s, _)| s.len() + 32).sum(),
                    Values::Many => 0,
                })
                .sum::<usize>()
            + self.histogram.as_ref().map_or(0, |h| h.buckets.len() * 16)
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The shape key of a value split into `tokens`: unambiguous bytes (a tag per token, then the
/// text of the tokens kept as written).
pub fn shape_key(value: &str, tokens: &[Token], level: Level, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&(tokens.len() as u32).to_le_bytes());
    for (i, token) in tokens.iter().enumerate() {
        let kept = match token.kind {
            TokenType::Punct => true,
            TokenType::Word => level.keeps_word(i),
            _ => false,
        };
        if kept {
            let text = token.text(value).as_bytes();
            out.push(token.kind as u8);
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text);
        } else {
            out.push(0x80 | token.kind as u8);
        }
    }
}

/// One event as the groups see it.
struct Event<'a> {
    text: &'a str,
    tokens: &'a [Token],
    ts: Option<i64>,
    window: u8,
    severity: Option<Severity>,
}

/// The groups of the events seen so far: the state of one `pattern` accumulator.
#[derive(Debug, Default)]
pub struct Groups {
    pub config: Option<Config>,
    pub level: Option<Level>,
    pub groups: HashMap<Vec<u8>, Group>,
    bytes: usize,
    tokens: Vec<Token>,
    key: Vec<u8>,
}

impl Groups {
    fn level(&self) -> Level {
        self.level.unwrap_or(Level::Exact)
    }

    fn keeps_histograms(&self) -> bool {
        self.config.is_some_and(|c| c.anomaly())
    }

    /// Adds one event: its value, time and window. A value with no token (empty or blank) is
    /// no event to cluster.
    pub fn add(&mut self, text: &str, ts: Option<i64>, window: u8) {
        let mut tokens = std::mem::take(&mut self.tokens);
        tokenize(text, &mut tokens);
        if !tokens.is_empty() {
            let event = Event {
                text,
                tokens: &tokens,
                ts,
                window,
                severity: severity(text, &tokens),
            };
            self.add_event(&event);
        }
        self.tokens = tokens;
    }

    fn add_event(&mut self, event: &Event<'_>) {
        let mut key = std::mem::take(&mut self.key);
        shape_key(event.text, event.tokens, self.level(), &mut key);
        if let Some(group) = self.groups.get_mut(key.as_slice()) {
            let before = group.size();
            group.add(event);
            self.bytes = self.bytes + group.size() - before.min(group.size());
        } else if self.groups.len() >= MAX_GROUPS && self.level().coarser().is_some() {
            self.coarsen();
            self.key = key;
            return self.add_event(event);
        } else {
            let group = Group::new(event, self.keeps_histograms());
            self.bytes += group.size() + key.len();
            self.groups.insert(key.clone(), group);
        }
        self.key = key;
    }

    /// Keys every group one level coarser, merging those that now share a key.
    fn coarsen(&mut self) {
        if let Some(level) = self.level().coarser() {
            self.rekey(level);
        }
    }

    fn rekey(&mut self, level: Level) {
        let groups = std::mem::take(&mut self.groups);
        self.level = Some(level);
        self.bytes = 0;
        let mut key = Vec::new();
        for (_, group) in groups {
            group.key(level, &mut key);
            self.insert(key.clone(), group);
        }
    }

    fn insert(&mut self, key: Vec<u8>, group: Group) {
        match self.groups.get_mut(&key) {
            Some(existing) => {
                let before = existing.size();
                existing.merge(group);
                self.bytes = self.bytes + existing.size() - before.min(existing.size());
            }
            None => {
                self.bytes += group.size() + key.len();
                self.groups.insert(key, group);
            }
        }
    }

    /// Adds the groups of another accumulator (another partition's events).
    pub fn merge(&mut self, other: Groups) {
        if self.config.is_none() {
            self.config = other.config;
        }
        let level = self.level().max(other.level());
        if level > self.level() {
            self.rekey(level);
        }
        let rekey = level > other.level();
        let mut key = Vec::new();
        for (k, group) in other.groups {
            if rekey {
                group.key(level, &mut key);
                self.insert(key.clone(), group);
            } else {
                self.insert(k, group);
            }
        }
        while self.groups.len() > MAX_GROUPS && self.level().coarser().is_some() {
            self.coarsen();
        }
    }

    /// Rough bytes held.
    pub fn size(&self) -> usize {
        std::mem::size_of::<Groups>() + self.bytes + self.groups.len() * 16
    }
}

/// Encoding of [`Groups`] as bytes, the accumulator state passed between partitions.
pub mod codec {
    use super::*;

    const VERSION: u8 = 1;

    struct Writer(Vec<u8>);

    impl Writer {
        fn u64(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.0.push((v as u8) | 0x80);
                v >>= 7;
            }
            self.0.push(v as u8);
        }
        fn i64(&mut self, v: i64) {
            self.u64(((v << 1) ^ (v >> 63)) as u64);
        }
        fn opt(&mut self, v: Option<i64>) {
            match v {
                Some(v) => {
                    self.0.push(1);
                    self.i64(v);
                }
                None => self.0.push(0),
            }
        }
        fn bytes(&mut self, b: &[u8]) {
            self.u64(b.len() as u64);
            self.0.extend_from_slice(b);
        }
    }

    struct Reader<'a> {
        b: &'a [u8],
        at: usize,
    }

    type R<T> = Result<T, String>;

    impl<'a> Reader<'a> {
        fn byte(&mut self) -> R<u8> {
            let v = *self.b.get(self.at).ok_or("pattern state ends early")?;
            self.at += 1;
            Ok(v)
        }
        fn u64(&mut self) -> R<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = self.byte()?;
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("pattern state has a bad number".into())
        }
        fn usize(&mut self) -> R<usize> {
            usize::try_from(self.u64()?).map_err(|e| e.to_string())
        }
        /// A count of items that each take at least one byte (bounded by what is left).
        fn len(&mut self) -> R<usize> {
            let n = self.usize()?;
            if n > self.b.len() - self.at {
                return Err("pattern state has a bad length".into());
            }
            Ok(n)
        }
        fn i64(&mut self) -> R<i64> {
            let v = self.u64()?;
            Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
        }
        fn opt(&mut self) -> R<Option<i64>> {
            Ok(match self.byte()? {
                0 => None,
                _ => Some(self.i64()?),
            })
        }
        fn bytes(&mut self) -> R<&'a [u8]> {
            let n = self.len()?;
            let out = &self.b[self.at..self.at + n];
            self.at += n;
            Ok(out)
        }
        fn string(&mut self) -> R<String> {
            String::from_utf8(self.bytes()?.to_vec()).map_err(|e| e.to_string())
        }
    }

    pub fn encode(groups: &Groups) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(groups.size()));
        w.0.push(VERSION);
        match groups.config {
            Some(c) => {
                w.0.push(1);
                w.opt(c.start);
                w.opt(c.end);
                w.0.push(c.flags);
            }
            None => w.0.push(0),
        }
        w.0.push(groups.level() as u8);
        w.u64(groups.groups.len() as u64);
        // Keys are not written: they are a function of each group (see `decode`).
        for g in groups.groups.values() {
            w.u64(g.samples.len() as u64);
            for s in &g.samples {
                w.0.push(s.window);
                w.opt(s.time());
                w.bytes(s.text.as_bytes());
            }
            w.u64(g.spans.len() as u64);
            for (&(s, e), t) in g.spans.iter().zip(&g.types) {
                w.u64(u64::from(s));
                w.u64(u64::from(e));
                w.0.push(*t as u8);
            }
            for (i, varies) in g.varies.iter().enumerate() {
                match (varies, &g.values[i]) {
                    (false, _) | (true, None) => w.0.push(0),
                    (true, Some(Values::Many)) => w.0.push(1),
                    (true, Some(Values::Few(values))) => {
                        w.0.push(2);
                        w.u64(values.len() as u64);
                        for (v, n) in values {
                            w.bytes(v.as_bytes());
                            w.u64(*n);
                        }
                    }
                }
            }
            for n in g.counts.iter().chain(&g.severity) {
                w.u64(*n);
            }
            w.opt(g.first);
            w.opt(g.last);
            match &g.histogram {
                Some(h) => {
                    w.0.push(1);
                    w.0.push(h.step);
                    w.u64(h.buckets.len() as u64);
                    for (b, n) in &h.buckets {
                        w.i64(*b);
                        w.u64(*n);
                    }
                }
                None => w.0.push(0),
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Groups, String> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.byte()? != VERSION {
            return Err("pattern state of another version".into());
        }
        let config = match r.byte()? {
            0 => None,
            _ => Some(Config {
                start: r.opt()?,
                end: r.opt()?,
                flags: r.byte()?,
            }),
        };
        let level = Level::from_u8(r.byte()?).ok_or("pattern state has a bad level")?;
        let mut out = Groups {
            config,
            level: Some(level),
            ..Groups::default()
        };
        let n = r.len()?;
        let mut key = Vec::new();
        for _ in 0..n {
            let mut samples = Vec::new();
            for _ in 0..r.len()? {
                let window = r.byte()?;
                let ts = r.opt()?;
                let text = r.string()?;
                samples.push(Sample::new(window, ts, &text));
            }
            let tokens = r.len()?;
            let mut spans = Vec::with_capacity(tokens);
            let mut types = Vec::with_capacity(tokens);
            let limit = samples.first().map_or(0, |s| s.text.len());
            for _ in 0..tokens {
                let s = u32::try_from(r.u64()?).map_err(|e| e.to_string())?;
                let e = u32::try_from(r.u64()?).map_err(|e| e.to_string())?;
                if s > e || e as usize > limit {
                    return Err("pattern state has a bad token".into());
                }
                spans.push((s, e));
                types.push(TokenType::from_index(r.byte()?).ok_or("bad token type")?);
            }
            let mut varies = vec![false; tokens];
            let mut values = vec![None; tokens];
            for i in 0..tokens {
                match r.byte()? {
                    0 => {}
                    1 => {
                        varies[i] = true;
                        values[i] = Some(Values::Many);
                    }
                    _ => {
                        let mut few = Vec::new();
                        for _ in 0..r.len()? {
                            let v = r.string()?;
                            few.push((v, r.u64()?));
                        }
                        varies[i] = true;
                        values[i] = Some(Values::Few(few));
                    }
                }
            }
            let mut counts = [0; 2];
            for c in &mut counts {
                *c = r.u64()?;
            }
            let mut severity = [0; 6];
            for s in &mut severity {
                *s = r.u64()?;
            }
            let first = r.opt()?;
            let last = r.opt()?;
            let histogram = match r.byte()? {
                0 => None,
                _ => {
                    let step = r.byte()?;
                    let mut buckets = Vec::new();
                    for _ in 0..r.len()? {
                        let b = r.i64()?;
                        buckets.push((b, r.u64()?));
                    }
                    Some(Histogram { step, buckets })
                }
            };
            if samples.is_empty() {
                return Err("pattern state has a group without samples".into());
            }
            let group = Group {
                samples,
                spans,
                types,
                varies,
                values,
                counts,
                severity,
                first,
                last,
                histogram,
            };
            // The key, recomputed, always agrees with the group's tokens.
            group.key(level, &mut key);
            out.insert(key.clone(), group);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_knows_which_positions_vary_and_their_values() {
        let mut g = Groups::default();
        g.add("GET /a 200 took 12ms", Some(3), CURRENT);
        g.add("GET /a 404 took 3ms", Some(1), CURRENT);
        g.add("GET /a 200 took 12ms", Some(2), CURRENT);
        assert_eq!(g.groups.len(), 1);
        let group = g.groups.values().next().unwrap();
        assert_eq!(group.varies, [false, false, true, false, true]);
        assert_eq!(
            group.values[2],
            Some(Values::Few(vec![("200".into(), 2), ("404".into(), 1)]))
        );
        assert_eq!(group.rep(), "GET /a 404 took 3ms");
        assert_eq!(group.token(4), "3ms");
        assert_eq!((group.first, group.last), (Some(1), Some(3)));
        // A different word is another shape.
        g.add("GET /b 200 took 12ms", Some(2), CURRENT);
        assert_eq!(g.groups.len(), 2);
    }

    #[test]
    fn values_past_the_cap_are_many() {
        let mut v = Values::one("a", 1);
        for i in 0..MAX_VALUES {
            v.add(&format!("v{i}"), 1);
        }
        assert_eq!(v, Values::Many);
    }

    #[test]
    fn histograms_coarsen_to_the_same_buckets_in_any_order() {
        let times: Vec<i64> = (0..1000).map(|i| i * 7_919 % 3_600_000).collect();
        let mut a = Histogram::default();
        times.iter().for_each(|t| a.add(*t, 1));
        let mut b = Histogram::default();
        times.iter().rev().for_each(|t| b.add(*t, 1));
        let (mut c, mut d) = (Histogram::default(), Histogram::default());
        for (i, t) in times.iter().enumerate() {
            (if i % 3 == 0 { &mut c } else { &mut d }).add(*t, 1);
        }
        d.merge(&c);
        assert_eq!(a, b);
        assert_eq!(a, d);
        assert!(a.buckets.len() <= MAX_BUCKETS);
        assert_eq!(a.buckets.iter().map(|b| b.1).sum::<u64>(), 1000);
    }

    #[test]
    fn the_state_round_trips() {
        let mut g = Groups {
            config: Some(Config {
                start: Some(-5),
                end: None,
                flags: Config::ANOMALY,
            }),
            ..Groups::default()
        };
        g.add("[ERROR] user alice failed from 10.0.0.1", Some(10), CURRENT);
        g.add("[ERROR] user alice failed from 10.0.0.2", None, BASELINE);
        g.add("done", Some(1), CURRENT);
        let bytes = codec::encode(&g);
        let back = codec::decode(&bytes).unwrap();
        assert_eq!(back.config, g.config);
        assert_eq!(back.groups, g.groups);
        assert!(codec::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(codec::decode(&[9]).is_err());
    }

    #[test]
    fn many_shapes_key_words_more_coarsely() {
        // Distinct words of letters only.
        let word = |mut i: usize| {
            let mut w = String::new();
            loop {
                w.push(char::from(b'a' + (i % 26) as u8));
                i /= 26;
                if i == 0 {
                    return w;
                }
            }
        };
        let mut g = Groups::default();
        for i in 0..MAX_GROUPS + 10 {
            g.add(&format!("start job {} done", word(i)), Some(0), CURRENT);
        }
        assert_eq!(g.level, Some(Level::Prefix));
        assert_eq!(g.groups.len(), 1);
        let group = g.groups.values().next().unwrap();
        assert_eq!(group.varies, [false, false, true, false]);
        assert_eq!(group.values[2], Some(Values::Many));
    }
}
