//! Physical planning: how the runtime runs a query — which filters run inside the source's
//! decoder, and which stateful operator (with which parameters) holds its state. Codegen only
//! spells these choices out.

use crate::ir::{Forget, Func, LitValue, StatefulOperator, Step, TExpr, TExprKind, TypedQuery, VarId};
use crate::parse::{BinaryOp, UnaryOp};
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
    if query.stream_join().is_some() {
        return Some(StatefulOperator::StreamJoin);
    }
    if query.transform.is_some() {
        return Some(StatefulOperator::Transform);
    }
    dedup_forget(query).map(|forget| StatefulOperator::Dedup { forget })
}

/// When the query's deduplication, if it has one, forgets a key.
pub(crate) fn dedup_forget(query: &TypedQuery) -> Option<Forget> {
    let dedup = query.dedup()?;
    Some(match (dedup.forgets_keys, dedup.within_watermark) {
        (false, _) => Forget::Never,
        (true, false) => Forget::AtEventTime,
        (true, true) => Forget::AfterDelay(query.watermark.map_or(0, |(_, delay)| delay)),
    })
}

/// The query's leading filters that run inside the decoder, as indices into its `pre` steps:
/// those on input columns only, before any watermark or deduplication (which must see every
/// row), and only those Spark itself pushes into its file scans — so that the source's row
/// count, which counts the rows that pass, is Spark's. The query still applies them; pushing
/// only skips rows early.
pub(crate) fn pushed_filters(query: &TypedQuery, corrupt_record_column: &str) -> Vec<usize> {
    let is_plain_input = |var: VarId| {
        var < query.num_input_columns
            && query.vars[var].ty.base != Base::Window
            && query.vars[var].name != corrupt_record_column
    };
    pushed_in(&query.pre, &is_plain_input)
}

/// The same for the right input of a stream–stream join: indices into its steps.
pub(crate) fn pushed_right_filters(query: &TypedQuery, corrupt_record_column: &str) -> Vec<usize> {
    let Some(join) = query.stream_join() else {
        return Vec::new();
    };
    let is_plain_input = |var: VarId| {
        join.right_input_vars.contains(&var)
            && query.vars[var].ty.base != Base::Window
            && query.vars[var].name != corrupt_record_column
    };
    pushed_in(&join.right_steps, &is_plain_input)
}

fn pushed_in(steps: &[Step], is_plain_input: &impl Fn(VarId) -> bool) -> Vec<usize> {
    let mut pushed = Vec::new();
    let mut event_times = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        match step {
            // A filter on the stream's columns passes through a stream–static join, as Spark's
            // optimizer pushes it below the join and into the scan.
            Step::Let { .. } | Step::Join(_) | Step::Generate(_) => {}
            // And through a watermark, unless it reads the event time.
            Step::Watermark { var, .. } => event_times.push(*var),
            Step::Filter { condition } if pushable(condition, is_plain_input) => {
                let mut reads_event_time = false;
                condition.visit_vars(&mut |var| reads_event_time |= event_times.contains(&var));
                if !reads_event_time {
                    pushed.push(index);
                }
            }
            Step::Filter { .. } => {}
            Step::Dedup(_) | Step::StreamJoin(_) => break,
        }
    }
    pushed
}

/// Splits each filter on `a && b` into a filter on `a` and one on `b` (the same rows pass), so
/// the part Spark would push is pushed, as Spark splits conjunctions before pushing them.
pub(crate) fn split_conjunctions(steps: Vec<Step>) -> Vec<Step> {
    fn split(condition: TExpr, out: &mut Vec<Step>) {
        match condition.kind {
            TExprKind::Binary(BinaryOp::And, left, right) => {
                split(*left, out);
                split(*right, out);
            }
            kind => out.push(Step::Filter {
                condition: TExpr { kind, ..condition },
            }),
        }
    }
    let mut out = Vec::with_capacity(steps.len());
    for step in steps {
        match step {
            Step::Filter { condition } => split(condition, &mut out),
            other => out.push(other),
        }
    }
    out
}

/// Whether Spark translates `condition` into a data-source filter (its `translateFilter`): a
/// comparison of an input column with a literal, a null test of one, `isin` of literals,
/// `starts_with` / `ends_with` / `contains` of a literal (and `like` patterns Spark rewrites to
/// them), a boolean column, and `&&`, `||`, `!` of such filters.
fn pushable(condition: &TExpr, is_plain_input: &impl Fn(VarId) -> bool) -> bool {
    let column = |expr: &TExpr| match &expr.kind {
        TExprKind::Var(var) => is_plain_input(*var),
        TExprKind::Widen(_, inner) => matches!(inner.kind, TExprKind::Var(var) if is_plain_input(var)),
        _ => false,
    };
    let literal = |expr: &TExpr| match &expr.kind {
        TExprKind::Lit(_) => true,
        TExprKind::Widen(_, inner) | TExprKind::Unary(UnaryOp::Neg, inner) => {
            matches!(inner.kind, TExprKind::Lit(_))
        }
        _ => false,
    };
    match &condition.kind {
        TExprKind::Var(var) => is_plain_input(*var) && condition.ty.base == Base::Bool,
        TExprKind::Binary(BinaryOp::And | BinaryOp::Or, left, right) => {
            pushable(left, is_plain_input) && pushable(right, is_plain_input)
        }
        TExprKind::Binary(op, left, right) if op.is_comparison() => {
            (column(left) && literal(right)) || (literal(left) && column(right))
        }
        TExprKind::Unary(UnaryOp::Not, inner) => pushable(inner, is_plain_input),
        TExprKind::IsNull { expr, .. } => column(expr),
        TExprKind::Call(Func::IsIn, args) => args
            .split_first()
            .is_some_and(|(x, items)| column(x) && items.iter().all(literal)),
        TExprKind::Call(Func::StartsWith | Func::EndsWith | Func::Contains, args) => {
            matches!(args.as_slice(), [x, part] if column(x) && literal(part))
        }
        TExprKind::Call(Func::Like, args) => match args.as_slice() {
            [
                x,
                TExpr {
                    kind: TExprKind::Lit(LitValue::Str(pattern)),
                    ..
                },
            ] => column(x) && like_is_pushed(pattern),
            _ => false,
        },
        _ => false,
    }
}

/// Whether Spark rewrites `like(pattern)` to a filter it pushes: `abc%` (starts with), `%abc`
/// (ends with), `%abc%` (contains) or `abc` (equals), with no `_` or escape.
fn like_is_pushed(pattern: &str) -> bool {
    if pattern.contains(['_', '\\']) {
        return false;
    }
    let inner = pattern.strip_prefix('%').unwrap_or(pattern);
    let inner = inner.strip_suffix('%').unwrap_or(inner);
    // `abc` is an equality even when empty; around a `%`, the text must not be.
    !inner.contains('%') && (inner.len() == pattern.len() || !inner.is_empty())
}
