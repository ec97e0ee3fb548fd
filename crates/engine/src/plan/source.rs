//! `SOURCE ...`: the log groups (and optionally the time range) a query reads, chosen in the
//! query text instead of by the caller. The planner treats the command itself as a no-op; this
//! module resolves it into a group list and time bounds before the scan.
//!
//! Supported: `logGroups()` (every group), `logGroups(namePrefix: [...])`,
//! `logGroups(class: "STANDARD")` (Loupe has only the standard class), a group named by a
//! string or a bare name (`SOURCE '/aws/lambda/f'`, `SOURCE lg`, the forms `join`,
//! subqueries and `appendcols` use), and `start=`/`end=` bounds relative to now (`-1d`, `now`)
//! or as epoch seconds. Tags, data sources and account identifiers are "not supported yet".

use loupe_lang::Diagnostic;
use loupe_lang::ast::{
    CommandKind, Expr, ExprKind, Literal, Query, Source, SourceSelector, TimeBound, TimeValue,
};

use crate::error::Result;
use crate::functions::datetime::{Period, period};

/// What a `SOURCE` command selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSelection {
    pub groups: Vec<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The query's `SOURCE` command, if it has one (it can only be first).
pub fn source_of(query: &Query) -> Option<&Source> {
    match query.commands.first().map(|c| &c.kind) {
        Some(CommandKind::Source(source)) => Some(source),
        _ => None,
    }
}

fn strings(e: &Expr) -> Result<Vec<String>> {
    let one = |e: &Expr| match &e.kind {
        ExprKind::Literal(Literal::String(s)) => Ok(s.clone()),
        _ => Err(Diagnostic::semantic("expected a string", e.span).into()),
    };
    match &e.kind {
        ExprKind::List(items) => items.iter().map(one).collect(),
        _ => Ok(vec![one(e)?]),
    }
}

fn bound(b: &TimeBound, now_ms: i64) -> Result<i64> {
    Ok(match &b.value {
        TimeValue::Now => now_ms,
        TimeValue::Epoch(s) => (*s as i64).saturating_mul(1000),
        TimeValue::Relative {
            negative,
            value,
            unit,
        } => {
            // Offsets are exact lengths of time; the `bin` caps do not apply here.
            let ms = match period(1, unit) {
                Some(Period::Millis(unit_ms)) => (*value as i64).saturating_mul(unit_ms),
                _ => {
                    return Err(Diagnostic::semantic(
                        format!("`{value}{unit}` is not a valid offset for SOURCE"),
                        b.span,
                    )
                    .into());
                }
            };
            if *negative { now_ms - ms } else { now_ms + ms }
        }
    })
}

/// Resolves `source` against the existing `groups` (sorted names) at time `now_ms`.
pub fn resolve_source(source: &Source, groups: &[String], now_ms: i64) -> Result<SourceSelection> {
    let mut selected: Vec<String> = Vec::new();
    let mut add = |name: &String| {
        if !selected.contains(name) {
            selected.push(name.clone());
        }
    };
    for selector in &source.selectors {
        match selector {
            SourceSelector::Name(e) => {
                // `SOURCE lg`: a bare name is the group's name, as `SOURCE 'lg'` is.
                let names = match &e.kind {
                    ExprKind::Field(ident) => vec![ident.name.clone()],
                    _ => strings(e)?,
                };
                for name in names {
                    match groups.iter().find(|g| **g == name) {
                        Some(g) => add(g),
                        None => {
                            return Err(Diagnostic::semantic(
                                format!("log group `{name}` does not exist"),
                                e.span,
                            )
                            .into());
                        }
                    }
                }
            }
            SourceSelector::LogGroups { options, span } => {
                let mut prefixes: Option<Vec<String>> = None;
                for option in options {
                    match option.key.name.to_ascii_lowercase().as_str() {
                        "nameprefix" => prefixes = Some(strings(&option.value)?),
                        "class" | "loggroupclass" => {
                            if strings(&option.value)?.iter().any(|c| c != "STANDARD") {
                                return Err(Diagnostic::unsupported(
                                    "log group classes other than STANDARD",
                                    option.span,
                                )
                                .into());
                            }
                        }
                        other => {
                            return Err(Diagnostic::unsupported(
                                format!("`{other}` in logGroups()"),
                                option.span,
                            )
                            .into());
                        }
                    }
                }
                let before = groups.len();
                let matching = groups.iter().filter(|g| {
                    prefixes
                        .as_ref()
                        .is_none_or(|ps| ps.iter().any(|p| g.starts_with(p.as_str())))
                });
                matching.for_each(&mut add);
                if before == 0 {
                    return Err(Diagnostic::semantic("no log groups exist yet", *span).into());
                }
            }
            SourceSelector::LogGroupTags { span, .. } => {
                return Err(Diagnostic::unsupported("`logGroupTags`", *span).into());
            }
            SourceSelector::DataSource { span, .. } => {
                return Err(Diagnostic::unsupported("`dataSource`", *span).into());
            }
            _ => {
                return Err(
                    Diagnostic::unsupported("this SOURCE selector", Default::default()).into(),
                );
            }
        }
    }
    let mut selection = SourceSelection {
        groups: selected,
        start_ms: None,
        end_ms: None,
    };
    for b in &source.bounds {
        let t = bound(b, now_ms)?;
        if b.end {
            selection.end_ms = Some(t)
        } else {
            selection.start_ms = Some(t)
        }
    }
    Ok(selection)
}
