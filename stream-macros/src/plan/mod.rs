//! Stage 3, planning: a [`TypedQuery`] → [`Plan`]: dead columns and computations pruned
//! (the source decodes only what the query reads), output modes decided, the physical choices
//! made (filters pushed into the decoder, the stateful operator), the plan rendered as
//! `explain()` text and fingerprinted.

use std::collections::BTreeSet;
use std::fmt::Write as _;

mod physical;

pub(crate) use physical::dedup_forget;

use crate::ir::{
    Accumulator, AggFunc, Func, LitValue, ModeSupport, Plain, Plan, RegexFunc, Step, TExpr, TExprKind, TypedQuery,
    VarId,
};
use crate::parse::{BinaryOp, UnaryOp};

pub(crate) fn plan(mut query: TypedQuery) -> Plan {
    let upstream = query.upstream.take().map(|mut upstream| {
        prune_upstream(&mut query, &mut upstream);
        Box::new(plan(*upstream))
    });
    query.pre = physical::split_conjunctions(std::mem::take(&mut query.pre));
    let live = liveness(&query);
    let required_inputs: Vec<VarId> = (0..query.num_input_columns).filter(|v| live.contains(v)).collect();
    let key_columns = match &query.aggregate {
        Some(aggregate) => query
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, (_, var))| aggregate.key_outputs.contains(var))
            .map(|(index, _)| index)
            .collect(),
        None => Vec::new(),
    };
    let aggregates = query.aggregate.is_some();
    // Spark: an aggregation may append only when a watermark bounds an event-time key, so each
    // group is final once the watermark passes it.
    let event_time_key = query.aggregate.as_ref().is_some_and(|a| a.event_time_key.is_some());
    // Spark: a session can merge with a later one, so update mode is not supported.
    let session = query.aggregate.as_ref().is_some_and(|a| a.session.is_some());
    // Spark: a streaming result is sorted (or limited) only after an aggregation, in complete
    // mode.
    let sorted = !query.order_by.is_empty() || query.limit.is_some();
    // Spark: an outer join of two streams runs in append mode only; an inner or semi join in
    // update mode too (its rows are never updated); none in complete mode.
    let stream_join = query.stream_join().map(|join| join.kind);
    let outer_join = stream_join.is_some_and(|kind| kind.preserves_left() || kind.preserves_right());
    // Spark: a stateful processor emits in append or update mode, never complete.
    // Spark: an aggregation feeds a second stateful operator in append mode only
    // (`_LEGACY_ERROR_TEMP_3102` in update and complete modes); a join feeds one in append and
    // update modes (a join runs in no other), a processor in the modes the second allows.
    let after_aggregation = upstream.as_ref().is_some_and(|up| up.query.aggregate.is_some());
    let after_join = upstream.as_ref().is_some_and(|up| up.query.stream_join().is_some());
    let modes = ModeSupport {
        append: (!aggregates || event_time_key) && !sorted,
        update: !session && !sorted && !outer_join && !after_aggregation,
        complete: aggregates && stream_join.is_none() && query.transform.is_none() && !after_aggregation && !after_join,
    };
    let pushed_filters = physical::pushed_filters(&query, crate::schema::CORRUPT_RECORD_COLUMN);
    let pushed_right_filters = physical::pushed_right_filters(&query, crate::schema::CORRUPT_RECORD_COLUMN);
    let operator = physical::stateful_operator(&query);
    let mut plan = Plan {
        query,
        live,
        required_inputs,
        key_columns,
        modes,
        pushed_filters,
        pushed_right_filters,
        operator,
        explain: String::new(),
        fingerprint: 0,
        upstream,
    };
    plan.explain = explain(&plan);
    plan.fingerprint = fnv1a64(plan.explain.as_bytes());
    plan
}

