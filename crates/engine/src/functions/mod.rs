//! Insights functions, one file per family: each turns a call into a DataFusion expression,
//! reusing DataFusion's built-in functions where their semantics match Insights' and Loupe's own
//! UDFs (unit structs named by their function, so plans stay serialisable) where they do not.
//!
//! Arity and unknown names are checked by `loupe-lang` before planning; the planners here still
//! return a diagnostic rather than panic on a bad argument list.

pub mod aggregate;
pub mod datetime;
pub mod distinct;
pub mod exact_sum;
pub mod extract;
pub mod general;
pub mod ip;
pub mod json;
pub mod numeric;
pub mod pattern;
pub mod percentile;
pub mod sort_key;
pub mod string;
pub mod timeseries;
pub mod topk;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::Expr;
use loupe_lang::ast::{self, Ident};
use loupe_lang::{Diagnostic, Span, functions::FunctionClass};

use crate::error::Result;
use crate::expr::ExprPlanner;

/// Plans a scalar function call.
pub(crate) fn plan_scalar(
    p: &ExprPlanner<'_>,
    name: &Ident,
    args: &[ast::Expr],
    span: Span,
) -> Result<Expr> {
    let lower = name.name.to_ascii_lowercase();
    let call = Call {
        p,
        name,
        args,
        span,
    };
    let planned = match lower.as_str() {
        n if numeric::NAMES.contains(&n) => numeric::plan(&call, n)?,
        n if datetime::NAMES.contains(&n) => datetime::plan(&call, n)?,
        n if general::NAMES.contains(&n) => general::plan(&call, n)?,
        n if string::NAMES.contains(&n) => string::plan(&call, n)?,
        n if ip::NAMES.contains(&n) => ip::plan(&call, n)?,
        n if json::NAMES.contains(&n) => json::plan(&call, n)?,
        _ => None,
    };
    match planned {
        Some(expr) => Ok(expr),
        None => {
            let known = loupe_lang::functions::lookup(&name.name);
            let what = match known.map(|f| f.class) {
                Some(FunctionClass::Aggregate) => {
                    return Err(Diagnostic::semantic(
                        format!(
                            "`{}` is an aggregate function; use it inside `stats`",
                            name.name
                        ),
                        span,
                    )
                    .with_label("only allowed in stats")
                    .into());
                }
                Some(FunctionClass::Scalar) => format!("function `{}`", name.name),
                None => format!("unknown function `{}`", name.name),
            };
            Err(Diagnostic::unsupported(what, name.span).into())
        }
    }
}

/// A call being planned: the planner, the function name and its arguments.
pub(crate) struct Call<'a> {
    pub p: &'a ExprPlanner<'a>,
    pub name: &'a Ident,
    pub args: &'a [ast::Expr],
    pub span: Span,
}

impl Call<'_> {
    /// Argument `i`, planned; a missing argument is a diagnostic on the call.
    pub fn arg(&self, i: usize) -> Result<Expr> {
        match self.args.get(i) {
            Some(a) => self.p.plan(a),
            None => Err(self.error(format!(
                "`{}` needs at least {} arguments",
                self.name.name,
                i + 1
            ))),
        }
    }

    /// Argument `i` as a number (lenient).
    pub fn number(&self, i: usize) -> Result<Expr> {
        self.p.number(self.arg(i)?)
    }

    /// Argument `i` as text.
    pub fn text(&self, i: usize) -> Result<Expr> {
        self.p.text(self.arg(i)?)
    }

    /// All arguments, planned.
    pub fn all(&self) -> Result<Vec<Expr>> {
        self.args.iter().map(|a| self.p.plan(a)).collect()
    }

    pub fn error(&self, message: impl Into<String>) -> crate::EngineError {
        Diagnostic::semantic(message, self.span).into()
    }

    /// The literal value of argument `i`, which must be a number literal.
    pub fn literal_number(&self, i: usize) -> Result<f64> {
        match self.args.get(i).map(|a| &a.kind) {
            Some(ast::ExprKind::Literal(ast::Literal::Number { value, .. })) => Ok(*value),
            Some(ast::ExprKind::Unary {
                op: ast::UnaryOp::Neg,
                operand,
            }) => match &operand.kind {
                ast::ExprKind::Literal(ast::Literal::Number { value, .. }) => Ok(-value),
                _ => Err(self.arg_error(i, "a number literal")),
            },
            _ => Err(self.arg_error(i, "a number literal")),
        }
    }

    pub fn arg_error(&self, i: usize, wanted: &str) -> crate::EngineError {
        let span = self.args.get(i).map_or(self.span, |a| a.span);
        Diagnostic::semantic(
            format!(
                "argument {} of `{}` must be {wanted}",
                i + 1,
                self.name.name
            ),
            span,
        )
        .with_label(format!("expected {wanted}"))
        .into()
    }
}

/// `List<Float64>`: how `pct` and the exact sums pass their state between partitions.
pub(crate) fn float_list_field() -> std::sync::Arc<Field> {
    std::sync::Arc::new(Field::new_list_field(DataType::Float64, true))
}

/// Whether row `row` goes into an aggregate: its value is present and the aggregate's
/// `FILTER`, if it has one, holds (a null filter value drops the row).
pub(crate) fn taken(values: &dyn Array, filter: Option<&BooleanArray>, row: usize) -> bool {
    values.is_valid(row) && filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}
