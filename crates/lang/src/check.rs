//! Compile-time rules AWS enforces on a syntactically valid query (spec §3.25 and the
//! per-command rules of §3): known functions with the right arity and argument kinds,
//! aggregates only in `stats`, at most two `stats` and what the second may reference,
//! `sort`/`limit` placement, what may follow `dedup`, `SOURCE` first, glob and regex `parse`
//! targets, `limit` bounds.
//!
//! [`crate::parse`] runs these checks; [`check`] is public for trees built by hand.

use std::collections::HashSet;

use crate::ast::{
    Command, CommandKind, Expr, ExprKind, Literal, ParseMode, Projection, Query, SourceSelector,
};
use crate::diagnostic::Diagnostic;
use crate::functions::{self, ArgKind, FunctionClass};
use crate::printer::expr_text;

/// Largest `limit` AWS accepts.
pub const MAX_LIMIT: u64 = 100_000;

/// Checks `query` against the compile-time rules; the first violation is returned.
pub fn check(query: &Query) -> Result<(), Diagnostic> {
    Pipeline::default().check(&query.commands)
}

/// Where an expression sits, for the aggregate rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Row by row: `fields`, `filter`, `sort`, ...
    Scalar,
    /// A `stats` aggregate projection, outside any aggregate call.
    StatsTop,
    /// Inside an aggregate call's arguments.
    InAggregate,
    /// A `stats ... by` group expression.
    StatsGroup,
}

#[derive(Default)]
struct Pipeline {
    /// Column names (canonical text) of unaliased aggregates of earlier `stats`: a later
    /// `sort count(*) desc` refers to that column.
    stats_columns: HashSet<String>,
    /// Aliases defined so far in the `stats` being checked.
    stats_aliases: HashSet<String>,
}

impl Pipeline {
    fn check(&mut self, commands: &[Command]) -> Result<(), Diagnostic> {
        let mut stats_seen = 0;
        let total_stats = commands
            .iter()
            .filter(|c| matches!(c.kind, CommandKind::Stats { .. }))
            .count();
        let mut dedup_at: Option<&Command> = None;
        let mut pattern_seen = false;
        let mut binned_stats_seen = false;
        // Fields available after the first stats (only tracked when there are two).
        let mut available: Option<HashSet<String>> = None;

        for (index, command) in commands.iter().enumerate() {
            if let Some(dedup) = dedup_at
                && !matches!(command.kind, CommandKind::Limit { .. })
            {
                return Err(Diagnostic::semantic(
                    format!("`{}` cannot follow `dedup`", command.kind.name()),
                    command.span,
                )
                .with_label("only `limit` may follow `dedup`")
                .with_help(format!(
                    "move this command before the `dedup` at offset {}",
                    dedup.span.start
                )));
            }
            match &command.kind {
                CommandKind::Source(source) => {
                    if index != 0 {
                        return Err(Diagnostic::semantic(
                            "`SOURCE` must be the first command",
                            command.span,
                        )
                        .with_label("not the first command"));
                    }
                    for selector in &source.selectors {
                        if let SourceSelector::LogGroups { options, .. } = selector {
                            for o in options {
                                self.expr(&o.value, Ctx::Scalar)?;
                            }
                        }
                    }
                }
                CommandKind::Stats {
                    aggregates,
                    by,
                    offset: _,
                } => {
                    stats_seen += 1;
                    if stats_seen > 2 {
                        return Err(Diagnostic::semantic(
                            "a query can have at most two `stats` commands",
                            command.span,
                        )
                        .with_label("third `stats`"));
                    }
                    if stats_seen == 2
                        && let Some(available) = &available
                    {
                        check_second_stats(aggregates, by, available)?;
                    }
                    self.stats(aggregates, by)?;
                    if by.iter().any(|p| is_bin(&p.expr)) {
                        binned_stats_seen = true;
                    }
                    if stats_seen == 1 && total_stats == 2 {
                        available = Some(stats_outputs(aggregates, by));
                    }
                }
                CommandKind::Sort(_) | CommandKind::Limit { .. }
                    if total_stats == 2 && stats_seen < 2 =>
                {
                    return Err(Diagnostic::semantic(
                        format!(
                            "`{}` must come after the second `stats`",
                            command.kind.name()
                        ),
                        command.span,
                    )
                    .with_label("before the second `stats`")
                    .with_help("in a query with two `stats`, sort and limit the final result"));
                }
                CommandKind::Dedup(items) => {
                    for e in items {
                        self.expr(e, Ctx::Scalar)?;
                    }
                    dedup_at = Some(command);
                }
                CommandKind::Pattern(e) => {
                    self.expr(e, Ctx::Scalar)?;
                    pattern_seen = true;
                }
                // Comparisons return patterns (of `@message` when no `pattern` precedes them).
                CommandKind::Diff { .. } | CommandKind::LogCompare { .. } => pattern_seen = true,
                CommandKind::Anomaly if !pattern_seen => {
                    return Err(Diagnostic::semantic(
                        "`anomaly` needs a `pattern` command before it",
                        command.span,
                    )
                    .with_label("no `pattern` earlier in the query")
                    .with_help("write `pattern @message | anomaly`"));
                }
                CommandKind::FillMissing(_) if !binned_stats_seen => {
                    return Err(Diagnostic::semantic(
                        "`fillmissing` needs a `stats ... by bin(...)` before it",
                        command.span,
                    )
                    .with_label("no time-binned `stats` earlier in the query"));
                }
                CommandKind::Limit {
                    count, count_span, ..
                } if *count == 0 || *count > MAX_LIMIT => {
                    return Err(Diagnostic::semantic(
                        format!("`limit` must be between 1 and {MAX_LIMIT}"),
                        *count_span,
                    )
                    .with_label("out of range"));
                }
                CommandKind::Parse {
                    source,
                    mode,
                    targets,
                    ..
                } => {
                    if let Some(source) = source {
                        self.expr(source, Ctx::Scalar)?;
                    }
                    check_parse(mode, targets.len())?;
                }
                CommandKind::Join { query, .. } | CommandKind::AppendCols { query, .. } => {
                    Pipeline::default().check(&query.commands)?;
                }
                _ => {}
            }
            self.command_exprs(command)?;
            if let Some(available) = &mut available
                && stats_seen == 1
            {
                add_outputs(command, available);
            }
        }
        Ok(())
    }

