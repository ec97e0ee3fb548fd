//! The expression grammar (spec §1.6), loosest first:
//!
//! ```text
//! or_expr  := and_expr ("or" and_expr)*
//! and_expr := not_expr ("and" not_expr)*
//! not_expr := ("not" | "!") not_expr | cmp_expr
//! cmp_expr := add_expr [ cmp_op add_expr | ["not"] "like" pattern | "=~" pattern
//!                      | ["not"] "in" list ]
//! add_expr := mul_expr (("+" | "-") mul_expr)*
//! mul_expr := pow_expr (("*" | "/" | "%") pow_expr)*
//! pow_expr := unary ["^" pow_expr]
//! unary    := "-" unary | primary
//! primary  := "(" expr ")" | list | string | regex | number | "true" | "false"
//!           | call | field
//! ```
//!
//! A `/` where an operand is expected starts a regex literal; after an operand it is division.

use super::lexical::{self, Delimited, trivia};
use super::{MAX_TREE_DEPTH, PError, PResult, Parser};
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, Literal, UnaryOp};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// An expression with the depth of its tree (to bound recursion in later stages).
pub(crate) struct Node {
    pub(crate) expr: Expr,
    pub(crate) depth: u32,
}

impl Node {
    fn leaf(kind: ExprKind, span: Span) -> Self {
        Node {
            expr: Expr { kind, span },
            depth: 1,
        }
    }
}

/// Where a duration literal such as `5m` may appear.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durations {
    Allowed,
    Forbidden,
}

impl<'s> Parser<'s> {
    /// A full expression; leading trivia is skipped.
    pub(crate) fn expr(&self, i: &'s str) -> PResult<'s, Expr> {
        let (rest, node) = self.or_expr(i)?;
        Ok((rest, node.expr))
    }

    /// Builds `left op right`, enforcing the tree-depth bound.
    fn combine(
        &self,
        left: Node,
        right: Node,
        at: &'s str,
        kind: impl FnOnce(Box<Expr>, Box<Expr>) -> ExprKind,
    ) -> PResult<'s, Node> {
        let depth = left.depth.max(right.depth) + 1;
        if depth > MAX_TREE_DEPTH {
            let (span, _) = self.next_token(at);
            return self.fail(
                Diagnostic::syntax("expression is too deep", span)
                    .with_label(format!("more than {MAX_TREE_DEPTH} nested operators"))
                    .with_help("split the condition across several `filter` commands"),
            );
        }
        let span = left.expr.span.to(right.expr.span);
        let kind = kind(Box::new(left.expr), Box::new(right.expr));
        Ok((
            at,
            Node {
                expr: Expr { kind, span },
                depth,
            },
        ))
    }

    /// Left-associative chain of `next` separated by operators recognised by `op`.
    fn left_assoc(
        &self,
        i: &'s str,
        next: impl Fn(&'s str) -> PResult<'s, Node>,
        op: impl Fn(&'s str) -> Option<(&'s str, BinaryOp)>,
    ) -> PResult<'s, Node> {
        let (mut i, mut left) = next(i)?;
        loop {
            let after_trivia = trivia(i);
            let Some((after_op, op)) = op(after_trivia) else {
                return Ok((i, left));
            };
            let (rest, right) = next(after_op)?;
            let (rest, node) = self.combine(left, right, rest, |l, r| ExprKind::Binary {
                op,
                left: l,
                right: r,
            })?;
            i = rest;
            left = node;
        }
    }

