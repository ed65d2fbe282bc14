//! The intermediate representation every stage after parsing shares, and nothing else: data
//! types with accessors, no checking, planning or code generation.
//!
//! - The typed query ([`TypedQuery`]), which the type checker produces: the logical plan. Every
//!   value a query computes is a variable ([`VarId`]): the input columns come first, then one
//!   variable per computed column. Expressions refer to variables, never to names, so later
//!   stages need no scoping rules.
//! - The physical plan ([`Plan`]), which the planner makes of it: live variables, the columns to
//!   decode, filters pushed into the decoder, the stateful operator, the output modes, the plan
//!   text. Code generation only spells it out.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::Ident;

use crate::parse::{BinaryOp, UnaryOp};
use crate::types::{Base, ColType, Precision};

pub(crate) type VarId = usize;

/// A variable's name (for explain text and generated field names) and type.
pub(crate) struct Var {
    pub(crate) name: String,
    pub(crate) ty: ColType,
}

/// A literal with its checked value.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum LitValue {
    Str(String),
    I32(i32),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// `1.50bd`: the unscaled value and the literal's own precision and scale.
    Decimal(i128, Precision),
}

/// A scalar function.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Func {
    Round,
    ToTimestamp,
    ToDate,
    Lower,
    Upper,
    Concat,
    Length,
    Abs,
    Coalesce,
    DateFormat,
    Hour,
    Minute,
    Second,
    DayOfWeek,
    Year,
    Month,
    DayOfMonth,
    /// `when(c1, v1).when(c2, v2)..[.otherwise(v)]`: arguments `c1, v1, c2, v2, .., [v]`.
    Case {
        otherwise: bool,
    },
    /// `nullif(a, b)`: null when `a` equals `b`, else `a`.
    NullIf,
    Greatest,
    Least,
    /// `x.isin(a, b, ..)`: arguments `x, a, b, ..`.
    IsIn,
    /// `x.like("pattern")`: the pattern is a string literal.
    Like,
    /// `x.ilike("pattern")`: `like`, ignoring case (both sides lowercased, as Spark does).
    ILike,
    /// `is_nan(x)`: false for null.
    IsNan,
    /// `nanvl(a, b)`: `b` where `a` is NaN.
    NanVl,
    StartsWith,
    EndsWith,
    Contains,
    /// A function typed by its [`signature`] alone.
    Plain(Plain),
    /// `concat_ws(separator, parts..)`: null parts skipped.
    ConcatWs,
    Pmod,
    BRound,
    /// `cast(x, "type")`.
    Cast {
        to: Base,
    },
    /// `date_trunc("unit", ts)`: the unit a literal; the arguments reordered to `ts, unit`.
    DateTrunc,
    /// `trunc(date, "unit")`: the unit a literal.
    TruncDate,
    /// `from_unixtime(seconds[, "pattern"])`.
    FromUnixtime,
    /// A regular-expression function: the text, then the pattern (a literal), then the
    /// function's other literal (`regexp_extract`'s group, `regexp_replace`'s replacement).
    Regex(RegexFunc),
    /// `sha2(text, bits)`: the bit length a literal.
    Sha2,
    /// `hash(a, b, ..)`: Spark's Murmur3, folded over the arguments.
    Hash,
    /// `xxhash64(a, b, ..)`.
    XxHash64,
    /// `value + interval("..")` (or `-`, negated): a timestamp, or a date when the interval
    /// has whole days only.
    AddInterval {
        months: i32,
        days: i32,
        micros: i64,
    },
    /// `months_between(end, start[, round_off])`: `round_off` a literal.
    MonthsBetween {
        round_off: bool,
    },
    /// `format_number(x, "pattern")`: a `DecimalFormat` pattern, a literal.
    FormatPattern,
    /// `current_timestamp()`: the micro-batch's timestamp, the same for all its rows.
    CurrentTimestamp,
    /// `current_date()`: the micro-batch's date.
    CurrentDate,
    /// `split(text, "pattern"[, limit])[index]` (`one_based: false`), or
    /// `element_at(split(..), index)`: arguments text, pattern, limit, index.
    SplitElement {
        one_based: bool,
    },
    /// `size(split(text, "pattern"[, limit]))`: arguments text, pattern, limit.
    SplitSize,
    /// `from_utc_timestamp(ts, "zone")` (`to_utc: false`) or `to_utc_timestamp`: the zone a
    /// literal.
    ShiftZone {
        to_utc: bool,
    },
    /// `window(ts, size[, size, offset])` outside a grouping: the one tumbling window holding
    /// `ts` (a join key), in microseconds.
    TumblingWindow {
        size: i64,
        offset: i64,
    },
    /// A function of arrays.
    Array(ArrayFunc),
    /// `from_json(text, Schema)`: the struct type is the call's.
    FromJson,
    /// `struct(a, name = b, ..)`: a struct of the arguments, its type the call's.
    MakeStruct,
    /// `to_json(value)`: Spark's JSON text of a struct, an array or a map.
    ToJson,
    /// `get_json_object(text, "$.path")`: the path a literal.
    GetJsonObject,
    /// `json_tuple(text, "name", ..)`: an array of the named members' values (the names
    /// literals), which a `select` spreads into columns `c0`, `c1`, ...
    JsonTuple,
}

