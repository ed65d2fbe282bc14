//! Spark's `DECIMAL(p, s)`: [`Decimal<P, S>`], an exact number of at most `P` digits, `S` of
//! them after the point, held as an `i128` count of `10^-S` units (Arrow's `Decimal128`).
//!
//! Precision and scale are part of the type, as in a Spark schema, so the macro types every
//! result as Spark does (`decimal(10,2) * decimal(5,0)` is `decimal(16,2)`) and each operation
//! compiles to integer arithmetic with its powers of ten known. The operations follow Spark's
//! value for value: the exact sum, difference, product, quotient or remainder, rounded once,
//! half up, to the result's scale; a result that does not fit its precision is null, as with
//! ANSI mode off. Wider intermediates (up to 76 digits) are computed in Arrow's `i256`.
//!
//! ```
//! use stream_core::Decimal;
//! let price = Decimal::<10, 2>::parse("12.345").unwrap(); // rounded half up
//! assert_eq!(price.to_string(), "12.35");
//! let quantity = Decimal::<5, 0>::parse("3").unwrap();
//! let total = Decimal::<16, 2>::multiply(price, quantity).unwrap();
//! assert_eq!(total.to_string(), "37.05");
//! assert_eq!(Decimal::<38, 6>::divide(total, quantity).unwrap().to_string(), "12.350000");
//! ```

use std::cmp::Ordering;
use std::fmt;

use arrow_buffer::i256;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most digits a decimal holds (Spark's `DecimalType.MAX_PRECISION`).
pub const MAX_PRECISION: u8 = 38;

/// An exact decimal number of at most `P` digits, `S` after the point (Spark's
/// `DECIMAL(P, S)`), stored as its unscaled value: `12.30` in a `Decimal<10, 2>` is `1230`.
///
/// Values of one type compare and order as numbers. Every constructor and operation checks
/// that the result fits in `P` digits and gives `None` when it does not.
///
/// ```
/// use stream_core::Decimal;
/// let a = Decimal::<5, 2>::from_unscaled(-150).unwrap();
/// assert_eq!(a.to_string(), "-1.50");
/// assert_eq!(Decimal::<5, 2>::from_unscaled(100_000), None); // six digits
/// assert!(a < Decimal::<5, 2>::parse("0").unwrap());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal<const P: u8, const S: u8>(i128);

/// How digits dropped by a change of scale round the rest.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rounding {
    /// Half away from zero (Java's `HALF_UP`, Spark's default).
    HalfUp,
    /// Half to even (`bround`).
    HalfEven,
    /// Toward negative infinity (`floor`).
    Floor,
    /// Toward positive infinity (`ceil`).
    Ceiling,
}

/// `10^n` for `n ≤ 76`.
fn pow10(n: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(n)
}

/// The number of decimal digits of `|value|` (1 for zero).
fn digits(value: i256) -> u32 {
    let magnitude = value.wrapping_abs();
    if magnitude == i256::ZERO {
        1
    } else {
        magnitude.ilog10() + 1
    }
}

/// `value`, a number of `10^-from` units, as a number of `10^-to` units (`to < from`),
/// rounded as `rounding` says.
fn drop_digits(value: i256, dropped: u32, rounding: Rounding) -> i256 {
    if dropped == 0 {
        return value;
    }
    if dropped > 76 {
        // |value| < 10^77: nothing is left but the rounding direction.
        return match rounding {
            Rounding::Floor if value.is_negative() => i256::MINUS_ONE,
            Rounding::Ceiling if value.is_positive() => i256::ONE,
            _ => i256::ZERO,
        };
    }
    let divisor = pow10(dropped);
    let (quotient, remainder) = value.wrapping_div_rem(divisor);
    if remainder == i256::ZERO {
        return quotient;
    }
    let away = if value.is_negative() {
        i256::MINUS_ONE
    } else {
        i256::ONE
    };
    let twice = remainder.wrapping_abs().wrapping_mul(i256::from_i128(2));
    let round_away = match rounding {
        Rounding::HalfUp => twice >= divisor,
        Rounding::HalfEven => {
            twice > divisor || (twice == divisor && quotient.wrapping_rem(i256::from_i128(2)) != i256::ZERO)
        }
        Rounding::Floor => value.is_negative(),
        Rounding::Ceiling => value.is_positive(),
    };
    if round_away {
        quotient.wrapping_add(away)
    } else {
        quotient
    }
}

