//! Scan hints: what the query lets the store skip before any row reaches DataFusion.
//!
//! From the `filter`s that run on raw events (before `stats`, `dedup` or `limit`), every
//! top-level `and` conjunct of a simple shape becomes a hint: `@message like "text"` (the
//! store's token filter skips blocks without the text), `field = "text"` (text that is not a
//! number), comparisons of a
//! field with a number (block statistics prune), and `@logStream = "name"` (exact). The hints
//! only prune: the scan still evaluates every filter, so a hint can never change an answer.
//!
//! A query that keeps only its first N rows in time order (`filter`, `fields`, `parse` and a
//! `sort @timestamp` before `limit N`) also tells the store so, and the scan stops once no
//! unread block can hold one of them. The scan evaluates the filters itself, so it knows its
//! first N matching rows, and it counts the matches it does not return (`recordsMatched` stays
//! every matching event); `scan::guard_early_stops` turns the stop off where anything above
//! the scan but the limit could still drop rows.

use loupe_lang::ast::{BinaryOp, CommandKind, Expr, ExprKind, Literal, Query, SortOrder};
use loupe_store::{LOG_STREAM, MESSAGE, ScanHints, ScanOrder, TIMESTAMP};

use crate::referenced::{defines, is_defined};

/// The hints `query` allows.
pub fn scan_hints(query: &Query) -> ScanHints {
    let mut hints = ScanHints {
        order: ScanOrder::NewestFirst,
        ..ScanHints::default()
    };
    let mut defined: Vec<String> = Vec::new();
    for command in &query.commands {
        match &command.kind {
            CommandKind::Filter { condition, .. } | CommandKind::FilterIndex { condition } => {
                conjuncts(condition, &defined, &mut hints);
            }
            CommandKind::Sort(keys) => {
                hints.order = match keys.as_slice() {
                    [k] if is_field(&k.expr, TIMESTAMP) && k.order == Some(SortOrder::Asc) => {
                        ScanOrder::Ascending
                    }
                    [k] if is_field(&k.expr, TIMESTAMP) => ScanOrder::NewestFirst,
                    // Any other order needs every row.
                    _ => return without_limit(hints),
                };
            }
            // After filters too: the scan evaluates them, and stops once it has kept `count`
            // rows (unless a filter stays above it: see `scan::guard_early_stops`).
            CommandKind::Limit {
                count, any: false, ..
            } => {
                hints.limit = usize::try_from(*count).ok();
                return hints;
            }
            CommandKind::Fields(_)
            | CommandKind::Display(_)
            | CommandKind::Parse { .. }
            | CommandKind::Source(_)
            | CommandKind::Unmask(_) => {}
            _ => return without_limit(hints),
        }
        defined.extend(defines(&command.kind));
    }
    hints
}

fn without_limit(hints: ScanHints) -> ScanHints {
    ScanHints {
        limit: None,
        ..hints
    }
}

fn is_field(e: &Expr, name: &str) -> bool {
    matches!(&e.kind, ExprKind::Field(f) if f.name == name)
}

