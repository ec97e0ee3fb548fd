//! JSON / structure functions (spec §5.7) and member access (`x.key`, ``x.`odd.key` ``, `x[n]`).
//!
//! Representation: Insights' "structure" values (maps and lists from `jsonParse`, `parse ...
//! logfmt`, `split`) are kept as **compact JSON text in a `Utf8` column**, not as Arrow structs
//! or lists. Events differ in shape row by row, which a fixed Arrow type cannot hold, and text
//! needs no new type anywhere else in the engine: it sorts, renders and compares like any string.
//! The costs, accepted for now: member access re-parses the text on every row, a string that
//! happens to hold JSON text can be traversed like a map, and structure values are not treated
//! as null by string/number functions (spec §2.1) — they are their JSON text.
//!
//! - `jsonParse(s)`: the normalised (compact) text of a JSON object or array; a JSON scalar
//!   gives its leaf text; anything that is not JSON is missing.
//! - `x.key` / `x[n]` ([`get`]): the member of an object, or the element `n` (0-based) of an
//!   array (a key that is a number also indexes an array, like flattened `items.0`). Leaves come
//!   back as text: strings unquoted, numbers and booleans as their JSON text, objects and arrays
//!   as compact JSON, JSON `null` as missing.
//! - `jsonStringify(x)`: the JSON text of a structure, which is already its value here.
//! - `jsonArraySize(s)`, `jsonArrayContains(s, v)`.
//!
//! [`elements`] (the rows `unnest`/`expand` emit) and [`logfmt`] (the map `parse ... logfmt`
//! builds) live here too, as they share the representation.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Int64Builder, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    lit,
};
use serde_json::{Map, Value};

use super::Call;

pub(crate) const NAMES: &[&str] = &[
    "jsonparse",
    "jsonstringify",
    "jsonarraysize",
    "jsonarraycontains",
];

/// Which structure function a [`JsonUdf`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonFn {
    /// `jsonParse(s)` → normalised JSON text.
    Parse,
    /// `get(s, key, ...)` → the member or element as text (member and index access), one parse
    /// for a whole chain of keys.
    Get,
    /// `jsonArraySize(s)` → element count.
    ArraySize,
    /// `jsonArrayContains(s, v)` → whether an element equals `v`.
    ArrayContains,
    /// `elements(s)` → `List<Utf8>`, the rows `unnest` emits.
    Elements,
    /// `ordinals(s)` → `List<Int64>`: `0..n` for the `n` elements, to keep them in order.
    Ordinals,
    /// `logfmt(s)` → a JSON object of the `key=value` pairs.
    Logfmt,
}

impl JsonFn {
    fn name(self) -> &'static str {
        match self {
            JsonFn::Parse => "jsonParse",
            JsonFn::Get => "jsonGet",
            JsonFn::ArraySize => "jsonArraySize",
            JsonFn::ArrayContains => "jsonArrayContains",
            JsonFn::Elements => "jsonElements",
            JsonFn::Ordinals => "jsonOrdinals",
            JsonFn::Logfmt => "logfmt",
        }
    }

    fn arity(self) -> usize {
        match self {
            JsonFn::Get | JsonFn::ArrayContains => 2,
            _ => 1,
        }
    }
}

/// One structure function over `Utf8` arguments (see [`JsonFn`]).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonUdf {
    function: JsonFn,
    signature: Signature,
}

impl JsonUdf {
    pub fn udf(function: JsonFn) -> ScalarUDF {
        let signature = match function {
            JsonFn::Get => Signature::variadic(vec![DataType::Utf8], Volatility::Immutable),
            _ => Signature::exact(
                vec![DataType::Utf8; function.arity()],
                Volatility::Immutable,
            ),
        };
        ScalarUDF::new_from_impl(JsonUdf {
            function,
            signature,
        })
    }

    /// `function` called on `args`, each cast to `Utf8`.
    pub fn call(function: JsonFn, args: Vec<Expr>) -> Expr {
        let args = args.into_iter().map(|a| cast(a, DataType::Utf8)).collect();
        Self::udf(function).call(args)
    }
}

/// `value[key]` as text: a member of an object, or element `key` of an array.
pub fn get(value: &str, key: &str) -> Option<String> {
    get_path(value, &[key])
}

