//! Stream–stream joins: `left.join(right.with_watermark(..), condition, "how")`, checked
//! against Spark's rules for joining two streams (`UnsupportedOperationChecker`) and planned as
//! Spark's symmetric hash join plans them: equality keys, the rest of the condition, each
//! side's state eviction solved from the condition (`StreamingJoinHelper`), and the `IS NOT
//! NULL` filters Spark's optimizer infers for the sides that need a match.

use proc_macro2::Span;
use syn::Ident;

use super::expr::Scope;
use super::{Env, QueryChecker};
use crate::ir::{JoinEviction, JoinSide, Step, StreamJoin, StreamJoinKind, TExpr, TExprKind, VarId};
use crate::parse::{Arg, BinaryOp, Expr, Op};
use crate::types::{Base, ColType};

const HOWS: &str = "\"inner\", \"left_outer\" (\"left\"), \"right_outer\" (\"right\"), \"full_outer\" (\"full\", \"outer\") or \"left_semi\" (\"semi\")";

/// The operations the right side of a stream–stream join may chain before it is joined.
const RIGHT_OPERATIONS: [&str; 7] = [
    "with_watermark",
    "filter",
    "where",
    "select",
    "with_column",
    "with_column_renamed",
    "drop",
];

/// The input a join's first argument reads, and the operations chained on it
/// (`clicks.with_watermark(..).filter(..)`), if it names one.
pub(crate) fn chain_root(expr: &Expr) -> Option<(&Ident, Vec<Op>)> {
    match expr {
        Expr::Column(name) => Some((name, Vec::new())),
        Expr::Method { receiver, method, args } => {
            let (root, mut ops) = chain_root(receiver)?;
            ops.push(Op {
                name: method.clone(),
                args: args
                    .iter()
                    .map(|expr| match expr {
                        Expr::Named { name, eq_span, value } => Arg {
                            name: Some(name.clone()),
                            eq_span: Some(*eq_span),
                            expr: (**value).clone(),
                        },
                        _ => Arg {
                            name: None,
                            eq_span: None,
                            expr: expr.clone(),
                        },
                    })
                    .collect(),
                paren_span: method.span(),
            });
            Some((root, ops))
        }
        _ => None,
    }
}

fn parse_how(how: &str) -> Option<StreamJoinKind> {
    Some(match how.to_ascii_lowercase().as_str() {
        "inner" => StreamJoinKind::Inner,
        "left" | "left_outer" | "leftouter" => StreamJoinKind::LeftOuter,
        "right" | "right_outer" | "rightouter" => StreamJoinKind::RightOuter,
        "full" | "outer" | "full_outer" | "fullouter" => StreamJoinKind::FullOuter,
        "left_semi" | "semi" | "leftsemi" => StreamJoinKind::LeftSemi,
        _ => return None,
    })
}

/// A `Step::Filter` keeping rows where `var` is not null.
fn not_null(var: VarId, ty: ColType, span: Span) -> Step {
    let column = TExpr {
        kind: TExprKind::Var(var),
        ty,
        span,
    };
    Step::Filter {
        condition: TExpr {
            kind: TExprKind::IsNull {
                expr: Box::new(column),
                negated: true,
            },
            ty: ColType::new(Base::Bool, false),
            span,
        },
    }
}

/// `conditions` joined by `&&`, if there are any.
fn all_of(conditions: Vec<TExpr>) -> Option<TExpr> {
    conditions.into_iter().reduce(|a, b| {
        let ty = ColType::new(Base::Bool, a.ty.nullable || b.ty.nullable);
        let span = a.span;
        TExpr {
            kind: TExprKind::Binary(BinaryOp::And, Box::new(a), Box::new(b)),
            ty,
            span,
        }
    })
}

/// Splits `condition` at `&&`.
fn conjuncts(condition: TExpr, out: &mut Vec<TExpr>) {
    match condition.kind {
        TExprKind::Binary(BinaryOp::And, left, right) => {
            conjuncts(*left, out);
            conjuncts(*right, out);
        }
        kind => out.push(TExpr { kind, ..condition }),
    }
}

