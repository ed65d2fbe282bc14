//! The foreach-batch sink.

use std::fmt;

use arrow_array::RecordBatch;

use super::{AcceptsMode, RunsWithoutCheckpoint, Sink, SinkContext};
use crate::error::{Error, Result};
use crate::plan::Row;

/// The error a `foreach_batch` function may return. It stops the query, and comes back as the
/// [`Error::Sink`]'s source, so its own type can be recovered with `downcast_ref`.
pub type BatchError = crate::error::BoxedError;

type BatchFn = dyn FnMut(u64, &RecordBatch) -> std::result::Result<(), BatchError> + Send;

/// Hands each micro-batch's output to a function, as Spark's `foreachBatch`: write it
/// anywhere, to several places, or with operations streams do not have.
///
/// **At least once.** After a crash, the last batch may be handed over again with the same
/// batch id; a function that must not write twice keeps the last batch id it finished (for
/// example in the same transaction as the data) and skips ids it has seen. An error returned by
/// the function stops the query, and the batch is not committed.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use rill::prelude::*;
/// use rill::sink::ForeachBatch;
/// use rill::source::MemoryStream;
///
/// rill::stream! {
///     schema Reading { sensor: String, value: f64 }
///     query Hot(raw: Reading) { raw.filter(value > 30.0) }
/// }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let input: MemoryStream<Reading> = MemoryStream::new();
/// input.add_rows(&[Reading { sensor: "a".into(), value: 31.5 }, Reading { sensor: "b".into(), value: 12.0 }]).unwrap();
/// let sink = ForeachBatch::rows(move |batch_id, rows: Vec<HotRow>| {
///     log.lock().unwrap().extend(rows.into_iter().map(|row| (batch_id, row.sensor)));
///     Ok(())
/// });
/// Hot::read(input).append().to(sink).trigger(Trigger::AvailableNow).start().unwrap().await_termination().unwrap();
/// assert_eq!(*seen.lock().unwrap(), [(0, "a".to_owned())]);
/// ```
pub struct ForeachBatch {
    function: Box<BatchFn>,
}

impl ForeachBatch {
    /// Calls `function` with each batch id and its output as a record batch.
    pub fn new(
        function: impl FnMut(u64, &RecordBatch) -> std::result::Result<(), BatchError> + Send + 'static,
    ) -> Self {
        Self {
            function: Box::new(function),
        }
    }

    /// Calls `function` with each batch id and its output as typed rows.
    pub fn rows<R: Row>(
        mut function: impl FnMut(u64, Vec<R>) -> std::result::Result<(), BatchError> + Send + 'static,
    ) -> Self {
        Self::new(move |batch_id, batch| function(batch_id, R::from_batch(batch)?))
    }
}

impl fmt::Debug for ForeachBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeachBatch").finish_non_exhaustive()
    }
}

impl Sink for ForeachBatch {
    fn description(&self) -> String {
        "ForeachBatchSink".to_owned()
    }

    fn open(&mut self, _context: &SinkContext) -> Result<()> {
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        (self.function)(batch_id, batch).map_err(|error| Error::Sink {
            sink: self.description(),
            batch_id,
            message: error.to_string(),
            source: Some(error),
        })
    }
}

impl<M> AcceptsMode<M> for ForeachBatch {}
#[diagnostic::do_not_recommend]
impl RunsWithoutCheckpoint for ForeachBatch {}