/// A function that makes, reads or reshapes an array.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ArrayFunc {
    /// `split(text, "pattern"[, limit])`: arguments text, pattern, limit.
    Split,
    /// `array[index]` (`one_based: false`) or `element_at(array, index)`: null when there is no
    /// such element (where Spark's ANSI mode fails).
    Element { one_based: bool },
    /// `size(array)`.
    Size,
    /// `array_contains(array, value)`.
    Contains,
    /// `array_distinct(array)`: the first of equal elements, in order.
    Distinct,
    /// `sort_array(array[, ascending])`: nulls first when ascending, last when not.
    Sort { ascending: bool },
    /// `array(a, b, ..)`.
    Make,
    /// `map[key]` / `element_at(map, key)`: null when the key is not there.
    MapLookup,
    /// `map_keys(map)`.
    MapKeys,
    /// `map_values(map)`.
    MapValues,
    /// `flatten(arrays)`: the arrays' elements in one array.
    Flatten,
}

impl ArrayFunc {
    /// The name a query calls the function by.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Split => "split",
            Self::Element { one_based: false } => "get",
            Self::Element { one_based: true } => "element_at",
            Self::Size => "size",
            Self::Contains => "array_contains",
            Self::Distinct => "array_distinct",
            Self::Sort { .. } => "sort_array",
            Self::Make => "array",
            Self::MapLookup => "get_map_value",
            Self::MapKeys => "map_keys",
            Self::MapValues => "map_values",
            Self::Flatten => "flatten",
        }
    }
}

/// A regular-expression function (Java patterns, as Spark).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RegexFunc {
    /// `regexp_extract(text, pattern[, group])`.
    Extract,
    /// `regexp_replace(text, pattern, replacement)`.
    Replace,
    /// `rlike` / `regexp_like` / `regexp`.
    Like,
    /// `regexp_count(text, pattern)`.
    Count,
    /// `regexp_substr(text, pattern)`.
    Substr,
}

/// Whether Spark can cast a `from` value to `to` (the casts Rill generates code for).
pub(crate) fn can_cast(from: Base, to: Base) -> bool {
    use Base::{Bool, Date, Str, Timestamp};
    match (from, to) {
        (Base::Window, _) | (_, Base::Window) => false,
        _ if from == to => true,
        (Str, _) => true,
        _ if from.is_numeric() => to.is_numeric() || matches!(to, Str | Bool | Timestamp),
        (Bool, _) => to.is_numeric() || to == Str,
        (Timestamp, _) => to.is_numeric() || matches!(to, Str | Date),
        (Date, Str | Timestamp) => true,
        _ => false,
    }
}

/// Whether a cast from `from` to `to` may give null for a present value: text that does not
/// parse, a double that is not finite as a timestamp.
pub(crate) fn cast_may_fail(from: Base, to: Base) -> bool {
    if let Base::Decimal(to) = to {
        // Null when the value does not fit (or is NaN or infinite).
        return match from {
            Base::Bool => to.integer_digits() == 0,
            _ => !Precision::of_integer(from).is_some_and(|from| from.fits_in(to)),
        };
    }
    (from == Base::Str && to != Base::Str) || (from.is_float() && to == Base::Timestamp)
}

/// Spark's name of a type in `cast(x, "type")`, and the type.
pub(crate) const CAST_TYPES: [(&str, Base); 16] = [
    ("tinyint", Base::I8),
    ("byte", Base::I8),
    ("smallint", Base::I16),
    ("short", Base::I16),
    ("int", Base::I32),
    ("integer", Base::I32),
    ("bigint", Base::I64),
    ("long", Base::I64),
    ("float", Base::F32),
    ("real", Base::F32),
    ("double", Base::F64),
    ("string", Base::Str),
    ("boolean", Base::Bool),
    ("bool", Base::Bool),
    ("timestamp", Base::Timestamp),
    ("date", Base::Date),
];

/// What an argument of a plain function must be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// A string.
    Text,
    /// An `i32` or `i64`.
    Integer,
    /// Any number (an integer is widened to `f64`).
    Number,
    /// A date, or a timestamp's date (Spark casts it).
    Day,
    /// A timestamp, or a date's midnight (Spark casts it).
    Time,
}

