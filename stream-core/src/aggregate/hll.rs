//! `approx_count_distinct`: HyperLogLog++ as Spark computes it, so that the estimates are
//! Spark's for the same values.
//!
//! Each value is hashed with XXH64 (seed 42) the way Spark hashes its type, the hash's top `P`
//! bits pick one of `2^P` registers, and the register keeps the largest position of the first
//! one bit in the rest. The estimate is Spark's: linear counting while registers are empty and
//! the count is small, otherwise the harmonic mean corrected by the empirical bias tables of the
//! HyperLogLog++ paper (`hll_tables`, read out of Spark), rounded to the nearest integer.

use twox_hash::XxHash64;

use super::hll_tables::{BIASES, RAW_ESTIMATES, THRESHOLDS};
use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// Spark's seed for the hashes of `approx_count_distinct`.
const SEED: u64 = 42;

/// How many raw estimates around the nearest one the bias is interpolated from.
const NEIGHBOURS: usize = 6;

/// A value `approx_count_distinct` counts: hashed as Spark hashes its type.
pub trait SparkHash: Copy {
    /// Spark's `XxHash64Function.hash(value, type, 42)`.
    fn spark_xxhash64(self) -> u64;
}

/// Spark's `XXH64.hashInt`: XXH64 of the value's four little-endian bytes.
fn hash_int(value: i32) -> u64 {
    XxHash64::oneshot(SEED, &value.to_le_bytes())
}

/// Spark's `XXH64.hashLong`: XXH64 of the value's eight little-endian bytes.
fn hash_long(value: i64) -> u64 {
    XxHash64::oneshot(SEED, &value.to_le_bytes())
}

macro_rules! int_hash {
    ($($ty:ty),*) => {$(
        impl SparkHash for $ty {
            fn spark_xxhash64(self) -> u64 {
                hash_int(i32::from(self))
            }
        }
    )*};
}

int_hash!(i8, i16, i32);

impl SparkHash for i64 {
    fn spark_xxhash64(self) -> u64 {
        hash_long(self)
    }
}

impl SparkHash for bool {
    fn spark_xxhash64(self) -> u64 {
        hash_int(i32::from(self))
    }
}

/// Spark normalizes -0.0 to 0.0 and every NaN to one before hashing a float.
impl SparkHash for f32 {
    fn spark_xxhash64(self) -> u64 {
        let normal = if self.is_nan() { f32::NAN } else { self + 0.0 };
        hash_int(i32::from_ne_bytes(normal.to_bits().to_ne_bytes()))
    }
}

impl SparkHash for f64 {
    fn spark_xxhash64(self) -> u64 {
        let normal = if self.is_nan() { f64::NAN } else { self + 0.0 };
        hash_long(i64::from_ne_bytes(normal.to_bits().to_ne_bytes()))
    }
}

impl SparkHash for &str {
    fn spark_xxhash64(self) -> u64 {
        XxHash64::oneshot(SEED, self.as_bytes())
    }
}

impl SparkHash for Timestamp {
    fn spark_xxhash64(self) -> u64 {
        hash_long(self.micros())
    }
}

impl SparkHash for Date {
    fn spark_xxhash64(self) -> u64 {
        hash_int(self.days())
    }
}

/// A decimal of up to 18 digits hashes as its unscaled long; a wider one as the bytes of its
/// unscaled `BigInteger` (big-endian two's complement, shortest).
impl<const P: u8, const S: u8> SparkHash for Decimal<P, S> {
    fn spark_xxhash64(self) -> u64 {
        let unscaled = self.unscaled();
        if P <= 18 {
            return hash_long(i64::try_from(unscaled).unwrap_or_default());
        }
        let bytes = unscaled.to_be_bytes();
        // Drop leading bytes that only repeat the sign of the next one.
        let mut start = 0;
        while start < bytes.len() - 1 {
            let (byte, next) = (bytes[start], bytes[start + 1]);
            if (byte == 0 && next & 0x80 == 0) || (byte == 0xff && next & 0x80 != 0) {
                start += 1;
            } else {
                break;
            }
        }
        XxHash64::oneshot(SEED, &bytes[start..])
    }
}

