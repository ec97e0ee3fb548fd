//! Insights expressions → DataFusion expressions, with Insights' lenient typing.
//!
//! Insights never raises a type error at run time: a string compared with a number compares
//! what parses as a number (`"500" >= 400` holds, `"abc" >= 400` is false), booleans act as 1/0
//! in arithmetic and comparisons with numbers (a JSON `true`/`false` too, also where its field
//! is stored as text, so `readOnly = "true"`, `readOnly = 1` and a bare `filter readOnly`
//! agree), and a comparison with a missing field is false (`!=`, `not like` and `not in`
//! included; only a prefix `not` turns it true). Each rule lives in one helper here so that
//! every command gets the same semantics.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{
    Expr, ExprSchemable, Operator, binary_expr, cast, lit, try_cast, when,
};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{self, BinaryOp, ExprKind, Literal, UnaryOp};

use crate::error::Result;
use crate::functions::json;
use crate::functions::sort_key::sort_key;

const TIMESTAMP_MS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

/// What functions may ask about the query as a whole.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryContext {
    /// When the query started, epoch ms (`now()`).
    pub now_ms: i64,
    /// The query's time range, epoch ms (`queryStartTime()` and friends).
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// Translates expressions against the schema of the plan they will sit on.
pub(crate) struct ExprPlanner<'a> {
    pub schema: &'a DFSchema,
    pub ctx: &'a QueryContext,
    /// The boolean columns answering the `in ( subquery )` tests already joined into the plan,
    /// by the subquery's span (see `plan::subquery`).
    pub marks: &'a [(loupe_lang::Span, String)],
    /// The columns the query computed (the others are read from events), so that a boolean
    /// read from an event reads as it is written (`true`) and a computed one as `1`.
    pub computed: &'a [String],
}

/// How a value behaves in Insights' lenient typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Number,
    Text,
    Bool,
    Time,
    Null,
}

fn kind_of(t: &DataType) -> Kind {
    match t {
        DataType::Boolean => Kind::Bool,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::Text,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Kind::Time,
        DataType::Null => Kind::Null,
        t if t.is_numeric() => Kind::Number,
        _ => Kind::Text,
    }
}