/// `value` in units of `10^-from` moved to units of `10^-to` (rounding as `rounding` says when
/// digits are dropped); `None` when it overflows 256 bits.
fn rescale(value: i256, from: i32, to: i32, rounding: Rounding) -> Option<i256> {
    match to.cmp(&from) {
        Ordering::Equal => Some(value),
        Ordering::Greater => value.checked_mul(pow10_checked(to - from)?),
        Ordering::Less => Some(drop_digits(value, (from - to).unsigned_abs(), rounding)),
    }
}

fn pow10_checked(n: i32) -> Option<i256> {
    u32::try_from(n).ok().filter(|n| *n <= 76).map(pow10)
}

/// Whether `value` has at most `precision` digits.
fn fits(value: i256, precision: u8) -> bool {
    value.wrapping_abs() < pow10(u32::from(precision))
}

impl<const P: u8, const S: u8> Decimal<P, S> {
    /// The type's precision: how many digits it holds.
    pub const PRECISION: u8 = P;
    /// The type's scale: how many of the digits are after the point.
    pub const SCALE: u8 = S;

    /// The decimal whose unscaled value is `unscaled` (`1230` is `12.30` at scale 2); `None`
    /// when it has more than `P` digits.
    #[must_use]
    pub fn from_unscaled(unscaled: i128) -> Option<Self> {
        Self::from_wide(i256::from_i128(unscaled), i32::from(S), Rounding::HalfUp)
    }

    /// The unscaled value: the number times `10^S`.
    #[must_use]
    pub const fn unscaled(self) -> i128 {
        self.0
    }

    /// `value` in units of `10^-scale`, rounded to this type's scale; `None` if it does not fit.
    fn from_wide(value: i256, scale: i32, rounding: Rounding) -> Option<Self> {
        let value = rescale(value, scale, i32::from(S), rounding)?;
        if !fits(value, P) {
            return None;
        }
        value.to_i128().map(Self)
    }

    fn wide(self) -> i256 {
        i256::from_i128(self.0)
    }

    /// `value` as a number of this type's units (`10^-S`), exactly; `None` if it has more
    /// places than this type (so cannot be counted in its units).
    #[must_use]
    pub(crate) fn units_of<const P1: u8, const S1: u8>(value: Decimal<P1, S1>) -> Option<i256> {
        if S1 > S {
            return None;
        }
        value.wide().checked_mul(pow10(u32::from(S - S1)))
    }

    /// A number of this type's units as a value; `None` when it has more than `P` digits.
    #[must_use]
    pub(crate) fn from_wide_units(units: i256) -> Option<Self> {
        if !fits(units, P) {
            return None;
        }
        units.to_i128().map(Self)
    }

