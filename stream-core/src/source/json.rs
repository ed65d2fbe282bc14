//! The JSON-lines file source.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use arrow_array::{Array, RecordBatch};
use arrow_json::ReaderBuilder;
use arrow_schema::{Field, Schema, SchemaRef};
use serde_json::json;

use super::{ReadLimit, Source, SourceSchema};
use crate::error::{Error, Result};

/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 8192;

/// Reads JSON-lines files from a directory, as Spark's `readStream.json(dir)`.
///
/// Each trigger lists the directory and takes the files it has not seen yet, oldest
/// modification time first (ties by name), at most [`max_files_per_trigger`](Self::max_files_per_trigger)
/// of them. Each file is processed exactly once. Files whose name starts with `.` or `_` are
/// ignored, so a producer can write `_events.json.tmp` or `.events.json` and rename it into
/// place when complete (rename is atomic; a file written in place could be read half-written).
/// Sub-directories are ignored.
///
/// Every line is one record. Blank lines are skipped. A line that is not a JSON object, or
/// whose values do not fit the declared schema, stops the query with
/// [`Error::MalformedRecord`] naming the file and line (Spark's `FAILFAST` mode). A field
/// missing from a line is null; for a column declared without `Option` that is malformed too.
/// Fields not in the schema are ignored.
///
/// ```
/// use stream_core::JsonSource;
/// let source = JsonSource::new("data/events").max_files_per_trigger(1);
/// assert_eq!(source.dir(), std::path::Path::new("data/events"));
/// ```
#[derive(Debug)]
pub struct JsonSource {
    dir: PathBuf,
    max_files_per_trigger: Option<usize>,
    schema: Option<SourceSchema>,
    /// Files taken by some batch (planned or done), so none is read twice.
    seen: HashSet<PathBuf>,
    /// The files of each planned batch, by log offset.
    batches: Vec<Vec<PathBuf>>,
    /// With an available-now trigger: the only files this run may take.
    available_now: Option<HashSet<PathBuf>>,
}

impl JsonSource {
    /// A source over the JSON-lines files in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_files_per_trigger: None,
            schema: None,
            seen: HashSet::new(),
            batches: Vec::new(),
            available_now: None,
        }
    }

    /// Takes at most `max` new files per micro-batch (Spark's `maxFilesPerTrigger`);
    /// a value of 0 is treated as 1.
    #[must_use]
    pub fn max_files_per_trigger(mut self, max: usize) -> Self {
        self.max_files_per_trigger = Some(max.max(1));
        self
    }

    /// The directory this source watches.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Visible files in the directory, oldest first.
    fn list(&self) -> Result<Vec<PathBuf>> {
        let io = |action, source| Error::Io {
            action,
            path: self.dir.clone(),
            source,
        };
        if !self.dir.is_dir() {
            return Err(Error::MissingInputDirectory { path: self.dir.clone() });
        }
        let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io("list", e))? {
            let entry = entry.map_err(|e| io("list", e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let path = entry.path();
            let metadata = match entry.metadata() {
                Ok(metadata) => metadata,
                // Removed between listing and stat: it was never fully there.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(Error::Io {
                        action: "stat",
                        path,
                        source,
                    });
                }
            };
            if !metadata.is_file() {
                continue;
            }
            let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            files.push((modified, path));
        }
        files.sort();
        Ok(files.into_iter().map(|(_, path)| path).collect())
    }

    fn log_offset(end: &serde_json::Value) -> Option<usize> {
        end.get("logOffset")?.as_u64().and_then(|v| usize::try_from(v).ok())
    }
}