impl ExprPlanner<'_> {
    pub fn kind(&self, e: &Expr) -> Result<Kind> {
        Ok(kind_of(&e.get_type(self.schema)?))
    }

    /// A column reference, or a typed null when no event in range has the field.
    pub fn field(&self, name: &str) -> Expr {
        match self.schema.columns_with_unqualified_name(name).last() {
            // A text column beside a structure it could be a path into (`items.qty` after
            // `expand items`, where the scan also offers the never-seen field `items.qty`):
            // the event's own field where it has one, else the member.
            Some(column) => {
                let value = Expr::Column((*column).clone());
                let text = self
                    .schema
                    .field_with_unqualified_name(name)
                    .is_ok_and(|f| kind_of(f.data_type()) == Kind::Text);
                match self.structure_path(name) {
                    Some(path) if text => f::coalesce(vec![value, path]),
                    _ => value,
                }
            }
            None if self.schema.has_column(&Column::new_unqualified(name)) => {
                Expr::Column(Column::new_unqualified(name))
            }
            None => self
                .structure_path(name)
                .unwrap_or(lit(ScalarValue::Utf8(None))),
        }
    }

    /// `member`, or else the discovered field the chain `e` names: the store discovers an
    /// array's leaves (`users.1.name`), not the array, so `users[1].name` reads that field.
    fn or_flattened(&self, member: Expr, e: &ast::Expr) -> Expr {
        match dotted_name(e) {
            Some(name) => self.or_column(member, &name),
            None => member,
        }
    }

    /// `value`, or else the column `name` where there is one.
    pub fn or_column(&self, value: Expr, name: &str) -> Expr {
        match self
            .schema
            .columns_with_unqualified_name(name)
            .into_iter()
            .last()
        {
            Some(column) => f::coalesce(vec![
                value,
                cast(Expr::Column(column.clone()), DataType::Utf8),
            ]),
            None => value,
        }
    }

    /// `name` as member access when it is not a column itself: `lf.level` after
    /// `parse ... logfmt as lf` is member `level` of column `lf`. The longest dotted prefix that
    /// is a column wins.
    fn structure_path(&self, name: &str) -> Option<Expr> {
        name.match_indices('.').rev().find_map(|(at, _)| {
            let (base, rest) = (&name[..at], &name[at + 1..]);
            let column = self
                .schema
                .columns_with_unqualified_name(base)
                .into_iter()
                .last()?;
            Some(json::path(Expr::Column(column.clone()), rest.split('.')))
        })
    }

    pub fn plan(&self, e: &ast::Expr) -> Result<Expr> {
        match &e.kind {
            ExprKind::Field(ident) => Ok(self.field(&ident.name)),
            ExprKind::Literal(l) => self.literal(l, e),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let inner = self.condition(operand)?;
                // A comparison with a missing field is false, so its negation is true.
                Ok(Expr::Not(Box::new(f::coalesce(vec![inner, lit(false)]))))
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let inner = self.number(self.plan(operand)?)?;
                Ok(Expr::Negative(Box::new(inner)))
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right),
            ExprKind::Like {
                expr,
                pattern,
                negated,
                tilde,
            } => {
                let value = self.text(self.plan(expr)?)?;
                let present = value.clone().is_not_null();
                let test = match &pattern.kind {
                    ExprKind::Literal(Literal::Regex(re)) => {
                        binary_expr(value, Operator::RegexMatch, lit(re.as_str()))
                    }
                    ExprKind::Literal(Literal::String(s)) if *tilde => {
                        binary_expr(value, Operator::RegexMatch, lit(s.as_str()))
                    }
                    ExprKind::Literal(Literal::String(s)) => f::contains(value, lit(s.as_str())),
                    _ => {
                        return Err(Diagnostic::semantic(
                            "the right side of `like` must be a string or a regex literal",
                            pattern.span,
                        )
                        .into());
                    }
                };
                Ok(negate_if(test, present, *negated))
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                let value = self.plan(expr)?;
                let ExprKind::List(items) = &list.kind else {
                    // The subquery was joined in before this filter: its answer is a column.
                    let Some((_, mark)) = self.marks.iter().find(|(span, _)| *span == list.span)
                    else {
                        return Err(Diagnostic::unsupported(
                            "`in` with a subquery outside `filter`",
                            list.span,
                        )
                        .into());
                    };
                    let test = Expr::Column(Column::new_unqualified(mark));
                    return Ok(negate_if(test, value.is_not_null(), *negated));
                };
                let mut test: Option<Expr> = None;
                for item in items {
                    let eq = self.compare(Operator::Eq, value.clone(), self.plan(item)?)?;
                    test = Some(match test {
                        Some(t) => t.or(eq),
                        None => eq,
                    });
                }
                let present = value.is_not_null();
                Ok(negate_if(test.unwrap_or(lit(false)), present, *negated))
            }
            ExprKind::List(_) => Err(Diagnostic::unsupported("a list outside `in`", e.span).into()),
            ExprKind::Star => Err(Diagnostic::semantic(
                "`*` is only allowed in `count(*)`",
                e.span,
            )
            .with_label("not allowed here")
            .into()),
            ExprKind::Call { name, args } => {
                // After `stats`, `count(*)` and friends name the columns stats produced.
                let text = loupe_lang::expr_text(e);
                if self.schema.columns().iter().any(|c| c.name == text) {
                    return Ok(self.field(&text));
                }
                crate::functions::plan_scalar(self, name, args, e.span)
            }
            ExprKind::Member { base, key } => {
                let base = self.plan(base)?;
                Ok(self.or_flattened(json::member(base, lit(key.name.as_str())), e))
            }
            ExprKind::Index { base, index } => {
                let base = self.plan(base)?;
                let index = cast(self.number(self.plan(index)?)?, DataType::Int64);
                Ok(self.or_flattened(json::member(base, index), e))
            }
            _ => Err(Diagnostic::unsupported("this expression", e.span).into()),
        }
    }

    fn literal(&self, l: &Literal, e: &ast::Expr) -> Result<Expr> {
        Ok(match l {
            Literal::String(s) => lit(s.as_str()),
            Literal::Number { value, text } => match text.parse::<i64>() {
                Ok(i) => lit(i),
                Err(_) => lit(*value),
            },
            Literal::Bool(b) => lit(*b),
            Literal::Regex(_) => {
                return Err(Diagnostic::semantic(
                    "a regex literal is only allowed after `like`, `=~` or in `parse`",
                    e.span,
                )
                .into());
            }
            Literal::Duration { .. } => {
                return Err(Diagnostic::semantic(
                    "a duration is only allowed as an argument of `bin` and datetime functions",
                    e.span,
                )
                .into());
            }
        })
    }

    /// An expression used as a condition (`filter`, `and`, `or`, `not`).
    pub fn condition(&self, e: &ast::Expr) -> Result<Expr> {
        let planned = self.plan(e)?;
        Ok(match self.kind(&planned)? {
            Kind::Bool => planned,
            Kind::Number => planned.not_eq(lit(0)),
            Kind::Time => planned.is_not_null(),
            // A bare text field is true when present, not empty, not `false` and not a number
            // equal to 0 (spec §1.6's recommendation): a JSON `false` that sits in a text
            // column (its field also holds text in other events) stays false.
            Kind::Text | Kind::Null => {
                let zero = self.number(planned.clone())?.eq(lit(0.0));
                planned
                    .clone()
                    .is_not_null()
                    .and(planned.clone().not_eq(lit("")))
                    .and(planned.not_eq(lit("false")))
                    .and(zero.is_not_true())
            }
        })
    }

    fn binary(&self, op: BinaryOp, left: &ast::Expr, right: &ast::Expr) -> Result<Expr> {
        let arith = |operator| -> Result<Expr> {
            let l = self.number(self.plan(left)?)?;
            let r = self.number(self.plan(right)?)?;
            Ok(binary_expr(l, operator, r))
        };
        match op {
            BinaryOp::And => Ok(self.condition(left)?.and(self.condition(right)?)),
            BinaryOp::Or => Ok(self.condition(left)?.or(self.condition(right)?)),
            BinaryOp::Eq => self.compare(Operator::Eq, self.plan(left)?, self.plan(right)?),
            BinaryOp::NotEq => self.compare(Operator::NotEq, self.plan(left)?, self.plan(right)?),
            BinaryOp::Lt => self.compare(Operator::Lt, self.plan(left)?, self.plan(right)?),
            BinaryOp::LtEq => self.compare(Operator::LtEq, self.plan(left)?, self.plan(right)?),
            BinaryOp::Gt => self.compare(Operator::Gt, self.plan(left)?, self.plan(right)?),
            BinaryOp::GtEq => self.compare(Operator::GtEq, self.plan(left)?, self.plan(right)?),
            BinaryOp::Add => arith(Operator::Plus),
            BinaryOp::Sub => arith(Operator::Minus),
            BinaryOp::Mul => arith(Operator::Multiply),
            // Insights divides integers into a fraction; both sides are already Float64.
            // Dividing by zero has no value (never an error, never `inf`).
            BinaryOp::Div | BinaryOp::Mod => {
                let l = self.number(self.plan(left)?)?;
                let r = self.number(self.plan(right)?)?;
                let operator = if op == BinaryOp::Div {
                    Operator::Divide
                } else {
                    Operator::Modulo
                };
                Ok(binary_expr(l, operator, f::nullif(r, lit(0.0))))
            }
            BinaryOp::Pow => {
                let l = self.number(self.plan(left)?)?;
                let r = self.number(self.plan(right)?)?;
                Ok(f::power(l, r))
            }
        }
    }

    /// Compares two values the lenient way: when either side is a number (or boolean), both
    /// sides compare as numbers and text that does not parse makes the comparison false.
    pub fn compare(&self, op: Operator, l: Expr, r: Expr) -> Result<Expr> {
        let (lk, rk) = (self.kind(&l)?, self.kind(&r)?);
        let numeric = |k| matches!(k, Kind::Number | Kind::Bool);
        let (l, r) = match (lk, rk) {
            (Kind::Text | Kind::Null, Kind::Text | Kind::Null) => (l, r),
            (Kind::Time, Kind::Time) => (l, r),
            (Kind::Time, Kind::Text) => (l, try_cast(r, TIMESTAMP_MS)),
            (Kind::Text, Kind::Time) => (try_cast(l, TIMESTAMP_MS), r),
            (a, b) if numeric(a) && numeric(b) && a == b => (l, r),
            _ => (self.number(l)?, self.number(r)?),
        };
        Ok(binary_expr(l, op, r))
    }

    /// Join keys for `l = r` where `l` sits on this planner's rows and `r` on `other`'s, typed
    /// alike and compared the way `=` compares ([`ExprPlanner::compare`]): numbers when
    /// either side is a number (text that does not parse has no key, so matches nothing),
    /// timestamps with timestamps, text with text. A missing value has no key.
    pub fn equality_keys(&self, l: Expr, other: &ExprPlanner<'_>, r: Expr) -> Result<(Expr, Expr)> {
        let (lk, rk) = (self.kind(&l)?, other.kind(&r)?);
        let same_type = l.get_type(self.schema)? == r.get_type(other.schema)?;
        let numeric = |k| matches!(k, Kind::Number | Kind::Bool);
        Ok(match (lk, rk) {
            (Kind::Text | Kind::Null, Kind::Text | Kind::Null) => {
                (cast(l, DataType::Utf8), cast(r, DataType::Utf8))
            }
            (Kind::Time, Kind::Time) => (cast(l, TIMESTAMP_MS), cast(r, TIMESTAMP_MS)),
            (Kind::Time, Kind::Text) => (cast(l, TIMESTAMP_MS), try_cast(r, TIMESTAMP_MS)),
            (Kind::Text, Kind::Time) => (try_cast(l, TIMESTAMP_MS), cast(r, TIMESTAMP_MS)),
            (a, b) if numeric(a) && a == b && same_type => (l, r),
            _ => (self.number(l)?, other.number(r)?),
        })
    }

    /// The numeric value of `e` as Float64: text that does not parse is null.
    pub fn number(&self, e: Expr) -> Result<Expr> {
        if let Some(companion) = self.number_column(&e) {
            return Ok(companion);
        }
        Ok(match self.kind(&e)? {
            Kind::Number => cast(e, DataType::Float64),
            Kind::Bool => cast(cast(e, DataType::Int64), DataType::Float64),
            Kind::Time => cast(cast(e, DataType::Int64), DataType::Float64),
            // A JSON `true`/`false` is a boolean wherever it is stored: a field that holds
            // text in other events reads it as text, and it still counts as 1/0, as it would
            // in a boolean column (`filter readOnly = 1`, `sum(readOnly)`).
            Kind::Text | Kind::Null => when(e.clone().eq(lit("true")), lit(1.0))
                .when(e.clone().eq(lit("false")), lit(0.0))
                .otherwise(try_cast(e, DataType::Float64))?,
        })
    }

    /// The scan's numeric companion of `e` when `e` is an event field read as text and the
    /// plan still carries the companion (see `loupe_store::ScanRequest::numbers`): the same
    /// numbers the text would give, without rendering the stored values and parsing them.
    fn number_column(&self, e: &Expr) -> Option<Expr> {
        self.companion(e, loupe_store::number_column)
    }

    /// The scan's presence companion of `e` (see [`ExprPlanner::number_column`]): non-null
    /// exactly where `e` is, without rendering the values.
    pub fn presence_column(&self, e: &Expr) -> Option<Expr> {
        self.companion(e, loupe_store::presence_column)
    }

    fn companion(&self, e: &Expr, name: fn(&str) -> String) -> Option<Expr> {
        let Expr::Column(c) = e else {
            return None;
        };
        if self.computed.contains(&c.name) || self.kind(e).ok()? != Kind::Text {
            return None;
        }
        let companion = Column::new(c.relation.clone(), name(&c.name));
        self.schema
            .has_column(&companion)
            .then_some(Expr::Column(companion))
    }

    /// The value to sort `e` by: text through [`sort_key`] so that it sorts the Insights way,
    /// anything else as itself.
    pub fn sort_value(&self, e: &ast::Expr) -> Result<Expr> {
        let planned = self.plan(e)?;
        Ok(match self.kind(&planned)? {
            Kind::Text | Kind::Null => sort_key().call(vec![cast(planned, DataType::Utf8)]),
            _ => planned,
        })
    }

    /// The text of `e` as Insights shows it, for string functions and substring and regex
    /// tests: `1200` for the number 1200.0, `1`/`0` for booleans, timestamps as
    /// `YYYY-MM-DD HH:MM:SS.mmm`.
    pub fn text(&self, e: Expr) -> Result<Expr> {
        let t = e.get_type(self.schema)?;
        Ok(match kind_of(&t) {
            Kind::Text => e,
            Kind::Number
                if matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64) =>
            {
                crate::functions::string::number_text(e)
            }
            // A JSON `true` read from an event is the text `true` (spec §2.4: shown as
            // written, so `like "tru"` finds it); a computed boolean is `1`.
            Kind::Bool => match &e {
                Expr::Column(c) if !self.computed.contains(&c.name) => cast(e, DataType::Utf8),
                _ => cast(cast(e, DataType::Int64), DataType::Utf8),
            },
            Kind::Time => f::to_char(cast(e, TIMESTAMP_MS), lit("%Y-%m-%d %H:%M:%S%.3f")),
            _ => cast(e, DataType::Utf8),
        })
    }
}

/// `not like` / `not in`: like `!=`, false when the value is missing (spec §2.1); otherwise
/// true unless the test holds.
fn negate_if(test: Expr, present: Expr, negated: bool) -> Expr {
    if negated {
        present.and(Expr::Not(Box::new(f::coalesce(vec![test, lit(false)]))))
    } else {
        test
    }
}

/// The discovered field name a member/index chain stands for: `users[1].name` is
/// `users.1.name`. `None` when an index is not a literal whole number.
pub(crate) fn dotted_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Field(ident) => Some(ident.name.clone()),
        ExprKind::Member { base, key } => Some(format!("{}.{}", dotted_name(base)?, key.name)),
        ExprKind::Index { base, index } => match &index.kind {
            ExprKind::Literal(Literal::Number { value, .. })
                if *value >= 0.0 && value.fract() == 0.0 =>
            {
                Some(format!("{}.{}", dotted_name(base)?, *value as u64))
            }
            _ => None,
        },
        _ => None,
    }
}
