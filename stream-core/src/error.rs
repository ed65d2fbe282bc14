//! The runtime's error type.
//!
//! Every variant says what was being done and with which object, so a message read on its own
//! (in a log, or from [`StreamingQuery::await_termination`](crate::StreamingQuery::await_termination))
//! is enough to act on.

use std::path::PathBuf;
use std::sync::Arc;

/// An error of another library, or of user code, that caused a runtime error.
pub type BoxedError = Box<dyn std::error::Error + Send + Sync>;

/// A specialised `Result` for the runtime.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a streaming query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input directory of a file source does not exist or is not a directory.
    #[error(
        "input directory `{}` of the file source does not exist or is not a directory; create it before starting the query",
        path.display()
    )]
    MissingInputDirectory {
        /// The directory the source was asked to watch.
        path: PathBuf,
    },

    /// Listing or reading a file of a source failed.
    #[error("failed to {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done: `list`, `read`, `stat`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A source was asked for data it cannot provide (an offset it never produced, or a read
    /// before `open`): a bug in the engine or in a custom source.
    #[error("source `{source_description}`: {message}")]
    Source {
        /// The source's description.
        source_description: String,
        /// What was wrong.
        message: String,
    },

    /// An input file is not of its source's format (or is damaged).
    #[error("`{}` is not a readable {format} file: {source}", path.display())]
    UnreadableFile {
        /// The file.
        path: PathBuf,
        /// The format the source reads: `Parquet`.
        format: &'static str,
        /// The format library's error.
        #[source]
        source: BoxedError,
    },

    /// A record of an input file could not be decoded with the declared schema.
    #[error("failed to decode `{}` line {line}, column {column}: {message}", path.display())]
    MalformedRecord {
        /// The file holding the record.
        path: PathBuf,
        /// One-based line number of the record in the file.
        line: u64,
        /// One-based byte position of the fault within the line.
        column: u64,
        /// What was wrong with it, naming the column where one is at fault.
        message: String,
    },

    /// An Arrow operation failed while processing or emitting a batch.
    #[error("{context}: {source}")]
    Arrow {
        /// What was being done.
        context: String,
        /// Arrow's error.
        #[source]
        source: arrow_schema::ArrowError,
    },

    /// A batch handed to a query does not have the columns the query was compiled for.
    #[error("query `{query}`: {message}")]
    SchemaMismatch {
        /// The query's name.
        query: String,
        /// Which column is missing or has the wrong type.
        message: String,
    },

    /// A sink failed to accept a batch.
    #[error("sink `{sink}` failed to write batch {batch_id}: {message}")]
    Sink {
        /// The sink's description.
        sink: String,
        /// The micro-batch being written.
        batch_id: u64,
        /// What went wrong.
        message: String,
        /// The error behind it — an I/O, Arrow or Parquet error, or the one a `foreach_batch`
        /// function returned (downcast it to get the function's own type back).
        #[source]
        source: Option<BoxedError>,
    },

    /// Starting a query failed before its first batch.
    #[error("cannot start query `{query}`: {message}")]
    Start {
        /// The query's name.
        query: String,
        /// Why it cannot start.
        message: String,
    },

    /// Reading or writing a checkpoint failed, or a checkpoint file is damaged.
    #[error("checkpoint file `{}`: {message}", path.display())]
    Checkpoint {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// A checkpoint was written by a different query.
    #[error("{0}")]
    CheckpointMismatch(Box<CheckpointMismatch>),

    /// A setting recorded in a checkpoint differs on restart (Spark's
    /// `STATE_STORE_INVALID_CONFIG_AFTER_RESTART`).
    #[error(
        "cannot change {setting} from `{was}` to `{now}` between restarts on checkpoint `{}`; keep it, or use a new checkpoint directory",
        path.display()
    )]
    CheckpointSetting {
        /// The checkpoint directory.
        path: PathBuf,
        /// The setting.
        setting: String,
        /// Its value in the checkpoint.
        was: String,
        /// Its value now.
        now: String,
    },

    /// Another query (in this process or another) is running on the checkpoint.
    #[error("checkpoint `{}` is in use by another running query; stop it first, or use another checkpoint directory", path.display())]
    CheckpointInUse {
        /// The checkpoint directory.
        path: PathBuf,
    },

    /// A stateful processor (`transform_with_state`) failed, or its state could not be used.
    #[error("stateful processor `{processor}` failed {during} for key {key}: {source}")]
    Processor {
        /// The processor's Rust type.
        processor: &'static str,
        /// What it was doing.
        during: &'static str,
        /// The grouping key, as JSON.
        key: String,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The query's thread panicked; this is a bug in Rill or in user code run by a sink.
    #[error("query `{query}` panicked: {message}")]
    Panicked {
        /// The query's name.
        query: String,
        /// The panic payload, when it was a string.
        message: String,
    },

    /// The query stopped with an error; returned by every call that waits on it.
    #[error("query `{query}` terminated with an error: {cause}")]
    Terminated {
        /// The query's name.
        query: String,
        /// The error that ended it.
        #[source]
        cause: Arc<Error>,
    },
}

impl Error {
    /// Wraps an Arrow error with what was being done.
    pub fn arrow(context: impl Into<String>, source: arrow_schema::ArrowError) -> Self {
        Self::Arrow {
            context: context.into(),
            source,
        }
    }
}

/// Which query wrote a checkpoint, and which one was refused on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointMismatch {
    /// The checkpoint directory.
    pub path: PathBuf,
    /// The query that wrote it.
    pub written_by: String,
    /// That query's plan fingerprint.
    pub written_fingerprint: String,
    /// That query's plan, as text.
    pub written_plan: String,
    /// The query being started.
    pub query: String,
    /// Its plan fingerprint.
    pub fingerprint: String,
    /// Its plan, as text.
    pub plan: String,
    /// How the state it needs differs from the state the checkpoint holds: the operator, store
    /// and field.
    pub state_change: String,
}

impl std::fmt::Display for CheckpointMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "checkpoint `{}` was written by query `{}` (plan fingerprint {}), not by this query `{}` (plan fingerprint {}), and cannot be resumed: {}; use a new checkpoint directory or delete this one\nplan then:\n{}plan now:\n{}",
            self.path.display(),
            self.written_by,
            self.written_fingerprint,
            self.query,
            self.fingerprint,
            self.state_change,
            self.written_plan,
            self.plan
        )
    }
}

/// The message a panic carried, when it was a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}
