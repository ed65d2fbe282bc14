//! File sinks — Parquet, JSON lines, CSV — exactly once through Spark's `_spark_metadata` log.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::json;

use super::{AcceptsMode, CheckpointInfo, Sink, SinkContext};
use crate::error::{Error, Result};
use crate::file_uri::{from_file_uri, percent_decode, to_file_uri};
use crate::plan::Row;
use crate::plan::mode;

/// The log that lists each batch's files, as Spark's file sink keeps it.
const METADATA_DIR: &str = "_spark_metadata";

/// Every tenth batch's entry is a `<batch>.compact` file holding all entries so far, and the
/// entries it covers are deleted, so the log does not grow a file per batch forever (Spark's
/// `fileSink.log.compactInterval`).
const COMPACT_INTERVAL: u64 = 10;

/// The format a [`FileSink`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Apache Parquet, snappy-compressed by default (Spark's `format("parquet")`).
    Parquet,
    /// One JSON object per line (Spark's `format("json")`).
    JsonLines,
    /// Comma-separated values with a header line (Spark's `format("csv")` with `header`).
    Csv,
}

impl FileFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::JsonLines => "json",
            Self::Csv => "csv",
        }
    }
}

/// Writes each micro-batch as files into a directory, exactly once (Spark's file sink; append
/// mode only, and with a checkpoint, both of which the compiler checks).
///
/// A batch's files are written under temporary names and renamed into place; then one entry
/// `_spark_metadata/<batch>` lists them, written atomically. A batch whose entry exists is
/// skipped when it is handed over again after a restart, and a reader that follows the log —
/// [`read_file_sink`], or Spark itself — sees each batch once, never the files of a batch
/// that crashed half-way.
///
/// The directory belongs to one checkpoint: the first query to write it records its
/// checkpoint in the log, and a query with another checkpoint is refused at start (it would
/// number its batches from 0 and skip or repeat the first one's). At start, part files the log
/// does not list — left by batches that crashed before their log entry — are removed.
///
/// ```
/// use rill::prelude::*;
/// use rill::sink::{FileSink, read_file_sink};
/// use rill::source::MemoryStream;
///
/// rill::stream! {
///     schema Reading { sensor: String, value: f64 }
///     query Hot(raw: Reading) { raw.filter(value > 30.0) }
/// }
///
/// let (dir, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
/// let input: MemoryStream<Reading> = MemoryStream::new();
/// input.add_rows(&[Reading { sensor: "a".into(), value: 31.5 }, Reading { sensor: "b".into(), value: 1.0 }]).unwrap();
/// let query = Hot::read(input)
///     .append()
///     .to(FileSink::parquet(dir.path()))
///     .checkpoint(checkpoint.path())
///     .trigger(Trigger::AvailableNow)
///     .start()
///     .unwrap();
/// query.await_termination().unwrap();
/// let rows: Vec<HotRow> = read_file_sink(dir.path()).unwrap();
/// assert_eq!(rows.len(), 1);
/// assert_eq!(rows[0].sensor, "a");
/// ```
#[derive(Debug)]
pub struct FileSink {
    dir: PathBuf,
    format: FileFormat,
    /// Columns whose values become `column=value/` directories (Spark's `partitionBy`).
    partition_by: Vec<String>,
    row_group_size: usize,
    compression: Compression,
}

