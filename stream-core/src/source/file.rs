//! The file source: JSON lines, CSV or Parquet files appearing in a directory.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::time::{Duration, SystemTime};

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde_json::json;

use super::{BatchReader, BatchStream, ReadLimit, Source, SourceSchema};
use crate::decode::csv::CsvOptions;
use crate::decode::{DecodeCounts, FormatDecoder, ParseMode};
use crate::error::{Error, Result};
use crate::file_uri::{from_file_uri, to_file_uri};

/// The JSON-lines file source: [`FileSource`] reading JSON lines, the default format.
pub type JsonSource = FileSource;

/// Where a batch of a [`FileSource`] ends: the index of its entry in the source's log, as Spark's
/// `FileStreamSourceOffset` (`{"logOffset": 3}` in the checkpoint).
///
/// ```
/// use stream_core::source::FileOffset;
/// let offset = FileOffset { log_offset: 3 };
/// assert_eq!(serde_json::to_string(&offset).unwrap(), r#"{"logOffset":3}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileOffset {
    /// The batch's entry in the source's log, counting from 0.
    pub log_offset: u64,
}

/// The format of a [`FileSource`]'s files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFormat {
    /// One JSON object per line.
    JsonLines,
    /// Comma-separated values, with the given options.
    Csv(CsvOptions),
    /// Parquet files; columns are matched by name.
    Parquet,
}

/// Reads the files appearing in a directory, as Spark's `readStream.json(dir)`, `.csv(dir)`
/// or `.parquet(dir)`.
///
/// **Discovery.** Each trigger lists the directory and takes the files it has not seen yet,
/// oldest modification time first (ties by name; newest first with
/// [`latest_first`](Self::latest_first)), at most
/// [`max_files_per_trigger`](Self::max_files_per_trigger) of them. Each file is processed
/// exactly once. Sub-directories are ignored. The path may end in a glob pattern
/// (`data/*.json`, `data/events-2026-??.json`, `data/{a,b}.csv`, `[0-9]`), which file names
/// must match.
///
/// **Files being written.** Files whose name starts with `.` or `_`, or ends with
/// `._COPYING_`, are ignored. A producer must write a file under such a name and rename it
/// into place when complete (a rename within a directory is atomic): a file written in place
/// may be listed, and read, half-written.
///
/// **Missing data.** A directory that does not exist is an error when the query starts
/// ([`Error::MissingInputDirectory`]); the source does not wait for it. A file that vanishes
/// between listing and reading stops the query with an error naming it, or, with
/// [`ignore_missing_files`](Self::ignore_missing_files), is skipped with a warning. Empty
/// files hold no records.
///
/// **Records.** Files ending in `.gz` are decompressed (gzip). Records that do not fit the
/// schema follow the [`ParseMode`] (default `Permissive`; see [`crate::decode`] for the table
/// of cases), and are counted in progress reports. Parquet columns are matched by name; a
/// column of another type is an error naming it.
///
/// ```
/// use std::time::Duration;
/// use stream_core::decode::ParseMode;
/// use stream_core::source::FileSource;
/// let source = FileSource::json("data/events/*.json")
///     .max_files_per_trigger(10)
///     .max_file_age(Duration::from_secs(7 * 24 * 3600))
///     .mode(ParseMode::DropMalformed);
/// assert_eq!(source.dir(), std::path::Path::new("data/events"));
/// ```
#[derive(Debug)]
pub struct FileSource {
    /// The directory as given; canonical from `open` on, so that the files taken are recorded
    /// under one spelling however the directory was named (`in`, `./in`, `/abs/in/../in`).
    dir: PathBuf,
    name_pattern: Option<String>,
    /// `name_pattern`, compiled when the source opens.
    name_matcher: Option<globset::GlobMatcher>,
    format: SourceFormat,
    mode: ParseMode,
    max_files_per_trigger: Option<usize>,
    latest_first: bool,
    max_file_age: Option<Duration>,
    ignore_missing_files: bool,
    schema: Option<SourceSchema>,
    decoder: Option<Box<dyn FormatDecoder>>,
    /// Files taken by some batch (planned or done), so none is read twice.
    seen: HashSet<PathBuf>,
    /// The newest modification time seen, which `max_file_age` counts back from.
    newest_seen: Option<SystemTime>,
    /// The files of each planned batch, by log offset.
    batches: Vec<Vec<PathBuf>>,
    /// With an available-now trigger: the only files this run may take.
    available_now: Option<HashSet<PathBuf>>,
}

