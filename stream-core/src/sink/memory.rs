//! The memory sink.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::{AcceptsMode, RunsWithoutCheckpoint, Sink, SinkContext};
use crate::error::{Error, Result};
use crate::plan::{OutputMode, Row};
use crate::show::cell_text;

/// An in-memory result table with a name, like Spark's `format("memory").queryName(..)`.
///
/// Complete mode replaces the table with each batch, append mode appends, and update mode
/// upserts: a row whose aggregation key is already in the table replaces that row (Spark's
/// own memory sink appends in update mode; upserting keeps the table equal to the query's
/// current result). Clones share the table, so keep one to read the result:
///
/// ```
/// use stream_core::MemorySink;
/// let sink = MemorySink::named("spend_by_user");
/// assert!(sink.batches().is_empty());
/// assert_eq!(stream_core::memory_table("spend_by_user").unwrap().name(), "spend_by_user");
/// ```
#[derive(Clone)]
pub struct MemorySink {
    name: String,
    table: Arc<Mutex<Table>>,
}

#[derive(Default)]
struct Table {
    schema: Option<SchemaRef>,
    mode: Option<OutputMode>,
    key_columns: Vec<usize>,
    batches: Vec<RecordBatch>,
    /// Update mode: each key's row, as (batch index, row index), in first-seen order.
    rows_by_key: HashMap<Vec<String>, (usize, usize)>,
    key_order: Vec<Vec<String>>,
    last_batch_id: Option<u64>,
}

fn registry() -> &'static Mutex<HashMap<String, MemorySink>> {
    static TABLES: OnceLock<Mutex<HashMap<String, MemorySink>>> = OnceLock::new();
    TABLES.get_or_init(Mutex::default)
}

/// The memory sink registered under `name` by the most recent [`MemorySink::named`], as
/// Spark makes a memory sink's table queryable by its name.
#[must_use]
pub fn memory_table(name: &str) -> Option<MemorySink> {
    registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(name)
        .cloned()
}

impl MemorySink {
    /// A new, empty table called `name`; it replaces any earlier table of that name in
    /// [`memory_table`].
    pub fn named(name: impl Into<String>) -> Self {
        let sink = Self {
            name: name.into(),
            table: Arc::default(),
        };
        registry()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(sink.name.clone(), sink.clone());
        sink
    }

    /// The table's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A snapshot of the table as record batches.
    #[must_use]
    pub fn batches(&self) -> Vec<RecordBatch> {
        let table = self.lock();
        if table.mode == Some(OutputMode::Update) && !table.key_columns.is_empty() {
            return table
                .key_order
                .iter()
                .filter_map(|key| table.rows_by_key.get(key))
                .map(|&(batch, row)| table.batches[batch].slice(row, 1))
                .collect();
        }
        table.batches.clone()
    }

    /// A snapshot of the table as one record batch (empty with the query's schema when no
    /// batch has arrived; `None` before the query started).
    #[must_use]
    pub fn snapshot(&self) -> Option<RecordBatch> {
        let schema = self.lock().schema.clone()?;
        arrow_select_concat(&schema, &self.batches()).ok()
    }

    /// A snapshot of the table as typed rows.
    ///
    /// # Errors
    /// When the table's columns do not match `R` (a row type of another query).
    pub fn rows<R: Row>(&self) -> Result<Vec<R>> {
        let mut rows = Vec::new();
        for batch in self.batches() {
            rows.extend(R::from_batch(&batch)?);
        }
        Ok(rows)
    }

    /// Number of rows in the table.
    #[must_use]
    pub fn num_rows(&self) -> usize {
        self.batches().iter().map(RecordBatch::num_rows).sum()
    }
}

fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    arrow_select::concat::concat_batches(schema, batches)
        .map_err(|e| Error::arrow("concatenating memory sink batches", e))
}

impl fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySink")
            .field("name", &self.name)
            .field("rows", &self.num_rows())
            .finish()
    }
}

impl Sink for MemorySink {
    fn description(&self) -> String {
        "MemorySink".to_owned()
    }

    fn open(&mut self, context: &SinkContext) -> Result<()> {
        let mut table = self.lock();
        *table = Table {
            schema: Some(context.schema.clone()),
            mode: Some(context.mode),
            key_columns: context.key_columns.clone(),
            ..Table::default()
        };
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        let mut table = self.lock();
        if table.last_batch_id.is_some_and(|last| batch_id <= last) {
            tracing::debug!(batch_id, sink = %self.name, "skipping a batch the memory sink already holds");
            return Ok(());
        }
        table.last_batch_id = Some(batch_id);
        match table.mode {
            Some(OutputMode::Complete) => table.batches = vec![batch.clone()],
            Some(OutputMode::Update) if !table.key_columns.is_empty() => {
                let index = table.batches.len();
                table.batches.push(batch.clone());
                for row in 0..batch.num_rows() {
                    let key: Vec<String> = table
                        .key_columns
                        .iter()
                        .map(|&c| cell_text(batch.column(c).as_ref(), row))
                        .collect();
                    if table.rows_by_key.insert(key.clone(), (index, row)).is_none() {
                        table.key_order.push(key);
                    }
                }
            }
            _ => table.batches.push(batch.clone()),
        }
        Ok(())
    }
}

impl<M> AcceptsMode<M> for MemorySink {}
#[diagnostic::do_not_recommend]
impl RunsWithoutCheckpoint for MemorySink {}