impl FileSink {
    /// A sink writing `format` files into `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>, format: FileFormat) -> Self {
        Self {
            dir: dir.into(),
            format,
            partition_by: Vec::new(),
            row_group_size: 1024 * 1024,
            compression: Compression::SNAPPY,
        }
    }

    /// Parquet files, snappy-compressed as Spark writes them.
    pub fn parquet(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir, FileFormat::Parquet)
    }

    /// JSON-lines files.
    pub fn json(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir, FileFormat::JsonLines)
    }

    /// CSV files with a header line.
    pub fn csv(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir, FileFormat::Csv)
    }

    /// Writes rows under one `column=value/` directory per distinct value of `columns` (Spark's
    /// `partitionBy`); the partition columns are not stored in the files, and
    /// [`read_file_sink`] restores them from the path.
    #[must_use]
    pub fn partition_by(mut self, columns: &[&str]) -> Self {
        self.partition_by = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Parquet only: at most `rows` rows per row group.
    #[must_use]
    pub fn row_group_size(mut self, rows: usize) -> Self {
        self.row_group_size = rows.max(1);
        self
    }

    /// Parquet only: uncompressed files instead of snappy ones.
    #[must_use]
    pub fn uncompressed(mut self) -> Self {
        self.compression = Compression::UNCOMPRESSED;
        self
    }

    fn error(&self, batch_id: u64, message: impl std::fmt::Display) -> Error {
        Error::Sink {
            sink: self.description(),
            batch_id,
            message: message.to_string(),
            source: None,
        }
    }

    /// An error writing batch `batch_id`: `doing` what, failed with `source`.
    fn failed(
        &self,
        batch_id: u64,
        doing: impl std::fmt::Display,
        source: impl Into<crate::error::BoxedError>,
    ) -> Error {
        let source = source.into();
        Error::Sink {
            sink: self.description(),
            batch_id,
            message: format!("cannot {doing}: {source}"),
            source: Some(source),
        }
    }

    fn log_entry(&self, batch_id: u64) -> PathBuf {
        self.dir.join(METADATA_DIR).join(batch_id.to_string())
    }

    /// Writes `batch`, split by partition values when the sink partitions; returns the files.
    fn write_parts(&self, batch_id: u64, batch: &RecordBatch) -> Result<Vec<PathBuf>> {
        if self.partition_by.is_empty() {
            return Ok(vec![self.write_part(batch_id, batch, &self.dir)?]);
        }
        let schema = batch.schema();
        let positions: Vec<usize> = self
            .partition_by
            .iter()
            .map(|name| {
                schema
                    .index_of(name)
                    .map_err(|_| self.error(batch_id, format!("no column `{name}` to partition by")))
            })
            .collect::<Result<_>>()?;
        let data_columns: Vec<usize> = (0..schema.fields().len()).filter(|c| !positions.contains(c)).collect();
        let mut groups: std::collections::BTreeMap<Vec<String>, Vec<u32>> = std::collections::BTreeMap::new();
        for row in 0..batch.num_rows() {
            let values = positions
                .iter()
                .map(|&c| {
                    let column = batch.column(c);
                    if arrow_array::Array::is_null(column.as_ref(), row) {
                        HIVE_NULL.to_owned()
                    } else {
                        escape_path_value(&crate::show::cell_text(column.as_ref(), row))
                    }
                })
                .collect();
            groups
                .entry(values)
                .or_default()
                .push(u32::try_from(row).unwrap_or(u32::MAX));
        }
        let mut files = Vec::new();
        for (values, rows) in groups {
            let mut dir = self.dir.clone();
            for (name, value) in self.partition_by.iter().zip(&values) {
                dir.push(format!("{name}={value}"));
            }
            std::fs::create_dir_all(&dir)
                .map_err(|e| self.failed(batch_id, format_args!("create `{}`", dir.display()), e))?;
            let taken = arrow_select::take::take_record_batch(batch, &arrow_array::UInt32Array::from(rows))
                .and_then(|b| b.project(&data_columns))
                .map_err(|e| self.failed(batch_id, "split the batch by partition", e))?;
            files.push(self.write_part(batch_id, &taken, &dir)?);
        }
        Ok(files)
    }

    fn write_part(&self, batch_id: u64, batch: &RecordBatch, dir: &Path) -> Result<PathBuf> {
        let name = format!(
            "part-{batch_id:05}-{}{}.{}",
            uuid::Uuid::new_v4(),
            self.codec_suffix(),
            self.format.extension()
        );
        let final_path = dir.join(&name);
        // Hidden while written: readers that list the directory skip names starting with `.`.
        let temporary = dir.join(format!(".{name}.tmp"));
        let properties = WriterProperties::builder()
            .set_compression(self.compression)
            .set_max_row_group_row_count(Some(self.row_group_size))
            .build();
        let path = temporary.display();
        let file = File::create(&temporary).map_err(|e| self.failed(batch_id, format_args!("create `{path}`"), e))?;
        let writing = format_args!("write `{path}`");
        let file = match self.format {
            FileFormat::Parquet => {
                let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))
                    .map_err(|e| self.failed(batch_id, writing, e))?;
                writer.write(batch).map_err(|e| self.failed(batch_id, writing, e))?;
                writer.into_inner().map_err(|e| self.failed(batch_id, writing, e))?
            }
            FileFormat::JsonLines => {
                // Spark leaves a null field out, but writes a map's null value: Arrow's writer
                // treats both alike, so a batch with a map writes every null, losing none.
                let has_map = batch.schema().fields().iter().any(|f| holds_map(f.data_type()));
                let mut writer = arrow_json::WriterBuilder::new()
                    .with_explicit_nulls(has_map)
                    .build::<_, arrow_json::writer::LineDelimited>(file);
                writer.write(batch).map_err(|e| self.failed(batch_id, writing, e))?;
                writer.finish().map_err(|e| self.failed(batch_id, writing, e))?;
                writer.into_inner()
            }
            FileFormat::Csv => {
                let mut writer = arrow_csv::WriterBuilder::new().with_header(true).build(file);
                writer.write(batch).map_err(|e| self.failed(batch_id, writing, e))?;
                writer.into_inner()
            }
        };
        file.sync_all().map_err(|e| self.failed(batch_id, writing, e))?;
        tracing::trace!(target: "rill::durability", point = "sink_part_before_rename", batch_id);
        std::fs::rename(&temporary, &final_path).map_err(|e| {
            self.failed(
                batch_id,
                format_args!("rename `{path}` into `{}`", final_path.display()),
                e,
            )
        })?;
        // Durable before the log entry that lists the file.
        crate::checkpoint::sync_directory(dir)
            .map_err(|e| self.failed(batch_id, format_args!("sync `{}`", dir.display()), e))?;
        Ok(final_path)
    }

    /// Checks that the directory's log was written by the query of `checkpoint` (or is empty),
    /// then records that checkpoint as its writer. Two checkpoints writing one directory would
    /// each number batches from their own 0, and skip or repeat each other's batches.
    fn claim(&self, query: &str, checkpoint: &CheckpointInfo) -> Result<()> {
        let log_dir = self.dir.join(METADATA_DIR);
        let writer_file = log_dir.join(WRITER_FILE);
        let refuse = |message: String| Error::Start {
            query: query.to_owned(),
            message: format!("the file sink directory `{}` {message}", self.dir.display()),
        };
        let latest_logged = log_entries(&log_dir)?.last().map(|((batch, _), _)| *batch);
        let writer: Option<SinkWriter> = match std::fs::read(&writer_file) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| Error::Checkpoint {
                path: writer_file.clone(),
                message: format!("does not parse as the record of the checkpoint writing this sink: {e}"),
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Io {
                    action: "read",
                    path: writer_file,
                    source,
                });
            }
        };
        match (&writer, latest_logged) {
            (Some(writer), _) if writer.checkpoint_id != checkpoint.id => {
                return Err(refuse(format!(
                    "is written by the query of checkpoint `{}` (id {}), not by this query's checkpoint `{}` (id {}): write into another directory, or restart with that checkpoint",
                    writer.checkpoint,
                    writer.checkpoint_id,
                    checkpoint.dir.display(),
                    checkpoint.id
                )));
            }
            (None, Some(latest)) if checkpoint.last_planned_batch.is_none() => {
                return Err(refuse(format!(
                    "already holds batches 0 to {latest} of another query (its `{METADATA_DIR}` log does not name a Rill checkpoint: Spark's, or one deleted since), and this query's new checkpoint would number its batches from 0 and skip them as written: write into another directory"
                )));
            }
            _ => {}
        }
        if let Some(latest) = latest_logged
            && checkpoint.last_planned_batch.is_none_or(|planned| latest > planned)
        {
            return Err(Error::Checkpoint {
                path: checkpoint.dir.join("offsets").join(latest.to_string()),
                message: format!(
                    "is missing, but the file sink `{}` wrote batch {latest}; the checkpoint is inconsistent (was a file deleted by hand?), and resuming from it would skip batches as already written: restore the file, or start again with a new checkpoint and a new output directory",
                    self.dir.display()
                ),
            });
        }
        if writer.is_none() {
            let record = SinkWriter {
                checkpoint_id: checkpoint.id,
                checkpoint: std::path::absolute(&checkpoint.dir)
                    .unwrap_or_else(|_| checkpoint.dir.clone())
                    .display()
                    .to_string(),
            };
            crate::checkpoint::write_file_atomically(
                &writer_file,
                serde_json::to_string(&record).unwrap_or_default().as_bytes(),
            )?;
        }
        Ok(())
    }

    /// Deletes part files the log does not list — hidden `.part-*.tmp` files a crash left
    /// half-written, and part files of a batch that crashed before its log entry — so that
    /// readers listing the directory (pyarrow, say) see only committed output.
    fn remove_uncommitted_files(&self) -> Result<()> {
        let committed: std::collections::HashSet<std::ffi::OsString> = committed_files(&self.dir)?
            .iter()
            .filter_map(|path| path.file_name().map(std::ffi::OsStr::to_os_string))
            .collect();
        let mut removed = 0_usize;
        let mut directories = vec![self.dir.clone()];
        while let Some(dir) = directories.pop() {
            let io = |source| Error::Io {
                action: "list",
                path: dir.clone(),
                source,
            };
            for entry in std::fs::read_dir(&dir).map_err(io)? {
                let entry = entry.map_err(io)?;
                let name = entry.file_name();
                let text = name.to_string_lossy();
                let file_type = entry.file_type().map_err(io)?;
                if file_type.is_dir() {
                    if text != METADATA_DIR {
                        directories.push(entry.path());
                    }
                    continue;
                }
                let half_written = text.starts_with(".part-") && text.ends_with(".tmp");
                let unlisted = is_part_file_name(&text) && !committed.contains(&name);
                if half_written || unlisted {
                    std::fs::remove_file(entry.path()).map_err(|source| Error::Io {
                        action: "remove an uncommitted part file",
                        path: entry.path(),
                        source,
                    })?;
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            tracing::info!(sink = %self.description(), files = removed, "removed part files of batches that never committed");
        }
        Ok(())
    }

    /// `.snappy` in a compressed Parquet file's name, as Spark names them.
    fn codec_suffix(&self) -> &'static str {
        if self.format == FileFormat::Parquet && self.compression == Compression::SNAPPY {
            ".snappy"
        } else {
            ""
        }
    }

    /// Writes `_spark_metadata/<batch>` listing `files`, atomically, in Spark's format.
    fn write_log(&self, batch_id: u64, files: &[PathBuf]) -> Result<()> {
        let log_dir = self.dir.join(METADATA_DIR);
        let compact = (batch_id + 1).is_multiple_of(COMPACT_INTERVAL);
        let mut text = String::from("v1");
        if compact {
            for line in log_lines(&log_dir)? {
                text.push('\n');
                text.push_str(&line);
            }
        }
        for path in files {
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let metadata = std::fs::metadata(path)
                .map_err(|e| self.failed(batch_id, format_args!("stat `{}`", path.display()), e))?;
            let modified = metadata
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis());
            let entry = json!({
                "path": to_file_uri(&absolute),
                "size": metadata.len(),
                "isDir": false,
                "modificationTime": modified,
                "blockReplication": 1,
                "blockSize": 33_554_432,
                "action": "add",
            });
            text.push('\n');
            text.push_str(&entry.to_string());
        }
        let target = if compact {
            log_dir.join(format!("{batch_id}.compact"))
        } else {
            self.log_entry(batch_id)
        };
        crate::checkpoint::write_file_atomically(&target, text.as_bytes())
            .map_err(|e| self.failed(batch_id, "write the metadata log entry", e))?;
        if compact {
            // The compact file holds everything before it: the entries it covers can go.
            for (id, path) in log_entries(&log_dir)? {
                if id.0 < batch_id {
                    std::fs::remove_file(&path)
                        .map_err(|e| self.failed(batch_id, format_args!("delete `{}`", path.display()), e))?;
                }
            }
        }
        Ok(())
    }

    /// Whether the log already holds `batch_id` (in its own entry or in a compact file).
    fn committed(&self, batch_id: u64) -> Result<bool> {
        Ok(log_entries(&self.dir.join(METADATA_DIR))?
            .iter()
            .any(|((id, is_compact), _)| *id == batch_id || (*is_compact && *id > batch_id)))
    }

    /// The files a `_spark_metadata` log lists, in batch order, from the log directory's files
    /// as `(file name, contents)` pairs in any order: the records of the latest
    /// `<batch>.compact` file and of the `<batch>` entries after it. Names that are not log
    /// entries (temporary files) are ignored. [`read_file_sink`] reads the log through this.
    ///
    /// # Errors
    /// A message naming the log file that does not start with the `v1` version line, is not
    /// UTF-8, or holds a record that is not a JSON object with a `path` string.
    pub fn parse_metadata_log(files: &[(&str, &[u8])]) -> std::result::Result<Vec<PathBuf>, String> {
        let entries = files
            .iter()
            .filter_map(|&(name, bytes)| Some((log_entry_name(name)?, (name, bytes))))
            .collect();
        let mut paths = Vec::new();
        for (_, (name, bytes)) in live_entries(entries) {
            let in_file = |message: String| format!("`{METADATA_DIR}/{name}`: {message}");
            for (line, record) in log_records(bytes).map_err(in_file)?.enumerate() {
                paths.push(record_path(record).map_err(|m| in_file(format!("record {}: {m}", line + 1)))?);
            }
        }
        Ok(paths)
    }
}

