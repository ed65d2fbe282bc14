//! Streaming deduplication: Spark's `dropDuplicates` and `dropDuplicatesWithinWatermark`.

use super::StatefulOperator;
use crate::plan::{BatchContext, StateMetrics};
use crate::state::snapshot::StateValue;
use crate::state::{GroupTable, KeyProbe, OwnedKey};
use crate::types::Timestamp;

/// How long a deduplication remembers a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forget {
    /// Forever: `drop_duplicates` without the event time among its columns (or without a
    /// watermark), as in Spark.
    Never,
    /// Once the watermark passes the key's event time: `drop_duplicates` with the event time
    /// among its columns.
    AtEventTime,
    /// Once the watermark passes the key's first event time plus the delay (microseconds):
    /// `drop_duplicates_within_watermark`.
    AfterDelay(i64),
}

/// What became of a row offered to a [`Deduplicate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Its key is new: the row goes on.
    New,
    /// Its key was seen: the row is dropped.
    Duplicate,
    /// Its event time is at or before the previous batch's watermark: the row is dropped and
    /// counted in `numRowsDroppedByWatermark` (before deduplication, as in Spark).
    Late,
}

/// Spark's streaming deduplication operator over keys `K`.
///
/// ```
/// use stream_core::operator::{Admission, Deduplicate, Forget, StatefulOperator};
/// use stream_core::plan::BatchContext;
/// use stream_core::state::{InlineKey, KeyStr};
/// use stream_core::Timestamp;
///
/// let at = |minute: i64| Some(Timestamp::from_micros(minute * 60_000_000));
/// let mut dedup: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
/// let mut context = BatchContext::new(Timestamp::from_micros(0), Timestamp::from_micros(0));
/// dedup.begin_batch(&context);
/// assert_eq!(dedup.admit((InlineKey("e1"),), at(600)), Admission::New);
/// assert_eq!(dedup.admit((InlineKey("e1"),), at(601)), Admission::Duplicate);
/// dedup.end_batch(&mut context);
/// // The next batch drops rows at or before the watermark the first one left.
/// let mut context = BatchContext::new(at(595).unwrap(), at(590).unwrap());
/// dedup.begin_batch(&context);
/// assert_eq!(dedup.admit((InlineKey("e3"),), at(540)), Admission::Late);
/// dedup.end_batch(&mut context);
/// assert_eq!(context.dropped_by_watermark, 1);
/// assert_eq!(dedup.name(), "dedupe");
/// ```
#[derive(Debug)]
pub struct Deduplicate<K> {
    /// Each key seen, with the time at which the watermark forgets it.
    seen: GroupTable<K, Timestamp>,
    forget: Forget,
    late_event_watermark: Timestamp,
    dropped_late: u64,
}

/// The expiry of a key never forgotten.
const NEVER: Timestamp = Timestamp::from_micros(i64::MAX);

impl<K: OwnedKey> Deduplicate<K> {
    /// An empty operator that forgets keys as `forget` says.
    #[must_use]
    pub fn new(forget: Forget) -> Self {
        Self {
            seen: GroupTable::new(),
            forget,
            late_event_watermark: Timestamp::default(),
            dropped_late: 0,
        }
    }

    /// Starts a batch with `context`'s watermarks.
    pub fn begin_batch(&mut self, context: &BatchContext) {
        self.seen.begin_batch();
        self.late_event_watermark = context.late_event_watermark;
        self.dropped_late = 0;
    }

    /// Offers a row with key `probe` and, when the query has a watermark, the row's event time
    /// (`None` also for a null one: such a row is never late and its key never forgotten, as
    /// Spark's null predicates are never true).
    #[inline]
    pub fn admit<P: KeyProbe<Owned = K>>(&mut self, probe: P, event_time: Option<Timestamp>) -> Admission {
        if let Some(time) = event_time
            && super::is_late(time, self.late_event_watermark)
        {
            self.dropped_late += 1;
            return Admission::Late;
        }
        let expiry = match (self.forget, event_time) {
            (Forget::Never, _) | (_, None) => NEVER,
            (Forget::AtEventTime, Some(time)) => time,
            (Forget::AfterDelay(delay), Some(time)) => Timestamp::from_micros(time.micros().saturating_add(delay)),
        };
        if self.seen.insert_new(probe, expiry) {
            Admission::New
        } else {
            Admission::Duplicate
        }
    }

    /// Ends the batch: forgets the keys `context`'s watermark has passed, and reports the late
    /// rows dropped.
    pub fn end_batch(&mut self, context: &mut BatchContext) {
        if self.forget != Forget::Never {
            let watermark = context.watermark;
            self.seen.evict(|_, expiry| super::is_expired(*expiry, watermark));
        }
        context.dropped_by_watermark += self.dropped_late;
    }

    /// The keys remembered, in the order first seen.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> {
        self.seen.iter().map(|(key, _)| key)
    }
}

