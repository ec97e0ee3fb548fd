//! Finding an event's time in a line of text, cheaply.
//!
//! Every recogniser first checks a few bytes at fixed offsets (digits, `-`, `:`, a month name)
//! and only then converts, with integer arithmetic rather than a format-string parser, so a
//! line without a timestamp costs a handful of comparisons. Recognised, in this order:
//!
//! | shape | example | where |
//! |---|---|---|
//! | ISO 8601 / RFC 3339, `T` or space, `.` or `,` fraction, zone optional | `2016-12-19 16:11:03,155`, `2026-11-01T00:00:00.000Z` | line start |
//! | the same inside brackets (Kafka, log4j `[%d]`) | `[2016-12-19 16:11:03,155] INFO` | line start |
//! | ctime inside brackets (Apache error log) | `[Sun Dec 04 04:47:44 2005]` | line start |
//! | syslog without a year | `Nov 27 09:12:01 host sshd[1]: ...` | line start |
//! | month-day without a year (Android logcat) | `03-17 16:13:38.811  1702 ...` | line start |
//! | log4j's `yy/MM/dd HH:mm:ss` (Spark, Hadoop), years 2000-2099 | `17/06/09 20:10:40 INFO ...` | line start |
//! | epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) | `1669842701 ...` | first token |
//! | ISO 8601 as above, as a later token (ALB, NLB, OpenStack) | `http 2022-12-06T17:42:16.176563Z ...` | a token starting in the first 64 bytes |
//! | Apache/NCSA common log time | `... [10/Oct/2000:13:55:36 -0700] ...` | starting in the first 160 bytes (S3 access logs put it after a 64-character owner id) |
//! | HDFS's `yyMMdd HHmmss`, years 2000-2099 | `081109 203615 148 INFO ...` | line start |
//! | a VPC flow log record (default layout): its `start` | `2 123456789012 eni-0a1b ... 1669842701 1669842702 ACCEPT OK` | the whole line, after the shapes above |
//! | epoch seconds as a whole 10-digit token, 2000-2039 (BGL, HPC) | `- 1117838570 2005.06.03 ...` | one of the first six tokens, last resort |
//!
//! The date and time of ISO 8601 may also be separated by a tab (CloudFront's W3C files).
//!
//! A time without a zone is UTC. A time without a year takes the year given with `--year`
//! (then advancing by one when the months wrap from October-December to January-March, as a
//! syslog file does at New Year), or else the current year of the ingest clock, going back a
//! year when that would put the event more than a day in the future.

use chrono::Datelike;
use chrono::format::{Item, Parsed, StrftimeItems};
use loupe_store::calendar::days_from_civil;

use crate::error::{Result, ServiceError};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// How far in the future a year-less time may land before it is taken to be last year's.
const FUTURE_SLACK_MS: i64 = DAY_MS;

/// How far into a line a later ISO 8601 token, or a strftime `--timestamp` format, is looked for.
const TOKEN_WINDOW: usize = 64;

/// How far into a line the Apache/NCSA `[dd/Mon/yyyy:...]` time is looked for.
const APACHE_WINDOW: usize = 160;

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A time of day in milliseconds, checked.
fn day_ms(hour: u32, minute: u32, second: u32, milli: u32) -> Option<i64> {
    // A leap second (`:60`) is read as the last millisecond-aligned second of the minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let second = second.min(59);
    Some(i64::from(
        ((hour * 60 + minute) * 60 + second) * 1000 + milli,
    ))
}

/// Epoch milliseconds of a civil date and a time of day, or `None` when the date does not exist.
fn civil_ms(year: i64, month: u32, day: u32, time_ms: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY_MS + time_ms)
}

#[inline]
fn digit(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i) {
        Some(c @ b'0'..=b'9') => Some(u32::from(c - b'0')),
        _ => None,
    }
}

#[inline]
fn d2(b: &[u8], i: usize) -> Option<u32> {
    Some(digit(b, i)? * 10 + digit(b, i + 1)?)
}

#[inline]
fn d4(b: &[u8], i: usize) -> Option<u32> {
    Some(d2(b, i)? * 100 + d2(b, i + 2)?)
}

#[inline]
fn at(b: &[u8], i: usize, c: u8) -> bool {
    b.get(i) == Some(&c)
}