impl Source for JsonSource {
    fn description(&self) -> String {
        let absolute = std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone());
        format!("FileStreamSource[file:{}]", absolute.display())
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        if !self.dir.is_dir() {
            return Err(Error::MissingInputDirectory { path: self.dir.clone() });
        }
        self.schema = Some(schema);
        Ok(())
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        self.available_now = Some(self.list()?.into_iter().collect());
        Ok(())
    }

    fn latest_offset(&mut self, limit: ReadLimit) -> Result<Option<serde_json::Value>> {
        let limit = match limit {
            ReadLimit::Configured => self.max_files_per_trigger.unwrap_or(usize::MAX),
            ReadLimit::AllAvailable => usize::MAX,
        };
        let new_files: Vec<PathBuf> = self
            .list()?
            .into_iter()
            .filter(|path| !self.seen.contains(path))
            .filter(|path| self.available_now.as_ref().is_none_or(|bound| bound.contains(path)))
            .take(limit)
            .collect();
        if new_files.is_empty() {
            return Ok(None);
        }
        self.seen.extend(new_files.iter().cloned());
        self.batches.push(new_files);
        Ok(Some(json!({ "logOffset": self.batches.len() - 1 })))
    }

    fn get_batch(&mut self, start: Option<&serde_json::Value>, end: &serde_json::Value) -> Result<Vec<RecordBatch>> {
        let source_error = |message: String| Error::Source {
            source_description: self.description(),
            message,
        };
        let schema = self
            .schema
            .as_ref()
            .ok_or_else(|| source_error("the file source was read before it was opened".to_owned()))?;
        let first = start.and_then(Self::log_offset).map_or(0, |offset| offset + 1);
        let last = Self::log_offset(end).ok_or_else(|| source_error(format!("offset {end} has no `logOffset`")))?;
        let decoder = LineDecoder::new(schema);
        let mut batches = Vec::new();
        let Some(planned) = self.batches.get(first..=last) else {
            return Err(source_error(format!("offset {end} was never planned by this source")));
        };
        for files in planned {
            for path in files {
                let bytes = std::fs::read(path).map_err(|source| Error::Io {
                    action: "read",
                    path: path.clone(),
                    source,
                })?;
                decoder.decode_file(path, &bytes, &mut batches)?;
            }
        }
        Ok(batches)
    }

    fn batch_log(&self, end: &serde_json::Value) -> Option<serde_json::Value> {
        let offset = Self::log_offset(end)?;
        let files: Vec<String> = self
            .batches
            .get(offset)?
            .iter()
            .map(|path| path.to_string_lossy().into_owned())
            .collect();
        Some(json!({ "logOffset": offset, "files": files }))
    }

    fn restore(&mut self, logs: &[serde_json::Value]) -> Result<()> {
        for entry in logs {
            let planned = entry
                .get("logOffset")
                .and_then(serde_json::Value::as_u64)
                .zip(entry.get("files").and_then(|f| f.as_array()));
            let Some((offset, files)) = planned else {
                return Err(Error::Source {
                    source_description: self.description(),
                    message: format!("source log entry {entry} has no `logOffset` and `files`"),
                });
            };
            let files: Vec<PathBuf> = files
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(PathBuf::from)
                .collect();
            if usize::try_from(offset).ok() != Some(self.batches.len()) {
                return Err(Error::Source {
                    source_description: self.description(),
                    message: format!(
                        "source log entry for log offset {offset} is out of order (expected {})",
                        self.batches.len()
                    ),
                });
            }
            self.seen.extend(files.iter().cloned());
            self.batches.push(files);
        }
        Ok(())
    }

    fn commit(&mut self, _end: &serde_json::Value) -> Result<()> {
        Ok(())
    }
}

/// Decodes JSON lines into batches of the projected columns, checking each line is exactly
/// one record and that non-nullable columns are filled.
struct LineDecoder {
    /// The projected schema with every column nullable: a missing value is then reported by
    /// us, with its line, instead of failing the whole batch inside Arrow.
    decode_schema: SchemaRef,
    /// The projected schema as declared.
    output_schema: SchemaRef,
}