/// The HyperLogLog++ sketch of `approx_count_distinct` with `2^P` registers.
///
/// ```
/// use stream_core::aggregate::HyperLogLogPlusPlus;
/// let mut users = HyperLogLogPlusPlus::<9>::default();
/// for id in (0..1000_i64).chain(0..500) {
///     users.update(id);
/// }
/// let estimate = users.estimate();
/// assert!((950..=1050).contains(&estimate), "{estimate}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HyperLogLogPlusPlus<const P: u8> {
    /// One register per index, allocated at the first value.
    registers: Vec<u8>,
}

impl<const P: u8> HyperLogLogPlusPlus<P> {
    const REGISTERS: usize = 1 << P;

    /// Counts a value.
    #[inline]
    pub fn update<V: SparkHash>(&mut self, value: V) {
        if self.registers.is_empty() {
            self.registers = vec![0; Self::REGISTERS];
        }
        let hash = value.spark_xxhash64();
        let index = (hash >> (64 - u32::from(P))) as usize;
        // The first one bit after the index bits, counted from 1; a pad bit bounds it.
        let rank = ((hash << P) | (1 << (P - 1))).leading_zeros() as u8 + 1;
        if let Some(register) = self.registers.get_mut(index) {
            *register = (*register).max(rank);
        }
    }

    /// Folds `other` into `self`: each register's maximum.
    pub fn merge(&mut self, other: Self) {
        if self.registers.is_empty() {
            *self = other;
            return;
        }
        for (mine, theirs) in self.registers.iter_mut().zip(other.registers) {
            *mine = (*mine).max(theirs);
        }
    }

    /// Spark's estimate of the number of distinct values counted.
    #[must_use]
    pub fn estimate(&self) -> i64 {
        if self.registers.is_empty() {
            return 0;
        }
        let m = Self::REGISTERS as f64;
        let (mut inverse_sum, mut zeros) = (0.0_f64, 0.0_f64);
        for register in &self.registers {
            inverse_sum += 1.0 / (1_u64 << register) as f64;
            if *register == 0 {
                zeros += 1.0;
            }
        }
        let alpha_m2 = match P {
            4 => 0.673 * m * m,
            5 => 0.697 * m * m,
            6 => 0.709 * m * m,
            _ => (0.7213 / (1.0 + 1.079 / m)) * m * m,
        };
        let raw = alpha_m2 / inverse_sum;
        let corrected = || {
            if P < 19 && raw < 5.0 * m {
                raw - Self::bias(raw)
            } else {
                raw
            }
        };
        let estimate = if zeros > 0.0 {
            let linear = m * (m / zeros).ln();
            let threshold = THRESHOLDS.get(usize::from(P) - 4).copied().unwrap_or(0.0);
            if (P < 19 && linear <= threshold) || raw <= 2.5 * m {
                linear
            } else {
                corrected()
            }
        } else {
            corrected()
        };
        estimate.round() as i64
    }

    /// The bias of a raw estimate: the mean of the measured biases at the `NEIGHBOURS` raw
    /// estimates nearest to it, found from where Java's binary search lands (the tables are
    /// not strictly sorted, so its landing point is part of the result).
    fn bias(raw: f64) -> f64 {
        let table = usize::from(P) - 4;
        let (estimates, biases) = (RAW_ESTIMATES[table], BIASES[table]);
        let count = estimates.len();
        let nearest = java_binary_search(estimates, raw);
        let distance = |i: usize| {
            let diff = raw - estimates[i];
            diff * diff
        };
        let mut low = (nearest + 1).saturating_sub(NEIGHBOURS);
        let mut high = (low + NEIGHBOURS).min(count);
        while high < count && distance(high) < distance(low) {
            low += 1;
            high += 1;
        }
        let sum = biases[low..high].iter().fold(0.0, |sum, bias| sum + bias);
        sum / (high - low) as f64
    }