impl FileSource {
    /// A source over the JSON-lines files at `path` (a directory, or one ending in a glob).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self::with_format(path.into(), SourceFormat::JsonLines)
    }

    /// A source over JSON-lines files (the same as [`new`](Self::new)).
    pub fn json(path: impl Into<PathBuf>) -> Self {
        Self::new(path)
    }

    /// A source over CSV files, with Spark's default options (no header, `,`, `"`, `\`).
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self::with_format(path.into(), SourceFormat::Csv(CsvOptions::default()))
    }

    /// A source over Parquet files.
    pub fn parquet(path: impl Into<PathBuf>) -> Self {
        Self::with_format(path.into(), SourceFormat::Parquet)
    }

    fn with_format(path: PathBuf, format: SourceFormat) -> Self {
        let (dir, name_pattern) = split_glob(path);
        Self {
            dir,
            name_pattern,
            name_matcher: None,
            format,
            mode: ParseMode::default(),
            max_files_per_trigger: None,
            latest_first: false,
            max_file_age: None,
            ignore_missing_files: false,
            schema: None,
            decoder: None,
            seen: HashSet::new(),
            newest_seen: None,
            batches: Vec::new(),
            available_now: None,
        }
    }

    /// Sets the CSV options (and makes this a CSV source).
    #[must_use]
    pub fn csv_options(mut self, options: CsvOptions) -> Self {
        self.format = SourceFormat::Csv(options);
        self
    }

    /// What to do with records that do not fit the schema (Spark's `mode`).
    #[must_use]
    pub fn mode(mut self, mode: ParseMode) -> Self {
        self.mode = mode;
        self
    }

    /// Takes at most `max` new files per micro-batch (Spark's `maxFilesPerTrigger`);
    /// a value of 0 is treated as 1.
    #[must_use]
    pub fn max_files_per_trigger(mut self, max: usize) -> Self {
        self.max_files_per_trigger = Some(max.max(1));
        self
    }

    /// Takes the newest files first (Spark's `latestFirst`), for catching up on a backlog
    /// with the freshest data.
    #[must_use]
    pub fn latest_first(mut self, latest_first: bool) -> Self {
        self.latest_first = latest_first;
        self
    }

    /// Ignores files older than `age` before the newest file seen (Spark's `maxFileAge`,
    /// which counts back from the newest file, not from the clock). The first batch takes every
    /// file; with [`latest_first`](Self::latest_first) and a files-per-trigger limit the
    /// age is not applied, as in Spark, since older unread files are still due.
    #[must_use]
    pub fn max_file_age(mut self, age: Duration) -> Self {
        self.max_file_age = Some(age);
        self
    }

    /// Skips, with a warning, a file that vanishes between listing and reading, instead of
    /// stopping the query (Spark's `ignoreMissingFiles`).
    #[must_use]
    pub fn ignore_missing_files(mut self, ignore: bool) -> Self {
        self.ignore_missing_files = ignore;
        self
    }

    /// The directory this source watches.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files' format.
    #[must_use]
    pub fn format(&self) -> &SourceFormat {
        &self.format
    }

    fn is_candidate(&self, name: &std::ffi::OsStr) -> bool {
        let text = name.to_string_lossy();
        !(text.starts_with('.') || text.starts_with('_') || text.ends_with("._COPYING_"))
            && self
                .name_matcher
                .as_ref()
                .is_none_or(|matcher| matcher.is_match(Path::new(name)))
    }

    /// Candidate files with their modification times, in reading order: the files a file
    /// sink's `_spark_metadata` log lists, when the directory has one (as Spark reads a sink's
    /// output), or else the directory's files.
    fn list(&self) -> Result<Vec<(SystemTime, PathBuf)>> {
        if !self.dir.is_dir() {
            return Err(Error::MissingInputDirectory { path: self.dir.clone() });
        }
        let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
        if self.name_pattern.is_none() && crate::sink::has_metadata_log(&self.dir) {
            for path in crate::sink::committed_files(&self.dir)? {
                // A file the log lists is never "not fully there": missing, it is lost.
                if let Some(modified) = self.modification_time(&path, true)? {
                    files.push((modified, path));
                }
            }
        } else {
            let io = |source| Error::Io {
                action: "list",
                path: self.dir.clone(),
                source,
            };
            for entry in std::fs::read_dir(&self.dir).map_err(io)? {
                let entry = entry.map_err(io)?;
                if self.is_candidate(&entry.file_name()) {
                    let path = entry.path();
                    if let Some(modified) = self.modification_time(&path, false)? {
                        files.push((modified, path));
                    }
                }
            }
        }
        files.sort();
        if self.latest_first {
            files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        }
        Ok(files)
    }

    /// The modification time of a listed file, following symbolic links as Hadoop's local
    /// file system does; `None` for what is not a file to read (a directory, or a file removed
    /// since it was listed: it was never fully there).
    ///
    /// A link whose target is missing is a missing file, and so is any missing file that must
    /// exist (`listed_in_log`): an error naming it, or skipped with a warning under
    /// [`ignore_missing_files`](Self::ignore_missing_files).
    fn modification_time(&self, path: &Path, listed_in_log: bool) -> Result<Option<SystemTime>> {
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => Ok(Some(metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                if listed_in_log || dangling {
                    self.missing(path, e)?;
                }
                Ok(None)
            }
            Err(source) => Err(Error::Io {
                action: "stat",
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// A file that should be there and is not: an error naming it, or a warning under
    /// [`ignore_missing_files`](Self::ignore_missing_files).
    fn missing(&self, path: &Path, source: std::io::Error) -> Result<()> {
        if self.ignore_missing_files {
            tracing::warn!(path = %path.display(), "skipped a missing file (or a symbolic link to one)");
            return Ok(());
        }
        Err(Error::Io {
            action: "read (missing file or dangling symbolic link)",
            path: path.to_owned(),
            source,
        })
    }

    /// The index of the batch that ends at `offset`, in [`Self::batches`].
    fn batch_index(offset: FileOffset) -> usize {
        usize::try_from(offset.log_offset).unwrap_or(usize::MAX)
    }

    fn source_error(&self, message: String) -> Error {
        Error::Source {
            source_description: self.description(),
            message,
        }
    }
}

impl FileSource {
    /// The files of the batches after `start` up to `end`.
    fn planned_files(&self, start: Option<FileOffset>, end: FileOffset) -> Result<Vec<PathBuf>> {
        let first = start.map_or(0, |start| Self::batch_index(start).saturating_add(1));
        let Some(planned) = self.batches.get(first..=Self::batch_index(end)) else {
            return Err(self.source_error(format!(
                "log offset {} was never planned by this source",
                end.log_offset
            )));
        };
        Ok(planned.iter().flatten().cloned().collect())
    }

    /// The error for a source read before it was opened (and so without a schema to decode with).
    fn not_opened(&self) -> Error {
        self.source_error("the file source was read before it was opened".to_owned())
    }
}

/// A micro-batch's files, read and decoded one at a time as the query asks for batches; with
/// `parallelism` above 1, each JSON-lines file is split at line ends across that many threads.
struct FileBatches<'s> {
    reader: FileReader<'s>,
    decoder: &'s mut Option<Box<dyn FormatDecoder>>,
    parallelism: usize,
    counts: DecodeCounts,
    files: std::vec::IntoIter<PathBuf>,
    /// The current file's batches not yet handed out.
    decoded: std::vec::IntoIter<RecordBatch>,
    buffer: Vec<u8>,
}

impl FileBatches<'_> {
    fn decode_next(&mut self, path: &Path) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::new();
        if self.parallelism > 1 && *self.reader.format == SourceFormat::JsonLines {
            if self.reader.read(path, &mut self.buffer)? {
                decode_json_in_parallel(
                    self.reader,
                    path,
                    &self.buffer,
                    self.parallelism,
                    &mut self.counts,
                    &mut batches,
                )?;
            }
        } else {
            self.reader
                .read_and_decode(self.decoder, path, &mut self.buffer, &mut self.counts, &mut batches)?;
        }
        Ok(batches)
    }
}

