//! Expressions and literals, with the minimal parentheses precedence requires.

use std::fmt::{self, Display, Formatter, Write as _};

use super::{comma_list, write_backticked, write_escaped};
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, Literal, UnaryOp};
use crate::parser::{STRING_ESCAPES, is_bare_name};

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
            ExprKind::Member { base, key } => {
                operand(f, base, 9)?;
                f.write_char('.')?;
                write_key(f, key)
            }
            ExprKind::Index { base, index } => {
                operand(f, base, 9)?;
                write!(f, "[{index}]")
            }
            ExprKind::Subquery(query) => write!(f, "({query})"),
        }
    }
}

/// A member key: bare when it is one plain name segment, else backticked.
fn write_key(f: &mut Formatter<'_>, key: &Ident) -> fmt::Result {
    if is_bare_name(&key.name) && !key.name.contains(['.', '@']) {
        f.write_str(&key.name)
    } else {
        write_backticked(f, &key.name)
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
