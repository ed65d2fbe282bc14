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

/// Tracks one watermark across batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatermarkTracker {
    delay: i64,
    current: Timestamp,
    max_seen: Option<Timestamp>,
}

impl WatermarkTracker {
    /// A tracker for a watermark `delay_micros` behind the latest event time.
    #[must_use]
    pub const fn new(delay_micros: i64) -> Self {
        Self {
            delay: delay_micros,
            current: Timestamp::from_micros(0),
            max_seen: None,
        }
    }

    /// Restores a watermark reached earlier (e.g. from a checkpoint).
    #[must_use]
    pub const fn resumed(delay_micros: i64, watermark: Timestamp) -> Self {
        Self {
            delay: delay_micros,
            current: watermark,
            max_seen: None,
        }
    }

    /// The watermark in force for the current batch.
    #[must_use]
    pub const fn current(&self) -> Timestamp {
        self.current
    }

    /// Records the latest event time of a batch.
    pub fn observe(&mut self, max_event_time: Timestamp) {
        self.max_seen = Some(self.max_seen.map_or(max_event_time, |seen| seen.max(max_event_time)));
    }

    /// At the end of a batch: moves the watermark to `max seen − delay` if that is later.
    /// Returns whether it moved.
    pub fn advance(&mut self) -> bool {
        let Some(max_seen) = self.max_seen else {
            return false;
        };
        let candidate = Timestamp::from_micros(max_seen.micros().saturating_sub(self.delay));
        if candidate > self.current {
            self.current = candidate;
            true
        } else {
            false
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
