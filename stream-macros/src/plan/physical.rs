//! Physical planning: how the runtime runs a query — which filters run inside the source's
//! decoder, and which stateful operator (with which parameters) holds its state. Codegen only
//! spells these choices out.

use crate::ir::{Forget, StatefulOperator, Step, TExpr, TExprKind, TypedQuery, VarId};
use crate::types::Base;

/// The query's stateful operator, if it has one.
pub(crate) fn stateful_operator(query: &TypedQuery) -> Option<StatefulOperator> {
    if let Some(aggregate) = &query.aggregate {
        return Some(match &aggregate.session {
            Some(session) => StatefulOperator::Session {
                gap: session.gap,
                watermarked: aggregate.event_time_key.is_some(),
            },
            None => StatefulOperator::Aggregate,
        });
    }
    let dedup = query.dedup()?;
    let forget = match (dedup.forgets_keys, dedup.within_watermark) {
        (false, _) => Forget::Never,
        (true, false) => Forget::AtEventTime,
        (true, true) => Forget::AfterDelay(query.watermark.map_or(0, |(_, delay)| delay)),
    };
    Some(StatefulOperator::Dedup { forget })
}

/// The query's leading filters that run inside the decoder, as indices into its `pre` steps:
/// those on input columns only, before any watermark or deduplication (which must see every
/// row), as Spark pushes filters into its file scans. A pushed filter compares, combines and
/// tests input columns and literals only: no function call, which may count unparseable
/// values. The query still applies them; pushing only skips rows early.
pub(crate) fn pushed_filters(query: &TypedQuery, corrupt_record_column: &str) -> Vec<usize> {
    let is_plain_input = |var: VarId| {
        var < query.num_input_columns
            && query.vars[var].ty.base != Base::Window
            && query.vars[var].name != corrupt_record_column
    };
    let mut pushed = Vec::new();
    for (index, step) in query.pre.iter().enumerate() {
        match step {
            Step::Let { .. } => {}
            Step::Filter { condition } if pushable(condition, &is_plain_input) => pushed.push(index),
            Step::Filter { .. } => {}
            Step::Watermark { .. } | Step::Dedup(_) => break,
        }
    }
    pushed
}

/// Whether `condition` reads only plain input columns, through comparisons, boolean logic,
/// widening and null tests.
fn pushable(condition: &TExpr, is_plain_input: &impl Fn(VarId) -> bool) -> bool {
    match &condition.kind {
        TExprKind::Var(var) => is_plain_input(*var),
        TExprKind::Lit(_) => true,
        TExprKind::Binary(_, left, right) => pushable(left, is_plain_input) && pushable(right, is_plain_input),
        TExprKind::Unary(_, inner) | TExprKind::Widen(_, inner) | TExprKind::IsNull { expr: inner, .. } => {
            pushable(inner, is_plain_input)
        }
        TExprKind::Call(..) | TExprKind::Accumulator(_) | TExprKind::WindowField { .. } => false,
    }
}
