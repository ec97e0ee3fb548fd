//! Field auto-discovery, as Logs Insights does it for JSON events.
//!
//! A JSON object event exposes every leaf as a field named by its dotted path, with array
//! positions as path segments (`items.0.id`); a top-level key that starts with `@` gets a second
//! `@` (`@@key`) so it cannot shadow a system field; at most [`MAX_FIELDS_PER_EVENT`] leaves are
//! exposed, in document order, depth first; JSON `null` is a missing field. Numbers keep their
//! token text (`1.50` stays `1.50`, as spec §2.4 recommends); strings are unescaped. A key that
//! appears twice yields two leaves of one name (consumers keep the last, as a JSON parser would).
//!
//! A message that is not a JSON object but has the Lambda text shape
//! (`timestamp\trequestId\tLEVEL\t... {...}`) exposes its first balanced `{...}` fragment the
//! same way (spec §2.4). Messages in AWS service formats get their documented fields from the
//! recognizers in [`aws`]: Lambda platform lines (`START`/`END`/`REPORT`, with the `XRAY`
//! line), VPC flow logs (default version 2 format) and Route 53 public DNS query logs.
//! CloudTrail records are JSON and flatten as such.

pub mod aws;

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
    // Validate first (no allocation), then walk the text: leaves keep their token text.
    if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
        return;
    }
    let mut walk = Walk {
        b: json.as_bytes(),
        text: json,
        pos: 0,
        budget: MAX_FIELDS_PER_EVENT,
    };
    let mut path = String::new();
    walk.object(&mut path, true, &mut visit);
}

/// A walk over JSON text that `serde_json` has already validated (so its depth is bounded by
/// serde's recursion limit). Every access is still bounds-checked: a surprise ends the walk,
/// never panics.
struct Walk<'a> {
    b: &'a [u8],
    text: &'a str,
    pos: usize,
    budget: usize,
}

impl<'a> Walk<'a> {
    fn ws(&mut self) {
        while self.b.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    /// A string token at `pos`: its raw content (between the quotes) and whether it has escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match *self.b.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        Some((self.text.get(start..i)?, escaped))
    }

    fn unescape(raw: &str, escaped: bool) -> Option<std::borrow::Cow<'_, str>> {
        if !escaped {
            return Some(std::borrow::Cow::Borrowed(raw));
        }
        serde_json::from_str::<String>(&format!("\"{raw}\""))
            .ok()
            .map(std::borrow::Cow::Owned)
    }

    /// Returns false once the walk must stop (budget spent or unexpected text).
    fn object(
        &mut self,
        path: &mut String,
        top: bool,
        visit: &mut impl FnMut(&str, Leaf<'_>),
    ) -> bool {
        if self.peek() != Some(b'{') {
            return false;
        }
        self.pos += 1;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return true;
        }
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some((raw, escaped)) = self.string() else {
                return false;
            };
            let Some(key) = Self::unescape(raw, escaped) else {
                return false;
            };
            if self.peek() != Some(b':') {
                return false;
            }
            self.pos += 1;
            let len = path.len();
            if top {
                if key.starts_with('@') {
                    path.push('@');
                }
            } else {
                path.push('.');
            }
            path.push_str(&key);
            let go_on = self.value(path, visit);
            path.truncate(len);
            if !go_on {
                return false;
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn array(&mut self, path: &mut String, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
        self.pos += 1;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return true;
        }
        let mut index = 0usize;
        loop {
            let len = path.len();
            path.push('.');
            path.push_str(&index.to_string());
            let go_on = self.value(path, visit);
            path.truncate(len);
            if !go_on {
                return false;
            }
            index += 1;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn leaf(&mut self, path: &str, leaf: Leaf<'_>, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
        visit(path, leaf);
        self.budget -= 1;
        self.budget > 0
    }

    fn value(&mut self, path: &mut String, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
        match self.peek() {
            Some(b'{') => self.object(path, false, visit),
            Some(b'[') => self.array(path, visit),
            Some(b'"') => {
                let Some((raw, escaped)) = self.string() else {
                    return false;
                };
                let Some(text) = Self::unescape(raw, escaped) else {
                    return false;
                };
                self.leaf(path, Leaf::Str(&text), visit)
            }
            Some(b't') => {
                self.pos += 4;
                self.leaf(path, Leaf::Bool(true), visit)
            }
            Some(b'f') => {
                self.pos += 5;
                self.leaf(path, Leaf::Bool(false), visit)
            }
            Some(b'n') => {
                self.pos += 4;
                true
            }
            Some(_) => {
                let start = self.pos;
                while self
                    .b
                    .get(self.pos)
                    .is_some_and(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.pos += 1;
                }
                match self.text.get(start..self.pos) {
                    Some(num) if !num.is_empty() => self.leaf(path, Leaf::Num(num), visit),
                    _ => false,
                }
            }
            None => false,
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
    fn leaves_keep_their_token_text_and_strings_are_unescaped() {
        let got = fields(
            r#" {"a":1.50,"b":1e3,"s":"q\"x\u00e9","@x":true,"n":null,"arr":[[1],{"k":-0.0}],"e":{},"z":[]} "#,
        );
        let want = [
            ("a", "1.50"),
            ("b", "1e3"),
            ("s", "q\"xé"),
            ("@@x", "true"),
            ("arr.0.0", "1"),
            ("arr.1.k", "-0.0"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    /// The walk agrees with a plain `serde_json::Value` flattening on names, strings and
    /// numeric values.
    #[test]
    fn agrees_with_serde_json() {
        fn flat(path: String, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::Bool(b) => out.push((path, b.to_string())),
                serde_json::Value::Number(n) => out.push((path, n.as_f64().unwrap().to_string())),
                serde_json::Value::String(s) => out.push((path, s.clone())),
                serde_json::Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        flat(format!("{path}.{i}"), x, out);
                    }
                }
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        let p = if path.is_empty() {
                            if k.starts_with('@') {
                                format!("@{k}")
                            } else {
                                k.clone()
                            }
                        } else {
                            format!("{path}.{k}")
                        };
                        flat(p, x, out);
                    }
                }
            }
        }
        for msg in [
            r#"{"level":"ERROR","http":{"status":503,"ok":false},"items":[{"id":"a"},{"id":"b"}]}"#,
            r#"{"a":[1,[2,[3,{"b":"\n\t\\"}]]],"c":-12.5e-3,"d":"\ud83d\ude00"}"#,
            r#"{"@timestamp":"x","@@y":1,"k.dot":true,"":"empty key"}"#,
        ] {
            let mut want = Vec::new();
            flat(
                String::new(),
                &serde_json::from_str(msg).unwrap(),
                &mut want,
            );
            let got: Vec<(String, String)> = fields(msg)
                .into_iter()
                .map(|(k, v)| {
                    let v = match v.parse::<f64>() {
                        Ok(f) if !v.starts_with(char::is_alphabetic) => f.to_string(),
                        _ => v,
                    };
                    (k, v)
                })
                .collect();
            assert_eq!(got, want, "{msg}");
        }
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
