//! Accumulators that generated aggregation code updates per row: `min`/`max`, decimal sums and
//! averages here, and Spark's buffers for the other aggregates in the submodules — central
//! moments ([`Moments`], [`HigherMoments`], [`CoMoments`]), picks ([`First`], [`Last`],
//! [`ArgExtremum`]), [`HyperLogLogPlusPlus`], [`ApproxPercentile`] and [`ExactPercentile`]. Each replays Spark's
//! update and merge in Spark's order, so results match Spark's to the bit.
//!
//! ```
//! use stream_core::aggregate::{update_max, update_min};
//! let mut low: Option<String> = None;
//! let mut high: Option<f64> = None;
//! for (name, amount) in [("b", 1.0), ("a", f64::NAN), ("c", 2.0)] {
//!     update_min(&mut low, name);
//!     update_max(&mut high, amount);
//! }
//! assert_eq!(low.as_deref(), Some("a"));
//! assert!(high.unwrap().is_nan()); // Spark orders NaN above every number
//! ```

use std::cmp::Ordering;

use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// A row's value that an aggregate keeps in state (`min`, `max`, `first`, `last`, `max_by`,
/// ...) and compares with the value held there.
pub trait Extremum: Copy {
    /// How the value is stored.
    type Owned;
    /// Spark's ordering of this value against the stored one.
    fn compare(self, stored: &Self::Owned) -> Ordering;
    /// Copies the value into state.
    fn to_stored(self) -> Self::Owned;
    /// Replaces a held value, reusing its allocation where it has one.
    #[inline]
    fn store_into(self, slot: &mut Option<Self::Owned>) {
        *slot = Some(self.to_stored());
    }
}

impl Extremum for &str {
    type Owned = String;
    #[inline]
    fn compare(self, stored: &String) -> Ordering {
        self.cmp(stored.as_str())
    }
    #[inline]
    fn to_stored(self) -> String {
        self.to_owned()
    }
    #[inline]
    fn store_into(self, slot: &mut Option<String>) {
        match slot {
            Some(held) => {
                held.clear();
                held.push_str(self);
            }
            None => *slot = Some(self.to_owned()),
        }
    }
}

/// Floats: NaN is above every number and equal to itself; -0.0 equals 0.0.
macro_rules! float_extremum {
    ($($ty:ty),*) => {$(
        impl Extremum for $ty {
            type Owned = $ty;
            #[inline]
            fn compare(self, stored: &$ty) -> Ordering {
                match (self.is_nan(), stored.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => self.partial_cmp(stored).unwrap_or(Ordering::Equal),
                }
            }
            #[inline]
            fn to_stored(self) -> $ty {
                self
            }
        }
    )*};
}

float_extremum!(f32, f64);

macro_rules! ordered_extremum {
    ($($ty:ty),*) => {$(
        impl Extremum for $ty {
            type Owned = $ty;
            #[inline]
            fn compare(self, stored: &$ty) -> Ordering {
                self.cmp(stored)
            }
            #[inline]
            fn to_stored(self) -> $ty {
                self
            }
        }
    )*};
}

ordered_extremum!(i8, i16, i32, i64, bool, Timestamp, Date);

impl<const P: u8, const S: u8> Extremum for Decimal<P, S> {
    type Owned = Self;
    #[inline]
    fn compare(self, stored: &Self) -> Ordering {
        self.cmp(stored)
    }
    #[inline]
    fn to_stored(self) -> Self {
        self
    }
}

/// `min`: keeps the smaller of the stored value and `value`.
#[inline]
pub fn update_min<V: Extremum>(stored: &mut Option<V::Owned>, value: V) {
    if stored
        .as_ref()
        .is_none_or(|current| value.compare(current) == Ordering::Less)
    {
        *stored = Some(value.to_stored());
    }
}

/// `max`: keeps the larger of the stored value and `value`.
#[inline]
pub fn update_max<V: Extremum>(stored: &mut Option<V::Owned>, value: V) {
    if stored
        .as_ref()
        .is_none_or(|current| value.compare(current) == Ordering::Greater)
    {
        *stored = Some(value.to_stored());
    }
}

/// `sum` of decimals as Spark keeps it: the total in the result type `Decimal<P, S>` (ten
/// more digits than the input's, at most 38), null once it has overflowed — no later value
/// undoes that — and whether any value was added (a sum of no values is null too).
///
/// As in Spark, the aggregation sums each micro-batch's rows apart and then merges that partial
/// sum into the total kept in state ([`merge`](Self::merge), through
/// `KeyedAggregate::upsert_rebased`), where an overflow of either is checked. Within the batch
/// a grouped sum is checked row by row ([`add`](Self::add)), a global one only when it is
/// merged or finished ([`add_unchecked`](Self::add_unchecked)), as Spark's generated code does.
///
/// ```
/// use stream_core::Decimal;
/// use stream_core::aggregate::DecimalSum;
/// let mut total = DecimalSum::<12, 2>::default();
/// assert_eq!(total.finish(), None);
/// total.add(Decimal::<2, 2>::parse("0.25").unwrap());
/// let mut partial = DecimalSum::<12, 2>::default();
/// partial.add(Decimal::<2, 2>::parse("0.50").unwrap());
/// partial.merge(total);
/// assert_eq!(partial.finish().unwrap().to_string(), "0.75");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecimalSum<const P: u8, const S: u8> {
    /// The sum in units of `10^-S`; `None` after an overflow, which no later value undoes. A
    /// global sum's may exceed `P` digits until it is checked.
    total: Option<arrow_buffer::i256>,
    empty: bool,
}