impl Sink for FileSink {
    fn description(&self) -> String {
        format!("FileSink[{}]", self.dir.display())
    }

    fn open(&mut self, context: &SinkContext) -> Result<()> {
        if let Some(missing) = self
            .partition_by
            .iter()
            .find(|name| context.schema.index_of(name).is_err())
        {
            return Err(Error::Start {
                query: context.query_name.clone(),
                message: format!(
                    "the file sink partitions by `{missing}`, which is not an output column (the columns are {})",
                    context
                        .schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        // As Spark's analysis: a CSV file has no form for a nested value.
        if self.format == FileFormat::Csv
            && let Some(nested) = context.schema.fields().iter().find(|f| f.data_type().is_nested())
        {
            return Err(Error::Start {
                query: context.query_name.clone(),
                message: format!(
                    "the CSV file sink cannot write column `{}` of type {} (Spark: UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE); write Parquet or JSON lines instead",
                    nested.name(),
                    nested.data_type(),
                ),
            });
        }
        std::fs::create_dir_all(self.dir.join(METADATA_DIR)).map_err(|e| Error::Io {
            action: "create",
            path: self.dir.join(METADATA_DIR),
            source: e,
        })?;
        if let Some(checkpoint) = &context.checkpoint {
            self.claim(&context.query_name, checkpoint)?;
            // The checkpoint makes this the directory's only writer: what the log does not
            // list is left over from batches that never committed.
            self.remove_uncommitted_files()?;
        }
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        if self.committed(batch_id)? {
            tracing::info!(batch_id, sink = %self.description(), "skipping a batch the file sink already committed");
            return Ok(());
        }
        let files = if batch.num_rows() == 0 {
            Vec::new()
        } else {
            self.write_parts(batch_id, batch)?
        };
        tracing::trace!(target: "rill::durability", point = "sink_parts_written", batch_id);
        self.write_log(batch_id, &files)
    }
}

impl AcceptsMode<mode::Append> for FileSink {}

/// Whether values of `data_type` hold a map at any depth.
fn holds_map(data_type: &arrow_schema::DataType) -> bool {
    use arrow_schema::DataType;
    match data_type {
        DataType::Map(..) => true,
        DataType::List(item) | DataType::LargeList(item) => holds_map(item.data_type()),
        DataType::Struct(fields) => fields.iter().any(|f| holds_map(f.data_type())),
        _ => false,
    }
}

/// The file in `_spark_metadata` naming the checkpoint whose query writes the directory. Its
/// name is not a batch number, so Spark's log reader and Rill's skip it.
const WRITER_FILE: &str = ".rill-writer";

/// The contents of [`WRITER_FILE`].
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SinkWriter {
    /// The checkpoint's query id.
    checkpoint_id: uuid::Uuid,
    /// Where the checkpoint was, for the error message.
    checkpoint: String,
}

/// Whether `name` is a part file as [`FileSink`] names them:
/// `part-<batch, 5+ digits>-<uuid>[.snappy].<extension>`.
fn is_part_file_name(name: &str) -> bool {
    let Some((batch, rest)) = name.strip_prefix("part-").and_then(|rest| rest.split_once('-')) else {
        return false;
    };
    let uuid = rest.get(..36).unwrap_or_default();
    batch.len() >= 5
        && batch.bytes().all(|b| b.is_ascii_digit())
        && uuid::Uuid::try_parse(uuid).is_ok()
        && rest[uuid.len()..].starts_with('.')
}

/// A metadata log file's name as `(batch, is_compact)`: `<batch>` or `<batch>.compact`.
fn log_entry_name(name: &str) -> Option<(u64, bool)> {
    match name.strip_suffix(".compact") {
        Some(id) => Some((crate::checkpoint::batch_of_file_name(id)?, true)),
        None => Some((crate::checkpoint::batch_of_file_name(name)?, false)),
    }
}

/// The entries a reader follows, oldest first: the latest compact file and the entries after
/// it (it holds all entries before it, which may still be there after a crash).
fn live_entries<T>(mut entries: Vec<((u64, bool), T)>) -> Vec<((u64, bool), T)> {
    entries.sort_by_key(|(id, _)| *id);
    let start = entries.iter().rposition(|((_, compact), _)| *compact).unwrap_or(0);
    entries.split_off(start)
}

/// The records (JSON lines) of one log file, after its version line.
fn log_records(bytes: &[u8]) -> std::result::Result<std::str::Lines<'_>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let (version, records) = text.split_once('\n').unwrap_or((text, ""));
    if version != "v1" {
        let shown: String = version.chars().take(20).collect();
        let more = if shown.len() < version.len() { "..." } else { "" };
        return Err(format!(
            "unsupported format version `{}{more}` (Spark's file sink log is `v1`)",
            shown.escape_debug()
        ));
    }
    Ok(records.lines())
}

/// The file a log record adds: its `path`, a `file:` URI percent-decoded once to the file's
/// exact name.
fn record_path(record: &str) -> std::result::Result<PathBuf, String> {
    let record: serde_json::Value = serde_json::from_str(record).map_err(|e| format!("does not parse: {e}"))?;
    let path = record
        .get("path")
        .and_then(serde_json::Value::as_str)
        .ok_or("has no `path` string")?;
    Ok(from_file_uri(path).unwrap_or_else(|| PathBuf::from(path)))
}

/// The entries of a metadata log, by batch: `((batch, is_compact), path)`, oldest first.
fn log_entries(log_dir: &Path) -> Result<Vec<((u64, bool), PathBuf)>> {
    let mut entries: Vec<((u64, bool), PathBuf)> = std::fs::read_dir(log_dir)
        .map_err(|e| Error::Io {
            action: "list",
            path: log_dir.to_owned(),
            source: e,
        })?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            Some((log_entry_name(entry.file_name().to_str()?)?, entry.path()))
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// The files of the log entries a reader follows ([`live_entries`]), as `(name, contents)`.
fn read_live_entries(log_dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    live_entries(log_entries(log_dir)?)
        .into_iter()
        .map(|(_, path)| {
            let bytes = std::fs::read(&path).map_err(|e| Error::Io {
                action: "read",
                path: path.clone(),
                source: e,
            })?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Ok((name, bytes))
        })
        .collect()
}

/// The log's file records (JSON lines), in batch order: the latest compact file's, then those
/// of the entries after it.
fn log_lines(log_dir: &Path) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (name, bytes) in read_live_entries(log_dir)? {
        let records = log_records(&bytes).map_err(|message| Error::Io {
            action: "read",
            path: log_dir.join(&name),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        })?;
        lines.extend(records.map(str::to_owned));
    }
    Ok(lines)
}

/// Whether `dir` holds a file sink's output: a `_spark_metadata` log, which readers follow
/// instead of listing the directory.
pub(crate) fn has_metadata_log(dir: &Path) -> bool {
    dir.join(METADATA_DIR).is_dir()
}

/// The files a file sink committed in `dir`, in batch order: those its `_spark_metadata` log
/// lists (a file of a batch that crashed before its log entry is not read), or every file of a
/// known format when there is no log.
pub(crate) fn committed_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let log_dir = dir.join(METADATA_DIR);
    if !log_dir.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::Io {
                action: "list",
                path: dir.to_owned(),
                source: e,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| format_of(path).is_some())
            .collect();
        files.sort();
        return Ok(files);
    }
    let entries = read_live_entries(&log_dir)?;
    let entries: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    FileSink::parse_metadata_log(&entries).map_err(|message| Error::Sink {
        sink: format!("FileSink[{}]", dir.display()),
        batch_id: 0,
        message: format!("the metadata log does not parse: {message}"),
        source: None,
    })
}

fn format_of(path: &Path) -> Option<FileFormat> {
    match path.extension()?.to_str()? {
        "parquet" => Some(FileFormat::Parquet),
        "json" => Some(FileFormat::JsonLines),
        "csv" => Some(FileFormat::Csv),
        _ => None,
    }
}

fn read_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Arrow {
        context: format!("reading `{}`", path.display()),
        source: arrow_schema::ArrowError::ExternalError(error.to_string().into()),
    }
}