impl<K: OwnedKey + StateValue> StatefulOperator for Deduplicate<K> {
    fn name(&self) -> &'static str {
        match self.forget {
            Forget::AfterDelay(_) => "dedupeWithinWatermark",
            Forget::Never | Forget::AtEventTime => "dedupe",
        }
    }

    fn metrics(&self) -> StateMetrics {
        self.seen.metrics()
    }

    fn dropped_by_watermark(&self) -> u64 {
        self.dropped_late
    }

    one_table_state!(seen: K => Timestamp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{InlineKey, KeyStr};
    use proptest::prelude::*;

    fn minutes(m: i64) -> Timestamp {
        Timestamp::from_micros(m * 60_000_000)
    }

    /// Runs `batches` of `(id, minute)` rows through a deduplication with a watermark of
    /// `delay` minutes, as the engine does; returns each batch's admitted ids and drop count.
    fn run(forget: Forget, delay: i64, batches: &[Vec<(u8, i64)>]) -> Vec<(Vec<u8>, u64)> {
        let mut dedup: Deduplicate<(KeyStr,)> = Deduplicate::new(forget);
        let (mut late_watermark, mut watermark) = (minutes(0), minutes(0));
        let mut out = Vec::new();
        for batch in batches {
            let mut context = BatchContext::new(watermark, late_watermark);
            dedup.begin_batch(&context);
            let mut admitted = Vec::new();
            for &(id, minute) in batch {
                let key = id.to_string();
                if dedup.admit((InlineKey(&key),), Some(minutes(minute))) == Admission::New {
                    admitted.push(id);
                }
            }
            dedup.end_batch(&mut context);
            out.push((admitted, context.dropped_by_watermark));
            late_watermark = watermark;
            if let Some(max) = batch.iter().map(|&(_, m)| m).max() {
                watermark = watermark.max(minutes(max - delay));
            }
        }
        out
    }

    #[test]
    fn spark_s_simple_case_drops_the_late_row_and_keeps_keys() {
        // golden/issue10 "simple": e1 10:00, e2 10:05, e3 09:00, one per batch.
        let got = run(Forget::Never, 10, &[vec![(1, 600)], vec![(2, 605)], vec![(3, 540)]]);
        assert_eq!(got, [(vec![1], 0), (vec![2], 0), (vec![], 1)]);
    }

    #[test]
    fn a_key_is_forgotten_only_when_its_event_time_is_a_key() {
        // The same id again long after the watermark passed its first time.
        let batches = [vec![(1, 50)], vec![(9, 100)], vec![(9, 200)], vec![(1, 300)]];
        assert_eq!(run(Forget::Never, 10, &batches)[3].0, Vec::<u8>::new());
        assert_eq!(run(Forget::AtEventTime, 10, &batches)[3].0, [1]);
        assert_eq!(run(Forget::AfterDelay(minutes(10).micros()), 10, &batches)[3].0, [1]);
    }

    #[test]
    fn names_follow_spark() {
        assert_eq!(Deduplicate::<(KeyStr,)>::new(Forget::AtEventTime).name(), "dedupe");
        assert_eq!(
            Deduplicate::<(KeyStr,)>::new(Forget::AfterDelay(1)).name(),
            "dedupeWithinWatermark"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Without a watermark, a row is admitted exactly when its key is new, however the
        /// input is split into batches.
        #[test]
        fn without_a_watermark_batches_do_not_matter(ids in proptest::collection::vec(0u8..20, 0..60), cut in 0usize..60) {
            let cut = cut.min(ids.len());
            let mut dedup: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
            let mut admitted = Vec::new();
            for batch in [&ids[..cut], &ids[cut..]] {
                let mut context = BatchContext::default();
                dedup.begin_batch(&context);
                for id in batch {
                    let key = id.to_string();
                    if dedup.admit((InlineKey(&key),), None) == Admission::New {
                        admitted.push(*id);
                    }
                }
                dedup.end_batch(&mut context);
            }
            let mut first_seen = Vec::new();
            for id in &ids {
                if !first_seen.contains(id) {
                    first_seen.push(*id);
                }
            }
            prop_assert_eq!(admitted, first_seen);
        }

        /// With `AtEventTime`, state holds no key the watermark has passed.
        #[test]
        fn state_is_bounded_by_the_watermark(batches in proptest::collection::vec(proptest::collection::vec((0u8..30, 0i64..200), 0..20), 1..8)) {
            let mut dedup: Deduplicate<(KeyStr, Timestamp)> = Deduplicate::new(Forget::AtEventTime);
            let mut watermark = minutes(0);
            let mut late = minutes(0);
            for batch in &batches {
                let mut context = BatchContext::new(watermark, late);
                dedup.begin_batch(&context);
                for &(id, minute) in batch {
                    let key = id.to_string();
                    dedup.admit((InlineKey(&key), minutes(minute)), Some(minutes(minute)));
                }
                dedup.end_batch(&mut context);
                prop_assert!(dedup.keys().all(|(_, time)| *time > watermark));
                late = watermark;
                if let Some(max) = batch.iter().map(|&(_, m)| m).max() {
                    watermark = watermark.max(minutes(max - 10));
                }
            }
        }
    }
}