/// `value[k1][k2]...` as text, parsing `value` once.
pub fn get_path(value: &str, keys: &[&str]) -> Option<String> {
    let parsed: Value = serde_json::from_str(value).ok()?;
    let mut at = &parsed;
    for key in keys {
        at = match at {
            Value::Object(map) => map.get(*key)?,
            Value::Array(items) => items.get(key.trim().parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    leaf_text(at)
}

/// How a JSON value reads as a field: strings unquoted, `null` missing, the rest as JSON.
pub fn leaf_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `jsonParse`: compact JSON text for an object or array, leaf text for a scalar.
pub fn parse(s: &str) -> Option<String> {
    let v: Value = serde_json::from_str(s.trim()).ok()?;
    leaf_text(&v)
}

fn array(s: &str) -> Option<Vec<Value>> {
    match serde_json::from_str(s.trim()) {
        Ok(Value::Array(items)) => Some(items),
        _ => None,
    }
}

/// Whether the JSON array `s` has an element equal to `v` (case-sensitive; numbers compare
/// by value, so `1.0` matches `"1"`).
pub fn array_contains(s: &str, v: &str) -> bool {
    let Some(items) = array(s) else {
        return false;
    };
    items.iter().any(|item| match item {
        Value::Number(n) => {
            n.to_string() == v
                || matches!((n.as_f64(), v.trim().parse::<f64>()), (Some(a), Ok(b)) if a == b)
        }
        other => leaf_text(other).is_some_and(|t| t == v),
    })
}

/// The values `unnest` emits for `s`: the elements of a JSON array, or `s` itself for anything
/// else (a map, a string or a number is a one-element list).
pub fn elements(s: &str) -> Vec<String> {
    match array(s) {
        Some(items) => items.iter().filter_map(leaf_text).collect(),
        None => vec![s.to_owned()],
    }
}

/// A logfmt line as a JSON object: `key=value` pairs separated by spaces, values optionally
/// double-quoted with `\"`, `\\`, `\n`, `\t` and `\r` escapes; a bare key has the empty value.
/// Later keys win. `None` when the line holds no key.
pub fn logfmt(line: &str) -> Option<String> {
    let mut map = Map::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            Some('r') => value.push('\r'),
                            Some(c @ ('"' | '\\')) => value.push(c),
                            Some(c) => {
                                value.push('\\');
                                value.push(c);
                            }
                            None => value.push('\\'),
                        },
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    value.push(c);
                }
            }
        }
        if !key.is_empty() {
            map.insert(key, Value::String(value));
        }
    }
    (!map.is_empty()).then(|| Value::Object(map).to_string())
}