impl Iterator for FileBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        loop {
            if let Some(batch) = self.decoded.next() {
                return Some(Ok(batch));
            }
            let path = self.files.next()?;
            match self.decode_next(&path) {
                Ok(batches) => self.decoded = batches.into_iter(),
                Err(error) => {
                    // Nothing after a failed file is read.
                    self.files = Vec::new().into_iter();
                    return Some(Err(error));
                }
            }
        }
    }
}

impl BatchReader for FileBatches<'_> {
    fn counts(&self) -> DecodeCounts {
        self.counts
    }
}

/// How to read and decode one file: what the threads that decode files in parallel share.
#[derive(Clone, Copy)]
struct FileReader<'a> {
    /// The source's directory, which partition directories (`col=value/`) are relative to.
    dir: &'a Path,
    format: &'a SourceFormat,
    mode: ParseMode,
    ignore_missing_files: bool,
    schema: &'a SourceSchema,
}

impl FileReader<'_> {
    /// Reads `path` into `buffer` (reused from file to file, so that reading does not map and
    /// fault in fresh memory each time) and decodes it into `out`, with `decoder` (made on
    /// first use, dropped after an error, when it may hold part of a batch).
    fn read_and_decode(
        self,
        decoder: &mut Option<Box<dyn FormatDecoder>>,
        path: &Path,
        buffer: &mut Vec<u8>,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        if *self.format == SourceFormat::JsonLines && !is_gzip(path) {
            return self.read_and_decode_json_lines(decoder, path, buffer, counts, out);
        }
        if self.read(path, buffer)? {
            self.decode(decoder, path, buffer, 1, counts, out)?;
        }
        Ok(())
    }

    /// Reads and decodes a JSON-lines file a block of lines at a time, so that each block is
    /// still in the core's cache when it is decoded (a whole file read first is decoded from
    /// memory, and the kernel's copy into it misses the cache too). `buffer` keeps its length
    /// from file to file, so it is zeroed once: the bytes in use are `..filled`.
    fn read_and_decode_json_lines(
        self,
        decoder: &mut Option<Box<dyn FormatDecoder>>,
        path: &Path,
        buffer: &mut Vec<u8>,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let Some(mut file) = self.open(path)? else {
            return Ok(());
        };
        let active = decoder.get_or_insert_with(|| (self.schema.decoder)());
        let (mut window, mut filled, mut next_line) = (READ_BLOCK, 0, 1);
        let decoded = loop {
            if filled == window {
                // A line longer than the window.
                window *= 2;
            }
            if buffer.len() < window {
                buffer.resize(window, 0);
            }
            let read = match file.read(&mut buffer[filled..window]) {
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    break Err(Error::Io {
                        action: "read",
                        path: path.to_owned(),
                        source,
                    });
                }
            };
            filled += read;
            let at_end = read == 0;
            let end = if at_end {
                filled
            } else {
                match memchr::memrchr(b'\n', &buffer[..filled]) {
                    Some(last) => last + 1,
                    None => continue,
                }
            };
            if end > 0 {
                match active.decode_json_block(path, &buffer[..end], next_line, self.mode, counts, out) {
                    Ok(next) => next_line = next,
                    Err(error) => break Err(error),
                }
                buffer.copy_within(end..filled, 0);
                filled -= end;
            }
            if at_end {
                break active.flush(out);
            }
        };
        if decoded.is_err() {
            // It may hold part of a batch.
            *decoder = None;
        }
        decoded
    }

    /// The file at `path`, opened; `None` when it vanished and missing files are ignored.
    fn open(self, path: &Path) -> Result<Option<std::fs::File>> {
        match std::fs::File::open(path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.ignore_missing_files => {
                tracing::warn!(path = %path.display(), "skipped a file that vanished after it was listed");
                Ok(None)
            }
            Err(source) => Err(Error::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Reads the file's contents into `buffer`, decompressed when it is gzip; `false` when it
    /// vanished and missing files are ignored.
    fn read(self, path: &Path, buffer: &mut Vec<u8>) -> Result<bool> {
        buffer.clear();
        let io_error = |action: &'static str| {
            move |source| Error::Io {
                action,
                path: path.to_owned(),
                source,
            }
        };
        let Some(mut file) = self.open(path)? else {
            return Ok(false);
        };
        if is_gzip(path) {
            let mut compressed = Vec::new();
            file.read_to_end(&mut compressed).map_err(io_error("read"))?;
            flate2::read::MultiGzDecoder::new(compressed.as_slice())
                .read_to_end(buffer)
                .map_err(io_error("decompress (gzip)"))?;
        } else {
            file.read_to_end(buffer).map_err(io_error("read"))?;
        }
        Ok(true)
    }

    /// Decodes `bytes`, the contents of `path` from line `first_line` on (JSON lines; CSV and
    /// Parquet are decoded whole, from the start).
    fn decode(
        self,
        decoder: &mut Option<Box<dyn FormatDecoder>>,
        path: &Path,
        bytes: &[u8],
        first_line: u64,
        counts: &mut DecodeCounts,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        if *self.format == SourceFormat::Parquet {
            let partitions = crate::sink::partition_values(self.dir, path);
            return read_parquet(path, bytes, self.schema, &partitions, self.mode, counts, out);
        }
        let active = decoder.get_or_insert_with(|| (self.schema.decoder)());
        let decoded = match self.format {
            SourceFormat::Csv(options) => active.decode_csv(path, bytes, options, self.mode, counts, out),
            _ => active.decode_json_lines(path, bytes, first_line, self.mode, counts, out),
        };
        if decoded.is_err() {
            *decoder = None;
        }
        decoded
    }
}

/// How much of a JSON-lines file is read at a time: a quarter of a core's L2 cache here, so the
/// block is still cached when it is decoded, and far more than the lines of most files.
const READ_BLOCK: usize = 256 * 1024;

/// Whether `path` names a gzip file, which is read whole and decompressed.
fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// What the decoding threads of a [`ParallelFiles`] own: how to read a file.
struct OwnedReader {
    dir: PathBuf,
    format: SourceFormat,
    mode: ParseMode,
    ignore_missing_files: bool,
    schema: SourceSchema,
}

impl OwnedReader {
    fn borrowed(&self) -> FileReader<'_> {
        FileReader {
            dir: &self.dir,
            format: &self.format,
            mode: self.mode,
            ignore_missing_files: self.ignore_missing_files,
            schema: &self.schema,
        }
    }
}

