//! The Logs Insights abstract syntax tree. Every node carries the [`Span`] of its source text.
//!
//! The tree is plain data: the parser builds it, the canonical printer (`Display`) prints it, and
//! the engine plans it. New commands are added as new [`CommandKind`] variants; consumers match
//! with a fallback arm so that an unplanned command becomes a "not supported yet" diagnostic.

use crate::span::Span;

/// A whole query: commands separated by `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub commands: Vec<Command>,
    pub span: Span,
}

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub kind: CommandKind,
    /// From the command keyword to the end of its last argument.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CommandKind {
    /// `fields expr [as alias], ...`
    Fields(Vec<Projection>),
    /// `display expr [as alias], ...`
    Display(Vec<Projection>),
    /// `filter cond` or `where cond` (same semantics; the keyword is kept for printing).
    Filter {
        keyword: FilterKeyword,
        condition: Expr,
    },
    /// `sort key [asc|desc], ...`
    Sort(Vec<SortKey>),
    /// `limit N` or `limit any N`.
    Limit {
        count: u64,
        count_span: Span,
        any: bool,
    },
}

impl CommandKind {
    /// The command keyword as written canonically (lower case).
    pub fn name(&self) -> &'static str {
        match self {
            CommandKind::Fields(_) => "fields",
            CommandKind::Display(_) => "display",
            CommandKind::Filter {
                keyword: FilterKeyword::Filter,
                ..
            } => "filter",
            CommandKind::Filter {
                keyword: FilterKeyword::Where,
                ..
            } => "where",
            CommandKind::Sort(_) => "sort",
            CommandKind::Limit { .. } => "limit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKeyword {
    Filter,
    Where,
}

/// `expr [as alias]` in `fields`, `display` and `stats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub expr: Expr,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// A sort key with its direction.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `None` when no direction was written.
    pub order: Option<SortOrder>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// A name: a field reference, an alias or a function name. `name` holds the unquoted text
/// (backticks removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ExprKind {
    /// A field name such as `@message`, `http.status` or `` `detail-type` ``.
    Field(Ident),
    Literal(Literal),
    /// `[a, b, ...]`
    List(Vec<Expr>),
    /// `*`, as in `count(*)`.
    Star,
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `expr like pattern`, `expr not like pattern`, `expr =~ pattern`. The pattern is a string
    /// literal (substring test) or a regex literal (regex search).
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        tilde: bool,
    },
    /// `expr in [..]` / `expr not in [..]`.
    In {
        expr: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `name(args)`; `name` keeps the case it was written in.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A quoted string, unescaped.
    String(String),
    /// A number; `text` is the source spelling (kept for the printer and column names).
    Number {
        value: f64,
        text: String,
    },
    Bool(bool),
    /// `/pattern/`, with `\/` already turned into `/`.
    Regex(String),
    /// A duration such as `5m` or `1h`: magnitude and the unit as written.
    Duration {
        value: u64,
        unit: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not x` (and `!x`).
    Not,
    /// `-x`
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}