fn vars_of(expr: &TExpr) -> Vec<VarId> {
    let mut vars = Vec::new();
    expr.visit_vars(&mut |var| vars.push(var));
    vars
}

/// The terms of a sum of timestamps and intervals (Spark's `collectTerms`): each variable with
/// its sign, and the constant in microseconds; `None` when it is not such a sum.
fn time_terms(expr: &TExpr, negate: bool, vars: &mut Vec<(VarId, bool)>, constant: &mut i64) -> Option<()> {
    match &expr.kind {
        TExprKind::Var(var) => vars.push((*var, negate)),
        TExprKind::Binary(op @ (BinaryOp::Add | BinaryOp::Sub), left, right) => {
            time_terms(left, negate, vars, constant)?;
            time_terms(right, negate ^ (*op == BinaryOp::Sub), vars, constant)?;
        }
        TExprKind::Unary(crate::parse::UnaryOp::Neg, inner) => time_terms(inner, !negate, vars, constant)?,
        TExprKind::Call(crate::ir::Func::AddInterval { months, days, micros }, args) if *months == 0 => {
            let [value] = args.as_slice() else { return None };
            time_terms(value, negate, vars, constant)?;
            let micros = micros.checked_add(i64::from(*days).checked_mul(86_400_000_000)?)?;
            *constant = if negate {
                constant.checked_sub(micros)?
            } else {
                constant.checked_add(micros)?
            };
        }
        _ => return None,
    }
    Some(())
}

/// The lower bounds on `this` side's event time that the condition's comparisons give in terms
/// of the other side's watermarked column `other_watermark`: Spark's
/// `StreamingJoinHelper.getStateValueWatermark`, solved at compile time. Each bound is the
/// constant to add to the watermark (microseconds) and whether it is inclusive.
pub(crate) fn time_bounds(
    conditions: &[TExpr],
    this: &[VarId],
    other_watermark: VarId,
    other: &[VarId],
) -> Vec<(i64, bool)> {
    let mut bounds = Vec::new();
    for condition in conditions {
        let TExprKind::Binary(op, left, right) = &condition.kind else {
            continue;
        };
        // `a < b` is solved as `a - b < 0`; `a > b` as `b - a < 0`.
        let (smaller, larger, inclusive) = match op {
            BinaryOp::Lt => (left, right, false),
            BinaryOp::Le => (left, right, true),
            BinaryOp::Gt => (right, left, false),
            BinaryOp::Ge => (right, left, true),
            _ => continue,
        };
        let (mut terms, mut constant) = (Vec::new(), 0i64);
        if time_terms(smaller, false, &mut terms, &mut constant).is_none()
            || time_terms(larger, true, &mut terms, &mut constant).is_none()
        {
            continue;
        }
        let these: Vec<&(VarId, bool)> = terms.iter().filter(|(var, _)| this.contains(var)).collect();
        let others: Vec<&(VarId, bool)> = terms.iter().filter(|(var, _)| other.contains(var)).collect();
        // One column of each side; this side's must be negated (`other + c - this < 0`, so
        // `this > watermark + c`), and the other side's must be its watermarked column.
        let (&[&(_, true)], &[&(other_var, false)]) = (these.as_slice(), others.as_slice()) else {
            continue;
        };
        if other_var != other_watermark || terms.len() != 2 {
            continue;
        }
        bounds.push((constant, inclusive));
    }
    bounds
}