    /// The registers a checkpoint keeps (none before the first value).
    #[must_use]
    pub fn registers(&self) -> &[u8] {
        &self.registers
    }

    /// A sketch as a checkpoint kept it; `None` when the registers are not `2^P` (or none), or
    /// one holds a rank no hash gives (above `65 - P`), as a damaged file's may.
    #[must_use]
    pub fn restore(registers: Vec<u8>) -> Option<Self> {
        let most = 65 - P;
        let valid =
            (registers.is_empty() || registers.len() == Self::REGISTERS) && registers.iter().all(|rank| *rank <= most);
        valid.then_some(Self { registers })
    }
}

/// `java.util.Arrays.binarySearch(double[], double)`: the index of a value equal to `key`
/// that the bisection meets, or where `key` would be inserted. Its midpoints are Java's, so it
/// lands where Java's does in a table that is not strictly sorted.
fn java_binary_search(values: &[f64], key: f64) -> usize {
    // Java's inclusive `high` is `end - 1`.
    let (mut low, mut end) = (0, values.len());
    while low < end {
        let mid = (low + end - 1) / 2;
        let value = values[mid];
        if value < key {
            low = mid + 1;
        } else if value > key {
            end = mid;
        } else {
            return mid;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XXH64's reference values, seed 42, and the fixed-width forms Spark's `hashInt` and
    /// `hashLong` compute.
    #[test]
    fn hashes_are_spark_xxh64() {
        assert_eq!(XxHash64::oneshot(0, b""), 0xef46_db37_51d8_e999);
        assert_eq!(hash_int(1), XxHash64::oneshot(42, &[1, 0, 0, 0]));
        assert_eq!(0.0_f64.spark_xxhash64(), (-0.0_f64).spark_xxhash64());
        let other_nan = f64::from_bits(f64::NAN.to_bits() | 1);
        assert_eq!(other_nan.spark_xxhash64(), f64::NAN.spark_xxhash64());
    }

    #[test]
    fn precision_from_error() {
        use stream_grammar::hll_precision;
        assert_eq!(hll_precision(0.39), Some(4));
        assert_eq!(hll_precision(0.2), Some(5));
        assert_eq!(hll_precision(0.4), None);
        assert_eq!(hll_precision(f64::NAN), None);
        assert_eq!(hll_precision(0.0), None);
        assert_eq!(hll_precision(0.0001), None, "2^24 registers at most");
        assert_eq!(hll_precision(0.000_271), Some(24));
    }

    #[test]
    fn java_search_lands_where_java_does() {
        let values = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(java_binary_search(&values, 0.5), 0);
        assert_eq!(java_binary_search(&values, 3.0), 3);
        assert_eq!(java_binary_search(&values, 9.0), 4);
        assert_eq!(java_binary_search(&values, 4.0), 3);
    }

    #[test]
    fn decimals_hash_as_spark_big_integers() {
        // 1 as a decimal(20, 0): BigInteger's shortest bytes are [1].
        let one = Decimal::<20, 0>::parse("1").unwrap();
        assert_eq!(one.spark_xxhash64(), XxHash64::oneshot(SEED, &[1]));
        let minus = Decimal::<20, 0>::parse("-129").unwrap();
        assert_eq!(minus.spark_xxhash64(), XxHash64::oneshot(SEED, &[0xff, 0x7f]));
        let small = Decimal::<10, 2>::parse("1.50").unwrap();
        assert_eq!(small.spark_xxhash64(), hash_long(150));
    }

    #[test]
    fn merging_takes_each_registers_maximum() {
        let (mut a, mut b, mut both) = (
            HyperLogLogPlusPlus::<9>::default(),
            HyperLogLogPlusPlus::<9>::default(),
            HyperLogLogPlusPlus::<9>::default(),
        );
        for i in 0..3000_i64 {
            if i % 3 == 0 {
                a.update(i);
            } else {
                b.update(i);
            }
            both.update(i);
        }
        a.merge(b);
        assert_eq!(a, both);
        assert_eq!(HyperLogLogPlusPlus::<9>::default().estimate(), 0);
    }
}