/// One file's batches and counts, decoded by a thread of a [`ParallelFiles`].
type Decoded = Result<(Vec<RecordBatch>, DecodeCounts)>;

/// How far a [`ParallelFiles`] has got, shared with its threads.
#[derive(Default)]
struct Progress {
    next_file: AtomicUsize,
    /// Files handed to the query, which bounds how far decoding runs ahead.
    emitted: Mutex<usize>,
    changed: Condvar,
    stop: AtomicBool,
}

impl Progress {
    fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.changed.notify_all();
    }
}

/// A micro-batch's files decoded on several threads, a whole file each, and handed out in file
/// order, so the result (errors included) is the one a single thread gives. Decoding runs at
/// most `2 × threads` files ahead of the file being handed out, which bounds memory. Dropped
/// early, it stops its threads and waits for them.
struct ParallelFiles {
    receiver: Option<mpsc::Receiver<(usize, Decoded)>>,
    pending: BTreeMap<usize, Decoded>,
    next_to_emit: usize,
    total: usize,
    current: std::vec::IntoIter<RecordBatch>,
    counts: DecodeCounts,
    progress: Arc<Progress>,
    workers: Vec<std::thread::JoinHandle<()>>,
    done: bool,
}

impl ParallelFiles {
    fn start(reader: OwnedReader, files: Vec<PathBuf>, threads: usize) -> Result<Self> {
        let (reader, total) = (Arc::new(reader), files.len());
        let files = Arc::new(files);
        let window = 2 * threads;
        let progress = Arc::new(Progress::default());
        let (sender, receiver) = mpsc::channel::<(usize, Decoded)>();
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (reader, files, shared, sender) = (
                Arc::clone(&reader),
                Arc::clone(&files),
                Arc::clone(&progress),
                sender.clone(),
            );
            let worker = std::thread::Builder::new()
                .name("rill-decode".to_owned())
                .spawn(move || decode_files(&reader, &files, &shared, window, &sender));
            match worker {
                Ok(worker) => workers.push(worker),
                Err(error) => {
                    progress.stop();
                    return Err(Error::Source {
                        source_description: "FileStreamSource".to_owned(),
                        message: format!("cannot start a decoding thread: {error}"),
                    });
                }
            }
        }
        Ok(Self {
            receiver: Some(receiver),
            pending: BTreeMap::new(),
            next_to_emit: 0,
            total,
            current: Vec::new().into_iter(),
            counts: DecodeCounts::default(),
            progress,
            workers,
            done: total == 0,
        })
    }

    /// The next file's decoding, waiting for it; `None` when every thread ended without it (one
    /// panicked).
    fn next_file(&mut self) -> Option<Decoded> {
        loop {
            if let Some(decoded) = self.pending.remove(&self.next_to_emit) {
                return Some(decoded);
            }
            let (index, decoded) = self.receiver.as_ref()?.recv().ok()?;
            self.pending.insert(index, decoded);
        }
    }
}