/// Makes the `upstream` of a chained stage emit only the columns the stage reads, as Spark prunes
/// the others: a join then buffers no more, and its sources decode no more. The stage's input
/// columns are renumbered to the pruned row's.
fn prune_upstream(query: &mut TypedQuery, upstream: &mut TypedQuery) {
    let live = liveness(query);
    let mut read: Vec<VarId> = (0..query.num_input_columns).filter(|v| live.contains(v)).collect();
    if read.is_empty() {
        // A batch without columns would lose its row count on the way.
        read.push(0);
    }
    upstream.outputs = read.iter().map(|&var| upstream.outputs[var].clone()).collect();
    for (position, &var) in read.iter().enumerate() {
        query.inputs[0].columns[var] = position;
    }
}

/// Adds the variables `steps` need to produce the live ones, walking them backwards.
fn walk(steps: &[Step], live: &mut BTreeSet<VarId>) {
    for step in steps.iter().rev() {
        match step {
            Step::Let { var, expr } if live.contains(var) => expr.visit_vars(&mut |v| {
                live.insert(v);
            }),
            Step::Let { .. } => {}
            Step::Filter { condition } => condition.visit_vars(&mut |v| {
                live.insert(v);
            }),
            Step::Watermark { var, .. } => {
                live.insert(*var);
            }
            Step::Dedup(dedup) => {
                live.extend(dedup.keys.iter().copied());
                live.extend(dedup.event_time);
            }
            Step::Join(join) => live.extend(join.keys.iter().map(|(var, _)| *var)),
            Step::Generate(generate) => generate.array.visit_vars(&mut |v| {
                live.insert(v);
            }),
            Step::StreamJoin(join) => {
                for side in [&join.left, &join.right] {
                    for ((_, var), out) in side.columns.iter().zip(&side.outputs) {
                        if live.contains(out) {
                            live.insert(*var);
                        }
                    }
                    live.extend(side.watermark);
                    match &side.eviction {
                        crate::ir::JoinEviction::Never => {}
                        crate::ir::JoinEviction::AtWatermark { var } | crate::ir::JoinEviction::Bounded { var, .. } => {
                            live.insert(*var);
                        }
                    }
                    for filter in &side.pre_filters {
                        filter.visit_vars(&mut |v| {
                            live.insert(v);
                        });
                    }
                }
                if let Some(condition) = &join.condition {
                    condition.visit_vars(&mut |v| {
                        live.insert(v);
                    });
                }
                for (left, right) in &join.keys {
                    live.insert(*left);
                    live.insert(*right);
                }
                walk(&join.right_steps, live);
            }
        }
    }
}

/// Variables needed to produce the outputs, walking the steps backwards.
fn liveness(query: &TypedQuery) -> BTreeSet<VarId> {
    let mut live: BTreeSet<VarId> = query.outputs.iter().map(|(_, var)| *var).collect();
    walk(&query.post, &mut live);
    if let Some(aggregate) = &query.aggregate {
        // State keeps every key and accumulator, whatever later steps read.
        live.extend(aggregate.key_outputs.iter().copied());
        live.extend(aggregate.outputs.iter().map(|(var, _)| *var));
        live.extend(aggregate.keys.iter().copied());
        if let Some(window) = &aggregate.window {
            live.insert(window.ts);
        }
        if let Some(session) = &aggregate.session {
            live.insert(session.ts);
            live.extend(session.gap_per_row);
        }
        for accumulator in &aggregate.accumulators {
            for arg in accumulator.arg.iter().chain(&accumulator.second) {
                arg.visit_vars(&mut |v| {
                    live.insert(v);
                });
            }
        }
    }
    if let Some(columns) = &query.late_rows {
        live.extend(columns.iter().map(|(_, var)| *var));
    }
    if let Some(transform) = &query.transform {
        live.extend(transform.keys.iter().copied());
        live.extend(transform.input_columns.iter().map(|(_, var)| *var));
        live.extend(transform.event_time);
    }
    walk(&query.pre, &mut live);
    live
}