/// The record batches of one committed file.
fn read_file(path: &Path, schema: &arrow_schema::SchemaRef) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| Error::Io {
        action: "read",
        path: path.to_owned(),
        source: e,
    })?;
    let batches: std::result::Result<Vec<RecordBatch>, arrow_schema::ArrowError> = match format_of(path) {
        Some(FileFormat::Parquet) | None => ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| read_error(path, e))?
            .collect(),
        Some(FileFormat::JsonLines) => arrow_json::ReaderBuilder::new(schema.clone())
            .build(BufReader::new(file))
            .map_err(|e| read_error(path, e))?
            .collect(),
        Some(FileFormat::Csv) => arrow_csv::ReaderBuilder::new(schema.clone())
            .with_header(true)
            .build(file)
            .map_err(|e| read_error(path, e))?
            .collect(),
    };
    batches.map_err(|e| read_error(path, e))
}

/// Reads the Parquet files a file sink committed in `dir`, as record batches.
///
/// # Errors
/// When the log or a file cannot be read.
pub fn read_parquet_output(dir: &Path) -> Result<Vec<RecordBatch>> {
    let no_schema = std::sync::Arc::new(arrow_schema::Schema::empty());
    let mut batches = Vec::new();
    for path in committed_files(dir)? {
        batches.extend(read_file(&path, &no_schema)?);
    }
    Ok(batches)
}

