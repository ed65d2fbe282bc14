//! Checkpoints: what a query needs to resume exactly where it stopped, in Spark's layout.
//!
//! ```text
//! <checkpoint>/
//!   metadata            query id, name and plan fingerprint (a different query is refused)
//!   .lock               held while a query runs on this checkpoint
//!   offsets/<batch>     written BEFORE the batch runs: each source's offset, and the watermark
//!   commits/<batch>     written AFTER the sink took the batch
//!   sources/<i>/<batch> input i's log: what the batch read from it (for a file source, the files)
//!   state/<op>/0/[<store>/]<version>.delta      what batch `version - 1` changed in an operator's state
//!   state/<op>/0/[<store>/]<version>.snapshot   all of it, every few batches (see [`crate::state::store`])
//! ```
//!
//! Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so
//! a crash leaves either the old file or the new one. A log file starts with a version line; a
//! state file is binary, with a checksum. Entries older than the retention count are purged.
//!
//! Reading a file is split in two: the `Checkpoint` methods read the bytes, and pure
//! functions parse them ([`Metadata::parse`], [`OffsetEntry::parse`], [`CommitEntry::parse`],
//! [`parse_source_log`], [`batch_of_file_name`], and for state files
//! [`StoreFile::parse`](crate::state::store::StoreFile::parse)). The parsers return an error
//! message, never panic, on any bytes; the `checkpoint_log` fuzz target holds them to that.

mod reader;
mod state;

pub use reader::CheckpointReader;
pub use state::DEFAULT_MIN_DELTAS_FOR_SNAPSHOT;
pub(crate) use state::{Committed, StateCheckpoint, StateDeltas};

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::store::{FileKind, MergedRows, OperatorSchema, StoreFile, state_difference};

/// The format version written on the first line of every checkpoint file.
const VERSION_LINE: &str = "v1";

/// How many batches of logs and state a checkpoint keeps by default (Spark's
/// `spark.sql.streaming.minBatchesToRetain`).
pub const DEFAULT_RETAINED_BATCHES: u64 = 100;

/// The query a checkpoint belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The query's id, stable across restarts.
    pub id: uuid::Uuid,
    /// The query's name when the checkpoint was created.
    pub name: String,
    /// The plan fingerprint, hex.
    pub fingerprint: String,
    /// The plan as text, to show what changed when another plan is refused.
    #[serde(default)]
    pub plan: String,
    /// The shape of each stateful operator's state (absent in a checkpoint written before
    /// Rill recorded it): a query of another plan restarts on the checkpoint when its state has
    /// the same shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Vec<OperatorSchema>>,
}

/// Whether a query may resume on a checkpoint, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumable {
    /// The checkpoint was written by the same plan.
    SamePlan,
    /// By another plan whose state has the same shape.
    SameState,
}

impl Metadata {
    /// Whether the query `name` of plan `fingerprint` (hex), `plan`, and state of shape `state`
    /// may resume on the checkpoint at `dir` this metadata is of.
    ///
    /// # Errors
    /// [`Error::CheckpointMismatch`] when its plan differs and its state does not have the same
    /// shape (or the checkpoint does not record it), saying what differs.
    pub fn resumable_by(
        &self,
        dir: &Path,
        name: &str,
        fingerprint: &str,
        plan: &str,
        state: &[OperatorSchema],
    ) -> Result<Resumable> {
        if self.fingerprint == fingerprint {
            return Ok(Resumable::SamePlan);
        }
        let state_change = match &self.state {
            Some(recorded) => state_difference(recorded, state),
            None => Some("the checkpoint does not record the shape of its state".to_owned()),
        };
        match state_change {
            None => Ok(Resumable::SameState),
            Some(state_change) => Err(Error::CheckpointMismatch(Box::new(crate::error::CheckpointMismatch {
                path: dir.to_owned(),
                written_by: self.name.clone(),
                written_fingerprint: self.fingerprint.clone(),
                query: name.to_owned(),
                fingerprint: fingerprint.to_owned(),
                written_plan: self.plan.clone(),
                plan: plan.to_owned(),
                state_change,
            }))),
        }
    }

    /// Parses the bytes of a `metadata` file.
    ///
    /// # Errors
    /// A message saying why the bytes are not a metadata file of this version.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        parse_json(bytes)
    }
}

/// What `offsets/<batch>` records before the batch runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetEntry {
    /// The watermark the batch runs with, in milliseconds (Spark's field).
    pub batch_watermark_ms: i64,
    /// The same, exactly, in microseconds (what Rill resumes from).
    pub batch_watermark_micros: i64,
    /// When the batch was planned, in milliseconds since the epoch.
    pub batch_timestamp_ms: i64,
    /// Each input's end offset for the batch, in the order the query declares its inputs
    /// (`None` for an input that has given no data yet), as Spark's offset log keeps one per source.
    pub source_offsets: Vec<Option<serde_json::Value>>,
    /// Settings a restart must keep (as Spark's `conf`): the output mode.
    #[serde(default)]
    pub conf: std::collections::BTreeMap<String, String>,
}

