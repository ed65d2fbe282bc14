//! Typing of expressions: column resolution, literals, operators, scalar functions and
//! aggregates, with Spark's implicit numeric widening and null propagation.

use proc_macro2::Span;
use syn::{Ident, Lit};

mod arrays;
mod json;

use super::Env;
use crate::diag::{Diagnostics, did_you_mean};
use crate::ir::{
    Accumulator, AggFunc, BitOp, CAST_TYPES, CoMoment, Func, LitValue, Moment, Param, Plain, RegexFunc, TExpr,
    TExprKind, Var, VarId, can_cast, cast_may_fail, signature,
};
use crate::parse::{BinaryOp, Expr, UnaryOp};
use crate::types::{Base, ColType, MAX_PRECISION, Precision};
pub(crate) use arrays::GENERATORS;
pub(crate) use json::ANONYMOUS_STRUCT;

/// Scalar functions by name.
const FUNCTIONS: &[(&str, Func)] = &[
    ("timestamp_seconds", Func::Plain(Plain::TimestampSeconds)),
    ("timestamp_millis", Func::Plain(Plain::TimestampMillis)),
    ("timestamp_micros", Func::Plain(Plain::TimestampMicros)),
    ("unix_timestamp", Func::Plain(Plain::UnixTimestamp)),
    ("unix_seconds", Func::Plain(Plain::UnixSeconds)),
    ("unix_millis", Func::Plain(Plain::UnixMillis)),
    ("unix_micros", Func::Plain(Plain::UnixMicros)),
    ("unix_date", Func::Plain(Plain::UnixDate)),
    ("date_add", Func::Plain(Plain::DateAdd)),
    ("date_sub", Func::Plain(Plain::DateSub)),
    ("datediff", Func::Plain(Plain::DateDiff)),
    ("add_months", Func::Plain(Plain::AddMonths)),
    ("last_day", Func::Plain(Plain::LastDay)),
    ("dayofyear", Func::Plain(Plain::DayOfYear)),
    ("day_of_year", Func::Plain(Plain::DayOfYear)),
    ("quarter", Func::Plain(Plain::Quarter)),
    ("weekofyear", Func::Plain(Plain::WeekOfYear)),
    ("week_of_year", Func::Plain(Plain::WeekOfYear)),
    ("weekday", Func::Plain(Plain::Weekday)),
    ("make_date", Func::Plain(Plain::MakeDate)),
    ("date_trunc", Func::DateTrunc),
    ("trunc", Func::TruncDate),
    ("from_unixtime", Func::FromUnixtime),
    ("regexp_extract", Func::Regex(RegexFunc::Extract)),
    ("regexp_replace", Func::Regex(RegexFunc::Replace)),
    ("regexp_like", Func::Regex(RegexFunc::Like)),
    ("rlike", Func::Regex(RegexFunc::Like)),
    ("regexp", Func::Regex(RegexFunc::Like)),
    ("regexp_count", Func::Regex(RegexFunc::Count)),
    ("regexp_substr", Func::Regex(RegexFunc::Substr)),
    ("md5", Func::Plain(Plain::Md5)),
    ("sha1", Func::Plain(Plain::Sha1)),
    ("sha", Func::Plain(Plain::Sha1)),
    ("sha2", Func::Sha2),
    ("crc32", Func::Plain(Plain::Crc32)),
    ("hash", Func::Hash),
    ("xxhash64", Func::XxHash64),
    ("format_number", Func::Plain(Plain::FormatNumber)),
    ("months_between", Func::MonthsBetween { round_off: true }),
    ("from_utc_timestamp", Func::ShiftZone { to_utc: false }),
    ("to_utc_timestamp", Func::ShiftZone { to_utc: true }),
    ("current_timestamp", Func::CurrentTimestamp),
    ("now", Func::CurrentTimestamp),
    ("current_date", Func::CurrentDate),
    ("curdate", Func::CurrentDate),
    // The target is the type named by the second argument.
    ("cast", Func::Cast { to: Base::Str }),
    ("substring", Func::Plain(Plain::Substring)),
    ("substr", Func::Plain(Plain::Substring)),
    ("trim", Func::Plain(Plain::Trim)),
    ("ltrim", Func::Plain(Plain::LTrim)),
    ("rtrim", Func::Plain(Plain::RTrim)),
    ("lpad", Func::Plain(Plain::LPad)),
    ("rpad", Func::Plain(Plain::RPad)),
    ("replace", Func::Plain(Plain::Replace)),
    ("reverse", Func::Plain(Plain::Reverse)),
    ("repeat", Func::Plain(Plain::Repeat)),
    ("initcap", Func::Plain(Plain::InitCap)),
    ("instr", Func::Plain(Plain::Instr)),
    ("locate", Func::Plain(Plain::Locate)),
    ("translate", Func::Plain(Plain::Translate)),
    ("concat_ws", Func::ConcatWs),
    ("split_part", Func::Plain(Plain::SplitPart)),
    ("substring_index", Func::Plain(Plain::SubstringIndex)),
    ("floor", Func::Plain(Plain::Floor)),
    ("ceil", Func::Plain(Plain::Ceil)),
    ("ceiling", Func::Plain(Plain::Ceil)),
    ("sqrt", Func::Plain(Plain::Sqrt)),
    ("exp", Func::Plain(Plain::Exp)),
    ("ln", Func::Plain(Plain::Ln)),
    ("log10", Func::Plain(Plain::Log10)),
    ("log2", Func::Plain(Plain::Log2)),
    ("log", Func::Plain(Plain::Log)),
    ("pow", Func::Plain(Plain::Pow)),
    ("power", Func::Plain(Plain::Pow)),
    ("signum", Func::Plain(Plain::Signum)),
    ("sign", Func::Plain(Plain::Signum)),
    ("pmod", Func::Pmod),
    ("bround", Func::BRound),
    ("div", Func::Plain(Plain::Div)),
    ("when", Func::Case { otherwise: false }),
    ("iff", Func::Case { otherwise: true }),
    ("nvl", Func::Coalesce),
    ("nullif", Func::NullIf),
    ("is_nan", Func::IsNan),
    ("isnan", Func::IsNan),
    ("nanvl", Func::NanVl),
    ("greatest", Func::Greatest),
    ("least", Func::Least),
    ("starts_with", Func::StartsWith),
    ("startswith", Func::StartsWith),
    ("ends_with", Func::EndsWith),
    ("endswith", Func::EndsWith),
    ("contains", Func::Contains),
    ("date_format", Func::DateFormat),
    ("hour", Func::Hour),
    ("minute", Func::Minute),
    ("second", Func::Second),
    ("day_of_week", Func::DayOfWeek),
    ("dayofweek", Func::DayOfWeek),
    ("year", Func::Year),
    ("month", Func::Month),
    ("day_of_month", Func::DayOfMonth),
    ("dayofmonth", Func::DayOfMonth),
    ("round", Func::Round),
    ("to_timestamp", Func::ToTimestamp),
    ("to_date", Func::ToDate),
    ("lower", Func::Lower),
    ("upper", Func::Upper),
    ("concat", Func::Concat),
    ("length", Func::Length),
    ("abs", Func::Abs),
    ("coalesce", Func::Coalesce),
];

const AGGREGATES: [&str; 42] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "std",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "corr",
    "covar_samp",
    "covar_pop",
    "first",
    "last",
    "first_value",
    "last_value",
    "any_value",
    "max_by",
    "min_by",
    "bool_and",
    "bool_or",
    "every",
    "some",
    "any",
    "approx_count_distinct",
    "percentile_approx",
    "approx_percentile",
    "skewness",
    "kurtosis",
    "mean",
    "count_if",
    "bit_and",
    "bit_or",
    "bit_xor",
    "percentile",
    "median",
    "collect_list",
    "collect_set",
    "array_agg",
];

/// Methods on a column, by name.
const METHODS: [&str; 16] = [
    "cast",
    "ilike",
    "is_nan",
    "is_null",
    "is_not_null",
    "isin",
    "between",
    "like",
    "rlike",
    "starts_with",
    "startswith",
    "ends_with",
    "endswith",
    "contains",
    "when",
    "otherwise",
];

/// Where an expression is evaluated.
pub(crate) enum Scope<'a> {
    /// Per row, over the columns of `env`; `context` names the operation for messages.
    Row { env: &'a Env, context: &'a str },
    /// An `agg(..)` output: aggregates read `pre`, other column references must be `keys`.
    Aggregate {
        pre: &'a Env,
        keys: &'a Env,
        accumulators: &'a mut Vec<Accumulator>,
    },
}

pub(crate) struct ExprChecker<'a> {
    pub(crate) diagnostics: &'a Diagnostics,
    /// Columns whose definition already failed: their uses stay silent.
    pub(crate) poisoned: &'a std::collections::BTreeSet<VarId>,
    pub(crate) vars: &'a [Var],
    /// The query's input name, for messages.
    pub(crate) stream: &'a Ident,
    pub(crate) failed: &'a mut bool,
    /// Every schema's struct type, by name (`from_json(text, Schema)` reads one).
    pub(crate) structs: &'a [(String, Base)],
    /// The schemas `from_json` reads, whose decoders must be generated.
    pub(crate) json_schemas: &'a mut Vec<String>,
}

/// The column `column` most likely means, as an identifier spanned like `column`, with its variable.
pub(crate) fn recover_column(column: &Ident, env: &Env) -> Option<(Ident, VarId)> {
    let names: Vec<String> = env.names().collect();
    let suggested = did_you_mean(&column.to_string(), names.iter().map(String::as_str))?;
    Some((Ident::new(suggested, column.span()), env.lookup(suggested)?))
}

pub(crate) fn unknown_column_message(column: &Ident, env: &Env, stream: &Ident) -> String {
    let names: Vec<String> = env.names().collect();
    let after = env.after.map(|op| format!(" after {op}")).unwrap_or_default();
    let mut message = format!("unknown column `{column}` in stream `{stream}`{after}");
    if let Some(suggestion) = did_you_mean(&column.to_string(), names.iter().map(String::as_str)) {
        message.push_str(&format!("\nhelp: did you mean `{suggestion}`?"));
    }
    match env.after {
        Some(op) => message.push_str(&format!(
            "\nnote: after {op}, `{stream}` has columns: {}",
            names.join(", ")
        )),
        None => message.push_str(&format!("\nnote: `{stream}` has columns: {}", names.join(", "))),
    }
    message
}

