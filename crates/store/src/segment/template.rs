//! JSON messages stored as templates: the text around the leaf values, with the values taken
//! from the block's field columns. A JSON log line is mostly its values; keeping them once (in
//! typed columns) instead of twice is what lets a segment beat a general-purpose compressor.
//!
//! The writer uses a template only when rendering it from the stored values gives back the
//! message byte for byte; everything else is stored raw. So the scanner below may be simple:
//! a mistake costs space, never correctness.

use super::Value;

/// The pieces of text between the leaf value tokens of a JSON object message (one more piece
/// than slots). `None` when `message` is not a single JSON object, or a string value has an
/// escape (its stored value would not give back its text).
pub(crate) fn split_json(message: &str) -> Option<Vec<&str>> {
    #[derive(PartialEq)]
    enum Ctx {
        Object { expect_key: bool },
        Array,
    }
    let b = message.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut stack: Vec<Ctx> = Vec::new();
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    fn slot<'m>(
        message: &'m str,
        start: usize,
        end: usize,
        pieces: &mut Vec<&'m str>,
        piece_start: &mut usize,
    ) {
        pieces.push(&message[*piece_start..start]);
        *piece_start = end;
    }
    loop {
        let &c = b.get(i)?;
        match c {
            b'{' => {
                stack.push(Ctx::Object { expect_key: true });
                i += 1;
            }
            b'[' => {
                stack.push(Ctx::Array);
                i += 1;
            }
            b'}' | b']' => {
                stack.pop()?;
                i += 1;
                if stack.is_empty() {
                    break;
                }
            }
            b',' => {
                if let Some(Ctx::Object { expect_key }) = stack.last_mut() {
                    *expect_key = true;
                }
                i += 1;
            }
            b':' => {
                if let Some(Ctx::Object { expect_key }) = stack.last_mut() {
                    *expect_key = false;
                }
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                let mut escaped = false;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        escaped = true;
                        j += 1;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return None;
                }
                let is_key = matches!(stack.last(), Some(Ctx::Object { expect_key: true }));
                if !is_key {
                    if escaped {
                        return None;
                    }
                    slot(message, i, j + 1, &mut pieces, &mut piece_start);
                }
                i = j + 1;
            }
            b'-' | b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && matches!(b[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    j += 1;
                }
                slot(message, i, j, &mut pieces, &mut piece_start);
                i = j;
            }
            b't' | b'f' => {
                let word: &[u8] = if c == b't' { b"true" } else { b"false" };
                if !b[i..].starts_with(word) {
                    return None;
                }
                slot(message, i, i + word.len(), &mut pieces, &mut piece_start);
                i += word.len();
            }
            b'n' => {
                if !b[i..].starts_with(b"null") {
                    return None;
                }
                i += 4;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => return None,
        }
    }
    if !b[i..].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    pieces.push(&message[piece_start..]);
    Some(pieces)
}

/// A value's token text inside a JSON message.
pub(crate) fn push_token(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&super::format_float(*f)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

/// Renders pieces and slot values back into a message.
pub(crate) fn render<'v, S: AsRef<str>>(
    pieces: &[S],
    mut values: impl Iterator<Item = Option<&'v Value>>,
) -> Option<String> {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        out.push_str(p.as_ref());
        if i + 1 < pieces.len() {
            push_token(&mut out, values.next()??);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_around_values() {
        let p = split_json(r#" {"a": "x", "b":[1, -2.5e3, true], "c":null, "d":{"e":false}} "#)
            .unwrap();
        assert_eq!(
            p,
            [
                r#" {"a": "#,
                r#", "b":["#,
                ", ",
                ", ",
                r#"], "c":null, "d":{"e":"#,
                "}} "
            ]
        );
        assert!(split_json(r#"{"a":"q\"uote"}"#).is_none());
        assert!(split_json(r#"{"a":1} trailing"#).is_none());
        assert!(split_json("not json").is_none());
        assert!(split_json(r#"{"a":[1,2"#).is_none());
        let vals = [Value::Str("x".into()), Value::Int(7)];
        assert_eq!(
            render(&["{\"a\":", ",\"b\":", "}"], vals.iter().map(Some)).as_deref(),
            Some(r#"{"a":"x","b":7}"#)
        );
    }
}