/// A decoding thread of a [`ParallelFiles`]: takes the next file not taken, decodes it, sends
/// it, until none is left or the reader stops.
fn decode_files(
    reader: &OwnedReader,
    files: &[PathBuf],
    progress: &Progress,
    window: usize,
    sender: &mpsc::Sender<(usize, Decoded)>,
) {
    let reader = reader.borrowed();
    let mut decoder = None;
    let mut buffer = Vec::new();
    loop {
        let index = progress.next_file.fetch_add(1, Ordering::Relaxed);
        let Some(path) = files.get(index) else { break };
        let mut emitted = progress.emitted.lock().unwrap_or_else(PoisonError::into_inner);
        while index >= *emitted + window && !progress.stop.load(Ordering::Acquire) {
            emitted = progress.changed.wait(emitted).unwrap_or_else(PoisonError::into_inner);
        }
        drop(emitted);
        if progress.stop.load(Ordering::Acquire) {
            break;
        }
        let mut batches = Vec::new();
        let mut counts = DecodeCounts::default();
        let decoded = reader
            .read_and_decode(&mut decoder, path, &mut buffer, &mut counts, &mut batches)
            .map(|()| (batches, counts));
        if sender.send((index, decoded)).is_err() {
            break;
        }
    }
}

impl Iterator for ParallelFiles {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        loop {
            if let Some(batch) = self.current.next() {
                return Some(Ok(batch));
            }
            if self.done {
                return None;
            }
            let Some(decoded) = self.next_file() else {
                self.done = true;
                self.progress.stop();
                return Some(Err(Error::Source {
                    source_description: "FileStreamSource".to_owned(),
                    message: format!(
                        "a decoding thread panicked; {} of {} files were read",
                        self.next_to_emit, self.total
                    ),
                }));
            };
            match decoded {
                Ok((batches, counts)) => {
                    self.counts += counts;
                    self.current = batches.into_iter();
                    self.next_to_emit += 1;
                    self.done = self.next_to_emit == self.total;
                    *self.progress.emitted.lock().unwrap_or_else(PoisonError::into_inner) = self.next_to_emit;
                    self.progress.changed.notify_all();
                }
                Err(error) => {
                    // Nothing after a failed file is handed out.
                    self.done = true;
                    self.progress.stop();
                    return Some(Err(error));
                }
            }
        }
    }
}

impl BatchReader for ParallelFiles {
    fn counts(&self) -> DecodeCounts {
        self.counts
    }
}

impl Drop for ParallelFiles {
    fn drop(&mut self) {
        self.progress.stop();
        // Threads blocked sending find the channel closed.
        self.receiver = None;
        for worker in self.workers.drain(..) {
            // A thread that panicked was reported by `next`.
            let _ = worker.join();
        }
    }
}

/// Decodes one JSON-lines file in `parallelism` chunks split at line ends, one thread each,
/// keeping the batches in file order, so the result is the same as one thread's.
fn decode_json_in_parallel(
    reader: FileReader<'_>,
    path: &Path,
    bytes: &[u8],
    parallelism: usize,
    counts: &mut DecodeCounts,
    out: &mut Vec<RecordBatch>,
) -> Result<()> {
    let chunks = split_lines(bytes, parallelism);
    let decoded: Vec<Result<(Vec<RecordBatch>, DecodeCounts)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|(first_line, range)| {
                let chunk = &bytes[range];
                scope.spawn(move || {
                    let mut batches = Vec::new();
                    let mut counts = DecodeCounts::default();
                    reader
                        .decode(&mut None, path, chunk, first_line, &mut counts, &mut batches)
                        .map(|()| (batches, counts))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(Error::Source {
                        source_description: format!("FileStreamSource[file:{}]", path.display()),
                        message: format!("a decoding thread panicked on `{}`", path.display()),
                    })
                })
            })
            .collect()
    });
    for result in decoded {
        let (batches, chunk_counts) = result?;
        *counts += chunk_counts;
        out.extend(batches);
    }
    Ok(())
}

/// Splits `bytes` into up to `parts` ranges of whole lines, each with the one-based number of
/// its first line.
fn split_lines(bytes: &[u8], parts: usize) -> Vec<(u64, std::ops::Range<usize>)> {
    let mut chunks = Vec::with_capacity(parts);
    let mut start = 0;
    let mut first_line: u64 = 1;
    for part in 1..=parts {
        if start >= bytes.len() {
            break;
        }
        let target = bytes.len() * part / parts;
        let end = if part == parts || target <= start {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[target..]).map_or(bytes.len(), |i| target + i + 1)
        };
        chunks.push((first_line, start..end));
        first_line += memchr::memchr_iter(b'\n', &bytes[start..end]).count() as u64;
        start = end;
    }
    chunks
}

impl Source for FileSource {
    type Offset = FileOffset;