/// A side's event-time column at the join — its watermarked column, or a tumbling window over
/// it — with the watermark's delay; `None` when it has neither any more. Two of them is an error
/// (Spark fails such a query when it starts: `MULTIPLE_EVENT_TIME_COLUMNS`).
fn event_time_column(
    watermark: Option<(VarId, i64)>,
    steps: &[Step],
    columns: &[(Ident, VarId)],
    side: &Ident,
) -> Result<Option<(VarId, i64)>, String> {
    let Some((event_time, delay)) = watermark else {
        return Ok(None);
    };
    let windows: Vec<VarId> = steps
        .iter()
        .filter_map(|step| match step {
            Step::Let {
                var,
                expr:
                    TExpr {
                        kind: TExprKind::Call(crate::ir::Func::TumblingWindow { .. }, args),
                        ..
                    },
            } if matches!(args.as_slice(), [TExpr { kind: TExprKind::Var(ts), .. }] if *ts == event_time) => Some(*var),
            _ => None,
        })
        .collect();
    let found: Vec<&(Ident, VarId)> = columns
        .iter()
        .filter(|(_, var)| *var == event_time || windows.contains(var))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [(_, var)] => Ok(Some((*var, delay))),
        [(first, _), (second, _), ..] => Err(format!(
            "`{side}` reaches the join with two event-time columns, `{first}` and `{second}` (the watermarked column and a window over it)\nnote: Spark fails such a query when it starts (MULTIPLE_EVENT_TIME_COLUMNS)\nhelp: keep one: join on the window and copy the time without its watermark, `{first} = timestamp_micros(unix_micros({first}))`, or drop one"
        )),
    }
}

