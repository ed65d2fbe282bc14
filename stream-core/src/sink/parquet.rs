//! The Parquet file sink, exactly once through Spark's `_spark_metadata` log.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::json;

use super::{AcceptsMode, Sink, SinkContext};
use crate::error::{Error, Result};
use crate::query::mode;

/// The log that lists each batch's files, as Spark's file sink keeps it.
const METADATA_DIR: &str = "_spark_metadata";

/// Writes each micro-batch as Parquet files into a directory, exactly once (Spark's
/// `format("parquet")` sink; append mode only, which the compiler checks).
///
/// A batch's files are written under temporary names and renamed into place; then one entry
/// `_spark_metadata/<batch>` lists them, written atomically. A batch whose entry exists is
/// skipped when it is handed over again after a restart, and a reader that follows the log —
/// [`read_parquet_output`], or Spark itself — sees each batch once, never the files of a batch
/// that crashed half-way.
///
/// ```
/// use rill::prelude::*;
/// use rill::sink::{ParquetSink, read_parquet_output};
/// use rill::source::MemoryStream;
///
/// rill::stream! {
///     schema Reading { sensor: String, value: f64 }
///     query Hot(raw: Reading) { raw.filter(value > 30.0) }
/// }
///
/// let dir = tempfile::tempdir().unwrap();
/// let input: MemoryStream<Reading> = MemoryStream::new();
/// input.add_rows(&[Reading { sensor: "a".into(), value: 31.5 }, Reading { sensor: "b".into(), value: 1.0 }]).unwrap();
/// let query = Hot::read(input).append().to(ParquetSink::new(dir.path())).trigger(Trigger::AvailableNow).start().unwrap();
/// query.await_termination().unwrap();
/// let batches = read_parquet_output(dir.path()).unwrap();
/// assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
/// ```
#[derive(Debug)]
pub struct ParquetSink {
    dir: PathBuf,
    row_group_size: usize,
    compression: Compression,
}

