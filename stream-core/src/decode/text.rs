//! Typed readers for values given as text (the fields of a CSV row), as Spark's CSV reader
//! parses them. Each returns a [`Field`]: the value, null, or a mismatch naming what the
//! column needed.

use std::borrow::Cow;
use std::ops::Range;

use super::json::{Field, Mismatch};
use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// One field of a text record: its text (`None` for null) and its byte range in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextField<'a> {
    /// The field's text after unquoting; `None` when null (the null value, or absent).
    pub text: Option<Cow<'a, str>>,
    /// Where the field is in its record, for messages.
    pub span: Range<usize>,
}

impl TextField<'_> {
    /// A null field at `offset` (absent from the record).
    #[must_use]
    pub fn null(offset: usize) -> Self {
        Self {
            text: None,
            span: offset..offset,
        }
    }
}

fn parse_with<'a, T>(
    field: &'a TextField<'_>,
    expected: &'static str,
    parse: impl FnOnce(&'a str) -> Option<T>,
) -> Field<T> {
    match &field.text {
        None => Field::Null,
        Some(text) => parse(text).map_or_else(
            || {
                Field::Mismatch(Mismatch {
                    span: field.span.clone(),
                    expected,
                })
            },
            Field::Value,
        ),
    }
}

/// A string field: its text.
#[must_use]
pub fn string<'f>(field: &'f TextField<'_>) -> Field<Cow<'f, str>> {
    match &field.text {
        None => Field::Null,
        Some(text) => Field::Value(Cow::Borrowed(text)),
    }
}

/// A nested column's field, which a text record cannot hold (the CSV source refuses such a
/// schema before reading): null, or a mismatch.
#[must_use]
pub fn nested<T>(field: &TextField<'_>) -> Field<T> {
    parse_with(field, "a nested value, which text cannot hold", |_| None)
}

/// A double: a decimal number, or `NaN`, `Inf`, `-Inf`, `Infinity`, `-Infinity`.
///
/// ```
/// use stream_core::decode::{json::Field, text};
/// fn field(s: &str) -> text::TextField<'_> {
///     text::TextField { text: Some(s.into()), span: 0..s.len() }
/// }
/// assert_eq!(text::f64(&field("24.5")), Field::Value(24.5));
/// assert_eq!(text::f64(&field("-Inf")), Field::Value(f64::NEG_INFINITY));
/// assert!(matches!(text::f64(&field("abc")), Field::Mismatch(_)));
/// ```
#[must_use]
pub fn f64(field: &TextField<'_>) -> Field<f64> {
    parse_with(field, "a double", |text| {
        // The common form first, read as a JSON number of that form is.
        match super::json::plain_decimal(text.as_bytes()) {
            Some((value, length)) if length == text.len() => Some(value),
            _ => parse_float(text.trim()),
        }
    })
}

/// A bigint: an optionally signed integer in range.
#[must_use]
pub fn i64(field: &TextField<'_>) -> Field<i64> {
    parse_with(field, "a bigint", |text| text.parse().ok())
}

/// An int: an optionally signed integer in range.
#[must_use]
pub fn i32(field: &TextField<'_>) -> Field<i32> {
    parse_with(field, "an int", |text| text.parse().ok())
}

/// A smallint: an optionally signed integer in range.
#[must_use]
pub fn i16(field: &TextField<'_>) -> Field<i16> {
    parse_with(field, "a smallint", |text| text.parse().ok())
}

/// A tinyint: an optionally signed integer in range.
#[must_use]
pub fn i8(field: &TextField<'_>) -> Field<i8> {
    parse_with(field, "a tinyint", |text| text.parse().ok())
}

/// A float: what a double takes, rounded once, straight to the nearest float.
#[must_use]
pub fn f32(field: &TextField<'_>) -> Field<f32> {
    parse_with(field, "a float", |text| parse_float(text.trim()))
}

/// A decimal: a number in Java's `BigDecimal` form (grouping commas dropped, as Spark's
/// `en-US` parser does), rounded half up to the scale; one that does not fit the precision is a
/// mismatch.
#[must_use]
pub fn decimal<const P: u8, const S: u8>(field: &TextField<'_>) -> Field<Decimal<P, S>> {
    parse_with(field, "a decimal", |text| Decimal::parse_field(text.as_bytes()))
}

/// A number as Spark's CSV reader takes a double or a float: digits with a sign, point and
/// exponent, or `NaN`, `Inf`, `Infinity` with a sign.
fn parse_float<T: std::str::FromStr + From<f32>>(text: &str) -> Option<T> {
    match text {
        "NaN" => Some(T::from(f32::NAN)),
        "Inf" | "+Inf" | "Infinity" | "+Infinity" => Some(T::from(f32::INFINITY)),
        "-Inf" | "-Infinity" => Some(T::from(f32::NEG_INFINITY)),
        // Rust's parser also takes words (`inf`, `nan`); Spark's takes only numbers here.
        _ if text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E')) =>
        {
            text.parse().ok()
        }
        _ => None,
    }
}

/// A boolean: `true` or `false`, in any case.
#[must_use]
pub fn bool(field: &TextField<'_>) -> Field<bool> {
    parse_with(field, "a boolean", |text| {
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    })
}

/// A timestamp, as Spark casts a string to one.
#[must_use]
pub fn timestamp(field: &TextField<'_>) -> Field<Timestamp> {
    parse_with(field, "a timestamp", Timestamp::parse)
}

/// A date, as Spark casts a string to one.
#[must_use]
pub fn date(field: &TextField<'_>) -> Field<Date> {
    parse_with(field, "a date", Date::parse_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> TextField<'_> {
        TextField {
            text: Some(Cow::Borrowed(text)),
            span: 0..text.len(),
        }
    }

    #[test]
    fn numbers_and_words() {
        assert_eq!(i64(&field("-42")), Field::Value(-42));
        assert!(matches!(i64(&field("4.2")), Field::Mismatch(_)));
        assert!(matches!(i32(&field("2147483648")), Field::Mismatch(_)));
        assert!(matches!(f64(&field("inf")), Field::Mismatch(_)));
        assert!(matches!(f64(&field("NaN")), Field::Value(v) if v.is_nan()));
        assert_eq!(bool(&field("TRUE")), Field::Value(true));
        assert!(matches!(bool(&field("1")), Field::Mismatch(_)));
        assert_eq!(f64(&TextField::null(3)), Field::Null);
        assert!(matches!(timestamp(&field("2026-01-01 09:00:00")), Field::Value(_)));
        assert!(matches!(date(&field("2026-13-01")), Field::Mismatch(_)));
    }
}