impl<const P: u8, const S: u8> Default for DecimalSum<P, S> {
    fn default() -> Self {
        Self {
            total: Some(arrow_buffer::i256::ZERO),
            empty: true,
        }
    }
}

impl<const P: u8, const S: u8> DecimalSum<P, S> {
    /// Adds a value (of a decimal type the sum's type holds) to a grouped sum: null from the row
    /// on which it no longer fits.
    #[inline]
    pub fn add<const P1: u8, const S1: u8>(&mut self, value: Decimal<P1, S1>) {
        self.add_unchecked(value);
        self.total = self.checked();
    }

    /// Adds a value to a global sum, checked only when merged or finished.
    #[inline]
    pub fn add_unchecked<const P1: u8, const S1: u8>(&mut self, value: Decimal<P1, S1>) {
        self.empty = false;
        self.total = match (self.total, Decimal::<P, S>::units_of(value)) {
            (Some(total), Some(units)) => total.checked_add(units),
            _ => None,
        };
    }

    /// The total if it fits the sum's type.
    fn checked(&self) -> Option<arrow_buffer::i256> {
        self.total
            .filter(|total| Decimal::<P, S>::from_wide_units(*total).is_some())
    }

    /// Adds another sum into this one (the total kept in state, then a batch's partial sum; or
    /// two sessions): null if either, or their sum, does not fit.
    pub fn merge(&mut self, other: Self) {
        self.total = match (self.empty, other.empty) {
            (_, true) => self.checked(),
            (true, false) => other.checked(),
            (false, false) => match (self.checked(), other.checked()) {
                (Some(a), Some(b)) => a
                    .checked_add(b)
                    .filter(|sum| Decimal::<P, S>::from_wide_units(*sum).is_some()),
                _ => None,
            },
        };
        self.empty &= other.empty;
    }

    /// The sum: null for no values or after an overflow.
    #[must_use]
    pub fn finish(&self) -> Option<Decimal<P, S>> {
        if self.empty {
            return None;
        }
        self.checked().and_then(Decimal::from_wide_units)
    }

    /// Whether no value was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// A sum as a checkpoint kept it: its total (`None` after an overflow) and whether it is
    /// empty.
    #[must_use]
    pub fn restore(total: Option<Decimal<P, S>>, empty: bool) -> Self {
        Self {
            total: total.map(|total| arrow_buffer::i256::from_i128(total.unscaled())),
            empty,
        }
    }
}

/// `avg` of decimals as Spark computes it: the [`DecimalSum`] in `Decimal<P, S>` (the input's
/// precision plus ten) and the count; finished as Spark's `DecimalDivideWithOverflowCheck`:
/// the quotient rounded half up to 38 places, then to the average's type.
///
/// ```
/// use stream_core::Decimal;
/// use stream_core::aggregate::DecimalAvg;
/// let mut average = DecimalAvg::<20, 2>::default();
/// for price in ["1.00", "2.00", "2.00"] {
///     average.add(Decimal::<10, 2>::parse(price).unwrap());
/// }
/// // The average of a decimal(10,2) is a decimal(14,6).
/// let mean: Option<Decimal<14, 6>> = average.finish();
/// assert_eq!(mean.unwrap().to_string(), "1.666667");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DecimalAvg<const P: u8, const S: u8> {
    sum: DecimalSum<P, S>,
    count: i64,
}

impl<const P: u8, const S: u8> DecimalAvg<P, S> {
    /// Adds a value.
    #[inline]
    pub fn add<const P1: u8, const S1: u8>(&mut self, value: Decimal<P1, S1>) {
        self.sum.add(value);
        self.count += 1;
    }

    /// Adds a value to a global average (see [`DecimalSum::add_unchecked`]).
    #[inline]
    pub fn add_unchecked<const P1: u8, const S1: u8>(&mut self, value: Decimal<P1, S1>) {
        self.sum.add_unchecked(value);
        self.count += 1;
    }

    /// Adds another average into this one (see [`DecimalSum::merge`]).
    pub fn merge(&mut self, other: Self) {
        self.sum.merge(other.sum);
        self.count += other.count;
    }

    /// The sum and the count so far.
    #[must_use]
    pub fn parts(&self) -> (DecimalSum<P, S>, i64) {
        (self.sum, self.count)
    }

    /// An average as a checkpoint kept it.
    #[must_use]
    pub fn restore(sum: DecimalSum<P, S>, count: i64) -> Self {
        Self { sum, count }
    }

    /// The average in `Decimal<RP, RS>`: null for no values, when the sum overflowed, or when
    /// the average does not fit.
    #[must_use]
    pub fn finish<const RP: u8, const RS: u8>(&self) -> Option<Decimal<RP, RS>> {
        let count = Decimal::<20, 0>::from_i64(self.count)?;
        Decimal::divide(self.sum.finish()?, count)
    }
}

mod collect;
mod exact;
mod hll;
#[rustfmt::skip]
mod hll_tables;
mod moments;
mod picks;
mod quantiles;

pub use collect::{CollectKey, Collected};
pub use exact::{ExactPercentile, PercentileKey, TotalF64};
pub use hll::{HyperLogLogPlusPlus, SparkHash};
pub use moments::{CoMoments, HigherMoments, Moments};
pub use picks::{ArgExtremum, First, Last, Pick, SparkOrd};
pub use quantiles::{ApproxPercentile, PercentileValue, SummaryParts};
