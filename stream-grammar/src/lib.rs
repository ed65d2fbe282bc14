//! What Rill's `stream!` macro and its runtime must agree on, in one place: Spark's datetime
//! pattern grammar, its interval strings, its `LIKE` and number (`DecimalFormat`) patterns, its (Java) regular expressions, and the names Spark gives special columns. The macro
//! checks user literals with these at compile time; the runtime compiles the same patterns, so
//! a pattern the compiler accepted never fails at run time.
//!
//! Its dependencies are `regex-syntax` (to check regular expressions as the runtime's engine
//! will) and `chrono-tz` (time-zone names and rules), which the runtime needs anyway.

pub mod interval;
pub mod json_path;
pub mod like;
pub mod number_pattern;
pub mod pattern;
pub mod regex;
pub mod zone;

/// The name Spark gives the column that holds a malformed record's text (its default
/// `columnNameOfCorruptRecord`).
pub const CORRUPT_RECORD_COLUMN: &str = "_corrupt_record";

/// The unit `name` names for Spark's `date_trunc` and `trunc` (any case): `Some(true)` for a
/// unit finer than a week (only `date_trunc` takes it), `Some(false)` for a year, quarter,
/// month or week, `None` for no unit. The runtime's `TruncUnit::parse` reads the same names.
///
/// ```
/// assert_eq!(stream_grammar::trunc_unit("mon"), Some(false));
/// assert_eq!(stream_grammar::trunc_unit("HOUR"), Some(true));
/// assert_eq!(stream_grammar::trunc_unit("fortnight"), None);
/// ```
#[must_use]
pub fn trunc_unit(name: &str) -> Option<bool> {
    match name.to_ascii_uppercase().as_str() {
        "YEAR" | "YYYY" | "YY" | "QUARTER" | "MONTH" | "MM" | "MON" | "WEEK" => Some(false),
        "DAY" | "DD" | "HOUR" | "MINUTE" | "SECOND" | "MILLISECOND" | "MICROSECOND" => Some(true),
        _ => None,
    }
}

/// The most register bits Rill's `approx_count_distinct` keeps: a group's sketch is `2^bits`
/// bytes.
pub const HLL_MAX_PRECISION: u8 = 24;

/// The register bits of `approx_count_distinct(x, rsd)`, as Spark derives them from the
/// relative standard deviation asked for: `ceil(2 * log2(1.106 / rsd))`. `None` below 4 bits
/// (Spark refuses an error above 39%), above [`HLL_MAX_PRECISION`], or when `rsd` is not a
/// positive number.
///
/// ```
/// assert_eq!(stream_grammar::hll_precision(0.05), Some(9)); // Spark's default
/// assert_eq!(stream_grammar::hll_precision(0.01), Some(14));
/// assert_eq!(stream_grammar::hll_precision(0.5), None);
/// ```
#[must_use]
pub fn hll_precision(relative_sd: f64) -> Option<u8> {
    if relative_sd.is_nan() || relative_sd <= 0.0 {
        return None;
    }
    let bits = (2.0 * (1.106 / relative_sd).ln() / 2.0_f64.ln()).ceil();
    if (4.0..=f64::from(HLL_MAX_PRECISION)).contains(&bits) {
        // In 4..=24, so the cast is exact.
        Some(bits as u8)
    } else {
        None
    }
}
