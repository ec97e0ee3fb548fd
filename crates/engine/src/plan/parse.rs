//! `parse [field] "glob" as a, b`, `parse [field] /regex/ [as a, b] [multi]`, `parse [field] csv as ...`.
//!
//! Extracted values are strings; a row that does not match keeps flowing without the new fields
//! (spec §3.7). The source defaults to `@message`. The extracted fields are not added to the
//! result's columns by themselves: name them in `fields`/`display` (or use them in `stats`).
//!
//! Glob semantics (spec [?], following the documented example): each `*` is a lazy capture, the
//! pattern may start matching anywhere in the value, and a trailing `*` takes the rest of it.

use datafusion::functions::core::expr_fn::get_field;
use loupe_lang::ast::{self, Ident, ParseMode};
use loupe_lang::{Diagnostic, Span};
use loupe_store::MESSAGE;
use regex::Regex;

use super::PlanState;
use crate::error::Result;
use crate::functions::extract::{ExtractUdf, Extractor, MATCH_ORDINAL};
use crate::functions::json::{JsonFn, JsonUdf};
use datafusion::common::{Column, UnnestOptions};
use datafusion::logical_expr::{Expr, SortExpr};

/// The regex a glob pattern stands for.
pub fn glob_regex(glob: &str) -> String {
    let mut re = String::from("(?s)");
    let parts: Vec<&str> = glob.split('*').collect();
    for (i, literal) in parts.iter().enumerate() {
        re.push_str(&regex::escape(literal));
        if i + 1 < parts.len() {
            let last = i + 2 == parts.len() && parts[i + 1].is_empty();
            re.push_str(if last { "(.*)" } else { "(.*?)" });
        }
    }
    re
}

fn compile(pattern: &str, span: Span) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| {
        let reason = match e {
            regex::Error::Syntax(s) => s.lines().last().unwrap_or("invalid regex").to_owned(),
            other => other.to_string(),
        };
        Diagnostic::semantic(format!("invalid regular expression: {reason}"), span)
            .with_label("this regex")
            .into()
    })
}

pub(crate) fn plan(
    state: &mut PlanState,
    source: Option<&ast::Expr>,
    mode: &ParseMode,
    targets: &[Ident],
    multi: bool,
    span: Span,
) -> Result<()> {
    let (key, names, extractor) = match mode {
        ParseMode::Glob { pattern, span } => {
            let regex = compile(&glob_regex(pattern), *span)?;
            let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
            let groups = (1..=names.len()).collect();
            (
                format!("glob:{pattern}"),
                names,
                Extractor::Regex { regex, groups },
            )
        }
        ParseMode::Regex { pattern, span } => {
            let regex = compile(pattern, *span)?;
            let (names, groups): (Vec<String>, Vec<usize>) = if targets.is_empty() {
                regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, n)| n.map(|n| (n.to_owned(), i)))
                    .unzip()
            } else {
                targets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.name.clone(), i + 1))
                    .unzip()
            };
            if names.is_empty() {
                return Err(Diagnostic::semantic(
                    "this regex names no fields: use named groups `(?<name>...)` or `as` names",
                    *span,
                )
                .into());
            }
            let extractor = if multi {
                Extractor::Multi { regex, groups }
            } else {
                Extractor::Regex { regex, groups }
            };
            (format!("regex:{pattern}"), names, extractor)
        }
        ParseMode::Csv => {
            let names = targets.iter().map(|t| t.name.clone()).collect();
            ("csv".to_owned(), names, Extractor::Csv)
        }
        ParseMode::Logfmt => return logfmt(state, source, targets, span),
    };
    if multi && !matches!(extractor, Extractor::Multi { .. }) {
        return Err(Diagnostic::semantic("`multi` needs a regex pattern", span).into());
    }
    let value = source_text(state, source)?;
    let is_multi = matches!(extractor, Extractor::Multi { .. });
    let udf = ExtractUdf::udf(key, names.clone(), extractor);
    let internal = format!("__loupe_parse_{}", span.start);
    state.add_column(&internal, udf.call(vec![value]))?;
    if is_multi {
        unnest_matches(state, &internal)?;
    }
    let parsed = state.column(&internal)?;
    for name in &names {
        state.add_column(name, get_field(parsed.clone(), name.as_str()))?;
    }
    Ok(())
}

/// `parse ... multi`: one row per match, in match order within the rows' order; a row without
/// a match is kept once, without the fields (as `parse` never drops rows).
fn unnest_matches(state: &mut PlanState, internal: &str) -> Result<()> {
    let order = match state.pending_order.take() {
        Some(order) => order,
        None => state.order.clone(),
    };
    let options = UnnestOptions::new().with_preserve_nulls(true);
    let column = Column::new_unqualified(internal);
    state.map(|b| Ok(b.unnest_column_with_options(column, options)?))?;
    if !order.is_empty() {
        let mut order = order;
        let ordinal = get_field(state.column(internal)?, MATCH_ORDINAL);
        order.push(SortExpr::new(ordinal, true, false));
        state.pending_order = Some(order);
    }
    Ok(())
}

/// The text `parse` reads: `source`, or `@message`.
fn source_text(state: &PlanState, source: Option<&ast::Expr>) -> Result<Expr> {
    let exprs = state.exprs();
    let value = match source {
        Some(e) => exprs.plan(e)?,
        None => exprs.field(MESSAGE),
    };
    exprs.text(value)
}

/// `parse [field] logfmt as alias`: `alias` holds the map of `key=value` pairs, as JSON object
/// text (see `functions::json`), so `alias.key` reads one value.
fn logfmt(
    state: &mut PlanState,
    source: Option<&ast::Expr>,
    targets: &[Ident],
    span: Span,
) -> Result<()> {
    let [alias] = targets else {
        return Err(
            Diagnostic::semantic("`parse ... logfmt` takes exactly one `as` name", span).into(),
        );
    };
    let value = source_text(state, source)?;
    super::push_unique(&mut state.structures, &alias.name);
    state.add_column(&alias.name, JsonUdf::call(JsonFn::Logfmt, vec![value]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captures(glob: &str, text: &str) -> Option<Vec<String>> {
        let re = Regex::new(&glob_regex(glob)).unwrap();
        re.captures(text).map(|c| {
            c.iter()
                .skip(1)
                .map(|m| m.unwrap().as_str().to_owned())
                .collect()
        })
    }

    #[test]
    fn glob_matches_like_the_documented_example() {
        let got = captures(
            "[*] * The error was: *",
            "25 May 2019 10:24:39,474 [ERROR] {foo=2, bar=data} The error was: DataIntegrityException",
        );
        assert_eq!(
            got.unwrap(),
            ["ERROR", "{foo=2, bar=data}", "DataIntegrityException"]
        );
        assert_eq!(
            captures("from * port *", "x from 1.2.3.4 port 22 ssh2").unwrap(),
            ["1.2.3.4", "22 ssh2"]
        );
        assert_eq!(captures("user=* id", "user=bob id=3").unwrap(), ["bob"]);
        assert_eq!(captures("a.b(*)", "xa.b(1)").unwrap(), ["1"]);
        assert!(captures("nope *", "something else").is_none());
    }
}