    /// Reads text as Spark's `cast(text as decimal(P, S))` does: surrounding whitespace
    /// ignored, Java's `BigDecimal` syntax (`12.5`, `-.5`, `1e3`, `+2E-2`), rounded half up to
    /// `S` places; `None` when it is not a number or does not fit.
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<3, 2>::parse(" 1.005 ").unwrap().to_string(), "1.01");
    /// assert_eq!(Decimal::<3, 2>::parse("-1.005").unwrap().to_string(), "-1.01");
    /// assert_eq!(Decimal::<5, 0>::parse("1e3").unwrap().to_string(), "1000");
    /// assert_eq!(Decimal::<3, 2>::parse("9.995"), None); // 10.00 needs four digits
    /// assert_eq!(Decimal::<3, 2>::parse("1,5"), None);
    /// assert_eq!(Decimal::<4, 2>::parse("１２").unwrap().to_string(), "12.00"); // as Java reads digits
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        // Java's `String.trim`: every character up to the space, and nothing else.
        let text = text.trim_matches(|c: char| c <= ' ');
        if text.is_ascii() {
            return Self::parse_bytes(text.as_bytes());
        }
        Self::parse_bytes(&ascii_number(text, false)?)
    }

    /// [`parse`](Self::parse) of bytes that are already trimmed (a JSON number, say).
    #[must_use]
    pub fn parse_bytes(bytes: &[u8]) -> Option<Self> {
        let number = DecimalText::parse(bytes)?;
        Self::from_text(&number)
    }

    /// Text as Spark's JSON and CSV readers read a decimal field (in the default `en-US`
    /// locale): grouping commas dropped (`"1,234.5"`), no whitespace, then as
    /// [`parse_bytes`](Self::parse_bytes).
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<10, 2>::parse_field(b"1,234.5").unwrap().to_string(), "1234.50");
    /// assert_eq!(Decimal::<10, 2>::parse_field(b" 1.5"), None);
    /// ```
    #[must_use]
    pub fn parse_field(bytes: &[u8]) -> Option<Self> {
        if bytes.contains(&b',') || !bytes.is_ascii() {
            return Self::parse_bytes(&ascii_number(std::str::from_utf8(bytes).ok()?, true)?);
        }
        Self::parse_bytes(bytes)
    }

    fn from_text(number: &DecimalText<'_>) -> Option<Self> {
        // The digits' value is `digits × 10^exponent`; keep those down to 10^-S.
        let shift = number.exponent.checked_add(i64::from(S))?;
        let length = i64::try_from(number.len()).ok()?;
        let keep = (length + shift.min(0)).max(0);
        if keep > i64::from(P) || (shift > 0 && keep + shift > i64::from(P)) {
            return None;
        }
        let keep = usize::try_from(keep).ok()?;
        let mut unscaled: i128 = 0;
        for index in 0..keep {
            unscaled = unscaled * 10 + i128::from(number.digit(index));
        }
        if shift > 0 {
            unscaled *= 10i128.checked_pow(u32::try_from(shift).ok()?)?;
        }
        // Half up needs only the first digit dropped.
        if shift < 0 && keep < number.len() && number.digit(keep) >= 5 {
            unscaled += 1;
        }
        if number.negative {
            unscaled = -unscaled;
        }
        Self::from_unscaled(unscaled)
    }

    /// An integer as this type; `None` when it does not fit.
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<5, 2>::from_i64(123).unwrap().to_string(), "123.00");
    /// assert_eq!(Decimal::<5, 2>::from_i64(1234), None);
    /// ```
    #[must_use]
    pub fn from_i64(value: i64) -> Option<Self> {
        Self::from_wide(i256::from_i128(i128::from(value)), 0, Rounding::HalfUp)
    }

    /// A double as Spark casts it: its shortest text (Java's `Double.toString`) rounded half up
    /// to `S` places; `None` for NaN, the infinities and values that do not fit.
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<10, 2>::from_f64(0.125).unwrap().to_string(), "0.13");
    /// assert_eq!(Decimal::<10, 2>::from_f64(f64::NAN), None);
    /// ```
    #[must_use]
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        Self::parse_bytes(crate::cast::f64_to_text(value).as_bytes())
    }

    /// The nearest double (Java's `BigDecimal.doubleValue`).
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<10, 2>::parse("0.1").unwrap().to_f64(), 0.1);
    /// ```
    #[must_use]
    pub fn to_f64(self) -> f64 {
        const EXACT: i128 = 1 << 53;
        if self.0.abs() <= EXACT && S <= 22 {
            // Both operands are exact doubles, so one division rounds correctly.
            #[expect(clippy::cast_precision_loss, reason = "at most 2^53, exact")]
            let unscaled = self.0 as f64;
            return unscaled / 10f64.powi(i32::from(S));
        }
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The nearest float (Java's `BigDecimal.floatValue`).
    #[must_use]
    pub fn to_f32(self) -> f32 {
        self.to_string().parse().unwrap_or(f32::NAN)
    }

    /// The integer part, truncated toward zero, wrapped to 64 bits as Java's
    /// `BigDecimal.longValue` (Spark's non-ANSI cast to `bigint`).
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<10, 2>::parse("-2.99").unwrap().to_i64_wrapping(), -2);
    /// ```
    #[must_use]
    #[expect(clippy::cast_possible_truncation, reason = "Java's wrapping narrowing, as Spark")]
    pub fn to_i64_wrapping(self) -> i64 {
        (self.0 / 10i128.pow(u32::from(S))) as i64
    }

    /// This value as another decimal type, rounded half up (Spark's cast between decimals);
    /// `None` when it does not fit.
    ///
    /// ```
    /// use stream_core::Decimal;
    /// let a = Decimal::<10, 2>::parse("2.45").unwrap();
    /// assert_eq!(Decimal::<4, 1>::convert(a).unwrap().to_string(), "2.5");
    /// assert_eq!(Decimal::<2, 1>::convert(Decimal::<10, 2>::parse("99.5").unwrap()), None);
    /// ```
    #[must_use]
    pub fn convert<const P1: u8, const S1: u8>(value: Decimal<P1, S1>) -> Option<Self> {
        Self::from_wide(value.wide(), i32::from(S1), Rounding::HalfUp)
    }

    /// A value of a type whose every value this one holds (`Decimal<10, 2>` into
    /// `Decimal<12, 2>`): what generated code uses where the macro proved the fit. Were it not
    /// to fit, the result would saturate at this type's largest magnitude.
    #[must_use]
    pub fn widen<const P1: u8, const S1: u8>(value: Decimal<P1, S1>) -> Self {
        Self::convert(value).unwrap_or_else(|| Self::saturated(value.0 < 0))
    }

    /// The result of an operation whose type the macro proved holds it (`round(x, 1)` of a
    /// `Decimal<10, 2>` as a `Decimal<10, 1>`), so never `None`; zero if it were.
    #[must_use]
    pub fn proven(result: Option<Self>) -> Self {
        result.unwrap_or_default()
    }

    /// An integer into a type that holds every value of its integer type (`i32` into
    /// `Decimal<10, 0>` or wider), as [`widen`](Self::widen).
    #[must_use]
    pub fn widen_integer(value: i64) -> Self {
        Self::from_i64(value).unwrap_or_else(|| Self::saturated(value < 0))
    }

    fn saturated(negative: bool) -> Self {
        let largest = 10i128.pow(u32::from(P)) - 1;
        Self(if negative { -largest } else { largest })
    }

    /// A boolean as Spark casts it: 1 or 0; `None` when 1 does not fit (`Decimal<2, 2>`).
    #[must_use]
    pub fn from_bool(value: bool) -> Option<Self> {
        Self::from_i64(i64::from(value))
    }

    /// Microseconds since the epoch of this many seconds, truncated toward zero and wrapped to
    /// 64 bits (Spark's non-ANSI cast of a decimal to a timestamp).
    #[must_use]
    #[expect(clippy::cast_possible_truncation, reason = "Java's wrapping `longValue`, as Spark")]
    pub fn to_micros_wrapping(self) -> i64 {
        // Spark multiplies by 10^6 in Scala's 34-digit context, then truncates.
        let micros = spark_rounded_34(self.wide().wrapping_mul(pow10(6)));
        let micros = micros.wrapping_div(pow10(u32::from(S)));
        micros.as_i128() as i64
    }

    /// `a + b`, exact, then rounded to this type (Spark's `Add` on decimals).
    #[must_use]
    pub fn add<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        let scale = S1.max(S2);
        let a = rescale(a.wide(), i32::from(S1), i32::from(scale), Rounding::HalfUp)?;
        let b = rescale(b.wide(), i32::from(S2), i32::from(scale), Rounding::HalfUp)?;
        Self::from_wide(a.checked_add(b)?, i32::from(scale), Rounding::HalfUp)
    }

    /// `a - b`, exact, then rounded to this type.
    #[must_use]
    pub fn subtract<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        Self::add(a, b.negated())
    }

    /// `a * b`: the exact product, rounded half up to this type.
    #[must_use]
    pub fn multiply<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        // Two 38-digit numbers multiply to at most 76 digits: within 256 bits.
        let product = a.wide().wrapping_mul(b.wide());
        Self::from_wide(product, i32::from(S1) + i32::from(S2), Rounding::HalfUp)
    }

    /// `a / b`: the exact quotient, rounded half up to this type; `None` for a zero divisor.
    #[must_use]
    pub fn divide<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        if b.0 == 0 {
            return None;
        }
        // The quotient in units of 10^-S is |a| × 10^(S + S2 - S1) / |b|. A numerator beyond
        // 256 bits means a quotient beyond 10^38 units: no type holds it.
        let shift = i32::from(S) + i32::from(S2) - i32::from(S1);
        let (dividend, divisor) = if shift >= 0 {
            (
                a.wide().wrapping_abs().checked_mul(pow10_checked(shift)?)?,
                b.wide().wrapping_abs(),
            )
        } else {
            (
                a.wide().wrapping_abs(),
                b.wide().wrapping_abs().checked_mul(pow10_checked(-shift)?)?,
            )
        };
        let (mut quotient, remainder) = dividend.wrapping_div_rem(divisor);
        // Half up: the remainder is at least half the divisor (compared without doubling it,
        // which could overflow).
        if remainder >= divisor.wrapping_sub(remainder) {
            quotient = quotient.checked_add(i256::ONE)?;
        }
        let negative = (a.0 < 0) != (b.0 < 0);
        let quotient = if negative { quotient.wrapping_neg() } else { quotient };
        Self::from_wide(quotient, i32::from(S), Rounding::HalfUp)
    }

    /// `a % b`: the remainder of the truncated quotient, with `a`'s sign (Java's
    /// `BigDecimal.remainder`), then rounded to this type; `None` for a zero divisor.
    #[must_use]
    pub fn remainder<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        let (a, b, scale) = common_scale(a, b)?;
        if b == i256::ZERO {
            return None;
        }
        Self::from_wide(a.wrapping_rem(b), scale, Rounding::HalfUp)
    }

    /// `pmod(a, b)`: the remainder made non-negative for a positive divisor, as Spark's `pmod`.
    #[must_use]
    pub fn pmod<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
        a: Decimal<P1, S1>,
        b: Decimal<P2, S2>,
    ) -> Option<Self> {
        let (a, b, scale) = common_scale(a, b)?;
        if b == i256::ZERO {
            return None;
        }
        let remainder = a.wrapping_rem(b);
        let remainder = if remainder.is_negative() {
            remainder.checked_add(b)?.wrapping_rem(b)
        } else {
            remainder
        };
        Self::from_wide(remainder, scale, Rounding::HalfUp)
    }

    /// `-self` exactly: what arithmetic uses (a difference is a sum with the negated value).
    #[must_use]
    pub const fn negated(self) -> Self {
        Self(-self.0)
    }

    /// `-self` as Spark's unary minus gives it: exact up to 34 digits; a value of more digits is
    /// negated through Scala's default `MathContext` (34 significant digits, half even), so
    /// `-12345678901234567890.123456789012345678` is `-12345678901234567890.123456789012350000`.
    /// `None` when that rounding carries past the precision.
    #[must_use]
    pub fn negate(self) -> Option<Self> {
        Self::from_wide(
            spark_rounded_34(self.wide().wrapping_neg()),
            i32::from(S),
            Rounding::HalfUp,
        )
    }

    /// `abs(self)` as Spark's: a negative value is negated as [`negate`](Self::negate) does.
    #[must_use]
    pub fn abs(self) -> Option<Self> {
        if self.0 < 0 { self.negate() } else { Some(self) }
    }

    /// `round(value, places)` (`half_even`: `bround`) as Spark's result type for it: rounded to
    /// `places` (negative places round to tens, hundreds, ...); `None` when it does not fit.
    ///
    /// ```
    /// use stream_core::Decimal;
    /// let a = Decimal::<10, 2>::parse("2.45").unwrap();
    /// assert_eq!(Decimal::<10, 1>::round(a, 1, false).unwrap().to_string(), "2.5");
    /// assert_eq!(Decimal::<10, 1>::round(a, 1, true).unwrap().to_string(), "2.4");
    /// assert_eq!(Decimal::<9, 0>::round(a, -1, false).unwrap().to_string(), "0");
    /// ```
    #[must_use]
    pub fn round<const P1: u8, const S1: u8>(value: Decimal<P1, S1>, places: i32, half_even: bool) -> Option<Self> {
        let rounding = if half_even {
            Rounding::HalfEven
        } else {
            Rounding::HalfUp
        };
        let rounded = rescale(value.wide(), i32::from(S1), places, rounding)?;
        Self::from_wide(rounded, places, rounding)
    }

    /// `floor(value)` as a decimal of scale 0.
    #[must_use]
    pub fn floor<const P1: u8, const S1: u8>(value: Decimal<P1, S1>) -> Option<Self> {
        Self::from_wide(
            drop_digits(value.wide(), u32::from(S1), Rounding::Floor),
            0,
            Rounding::Floor,
        )
    }

    /// `ceil(value)` as a decimal of scale 0.
    #[must_use]
    pub fn ceil<const P1: u8, const S1: u8>(value: Decimal<P1, S1>) -> Option<Self> {
        Self::from_wide(
            drop_digits(value.wide(), u32::from(S1), Rounding::Ceiling),
            0,
            Rounding::Ceiling,
        )
    }

    /// Whether the value is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The sign as Spark's `signum` gives it: -1.0, 0.0 or 1.0.
    #[must_use]
    pub const fn signum(self) -> f64 {
        match self.0 {
            0 => 0.0,
            v if v < 0 => -1.0,
            _ => 1.0,
        }
    }

    /// The text Java's `BigDecimal.toString` gives: plain, except that a value whose exponent is
    /// below -6 is written in scientific notation (`0E-18`, `1.5E-7`).
    ///
    /// ```
    /// use stream_core::Decimal;
    /// assert_eq!(Decimal::<38, 18>::from_unscaled(0).unwrap().to_java_string(), "0E-18");
    /// assert_eq!(Decimal::<10, 2>::from_unscaled(150).unwrap().to_java_string(), "1.50");
    /// ```
    #[must_use]
    pub fn to_java_string(self) -> String {
        java_text(self.0, S)
    }
}