/// Appends one line per live step of `steps`, last first.
fn describe_steps(plan: &Plan, steps: &[Step], lines: &mut Vec<String>) {
    let query = &plan.query;
    for step in steps.iter().rev() {
        if !plan.step_is_live(step) {
            continue;
        }
        lines.push(match step {
            Step::Let { var, expr } => format!("Compute [{} = {}]", query.vars[*var].name, render(expr, query)),
            Step::Filter { condition } => format!("Filter {}", render(condition, query)),
            Step::Generate(generate) => {
                let outputs: Vec<&str> = generate
                    .position
                    .iter()
                    .chain([&generate.element])
                    .map(|var| query.vars[*var].name.as_str())
                    .collect();
                format!(
                    "Generate {}({}), [{}]",
                    generate.name(),
                    render(&generate.array, query),
                    outputs.join(", ")
                )
            }
            Step::Dedup(dedup) => {
                let keys: Vec<&str> = dedup.keys.iter().map(|v| query.vars[*v].name.as_str()).collect();
                let within = if dedup.within_watermark {
                    " within watermark"
                } else {
                    ""
                };
                format!("Deduplicate [{}]{within} (state: one row per key)", keys.join(", "))
            }
            Step::Watermark { var, index } => format!(
                "EventTimeWatermark {}, delay {}",
                query.vars[*var].name,
                describe_micros(query.watermarks.get(*index).map_or(0, |(_, delay)| *delay))
            ),
            Step::StreamJoin(join) => {
                // A key by the name its side gives it (a renamed column keeps its variable).
                let name = |side: &crate::ir::JoinSide, var: VarId| {
                    side.columns
                        .iter()
                        .find(|(_, v)| *v == var)
                        .map_or_else(|| query.vars[var].name.clone(), |(name, _)| name.to_string())
                };
                let keys: Vec<String> = join
                    .keys
                    .iter()
                    .map(|(l, r)| format!("{} = {}", name(&join.left, *l), name(&join.right, *r)))
                    .collect();
                let condition = join
                    .condition
                    .as_ref()
                    .map_or_else(String::new, |c| format!(", condition {}", render(c, query)));
                let eviction = |e: &crate::ir::JoinEviction| match e {
                    crate::ir::JoinEviction::Never => "state kept forever".to_owned(),
                    crate::ir::JoinEviction::AtWatermark { var } => {
                        format!("evicted when {} <= watermark", query.vars[*var].name)
                    }
                    crate::ir::JoinEviction::Bounded { var, bounds } => {
                        let bounds: Vec<String> = bounds
                            .iter()
                            .map(|(offset, inclusive)| {
                                format!(
                                    "watermark {}{}",
                                    describe_micros(*offset),
                                    if *inclusive { " - 1 ms" } else { "" }
                                )
                            })
                            .collect();
                        format!("evicted when {} <= min({})", query.vars[*var].name, bounds.join(", "))
                    }
                };
                let mut right_lines = Vec::new();
                describe_steps(plan, &join.right_steps, &mut right_lines);
                right_lines.reverse();
                format!(
                    "StreamingSymmetricHashJoin {} [{}]{condition}, left: {}, right: {}; right side: {} [{}]",
                    join.kind.spark_name(),
                    keys.join(", "),
                    eviction(&join.left.eviction),
                    eviction(&join.right.eviction),
                    query.inputs[join.right_input].name,
                    right_lines.join(" -> ")
                )
            }
            Step::Join(join) => {
                let table = &query.statics[join.table];
                let keys: Vec<String> = join
                    .keys
                    .iter()
                    .map(|(var, field)| {
                        format!("{} = {}.{}", query.vars[*var].name, table.name, table.fields[*field].0)
                    })
                    .collect();
                format!(
                    "BroadcastHashJoin {:?} [{}], static {} ({}) (stateless)",
                    join.kind,
                    keys.join(", "),
                    table.name,
                    table.schema
                )
            }
        });
    }
}