/// A function whose [`signature`] says all the type checker and code generator need.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Plain {
    Substring,
    Trim,
    LTrim,
    RTrim,
    LPad,
    RPad,
    Replace,
    Reverse,
    Repeat,
    InitCap,
    Instr,
    Locate,
    Translate,
    SplitPart,
    SubstringIndex,
    Floor,
    Ceil,
    Sqrt,
    Exp,
    Ln,
    Log10,
    Log2,
    /// `log(base, x)`.
    Log,
    Pow,
    Signum,
    Div,
    TimestampSeconds,
    TimestampMillis,
    TimestampMicros,
    /// `unix_timestamp(ts)`: seconds, rounded toward zero (unlike `unix_seconds`).
    UnixTimestamp,
    /// `unix_seconds(ts)`: seconds, rounded down.
    UnixSeconds,
    UnixMillis,
    UnixMicros,
    UnixDate,
    DateAdd,
    DateSub,
    DateDiff,
    AddMonths,
    LastDay,
    DayOfYear,
    Quarter,
    WeekOfYear,
    Weekday,
    MakeDate,
    Md5,
    Sha1,
    Crc32,
    /// `format_number(x, decimals)`.
    FormatNumber,
}

/// The parameters of a plain function (the last `optional` of them may be left out), its
/// result type, and whether it may give null for present arguments.
pub(crate) fn signature(func: Plain) -> (&'static [Param], usize, Base, bool) {
    use Param::{Day, Integer, Number, Text, Time};
    match func {
        Plain::Substring => (&[Text, Integer, Integer], 1, Base::Str, false),
        Plain::Trim | Plain::LTrim | Plain::RTrim | Plain::Reverse | Plain::InitCap => (&[Text], 0, Base::Str, false),
        Plain::LPad | Plain::RPad => (&[Text, Integer, Text], 1, Base::Str, false),
        Plain::Replace => (&[Text, Text, Text], 1, Base::Str, false),
        Plain::Repeat => (&[Text, Integer], 0, Base::Str, false),
        Plain::Instr => (&[Text, Text], 0, Base::I32, false),
        Plain::Locate => (&[Text, Text, Integer], 1, Base::I32, false),
        Plain::Translate => (&[Text, Text, Text], 0, Base::Str, false),
        // Spark refuses a part number 0: null here.
        Plain::SplitPart => (&[Text, Text, Integer], 0, Base::Str, true),
        Plain::SubstringIndex => (&[Text, Text, Integer], 0, Base::Str, false),
        Plain::Floor | Plain::Ceil => (&[Number], 0, Base::I64, false),
        Plain::Sqrt | Plain::Exp | Plain::Signum => (&[Number], 0, Base::F64, false),
        // Null for arguments ≤ 0.
        Plain::Ln | Plain::Log10 | Plain::Log2 => (&[Number], 0, Base::F64, true),
        Plain::Log => (&[Number, Number], 0, Base::F64, true),
        Plain::Pow => (&[Number, Number], 0, Base::F64, false),
        Plain::Div => (&[Integer, Integer], 0, Base::I64, true),
        // Null when the microseconds do not fit (Spark fails the query).
        Plain::TimestampSeconds => (&[Number], 0, Base::Timestamp, true),
        Plain::TimestampMillis => (&[Integer], 0, Base::Timestamp, true),
        Plain::TimestampMicros => (&[Integer], 0, Base::Timestamp, false),
        Plain::UnixTimestamp | Plain::UnixSeconds | Plain::UnixMillis | Plain::UnixMicros => {
            (&[Time], 0, Base::I64, false)
        }
        Plain::UnixDate | Plain::DayOfYear | Plain::Quarter | Plain::WeekOfYear | Plain::Weekday => {
            (&[Day], 0, Base::I32, false)
        }
        Plain::DateDiff => (&[Day, Day], 0, Base::I32, false),
        // Null out of the calendar's range (Spark fails the query).
        Plain::DateAdd | Plain::DateSub | Plain::AddMonths => (&[Day, Integer], 0, Base::Date, true),
        Plain::LastDay => (&[Day], 0, Base::Date, true),
        // Null for a date that does not exist.
        Plain::MakeDate => (&[Integer, Integer, Integer], 0, Base::Date, true),
        Plain::Md5 | Plain::Sha1 => (&[Text], 0, Base::Str, false),
        Plain::Crc32 => (&[Text], 0, Base::I64, false),
        // Null for a negative number of decimals.
        Plain::FormatNumber => (&[Number, Integer], 0, Base::Str, true),
    }
}

/// An aggregate function.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AggFunc {
    CountAll,
    Count,
    Sum,
    Avg,
    /// Also `bool_and` / `every`, as in Spark.
    Min,
    /// Also `bool_or` / `some` / `any`, as in Spark.
    Max,
    /// A statistic of one column's central moments (`stddev`, `variance`, ...).
    Moment(Moment),
    /// A statistic of two columns' co-moments (`corr`, `covar_samp`, `covar_pop`).
    CoMoment(CoMoment),
    First {
        ignore_nulls: bool,
    },
    Last {
        ignore_nulls: bool,
    },
    /// `max_by(value, ordering)`: the ordering is the accumulator's `second` argument.
    MaxBy,
    MinBy,
    /// HyperLogLog++ with `2^precision` registers.
    ApproxCountDistinct {
        precision: u8,
    },
    /// `percentile(x, percentage)` and `median(x)`: exact, from a count per distinct value.
    ExactPercentile {
        percentage_bits: u64,
    },
    /// `count_if(condition)`: the rows where the condition is true.
    CountIf,
    /// `bit_and`, `bit_or`, `bit_xor` of integers.
    Bits(BitOp),
    /// `percentile_approx` at one percentage (its bits: `f64` is not `Eq`) with relative error
    /// `1 / accuracy`.
    Percentile {
        percentage_bits: u64,
        accuracy: u32,
    },
    /// `collect_list` (`distinct: false`) or `collect_set`: the non-null values as an array.
    Collect {
        distinct: bool,
    },
}