impl ParquetSink {
    /// A sink writing into `dir` (created if missing), snappy-compressed as Spark writes.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            row_group_size: 1024 * 1024,
            compression: Compression::SNAPPY,
        }
    }

    /// At most `rows` rows per row group.
    #[must_use]
    pub fn row_group_size(mut self, rows: usize) -> Self {
        self.row_group_size = rows.max(1);
        self
    }

    /// Writes uncompressed files instead of snappy ones.
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
        }
    }

    fn log_entry(&self, batch_id: u64) -> PathBuf {
        self.dir.join(METADATA_DIR).join(batch_id.to_string())
    }

    fn write_part(&self, batch_id: u64, batch: &RecordBatch) -> Result<PathBuf> {
        let name = format!(
            "part-{batch_id:05}-{}.{}.parquet",
            uuid::Uuid::new_v4(),
            self.extension()
        );
        let final_path = self.dir.join(&name);
        // Hidden while written: readers that list the directory skip names starting with `.`.
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let properties = WriterProperties::builder()
            .set_compression(self.compression)
            .set_max_row_group_row_count(Some(self.row_group_size))
            .build();
        let write = || -> std::result::Result<(), String> {
            let file = File::create(&temporary).map_err(|e| format!("cannot create `{}`: {e}", temporary.display()))?;
            let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(|e| e.to_string())?;
            writer.write(batch).map_err(|e| e.to_string())?;
            let file = writer.into_inner().map_err(|e| e.to_string())?;
            file.sync_all().map_err(|e| e.to_string())?;
            std::fs::rename(&temporary, &final_path)
                .map_err(|e| format!("cannot rename into `{}`: {e}", final_path.display()))
        };
        write().map_err(|message| self.error(batch_id, message))?;
        Ok(final_path)
    }

    fn extension(&self) -> &'static str {
        if self.compression == Compression::SNAPPY {
            "snappy"
        } else {
            "uncompressed"
        }
    }

    /// Writes `_spark_metadata/<batch>` listing `files`, atomically, in Spark's format.
    fn write_log(&self, batch_id: u64, files: &[PathBuf]) -> Result<()> {
        let mut text = String::from("v1");
        for path in files {
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let metadata = std::fs::metadata(path).map_err(|e| self.error(batch_id, e))?;
            let modified = metadata
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis());
            let entry = json!({
                "path": format!("file://{}", absolute.display()),
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
        let target = self.log_entry(batch_id);
        let temporary = self.dir.join(METADATA_DIR).join(format!(".{batch_id}.tmp"));
        let write = || -> std::io::Result<()> {
            std::fs::write(&temporary, &text)?;
            File::open(&temporary)?.sync_all()?;
            std::fs::rename(&temporary, &target)?;
            File::open(self.dir.join(METADATA_DIR))?.sync_all()
        };
        write().map_err(|e| self.error(batch_id, format!("cannot write the metadata log entry: {e}")))
    }
}

impl Sink for ParquetSink {
    fn description(&self) -> String {
        format!("FileSink[{}]", self.dir.display())
    }

    fn open(&mut self, _context: &SinkContext) -> Result<()> {
        std::fs::create_dir_all(self.dir.join(METADATA_DIR)).map_err(|e| Error::Io {
            action: "create",
            path: self.dir.join(METADATA_DIR),
            source: e,
        })
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        if self.log_entry(batch_id).exists() {
            tracing::info!(batch_id, sink = %self.description(), "skipping a batch the file sink already committed");
            return Ok(());
        }
        let files = if batch.num_rows() == 0 {
            Vec::new()
        } else {
            vec![self.write_part(batch_id, batch)?]
        };
        self.write_log(batch_id, &files)
    }
}

impl AcceptsMode<mode::Append> for ParquetSink {}

/// Reads what a file sink committed in `dir`: the files its `_spark_metadata` log lists (a file
/// of a batch that crashed before its log entry is not read), or every Parquet file when there
/// is no log.
///
/// # Errors
/// When the log or a file cannot be read.
pub fn read_parquet_output(dir: &Path) -> Result<Vec<RecordBatch>> {
    let log_dir = dir.join(METADATA_DIR);
    let io = |path: &Path, action: &'static str, source: std::io::Error| Error::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    if log_dir.is_dir() {
        let mut batches: Vec<(u64, PathBuf)> = std::fs::read_dir(&log_dir)
            .map_err(|e| io(&log_dir, "list", e))?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let batch = entry.file_name().to_str()?.parse::<u64>().ok()?;
                Some((batch, entry.path()))
            })
            .collect();
        batches.sort();
        for (_, entry) in batches {
            let text = std::fs::read_to_string(&entry).map_err(|e| io(&entry, "read", e))?;
            for line in text.lines().skip(1) {
                let record: serde_json::Value = serde_json::from_str(line).map_err(|e| Error::Sink {
                    sink: format!("FileSink[{}]", dir.display()),
                    batch_id: 0,
                    message: format!("metadata log entry `{}` does not parse: {e}", entry.display()),
                })?;
                if let Some(path) = record["path"].as_str() {
                    files.push(PathBuf::from(path.strip_prefix("file://").unwrap_or(path)));
                }
            }
        }
    } else {
        files = std::fs::read_dir(dir)
            .map_err(|e| io(dir, "list", e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
            .collect();
        files.sort();
    }
    let mut batches = Vec::new();
    for path in files {
        let file = File::open(&path).map_err(|e| io(&path, "read", e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|builder| builder.build())
            .map_err(|e| Error::Arrow {
                context: format!("reading `{}`", path.display()),
                source: arrow_schema::ArrowError::ExternalError(Box::new(e)),
            })?;
        for batch in reader {
            batches.push(batch.map_err(|e| Error::arrow(format!("reading `{}`", path.display()), e))?);
        }
    }
    Ok(batches)
}
