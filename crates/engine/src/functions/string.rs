//! String functions (spec §5.4). Arguments are read as text; a missing argument gives a
//! missing result, except where the documentation says otherwise (`isempty`, `isblank`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    lit,
};

use super::Call;
use crate::error::Result;

pub(crate) const NAMES: &[&str] = &[
    "isempty",
    "isblank",
    "concat",
    "ltrim",
    "rtrim",
    "trim",
    "strlen",
    "toupper",
    "tolower",
    "substr",
    "replace",
    "regexreplace",
    "strcontains",
    "startswith",
    "endswith",
    "urlencode",
    "urldecode",
    "base64encode",
    "base64decode",
    "hextoascii",
    "hextodec",
    "dectohex",
    "split",
];

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    Ok(Some(match name {
        "isempty" => {
            let s = c.text(0)?;
            s.clone().is_null().or(s.eq(lit("")))
        }
        "isblank" => {
            let s = c.text(0)?;
            s.clone()
                .is_null()
                .or(f::btrim(vec![s, lit(" \t\r\n")]).eq(lit("")))
        }
        "concat" => {
            let parts = (0..c.args.len())
                .map(|i| c.text(i))
                .collect::<Result<Vec<_>>>()?;
            f::concat(parts)
        }
        // With a second argument, trim removes any of those characters (a set, not a string).
        "ltrim" | "rtrim" | "trim" => {
            let mut args = vec![c.text(0)?];
            if c.args.len() > 1 {
                args.push(c.text(1)?);
            }
            match name {
                "ltrim" => f::ltrim(args),
                "rtrim" => f::rtrim(args),
                _ => f::btrim(args),
            }
        }
        "strlen" => f::character_length(c.text(0)?),
        "toupper" => f::upper(c.text(0)?),
        "tolower" => f::lower(c.text(0)?),
        // Insights counts from 0; DataFusion's substr from 1.
        "substr" => {
            let start = cast(c.number(1)?, DataType::Int64) + lit(1i64);
            match c.args.len() {
                2 => f::substr(c.text(0)?, start),
                _ => f::substring(c.text(0)?, start, cast(c.number(2)?, DataType::Int64)),
            }
        }
        "replace" => f::replace(c.text(0)?, c.text(1)?, c.text(2)?),
        "regexreplace" => f::regexp_replace(c.text(0)?, c.text(1)?, c.text(2)?, Some(lit("g"))),
        "strcontains" => {
            let insensitive = match c.args.get(2) {
                None => false,
                Some(a) => match &a.kind {
                    loupe_lang::ast::ExprKind::Literal(loupe_lang::ast::Literal::Bool(b)) => *b,
                    _ => return Err(c.arg_error(2, "true or false")),
                },
            };
            if insensitive {
                f::contains(f::lower(c.text(0)?), f::lower(c.text(1)?))
            } else {
                f::contains(c.text(0)?, c.text(1)?)
            }
        }
        "startswith" => f::starts_with(c.text(0)?, c.text(1)?),
        "endswith" => f::ends_with(c.text(0)?, c.text(1)?),
        "urlencode" => TextUdf::call(TextFn::UrlEncode, vec![c.text(0)?]),
        "urldecode" => TextUdf::call(TextFn::UrlDecode, vec![c.text(0)?]),
        "base64encode" => TextUdf::call(TextFn::Base64Encode, vec![c.text(0)?]),
        "base64decode" => TextUdf::call(TextFn::Base64Decode, vec![c.text(0)?]),
        "hextoascii" => TextUdf::call(TextFn::HexToAscii, vec![c.text(0)?]),
        "hextodec" => TextUdf::call(TextFn::HexToDec, vec![c.text(0)?]),
        // Truncated towards zero by the cast.
        "dectohex" => TextUdf::call(TextFn::DecToHex, vec![cast(c.number(0)?, DataType::Int64)]),
        "split" => TextUdf::call(TextFn::Split, vec![c.text(0)?, c.text(1)?]),
        _ => return Ok(None),
    }))
}