/// What `AggFunc::Moment` finishes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Moment {
    StddevSamp,
    StddevPop,
    VarSamp,
    VarPop,
    /// Needs the third and fourth moments too.
    Skewness,
    Kurtosis,
}

impl Moment {
    /// Whether the statistic needs moments above the second.
    pub(crate) fn higher(self) -> bool {
        matches!(self, Self::Skewness | Self::Kurtosis)
    }
}

/// The operation of `AggFunc::Bits`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BitOp {
    And,
    Or,
    Xor,
}

/// What `AggFunc::CoMoment` finishes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CoMoment {
    Corr,
    CovarSamp,
    CovarPop,
}

impl AggFunc {
    /// Spark's name of the function (an alias's canonical one).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::CountAll | Self::Count => "count",
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
            Self::Moment(Moment::StddevSamp) => "stddev_samp",
            Self::Moment(Moment::StddevPop) => "stddev_pop",
            Self::Moment(Moment::VarSamp) => "var_samp",
            Self::Moment(Moment::VarPop) => "var_pop",
            Self::Moment(Moment::Skewness) => "skewness",
            Self::Moment(Moment::Kurtosis) => "kurtosis",
            Self::CoMoment(CoMoment::Corr) => "corr",
            Self::CoMoment(CoMoment::CovarSamp) => "covar_samp",
            Self::CoMoment(CoMoment::CovarPop) => "covar_pop",
            Self::First { .. } => "first",
            Self::Last { .. } => "last",
            Self::MaxBy => "max_by",
            Self::MinBy => "min_by",
            Self::ApproxCountDistinct { .. } => "approx_count_distinct",
            Self::Percentile { .. } => "percentile_approx",
            Self::CountIf => "count_if",
            Self::ExactPercentile { .. } => "percentile",
            Self::Bits(BitOp::And) => "bit_and",
            Self::Bits(BitOp::Or) => "bit_or",
            Self::Bits(BitOp::Xor) => "bit_xor",
            Self::Collect { distinct: false } => "collect_list",
            Self::Collect { distinct: true } => "collect_set",
        }
    }

    /// Whether the result depends on the order in which a batch's partial result and the
    /// stored total are combined, so that a batch's rows must be aggregated apart and merged
    /// with the state as Spark does (`KeyedAggregate::upsert_rebased`).
    pub(crate) fn order_sensitive(self, ty: ColType) -> bool {
        match self {
            Self::Sum => matches!(ty.base, Base::F64 | Base::Decimal(_)),
            Self::Avg | Self::Moment(_) | Self::CoMoment(_) | Self::First { .. } | Self::Last { .. } => true,
            Self::MaxBy | Self::MinBy | Self::Percentile { .. } => true,
            Self::CountAll
            | Self::Count
            | Self::CountIf
            | Self::Min
            | Self::Max
            | Self::Bits(_)
            | Self::ExactPercentile { .. }
            | Self::ApproxCountDistinct { .. }
            // Rows append to the stored values in the order Spark's merge puts them.
            | Self::Collect { .. } => false,
        }
    }

    /// The literal arguments the function was written with, for `explain`: `ignore_nulls`,
    /// a percentile's percentage and accuracy.
    pub(crate) fn literal_arguments(self) -> Option<String> {
        match self {
            Self::First { ignore_nulls: true } | Self::Last { ignore_nulls: true } => Some("true".to_owned()),
            Self::Percentile {
                percentage_bits,
                accuracy,
            } => Some(format!("{:?}, {accuracy}", f64::from_bits(percentage_bits))),
            Self::ExactPercentile { percentage_bits } => Some(format!("{:?}", f64::from_bits(percentage_bits))),
            _ => None,
        }
    }

    /// Whether a batch's partial result changes on its way to the state even for a new group:
    /// Spark merges it into fresh buffers, which moves a mean's last bits, and compresses a
    /// quantile summary when it serializes it.
    pub(crate) fn settles(self) -> bool {
        matches!(self, Self::Moment(_) | Self::CoMoment(_) | Self::Percentile { .. })
    }
}

/// A typed expression.
#[derive(Clone)]
pub(crate) struct TExpr {
    pub(crate) kind: TExprKind,
    pub(crate) ty: ColType,
    pub(crate) span: Span,
}

