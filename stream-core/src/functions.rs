//! Scalar functions that generated query code calls per row.
//!
//! Each function has Spark's semantics for non-null inputs; null handling is generated around
//! the call (a null input gives a null result unless a function says otherwise), so these take
//! and return plain values. They are ordinary functions, not an interpreter: the macro emits a
//! direct call, which the compiler inlines into the fused loop.

use crate::types::Timestamp;

/// `to_timestamp(text)` with Spark's default parsing; `None` (SQL null) when it does not parse.
///
/// ```
/// use stream_core::functions::to_timestamp;
/// assert!(to_timestamp("2026-01-01 09:00:00").is_some());
/// assert!(to_timestamp("not a time").is_none());
/// ```
#[inline]
#[must_use]
pub fn to_timestamp(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text)
}

/// `lower(text)`.
#[inline]
#[must_use]
pub fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// `upper(text)`.
#[inline]
#[must_use]
pub fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// `length(text)`: the number of characters (not bytes), as Spark counts them.
#[inline]
#[must_use]
pub fn length(text: &str) -> i32 {
    i32::try_from(text.chars().count()).unwrap_or(i32::MAX)
}

/// `concat(a, b, ...)` of non-null parts.
#[inline]
#[must_use]
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}

/// `a / b` on doubles: Spark returns null when the divisor is zero.
#[inline]
#[must_use]
pub fn divide(dividend: f64, divisor: f64) -> Option<f64> {
    (divisor != 0.0).then(|| dividend / divisor)
}

/// `a % b` on integers: null when the divisor is zero, wrapping like Spark's non-ANSI mode.
#[inline]
#[must_use]
pub fn remainder_i64(dividend: i64, divisor: i64) -> Option<i64> {
    (divisor != 0).then(|| dividend.wrapping_rem(divisor))
}

/// `a % b` on 32-bit integers: null when the divisor is zero.
#[inline]
#[must_use]
pub fn remainder_i32(dividend: i32, divisor: i32) -> Option<i32> {
    (divisor != 0).then(|| dividend.wrapping_rem(divisor))
}

/// `a % b` on doubles: null when the divisor is zero.
#[inline]
#[must_use]
pub fn remainder_f64(dividend: f64, divisor: f64) -> Option<f64> {
    (divisor != 0.0).then(|| dividend % divisor)
}

