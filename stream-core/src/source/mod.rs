//! Sources: where a streaming query's rows come from.
//!
//! A source follows Spark's offset contract: each trigger the engine asks for the
//! [`latest_offset`](Source::latest_offset) (which also decides what the next batch holds),
//! reads the data between the previous offset and that one with [`read`](Source::read) — one
//! stream of record batches, then the decode counts — and after the sink has the batch calls
//! [`commit`](Source::commit). Each source has its own offset type ([`FileOffset`] for files);
//! the engine holds a query's sources as [`AnySource`]s, which turn offsets into JSON values only
//! where the checkpoint stores them, as Spark's offset log does.

mod file;
mod memory;
mod rate;

pub use file::{FileOffset, FileSource, JsonSource, SourceFormat};
pub use memory::MemoryStream;
pub use rate::{RateMicroBatchOffset, RateMicroBatchSource, RateSource};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::decode::{DecodeCounts, DecoderFactory};
use crate::error::{Error, Result};

/// What a query needs from its source: the declared schema and the columns it reads.
#[derive(Debug, Clone)]
pub struct SourceSchema {
    /// The schema declared in `stream!`, every column.
    pub declared: SchemaRef,
    /// Indices into `declared` of the columns to decode, in the order the query expects them.
    pub projection: Vec<usize>,
    /// Makes the decoder `stream!` generated for this schema and projection.
    pub decoder: DecoderFactory,
}

impl SourceSchema {
    /// The schema of the batches the source must produce: the projected columns.
    ///
    /// # Panics
    /// If the projection names a column the declared schema does not have, which would be
    /// a bug in generated code.
    #[must_use]
    pub fn projected(&self) -> SchemaRef {
        std::sync::Arc::new(
            self.declared
                .project(&self.projection)
                .expect("projection within the declared schema"),
        )
    }
}

/// How much new data one batch may take (Spark's `ReadLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLimit {
    /// Respect the source's per-trigger limits, such as `max_files_per_trigger`.
    Configured,
    /// Take everything available (the `Once` trigger).
    AllAvailable,
}

/// One micro-batch's input as a source reads it: its record batches in order, and then the
/// source's record counts for progress reports.
pub trait BatchReader: Iterator<Item = Result<RecordBatch>> {
    /// Records read, malformed and dropped so far — all of the batch's once the reader has
    /// ended. Zeros for a source that does not parse text.
    fn counts(&self) -> DecodeCounts {
        DecodeCounts::default()
    }
}

/// A [`BatchReader`], boxed: what [`Source::read`] returns.
pub type BatchStream<'s> = Box<dyn BatchReader + 's>;

/// A [`BatchStream`] over batches already in memory, for a source that holds them.
///
/// ```
/// use stream_core::source::batch_stream;
/// assert_eq!(batch_stream(Vec::new()).count(), 0);
/// ```
#[must_use]
pub fn batch_stream(batches: Vec<RecordBatch>) -> BatchStream<'static> {
    Box::new(InMemory(batches.into_iter()))
}

/// The batches of [`batch_stream`].
struct InMemory(std::vec::IntoIter<RecordBatch>);

impl Iterator for InMemory {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(Ok)
    }
}

impl BatchReader for InMemory {}

/// What a source's offsets must be: values the engine compares, keeps, and stores in the
/// checkpoint as JSON.
pub trait Offset:
    serde::Serialize + serde::de::DeserializeOwned + Clone + PartialEq + std::fmt::Debug + Send + 'static
{
}

impl<T> Offset for T where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + PartialEq + std::fmt::Debug + Send + 'static
{
}

/// A source of micro-batches.
pub trait Source: Send + 'static {
    /// Where a batch of this source ends: [`FileOffset`] for a file source.
    type Offset: Offset;

    /// Text for progress reports, e.g. `FileStreamSource[file:/data/events]`.
    fn description(&self) -> String;

    /// Prepares to read with `schema`; called once before the first batch.
    ///
    /// # Errors
    /// When the source's location does not exist or cannot be read.
    fn open(&mut self, schema: SourceSchema) -> Result<()>;

    /// Fixes the data an available-now trigger processes: everything present now, and
    /// nothing that arrives later.
    ///
    /// # Errors
    /// When listing the available data fails.
    fn prepare_for_available_now(&mut self) -> Result<()>;

    /// The offset up to which the next batch reads, or `None` when no new data is available.
    /// With [`ReadLimit::AllAvailable`] the batch takes all new data, ignoring per-trigger limits.
    ///
    /// # Errors
    /// When listing new data fails.
    fn latest_offset(&mut self, limit: ReadLimit) -> Result<Option<Self::Offset>>;

    /// Reads the data after `start` up to and including `end`: its record batches, in order,
    /// decoded as the query asks for them — on up to `parallelism` threads, ahead of the query,
    /// when the source can — and then its decode counts.
    ///
    /// # Errors
    /// When the data cannot be found, at once; when it cannot be read or does not match the
    /// schema, from the stream, which then ends.
    fn read<'s>(
        &'s mut self,
        start: Option<&Self::Offset>,
        end: &Self::Offset,
        parallelism: usize,
    ) -> Result<BatchStream<'s>>;

    /// What the batch up to `end` reads, for the checkpoint's log of this input (`sources/<i>/<batch>`):
    /// enough for [`restore`](Self::restore) to plan the same batches again. `None` for a
    /// source that cannot be replayed after a restart (such as a memory stream).
    fn batch_log(&self, end: &Self::Offset) -> Option<serde_json::Value> {
        let _ = end;
        None
    }

    /// After a restart: takes back the batches planned before, from their [`batch_log`](Self::batch_log)
    /// entries in order as `(batch id, entry)`, so they are not read again and an unfinished
    /// one is re-read the same. `through` is this source's end offset in the last batch planned
    /// (`None` when it had given no data yet): a source whose entries do not reach it refuses,
    /// since a batch would be lost.
    ///
    /// # Errors
    /// When an entry does not parse, is out of order or missing, or the source cannot be
    /// replayed.
    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&Self::Offset>) -> Result<()> {
        let _ = through;
        if logs.is_empty() {
            Ok(())
        } else {
            Err(Error::Source {
                source_description: self.description(),
                message: "this source cannot resume from a checkpoint".to_owned(),
            })
        }
    }

    /// The batch up to `end` is done; the source may forget what it held for it.
    ///
    /// # Errors
    /// When the source cannot record the commit.
    fn commit(&mut self, end: &Self::Offset) -> Result<()>;
}

