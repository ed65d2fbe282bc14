//! Sinks: where a streaming query's output goes after each micro-batch.

mod console;
mod file;
mod foreach_batch;
mod memory;

pub use console::ConsoleSink;
pub use file::{FileFormat, FileSink, read_file_sink, read_parquet_output};
pub(crate) use file::{committed_files, has_metadata_log, partition_column, partition_values};
pub use foreach_batch::{BatchError, ForeachBatch};
pub use memory::{MemorySink, memory_table};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::error::Result;
use crate::plan::OutputMode;

/// What a sink learns about the query when it starts.
#[derive(Debug, Clone)]
pub struct SinkContext {
    /// The query's name.
    pub query_name: String,
    /// Schema of the batches the sink will receive.
    pub schema: SchemaRef,
    /// Indices of the columns that identify a row of an aggregation (empty when stateless).
    pub key_columns: Vec<usize>,
    /// The output mode the query runs in.
    pub mode: OutputMode,
    /// The query's checkpoint, when it has one.
    pub checkpoint: Option<CheckpointInfo>,
}

/// What a sink learns about the query's checkpoint: enough to tell whether output it finds
/// was written by this query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The checkpoint's query id (its `metadata` file's `id`), the same on every restart.
    pub id: uuid::Uuid,
    /// The checkpoint directory.
    pub dir: std::path::PathBuf,
    /// The latest batch whose offsets the checkpoint holds: `None` for a new checkpoint.
    pub last_planned_batch: Option<u64>,
}

/// A destination for micro-batch output.
///
/// `add_batch` may be called again with a batch id it has already seen (after a restart the
/// last batch can be replayed), so a sink that must not duplicate output skips batch ids it
/// has committed.
pub trait Sink: Send + 'static {
    /// Text for progress reports, e.g. `MemorySink`.
    fn description(&self) -> String;

    /// Called once before the first batch.
    ///
    /// # Errors
    /// When the sink cannot accept output of this shape.
    fn open(&mut self, context: &SinkContext) -> Result<()>;

    /// Receives the output of micro-batch `batch_id`, in the query's output mode.
    ///
    /// # Errors
    /// When the output cannot be written.
    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()>;
}

/// Marks a sink that is correct without a checkpoint. A sink that keeps a log of the batches
/// it wrote (a [`FileSink`]) is not: a run without a checkpoint numbers its batches from 0
/// again, and the sink would skip them as already written. Spark refuses such a query at
/// start; Rill refuses to compile it.
#[diagnostic::on_unimplemented(
    message = "sink `{Self}` needs a checkpoint",
    label = "this sink is only exactly-once with a checkpoint",
    note = "the sink logs the batches it wrote; without a checkpoint a second run numbers its batches from 0 again and they would be skipped as already written",
    note = "add `.checkpoint(dir)` to the writer before this call, as Spark requires `checkpointLocation` for a file sink"
)]
pub trait RunsWithoutCheckpoint: Sink {}

/// Marks a sink that accepts output in output mode `M` (one of the markers in
/// [`mode`](crate::mode)). File sinks accept only append: a file once written is not rewritten.
#[diagnostic::on_unimplemented(
    message = "sink `{Self}` does not accept output mode `{M}`",
    label = "this sink cannot receive the query's output in this mode",
    note = "a file sink writes each row once and never rewrites a file, so it takes append mode only",
    note = "use `.append()` (with a watermark, for an aggregation), or a sink that takes this mode such as `MemorySink` or `ForeachBatch`"
)]
pub trait AcceptsMode<M>: Sink {}