impl OffsetEntry {
    /// Parses the bytes of an `offsets/<batch>` file.
    ///
    /// # Errors
    /// A message saying why the bytes are not an offsets entry of this version.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut entry: serde_json::Value = parse_json(bytes)?;
        // Written when a query had one input: `sourceOffset`, null before it read anything.
        if let Some(fields) = entry.as_object_mut()
            && let Some(offset) = fields.remove("sourceOffset")
        {
            if fields.contains_key("sourceOffsets") {
                return Err("cannot parse: it has both `sourceOffsets` and `sourceOffset`".to_owned());
            }
            fields.insert("sourceOffsets".to_owned(), serde_json::Value::Array(vec![offset]));
        }
        serde_json::from_value(entry).map_err(|e| format!("cannot parse: {e}"))
    }
}

/// What `commits/<batch>` records after the sink took the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitEntry {
    /// The watermark the next batch will use, in milliseconds (Spark's field).
    pub next_batch_watermark_ms: i64,
    /// The same, exactly, in microseconds (what Rill resumes from).
    pub next_batch_watermark_micros: i64,
    /// Each watermarked input's own watermark, in microseconds, when the query has several (so
    /// that a restart combines them as an uninterrupted run would); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_watermarks_micros: Vec<i64>,
}

impl CommitEntry {
    /// Parses the bytes of a `commits/<batch>` file.
    ///
    /// # Errors
    /// A message saying why the bytes are not a commit entry of this version.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        parse_json(bytes)
    }
}

/// Parses the bytes of a `sources/<i>/<batch>` file: the JSON value the source logged.
///
/// # Errors
/// A message saying why the bytes are not a source log entry of this version.
pub fn parse_source_log(bytes: &[u8]) -> std::result::Result<serde_json::Value, String> {
    parse_json(bytes)
}

/// The batch a log file is for: its name is the batch id in decimal, as written (`7`, not
/// `07` or `+7`, so the file found is the file read). `None` for any other name, such as a
/// temporary file.
#[must_use]
pub fn batch_of_file_name(name: &str) -> Option<u64> {
    let canonical =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) && (name == "0" || !name.starts_with('0'));
    canonical.then(|| name.parse().ok()).flatten()
}

/// An open checkpoint directory, locked for one running query.
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    metadata: Metadata,
    /// How many batches of logs and state are kept.
    retained_batches: u64,
    /// Held for as long as the checkpoint is open.
    _lock: File,
}

