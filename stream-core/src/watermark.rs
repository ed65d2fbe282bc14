//! Watermarks: how far event time has progressed, minus the lateness a query tolerates.
//!
//! As in Spark, the watermark is computed at the end of a batch — the maximum event time seen
//! so far minus the declared delay — and used from the next batch on. It starts at the Unix
//! epoch and never moves back.
//!
//! ```
//! use stream_core::Timestamp;
//! use stream_core::watermark::WatermarkTracker;
//! let ten_minutes = 600_000_000;
//! let mut tracker = WatermarkTracker::new(ten_minutes);
//! tracker.observe(Timestamp::parse("2026-01-01 09:30:00").unwrap());
//! assert_eq!(tracker.current(), Timestamp::from_micros(0)); // not before the batch ends
//! tracker.advance();
//! assert_eq!(tracker.current().to_string(), "2026-01-01 09:20:00");
//! tracker.observe(Timestamp::parse("2026-01-01 09:00:00").unwrap()); // late: no effect
//! tracker.advance();
//! assert_eq!(tracker.current().to_string(), "2026-01-01 09:20:00");
//! ```

use crate::types::Timestamp;

/// How a query with several watermarks (a `with_watermark` on each input of a join or union)
/// chooses its one global watermark: Spark's `spark.sql.streaming.multipleWatermarkPolicy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MultipleWatermarkPolicy {
    /// The slowest input's watermark (Spark's default): no input's rows are dropped as late
    /// because another input runs ahead.
    #[default]
    Min,
    /// The fastest input's watermark: state is evicted sooner, and the slower inputs' rows are
    /// more often late.
    Max,
}

/// Tracks a query's watermark across batches: each watermarked input's own (its latest event
/// time minus its delay, never moving back), and the global one the policy chooses from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatermarkTracker {
    delays: Vec<i64>,
    policy: MultipleWatermarkPolicy,
    current: Timestamp,
    /// Each input's watermark, once it has one (Spark's `operatorToWatermarkMap`).
    inputs: Vec<Option<Timestamp>>,
    /// Each input's latest event time in the current batch.
    batch_max: Vec<Option<Timestamp>>,
}

impl WatermarkTracker {
    /// A tracker for a watermark `delay_micros` behind the latest event time.
    #[must_use]
    pub fn new(delay_micros: i64) -> Self {
        Self::for_inputs(vec![delay_micros], MultipleWatermarkPolicy::Min)
    }

    /// A tracker for a query with one watermark per delay in `delays_micros` (in plan order),
    /// combined by `policy`.
    #[must_use]
    pub fn for_inputs(delays_micros: Vec<i64>, policy: MultipleWatermarkPolicy) -> Self {
        let count = delays_micros.len();
        Self {
            delays: delays_micros,
            policy,
            current: Timestamp::from_micros(0),
            inputs: vec![None; count],
            batch_max: vec![None; count],
        }
    }

    /// Restores a watermark reached earlier (e.g. from a checkpoint).
    #[must_use]
    pub fn resumed(delay_micros: i64, watermark: Timestamp) -> Self {
        Self::new(delay_micros).resume(watermark, &[])
    }

    /// Restores the global watermark and each input's (as [`input_watermarks`](Self::input_watermarks)
    /// gave them; an input left out has none yet).
    #[must_use]
    pub fn resume(mut self, watermark: Timestamp, inputs: &[Timestamp]) -> Self {
        self.current = watermark;
        for (slot, input) in self.inputs.iter_mut().zip(inputs) {
            *slot = Some(*input);
        }
        self
    }

    /// The watermark in force for the current batch.
    #[must_use]
    pub const fn current(&self) -> Timestamp {
        self.current
    }

    /// Each input's own watermark, once every input has one (after a batch), for a checkpoint;
    /// a restart then moves the global watermark exactly as an uninterrupted run would.
    #[must_use]
    pub fn input_watermarks(&self) -> Vec<Timestamp> {
        self.inputs.iter().map_while(|input| *input).collect()
    }

    /// Records the latest event time of a batch (of the query's only watermark).
    pub fn observe(&mut self, max_event_time: Timestamp) {
        self.observe_input(0, max_event_time);
    }