/// Renders an expression with column names, as written in the query.
pub(crate) fn render(expr: &TExpr, query: &TypedQuery) -> String {
    let accumulators: &[Accumulator] = query.aggregate.as_ref().map_or(&[], |a| a.accumulators.as_slice());
    let render_list = |args: &[TExpr]| args.iter().map(|a| render(a, query)).collect::<Vec<_>>().join(", ");
    match &expr.kind {
        TExprKind::Var(var) => query.vars[*var].name.clone(),
        TExprKind::Lit(LitValue::Str(text)) => format!("{text:?}"),
        TExprKind::Lit(LitValue::I32(v)) => v.to_string(),
        TExprKind::Lit(LitValue::I64(v)) => format!("{v}i64"),
        TExprKind::Lit(LitValue::F64(v)) => format!("{v:?}"),
        TExprKind::Lit(LitValue::Bool(v)) => v.to_string(),
        TExprKind::Lit(LitValue::Decimal(unscaled, precision)) => {
            let digits = format!(
                "{:0width$}",
                unscaled.unsigned_abs(),
                width = usize::from(precision.scale) + 1
            );
            let (whole, fraction) = digits.split_at(digits.len() - usize::from(precision.scale));
            let point = if fraction.is_empty() { "" } else { "." };
            format!("{}{whole}{point}{fraction}bd", if *unscaled < 0 { "-" } else { "" })
        }
        TExprKind::Call(Func::Case { otherwise }, args) => {
            let branches = if *otherwise { &args[..args.len() - 1] } else { &args[..] };
            let mut text = branches
                .chunks(2)
                .enumerate()
                .map(|(index, pair)| {
                    let call = if index == 0 { "when" } else { ".when" };
                    format!("{call}({})", render_list(pair))
                })
                .collect::<String>();
            if let (true, Some(last)) = (*otherwise, args.last()) {
                text.push_str(&format!(".otherwise({})", render(last, query)));
            }
            text
        }
        TExprKind::Call(
            func @ (Func::IsIn | Func::Like | Func::StartsWith | Func::EndsWith | Func::Contains),
            args,
        ) => {
            let (receiver, rest) = args
                .split_first()
                .map_or(("".to_owned(), &[][..]), |(first, rest)| (render(first, query), rest));
            format!("{receiver}.{}({})", func_name(*func), render_list(rest))
        }
        TExprKind::Call(Func::AddInterval { months, days, micros }, args) => {
            format!(
                "({} + interval({months} months {days} days {micros} microseconds))",
                render_list(args)
            )
        }
        TExprKind::Call(Func::Cast { .. }, args) => {
            format!("cast({}, {:?})", render_list(args), expr.ty.base.written())
        }
        TExprKind::Call(func, args) => format!("{}({})", func_name(*func), render_list(args)),
        TExprKind::Binary(op, left, right) => {
            format!("({} {} {})", render(left, query), op_symbol(*op), render(right, query))
        }
        TExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", render(inner, query)),
        TExprKind::Unary(UnaryOp::Not, inner) => format!("!{}", render(inner, query)),
        TExprKind::Widen(base, inner) => format!("cast({} as {})", render(inner, query), base.written()),
        TExprKind::IsNull { expr, negated: false } => format!("{}.is_null()", render(expr, query)),
        TExprKind::IsNull { expr, negated: true } => format!("{}.is_not_null()", render(expr, query)),
        TExprKind::WindowField { expr, part } => match part {
            crate::ir::WindowPart::Start => format!("{}.start", render(expr, query)),
            crate::ir::WindowPart::End => format!("{}.end", render(expr, query)),
            crate::ir::WindowPart::Time => format!("window_time({})", render(expr, query)),
        },
        TExprKind::StructField { expr: inner, index } => {
            let field = match inner.ty.base {
                crate::types::Base::Struct(fields) => fields.names().nth(*index).unwrap_or("?").to_owned(),
                _ => "?".to_owned(),
            };
            format!("{}.{field}", render(inner, query))
        }
        TExprKind::Accumulator(index) => {
            let accumulator = &accumulators[*index];
            let arg = accumulator
                .arg
                .iter()
                .chain(&accumulator.second)
                .map(|a| render(a, query))
                .chain(accumulator.func.literal_arguments())
                .collect::<Vec<_>>()
                .join(", ");
            format!("{}({arg})", accumulator_name(accumulator.func))
        }
    }
}