impl QueryChecker<'_> {
    /// `join(right, condition, "how")` where `right` is another stream input of the query, with
    /// the operations chained on it.
    pub(super) fn stream_join(&mut self, op: &Op, right_name: &Ident, right_ops: &[Op]) {
        if self.aggregate.is_some() {
            self.error(
                op.name.span(),
                "a stream–stream join must come before the aggregation\nnote: Spark refuses an aggregation before a stream–stream join in append mode, and a stream–stream join in update and complete modes\nhelp: join first: `views.join(clicks, ..).group_by(..)`",
            );
            return;
        }
        if let Some(step) = self
            .pre
            .iter()
            .find(|step| matches!(step, Step::Join(_) | Step::StreamJoin(_) | Step::Dedup(_)))
        {
            let what = match step {
                Step::Dedup(_) => "a deduplication",
                _ => "another join",
            };
            self.error(
                op.name.span(),
                format!("a stream–stream join after {what} is not supported yet\nhelp: join the streams first"),
            );
            return;
        }
        // `join(other, condition[, how])`, or `join(other, key, ..[, how])` on columns of the same
        // name on both sides (Spark's `join(other, on, how)`).
        let (how_arg, rest_args) = match op.args.split_last() {
            Some((last, rest)) if rest.len() >= 2 && matches!(last.expr, Expr::Lit(_)) => (Some(last), &rest[1..]),
            _ => (None, op.args.get(1..).unwrap_or_default()),
        };
        let using: Option<Vec<&Ident>> = rest_args
            .iter()
            .map(|arg| match &arg.expr {
                Expr::Column(name) => Some(name),
                _ => None,
            })
            .collect();
        let (condition_arg, using) = match (rest_args, using) {
            ([condition], None) => (Some(condition), Vec::new()),
            (keys, Some(using)) if !keys.is_empty() => (None, using),
            _ => {
                self.error(
                    op.paren_span,
                    format!("a stream–stream join takes the other stream, a condition or the columns to join on, and optionally how to join: `.join({right_name}, ad_id == c_ad_id && click_time >= view_time, \"left_outer\")`, `.join({right_name}, ad_id)`\nnote: how is {HOWS}"),
                );
                return;
            }
        };
        let kind = match how_arg.map(|arg| &arg.expr) {
            None => StreamJoinKind::Inner,
            Some(Expr::Lit(syn::Lit::Str(text))) => {
                if let Some(kind) = parse_how(&text.value()) {
                    kind
                } else {
                    let anti = matches!(
                        text.value().to_ascii_lowercase().as_str(),
                        "left_anti" | "anti" | "leftanti"
                    );
                    let note = if anti {
                        "\nnote: Spark does not support a left anti join of two streams: a row could only be known unmatched once no match can come"
                    } else {
                        ""
                    };
                    self.error(
                        text.span(),
                        format!(
                            "unknown join type {:?} for two streams{note}\nhelp: use {HOWS}",
                            text.value()
                        ),
                    );
                    return;
                }
            }
            Some(other) => {
                self.error(
                    other.span(),
                    format!("the join type is a string literal, found `{other}`\nnote: it is {HOWS}"),
                );
                return;
            }
        };
        let Some((right_index, right_fields)) = self
            .stream_inputs
            .iter()
            .position(|(name, _)| name == right_name)
            .map(|index| (index, self.stream_inputs[index].1.clone()))
        else {
            return;
        };
        // The left side as it reaches the join.
        let left_columns = self.env.columns.clone();
        let left_watermark = self.watermark;
        // The right side: its own columns, steps and watermark, checked as a query body is.
        let saved_pre = std::mem::take(&mut self.pre);
        let saved_env = std::mem::take(&mut self.env);
        self.watermark = None;
        let right_input_vars: Vec<VarId> = right_fields
            .iter()
            .map(|(name, ty)| {
                let var = self.new_var(name.to_string(), *ty);
                self.env.columns.push((name.clone(), var));
                var
            })
            .collect();
        for right_op in right_ops {
            if RIGHT_OPERATIONS.contains(&right_op.name.to_string().as_str()) {
                self.check_ops(std::slice::from_ref(right_op));
            } else {
                self.error(
                    right_op.name.span(),
                    format!(
                        "`{}` on the right side of a stream–stream join is not supported\nnote: the right side may chain {}\nhelp: or apply it after the join",
                        right_op.name,
                        RIGHT_OPERATIONS.join(", ")
                    ),
                );
            }
        }
        let right_columns = std::mem::replace(&mut self.env, saved_env).columns;
        let mut right_steps = std::mem::replace(&mut self.pre, saved_pre);
        let right_watermark = self.watermark.take();
        self.watermark = left_watermark.or(right_watermark);
        if self.failed {
            return;
        }
        // As Spark's, a side drops late rows and evicts by its event-time column: the watermarked
        // column, or a window over it, while it is still one of its columns.
        let left_name = self.decl.root.clone();
        let sides = [
            (
                event_time_column(left_watermark, &self.pre, &left_columns, &left_name),
                &left_name,
            ),
            (
                event_time_column(right_watermark, &right_steps, &right_columns, right_name),
                right_name,
            ),
        ];
        for (found, side) in &sides {
            if let Err(message) = found {
                self.error(side.span(), message);
            }
        }
        let [(Ok(left_watermark), _), (Ok(right_watermark), _)] = sides else {
            return;
        };
        if self.failed {
            return;
        }
        if !using.is_empty() && kind == StreamJoinKind::FullOuter {
            self.error(
                op.args[1].expr.span(),
                "a full outer join on same-named columns is not supported yet: Spark would merge each pair of keys into one column\nhelp: rename the right side's key and join on a condition: `.join(clicks.with_column_renamed(ad_id, c_ad_id), ad_id == c_ad_id, \"full_outer\")`",
            );
            return;
        }
        let mut using_pairs = Vec::new();
        for key in &using {
            let (Some(left), Some(right)) = (
                left_columns.iter().find(|(name, _)| name == *key),
                right_columns.iter().find(|(name, _)| name == *key),
            ) else {
                let side = if left_columns.iter().any(|(name, _)| name == *key) {
                    right_name.to_string()
                } else {
                    format!("the left stream `{}`", self.decl.root)
                };
                self.error(
                    key.span(),
                    format!("cannot join on `{key}`: {side} has no such column\nhelp: a join on a column name needs it on both sides; otherwise write the condition: `.join({right_name}, {key} == other_column)`"),
                );
                return;
            };
            using_pairs.push((left.1, right.1, key.span()));
        }
        for (name, _) in &right_columns {
            if using.contains(&name) {
                continue;
            }
            if left_columns.iter().any(|(left, _)| left == name) {
                self.error(
                    op.args[0].expr.span(),
                    format!("the join gives two columns `{name}`: the left stream's and `{right_name}`'s\nhelp: rename one side's first, e.g. `{right_name}.with_column_renamed({name}, {right_name}_{name})`"),
                );
                return;
            }
        }
        // The condition, over both sides' columns (either may be written `input.column`).
        let condition = match condition_arg {
            Some(condition_arg) => {
                let condition_expr = unqualified(&condition_arg.expr, &[&left_name, right_name]);
                let both = Env {
                    columns: left_columns.iter().chain(&right_columns).cloned().collect(),
                    after: None,
                };
                let Some(condition) = self.exprs().check(
                    &condition_expr,
                    &mut Scope::Row {
                        env: &both,
                        context: "a join condition",
                    },
                ) else {
                    return;
                };
                if condition.ty.base != Base::Bool {
                    self.error(
                        condition_arg.expr.span(),
                        format!("a join condition is a boolean, but `{}` is {}\nhelp: compare the keys: `v_ad == c_ad`, or join on a column both sides have: `.join({right_name}, ad_id)`", condition_arg.expr, condition.ty),
                    );
                    return;
                }
                condition
            }
            None => {
                let mut equalities = Vec::new();
                for (left, right, span) in &using_pairs {
                    let (left_ty, right_ty) = (self.vars[*left].ty, self.vars[*right].ty);
                    if left_ty.base != right_ty.base {
                        self.error(*span, format!("cannot join on `{}`: the left side's is {left_ty} and `{right_name}`'s is {right_ty}\nhelp: cast one side so both have one type", self.vars[*left].name));
                        return;
                    }
                    let var = |var: VarId, ty: ColType| TExpr {
                        kind: TExprKind::Var(var),
                        ty,
                        span: *span,
                    };
                    equalities.push(TExpr {
                        kind: TExprKind::Binary(
                            BinaryOp::Eq,
                            Box::new(var(*left, left_ty)),
                            Box::new(var(*right, right_ty)),
                        ),
                        ty: ColType::new(Base::Bool, left_ty.nullable || right_ty.nullable),
                        span: *span,
                    });
                }
                let Some(condition) = all_of(equalities) else {
                    return;
                };
                condition
            }
        };
        let condition_span = condition_arg.map_or_else(|| op.args[1].expr.span(), |arg| arg.expr.span());
        let condition_text = condition_arg.map_or_else(
            || using.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            |arg| arg.expr.to_string(),
        );
        let left_vars: Vec<VarId> = left_columns.iter().map(|(_, var)| *var).collect();
        let right_vars: Vec<VarId> = right_columns.iter().map(|(_, var)| *var).collect();
        let side_of = |expr: &TExpr| {
            let vars = vars_of(expr);
            let on_left = vars.iter().any(|v| left_vars.contains(v));
            let on_right = vars.iter().any(|v| right_vars.contains(v));
            (on_left, on_right)
        };
        let mut parts = Vec::new();
        conjuncts(condition, &mut parts);
        let (mut keys, mut rest, mut left_only, mut right_only) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut left_key_exprs = Vec::new();
        let mut right_key_exprs = Vec::new();
        for part in parts {
            if let TExprKind::Binary(BinaryOp::Eq, a, b) = &part.kind {
                let (a_side, b_side) = (side_of(a), side_of(b));
                let pair = match (a_side, b_side) {
                    ((true, false), (false, true)) => Some((a, b)),
                    ((false, true), (true, false)) => Some((b, a)),
                    _ => None,
                };
                if let Some((l, r)) = pair {
                    if l.ty.base != r.ty.base {
                        self.error(
                            part.span,
                            format!("cannot join on keys of two types: the left side's is {} and the right side's is {}\nhelp: cast one side so both have one type", l.ty, r.ty),
                        );
                        return;
                    }
                    left_key_exprs.push((**l).clone());
                    right_key_exprs.push((**r).clone());
                    continue;
                }
            }
            match side_of(&part) {
                (true, false) => left_only.push(part),
                (false, true) => right_only.push(part),
                _ => rest.push(part),
            }
        }
        if left_key_exprs.is_empty() {
            self.error(
                condition_span,
                format!("a stream–stream join needs at least one equality of a left column and a right column in its condition, found `{condition_text}`\nnote: Spark joins two streams by hashing their keys\nhelp: add the key equality: `v_ad == c_ad && ..`"),
            );
            return;
        }
        // Keys that are expressions become columns computed on their side.
        let key_var = |checker: &mut Self, expr: TExpr, steps: &mut Vec<Step>| match expr.kind {
            TExprKind::Var(var) => var,
            _ => {
                let var = checker.new_var("join_key".to_owned(), expr.ty);
                steps.push(Step::Let { var, expr });
                var
            }
        };
        let mut left_steps = Vec::new();
        for (l, r) in left_key_exprs.into_iter().zip(right_key_exprs) {
            let (lv, rv) = (key_var(self, l, &mut left_steps), key_var(self, r, &mut right_steps));
            keys.push((lv, rv));
        }
        // Spark's optimizer pushes conditions on one side alone below the join where that keeps
        // the join's result; on a side the join preserves, they decide whether a row can match.
        let (mut left_pre, mut right_pre) = (Vec::new(), Vec::new());
        for part in left_only {
            if kind.preserves_left() {
                left_pre.push(part);
            } else {
                left_steps.push(Step::Filter { condition: part });
            }
        }
        for part in right_only {
            if kind.preserves_right() {
                right_pre.push(part);
            } else {
                right_steps.push(Step::Filter { condition: part });
            }
        }
        // Spark infers `col IS NOT NULL` for the columns of the keys and of the comparisons on a
        // side the join does not preserve (a row with a null there can never match).
        let mut compared: Vec<VarId> = keys.iter().flat_map(|(l, r)| [*l, *r]).collect();
        for part in &rest {
            if matches!(
                &part.kind,
                TExprKind::Binary(
                    BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq,
                    ..
                )
            ) {
                compared.extend(vars_of(part));
            }
        }
        compared.sort_unstable();
        compared.dedup();
        let span = op.name.span();
        for var in compared {
            let ty = self.vars[var].ty;
            if !ty.nullable {
                continue;
            }
            let on_left = left_vars.contains(&var) || keys.iter().any(|(l, _)| *l == var);
            let filter = not_null(var, ty, span);
            // Before the watermark (so into the scan) when it is an input column other than the
            // event time; after the side's steps otherwise.
            let is_event_time = |watermark: Option<(VarId, i64)>| watermark.is_some_and(|(w, _)| w == var);
            if on_left && !kind.preserves_left() {
                let early = var < self.num_input_columns && !is_event_time(left_watermark);
                push_before_watermark(&mut self.pre, filter, early);
            } else if !on_left && !kind.preserves_right() {
                let early = right_input_vars.contains(&var) && !is_event_time(right_watermark);
                push_before_watermark(&mut right_steps, filter, early);
            }
        }
        self.pre.extend(left_steps);
        // Each side's eviction, as Spark's `getStateWatermarkPredicates`.
        let is_time_key = |var: VarId, watermark: Option<(VarId, i64)>| watermark.is_some_and(|(w, _)| w == var);
        let key_eviction = keys
            .iter()
            .find(|(l, r)| is_time_key(*l, left_watermark) || is_time_key(*r, right_watermark));
        let eviction = |this_watermark: Option<(VarId, i64)>,
                        other_watermark: Option<(VarId, i64)>,
                        this: &[VarId],
                        other: &[VarId],
                        key: Option<VarId>| {
            if let Some(var) = key {
                return JoinEviction::AtWatermark { var };
            }
            let (Some((var, _)), Some((other_var, _))) = (this_watermark, other_watermark) else {
                return JoinEviction::Never;
            };
            let bounds = time_bounds(&rest, this, other_var, other);
            if bounds.is_empty() {
                JoinEviction::Never
            } else {
                JoinEviction::Bounded { var, bounds }
            }
        };
        let left_eviction = eviction(
            left_watermark,
            right_watermark,
            &left_vars,
            &right_vars,
            key_eviction.map(|(l, _)| *l),
        );
        let right_eviction = eviction(
            right_watermark,
            left_watermark,
            &right_vars,
            &left_vars,
            key_eviction.map(|(_, r)| *r),
        );
        // Spark's support matrix: an outer or semi join must be able to tell when a row of the
        // side it emits can no longer match.
        let nullable_side_bound = |this: &[VarId], other: &[VarId], other_watermark: Option<(VarId, i64)>| {
            other_watermark.is_some_and(|(var, _)| !time_bounds(&rest, this, var, other).is_empty())
        };
        let valid = key_eviction.is_some()
            || match kind {
                StreamJoinKind::Inner => true,
                StreamJoinKind::LeftOuter | StreamJoinKind::LeftSemi => {
                    nullable_side_bound(&left_vars, &right_vars, right_watermark)
                }
                StreamJoinKind::RightOuter => nullable_side_bound(&right_vars, &left_vars, left_watermark),
                // Spark 4.3 accepts a full outer join with either side bounded (the other side's
                // unmatched rows then wait forever).
                StreamJoinKind::FullOuter => {
                    nullable_side_bound(&left_vars, &right_vars, right_watermark)
                        || nullable_side_bound(&right_vars, &left_vars, left_watermark)
                }
            };
        if !valid {
            let how = how_arg.map_or_else(|| op.name.span(), |arg| arg.expr.span());
            self.error(
                how,
                format!(
                    "Stream-stream {} join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition\nnote: the join could never tell that a row will not match, so it would keep every row and never emit the unmatched ones\nhelp: give both streams a watermark and bound the event times in the condition: `{left_name}.with_watermark(view_time, \"10 minutes\").join({right_name}.with_watermark(click_time, \"20 minutes\"), v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval(\"1 hour\"), ..)`",
                    kind.spark_name()
                ),
            );
            return;
        }
        // The joined columns: the left's, then the right's (none for a semi join), each null-able
        // where the join emits that side as nulls.
        let output_side = |checker: &mut Self, columns: &[(Ident, VarId)], nulls: bool| -> Vec<VarId> {
            columns
                .iter()
                .map(|(name, var)| {
                    let ty = checker.vars[*var].ty;
                    checker.new_var(name.to_string(), ColType::new(ty.base, ty.nullable || nulls))
                })
                .collect()
        };
        let left_outputs = output_side(self, &left_columns, kind.preserves_right());
        let right_outputs = if kind == StreamJoinKind::LeftSemi {
            Vec::new()
        } else {
            output_side(self, &right_columns, kind.preserves_left())
        };
        let named = |columns: &[(Ident, VarId)], outputs: &[VarId]| -> Vec<(Ident, VarId)> {
            columns
                .iter()
                .map(|(name, _)| name.clone())
                .zip(outputs.iter().copied())
                .collect()
        };
        self.env.columns = joined_columns(
            kind,
            &using,
            named(&left_columns, &left_outputs),
            named(&right_columns, &right_outputs),
        );
        self.env.after = Some("join");
        // Each side's watermarked time carries the join's output watermark to an aggregation
        // after it.
        for (columns, outputs, watermark) in [
            (&left_columns, &left_outputs, left_watermark),
            (&right_columns, &right_outputs, right_watermark),
        ] {
            let position = watermark.and_then(|(time, _)| columns.iter().position(|(_, var)| *var == time));
            self.event_times.extend(position.and_then(|p| outputs.get(p).copied()));
        }
        let condition = all_of(rest);
        self.pre.push(Step::StreamJoin(Box::new(StreamJoin {
            right_input: right_index,
            right_input_vars,
            right_steps,
            left: JoinSide {
                columns: left_columns,
                outputs: left_outputs,
                watermark: left_watermark.map(|(var, _)| var),
                eviction: left_eviction,
                pre_filters: left_pre,
            },
            right: JoinSide {
                columns: right_columns,
                outputs: right_outputs,
                watermark: right_watermark.map(|(var, _)| var),
                eviction: right_eviction,
                pre_filters: right_pre,
            },
            keys,
            condition,
            kind,
        })));
    }
}

