//! `limit N` and `limit any N`: the first N rows in the current order.

use loupe_lang::{Diagnostic, Span};

use super::{MAX_LIMIT, PlanState};
use crate::error::Result;

pub(crate) fn plan(state: &mut PlanState, count: u64, span: Span) -> Result<()> {
    if count == 0 || count > MAX_LIMIT {
        return Err(Diagnostic::semantic(
            format!("limit must be between 1 and {MAX_LIMIT}, got {count}"),
            span,
        )
        .with_label("out of range")
        .into());
    }
    state.limited = true;
    let n = count as usize;
    state.map(|b| Ok(b.limit(0, Some(n))?))
}
