//! Commands that read other sources: `SOURCE`, `join`, `appendcols`, `lookup`, `cidrlookup`.

use crate::ast::{
    CommandKind, CommandOption, ExprKind, FieldMapping, Ident, JoinType, Literal, OutputMode,
    Source, SourceOption, SourceSelector, TagFilter, TimeBound, TimeValue,
};
use crate::diagnostic::Diagnostic;
use crate::parser::lexical::{self, trivia};
use crate::parser::{PResult, Parser};

impl<'s> Parser<'s> {
    /// `source := "SOURCE" selector+ time_bound*`
    pub(super) fn source(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let mut selectors = Vec::new();
        let mut rest = i;
        loop {
            let t = trivia(rest);
            if at_time_bound(t) || !starts_selector(t) {
                break;
            }
            let (r, selector) = self.selector(t)?;
            selectors.push(selector);
            // Selectors may be separated by spaces or commas.
            let after = trivia(r);
            rest = after.strip_prefix(',').unwrap_or(r);
        }
        if selectors.is_empty() {
            return self.expected(
                trivia(rest),
                "a log group selector",
                "expected `logGroups(...)`, `logGroupTags(...)`, `dataSource(...)` or a name",
            );
        }
        let mut bounds = Vec::new();
        while at_time_bound(trivia(rest)) {
            let (r, bound) = self.time_bound(trivia(rest))?;
            bounds.push(bound);
            rest = r;
        }
        Ok((rest, CommandKind::Source(Source { selectors, bounds })))
    }

    fn selector(&self, t: &'s str) -> PResult<'s, SourceSelector> {
        if t.starts_with(['"', '\'']) {
            let (r, node) = self.string(t)?;
            return Ok((r, SourceSelector::Name(node.expr)));
        }
        let Ok((r, word)) = lexical::word(t) else {
            let (r, name) = self.name(t, "a log group name")?;
            let span = name.span;
            return Ok((
                r,
                SourceSelector::Name(crate::ast::Expr {
                    kind: ExprKind::Field(name),
                    span,
                }),
            ));
        };
        let is_call = trivia(r).starts_with('(');
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "loggroups" if is_call => {
                let (r, _) = self.expect_char(r, '(')?;
                let mut options = Vec::new();
                let mut rest = r;
                if !trivia(rest).starts_with(')') {
                    loop {
                        let (r, option) = self.source_option(rest)?;
                        options.push(option);
                        match trivia(r).strip_prefix(',') {
                            Some(after) => rest = after,
                            None => {
                                rest = r;
                                break;
                            }
                        }
                    }
                }
                let (r, _) = self.expect_char(rest, ')')?;
                Ok((
                    r,
                    SourceSelector::LogGroups {
                        options,
                        span: self.span(t, r),
                    },
                ))
            }
            "loggrouptags" if is_call => {
                let (r, _) = self.expect_char(r, '(')?;
                let (mut rest, _) = self.expect_char(r, '[')?;
                let mut filters = Vec::new();
                loop {
                    let (r, filter) = self.tag_filter(rest)?;
                    filters.push(filter);
                    match trivia(r).strip_prefix(',') {
                        Some(after) => rest = after,
                        None => {
                            rest = r;
                            break;
                        }
                    }
                }
                let (r, _) = self.expect_char(rest, ']')?;
                let (r, _) = self.expect_char(r, ')')?;
                Ok((
                    r,
                    SourceSelector::LogGroupTags {
                        filters,
                        span: self.span(t, r),
                    },
                ))
            }
            "datasource" if is_call => {
                let (r, _) = self.expect_char(r, '(')?;
                let r = trivia(r);
                if !r.starts_with('[') {
                    return self.expected(r, "a list of data source names", "expected `[`");
                }
                let (r, names) = self.list(r)?;
                let (r, _) = self.expect_char(r, ')')?;
                Ok((
                    r,
                    SourceSelector::DataSource {
                        names: names.expr,
                        span: self.span(t, r),
                    },
                ))
            }
            _ => {
                let (r, name) = self.name(t, "a log group name")?;
                let span = name.span;
                Ok((
                    r,
                    SourceSelector::Name(crate::ast::Expr {
                        kind: ExprKind::Field(name),
                        span,
                    }),
                ))
            }
        }
    }