#[derive(Clone)]
pub(crate) enum TExprKind {
    Var(VarId),
    Lit(LitValue),
    Call(Func, Vec<TExpr>),
    Binary(BinaryOp, Box<TExpr>, Box<TExpr>),
    Unary(UnaryOp, Box<TExpr>),
    /// Implicit numeric widening to `Base`.
    Widen(Base, Box<TExpr>),
    /// `is_null()` (`negated`: `is_not_null()`).
    IsNull {
        expr: Box<TExpr>,
        negated: bool,
    },
    /// The finished value of accumulator `n` (only in aggregate outputs).
    Accumulator(usize),
    /// `window.start`, `window.end` or `window_time(window)`.
    WindowField {
        expr: Box<TExpr>,
        part: WindowPart,
    },
    /// Field `index` of a struct.
    StructField {
        expr: Box<TExpr>,
        index: usize,
    },
}

impl TExpr {
    /// The expression and every expression inside it, outermost first.
    pub(crate) fn visit_exprs<'e>(&'e self, visit: &mut impl FnMut(&'e TExpr)) {
        visit(self);
        match &self.kind {
            TExprKind::Var(_) | TExprKind::Lit(_) | TExprKind::Accumulator(_) => {}
            TExprKind::Call(_, args) => args.iter().for_each(|a| a.visit_exprs(visit)),
            TExprKind::Binary(_, left, right) => {
                left.visit_exprs(visit);
                right.visit_exprs(visit);
            }
            TExprKind::Unary(_, inner)
            | TExprKind::Widen(_, inner)
            | TExprKind::IsNull { expr: inner, .. }
            | TExprKind::WindowField { expr: inner, .. }
            | TExprKind::StructField { expr: inner, .. } => inner.visit_exprs(visit),
        }
    }

    /// Every variable the expression reads.
    pub(crate) fn visit_vars(&self, visit: &mut impl FnMut(VarId)) {
        match &self.kind {
            TExprKind::Var(var) => visit(*var),
            TExprKind::Lit(_) | TExprKind::Accumulator(_) => {}
            TExprKind::Call(_, args) => args.iter().for_each(|a| a.visit_vars(visit)),
            TExprKind::Binary(_, left, right) => {
                left.visit_vars(visit);
                right.visit_vars(visit);
            }
            TExprKind::Unary(_, inner)
            | TExprKind::Widen(_, inner)
            | TExprKind::IsNull { expr: inner, .. }
            | TExprKind::WindowField { expr: inner, .. }
            | TExprKind::StructField { expr: inner, .. } => {
                inner.visit_vars(visit);
            }
        }
    }
}

/// A row-level step.
pub(crate) enum Step {
    /// Computes a new variable.
    Let { var: VarId, expr: TExpr },
    /// Keeps only rows where the condition is true.
    Filter { condition: TExpr },
    /// `with_watermark`: the rows reaching this point feed watermark `index` (the query's
    /// `index`th, in plan order) with their event time.
    Watermark { var: VarId, index: usize },
    /// `drop_duplicates` / `drop_duplicates_within_watermark`: only a key's first row passes.
    Dedup(Dedup),
    /// `join(table, key, .., "how")` with a static input: each row continues once per match.
    Join(StaticJoin),
    /// `join(other, condition, "how")` with another stream: the rows before it are the left
    /// side; the steps after it run on the joined rows.
    StreamJoin(Box<StreamJoin>),
    /// A generator (`explode`, `posexplode`, ..): the steps after it run once per element.
    Generate(Generate),
}

/// `explode(array)` and its forms: one row per element of the array.
pub(crate) struct Generate {
    /// The array (non-array generators are not supported).
    pub(crate) array: TExpr,
    /// The variable bound to each element.
    pub(crate) element: VarId,
    /// The variable bound to each element's 0-based position (`posexplode`).
    pub(crate) position: Option<VarId>,
    /// `explode_outer`: a null or empty array still gives one row, of nulls.
    pub(crate) outer: bool,
}

impl Generate {
    /// The function as a query calls it.
    pub(crate) fn name(&self) -> &'static str {
        match (self.position.is_some(), self.outer) {
            (false, false) => "explode",
            (false, true) => "explode_outer",
            (true, false) => "posexplode",
            (true, true) => "posexplode_outer",
        }
    }
}

/// How a stream–stream join keeps rows (Spark's `how` for two streams).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum StreamJoinKind {
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
}

impl StreamJoinKind {
    /// Whether the left side's rows are kept without a match (it is not the nullable side).
    pub(crate) fn preserves_left(self) -> bool {
        matches!(self, Self::LeftOuter | Self::FullOuter)
    }

    /// Whether the right side's rows are kept without a match.
    pub(crate) fn preserves_right(self) -> bool {
        matches!(self, Self::RightOuter | Self::FullOuter)
    }

    /// Spark's name for it, as `explain` prints it.
    pub(crate) fn spark_name(self) -> &'static str {
        match self {
            Self::Inner => "Inner",
            Self::LeftOuter => "LeftOuter",
            Self::RightOuter => "RightOuter",
            Self::FullOuter => "FullOuter",
            Self::LeftSemi => "LeftSemi",
        }
    }
}

