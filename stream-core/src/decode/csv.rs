//! Splitting CSV records into fields, with Spark's CSV options.
//!
//! Each line is one record (Spark's default, `multiLine = false`): a quoted field may hold
//! the delimiter and escaped quotes, but not a line end; fields are split as Spark's reader
//! splits them (see `split`). Fields are the declared columns in
//! order (the `_corrupt_record` column excepted). A record with more or fewer fields than
//! that is malformed, as in Spark: in `Permissive` mode it keeps the fields it has (the rest
//! null, the extra ones cut) and its text goes to `_corrupt_record`; `DropMalformed` drops it;
//! `FailFast` stops on it.
//!
//! A header line is matched to the schema as [`HeaderColumns`] says: by default by position,
//! with a warning and a count when its names differ from the schema's (Spark's
//! `enforceSchema = true`).

use std::borrow::Cow;
use std::path::Path;

use arrow_array::RecordBatch;

use super::json::SyntaxError;
use super::scan::{find_byte, plain_ascii_field};
use super::text::TextField;
use super::{BATCH_ROWS, CORRUPT_RECORD_COLUMN, DecodeCounts, ParseMode, RecordContext, RecordDecoder};
use crate::error::{Error, Result};

/// How CSV files are written (Spark's CSV options, with Spark's defaults).
///
/// ```
/// use stream_core::decode::csv::{CsvOptions, HeaderColumns};
/// let options = CsvOptions::default().header(true).delimiter(b';').null_value("NA");
/// assert_eq!(options.delimiter, b';');
/// // Columns by position, as Spark; or refuse a header naming others; or match by name.
/// assert_eq!(options.header_columns, HeaderColumns::ByPosition);
/// assert_eq!(options.clone().enforce_schema(false).header_columns, HeaderColumns::Validated);
/// let by_name = options.header_columns(HeaderColumns::ByName);
/// assert_eq!(by_name.header_columns, HeaderColumns::ByName);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether each file's first record names its columns (default: no).
    pub header: bool,
    /// The field separator (default `,`).
    pub delimiter: u8,
    /// The quote around fields holding the delimiter (default `"`).
    pub quote: u8,
    /// The escape before a quote (or before itself) inside a quoted field (default `\`). As in
    /// Spark, a doubled quote stands for one quote only when the escape is the quote itself.
    pub escape: u8,
    /// The text read as null, quoted or not (default: the empty string); an empty unquoted
    /// field is null whatever this is.
    pub null_value: String,
    /// How a header's names relate to the schema's columns (default: by position).
    pub header_columns: HeaderColumns,
}

/// How the columns of a CSV file with a header are matched to the schema's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderColumns {
    /// By position, whatever the header says (Spark's default, `enforceSchema = true`); a
    /// header whose names differ from the schema's (ignoring case) is logged at `warn` with
    /// the file, and counted in the progress report's source metrics as
    /// `numCsvHeaderMismatches`.
    #[default]
    ByPosition,
    /// By position, and a header whose names differ from the schema's (ignoring case) stops
    /// the query with an error naming the file (Spark's `enforceSchema = false`).
    Validated,
    /// By name, ignoring case, so a file may order its columns freely: a schema column the
    /// header lacks is null, a header column the schema lacks is skipped; either is logged
    /// and counted as a mismatch. Not in Spark.
    ByName,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            header: false,
            delimiter: b',',
            quote: b'"',
            escape: b'\\',
            null_value: String::new(),
            header_columns: HeaderColumns::ByPosition,
        }
    }
}

impl CsvOptions {
    /// Sets whether files start with a header record.
    #[must_use]
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Sets the field separator.
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the quote character.
    #[must_use]
    pub fn quote(mut self, quote: u8) -> Self {
        self.quote = quote;
        self
    }

    /// Sets the escape character.
    #[must_use]
    pub fn escape(mut self, escape: u8) -> Self {
        self.escape = escape;
        self
    }

    /// Sets how a header's names are matched to the schema's columns.
    #[must_use]
    pub fn header_columns(mut self, header_columns: HeaderColumns) -> Self {
        self.header_columns = header_columns;
        self
    }

    /// Spark's `enforceSchema`: `true` (the default) reads columns by position whatever the
    /// header says, `false` refuses a header that does not name the schema's columns.
    #[must_use]
    pub fn enforce_schema(self, enforce: bool) -> Self {
        self.header_columns(if enforce {
            HeaderColumns::ByPosition
        } else {
            HeaderColumns::Validated
        })
    }

