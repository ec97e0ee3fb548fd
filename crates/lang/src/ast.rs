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
    /// `stats agg [as alias], ... [by group [as alias], ...] [offset duration]`
    Stats {
        aggregates: Vec<Projection>,
        by: Vec<Projection>,
        /// A duration literal (`offset 1h`).
        offset: Option<Expr>,
    },
    /// `parse [source] pattern [as targets] [multi]`, `parse [source] logfmt as x`,
    /// `parse [source] csv as a, b`.
    Parse {
        /// The field parsed; `None` means `@message`.
        source: Option<Expr>,
        mode: ParseMode,
        targets: Vec<Ident>,
        /// `multi`: one row per regex match.
        multi: bool,
    },
    /// `json field=name "path" as alias`
    Json {
        field: Ident,
        path: String,
        path_span: Span,
        alias: Ident,
    },
    /// `dedup f1, f2, ...`
    Dedup(Vec<Expr>),
    /// `unnest expr into name`
    Unnest { expr: Expr, into: Ident },
    /// `expand expr`
    Expand(Expr),
    /// `filterIndex name = value` or `filterIndex name in [..]`.
    FilterIndex { condition: Expr },
    /// `pattern expr`
    Pattern(Expr),
    /// `anomaly`
    Anomaly,
    /// `diff [previousDay | previousWeek | previousMonth]`
    Diff { baseline: Option<DiffBaseline> },
    /// `unmask [expr]` (normally written as a function inside `fields`).
    Unmask(Option<Expr>),
    /// `SOURCE selector ... [start=..] [end=..]`; only valid as the first command.
    Source(Source),
    /// `lookup table match, ... OUTPUT|OUTPUTNEW field, ...`
    Lookup {
        table: Ident,
        matches: Vec<FieldMapping>,
        mode: OutputMode,
        outputs: Vec<FieldMapping>,
    },
    /// `cidrlookup table ipField [as cidrColumn] OUTPUT|OUTPUTNEW field [as alias], ...`
    CidrLookup {
        table: Ident,
        ip_field: Ident,
        cidr_column: Option<Ident>,
        mode: OutputMode,
        outputs: Vec<FieldMapping>,
    },
    /// `join [type=inner|left] left=a right=b where a.f = b.g (subquery)`
    Join {
        join_type: Option<JoinType>,
        left: Ident,
        right: Ident,
        left_key: Ident,
        right_key: Ident,
        query: Box<Query>,
    },
    /// `appendcols [override=bool] [max=n] (subquery)`
    AppendCols {
        options: Vec<CommandOption>,
        query: Box<Query>,
    },
    /// `addtotals [fieldname=x] [row=bool] [col=bool] [f1, f2, ...]`
    AddTotals {
        options: Vec<CommandOption>,
        fields: Vec<Ident>,
    },
    /// `autoregress field [as alias] [p=N[-M]]`
    AutoRegress {
        field: Ident,
        alias: Option<Ident>,
        lags: Option<LagRange>,
    },
    /// `accum field [as alias]`
    Accum { field: Ident, alias: Option<Ident> },
    /// `filldown [f1 f2 ...]`; names may contain `*` wildcards.
    FillDown(Vec<Ident>),
    /// `fillmissing [with value for field, ...]`
    FillMissing(Vec<FillValue>),
    /// `sessionize f1, f2 [maxspan duration] [as alias]`
    Sessionize {
        fields: Vec<Ident>,
        maxspan: Option<Expr>,
        alias: Option<Ident>,
    },
    /// `logcompare timeshift duration`
    LogCompare { timeshift: Expr },
    /// `outlier [option=value ...] f1 [f2 ...]`
    Outlier {
        options: Vec<CommandOption>,
        fields: Vec<Ident>,
    },
    /// `countFrequent f1, f2` (also spelled `count_frequent`).
    CountFrequent(Vec<Ident>),
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
            CommandKind::Stats { .. } => "stats",
            CommandKind::Parse { .. } => "parse",
            CommandKind::Json { .. } => "json",
            CommandKind::Dedup(_) => "dedup",
            CommandKind::Unnest { .. } => "unnest",
            CommandKind::Expand(_) => "expand",
            CommandKind::FilterIndex { .. } => "filterIndex",
            CommandKind::Pattern(_) => "pattern",
            CommandKind::Anomaly => "anomaly",
            CommandKind::Diff { .. } => "diff",
            CommandKind::Unmask(_) => "unmask",
            CommandKind::Source(_) => "source",
            CommandKind::Lookup { .. } => "lookup",
            CommandKind::CidrLookup { .. } => "cidrlookup",
            CommandKind::Join { .. } => "join",
            CommandKind::AppendCols { .. } => "appendcols",
            CommandKind::AddTotals { .. } => "addtotals",
            CommandKind::AutoRegress { .. } => "autoregress",
            CommandKind::Accum { .. } => "accum",
            CommandKind::FillDown(_) => "filldown",
            CommandKind::FillMissing(_) => "fillmissing",
            CommandKind::Sessionize { .. } => "sessionize",
            CommandKind::LogCompare { .. } => "logcompare",
            CommandKind::Outlier { .. } => "outlier",
            CommandKind::CountFrequent(_) => "countFrequent",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKeyword {
    Filter,
    Where,
}

