//! Insights AST → DataFusion `LogicalPlan`, one module per command.
//!
//! The planner walks the pipeline left to right over a [`PlanState`]: the DataFusion plan built
//! so far plus what Insights tracks beside it (which fields the result shows, whether the query
//! set its own order or limit). Each command's semantics live in its own module.

mod display;
mod fields;
mod filter;
mod limit;
mod sort;

use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{CommandKind, Query};
use loupe_store::{MESSAGE, TIMESTAMP};

use crate::error::Result;
use crate::expr::ExprPlanner;

/// Rows a query returns when it has no `limit` of its own.
pub const DEFAULT_LIMIT: usize = 10_000;
/// The largest `limit` AWS accepts.
pub const MAX_LIMIT: u64 = 100_000;

/// A planned query: the logical plan and the names of the fields its rows show, in order.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    pub plan: LogicalPlan,
    pub output: Vec<String>,
}

pub(crate) struct PlanState {
    pub builder: LogicalPlanBuilder,
    /// Fields named by `fields` commands, in first-seen order (their union is shown).
    pub fields: Vec<String>,
    /// The last `display`, which wins over `fields`.
    pub display: Option<Vec<String>>,
    pub sorted: bool,
    pub limited: bool,
}

impl PlanState {
    pub fn exprs(&self) -> ExprPlanner<'_> {
        ExprPlanner {
            schema: self.builder.schema(),
        }
    }

    /// Adds (or replaces) a computed column named `name`, keeping every other column.
    pub fn add_column(&mut self, name: &str, value: Expr) -> Result<()> {
        let keep: Vec<Expr> = self
            .builder
            .schema()
            .columns()
            .into_iter()
            .filter(|c| c.name != name)
            .map(Expr::Column)
            .collect();
        let builder = std::mem::replace(&mut self.builder, LogicalPlanBuilder::empty(false));
        self.builder = builder.project(keep.into_iter().chain([value.alias(name)]))?;
        Ok(())
    }

    fn map(
        &mut self,
        f: impl FnOnce(LogicalPlanBuilder) -> Result<LogicalPlanBuilder>,
    ) -> Result<()> {
        let builder = std::mem::replace(&mut self.builder, LogicalPlanBuilder::empty(false));
        self.builder = f(builder)?;
        Ok(())
    }

    fn has_column(&self, name: &str) -> bool {
        self.builder
            .schema()
            .columns()
            .iter()
            .any(|c| c.name == name)
    }
}

/// Plans `query` on top of `scan`, a plan producing the store's columns.
pub fn plan_query(query: &Query, scan: LogicalPlanBuilder) -> Result<PlannedQuery> {
    let mut state = PlanState {
        builder: scan,
        fields: Vec::new(),
        display: None,
        sorted: false,
        limited: false,
    };
    // Without a `sort`, Insights returns events newest first; `limit any` opts out of order.
    let any_limit = query
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Limit { any: true, .. }));
    let has_sort = query
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Sort(_)));
    if !has_sort && !any_limit {
        let newest_first = SortExpr::new(
            Expr::Column(Column::new_unqualified(TIMESTAMP)),
            false,
            false,
        );
        state.map(|b| Ok(b.sort([newest_first])?))?;
    }
    for command in &query.commands {
        match &command.kind {
            CommandKind::Fields(items) => fields::plan(&mut state, items)?,
            CommandKind::Display(items) => display::plan(&mut state, items)?,
            CommandKind::Filter { condition, .. } => filter::plan(&mut state, condition)?,
            CommandKind::Sort(keys) => sort::plan(&mut state, keys)?,
            CommandKind::Limit {
                count, count_span, ..
            } => limit::plan(&mut state, *count, *count_span)?,
            other => {
                let what = format!("command `{}`", other.name());
                return Err(Diagnostic::unsupported(what, command.span).into());
            }
        }
    }
    if !state.limited {
        state.map(|b| Ok(b.limit(0, Some(DEFAULT_LIMIT))?))?;
    }
    let wanted = match (&state.display, state.fields.is_empty()) {
        (Some(display), _) => display.clone(),
        (None, false) => state.fields.clone(),
        (None, true) => vec![TIMESTAMP.to_owned(), MESSAGE.to_owned()],
    };
    // Fields no event has are simply absent from every row.
    let output: Vec<String> = wanted
        .into_iter()
        .filter(|name| state.has_column(name))
        .collect();
    let columns: Vec<Expr> = output
        .iter()
        .filter_map(|name| {
            state
                .builder
                .schema()
                .columns()
                .into_iter()
                .find(|c| &c.name == name)
        })
        .map(Expr::Column)
        .collect();
    state.map(|b| Ok(b.project(columns)?))?;
    Ok(PlannedQuery {
        plan: state.builder.build()?,
        output,
    })
}

/// Appends `name` to `list` unless it is already there.
pub(crate) fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}