/// The plain text of `value` rounded half to even to `places` places (padded with zeros when it
/// has fewer), as `format_number` shows a decimal (`-0.0` for a negative value rounding to 0).
#[must_use]
pub fn rounded_half_even_text<const P: u8, const S: u8>(value: Decimal<P, S>, places: u8) -> String {
    let places = places.min(76);
    // Rounding can carry a digit past the type's precision, so the result is an `i256`.
    let rounded = rescale(value.wide(), i32::from(S), i32::from(places), Rounding::HalfEven);
    match rounded.and_then(i256::to_i128) {
        // `DecimalFormat` keeps the sign of a negative value that rounds to zero: `-0.0`.
        Some(0) if value.0 < 0 => format!("-{}", plain_text(0, places)),
        Some(unscaled) if places <= MAX_PRECISION => plain_text(unscaled, places),
        // More places than an `i128` holds: the value's own digits, padded.
        _ => {
            let mut text = plain_text(value.0, S);
            if S == 0 {
                text.push('.');
            }
            text.extend(std::iter::repeat_n('0', usize::from(places - S)));
            text
        }
    }
}

/// Java's `BigDecimal.toString` of an unscaled value at `scale`: plain, except that a value
/// whose exponent is below -6 is written in scientific notation (`0E-18`, `1.5E-7`).
///
/// ```
/// assert_eq!(stream_core::decimal::java_text(-15, 8), "-1.5E-7");
/// assert_eq!(stream_core::decimal::java_text(15, 1), "1.5");
/// ```
#[must_use]
pub fn java_text(unscaled: i128, scale: u8) -> String {
    let magnitude = unscaled.unsigned_abs().to_string();
    let length = i64::try_from(magnitude.len()).unwrap_or(i64::MAX);
    let adjusted = length - 1 - i64::from(scale);
    if adjusted >= -6 {
        return plain_text(unscaled, scale);
    }
    let sign = if unscaled < 0 { "-" } else { "" };
    let (first, rest) = magnitude.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    format!("{sign}{first}{point}{rest}E{adjusted}")
}

