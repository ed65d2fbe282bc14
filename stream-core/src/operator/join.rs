//! Stream–static joins: a static table, read once when the query starts, indexed by its join
//! key, which each streaming row probes.
//!
//! The join is stateless, as Spark's: the static side is the same for every micro-batch, so a
//! stream–static join fits any output mode the rest of the query allows. The macro generates the
//! key extraction and the loop over a row's matches; [`StaticJoinSide`] holds the table and
//! its index.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::error::{Error, Result};
use crate::plan::Row;
use crate::state::{GroupTable, KeyProbe, OwnedKey};

/// The rows of a static table of schema `R`, for a query's static input (`users: static User`
/// in its signature): typed rows the program supplies, record batches, or the JSON-lines, CSV
/// (with a header) or Parquet files of a directory, read once, when the table is made.
///
/// ```
/// use rill::prelude::*;
/// use rill::operator::StaticTable;
/// use rill::source::MemoryStream;
///
/// rill::stream! {
///     schema Event { user_id: String, amount: f64 }
///     schema User { user_id: String, name: String }
///     query Named(events: Event, users: static User) {
///         events.join(users, user_id).select(name, amount)
///     }
/// }
///
/// let users = StaticTable::from_rows(vec![User { user_id: "u1".into(), name: "Ada".into() }]);
/// let events: MemoryStream<Event> = MemoryStream::new();
/// events.add_rows(&[Event { user_id: "u1".into(), amount: 2.5 }, Event { user_id: "u9".into(), amount: 1.0 }]).unwrap();
/// let sink = MemorySink::named("named");
/// let query = Named::read(events, users).append().to(sink.clone()).trigger(Trigger::AvailableNow).start().unwrap();
/// query.await_termination().unwrap();
/// let rows: Vec<NamedRow> = sink.rows().unwrap();
/// assert_eq!((rows.len(), rows[0].name.as_str()), (1, "Ada"));
/// ```
#[derive(Debug)]
pub struct StaticTable<R> {
    rows: Arc<Vec<R>>,
}

impl<R> Clone for StaticTable<R> {
    fn clone(&self) -> Self {
        Self {
            rows: Arc::clone(&self.rows),
        }
    }
}

impl<R: Row> StaticTable<R> {
    /// A table of the given rows.
    #[must_use]
    pub fn from_rows(rows: Vec<R>) -> Self {
        Self { rows: Arc::new(rows) }
    }

    /// A table of the rows of `batches`, which must hold `R`'s columns.
    ///
    /// # Errors
    /// When a batch lacks one of `R`'s columns or holds another type.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self> {
        let mut rows = Vec::new();
        for batch in batches {
            rows.extend(R::from_batch(batch)?);
        }
        Ok(Self::from_rows(rows))
    }

    /// The rows of the JSON-lines files of `path` (a file, or a directory's files in name
    /// order, hidden ones skipped).
    ///
    /// # Errors
    /// When a file cannot be read or a line does not hold `R`'s columns; the error names the file.
    pub fn json(path: impl AsRef<Path>) -> Result<Self> {
        Self::read(path.as_ref(), StaticFormat::Json)
    }

    /// The rows of the CSV files (each with a header line) of `path`.
    ///
    /// # Errors
    /// As [`json`](Self::json).
    pub fn csv(path: impl AsRef<Path>) -> Result<Self> {
        Self::read(path.as_ref(), StaticFormat::Csv)
    }

    /// The rows of the Parquet files of `path`.
    ///
    /// # Errors
    /// As [`json`](Self::json).
    pub fn parquet(path: impl AsRef<Path>) -> Result<Self> {
        Self::read(path.as_ref(), StaticFormat::Parquet)
    }

    fn read(path: &Path, format: StaticFormat) -> Result<Self> {
        let schema = R::schema();
        let mut rows = Vec::new();
        for file in files_of(path)? {
            let opened = std::fs::File::open(&file).map_err(|source| Error::Io {
                action: "read",
                path: file.clone(),
                source,
            })?;
            let unreadable = |error: arrow_schema::ArrowError| Error::Arrow {
                context: format!("reading the static table `{}`", file.display()),
                source: error,
            };
            let batches: std::result::Result<Vec<RecordBatch>, arrow_schema::ArrowError> = match format {
                StaticFormat::Json => arrow_json::ReaderBuilder::new(Arc::clone(&schema))
                    .build(std::io::BufReader::new(opened))
                    .map_err(unreadable)?
                    .collect(),
                StaticFormat::Csv => arrow_csv::ReaderBuilder::new(Arc::clone(&schema))
                    .with_header(true)
                    .build(opened)
                    .map_err(unreadable)?
                    .collect(),
                StaticFormat::Parquet => parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(opened)
                    .and_then(parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::build)
                    .map_err(|e| unreadable(e.into()))?
                    .collect(),
            };
            for batch in batches.map_err(unreadable)? {
                rows.extend(R::from_batch(&batch).map_err(|error| Error::SchemaMismatch {
                    query: format!("static table `{}`", file.display()),
                    message: error.to_string(),
                })?);
            }
        }
        Ok(Self::from_rows(rows))
    }

    /// The table's rows.
    #[must_use]
    pub fn rows(&self) -> &[R] {
        &self.rows
    }
}

#[derive(Clone, Copy)]
enum StaticFormat {
    Json,
    Csv,
    Parquet,
}

/// `path` itself when it is a file, else its files in name order (hidden and `_` files skipped,
/// as Spark skips them).
fn files_of(path: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        action: "list",
        path: path.to_owned(),
        source,
    };
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with(['.', '_']);
        if !hidden && entry.file_type().map_err(io)?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// A static table indexed by its join key `K`: the rows of each key, in table order, stored