/// The `column=value` directories between the sink's directory and a file.
pub(crate) fn partition_values(dir: &Path, file: &Path) -> Vec<(String, Option<String>)> {
    let relative = file.strip_prefix(dir).unwrap_or(file);
    relative
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|part| {
            let part = part.as_os_str().to_str()?;
            let (name, value) = part.split_once('=')?;
            Some((
                name.to_owned(),
                (value != HIVE_NULL).then(|| unescape_path_value(value)),
            ))
        })
        .collect()
}

/// A column of `rows` copies of a partition value, parsed as `field`'s type.
pub(crate) fn partition_column(
    field: &arrow_schema::Field,
    value: Option<&str>,
    rows: usize,
) -> Result<arrow_array::ArrayRef> {
    use arrow_array::builder::{
        BooleanBuilder, Date32Builder, Float32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder,
        Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    };
    use arrow_schema::DataType;
    let bad = |value: &str| Error::SchemaMismatch {
        query: "file sink reader".to_owned(),
        message: format!(
            "partition value `{value}` of `{}` is not a {}",
            field.name(),
            field.data_type()
        ),
    };
    macro_rules! repeat {
        ($builder:expr, $parse:expr) => {{
            let mut builder = $builder;
            let parsed = match value {
                Some(text) => Some($parse(text).ok_or_else(|| bad(text))?),
                None => None,
            };
            for _ in 0..rows {
                builder.append_option(parsed.clone());
            }
            std::sync::Arc::new(builder.finish()) as arrow_array::ArrayRef
        }};
    }
    Ok(match field.data_type() {
        DataType::Int8 => repeat!(Int8Builder::new(), |t: &str| t.parse::<i8>().ok()),
        DataType::Int16 => repeat!(Int16Builder::new(), |t: &str| t.parse::<i16>().ok()),
        DataType::Int32 => repeat!(Int32Builder::new(), |t: &str| t.parse::<i32>().ok()),
        DataType::Float32 => repeat!(Float32Builder::new(), |t: &str| t.parse::<f32>().ok()),
        DataType::Int64 => repeat!(Int64Builder::new(), |t: &str| t.parse::<i64>().ok()),
        DataType::Float64 => repeat!(Float64Builder::new(), |t: &str| t.parse::<f64>().ok()),
        DataType::Boolean => repeat!(BooleanBuilder::new(), |t: &str| t.parse::<bool>().ok()),
        DataType::Date32 => repeat!(Date32Builder::new(), |t: &str| crate::types::Date::parse(t)
            .map(|d| d.days())),
        DataType::Timestamp(_, zone) => repeat!(
            TimestampMicrosecondBuilder::new().with_timezone_opt(zone.clone()),
            |t: &str| crate::types::Timestamp::parse(t).map(|ts| ts.micros())
        ),
        DataType::Decimal128(precision, scale) => repeat!(
            arrow_array::builder::Decimal128Builder::new().with_data_type(field.data_type().clone()),
            |t: &str| crate::decimal::parse_unscaled(t, *precision, u8::try_from(*scale).ok()?)
        ),
        _ => repeat!(StringBuilder::new(), |t: &str| Some(t.to_owned())),
    })
}