    fn description(&self) -> String {
        let absolute = std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone());
        format!("FileStreamSource[file:{}]", absolute.display())
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        if !self.dir.is_dir() {
            return Err(Error::MissingInputDirectory { path: self.dir.clone() });
        }
        self.dir = std::fs::canonicalize(&self.dir).map_err(|source| Error::Io {
            action: "resolve",
            path: self.dir.clone(),
            source,
        })?;
        if let Some(pattern) = &self.name_pattern {
            let matcher = compile_glob(pattern).map_err(|e| {
                self.source_error(format!("the file name pattern `{pattern}` is not a valid glob: {e}"))
            })?;
            self.name_matcher = Some(matcher);
        }
        self.schema = Some(schema);
        Ok(())
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        self.available_now = Some(self.list()?.into_iter().map(|(_, path)| path).collect());
        Ok(())
    }

    fn latest_offset(&mut self, limit: ReadLimit) -> Result<Option<FileOffset>> {
        let limit = match limit {
            ReadLimit::Configured => self.max_files_per_trigger.unwrap_or(usize::MAX),
            ReadLimit::AllAvailable => usize::MAX,
        };
        // As Spark: the first batch takes every file, and so does a newest-first catch-up.
        let catching_up = self.latest_first && self.max_files_per_trigger.is_some();
        let age_applies = !(self.batches.is_empty() || catching_up);
        let oldest_allowed = match (self.max_file_age, self.newest_seen) {
            (Some(age), Some(newest)) if age_applies => newest.checked_sub(age),
            _ => None,
        };
        let new_files: Vec<(SystemTime, PathBuf)> = self
            .list()?
            .into_iter()
            .filter(|(_, path)| !self.seen.contains(path))
            .filter(|(_, path)| self.available_now.as_ref().is_none_or(|bound| bound.contains(path)))
            .filter(|(modified, path)| {
                let too_old = oldest_allowed.is_some_and(|oldest| *modified < oldest);
                if too_old {
                    tracing::debug!(path = %path.display(), "ignored a file older than max_file_age");
                }
                !too_old
            })
            .take(limit)
            .collect();
        if new_files.is_empty() {
            return Ok(None);
        }
        self.newest_seen = new_files
            .iter()
            .map(|(modified, _)| *modified)
            .chain(self.newest_seen)
            .max();
        let new_files: Vec<PathBuf> = new_files.into_iter().map(|(_, path)| path).collect();
        self.seen.extend(new_files.iter().cloned());
        self.batches.push(new_files);
        Ok(Some(FileOffset {
            log_offset: self.batches.len() as u64 - 1,
        }))
    }

    fn read<'s>(
        &'s mut self,
        start: Option<&FileOffset>,
        end: &FileOffset,
        parallelism: usize,
    ) -> Result<BatchStream<'s>> {
        let files = self.planned_files(start.copied(), *end)?;
        let Some(schema) = self.schema.as_ref() else {
            return Err(self.not_opened());
        };
        let json = self.format == SourceFormat::JsonLines;
        if parallelism > 1 && (files.len() >= parallelism || (files.len() > 1 && !json)) {
            // Whole files per thread, decoding ahead of the query: no barrier between files.
            let reader = OwnedReader {
                dir: self.dir.clone(),
                format: self.format.clone(),
                mode: self.mode,
                ignore_missing_files: self.ignore_missing_files,
                schema: schema.clone(),
            };
            let threads = parallelism.min(files.len());
            return Ok(Box::new(ParallelFiles::start(reader, files, threads)?));
        }
        Ok(Box::new(FileBatches {
            reader: FileReader {
                dir: &self.dir,
                format: &self.format,
                mode: self.mode,
                ignore_missing_files: self.ignore_missing_files,
                schema,
            },
            decoder: &mut self.decoder,
            parallelism,
            counts: DecodeCounts::default(),
            files: files.into_iter(),
            decoded: Vec::new().into_iter(),
            buffer: Vec::new(),
        }))
    }

    fn batch_log(&self, end: &FileOffset) -> Option<serde_json::Value> {
        let offset = end.log_offset;
        // URIs, as Spark's source log holds them: every name stored exactly, UTF-8 or not.
        let files: Vec<String> = self
            .batches
            .get(Self::batch_index(*end))?
            .iter()
            .map(|path| to_file_uri(path))
            .collect();
        Some(json!({ "logOffset": offset, "files": files }))
    }

    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&FileOffset>) -> Result<()> {
        for (batch, entry) in logs {
            let planned = entry
                .get("logOffset")
                .and_then(serde_json::Value::as_u64)
                .zip(entry.get("files").and_then(|f| f.as_array()));
            let Some((offset, files)) = planned else {
                return Err(self.source_error(format!(
                    "the entry of batch {batch} has no `logOffset` and `files`: {entry}"
                )));
            };
            if usize::try_from(offset).ok() != Some(self.batches.len()) {
                return Err(self.source_error(format!(
                    "the entry of batch {batch} is for log offset {offset}, out of order: the entries before it end at log offset {}; an entry is missing or was replaced",
                    self.batches.len().checked_sub(1).map_or_else(|| "none".to_owned(), |last| last.to_string())
                )));
            }
            let mut paths = Vec::with_capacity(files.len());
            for file in files {
                let Some(file) = file.as_str() else {
                    return Err(self.source_error(format!(
                        "the entry of batch {batch} lists a file that is not a string: {file}"
                    )));
                };
                paths.push(recorded_path(file));
            }
            for path in &paths {
                if let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) {
                    self.newest_seen = self.newest_seen.max(Some(modified));
                }
            }
            self.seen.extend(paths.iter().cloned());
            self.batches.push(paths);
        }
        // Every batch the offsets log planned must be known, or its files would be read again
        // (or, for the last one, never).
        if let Some(last) = through.map(|through| Self::batch_index(*through))
            && last >= self.batches.len()
        {
            return Err(self.source_error(format!(
                "the offsets log plans up to log offset {last}, but the source log only holds {} entries: the entry of the batch that planned log offset {last} is missing",
                self.batches.len()
            )));
        }
        Ok(())
    }

    fn commit(&mut self, _end: &FileOffset) -> Result<()> {
        Ok(())
    }
}