/// A floating-point number as text, rendered as Insights renders numbers.
pub(crate) fn number_text(e: Expr) -> Expr {
    TextUdf::call(TextFn::NumberText, vec![e])
}

/// The string functions Loupe computes itself (DataFusion has no equivalent with Insights'
/// semantics). Input that does not decode gives a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TextFn {
    UrlEncode,
    UrlDecode,
    Base64Encode,
    Base64Decode,
    HexToAscii,
    HexToDec,
    DecToHex,
    Split,
    /// A number as Insights prints it (`1200`, not `1200.0`).
    NumberText,
}

impl TextFn {
    fn name(self) -> &'static str {
        match self {
            TextFn::UrlEncode => "urlencode",
            TextFn::UrlDecode => "urldecode",
            TextFn::Base64Encode => "base64encode",
            TextFn::Base64Decode => "base64decode",
            TextFn::HexToAscii => "hexToAscii",
            TextFn::HexToDec => "hexToDec",
            TextFn::DecToHex => "decToHex",
            TextFn::Split => "split",
            TextFn::NumberText => "insights_number_text",
        }
    }

    fn inputs(self) -> Vec<DataType> {
        match self {
            TextFn::DecToHex => vec![DataType::Int64],
            TextFn::NumberText => vec![DataType::Float64],
            TextFn::Split => vec![DataType::Utf8; 2],
            _ => vec![DataType::Utf8],
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TextUdf {
    function: TextFn,
    signature: Signature,
}

impl TextUdf {
    fn call(function: TextFn, args: Vec<Expr>) -> Expr {
        let inputs = function.inputs();
        let args = args
            .into_iter()
            .zip(&inputs)
            .map(|(a, t)| cast(a, t.clone()))
            .collect();
        let signature = Signature::exact(inputs, Volatility::Immutable);
        ScalarUDF::new_from_impl(TextUdf {
            function,
            signature,
        })
        .call(args)
    }
}

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(match self.function {
            TextFn::HexToDec => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<Vec<_>>>()?;
        let Some(first) = arrays.first() else {
            return exec_err!("{} needs an argument", self.name());
        };
        if self.function == TextFn::NumberText {
            let numbers = first.as_primitive::<Float64Type>();
            let out: StringArray = numbers
                .iter()
                .map(|v| {
                    v.filter(|v| v.is_finite())
                        .map(crate::result::format_number)
                })
                .collect();
            return Ok(ColumnarValue::Array(Arc::new(out)));
        }
        if self.function == TextFn::DecToHex {
            let numbers = first.as_primitive::<Int64Type>();
            let out: StringArray = numbers.iter().map(|v| v.map(dec_to_hex)).collect();
            return Ok(ColumnarValue::Array(Arc::new(out)));
        }
        let text = first.as_string::<i32>();
        if self.function == TextFn::HexToDec {
            let out: Int64Array = text.iter().map(|v| v.and_then(hex_to_dec)).collect();
            return Ok(ColumnarValue::Array(Arc::new(out)));
        }
        let delims = arrays.get(1).map(|a| a.as_string::<i32>());
        let mut out = StringBuilder::with_capacity(n, 0);
        for i in 0..n {
            let s = (!text.is_null(i)).then(|| text.value(i));
            let v = s.and_then(|s| match self.function {
                TextFn::UrlEncode => Some(url_encode(s)),
                TextFn::UrlDecode => url_decode(s),
                TextFn::Base64Encode => Some(base64_encode(s.as_bytes())),
                TextFn::Base64Decode => base64_decode(s).and_then(|b| String::from_utf8(b).ok()),
                TextFn::HexToAscii => hex_to_ascii(s),
                _ => {
                    let d = delims.and_then(|d| (!d.is_null(i)).then(|| d.value(i)))?;
                    Some(split(s, d))
                }
            });
            out.append_option(v);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (a space is `%20`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space, as in form encoding); `None` for a broken escape
/// or bytes that are not UTF-8.
pub fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional, whitespace ignored); `None` for anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect::<Vec<_>>();
    let body = match digits.iter().position(|&b| b == b'=') {
        Some(at) if digits[at..].iter().all(|&b| b == b'=') && digits.len().is_multiple_of(4) => {
            &digits[..at]
        }
        Some(_) => return None,
        None => &digits[..],
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (k, &b) in chunk.iter().enumerate() {
            let v = BASE64.iter().position(|&c| c == b)? as u32;
            n |= v << (18 - 6 * k);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn strip_0x(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s)
}

/// Hex digit pairs (optionally `0x`-prefixed) as the UTF-8 text they encode.
pub fn hex_to_ascii(s: &str) -> Option<String> {
    let hex = strip_0x(s);
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// A hex number, `0x` prefix optional; `None` beyond the 64-bit range.
pub fn hex_to_dec(s: &str) -> Option<i64> {
    let hex = strip_0x(s);
    if hex.is_empty() || hex.starts_with(['+', '-']) {
        return None;
    }
    i64::from_str_radix(hex, 16).ok()
}

/// Lowercase hex with `0x`; negative numbers as `-0x...`.
pub fn dec_to_hex(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}0x{:x}", n.unsigned_abs())
}

/// `s` split on every `delim`, as a JSON array of strings (a list, see `functions::json`).
/// An empty delimiter splits into characters.
pub fn split(s: &str, delim: &str) -> String {
    let parts: Vec<serde_json::Value> = if delim.is_empty() {
        s.chars()
            .map(|c| serde_json::Value::String(c.to_string()))
            .collect()
    } else {
        s.split(delim)
            .map(|p| serde_json::Value::String(p.to_owned()))
            .collect()
    };
    serde_json::Value::Array(parts).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(
            url_decode("a%20b%26c%3Dd%2F%C3%A9~").as_deref(),
            Some("a b&c=d/é~")
        );
        assert_eq!(url_decode("a+b").as_deref(), Some("a b"));
        assert_eq!(url_decode("bad%2"), None);
        assert_eq!(url_decode("bad%zz"), None);
    }

    #[test]
    fn base64_round_trip() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("hello world", "aGVsbG8gd29ybGQ="),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
            assert_eq!(base64_decode(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64_decode("Zm8").unwrap(), b"fo");
        assert_eq!(base64_decode("Z"), None);
        assert_eq!(base64_decode("Zm=8"), None);
        assert_eq!(base64_decode("!!!!"), None);
    }

    #[test]
    fn hex() {
        assert_eq!(hex_to_ascii("48656c6c6f").as_deref(), Some("Hello"));
        assert_eq!(hex_to_ascii("0x4869").as_deref(), Some("Hi"));
        assert_eq!(hex_to_ascii("486"), None);
        assert_eq!(hex_to_ascii("zz"), None);
        assert_eq!(hex_to_dec("0xff"), Some(255));
        assert_eq!(hex_to_dec("FF"), Some(255));
        assert_eq!(hex_to_dec("-1"), None);
        assert_eq!(hex_to_dec("0x"), None);
        assert_eq!(dec_to_hex(255), "0xff");
        assert_eq!(dec_to_hex(-255), "-0xff");
        assert_eq!(dec_to_hex(0), "0x0");
        assert_eq!(dec_to_hex(i64::MIN), "-0x8000000000000000");
    }

    #[test]
    fn split_to_json_array() {
        assert_eq!(split("a,b,,c", ","), r#"["a","b","","c"]"#);
        assert_eq!(split("ab", ""), r#"["a","b"]"#);
        assert_eq!(split(r#"x"y"#, ","), r#"["x\"y"]"#);
    }
}