/// Reads what a file sink committed in `dir` — Parquet, JSON lines or CSV — as typed rows `R`.
///
/// # Errors
/// When the log or a file cannot be read, or the files do not hold `R`'s columns.
pub fn read_file_sink<R: Row>(dir: &Path) -> Result<Vec<R>> {
    let schema = R::schema();
    let mut rows = Vec::new();
    for path in committed_files(dir)? {
        let partitions = partition_values(dir, &path);
        // The file holds the columns that are not partition columns.
        let in_file: Vec<usize> = (0..schema.fields().len())
            .filter(|&c| !partitions.iter().any(|(name, _)| name == schema.field(c).name()))
            .collect();
        let file_schema = std::sync::Arc::new(schema.project(&in_file).map_err(|e| read_error(&path, e))?);
        for batch in read_file(&path, &file_schema)? {
            let columns = schema
                .fields()
                .iter()
                .map(|field| match partitions.iter().find(|(name, _)| name == field.name()) {
                    Some((_, value)) => partition_column(field, value.as_deref(), batch.num_rows()),
                    None => batch
                        .column_by_name(field.name())
                        .cloned()
                        .ok_or_else(|| read_error(&path, format!("no column `{}`", field.name()))),
                })
                .collect::<Result<Vec<_>>>()?;
            let full = RecordBatch::try_new(schema.clone(), columns).map_err(|e| read_error(&path, e))?;
            rows.extend(R::from_batch(&full)?);
        }
    }
    Ok(rows)
}

