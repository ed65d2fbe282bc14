//! `collect_list` and `collect_set`: a group's non-null values, as an array.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::{Extremum, SparkHash};
use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// A stored value `collect_set` keeps once: hashed and compared as Spark compares it (a
/// double's NaN equal to itself, `-0.0` equal to `0.0`), consistently with its row's view.
pub trait CollectKey {
    /// The hash of the value, the same as [`SparkHash`] of its view.
    fn key_hash(&self) -> u64;
    /// Whether two stored values are one element of a set.
    fn key_eq(&self, other: &Self) -> bool;
}

impl CollectKey for String {
    fn key_hash(&self) -> u64 {
        self.as_str().spark_xxhash64()
    }
    fn key_eq(&self, other: &Self) -> bool {
        self == other
    }
}

macro_rules! copied_collect_key {
    ($($ty:ty),*) => {$(
        impl CollectKey for $ty {
            fn key_hash(&self) -> u64 {
                self.spark_xxhash64()
            }
            fn key_eq(&self, other: &Self) -> bool {
                self.compare(other) == Ordering::Equal
            }
        }
    )*};
}

copied_collect_key!(i8, i16, i32, i64, f32, f64, bool, Timestamp, Date);

impl<const P: u8, const S: u8> CollectKey for Decimal<P, S> {
    fn key_hash(&self) -> u64 {
        self.spark_xxhash64()
    }
    fn key_eq(&self, other: &Self) -> bool {
        self == other
    }
}

/// The buffer of `collect_list` (`DISTINCT` false: every value, in the order seen) or
/// `collect_set` (`DISTINCT` true: each value once, the first time it is seen). Rows' nulls
/// never reach it: Spark skips them.
///
/// ```
/// use stream_core::aggregate::Collected;
/// let (mut list, mut set) = (Collected::<String, false>::default(), Collected::<String, true>::default());
/// for page in ["home", "cart", "home"] {
///     list.update(page);
///     set.update(page);
/// }
/// assert_eq!(list.items(), ["home", "cart", "home"]);
/// assert_eq!(set.items(), ["home", "cart"]);
/// ```
#[derive(Clone, Debug)]
pub struct Collected<T, const DISTINCT: bool> {
    items: Vec<T>,
    /// For a set: an item's position by its hash (the first item of that hash), so a value
    /// already held is found without a scan.
    positions: HashMap<u64, usize, foldhash::fast::FixedState>,
}

impl<T, const DISTINCT: bool> Default for Collected<T, DISTINCT> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            positions: HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0x0c01_1ec7)),
        }
    }
}

impl<T: PartialEq, const DISTINCT: bool> PartialEq for Collected<T, DISTINCT> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<T: CollectKey, const DISTINCT: bool> Collected<T, DISTINCT> {
    /// A buffer holding `items` (as [`Collected::items`] gave them); `None` when a set's items
    /// repeat a value, which no buffer holds.
    #[must_use]
    pub fn restore(items: Vec<T>) -> Option<Self> {
        let mut restored = Self::default();
        for item in items {
            if !restored.add(item) && DISTINCT {
                return None;
            }
        }
        Some(restored)
    }

    /// The values, in the order they were first seen.
    #[must_use]
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Adds a row's value.
    #[inline]
    pub fn update<V: Extremum<Owned = T> + SparkHash>(&mut self, value: V) {
        if !DISTINCT {
            self.items.push(value.to_stored());
            return;
        }
        let hash = value.spark_xxhash64();
        let held = |item: &T| value.compare(item) == Ordering::Equal;
        if self.holds(hash, held) {
            return;
        }
        self.positions.entry(hash).or_insert(self.items.len());
        self.items.push(value.to_stored());
    }

    /// Adds the values of `other`, a later buffer of the group, after this one's.
    pub fn merge(&mut self, other: Self) {
        if !DISTINCT {
            self.items.extend(other.items);
            return;
        }
        other.items.into_iter().for_each(|item| {
            self.add(item);
        });
    }

    /// Adds a stored value; whether it was new.
    fn add(&mut self, item: T) -> bool {
        if DISTINCT {
            let hash = item.key_hash();
            if self.holds(hash, |held| held.key_eq(&item)) {
                return false;
            }
            self.positions.entry(hash).or_insert(self.items.len());
        }
        self.items.push(item);
        true
    }

    /// Whether the set holds a value of `hash` that `equal` accepts: the item the index names,
    /// else (another value of the same hash) any item.
    fn holds(&self, hash: u64, equal: impl Fn(&T) -> bool) -> bool {
        match self.positions.get(&hash) {
            None => false,
            Some(position) => self.items.get(*position).is_some_and(&equal) || self.items.iter().any(equal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_keeps_the_first_of_equal_values() {
        let mut set = Collected::<f64, true>::default();
        for value in [1.0, f64::NAN, -0.0, 0.0, f64::NAN, 1.0] {
            set.update(value);
        }
        assert_eq!(set.items().len(), 3);
        assert!(set.items()[1].is_nan());
        assert!(set.items()[2].is_sign_negative());
    }

    #[test]
    fn merging_appends_the_later_buffer() {
        let (mut earlier, mut later) = (Collected::<i64, true>::default(), Collected::<i64, true>::default());
        [3_i64, 1].into_iter().for_each(|v| earlier.update(v));
        [1_i64, 2, 3, 4].into_iter().for_each(|v| later.update(v));
        earlier.merge(later);
        assert_eq!(earlier.items(), [3, 1, 2, 4]);
        let (mut list, mut more) = (Collected::<i64, false>::default(), Collected::<i64, false>::default());
        [3_i64, 1].into_iter().for_each(|v| list.update(v));
        [1_i64].into_iter().for_each(|v| more.update(v));
        list.merge(more);
        assert_eq!(list.items(), [3, 1, 1]);
    }

    #[test]
    fn a_restored_set_refuses_repeated_values() {
        assert!(Collected::<String, true>::restore(vec!["a".into(), "a".into()]).is_none());
        assert!(Collected::<String, false>::restore(vec!["a".into(), "a".into()]).is_some());
        let restored = Collected::<String, true>::restore(vec!["a".into(), "b".into()]).unwrap();
        let mut set = restored.clone();
        set.update("a");
        assert_eq!(set, restored);
    }
}