impl Checkpoint {
    /// Opens (or creates) the checkpoint at `dir` for the query `name` with plan `fingerprint`
    /// and operators' state of shape `state`. A checkpoint of another plan is taken when its
    /// state has the same shape, as Spark checks a restarted query's state schema (a filter
    /// added before an aggregation changes the plan, not the state); its metadata then records
    /// the new plan.
    ///
    /// # Errors
    /// [`Error::CheckpointInUse`] when another query holds it, [`Error::CheckpointMismatch`]
    /// when it was written by a query of another plan whose state does not have the same shape
    /// (naming the operator and the field), or of unknown state; [`Error::Checkpoint`] on I/O
    /// failures or a file that does not parse.
    pub fn open(
        dir: impl Into<PathBuf>,
        name: &str,
        fingerprint: u64,
        plan: &str,
        state: &[OperatorSchema],
    ) -> Result<Self> {
        let dir = dir.into();
        for sub in ["offsets", "commits", "state"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| io_error(&dir.join(sub), "create the checkpoint directory", e))?;
        }
        let lock_path = dir.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, "open the checkpoint lock", e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::CheckpointInUse { path: dir }),
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&lock_path, "lock the checkpoint", e)),
        }
        let fingerprint = format!("{fingerprint:016x}");
        let metadata_path = dir.join("metadata");
        let metadata = if metadata_path.exists() {
            let mut metadata = read_parsed(&metadata_path, Metadata::parse)?;
            if metadata.resumable_by(&dir, name, &fingerprint, plan, state)? == Resumable::SameState {
                tracing::info!(
                    checkpoint = %dir.display(),
                    was = %metadata.fingerprint,
                    now = %fingerprint,
                    "the plan changed and its state did not: resuming on the checkpoint"
                );
            }
            if metadata.fingerprint != fingerprint || metadata.state.as_deref() != Some(state) {
                metadata.fingerprint = fingerprint;
                plan.clone_into(&mut metadata.plan);
                metadata.state = Some(state.to_vec());
                write_atomically(&metadata_path, &to_json(&metadata))?;
            }
            metadata
        } else {
            let metadata = Metadata {
                id: uuid::Uuid::new_v4(),
                name: name.to_owned(),
                fingerprint,
                plan: plan.to_owned(),
                state: Some(state.to_vec()),
            };
            write_atomically(&metadata_path, &to_json(&metadata))?;
            metadata
        };
        Ok(Self {
            dir,
            metadata,
            retained_batches: DEFAULT_RETAINED_BATCHES,
            _lock: lock,
        })
    }

    /// Keeps the logs and state of the last `batches` batches (at least 1) from now on.
    pub fn retain_batches(&mut self, batches: u64) {
        self.retained_batches = batches.max(1);
    }

    /// How many batches of logs and state are kept.
    #[must_use]
    pub fn retained_batches(&self) -> u64 {
        self.retained_batches
    }

    /// The checkpoint's metadata.
    #[must_use]
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, log: &str, batch: u64) -> PathBuf {
        self.dir.join(log).join(batch.to_string())
    }

    /// The batches in log `log` (`offsets`, `commits`, ...), in order.
    fn batches(&self, log: &str) -> Result<Vec<u64>> {
        let dir = self.dir.join(log);
        let entries = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, "list the checkpoint log", e))?;
        let mut batches = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, "list the checkpoint log", e))?;
            if let Some(batch) = entry.file_name().to_str().and_then(batch_of_file_name) {
                batches.push(batch);
            }
        }
        batches.sort_unstable();
        Ok(batches)
    }

    /// The latest batch in log `log`.
    fn latest(&self, log: &str) -> Result<Option<u64>> {
        Ok(self.batches(log)?.last().copied())
    }

    /// Cross-checks the offsets and commits logs before a restart relies on them, as a file
    /// deleted by hand would otherwise make batches be skipped or read twice: the offsets are
    /// contiguous, every committed batch has its offsets, and the batch before the last planned
    /// one is committed.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the missing file.
    pub fn verify(&self) -> Result<()> {
        let offsets = self.batches("offsets")?;
        let commits = self.batches("commits")?;
        let missing = |log: &str, batch: u64, why: String| Error::Checkpoint {
            path: self.entry(log, batch),
            message: format!(
                "is missing, {why}; the checkpoint is inconsistent (was a file deleted by hand?), and resuming from it would skip batches or process them twice: restore the file, or start again with a new checkpoint directory (and a new output directory for a file sink)"
            ),
        };
        if let Some(gap) = offsets.windows(2).find(|pair| pair[1] != pair[0] + 1) {
            return Err(missing(
                "offsets",
                gap[0] + 1,
                format!("but `offsets/{}` exists", gap[1]),
            ));
        }
        let last_planned = offsets.last().copied();
        if let Some(&committed) = commits.last()
            && last_planned.is_none_or(|planned| committed > planned)
        {
            return Err(missing(
                "offsets",
                committed,
                format!("but `commits/{committed}` exists"),
            ));
        }
        if let Some(planned) = last_planned
            && planned > 0
            && offsets.first().is_some_and(|&first| first < planned)
            && commits.last().is_none_or(|&committed| committed + 1 < planned)
        {
            return Err(missing(
                "commits",
                planned - 1,
                format!("but `offsets/{planned}` was planned after it"),
            ));
        }
        Ok(())
    }

    /// Records the batch's offsets before it runs.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn write_offsets(&self, batch: u64, entry: &OffsetEntry) -> Result<()> {
        write_atomically(&self.entry("offsets", batch), &to_json(entry))
    }

    /// The offsets recorded for `batch`.
    ///
    /// # Errors
    /// When the entry is missing or does not parse.
    pub fn read_offsets(&self, batch: u64) -> Result<OffsetEntry> {
        read_parsed(&self.entry("offsets", batch), OffsetEntry::parse)
    }

    /// The latest batch whose offsets were written.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn latest_offsets(&self) -> Result<Option<u64>> {
        self.latest("offsets")
    }

    /// Records that the sink took `batch`, and purges entries beyond the retention count.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn write_commit(&self, batch: u64, entry: &CommitEntry) -> Result<()> {
        write_atomically(&self.entry("commits", batch), &to_json(entry))?;
        self.purge_before(batch.saturating_sub(self.retained_batches))
    }

    /// The commit recorded for `batch`.
    ///
    /// # Errors
    /// When the entry is missing or does not parse.
    pub fn read_commit(&self, batch: u64) -> Result<CommitEntry> {
        read_parsed(&self.entry("commits", batch), CommitEntry::parse)
    }

    /// The latest committed batch.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn latest_commit(&self) -> Result<Option<u64>> {
        self.latest("commits")
    }

    /// Records what input `input` read for `batch`.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn write_source_log(&self, input: usize, batch: u64, entry: &serde_json::Value) -> Result<()> {
        let dir = self.dir.join(source_log(input));
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, "create the checkpoint directory", e))?;
        write_atomically(&self.entry(&source_log(input), batch), &to_json(entry))
    }

    /// Every entry of input `input`'s log up to and including `last`, oldest first. A source log
    /// is never purged: a file source must remember every file it took.
    ///
    /// # Errors
    /// When an entry does not parse.
    pub fn source_logs(&self, input: usize, last: u64) -> Result<Vec<(u64, serde_json::Value)>> {
        let log = source_log(input);
        (0..=last)
            .filter(|batch| self.entry(&log, *batch).exists())
            .map(|batch| Ok((batch, read_parsed(&self.entry(&log, batch), parse_source_log)?)))
            .collect()
    }

    /// The first batch whose offsets show it read new input from input `input` but which has no
    /// entry in that input's log: the entry that a source which logs its batches is missing.
    ///
    /// # Errors
    /// When an offsets entry cannot be read.
    pub fn first_unlogged_read(&self, input: usize) -> Result<Option<u64>> {
        let log = source_log(input);
        let mut previous: Option<(u64, Option<serde_json::Value>)> = None;
        for batch in self.batches("offsets")? {
            let offset = self.read_offsets(batch)?.source_offsets.get(input).cloned().flatten();
            let read_new_input = match &previous {
                Some((before, previous_offset)) if before + 1 == batch => *previous_offset != offset,
                // The batch before was purged: whether this one read anything is unknown.
                Some(_) => false,
                None => batch == 0 && offset.is_some(),
            };
            if read_new_input && !self.entry(&log, batch).exists() {
                return Ok(Some(batch));
            }
            previous = Some((batch, offset));
        }
        Ok(None)
    }

    /// The directory of store `store` of operator `operator`, as Spark lays it out (partition
    /// 0; a named store in a directory of its own): `state/<operator>/0[/<store>]`.
    #[must_use]
    pub fn state_store_dir(&self, operator: usize, store: &str) -> PathBuf {
        state_store_dir_of(&self.dir, operator, store)
    }

    /// Writes a state store file: `<version>.delta` or `<version>.snapshot` (a store's version
    /// `n` is its state after batch `n - 1`, as in Spark).
    ///
    /// # Errors
    /// On I/O failure.
    pub fn write_state_file(
        &self,
        operator: usize,
        store: &str,
        version: u64,
        kind: FileKind,
        bytes: &[u8],
    ) -> Result<()> {
        let dir = self.state_store_dir(operator, store);
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, "create the state store directory", e))?;
        }
        write_file_atomically(&dir.join(format!("{version}.{}", kind.extension())), bytes)
    }

    /// Reads store `store` of operator `operator` at `version` — the newest snapshot at or
    /// before it that reads back whole, and every delta after that — and hands its rows, in the
    /// operator's order, to `restore`. A damaged snapshot is passed over for an older one (and
    /// its deltas), with a warning; returns the version of the snapshot used (0 for none).
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the file that is missing, damaged or does not fit the
    /// operator (`restore`'s message).
    pub fn restore_state_store(
        &self,
        operator: usize,
        store: &str,
        version: u64,
        restore: impl FnOnce(&[(&[u8], &[u8])]) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        let dir = self.state_store_dir(operator, store);
        self.refuse_whole_state_snapshots(operator)?;
        let StoreVersion {
            files,
            snapshot,
            damaged,
        } = read_store_version(&dir, version)?;
        restore(&replay(&files)?).map_err(|message| Error::Checkpoint {
            path: files.last().map_or_else(|| dir.clone(), |(file, _)| file.clone()),
            message: format!("cannot be restored into operator {operator}: {message}"),
        })?;
        // Out of the way (kept, for a look), so that no later purge takes a damaged snapshot as
        // the one the deltas before it are no longer needed for.
        for damaged in damaged {
            let mut kept = damaged.clone().into_os_string();
            kept.push(".damaged");
            std::fs::rename(&damaged, &kept)
                .map_err(|e| io_error(&damaged, "set aside the damaged state snapshot", e))?;
        }
        Ok(snapshot)
    }

    /// Refuses a checkpoint whose state an earlier Rill wrote whole, as one JSON file per batch
    /// (`state/0/<batch>`).
    fn refuse_whole_state_snapshots(&self, operator: usize) -> Result<()> {
        let dir = self.dir.join("state").join(operator.to_string());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file())
                && entry.file_name().to_str().and_then(batch_of_file_name).is_some()
            {
                return Err(Error::Checkpoint {
                    path: entry.path(),
                    message: "holds state in the format of an earlier Rill (the whole state as JSON, each batch); this Rill keeps a delta per batch and cannot read it: start again with a new checkpoint directory".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Removes the store files no restore of version `oldest_kept` or later needs (everything
    /// before the newest snapshot at or before `oldest_kept`), and, given `newer_than`, those of
    /// later versions (written by a batch that never committed).
    ///
    /// # Errors
    /// On I/O failure.
    pub fn purge_state_store(
        &self,
        operator: usize,
        store: &str,
        oldest_kept: u64,
        newer_than: Option<u64>,
    ) -> Result<()> {
        let dir = self.state_store_dir(operator, store);
        let mut files = state_files(&dir)?;
        // Oldest first, so that a process killed amid it leaves the files it kept contiguous.
        files.sort_unstable();
        let version = newer_than.unwrap_or(u64::MAX);
        let base = files
            .iter()
            .filter(|&&(v, kind)| kind == FileKind::Snapshot && v <= oldest_kept)
            .map(|&(v, _)| v)
            .max()
            .unwrap_or(0);
        for (v, kind) in files {
            if v < base || v > version {
                let path = dir.join(format!("{v}.{}", kind.extension()));
                tracing::trace!(target: "rill::durability", point = "state_purge", file = %path.display());
                std::fs::remove_file(&path).map_err(|e| io_error(&path, "purge the old state file", e))?;
            }
        }
        // A file a killed process was writing (`.<version>.snapshot.tmp`), once its version is
        // purged: a newer one may be being written right now.
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(&dir, "list the state store", e)),
        };
        for entry in entries.flatten() {
            let stale = entry
                .file_name()
                .to_str()
                .and_then(|name| name.strip_prefix('.')?.strip_suffix(".tmp"))
                .and_then(state_file_of_name)
                .is_some_and(|(v, _)| v < base);
            if stale {
                std::fs::remove_file(entry.path())
                    .map_err(|e| io_error(&entry.path(), "purge the unfinished state file", e))?;
            }
        }
        Ok(())
    }

    /// Deletes the log entries of batches before `oldest_kept`, oldest first: a process killed
    /// amid it leaves the entries it kept contiguous (a gap would read as a deleted file).
    fn purge_before(&self, oldest_kept: u64) -> Result<()> {
        for log in ["offsets", "commits"] {
            for batch in self.batches(log)?.into_iter().take_while(|&b| b < oldest_kept) {
                let path = self.entry(log, batch);
                tracing::trace!(target: "rill::durability", point = "log_purge", file = %path.display());
                std::fs::remove_file(&path).map_err(|e| io_error(&path, "purge the old checkpoint file", e))?;
            }
        }
        Ok(())
    }
}

/// Checkpoint work running on a thread of its own, so that a batch computes while the disk
/// syncs what it wrote; [`wait`](Self::wait) before anything that must follow it.
#[derive(Debug)]
pub(crate) struct Pending<T> {
    work: std::thread::JoinHandle<Result<T>>,
    /// The directory the work writes in, for an error.
    dir: PathBuf,
}

impl<T: Send + 'static> Pending<T> {
    /// Starts `work`.
    ///
    /// # Errors
    /// When no thread can be started.
    pub(crate) fn spawn(dir: &Path, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<Self> {
        let work = std::thread::Builder::new()
            .name("rill-checkpoint".to_owned())
            .spawn(work)
            .map_err(|e| io_error(dir, "start a thread to write the checkpoint", e))?;
        Ok(Self {
            work,
            dir: dir.to_owned(),
        })
    }

    /// The work's outcome, once it is done.
    ///
    /// # Errors
    /// The work's error.
    pub(crate) fn wait(self) -> Result<T> {
        self.work.join().unwrap_or_else(|payload| {
            let message = crate::error::panic_message(payload.as_ref()).unwrap_or_default();
            Err(Error::Checkpoint {
                path: self.dir,
                message: format!("could not be written: the thread writing it panicked: {message}"),
            })
        })
    }
}

/// The directory of store `store` of operator `operator` of the checkpoint at `checkpoint`.
fn state_store_dir_of(checkpoint: &Path, operator: usize, store: &str) -> PathBuf {
    let dir = checkpoint.join("state").join(operator.to_string()).join("0");
    if store.is_empty() { dir } else { dir.join(store) }
}

/// The files that hold a store at one version, read (its snapshot checked whole).
#[derive(Debug)]
struct StoreVersion {
    /// The snapshot (if any), then each delta after it, oldest first.
    files: Vec<(PathBuf, Vec<u8>)>,
    /// The version of the snapshot used (0 for none).
    snapshot: u64,
    /// Newer snapshots passed over because they are damaged.
    damaged: Vec<PathBuf>,
}

/// The rows `files` (a snapshot and the deltas after it, in order) hold, in the operator's
/// order.
///
/// # Errors
/// [`Error::Checkpoint`] naming a file that is not a state file or does not apply.
fn replay(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<(&[u8], &[u8])>> {
    let mut rows = MergedRows::default();
    for (file, bytes) in files {
        StoreFile::parse(bytes)
            .and_then(|parsed| rows.apply(&parsed))
            .map_err(|message| Error::Checkpoint {
                path: file.clone(),
                message,
            })?;
    }
    Ok(rows.into_ordered())
}

/// Reads store directory `dir` at `version`: the newest snapshot at or before it that reads
/// back whole, and every delta after that; a damaged snapshot is passed over for an older one
/// (and its deltas), with a warning.
///
/// # Errors
/// [`Error::Checkpoint`] naming the file that is missing or damaged (the newest damaged
/// snapshot, when no older one and its deltas can replace it).
fn read_store_version(dir: &Path, version: u64) -> Result<StoreVersion> {
    let mut snapshots: Vec<u64> = state_files(dir)?
        .into_iter()
        .filter(|&(v, kind)| kind == FileKind::Snapshot && v <= version)
        .map(|(v, _)| v)
        .collect();
    snapshots.sort_unstable_by(|a, b| b.cmp(a));
    let path = |v: u64, kind: FileKind| dir.join(format!("{v}.{}", kind.extension()));
    let mut passed_over: Option<Error> = None;
    let mut damaged = Vec::new();
    for base in snapshots.into_iter().chain(std::iter::once(0)) {
        let mut files = Vec::new();
        if base > 0 {
            let snapshot = path(base, FileKind::Snapshot);
            match read_state_file(&snapshot) {
                Ok(bytes) => files.push((snapshot, bytes)),
                Err(error) => {
                    tracing::warn!(%error, "passing over a damaged state snapshot for an older one and its deltas");
                    passed_over.get_or_insert(error);
                    damaged.push(snapshot);
                    continue;
                }
            }
        }
        for delta in base + 1..=version {
            let delta = path(delta, FileKind::Delta);
            if !delta.exists() {
                return Err(passed_over.unwrap_or_else(|| Error::Checkpoint {
                    path: delta,
                    message: format!(
                        "is missing: the state at version {version} needs it (was a file deleted by hand?); restore the file, or start again with a new checkpoint directory"
                    ),
                }));
            }
            // Checked as it is replayed: only a snapshot is checked ahead, to pass over it.
            let bytes = std::fs::read(&delta).map_err(|e| io_error(&delta, "read the state file", e))?;
            files.push((delta, bytes));
        }
        if let Some(error) = passed_over {
            tracing::warn!(%error, snapshot = base, "read the state from an older snapshot and its deltas");
        }
        return Ok(StoreVersion {
            files,
            snapshot: base,
            damaged,
        });
    }
    Err(passed_over.unwrap_or_else(|| Error::Checkpoint {
        path: dir.to_owned(),
        message: "has no state to read".to_owned(),
    }))
}

/// The version and kind of a state store file's name (`12.delta`, `20.snapshot`).
#[must_use]
pub fn state_file_of_name(name: &str) -> Option<(u64, FileKind)> {
    let (version, extension) = name.split_once('.')?;
    let kind = match extension {
        "delta" => FileKind::Delta,
        "snapshot" => FileKind::Snapshot,
        _ => return None,
    };
    Some((batch_of_file_name(version)?, kind))
}

/// The state files in store directory `dir` (none when it does not exist yet).
fn state_files(dir: &Path) -> Result<Vec<(u64, FileKind)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, "list the state store", e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "list the state store", e))?;
        files.extend(entry.file_name().to_str().and_then(state_file_of_name));
    }
    Ok(files)
}

