//! The type the `stream!` macro gives a column whose definition did not compile, in the stub it
//! emits next to its errors: it takes part in arithmetic, comparisons and formatting with any
//! value, so the program's own uses of the column add no errors of their own and the build
//! reports only the query's mistake.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Not, Rem, Sub};

/// A column whose definition has a compile error (the error says why).
///
/// ```
/// use stream_core::failed_column::FailedColumn;
/// let failed = FailedColumn;
/// let _ = failed + 1.0;
/// let _ = 2 * failed;
/// assert!(!(failed > 10.0) && !(failed == "x"));
/// assert_eq!(failed.to_string(), "<failed column>");
/// ```
#[derive(Debug, Clone, Copy, Default, Hash)]
pub struct FailedColumn;

impl fmt::Display for FailedColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<failed column>")
    }
}

impl<T> PartialEq<T> for FailedColumn {
    fn eq(&self, _: &T) -> bool {
        false
    }
}

impl<T> PartialOrd<T> for FailedColumn {
    fn partial_cmp(&self, _: &T) -> Option<Ordering> {
        None
    }
}

impl Neg for FailedColumn {
    type Output = Self;
    fn neg(self) -> Self {
        self
    }
}

impl Not for FailedColumn {
    type Output = Self;
    fn not(self) -> Self {
        self
    }
}

macro_rules! operators {
    ($($trait:ident $method:ident),*) => {$(
        impl<T> $trait<T> for FailedColumn {
            type Output = Self;
            fn $method(self, _: T) -> Self {
                self
            }
        }
    )*};
}

operators!(Add add, Sub sub, Mul mul, Div div, Rem rem);

macro_rules! with_values {
    ($($value:ty),*) => {$(
        impl Add<FailedColumn> for $value {
            type Output = FailedColumn;
            fn add(self, failed: FailedColumn) -> FailedColumn {
                failed
            }
        }
        impl Sub<FailedColumn> for $value {
            type Output = FailedColumn;
            fn sub(self, failed: FailedColumn) -> FailedColumn {
                failed
            }
        }
        impl Mul<FailedColumn> for $value {
            type Output = FailedColumn;
            fn mul(self, failed: FailedColumn) -> FailedColumn {
                failed
            }
        }
        impl Div<FailedColumn> for $value {
            type Output = FailedColumn;
            fn div(self, failed: FailedColumn) -> FailedColumn {
                failed
            }
        }
        impl Rem<FailedColumn> for $value {
            type Output = FailedColumn;
            fn rem(self, failed: FailedColumn) -> FailedColumn {
                failed
            }
        }
        impl PartialEq<FailedColumn> for $value {
            fn eq(&self, _: &FailedColumn) -> bool {
                false
            }
        }
        impl PartialOrd<FailedColumn> for $value {
            fn partial_cmp(&self, _: &FailedColumn) -> Option<Ordering> {
                None
            }
        }
    )*};
}

with_values!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

macro_rules! compared_with {
    ($($value:ty),*) => {$(
        impl PartialEq<FailedColumn> for $value {
            fn eq(&self, _: &FailedColumn) -> bool {
                false
            }
        }
    )*};
}

compared_with!(bool, String, str, &str, crate::types::Timestamp, crate::types::Date);
