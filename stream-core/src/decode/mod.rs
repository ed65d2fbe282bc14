//! Decoding records of text formats into Arrow batches, with Spark's parse modes.
//!
//! For every query, `stream!` generates a [`RecordDecoder`] for its schema: it reads a record
//! (a JSON line, or the fields of a CSV row), parses every declared column's value in place
//! with the typed readers of [`json`] and [`text`], validating all of them, and appends only
//! the columns the query uses to Arrow builders. The runtime drives it over a file's bytes
//! ([`FormatDecoder`]) and decides, through a [`RecordContext`], what happens to a record that
//! does not fit the schema — by the source's [`ParseMode`]:
//!
//! | a malformed record… | `Permissive` (default) | `DropMalformed` | `FailFast` |
//! |---|---|---|---|
//! | a value of the wrong type in a nullable column | kept: that column null, the line in `_corrupt_record` | dropped | error |
//! | not JSON / not a complete object | kept: every column null, the line in `_corrupt_record` | dropped | error |
//! | a non-nullable column missing, null or unparseable | dropped (it has no representation) | dropped | error |
//!
//! Every malformed record is counted (`numMalformedRows` in progress), and so is every
//! dropped one (`numDroppedMalformedRows`), so the rows a source produces plus the dropped
//! ones always equal the records read (less the rows a filter the query pushed into the
//! decoder removed, which Spark does not count either). A dropped record is also logged at
//! `warn` with its file and line. The `FailFast` error names the file, line, column, the field
//! at fault and the offending text; the batch it was in is not committed, so nothing is lost.

pub mod csv;
pub mod json;
mod scan;
pub mod text;

use std::borrow::Cow;
use std::path::Path;

use arrow_array::RecordBatch;

use crate::error::{Error, Result};
use json::{Field, SyntaxError};

/// Rows decoded per Arrow batch.
pub const BATCH_ROWS: usize = 8192;

/// The name Spark gives the column that receives malformed records' text.
pub use stream_grammar::CORRUPT_RECORD_COLUMN;

/// What a text source does with a record that does not fit the schema (Spark's `mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParseMode {
    /// Keep the record, with null where a value does not fit and the raw record in the
    /// `_corrupt_record` column when the schema declares one; a record that cannot be
    /// represented (a non-nullable column without a value) is dropped and counted.
    #[default]
    Permissive,
    /// Drop every malformed record, counting it.
    DropMalformed,
    /// Stop the query with an error naming the file, line, column and offending text.
    FailFast,
}

/// One column of a declared schema, as a decoder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredColumn {
    /// The column's name.
    pub name: &'static str,
    /// Whether it may hold null (an `Option` field).
    pub nullable: bool,
    /// For a nested column (an array), its Spark type: a text field (CSV) cannot hold it.
    pub nested: Option<&'static str>,
}

/// Record counts of one batch or file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeCounts {
    /// Records read (blank lines are not records).
    pub records: u64,
    /// Records that did not fit the schema, whatever became of them.
    pub malformed: u64,
    /// Malformed records not passed on (all of them in `DropMalformed` mode; in `Permissive`
    /// mode those a non-nullable column leaves no way to represent).
    pub dropped: u64,
    /// CSV files whose header did not name the schema's columns (read by position all the
    /// same, as Spark does by default, with a warning naming the file).
    pub header_mismatches: u64,
}

impl DecodeCounts {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: Self) {
        self.records += other.records;
        self.malformed += other.malformed;
        self.dropped += other.dropped;
        self.header_mismatches += other.header_mismatches;
    }
}

impl std::ops::AddAssign for DecodeCounts {
    fn add_assign(&mut self, other: Self) {
        self.add(other);
    }
}

/// The first thing found wrong with a record.
#[derive(Debug, Clone)]
struct Problem {
    offset: usize,
    message: String,
}

/// What becomes of a decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Append it; `corrupt` says it is malformed and its text goes to `_corrupt_record`.
    Keep {
        /// Whether the record was malformed (kept under `Permissive`).
        corrupt: bool,
    },
    /// Do not append it (it has been counted).
    Drop,
}

/// The decoding of one record: where it is, what was wrong with it, and the parse mode that
/// decides its fate. Generated decoders report each value through [`field`](Self::field) and
/// ask for the [`verdict`](Self::verdict) before appending.
#[derive(Debug)]
pub struct RecordContext<'c> {
    mode: ParseMode,
    path: &'c Path,
    line: u64,
    record: &'c [u8],
    columns: &'static [DeclaredColumn],
    problem: Option<Problem>,
    counts: &'c mut DecodeCounts,
}

