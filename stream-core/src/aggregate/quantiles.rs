//! `percentile_approx`: Spark's quantile summaries (Greenwald–Khanna, with a head buffer), so
//! that the percentiles are Spark's for the same values.
//!
//! A summary keeps samples `(value, g, delta)` — `g` the least rank gap to the previous
//! sample, `delta` the rank's uncertainty — compressed so that their count stays near
//! `2 / relative_error`, and values not yet merged in a head buffer of up to 50,000. Spark
//! compresses a batch's partial summary when it serializes it, merges it into the stored one,
//! and answers from the merged samples; each step here is Spark's, in the same order.

use std::cmp::Ordering;

use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// Values held in the head buffer before they are merged into the samples (Spark's
/// `QuantileSummaries.defaultHeadSize`).
const HEAD_SIZE: usize = 50_000;

/// Samples above which a full head buffer's merge is compressed too (Spark's
/// `defaultCompressThreshold`).
const COMPRESS_THRESHOLD: usize = 10_000;

/// One sample of a summary.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    value: f64,
    /// The least rank gap to the previous sample.
    g: i64,
    /// How far the rank may be above its least value.
    delta: i64,
}

/// A value `percentile_approx` ranks: read as a double, and its percentile turned back into the
/// column's type as Spark turns it.
pub trait PercentileValue: Copy {
    /// The value as Spark ranks it.
    fn to_double(self) -> f64;
    /// A percentile as a value of the column's type (`None` where Spark's is null).
    fn from_double(value: f64) -> Option<Self>;
}

macro_rules! number_percentile {
    ($($ty:ty),*) => {$(
        impl PercentileValue for $ty {
            #[inline]
            fn to_double(self) -> f64 {
                self as f64
            }
            /// Java's narrowing: saturating to an integer type, NaN to zero.
            fn from_double(value: f64) -> Option<Self> {
                Some(value as $ty)
            }
        }
    )*};
}

number_percentile!(i32, i64, f32, f64);

/// A byte or short percentile is Java's `toInt` then a wrapping narrowing.
macro_rules! narrow_percentile {
    ($($ty:ty),*) => {$(
        impl PercentileValue for $ty {
            #[inline]
            fn to_double(self) -> f64 {
                f64::from(self)
            }
            fn from_double(value: f64) -> Option<Self> {
                Some((value as i32) as $ty)
            }
        }
    )*};
}

narrow_percentile!(i8, i16);

impl PercentileValue for Date {
    fn to_double(self) -> f64 {
        f64::from(self.days())
    }
    fn from_double(value: f64) -> Option<Self> {
        Some(Date::from_days(value as i32))
    }
}

impl PercentileValue for Timestamp {
    fn to_double(self) -> f64 {
        self.micros() as f64
    }
    fn from_double(value: f64) -> Option<Self> {
        Some(Timestamp::from_micros(value as i64))
    }
}

/// A decimal is ranked as its double, and its percentile made back into the decimal type as
/// Spark's cast of a double does (null when it does not fit).
impl<const P: u8, const S: u8> PercentileValue for Decimal<P, S> {
    fn to_double(self) -> f64 {
        self.to_f64()
    }
    fn from_double(value: f64) -> Option<Self> {
        Self::from_f64(value)
    }
}

/// An [`ApproxPercentile`]'s parts, as a checkpoint keeps them.
#[derive(Debug)]
pub struct SummaryParts<'a> {
    /// The samples, as `(value, g, delta)`.
    pub samples: Vec<(f64, i64, i64)>,
    /// Values in the samples.
    pub count: i64,
    /// Values not merged into the samples yet.
    pub head: &'a [f64],
    /// Whether the last change was a compression.
    pub compressed: bool,
}

/// The buffer of `percentile_approx(x, percentage, ACCURACY)`: Spark's `PercentileDigest`,
/// with relative error `1 / ACCURACY`.
///
/// ```
/// use stream_core::aggregate::ApproxPercentile;
/// let mut latency = ApproxPercentile::<10000>::default();
/// for ms in [12_i64, 7, 30, 9, 15] {
///     latency.update(ms);
/// }
/// assert_eq!(latency.percentile::<i64>(0.5), Some(12));
/// assert_eq!(latency.percentile::<i64>(1.0), Some(30));
/// assert_eq!(ApproxPercentile::<100>::default().percentile::<i64>(0.5), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ApproxPercentile<const ACCURACY: u32> {
    samples: Vec<Sample>,
    /// Values in the samples (not the head buffer).
    count: i64,
    head: Vec<f64>,
    /// Whether the last change was a compression (Spark compresses again only if not).
    compressed: bool,
}