/// Any [`Source`], its offsets in the form the checkpoint stores them (JSON): how the engine
/// holds the sources of a query, whatever their offset types. Implemented for every `Source`.
pub trait AnySource: Send + 'static {
    /// [`Source::description`].
    fn description(&self) -> String;

    /// [`Source::open`].
    ///
    /// # Errors
    /// As [`Source::open`].
    fn open(&mut self, schema: SourceSchema) -> Result<()>;

    /// [`Source::prepare_for_available_now`].
    ///
    /// # Errors
    /// As [`Source::prepare_for_available_now`].
    fn prepare_for_available_now(&mut self) -> Result<()>;

    /// [`Source::latest_offset`], as JSON.
    ///
    /// # Errors
    /// As [`Source::latest_offset`].
    fn latest_offset(&mut self, limit: ReadLimit) -> Result<Option<serde_json::Value>>;

    /// [`Source::read`] between offsets given as JSON.
    ///
    /// # Errors
    /// As [`Source::read`], or when an offset is not one of this source's.
    fn read<'s>(
        &'s mut self,
        start: Option<&serde_json::Value>,
        end: &serde_json::Value,
        parallelism: usize,
    ) -> Result<BatchStream<'s>>;

    /// [`Source::batch_log`] for an offset given as JSON.
    ///
    /// # Errors
    /// When `end` is not one of this source's offsets.
    fn batch_log(&self, end: &serde_json::Value) -> Result<Option<serde_json::Value>>;

    /// [`Source::restore`] through an offset given as JSON.
    ///
    /// # Errors
    /// As [`Source::restore`], or when `through` is not one of this source's offsets.
    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&serde_json::Value>) -> Result<()>;

    /// [`Source::commit`] of an offset given as JSON.
    ///
    /// # Errors
    /// As [`Source::commit`], or when `end` is not one of this source's offsets.
    fn commit(&mut self, end: &serde_json::Value) -> Result<()>;
}

impl<S: Source> AnySource for S {
    fn description(&self) -> String {
        Source::description(self)
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        Source::open(self, schema)
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        Source::prepare_for_available_now(self)
    }

    fn latest_offset(&mut self, limit: ReadLimit) -> Result<Option<serde_json::Value>> {
        Source::latest_offset(self, limit)?
            .map(|offset| to_json(self, &offset))
            .transpose()
    }

    fn read<'s>(
        &'s mut self,
        start: Option<&serde_json::Value>,
        end: &serde_json::Value,
        parallelism: usize,
    ) -> Result<BatchStream<'s>> {
        let start = start.map(|start| from_json::<S>(self, start)).transpose()?;
        let end = from_json::<S>(self, end)?;
        Source::read(self, start.as_ref(), &end, parallelism)
    }

    fn batch_log(&self, end: &serde_json::Value) -> Result<Option<serde_json::Value>> {
        Ok(Source::batch_log(self, &from_json::<S>(self, end)?))
    }

    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&serde_json::Value>) -> Result<()> {
        let through = through.map(|through| from_json::<S>(self, through)).transpose()?;
        Source::restore(self, logs, through.as_ref())
    }

    fn commit(&mut self, end: &serde_json::Value) -> Result<()> {
        let end = from_json::<S>(self, end)?;
        Source::commit(self, &end)
    }
}

/// `offset` in its checkpoint form.
fn to_json<S: Source>(source: &S, offset: &S::Offset) -> Result<serde_json::Value> {
    serde_json::to_value(offset).map_err(|e| Error::Source {
        source_description: Source::description(source),
        message: format!("cannot write offset {offset:?} as JSON: {e}"),
    })
}

/// One of `source`'s offsets from its checkpoint form.
fn from_json<S: Source>(source: &S, offset: &serde_json::Value) -> Result<S::Offset> {
    serde_json::from_value(offset.clone()).map_err(|e| Error::Source {
        source_description: Source::description(source),
        message: format!("offset {offset} is not an offset of this source ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_source_takes_its_offsets_as_json_and_names_one_that_is_not_its_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "{}\n").unwrap();
        let mut source: Box<dyn AnySource> = Box::new(FileSource::json(dir.path()));
        let offset = source.latest_offset(ReadLimit::Configured).unwrap();
        assert_eq!(offset, Some(serde_json::json!({"logOffset": 0})));
        assert!(
            source
                .batch_log(&serde_json::json!({"logOffset": 0}))
                .unwrap()
                .is_some()
        );
        for wrong in [
            serde_json::json!(0),
            serde_json::json!({"logOffset": "0"}),
            serde_json::json!({"offset": 0}),
        ] {
            let error = source.commit(&wrong).unwrap_err().to_string();
            assert!(
                error.contains(&format!("offset {wrong} is not an offset of this source")),
                "{error}"
            );
        }
    }
}