/// SQL `AND` with three-valued logic (`None` is unknown).
#[inline]
#[must_use]
pub fn and(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// SQL `OR` with three-valued logic (`None` is unknown).
#[inline]
#[must_use]
pub fn or(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// `round(x, scale)` on a double with Spark's `HALF_UP` rule, applied to the shortest decimal
/// form of `x` (so `round(2.675, 2)` is `2.68`, as in Spark, though the binary value of
/// 2.675 is slightly below it).
///
/// ```
/// use stream_core::functions::round_f64;
/// assert_eq!(round_f64(2.675, 2), 2.68);
/// assert_eq!(round_f64(-2.5, 0), -3.0);
/// assert_eq!(round_f64(15.0, -1), 20.0);
/// ```
#[must_use]
pub fn round_f64(value: f64, scale: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    round_fast(value, scale).unwrap_or_else(|| round_decimal(value, scale))
}

/// The common case in floating point: exact whenever `value * 10^scale` is an integer below
/// 2^52 whose fractional part is clearly away from one half.
fn round_fast(value: f64, scale: i32) -> Option<f64> {
    if !(0..=15).contains(&scale) {
        return None;
    }
    let factor = 10f64.powi(scale);
    let scaled = value * factor;
    if scaled.abs() >= 4_503_599_627_370_496.0 {
        return None;
    }
    let fraction = (scaled - scaled.trunc()).abs();
    if (fraction - 0.5).abs() < 1e-6 {
        return None;
    }
    // `n / 10^scale` is correctly rounded, so it equals parsing the decimal `n·10^-scale`.
    Some(scaled.round() / factor)
}

/// Half-up rounding on the digits of the shortest decimal representation.
fn round_decimal(value: f64, scale: i32) -> f64 {
    // `{:e}` gives the shortest round-tripping digits: `-2.675e0`.
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // value = 0.d1 d2 d3 ... × 10^(exponent + 1); keep digits up to position `exponent + 1 + scale`.
    let keep = exponent + 1 + scale;
    if keep < 0 {
        return if negative { -0.0 } else { 0.0 };
    }
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    if keep >= digits.len() {
        return value;
    }
    let mut kept: Vec<u8> = digits[..keep].to_vec();
    if digits[keep] >= 5 {
        // Propagate the carry; a carry out of the first digit adds a leading one.
        let mut index = kept.len();
        loop {
            if index == 0 {
                kept.insert(0, 1);
                break;
            }
            index -= 1;
            if kept[index] == 9 {
                kept[index] = 0;
            } else {
                kept[index] += 1;
                break;
            }
        }
        let grew = kept.len() > keep;
        let text = decimal_text(
            negative,
            &kept,
            exponent + i32::from(grew) - i32::try_from(kept.len()).unwrap_or(0) + 1,
        );
        return text.parse().unwrap_or(value);
    }
    if kept.is_empty() {
        return if negative { -0.0 } else { 0.0 };
    }
    decimal_text(negative, &kept, exponent - i32::try_from(kept.len()).unwrap_or(0) + 1)
        .parse()
        .unwrap_or(value)
}

fn decimal_text(negative: bool, digits: &[u8], power: i32) -> String {
    let mut text = String::with_capacity(digits.len() + 8);
    if negative {
        text.push('-');
    }
    text.extend(digits.iter().map(|d| char::from(b'0' + d)));
    text.push('e');
    text.push_str(&power.to_string());
    text
}

/// `round(x, scale)` on a 64-bit integer: a negative scale rounds to tens, hundreds, ... half up.
#[must_use]
pub fn round_i64(value: i64, scale: i32) -> i64 {
    if scale >= 0 {
        return value;
    }
    let Some(factor) = 10i64.checked_pow(scale.unsigned_abs()) else {
        return 0;
    };
    let remainder = value % factor;
    let base = value - remainder;
    if remainder.abs() * 2 >= factor {
        if value >= 0 {
            base.wrapping_add(factor)
        } else {
            base.wrapping_sub(factor)
        }
    } else {
        base
    }
}

/// `round(x, scale)` on a 32-bit integer.
#[must_use]
pub fn round_i32(value: i32, scale: i32) -> i32 {
    i32::try_from(round_i64(i64::from(value), scale)).unwrap_or(0)
}

/// Java's `Double.toString`, which Spark uses to print doubles: `63.0`, `24.5`, `1.0E7`,
/// `1.0E-4`, `NaN`, `Infinity`.
///
/// ```
/// use stream_core::functions::java_double_string;
/// assert_eq!(java_double_string(63.0), "63.0");
/// assert_eq!(java_double_string(1e7), "1.0E7");
/// assert_eq!(java_double_string(0.0001), "1.0E-4");
/// ```
#[must_use]
pub fn java_double_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let text = value.to_string();
        return if text.contains('.') { text } else { text + ".0" };
    }
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

/// Spark's ordering of values, as `greatest`, `least` and comparisons use it: a double's NaN is
/// greater than any other double, and equal to itself.
pub trait SparkOrd {
    /// Whether `self` is greater than `other`.
    fn spark_gt(&self, other: &Self) -> bool;
    /// Whether `self` equals `other`.
    fn spark_eq(&self, other: &Self) -> bool;
}

macro_rules! spark_ord_as_partial_ord {
    ($($ty:ty),*) => {$(
        impl SparkOrd for $ty {
            #[inline]
            fn spark_gt(&self, other: &Self) -> bool {
                self > other
            }
            #[inline]
            fn spark_eq(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}

spark_ord_as_partial_ord!(i32, i64, bool, String, Timestamp, crate::types::Date);

impl SparkOrd for f64 {
    #[inline]
    fn spark_gt(&self, other: &Self) -> bool {
        match (self.is_nan(), other.is_nan()) {
            (true, false) => true,
            (false, false) => self > other,
            _ => false,
        }
    }
    #[inline]
    fn spark_eq(&self, other: &Self) -> bool {
        self == other || (self.is_nan() && other.is_nan())
    }
}

/// `greatest(a, b)` as Spark folds it over its arguments: nulls are skipped, so the result is
/// null only when both are.
///
/// ```
/// use stream_core::functions::greatest;
/// assert_eq!(greatest(Some(1), None), Some(1));
/// assert_eq!(greatest(Some(f64::NAN), Some(1.0)).map(f64::is_nan), Some(true));
/// ```
#[inline]
#[must_use]
pub fn greatest<T: SparkOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.spark_gt(&a) { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `least(a, b)`, as [`greatest`].
///
/// ```
/// use stream_core::functions::least;
/// assert_eq!(least(Some(1), Some(-2)), Some(-2));
/// assert_eq!(least::<i64>(None, None), None);
/// ```
#[inline]
#[must_use]
pub fn least<T: SparkOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.spark_gt(&b) { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `x.isin(items..)` with SQL's three-valued logic: true when an item equals `x`; otherwise
/// null when `x` or an item is null; otherwise false.
///
/// ```
/// use stream_core::functions::isin;
/// assert_eq!(isin(Some(&1), &[Some(1), None]), Some(true));
/// assert_eq!(isin(Some(&2), &[Some(1), None]), None);
/// assert_eq!(isin(Some(&2), &[Some(1)]), Some(false));
/// ```
#[inline]
#[must_use]
pub fn isin<T: SparkOrd>(x: Option<&T>, items: &[Option<T>]) -> Option<bool> {
    let x = x?;
    if items.iter().flatten().any(|item| item.spark_eq(x)) {
        Some(true)
    } else if items.iter().any(Option::is_none) {
        None
    } else {
        Some(false)
    }
}

/// `nullif(a, b)`: null when `a` equals `b`, else `a`.
///
/// ```
/// use stream_core::functions::nullif;
/// assert_eq!(nullif(Some(String::new()), Some(String::new())), None);
/// assert_eq!(nullif(Some(1), None), Some(1));
/// ```
#[inline]
#[must_use]
pub fn nullif<T: SparkOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) if a.spark_eq(&b) => None,
        (a, _) => a,
    }
}

pub use stream_grammar::like::LikePattern;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_matches_spark_half_up_on_decimal_form() {
        assert_eq!(round_f64(2.675, 2), 2.68);
        assert_eq!(round_f64(0.125, 2), 0.13);
        assert_eq!(round_f64(1.005, 2), 1.01);
        assert_eq!(round_f64(24.5, 2), 24.5);
        assert_eq!(round_f64(-2.5, 0), -3.0);
        assert_eq!(round_f64(25.0, -1), 30.0);
        assert_eq!(round_f64(15.0, -1), 20.0);
        assert_eq!(round_f64(0.994, 2), 0.99);
        assert_eq!(round_f64(9.995, 2), 10.0);
        assert_eq!(round_f64(99.5, 0), 100.0);
        assert_eq!(round_f64(0.0004, 2), 0.0);
        assert!(round_f64(f64::NAN, 2).is_nan());
        assert_eq!(round_i64(15, -1), 20);
        assert_eq!(round_i64(-15, -1), -20);
        assert_eq!(round_i64(14, -1), 10);
        assert_eq!(round_i32(7, 0), 7);
    }

    #[test]
    fn java_double_strings() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (63.0, "63.0"),
            (24.5, "24.5"),
            (11.25, "11.25"),
            (1e7, "1.0E7"),
            (12_345_678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e-5, "1.0E-5"),
            (-1.5e10, "-1.5E10"),
            (f64::INFINITY, "Infinity"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_double_string(value), expected, "{value}");
        }
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(and(None, Some(false)), Some(false));
        assert_eq!(and(None, Some(true)), None);
        assert_eq!(or(None, Some(true)), Some(true));
        assert_eq!(or(None, Some(false)), None);
        assert_eq!(divide(1.0, 0.0), None);
        assert_eq!(remainder_i64(7, 0), None);
    }

    proptest! {
        #[test]
        fn fast_rounding_agrees_with_decimal_rounding(cents in -10_000_000i64..10_000_000, extra in 0u32..1000, scale in 0i32..4) {
            let value = cents as f64 / 100.0 + f64::from(extra) / 100_000.0;
            if let Some(fast) = round_fast(value, scale) {
                prop_assert_eq!(fast, round_decimal(value, scale));
            }
        }
    }
}
