//! The canonical printer: `Display` for the AST.
//!
//! Canonical text uses lower-case keywords, `, ` between items, ` | ` between commands,
//! double-quoted strings, and only the parentheses precedence requires. Printing is a fixpoint:
//! `parse(q.to_string())` prints as `q.to_string()` again. [`expr`] prints expressions and
//! literals, [`command`] the commands.

use std::fmt::{self, Display, Formatter, Write as _};

mod command;
mod expr;

use crate::ast::{Command, Expr, Ident, Query};
use crate::parser::{BACKTICK_ESCAPES, is_bare_name};

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

pub(crate) fn comma_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Prints a field name or alias, backticked when the bare form would not read back the same.
impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_bare_name(&self.name) {
            return f.write_str(&self.name);
        }
        write_backticked(f, &self.name)
    }
}

pub(crate) fn write_backticked(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    f.write_char('`')?;
    write_escaped(f, name, &['`'], BACKTICK_ESCAPES)?;
    f.write_char('`')
}

/// Writes `text` so that the lexer reads it back unchanged. Characters in `delimiters` are
/// escaped; a backslash is doubled only when the lexer would otherwise read it as an escape
/// (before a member of `lexer_escapes`, or at the end of the text).
pub(crate) fn write_escaped(
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