fn op_symbol(op: BinaryOp) -> &'static str {
    op.symbol()
}

fn accumulator_name(func: AggFunc) -> &'static str {
    func.name()
}

pub(crate) fn func_name(func: Func) -> &'static str {
    match func {
        Func::Round => "round",
        Func::ToTimestamp => "to_timestamp",
        Func::ToDate => "to_date",
        Func::Lower => "lower",
        Func::Upper => "upper",
        Func::Concat => "concat",
        Func::Length => "length",
        Func::Abs => "abs",
        Func::Coalesce => "coalesce",
        Func::DateFormat => "date_format",
        Func::Hour => "hour",
        Func::Minute => "minute",
        Func::Second => "second",
        Func::DayOfWeek => "day_of_week",
        Func::Year => "year",
        Func::Month => "month",
        Func::DayOfMonth => "day_of_month",
        Func::Case { .. } => "when",
        Func::NullIf => "nullif",
        Func::Greatest => "greatest",
        Func::Least => "least",
        Func::IsIn => "isin",
        Func::Like => "like",
        Func::ILike => "ilike",
        Func::IsNan => "is_nan",
        Func::NanVl => "nanvl",
        Func::StartsWith => "starts_with",
        Func::EndsWith => "ends_with",
        Func::Contains => "contains",
        Func::Plain(plain) => plain_name(plain),
        Func::ConcatWs => "concat_ws",
        Func::Pmod => "pmod",
        Func::BRound => "bround",
        Func::Cast { .. } => "cast",
        Func::DateTrunc => "date_trunc",
        Func::TruncDate => "trunc",
        Func::FromUnixtime => "from_unixtime",
        Func::Regex(RegexFunc::Extract) => "regexp_extract",
        Func::Regex(RegexFunc::Replace) => "regexp_replace",
        Func::Regex(RegexFunc::Like) => "regexp_like",
        Func::Regex(RegexFunc::Count) => "regexp_count",
        Func::Regex(RegexFunc::Substr) => "regexp_substr",
        Func::Sha2 => "sha2",
        Func::Hash => "hash",
        Func::XxHash64 => "xxhash64",
        Func::AddInterval { .. } => "add_interval",
        Func::MonthsBetween { .. } => "months_between",
        Func::FormatPattern => "format_number",
        Func::CurrentTimestamp => "current_timestamp",
        Func::CurrentDate => "current_date",
        Func::SplitElement { one_based: false } => "split_at",
        Func::SplitElement { one_based: true } => "element_at_split",
        Func::SplitSize => "size_of_split",
        Func::ShiftZone { to_utc: false } => "from_utc_timestamp",
        Func::ShiftZone { to_utc: true } => "to_utc_timestamp",
        Func::TumblingWindow { .. } => "window",
        Func::Array(array) => array.name(),
        Func::FromJson => "from_json",
        Func::MakeStruct => "struct",
        Func::ToJson => "to_json",
        Func::GetJsonObject => "get_json_object",
        Func::JsonTuple => "json_tuple",
    }
}