/// The bytes of state file `path`, checked whole ([`StoreFile::parse`]).
fn read_state_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, "read the state file", e))?;
    StoreFile::parse(&bytes).map_err(|message| Error::Checkpoint {
        path: path.to_owned(),
        message,
    })?;
    Ok(bytes)
}

/// The directory of input `input`'s log, relative to the checkpoint: `sources/<input>`.
#[must_use]
pub fn source_log(input: usize) -> String {
    format!("sources/{input}")
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// An I/O error on checkpoint file or directory `path`, with its typed source.
fn io_error(path: &Path, action: &'static str, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Writes `VERSION_LINE` and `body` to `path` so that a crash leaves the old file or the new one.
fn write_atomically(path: &Path, body: &str) -> Result<()> {
    let mut bytes = Vec::with_capacity(VERSION_LINE.len() + 1 + body.len());
    bytes.extend_from_slice(VERSION_LINE.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(body.as_bytes());
    write_file_atomically(path, &bytes)
}

/// Writes `bytes` to `path` so that a reader (or a restart after a crash) sees the old file or
/// the new one whole, never part of it: a hidden temporary file, synced, renamed into place,
/// and the directory synced so that the rename itself survives a power loss.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub(crate) fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().map_or_else(|| "entry".into(), |n| n.to_string_lossy());
    let temporary = dir.join(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        tracing::trace!(target: "rill::durability", point = "before_rename", file = %path.display());
        std::fs::rename(&temporary, path)?;
        tracing::trace!(target: "rill::durability", point = "renamed", file = %path.display());
        sync_directory(dir)
    };
    write().map_err(|e| io_error(path, "write", e))
}

/// Makes the entries of `dir` (a rename into it) durable.
pub(crate) fn sync_directory(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads the file at `path` and parses it with `parse`, naming the file in any error.
fn read_parsed<T>(path: &Path, parse: impl FnOnce(&[u8]) -> std::result::Result<T, String>) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, "read the checkpoint file", e))?;
    parse(&bytes).map_err(|message| Error::Checkpoint {
        path: path.to_owned(),
        message,
    })
}