    /// Checks the expressions of commands not handled in [`Pipeline::check`].
    fn command_exprs(&mut self, command: &Command) -> Result<(), Diagnostic> {
        match &command.kind {
            CommandKind::Fields(items) | CommandKind::Display(items) => {
                for p in items {
                    self.expr(&p.expr, Ctx::Scalar)?;
                }
            }
            CommandKind::Filter { condition: e, .. }
            | CommandKind::FilterIndex { condition: e }
            | CommandKind::Expand(e)
            | CommandKind::Unnest { expr: e, .. }
            | CommandKind::Unmask(Some(e)) => self.expr(e, Ctx::Scalar)?,
            CommandKind::Sort(keys) => {
                for k in keys {
                    self.expr(&k.expr, Ctx::Scalar)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn stats(&mut self, aggregates: &[Projection], by: &[Projection]) -> Result<(), Diagnostic> {
        self.stats_aliases.clear();
        for p in by {
            self.expr(&p.expr, Ctx::StatsGroup)?;
        }
        for p in aggregates {
            if !self.has_aggregate_or_alias(&p.expr) {
                return Err(Diagnostic::semantic(
                    "`stats` needs an aggregate function here",
                    p.expr.span,
                )
                .with_label("not an aggregate")
                .with_help("use an aggregate such as `count(*)`, `sum(x)` or `max(x)`"));
            }
            self.expr(&p.expr, Ctx::StatsTop)?;
            match &p.alias {
                Some(alias) => {
                    self.stats_aliases.insert(alias.name.clone());
                }
                None => {
                    self.stats_columns.insert(expr_text(&p.expr));
                }
            }
        }
        self.stats_aliases.clear();
        Ok(())
    }

    fn has_aggregate_or_alias(&self, e: &Expr) -> bool {
        let mut found = false;
        walk(e, &mut |e| match &e.kind {
            ExprKind::Call { name, .. } if functions::is_aggregate(&name.name) => found = true,
            ExprKind::Field(name) if self.stats_aliases.contains(&name.name) => found = true,
            _ => {}
        });
        found
    }

    fn expr(&self, e: &Expr, ctx: Ctx) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Call { name, args } => self.call(e, name, args, ctx),
            ExprKind::Field(name) if ctx == Ctx::StatsTop => {
                if self.stats_aliases.contains(&name.name) {
                    Ok(())
                } else {
                    Err(Diagnostic::semantic(
                        format!("`{}` must be inside an aggregate function", name.name),
                        e.span,
                    )
                    .with_label("not aggregated")
                    .with_help(format!(
                        "aggregate it (`max({0})`) or group by it (`by {0}`)",
                        e
                    )))
                }
            }
            ExprKind::Star => Err(Diagnostic::semantic(
                "`*` is only allowed in `count(*)`",
                e.span,
            )
            .with_label("not allowed here")),
            ExprKind::Literal(Literal::Duration { .. }) => Err(Diagnostic::semantic(
                "a duration is not allowed here",
                e.span,
            )
            .with_label("duration literal")),
            ExprKind::Subquery(query) => Pipeline::default().check(&query.commands),
            _ => {
                let mut result = Ok(());
                for child in children(e) {
                    if result.is_ok() {
                        result = self.expr(child, ctx);
                    }
                }
                result
            }
        }
    }

    fn call(
        &self,
        e: &Expr,
        name: &crate::ast::Ident,
        args: &[Expr],
        ctx: Ctx,
    ) -> Result<(), Diagnostic> {
        let Some(f) = functions::lookup(&name.name) else {
            let mut d =
                Diagnostic::semantic(format!("unknown function `{}`", name.name), name.span)
                    .with_label("not a function");
            if let Some(s) = functions::suggest(&name.name) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(d);
        };
        if !f.accepts_arity(args.len()) {
            return Err(Diagnostic::semantic(
                format!(
                    "`{}` takes {}, found {}",
                    f.name,
                    f.arity_text(),
                    args.len()
                ),
                e.span,
            )
            .with_label("wrong number of arguments"));
        }
        let inner_ctx = if f.class == FunctionClass::Aggregate {
            match ctx {
                Ctx::StatsTop => Ctx::InAggregate,
                Ctx::InAggregate => {
                    return Err(Diagnostic::semantic(
                        "aggregate functions cannot be nested",
                        e.span,
                    )
                    .with_label("inside another aggregate"));
                }
                // A reference to a column an earlier `stats` produced (`sort count(*) desc`).
                _ if self.stats_columns.contains(&expr_text(e)) => return Ok(()),
                Ctx::StatsGroup => {
                    return Err(Diagnostic::semantic(
                        format!("cannot group by the aggregate `{}`", f.name),
                        e.span,
                    )
                    .with_label("aggregate in `by`"));
                }
                Ctx::Scalar => {
                    return Err(Diagnostic::semantic(
                        format!("aggregate function `{}` is only allowed in `stats`", f.name),
                        e.span,
                    )
                    .with_label("aggregate outside `stats`")
                    .with_help("compute it with `stats`, then refer to its alias"));
                }
            }
        } else {
            ctx
        };
        // `bin(period)` has the period first; `bin(ts, period)` second.
        let one_arg_bin = f.name == "bin" && args.len() == 1;
        for (i, arg) in args.iter().enumerate() {
            let kind = if one_arg_bin {
                ArgKind::Period
            } else {
                f.arg_kind(i)
            };
            let is_duration = matches!(arg.kind, ExprKind::Literal(Literal::Duration { .. }));
            match kind {
                ArgKind::Period if !is_duration => {
                    return Err(Diagnostic::semantic(
                        format!("`{}` expects a duration such as `5m` here", f.name),
                        arg.span,
                    )
                    .with_label("not a duration"));
                }
                ArgKind::Period => {}
                ArgKind::AnyOrStar if matches!(arg.kind, ExprKind::Star) => {}
                ArgKind::Any | ArgKind::AnyOrStar if is_duration => {
                    return Err(Diagnostic::semantic(
                        format!("`{}` does not take a duration here", f.name),
                        arg.span,
                    )
                    .with_label("duration literal"));
                }
                _ => self.expr(arg, inner_ctx)?,
            }
        }
        Ok(())
    }
}

fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Unary { operand, .. } => vec![operand],
        ExprKind::Binary { left, right, .. } => vec![left, right],
        ExprKind::Like { expr, pattern, .. } => vec![expr, pattern],
        ExprKind::In { expr, list, .. } => vec![expr, list],
        ExprKind::Call { args, .. } => args.iter().collect(),
        ExprKind::Member { base, .. } => vec![base],
        ExprKind::Index { base, index } => vec![base, index],
        _ => Vec::new(),
    }
}

