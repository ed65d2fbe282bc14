//! Spark's interval strings: `"10 minutes"`, `"1 hour 30 minutes"`, `"interval 2 days"`.
//!
//! ```
//! use stream_grammar::interval::{CalendarInterval, parse, parse_calendar};
//! assert_eq!(parse("1 hour 30 minutes"), Ok(5_400_000_000));
//! assert_eq!(
//!     parse_calendar("1 year 2 months 3 days 1 hour"),
//!     Ok(CalendarInterval { months: 14, days: 3, micros: 3_600_000_000 })
//! );
//! ```

use std::fmt;

/// Each unit's length in microseconds (a unit may be plural).
const UNITS: [(&str, i64); 7] = [
    ("microsecond", 1),
    ("millisecond", 1_000),
    ("second", 1_000_000),
    ("minute", 60_000_000),
    ("hour", 3_600_000_000),
    ("day", 86_400_000_000),
    ("week", 604_800_000_000),
];

/// What is wrong with an interval string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntervalError {
    /// Not pairs of a number and a unit.
    Shape,
    /// An amount that is not a whole number.
    NotANumber(String),
    /// Months or years: no fixed length.
    VariableLength(String),
    /// A unit that is not one of Spark's.
    UnknownUnit(String),
    /// More microseconds than an `i64` holds.
    TooLong,
}

impl fmt::Display for IntervalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shape => f.write_str("expected a number and a unit"),
            Self::NotANumber(amount) => write!(f, "`{amount}` is not a whole number"),
            Self::VariableLength(unit) => write!(f, "{unit}s have no fixed length"),
            Self::UnknownUnit(unit) => write!(f, "unknown unit `{unit}`"),
            Self::TooLong => f.write_str("too long"),
        }
    }
}

impl std::error::Error for IntervalError {}

/// The words of `text` after an optional leading `interval`: pairs of an amount and a unit.
fn amounts_and_units(text: &str) -> Result<Vec<&str>, IntervalError> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|first| first.eq_ignore_ascii_case("interval"))
    {
        words.remove(0);
    }
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(IntervalError::Shape);
    }
    Ok(words)
}

/// The interval `text` in microseconds.
///
/// # Errors
/// When `text` is not pairs of a whole number and a fixed-length unit, or is too long.
pub fn parse(text: &str) -> Result<i64, IntervalError> {
    let words = amounts_and_units(text)?;
    let mut total: i64 = 0;
    for pair in words.chunks(2) {
        let amount: i64 = pair[0]
            .parse()
            .map_err(|_| IntervalError::NotANumber(pair[0].to_owned()))?;
        let unit = pair[1].to_ascii_lowercase();
        let singular = unit.strip_suffix('s').unwrap_or(&unit);
        if matches!(singular, "month" | "year") {
            return Err(IntervalError::VariableLength(singular.to_owned()));
        }
        let Some((_, micros)) = UNITS.iter().find(|(name, _)| *name == singular) else {
            return Err(IntervalError::UnknownUnit(pair[1].to_owned()));
        };
        total = amount
            .checked_mul(*micros)
            .and_then(|m| total.checked_add(m))
            .ok_or(IntervalError::TooLong)?;
    }
    Ok(total)
}

/// An interval as Spark adds it to a timestamp: months first (clamped to the month's end), then
/// days, then microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CalendarInterval {
    /// Months (a year is twelve).
    pub months: i32,
    /// Days (a week is seven).
    pub days: i32,
    /// Hours and smaller units, in microseconds.
    pub micros: i64,
}

/// The interval `text`, in Spark's calendar parts: `"1 month"`, `"2 years 3 days"`,
/// `"30 minutes"`.
///
/// # Errors
/// When `text` is not pairs of a whole number and one of Spark's units, or a part overflows.
pub fn parse_calendar(text: &str) -> Result<CalendarInterval, IntervalError> {
    let words = amounts_and_units(text)?;
    let mut interval = CalendarInterval::default();
    for pair in words.chunks(2) {
        let amount: i64 = pair[0]
            .parse()
            .map_err(|_| IntervalError::NotANumber(pair[0].to_owned()))?;
        let unit = pair[1].to_ascii_lowercase();
        let singular = unit.strip_suffix('s').unwrap_or(&unit);
        let add = |total: i32, scale: i64| {
            amount
                .checked_mul(scale)
                .and_then(|amount| i64::from(total).checked_add(amount))
                .and_then(|sum| i32::try_from(sum).ok())
                .ok_or(IntervalError::TooLong)
        };
        match singular {
            "year" => interval.months = add(interval.months, 12)?,
            "month" => interval.months = add(interval.months, 1)?,
            "week" => interval.days = add(interval.days, 7)?,
            "day" => interval.days = add(interval.days, 1)?,
            _ => {
                let Some((_, micros)) = UNITS.iter().find(|(name, _)| *name == singular) else {
                    return Err(IntervalError::UnknownUnit(pair[1].to_owned()));
                };
                interval.micros = amount
                    .checked_mul(*micros)
                    .and_then(|m| interval.micros.checked_add(m))
                    .ok_or(IntervalError::TooLong)?;
            }
        }
    }
    Ok(interval)
}