impl<'c> RecordContext<'c> {
    /// The context for `record`, line `line` (one-based) of `path`.
    pub fn new(
        mode: ParseMode,
        path: &'c Path,
        line: u64,
        record: &'c [u8],
        columns: &'static [DeclaredColumn],
        counts: &'c mut DecodeCounts,
    ) -> Self {
        Self {
            mode,
            path,
            line,
            record,
            columns,
            problem: None,
            counts,
        }
    }

    /// The record's bytes.
    #[must_use]
    pub fn record(&self) -> &'c [u8] {
        self.record
    }

    /// Takes the value read for declared column `column`: its value, or `None` for null and
    /// for a value that does not fit (which makes the record malformed).
    #[inline(always)]
    pub fn field<T>(&mut self, column: usize, field: Field<T>) -> Option<T> {
        match field {
            Field::Value(value) => Some(value),
            Field::Null => None,
            Field::Mismatch(mismatch) => {
                self.mismatch(column, &mismatch);
                None
            }
        }
    }

    /// Records the first value of the record that does not fit its column.
    #[cold]
    #[inline(never)]
    fn mismatch(&mut self, column: usize, mismatch: &json::Mismatch) {
        if self.problem.is_none() {
            let name = self.columns.get(column).map_or("?", |c| c.name);
            let text = String::from_utf8_lossy(self.record.get(mismatch.span.clone()).unwrap_or_default());
            self.problem = Some(Problem {
                offset: mismatch.span.start,
                message: format!(
                    "field `{name}`: expected {}, found `{}`",
                    mismatch.expected,
                    excerpt(&text)
                ),
            });
        }
    }

    /// Records that the record is not well formed; every value read from it is void.
    pub fn syntax_error(&mut self, error: SyntaxError) {
        self.problem = Some(Problem {
            offset: error.offset,
            message: error.message.into_owned(),
        });
    }

    /// Decides the record's fate once all of it has been read; `present[i]` says whether
    /// declared column `i` got a value.
    ///
    /// # Errors
    /// [`Error::MalformedRecord`] for a malformed record in `FailFast` mode.
    #[inline]
    pub fn verdict(&mut self, present: &[bool]) -> Result<Verdict> {
        let mut representable = true;
        for (column, &present) in self.columns.iter().zip(present) {
            if !present && !column.nullable {
                representable = false;
                if self.problem.is_none() {
                    self.problem = Some(Problem {
                        offset: 0,
                        message: format!(
                            "column `{}` is missing or null, but the schema declares it non-nullable (declare it `Option<..>` to accept nulls)",
                            column.name
                        ),
                    });
                }
            }
        }
        let Some(problem) = &self.problem else {
            return Ok(Verdict::Keep { corrupt: false });
        };
        self.counts.malformed += 1;
        match self.mode {
            ParseMode::FailFast => Err(Error::MalformedRecord {
                path: self.path.to_owned(),
                line: self.line,
                column: u64::try_from(problem.offset).unwrap_or(u64::MAX).saturating_add(1),
                message: format!(
                    "{} in `{}`",
                    problem.message,
                    excerpt(&String::from_utf8_lossy(self.record))
                ),
            }),
            ParseMode::Permissive if representable => Ok(Verdict::Keep { corrupt: true }),
            ParseMode::Permissive | ParseMode::DropMalformed => {
                self.counts.dropped += 1;
                tracing::warn!(
                    path = %self.path.display(),
                    line = self.line,
                    column = problem.offset + 1,
                    mode = ?self.mode,
                    "dropped a malformed record: {}",
                    problem.message
                );
                Ok(Verdict::Drop)
            }
        }
    }

    /// The record's text for the `_corrupt_record` column (invalid UTF-8 replaced).
    #[must_use]
    pub fn corrupt_text(&self) -> Cow<'c, str> {
        String::from_utf8_lossy(self.record)
    }
}