/// `div(a, b)` of decimals (Spark's integral division): the quotient truncated toward zero,
/// wrapped to 64 bits as Java's `longValue`; `None` for a zero divisor.
///
/// ```
/// use stream_core::Decimal;
/// let a = Decimal::<10, 2>::parse("-7.50").unwrap();
/// let b = Decimal::<5, 0>::parse("2").unwrap();
/// assert_eq!(stream_core::decimal::integral_divide(a, b), Some(-3));
/// ```
#[must_use]
#[expect(clippy::cast_possible_truncation, reason = "Java's wrapping `longValue`, as Spark")]
pub fn integral_divide<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
    a: Decimal<P1, S1>,
    b: Decimal<P2, S2>,
) -> Option<i64> {
    let (a, b, _) = common_scale(a, b)?;
    if b == i256::ZERO {
        return None;
    }
    Some(a.wrapping_div(b).as_i128() as i64)
}

/// `value` rounded half to even to 34 significant digits (Scala's `MathContext.DECIMAL128`),
/// at the same scale.
fn spark_rounded_34(value: i256) -> i256 {
    const SIGNIFICANT: u32 = 34;
    let length = digits(value);
    if length <= SIGNIFICANT {
        return value;
    }
    let dropped = length - SIGNIFICANT;
    drop_digits(value, dropped, Rounding::HalfEven).wrapping_mul(pow10(dropped))
}