/// The body of a versioned file, after checking its version line.
fn parse_versioned(bytes: &[u8]) -> std::result::Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("cannot parse: not UTF-8 text: {e}"))?;
    let (version, body) = text.split_once('\n').unwrap_or((text, ""));
    if version != VERSION_LINE {
        let shown: String = version.chars().take(20).collect();
        let more = if shown.len() < version.len() { "..." } else { "" };
        return Err(format!(
            "unsupported format version `{}{more}` (this Rill writes `{VERSION_LINE}`)",
            shown.escape_debug()
        ));
    }
    Ok(body)
}

/// A versioned JSON file's value.
fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> std::result::Result<T, String> {
    serde_json::from_str(parse_versioned(bytes)?).map_err(|e| format!("cannot parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offsets_entry_of_a_single_input_query_reads_as_one_input() {
        let written = |offset: &str| {
            format!(
                "v1\n{{\"batchWatermarkMs\":0,\"batchWatermarkMicros\":0,\"batchTimestampMs\":1,\"sourceOffset\":{offset}}}"
            )
        };
        let entry = OffsetEntry::parse(written(r#"{"logOffset":3}"#).as_bytes()).unwrap();
        assert_eq!(entry.source_offsets, vec![Some(serde_json::json!({"logOffset": 3}))]);
        let before_any_data = OffsetEntry::parse(written("null").as_bytes()).unwrap();
        assert_eq!(before_any_data.source_offsets, vec![None]);
        let both = written("1").replace('}', ",\"sourceOffsets\":[1]}");
        assert!(OffsetEntry::parse(both.as_bytes()).unwrap_err().contains("both"));
    }

    #[test]
    fn logs_round_trip_and_report_the_latest_batch() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 7, "plan", &[]).unwrap();
        assert_eq!(checkpoint.latest_offsets().unwrap(), None);
        let offsets = OffsetEntry {
            batch_watermark_ms: 5,
            batch_watermark_micros: 5000,
            batch_timestamp_ms: 9,
            source_offsets: vec![Some(serde_json::json!({"logOffset": 1})), None],
            conf: std::collections::BTreeMap::new(),
        };
        checkpoint.write_offsets(0, &offsets).unwrap();
        checkpoint.write_offsets(1, &offsets).unwrap();
        checkpoint
            .write_commit(
                0,
                &CommitEntry {
                    next_batch_watermark_ms: 5,
                    next_batch_watermark_micros: 5000,
                    input_watermarks_micros: Vec::new(),
                },
            )
            .unwrap();
        assert_eq!(
            (
                checkpoint.latest_offsets().unwrap(),
                checkpoint.latest_commit().unwrap()
            ),
            (Some(1), Some(0))
        );
        assert_eq!(checkpoint.read_offsets(1).unwrap(), offsets);
        let text = std::fs::read_to_string(dir.path().join("offsets/1")).unwrap();
        assert!(text.starts_with("v1\n{\"batchWatermarkMs\":5"), "{text}");
        // No temporary file is left behind.
        assert!(
            std::fs::read_dir(dir.path().join("offsets")).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
        );
    }

    #[test]
    fn a_second_opener_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = Checkpoint::open(dir.path(), "q", 7, "plan", &[]).unwrap();
        let second = Checkpoint::open(dir.path(), "q", 7, "plan", &[]).unwrap_err();
        assert!(matches!(second, Error::CheckpointInUse { .. }), "{second}");
        drop(first);
        Checkpoint::open(dir.path(), "q", 7, "plan", &[]).unwrap();
    }

    /// An aggregation's state by string keys, of values `V`.
    fn aggregate_schema<V: crate::state::snapshot::StateValue>() -> Vec<OperatorSchema> {
        vec![OperatorSchema {
            operator: "stateStoreSave".to_owned(),
            stores: vec![crate::state::store::StoreSchema::of::<(String,), V>("")],
        }]
    }

    #[test]
    fn another_plan_of_the_same_state_resumes_and_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let id = Checkpoint::open(dir.path(), "q", 0xabc, "plan a", &aggregate_schema::<i64>())
            .unwrap()
            .metadata()
            .id;
        let reopened = Checkpoint::open(dir.path(), "q", 0xdef, "plan b", &aggregate_schema::<i64>()).unwrap();
        assert_eq!(reopened.metadata().id, id);
        drop(reopened);
        let metadata = read_parsed(&dir.path().join("metadata"), Metadata::parse).unwrap();
        assert_eq!(
            (metadata.fingerprint.as_str(), metadata.plan.as_str()),
            ("0000000000000def", "plan b")
        );
        // A checkpoint that does not record its state's shape takes only its own plan.
        let mut unknown = metadata;
        unknown.state = None;
        write_atomically(&dir.path().join("metadata"), &to_json(&unknown)).unwrap();
        let error = Checkpoint::open(dir.path(), "q", 0x123, "plan c", &aggregate_schema::<i64>()).unwrap_err();
        assert!(
            error.to_string().contains("does not record the shape of its state"),
            "{error}"
        );
    }

    #[test]
    fn a_different_query_is_refused_with_both_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let id = Checkpoint::open(dir.path(), "SpendByUser", 0xabc, "plan", &aggregate_schema::<i64>())
            .unwrap()
            .metadata()
            .id;
        assert_eq!(
            Checkpoint::open(dir.path(), "SpendByUser", 0xabc, "plan", &aggregate_schema::<i64>())
                .unwrap()
                .metadata()
                .id,
            id
        );
        let error = Checkpoint::open(
            dir.path(),
            "EventsByHour",
            0xdef,
            "plan",
            &aggregate_schema::<(i64, f64)>(),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("written by query `SpendByUser` (plan fingerprint 0000000000000abc)"),
            "{message}"
        );
        assert!(
            message.contains("`EventsByHour` (plan fingerprint 0000000000000def)"),
            "{message}"
        );
        assert!(
            message.contains("operator 0 (`stateStoreSave`): `value` was i64, and is now (i64, f64)"),
            "{message}"
        );
    }

    #[test]
    fn unknown_versions_and_garbage_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 1, "plan", &[]).unwrap();
        std::fs::write(dir.path().join("offsets/3"), "v9\n{}").unwrap();
        assert!(
            checkpoint
                .read_offsets(3)
                .unwrap_err()
                .to_string()
                .contains("unsupported format version `v9`")
        );
        std::fs::write(dir.path().join("commits/3"), "v1\nnot json").unwrap();
        assert!(
            checkpoint
                .read_commit(3)
                .unwrap_err()
                .to_string()
                .contains("cannot parse")
        );
    }

    #[test]
    fn the_parsers_read_what_the_writer_writes_and_refuse_the_rest() {
        let commit = CommitEntry {
            next_batch_watermark_ms: -1,
            next_batch_watermark_micros: -1000,
            input_watermarks_micros: Vec::new(),
        };
        let file = format!("{VERSION_LINE}\n{}", to_json(&commit));
        assert_eq!(CommitEntry::parse(file.as_bytes()).unwrap(), commit);
        assert_eq!(parse_source_log(b"v1\n{\"logOffset\": 0}").unwrap()["logOffset"], 0);
        for (bytes, message) in [
            (&b""[..], "unsupported format version ``"),
            (b"v1\r\n{}", "unsupported format version `v1\\r`"),
            (b"\xff\xfe", "not UTF-8 text"),
            (b"v1\n\xff", "not UTF-8 text"),
            (b"v1\n{\"nextBatchWatermarkMs\": 1}", "cannot parse: missing field"),
            (b"v1\n{\"nextBatchWatermarkMs\": 1e400}", "cannot parse"),
        ] {
            let error = CommitEntry::parse(bytes).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
        // A long first line is cut in the message.
        let error = Metadata::parse(&[b'x'; 10_000]).unwrap_err();
        assert!(error.len() < 100, "{error}");
    }

    #[test]
    fn only_canonical_batch_numbers_name_log_files() {
        assert_eq!(batch_of_file_name("0"), Some(0));
        assert_eq!(batch_of_file_name("17"), Some(17));
        assert_eq!(batch_of_file_name("18446744073709551615"), Some(u64::MAX));
        for name in [
            "",
            "+1",
            "01",
            "00",
            "-1",
            " 1",
            "1.tmp",
            ".1.tmp",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(batch_of_file_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn old_entries_are_purged_beyond_retention() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 1, "plan", &[]).unwrap();
        for batch in 0..=DEFAULT_RETAINED_BATCHES + 2 {
            checkpoint
                .write_commit(
                    batch,
                    &CommitEntry {
                        next_batch_watermark_ms: 0,
                        next_batch_watermark_micros: 0,
                        input_watermarks_micros: Vec::new(),
                    },
                )
                .unwrap();
        }
        assert!(!dir.path().join("commits/1").exists());
        assert!(dir.path().join("commits/2").exists());
        assert!(
            dir.path()
                .join(format!("commits/{}", DEFAULT_RETAINED_BATCHES + 2))
                .exists()
        );
    }

    fn store_file(kind: FileKind, rows: &[(&str, Option<i64>)]) -> Vec<u8> {
        let mut writer = crate::state::store::StoreWriter::new(kind);
        for (key, value) in rows {
            match value {
                Some(value) => writer.put(&(*key).to_owned(), value),
                None => writer.remove(&(*key).to_owned()),
            }
        }
        writer.finish()
    }

    /// The rows of the store at `version`, decoded, and the snapshot used.
    fn restored(checkpoint: &Checkpoint, version: u64) -> Result<(Vec<(String, i64)>, u64)> {
        let mut rows = Vec::new();
        let snapshot = checkpoint.restore_state_store(0, "", version, |encoded| {
            for (index, (key, value)) in encoded.iter().enumerate() {
                rows.push(crate::state::store::decode_row(index, key, value)?);
            }
            Ok(())
        })?;
        Ok((rows, snapshot))
    }

    #[test]
    fn state_restores_from_the_newest_snapshot_and_falls_back_past_a_damaged_one() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 1, "plan", &[]).unwrap();
        let write = |version, kind, rows: &[(&str, Option<i64>)]| {
            checkpoint
                .write_state_file(0, "", version, kind, &store_file(kind, rows))
                .unwrap();
        };
        write(1, FileKind::Delta, &[("a", Some(1)), ("b", Some(1))]);
        write(2, FileKind::Delta, &[("a", Some(2))]);
        write(2, FileKind::Snapshot, &[("a", Some(2)), ("b", Some(1))]);
        write(3, FileKind::Delta, &[("b", None), ("c", Some(1))]);
        let expected = vec![("a".to_owned(), 2), ("c".to_owned(), 1)];
        assert_eq!(restored(&checkpoint, 3).unwrap(), (expected.clone(), 2));
        assert_eq!(
            restored(&checkpoint, 1).unwrap().0,
            [("a".to_owned(), 1), ("b".to_owned(), 1)]
        );

        // A damaged snapshot: the deltas before it replace it.
        let snapshot = dir.path().join("state/0/0/2.snapshot");
        let mut bytes = std::fs::read(&snapshot).unwrap();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&snapshot, bytes).unwrap();
        assert_eq!(restored(&checkpoint, 3).unwrap(), (expected, 0));
        assert!(!snapshot.exists() && dir.path().join("state/0/0/2.snapshot.damaged").exists());

        // A damaged delta cannot be replaced: the error names it.
        let delta = dir.path().join("state/0/0/3.delta");
        let mut bytes = std::fs::read(&delta).unwrap();
        let last = bytes.len() - 6;
        bytes[last] ^= 0x40;
        std::fs::write(&delta, bytes).unwrap();
        let error = restored(&checkpoint, 3).unwrap_err().to_string();
        assert!(
            error.contains(&delta.display().to_string()) && error.contains("checksum"),
            "{error}"
        );

        // Nor can a missing one.
        std::fs::remove_file(dir.path().join("state/0/0/1.delta")).unwrap();
        let error = restored(&checkpoint, 2).unwrap_err().to_string();
        assert!(error.contains("1.delta") && error.contains("is missing"), "{error}");
    }

    #[test]
    fn state_files_before_the_snapshot_a_kept_batch_needs_are_purged() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 1, "plan", &[]).unwrap();
        for version in 1..=25 {
            let bytes = store_file(FileKind::Delta, &[("a", Some(1))]);
            checkpoint
                .write_state_file(0, "left", version, FileKind::Delta, &bytes)
                .unwrap();
            if version % 10 == 0 {
                let bytes = store_file(FileKind::Snapshot, &[("a", Some(1))]);
                checkpoint
                    .write_state_file(0, "left", version, FileKind::Snapshot, &bytes)
                    .unwrap();
            }
        }
        // Versions 15 and later are kept: they need snapshot 10 and the deltas after it. A
        // delta written after version 24 by a batch that never committed goes too.
        checkpoint.purge_state_store(0, "left", 15, Some(24)).unwrap();
        let store = dir.path().join("state/0/0/left");
        let mut left: Vec<String> = std::fs::read_dir(&store)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort_by_key(|name| state_file_of_name(name));
        assert_eq!(left.first().map(String::as_str), Some("10.delta"));
        assert_eq!(left.len(), 15 + 2, "{left:?}");
        assert!(!store.join("25.delta").exists());
    }

    #[test]
    fn state_written_whole_by_an_earlier_rill_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::open(dir.path(), "q", 1, "plan", &[]).unwrap();
        std::fs::create_dir_all(dir.path().join("state/0")).unwrap();
        std::fs::write(dir.path().join("state/0/4"), "v1\n[]").unwrap();
        let error = restored(&checkpoint, 5).unwrap_err().to_string();
        assert!(error.contains("state/0/4") && error.contains("earlier Rill"), "{error}");
    }
}