/// The text of a value or record for a message, shortened.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(77).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// A decoder for one schema and projection, generated by `stream!` for each query.
pub trait RecordDecoder: Send + 'static {
    /// The schema's declared columns, in order.
    const COLUMNS: &'static [DeclaredColumn];

    /// A decoder with no rows.
    fn new() -> Self;

    /// Decodes one JSON record, appending it (or not) as `context` decides.
    ///
    /// # Errors
    /// A `FailFast` error from `context`.
    fn decode_json(&mut self, context: &mut RecordContext<'_>) -> Result<()>;

    /// The fast path over a buffer of JSON lines: decodes the record at the start of `bytes`
    /// when it has the schema's usual shape (every declared key once and in order, each value
    /// of its column's type, nothing to report), appending its row unless a pushed filter drops
    /// it, and returns the bytes it took through its line end. Any other record returns `None`
    /// with nothing appended, and [`decode_json`](Self::decode_json) decodes it. A record this
    /// takes must decode exactly as `decode_json` decodes it.
    fn decode_json_plain(&mut self, bytes: &[u8]) -> Option<usize> {
        let _ = bytes;
        None
    }

    /// Decodes one record of text fields: `fields[i]` is declared column `i`'s field (its text
    /// `None` for null: a missing field or the null value).
    ///
    /// # Errors
    /// A `FailFast` error from `context`.
    fn decode_fields(&mut self, fields: &[text::TextField<'_>], context: &mut RecordContext<'_>) -> Result<()>;

    /// Rows appended since the last [`finish`](Self::finish).
    fn len(&self) -> usize;

    /// Whether no rows were appended since the last [`finish`](Self::finish).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The appended rows as a batch of the projected columns; the decoder is empty after.
    ///
    /// # Errors
    /// Only if Arrow rejects the columns, a bug in generated code.
    fn finish(&mut self) -> Result<RecordBatch>;
}

/// A decoder of a schema without columns: every record is an empty row. The stand-in for
/// queries `stream!` could not compile, whose code never runs.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct NoColumns {
    rows: usize,
}

impl RecordDecoder for NoColumns {
    const COLUMNS: &'static [DeclaredColumn] = &[];

    fn new() -> Self {
        Self::default()
    }

    fn decode_json(&mut self, context: &mut RecordContext<'_>) -> Result<()> {
        if context.verdict(&[])? != Verdict::Drop {
            self.rows += 1;
        }
        Ok(())
    }

    fn decode_fields(&mut self, _fields: &[text::TextField<'_>], context: &mut RecordContext<'_>) -> Result<()> {
        self.decode_json(context)
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(std::mem::take(&mut self.rows)));
        RecordBatch::try_new_with_options(std::sync::Arc::new(arrow_schema::Schema::empty()), Vec::new(), &options)
            .map_err(|e| Error::arrow("building an empty batch", e))
    }
}

/// What a file source needs from a decoder: whole files' bytes in, batches out.
pub trait FormatDecoder: Send {
    /// Decodes the JSON lines in `bytes`, the contents of `path` from line `first_line`
    /// (one-based) on (a byte-order mark at the start of a file, CRLF line ends, blank lines
    /// and a last line without a newline are all fine).
    ///
    /// # Errors
    /// A malformed record in `FailFast` mode.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per source; a struct would only rename them"
    )]
    fn decode_json_lines(
        &mut self,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        self.decode_json_block(path, bytes, first_line, mode, counts, out)?;
        self.flush(out)
    }

    /// Decodes a block of whole JSON lines of a file, `first_line` being the first's number,
    /// as [`decode_json_lines`](Self::decode_json_lines) does, but keeps a last batch of fewer
    /// than [`BATCH_ROWS`] rows for the next block: a file read a block at a time is decoded
    /// into the batches it gives whole. Returns the number the line after the block has.
    /// [`flush`](Self::flush) ends the file.
    ///
    /// # Errors
    /// A malformed record in `FailFast` mode.
    #[allow(clippy::too_many_arguments, reason = "as decode_json_lines")]
    fn decode_json_block(
        &mut self,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<u64>;

    /// Appends the rows decoded but not yet in a batch to `out` as one batch.
    ///
    /// # Errors
    /// When the batch cannot be built.
    fn flush(&mut self, out: &mut Vec<RecordBatch>) -> Result<()>;

    /// [`decode_json_lines`](Self::decode_json_lines) without the fast path: every record by
    /// the general path. For differential tests, which check the two decode alike.
    ///
    /// # Errors
    /// As `decode_json_lines`.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments, reason = "as decode_json_lines")]
    fn decode_json_lines_general(
        &mut self,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()>;

    /// Decodes the CSV in `bytes` with `options`.
    ///
    /// # Errors
    /// A malformed record in `FailFast` mode, or a header that does not match the schema.
    fn decode_csv(
        &mut self,
        path: &Path,
        bytes: &[u8],
        options: &csv::CsvOptions,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()>;
}

impl std::fmt::Debug for dyn FormatDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormatDecoder")
    }
}

/// Makes a fresh boxed decoder; what a query hands its source.
pub type DecoderFactory = fn() -> Box<dyn FormatDecoder>;

/// The [`DecoderFactory`] of decoder type `D`.
#[must_use]
pub fn factory<D: RecordDecoder>() -> DecoderFactory {
    || Box::new(D::new())
}