    /// `key: value` in `logGroups(...)`.
    fn source_option(&self, i: &'s str) -> PResult<'s, SourceOption> {
        let t = trivia(i);
        let keys = [
            "namePrefix",
            "accountIdentifiers",
            "accountIdentifier",
            "class",
            "logGroupClass",
        ];
        let (r, (key, key_span)) = self.choice(t, &keys, "a `logGroups` option")?;
        let (r, _) = self.expect_char(r, ':')?;
        let (r, value) = self.expr(r)?;
        let span = key_span.to(value.span);
        let key = Ident {
            name: key.to_owned(),
            span: key_span,
        };
        Ok((r, SourceOption { key, value, span }))
    }

    /// `{key: 'k', values: ['a', 'b']}` (keys may be quoted).
    fn tag_filter(&self, i: &'s str) -> PResult<'s, TagFilter> {
        let t = trivia(i);
        let (mut rest, _) = self.expect_char(t, '{')?;
        let mut key = None;
        let mut values = Vec::new();
        loop {
            let k = trivia(rest);
            let (r, name) = if k.starts_with(['"', '\'']) {
                self.string_text(k)?
            } else {
                let (r, w) = lexical::word(k)
                    .or_else(|_| self.expected(k, "`key` or `values`", "expected a key"))?;
                (r, w.to_owned())
            };
            let name_span = self.span(k, r);
            let (r, _) = self.expect_char(r, ':')?;
            let (r, value) = self.expr(r)?;
            match (name.to_ascii_lowercase().as_str(), &value.kind) {
                ("key", ExprKind::Literal(Literal::String(s))) => key = Some(s.clone()),
                ("values", ExprKind::List(items)) => {
                    for item in items {
                        match &item.kind {
                            ExprKind::Literal(Literal::String(s)) => values.push(s.clone()),
                            _ => {
                                return self.fail(Diagnostic::syntax(
                                    "tag values must be strings",
                                    item.span,
                                ));
                            }
                        }
                    }
                }
                ("values", ExprKind::Literal(Literal::String(s))) => values.push(s.clone()),
                ("key" | "values", _) => {
                    return self.fail(
                        Diagnostic::syntax("expected a string or a list of strings", value.span)
                            .with_label("not a string"),
                    );
                }
                _ => {
                    return self.fail(
                        Diagnostic::syntax(format!("unknown tag filter key `{name}`"), name_span)
                            .with_label("expected `key` or `values`"),
                    );
                }
            }
            let t = trivia(r);
            if let Some(after) = t.strip_prefix(',') {
                rest = after;
            } else if let Some(after) = t.strip_prefix('}') {
                let span = self.span(trivia(i), after);
                let Some(key) = key else {
                    return self.fail(
                        Diagnostic::syntax("a tag filter needs a `key`", span)
                            .with_label("no `key`"),
                    );
                };
                return Ok((after, TagFilter { key, values, span }));
            } else {
                return self.expected(t, "`,` or `}`", "expected `,` or `}`");
            }
        }
    }

    /// `("start" | "end") "=" ("now" | ["-"|"+"] integer [unit])`
    fn time_bound(&self, t: &'s str) -> PResult<'s, TimeBound> {
        let (r, (which, _)) = self.choice(t, &["start", "end"], "`start` or `end`")?;
        let (r, _) = self.expect_char(r, '=')?;
        let v = trivia(r);
        if let Ok((r, _)) = lexical::keyword("now")(v) {
            return Ok((
                r,
                TimeBound {
                    end: which == "end",
                    value: TimeValue::Now,
                    span: self.span(t, r),
                },
            ));
        }
        let (v, negative) = match v.strip_prefix('-') {
            Some(after) => (after, true),
            None => (v.strip_prefix('+').unwrap_or(v), false),
        };
        let Ok((after_digits, digits)) = nom::character::complete::digit1::<_, ()>(v) else {
            return self.expected(v, "`now` or a time offset such as `-1d`", "expected a time");
        };
        let Ok(value) = digits.parse::<u64>() else {
            return self.fail(Diagnostic::syntax(
                "time value is too large",
                self.span(v, after_digits),
            ));
        };
        let (r, value) = match lexical::word(after_digits) {
            Ok((r, unit)) if lexical::is_duration_unit(unit) => (
                r,
                TimeValue::Relative {
                    negative,
                    value,
                    unit: unit.to_owned(),
                },
            ),
            Ok((r, _)) => {
                return self.fail(
                    Diagnostic::syntax("unknown time unit", self.span(after_digits, r))
                        .with_label("not a unit")
                        .with_help("use a unit such as `s`, `m`, `h`, `d` or `w`"),
                );
            }
            Err(_) if negative => {
                return self.fail(
                    Diagnostic::syntax("a relative time needs a unit", self.span(v, after_digits))
                        .with_help("write `-1h`, `-7d`, ..."),
                );
            }
            Err(_) => (after_digits, TimeValue::Epoch(value)),
        };
        Ok((
            r,
            TimeBound {
                end: which == "end",
                value,
                span: self.span(t, r),
            },
        ))
    }

    /// `join [type=inner|left] left=a right=b where a.f = b.g (subquery)`
    pub(super) fn join(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let mut join_type = None;
        let mut left = None;
        let mut right = None;
        let mut rest = i;
        loop {
            let t = trivia(rest);
            if lexical::at_keyword(t, "where") {
                break;
            }
            let (r, (key, _)) = self.choice(
                t,
                &["type", "left", "right"],
                "`type=`, `left=`, `right=` or `where`",
            )?;
            let (r, _) = self.expect_char(r, '=')?;
            rest = match key {
                "type" => {
                    let (r, (ty, _)) = self.choice(r, &["inner", "left"], "`inner` or `left`")?;
                    join_type = Some(if ty == "inner" {
                        JoinType::Inner
                    } else {
                        JoinType::Left
                    });
                    r
                }
                "left" => {
                    let (r, name) = self.name(r, "an alias for the left side")?;
                    left = Some(name);
                    r
                }
                _ => {
                    let (r, name) = self.name(r, "an alias for the right side")?;
                    right = Some(name);
                    r
                }
            };
        }
        let where_at = trivia(rest);
        let (r, _) = self.expect_keyword(rest, "where")?;
        let (Some(left), Some(right)) = (left, right) else {
            let (span, _) = self.next_token(where_at);
            return self.fail(
                Diagnostic::syntax("`join` needs `left=` and `right=` aliases", span)
                    .with_label("before this `where`")
                    .with_help("write `join left=a right=b where a.id = b.id (SOURCE ...)`"),
            );
        };
        let (r, left_key) = self.name(r, "the left join key")?;
        let (r, _) = self.expect_char(r, '=')?;
        let (r, right_key) = self.name(r, "the right join key")?;
        let t = trivia(r);
        if !t.starts_with('(') {
            return self.expected(t, "`(` and the right-hand query", "expected `(`");
        }
        let (r, query) = self.nested(t, |t| self.subquery(t))?;
        Ok((
            r,
            CommandKind::Join {
                join_type,
                left,
                right,
                left_key,
                right_key,
                query: Box::new(query),
            },
        ))
    }

    /// `appendcols [override=bool] [max=n] (subquery)`
    pub(super) fn appendcols(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, options) = self.options(i, &["override", "max"])?;
        let t = trivia(r);
        if !t.starts_with('(') {
            return self.expected(t, "`(` and a subquery", "expected `(`");
        }
        let (r, query) = self.nested(t, |t| self.subquery(t))?;
        Ok((
            r,
            CommandKind::AppendCols {
                options,
                query: Box::new(query),
            },
        ))
    }

    /// `name=value` options, in any order, each from `allowed`.
    pub(super) fn options(
        &self,
        i: &'s str,
        allowed: &[&'static str],
    ) -> PResult<'s, Vec<CommandOption>> {
        let mut options = Vec::new();
        let mut rest = i;
        loop {
            let t = trivia(rest);
            let Ok((r, word)) = lexical::word(t) else {
                return Ok((rest, options));
            };
            let Some(name) = allowed.iter().find(|a| a.eq_ignore_ascii_case(word)) else {
                return Ok((rest, options));
            };
            let Some(after_eq) = trivia(r).strip_prefix('=') else {
                return Ok((rest, options));
            };
            let name = Ident {
                name: (*name).to_owned(),
                span: self.span(t, r),
            };
            let v = trivia(after_eq);
            let (r, value) = if v.starts_with(lexical::is_word_char)
                && !v.starts_with(|c: char| c.is_ascii_digit())
            {
                let (r, w) = lexical::word(v)?;
                let span = self.span(v, r);
                let kind = match w.to_ascii_lowercase().as_str() {
                    "true" => ExprKind::Literal(Literal::Bool(true)),
                    "false" => ExprKind::Literal(Literal::Bool(false)),
                    _ => ExprKind::Field(Ident {
                        name: w.to_owned(),
                        span,
                    }),
                };
                (r, crate::ast::Expr { kind, span })
            } else {
                let (r, node) = self.postfix(v)?;
                if !matches!(node.expr.kind, ExprKind::Literal(_) | ExprKind::Field(_)) {
                    return self.fail(
                        Diagnostic::syntax("option values are literals or names", node.expr.span)
                            .with_label("not a literal"),
                    );
                }
                (r, node.expr)
            };
            let span = name.span.to(value.span);
            options.push(CommandOption { name, value, span });
            rest = r;
        }
    }

    /// `lookup table mapping, ... OUTPUT|OUTPUTNEW mapping, ...`
    pub(super) fn lookup(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, table) = self.name(i, "a lookup table name")?;
        let (r, matches) = self.mappings(r)?;
        let (r, mode) = self.output_mode(r)?;
        let (r, outputs) = self.mappings(r)?;
        Ok((
            r,
            CommandKind::Lookup {
                table,
                matches,
                mode,
                outputs,
            },
        ))
    }

    /// `cidrlookup table ipField [as cidrColumn] OUTPUT|OUTPUTNEW mapping, ...`
    pub(super) fn cidrlookup(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, table) = self.name(i, "a lookup table name")?;
        let (r, ip_field) = self.name(r, "the IP address field")?;
        let (r, cidr_column) = self.alias(r)?;
        let (r, mode) = self.output_mode(r)?;
        let (r, outputs) = self.mappings(r)?;
        Ok((
            r,
            CommandKind::CidrLookup {
                table,
                ip_field,
                cidr_column,
                mode,
                outputs,
            },
        ))
    }

    fn mappings(&self, i: &'s str) -> PResult<'s, Vec<FieldMapping>> {
        let mut items = Vec::new();
        let mut rest = i;
        loop {
            let (r, name) = self.name(rest, "a field name")?;
            let (r, alias) = self.alias(r)?;
            let span = name.span.to(alias.as_ref().map_or(name.span, |a| a.span));
            items.push(FieldMapping { name, alias, span });
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, items)),
            }
        }
    }

    fn output_mode(&self, i: &'s str) -> PResult<'s, OutputMode> {
        let (r, (mode, _)) = self.choice(i, &["OUTPUT", "OUTPUTNEW"], "`OUTPUT` or `OUTPUTNEW`")?;
        Ok((
            r,
            if mode == "OUTPUT" {
                OutputMode::Output
            } else {
                OutputMode::OutputNew
            },
        ))
    }
}

fn at_time_bound(t: &str) -> bool {
    (lexical::at_keyword(t, "start") || lexical::at_keyword(t, "end"))
        && lexical::word(t).is_ok_and(|(r, _)| trivia(r).starts_with('='))
}

fn starts_selector(t: &str) -> bool {
    t.starts_with(['"', '\'', '`'])
        || t.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == '@')
}
