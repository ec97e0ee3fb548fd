//! `parse`, `json`, `unnest`, `expand`: commands that extract values from a field.

use crate::ast::{CommandKind, ExprKind, Literal, ParseMode};
use crate::diagnostic::Diagnostic;
use crate::parser::lexical::{self, trivia};
use crate::parser::{PResult, Parser};

impl<'s> Parser<'s> {
    /// ```text
    /// parse := "parse" [postfix] ( string "as" names
    ///                            | regex ["as" names] ["multi"]
    ///                            | "logfmt" "as" name
    ///                            | "csv" "as" names )
    /// ```
    pub(super) fn parse_command(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let t = trivia(i);
        let (t, source) = if starts_pattern(t) || mode_word(t).is_some() {
            (t, None)
        } else {
            let (r, node) = self.postfix(t)?;
            (trivia(r), Some(node.expr))
        };
        if let Some((r, mode)) = mode_word(t) {
            let (r, _) = self.expect_keyword(r, "as")?;
            let (r, targets) = if mode == ParseMode::Logfmt {
                let (r, name) = self.name(r, "a field name for the logfmt map")?;
                (r, vec![name])
            } else {
                self.names(r, "a field name")?
            };
            return Ok((
                r,
                CommandKind::Parse {
                    source,
                    mode,
                    targets,
                    multi: false,
                },
            ));
        }
        let (r, node) = match t.chars().next() {
            Some('"' | '\'') => self.string(t)?,
            Some('/') => self.regex(t)?,
            _ => {
                return self.expected(
                    t,
                    "a glob string, a /regex/, `logfmt` or `csv`",
                    "expected a pattern",
                );
            }
        };
        let span = node.expr.span;
        let mode = match node.expr.kind {
            ExprKind::Literal(Literal::String(pattern)) => ParseMode::Glob { pattern, span },
            ExprKind::Literal(Literal::Regex(pattern)) => ParseMode::Regex { pattern, span },
            _ => return self.fail(Diagnostic::syntax("expected a pattern", span)),
        };
        let is_glob = matches!(mode, ParseMode::Glob { .. });
        let (r, targets) = if is_glob {
            let (r, _) = self.expect_keyword(r, "as").map_err(|_| {
                crate::parser::PError::failure(
                    Diagnostic::syntax("a glob pattern needs `as` and one name per `*`", span)
                        .with_label("no `as` after this pattern")
                        .with_help("write `parse @message \"user=*\" as user`"),
                )
            })?;
            self.names(r, "a field name")?
        } else {
            match lexical::keyword("as")(trivia(r)) {
                Ok((after, _)) => self.names(after, "a field name")?,
                Err(_) => (r, Vec::new()),
            }
        };
        let (r, multi) = match lexical::keyword("multi")(trivia(r)) {
            Ok((after, _)) if !is_glob => (after, true),
            _ => (r, false),
        };
        Ok((
            r,
            CommandKind::Parse {
                source,
                mode,
                targets,
                multi,
            },
        ))
    }

    /// `json field=name "path" as alias`
    pub(super) fn json(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, _) = self.expect_keyword(i, "field")?;
        let (r, _) = self.expect_char(r, '=')?;
        let (r, field) = self.name(r, "a field name")?;
        let t = trivia(r);
        if !t.starts_with(['"', '\'']) {
            return self.expected(
                t,
                "a quoted key path such as \"user.name\"",
                "expected a string",
            );
        }
        let (r, path) = self.string_text(t)?;
        let path_span = self.span(t, r);
        let (r, _) = self.expect_keyword(r, "as")?;
        let (r, alias) = self.name(r, "an alias")?;
        Ok((
            r,
            CommandKind::Json {
                field,
                path,
                path_span,
                alias,
            },
        ))
    }

    /// `unnest expr into name`
    pub(super) fn unnest(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, expr) = self.expr(i)?;
        let (r, _) = self.expect_keyword(r, "into")?;
        let (r, into) = self.name(r, "a field name")?;
        Ok((r, CommandKind::Unnest { expr, into }))
    }

    /// `expand expr`
    pub(super) fn expand(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, expr) = self.expr(i)?;
        Ok((r, CommandKind::Expand(expr)))
    }
}

/// Whether `t` starts a glob string or a regex (a `parse` without a source field).
fn starts_pattern(t: &str) -> bool {
    t.starts_with(['"', '\'', '/'])
}

/// `logfmt` or `csv` followed by `as` (otherwise the word is a source field name).
fn mode_word(t: &str) -> Option<(&str, ParseMode)> {
    for (kw, mode) in [("logfmt", ParseMode::Logfmt), ("csv", ParseMode::Csv)] {
        if let Ok((r, _)) = lexical::keyword(kw)(t)
            && lexical::at_keyword(trivia(r), "as")
        {
            return Some((r, mode));
        }
    }
    None
}