/// beside the key (a probe that finds the key has its first row in the same cache lines). Built
/// once, then probed by every streaming row; a null key is never indexed (SQL equality never
/// holds for null).
///
/// ```
/// use stream_core::operator::StaticJoinSide;
/// use stream_core::state::{InlineKey, KeyStr};
/// let names = vec![("u1", "Ada"), ("u2", "Bo"), ("u1", "Cy")];
/// let mut side: StaticJoinSide<(KeyStr,), (&str, &str)> = StaticJoinSide::new();
/// side.index_rows(&names, |row| Some((InlineKey(row.0),)));
/// let matched: Vec<&str> = side.matches((InlineKey("u1"),)).map(|row| row.1).collect();
/// assert_eq!(matched, ["Ada", "Cy"]);
/// assert_eq!(side.matches((InlineKey("u3"),)).count(), 0);
/// ```
pub struct StaticJoinSide<K, R> {
    index: GroupTable<K, Matches<R>>,
}

/// The rows of one key: the first inline, the others (rare in a dimension table) apart.
#[derive(Debug)]
struct Matches<R> {
    first: Option<R>,
    more: Vec<R>,
}

impl<R> Default for Matches<R> {
    fn default() -> Self {
        Self {
            first: None,
            more: Vec::new(),
        }
    }
}

impl<K: OwnedKey, R> std::fmt::Debug for StaticJoinSide<K, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticJoinSide")
            .field("keys", &self.index.len())
            .finish_non_exhaustive()
    }
}

impl<K: OwnedKey, R: Clone> Default for StaticJoinSide<K, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: OwnedKey, R: Clone> StaticJoinSide<K, R> {
    /// An empty side.
    #[must_use]
    pub fn new() -> Self {
        Self {
            index: GroupTable::new(),
        }
    }

    /// A side holding a [`StaticTable`]'s rows, indexed by the key `key_of` gives each (`None`:
    /// a null key, left out).
    pub fn of_table<'r, P: KeyProbe<Owned = K> + 'r>(
        table: &'r StaticTable<R>,
        key_of: impl FnMut(&'r R) -> Option<P>,
    ) -> Self {
        let mut side = Self::new();
        side.index_rows(&table.rows, key_of);
        side
    }

    /// Indexes `rows` by the key `key_of` gives each (`None`: a null key, not indexed).
    pub fn index_rows<'r, P: KeyProbe<Owned = K> + 'r>(
        &mut self,
        rows: &'r [R],
        mut key_of: impl FnMut(&'r R) -> Option<P>,
    ) {
        for row in rows {
            if let Some(key) = key_of(row) {
                let matches = self.index.upsert(key);
                if matches.first.is_none() {
                    matches.first = Some(row.clone());
                } else {
                    matches.more.push(row.clone());
                }
            }
        }
    }

    /// The rows whose key is `probe`'s, in table order.
    #[inline]
    pub fn matches<P: KeyProbe<Owned = K>>(&self, probe: P) -> impl Iterator<Item = &R> + '_ {
        let found = self.index.get(probe);
        found
            .and_then(|m| m.first.as_ref())
            .into_iter()
            .chain(found.map_or(&[][..], |m| m.more.as_slice()))
    }

    /// Whether any row has `probe`'s key.
    #[inline]
    pub fn contains<P: KeyProbe<Owned = K>>(&self, probe: P) -> bool {
        self.index.get(probe).is_some()
    }

    /// The hash of `probe`'s key, for [`prefetch`](Self::prefetch) rows ahead.
    #[inline]
    pub fn hash<P: KeyProbe<Owned = K>>(&self, probe: P) -> u64 {
        self.index.hash(probe)
    }

    /// Starts loading the index entry and the rows of `hash` into the cache.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.index.prefetch_index(hash);
        self.index.prefetch_group(hash);
    }
}

/// A left outer join's rows for one streaming row: each match, or one `None` when there is none
/// (or the key is null: `matches` is `None`).
///
/// ```
/// use stream_core::operator::matches_or_none;
/// let found: Vec<Option<i32>> = matches_or_none(Some([1, 2].into_iter())).collect();
/// assert_eq!(found, [Some(1), Some(2)]);
/// let unmatched: Vec<Option<i32>> = matches_or_none(Some(std::iter::empty())).collect();
/// assert_eq!(unmatched, [None]);
/// assert_eq!(matches_or_none::<std::iter::Empty<i32>>(None).collect::<Vec<_>>(), [None]);
/// ```
pub fn matches_or_none<I: Iterator>(matches: Option<I>) -> impl Iterator<Item = Option<I::Item>> {
    let mut matches = matches.map(Iterator::peekable);
    let none = matches.as_mut().is_none_or(|m| m.peek().is_none());
    matches.into_iter().flatten().map(Some).chain(none.then_some(None))
}

/// The static tables given to a query's `read`, in the order of its static inputs, as the
/// runtime hands them to the compiled query.
pub type StaticTables = Vec<Arc<dyn Any + Send + Sync>>;

/// Takes static input `index` of `tables` as a table of `R`.
///
/// # Errors
/// When there is no such input or it holds another row type (a bug in generated code).
pub fn static_table<R: Row + Send + Sync>(tables: &StaticTables, index: usize, query: &str) -> Result<StaticTable<R>> {
    tables
        .get(index)
        .and_then(|table| Arc::clone(table).downcast::<StaticTable<R>>().ok())
        .map(|table| (*table).clone())
        .ok_or_else(|| Error::SchemaMismatch {
            query: query.to_owned(),
            message: format!("static input {index} is missing or of another schema"),
        })
}