/// The directory name Spark uses for a null partition value.
const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// Escapes a partition value for a directory name as Spark does (`%` and two hex digits).
fn escape_path_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || "\"#%'*/:=?\\\x7f{[]^".contains(c) {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                escaped.push_str(&format!("%{byte:02X}"));
            }
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Undoes [`escape_path_value`].
fn unescape_path_value(value: &str) -> String {
    String::from_utf8_lossy(&percent_decode(value)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"path":"file:///out/a%3Db/part-0.parquet","size":1,"isDir":false,"modificationTime":0,"blockReplication":1,"blockSize":1,"action":"add"}"#;

    fn parse(files: &[(&str, &str)]) -> std::result::Result<Vec<PathBuf>, String> {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
        FileSink::parse_metadata_log(&files)
    }

    #[test]
    fn the_log_is_read_from_the_latest_compact_file_on() {
        let entry = format!("v1\n{RECORD}\n");
        let other = entry.replace("part-0", "part-1");
        let paths = parse(&[
            ("10", &other),
            ("8", "garbage that a compact file covers"),
            ("9.compact", &entry),
            (".10.tmp", "not an entry"),
            ("11", "v1"),
        ])
        .unwrap();
        assert_eq!(
            paths,
            [
                PathBuf::from("/out/a=b/part-0.parquet"),
                PathBuf::from("/out/a=b/part-1.parquet")
            ]
        );
        assert_eq!(parse(&[]).unwrap(), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_bad_log_file_is_an_error_naming_it() {
        for (files, message) in [
            (vec![("0", "")], "`_spark_metadata/0`: unsupported format version ``"),
            (
                vec![("0", RECORD)],
                "`_spark_metadata/0`: unsupported format version `{\\\"path\\\":\\\"file:///out...`",
            ),
            (vec![("3", "v2\n")], "unsupported format version `v2`"),
            (
                vec![("0", "v1\n{}")],
                "`_spark_metadata/0`: record 1: has no `path` string",
            ),
            (vec![("0", "v1\n[1]")], "record 1: has no `path` string"),
            (
                vec![("1.compact", "v1\n{\"path\": \"x\"}\nnot json")],
                "`_spark_metadata/1.compact`: record 2: does not parse",
            ),
        ] {
            let error = parse(&files).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
        let error = FileSink::parse_metadata_log(&[("0", b"v1\n\xff")]).unwrap_err();
        assert!(error.contains("not UTF-8"), "{error}");
    }

    #[test]
    fn only_canonical_names_are_log_entries() {
        assert_eq!(log_entry_name("7"), Some((7, false)));
        assert_eq!(log_entry_name("19.compact"), Some((19, true)));
        for name in [
            "07",
            "+7",
            ".7.tmp",
            "7.compact.tmp",
            ".compact",
            "compact",
            "-1.compact",
        ] {
            assert_eq!(log_entry_name(name), None, "{name}");
        }
    }
}
