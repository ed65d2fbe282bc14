//! Spark's hash functions, value for value: `hash` (Murmur3 x86 32-bit as Spark runs it),
//! `xxhash64`, `md5`, `sha1`, `sha2` and `crc32`.
//!
//! `hash` and `xxhash64` fold their arguments left to right, each hashed with the previous
//! result as its seed, starting from 42; a null argument leaves the seed as it is. Each type
//! hashes as Spark lays it out: booleans, integers of up to 32 bits, floats (as their bits) and
//! dates (as days) as 4 bytes,
//! 64-bit integers, doubles (as their bits, with `-0.0` as `0.0`) and timestamps (as
//! microseconds) as 8, text as its UTF-8 bytes.

use std::fmt::Write as _;

use md5::Digest as _;

use crate::types::{Date, Timestamp};

/// The seed of Spark's `hash` and `xxhash64`.
pub const SEED: i32 = 42;

/// A value Spark's `hash` and `xxhash64` take.
///
/// ```
/// use stream_core::hash::{SEED, SparkHash};
/// // spark.sql("SELECT hash(1), hash('Spark'), xxhash64(1)")
/// assert_eq!(1i32.murmur3(SEED), -559580957);
/// assert_eq!("Spark".murmur3(SEED), 228093765);
/// assert_eq!(1i32.xxhash64(i64::from(SEED)), -6698625589789238999);
/// ```
pub trait SparkHash {
    /// Murmur3 (x86, 32 bits) of the value, as Spark's `hash` computes it.
    fn murmur3(&self, seed: i32) -> i32;
    /// XXH64 of the value, as Spark's `xxhash64` computes it.
    fn xxhash64(&self, seed: i64) -> i64;
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

fn mix_h1(h1: u32, k1: u32) -> u32 {
    (h1 ^ k1).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
}

fn fmix(mut h1: u32, length: u32) -> u32 {
    h1 ^= length;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^ (h1 >> 16)
}

#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)]
fn murmur3_int(value: i32, seed: i32) -> i32 {
    fmix(mix_h1(seed as u32, mix_k1(value as u32)), 4) as i32
}

#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
fn murmur3_long(value: i64, seed: i32) -> i32 {
    let bits = value as u64;
    let h1 = mix_h1(seed as u32, mix_k1(bits as u32));
    fmix(mix_h1(h1, mix_k1((bits >> 32) as u32)), 8) as i32
}

/// Spark's `hashUnsafeBytes`: whole 4-byte words as Murmur3 does, then — unlike standard
/// Murmur3 — each remaining byte mixed alone as a sign-extended word. Hand-written because no
/// crate reproduces this variant, and Spark's values depend on it.
#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
fn murmur3_bytes(bytes: &[u8], seed: i32) -> i32 {
    let mut h1 = seed as u32;
    let mut words = bytes.chunks_exact(4);
    for word in &mut words {
        h1 = mix_h1(h1, mix_k1(u32::from_le_bytes([word[0], word[1], word[2], word[3]])));
    }
    for &byte in words.remainder() {
        h1 = mix_h1(h1, mix_k1(i32::from(byte as i8) as u32));
    }
    fmix(h1, bytes.len() as u32) as i32
}

#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)]
fn xxhash(bytes: &[u8], seed: i64) -> i64 {
    twox_hash::XxHash64::oneshot(seed as u64, bytes) as i64
}

/// A double's bits as Spark hashes them: `-0.0` as `0.0`, every NaN as Java's one NaN.
fn double_bits(value: f64) -> i64 {
    let value = if value == 0.0 { 0.0 } else { value };
    let bits = if value.is_nan() {
        f64::NAN.to_bits()
    } else {
        value.to_bits()
    };
    i64::from_ne_bytes(bits.to_ne_bytes())
}

impl SparkHash for i32 {
    fn murmur3(&self, seed: i32) -> i32 {
        murmur3_int(*self, seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        xxhash(&self.to_le_bytes(), seed)
    }
}

impl SparkHash for i8 {
    fn murmur3(&self, seed: i32) -> i32 {
        i32::from(*self).murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        i32::from(*self).xxhash64(seed)
    }
}

impl SparkHash for i16 {
    fn murmur3(&self, seed: i32) -> i32 {
        i32::from(*self).murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        i32::from(*self).xxhash64(seed)
    }
}

/// A float's bits as Spark hashes them: `-0.0` as `0.0`, every NaN as Java's one NaN.
fn float_bits(value: f32) -> i32 {
    let value = if value == 0.0 { 0.0 } else { value };
    let bits = if value.is_nan() {
        f32::NAN.to_bits()
    } else {
        value.to_bits()
    };
    i32::from_ne_bytes(bits.to_ne_bytes())
}

impl SparkHash for f32 {
    fn murmur3(&self, seed: i32) -> i32 {
        float_bits(*self).murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        float_bits(*self).xxhash64(seed)
    }
}

impl SparkHash for i64 {
    fn murmur3(&self, seed: i32) -> i32 {
        murmur3_long(*self, seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        xxhash(&self.to_le_bytes(), seed)
    }
}

impl SparkHash for f64 {
    fn murmur3(&self, seed: i32) -> i32 {
        murmur3_long(double_bits(*self), seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        double_bits(*self).xxhash64(seed)
    }
}

impl SparkHash for bool {
    fn murmur3(&self, seed: i32) -> i32 {
        i32::from(*self).murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        i32::from(*self).xxhash64(seed)
    }
}

impl SparkHash for str {
    fn murmur3(&self, seed: i32) -> i32 {
        murmur3_bytes(self.as_bytes(), seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        xxhash(self.as_bytes(), seed)
    }
}

impl SparkHash for Timestamp {
    fn murmur3(&self, seed: i32) -> i32 {
        self.micros().murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        self.micros().xxhash64(seed)
    }
}

impl SparkHash for Date {
    fn murmur3(&self, seed: i32) -> i32 {
        self.days().murmur3(seed)
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        self.days().xxhash64(seed)
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `md5(text)`: 32 lowercase hexadecimal digits.
///
/// ```
/// assert_eq!(stream_core::hash::md5("Spark"), "8cde774d6f7333752ed72cacddb05126");
/// ```
#[must_use]
pub fn md5(text: &str) -> String {
    hex(&md5::Md5::digest(text.as_bytes()))
}

/// `sha1(text)` (also `sha`): 40 lowercase hexadecimal digits.
#[must_use]
pub fn sha1(text: &str) -> String {
    hex(&sha1::Sha1::digest(text.as_bytes()))
}

/// `sha2(text, bits)` for 224, 256 (also 0), 384 or 512 bits; null for another length, as
/// Spark.
///
/// ```
/// let digest = stream_core::hash::sha2("Spark", 256).unwrap();
/// assert_eq!(digest, "529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b");
/// assert_eq!(stream_core::hash::sha2("Spark", 0).as_deref(), Some(digest.as_str()));
/// assert_eq!(stream_core::hash::sha2("Spark", 128), None);
/// ```
#[must_use]
pub fn sha2(text: &str, bits: i64) -> Option<String> {
    let bytes = text.as_bytes();
    Some(match bits {
        224 => hex(&sha2::Sha224::digest(bytes)),
        0 | 256 => hex(&sha2::Sha256::digest(bytes)),
        384 => hex(&sha2::Sha384::digest(bytes)),
        512 => hex(&sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

/// `crc32(text)`: the CRC-32 of the UTF-8 bytes, as a non-negative `bigint`.
#[must_use]
pub fn crc32(text: &str) -> i64 {
    i64::from(crc32fast::hash(text.as_bytes()))
}

/// A decimal as Spark hashes it: up to 18 digits as its unscaled long, wider ones as the bytes
/// of Java's `BigInteger.toByteArray` of the unscaled value (big-endian two's complement, as
/// few bytes as hold the sign).
impl<const P: u8, const S: u8> SparkHash for crate::decimal::Decimal<P, S> {
    fn murmur3(&self, seed: i32) -> i32 {
        match compact_unscaled::<P>(self.unscaled()) {
            Some(long) => murmur3_long(long, seed),
            None => murmur3_bytes(&java_big_integer_bytes(self.unscaled()), seed),
        }
    }
    fn xxhash64(&self, seed: i64) -> i64 {
        match compact_unscaled::<P>(self.unscaled()) {
            Some(long) => long.xxhash64(seed),
            None => xxhash(&java_big_integer_bytes(self.unscaled()), seed),
        }
    }
}

/// The unscaled value as a long, when the precision is Spark's compact one (at most 18).
fn compact_unscaled<const P: u8>(unscaled: i128) -> Option<i64> {
    if P <= 18 { i64::try_from(unscaled).ok() } else { None }
}

/// Java's `BigInteger.toByteArray`: big-endian two's complement in the fewest bytes that keep
/// the sign bit.
fn java_big_integer_bytes(value: i128) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let sign = if value < 0 { 0xff } else { 0x00 };
    // Drop leading sign bytes while the next byte still carries the sign in its top bit.
    let mut start = 0;
    while start + 1 < bytes.len() && bytes[start] == sign && (bytes[start + 1] & 0x80) == (sign & 0x80) {
        start += 1;
    }
    bytes[start..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values Spark 4.3 gave (`SELECT hash('abcde'), ...`); the golden test covers every type.
    #[test]
    fn spark_values() {
        // Five bytes: one word, then one byte mixed alone.
        assert_eq!("abcde".murmur3(SEED), 814_637_928);
        assert_eq!("Spark".xxhash64(i64::from(SEED)), -4_294_468_057_691_064_905);
        assert_eq!(crc32("Spark"), 1_557_323_817);
        assert_eq!(sha1("Spark"), "85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c");
        assert_eq!((-0.0f64).murmur3(SEED), 0.0f64.murmur3(SEED));
    }
}