/// `Jan` .. `Dec` at `i` (case as written in logs: capitalised), as 1..=12.
fn month_name(b: &[u8], i: usize) -> Option<u32> {
    let m = b.get(i..i + 3)?;
    let n = match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(n)
}

/// `HH:MM:SS` at `i`, then an optional `.` or `,` fraction: `(ms of day, bytes consumed)`.
fn clock(b: &[u8], i: usize) -> Option<(i64, usize)> {
    let hour = d2(b, i)?;
    let minute = d2(b, i + 3)?;
    let second = d2(b, i + 6)?;
    if !at(b, i + 2, b':') || !at(b, i + 5, b':') {
        return None;
    }
    let mut j = i + 8;
    let mut milli = 0;
    if matches!(b.get(j), Some(b'.' | b',')) && digit(b, j + 1).is_some() {
        j += 1;
        let mut n = 0;
        while let Some(d) = digit(b, j) {
            if n < 3 {
                milli = milli * 10 + d;
            }
            n += 1;
            j += 1;
        }
        for _ in n..3 {
            milli *= 10;
        }
    }
    Some((day_ms(hour, minute, second, milli)?, j - i))
}

/// A zone designator at `i`: `Z`, `+HH:MM`, `+HHMM` or `+HH` (also `-`): `(offset minutes,
/// bytes consumed)`; `(0, 0)` when there is none.
fn zone(b: &[u8], i: usize) -> (i64, usize) {
    match b.get(i) {
        Some(b'Z') => (0, 1),
        Some(&sign @ (b'+' | b'-')) => {
            let Some(hh) = d2(b, i + 1) else {
                return (0, 0);
            };
            let (mm, len) = if at(b, i + 3, b':') {
                match d2(b, i + 4) {
                    Some(mm) => (mm, 6),
                    None => return (0, 0),
                }
            } else if let Some(mm) = d2(b, i + 3) {
                (mm, 5)
            } else {
                (0, 3)
            };
            if hh > 23 || mm > 59 {
                return (0, 0);
            }
            let minutes = i64::from(hh * 60 + mm);
            (if sign == b'-' { -minutes } else { minutes }, len)
        }
        _ => (0, 0),
    }
}

/// An ISO 8601 date-time at the start of `b`: `YYYY-MM-DD` (or `YYYY/MM/DD`), `T` or a space,
/// `HH:MM:SS`, an optional fraction after `.` or `,`, an optional zone: `(epoch ms, bytes
/// consumed)`.
pub(crate) fn iso(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 19 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    if !matches!(b[10], b'T' | b' ' | b'\t') {
        return None;
    }
    let year = d4(b, 0)?;
    let month = d2(b, 5)?;
    let day = d2(b, 8)?;
    let (time, len) = clock(b, 11)?;
    let (offset, zlen) = zone(b, 11 + len);
    let ms = civil_ms(i64::from(year), month, day, time)? - offset * MINUTE_MS;
    Some((ms, 11 + len + zlen))
}

/// The CloudWatch export prefix, exactly as export files write it
/// (`2026-11-01T00:00:00.000Z ` with a space): `(epoch ms, prefix length with the space)`.
pub(crate) fn export_prefix(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 25 || b[10] != b'T' || b[19] != b'.' || b[23] != b'Z' || b[24] != b' ' {
        return None;
    }
    match iso(b)? {
        (ms, 24) => Some((ms, 25)),
        _ => None,
    }
}

/// Any ISO 8601 date-time with a `T` followed by a space (the lenient `--format export`):
/// `(epoch ms, prefix length with the space)`.
pub(crate) fn lenient_prefix(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    let (ms, len) = iso(b)?;
    at(b, len, b' ').then_some((ms, len + 1))
}

/// A date without a year: month, day and milliseconds into the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct YearLess {
    month: u32,
    day: u32,
    time: i64,
}

/// syslog's `Mmm dd HH:MM:SS` (the day may be space-padded) at the start of `b`.
fn syslog(b: &[u8]) -> Option<YearLess> {
    if b.len() < 15 || b[3] != b' ' || b[6] != b' ' {
        return None;
    }
    let month = month_name(b, 0)?;
    let day = if b[4] == b' ' {
        digit(b, 5)?
    } else {
        d2(b, 4)?
    };
    let (time, _) = clock(b, 7)?;
    Some(YearLess { month, day, time })
}

