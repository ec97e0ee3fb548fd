//! The field names a query reads, so the scan materialises only those columns.

use loupe_lang::ast::{
    CommandKind, Expr, ExprKind, FieldMapping, OutputMode, ParseMode, Projection, Query,
};

use crate::expr::dotted_name;
use crate::plan::push_unique;

/// Every field name the query reads from events, in first-seen order. A name that an earlier
/// command defined (a `parse` target, an alias, a `stats` output) is not read from events.
/// After a `join left=A right=B`, `A.x` reads the event field `x` and `B.y` is the right
/// side's (which its own scan reads); nested queries read with their own scans.
pub fn referenced_fields(query: &Query) -> Vec<String> {
    let mut reads = Vec::new();
    // `@log` is computed by the planner, never read from events.
    let mut defined: Vec<String> = vec![crate::plan::LOG.to_owned()];
    let mut joined: Option<(String, String)> = None;
    for command in &query.commands {
        let mut used = Vec::new();
        match &command.kind {
            CommandKind::Join {
                left,
                left_key,
                right_key,
                ..
            } => {
                // The left side's key field (the `where` may name the sides in either order).
                let prefix = format!("{}.", left.name);
                for key in [left_key, right_key] {
                    if let Some(field) = key.name.strip_prefix(&prefix) {
                        used.push(field.to_owned());
                    }
                }
            }
            CommandKind::Fields(items) | CommandKind::Display(items) => {
                items.iter().for_each(|p| walk(&p.expr, &mut used));
            }
            CommandKind::Filter { condition, .. } | CommandKind::FilterIndex { condition } => {
                walk(condition, &mut used)
            }
            CommandKind::Sort(keys) => keys.iter().for_each(|k| walk(&k.expr, &mut used)),
            CommandKind::Stats { aggregates, by, .. } => {
                aggregates
                    .iter()
                    .chain(by)
                    .for_each(|p| walk(&p.expr, &mut used));
            }
            CommandKind::Json { field, path, .. } => {
                used.push(field.name.clone());
                used.push(format!("{}.{path}", field.name));
            }
            CommandKind::Unnest { expr, .. } | CommandKind::Expand(expr) => {
                walk(expr, &mut used);
                // An array field is read from the message's JSON (see `plan::unnest`).
                if matches!(expr.kind, ExprKind::Field(_)) {
                    used.push(loupe_store::MESSAGE.to_owned());
                }
            }
            CommandKind::Parse { source, .. } => match source {
                Some(e) => walk(e, &mut used),
                None => used.push(loupe_store::MESSAGE.to_owned()),
            },
            CommandKind::Dedup(keys) => keys.iter().for_each(|k| walk(k, &mut used)),
            CommandKind::Accum { field, .. } | CommandKind::AutoRegress { field, .. } => {
                used.push(field.name.clone())
            }
            // A name with `*` fills the matching fields the query reads anyway.
            CommandKind::FillDown(names) => names
                .iter()
                .filter(|n| !n.name.contains('*'))
                .for_each(|n| used.push(n.name.clone())),
            CommandKind::Sessionize { fields, .. } => {
                fields.iter().for_each(|f| used.push(f.name.clone()))
            }
            CommandKind::AddTotals { fields, .. } | CommandKind::Outlier { fields, .. } => {
                fields.iter().for_each(|f| used.push(f.name.clone()))
            }
            CommandKind::CountFrequent(fields) => {
                fields.iter().for_each(|f| used.push(f.name.clone()))
            }
            // The clustered value, and the time of each event (samples, `anomaly`).
            CommandKind::Pattern(e) => {
                walk(e, &mut used);
                used.push(loupe_store::TIMESTAMP.to_owned());
            }
            // Without a `pattern` before them, they cluster `@message`.
            CommandKind::Diff { .. } | CommandKind::LogCompare { .. } => {
                used.push(loupe_store::MESSAGE.to_owned());
                used.push(loupe_store::TIMESTAMP.to_owned());
            }
            // The match fields, and the fields `OUTPUTNEW` keeps where the event has them.
            CommandKind::Lookup {
                matches,
                mode,
                outputs,
                ..
            } => {
                used.extend(matches.iter().map(|m| target(m).to_owned()));
                if *mode == OutputMode::OutputNew {
                    used.extend(outputs.iter().map(|o| target(o).to_owned()));
                }
            }
            CommandKind::CidrLookup {
                ip_field,
                mode,
                outputs,
                ..
            } => {
                used.push(ip_field.name.clone());
                if *mode == OutputMode::OutputNew {
                    used.extend(outputs.iter().map(|o| target(o).to_owned()));
                }
            }
            _ => {}
        }
        for name in used {
            let name = match &joined {
                Some((left, right)) => {
                    if is_defined(&name, std::slice::from_ref(right)) {
                        continue;
                    }
                    match name
                        .strip_prefix(left.as_str())
                        .and_then(|r| r.strip_prefix('.'))
                    {
                        Some(field) => field.to_owned(),
                        None => name,
                    }
                }
                None => name,
            };
            if !is_defined(&name, &defined) {
                push_unique(&mut reads, &name);
            }
        }
        defined.extend(defines(&command.kind));
        if let CommandKind::Join { left, right, .. } = &command.kind {
            joined = Some((left.name.clone(), right.name.clone()));
        }
    }
    reads
}

