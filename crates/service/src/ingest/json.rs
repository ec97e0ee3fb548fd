//! JSON inputs: the time a JSON line names, and JSON documents.
//!
//! A JSON *document* (pretty-printed, or several concatenated) is read whole and becomes events
//! by its shape:
//!
//! | shape | events |
//! |---|---|
//! | `{"Records": [...]}` (CloudTrail, S3/SQS/SNS/Kinesis notifications) | one per element of `Records` |
//! | `{"messageType": ..., "logEvents": [...]}` (a decoded CloudWatch Logs subscription payload) | one per log event, with its own `timestamp` and `message`, in the payload's `logStream` |
//! | `[...]` | one per element |
//! | any other value | one event |
//!
//! Elements become compact JSON with their keys in the order written (a string element is
//! the event's text as is); a log event's `message` is kept exactly.

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::time::{number_time, text_time};
use crate::error::{Result, ServiceError};

/// JSON fields that carry an event's time; the first of them in an object that holds a time
/// wins.
pub(crate) const TIME_FIELDS: [&str; 5] = ["@timestamp", "timestamp", "time", "eventTime", "ts"];

/// A time field's value, read without building a `Value`: `None` when it is not a time.
struct JsonTime(Option<i64>);

impl<'de> Deserialize<'de> for JsonTime {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<JsonTime, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = JsonTime;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a time")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(text_time(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(number_time(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(number_time(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(number_time(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(None))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<JsonTime, E> {
        Ok(JsonTime(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<JsonTime, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JsonTime(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<JsonTime, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonTime(None))
    }
}

/// Which of [`TIME_FIELDS`] a key is, read without allocating.
struct TimeKey(bool);

impl<'de> Deserialize<'de> for TimeKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<TimeKey, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = TimeKey;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<TimeKey, E> {
        Ok(TimeKey(TIME_FIELDS.contains(&v)))
    }
}

/// Walks a top-level object until the first time field that holds a time; it then stops the
/// parse (with an error that only says so), so the rest of a long line is never read.
struct FirstTime<'a>(&'a std::cell::Cell<Option<i64>>);

impl<'de> Visitor<'de> for FirstTime<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(TimeKey(is_time)) = map.next_key()? {
            if !is_time {
                map.next_value::<IgnoredAny>()?;
            } else if let JsonTime(Some(ms)) = map.next_value()? {
                self.0.set(Some(ms));
                return Err(de::Error::custom("found"));
            }
        }
        Ok(())
    }
}

/// The time a JSON object line names: the first of [`TIME_FIELDS`] at its top level, in the
/// order written, that holds a time. Only the line up to that field is parsed.
pub(crate) fn line_time(line: &[u8]) -> Option<i64> {
    use serde::Deserializer as _;
    let found = std::cell::Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(line);
    let _ = de.deserialize_map(FirstTime(&found));
    found.get()
}

/// A JSON value as a time: text as [`text_time`], a number as seconds or milliseconds.
pub(crate) fn value_time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => text_time(s),
        Value::Number(n) => n.as_f64().and_then(number_time),
        _ => None,
    }
}

/// The time an object names: the first of [`TIME_FIELDS`], in the order written, that holds one.
pub(crate) fn object_time(v: &Value) -> Option<i64> {
    let Value::Object(map) = v else {
        return None;
    };
    map.iter()
        .filter(|(k, _)| TIME_FIELDS.contains(&k.as_str()))
        .find_map(|(_, v)| value_time(v))
}