fn plain_name(func: Plain) -> &'static str {
    match func {
        Plain::Substring => "substring",
        Plain::Trim => "trim",
        Plain::LTrim => "ltrim",
        Plain::RTrim => "rtrim",
        Plain::LPad => "lpad",
        Plain::RPad => "rpad",
        Plain::Replace => "replace",
        Plain::Reverse => "reverse",
        Plain::Repeat => "repeat",
        Plain::InitCap => "initcap",
        Plain::Instr => "instr",
        Plain::Locate => "locate",
        Plain::Translate => "translate",
        Plain::SplitPart => "split_part",
        Plain::SubstringIndex => "substring_index",
        Plain::Floor => "floor",
        Plain::Ceil => "ceil",
        Plain::Sqrt => "sqrt",
        Plain::Exp => "exp",
        Plain::Ln => "ln",
        Plain::Log10 => "log10",
        Plain::Log2 => "log2",
        Plain::Log => "log",
        Plain::Pow => "pow",
        Plain::Signum => "signum",
        Plain::Div => "div",
        Plain::TimestampSeconds => "timestamp_seconds",
        Plain::TimestampMillis => "timestamp_millis",
        Plain::TimestampMicros => "timestamp_micros",
        Plain::UnixTimestamp => "unix_timestamp",
        Plain::UnixSeconds => "unix_seconds",
        Plain::UnixMillis => "unix_millis",
        Plain::UnixMicros => "unix_micros",
        Plain::UnixDate => "unix_date",
        Plain::DateAdd => "date_add",
        Plain::DateSub => "date_sub",
        Plain::DateDiff => "datediff",
        Plain::AddMonths => "add_months",
        Plain::LastDay => "last_day",
        Plain::DayOfYear => "dayofyear",
        Plain::Quarter => "quarter",
        Plain::WeekOfYear => "weekofyear",
        Plain::Weekday => "weekday",
        Plain::MakeDate => "make_date",
        Plain::Md5 => "md5",
        Plain::Sha1 => "sha1",
        Plain::Crc32 => "crc32",
        Plain::FormatNumber => "format_number",
    }
}