/// Android logcat's `MM-DD HH:MM:SS.mmm` at the start of `b`.
fn month_day(b: &[u8]) -> Option<YearLess> {
    if b.len() < 14 || b[2] != b'-' || b[5] != b' ' {
        return None;
    }
    let month = d2(b, 0)?;
    let day = d2(b, 3)?;
    let (time, _) = clock(b, 6)?;
    Some(YearLess { month, day, time })
}

/// log4j's `yy/MM/dd HH:mm:ss` (Spark's default layout) at the start of `b`, as 20yy.
fn short_year(b: &[u8]) -> Option<i64> {
    if b.len() < 17 || b[2] != b'/' || b[5] != b'/' || b[8] != b' ' {
        return None;
    }
    let year = 2000 + i64::from(d2(b, 0)?);
    let (time, _) = clock(b, 9)?;
    civil_ms(year, d2(b, 3)?, d2(b, 6)?, time)
}

/// ctime's `Www Mmm dd HH:MM:SS yyyy` at the start of `b` (inside Apache error-log brackets).
fn ctime(b: &[u8]) -> Option<i64> {
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' || b[19] != b' ' {
        return None;
    }
    let month = month_name(b, 4)?;
    let day = if b[8] == b' ' {
        digit(b, 9)?
    } else {
        d2(b, 8)?
    };
    let (time, len) = clock(b, 11)?;
    if len != 8 {
        return None;
    }
    let year = d4(b, 20)?;
    civil_ms(i64::from(year), month, day, time)
}

/// Apache/NCSA `dd/Mon/yyyy:HH:MM:SS +zzzz` at the start of `b` (after its `[`).
fn apache(b: &[u8]) -> Option<i64> {
    if b.len() < 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let day = d2(b, 0)?;
    let month = month_name(b, 3)?;
    let year = d4(b, 7)?;
    let (time, len) = clock(b, 12)?;
    if len != 8 {
        return None;
    }
    let (offset, zlen) = zone(b, 21);
    if zlen != 5 {
        return None;
    }
    Some(civil_ms(i64::from(year), month, day, time)? - offset * MINUTE_MS)
}

/// Epoch seconds (10 digits, optional `.fraction`) or milliseconds (13 digits) as the first
/// token of `b` (followed by whitespace or the end of the line).
fn epoch(b: &[u8]) -> Option<i64> {
    let n = b.iter().take(14).take_while(|c| c.is_ascii_digit()).count();
    let token_end = |i: usize| matches!(b.get(i), None | Some(b' ' | b'\t' | b','));
    let mut value: i64 = 0;
    for &c in &b[..n] {
        value = value * 10 + i64::from(c - b'0');
    }
    match n {
        13 if token_end(13) => Some(value),
        10 if token_end(10) => Some(value * 1000),
        10 if at(b, 10, b'.') => {
            let mut j = 11;
            let mut milli = 0;
            let mut k = 0;
            while let Some(d) = digit(b, j) {
                if k < 3 {
                    milli = milli * 10 + i64::from(d);
                }
                k += 1;
                j += 1;
            }
            for _ in k..3 {
                milli *= 10;
            }
            (k > 0 && token_end(j)).then_some(value * 1000 + milli)
        }
        _ => None,
    }
}

/// HDFS's `yyMMdd HHmmss` at the start of `b` (loghub HDFS: `081109 203615 148 INFO ...`),
/// as 20yy, followed by whitespace.
fn hdfs(b: &[u8]) -> Option<i64> {
    if b.len() < 13 || b[6] != b' ' || !matches!(b.get(13), None | Some(b' ' | b'\t')) {
        return None;
    }
    let year = 2000 + i64::from(d2(b, 0)?);
    let time = day_ms(d2(b, 7)?, d2(b, 9)?, d2(b, 11)?, 0)?;
    civil_ms(year, d2(b, 2)?, d2(b, 4)?, time)
}