impl ExprChecker<'_> {
    fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        *self.failed = true;
        self.diagnostics.error(span, message);
    }

    /// `window(ts, size)` (or with a slide equal to the size and an offset) outside a grouping:
    /// the one window holding each row's time, for a join on windows.
    fn tumbling_window(
        &mut self,
        func: &Ident,
        args: &[Expr],
        paren_span: Span,
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        if !(2..=4).contains(&args.len()) {
            self.error(
                paren_span,
                "`window` takes a timestamp column and a duration, then optionally a slide and a start offset\nhelp: write `window(event_time, \"10 minutes\")`",
            );
            return None;
        }
        let ts = self.check(&args[0], scope)?;
        if ts.ty.base != Base::Timestamp {
            self.error(
                args[0].span(),
                format!("`window` needs a Timestamp column, but `{}` is {}", args[0], ts.ty),
            );
            return None;
        }
        let mut durations = Vec::new();
        for arg in &args[1..] {
            let Expr::Lit(syn::Lit::Str(text)) = arg else {
                self.error(
                    arg.span(),
                    format!("a window duration must be a string literal such as \"10 minutes\", found `{arg}`"),
                );
                return None;
            };
            match crate::time_literals::parse_interval(&text.value()) {
                Ok(micros) => durations.push(micros),
                Err(message) => {
                    self.error(text.span(), message);
                    return None;
                }
            }
        }
        let size = durations[0];
        let slide = durations.get(1).copied().unwrap_or(size);
        let offset = durations.get(2).copied().unwrap_or(0);
        if size <= 0 {
            self.error(args[1].span(), "the window duration must be positive");
            return None;
        }
        if slide != size {
            self.error(
                func.span(),
                "a sliding window puts a row in several windows, so outside `group_by` only a tumbling one (slide equal to the duration) can be a column\nhelp: write `window(event_time, \"10 minutes\")`, or group by the sliding window",
            );
            return None;
        }
        let ty = ColType::new(Base::Window, ts.ty.nullable);
        Some(Self::typed(
            TExprKind::Call(Func::TumblingWindow { size, offset }, vec![ts]),
            ty,
            func.span(),
        ))
    }

    /// `window_time(window)`: a window's last instant, its end minus a microsecond (Spark's),
    /// the event time a chained aggregation windows an aggregated window by.
    fn window_time(&mut self, func: &Ident, args: &[Expr], paren_span: Span, scope: &mut Scope<'_>) -> Option<TExpr> {
        let [arg] = args else {
            self.error(
                paren_span,
                "`window_time` takes one window\nhelp: write `window_time(window)`",
            );
            return None;
        };
        let typed = self.check(arg, scope)?;
        if typed.ty.base != Base::Window {
            self.error(
                arg.span(),
                format!(
                    "`window_time` takes a window (the key `window(..)` makes), but `{arg}` is {}",
                    typed.ty
                ),
            );
            return None;
        }
        let ty = ColType::new(Base::Timestamp, typed.ty.nullable);
        Some(Self::typed(
            TExprKind::WindowField {
                expr: Box::new(typed),
                part: crate::ir::WindowPart::Time,
            },
            ty,
            func.span(),
        ))
    }

    fn typed(kind: TExprKind, ty: ColType, span: Span) -> TExpr {
        TExpr { kind, ty, span }
    }

    /// Type-checks `expr` in `scope`; `None` after reporting errors.
    pub(crate) fn check(&mut self, expr: &Expr, scope: &mut Scope<'_>) -> Option<TExpr> {
        match expr {
            Expr::Paren(inner) => self.check(inner, scope),
            Expr::Named { eq_span, .. } => {
                self.error(
                    *eq_span,
                    "`=` is not a comparison\nhelp: compare with `==`; `name = expr` names a result only as a whole argument",
                );
                None
            }
            Expr::Column(column) => self.column(column, scope),
            Expr::Lit(lit) => self.literal(lit),
            Expr::Call { func, args, paren_span } => {
                let name = func.to_string();
                if name == "window" && matches!(scope, Scope::Row { .. }) {
                    return self.tumbling_window(func, args, *paren_span, scope);
                }
                if name == "window" || name == "session_window" {
                    self.error(
                        func.span(),
                        "`window(..)` groups rows by event time, so it can only be a `group_by` key\nhelp: write `.group_by(window(event_time, \"1 hour\"), ..)`",
                    );
                    return None;
                }
                if AGGREGATES.contains(&name.as_str()) {
                    return self.aggregate(func, args, *paren_span, scope);
                }
                if arrays::FUNCTIONS.contains(&name.as_str()) {
                    return self.array_function(func, args, *paren_span, scope);
                }
                if json::FUNCTIONS.contains(&name.as_str()) {
                    return self.json_function(func, args, *paren_span, scope);
                }
                if arrays::GENERATORS.contains(&name.as_str()) {
                    self.misplaced_generator(func);
                    return None;
                }
                if name == "window_time" {
                    return self.window_time(func, args, *paren_span, scope);
                }
                if name == "interval" {
                    self.error(
                        func.span(),
                        "an interval is added to or subtracted from a timestamp or a date\nhelp: write `event_time + interval(\"30 minutes\")`",
                    );
                    return None;
                }
                // Spark's `negative(x)` is `-x`, and `positive(x)` is `x`, for numbers.
                if let ("negative" | "positive", [arg]) = (name.as_str(), args.as_slice()) {
                    if name == "negative" {
                        let negated = Expr::Unary {
                            op: UnaryOp::Neg,
                            op_span: func.span(),
                            expr: Box::new(arg.clone()),
                        };
                        return self.check(&negated, scope);
                    }
                    let typed = self.check(arg, scope)?;
                    if !self.expect_base(func, arg, &typed, &Base::NUMERIC) {
                        return None;
                    }
                    return Some(typed);
                }
                if matches!(
                    name.as_str(),
                    "count_distinct" | "countDistinct" | "sum_distinct" | "sumDistinct" | "avg_distinct"
                ) {
                    self.error(
                        func.span(),
                        format!("`{name}` is a distinct aggregation, which Spark does not support in a streaming query (\"Distinct aggregations are not supported on streaming DataFrames/Datasets\")\nhelp: estimate it with `approx_count_distinct(..)` as Spark advises, or deduplicate first, then aggregate: `.drop_duplicates(user_id, page).group_by(user_id).agg(pages = count())`"),
                    );
                    return None;
                }
                let Some((_, function)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
                    let all = FUNCTIONS
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(AGGREGATES)
                        .chain(arrays::FUNCTIONS)
                        .chain(arrays::GENERATORS)
                        .chain(json::FUNCTIONS)
                        .chain(["window_time"]);
                    let help = did_you_mean(&name, all.clone()).map_or_else(
                        || format!("note: functions are: {}", all.collect::<Vec<_>>().join(", ")),
                        |s| format!("help: did you mean `{s}`?"),
                    );
                    self.error(func.span(), format!("unknown function `{name}`\n{help}"));
                    return None;
                };
                let mut typed_args = Vec::with_capacity(args.len());
                for arg in args {
                    typed_args.push(self.check(arg, scope));
                }
                let typed_args: Option<Vec<TExpr>> = typed_args.into_iter().collect();
                self.function(*function, func, args, typed_args?, *paren_span)
            }
            Expr::Method { receiver, method, args } => self.method(receiver, method, args, scope),
            Expr::Index { base, index, .. } => self.element(base, index, false, scope),
            Expr::Field { base, member } => {
                let typed = self.check(base, scope)?;
                if let Base::Struct(fields) = typed.ty.base {
                    return self.struct_field(base, member, typed, fields);
                }
                let part = match member.to_string().as_str() {
                    "start" if typed.ty.base == Base::Window => crate::ir::WindowPart::Start,
                    "end" if typed.ty.base == Base::Window => crate::ir::WindowPart::End,
                    _ if typed.ty.base == Base::Window => {
                        self.error(
                            member.span(),
                            format!("a window has no field `{member}`\nnote: its fields are `start` and `end`"),
                        );
                        return None;
                    }
                    _ => {
                        self.error(
                            member.span(),
                            format!("`{base}` is {}, which has no fields, so it has no `{member}`\nnote: fields belong to a struct column (a column whose type is another schema: `device.os`) and to a window (`window.start`)", typed.ty),
                        );
                        return None;
                    }
                };
                let ty = ColType::new(Base::Timestamp, typed.ty.nullable);
                Some(Self::typed(
                    TExprKind::WindowField {
                        expr: Box::new(typed),
                        part,
                    },
                    ty,
                    member.span(),
                ))
            }
            Expr::Binary {
                op,
                op_span,
                left,
                right,
            } => {
                if let Expr::Call { func, args, .. } = right.as_ref()
                    && func == "interval"
                {
                    return self.add_interval(*op, *op_span, left, func, args, scope);
                }
                let typed_left = self.check(left, scope);
                let typed_right = self.check(right, scope);
                self.binary(*op, *op_span, left, right, typed_left?, typed_right?)
            }
            Expr::Unary {
                op,
                op_span,
                expr: inner,
            } => {
                let typed = self.check(inner, scope)?;
                let ok = match op {
                    UnaryOp::Neg => typed.ty.base.is_numeric(),
                    UnaryOp::Not => typed.ty.base == Base::Bool,
                };
                if !ok {
                    let (symbol, wanted) = if *op == UnaryOp::Neg {
                        ("-", "a number")
                    } else {
                        ("!", "a boolean")
                    };
                    self.error(
                        *op_span,
                        format!(
                            "cannot apply `{symbol}` to `{inner}` of type {}\nnote: `{symbol}` needs {wanted}",
                            typed.ty
                        ),
                    );
                    return None;
                }
                let ty = ColType::new(typed.ty.base, typed.ty.nullable || negation_may_overflow(typed.ty.base));
                // A negative number literal is a literal, as in Spark (`round(x, -1)`).
                let negated = match (op, &typed.kind) {
                    (UnaryOp::Neg, TExprKind::Lit(LitValue::I32(value))) => value.checked_neg().map(LitValue::I32),
                    (UnaryOp::Neg, TExprKind::Lit(LitValue::I64(value))) => value.checked_neg().map(LitValue::I64),
                    (UnaryOp::Neg, TExprKind::Lit(LitValue::F64(value))) => Some(LitValue::F64(-value)),
                    _ => None,
                };
                if let Some(literal) = negated {
                    return Some(Self::typed(TExprKind::Lit(literal), ty, *op_span));
                }
                Some(Self::typed(TExprKind::Unary(*op, Box::new(typed)), ty, *op_span))
            }
        }
    }

    fn column(&mut self, column: &Ident, scope: &mut Scope<'_>) -> Option<TExpr> {
        let name = column.to_string();
        let var = match scope {
            Scope::Row { env, .. } => env.lookup(&name),
            Scope::Aggregate { keys, pre, .. } => {
                let found = keys.lookup(&name);
                if found.is_none() && pre.lookup(&name).is_some() {
                    self.error(
                        column.span(),
                        format!(
                            "column `{name}` is neither grouped nor aggregated\nhelp: add it to `.group_by(..)`, or aggregate it, e.g. `{name} = max({name})`"
                        ),
                    );
                    return None;
                }
                found
            }
        };
        let Some(var) = var else {
            let (env, usable) = match scope {
                Scope::Row { env, .. } => (*env, *env),
                Scope::Aggregate { pre, keys, .. } => (*pre, *keys),
            };
            let message = unknown_column_message(column, env, self.stream);
            self.error(column.span(), message);
            // Recover as rustc does: go on as if the suggested column had been written, so its
            // type flows on and later uses raise no errors of their own.
            let recovered =
                recover_column(column, env).and_then(|(suggested, _)| usable.lookup(&suggested.to_string()))?;
            if self.poisoned.contains(&recovered) {
                return None;
            }
            return Some(Self::typed(
                TExprKind::Var(recovered),
                self.vars[recovered].ty,
                column.span(),
            ));
        };
        if self.poisoned.contains(&var) {
            return None;
        }
        Some(Self::typed(TExprKind::Var(var), self.vars[var].ty, column.span()))
    }

    fn literal(&mut self, lit: &Lit) -> Option<TExpr> {
        let span = lit.span();
        let (value, base) = match lit {
            Lit::Str(text) if text.suffix().is_empty() => (LitValue::Str(text.value()), Base::Str),
            Lit::Bool(flag) => (LitValue::Bool(flag.value), Base::Bool),
            Lit::Int(int) => match int.suffix() {
                "" | "i32" | "i64" => {
                    let Ok(value) = int.base10_parse::<i64>() else {
                        self.error(span, format!("integer literal `{int}` is out of range for i64\nhelp: write a smaller number, or a float such as `{}.0`", int.base10_digits()));
                        return None;
                    };
                    match (int.suffix(), i32::try_from(value)) {
                        ("i32", Err(_)) => {
                            self.error(span, format!("integer literal `{int}` is out of range for i32"));
                            return None;
                        }
                        ("" | "i32", Ok(small)) => (LitValue::I32(small), Base::I32),
                        _ => (LitValue::I64(value), Base::I64),
                    }
                }
                "f64" => (LitValue::F64(int.base10_parse::<f64>().ok()?), Base::F64),
                "bd" | "BD" => return self.decimal_literal(int.base10_digits(), span),
                suffix => {
                    self.error(span, format!("literal suffix `{suffix}` is not supported\nhelp: write `{}` (i32, or i64 when larger), or use the suffix `i64` or `f64`", int.base10_digits()));
                    return None;
                }
            },
            Lit::Float(float) => match float.suffix() {
                "" | "f64" => {
                    let value = float.base10_parse::<f64>().ok().filter(|v| v.is_finite());
                    let Some(value) = value else {
                        self.error(span, format!("float literal `{float}` is out of range for f64"));
                        return None;
                    };
                    (LitValue::F64(value), Base::F64)
                }
                "bd" | "BD" => return self.decimal_literal(float.base10_digits(), span),
                suffix => {
                    self.error(span, format!("literal suffix `{suffix}` is not supported\nhelp: a number with a point is an f64 (Spark's double): write `{digits}`, or `cast({digits}, \"float\")` for an f32", digits = float.base10_digits()));
                    return None;
                }
            },
            Lit::Char(_) => {
                self.error(
                    span,
                    "character literals are not supported\nhelp: use a string literal: `\"x\"`",
                );
                return None;
            }
            _ => {
                self.error(
                    span,
                    format!(
                        "unsupported literal `{}`\nnote: literals are strings, integers, floats and `true`/`false`",
                        quote::ToTokens::to_token_stream(lit)
                    ),
                );
                return None;
            }
        };
        Some(Self::typed(TExprKind::Lit(value), ColType::new(base, false), span))
    }

    /// `1.50bd` (Spark's `1.50BD`): a decimal of the literal's own digits, `decimal(3,2)`.
    fn decimal_literal(&mut self, digits: &str, span: Span) -> Option<TExpr> {
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let significant = format!("{whole}{fraction}");
        let significant = significant.trim_start_matches('0');
        let scale = fraction.len();
        // As Spark's BigDecimal: the digits from the first non-zero one, at least the scale.
        let precision = significant.len().max(scale).max(1);
        if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            self.error(
                span,
                format!("decimal literal `{digits}bd` must be written with digits and a point\nhelp: write it in full, e.g. `1500.25bd`"),
            );
            return None;
        }
        let unscaled = if significant.is_empty() {
            Some(0)
        } else {
            significant.parse::<i128>().ok()
        };
        let Some(unscaled) = unscaled.filter(|_| precision <= usize::from(MAX_PRECISION)) else {
            self.error(
                span,
                format!("decimal literal `{digits}bd` has more than {MAX_PRECISION} digits\nnote: a decimal holds at most {MAX_PRECISION} digits (Spark's DecimalType.MAX_PRECISION)"),
            );
            return None;
        };
        let precision = Precision::new(u8::try_from(precision).ok()?, u8::try_from(scale).ok()?);
        Some(Self::typed(
            TExprKind::Lit(LitValue::Decimal(unscaled, precision)),
            ColType::new(Base::Decimal(precision), false),
            span,
        ))
    }

    fn aggregate(&mut self, func: &Ident, args: &[Expr], paren_span: Span, scope: &mut Scope<'_>) -> Option<TExpr> {
        let name = func.to_string();
        let (pre, accumulators) = match scope {
            Scope::Row { context, .. } => {
                let message = if *context == "an aggregate" {
                    format!("aggregate function `{name}` cannot be nested inside another aggregate")
                } else {
                    format!(
                        "aggregate function `{name}` is not allowed in {context}\nhelp: aggregate inside `.group_by(..).agg(..)`"
                    )
                };
                self.error(func.span(), message);
                return None;
            }
            Scope::Aggregate { pre, accumulators, .. } => (*pre, accumulators),
        };
        let (min, max, expected) = match name.as_str() {
            "count" => (0, 1, "no argument (rows) or one column"),
            "first" | "last" | "first_value" | "last_value" | "any_value" => {
                (1, 2, "a column, and optionally `ignore_nulls` (`true` or `false`)")
            }
            "corr" | "covar_samp" | "covar_pop" => (2, 2, "two numeric columns"),
            "max_by" | "min_by" => (2, 2, "two arguments: the value, then the column ordering it"),
            "approx_count_distinct" => (1, 2, "a column, and optionally the relative standard deviation (0.05)"),
            "percentile" => (2, 2, "a numeric column and the percentage (from 0 to 1)"),
            "percentile_approx" | "approx_percentile" => (
                2,
                3,
                "a column, the percentage (from 0 to 1), and optionally the accuracy (10000)",
            ),
            _ => (1, 1, "one argument"),
        };
        if !(min..=max).contains(&args.len()) {
            self.error(
                paren_span,
                format!("aggregate function `{name}` takes {expected}, found {}", args.len()),
            );
            return None;
        }
        let mut inner = Scope::Row {
            env: pre,
            context: "an aggregate",
        };
        let mut typed = Vec::with_capacity(args.len());
        for arg in args {
            typed.push(self.check(arg, &mut inner));
        }
        let mut typed: Vec<TExpr> = typed.into_iter().collect::<Option<_>>()?;
        for (arg, typed_arg) in args.iter().zip(&typed) {
            if typed_arg.ty.base.is_nested() && name != "count" {
                self.error(
                    arg.span(),
                    format!(
                        "`{name}` of {} (`{arg}` is {}) is not supported yet\n{}",
                        typed_arg.ty.base.nested_noun(),
                        typed_arg.ty,
                        crate::types::nested_help(typed_arg.ty.base, &arg.to_string())
                    ),
                );
                return None;
            }
        }
        let first_arg = typed.first().cloned();
        let double = ColType::new(Base::F64, true);
        let (func_kind, ty, second) = match (name.as_str(), first_arg.as_ref()) {
            ("count", None) => (AggFunc::CountAll, ColType::new(Base::I64, false), None),
            ("count", Some(_)) => (AggFunc::Count, ColType::new(Base::I64, false), None),
            ("sum" | "avg" | "mean", Some(arg_expr)) => {
                if !arg_expr.ty.base.is_numeric() {
                    self.error(
                        args[0].span(),
                        format!(
                            "`{name}` needs a numeric column, but `{}` is {}\nnote: {name} works on i32, i64 and f64",
                            args[0], arg_expr.ty
                        ),
                    );
                    return None;
                }
                let base = match (name.as_str(), arg_expr.ty.base) {
                    // Spark's: a sum has ten more digits, an average four more digits and places.
                    ("sum", Base::Decimal(p)) => {
                        Base::Decimal(Precision::bounded(u32::from(p.precision) + 10, u32::from(p.scale)))
                    }
                    (_, Base::Decimal(p)) => {
                        Base::Decimal(Precision::bounded(u32::from(p.precision) + 4, u32::from(p.scale) + 4))
                    }
                    ("sum", base) if base.is_integer() => Base::I64,
                    _ => Base::F64,
                };
                let func = if name == "sum" { AggFunc::Sum } else { AggFunc::Avg };
                // A decimal sum that overflows its type is null, as Spark's with ANSI off.
                (
                    func,
                    ColType::new(base, arg_expr.ty.nullable || base.is_decimal()),
                    None,
                )
            }
            ("min" | "max", Some(arg_expr)) => {
                let func = if name == "min" { AggFunc::Min } else { AggFunc::Max };
                (func, arg_expr.ty, None)
            }
            // Spark's `bool_and` is `min` over booleans, and `bool_or` is `max`.
            ("bool_and" | "every" | "bool_or" | "some" | "any", Some(arg_expr)) => {
                if arg_expr.ty.base != Base::Bool {
                    self.error(
                        args[0].span(),
                        format!("`{name}` needs a boolean column, but `{}` is {}", args[0], arg_expr.ty),
                    );
                    return None;
                }
                let func = if matches!(name.as_str(), "bool_and" | "every") {
                    AggFunc::Min
                } else {
                    AggFunc::Max
                };
                (func, arg_expr.ty, None)
            }
            (
                "stddev" | "std" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" | "skewness"
                | "kurtosis",
                Some(_),
            ) => {
                if !self.numeric_argument(&name, &args[0], &typed[0]) {
                    return None;
                }
                let statistic = match name.as_str() {
                    "stddev_pop" => Moment::StddevPop,
                    "variance" | "var_samp" => Moment::VarSamp,
                    "var_pop" => Moment::VarPop,
                    "skewness" => Moment::Skewness,
                    "kurtosis" => Moment::Kurtosis,
                    _ => Moment::StddevSamp,
                };
                typed[0] = widen(typed[0].clone(), Base::F64);
                (AggFunc::Moment(statistic), double, None)
            }
            ("corr" | "covar_samp" | "covar_pop", Some(_)) => {
                if !self.numeric_argument(&name, &args[0], &typed[0])
                    || !self.numeric_argument(&name, &args[1], &typed[1])
                {
                    return None;
                }
                let statistic = match name.as_str() {
                    "corr" => CoMoment::Corr,
                    "covar_samp" => CoMoment::CovarSamp,
                    _ => CoMoment::CovarPop,
                };
                let y = widen(typed[1].clone(), Base::F64);
                typed[0] = widen(typed[0].clone(), Base::F64);
                (AggFunc::CoMoment(statistic), double, Some(y))
            }
            ("first" | "last" | "first_value" | "last_value" | "any_value", Some(arg_expr)) => {
                if arg_expr.ty.base == Base::Window {
                    self.error(
                        args[0].span(),
                        format!("`{name}` of a window is not supported: pick `window.start` or `window.end`"),
                    );
                    return None;
                }
                let ignore_nulls = match typed.get(1).map(|t| &t.kind) {
                    None => false,
                    Some(TExprKind::Lit(LitValue::Bool(flag))) => *flag,
                    Some(_) => {
                        self.error(
                            args[1].span(),
                            format!(
                                "`ignore_nulls` of `{name}` must be `true` or `false`, found `{}`\nnote: Spark requires a literal here too",
                                args[1]
                            ),
                        );
                        return None;
                    }
                };
                let func = if matches!(name.as_str(), "last" | "last_value") {
                    AggFunc::Last { ignore_nulls }
                } else {
                    AggFunc::First { ignore_nulls }
                };
                (func, arg_expr.ty, None)
            }
            ("max_by" | "min_by", Some(arg_expr)) => {
                let ordering = typed[1].clone();
                for (arg, typed) in [(&args[0], arg_expr), (&args[1], &ordering)] {
                    if typed.ty.base == Base::Window {
                        self.error(
                            arg.span(),
                            format!("`{name}` of a window is not supported: use `window.start` or `window.end`"),
                        );
                        return None;
                    }
                }
                let func = if name == "max_by" {
                    AggFunc::MaxBy
                } else {
                    AggFunc::MinBy
                };
                let ty = ColType::new(arg_expr.ty.base, arg_expr.ty.nullable || ordering.ty.nullable);
                (func, ty, Some(ordering))
            }
            ("count_if", Some(arg_expr)) => {
                if arg_expr.ty.base != Base::Bool {
                    self.error(
                        args[0].span(),
                        format!(
                            "`{name}` counts the rows where a condition holds, but `{}` is {}",
                            args[0], arg_expr.ty
                        ),
                    );
                    return None;
                }
                (AggFunc::CountIf, ColType::new(Base::I64, false), None)
            }
            ("bit_and" | "bit_or" | "bit_xor", Some(arg_expr)) => {
                if !arg_expr.ty.base.is_integer() {
                    self.error(
                        args[0].span(),
                        format!("`{name}` needs an integer column, but `{}` is {}", args[0], arg_expr.ty),
                    );
                    return None;
                }
                let operation = match name.as_str() {
                    "bit_and" => BitOp::And,
                    "bit_or" => BitOp::Or,
                    _ => BitOp::Xor,
                };
                (AggFunc::Bits(operation), ColType::new(arg_expr.ty.base, true), None)
            }
            ("approx_count_distinct", Some(arg_expr)) => {
                if arg_expr.ty.base == Base::Window {
                    self.error(
                        args[0].span(),
                        format!("`{name}` of a window is not supported: count `window.start` or `window.end`"),
                    );
                    return None;
                }
                let relative_sd = match typed.get(1).map(|t| &t.kind) {
                    None => 0.05,
                    Some(TExprKind::Lit(LitValue::F64(rsd))) => *rsd,
                    Some(_) => {
                        self.error(
                            args[1].span(),
                            format!("the relative standard deviation of `{name}` must be a number literal such as `0.01`, found `{}`", args[1]),
                        );
                        return None;
                    }
                };
                let Some(precision) = stream_grammar::hll_precision(relative_sd) else {
                    self.error(
                        args[1].span(),
                        format!(
                            "the relative standard deviation of `{name}` must be between 0.000271 and 0.39, found {relative_sd}\nnote: Spark needs at least 4 bits of register address (an error of at most 39%); Rill keeps at most 2^{} registers per group",
                            stream_grammar::HLL_MAX_PRECISION
                        ),
                    );
                    return None;
                };
                (
                    AggFunc::ApproxCountDistinct { precision },
                    ColType::new(Base::I64, false),
                    None,
                )
            }
            ("percentile" | "median", Some(_)) => {
                if !self.numeric_argument(&name, &args[0], &typed[0]) {
                    return None;
                }
                let percentage = match typed.get(1) {
                    None => Some(0.5),
                    Some(typed_percentage) => self.percentage_literal(&name, &args[1], typed_percentage),
                };
                let percentage = percentage?;
                let func = AggFunc::ExactPercentile {
                    percentage_bits: percentage.to_bits(),
                };
                (func, double, None)
            }
            ("percentile_approx" | "approx_percentile", Some(arg_expr)) => {
                let base = arg_expr.ty.base;
                if !(base.is_numeric() || matches!(base, Base::Date | Base::Timestamp)) {
                    self.error(
                        args[0].span(),
                        format!(
                            "`{name}` needs a number, a date or a timestamp, but `{}` is {}",
                            args[0], arg_expr.ty
                        ),
                    );
                    return None;
                }
                let percentage = self.percentage_literal(&name, &args[1], &typed[1])?;
                let accuracy = match typed.get(2).map(|t| &t.kind) {
                    None => Some(10_000),
                    Some(TExprKind::Lit(LitValue::I32(value))) => u32::try_from(*value).ok().filter(|a| *a > 0),
                    Some(TExprKind::Lit(LitValue::I64(value))) => u32::try_from(*value)
                        .ok()
                        .filter(|a| *a > 0 && i32::try_from(*a).is_ok()),
                    Some(_) => None,
                };
                let Some(accuracy) = accuracy else {
                    self.error(
                        args[2].span(),
                        format!(
                            "the accuracy of `{name}` must be an integer literal from 1 to {}, found `{}`\nnote: the relative error is 1 / accuracy; Spark's default is 10000",
                            i32::MAX,
                            args[2]
                        ),
                    );
                    return None;
                };
                let func = AggFunc::Percentile {
                    percentage_bits: percentage.to_bits(),
                    accuracy,
                };
                (func, ColType::new(base, true), None)
            }
            ("collect_list" | "collect_set" | "array_agg", Some(arg_expr)) => {
                let distinct = name == "collect_set";
                let element = ColType::new(arg_expr.ty.base, false);
                (
                    AggFunc::Collect { distinct },
                    ColType::new(Base::array(element), false),
                    None,
                )
            }
            _ => unreachable!("aggregate names and their arities are checked above"),
        };
        typed.truncate(1);
        accumulators.push(Accumulator {
            func: func_kind,
            arg: typed.pop(),
            second,
            ty,
        });
        Some(Self::typed(
            TExprKind::Accumulator(accumulators.len() - 1),
            ty,
            func.span(),
        ))
    }

    /// The percentage argument of `percentile` or `percentile_approx`: a number literal from 0
    /// to 1, as Spark requires.
    fn percentage_literal(&mut self, name: &str, arg: &Expr, typed: &TExpr) -> Option<f64> {
        let percentage = match &typed.kind {
            TExprKind::Lit(LitValue::F64(value)) => *value,
            TExprKind::Lit(LitValue::I32(value)) => f64::from(*value),
            TExprKind::Lit(LitValue::I64(value)) => *value as f64,
            _ => {
                self.error(
                    arg.span(),
                    format!("the percentage of `{name}` must be a number literal such as `0.5`, found `{arg}`\nnote: Spark requires a constant here too; several percentages at once are not supported yet"),
                );
                return None;
            }
        };
        if !(0.0..=1.0).contains(&percentage) {
            self.error(
                arg.span(),
                format!("the percentage of `{name}` must be between 0.0 and 1.0, found {percentage}"),
            );
            return None;
        }
        Some(percentage)
    }

    /// Whether `typed`, an argument of statistical aggregate `name`, is a number (Spark casts
    /// it to a double).
    fn numeric_argument(&mut self, name: &str, arg: &Expr, typed: &TExpr) -> bool {
        if typed.ty.base.is_numeric() {
            return true;
        }
        self.error(
            arg.span(),
            format!(
                "`{name}` needs a numeric column, but `{arg}` is {}\nnote: Spark computes `{name}` over doubles; numbers of every type are cast to one",
                typed.ty
            ),
        );
        false
    }

    /// The pattern argument of a datetime function: a string literal with a valid pattern.
    fn pattern_literal(&mut self, func: &Ident, arg: &Expr, typed: &TExpr) -> bool {
        let TExprKind::Lit(LitValue::Str(pattern)) = &typed.kind else {
            self.error(
                arg.span(),
                format!("the pattern of `{func}` must be a string literal such as \"yyyy-MM-dd HH:mm\", found `{arg}`"),
            );
            return false;
        };
        match crate::time_literals::check_date_pattern(pattern) {
            Ok(()) => true,
            Err(message) => {
                self.error(arg.span(), message);
                false
            }
        }
    }

    fn arity(&mut self, func: &Ident, paren_span: Span, found: usize, min: usize, max: usize) -> bool {
        if (min..=max).contains(&found) {
            return true;
        }
        let expected = match (min, max) {
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, usize::MAX) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
            (a, b) => format!("{a} or {b} arguments"),
        };
        self.error(paren_span, format!("function `{func}` takes {expected}, found {found}"));
        false
    }

    fn expect_base(&mut self, func: &Ident, arg: &Expr, typed: &TExpr, wanted: &[Base]) -> bool {
        let any_number = wanted == Base::NUMERIC;
        if wanted.contains(&typed.ty.base) || (any_number && typed.ty.base.is_decimal()) {
            return true;
        }
        let mut names: Vec<&str> = wanted.iter().map(|b| b.rust_name()).collect();
        if any_number {
            names.push("Decimal");
        }
        // Text where a time is wanted: the conversion that parses it.
        let help = match (typed.ty.base, wanted) {
            (Base::Str, [Base::Timestamp, ..]) => format!("\nhelp: parse it first: `to_timestamp({arg})`"),
            (Base::Str, [Base::Date, ..]) => format!("\nhelp: parse it first: `to_date({arg})`"),
            (Base::Str, wanted) if wanted == Base::INTEGER => {
                format!("\nhelp: convert it first: `cast({arg}, \"int\")`")
            }
            (Base::Str, _) if wanted.contains(&Base::F64) => {
                format!("\nhelp: convert it first: `cast({arg}, \"double\")`")
            }
            _ => String::new(),
        };
        self.error(
            arg.span(),
            format!(
                "function `{func}` expects {}, but `{arg}` is {}{help}",
                names.join(" or "),
                typed.ty
            ),
        );
        false
    }

    /// `receiver.method(args)`: null tests, the rest of a `when` chain, and predicates.
    fn method(&mut self, receiver: &Expr, method: &Ident, args: &[Expr], scope: &mut Scope<'_>) -> Option<TExpr> {
        let name = method.to_string();
        let arity = |this: &mut Self, min: usize, max: usize| {
            if (min..=max).contains(&args.len()) {
                return true;
            }
            let expected = match (min, max) {
                (0, 0) => "no arguments".to_owned(),
                (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, _) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
            };
            this.error(
                method.span(),
                format!("`.{name}(..)` takes {expected}, found {}", args.len()),
            );
            false
        };
        match name.as_str() {
            "is_nan" => {
                if !arity(self, 0, 0) {
                    return None;
                }
                let x = self.check(receiver, scope)?;
                self.function(
                    Func::IsNan,
                    method,
                    std::slice::from_ref(receiver),
                    vec![x],
                    method.span(),
                )
            }
            "is_null" | "is_not_null" => {
                if !arity(self, 0, 0) {
                    return None;
                }
                let inner = self.check(receiver, scope)?;
                Some(Self::typed(
                    TExprKind::IsNull {
                        expr: Box::new(inner),
                        negated: name == "is_not_null",
                    },
                    ColType::new(Base::Bool, false),
                    receiver.span(),
                ))
            }
            "when" | "otherwise" => {
                let (min, max) = if name == "when" { (2, 2) } else { (1, 1) };
                if !arity(self, min, max) {
                    return None;
                }
                let chain = self.check(receiver, scope)?;
                let TExprKind::Call(Func::Case { otherwise: false }, arguments) = chain.kind else {
                    self.error(
                        method.span(),
                        format!("`.{name}(..)` continues a `when(condition, value)`, but `{receiver}` is not one{}\nhelp: write `when(amount > 100.0, \"big\").when(amount > 10.0, \"mid\").otherwise(\"small\")`", if matches!(chain.kind, TExprKind::Call(Func::Case { otherwise: true }, _)) { " that is still open (it has its `otherwise`)" } else { "" }),
                    );
                    return None;
                };
                let mut branches = pairs(arguments);
                let typed: Option<Vec<TExpr>> = args.iter().map(|arg| self.check(arg, scope)).collect();
                let mut typed = typed?.into_iter();
                if name == "when" {
                    branches.push((typed.next()?, typed.next()?));
                    self.case(branches, None, chain.span)
                } else {
                    self.case(branches, typed.next(), chain.span)
                }
            }
            "isin" => {
                if !arity(self, 1, usize::MAX) {
                    return None;
                }
                let x = self.check(receiver, scope);
                let items: Option<Vec<TExpr>> = args.iter().map(|arg| self.check(arg, scope)).collect();
                let values: Vec<TExpr> = std::iter::once(x?).chain(items?).collect();
                let (_, values) = self.unify("`isin`", &values.iter().map(|v| v.span).collect::<Vec<_>>(), values)?;
                let nullable = values.iter().any(|v| v.ty.nullable);
                Some(Self::typed(
                    TExprKind::Call(Func::IsIn, values),
                    ColType::new(Base::Bool, nullable),
                    method.span(),
                ))
            }
            "between" => {
                if !arity(self, 2, 2) {
                    return None;
                }
                // Spark's definition: `x >= low && x <= high`.
                let x = self.check(receiver, scope)?;
                let low = self.check(&args[0], scope)?;
                let high = self.check(&args[1], scope)?;
                let above = self.binary(BinaryOp::Ge, method.span(), receiver, &args[0], x.clone(), low)?;
                let below = self.binary(BinaryOp::Le, method.span(), receiver, &args[1], x, high)?;
                self.binary(BinaryOp::And, method.span(), receiver, receiver, above, below)
            }
            "like" | "ilike" => {
                if !arity(self, 1, 1) {
                    return None;
                }
                let func = if name == "like" { Func::Like } else { Func::ILike };
                let x = self.check(receiver, scope)?;
                let pattern = self.check(&args[0], scope)?;
                if !self.expect_base(method, receiver, &x, &[Base::Str]) {
                    return None;
                }
                let TExprKind::Lit(LitValue::Str(text)) = &pattern.kind else {
                    self.error(
                        args[0].span(),
                        format!(
                            "the pattern of `{name}` must be a string literal such as \"a%\", found `{}`",
                            args[0]
                        ),
                    );
                    return None;
                };
                if let Err(error) = stream_grammar::like::LikePattern::new(text) {
                    self.error(args[0].span(), format!("invalid `{name}` pattern {text:?}: {error}\nnote: `%` matches any text, `_` one character, and `\\\\` escapes them"));
                    return None;
                }
                let nullable = x.ty.nullable;
                Some(Self::typed(
                    TExprKind::Call(func, vec![x, pattern]),
                    ColType::new(Base::Bool, nullable),
                    method.span(),
                ))
            }
            "rlike" => {
                if !arity(self, 1, 1) {
                    return None;
                }
                let x = self.check(receiver, scope);
                let pattern = self.check(&args[0], scope);
                let arguments = [(*receiver).clone(), args[0].clone()];
                self.function(
                    Func::Regex(RegexFunc::Like),
                    method,
                    &arguments,
                    vec![x?, pattern?],
                    method.span(),
                )
            }
            "cast" => {
                if !arity(self, 1, 1) {
                    return None;
                }
                let x = self.check(receiver, scope);
                let to = self.check(&args[0], scope);
                self.cast(receiver, &args[0], x?, to?, method.span())
            }
            "starts_with" | "startswith" | "ends_with" | "endswith" | "contains" => {
                if !arity(self, 1, 1) {
                    return None;
                }
                let func = match name.as_str() {
                    "starts_with" | "startswith" => Func::StartsWith,
                    "ends_with" | "endswith" => Func::EndsWith,
                    _ => Func::Contains,
                };
                let x = self.check(receiver, scope);
                let other = self.check(&args[0], scope);
                let (x, other) = (x?, other?);
                if !self.expect_base(method, receiver, &x, &[Base::Str])
                    || !self.expect_base(method, &args[0], &other, &[Base::Str])
                {
                    return None;
                }
                let nullable = x.ty.nullable || other.ty.nullable;
                Some(Self::typed(
                    TExprKind::Call(func, vec![x, other]),
                    ColType::new(Base::Bool, nullable),
                    method.span(),
                ))
            }
            other => {
                let help = did_you_mean(other, METHODS).map_or_else(
                    || format!("note: methods are: {}", METHODS.join(", ")),
                    |s| format!("help: did you mean `{s}`?"),
                );
                self.error(method.span(), format!("unknown method `{other}`\n{help}"));
                None
            }
        }
    }

    /// The common type of `values` (Spark's numeric widening), and the values widened to it;
    /// an error at the first value of another kind (its span from `spans`).
    fn unify(&mut self, what: &str, spans: &[Span], values: Vec<TExpr>) -> Option<(Base, Vec<TExpr>)> {
        let mut base = values.first()?.ty.base;
        for (value, span) in values.iter().zip(spans).skip(1) {
            match (base == value.ty.base)
                .then_some(base)
                .or_else(|| base.widen(value.ty.base))
            {
                Some(common) => base = common,
                None => {
                    self.error(
                        *span,
                        format!(
                            "{what} values must have one type, but this one is {} and the first is {}",
                            value.ty, values[0].ty
                        ),
                    );
                    return None;
                }
            }
        }
        Some((base, values.into_iter().map(|value| widen(value, base)).collect()))
    }

    /// `when(c1, v1).when(c2, v2)..[.otherwise(v)]`: boolean conditions, values of one type; null
    /// when no condition holds and there is no `otherwise`.
    fn case(&mut self, branches: Vec<(TExpr, TExpr)>, otherwise: Option<TExpr>, span: Span) -> Option<TExpr> {
        for (condition, _) in &branches {
            if condition.ty.base != Base::Bool {
                self.error(
                    condition.span,
                    format!("a `when` condition must be a boolean, but this is {}\nhelp: compare it: `when(amount > 100.0, ..)`", condition.ty),
                );
                return None;
            }
        }
        let has_otherwise = otherwise.is_some();
        let (conditions, values): (Vec<TExpr>, Vec<TExpr>) = branches.into_iter().unzip();
        let values: Vec<TExpr> = values.into_iter().chain(otherwise).collect();
        let spans: Vec<Span> = values.iter().map(|value| value.span).collect();
        let (base, values) = self.unify("`when`", &spans, values)?;
        let nullable = !has_otherwise || values.iter().any(|value| value.ty.nullable);
        let mut values = values.into_iter();
        let mut args = Vec::new();
        for condition in conditions {
            args.push(condition);
            args.extend(values.next());
        }
        args.extend(values);
        Some(Self::typed(
            TExprKind::Call(
                Func::Case {
                    otherwise: has_otherwise,
                },
                args,
            ),
            ColType::new(base, nullable),
            span,
        ))
    }

    /// Text compared with a timestamp or a date, cast to it as Spark does (null, and counted as
    /// unparseable, when it is not one); a literal that cannot be one is an error here.
    fn text_as_time(&mut self, written: &Expr, text: TExpr, to: Base) -> Option<TExpr> {
        if let TExprKind::Lit(LitValue::Str(literal)) = &text.kind {
            // Every form Spark's cast reads starts with the year's digits (after an optional
            // sign); the cast itself decides the rest, at run time.
            let trimmed = literal.trim_start().trim_start_matches(['+', '-']);
            if !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                self.error(
                    written.span(),
                    format!(
                        "`{written}` is compared with a {}, but is not one; write it as {}",
                        to.rust_name(),
                        if to == Base::Timestamp {
                            "\"2026-01-01 10:00:00\""
                        } else {
                            "\"2026-01-01\""
                        }
                    ),
                );
                return None;
            }
        }
        let ty = ColType::new(to, text.ty.nullable || cast_may_fail(Base::Str, to));
        let span = text.span;
        Some(Self::typed(TExprKind::Call(Func::Cast { to }, vec![text]), ty, span))
    }

    /// `cast(value, "type")`: the type named by a string literal, a cast Spark allows.
    fn cast(&mut self, value_arg: &Expr, type_arg: &Expr, value: TExpr, type_name: TExpr, span: Span) -> Option<TExpr> {
        let names: Vec<&str> = CAST_TYPES.iter().map(|(name, _)| *name).collect();
        let written = match &type_name.kind {
            TExprKind::Lit(LitValue::Str(written)) => Some(written.as_str()),
            _ => None,
        };
        let to = written.and_then(|written| {
            CAST_TYPES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(written))
                .map(|(_, base)| *base)
        });
        let to = match (to, written.map(decimal_type_name)) {
            (None, Some(Some(Ok(precision)))) => Some(Base::Decimal(precision)),
            (None, Some(Some(Err(problem)))) => {
                self.error(
                    type_arg.span(),
                    format!("{problem}\nhelp: write \"decimal(precision, scale)\", e.g. \"decimal(10,2)\": 1 to {MAX_PRECISION} digits, `scale` of them after the point"),
                );
                return None;
            }
            (to, _) => to,
        };
        let Some(to) = to else {
            let help = written
                .and_then(|written| did_you_mean(&written.to_ascii_lowercase(), names.iter().copied()))
                .map_or_else(String::new, |s| format!("\nhelp: did you mean \"{s}\"?"));
            self.error(
                type_arg.span(),
                format!(
                    "`cast` takes the type as a string literal, one of {}; found `{type_arg}`{help}",
                    names.join(", ")
                ),
            );
            return None;
        };
        let from = value.ty;
        if !can_cast(from.base, to) {
            self.error(
                value_arg.span(),
                format!(
                    "cannot cast `{value_arg}` of type {from} to {}: Spark has no such cast",
                    to.rust_name()
                ),
            );
            return None;
        }
        let ty = ColType::new(to, from.nullable || cast_may_fail(from.base, to));
        Some(Self::typed(TExprKind::Call(Func::Cast { to }, vec![value]), ty, span))
    }

    /// The arguments of a text function, those of another type cast to text as Spark does
    /// implicitly; an error for one that has no text form (a window).
    fn as_text(&mut self, name: &Ident, args: &[Expr], typed: Vec<TExpr>) -> Option<Vec<TExpr>> {
        let mut out = Vec::with_capacity(typed.len());
        for (arg, value) in args.iter().zip(typed) {
            if value.ty.base == Base::Str {
                out.push(value);
            } else if can_cast(value.ty.base, Base::Str) {
                let ty = ColType::new(Base::Str, value.ty.nullable);
                let span = value.span;
                out.push(Self::typed(
                    TExprKind::Call(Func::Cast { to: Base::Str }, vec![value]),
                    ty,
                    span,
                ));
            } else {
                self.expect_base(name, arg, &value, &[Base::Str]);
                return None;
            }
        }
        Some(out)
    }

    /// `value + interval("..")` / `value - interval("..")`: the interval a literal with Spark's
    /// units (years and months too); a timestamp, or a date plus whole days and months.
    fn add_interval(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        left: &Expr,
        func: &Ident,
        args: &[Expr],
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        let value = self.check(left, scope);
        let text = match args {
            [Expr::Lit(Lit::Str(text))] => Some((text.value(), text.span())),
            _ => None,
        };
        let Some((text, text_span)) = text else {
            self.error(
                func.span(),
                "`interval` takes one string literal: `interval(\"30 minutes\")`, `interval(\"1 month 2 days\")`",
            );
            return None;
        };
        let interval = match stream_grammar::interval::parse_calendar(&text) {
            Ok(interval) => interval,
            Err(error) => {
                self.error(
                    text_span,
                    format!("invalid interval {text:?}: {error}\nnote: units are years, months, weeks, days, hours, minutes, seconds, milliseconds and microseconds"),
                );
                return None;
            }
        };
        let value = value?;
        if !matches!(op, BinaryOp::Add | BinaryOp::Sub) || !matches!(value.ty.base, Base::Timestamp | Base::Date) {
            self.error(
                op_span,
                format!(
                    "an interval is added to or subtracted from a timestamp or a date, but this is `{left}` of type {} {} an interval",
                    value.ty,
                    op.symbol()
                ),
            );
            return None;
        }
        let sign = if op == BinaryOp::Sub { -1 } else { 1 };
        let (months, days, micros) = (
            interval.months * sign,
            interval.days * sign,
            interval.micros * i64::from(sign),
        );
        let result = if value.ty.base == Base::Date && micros == 0 {
            Base::Date
        } else {
            Base::Timestamp
        };
        // Null out of the calendar's range (Spark fails the query).
        let ty = ColType::new(result, true);
        Some(Self::typed(
            TExprKind::Call(Func::AddInterval { months, days, micros }, vec![value]),
            ty,
            op_span,
        ))
    }

    /// A regular-expression argument: a string literal, checked as the runtime will compile it.
    fn regex_literal(
        &mut self,
        name: &Ident,
        arg: &Expr,
        typed: &TExpr,
    ) -> Option<(String, stream_grammar::regex::JavaRegex)> {
        let TExprKind::Lit(LitValue::Str(pattern)) = &typed.kind else {
            self.error(
                arg.span(),
                format!("the pattern of `{name}` must be a string literal such as r\"(\\d+)\", found `{arg}`"),
            );
            return None;
        };
        match stream_grammar::regex::JavaRegex::new(pattern) {
            Ok(regex) => Some((pattern.clone(), regex)),
            Err(error) => {
                self.error(
                    arg.span(),
                    format!("invalid regular expression {pattern:?}: {error}\nnote: patterns are Java's, as in Spark; write them as raw strings: r\"\\d+\""),
                );
                None
            }
        }
    }

    /// `regexp_extract`, `regexp_replace`, `regexp_like`, `regexp_count`, `regexp_substr`: text, a
    /// pattern literal checked as the runtime will compile it, and the function's own literal.
    fn regex_function(
        &mut self,
        kind: RegexFunc,
        name: &Ident,
        args: &[Expr],
        typed: Vec<TExpr>,
        paren_span: Span,
    ) -> Option<TExpr> {
        let (min, max) = match kind {
            RegexFunc::Extract => (2, 3),
            RegexFunc::Replace => (3, 3),
            RegexFunc::Like | RegexFunc::Count | RegexFunc::Substr => (2, 2),
        };
        if !self.arity(name, paren_span, args.len(), min, max)
            || !self.expect_base(name, &args[0], &typed[0], &[Base::Str])
        {
            return None;
        }
        let (pattern, regex) = self.regex_literal(name, &args[1], &typed[1])?;
        match (kind, typed.get(2).map(|t| &t.kind)) {
            (RegexFunc::Extract, Some(TExprKind::Lit(LitValue::I32(group))))
                if usize::try_from(*group).is_ok_and(|group| group <= regex.groups()) => {}
            (RegexFunc::Extract, Some(_)) => {
                self.error(
                    args[2].span(),
                    format!(
                        "the group of `regexp_extract` must be an integer literal from 0 to {} (the pattern's groups), found `{}`",
                        regex.groups(),
                        args[2]
                    ),
                );
                return None;
            }
            (RegexFunc::Extract, None) if regex.groups() == 0 => {
                self.error(
                    args[1].span(),
                    format!("`regexp_extract` takes group 1 by default, but {pattern:?} has no group\nhelp: add `, 0` for the whole match, or put the part to extract in parentheses"),
                );
                return None;
            }
            (RegexFunc::Replace, Some(TExprKind::Lit(LitValue::Str(replacement)))) => {
                if let Err(error) = stream_grammar::regex::Replacement::new(replacement, &regex) {
                    self.error(args[2].span(), format!("invalid replacement {replacement:?}: {error}"));
                    return None;
                }
            }
            (RegexFunc::Replace, _) => {
                self.error(
                    args[2].span(),
                    format!(
                        "the replacement of `regexp_replace` must be a string literal such as \"$1\", found `{}`",
                        args[2]
                    ),
                );
                return None;
            }
            _ => {}
        }
        let text_nullable = typed[0].ty.nullable;
        let ty = match kind {
            RegexFunc::Extract | RegexFunc::Replace => ColType::new(Base::Str, text_nullable),
            RegexFunc::Like => ColType::new(Base::Bool, text_nullable),
            RegexFunc::Count => ColType::new(Base::I32, text_nullable),
            // Null when nothing matches.
            RegexFunc::Substr => ColType::new(Base::Str, true),
        };
        Some(Self::typed(TExprKind::Call(Func::Regex(kind), typed), ty, name.span()))
    }

    fn function(
        &mut self,
        func: Func,
        name: &Ident,
        args: &[Expr],
        typed: Vec<TExpr>,
        paren_span: Span,
    ) -> Option<TExpr> {
        let span = name.span();
        let numeric = Base::NUMERIC;
        let any_nullable = typed.iter().any(|t| t.ty.nullable);
        let ty = match func {
            Func::Plain(Plain::FormatNumber) if typed.get(1).is_some_and(|t| t.ty.base == Base::Str) => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                {
                    return None;
                }
                let problem = match &typed[1].kind {
                    TExprKind::Lit(LitValue::Str(pattern)) => {
                        stream_grammar::number_pattern::NumberPattern::parse(pattern)
                            .err()
                            .map(|error| format!("invalid number pattern {pattern:?}: {error}"))
                    }
                    _ => Some(format!(
                        "the pattern of `format_number` must be a string literal such as \"#,##0.00\", found `{}`",
                        args[1]
                    )),
                };
                if let Some(problem) = problem {
                    self.error(args[1].span(), format!("{problem}\nnote: patterns are Java's DecimalFormat's: `0` a digit, `#` an optional one, `,` groups, `.` the decimal point, `;` then the negative form"));
                    return None;
                }
                return Some(Self::typed(
                    TExprKind::Call(Func::FormatPattern, typed),
                    ColType::new(Base::Str, any_nullable),
                    span,
                ));
            }
            Func::Plain(Plain::Floor | Plain::Ceil) if typed.first().is_some_and(|t| t.ty.base.is_decimal()) => {
                if !self.arity(name, paren_span, args.len(), 1, 1) {
                    return None;
                }
                // Spark's: a decimal of scale 0 with one more integer digit (`ceil(9.5)` is 10).
                let p = typed[0].ty.base.decimal()?;
                let result = Precision::bounded(p.integer_digits() + 1, 0);
                ColType::new(Base::Decimal(result), typed[0].ty.nullable || !p.fits_in(result))
            }
            Func::Plain(Plain::Div)
                if typed.iter().any(|t| t.ty.base.is_decimal()) && typed.iter().all(|t| decimal_of(t).is_some()) =>
            {
                if !self.arity(name, paren_span, args.len(), 2, 2) {
                    return None;
                }
                // Spark's integral division of decimals: the truncated quotient as a bigint.
                let typed: Vec<TExpr> = typed
                    .into_iter()
                    .map(|t| match decimal_of(&t) {
                        Some(precision) => widen(t, Base::Decimal(precision)),
                        None => t,
                    })
                    .collect();
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(Base::I64, true),
                    span,
                ));
            }
            Func::Plain(Plain::Log) if args.len() == 1 => {
                return self.function(Func::Plain(Plain::Ln), name, args, typed, paren_span);
            }
            Func::Plain(plain) => {
                let (params, optional, result, may_be_null) = signature(plain);
                if !self.arity(name, paren_span, args.len(), params.len() - optional, params.len()) {
                    return None;
                }
                let mut ok = true;
                for ((arg, t), param) in args.iter().zip(&typed).zip(params) {
                    let wanted: &[Base] = match param {
                        Param::Text => &[Base::Str],
                        Param::Integer => &Base::INTEGER,
                        Param::Number => &numeric,
                        Param::Day | Param::Time => &[Base::Date, Base::Timestamp],
                    };
                    ok &= self.expect_base(name, arg, t, wanted);
                }
                if !ok {
                    return None;
                }
                ColType::new(result, any_nullable || may_be_null)
            }
            Func::ConcatWs => {
                if !self.arity(name, paren_span, args.len(), 2, usize::MAX)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str])
                {
                    return None;
                }
                // Null parts are skipped: null only with a null separator.
                let nullable = typed[0].ty.nullable;
                let typed = self.as_text(name, args, typed)?;
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(Base::Str, nullable),
                    span,
                ));
            }
            Func::Cast { .. } => {
                if !self.arity(name, paren_span, args.len(), 2, 2) {
                    return None;
                }
                let mut typed = typed.into_iter();
                return self.cast(&args[0], &args[1], typed.next()?, typed.next()?, span);
            }
            Func::DateTrunc | Func::TruncDate => {
                if !self.arity(name, paren_span, args.len(), 2, 2) {
                    return None;
                }
                // `date_trunc("unit", ts)`, `trunc(date, "unit")`.
                let (unit_at, value_at) = if func == Func::DateTrunc { (0, 1) } else { (1, 0) };
                if !self.expect_base(name, &args[value_at], &typed[value_at], &[Base::Timestamp, Base::Date]) {
                    return None;
                }
                let units = if func == Func::DateTrunc {
                    "YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND"
                } else {
                    "year, quarter, month, week"
                };
                let valid = match &typed[unit_at].kind {
                    TExprKind::Lit(LitValue::Str(unit)) => stream_grammar::trunc_unit(unit)
                        .is_some_and(|finer_than_a_week| func == Func::DateTrunc || !finer_than_a_week),
                    _ => false,
                };
                if !valid {
                    self.error(
                        args[unit_at].span(),
                        format!(
                            "the unit of `{name}` must be a string literal, one of {units}; found `{}`",
                            args[unit_at]
                        ),
                    );
                    return None;
                }
                let result = if func == Func::DateTrunc {
                    Base::Timestamp
                } else {
                    Base::Date
                };
                let mut typed = typed;
                if unit_at == 0 {
                    typed.swap(0, 1);
                }
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(result, true),
                    span,
                ));
            }
            Func::Regex(kind) => return self.regex_function(kind, name, args, typed, paren_span),
            Func::ShiftZone { .. } => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Timestamp, Base::Date])
                {
                    return None;
                }
                let written = match &typed[1].kind {
                    TExprKind::Lit(LitValue::Str(zone)) => Some(zone.as_str()),
                    _ => None,
                };
                if written.is_none_or(|zone| stream_grammar::zone::Zone::parse(zone).is_none()) {
                    let help = written
                        .and_then(|zone| did_you_mean(zone, stream_grammar::zone::Zone::region_names()))
                        .map_or_else(String::new, |s| format!("\nhelp: did you mean \"{s}\"?"));
                    self.error(
                        args[1].span(),
                        format!(
                            "the zone of `{name}` must be a string literal naming a time zone, such as \"Europe/Berlin\", \"+05:30\" or \"UTC\"; found `{}`{help}",
                            args[1]
                        ),
                    );
                    return None;
                }
                ColType::new(Base::Timestamp, typed[0].ty.nullable)
            }
            Func::CurrentTimestamp | Func::CurrentDate => {
                if !self.arity(name, paren_span, args.len(), 0, 0) {
                    return None;
                }
                let base = if func == Func::CurrentTimestamp {
                    Base::Timestamp
                } else {
                    Base::Date
                };
                ColType::new(base, false)
            }
            Func::MonthsBetween { .. } => {
                let time = [Base::Timestamp, Base::Date];
                if !self.arity(name, paren_span, args.len(), 2, 3)
                    || !self.expect_base(name, &args[0], &typed[0], &time)
                    || !self.expect_base(name, &args[1], &typed[1], &time)
                {
                    return None;
                }
                let round_off = match typed.get(2).map(|t| &t.kind) {
                    None => true,
                    Some(TExprKind::Lit(LitValue::Bool(round_off))) => *round_off,
                    Some(_) => {
                        self.error(
                            args[2].span(),
                            format!(
                                "`round_off` of `months_between` must be `true` or `false`, found `{}`",
                                args[2]
                            ),
                        );
                        return None;
                    }
                };
                let nullable = typed[0].ty.nullable || typed[1].ty.nullable;
                let typed: Vec<TExpr> = typed.into_iter().take(2).collect();
                return Some(Self::typed(
                    TExprKind::Call(Func::MonthsBetween { round_off }, typed),
                    ColType::new(Base::F64, nullable),
                    span,
                ));
            }
            Func::Sha2 => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str])
                {
                    return None;
                }
                if !matches!(typed[1].kind, TExprKind::Lit(LitValue::I32(0 | 224 | 256 | 384 | 512))) {
                    self.error(
                        args[1].span(),
                        format!(
                            "the bit length of `sha2` must be a literal 224, 256, 384 or 512 (0 means 256), found `{}`",
                            args[1]
                        ),
                    );
                    return None;
                }
                ColType::new(Base::Str, typed[0].ty.nullable)
            }
            // Typed by `tumbling_window`, never looked up by name.
            Func::TumblingWindow { .. } => return None,
            Func::Hash | Func::XxHash64 => {
                if !self.arity(name, paren_span, args.len(), 1, usize::MAX) {
                    return None;
                }
                if let Some((arg, _)) = args.iter().zip(&typed).find(|(_, t)| t.ty.base == Base::Window) {
                    self.error(
                        arg.span(),
                        format!("`{name}` hashes column values, and a window is not one; hash `{arg}.start`"),
                    );
                    return None;
                }
                // A null argument is skipped: never null.
                let result = if func == Func::Hash { Base::I32 } else { Base::I64 };
                ColType::new(result, false)
            }
            Func::FromUnixtime => {
                if !self.arity(name, paren_span, args.len(), 1, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &Base::INTEGER)
                    || (args.len() == 2 && !self.pattern_literal(name, &args[1], &typed[1]))
                {
                    return None;
                }
                ColType::new(Base::Str, typed[0].ty.nullable)
            }
            Func::Pmod => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                    || !self.expect_base(name, &args[1], &typed[1], &numeric)
                {
                    return None;
                }
                if typed.iter().any(|t| t.ty.base.is_decimal()) && !typed.iter().any(|t| t.ty.base.is_float()) {
                    let mut typed = typed.into_iter();
                    let (l, r) = (typed.next()?, typed.next()?);
                    return decimal_arithmetic(Some(func), BinaryOp::Rem, l, r, span);
                }
                let spans: Vec<Span> = args.iter().map(Expr::span).collect();
                let (base, typed) = self.unify("`pmod`", &spans, typed)?;
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(base, true),
                    span,
                ));
            }
            Func::Round | Func::BRound => {
                if !self.arity(name, paren_span, args.len(), 1, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                {
                    return None;
                }
                let places = match typed.get(1).map(|scale| &scale.kind) {
                    None => 0,
                    Some(TExprKind::Lit(LitValue::I32(places))) => *places,
                    Some(_) => {
                        self.error(
                            args[1].span(),
                            format!("the scale of `{name}` must be an integer literal, found `{}`", args[1]),
                        );
                        return None;
                    }
                };
                match typed[0].ty.base {
                    Base::Decimal(p) => {
                        let rounded = rounded_decimal(p, places);
                        ColType::new(Base::Decimal(rounded), typed[0].ty.nullable || !p.fits_in(rounded))
                    }
                    _ => typed[0].ty,
                }
            }
            Func::Abs => {
                if !self.arity(name, paren_span, args.len(), 1, 1)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                {
                    return None;
                }
                ColType::new(
                    typed[0].ty.base,
                    typed[0].ty.nullable || negation_may_overflow(typed[0].ty.base),
                )
            }
            Func::ToTimestamp => {
                if !self.arity(name, paren_span, args.len(), 1, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str, Base::Timestamp, Base::Date])
                {
                    return None;
                }
                if args.len() == 2
                    && (typed[0].ty.base != Base::Str || !self.pattern_literal(name, &args[1], &typed[1]))
                {
                    if typed[0].ty.base != Base::Str {
                        self.error(
                            args[0].span(),
                            format!(
                                "`to_timestamp` with a pattern parses text, but `{}` is {}",
                                args[0], typed[0].ty
                            ),
                        );
                    }
                    return None;
                }
                // Text that does not parse becomes null.
                ColType::new(Base::Timestamp, typed[0].ty.nullable || typed[0].ty.base == Base::Str)
            }
            Func::DateFormat => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Timestamp, Base::Date])
                    || !self.pattern_literal(name, &args[1], &typed[1])
                {
                    return None;
                }
                ColType::new(Base::Str, typed[0].ty.nullable)
            }
            Func::Hour
            | Func::Minute
            | Func::Second
            | Func::DayOfWeek
            | Func::Year
            | Func::Month
            | Func::DayOfMonth => {
                let wanted: &[Base] = if matches!(func, Func::Hour | Func::Minute | Func::Second) {
                    &[Base::Timestamp]
                } else {
                    &[Base::Timestamp, Base::Date]
                };
                if !self.arity(name, paren_span, args.len(), 1, 1)
                    || !self.expect_base(name, &args[0], &typed[0], wanted)
                {
                    return None;
                }
                ColType::new(Base::I32, typed[0].ty.nullable)
            }
            Func::ToDate => {
                if !self.arity(name, paren_span, args.len(), 1, 1)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str, Base::Timestamp, Base::Date])
                {
                    return None;
                }
                ColType::new(Base::Date, typed[0].ty.nullable || typed[0].ty.base == Base::Str)
            }
            Func::Lower | Func::Upper | Func::Length => {
                if !self.arity(name, paren_span, args.len(), 1, 1)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str])
                {
                    return None;
                }
                ColType::new(
                    if func == Func::Length { Base::I32 } else { Base::Str },
                    typed[0].ty.nullable,
                )
            }
            Func::Concat => {
                if !self.arity(name, paren_span, args.len(), 1, usize::MAX) {
                    return None;
                }
                // As Spark: other types are cast to text (`concat(user_id, quantity)`).
                let typed = self.as_text(name, args, typed)?;
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(Base::Str, any_nullable),
                    span,
                ));
            }
            Func::Case { otherwise } => {
                // `when(condition, value)` opens a chain; `iff(condition, then, else)` is one.
                let arguments = if otherwise { 3 } else { 2 };
                if !self.arity(name, paren_span, args.len(), arguments, arguments) {
                    return None;
                }
                let mut typed = typed.into_iter();
                let branch = (typed.next()?, typed.next()?);
                return self.case(vec![branch], typed.next(), span);
            }
            Func::NullIf => {
                if !self.arity(name, paren_span, args.len(), 2, 2) {
                    return None;
                }
                let mut typed = typed.into_iter();
                let (a, b) = (typed.next()?, typed.next()?);
                // The result keeps `a`'s type, so `b` must fit in it.
                if a.ty.base != b.ty.base && a.ty.base.widen(b.ty.base) != Some(a.ty.base) {
                    self.error(
                        args[1].span(),
                        format!(
                            "`nullif` compares `{}` of type {} with `{}` of type {}; give them one type",
                            args[0], a.ty, args[1], b.ty
                        ),
                    );
                    return None;
                }
                let base = a.ty.base;
                return Some(Self::typed(
                    TExprKind::Call(func, vec![a, widen(b, base)]),
                    ColType::new(base, true),
                    span,
                ));
            }
            Func::Greatest | Func::Least => {
                if !self.arity(name, paren_span, args.len(), 2, usize::MAX) {
                    return None;
                }
                let spans: Vec<Span> = args.iter().map(Expr::span).collect();
                let (base, typed) = self.unify(&format!("`{name}`"), &spans, typed)?;
                if base == Base::Window {
                    self.error(
                        args[0].span(),
                        format!("`{name}` compares values, and a window is not one"),
                    );
                    return None;
                }
                // Nulls are skipped: null only when every argument is.
                let nullable = all_nullable(&typed);
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(base, nullable),
                    span,
                ));
            }
            Func::StartsWith | Func::EndsWith | Func::Contains => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &[Base::Str])
                    || !self.expect_base(name, &args[1], &typed[1], &[Base::Str])
                {
                    return None;
                }
                ColType::new(Base::Bool, any_nullable)
            }
            Func::IsNan => {
                if !self.arity(name, paren_span, args.len(), 1, 1)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                {
                    return None;
                }
                // Null is not NaN: never null.
                ColType::new(Base::Bool, false)
            }
            Func::NanVl => {
                if !self.arity(name, paren_span, args.len(), 2, 2)
                    || !self.expect_base(name, &args[0], &typed[0], &numeric)
                    || !self.expect_base(name, &args[1], &typed[1], &numeric)
                {
                    return None;
                }
                let typed: Vec<TExpr> = typed.into_iter().map(|value| widen(value, Base::F64)).collect();
                // Null where `a` is, or where `a` is NaN and `b` null.
                let nullable = typed[0].ty.nullable || typed[1].ty.nullable;
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(Base::F64, nullable),
                    span,
                ));
            }
            Func::IsIn | Func::Like | Func::ILike => {
                self.error(span, format!("`{name}` is a method: write `column.{name}(..)`"));
                return None;
            }
            Func::AddInterval { .. } => {
                self.error(
                    span,
                    "an interval is added with `+`: `event_time + interval(\"30 minutes\")`",
                );
                return None;
            }
            // Reached through `split(..)[i]`, `element_at` and `size`, or `format_number`, never by name.
            Func::SplitElement { .. }
            | Func::SplitSize
            | Func::FormatPattern
            | Func::Array(_)
            | Func::FromJson
            | Func::MakeStruct
            | Func::ToJson
            | Func::JsonTuple
            | Func::GetJsonObject => {
                self.error(span, format!("`{name}` takes `split(..)`: `size(split(s, \",\"))`"));
                return None;
            }
            Func::Coalesce => {
                let (min, max) = if name == "nvl" { (2, 2) } else { (1, usize::MAX) };
                if !self.arity(name, paren_span, args.len(), min, max) {
                    return None;
                }
                let mut base = typed[0].ty.base;
                for (arg, t) in args.iter().zip(&typed).skip(1) {
                    match (base == t.ty.base).then_some(base).or_else(|| base.widen(t.ty.base)) {
                        Some(common) => base = common,
                        None => {
                            self.error(
                                arg.span(),
                                format!(
                                    "`coalesce` arguments must have one type, but `{arg}` is {} and the first is {}",
                                    t.ty,
                                    typed[0].ty.base.rust_name()
                                ),
                            );
                            return None;
                        }
                    }
                }
                let typed: Vec<TExpr> = typed.into_iter().map(|t| widen(t, base)).collect();
                let nullable = all_nullable(&typed);
                return Some(Self::typed(
                    TExprKind::Call(func, typed),
                    ColType::new(base, nullable),
                    span,
                ));
            }
        };
        Some(Self::typed(TExprKind::Call(func, typed), ty, span))
    }

    fn binary(&mut self, op: BinaryOp, op_span: Span, left: &Expr, right: &Expr, l: TExpr, r: TExpr) -> Option<TExpr> {
        let nullable = l.ty.nullable || r.ty.nullable;
        let mismatch = |this: &mut Self, help: &str| {
            this.error(
                op_span,
                format!(
                    "cannot apply `{}` to `{left}` of type {} and `{right}` of type {}{help}",
                    op.symbol(),
                    l.ty,
                    r.ty
                ),
            );
        };
        let (base, result) = match op {
            BinaryOp::And | BinaryOp::Or => {
                if l.ty.base != Base::Bool || r.ty.base != Base::Bool {
                    mismatch(self, "\nnote: `&&` and `||` combine boolean conditions");
                    return None;
                }
                (Base::Bool, ColType::new(Base::Bool, nullable))
            }
            _ if op.is_comparison() && text_against_time(l.ty.base, r.ty.base).is_some() => {
                // Spark casts the text to the other side's type: `event_time > "2026-01-01 10:00"`.
                let (l, r) = match text_against_time(l.ty.base, r.ty.base) {
                    Some((true, to)) => (self.text_as_time(left, l, to)?, r),
                    Some((false, to)) => (l, self.text_as_time(right, r, to)?),
                    None => (l, r),
                };
                let nullable = l.ty.nullable || r.ty.nullable;
                return Some(Self::typed(
                    TExprKind::Binary(op, Box::new(l), Box::new(r)),
                    ColType::new(Base::Bool, nullable),
                    op_span,
                ));
            }
            _ if op.is_comparison() => {
                if l.ty.base.is_nested() && l.ty.base == r.ty.base {
                    let help = crate::types::nested_help(l.ty.base, &left.to_string());
                    mismatch(
                        self,
                        &format!(
                            "\nnote: {} is not compared as a whole yet\n{help}",
                            l.ty.base.nested_noun()
                        ),
                    );
                    return None;
                }
                if !l.ty.base.comparable(r.ty.base) {
                    mismatch(self, "\nnote: only values of the same kind can be compared");
                    return None;
                }
                let common = match (decimal_of(&l), decimal_of(&r)) {
                    // Both sides as the narrowest decimal holding them (null where one does
                    // not fit it), the literal integer taking only its own digits, as Spark's.
                    (Some(a), Some(b)) if l.ty.base.is_decimal() || r.ty.base.is_decimal() => Base::Decimal(a.wider(b)),
                    _ => l.ty.base.widen(r.ty.base).unwrap_or(l.ty.base),
                };
                let (l, r) = (widen(l, common), widen(r, common));
                let nullable = l.ty.nullable || r.ty.nullable;
                return Some(Self::typed(
                    TExprKind::Binary(op, Box::new(l), Box::new(r)),
                    ColType::new(Base::Bool, nullable),
                    op_span,
                ));
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Rem | BinaryOp::Div
                if (l.ty.base.is_decimal() || r.ty.base.is_decimal())
                    && decimal_of(&l).is_some()
                    && decimal_of(&r).is_some() =>
            {
                return decimal_arithmetic(None, op, l, r, op_span);
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Rem | BinaryOp::Div => {
                let Some(common) = l.ty.base.widen(r.ty.base) else {
                    let help = if op == BinaryOp::Add && l.ty.base == Base::Str && r.ty.base == Base::Str {
                        "\nhelp: join strings with `concat(a, b)`"
                    } else {
                        "\nnote: arithmetic needs numbers (integers, floats or decimals)"
                    };
                    mismatch(self, help);
                    return None;
                };
                match op {
                    // Spark's `/` is always fractional, and null when dividing by zero.
                    BinaryOp::Div => (Base::F64, ColType::new(Base::F64, true)),
                    BinaryOp::Rem => (common, ColType::new(common, true)),
                    _ => (common, ColType::new(common, nullable)),
                }
            }
            _ => unreachable!("every operator is handled above"),
        };
        let (l, r) = if base.is_numeric() {
            (widen(l, base), widen(r, base))
        } else {
            (l, r)
        };
        Some(Self::typed(
            TExprKind::Binary(op, Box::new(l), Box::new(r)),
            result,
            op_span,
        ))
    }
}

/// When text is compared with a timestamp or a date: whether the text is on the left, and the
/// type Spark casts it to.
fn text_against_time(left: Base, right: Base) -> Option<(bool, Base)> {
    match (left, right) {
        (Base::Str, Base::Timestamp | Base::Date) => Some((true, right)),
        (Base::Timestamp | Base::Date, Base::Str) => Some((false, left)),
        _ => None,
    }
}

/// A `when` chain's arguments as (condition, value) pairs.
fn pairs(arguments: Vec<TExpr>) -> Vec<(TExpr, TExpr)> {
    let mut arguments = arguments.into_iter();
    let mut pairs = Vec::new();
    while let (Some(condition), Some(value)) = (arguments.next(), arguments.next()) {
        pairs.push((condition, value));
    }
    pairs
}

fn all_nullable(typed: &[TExpr]) -> bool {
    typed.iter().all(|t| t.ty.nullable)
}

/// Wraps `expr` in a numeric widening to `base` when its type is narrower; a conversion to a
/// decimal that may not hold the value is a cast, null where it does not (as Spark's).
fn widen(expr: TExpr, base: Base) -> TExpr {
    if expr.ty.base == base || !base.is_numeric() {
        return expr;
    }
    if let Base::Decimal(to) = base
        && !decimal_of(&expr).is_some_and(|from| from.fits_in(to))
    {
        let ty = ColType::new(base, expr.ty.nullable || cast_may_fail(expr.ty.base, base));
        let span = expr.span;
        return TExpr {
            kind: TExprKind::Call(Func::Cast { to: base }, vec![expr]),
            ty,
            span,
        };
    }
    let ty = ColType::new(base, expr.ty.nullable);
    let span = expr.span;
    TExpr {
        kind: TExprKind::Widen(base, Box::new(expr)),
        ty,
        span,
    }
}

/// The decimal type a number takes in decimal arithmetic: its own for a decimal, Spark's
/// `DecimalType.forType` for an integer column, and only its digits for an integer literal
/// (`x * 2` multiplies by a `decimal(1,0)`); `None` for other types.
fn decimal_of(expr: &TExpr) -> Option<Precision> {
    let literal = match &expr.kind {
        TExprKind::Lit(LitValue::I32(value)) => Some(i64::from(*value)),
        TExprKind::Lit(LitValue::I64(value)) => Some(*value),
        _ => None,
    };
    match literal {
        Some(value) => {
            let digits = value.unsigned_abs().checked_ilog10().map_or(1, |log| log + 1);
            Some(Precision::new(u8::try_from(digits).ok()?, 0))
        }
        None => Precision::of_integer(expr.ty.base),
    }
}

/// `l op r` (or `pmod(l, r)`, `func`) where one side is a decimal and the other a decimal or an
/// integer: the integer widened to its decimal type, the result typed by Spark's rules, and
/// null when it may not fit (or divides by zero).
fn decimal_arithmetic(func: Option<Func>, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Option<TExpr> {
    let (left, right) = (decimal_of(&l)?, decimal_of(&r)?);
    let result = Precision::arithmetic(op, left, right);
    let nullable = l.ty.nullable || r.ty.nullable || Precision::may_overflow(op, left, right);
    let (l, r) = (widen(l, Base::Decimal(left)), widen(r, Base::Decimal(right)));
    let kind = match func {
        Some(func) => TExprKind::Call(func, vec![l, r]),
        None => TExprKind::Binary(op, Box::new(l), Box::new(r)),
    };
    Some(TExpr {
        kind,
        ty: ColType::new(Base::Decimal(result), nullable),
        span,
    })
}

/// Spark's type of `round(decimal, places)`: the places kept (at most the scale's), and one
/// more integer digit for a carry (`round(9.5)` is 10).
fn rounded_decimal(p: Precision, places: i32) -> Precision {
    let integer_digits = p.integer_digits() + 1;
    match u32::try_from(places) {
        Ok(places) => {
            let scale = u32::from(p.scale).min(places);
            Precision::bounded(integer_digits + scale, scale)
        }
        Err(_) => Precision::bounded(integer_digits.max(places.unsigned_abs() + 1), 0),
    }
}

/// A decimal type as `cast` names it, as Spark reads it: `decimal` (`decimal(10,0)`),
/// `decimal(p)`, `decimal(p, s)`, or the same with `dec` or `numeric`; `None` for another name.
fn decimal_type_name(written: &str) -> Option<Result<Precision, String>> {
    let lower = written.trim().to_ascii_lowercase();
    let rest = ["decimal", "numeric", "dec"]
        .iter()
        .find_map(|name| lower.strip_prefix(name))?
        .trim();
    if rest.is_empty() {
        return Some(Ok(Precision::new(10, 0)));
    }
    let arguments = rest.strip_prefix('(')?.strip_suffix(')')?;
    let numbers: Result<Vec<u8>, _> = arguments.split(',').map(|n| n.trim().parse::<u8>()).collect();
    let problem = |what: String| Some(Err(format!("cannot cast to \"{written}\": {what}")));
    match numbers.as_deref() {
        Ok([p]) if (1..=MAX_PRECISION).contains(p) => Some(Ok(Precision::new(*p, 0))),
        Ok([p, s]) if (1..=MAX_PRECISION).contains(p) && s <= p => Some(Ok(Precision::new(*p, *s))),
        Ok([p, s]) if (1..=MAX_PRECISION).contains(p) => problem(format!("the scale {s} is above the precision {p}")),
        Ok([p, ..]) if !(1..=MAX_PRECISION).contains(p) => {
            problem(format!("the precision {p} is not 1 to {MAX_PRECISION}"))
        }
        _ => problem("a decimal type takes a precision and a scale".to_owned()),
    }
}

/// Whether Spark's negation of a value of this type may not fit it: a decimal of more than 34
/// digits is negated through a 34-digit context, and rounding 38 nines up overflows.
fn negation_may_overflow(base: Base) -> bool {
    base.decimal().is_some_and(|p| p.precision > 34)
}
