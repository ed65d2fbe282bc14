//! `cast(x, "type")` between the column types, with Spark's non-ANSI results: a text that does
//! not parse gives null (the generated code counts it as an unparseable value), a number out of
//! range wraps or saturates as Java's conversions do, and nothing stops the query.
//!
//! The text forms are Spark's: text to a number is trimmed and may carry a sign and, for the
//! integer types, a fractional part that is dropped (`"1.5"` is 1); text to a boolean accepts
//! `t`, `true`, `y`, `yes`, `1` and their negatives in any case; a number to text prints as
//! Java does (`1.0E7`); a number of seconds becomes a timestamp.

use crate::functions::java_double_string;
use crate::types::{Date, Timestamp};

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Text to a 64-bit integer, as Spark's `UTF8String.toLong`: spaces around it ignored, an
/// optional sign, digits, and an optional `.` followed by digits that are dropped; `None` for
/// anything else, or a value out of range.
///
/// ```
/// use stream_core::cast::text_to_i64;
/// assert_eq!(text_to_i64(" 12 "), Some(12));
/// assert_eq!(text_to_i64("-1.9"), Some(-1));
/// assert_eq!(text_to_i64("1e3"), None);
/// assert_eq!(text_to_i64("9223372036854775808"), None);
/// ```
#[must_use]
pub fn text_to_i64(text: &str) -> Option<i64> {
    let text = trim_spaces(text);
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = 0;
    for digit in whole.bytes() {
        let digit = i64::from(digit - b'0');
        // Accumulated negatively, so that the smallest value fits.
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative { Some(value) } else { value.checked_neg() }
}

/// Text to a 32-bit integer, as [`text_to_i64`] within `i32`'s range.
///
/// ```
/// assert_eq!(stream_core::cast::text_to_i32("2147483648"), None);
/// assert_eq!(stream_core::cast::text_to_i32("+7"), Some(7));
/// ```
#[must_use]
pub fn text_to_i32(text: &str) -> Option<i32> {
    text_to_i64(text).and_then(|value| i32::try_from(value).ok())
}

/// Text to a smallint, as Spark casts it: as an int, null when out of the smallint's range.
#[must_use]
pub fn text_to_i16(text: &str) -> Option<i16> {
    text_to_i64(text).and_then(|value| i16::try_from(value).ok())
}

/// Text to a tinyint, as Spark casts it: as an int, null when out of the tinyint's range.
#[must_use]
pub fn text_to_i8(text: &str) -> Option<i8> {
    text_to_i64(text).and_then(|value| i8::try_from(value).ok())
}

/// Text to a float, as Java's `Float.parseFloat`: what [`text_to_f64`] reads, a plain decimal
/// rounded once, straight to the nearest float.
///
/// ```
/// use stream_core::cast::text_to_f32;
/// // Halfway between two floats as a double; just above it as written.
/// assert_eq!(text_to_f32("1.00000005960464477550"), Some(1.000_000_1));
/// assert_eq!(text_to_f32("3.4e39"), Some(f32::INFINITY));
/// assert_eq!(text_to_f32("0x1p3"), Some(8.0));
/// ```
#[must_use]
pub fn text_to_f32(text: &str) -> Option<f32> {
    let trimmed = trim_spaces(text);
    let plain_decimal = !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if plain_decimal && let Ok(value) = trimmed.parse() {
        return Some(value);
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "rounding to the nearest float is the point"
    )]
    text_to_f64(text).map(|value| value as f32)
}