    /// Records the latest event time input `index` saw in a batch.
    pub fn observe_input(&mut self, index: usize, max_event_time: Timestamp) {
        if let Some(seen) = self.batch_max.get_mut(index) {
            *seen = Some(seen.map_or(max_event_time, |seen| seen.max(max_event_time)));
        }
    }

    /// At the end of a batch: each input that saw rows moves its watermark to `max − delay` if
    /// that is later (one that has never seen any holds the epoch, as in Spark), and the global
    /// watermark moves to the policy's choice among them if that is later. Returns whether it
    /// moved.
    pub fn advance(&mut self) -> bool {
        for ((input, seen), delay) in self.inputs.iter_mut().zip(&mut self.batch_max).zip(&self.delays) {
            *input = match (seen.take(), *input) {
                (Some(max), previous) => {
                    let candidate = Timestamp::from_micros(max.micros().saturating_sub(*delay));
                    Some(previous.map_or(candidate, |previous| previous.max(candidate)))
                }
                (None, previous) => Some(previous.unwrap_or_default()),
            };
        }
        let watermarks = self.inputs.iter().flatten().copied();
        let chosen = match self.policy {
            MultipleWatermarkPolicy::Min => watermarks.min(),
            MultipleWatermarkPolicy::Max => watermarks.max(),
        };
        match chosen {
            Some(chosen) if chosen > self.current => {
                self.current = chosen;
                true
            }
            _ => false,
        }
    }
}

/// Event-time statistics of one batch, for progress reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EventTimeStats {
    /// Earliest event time seen.
    pub min: Option<Timestamp>,
    /// Latest event time seen.
    pub max: Option<Timestamp>,
    /// Running mean in milliseconds, updated exactly as Spark's `EventTimeStats` does, so the
    /// reported average matches Spark's to the millisecond.
    avg_millis: f64,
    count: u64,
}

impl EventTimeStats {
    /// Records one row's event time.
    #[inline]
    pub fn observe(&mut self, ts: Timestamp) {
        self.min = Some(self.min.map_or(ts, |m| m.min(ts)));
        self.max = Some(self.max.map_or(ts, |m| m.max(ts)));
        self.count += 1;
        #[expect(clippy::cast_precision_loss, reason = "Spark averages milliseconds as doubles")]
        let millis = (ts.micros() / 1000) as f64;
        self.avg_millis += (millis - self.avg_millis) / self.count as f64;
    }

    /// The mean event time, if any row was seen, truncated to the millisecond as Spark prints it.
    #[must_use]
    pub fn avg(&self) -> Option<Timestamp> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "Spark truncates the mean to whole milliseconds"
        )]
        let millis = self.avg_millis as i64;
        (self.count > 0).then(|| Timestamp::from_micros(millis.saturating_mul(1000)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_watermark_never_decreases_nor_passes_max_minus_delay(
            delay in 0i64..10_000_000_000,
            batches in prop::collection::vec(prop::collection::vec(0i64..100_000_000_000_000, 0..20), 1..30),
        ) {
            let mut tracker = WatermarkTracker::new(delay);
            let mut max_seen = i64::MIN;
            let mut previous = tracker.current();
            for batch in batches {
                for t in batch {
                    tracker.observe(Timestamp::from_micros(t));
                    max_seen = max_seen.max(t);
                }
                tracker.advance();
                prop_assert!(tracker.current() >= previous);
                prop_assert!(tracker.current().micros() == 0 || tracker.current().micros() <= max_seen - delay);
                previous = tracker.current();
            }
        }
    }

    #[test]
    fn stats_average_event_times_in_milliseconds_as_spark() {
        let mut stats = EventTimeStats::default();
        assert_eq!(stats.avg(), None);
        for millis in [10, 20, 61] {
            stats.observe(Timestamp::from_micros(millis * 1000 + 999));
        }
        assert_eq!(stats.min, Some(Timestamp::from_micros(10_999)));
        assert_eq!(stats.max, Some(Timestamp::from_micros(61_999)));
        // (10 + 20 + 61) / 3 = 30.33 ms, truncated to 30 ms; sub-millisecond parts are ignored.
        assert_eq!(stats.avg(), Some(Timestamp::from_micros(30_000)));
    }
}