/// Both values as numbers of units of their larger scale.
fn common_scale<const P1: u8, const S1: u8, const P2: u8, const S2: u8>(
    a: Decimal<P1, S1>,
    b: Decimal<P2, S2>,
) -> Option<(i256, i256, i32)> {
    let scale = i32::from(S1.max(S2));
    Some((
        rescale(a.wide(), i32::from(S1), scale, Rounding::HalfUp)?,
        rescale(b.wide(), i32::from(S2), scale, Rounding::HalfUp)?,
        scale,
    ))
}

/// `text` with every decimal digit Java knows (`１２`, `٣`) as its ASCII digit, and grouping
/// commas dropped if `drop_commas`; `None` for any other non-ASCII character.
fn ascii_number(text: &str, drop_commas: bool) -> Option<Vec<u8>> {
    text.chars()
        .filter(|c| !(drop_commas && *c == ','))
        .map(|c| match c {
            _ if c.is_ascii() => u8::try_from(c).ok(),
            _ => unicode_digit(c).map(|digit| b'0' + digit),
        })
        .collect()
}

/// The value of a Unicode decimal digit (general category Nd, as Java 17's
/// `Character.digit`), by the first code point of each run of ten.
fn unicode_digit(c: char) -> Option<u8> {
    const ZEROS: [u32; 64] = [
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
        0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
        0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136,
        0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0,
        0x16A60, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];
    let code = u32::from(c);
    ZEROS
        .iter()
        .find(|zero| (**zero..**zero + 10).contains(&code))
        .and_then(|zero| u8::try_from(code - zero).ok())
}