/// When one side of a stream–stream join lets its buffered rows go (the runtime's `Eviction`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum JoinEviction {
    /// Never: the state of this side grows without bound.
    Never,
    /// When `var` (a join key holding a watermarked event time, or a window over one: its end)
    /// is at or before the watermark.
    AtWatermark { var: VarId },
    /// When `var` (the side's watermarked column) is at or before the state value watermark
    /// these bounds give: `(offset in microseconds, inclusive)` each.
    Bounded { var: VarId, bounds: Vec<(i64, bool)> },
}

/// One side of a stream–stream join, as it reaches the join.
pub(crate) struct JoinSide {
    /// The side's columns: their names and the variables holding them before the join.
    pub(crate) columns: Vec<(Ident, VarId)>,
    /// The variable each column is bound to after the join (null-able when the join may emit
    /// this side as nulls); none for the right side of a semi join.
    pub(crate) outputs: Vec<VarId>,
    /// The side's watermarked event time, if it has a watermark: its rows at or before the
    /// previous batch's watermark are dropped as late before the join.
    pub(crate) watermark: Option<VarId>,
    pub(crate) eviction: JoinEviction,
    /// Conditions on this side's columns alone that a row of a preserved side must meet to
    /// be joined at all; a row failing them is emitted with nulls at once, as Spark's
    /// pre-join filter.
    pub(crate) pre_filters: Vec<TExpr>,
}

/// A join of the stream with another stream input.
pub(crate) struct StreamJoin {
    /// Index into [`TypedQuery::inputs`] of the right side's input.
    pub(crate) right_input: usize,
    /// The right input's columns as variables, by index in its schema.
    pub(crate) right_input_vars: Vec<VarId>,
    /// The right side's steps before the join (its watermark, filters, computed keys).
    pub(crate) right_steps: Vec<Step>,
    pub(crate) left: JoinSide,
    pub(crate) right: JoinSide,
    /// The key variables of each side, pairwise equal.
    pub(crate) keys: Vec<(VarId, VarId)>,
    /// The rest of the condition, over both sides' variables.
    pub(crate) condition: Option<TExpr>,
    pub(crate) kind: StreamJoinKind,
}

/// How a stream–static join keeps rows (Spark's `how`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum JoinKind {
    /// A row for each match; a row without one is dropped.
    Inner,
    /// A row for each match, or one with the table's columns null.
    LeftOuter,
    /// The row, once, if it has a match (no column of the table).
    LeftSemi,
    /// The row if it has no match.
    LeftAnti,
}

/// A join of the stream with static input `table` on equal keys.
pub(crate) struct StaticJoin {
    /// The join's number among the query's joins (each has its own index of the table).
    pub(crate) index: usize,
    /// Index into [`TypedQuery::statics`].
    pub(crate) table: usize,
    /// The stream's key variable and the table's key field (by index), pairwise equal.
    pub(crate) keys: Vec<(VarId, usize)>,
    /// Variables bound to the matched row's fields (by index): null-able in a left outer join.
    pub(crate) columns: Vec<(VarId, usize)>,
    pub(crate) kind: JoinKind,
}

/// A stream input of a query: its schema, and which of the schema's columns make each of the
/// union's columns (the identity for the union's own schema).
pub(crate) struct UnionInput {
    pub(crate) name: Ident,
    pub(crate) schema: Ident,
    pub(crate) columns: Vec<usize>,
}

/// A static input of a query: its name, its schema and the schema's columns.
pub(crate) struct StaticInput {
    pub(crate) name: Ident,
    pub(crate) schema: Ident,
    pub(crate) fields: Vec<(Ident, ColType)>,
}

/// A deduplication step.
pub(crate) struct Dedup {
    pub(crate) keys: Vec<VarId>,
    /// The watermarked event time, when the stream still has it: rows at or before the
    /// previous batch's watermark are dropped, whatever the keys (as Spark does).
    pub(crate) event_time: Option<VarId>,
    /// Whether the watermark bounds the state: the event time is one of the keys of
    /// `drop_duplicates`, or `drop_duplicates_within_watermark`. Otherwise keys are kept
    /// forever, as in Spark.
    pub(crate) forgets_keys: bool,
    /// `drop_duplicates_within_watermark`: a key is remembered until its first event time plus
    /// the watermark delay passes the watermark.
    pub(crate) within_watermark: bool,
}

/// One accumulator of an aggregation.
pub(crate) struct Accumulator {
    pub(crate) func: AggFunc,
    /// The aggregated expression (over pre-aggregation variables); `None` for `count()`.
    pub(crate) arg: Option<TExpr>,
    /// The second argument: `corr`'s `y`, `max_by`'s ordering.
    pub(crate) second: Option<TExpr>,
    /// Type of the finished value.
    pub(crate) ty: ColType,
}

