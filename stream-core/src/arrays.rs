//! Spark's array functions, for generated code: an array is a slice of element views (`&str`,
//! copied numbers, `Option<..>` of them when elements may be null).

use std::cmp::Ordering;

use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// An array element as Spark orders and compares it: numbers by value (a double's NaN above
/// every number and equal to itself, `-0.0` equal to `0.0`), strings by their UTF-8 bytes, and a
/// null below every value.
pub trait Element: Copy {
    /// `self` against `other`.
    fn order(self, other: Self) -> Ordering;
}

impl Element for &str {
    #[inline]
    fn order(self, other: Self) -> Ordering {
        self.cmp(other)
    }
}

macro_rules! ordered_element {
    ($($ty:ty),*) => {$(
        impl Element for $ty {
            #[inline]
            fn order(self, other: Self) -> Ordering {
                self.cmp(&other)
            }
        }
    )*};
}

ordered_element!(i8, i16, i32, i64, bool, Timestamp, Date);

impl Element for f64 {
    #[inline]
    fn order(self, other: Self) -> Ordering {
        crate::functions::float_compare(self, other)
    }
}

impl Element for f32 {
    #[inline]
    fn order(self, other: Self) -> Ordering {
        crate::functions::float_compare(f64::from(self), f64::from(other))
    }
}

impl<const P: u8, const S: u8> Element for Decimal<P, S> {
    #[inline]
    fn order(self, other: Self) -> Ordering {
        self.cmp(&other)
    }
}

impl<T: Element> Element for Option<T> {
    #[inline]
    fn order(self, other: Self) -> Ordering {
        match (self, other) {
            (Some(left), Some(right)) => left.order(right),
            (left, right) => left.is_some().cmp(&right.is_some()),
        }
    }
}

/// The position in an array of `len` elements that `index` names: 0-based, or 1-based and
/// counted from the end when negative (`element_at`); `None` when there is no such element.
///
/// ```
/// use stream_core::arrays::position;
/// assert_eq!(position(3, 0, false), Some(0));
/// assert_eq!(position(3, -1, true), Some(2));
/// assert_eq!(position(3, 3, false), None);
/// assert_eq!(position(3, 0, true), None);
/// ```
#[must_use]
pub fn position(len: usize, index: i64, one_based: bool) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let position = match (one_based, index) {
        (false, index) => index,
        (true, 0) => return None,
        (true, index) if index > 0 => index - 1,
        (true, index) => len + index,
    };
    usize::try_from(position).ok().filter(|at| (*at as i64) < len)
}

/// `size(array)`: the number of elements, as Spark's `int`.
#[must_use]
pub fn size(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// `array_contains(array, value)` for elements that are never null.
///
/// ```
/// use stream_core::arrays::contains;
/// assert!(contains([1.0, f64::NAN], f64::NAN));
/// assert!(!contains(["a", "b"], "c"));
/// ```
#[must_use]
pub fn contains<T: Element>(items: impl IntoIterator<Item = T>, value: T) -> bool {
    items.into_iter().any(|item| item.order(value) == Ordering::Equal)
}

/// `array_contains(array, value)` for elements that may be null: true when an element equals
/// `value`, else null when an element is null, else false (Spark's three-valued answer).
///
/// ```
/// use stream_core::arrays::contains_nullable;
/// assert_eq!(contains_nullable([Some(1), None], 1), Some(true));
/// assert_eq!(contains_nullable([Some(1), None], 2), None);
/// assert_eq!(contains_nullable([Some(1)], 2), Some(false));
/// ```
#[must_use]
pub fn contains_nullable<T: Element>(items: impl IntoIterator<Item = Option<T>>, value: T) -> Option<bool> {
    let mut saw_null = false;
    for item in items {
        match item {
            Some(item) if item.order(value) == Ordering::Equal => return Some(true),
            Some(_) => {}
            None => saw_null = true,
        }
    }
    (!saw_null).then_some(false)
}

/// `array_distinct(array)`: the first of each group of equal elements, in order (one null at
/// most).
///
/// ```
/// use stream_core::arrays::distinct;
/// assert_eq!(distinct(["b", "a", "b"]), ["b", "a"]);
/// assert_eq!(distinct([Some(1), None, Some(1), None]), [Some(1), None]);
/// ```
#[must_use]
pub fn distinct<T: Element>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::new();
    for item in items {
        if !kept.iter().any(|held| held.order(item) == Ordering::Equal) {
            kept.push(item);
        }
    }
    kept
}

/// `sort_array(array, ascending)`: a stable sort, nulls first when ascending and last when not.
///
/// ```
/// use stream_core::arrays::sort;
/// assert_eq!(sort([Some(3), None, Some(1)], true), [None, Some(1), Some(3)]);
/// assert_eq!(sort([Some(3), None, Some(1)], false), [Some(3), Some(1), None]);
/// ```
#[must_use]
pub fn sort<T: Element>(items: impl IntoIterator<Item = T>, ascending: bool) -> Vec<T> {
    let mut sorted: Vec<T> = items.into_iter().collect();
    if ascending {
        sorted.sort_by(|left, right| left.order(*right));
    } else {
        sorted.sort_by(|left, right| right.order(*left));
    }
    sorted
}

/// The rows `explode_outer` makes of an array: one per element, or a single null row for a
/// null or empty array.
///
/// ```
/// use stream_core::arrays::elements_or_null;
/// let items = ["a", "b"];
/// assert_eq!(elements_or_null(Some(&items[..])).count(), 2);
/// assert_eq!(elements_or_null::<&str>(Some(&[])).collect::<Vec<_>>(), [None]);
/// assert_eq!(elements_or_null::<&str>(None).collect::<Vec<_>>(), [None]);
/// ```
pub fn elements_or_null<T>(items: Option<&[T]>) -> impl Iterator<Item = Option<&T>> {
    let items = items.unwrap_or_default();
    let none = items.is_empty().then_some(None);
    items.iter().map(Some).chain(none)
}
