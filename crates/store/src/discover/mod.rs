//! Field auto-discovery, as Logs Insights does it for JSON events.
//!
//! A JSON object event exposes every leaf as a field named by its dotted path, with array
//! positions as path segments (`items.0.id`); a top-level key that starts with `@` gets a second
//! `@` (`@@key`) so it cannot shadow a system field; at most [`MAX_FIELDS_PER_EVENT`] leaves are
//! exposed, in document order, depth first; JSON `null` is a missing field.
//!
//! A message that is not a JSON object but has the Lambda text shape
//! (`timestamp\trequestId\tLEVEL\t... {...}`) exposes its first balanced `{...}` fragment the
//! same way (spec §2.4). Messages in AWS service formats get their documented fields from the
//! recognizers in [`aws`]: Lambda platform lines (`START`/`END`/`REPORT`, with the `XRAY`
//! line), VPC flow logs (default version 2 format) and Route 53 public DNS query logs.
//! CloudTrail records are JSON and flatten as such.

pub mod aws;

use serde_json::Value;

/// AWS exposes at most this many discovered fields per event.
pub const MAX_FIELDS_PER_EVENT: usize = 200;

/// A discovered value with the JSON type it came with; text is as Insights shows it (strings
/// unquoted, numbers as their JSON token text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Leaf<'a> {
    Str(&'a str),
    Num(&'a str),
    Bool(bool),
}

impl<'a> Leaf<'a> {
    /// The value's text as Insights shows it.
    pub fn text(&self) -> &'a str {
        match self {
            Leaf::Str(s) | Leaf::Num(s) => s,
            Leaf::Bool(true) => "true",
            Leaf::Bool(false) => "false",
        }
    }
}

/// Calls `visit(name, text)` for each discovered field of `message`, where `text` is the leaf's
/// value as Insights shows it (strings unquoted, numbers and booleans as JSON text).
pub fn discover_fields(message: &str, mut visit: impl FnMut(&str, &str)) {
    discover_typed(message, |name, leaf| visit(name, leaf.text()));
}

/// Like [`discover_fields`], keeping each leaf's JSON type.
pub fn discover_typed(message: &str, mut visit: impl FnMut(&str, Leaf<'_>)) {
    let trimmed = message.trim();
    let json = if trimmed.starts_with('{') {
        trimmed
    } else if aws::recognize(message, &mut visit) {
        return;
    } else if let Some(fragment) = lambda_json_fragment(message) {
        fragment
    } else {
        return;
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return;
    };
    let mut budget = MAX_FIELDS_PER_EVENT;
    let mut path = String::new();
    for (key, value) in &map {
        path.clear();
        if key.starts_with('@') {
            path.push('@');
        }
        path.push_str(key);
        flatten(&mut path, value, &mut budget, &mut visit);
        if budget == 0 {
            break;
        }
    }
}

/// The first balanced `{...}` of a Lambda-format text line
/// (`2026-01-01T00:00:00.000Z\t<request id>\tINFO\t... {...}`), if it has that shape.
fn lambda_json_fragment(message: &str) -> Option<&str> {
    let open = message.find('{')?;
    let prefix = &message[..open];
    let mut parts = prefix.split('\t');
    let first = parts.next()?;
    if !first.as_bytes().first().is_some_and(u8::is_ascii_digit) || parts.count() < 3 {
        return None;
    }
    let bytes = message.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&message[open..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

fn flatten(
    path: &mut String,
    value: &Value,
    budget: &mut usize,
    visit: &mut impl FnMut(&str, Leaf<'_>),
) {
    if *budget == 0 {
        return;
    }
    let mut child = |path: &mut String, segment: &str, value: &Value| {
        let len = path.len();
        path.push('.');
        path.push_str(segment);
        flatten(path, value, budget, visit);
        path.truncate(len);
    };
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            *budget -= 1;
            visit(path, Leaf::Bool(*b));
        }
        Value::Number(n) => {
            *budget -= 1;
            visit(path, Leaf::Num(&n.to_string()));
        }
        Value::String(s) => {
            *budget -= 1;
            visit(path, Leaf::Str(s));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                child(path, &i.to_string(), item);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                child(path, key, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(msg: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        discover_fields(msg, |k, v| out.push((k.to_owned(), v.to_owned())));
        out
    }

    #[test]
    fn flattens_like_insights() {
        let got = fields(
            r#"{"level":"ERROR","http":{"status":503,"ok":false},"items":[{"id":"a"},{"id":"b"}],"@ts":"x","n":null}"#,
        );
        let want = [
            ("level", "ERROR"),
            ("http.status", "503"),
            ("http.ok", "false"),
            ("items.0.id", "a"),
            ("items.1.id", "b"),
            ("@@ts", "x"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn lambda_text_lines_expose_their_first_json_fragment() {
        let got =
            fields("2026-01-01T00:00:00.000Z\tc0ffee\tINFO\tdone {\"a\":{\"b\":\"}\"}} {\"c\":2}");
        assert_eq!(got, [("a.b".to_string(), "}".to_string())]);
        let got = fields("2026-01-01T00:00:00.000Z\tc0ffee\tERROR\t{\"err\":1}");
        assert_eq!(got, [("err".to_string(), "1".to_string())]);
        // Not Lambda-shaped: the JSON inside text stays undiscovered.
        assert!(fields("note {\"a\":1}").is_empty());
        assert!(fields("2026-01-01T00:00:00Z\tx\tINFO\t{unbalanced").is_empty());
    }

    #[test]
    fn text_and_broken_json_discover_nothing() {
        assert!(fields("plain text {\"a\":1}").is_empty());
        assert!(fields("{not json").is_empty());
        assert!(fields("[1,2]").is_empty());
    }

    #[test]
    fn caps_fields_per_event() {
        let body: Vec<String> = (0..250).map(|i| format!("\"f{i}\":{i}")).collect();
        let got = fields(&format!("{{{}}}", body.join(",")));
        assert_eq!(got.len(), MAX_FIELDS_PER_EVENT);
        assert_eq!(got[199], ("f199".to_string(), "199".to_string()));
    }
}