/// A number in Java's `BigDecimal` text form, taken apart: its significant digits (no
/// leading zeros; none for zero), split by the point into a whole and a fraction part, and the
/// power of ten the last digit stands for.
struct DecimalText<'a> {
    negative: bool,
    whole: &'a [u8],
    fraction: &'a [u8],
    exponent: i64,
}

impl<'a> DecimalText<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (negative, rest) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let mantissa_end = rest.iter().position(|b| matches!(b, b'e' | b'E')).unwrap_or(rest.len());
        let (mantissa, exponent_text) = rest.split_at(mantissa_end);
        let exponent = match exponent_text {
            [] => 0,
            [_, sign_and_digits @ ..] => {
                // Java reads an `int` exponent: an optional sign and digits, nothing else.
                let digits = sign_and_digits
                    .strip_prefix(b"+")
                    .or_else(|| sign_and_digits.strip_prefix(b"-"));
                let digits = digits.unwrap_or(sign_and_digits);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                i64::from(std::str::from_utf8(sign_and_digits).ok()?.parse::<i32>().ok()?)
            }
        };
        let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, &[][..]),
        };
        if (whole.is_empty() && fraction.is_empty()) || !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
            return None;
        }
        let exponent = exponent - i64::try_from(fraction.len()).ok()?;
        let leading = whole.iter().take_while(|b| **b == b'0').count();
        let (whole, fraction) = if leading == whole.len() {
            let leading = fraction.iter().take_while(|b| **b == b'0').count();
            (&[][..], &fraction[leading..])
        } else {
            (&whole[leading..], fraction)
        };
        Some(Self {
            negative,
            whole,
            fraction,
            exponent,
        })
    }

    /// The number of significant digits.
    fn len(&self) -> usize {
        self.whole.len() + self.fraction.len()
    }

    /// Significant digit `index` (0 is the first), as a number.
    fn digit(&self, index: usize) -> u8 {
        let byte = match index.checked_sub(self.whole.len()) {
            None => self.whole[index],
            Some(in_fraction) => self.fraction[in_fraction],
        };
        byte - b'0'
    }
}

impl<const P: u8, const S: u8> fmt::Display for Decimal<P, S> {
    /// Plain notation with exactly `S` places (`1.50`, `-0.01`, `0.000`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_plain(f, self.0, S)
    }
}

fn write_plain(f: &mut impl fmt::Write, unscaled: i128, scale: u8) -> fmt::Result {
    let magnitude = unscaled.unsigned_abs();
    if unscaled < 0 {
        f.write_str("-")?;
    }
    if scale == 0 {
        return write!(f, "{magnitude}");
    }
    let unit = 10u128.pow(u32::from(scale));
    write!(
        f,
        "{}.{:0width$}",
        magnitude / unit,
        magnitude % unit,
        width = usize::from(scale)
    )
}

/// Text read as a `decimal(precision, scale)` (as [`Decimal::parse`]), as its unscaled value;
/// `None` when it is not a number or does not fit, or the type is not one Spark has.
///
/// ```
/// assert_eq!(stream_core::decimal::parse_unscaled("12.345", 5, 2), Some(1235));
/// ```
#[must_use]
pub fn parse_unscaled(text: &str, precision: u8, scale: u8) -> Option<i128> {
    if !(1..=MAX_PRECISION).contains(&precision) || scale > precision {
        return None;
    }
    let number = DecimalText::parse(text.trim().as_bytes())?;
    // `scale` places of the number are whole units of `10^-scale`: read as an integer.
    let units = DecimalText {
        exponent: number.exponent.checked_add(i64::from(scale))?,
        ..number
    };
    let unscaled = Decimal::<MAX_PRECISION, 0>::from_text(&units)?.unscaled();
    fits(i256::from_i128(unscaled), precision).then_some(unscaled)
}

/// The plain text of an unscaled value at `scale` (`1230` at 2 is `12.30`), as a `Decimal128`
/// cell prints.
///
/// ```
/// assert_eq!(stream_core::decimal::plain_text(-5, 3), "-0.005");
/// ```
#[must_use]
pub fn plain_text(unscaled: i128, scale: u8) -> String {
    let mut text = String::new();
    // Writing to a `String` cannot fail.
    let _ = write_plain(&mut text, unscaled, scale.min(MAX_PRECISION));
    text
}