/// Whether an earlier command defined `name`, or the structure `name` is a member of
/// (`lf.level` after `parse ... logfmt as lf`).
pub(crate) fn is_defined(name: &str, defined: &[String]) -> bool {
    defined.iter().any(|d| {
        name == d || (name.starts_with(d.as_str()) && name.as_bytes().get(d.len()) == Some(&b'.'))
    })
}

/// The names a command defines.
pub(crate) fn defines(kind: &CommandKind) -> Vec<String> {
    let aliases = |items: &[Projection]| -> Vec<String> {
        items
            .iter()
            .filter_map(|p| p.alias.as_ref().map(|a| a.name.clone()))
            .collect()
    };
    match kind {
        CommandKind::Fields(items) | CommandKind::Display(items) => aliases(items),
        CommandKind::Stats { aggregates, by, .. } => {
            let mut names = aliases(aggregates);
            names.extend(aliases(by));
            names
        }
        CommandKind::Parse {
            mode: ParseMode::Regex { pattern, .. },
            targets,
            ..
        } if targets.is_empty() => regex::Regex::new(pattern)
            .map(|re| re.capture_names().flatten().map(str::to_owned).collect())
            .unwrap_or_default(),
        CommandKind::Parse { targets, .. } => targets.iter().map(|t| t.name.clone()).collect(),
        CommandKind::Json { alias, .. } => vec![alias.name.clone()],
        CommandKind::Unnest { into, .. } => vec![into.name.clone()],
        CommandKind::Accum {
            alias: Some(alias), ..
        }
        | CommandKind::AutoRegress {
            alias: Some(alias), ..
        } => vec![alias.name.clone()],
        CommandKind::AutoRegress { field, lags, .. } => {
            let (from, to) = lags.as_ref().map_or((1, 1), |l| (l.from, l.to));
            (from..=to)
                .map(|p| format!("{}_p{p}", field.name))
                .collect()
        }
        CommandKind::CountFrequent(_) => vec![crate::plan::APPROX_COUNT.to_owned()],
        CommandKind::Lookup { outputs, .. } | CommandKind::CidrLookup { outputs, .. } => {
            outputs.iter().map(|o| target(o).to_owned()).collect()
        }
        CommandKind::Pattern(_) => crate::plan::pattern::FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
        CommandKind::Diff { .. } | CommandKind::LogCompare { .. } => crate::plan::pattern::FIELDS
            .iter()
            .chain(crate::plan::pattern::COMPARE_FIELDS)
            .map(|f| (*f).to_owned())
            .collect(),
        CommandKind::Anomaly => crate::plan::anomaly::FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
        CommandKind::Sessionize { alias, .. } => vec![
            alias
                .as_ref()
                .map_or_else(|| "session_id".to_owned(), |a| a.name.clone()),
        ],
        _ => Vec::new(),
    }
}

/// The event field of a `lookup`/`cidrlookup` mapping: its alias, else its name.
fn target(m: &FieldMapping) -> &str {
    &m.alias.as_ref().unwrap_or(&m.name).name
}

fn walk(expr: &Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Field(ident) => push_unique(out, &ident.name),
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
                push_unique(out, loupe_store::TIMESTAMP);
            }
            args.iter().for_each(|e| walk(e, out))
        }
        ExprKind::Member { base, .. } => {
            walk(base, out);
            // `users[1].name` may be the discovered field `users.1.name`.
            if let Some(name) = dotted_name(expr) {
                push_unique(out, &name);
            }
        }
        ExprKind::Index { base, index } => {
            walk(base, out);
            walk(index, out);
            if let Some(name) = dotted_name(expr) {
                push_unique(out, &name);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(q: &str) -> Vec<String> {
        referenced_fields(&loupe_lang::parse(q).unwrap())
    }

    #[test]
    fn a_join_reads_the_left_fields_it_names_and_leaves_the_right_ones_to_its_own_scan() {
        assert_eq!(
            reads(
                "filter status >= 500 | join left=api right=l where l.rid = api.requestId \
                 (SOURCE 'f' | filter duration > 1) | fields api.latency, l.duration, @timestamp"
            ),
            ["status", "requestId", "latency", "@timestamp"]
        );
        // Nested queries read with their own scans.
        assert_eq!(
            reads("filter k in (SOURCE 'u' | filter name = 'x' | fields k2) | fields a"),
            ["k", "a"]
        );
        assert_eq!(
            reads("stats count(*) as n | appendcols (SOURCE 'u' | stats avg(x) as m)"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn outlier_reads_its_fields_unless_an_earlier_command_made_them() {
        assert_eq!(
            reads("outlier action=remove param=1 latency, bytes | stats count(*) as n"),
            ["latency", "bytes"]
        );
        assert_eq!(
            reads("fields strlen(msg) as len | outlier len status"),
            ["msg", "status"]
        );
    }
}