impl LineDecoder {
    fn new(schema: &SourceSchema) -> Self {
        let output_schema = schema.projected();
        let decode_schema = Arc::new(Schema::new(
            output_schema
                .fields()
                .iter()
                .map(|f| Field::new(f.name(), f.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        Self {
            decode_schema,
            output_schema,
        }
    }

    fn decode_file(&self, path: &Path, bytes: &[u8], out: &mut Vec<RecordBatch>) -> Result<()> {
        let mut decoder = self.arrow_decoder(path)?;
        // One-based line number of each row buffered in `decoder`.
        let mut rows_lines: Vec<u64> = Vec::with_capacity(BATCH_ROWS);
        let mut line_start = 0;
        let mut line_number: u64 = 0;
        while line_start < bytes.len() {
            let line_end = memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |i| line_start + i);
            let line = &bytes[line_start..line_end];
            line_start = line_end + 1;
            line_number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let malformed = |message: String| Error::MalformedRecord {
                path: path.to_owned(),
                line: line_number,
                message,
            };
            if line.trim_ascii_start().first() != Some(&b'{') {
                return Err(malformed(format!("expected a JSON object, found `{}`", excerpt(line))));
            }
            let before = decoder.len();
            let consumed = decoder.decode(line).map_err(|e| malformed(arrow_message(&e)))?;
            // A newline ends the record: anything still open is an unterminated object.
            let consumed_newline = decoder.decode(b"\n").map_err(|e| malformed(arrow_message(&e)))?;
            if consumed != line.len() || consumed_newline != 1 || decoder.has_partial_record() {
                return Err(malformed(format!("not a complete JSON object: `{}`", excerpt(line))));
            }
            if decoder.len() != before + 1 {
                return Err(malformed(format!(
                    "expected one JSON object per line, found `{}`",
                    excerpt(line)
                )));
            }
            rows_lines.push(line_number);
            if decoder.len() == BATCH_ROWS {
                self.flush(path, bytes, &mut decoder, &mut rows_lines, out)?;
            }
        }
        self.flush(path, bytes, &mut decoder, &mut rows_lines, out)
    }

    fn arrow_decoder(&self, path: &Path) -> Result<arrow_json::reader::Decoder> {
        ReaderBuilder::new(self.decode_schema.clone())
            .with_batch_size(BATCH_ROWS)
            .build_decoder()
            .map_err(|e| Error::arrow(format!("creating a JSON decoder for `{}`", path.display()), e))
    }

    fn flush(
        &self,
        path: &Path,
        bytes: &[u8],
        decoder: &mut arrow_json::reader::Decoder,
        rows_lines: &mut Vec<u64>,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let batch = match decoder.flush() {
            Ok(Some(batch)) => batch,
            Ok(None) => return Ok(()),
            // A value of the wrong type: find its line by decoding the rows one at a time.
            Err(error) => return Err(self.locate_type_error(path, bytes, rows_lines, &error)),
        };
        for (field, column) in self.output_schema.fields().iter().zip(batch.columns()) {
            if !field.is_nullable() && column.null_count() > 0 {
                let row = (0..column.len()).find(|&row| column.is_null(row)).unwrap_or(0);
                return Err(Error::MalformedRecord {
                    path: path.to_owned(),
                    line: rows_lines[row],
                    message: format!(
                        "column `{}` is missing or null, but the schema declares it non-nullable (declare it `Option<..>` to accept nulls)",
                        field.name()
                    ),
                });
            }
        }
        rows_lines.clear();
        let batch = RecordBatch::try_new(self.output_schema.clone(), batch.columns().to_vec())
            .map_err(|e| Error::arrow(format!("building a batch from `{}`", path.display()), e))?;
        out.push(batch);
        Ok(())
    }

    fn locate_type_error(
        &self,
        path: &Path,
        bytes: &[u8],
        rows_lines: &[u64],
        error: &arrow_schema::ArrowError,
    ) -> Error {
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        for &line_number in rows_lines {
            let line = lines[usize::try_from(line_number - 1).unwrap_or(0)];
            let failed = self
                .arrow_decoder(path)
                .and_then(|mut single| {
                    single.decode(line).map_err(|e| Error::arrow("decoding", e))?;
                    single.flush().map_err(|e| Error::arrow("decoding", e))
                })
                .err();
            if let Some(Error::Arrow { source, .. }) = failed {
                return Error::MalformedRecord {
                    path: path.to_owned(),
                    line: line_number,
                    message: arrow_message(&source),
                };
            }
        }
        Error::MalformedRecord {
            path: path.to_owned(),
            line: rows_lines.first().copied().unwrap_or(0),
            message: arrow_message(error),
        }
    }
}

/// Arrow's message without its `Json error: ` prefix.
fn arrow_message(error: &arrow_schema::ArrowError) -> String {
    match error {
        arrow_schema::ArrowError::JsonError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The start of a line, for error messages.
fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text.to_owned()
    }
}