    /// Sets the text read as null.
    #[must_use]
    pub fn null_value(mut self, null_value: impl Into<String>) -> Self {
        self.null_value = null_value.into();
        self
    }
}

/// Splits one record into fields as Spark's CSV reader (univocity, with Spark's defaults) does;
/// quoting never makes a record malformed, only invalid UTF-8 does (checked with Spark 4.3,
/// `tests/golden/csv_quotes/`):
/// - a field is quoted only when its first byte is the quote; otherwise it is the raw text up to
///   the next delimiter, quotes and escapes included;
/// - inside quotes the escape (`\` by default) stands for the quote or the escape after it and
///   is kept before any other byte; a doubled quote is an escaped quote only when the escape is
///   the quote itself;
/// - a run of quotes followed (after any spaces) by the delimiter or the end of the line closes
///   the field, all but the last quote kept as text (`"a"""` is `a""`); any other quote leaves
///   the field unquoted: the quote, the text so far, and the rest up to the next delimiter
///   verbatim (univocity's `STOP_AT_DELIMITER`);
/// - a quote never closed takes the rest of the line, delimiters included;
/// - a field whose text is the null value (empty by default), quoted or not, is null, and so is
///   an empty unquoted field whatever the null value (`""` is then the empty string).
///
/// Hand-written rather than `csv-core`: that crate has no form of these rules (it reads the
/// text after a closing quote into the field and drops the quotes, and treats a doubled quote
/// as an escape), and rewriting its output would cost a second pass over every field.
fn split<'r>(record: &'r [u8], options: &CsvOptions, fields: &mut Vec<TextField<'r>>) -> Result<(), SyntaxError> {
    fields.clear();
    let mut pos = 0;
    loop {
        let start = pos;
        let quoted = record.get(pos) == Some(&options.quote);
        let (text, end): (Cow<'r, str>, usize) = if quoted {
            let (text, end) = quoted_field(record, pos, options);
            (Cow::Owned(utf8(text, start)?), end)
        } else {
            // The common case, plain ASCII, in one pass; other text is checked as UTF-8.
            let (text, end) = match plain_ascii_field(record, pos, options.delimiter) {
                Some(field) => field,
                None => {
                    let end = find_byte(record, pos, options.delimiter);
                    let text = std::str::from_utf8(&record[pos..end]).map_err(|error| SyntaxError {
                        offset: pos + error.valid_up_to(),
                        message: "invalid UTF-8 in a field".into(),
                    })?;
                    (text, end)
                }
            };
            (Cow::Borrowed(text), end)
        };
        let null = *text == *options.null_value || (!quoted && text.is_empty());
        let text = (!null).then_some(text);
        fields.push(TextField { text, span: start..end });
        if end >= record.len() {
            return Ok(());
        }
        pos = end + 1;
    }
}

/// The text of the quoted field starting at `record[start]` (the opening quote), and where the
/// field ends: at the delimiter after it, or the end of the record.
fn quoted_field(record: &[u8], start: usize, options: &CsvOptions) -> (Vec<u8>, usize) {
    let ends_field = |pos: usize| pos >= record.len() || record[pos] == options.delimiter;
    let mut text = Vec::new();
    let mut pos = start + 1;
    while let Some(&byte) = record.get(pos) {
        let next = record.get(pos + 1).copied();
        if byte == options.escape && next.is_some_and(|next| next == options.quote || next == options.escape) {
            text.push(record[pos + 1]);
            pos += 2;
            continue;
        }
        if byte == options.quote {
            // A run of quotes before the field's end closes it, all but the last kept as text.
            let run = record[pos..].iter().take_while(|&&b| b == options.quote).count();
            let after = skip_spaces(record, pos + run);
            if ends_field(after) {
                text.resize(text.len() + run - 1, options.quote);
                return (text, after);
            }
            // An unescaped quote inside the field: the field is the raw text up to the delimiter.
            let end = memchr::memchr(options.delimiter, &record[pos + 1..]).map_or(record.len(), |i| pos + 1 + i);
            let mut raw = Vec::with_capacity(text.len() + 2 + end - pos);
            raw.push(options.quote);
            raw.extend_from_slice(&text);
            raw.extend_from_slice(&record[pos..end]);
            return (raw, end);
        }
        text.push(byte);
        pos += 1;
    }
    (text, record.len())
}