fn conjuncts(e: &Expr, defined: &[String], hints: &mut ScanHints) {
    let field = |e: &Expr| match &e.kind {
        ExprKind::Field(f) if !is_defined(&f.name, defined) => Some(f.name.clone()),
        _ => None,
    };
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            conjuncts(left, defined, hints);
            conjuncts(right, defined, hints);
        }
        ExprKind::Like {
            expr,
            pattern,
            negated: false,
            tilde: false,
        } => {
            if let (Some(name), ExprKind::Literal(Literal::String(text))) =
                (field(expr), &pattern.kind)
                && name == MESSAGE
                && !text.is_empty()
            {
                hints.message_contains.push(text.clone());
            }
        }
        ExprKind::Binary { op, left, right } if op.is_comparison() && *op != BinaryOp::NotEq => {
            // Put the field on the left.
            let (name, value, op) = match (field(left), field(right)) {
                (Some(name), None) => (name, &right.kind, *op),
                (None, Some(name)) => (name, &left.kind, flip(*op)),
                _ => return,
            };
            match value {
                ExprKind::Literal(Literal::String(text)) if op == BinaryOp::Eq => {
                    if name == LOG_STREAM {
                        hints.streams.push(text.clone());
                    } else if !name.starts_with('@') && text.trim().parse::<f64>().is_err() {
                        // Text that reads as a number compares numerically with numeric
                        // fields ("200" equals 200.0), which text equality cannot prune for.
                        hints.field_equals.push((name, text.clone()));
                    }
                }
                ExprKind::Literal(Literal::Number { value, .. }) if !name.starts_with('@') => {
                    let v = *value;
                    let (lo, hi) = match op {
                        BinaryOp::Eq => (v, v),
                        BinaryOp::Lt | BinaryOp::LtEq => (f64::NEG_INFINITY, v),
                        BinaryOp::Gt | BinaryOp::GtEq => (v, f64::INFINITY),
                        _ => return,
                    };
                    hints.field_ranges.push((name, lo, hi));
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// `a < b` is `b > a`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(q: &str) -> ScanHints {
        scan_hints(&loupe_lang::parse(q).unwrap())
    }

    #[test]
    fn filters_on_raw_events_become_hints() {
        let h = hints(
            r#"filter @message like "boom" and status >= 500 and 10 > n and svc = "a" | filter @logStream = "s1" or x = 1"#,
        );
        assert_eq!(h.message_contains, ["boom"]);
        assert_eq!(
            h.field_ranges,
            [
                ("status".into(), 500.0, f64::INFINITY),
                ("n".into(), f64::NEG_INFINITY, 10.0)
            ]
        );
        assert_eq!(h.field_equals, [("svc".into(), "a".into())]);
        // `or` is not a conjunction: no hint.
        assert!(h.streams.is_empty());
        assert_eq!(h.limit, None);
    }

    #[test]
    fn names_defined_by_the_query_and_later_commands_give_no_hints() {
        let h = hints(r#"parse "x=*" as v | filter v = "1" | stats count(*) as c | filter c > 5"#);
        assert!(h.field_equals.is_empty() && h.field_ranges.is_empty());
        // Members of a structure the query built are not event fields either.
        let h = hints(r#"parse logfmt as lf | filter lf.level = "info" and lf.n > 3"#);
        assert!(h.field_equals.is_empty() && h.field_ranges.is_empty());
        let h = hints(r#"parse logfmt as lf | filter lfx = "a""#);
        assert_eq!(h.field_equals, [("lfx".into(), "a".into())]);
        let h = hints(r#"filter not @message like "a" | filter @message like /b/"#);
        assert!(h.message_contains.is_empty());
    }

    #[test]
    fn filters_of_nested_queries_give_no_hints_to_the_outer_scan() {
        let h = hints(
            r#"filter svc = "a" and k in (SOURCE 'u' | filter name = "x" and n > 3 | fields k) | join left=a right=b where a.k = b.k (SOURCE 'v' | filter m = "y") | filter z = "w""#,
        );
        assert_eq!(h.field_equals, [("svc".into(), "a".into())]);
        assert!(h.field_ranges.is_empty());
        // A subquery's hints are its own filters only.
        let q = loupe_lang::parse(
            r#"filter svc = "a" and k in (SOURCE 'u' | filter name = "x" | limit 3)"#,
        )
        .unwrap();
        let CommandKind::Filter { condition, .. } = &q.commands[0].kind else {
            panic!("not a filter")
        };
        let ExprKind::Binary { right, .. } = &condition.kind else {
            panic!("not an and")
        };
        let ExprKind::In { list, .. } = &right.kind else {
            panic!("not in")
        };
        let ExprKind::Subquery(sub) = &list.kind else {
            panic!("not a subquery")
        };
        let h = scan_hints(sub);
        assert_eq!(h.field_equals, [("name".into(), "x".into())]);
        assert_eq!(h.limit, Some(3));
        // A limit before a join stops the outer scan early; a filter after it is no hint.
        let h = hints("limit 5 | join left=a right=b where a.k = b.k (SOURCE 'v')");
        assert_eq!(h.limit, Some(5));
    }

    #[test]
    fn a_leading_limit_in_time_order_stops_the_scan_early() {
        let h = hints("fields @timestamp, @message | sort @timestamp desc | limit 20");
        assert_eq!((h.order, h.limit), (ScanOrder::NewestFirst, Some(20)));
        assert_eq!(hints("limit 5").limit, Some(5));
        assert_eq!(
            hints("sort @timestamp asc | limit 5").order,
            ScanOrder::Ascending
        );
        assert_eq!(hints("sort n desc | limit 5").limit, None);
        // The scan evaluates the filter, so it can stop once it kept 5 rows.
        assert_eq!(hints("filter x = 1 | limit 5").limit, Some(5));
        assert_eq!(hints("stats count(*) | limit 5").limit, None);
    }
}