    fn or_expr(&self, i: &'s str) -> PResult<'s, Node> {
        self.left_assoc(
            i,
            |i| self.and_expr(i),
            |i| {
                lexical::keyword("or")(i)
                    .ok()
                    .map(|(r, _)| (r, BinaryOp::Or))
            },
        )
    }

    fn and_expr(&self, i: &'s str) -> PResult<'s, Node> {
        self.left_assoc(
            i,
            |i| self.not_expr(i),
            |i| {
                lexical::keyword("and")(i)
                    .ok()
                    .map(|(r, _)| (r, BinaryOp::And))
            },
        )
    }

    fn not_expr(&self, i: &'s str) -> PResult<'s, Node> {
        let i = trivia(i);
        let after_not = lexical::keyword("not")(i)
            .ok()
            .map(|(r, _)| r)
            .or_else(|| i.strip_prefix('!').filter(|r| !r.starts_with('=')));
        match after_not {
            Some(rest) => self.nested(rest, |rest| {
                let (rest, operand) = self.not_expr(rest)?;
                Ok(self.unary(UnaryOp::Not, i, rest, operand))
            }),
            None => self.cmp_expr(i),
        }
    }

    fn unary(&self, op: UnaryOp, start: &'s str, rest: &'s str, operand: Node) -> (&'s str, Node) {
        let span = Span::new(self.pos(start), operand.expr.span.end);
        let depth = operand.depth + 1;
        let kind = ExprKind::Unary {
            op,
            operand: Box::new(operand.expr),
        };
        (
            rest,
            Node {
                expr: Expr { kind, span },
                depth,
            },
        )
    }

    fn cmp_expr(&self, i: &'s str) -> PResult<'s, Node> {
        let (i, left) = self.add_expr(i)?;
        let t = trivia(i);
        let (rest, node) = if let Some((r, op)) = cmp_op(t) {
            let (r, right) = self.add_expr(r)?;
            self.combine(left, right, r, |l, r| ExprKind::Binary {
                op,
                left: l,
                right: r,
            })?
        } else if let Some((r, negated, tilde)) = self.pattern_op(t)? {
            let (r, pattern) = self.pattern(r, tilde)?;
            self.combine(left, pattern, r, |l, p| ExprKind::Like {
                expr: l,
                pattern: p,
                negated,
                tilde,
            })?
        } else if let Some((r, negated)) = in_op(t) {
            let (r, list) = self.in_list(r)?;
            self.combine(left, list, r, |l, list| ExprKind::In {
                expr: l,
                list,
                negated,
            })?
        } else {
            return Ok((i, left));
        };
        // Comparisons do not chain: `a < b < c` is almost always a mistake.
        let t = trivia(rest);
        if cmp_op(t).is_some() || matches!(self.pattern_op(t), Ok(Some(_))) || in_op(t).is_some() {
            let (span, found) = self.next_token(t);
            return self.fail(
                Diagnostic::syntax(
                    format!("comparisons cannot be chained, found {found}"),
                    span,
                )
                .with_label("second comparison")
                .with_help("combine comparisons with `and`, or add parentheses"),
            );
        }
        Ok((rest, node))
    }

    /// `like`, `not like` or `=~` at `t`: the rest, `negated` and `tilde`. A `not` that is
    /// followed by neither `like` nor `in` is an error.
    fn pattern_op(&self, t: &'s str) -> Result<Option<(&'s str, bool, bool)>, nom::Err<PError>> {
        if let Some(r) = t.strip_prefix("=~") {
            return Ok(Some((r, false, true)));
        }
        if let Ok((r, _)) = lexical::keyword("like")(t) {
            return Ok(Some((r, false, false)));
        }
        if let Ok((r, _)) = lexical::keyword("not")(t) {
            let r = trivia(r);
            if let Ok((r, _)) = lexical::keyword("like")(r) {
                return Ok(Some((r, true, false)));
            }
            if !lexical::at_keyword(r, "in") {
                let err =
                    self.expected::<()>(r, "`like` or `in` after `not`", "expected `like` or `in`");
                return err.map(|_| None);
            }
        }
        Ok(None)
    }

    /// The pattern after `like` (string or regex) or `=~` (regex).
    fn pattern(&self, i: &'s str, tilde: bool) -> PResult<'s, Node> {
        let i = trivia(i);
        match i.chars().next() {
            Some('/') => self.regex(i),
            Some('"' | '\'') if !tilde => self.string(i),
            _ => {
                let (span, found) = self.next_token(i);
                let (what, help) = if tilde {
                    (
                        "a regex literal after `=~`",
                        "write the pattern as `/regex/`",
                    )
                } else {
                    (
                        "a string or regex literal after `like`",
                        "write `like \"text\"` or `like /regex/`",
                    )
                };
                self.fail(
                    Diagnostic::syntax(format!("expected {what}, found {found}"), span)
                        .with_label("expected a pattern")
                        .with_help(help),
                )
            }
        }
    }

    /// The list or `( subquery )` after `in`.
    fn in_list(&self, i: &'s str) -> PResult<'s, Node> {
        let i = trivia(i);
        match i.chars().next() {
            Some('[') => self.list(i),
            Some('(') => self.nested(i, |i| {
                let (rest, query) = self.subquery(i)?;
                let kind = ExprKind::Subquery(Box::new(query));
                Ok((rest, Node::leaf(kind, self.span(i, rest))))
            }),
            _ => self.expected(
                i,
                "a list `[...]` or a subquery after `in`",
                "expected `[` or `(`",
            ),
        }
    }

    fn add_expr(&self, i: &'s str) -> PResult<'s, Node> {
        self.left_assoc(
            i,
            |i| self.mul_expr(i),
            |i| {
                let op = match i.chars().next()? {
                    '+' => BinaryOp::Add,
                    '-' => BinaryOp::Sub,
                    _ => return None,
                };
                Some((&i[1..], op))
            },
        )
    }

    fn mul_expr(&self, i: &'s str) -> PResult<'s, Node> {
        self.left_assoc(
            i,
            |i| self.pow_expr(i),
            |i| {
                let op = match i.chars().next()? {
                    '*' => BinaryOp::Mul,
                    '/' => BinaryOp::Div,
                    '%' => BinaryOp::Mod,
                    _ => return None,
                };
                Some((&i[1..], op))
            },
        )
    }

    /// `^` is right-associative: `2 ^ 3 ^ 2` is `2 ^ (3 ^ 2)`.
    fn pow_expr(&self, i: &'s str) -> PResult<'s, Node> {
        let (i, base) = self.unary_expr(i)?;
        let Some(r) = trivia(i).strip_prefix('^') else {
            return Ok((i, base));
        };
        let (r, exponent) = self.nested(r, |r| self.pow_expr(r))?;
        self.combine(base, exponent, r, |l, r| ExprKind::Binary {
            op: BinaryOp::Pow,
            left: l,
            right: r,
        })
    }

    fn unary_expr(&self, i: &'s str) -> PResult<'s, Node> {
        let i = trivia(i);
        match i.strip_prefix('-') {
            Some(rest) => self.nested(rest, |rest| {
                let (rest, operand) = self.unary_expr(rest)?;
                Ok(self.unary(UnaryOp::Neg, i, rest, operand))
            }),
            None => self.postfix(i),
        }
    }

    /// A primary followed by `.key` and `[index]` accessors (no space before either).
    pub(crate) fn postfix(&self, i: &'s str) -> PResult<'s, Node> {
        let (mut rest, mut node) = self.primary(i)?;
        loop {
            if let Some(after_dot) = rest.strip_prefix('.') {
                if after_dot.starts_with('`') {
                    let (r, key) = self.backtick_name(after_dot)?;
                    node = self.member(node, key)?;
                    rest = r;
                    continue;
                }
                let Ok((mut r, mut text)) = lexical::bare_name(after_dot) else {
                    return self.expected(after_dot, "a name after `.`", "expected a key");
                };
                // In ``.k.`a.b` `` the last dot starts the next (backticked) access.
                if let Some(head) = text.strip_suffix('.').filter(|_| r.starts_with('`')) {
                    text = head;
                    r = &after_dot[head.len()..];
                }
                // `a[0].b.c` is two member accesses.
                let mut at = self.pos(after_dot);
                for segment in text.split('.') {
                    if segment.is_empty() {
                        let span = Span::new(at, at);
                        return self.fail(
                            Diagnostic::syntax("expected a name after `.`", span)
                                .with_label("empty key"),
                        );
                    }
                    let end = at + segment.len() as u32;
                    let key = Ident {
                        name: segment.to_owned(),
                        span: Span::new(at, end),
                    };
                    node = self.member(node, key)?;
                    at = end + 1;
                }
                rest = r;
            } else if rest.starts_with('[') {
                let (r, index) = self.nested(rest, |open| {
                    let (r, index) = self.or_expr(&open[1..])?;
                    match trivia(r).strip_prefix(']') {
                        Some(r) => Ok((r, index)),
                        None => self.expected(trivia(r), "`]`", "expected `]`"),
                    }
                })?;
                let end = self.pos(r);
                let (_, mut indexed) = self.combine(node, index, r, |base, index| {
                    ExprKind::Index { base, index }
                })?;
                indexed.expr.span.end = end;
                node = indexed;
                rest = r;
            } else {
                return Ok((rest, node));
            }
        }
    }

    fn member(&self, base: Node, key: Ident) -> Result<Node, nom::Err<PError>> {
        let depth = base.depth + 1;
        if depth > MAX_TREE_DEPTH {
            let diag = Diagnostic::syntax("expression is too deep", key.span);
            return Err(PError::failure(diag));
        }
        let span = base.expr.span.to(key.span);
        let kind = ExprKind::Member {
            base: Box::new(base.expr),
            key,
        };
        Ok(Node {
            expr: Expr { kind, span },
            depth,
        })
    }

    fn primary(&self, i: &'s str) -> PResult<'s, Node> {
        let i = trivia(i);
        let Some(c) = i.chars().next() else {
            return self.expected(i, "an expression", "expected an expression");
        };
        match c {
            '(' => self.nested(i, |i| self.parenthesized(i)),
            '[' => self.list(i),
            '"' | '\'' => self.string(i),
            '/' => self.regex(i),
            '`' => {
                let (rest, ident) = self.backtick_name(i)?;
                let span = ident.span;
                Ok((rest, Node::leaf(ExprKind::Field(ident), span)))
            }
            '0'..='9' => self.number(i, Durations::Forbidden),
            '*' => {
                let (span, _) = self.next_token(i);
                self.fail(
                    Diagnostic::syntax("`*` is only allowed as a function argument", span)
                        .with_label("not an expression")
                        .with_help("use `*` as in `count(*)`"),
                )
            }
            _ => {
                if let Ok((rest, w)) =
                    lexical::keyword("true")(i).or_else(|_| lexical::keyword("false")(i))
                {
                    let value = w.eq_ignore_ascii_case("true");
                    return Ok((
                        rest,
                        Node::leaf(ExprKind::Literal(Literal::Bool(value)), self.span(i, rest)),
                    ));
                }
                match lexical::bare_name(i) {
                    Ok((rest, name)) => self.field_or_call(i, rest, name),
                    Err(_) => self.expected(
                        i,
                        "an expression",
                        "expected a field, literal, function call or `(`",
                    ),
                }
            }
        }
    }

    fn parenthesized(&self, i: &'s str) -> PResult<'s, Node> {
        let open = i;
        let (rest, mut inner) = self.or_expr(&i[1..])?;
        let rest = trivia(rest);
        let Some(rest) = rest.strip_prefix(')') else {
            let (span, found) = self.next_token(rest);
            let open_at = self.pos(open);
            return self.fail(
                Diagnostic::syntax(format!("expected `)`, found {found}"), span)
                    .with_label("expected `)`")
                    .with_help(format!("the `(` at offset {open_at} is not closed")),
            );
        };
        // The parenthesised node covers its parentheses.
        inner.expr.span = self.span(open, rest);
        Ok((rest, inner))
    }

    /// `[a, b, ...]`
    pub(crate) fn list(&self, i: &'s str) -> PResult<'s, Node> {
        self.nested(i, |i| {
            let open = i;
            let mut rest = trivia(&i[1..]);
            let mut items = Vec::new();
            let mut depth = 1;
            if let Some(r) = rest.strip_prefix(']') {
                return Ok((r, Node::leaf(ExprKind::List(items), self.span(open, r))));
            }
            loop {
                let (r, item) = self.or_expr(rest)?;
                depth = depth.max(item.depth + 1);
                items.push(item.expr);
                let r = trivia(r);
                if let Some(r) = r.strip_prefix(',') {
                    rest = r;
                } else if let Some(r) = r.strip_prefix(']') {
                    let span = self.span(open, r);
                    return Ok((
                        r,
                        Node {
                            expr: Expr {
                                kind: ExprKind::List(items),
                                span,
                            },
                            depth,
                        },
                    ));
                } else {
                    return self.expected(r, "`,` or `]`", "expected `,` or `]`");
                }
            }
        })
    }

    pub(crate) fn string(&self, i: &'s str) -> PResult<'s, Node> {
        let (rest, value) = self.string_text(i)?;
        Ok((
            rest,
            Node::leaf(
                ExprKind::Literal(Literal::String(value)),
                self.span(i, rest),
            ),
        ))
    }

    /// A quoted string's unescaped content; `i` starts at the quote.
    pub(crate) fn string_text(&self, i: &'s str) -> PResult<'s, String> {
        let quote = i.chars().next().unwrap_or('"');
        match lexical::delimited_body(&i[quote.len_utf8()..], quote, lexical::STRING_ESCAPES) {
            Delimited::Closed(value, rest) => Ok((rest, value)),
            Delimited::Unterminated => self.fail(
                Diagnostic::syntax("unterminated string", self.span(i, ""))
                    .with_label("this string is never closed")
                    .with_help(format!("add a closing {quote}")),
            ),
        }
    }

    pub(crate) fn regex(&self, i: &'s str) -> PResult<'s, Node> {
        match lexical::delimited_body(&i[1..], '/', lexical::REGEX_ESCAPES) {
            Delimited::Closed(value, rest) => Ok((
                rest,
                Node::leaf(ExprKind::Literal(Literal::Regex(value)), self.span(i, rest)),
            )),
            Delimited::Unterminated => self.fail(
                Diagnostic::syntax("unterminated regex literal", self.span(i, ""))
                    .with_label("this regex is never closed")
                    .with_help("end the regex with `/`; write a literal slash as `\\/`"),
            ),
        }
    }

    /// `` `name` `` with `` \` `` and `\\` escapes.
    pub(crate) fn backtick_name(&self, i: &'s str) -> PResult<'s, Ident> {
        match lexical::delimited_body(&i[1..], '`', lexical::BACKTICK_ESCAPES) {
            Delimited::Closed(name, rest) => {
                let span = self.span(i, rest);
                if name.is_empty() {
                    return self.fail(
                        Diagnostic::syntax("empty field name", span).with_label("empty backticks"),
                    );
                }
                Ok((rest, Ident { name, span }))
            }
            Delimited::Unterminated => self.fail(
                Diagnostic::syntax("unterminated backtick name", self.span(i, ""))
                    .with_label("this name is never closed")
                    .with_help("add a closing `"),
            ),
        }
    }

    /// A number, or a duration when `durations` allows it.
    pub(crate) fn number(&self, i: &'s str, durations: Durations) -> PResult<'s, Node> {
        let (rest, text) = lexical::number_text(i)?;
        let Ok((after, suffix)) = lexical::word(rest) else {
            let value = text.parse::<f64>().unwrap_or(f64::NAN);
            let lit = Literal::Number {
                value,
                text: text.to_owned(),
            };
            return Ok((rest, Node::leaf(ExprKind::Literal(lit), self.span(i, rest))));
        };
        let span = self.span(i, after);
        let is_int = !text.contains('.');
        if !(is_int && lexical::is_duration_unit(suffix)) {
            return self.fail(
                Diagnostic::syntax(format!("invalid number `{}`", span.slice(self.src)), span)
                    .with_label("not a number or duration")
                    .with_help("durations are an integer followed by a unit, such as `5m`, `1h` or `100ms`"),
            );
        }
        if durations == Durations::Forbidden {
            return self.fail(
                Diagnostic::syntax("a duration is not allowed here", span)
                    .with_label("duration literal")
                    .with_help("durations such as `5m` are arguments of functions like `bin(5m)`"),
            );
        }
        let Ok(value) = text.parse::<u64>() else {
            return self
                .fail(Diagnostic::syntax("duration is too large", span).with_label("too large"));
        };
        let lit = Literal::Duration {
            value,
            unit: suffix.to_owned(),
        };
        Ok((after, Node::leaf(ExprKind::Literal(lit), span)))
    }

    fn field_or_call(&self, start: &'s str, rest: &'s str, name: &'s str) -> PResult<'s, Node> {
        // ``m.`user.id` ``: the dot belongs to a member access.
        if let Some(base) = name.strip_suffix('.').filter(|_| rest.starts_with('`')) {
            let dot = &start[base.len()..];
            let ident = Ident {
                name: base.to_owned(),
                span: self.span(start, dot),
            };
            return Ok((
                dot,
                Node::leaf(ExprKind::Field(ident), self.span(start, dot)),
            ));
        }
        let ident = Ident {
            name: name.to_owned(),
            span: self.span(start, rest),
        };
        let is_word = name.chars().all(lexical::is_word_char);
        match trivia(rest).strip_prefix('(') {
            Some(_) if is_word => self.nested(trivia(rest), |open| self.call(start, ident, open)),
            _ => Ok((
                rest,
                Node::leaf(ExprKind::Field(ident), self.span(start, rest)),
            )),
        }
    }

    /// The arguments of a call; `open` starts at `(`.
    fn call(&self, start: &'s str, name: Ident, open: &'s str) -> PResult<'s, Node> {
        let mut rest = trivia(&open[1..]);
        let mut args = Vec::new();
        let mut depth = 1;
        if let Some(r) = rest.strip_prefix(')') {
            let span = self.span(start, r);
            return Ok((
                r,
                Node {
                    expr: Expr {
                        kind: ExprKind::Call { name, args },
                        span,
                    },
                    depth,
                },
            ));
        }
        loop {
            let (r, arg) = self.argument(rest)?;
            depth = depth.max(arg.depth + 1);
            args.push(arg.expr);
            let r = trivia(r);
            if let Some(r) = r.strip_prefix(',') {
                rest = r;
            } else if let Some(r) = r.strip_prefix(')') {
                let span = self.span(start, r);
                return Ok((
                    r,
                    Node {
                        expr: Expr {
                            kind: ExprKind::Call { name, args },
                            span,
                        },
                        depth,
                    },
                ));
            } else {
                return self.expected(r, "`,` or `)`", "expected `,` or `)`");
            }
        }
    }

    /// One call argument: `*`, a duration, or an expression.
    fn argument(&self, i: &'s str) -> PResult<'s, Node> {
        let i = trivia(i);
        let ends_arg = |r: &str| {
            let r = trivia(r);
            r.starts_with(',') || r.starts_with(')')
        };
        if let Some(r) = i.strip_prefix('*').filter(|r| ends_arg(r)) {
            return Ok((r, Node::leaf(ExprKind::Star, self.span(i, r))));
        }
        if i.starts_with(|c: char| c.is_ascii_digit())
            && let Ok((r, node)) = self.number(i, Durations::Allowed)
            && ends_arg(r)
            && matches!(node.expr.kind, ExprKind::Literal(Literal::Duration { .. }))
        {
            return Ok((r, node));
        }
        self.or_expr(i)
    }
}

/// A comparison operator at `t` (`=~` is a pattern operator, not `=`).
fn cmp_op(t: &str) -> Option<(&str, BinaryOp)> {
    const OPS: &[(&str, BinaryOp)] = &[
        ("==", BinaryOp::Eq),
        ("!=", BinaryOp::NotEq),
        ("<=", BinaryOp::LtEq),
        (">=", BinaryOp::GtEq),
        ("<", BinaryOp::Lt),
        (">", BinaryOp::Gt),
        ("=", BinaryOp::Eq),
    ];
    if t.starts_with("=~") {
        return None;
    }
    OPS.iter()
        .find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (r, *op)))
}

/// `in` or `not in` at `t`: the rest and `negated`.
fn in_op(t: &str) -> Option<(&str, bool)> {
    if let Ok((r, _)) = lexical::keyword("in")(t) {
        return Some((r, false));
    }
    let (r, _) = lexical::keyword("not")(t).ok()?;
    let (r, _) = lexical::keyword("in")(trivia(r)).ok()?;
    Some((r, true))
}
