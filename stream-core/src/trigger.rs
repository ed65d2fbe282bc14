//! Triggers: when a streaming query runs its next micro-batch.

use std::time::Duration;

/// When the next micro-batch runs, as Spark's `Trigger`.
///
/// The default, as in Spark, is `ProcessingTime(Duration::ZERO)`: the next batch starts as soon
/// as the previous one ends, and without new data the query polls for it every 10 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A batch at most every `interval`: if a batch takes longer the next one starts at once;
    /// no batch runs when there is no new data.
    ProcessingTime(Duration),
    /// One batch over everything available at start, then stop (deprecated in Spark in favour
    /// of `AvailableNow`, and ignores `max_files_per_trigger`).
    Once,
    /// Everything available at start, in as many batches as the source's limits require
    /// (e.g. `max_files_per_trigger`), then stop. Data arriving after the start waits for the
    /// next run.
    AvailableNow,
}

impl Default for Trigger {
    fn default() -> Self {
        Self::ProcessingTime(Duration::ZERO)
    }
}

impl Trigger {
    /// A processing-time trigger with the given interval.
    #[must_use]
    pub const fn processing_time(interval: Duration) -> Self {
        Self::ProcessingTime(interval)
    }

    /// Whether the query stops by itself once the data present at start is processed.
    #[must_use]
    pub const fn is_bounded(self) -> bool {
        matches!(self, Self::Once | Self::AvailableNow)
    }

    /// How long to wait after a trigger that started `elapsed` ago before the next one.
    #[must_use]
    pub fn wait_after(self, elapsed: Duration, had_data: bool) -> Duration {
        match self {
            Self::ProcessingTime(interval) if !interval.is_zero() => interval.saturating_sub(elapsed),
            Self::ProcessingTime(_) if !had_data => POLLING_DELAY,
            _ => Duration::ZERO,
        }
    }
}

/// Spark's `spark.sql.streaming.pollingDelay`.
const POLLING_DELAY: Duration = Duration::from_millis(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processing_time_waits_for_the_rest_of_the_interval() {
        let trigger = Trigger::processing_time(Duration::from_secs(10));
        assert_eq!(trigger.wait_after(Duration::from_secs(3), true), Duration::from_secs(7));
        assert_eq!(trigger.wait_after(Duration::from_secs(12), true), Duration::ZERO);
        assert_eq!(
            trigger.wait_after(Duration::from_secs(3), false),
            Duration::from_secs(7)
        );
        assert_eq!(Trigger::default().wait_after(Duration::ZERO, true), Duration::ZERO);
        assert_eq!(Trigger::default().wait_after(Duration::ZERO, false), POLLING_DELAY);
        assert!(Trigger::AvailableNow.is_bounded() && !Trigger::default().is_bounded());
    }
}