/// How `parse` extracts fields.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseMode {
    /// A glob string: each `*` captures one target.
    Glob { pattern: String, span: Span },
    /// A regex: named groups, or unnamed groups matched to the `as` targets.
    Regex { pattern: String, span: Span },
    /// `logfmt as x`: a map of key/value pairs.
    Logfmt,
    /// `csv as a, b, ...`: comma-separated values by position.
    Csv,
}

/// The window `diff` compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffBaseline {
    PreviousDay,
    PreviousWeek,
    PreviousMonth,
}

impl DiffBaseline {
    pub fn keyword(self) -> &'static str {
        match self {
            DiffBaseline::PreviousDay => "previousDay",
            DiffBaseline::PreviousWeek => "previousWeek",
            DiffBaseline::PreviousMonth => "previousMonth",
        }
    }
}

/// `OUTPUT` (overwrite) or `OUTPUTNEW` (fill only absent fields) in `lookup`/`cidrlookup`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    Output,
    OutputNew,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
}

/// `name [as alias]` in `lookup` and `cidrlookup`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMapping {
    pub name: Ident,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// `name=value` options of `appendcols`, `addtotals` and `outlier`. The value is a literal or
/// a name (as a field expression).
#[derive(Clone, Debug, PartialEq)]
pub struct CommandOption {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `p=N` or `p=N-M` in `autoregress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LagRange {
    pub from: u64,
    pub to: u64,
    pub span: Span,
}

/// `value for field` in `fillmissing`.
#[derive(Clone, Debug, PartialEq)]
pub struct FillValue {
    pub value: Expr,
    pub field: Ident,
    pub span: Span,
}

/// The `SOURCE` command.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub selectors: Vec<SourceSelector>,
    pub bounds: Vec<TimeBound>,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SourceSelector {
    /// `logGroups(key: value, ...)`: `namePrefix`, `accountIdentifier(s)`, `class`.
    LogGroups {
        options: Vec<SourceOption>,
        span: Span,
    },
    /// `logGroupTags([{key: 'k', values: ['v']}, ...])`
    LogGroupTags { filters: Vec<TagFilter>, span: Span },
    /// `dataSource([...])`
    DataSource { names: Expr, span: Span },
    /// A log group by name: `'/aws/lambda/f'` (string literal) or `lg` (field expression).
    Name(Expr),
}

/// `key: value` inside `logGroups(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceOption {
    pub key: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `{key: 'k', values: ['a', 'b']}` in `logGroupTags`.
#[derive(Clone, Debug, PartialEq)]
pub struct TagFilter {
    pub key: String,
    pub values: Vec<String>,
    pub span: Span,
}

/// `start=...` or `end=...` after the `SOURCE` selectors.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeBound {
    pub end: bool,
    pub value: TimeValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TimeValue {
    Now,
    /// `-1d`, `0s`, `-604800s`: an offset from now.
    Relative {
        negative: bool,
        value: u64,
        unit: String,
    },
    /// A bare integer: epoch seconds.
    Epoch(u64),
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
    /// `base.key` where the key is backticked or follows a call or index
    /// (`jsonParse(x).user`, ``m.`user.id` ``). A plain dotted name is one [`ExprKind::Field`].
    Member {
        base: Box<Expr>,
        key: Ident,
    },
    /// `base[index]`, list indexing.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `( query )` after `in`.
    Subquery(Box<Query>),
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