fn text_at(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

impl ScalarUDFImpl for JsonUdf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.function {
            JsonFn::Parse | JsonFn::Get | JsonFn::Logfmt => DataType::Utf8,
            JsonFn::ArraySize => DataType::Int64,
            JsonFn::ArrayContains => DataType::Boolean,
            JsonFn::Elements => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
            }
            JsonFn::Ordinals => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)))
            }
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<Vec<_>>>()?;
        let arity_ok = match self.function {
            JsonFn::Get => arrays.len() >= 2,
            f => arrays.len() == f.arity(),
        };
        if !arity_ok {
            return exec_err!("{} needs {} arguments", self.name(), self.function.arity());
        }
        let first = arrays[0].as_string::<i32>();
        let rest: Vec<&StringArray> = arrays[1..].iter().map(|a| a.as_string::<i32>()).collect();
        let second = rest.first().copied();
        let out: ArrayRef = match self.function {
            JsonFn::Parse | JsonFn::Get | JsonFn::Logfmt => {
                let mut out = StringBuilder::with_capacity(n, 0);
                for i in 0..n {
                    let v = text_at(first, i).and_then(|s| match self.function {
                        JsonFn::Parse => parse(s),
                        JsonFn::Logfmt => logfmt(s),
                        _ => rest
                            .iter()
                            .map(|k| text_at(k, i))
                            .collect::<Option<Vec<&str>>>()
                            .and_then(|keys| get_path(s, &keys)),
                    });
                    out.append_option(v);
                }
                Arc::new(out.finish())
            }
            JsonFn::ArraySize => {
                let mut out = Int64Builder::with_capacity(n);
                for i in 0..n {
                    let size = text_at(first, i)
                        .and_then(array)
                        .and_then(|a| i64::try_from(a.len()).ok());
                    out.append_option(size);
                }
                Arc::new(out.finish())
            }
            JsonFn::ArrayContains => {
                let mut out = BooleanBuilder::with_capacity(n);
                for i in 0..n {
                    let v = second.and_then(|v| text_at(v, i));
                    let found = text_at(first, i)
                        .zip(v)
                        .is_some_and(|(s, v)| array_contains(s, v));
                    out.append_value(found);
                }
                Arc::new(out.finish())
            }
            JsonFn::Elements => {
                // Missing values give an empty list, so `unnest` drops their rows.
                let mut out = ListBuilder::new(StringBuilder::new());
                for i in 0..n {
                    if let Some(s) = text_at(first, i) {
                        for e in elements(s) {
                            out.values().append_value(e);
                        }
                    }
                    out.append(true);
                }
                Arc::new(out.finish())
            }
            JsonFn::Ordinals => {
                let mut out = ListBuilder::new(Int64Builder::new());
                for i in 0..n {
                    let count = text_at(first, i).map_or(0, |s| elements(s).len());
                    for k in 0..count {
                        out.values()
                            .append_value(i64::try_from(k).unwrap_or(i64::MAX));
                    }
                    out.append(true);
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// `base.key` or `base[key]` on a planned expression.
pub(crate) fn member(base: Expr, key: Expr) -> Expr {
    // `a.b.c` is one call with keys `b`, `c`, so the text is parsed once per row.
    if let Expr::ScalarFunction(call) = &base
        && call.func.name() == JsonFn::Get.name()
    {
        let mut args = call.args.clone();
        args.push(cast(key, DataType::Utf8));
        return call.func.call(args);
    }
    JsonUdf::call(JsonFn::Get, vec![base, key])
}

/// `base.k1.k2...` for a literal path.
pub(crate) fn path<'a>(base: Expr, keys: impl IntoIterator<Item = &'a str>) -> Expr {
    keys.into_iter().fold(base, |e, k| member(e, lit(k)))
}

pub(crate) fn plan(c: &Call<'_>, name: &str) -> crate::error::Result<Option<Expr>> {
    Ok(Some(match name {
        "jsonparse" => JsonUdf::call(JsonFn::Parse, vec![c.text(0)?]),
        // A structure is its JSON text already.
        "jsonstringify" => cast(c.text(0)?, DataType::Utf8),
        "jsonarraysize" => JsonUdf::call(JsonFn::ArraySize, vec![c.text(0)?]),
        "jsonarraycontains" => JsonUdf::call(JsonFn::ArrayContains, vec![c.text(0)?, c.text(1)?]),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_and_index_access() {
        let doc = r#"{"a":{"b":[10,"x",true,null,{"c":1}]},"odd.key":"v"}"#;
        assert_eq!(get(doc, "odd.key").as_deref(), Some("v"));
        let b = get(&get(doc, "a").unwrap(), "b").unwrap();
        assert_eq!(b, r#"[10,"x",true,null,{"c":1}]"#);
        assert_eq!(get(&b, "0").as_deref(), Some("10"));
        assert_eq!(get(&b, "1").as_deref(), Some("x"));
        assert_eq!(get(&b, "2").as_deref(), Some("true"));
        assert_eq!(get(&b, "3"), None);
        assert_eq!(get(&b, "4").as_deref(), Some(r#"{"c":1}"#));
        assert_eq!(get(&b, "9"), None);
        assert_eq!(get("not json", "a"), None);
        assert_eq!(get("5", "a"), None);
        assert_eq!(get_path(doc, &["a", "b", "4", "c"]).as_deref(), Some("1"));
        assert_eq!(get_path(doc, &["a", "x", "4"]), None);
    }

    #[test]
    fn parse_normalises() {
        assert_eq!(
            parse(r#" { "a" : [1, 2] } "#).as_deref(),
            Some(r#"{"a":[1,2]}"#)
        );
        assert_eq!(parse("nope"), None);
        assert_eq!(parse(r#""s""#).as_deref(), Some("s"));
    }

    #[test]
    fn arrays() {
        assert!(array_contains(r#"["a","b"]"#, "b"));
        assert!(!array_contains(r#"["a","b"]"#, "B"));
        assert!(array_contains("[1,2.0]", "2"));
        assert!(!array_contains(r#"{"a":1}"#, "1"));
        assert!(!array_contains("bad", "bad"));
        assert_eq!(elements(r#"[1,"x",{"k":2}]"#), ["1", "x", r#"{"k":2}"#]);
        assert_eq!(elements("plain"), ["plain"]);
        assert!(elements("[]").is_empty());
    }

    #[test]
    fn logfmt_pairs() {
        let got = logfmt(r#"level=info msg="hello \"world\"" path=C:\\x bare  n=3"#).unwrap();
        assert_eq!(
            got,
            r#"{"level":"info","msg":"hello \"world\"","path":"C:\\\\x","bare":"","n":"3"}"#
        );
        assert_eq!(logfmt("   "), None);
        assert_eq!(logfmt(r#"a="x\\y" a=2"#).unwrap(), r#"{"a":"2"}"#);
    }
}