/// The columns of a join: the left's then the right's; or, joined on same-named columns
/// (Spark's `join(other, on)`), those keys once, first (the right side's in a right outer join,
/// the side it keeps), then each side's other columns.
fn joined_columns(
    kind: StreamJoinKind,
    using: &[&Ident],
    left: Vec<(Ident, VarId)>,
    right: Vec<(Ident, VarId)>,
) -> Vec<(Ident, VarId)> {
    if using.is_empty() {
        return left.into_iter().chain(right).collect();
    }
    let is_key = |name: &Ident| using.contains(&name);
    let key_side = if kind == StreamJoinKind::RightOuter {
        &right
    } else {
        &left
    };
    let keys: Vec<(Ident, VarId)> = using
        .iter()
        .filter_map(|key| key_side.iter().find(|(name, _)| name == *key).cloned())
        .collect();
    keys.into_iter()
        .chain(left.into_iter().filter(|(name, _)| !is_key(name)))
        .chain(right.into_iter().filter(|(name, _)| !is_key(name)))
        .collect()
}

/// Pushes `filter` into `steps`: `early`, before the side's `with_watermark` (where Spark pushes
/// a filter on an input column other than the event time, so it reaches the scan); otherwise
/// at the end.
fn push_before_watermark(steps: &mut Vec<Step>, filter: Step, early: bool) {
    let watermark = steps.iter().position(|step| matches!(step, Step::Watermark { .. }));
    match watermark {
        Some(position) if early => steps.insert(position, filter),
        _ => steps.push(filter),
    }
}

