//! What Rill's `stream!` macro and its runtime must agree on, in one place: Spark's datetime
//! pattern grammar, its interval strings, its `LIKE` and number (`DecimalFormat`) patterns, its (Java) regular expressions, and the names Spark gives special columns. The macro
//! checks user literals with these at compile time; the runtime compiles the same patterns, so
//! a pattern the compiler accepted never fails at run time.
//!
//! Its dependencies are `regex-syntax` (to check regular expressions as the runtime's engine
//! will) and `chrono-tz` (time-zone names and rules), which the runtime needs anyway.

pub mod interval;
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