/// A `window(ts, size, slide, offset)` grouping key; durations in microseconds.
pub(crate) struct WindowKey {
    /// The key variable, one value per window a row falls in.
    pub(crate) key: VarId,
    /// The timestamp the windows are assigned from.
    pub(crate) ts: VarId,
    pub(crate) size: i64,
    pub(crate) slide: i64,
    pub(crate) offset: i64,
}

/// A `session_window(ts, gap)` grouping key; the gap in microseconds.
pub(crate) struct SessionKey {
    /// The key variable, the session holding the row.
    pub(crate) key: VarId,
    /// The timestamp that opens or extends a session.
    pub(crate) ts: VarId,
    /// The gap, when it is a literal.
    pub(crate) gap: i64,
    /// The text column holding each row's gap, when it is computed per row (Spark's dynamic
    /// gap); `gap` is then unused.
    pub(crate) gap_per_row: Option<VarId>,
}

/// `group_by(keys).agg(outputs)`.
pub(crate) struct Aggregate {
    /// The `window(..)` key, if any.
    pub(crate) window: Option<WindowKey>,
    /// The `session_window(..)` key, if any.
    pub(crate) session: Option<SessionKey>,
    /// Index into `keys` of the event-time key: the watermarked column or a window over it.
    pub(crate) event_time_key: Option<usize>,
    /// Key variables, before the aggregation.
    pub(crate) keys: Vec<VarId>,
    /// The same keys as variables after the aggregation.
    pub(crate) key_outputs: Vec<VarId>,
    pub(crate) accumulators: Vec<Accumulator>,
    /// Aggregate output variables and their expressions over accumulators and key outputs.
    pub(crate) outputs: Vec<(VarId, TExpr)>,
}

/// A type-checked query.
pub(crate) struct TypedQuery {
    pub(crate) name: Ident,
    pub(crate) attrs: Vec<syn::Attribute>,
    /// The query's stream inputs in the order of its signature (`raw` in `query Q(raw: Event)`),
    /// each read from its own source; with several, the body is their union.
    pub(crate) inputs: Vec<UnionInput>,
    /// The schema of the union's columns (the body's first input's).
    pub(crate) schema: Ident,
    /// The static inputs (`users: static User`), in the order of the signature.
    pub(crate) statics: Vec<StaticInput>,
    /// Every input's name, streams and static ones, in the order of the signature.
    pub(crate) signature: Vec<Ident>,
    /// Number of input columns (variables `0..num_input_columns`).
    pub(crate) num_input_columns: usize,
    pub(crate) vars: Vec<Var>,
    pub(crate) pre: Vec<Step>,
    pub(crate) aggregate: Option<Aggregate>,
    pub(crate) post: Vec<Step>,
    /// Output columns, in order.
    pub(crate) outputs: Vec<(Ident, VarId)>,
    /// `with_watermark(column, delay)`: the column's variable and the delay in microseconds —
    /// the one in force where the query's stateful operation runs.
    pub(crate) watermark: Option<(VarId, i64)>,
    /// Every `with_watermark` of the query (one per input of a stream–stream join), in plan
    /// order: the column's variable and the delay.
    pub(crate) watermarks: Vec<(VarId, i64)>,
    /// `keep_late_rows()`: the columns of a late row (the stream as it reaches the stateful
    /// operation).
    pub(crate) late_rows: Option<Vec<(Ident, VarId)>>,
    /// `order_by(..)` of the result table, by output column.
    pub(crate) order_by: Vec<OrderKey>,
    /// `limit(n)` of the result table.
    pub(crate) limit: Option<usize>,
    /// The schemas `from_json` reads.
    pub(crate) json_schemas: Vec<String>,
    /// `group_by(..).transform_with_state(..)`: the query's last operation.
    pub(crate) transform: Option<Transform>,
    /// The stage before this one in a chain of stateful operators (Spark chains them since
    /// 3.4): its output rows are this query's one input, and its operator's output watermark
    /// is this one's.
    pub(crate) upstream: Option<Box<TypedQuery>>,
    /// The input columns that carry the upstream's watermark, in a chained stage: the event
    /// time of its window or key, the time columns of a join. Empty otherwise.
    pub(crate) inherited_event_times: Vec<VarId>,
}

impl TypedQuery {
    /// The name of the hidden plan type of a chained query's stage that reads the upstream's
    /// rows (the query's own name is the chain's, which users see).
    pub(crate) fn downstream_type(&self) -> Ident {
        quote::format_ident!("__stream_{}_Downstream", self.name)
    }
}

