//! From clusters to pattern rows: the template text with its named dynamic tokens, the token
//! values, the samples, the severity.

use std::collections::HashMap;

use super::drain::{self, Cluster, Slot};
use super::groups::{Group, Groups, Histogram, SAMPLES, Sample, Values};
use super::severity::Severity;
use super::tokens::TokenType;

/// A pattern, before it becomes a row.
#[derive(Clone, Debug, PartialEq)]
pub struct Built {
    /// The template: static tokens as written, dynamic ones as `<Type-N>`.
    pub pattern: String,
    /// The name of each dynamic token (`Number-1`) and the values seen there.
    pub dynamic: Vec<(String, Values)>,
    /// Events per window (current, baseline).
    pub counts: [u64; 2],
    pub severities: [u64; 6],
    pub samples: Vec<Sample>,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub histogram: Option<Histogram>,
}

impl Built {
    /// The most frequent severity of the pattern's events (the more severe on a tie).
    pub fn severity(&self) -> Option<Severity> {
        let (i, n) = self
            .severities
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
        (*n > 0).then(|| Severity::ALL[i])
    }

    /// `@tokens`: the dynamic tokens as the API's `PatternToken` structures (position, inferred
    /// name, and the values with their counts when there are at most 16 of them).
    pub fn tokens_json(&self) -> String {
        let tokens: Vec<serde_json::Value> = self
            .dynamic
            .iter()
            .enumerate()
            .map(|(i, (name, values))| {
                let mut t = serde_json::Map::new();
                t.insert("dynamicTokenPosition".into(), (i + 1).into());
                t.insert("inferredTokenName".into(), name.as_str().into());
                if let Values::Few(values) = values {
                    let mut sorted: Vec<&(String, u64)> = values.iter().collect();
                    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let map: serde_json::Map<String, serde_json::Value> = sorted
                        .into_iter()
                        .map(|(v, n)| (v.clone(), (*n).into()))
                        .collect();
                    t.insert("enumerations".into(), map.into());
                }
                serde_json::Value::Object(t)
            })
            .collect();
        serde_json::Value::Array(tokens).to_string()
    }

    /// `@logSamples`: the earliest events, as the API's `LogEvent` (epoch ms and message).
    pub fn samples_json(&self) -> String {
        let samples: Vec<serde_json::Value> = self
            .samples
            .iter()
            .map(|s| {
                let mut e = serde_json::Map::new();
                if let Some(ts) = s.time() {
                    e.insert("timestamp".into(), ts.into());
                }
                e.insert("message".into(), s.text.as_str().into());
                serde_json::Value::Object(e)
            })
            .collect();
        serde_json::Value::Array(samples).to_string()
    }

    fn absorb(&mut self, other: Built) {
        for (mine, theirs) in self.dynamic.iter_mut().zip(&other.dynamic) {
            mine.1.merge(&theirs.1);
        }
        for w in 0..2 {
            self.counts[w] += other.counts[w];
        }
        for s in 0..6 {
            self.severities[s] += other.severities[s];
        }
        self.samples.extend(other.samples);
        self.samples.sort();
        self.samples.truncate(SAMPLES);
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
        match (&mut self.histogram, other.histogram) {
            (Some(a), Some(b)) => a.merge(&b),
            (a @ None, b) => *a = b,
            _ => {}
        }
    }
}

/// Words before a status code that make a number between 100 and 599 a `StatusCode`.
const STATUS_WORDS: &[&str] = &[
    "status",
    "statuscode",
    "status_code",
    "code",
    "response",
    "http_status",
    "httpstatus",
];