/// Text to a double, as Java's `Double.parseDouble` after trimming (a `d` or `f` suffix and
/// hexadecimal `0x1p3` included), with Spark's special literals `inf`, `infinity` and `nan` in
/// any case and sign.
///
/// ```
/// use stream_core::cast::text_to_f64;
/// assert_eq!(text_to_f64("1e3"), Some(1000.0));
/// assert_eq!(text_to_f64("-Inf"), Some(f64::NEG_INFINITY));
/// assert_eq!(text_to_f64("abc"), None);
/// assert_eq!((text_to_f64("1d"), text_to_f64("0x1p3"), text_to_f64("0x1F")), (Some(1.0), Some(8.0), None));
/// assert!(text_to_f64("-0").is_some_and(|zero| zero.is_sign_negative()));
/// ```
#[must_use]
pub fn text_to_f64(text: &str) -> Option<f64> {
    let text = trim_spaces(text);
    let lower = text.to_ascii_lowercase();
    let (sign, unsigned) = match lower.as_bytes().first() {
        Some(b'-') => (-1.0, &lower[1..]),
        Some(b'+') => (1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    match unsigned {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    // Java also reads a type suffix (`1d`, `2.5f`) and hexadecimal with a binary exponent.
    let unsigned = unsigned.strip_suffix(['d', 'f']).unwrap_or(unsigned);
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return hex_to_f64(hex).map(|value| sign * value);
    }
    // Java's grammar: digits, a point, an exponent; Rust's parser also reads `inf` and `nan`
    // spelled other ways, which Java does not.
    let java_like = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        && unsigned.bytes().any(|b| b.is_ascii_digit());
    if !java_like {
        return None;
    }
    unsigned.parse::<f64>().ok().map(|value| sign * value)
}

/// Java's hexadecimal floating-point form after `0x`: hex digits with an optional point, then
/// a binary exponent `p±n`, which Java requires.
fn hex_to_f64(hex: &str) -> Option<f64> {
    let (digits, exponent) = hex.split_once('p')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut mantissa: f64 = 0.0;
    for digit in whole.chars().chain(fraction.chars()) {
        mantissa = mantissa * 16.0 + f64::from(digit.to_digit(16)?);
    }
    let fraction_bits = i32::try_from(fraction.len()).ok()?.checked_mul(4)?;
    Some(mantissa * 2f64.powi(exponent.checked_sub(fraction_bits)?))
}

/// Text to a boolean, as Spark: `t`, `true`, `y`, `yes`, `1` are true and `f`, `false`, `n`,
/// `no`, `0` false, in any case, spaces around ignored.
///
/// ```
/// use stream_core::cast::text_to_bool;
/// assert_eq!(text_to_bool(" YES "), Some(true));
/// assert_eq!(text_to_bool("0"), Some(false));
/// assert_eq!(text_to_bool("2"), None);
/// ```
#[must_use]
pub fn text_to_bool(text: &str) -> Option<bool> {
    match trim_spaces(text).to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A double as text, as Java prints it (Spark's cast): `1.0E7`, `NaN`, `-0.0`.
///
/// ```
/// assert_eq!(stream_core::cast::f64_to_text(1e7), "1.0E7");
/// ```
#[must_use]
pub fn f64_to_text(value: f64) -> String {
    java_double_string(value)
}

/// A double to a timestamp, read as seconds since the epoch: null for NaN and the infinities.
///
/// ```
/// use stream_core::cast::f64_to_timestamp;
/// assert_eq!(f64_to_timestamp(1.5).map(|t| t.micros()), Some(1_500_000));
/// assert_eq!(f64_to_timestamp(f64::NAN), None);
/// ```
#[must_use]
#[expect(
    clippy::cast_possible_truncation,
    reason = "Java's saturating double-to-long cast, as Spark"
)]
pub fn f64_to_timestamp(seconds: f64) -> Option<Timestamp> {
    seconds
        .is_finite()
        .then(|| Timestamp::from_micros((seconds * MICROS_PER_SECOND as f64) as i64))
}

/// An integer of seconds since the epoch to a timestamp (saturating).
///
/// ```
/// assert_eq!(stream_core::cast::seconds_to_timestamp(-1).micros(), -1_000_000);
/// ```
#[must_use]
pub fn seconds_to_timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_micros(seconds.saturating_mul(MICROS_PER_SECOND))
}

/// A timestamp to whole seconds since the epoch, rounded down.
///
/// ```
/// use stream_core::{Timestamp, cast::timestamp_to_seconds};
/// assert_eq!(timestamp_to_seconds(Timestamp::from_micros(-1)), -1);
/// ```
#[must_use]
pub fn timestamp_to_seconds(timestamp: Timestamp) -> i64 {
    timestamp.micros().div_euclid(MICROS_PER_SECOND)
}

/// A timestamp to seconds since the epoch, with its fraction.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "Spark divides the microseconds as a double")]
pub fn timestamp_to_f64(timestamp: Timestamp) -> f64 {
    timestamp.micros() as f64 / MICROS_PER_SECOND as f64
}

/// Text to a timestamp, as Spark's cast (and `to_timestamp` without a pattern).
#[must_use]
pub fn text_to_timestamp(text: &str) -> Option<Timestamp> {
    Timestamp::parse(trim_spaces(text))
}

/// Text to a date, as Spark's cast (and `to_date` without a pattern).
#[must_use]
pub fn text_to_date(text: &str) -> Option<Date> {
    Date::parse_prefix(trim_spaces(text))
}

/// `text` without the whitespace and control characters Spark's casts ignore around it.
fn trim_spaces(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}
