//! Stateful operators: Spark's streaming semantics as generic runtime types.
//!
//! Each operator owns what Spark's stateful operator owns — its state store, the late-row
//! filter and its drop count, eviction by watermark, what it emits in each output mode, its
//! metrics, snapshot and restore, and Spark's name for it in progress reports — and is generic
//! over the types `stream!` generates for a query (its key and accumulator). The generated
//! code calls them from its fused row loop; it decides nothing about streaming semantics.
//!
//! A batch runs in three phases: `begin_batch` with the batch's [`BatchContext`] (its
//! watermarks), the per-row calls, then `end_batch` (or, for an aggregation, `emit` and
//! `end_batch`), which evicts what the watermark passed and reports into the context.
//!
//! [`BatchContext`]: crate::plan::BatchContext

mod aggregate;
mod dedup;
mod join;
mod session;
mod sort;
mod stream_join;

pub use aggregate::KeyedAggregate;
pub use dedup::{Admission, Deduplicate, Forget};
pub use join::{StaticJoinSide, StaticTable, StaticTables, matches_or_none, static_table};
pub use session::SessionAggregate;
pub use sort::{SortKey, sort_limit};
pub use stream_join::{Eviction, JoinInput, JoinRow, StreamJoin, StreamJoinType, TimeBound};

use crate::plan::{OperatorReport, StateMetrics};
use crate::types::Timestamp;

/// What the engine asks of every stateful operator, whatever its keys and values: its name and
/// state metrics for progress reports, and its state, exactly, for checkpoints.
///
/// ```
/// use stream_core::operator::{Deduplicate, Forget, StatefulOperator};
/// use stream_core::plan::BatchContext;
/// use stream_core::state::{InlineKey, KeyStr};
///
/// let mut seen: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
/// let mut context = BatchContext::default();
/// seen.begin_batch(&context);
/// seen.admit((InlineKey("e1"),), None);
/// seen.end_batch(&mut context);
/// let snapshot = seen.snapshot();
/// let mut restored: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
/// restored.restore(&snapshot).unwrap();
/// assert_eq!(restored.report().metrics.num_rows_total, 1);
/// assert_eq!(restored.report().name, "dedupe");
/// ```
pub trait StatefulOperator {
    /// Spark's name for the operator in progress reports.
    fn name(&self) -> &'static str;

    /// State metrics after the last batch.
    fn metrics(&self) -> StateMetrics;

    /// The state, exactly, for a checkpoint.
    fn snapshot(&self) -> String;

    /// Replaces the state with a [`snapshot`](Self::snapshot).
    ///
    /// # Errors
    /// A message saying what does not fit, when the snapshot was taken by another operator.
    fn restore(&mut self, snapshot: &str) -> Result<(), String>;

    /// The name and metrics together, for the progress report's `stateOperators`.
    fn report(&self) -> OperatorReport {
        OperatorReport {
            name: self.name(),
            metrics: self.metrics(),
        }
    }
}

/// Whether an event time is late: at or before the watermark of the batch before (Spark
/// filters late input one batch behind eviction, and a time equal to the watermark is late).
#[inline]
#[must_use]
pub fn is_late(event_time: Timestamp, late_event_watermark: Timestamp) -> bool {
    event_time <= late_event_watermark
}

/// Whether state bounded by `event_time` (a window's end, an event time, an expiry) is past
/// the batch's watermark and so final: it is evicted, and in append mode emitted.
#[inline]
#[must_use]
pub fn is_expired(event_time: Timestamp, watermark: Timestamp) -> bool {
    event_time <= watermark
}
