//! The field names a query reads, so the scan materialises only those columns.

use loupe_lang::ast::{CommandKind, Expr, ExprKind, Query};

/// Every field name the query mentions, in first-seen order. Aliases are included too: asking
/// the store for a name no event has costs a column of nulls, nothing more.
pub fn referenced_fields(query: &Query) -> Vec<String> {
    let mut out = Vec::new();
    for command in &query.commands {
        match &command.kind {
            CommandKind::Fields(items) | CommandKind::Display(items) => {
                items.iter().for_each(|p| walk(&p.expr, &mut out))
            }
            CommandKind::Filter { condition, .. } => walk(condition, &mut out),
            CommandKind::Sort(keys) => keys.iter().for_each(|k| walk(&k.expr, &mut out)),
            CommandKind::Stats { aggregates, by, .. } => aggregates
                .iter()
                .chain(by)
                .for_each(|p| walk(&p.expr, &mut out)),
            _ => {}
        }
    }
    out
}

fn walk(expr: &Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Field(ident) => crate::plan::push_unique(out, &ident.name),
        ExprKind::List(items) => items.iter().for_each(|e| walk(e, out)),
        ExprKind::Unary { operand, .. } => walk(operand, out),
        ExprKind::Binary { left, right, .. } => {
            walk(left, out);
            walk(right, out);
        }
        ExprKind::Like { expr, pattern, .. } => {
            walk(expr, out);
            walk(pattern, out);
        }
        ExprKind::In { expr, list, .. } => {
            walk(expr, out);
            walk(list, out);
        }
        ExprKind::Call { name, args } => {
            // `bin(5m)` reads @timestamp implicitly, and so do `earliest`/`latest`.
            let lower = name.name.to_ascii_lowercase();
            if matches!(lower.as_str(), "bin" | "earliest" | "latest") {
                crate::plan::push_unique(out, loupe_store::TIMESTAMP);
            }
            args.iter().for_each(|e| walk(e, out))
        }
        ExprKind::Member { base, .. } => walk(base, out),
        ExprKind::Index { base, index } => {
            walk(base, out);
            walk(index, out);
        }
        _ => {}
    }
}
