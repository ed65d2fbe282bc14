//! A source that a program pushes rows into.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

use arrow_array::RecordBatch;

use super::{BatchStream, ReadLimit, Source, SourceSchema, batch_stream};
use crate::error::{Error, Result};
use crate::plan::Row;

/// Rows pushed by the program itself, as Spark's `MemoryStream` test source: each
/// [`add_rows`](Self::add_rows) or [`add_batch`](Self::add_batch) call is one unit of new
/// data, and a trigger takes everything added since the previous one. Clones share the
/// stream, so keep one to push while the query runs.
///
/// ```
/// use rill::prelude::*;
/// use rill::source::MemoryStream;
///
/// rill::stream! {
///     schema Reading { sensor: String, value: f64 }
///     query Totals(raw: Reading) { raw.group_by(sensor).agg(total = sum(value)) }
/// }
///
/// let input: MemoryStream<Reading> = MemoryStream::new();
/// input.add_rows(&[Reading { sensor: "a".into(), value: 1.5 }, Reading { sensor: "a".into(), value: 2.0 }]).unwrap();
/// let table = MemorySink::named("totals");
/// let query = Totals::read(input.clone()).complete().to(table.clone()).trigger(Trigger::AvailableNow).start().unwrap();
/// query.await_termination().unwrap();
/// assert_eq!(table.rows::<TotalsRow>().unwrap()[0].total, 3.5);
/// ```
pub struct MemoryStream<R> {
    batches: Arc<Mutex<Vec<RecordBatch>>>,
    schema: Option<SourceSchema>,
    /// With an available-now trigger: how many batches this run may take.
    available_now: Option<usize>,
    /// How many batches a planned batch has taken.
    planned: usize,
    row: PhantomData<fn() -> R>,
}

impl<R> Clone for MemoryStream<R> {
    fn clone(&self) -> Self {
        Self {
            batches: Arc::clone(&self.batches),
            schema: None,
            available_now: None,
            planned: 0,
            row: PhantomData,
        }
    }
}

impl<R> fmt::Debug for MemoryStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStream")
            .field("batches", &self.batches.lock().map_or(0, |batches| batches.len()))
            .finish_non_exhaustive()
    }
}

impl<R: Row> Default for MemoryStream<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Row> MemoryStream<R> {
    /// An empty stream of rows of type `R`.
    #[must_use]
    pub fn new() -> Self {
        Self {
            batches: Arc::default(),
            schema: None,
            available_now: None,
            planned: 0,
            row: PhantomData,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<RecordBatch>> {
        self.batches.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `rows` as one unit of new data.
    ///
    /// # Errors
    /// Only if Arrow rejects the rows, which would be a bug in generated code.
    pub fn add_rows(&self, rows: &[R]) -> Result<()> {
        let batch = R::to_batch(rows)?;
        self.lock().push(batch);
        Ok(())
    }

    /// Adds a record batch with `R`'s schema as one unit of new data.
    ///
    /// # Errors
    /// When the batch's schema is not `R`'s.
    pub fn add_batch(&self, batch: RecordBatch) -> Result<()> {
        if batch.schema().fields() != R::schema().fields() {
            return Err(Error::SchemaMismatch {
                query: "MemoryStream".to_owned(),
                message: format!("added batch has schema {}, expected {}", batch.schema(), R::schema()),
            });
        }
        self.lock().push(batch);
        Ok(())
    }
}

impl<R: Row> Source for MemoryStream<R> {
    /// The index of the last batch added that a batch reads.
    type Offset = u64;

    fn description(&self) -> String {
        format!(
            "MemoryStream[{}]",
            std::any::type_name::<R>().rsplit("::").next().unwrap_or("rows")
        )
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        if schema.declared.fields() != R::schema().fields() {
            return Err(Error::Start {
                query: String::new(),
                message: format!(
                    "the memory stream holds rows with schema {}, but the query reads {}",
                    R::schema(),
                    schema.declared
                ),
            });
        }
        self.schema = Some(schema);
        Ok(())
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        let available = self.lock().len();
        self.available_now = Some(available);
        Ok(())
    }

    fn latest_offset(&mut self, _limit: ReadLimit) -> Result<Option<u64>> {
        let available = self.available_now.unwrap_or_else(|| self.lock().len());
        if available <= self.planned {
            return Ok(None);
        }
        self.planned = available;
        Ok(Some(available as u64 - 1))
    }

    fn read<'s>(&'s mut self, start: Option<&u64>, end: &u64, _parallelism: usize) -> Result<BatchStream<'s>> {
        let index = |offset: u64| usize::try_from(offset).unwrap_or(usize::MAX);
        let first = start.map_or(0, |start| index(*start).saturating_add(1));
        let last = index(*end);
        let projection = self.schema.as_ref().map(|s| s.projection.clone()).unwrap_or_default();
        let batches = self.lock();
        let Some(taken) = batches.get(first..=last) else {
            return Err(Error::Source {
                source_description: self.description(),
                message: format!("offset {end} was never added"),
            });
        };
        let projected = taken
            .iter()
            .map(|batch| {
                batch
                    .project(&projection)
                    .map_err(|e| Error::arrow("projecting a memory stream batch", e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(batch_stream(projected))
    }

    fn commit(&mut self, _end: &u64) -> Result<()> {
        Ok(())
    }
}