impl<const ACCURACY: u32> Default for ApproxPercentile<ACCURACY> {
    fn default() -> Self {
        Self {
            samples: Vec::new(),
            count: 0,
            head: Vec::new(),
            compressed: true,
        }
    }
}

/// Java's `Double.compare`: -0.0 below 0.0, every NaN above every number.
fn java_compare(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

impl<const ACCURACY: u32> ApproxPercentile<ACCURACY> {
    const RELATIVE_ERROR: f64 = 1.0 / ACCURACY as f64;

    /// Adds a value (Spark's `QuantileSummaries.insert`).
    #[inline]
    pub fn update<V: PercentileValue>(&mut self, value: V) {
        self.head.push(value.to_double());
        self.compressed = false;
        if self.head.len() >= HEAD_SIZE {
            self.insert_head();
            if self.samples.len() >= COMPRESS_THRESHOLD {
                self.compress();
            }
        }
    }

    /// Merges the sorted head buffer into the samples (Spark's `withHeadBufferInserted`).
    fn insert_head(&mut self) {
        if self.head.is_empty() {
            return;
        }
        let mut sorted = std::mem::take(&mut self.head);
        sorted.sort_by(|a, b| java_compare(*a, *b));
        let old = std::mem::take(&mut self.samples);
        let mut merged = Vec::with_capacity(old.len() + sorted.len());
        let mut count = self.count;
        let mut next = 0;
        for (index, value) in sorted.iter().enumerate() {
            while next < old.len() && old[next].value <= *value {
                merged.push(old[next]);
                next += 1;
            }
            count += 1;
            let delta = if merged.is_empty() || (next == old.len() && index == sorted.len() - 1) {
                0
            } else {
                (2.0 * Self::RELATIVE_ERROR * count as f64).floor() as i64
            };
            merged.push(Sample {
                value: *value,
                g: 1,
                delta,
            });
        }
        merged.extend_from_slice(&old[next..]);
        self.samples = merged;
        self.count = count;
        self.compressed = false;
    }

    /// Spark's `compress`: the head buffer inserted, then neighbouring samples merged while the
    /// rank uncertainty allows.
    fn compress(&mut self) {
        self.insert_head();
        let threshold = 2.0 * Self::RELATIVE_ERROR * self.count as f64;
        self.samples = compress_samples(&self.samples, threshold);
        self.compressed = true;
    }

    /// Compresses the summary unless its last change was a compression, as Spark does before it
    /// serializes a buffer (and so before a batch's partial summary meets the stored one).
    pub fn refresh(&mut self) {
        if !self.compressed {
            self.compress();
        }
    }

    /// Folds `other` into `self` (Spark's `QuantileSummaries.merge` of two compressed
    /// summaries; on equal values `other`'s sample goes first).
    pub fn merge(&mut self, mut other: Self) {
        self.refresh();
        other.refresh();
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        let extra_self = (2.0 * Self::RELATIVE_ERROR * other.count as f64).floor() as i64;
        let extra_other = (2.0 * Self::RELATIVE_ERROR * self.count as f64).floor() as i64;
        let (mine, theirs) = (&self.samples, &other.samples);
        let mut merged = Vec::with_capacity(mine.len() + theirs.len());
        let (mut i, mut j) = (0, 0);
        while i < mine.len() && j < theirs.len() {
            if mine[i].value < theirs[j].value {
                let extra = if j > 0 { extra_self } else { 0 };
                merged.push(Sample {
                    delta: mine[i].delta.saturating_add(extra),
                    ..mine[i]
                });
                i += 1;
            } else {
                let extra = if i > 0 { extra_other } else { 0 };
                merged.push(Sample {
                    delta: theirs[j].delta.saturating_add(extra),
                    ..theirs[j]
                });
                j += 1;
            }
        }
        merged.extend_from_slice(&mine[i..]);
        merged.extend_from_slice(&theirs[j..]);
        let count = self.count.saturating_add(other.count);
        self.samples = compress_samples(&merged, 2.0 * Self::RELATIVE_ERROR * count as f64);
        self.count = count;
        self.compressed = true;
    }

    /// The approximate percentile at `percentage` (0 to 1) in the column's type: null for no
    /// values.
    #[must_use]
    pub fn percentile<V: PercentileValue>(&self, percentage: f64) -> Option<V> {
        if self.compressed {
            return self.query(percentage).and_then(V::from_double);
        }
        let mut compressed = self.clone();
        compressed.compress();
        compressed.query(percentage).and_then(V::from_double)
    }

    /// Spark's `QuantileSummaries.query` of one percentile over compressed samples.
    fn query(&self, percentage: f64) -> Option<f64> {
        let (first, last) = (self.samples.first()?, self.samples.last()?);
        if percentage <= Self::RELATIVE_ERROR {
            return Some(first.value);
        }
        if percentage >= 1.0 - Self::RELATIVE_ERROR {
            return Some(last.value);
        }
        let target_error = (self
            .samples
            .iter()
            .map(|s| s.delta.saturating_add(s.g))
            .max()
            .unwrap_or(i64::MIN)
            / 2) as f64;
        let rank = (percentage * self.count as f64).ceil() as i64 as f64;
        let mut min_rank = first.g;
        for (index, sample) in self.samples[..self.samples.len() - 1].iter().enumerate() {
            if index > 0 {
                min_rank = min_rank.saturating_add(sample.g);
            }
            let max_rank = min_rank.saturating_add(sample.delta);
            if max_rank as f64 - target_error <= rank && rank <= min_rank as f64 + target_error {
                return Some(sample.value);
            }
        }
        Some(last.value)
    }

    /// The parts a checkpoint keeps.
    #[must_use]
    pub fn parts(&self) -> SummaryParts<'_> {
        SummaryParts {
            samples: self.samples.iter().map(|s| (s.value, s.g, s.delta)).collect(),
            count: self.count,
            head: &self.head,
            compressed: self.compressed,
        }
    }

    /// A summary as a checkpoint kept it; `None` when the parts break a summary's invariants
    /// (sample gaps that do not add up to the count, negative ranks, unsorted values), as a
    /// damaged file's may.
    #[must_use]
    pub fn restore(samples: &[(f64, i64, i64)], count: i64, head: Vec<f64>, compressed: bool) -> Option<Self> {
        let mut gaps: i64 = 0;
        for (index, &(value, g, delta)) in samples.iter().enumerate() {
            gaps = gaps.checked_add(g)?;
            let sorted = index == 0 || java_compare(samples[index - 1].0, value) != Ordering::Greater;
            if g < 0 || delta < 0 || !sorted {
                return None;
            }
        }
        (gaps == count).then(|| Self {
            samples: samples
                .iter()
                .map(|&(value, g, delta)| Sample { value, g, delta })
                .collect(),
            count,
            head,
            compressed,
        })
    }
}