/// `group_by(keys).transform_with_state(Processor, time_mode, input = In, output = Out)`: a
/// user's `StatefulProcessor` run per key (the runtime's `TransformWithState`).
pub(crate) struct Transform {
    /// The grouping columns.
    pub(crate) keys: Vec<VarId>,
    /// The processor's type (made with `Default::default()`).
    pub(crate) processor: Ident,
    pub(crate) time_mode: TimeMode,
    /// The schema whose rows the processor reads, and the column each field is taken from.
    pub(crate) input: Ident,
    pub(crate) input_columns: Vec<(Ident, VarId)>,
    /// The schema whose rows it emits, and the variable each field is bound to for the
    /// stateless steps after it (`post`).
    pub(crate) output: Ident,
    pub(crate) output_columns: Vec<(Ident, VarId)>,
    /// The watermarked column, when rows before the watermark are dropped as late.
    pub(crate) event_time: Option<VarId>,
    /// `event_time = column`: the output column that carries the event time on (Spark's
    /// `eventTimeColumnName`), to an aggregation after the processor.
    pub(crate) output_event_time: Option<VarId>,
    /// `initial = table`: the static input whose rows are the initial state (by index in the
    /// query's statics), and its columns that hold the grouping key.
    pub(crate) initial: Option<(usize, Vec<Ident>)>,
    /// `flat_map_groups_with_state`: `processor` is a `GroupsFunction`, run by the runtime's
    /// `GroupsWithState` processor.
    pub(crate) groups: bool,
}

/// What a window value gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowPart {
    /// `window.start`.
    Start,
    /// `window.end`.
    End,
    /// `window_time(window)`: its last instant, `end` minus a microsecond (Spark's).
    Time,
}

/// The runtime's `TimeMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeMode {
    None,
    ProcessingTime,
    EventTime,
}

/// One `order_by` key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct OrderKey {
    /// The output column's index.
    pub(crate) column: usize,
    pub(crate) descending: bool,
    pub(crate) nulls_first: bool,
}

impl TypedQuery {
    /// The query's deduplication step, if it has one.
    pub(crate) fn dedup(&self) -> Option<&Dedup> {
        self.pre.iter().find_map(|step| match step {
            Step::Dedup(dedup) => Some(dedup),
            _ => None,
        })
    }

    /// The stream–static joins, in order.
    pub(crate) fn joins(&self) -> impl Iterator<Item = &StaticJoin> {
        self.pre.iter().filter_map(|step| match step {
            Step::Join(join) => Some(join),
            _ => None,
        })
    }

    /// The stream–stream join, if the query has one.
    pub(crate) fn stream_join(&self) -> Option<&StreamJoin> {
        self.pre.iter().find_map(|step| match step {
            Step::StreamJoin(join) => Some(&**join),
            _ => None,
        })
    }

    /// Whether the query keeps state across batches.
    pub(crate) fn is_stateful(&self) -> bool {
        self.aggregate.is_some() || self.dedup().is_some() || self.stream_join().is_some() || self.transform.is_some()
    }
}

/// A query ready for code generation.
pub(crate) struct Plan {
    pub(crate) query: TypedQuery,
    /// Variables whose values are needed.
    pub(crate) live: BTreeSet<VarId>,
    /// Input columns to decode, by index in the schema (= variable id), ascending.
    pub(crate) required_inputs: Vec<VarId>,
    /// Indices of the output columns that are aggregation keys.
    pub(crate) key_columns: Vec<usize>,
    pub(crate) modes: ModeSupport,
    /// The `pre` steps (filters) that also run inside the source's decoder.
    pub(crate) pushed_filters: Vec<usize>,
    /// The right steps of a stream–stream join (filters) that also run in its input's decoder.
    pub(crate) pushed_right_filters: Vec<usize>,
    /// The runtime operator holding the query's state, if any.
    pub(crate) operator: Option<StatefulOperator>,
    pub(crate) explain: String,
    pub(crate) fingerprint: u64,
    /// The plan of the stage before this one, in a chain of stateful operators.
    pub(crate) upstream: Option<Box<Plan>>,
}

/// Which output modes Spark accepts for the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModeSupport {
    pub(crate) append: bool,
    pub(crate) update: bool,
    pub(crate) complete: bool,
}

impl Plan {
    /// Whether a pre- or post-aggregation step is needed.
    pub(crate) fn step_is_live(&self, step: &Step) -> bool {
        match step {
            Step::Let { var, .. } => self.live.contains(var),
            Step::Filter { .. }
            | Step::Watermark { .. }
            | Step::Dedup(_)
            | Step::Join(_)
            | Step::StreamJoin(_)
            | Step::Generate(_) => true,
        }
    }
}

/// The runtime operator that holds a query's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatefulOperator {
    /// `KeyedAggregate`: grouped or windowed aggregation.
    Aggregate,
    /// `SessionAggregate`: sessions of `gap` microseconds; `watermarked` when late rows are
    /// dropped and sessions close.
    Session { gap: i64, watermarked: bool },
    /// `Deduplicate`, forgetting keys as `forget` says.
    Dedup { forget: Forget },
    /// `StreamJoin`: Spark's symmetric hash join of two streams.
    StreamJoin,
    /// `TransformWithState`: a user's stateful processor.
    Transform,
}

/// When a deduplication forgets a key (the runtime's `Forget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forget {
    Never,
    AtEventTime,
    AfterDelay(i64),
}
