//! Aggregates that pick one row's value: `first`, `last`, `max_by` and `min_by`, with Spark's
//! rules for nulls, ties and the order in which a batch's partial result meets the state.
//!
//! Spark merges a batch's partial buffer (on the left) with the buffer kept in state (on the
//! right). So across micro-batches `first` keeps the newest batch's first value and `last` the
//! oldest batch's last one, and a tie in `max_by` goes to the right-hand side: the later row
//! within a batch, the stored one across batches. These are Spark's results, not accidents.

use std::cmp::Ordering;

use super::Extremum;
use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// Spark's ordering of two stored values (for merging [`ArgExtremum`]s): NaN above every
/// number, -0.0 equal to 0.0.
pub trait SparkOrd {
    /// `self` against `other`.
    fn spark_cmp(&self, other: &Self) -> Ordering;
}

impl SparkOrd for String {
    fn spark_cmp(&self, other: &Self) -> Ordering {
        self.as_str().compare(other)
    }
}

macro_rules! copied_spark_ord {
    ($($ty:ty),*) => {$(
        impl SparkOrd for $ty {
            fn spark_cmp(&self, other: &Self) -> Ordering {
                self.compare(other)
            }
        }
    )*};
}

copied_spark_ord!(i8, i16, i32, i64, f32, f64, bool, Timestamp, Date);

impl<const P: u8, const S: u8> SparkOrd for Decimal<P, S> {
    fn spark_cmp(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }
}

/// `first(x)` / `first(x, ignore_nulls)`: the first value the buffer saw (null included,
/// unless nulls are ignored).
///
/// ```
/// use stream_core::aggregate::First;
/// let (mut first, mut first_present) = (First::<String>::default(), First::<String>::default());
/// for name in [None, Some("b"), Some("c")] {
///     first.update(name, false);
///     first_present.update(name, true);
/// }
/// assert_eq!(first.value(), None);
/// assert_eq!(first_present.value().map(String::as_str), Some("b"));
/// ```
pub type First<T> = Pick<T, false>;

/// `last(x)` / `last(x, ignore_nulls)`: the last value the buffer saw (null included, unless
/// nulls are ignored).
///
/// ```
/// use stream_core::aggregate::Last;
/// let (mut last, mut last_present) = (Last::<i64>::default(), Last::<i64>::default());
/// for amount in [Some(1_i64), Some(2), None] {
///     last.update(amount, false);
///     last_present.update(amount, true);
/// }
/// assert_eq!(last.value(), None);
/// assert_eq!(last_present.value(), Some(&2));
/// ```
pub type Last<T> = Pick<T, true>;

/// The buffer of [`First`] (`LAST = false`) and [`Last`]: Spark's `first`/`last` buffer, the
/// value and whether one was picked.
#[derive(Clone, Debug, PartialEq)]
pub struct Pick<T, const LAST: bool> {
    value: Option<T>,
    set: bool,
}

impl<T, const LAST: bool> Default for Pick<T, LAST> {
    fn default() -> Self {
        Self {
            value: None,
            set: false,
        }
    }
}

impl<T, const LAST: bool> Pick<T, LAST> {
    /// Offers a row's value: `first` takes it if it has none yet, `last` always; a null counts
    /// unless nulls are ignored.
    #[inline]
    pub fn update<V: Extremum<Owned = T>>(&mut self, value: Option<V>, ignore_nulls: bool) {
        if (!LAST && self.set) || (ignore_nulls && value.is_none()) {
            return;
        }
        match value {
            Some(value) => value.store_into(&mut self.value),
            None => self.value = None,
        }
        self.set = true;
    }

    /// Folds `other` into `self`: `first` keeps `self`'s value if it has one, `last` takes
    /// `other`'s if it has one.
    pub fn merge(&mut self, other: Self) {
        let takes_other = if LAST { other.set } else { !self.set };
        if takes_other {
            *self = other;
        }
    }

    /// The value picked: null when none was, or when the picked value is null.
    #[must_use]
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// The parts a checkpoint keeps: the value and whether one was picked.
    #[must_use]
    pub fn parts(&self) -> (&Option<T>, bool) {
        (&self.value, self.set)
    }

    /// A buffer as a checkpoint kept it.
    #[must_use]
    pub fn restore(value: Option<T>, set: bool) -> Self {
        Self { value, set }
    }
}