fn walk<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    for c in children(e) {
        walk(c, f);
    }
}

fn is_bin(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { name, .. } if name.name.eq_ignore_ascii_case("bin"))
}

/// The column name a projection produces.
fn output_name(p: &Projection) -> String {
    match (&p.alias, &p.expr.kind) {
        (Some(alias), _) => alias.name.clone(),
        (None, ExprKind::Field(name)) => name.name.clone(),
        (None, _) => expr_text(&p.expr),
    }
}

fn stats_outputs(aggregates: &[Projection], by: &[Projection]) -> HashSet<String> {
    by.iter().chain(aggregates).map(output_name).collect()
}

/// Adds the fields a command between the two `stats` creates.
fn add_outputs(command: &Command, available: &mut HashSet<String>) {
    match &command.kind {
        CommandKind::Fields(items) | CommandKind::Display(items) => {
            available.extend(items.iter().map(output_name));
        }
        CommandKind::Parse { mode, targets, .. } => {
            available.extend(targets.iter().map(|t| t.name.clone()));
            if let ParseMode::Regex { pattern, .. } = mode {
                available.extend(regex_groups(pattern).0);
            }
        }
        CommandKind::Json { alias, .. } => {
            available.insert(alias.name.clone());
        }
        CommandKind::Unnest { into, .. } => {
            available.insert(into.name.clone());
        }
        CommandKind::Lookup { outputs, .. } | CommandKind::CidrLookup { outputs, .. } => {
            for o in outputs {
                available.insert(o.alias.as_ref().unwrap_or(&o.name).name.clone());
            }
        }
        _ => {}
    }
}

