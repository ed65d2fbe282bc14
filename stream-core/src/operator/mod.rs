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

/// The state methods of a [`StatefulOperator`] whose state is one
/// [`GroupTable`](crate::state::GroupTable): `self.$table`, of keys `$key` and values `$value`.
macro_rules! one_table_state {
    ($table:ident: $key:ty => $value:ty) => {
        fn state_schema(&self) -> $crate::state::store::OperatorSchema {
            $crate::state::store::OperatorSchema {
                operator: self.name().to_owned(),
                stores: vec![$crate::state::store::StoreSchema::of::<$key, $value>("")],
            }
        }

        fn track_changes(&mut self) {
            self.$table.track_changes();
        }

        fn write_changes(&mut self, _store: usize, out: &mut $crate::state::store::StoreWriter) {
            self.$table.write_changes(out);
        }

        fn write_all(&self, _store: usize, out: &mut $crate::state::store::StoreWriter) {
            self.$table.write_all(out);
        }

        fn restore(&mut self, _store: usize, rows: &[(&[u8], &[u8])]) -> Result<(), String> {
            self.$table = $crate::state::GroupTable::restore_rows(rows.iter().copied())?;
            Ok(())
        }
    };
}

mod aggregate;
mod dedup;
mod join;
mod session;
mod sort;
pub mod stateful;
mod stream_join;

pub use aggregate::KeyedAggregate;
pub use dedup::{Admission, Deduplicate, Forget};
pub use join::{StaticJoinSide, StaticTable, StaticTables, matches_or_none, static_table};
pub use session::SessionAggregate;
pub use sort::{SortKey, sort_limit};
pub use stream_join::{Eviction, JoinInput, JoinRow, StreamJoin, StreamJoinType, TimeBound};

use crate::plan::{OperatorReport, StateMetrics};
use crate::state::store::{OperatorSchema, StoreWriter};
use crate::types::Timestamp;

/// What the engine asks of every stateful operator, whatever its keys and values: its name and
/// state metrics for progress reports, and its state, exactly, for checkpoints — as the changes
/// of each batch (a delta) or whole (a snapshot), in the files of [`crate::state::store`].
///
/// ```
/// use stream_core::operator::{Deduplicate, Forget, StatefulOperator};
/// use stream_core::plan::BatchContext;
/// use stream_core::state::store::{FileKind, MergedRows, StoreFile, StoreWriter};
/// use stream_core::state::{InlineKey, KeyStr};
///
/// let mut seen: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
/// seen.track_changes();
/// let mut context = BatchContext::default();
/// seen.begin_batch(&context);
/// seen.admit((InlineKey("e1"),), None);
/// seen.end_batch(&mut context);
/// let mut delta = StoreWriter::new(FileKind::Delta);
/// seen.write_changes(0, &mut delta);
/// let delta = delta.finish();
///
/// let mut rows = MergedRows::default();
/// rows.apply(&StoreFile::parse(&delta).unwrap()).unwrap();
/// let mut restored: Deduplicate<(KeyStr,)> = Deduplicate::new(Forget::Never);
/// restored.restore(0, &rows.into_ordered()).unwrap();
/// assert_eq!(restored.report().metrics.num_rows_total, 1);
/// assert_eq!(restored.report().name, "dedupe");
/// ```
pub trait StatefulOperator {
    /// Spark's name for the operator in progress reports.
    fn name(&self) -> &'static str;

    /// State metrics after the last batch.
    fn metrics(&self) -> StateMetrics;

    /// The operator's state stores, named as Spark names them in a checkpoint: one unnamed store
    /// for most operators, one per side for a join.
    fn store_names(&self) -> &'static [&'static str] {
        &[""]
    }

    /// The shape of each store's keys and values, in [`store_names`](Self::store_names)'
    /// order, which a checkpoint records to check a restarted query's state against.
    fn state_schema(&self) -> OperatorSchema;

    /// Starts recording what changes in state, for [`write_changes`](Self::write_changes).
    fn track_changes(&mut self);

    /// Writes what changed in store `store` since the last call (or since
    /// [`track_changes`](Self::track_changes)): the rows removed and the rows put.
    fn write_changes(&mut self, store: usize, out: &mut StoreWriter);

    /// Writes every row of store `store`.
    fn write_all(&self, store: usize, out: &mut StoreWriter);

    /// Replaces store `store`'s rows with `rows` (encoded keys and values, in order), as
    /// [`MergedRows`](crate::state::store::MergedRows) replays them from a checkpoint.
    ///
    /// # Errors
    /// A message naming the first row that is not of the operator's types.
    fn restore(&mut self, store: usize, rows: &[(&[u8], &[u8])]) -> Result<(), String>;

    /// The input the last batch dropped as late: rows, or groups for an aggregation (as Spark
    /// counts them, after its partial aggregation).
    fn dropped_by_watermark(&self) -> u64;

    /// The watermark of the rows this operator emits when it evicts with `input`: Spark's
    /// `produceOutputWatermark`, the watermark a stateful operator after it gets. An
    /// aggregation or a deduplication passes its input watermark on; a join passes on its
    /// state watermark, behind by its time bounds.
    fn output_watermark(&self, input: Timestamp) -> Timestamp {
        input
    }

    /// The name and metrics together, for the progress report's `stateOperators`.
    fn report(&self) -> OperatorReport {
        OperatorReport {
            name: self.name(),
            metrics: self.metrics(),
            dropped_by_watermark: self.dropped_by_watermark(),
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

/// A checkpoint in memory for the operators' tests: each batch's deltas, replayed into a fresh
/// operator as a restart does.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct ReplayedState {
    /// Each store's delta files, oldest first.
    deltas: Vec<Vec<Vec<u8>>>,
}

#[cfg(test)]
impl ReplayedState {
    /// Records `operator`'s changes since the last call, as the runtime does after a batch.
    pub(crate) fn commit(&mut self, operator: &mut dyn StatefulOperator) {
        let stores = operator.store_names().len();
        self.deltas.resize_with(stores, Vec::new);
        for (store, deltas) in self.deltas.iter_mut().enumerate() {
            let mut delta = StoreWriter::new(crate::state::store::FileKind::Delta);
            operator.write_changes(store, &mut delta);
            deltas.push(delta.finish());
        }
    }

    /// Restores `fresh` from every delta so far, and has it track its changes.
    pub(crate) fn restore_into(&self, fresh: &mut dyn StatefulOperator) {
        self.try_restore_into(fresh).unwrap();
    }

    /// Restores `fresh` from every delta so far, or says why its state cannot be restored.
    pub(crate) fn try_restore_into(&self, fresh: &mut dyn StatefulOperator) -> Result<(), String> {
        use crate::state::store::{MergedRows, StoreFile};
        for (store, deltas) in self.deltas.iter().enumerate() {
            let files: Vec<StoreFile<'_>> = deltas.iter().map(|d| StoreFile::parse(d).unwrap()).collect();
            let mut rows = MergedRows::default();
            for file in &files {
                rows.apply(file).unwrap();
            }
            fresh.restore(store, &rows.into_ordered())?;
        }
        fresh.track_changes();
        Ok(())
    }
}