/// Request methods that make a pattern an HTTP one.
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// The patterns of `groups`, most events first.
pub fn build(groups: Groups) -> Vec<Built> {
    let mut keyed: Vec<(Vec<u8>, Group)> = groups.groups.into_iter().collect();
    // Most events first, then by shape: the order Drain sees the groups in.
    keyed.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
    let groups: Vec<Group> = keyed.into_iter().map(|(_, g)| g).collect();
    let order: Vec<usize> = (0..groups.len()).collect();
    let clusters = drain::cluster(&groups, &order);
    let mut built: Vec<Built> = Vec::with_capacity(clusters.len());
    let mut by_text: HashMap<String, usize> = HashMap::new();
    for cluster in &clusters {
        let b = build_one(&groups, cluster);
        match by_text.get(&b.pattern) {
            Some(&at) => built[at].absorb(b),
            None => {
                by_text.insert(b.pattern.clone(), built.len());
                built.push(b);
            }
        }
    }
    built.sort_by(|a, b| {
        b.counts[0]
            .cmp(&a.counts[0])
            .then(b.counts[1].cmp(&a.counts[1]))
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    built
}

fn build_one(groups: &[Group], cluster: &Cluster) -> Built {
    let members: Vec<&Group> = cluster.members.iter().map(|&m| &groups[m]).collect();
    // The member with the earliest sample gives the spacing between tokens.
    let rep = members
        .iter()
        .copied()
        .min_by(|a, b| a.samples.first().cmp(&b.samples.first()))
        .unwrap_or(members[0]);
    let text = rep.rep();
    let statics: Vec<Option<&str>> = (0..cluster.slots.len())
        .map(|i| (cluster.slots[i] == Slot::Static).then(|| rep.token(i)))
        .collect();
    let http = statics
        .iter()
        .flatten()
        .any(|t| t.starts_with("HTTP/") || HTTP_METHODS.contains(t));
    let mut pattern = String::new();
    let mut dynamic = Vec::new();
    for i in 0..cluster.slots.len() {
        if i > 0 {
            let gap = text
                .get(rep.spans[i - 1].1 as usize..rep.spans[i].0 as usize)
                .unwrap_or(" ");
            pattern.push_str(gap);
        }
        match statics[i] {
            Some(token) => pattern.push_str(token),
            None => {
                let mut values: Option<Values> = None;
                for m in &members {
                    let v = match &m.values[i] {
                        Some(v) if m.varies[i] => v.clone(),
                        _ => Values::one(m.token(i), m.total()),
                    };
                    match &mut values {
                        Some(all) => all.merge(&v),
                        None => values = Some(v),
                    }
                }
                let values = values.unwrap_or(Values::Many);
                let kind = match drain::dynamic_type(cluster.types[i]) {
                    Some(TokenType::Number) if is_status(&values, http, &statics[..i]) => {
                        "StatusCode"
                    }
                    Some(t) => t.name(),
                    None => "Token",
                };
                let name = format!("{kind}-{}", dynamic.len() + 1);
                pattern.push('<');
                pattern.push_str(&name);
                pattern.push('>');
                dynamic.push((name, values));
            }
        }
    }
    let mut built = Built {
        pattern,
        dynamic,
        counts: [0; 2],
        severities: [0; 6],
        samples: Vec::new(),
        first: None,
        last: None,
        histogram: None,
    };
    for m in members {
        built.absorb(Built {
            pattern: String::new(),
            dynamic: Vec::new(),
            counts: m.counts,
            severities: m.severity,
            samples: m.samples.clone(),
            first: m.first,
            last: m.last,
            histogram: m.histogram.clone(),
        });
    }
    built
}

/// Whether a number token is an HTTP status: every value a whole number from 100 to 599, in a
/// pattern with an `HTTP/` token or a request method, or right after a status word
/// (`status=`, `"code":`).
fn is_status(values: &Values, http: bool, before: &[Option<&str>]) -> bool {
    let Values::Few(values) = values else {
        return false;
    };
    let codes = values
        .iter()
        .all(|(v, _)| v.len() == 3 && v.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c)));
    let word_before = before
        .iter()
        .rev()
        .take(4)
        .flatten()
        .find(|t| t.bytes().any(|c| c.is_ascii_alphanumeric()))
        .is_some_and(|w| STATUS_WORDS.iter().any(|s| w.eq_ignore_ascii_case(s)));
    codes && (http || word_before)
}

#[cfg(test)]
mod tests {
    use super::super::groups::{BASELINE, CURRENT};
    use super::*;

    fn patterns(lines: &[&str]) -> Vec<(String, u64)> {
        let mut g = Groups::default();
        for (i, l) in lines.iter().enumerate() {
            g.add(l, Some(i as i64), CURRENT);
        }
        build(g)
            .into_iter()
            .map(|b| (b.pattern, b.counts[0]))
            .collect()
    }

    #[test]
    fn the_aws_example_is_one_pattern_with_a_time_and_an_id() {
        let p = patterns(&[
            "2023-01-01 19:00:01 [INFO] Calling DynamoDB to store for resource id 12342342k124-12345",
            "2023-01-01 19:00:02 [INFO] Calling DynamoDB to store for resource id 324892398123-12345",
            "2023-01-01 19:00:03 [INFO] Calling DynamoDB to store for resource id 3ff231242342-12345",
        ]);
        assert_eq!(
            p,
            [(
                "<Time-1> [INFO] Calling DynamoDB to store for resource id <ID-2>".to_owned(),
                3
            )]
        );
    }

    #[test]
    fn names_status_codes_and_keeps_constant_tokens() {
        let p = patterns(&[
            "GET /a HTTP/1.1 200 12ms",
            "GET /b HTTP/1.1 404 3ms",
            "GET /c HTTP/1.1 200 5ms",
            "request status=200 port 443",
            "request status=503 port 443",
        ]);
        assert_eq!(
            p,
            [
                (
                    "GET <Token-1> HTTP/1.1 <StatusCode-2> <Number-3>".to_owned(),
                    3
                ),
                ("request status=<StatusCode-1> port 443".to_owned(), 2),
            ]
        );
    }

    #[test]
    fn first_words_that_vary_still_make_one_pattern() {
        let p = patterns(&[
            "alice logged in from 10.0.0.1",
            "bob logged in from 10.0.0.2",
            "carol logged in from 10.0.0.2",
            "Starting server",
            "Stopping server",
        ]);
        assert_eq!(
            p,
            [
                ("<Token-1> logged in from <IPAddress-2>".to_owned(), 3),
                ("Starting server".to_owned(), 1),
                ("Stopping server".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn tokens_samples_and_severity() {
        let mut g = Groups::default();
        g.add("ERROR code 7 in job 1", Some(5), CURRENT);
        g.add("ERROR code 7 in job 2", Some(3), CURRENT);
        g.add("ERROR code 7 in job 2", Some(9), BASELINE);
        let b = &build(g)[0];
        assert_eq!(b.pattern, "ERROR code 7 in job <Number-1>");
        assert_eq!(b.counts, [2, 1]);
        assert_eq!(b.severity(), Some(Severity::Error));
        assert_eq!(
            b.tokens_json(),
            r#"[{"dynamicTokenPosition":1,"inferredTokenName":"Number-1","enumerations":{"2":2,"1":1}}]"#
        );
        assert_eq!(
            b.samples_json(),
            r#"[{"timestamp":3,"message":"ERROR code 7 in job 2"},{"timestamp":5,"message":"ERROR code 7 in job 1"},{"timestamp":9,"message":"ERROR code 7 in job 2"}]"#
        );
        assert_eq!((b.first, b.last), (Some(3), Some(5)));
    }
}