/// Spark's `compressImmut`: from the last sample back, a sample merges into the one after it
/// while their gaps and uncertainty stay under `threshold`; the first and last samples stay.
fn compress_samples(samples: &[Sample], threshold: f64) -> Vec<Sample> {
    let Some((&last, rest)) = samples.split_last() else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut head = last;
    for sample in rest.iter().skip(1).rev() {
        // Saturating: a restored summary's ranks are checked to add up, not to be small.
        if (sample.g.saturating_add(head.g).saturating_add(head.delta) as f64) < threshold {
            head.g = head.g.saturating_add(sample.g);
        } else {
            kept.push(head);
            head = *sample;
        }
    }
    kept.push(head);
    if samples.len() > 1 && samples[0].value <= head.value {
        kept.push(samples[0]);
    }
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_are_exact_ranks() {
        let mut summary = ApproxPercentile::<10000>::default();
        for value in (1..=100_i64).rev() {
            summary.update(value);
        }
        assert_eq!(summary.percentile::<i64>(0.0), Some(1));
        assert_eq!(summary.percentile::<i64>(0.25), Some(25));
        assert_eq!(summary.percentile::<i64>(0.5), Some(50));
        assert_eq!(summary.percentile::<i64>(0.999), Some(100));
    }

    #[test]
    fn merged_summaries_stay_within_the_error() {
        let (mut left, mut right) = (ApproxPercentile::<100>::default(), ApproxPercentile::<100>::default());
        for value in 0..120_000_i64 {
            if value % 3 == 0 {
                left.update(value);
            } else {
                right.update(value);
            }
        }
        left.refresh();
        right.refresh();
        left.merge(right);
        let median = left.percentile::<i64>(0.5).unwrap();
        assert!((median - 60_000).abs() <= 2_400, "{median}");
        assert!(left.samples.len() < 1_000, "{} samples kept", left.samples.len());
    }

    #[test]
    fn narrowing_is_javas() {
        assert_eq!(i8::from_double(300.0), Some(44));
        assert_eq!(i32::from_double(f64::NAN), Some(0));
        assert_eq!(i64::from_double(1e300), Some(i64::MAX));
    }
}