/// A file-name glob, Hadoop's syntax: `*`, `?`, `[a-z]`, `[!a]` / `[^a]`, `{x,y}` and `\\`
/// escapes. Matching is linear in the name's length, whatever the pattern.
fn compile_glob(pattern: &str) -> std::result::Result<globset::GlobMatcher, globset::Error> {
    Ok(globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()?
        .compile_matcher())
}

/// A file as a source log entry recorded it: a `file:` URI, or (in logs written before URIs)
/// the path as spelled, made canonical so that it names the file as a listing does now.
fn recorded_path(recorded: &str) -> PathBuf {
    if let Some(path) = from_file_uri(recorded) {
        return path;
    }
    let path = PathBuf::from(recorded);
    let canonical_parent = path
        .parent()
        .map(|parent| {
            if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            }
        })
        .and_then(|parent| std::fs::canonicalize(parent).ok());
    match (canonical_parent, path.file_name()) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => std::path::absolute(&path).unwrap_or(path),
    }
}

/// Splits a trailing glob pattern off `path`: `data/*.json` → (`data`, `*.json`).
fn split_glob(path: PathBuf) -> (PathBuf, Option<String>) {
    let is_glob = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.contains(['*', '?', '[', '{']));
    if !is_glob {
        return (path, None);
    }
    let pattern = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    let dir = path
        .parent()
        .map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
        .unwrap_or(Path::new("."))
        .to_owned();
    (dir, pattern)
}

/// Reads a Parquet file's projected columns, matched by name, into batches of the projected
/// schema; rows with a null in a non-nullable column follow `mode`. A column the file lacks
/// takes the value of the file's `column=value/` partition directory, when it is in one (as
/// Spark's partition discovery does for a file sink's partitioned output), and is null
/// otherwise.
fn read_parquet(
    path: &Path,
    bytes: &[u8],
    schema: &SourceSchema,
    partitions: &[(String, Option<String>)],
    mode: ParseMode,
    counts: &mut DecodeCounts,
    out: &mut Vec<RecordBatch>,
) -> Result<()> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let unreadable = |source: crate::error::BoxedError| Error::UnreadableFile {
        path: path.to_owned(),
        format: "Parquet",
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| unreadable(e.into()))?;
    let file_schema = builder.schema().clone();
    let projected = schema.projected();
    // For each projected column: its index in the file, or None when the file lacks it.
    let mut file_columns = Vec::with_capacity(projected.fields().len());
    for field in projected.fields() {
        let found = file_schema.index_of(field.name()).ok();
        if let Some(index) = found {
            let file_type = file_schema.field(index).data_type();
            if !parquet_type_fits(file_type, field.data_type()) {
                return Err(Error::SchemaMismatch {
                    query: format!("FileStreamSource[file:{}]", path.display()),
                    message: format!(
                        "column `{}` of `{}` has type {file_type}, but the schema declares {}",
                        field.name(),
                        path.display(),
                        field.data_type()
                    ),
                });
            }
        }
        file_columns.push(found);
    }
    let reader = builder.build().map_err(|e| unreadable(e.into()))?;
    let mut row_offset: u64 = 0;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(e.into()))?;
        let rows = batch.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(projected.fields().len());
        for (field, found) in projected.fields().iter().zip(&file_columns) {
            columns.push(match found {
                Some(index) => conform(batch.column(*index), field.data_type()),
                None => match partitions.iter().find(|(name, _)| name == field.name()) {
                    Some((_, value)) => crate::sink::partition_column(field, value.as_deref(), rows)?,
                    None => arrow_array::new_null_array(field.data_type(), rows),
                },
            });
        }
        counts.records += rows as u64;
        // Rows with a null where the schema allows none are malformed.
        let mut keep = vec![true; rows];
        let mut malformed = 0u64;
        for (field, column) in projected.fields().iter().zip(&columns) {
            if field.is_nullable() || column.null_count() == 0 {
                continue;
            }
            for (row, keep) in keep.iter_mut().enumerate() {
                if column.is_null(row) && *keep {
                    if mode == ParseMode::FailFast {
                        return Err(Error::MalformedRecord {
                            path: path.to_owned(),
                            line: row_offset + row as u64 + 1,
                            column: 0,
                            message: format!(
                                "row {} has no value in column `{}`, which the schema declares non-nullable",
                                row_offset + row as u64 + 1,
                                field.name()
                            ),
                        });
                    }
                    *keep = false;
                    malformed += 1;
                }
            }
        }
        row_offset += rows as u64;
        counts.malformed += malformed;
        counts.dropped += malformed;
        let columns = if malformed > 0 {
            tracing::warn!(path = %path.display(), rows = malformed, "dropped Parquet rows with nulls in non-nullable columns");
            let keep = arrow_array::BooleanArray::from(keep);
            columns
                .iter()
                .map(|column| arrow_select::filter::filter(column, &keep))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::arrow(format!("filtering `{}`", path.display()), e))?
        } else {
            columns
        };
        let batch = RecordBatch::try_new(projected.clone(), columns)
            .map_err(|e| Error::arrow(format!("reading `{}`", path.display()), e))?;
        if batch.num_rows() > 0 {
            out.push(batch);
        }
    }
    Ok(())
}