/// The second `stats` may only use what the first produced (spec §3.4).
fn check_second_stats(
    aggregates: &[Projection],
    by: &[Projection],
    available: &HashSet<String>,
) -> Result<(), Diagnostic> {
    let mut own = HashSet::new();
    for p in by.iter().chain(aggregates) {
        let mut err = None;
        walk(&p.expr, &mut |e| {
            if err.is_some() {
                return;
            }
            match &e.kind {
                ExprKind::Field(name) => {
                    let head = name.name.split('.').next().unwrap_or("");
                    let known = |n: &str| available.contains(n) || own.contains(n);
                    if !known(&name.name) && !known(head) {
                        err = Some(
                            Diagnostic::semantic(
                                format!("`{}` is not an output of the first `stats`", name.name),
                                e.span,
                            )
                            .with_label("not available to the second `stats`")
                            .with_help(
                                "the second `stats` can only use the aliases and group-by fields of the first",
                            ),
                        );
                    }
                }
                _ if is_bin(e) && !available.contains("@timestamp") => {
                    err = Some(
                        Diagnostic::semantic("`bin` cannot be used in the second `stats`", e.span)
                            .with_label("`@timestamp` is not available here")
                            .with_help(
                                "carry a timestamp through (`max(@timestamp) as @t`) and use `datefloor(@t, 5m)`",
                            ),
                    );
                }
                _ => {}
            }
        });
        if let Some(err) = err {
            return Err(err);
        }
        if let Some(alias) = &p.alias {
            own.insert(alias.name.clone());
        }
    }
    Ok(())
}

fn check_parse(mode: &ParseMode, targets: usize) -> Result<(), Diagnostic> {
    match mode {
        ParseMode::Glob { pattern, span } => {
            let stars = pattern.matches('*').count();
            if stars != targets {
                return Err(Diagnostic::semantic(
                    format!("the pattern has {stars} `*` but {targets} names follow `as`"),
                    *span,
                )
                .with_label(format!("{stars} wildcard(s)"))
                .with_help("each `*` captures one field: give exactly one name per `*`"));
            }
        }
        ParseMode::Regex { pattern, span } => {
            let (named, groups) = regex_groups(pattern);
            if targets == 0 && named.is_empty() {
                return Err(Diagnostic::semantic("the regex has no named groups", *span)
                    .with_label("nothing to extract")
                    .with_help("name the groups, `(?<user>\\w+)`, or add `as name, ...`"));
            }
            if targets > 0 && groups > 0 && groups != targets {
                return Err(Diagnostic::semantic(
                    format!(
                        "the regex has {groups} capture groups but {targets} names follow `as`"
                    ),
                    *span,
                )
                .with_label(format!("{groups} group(s)")));
            }
        }
        ParseMode::Logfmt | ParseMode::Csv => {}
    }
    Ok(())
}

/// The named groups of a regex and the number of capturing groups.
pub(crate) fn regex_groups(pattern: &str) -> (Vec<String>, usize) {
    let bytes = pattern.as_bytes();
    let mut names = Vec::new();
    let mut groups = 0;
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is literal.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                let rest = &pattern[i + 1..];
                let name_start = if rest.starts_with("?<")
                    && !rest.starts_with("?<=")
                    && !rest.starts_with("?<!")
                {
                    Some(2)
                } else if rest.starts_with("?P<") {
                    Some(3)
                } else {
                    None
                };
                if let Some(start) = name_start {
                    groups += 1;
                    if let Some(end) = rest[start..].find('>') {
                        names.push(rest[start..start + end].to_owned());
                    }
                } else if !rest.starts_with('?') {
                    groups += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (names, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_regex_groups() {
        assert_eq!(
            regex_groups(r"(?<a>\d+) (b)(?:c)(?i)x"),
            (vec!["a".to_owned()], 2)
        );
        assert_eq!(
            regex_groups(r"\((?P<n>[()]+)\)[^]()]"),
            (vec!["n".to_owned()], 1)
        );
        assert_eq!(regex_groups(r"(?<=x)(?<!y)"), (vec![], 0));
    }
}
