//! Accumulator updates that generated aggregation code calls per row.
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

use crate::types::{Date, Timestamp};

/// A value `min`/`max` can compare with the extremum held in state.
pub trait Extremum: Copy {
    /// How the extremum is stored.
    type Owned;
    /// Spark's ordering of this value against the stored one.
    fn compare(self, stored: &Self::Owned) -> Ordering;
    /// Copies the value into state.
    fn to_stored(self) -> Self::Owned;
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