/// Whether a Parquet file's column type can be read as the declared type: the same type, a
/// timestamp of another unit or zone (converted to microseconds in UTC), or a decimal widened
/// as Spark's reader widens it (as many integer digits or more, as many places or more).
fn parquet_type_fits(file: &DataType, declared: &DataType) -> bool {
    match (file, declared) {
        (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)) => {
            s2 >= s1 && i16::from(*p2) - i16::from(*s2) >= i16::from(*p1) - i16::from(*s1)
        }
        _ => file == declared || matches!((file, declared), (DataType::Timestamp(..), DataType::Timestamp(..))),
    }
}

/// The column as the declared type (only timestamps differ, by unit or zone).
fn conform(column: &ArrayRef, declared: &DataType) -> ArrayRef {
    use arrow_array::types::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
    };
    use arrow_array::{PrimitiveArray, cast::AsArray};
    use arrow_schema::TimeUnit;
    if let (DataType::Decimal128(_, from), DataType::Decimal128(precision, scale)) = (column.data_type(), declared) {
        // Widened: the same number in units of the declared scale (it fits, by
        // `parquet_type_fits`).
        let factor = 10i128.pow(u32::from(scale.abs_diff(*from)));
        let widened = column
            .as_primitive::<arrow_array::types::Decimal128Type>()
            .unary::<_, arrow_array::types::Decimal128Type>(|v| v.wrapping_mul(factor))
            .with_precision_and_scale(*precision, *scale);
        return match widened {
            Ok(widened) => Arc::new(widened),
            Err(_) => Arc::clone(column),
        };
    }
    let DataType::Timestamp(_, zone) = declared else {
        return Arc::clone(column);
    };
    let micros: PrimitiveArray<TimestampMicrosecondType> = match column.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => column
            .as_primitive::<TimestampSecondType>()
            .unary(|v| v.saturating_mul(1_000_000)),
        DataType::Timestamp(TimeUnit::Millisecond, _) => column
            .as_primitive::<TimestampMillisecondType>()
            .unary(|v| v.saturating_mul(1000)),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => column
            .as_primitive::<TimestampNanosecondType>()
            .unary(|v| v.div_euclid(1000)),
        _ => column.as_primitive::<TimestampMicrosecondType>().clone(),
    };
    Arc::new(micros.with_timezone_opt(zone.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chunks_cover_the_bytes_at_line_ends() {
        let text = b"a\nbb\nccc\ndddd\ne";
        for parts in 1..=6 {
            let chunks = split_lines(text, parts);
            assert_eq!(chunks.first().map(|c| c.1.start), Some(0));
            assert_eq!(chunks.last().map(|c| c.1.end), Some(text.len()));
            for pair in chunks.windows(2) {
                assert_eq!(pair[0].1.end, pair[1].1.start);
                assert_eq!(text[pair[0].1.end - 1], b'\n');
                let lines_before = text[..pair[1].1.start].iter().filter(|&&b| b == b'\n').count() as u64;
                assert_eq!(pair[1].0, lines_before + 1);
            }
        }
        assert!(split_lines(b"", 4).is_empty());
    }

    #[test]
    fn globs() {
        let matches = |pattern: &str, name: &str| compile_glob(pattern).unwrap().is_match(name);
        assert!(matches("*", "a"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("[!x]?", "ab"));
        assert!(!matches("[!a]?", "ab"));
        assert!(matches("[^a]?", "bb"));
        assert!(matches("{x,yy}.csv", "yy.csv"));
        assert!(matches("part-{a,b}-[0-9]?.csv", "part-b-42.csv"));
        assert!(!matches("*.json", "events.json.gz"));
        assert!(matches(r"\*.json", "*.json"));
        assert!(compile_glob("[").is_err());
        // Exponential for a backtracking matcher (seconds per name); linear here.
        let long_name = format!("{}b", "a".repeat(120));
        assert!(!matches("*a*a*a*a*a*a*a*a*c", &long_name));
        assert_eq!(
            split_glob(PathBuf::from("data/*.json")),
            (PathBuf::from("data"), Some("*.json".to_owned()))
        );
        assert_eq!(split_glob(PathBuf::from("*.json")).0, PathBuf::from("."));
        assert_eq!(split_glob(PathBuf::from("data")), (PathBuf::from("data"), None));
    }

    #[test]
    fn recorded_paths_are_uris_or_old_spellings_made_canonical() {
        let dir = tempfile::tempdir().unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        let spelled = dir.path().join(".").join("a.json");
        assert_eq!(recorded_path(spelled.to_str().unwrap()), canonical.join("a.json"));
        let uri = to_file_uri(&canonical.join("b c.json"));
        assert_eq!(recorded_path(&uri), canonical.join("b c.json"));
    }
}