/// The position of the first byte at or after `pos` that is not a space or a tab.
fn skip_spaces(record: &[u8], mut pos: usize) -> usize {
    while matches!(record.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

/// `bytes` as text, or a syntax error at `offset` (the field's start).
fn utf8(bytes: Vec<u8>, offset: usize) -> Result<String, SyntaxError> {
    String::from_utf8(bytes).map_err(|_| SyntaxError {
        offset,
        message: "invalid UTF-8 in a field".into(),
    })
}

/// The record lines of `bytes` (after a byte-order mark), with their one-based line numbers;
/// blank lines are skipped and CRLF line ends are trimmed.
fn records(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // memchr finds line ends a vector at a time; `split` with a closure tests every byte.
    let mut start = 0;
    std::iter::from_fn(move || {
        (start <= bytes.len()).then(|| {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let line = &bytes[start..end];
            start = end + 1;
            line
        })
    })
    .enumerate()
    .map(|(index, line)| (index as u64 + 1, line.strip_suffix(b"\r").unwrap_or(line)))
    .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
}

/// Which declared column each field of a record fills, from the header (if any), checked
/// against the schema as `options.header_columns` says.
fn field_columns(
    columns: &[super::DeclaredColumn],
    header: Option<(u64, &[TextField<'_>])>,
    options: &CsvOptions,
    path: &Path,
    counts: &mut DecodeCounts,
) -> Result<Vec<Option<usize>>> {
    let data_columns: Vec<usize> = (0..columns.len())
        .filter(|&index| columns[index].name != CORRUPT_RECORD_COLUMN)
        .collect();
    let by_position = data_columns.iter().map(|&index| Some(index)).collect();
    let Some((line, header)) = header else {
        return Ok(by_position);
    };
    let names: Vec<&str> = header
        .iter()
        .map(|field| field.text.as_deref().unwrap_or_default())
        .collect();
    let schema: Vec<&str> = data_columns.iter().map(|&index| columns[index].name).collect();
    let file = || crate::file_uri::to_file_uri(&std::path::absolute(path).unwrap_or_else(|_| path.to_owned()));
    if options.header_columns == HeaderColumns::ByName {
        let positions: Vec<Option<usize>> = names
            .iter()
            .map(|name| {
                data_columns
                    .iter()
                    .copied()
                    .find(|&index| columns[index].name.eq_ignore_ascii_case(name))
            })
            .collect();
        let unknown: Vec<&str> = names
            .iter()
            .zip(&positions)
            .filter(|(_, position)| position.is_none())
            .map(|(name, _)| *name)
            .collect();
        let absent: Vec<&str> = schema
            .iter()
            .filter(|column| !names.iter().any(|name| name.eq_ignore_ascii_case(column)))
            .copied()
            .collect();
        if !unknown.is_empty() || !absent.is_empty() {
            counts.header_mismatches += 1;
            tracing::warn!(
                file = %file(),
                "CSV header names columns the schema lacks ({}) and lacks columns of the schema ({}): the former are skipped, the latter null",
                unknown.join(", "),
                absent.join(", ")
            );
        }
        return Ok(positions);
    }
    let mismatch = if names.len() == schema.len() {
        names
            .iter()
            .zip(&schema)
            .find(|(name, column)| !name.eq_ignore_ascii_case(column))
            .map(|(name, column)| {
                format!(
                    "CSV header does not conform to the schema.\n Header: {}\n Schema: {}\nExpected: {column} but found: {name}\nCSV file: {}",
                    names.join(", "),
                    schema.join(", "),
                    file()
                )
            })
    } else {
        Some(format!(
            "Number of column in CSV header is not equal to number of fields in the schema:\n Header length: {}, schema size: {}\nCSV file: {}",
            names.len(),
            schema.len(),
            file()
        ))
    };
    if let Some(message) = mismatch {
        if options.header_columns == HeaderColumns::Validated {
            return Err(Error::MalformedRecord {
                path: path.to_owned(),
                line,
                column: 1,
                message: format!("{message}\n(the header is checked because `enforce_schema` is false)"),
            });
        }
        counts.header_mismatches += 1;
        tracing::warn!("{message}");
    }
    Ok(by_position)
}

/// Decodes a CSV file with `decoder`.
pub(super) fn decode<D: RecordDecoder>(
    decoder: &mut D,
    path: &Path,
    bytes: &[u8],
    options: &CsvOptions,
    mode: ParseMode,
    counts: &mut DecodeCounts,
    out: &mut Vec<RecordBatch>,
) -> Result<()> {
    let columns = D::COLUMNS;
    if let Some((column, spark_type)) = columns.iter().find_map(|c| c.nested.map(|t| (c.name, t))) {
        return Err(Error::Source {
            source_description: format!("CSV file `{}`", path.display()),
            message: format!(
                "the CSV data source does not support column `{column}` of type {spark_type} (Spark: UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE); read nested data from JSON"
            ),
        });
    }
    let mut split_fields = Vec::new();
    let mut by_column: Vec<TextField<'_>> = Vec::with_capacity(columns.len());
    let mut records = records(bytes);
    let positions = if options.header {
        let Some((line, header)) = records.next() else {
            return Ok(());
        };
        split(header, options, &mut split_fields).map_err(|error| Error::MalformedRecord {
            path: path.to_owned(),
            line,
            column: error.offset as u64 + 1,
            message: format!("the header cannot be read: {}", error.message),
        })?;
        field_columns(columns, Some((line, &split_fields)), options, path, counts)?
    } else {
        field_columns(columns, None, options, path, counts)?
    };
    let width_of = if options.header && options.header_columns == HeaderColumns::ByName {
        "header"
    } else {
        "schema"
    };
    for (line, record) in records {
        counts.records += 1;
        let mut context = RecordContext::new(mode, path, line, record, columns, counts);
        by_column.clear();
        by_column.extend((0..columns.len()).map(|_| TextField::null(record.len())));
        match split(record, options, &mut split_fields) {
            Err(error) => context.syntax_error(error),
            Ok(()) => {
                // A record of another width is malformed, as in Spark; the fields it has are
                // kept (the rest null, extra ones cut) for `Permissive` mode.
                if split_fields.len() != positions.len() {
                    let offset = split_fields
                        .get(positions.len())
                        .map_or(record.len(), |extra| extra.span.start);
                    context.syntax_error(SyntaxError {
                        offset,
                        message: format!(
                            "{} fields, but the {width_of} has {}",
                            split_fields.len(),
                            positions.len()
                        )
                        .into(),
                    });
                }
                for (field, position) in split_fields.drain(..).zip(&positions) {
                    if let Some(column) = *position {
                        by_column[column] = field;
                    }
                }
            }
        }
        decoder.decode_fields(&by_column, &mut context)?;
        if decoder.len() >= BATCH_ROWS {
            out.push(decoder.finish()?);
        }
    }
    if !decoder.is_empty() {
        out.push(decoder.finish()?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str, options: &CsvOptions) -> Result<Vec<Option<String>>, SyntaxError> {
        let mut fields = Vec::new();
        split(line.as_bytes(), options, &mut fields)?;
        Ok(fields.into_iter().map(|f| f.text.map(Cow::into_owned)).collect())
    }

    #[test]
    fn fields_quotes_escapes_and_nulls() {
        let options = CsvOptions::default();
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            texts("a,b,,c", &options).unwrap(),
            [some("a"), some("b"), None, some("c")]
        );
        // A doubled quote is not an escape unless the escape is the quote: the field stays raw.
        assert_eq!(
            texts(r#""x, y","say ""hi""","""#, &options).unwrap(),
            [some("x, y"), some(r#""say ""hi""""#), None]
        );
        assert_eq!(
            texts(r#""say ""hi""","a""b""#, &options.clone().escape(b'"')).unwrap(),
            [some(r#"say "hi""#), some(r#"a"b"#)]
        );
        assert_eq!(texts(r#""a\"b",z"#, &options).unwrap(), [some("a\"b"), some("z")]);
        assert_eq!(
            texts("a;NA;\"NA\";;\"\"", &options.clone().delimiter(b';').null_value("NA")).unwrap(),
            [some("a"), None, None, None, some("")]
        );
        // Quotes ending a field are kept but for the last.
        assert_eq!(
            texts(r#""a""","b"",1"#, &options).unwrap(),
            [some(r#"a"""#), some(r#"b""#), some("1")]
        );
        // Text after a closing quote leaves the field raw; spaces before the delimiter do not.
        assert_eq!(
            texts(r#""a"b,"c" ,1"#, &options).unwrap(),
            [some(r#""a"b"#), some("c"), some("1")]
        );
        // An unclosed quote takes the rest of the line.
        assert_eq!(texts(r#"x,"open,1"#, &options).unwrap(), [some("x"), some("open,1")]);
        assert_eq!(texts("", &options).unwrap(), [None]);
        let mut fields = Vec::new();
        let error = split(b"ok,\"a\xff\",b", &options, &mut fields).unwrap_err();
        assert_eq!((error.offset, &*error.message), (3, "invalid UTF-8 in a field"));
    }
}