/// Epoch seconds written as a whole 10-digit token among the first tokens of a line (BGL's
/// `- 1117838570 2005.06.03 ...`, HPC's `134681 node-246 unix.hw ... 1077804742 1 ...`),
/// between 2000 and 2040: the last resort before the ingestion time.
fn epoch_token(b: &[u8]) -> Option<i64> {
    const FROM: i64 = 946_684_800; // 2000-01-01
    const TO: i64 = 2_208_988_800; // 2040-01-01
    b[..b.len().min(TOKEN_WINDOW + 16)]
        .split(|&c| c == b' ' || c == b'\t')
        .take(6)
        .filter(|t| t.len() == 10 && t.iter().all(u8::is_ascii_digit))
        .map(|t| t.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
        .find(|v| (FROM..TO).contains(v))
        .map(|v| v * 1000)
}

/// A VPC flow log record in the default layout (`version account-id interface-id srcaddr
/// dstaddr srcport dstport protocol packets bytes start end action log-status`, more fields
/// after them allowed): its `start`, epoch seconds.
fn vpc_flow(b: &[u8]) -> Option<i64> {
    let mut words = b.split(|&c| c == b' ').filter(|w| !w.is_empty());
    let version = words.next()?;
    if version.len() != 1 || !version[0].is_ascii_digit() {
        return None;
    }
    let rest: Vec<&[u8]> = words.take(13).collect();
    let epoch = |w: &[u8]| {
        (w.len() == 10 && w.iter().all(u8::is_ascii_digit))
            .then(|| w.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
    };
    if rest.len() != 13 || (!rest[1].starts_with(b"eni-") && rest[1] != b"-") {
        return None;
    }
    let (start, end) = (epoch(rest[9])?, epoch(rest[10])?);
    (start <= end).then_some(start * 1000)
}

/// What a line's time turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    At(i64),
    YearLess(YearLess),
}

/// The time written at the start of a text line (see the module table), if any.
pub(crate) fn detect(b: &[u8]) -> Option<Found> {
    let first = *b.first()?;
    let found = match first {
        b'0'..=b'9' => {
            if let Some((ms, _)) = iso(b) {
                Some(Found::At(ms))
            } else if let Some(y) = month_day(b) {
                Some(Found::YearLess(y))
            } else if let Some(ms) = short_year(b) {
                Some(Found::At(ms))
            } else if let Some(ms) = hdfs(b) {
                Some(Found::At(ms))
            } else {
                epoch(b).map(Found::At)
            }
        }
        b'[' => {
            let inner = &b[1..];
            match inner.first() {
                Some(b'0'..=b'9') => iso(inner)
                    .map(|(ms, _)| ms)
                    .or_else(|| apache(inner))
                    .map(Found::At),
                Some(b'A'..=b'Z') => ctime(inner).map(Found::At),
                _ => None,
            }
        }
        b'A'..=b'S' => syslog(b).map(Found::YearLess),
        _ => None,
    };
    found
        .or_else(|| iso_token(b).map(Found::At))
        .or_else(|| apache_anywhere(b).map(Found::At))
        .or_else(|| vpc_flow(b).map(Found::At))
        .or_else(|| epoch_token(b).map(Found::At))
}

/// An ISO 8601 date-time as a token (after a space or a tab) starting in the first
/// [`TOKEN_WINDOW`] bytes.
fn iso_token(b: &[u8]) -> Option<i64> {
    let window = &b[..b.len().min(TOKEN_WINDOW)];
    window
        .iter()
        .enumerate()
        .filter(|&(i, &c)| {
            matches!(c, b' ' | b'\t') && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        })
        .find_map(|(i, _)| iso(&b[i + 1..]).map(|(ms, _)| ms))
}

/// The Apache/NCSA time inside brackets within the first [`APACHE_WINDOW`] bytes.
fn apache_anywhere(b: &[u8]) -> Option<i64> {
    let window = &b[..b.len().min(APACHE_WINDOW)];
    let mut from = 0;
    while let Some(i) = window[from..].iter().position(|&c| c == b'[') {
        let start = from + i + 1;
        if let Some(ms) = apache(&b[start..]) {
            return Some(ms);
        }
        from = start;
    }
    None
}

/// A time written as text in a JSON field or a CSV cell: ISO 8601 (the whole text), or epoch
/// seconds/milliseconds written as digits.
pub(crate) fn text_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if let Some((ms, len)) = iso(b)
        && len == b.len()
    {
        return Some(ms);
    }
    if b.iter().all(u8::is_ascii_digit) {
        return epoch(b);
    }
    None
}