/// `max_by(value, ordering)` (`MAX = true`) and `min_by`: the value of the row with the
/// greatest (least) ordering; rows with a null ordering are skipped, and a tie goes to the
/// later row, as Spark's.
///
/// ```
/// use stream_core::aggregate::ArgExtremum;
/// let mut cheapest = ArgExtremum::<String, f64, false>::default();
/// for (item, price) in [("tea", Some(3.0)), ("jam", None), ("egg", Some(1.5)), ("oat", Some(1.5))] {
///     cheapest.update(Some(item), price);
/// }
/// assert_eq!(cheapest.value().map(String::as_str), Some("oat"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ArgExtremum<V, O, const MAX: bool> {
    value: Option<V>,
    ordering: Option<O>,
}

impl<V, O, const MAX: bool> Default for ArgExtremum<V, O, MAX> {
    fn default() -> Self {
        Self {
            value: None,
            ordering: None,
        }
    }
}

impl<V, O: SparkOrd, const MAX: bool> ArgExtremum<V, O, MAX> {
    /// Whether an ordering that compares `ordering` to the held one replaces it: Spark keeps
    /// the held value only when it is strictly better.
    #[inline]
    fn replaces(ordering: Ordering) -> bool {
        if MAX {
            ordering != Ordering::Less
        } else {
            ordering != Ordering::Greater
        }
    }

    /// Offers a row's value and ordering.
    #[inline]
    pub fn update<A: Extremum<Owned = V>, B: Extremum<Owned = O>>(&mut self, value: Option<A>, ordering: Option<B>) {
        let Some(ordering) = ordering else {
            return;
        };
        if self
            .ordering
            .as_ref()
            .is_none_or(|held| Self::replaces(ordering.compare(held)))
        {
            match value {
                Some(value) => value.store_into(&mut self.value),
                None => self.value = None,
            }
            ordering.store_into(&mut self.ordering);
        }
    }

    /// Folds `other` into `self`; a tie goes to `other`.
    pub fn merge(&mut self, other: Self) {
        let Some(theirs) = &other.ordering else {
            return;
        };
        if self
            .ordering
            .as_ref()
            .is_none_or(|held| Self::replaces(theirs.spark_cmp(held)))
        {
            *self = other;
        }
    }

    /// The value picked: null when no row had an ordering, or when its value is null.
    #[must_use]
    pub fn value(&self) -> Option<&V> {
        self.value.as_ref()
    }

    /// The parts a checkpoint keeps: the value and its ordering.
    #[must_use]
    pub fn parts(&self) -> (&Option<V>, &Option<O>) {
        (&self.value, &self.ordering)
    }

    /// A buffer as a checkpoint kept it.
    #[must_use]
    pub fn restore(value: Option<V>, ordering: Option<O>) -> Self {
        Self { value, ordering }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_across_a_merge() {
        // The batch's partial buffer is on the left, the stored one on the right.
        let mut batch = First::<i64>::default();
        batch.update(Some(7_i64), false);
        let mut stored = First::<i64>::default();
        stored.update(Some(1_i64), false);
        batch.merge(stored);
        assert_eq!(batch.value(), Some(&7));

        let mut batch = Last::<i64>::default();
        batch.update(Some(7_i64), false);
        let mut stored = Last::<i64>::default();
        stored.update(Some(1_i64), false);
        batch.merge(stored);
        assert_eq!(batch.value(), Some(&1));

        let mut empty = Last::<i64>::default();
        empty.update(None::<i64>, true);
        let mut stored = Last::<i64>::default();
        stored.update(Some(3_i64), false);
        stored.merge(empty);
        assert_eq!(stored.value(), Some(&3));
    }

    #[test]
    fn arg_extremum_nan_and_ties() {
        let mut top = ArgExtremum::<i64, f64, true>::default();
        top.update(Some(1_i64), Some(f64::NAN));
        top.update(Some(2_i64), Some(1e300));
        assert_eq!(top.value(), Some(&1));
        top.update(Some(3_i64), Some(f64::NAN));
        assert_eq!(top.value(), Some(&3));
        top.update(None::<i64>, Some(f64::NAN));
        assert_eq!(top.value(), None);

        let mut low = ArgExtremum::<i64, i64, false>::default();
        low.update(Some(1_i64), Some(5_i64));
        let mut stored = ArgExtremum::<i64, i64, false>::default();
        stored.update(Some(2_i64), Some(5_i64));
        low.merge(stored);
        assert_eq!(low.value(), Some(&2));
        low.merge(ArgExtremum::default());
        assert_eq!(low.value(), Some(&2));
    }
}
