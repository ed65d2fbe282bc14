//! The console sink.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use super::{AcceptsMode, RunsWithoutCheckpoint, Sink, SinkContext};
use crate::error::{Error, Result};
use crate::show::{Truncate, show_string};

/// Prints every micro-batch as Spark's console sink does: a `Batch: N` banner, then the
/// rows in `show()` layout.
///
/// ```
/// use stream_core::{ConsoleSink, Sink};
/// let sink = ConsoleSink::to_writer(std::io::sink()).num_rows(50).truncate(false);
/// assert_eq!(sink.description(), "ConsoleSink");
/// ```
#[derive(Clone)]
pub struct ConsoleSink {
    out: Arc<Mutex<dyn Write + Send>>,
    num_rows: usize,
    truncate: Truncate,
}

impl ConsoleSink {
    /// Prints to standard output, 20 rows per batch, long cells truncated.
    #[must_use]
    pub fn new() -> Self {
        Self::to_writer(std::io::stdout())
    }

    /// Prints to `out` instead of standard output.
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        Self {
            out: Arc::new(Mutex::new(out)),
            num_rows: 20,
            truncate: Truncate::Default,
        }
    }

    /// Prints at most `num_rows` rows per batch (Spark's `numRows` option).
    #[must_use]
    pub fn num_rows(mut self, num_rows: usize) -> Self {
        self.num_rows = num_rows;
        self
    }

    /// Whether long cells are truncated (Spark's `truncate` option).
    #[must_use]
    pub fn truncate(mut self, truncate: bool) -> Self {
        self.truncate = if truncate { Truncate::Default } else { Truncate::Never };
        self
    }
}

impl Default for ConsoleSink {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ConsoleSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSink")
            .field("num_rows", &self.num_rows)
            .field("truncate", &self.truncate)
            .finish()
    }
}

impl Sink for ConsoleSink {
    fn description(&self) -> String {
        "ConsoleSink".to_owned()
    }

    fn open(&mut self, _context: &SinkContext) -> Result<()> {
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        let banner = "-------------------------------------------";
        let mut text = format!("{banner}\nBatch: {batch_id}\n{banner}\n");
        text.push_str(&show_string(std::slice::from_ref(batch), self.num_rows, self.truncate));
        text.push('\n');
        let mut out = self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::Sink {
                sink: self.description(),
                batch_id,
                message: "cannot write to the console".to_owned(),
                source: Some(Box::new(e)),
            })
    }
}

impl<M> AcceptsMode<M> for ConsoleSink {}
#[diagnostic::do_not_recommend]
impl RunsWithoutCheckpoint for ConsoleSink {}