/// The [`DecoderFactory`] of an input that no source feeds: the stage of a chained query that
/// reads another stateful operator's rows (see [`crate::chain`]). Those rows arrive as columns,
/// so its decoder refuses bytes with an error that says why.
#[must_use]
pub fn not_a_source() -> DecoderFactory {
    || Box::new(NotASource)
}

/// The decoder of [`not_a_source`].
struct NotASource;

impl NotASource {
    fn refuse<T>(path: &Path) -> Result<T> {
        Err(Error::Source {
            source_description: path.display().to_string(),
            message: "this input of a chained query reads the rows of the stateful operation before it, not a source"
                .to_owned(),
        })
    }
}

impl FormatDecoder for NotASource {
    fn decode_json_block(
        &mut self,
        path: &Path,
        _bytes: &[u8],
        _first_line: u64,
        _mode: ParseMode,
        _counts: &mut DecodeCounts,
        _out: &mut Vec<RecordBatch>,
    ) -> Result<u64> {
        Self::refuse(path)
    }

    fn flush(&mut self, _out: &mut Vec<RecordBatch>) -> Result<()> {
        Ok(())
    }

    fn decode_json_lines_general(
        &mut self,
        path: &Path,
        _bytes: &[u8],
        _first_line: u64,
        _mode: ParseMode,
        _counts: &mut DecodeCounts,
        _out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        Self::refuse(path)
    }

    fn decode_csv(
        &mut self,
        path: &Path,
        _bytes: &[u8],
        _options: &csv::CsvOptions,
        _mode: ParseMode,
        _counts: &mut DecodeCounts,
        _out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        Self::refuse(path)
    }
}

/// How often a decoder's fast path took a record, to stop trying it on input where it rarely
/// does (records in another field order than declared, say), since a miss costs up to a record's
/// scan before the general path starts again.
#[derive(Debug, Default)]
struct FastPathStats {
    hits: u64,
    misses: u64,
}

impl FastPathStats {
    #[inline(always)]
    fn worth_trying(&self) -> bool {
        self.misses < 64 || self.misses < self.hits
    }
}

impl<D: RecordDecoder> FormatDecoder for D {
    fn decode_json_block(
        &mut self,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<u64> {
        decode_json_lines::<D, true>(self, path, bytes, first_line, mode, counts, out)
    }

    fn flush(&mut self, out: &mut Vec<RecordBatch>) -> Result<()> {
        if !self.is_empty() {
            out.push(self.finish()?);
        }
        Ok(())
    }

    fn decode_json_lines_general(
        &mut self,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        decode_json_lines::<D, false>(self, path, bytes, first_line, mode, counts, out)?;
        self.flush(out)
    }

    fn decode_csv(
        &mut self,
        path: &Path,
        bytes: &[u8],
        options: &csv::CsvOptions,
        mode: ParseMode,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        csv::decode(self, path, bytes, options, mode, counts, out)
    }
}

/// A block of JSON lines decoded, with the fast path tried first when `FAST_PATH`, the last
/// batch left unfinished; returns the number of the line after the block.
#[allow(clippy::too_many_arguments, reason = "as FormatDecoder::decode_json_lines")]
fn decode_json_lines<D: RecordDecoder, const FAST_PATH: bool>(
    decoder: &mut D,
    path: &Path,
    bytes: &[u8],
    first_line: u64,
    mode: ParseMode,
    counts: &mut DecodeCounts,
    out: &mut Vec<RecordBatch>,
) -> Result<u64> {
    let bytes = if first_line <= 1 {
        bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
    } else {
        bytes
    };
    let mut line_start = 0;
    let mut line_number: u64 = first_line.saturating_sub(1);
    let mut fast_path = FastPathStats::default();
    while line_start < bytes.len() {
        if FAST_PATH && fast_path.worth_trying() {
            if let Some(consumed) = decoder.decode_json_plain(&bytes[line_start..]) {
                fast_path.hits += 1;
                line_start += consumed;
                line_number += 1;
                counts.records += 1;
                if decoder.len() >= BATCH_ROWS {
                    out.push(decoder.finish()?);
                }
                continue;
            }
            fast_path.misses += 1;
        }
        let line_end = memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |i| line_start + i);
        let line = &bytes[line_start..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line_start = line_end + 1;
        line_number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        counts.records += 1;
        let mut context = RecordContext::new(mode, path, line_number, line, D::COLUMNS, counts);
        decoder.decode_json(&mut context)?;
        if decoder.len() >= BATCH_ROWS {
            out.push(decoder.finish()?);
        }
    }
    Ok(line_number + 1)
}