/// `expr` with `input.column` written `column`, for inputs `inputs`.
fn unqualified(expr: &Expr, inputs: &[&Ident]) -> Expr {
    let again = |e: &Expr| Box::new(unqualified(e, inputs));
    match expr {
        Expr::Field { base, member } if matches!(base.as_ref(), Expr::Column(name) if inputs.contains(&name)) => {
            Expr::Column(member.clone())
        }
        Expr::Field { base, member } => Expr::Field {
            base: again(base),
            member: member.clone(),
        },
        Expr::Call { func, args, paren_span } => Expr::Call {
            func: func.clone(),
            args: args.iter().map(|a| unqualified(a, inputs)).collect(),
            paren_span: *paren_span,
        },
        Expr::Method { receiver, method, args } => Expr::Method {
            receiver: again(receiver),
            method: method.clone(),
            args: args.iter().map(|a| unqualified(a, inputs)).collect(),
        },
        Expr::Index { base, index } => Expr::Index {
            base: again(base),
            index: again(index),
        },
        Expr::Binary {
            op,
            op_span,
            left,
            right,
        } => Expr::Binary {
            op: *op,
            op_span: *op_span,
            left: again(left),
            right: again(right),
        },
        Expr::Unary { op, op_span, expr } => Expr::Unary {
            op: *op,
            op_span: *op_span,
            expr: again(expr),
        },
        Expr::Paren(inner) => Expr::Paren(again(inner)),
        Expr::Named { name, eq_span, value } => Expr::Named {
            name: name.clone(),
            eq_span: *eq_span,
            value: again(value),
        },
        Expr::Column(_) | Expr::Lit(_) => expr.clone(),
    }
}
