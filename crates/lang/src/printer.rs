//! The canonical printer: `Display` for the AST.
//!
//! Canonical text uses lower-case keywords, `, ` between items, ` | ` between commands,
//! double-quoted strings, and only the parentheses precedence requires. Printing is a fixpoint:
//! `parse(q.to_string())` prints as `q.to_string()` again.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{
    BinaryOp, Command, CommandKind, Expr, ExprKind, Ident, Literal, Projection, Query, SortKey,
    SortOrder, UnaryOp,
};
use crate::parser::{BACKTICK_ESCAPES, STRING_ESCAPES, is_bare_name};

/// The canonical text of an expression, as used for the column name of an unaliased
/// computed column (`count(*)`, `abs(f3 - f4)`). Same as `expr.to_string()`.
pub fn expr_text(expr: &Expr) -> String {
    expr.to_string()
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (n, command) in self.commands.iter().enumerate() {
            if n > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{command}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl Display for CommandKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            CommandKind::Fields(items) | CommandKind::Display(items) => {
                f.write_char(' ')?;
                comma_list(f, items)
            }
            CommandKind::Filter { condition, .. } => write!(f, " {condition}"),
            CommandKind::Sort(keys) => {
                f.write_char(' ')?;
                comma_list(f, keys)
            }
            CommandKind::Limit { count, any, .. } => {
                if *any {
                    f.write_str(" any")?;
                }
                write!(f, " {count}")
            }
        }
    }
}

fn comma_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Projection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(alias) = &self.alias {
            write!(f, " as {alias}")?;
        }
        Ok(())
    }
}

impl Display for SortKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.order {
            Some(SortOrder::Asc) => f.write_str(" asc"),
            Some(SortOrder::Desc) => f.write_str(" desc"),
            None => Ok(()),
        }
    }
}

/// Prints a field name or alias, backticked when the bare form would not read back the same.
impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_bare_name(&self.name) {
            return f.write_str(&self.name);
        }
        f.write_char('`')?;
        write_escaped(f, &self.name, &['`'], BACKTICK_ESCAPES)?;
        f.write_char('`')
    }
}

/// Writes `text` so that the lexer reads it back unchanged. Characters in `delimiters` are
/// escaped; a backslash is doubled only when the lexer would otherwise read it as an escape
/// (before a member of `lexer_escapes`, or at the end of the text).
fn write_escaped(
    f: &mut Formatter<'_>,
    text: &str,
    delimiters: &[char],
    lexer_escapes: &[char],
) -> fmt::Result {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let needs_double = chars.peek().is_none_or(|n| lexer_escapes.contains(n));
            f.write_str(if needs_double { "\\\\" } else { "\\" })?;
        } else {
            if delimiters.contains(&c) {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
    }
    Ok(())
}

/// Binding strength, loosest first; an operand whose precedence is below what its position
/// requires gets parentheses.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        ExprKind::Like { .. } | ExprKind::In { .. } => 4,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => 8,
        _ => 9,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::Lt
        | BinaryOp::LtEq
        | BinaryOp::Gt
        | BinaryOp::GtEq => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
        BinaryOp::Pow => 7,
    }
}

/// Writes `e`, parenthesised when its precedence is below `min`.
fn operand(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Field(name) => write!(f, "{name}"),
            ExprKind::Literal(lit) => write!(f, "{lit}"),
            ExprKind::List(items) => {
                f.write_char('[')?;
                comma_list(f, items)?;
                f.write_char(']')
            }
            ExprKind::Star => f.write_char('*'),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand: e,
            } => {
                f.write_str("not ")?;
                operand(f, e, 3)
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand: e,
            } => {
                f.write_char('-')?;
                operand(f, e, 8)
            }
            ExprKind::Binary { op, left, right } => {
                let p = binary_precedence(*op);
                // Left-associative except `^`; comparisons do not chain at all.
                let (lmin, rmin) = match op {
                    BinaryOp::Pow => (8, 7),
                    _ if op.is_comparison() => (5, 5),
                    _ => (p, p + 1),
                };
                operand(f, left, lmin)?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right, rmin)
            }
            ExprKind::Like {
                expr,
                pattern,
                negated,
                tilde,
            } => {
                operand(f, expr, 5)?;
                f.write_str(match (tilde, negated) {
                    (true, _) => " =~ ",
                    (false, true) => " not like ",
                    (false, false) => " like ",
                })?;
                operand(f, pattern, 5)
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                operand(f, expr, 5)?;
                f.write_str(if *negated { " not in " } else { " in " })?;
                operand(f, list, 5)
            }
            ExprKind::Call { name, args } => {
                f.write_str(&name.name)?;
                f.write_char('(')?;
                comma_list(f, args)?;
                f.write_char(')')
            }
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => {
                f.write_char('"')?;
                write_escaped(f, s, &['"'], STRING_ESCAPES)?;
                f.write_char('"')
            }
            Literal::Number { value, text } => {
                if text.is_empty() {
                    write!(f, "{value}")
                } else {
                    f.write_str(text)
                }
            }
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Regex(re) => {
                f.write_char('/')?;
                write_regex(f, re)?;
                f.write_char('/')
            }
            Literal::Duration { value, unit } => write!(f, "{value}{unit}"),
        }
    }
}

/// Regex content: `\x` pairs are regex syntax and stay as written; a bare `/` becomes `\/`.
fn write_regex(f: &mut Formatter<'_>, re: &str) -> fmt::Result {
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('/') => f.write_str("\\\\\\/")?,
                Some(n) => {
                    f.write_char('\\')?;
                    f.write_char(n)?;
                }
                None => f.write_str("\\\\")?,
            },
            '/' => f.write_str("\\/")?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}
