//! `percentile` and `median`: Spark's exact percentile, from the count of every distinct value,
//! interpolated linearly between the two values around the position `(n - 1) × percentage`
//! (`low + fraction × (high - low)`, as Spark 4.3 computes it: its results differ in the last
//! bits from the older `(1 - fraction) × low + fraction × high`).
//!
//! The state holds one count per distinct value, so it grows with the values' cardinality, as
//! Spark's does; `percentile_approx` is the bounded alternative.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::decimal::Decimal;

/// A double ordered totally: NaN above every number, -0.0 below 0.0.
#[derive(Clone, Copy, Debug)]
pub struct TotalF64(pub f64);

impl PartialEq for TotalF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.0.is_nan(), other.0.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.0.total_cmp(&other.0),
        }
    }
}

/// A number `percentile` counts: the key its counts are kept under, in the column's order, and
/// the key's value as a double.
pub trait PercentileKey: Copy {
    /// How the value is counted.
    type Key: Ord + Copy;
    /// The value's key.
    fn key(self) -> Self::Key;
    /// A key's value as Spark interpolates it.
    fn double(key: Self::Key) -> f64;
}

macro_rules! integer_key {
    ($($ty:ty),*) => {$(
        impl PercentileKey for $ty {
            type Key = i64;
            #[inline]
            fn key(self) -> i64 {
                i64::from(self)
            }
            fn double(key: i64) -> f64 {
                key as f64
            }
        }
    )*};
}

integer_key!(i8, i16, i32, i64);

impl PercentileKey for f64 {
    type Key = TotalF64;
    #[inline]
    fn key(self) -> TotalF64 {
        TotalF64(self)
    }
    fn double(key: TotalF64) -> f64 {
        key.0
    }
}

impl PercentileKey for f32 {
    type Key = TotalF64;
    #[inline]
    fn key(self) -> TotalF64 {
        TotalF64(f64::from(self))
    }
    fn double(key: TotalF64) -> f64 {
        key.0
    }
}

impl<const P: u8, const S: u8> PercentileKey for Decimal<P, S> {
    type Key = Self;
    #[inline]
    fn key(self) -> Self {
        self
    }
    fn double(key: Self) -> f64 {
        key.to_f64()
    }
}

/// The buffer of `percentile(x, percentage)` and `median(x)`: Spark's `Percentile`, a count per
/// distinct value.
///
/// ```
/// use stream_core::aggregate::ExactPercentile;
/// let mut latency = ExactPercentile::<i64>::default();
/// for ms in [10_i64, 20, 30, 40] {
///     latency.update(ms);
/// }
/// assert_eq!(latency.percentile(0.5), Some(25.0)); // halfway between 20 and 30
/// assert_eq!(latency.percentile(1.0), Some(40.0));
/// assert_eq!(ExactPercentile::<i64>::default().percentile(0.5), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExactPercentile<V: PercentileKey> {
    counts: BTreeMap<V::Key, i64>,
}

impl<V: PercentileKey> Default for ExactPercentile<V> {
    fn default() -> Self {
        Self {
            counts: BTreeMap::new(),
        }
    }
}

impl<V: PercentileKey> ExactPercentile<V> {
    /// Counts a value.
    #[inline]
    pub fn update(&mut self, value: V) {
        *self.counts.entry(value.key()).or_insert(0) += 1;
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: Self) {
        for (key, count) in other.counts {
            let held = self.counts.entry(key).or_insert(0);
            *held = held.saturating_add(count);
        }
    }

    /// Spark's exact percentile at `percentage` (0 to 1): null for no values.
    #[must_use]
    pub fn percentile(&self, percentage: f64) -> Option<f64> {
        let total: i64 = self
            .counts
            .values()
            .fold(0_i64, |sum, count| sum.saturating_add(*count));
        if total <= 0 {
            return None;
        }
        let position = (total - 1) as f64 * percentage;
        let (lower, higher) = (position.floor() as i64, position.ceil() as i64);
        // The first key whose running count passes a rank.
        let key_at = |rank: i64| {
            let mut running = 0_i64;
            self.counts.iter().find_map(|(key, count)| {
                running = running.saturating_add(*count);
                (running > rank).then_some(*key)
            })
        };
        let lower_key = key_at(lower)?;
        if higher == lower {
            return Some(V::double(lower_key));
        }
        let higher_key = key_at(higher)?;
        if higher_key == lower_key {
            return Some(V::double(lower_key));
        }
        // Spark 4's interpolation: from the lower value, the fraction of the step to the higher.
        let (low, high) = (V::double(lower_key), V::double(higher_key));
        Some(low + (position - lower as f64) * (high - low))
    }

    /// The counts a checkpoint keeps, by key.
    pub fn counts(&self) -> impl Iterator<Item = (&V::Key, &i64)> {
        self.counts.iter()
    }

    /// A buffer as a checkpoint kept it; `None` for a count below one, as a damaged file's may
    /// hold.
    #[must_use]
    pub fn restore(counts: impl IntoIterator<Item = (V::Key, i64)>) -> Option<Self> {
        let mut restored = BTreeMap::new();
        for (key, count) in counts {
            if count < 1 {
                return None;
            }
            restored.insert(key, count);
        }
        Some(Self { counts: restored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_neighbours_with_duplicates() {
        let mut values = ExactPercentile::<f64>::default();
        for value in [1.0, 2.0, 2.0, 2.0, 10.0] {
            values.update(value);
        }
        assert_eq!(values.percentile(0.5), Some(2.0));
        assert_eq!(values.percentile(0.9), Some(2.0 + (3.6 - 3.0) * 8.0));
        assert_eq!(values.percentile(0.0), Some(1.0));
        let mut other = ExactPercentile::<f64>::default();
        other.update(f64::NAN);
        values.merge(other);
        assert!(values.percentile(1.0).unwrap().is_nan(), "NaN sorts last");
    }
}