/// The latest time a number may name: 9999-12-31T23:59:59.999Z.
pub(crate) const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// A JSON number as a time: below 1e11 it is seconds (until the year 5138), else milliseconds;
/// before 1970 or after the year 9999 it is not a time.
pub(crate) fn number_time(v: f64) -> Option<i64> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let ms = if v < 1e11 { v * 1000.0 } else { v };
    (ms <= MAX_TIME_MS as f64).then_some(ms as i64)
}

/// Gives year-less times their year (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Years {
    now_ms: i64,
    now_year: i64,
    /// With `--year`: the year of the latest line and its month.
    explicit: Option<(i64, u32)>,
}

impl Years {
    /// The years `--year` may name.
    pub(crate) const RANGE: std::ops::RangeInclusive<i32> = 1..=9999;

    pub(crate) fn new(now_ms: i64, year: Option<i32>) -> Years {
        let now_year =
            chrono::DateTime::from_timestamp_millis(now_ms).map_or(1970, |t| i64::from(t.year()));
        Years {
            now_ms,
            now_year,
            explicit: year.map(|y| (i64::from(y), 1)),
        }
    }

    fn place(&mut self, month: u32, at_year: impl Fn(i64) -> Option<i64>) -> Option<i64> {
        match &mut self.explicit {
            Some((year, last_month)) => {
                if *last_month >= 10 && month <= 3 {
                    *year += 1;
                }
                *last_month = month;
                at_year(*year)
            }
            None => {
                let ms = at_year(self.now_year)?;
                if ms > self.now_ms + FUTURE_SLACK_MS {
                    at_year(self.now_year - 1)
                } else {
                    Some(ms)
                }
            }
        }
    }

    pub(crate) fn resolve(&mut self, y: YearLess) -> Option<i64> {
        self.place(y.month, |year| civil_ms(year, y.month, y.day, y.time))
    }
}

/// `--timestamp`: where events take their time from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TimestampRule {
    /// Detect it (the default): an export prefix, a time at the start of a line, a JSON time
    /// field, a CSV `@timestamp` column; else the ingestion time.
    #[default]
    Auto,
    /// Every event at the ingestion time.
    Now,
    /// This JSON field (a dotted path such as `meta.time` also works) or CSV column.
    Field(String),
    /// A strftime format (chrono's syntax, e.g. `%d/%b/%Y:%H:%M:%S %z`), matched at the start of
    /// each line or right after a `[` or a space within its first 64 bytes.
    Format(String),
}

impl std::str::FromStr for TimestampRule {
    type Err = ServiceError;

    /// `auto`, `now`, a format (anything with a `%`), or else a field name.
    fn from_str(s: &str) -> Result<TimestampRule> {
        match s {
            "" => Err(ServiceError::InvalidParameter(
                "--timestamp: expected auto, now, a field name or a strftime format".into(),
            )),
            "auto" => Ok(TimestampRule::Auto),
            "now" => Ok(TimestampRule::Now),
            _ if s.contains('%') => {
                let items = StrftimeItems::new(s).parse().map_err(|_| {
                    ServiceError::InvalidParameter(format!(
                        "--timestamp: {s:?} is not a valid strftime format"
                    ))
                })?;
                if items.iter().any(|i| matches!(i, Item::Error)) {
                    return Err(ServiceError::InvalidParameter(format!(
                        "--timestamp: {s:?} is not a valid strftime format"
                    )));
                }
                Ok(TimestampRule::Format(s.to_owned()))
            }
            _ => Ok(TimestampRule::Field(s.to_owned())),
        }
    }
}