/// The plan as an indented tree, sink first, as Spark's `explain()` prints it.
fn explain(plan: &Plan) -> String {
    let query = &plan.query;
    let mut lines: Vec<String> = Vec::new();
    let outputs: Vec<String> = query
        .outputs
        .iter()
        .map(|(name, var)| format!("{name}: {}", query.vars[*var].ty))
        .collect();
    if let Some(limit) = query.limit {
        lines.push(format!("Limit {limit}"));
    }
    if !query.order_by.is_empty() {
        let keys: Vec<String> = query
            .order_by
            .iter()
            .map(|key| {
                let name = query
                    .outputs
                    .get(key.column)
                    .map(|(name, _)| name.to_string())
                    .unwrap_or_default();
                let direction = if key.descending { "DESC" } else { "ASC" };
                let nulls = if key.nulls_first { "FIRST" } else { "LAST" };
                format!("{name} {direction} NULLS {nulls}")
            })
            .collect();
        lines.push(format!("Sort [{}]", keys.join(", ")));
    }
    lines.push(format!("Project [{}]", outputs.join(", ")));
    describe_steps(plan, &query.post, &mut lines);
    if let Some(aggregate) = &query.aggregate {
        let keys: Vec<String> = aggregate
            .keys
            .iter()
            .map(|v| match &aggregate.window {
                Some(window) if window.key == *v => format!(
                    "window({}, {}, {}, {})",
                    query.vars[window.ts].name,
                    describe_micros(window.size),
                    describe_micros(window.slide),
                    describe_micros(window.offset)
                ),
                _ => match &aggregate.session {
                    Some(session) if session.key == *v => {
                        format!(
                            "session_window({}, {})",
                            query.vars[session.ts].name,
                            session.gap_per_row.map_or_else(
                                || describe_micros(session.gap),
                                |gap| format!("gap per row: {}", query.vars[gap].name)
                            )
                        )
                    }
                    _ => query.vars[*v].name.clone(),
                },
            })
            .collect();
        let outputs: Vec<String> = aggregate
            .outputs
            .iter()
            .map(|(var, expr)| format!("{} = {}", query.vars[*var].name, render(expr, query)))
            .collect();
        lines.push(format!(
            "Aggregate keys=[{}] aggregates=[{}] (state: one row per key)",
            keys.join(", "),
            outputs.join(", ")
        ));
    }
    if let Some(transform) = &query.transform {
        let keys: Vec<&str> = transform.keys.iter().map(|v| query.vars[*v].name.as_str()).collect();
        lines.push(if transform.groups {
            let timeout = match transform.time_mode {
                crate::ir::TimeMode::EventTime => "EventTimeTimeout",
                crate::ir::TimeMode::ProcessingTime => "ProcessingTimeTimeout",
                crate::ir::TimeMode::None => "NoTimeout",
            };
            format!(
                "FlatMapGroupsWithState keys=[{}] function={} timeout={timeout} input={} output={} (state: one value and one timeout per key)",
                keys.join(", "),
                transform.processor,
                transform.input,
                transform.output
            )
        } else {
            format!(
                "TransformWithState keys=[{}] processor={} time_mode={:?} input={} output={} (state: the processor's, per key)",
                keys.join(", "),
                transform.processor,
                transform.time_mode,
                transform.input,
                transform.output
            )
        });
    }
    describe_steps(plan, &query.pre, &mut lines);
    let columns: Vec<String> = plan
        .required_inputs
        .iter()
        .map(|v| format!("{}: {}", query.vars[*v].name, query.vars[*v].ty))
        .collect();
    let scan = |input: &str, schema: &syn::Ident| format!("Scan {input}{schema} [{}]", columns.join(", "));
    // The right input of a stream–stream join reads its own columns.
    let right_scan = |input: &crate::ir::UnionInput| {
        let join = query.stream_join().filter(|join| {
            query
                .inputs
                .get(join.right_input)
                .is_some_and(|right| right.name == input.name)
        })?;
        let columns: Vec<String> = join
            .right_input_vars
            .iter()
            .filter(|v| plan.live.contains(v))
            .map(|v| format!("{}: {}", query.vars[*v].name, query.vars[*v].ty))
            .collect();
        Some(format!(
            "Scan {}: {} [{}]",
            input.name,
            input.schema,
            columns.join(", ")
        ))
    };
    // The inputs of a union are siblings under it, the last drawn as `+-`, the others as `:-`.
    let mut siblings = Vec::new();
    if let Some(upstream) = &plan.upstream {
        // A chained stage reads its upstream's rows: that stage's plan is drawn under it.
        let depth = lines.len();
        for (index, line) in upstream.explain.lines().skip(1).enumerate() {
            lines.push(if index == 0 {
                line.to_owned()
            } else {
                format!("{}{line}", "   ".repeat(depth))
            });
        }
        let mut text = format!("== Plan of `{}` ==\n", query.name);
        for (index, line) in lines.iter().enumerate() {
            if index == 0 {
                let _ = writeln!(text, "{line}");
            } else if index <= depth {
                let _ = writeln!(text, "{}+- {line}", "   ".repeat(index - 1));
            } else {
                let _ = writeln!(text, "{line}");
            }
        }
        return text;
    } else if let [input] = query.inputs.as_slice() {
        lines.push(scan("", &input.schema));
    } else {
        lines.push("Union".to_owned());
        siblings = query
            .inputs
            .iter()
            .map(|input| right_scan(input).unwrap_or_else(|| scan(&format!("{}: ", input.name), &input.schema)))
            .collect();
    }
    let mut text = format!("== Plan of `{}` ==\n", query.name);
    for (depth, line) in lines.iter().enumerate() {
        if depth == 0 {
            let _ = writeln!(text, "{line}");
        } else {
            let _ = writeln!(text, "{}+- {line}", "   ".repeat(depth - 1));
        }
    }
    let indent = "   ".repeat(lines.len() - 1);
    for (index, line) in siblings.iter().enumerate() {
        let branch = if index + 1 == siblings.len() { "+-" } else { ":-" };
        let _ = writeln!(text, "{indent}{branch} {line}");
    }
    text
}

/// A duration as `1h`, `10m`, `30s`, `1500ms` or `0`.
fn describe_micros(micros: i64) -> String {
    const UNITS: [(i64, &str); 5] = [
        (3_600_000_000, "h"),
        (60_000_000, "m"),
        (1_000_000, "s"),
        (1_000, "ms"),
        (1, "us"),
    ];
    if micros == 0 {
        return "0".to_owned();
    }
    UNITS.iter().find(|(unit, _)| micros % unit == 0).map_or_else(
        || format!("{micros}us"),
        |(unit, name)| format!("{}{name}", micros / unit),
    )
}

/// FNV-1a, 64 bits: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