/// The value at `path`: a key as written, else a dotted path (`a.b.0.c`).
pub(crate) fn field<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(found) = v.get(path) {
        return Some(found);
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Whether `v` is a wrapper whose elements are the events (`Records`, `logEvents`).
pub(crate) fn is_wrapper(v: &Value) -> bool {
    v.get("Records").is_some_and(Value::is_array)
        || (v.get("logEvents").is_some_and(Value::is_array) && v.get("messageType").is_some())
}

/// One event of a document.
#[derive(Debug)]
pub(crate) enum Record<'v> {
    /// An element of a subscription payload's `logEvents` (its `timestamp` and `message`) and
    /// the payload's `logStream`.
    LogEvent(&'v Value, Option<&'v str>),
    /// A JSON value that is the event.
    Json(&'v Value),
}

/// The events of the JSON document(s) in `text`, in order, to `emit`. With `records_only`
/// (`--format cloudtrail`), every document must be a `{"Records": [...]}` wrapper.
pub(crate) fn documents(
    text: &[u8],
    records_only: bool,
    mut emit: impl FnMut(Record<'_>) -> Result<()>,
) -> Result<()> {
    let what = if records_only {
        "not a CloudTrail log file"
    } else {
        "not valid JSON"
    };
    for doc in serde_json::Deserializer::from_slice(text).into_iter::<Value>() {
        let doc = doc.map_err(|e| ServiceError::Input(format!("{what}: {e}")))?;
        if let Some(Value::Array(records)) = doc.get("Records") {
            for r in records {
                emit(Record::Json(r))?;
            }
            continue;
        }
        if records_only {
            return Err(ServiceError::Input(format!("{what}: no \"Records\" array")));
        }
        match &doc {
            Value::Array(items) => {
                for item in items {
                    emit(Record::Json(item))?;
                }
            }
            _ if is_wrapper(&doc) => {
                let stream = doc.get("logStream").and_then(Value::as_str);
                if let Some(Value::Array(events)) = doc.get("logEvents") {
                    for e in events {
                        emit(Record::LogEvent(e, stream))?;
                    }
                }
            }
            _ => emit(Record::Json(&doc))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV1: i64 = 1_793_491_200_000;

    #[test]
    fn line_times_first_written_and_by_type() {
        assert_eq!(
            line_time(br#"{"ts":1793491200,"@timestamp":5}"#),
            Some(NOV1)
        );
        assert_eq!(line_time(br#"{"x":"\"}","time":1793491200}"#), Some(NOV1));
        assert_eq!(line_time(br#"{"\u0074ime":1793491200}"#), Some(NOV1));
        // The parse stops at the time: what follows it is not read.
        assert_eq!(line_time(br#"{"time":1793491200, not json"#), Some(NOV1));
        assert_eq!(
            line_time(br#"{"a":{"time":1},"time":"2026-11-01T00:00:00Z"}"#),
            Some(NOV1)
        );
        assert_eq!(line_time(br#"{"ts":1793491200}"#), Some(NOV1));
        assert_eq!(
            line_time(br#"{"@timestamp":1793491200000,"time":5}"#),
            Some(NOV1)
        );
        // A field without a usable time gives way to the next.
        assert_eq!(
            line_time(br#"{"timestamp":"redacted","eventTime":"2026-11-01T00:00:00Z"}"#),
            Some(NOV1)
        );
        assert_eq!(line_time(br#"{"time":null,"x":[1,{"y":2}]}"#), None);
        assert_eq!(line_time(br#"{"msg":"no time"}"#), None);
        assert_eq!(line_time(br#"{"time": "2026-11-01T00:00:00Z""#), Some(NOV1));
        assert_eq!(line_time(br#"{"time": "2026-11-01T00:00:0"#), None);
        assert_eq!(line_time(br#"{"a": [1, {"time":1793491200}], "b": "#), None);
        assert_eq!(line_time(b"[1,2]"), None);
    }

    #[test]
    fn fields_by_key_or_dotted_path() {
        let v: Value = serde_json::from_str(r#"{"a.b":1,"a":{"b":2,"c":[{"d":3}]}}"#).unwrap();
        assert_eq!(field(&v, "a.b"), Some(&Value::from(1)));
        assert_eq!(field(&v, "a.c.0.d"), Some(&Value::from(3)));
        assert_eq!(field(&v, "a.x"), None);
    }

    fn shapes(text: &str, records_only: bool) -> Result<Vec<String>> {
        let mut out = Vec::new();
        documents(text.as_bytes(), records_only, |r| {
            out.push(match r {
                Record::LogEvent(v, stream) => format!("log:{}@{stream:?}", v["message"]),
                Record::Json(v) => format!("json:{v}"),
            });
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn document_shapes() {
        assert_eq!(
            shapes(
                "{\"Records\": [{\"a\":1},\n {\"b\":2}]}\n{\"Records\":[]}",
                false
            )
            .unwrap(),
            ["json:{\"a\":1}", "json:{\"b\":2}"]
        );
        assert_eq!(
            shapes(
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1,"message":"m"}]}"#,
                false
            )
            .unwrap(),
            ["log:\"m\"@None"]
        );
        assert_eq!(
            shapes("[1, \"x\"]", false).unwrap(),
            ["json:1", "json:\"x\""]
        );
        assert_eq!(
            shapes("{\n  \"z\": 1,\n  \"a\": 2\n}\n", false).unwrap(),
            ["json:{\"z\":1,\"a\":2}"]
        );
        assert!(shapes("{\"a\":1}", true).is_err());
        let err = shapes("{\"a\":\n", false).unwrap_err().to_string();
        assert!(
            err.contains("not valid JSON") && err.contains("line 2"),
            "{err}"
        );
    }
}