/// A time in `line` written in strftime `format` (see [`TimestampRule::Format`]).
pub(crate) fn with_format(line: &str, format: &str, years: &mut Years) -> Option<i64> {
    let try_at = |s: &str, years: &mut Years| -> Option<i64> {
        let mut parsed = Parsed::new();
        chrono::format::parse_and_remainder(&mut parsed, s, StrftimeItems::new(format)).ok()?;
        if parsed.timestamp().is_some() {
            return parsed
                .to_naive_datetime_with_offset(0)
                .ok()
                .map(|t| t.and_utc().timestamp_millis());
        }
        let offset = parsed.offset().unwrap_or(0);
        let at_year = |year: i64| -> Option<i64> {
            let mut p = parsed.clone();
            if p.year().is_none() && p.year_mod_100().is_none() {
                p.set_year(year).ok()?;
            }
            let t = p.to_naive_datetime_with_offset(0).ok()?;
            Some(t.and_utc().timestamp_millis() - i64::from(offset) * 1000)
        };
        if parsed.year().is_some() || parsed.year_mod_100().is_some() {
            at_year(0)
        } else {
            years.place(parsed.month().unwrap_or(1), at_year)
        }
    };
    if let Some(ms) = try_at(line, years) {
        return Some(ms);
    }
    let window = &line.as_bytes()[..line.len().min(TOKEN_WINDOW)];
    for (i, &c) in window.iter().enumerate() {
        if (c == b'[' || c == b' ')
            && line.is_char_boundary(i + 1)
            && let Some(ms) = try_at(&line[i + 1..], years)
        {
            return Some(ms);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-01T00:00:00Z.
    const NOV1: i64 = 1_793_491_200_000;
    const HOUR: i64 = 3_600_000;

    fn at_ms(line: &str, years: &mut Years) -> Option<i64> {
        match detect(line.as_bytes())? {
            Found::At(ms) => Some(ms),
            Found::YearLess(y) => years.resolve(y),
        }
    }

    #[test]
    fn civil_dates_match_chrono() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 11, 1), (1969, 12, 31)] {
            let ours = civil_ms(y, m, d, 0).unwrap();
            let chrono = chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis();
            assert_eq!(ours, chrono, "{y}-{m}-{d}");
        }
        assert_eq!(civil_ms(2026, 2, 29, 0), None);
        assert_eq!(civil_ms(2026, 13, 1, 0), None);
    }

    #[test]
    fn loghub_hdfs_bgl_and_hpc_lines() {
        let y = &mut Years::new(NOV1, None);
        // 2008-11-09T20:36:15Z.
        assert_eq!(
            at_ms("081109 203615 148 INFO dfs.DataNode$PacketResponder: x", y),
            Some(1_226_262_975_000)
        );
        assert_eq!(
            at_ms(
                "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 x",
                y
            ),
            Some(1_117_838_570_000)
        );
        assert_eq!(
            at_ms("APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 x", y),
            Some(1_117_869_872_000)
        );
        assert_eq!(
            at_ms(
                "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component",
                y
            ),
            Some(1_077_804_742_000)
        );
        assert_eq!(
            at_ms(
                "2 123456789012 eni-0050644426037aa0f 10.26.1.153 3.239.232.29 60220 443 6 48 21869 1669842701 1669842702 ACCEPT OK",
                y
            ),
            Some(1_669_842_701_000)
        );
        assert_eq!(
            at_ms(
                "2 123456789012 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
                y
            ),
            Some(1_431_280_876_000)
        );
        for line in [
            "081332 203615 148 INFO bad month",
            "081109 253615 148 INFO bad hour",
            "081109 2036151 not the shape",
            "order 4294967295 is not a time",
            "id 12345678901 eleven digits",
            "a b c d e f 1117838570 the seventh token",
        ] {
            assert_eq!(at_ms(line, y), None, "{line}");
        }
    }

    #[test]
    fn iso_variants() {
        let y = &mut Years::new(NOV1, None);
        for line in [
            "2026-11-01T00:00:00Z x",
            "2026-11-01T00:00:00.000Z x",
            "2026-11-01 00:00:00 x",
            "2026-11-01 00:00:00,000 - INFO",
            "2026-11-01T01:00:00+01:00 x",
            "2026-11-01T01:00:00+0100 x",
            "2026-10-31T23:00:00.000000-01:00 x",
            "2026/11/01 00:00:00 x",
            "[2026-11-01 00:00:00,000] INFO x",
            "2026-11-01T00:00:00",
        ] {
            assert_eq!(at_ms(line, y), Some(NOV1), "{line}");
        }
        assert_eq!(at_ms("2026-11-01 00:00:00.5 x", y), Some(NOV1 + 500));
        assert_eq!(
            at_ms("2026-11-01 00:00:00.123456789 x", y),
            Some(NOV1 + 123)
        );
        // A dash after the time that is not a zone leaves the time naive.
        assert_eq!(at_ms("2026-11-01 00:00:00 -x", y), Some(NOV1));
        for line in [
            "2026-13-01T00:00:00Z bad month",
            "2026-02-30 00:00:00 no such day",
            "2026-11-01T24:00:00Z bad hour",
            "2026-11-01",
            "20261101T000000Z",
            "",
        ] {
            assert_eq!(at_ms(line, y), None, "{line}");
        }
    }

    #[test]
    fn export_prefix_is_the_exact_export_shape() {
        assert_eq!(
            export_prefix(b"2026-11-01T00:00:00.000Z hello"),
            Some((NOV1, 25))
        );
        assert_eq!(export_prefix(b"2026-11-01T00:00:00.000Z\thello"), None);
        assert_eq!(export_prefix(b"2026-11-01T00:00:00Z hello"), None);
        assert_eq!(export_prefix(b"2026-11-01 00:00:00.000Z hello"), None);
        assert_eq!(
            lenient_prefix(b"2026-11-01T00:00:00Z hello"),
            Some((NOV1, 21))
        );
        assert_eq!(lenient_prefix(b"2026-11-01T00:00:00Z"), None);
    }

    #[test]
    fn bracketed_apache_and_ctime() {
        let y = &mut Years::new(NOV1, None);
        assert_eq!(
            at_ms(
                "83.149.9.216 - - [31/Oct/2026:17:00:00 -0700] \"GET / HTTP/1.1\" 200",
                y
            ),
            Some(NOV1)
        );
        assert_eq!(at_ms("[01/Nov/2026:00:00:00 +0000] first", y), Some(NOV1));
        assert_eq!(
            at_ms("[Sun Nov 01 00:00:00 2026] [notice] ok", y),
            Some(NOV1)
        );
        assert_eq!(at_ms("[Sun Nov  1 00:00:01 2026] x", y), Some(NOV1 + 1000));
        // Beyond the window, or not a date: none.
        let far = format!("{} [01/Nov/2026:00:00:00 +0000]", "x".repeat(160));
        assert_eq!(at_ms(&far, y), None);
        assert_eq!(at_ms("[INFO] [01/Nov/2026:00:00:00 +0000]", y), Some(NOV1));
        assert_eq!(at_ms("[main] starting", y), None);
    }

    #[test]
    fn iso_as_a_later_token_or_tab_separated() {
        let y = &mut Years::new(NOV1, None);
        assert_eq!(
            at_ms("http 2026-11-01T00:00:00.000000Z app/lb/1 1.2.3.4:5", y),
            Some(NOV1)
        );
        assert_eq!(
            at_ms(
                "nova-api.log.1.2017-05-16_13:53:08 2026-11-01 00:00:00.008 25746 INFO",
                y
            ),
            Some(NOV1 + 8)
        );
        assert_eq!(
            at_ms("2026-11-01\t00:00:00\tABC11-C1\t122254", y),
            Some(NOV1)
        );
        let far = format!("{} 2026-11-01T00:00:00Z", "x".repeat(64));
        assert_eq!(at_ms(&far, y), None);
    }

    /// A seeded stream of lines made of the pieces timestamps are made of: no recogniser may
    /// panic, and whatever they find lies between the years 0 and 9999.
    #[test]
    fn random_lines_never_panic() {
        const PIECES: [&str; 24] = [
            "2026",
            "-",
            "11",
            "01",
            "T",
            " ",
            ":",
            "00",
            ".",
            ",",
            "Z",
            "+01:00",
            "[",
            "]",
            "/",
            "Nov",
            "Dec",
            "Sun",
            "1793491200",
            "000",
            "\t",
            "9",
            "{\"time\":",
            "\"",
        ];
        let mut state: u64 = 1;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut found = 0;
        for _ in 0..50_000 {
            let n = (next() % 16) as usize;
            let line: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let y = &mut Years::new(NOV1, Some((next() % 9999) as i32 + 1));
            for ms in [
                at_ms(&line, y),
                text_time(&line),
                with_format(&line, "%b %d %H:%M:%S", y),
                export_prefix(line.as_bytes()).map(|(ms, _)| ms),
                lenient_prefix(line.as_bytes()).map(|(ms, _)| ms),
            ]
            .into_iter()
            .flatten()
            {
                found += 1;
                assert!(
                    (-62_167_219_200_000..=MAX_TIME_MS).contains(&ms),
                    "{line:?}: {ms}"
                );
            }
        }
        // The generator does make times, so the range check above is exercised.
        assert!(found > 100, "{found}");
    }

    #[test]
    fn epoch_first_tokens() {
        let y = &mut Years::new(NOV1, None);
        assert_eq!(at_ms("1793491200 up", y), Some(NOV1));
        assert_eq!(at_ms("1793491200.25\tup", y), Some(NOV1 + 250));
        assert_eq!(at_ms("1793491200000 up", y), Some(NOV1));
        assert_eq!(at_ms("1793491200000", y), Some(NOV1));
        assert_eq!(at_ms("179349120 short", y), None);
        assert_eq!(at_ms("17934912000 eleven", y), None);
        assert_eq!(at_ms("1793491200abc", y), None);
        assert_eq!(at_ms("2 123456789012 eni-0 vpc", y), None);
    }

    #[test]
    fn year_less_times_take_the_clock_year_or_the_last() {
        // On 2026-11-01, "Nov  1 00:00:00" is now and "Dec 31" would be the future: last year.
        let y = &mut Years::new(NOV1, None);
        assert_eq!(at_ms("Nov  1 00:00:00 host x", y), Some(NOV1));
        let dec31_2025 = civil_ms(2025, 12, 31, 23 * HOUR).unwrap();
        assert_eq!(at_ms("Dec 31 23:00:00 host x", y), Some(dec31_2025));
        assert_eq!(at_ms("11-01 00:00:00.250  17 x", y), Some(NOV1 + 250));
        assert_eq!(at_ms("26/11/01 00:00:00 INFO spark", y), Some(NOV1));
        assert_eq!(at_ms("26/13/01 00:00:00 no month 13", y), None);
        assert_eq!(at_ms("Nov 1 00:00:00 one-digit day unpadded", y), None);
        assert_eq!(at_ms("Foo 27 09:12:01 x", y), None);
    }

    #[test]
    fn explicit_year_advances_at_new_year() {
        let y = &mut Years::new(NOV1, Some(2020));
        assert_eq!(
            at_ms("Dec 31 23:59:59 h x", y),
            civil_ms(2020, 12, 31, 24 * HOUR - 1000)
        );
        assert_eq!(at_ms("Jan  1 00:00:01 h x", y), civil_ms(2021, 1, 1, 1000));
        // Going back a month is not a new year.
        assert_eq!(at_ms("Jan  1 00:00:02 h x", y), civil_ms(2021, 1, 1, 2000));
    }

    #[test]
    fn text_and_number_times() {
        assert_eq!(text_time("2026-11-01T00:00:00Z"), Some(NOV1));
        assert_eq!(text_time("2026-11-01 00:00:00.000000000"), Some(NOV1));
        assert_eq!(text_time("1793491200"), Some(NOV1));
        assert_eq!(text_time("redacted"), None);
        assert_eq!(text_time("2026-11-01T00:00:00Z trailing"), None);
        assert_eq!(number_time(1_793_491_200.0), Some(NOV1));
        assert_eq!(number_time(1_793_491_200_000.0), Some(NOV1));
        assert_eq!(number_time(1e300), None);
        assert_eq!(number_time(-5.0), None);
    }

    #[test]
    fn timestamp_rules_parse() {
        assert_eq!("now".parse::<TimestampRule>().unwrap(), TimestampRule::Now);
        assert_eq!(
            "eventTime".parse::<TimestampRule>().unwrap(),
            TimestampRule::Field("eventTime".into())
        );
        assert!(matches!(
            "%Y-%m-%d".parse::<TimestampRule>().unwrap(),
            TimestampRule::Format(_)
        ));
        assert!("%Q".parse::<TimestampRule>().is_err());
        assert!("".parse::<TimestampRule>().is_err());
    }

    #[test]
    fn strftime_formats() {
        let y = &mut Years::new(NOV1, None);
        assert_eq!(
            with_format("01/11/2026 00:00:00 x", "%d/%m/%Y %H:%M:%S", y),
            Some(NOV1)
        );
        assert_eq!(
            with_format("host [2026.11.01 01:00 +0100] x", "%Y.%m.%d %H:%M %z", y),
            Some(NOV1)
        );
        // No year: the same rule as syslog.
        assert_eq!(
            with_format("Dec 31 23:00 x", "%b %d %H:%M", y),
            civil_ms(2025, 12, 31, 23 * HOUR)
        );
        assert_eq!(with_format("1793491200 x", "%s", y), Some(NOV1));
        assert_eq!(with_format("nothing here", "%Y-%m-%d %H:%M", y), None);
    }
}