impl<const P: u8, const S: u8> fmt::Debug for Decimal<P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<const P: u8, const S: u8> Serialize for Decimal<P, S> {
    /// As its exact text (`"12.30"`): a JSON number would pass through a double.
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, const P: u8, const S: u8> Deserialize<'de> for Decimal<P, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a decimal({P},{S}) value")))
    }
}

/// A value read from a `Decimal128` column of the type's precision and scale, as generated
/// code reads one (the column's type was checked when the batch was taken apart).
#[must_use]
pub fn from_column<D: FromUnscaled>(unscaled: i128) -> D {
    D::from_unscaled_unchecked(unscaled)
}

/// A decimal type, built from an unscaled value already known to fit.
pub trait FromUnscaled {
    /// The value `unscaled` (units of `10^-S`).
    fn from_unscaled_unchecked(unscaled: i128) -> Self;
}

impl<const P: u8, const S: u8> FromUnscaled for Decimal<P, S> {
    fn from_unscaled_unchecked(unscaled: i128) -> Self {
        Self(unscaled)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `numerator / denominator` rounded half up, on integers small enough for `i128`.
    fn half_up_quotient(numerator: i128, denominator: i128) -> i128 {
        let (quotient, remainder) = (numerator / denominator, numerator % denominator);
        if 2 * remainder.abs() >= denominator.abs() {
            quotient + if (numerator < 0) == (denominator < 0) { 1 } else { -1 }
        } else {
            quotient
        }
    }

    proptest! {
        #[test]
        fn text_round_trips(unscaled in -9_999_999_999i128..=9_999_999_999) {
            let value = Decimal::<10, 2>::from_unscaled(unscaled).unwrap();
            prop_assert_eq!(Decimal::<10, 2>::parse(&value.to_string()), Some(value));
            prop_assert_eq!(Decimal::<10, 2>::parse(&value.to_java_string()), Some(value));
        }

        /// Sums, products and quotients are the exact value rounded once, half up.
        #[test]
        fn arithmetic_rounds_the_exact_value_once(a in -99_999_999i128..=99_999_999, b in -99_999i128..=99_999) {
            let x = Decimal::<10, 2>::from_unscaled(a).unwrap();
            let y = Decimal::<5, 0>::from_unscaled(b).unwrap();
            prop_assert_eq!(Decimal::<11, 2>::add(x, y).map(Decimal::unscaled), Some(a + b * 100));
            prop_assert_eq!(Decimal::<16, 2>::multiply(x, y).map(Decimal::unscaled), Some(a * b));
            // x * y as a decimal(16,1): the exact product (scale 2) rounded half up once.
            prop_assert_eq!(Decimal::<16, 1>::multiply(x, y).map(Decimal::unscaled), Some(half_up_quotient(a * b, 10)));
            if b != 0 {
                // x / y at scale 8: a / 100 / b × 10^8 = a × 10^6 / b.
                prop_assert_eq!(
                    Decimal::<16, 8>::divide(x, y).map(Decimal::unscaled),
                    Some(half_up_quotient(a * 1_000_000, b))
                );
                prop_assert_eq!(
                    Decimal::<7, 2>::remainder(x, y).map(Decimal::unscaled),
                    Some(a % (b * 100))
                );
            } else {
                prop_assert_eq!(Decimal::<16, 8>::divide(x, y), None);
            }
        }
    }

    #[test]
    fn values_beyond_the_precision_are_none() {
        let max = Decimal::<38, 0>::parse("99999999999999999999999999999999999999").unwrap();
        assert_eq!(
            Decimal::<38, 0>::add(max, Decimal::<1, 0>::from_unscaled(1).unwrap()),
            None
        );
        assert_eq!(Decimal::<38, 0>::multiply(max, max), None);
        assert_eq!(
            Decimal::<38, 6>::divide(max, Decimal::<2, 1>::parse("0.1").unwrap()),
            None
        );
        assert_eq!(max.negate(), None, "Spark negates 38 digits through a 34-digit context");
    }

    #[test]
    fn java_big_integer_text_forms_parse() {
        for (text, expected) in [
            ("1.", "1.00"),
            (".5", "0.50"),
            ("+.5", "0.50"),
            ("1E+3", "1000.00"),
            ("0.125e1", "1.25"),
        ] {
            assert_eq!(
                Decimal::<10, 2>::parse(text).map(|d| d.to_string()).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        for text in ["", ".", "e3", "1e", "1.2.3", "0x10", "NaN", "1_000", "1.5d", "1e400"] {
            assert_eq!(Decimal::<10, 2>::parse(text), None, "{text}");
        }
        assert_eq!(Decimal::<10, 2>::parse("1e-400"), Decimal::from_unscaled(0));
    }
}
