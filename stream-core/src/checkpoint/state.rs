//! A query's operator state in its checkpoint, as Spark's state stores keep it: after each
//! batch, a delta per store (what the batch put and removed); every `min_deltas_for_snapshot`
//! versions a snapshot too (every row), so that a restart replays a bounded number of deltas;
//! files no retained batch needs are purged after each snapshot.
//!
//! The files are encoded on the query's thread and written on another while later batches
//! run: a batch's deltas before its commit entry, a snapshot on its own (a restart never needs
//! it: the deltas hold the same state).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Checkpoint, Pending};
use crate::error::Result;
use crate::operator::StatefulOperator;
use crate::state::store::{FileKind, StoreWriter};

/// Spark's `spark.sql.streaming.stateStore.minDeltasForSnapshot`.
pub const DEFAULT_MIN_DELTAS_FOR_SNAPSHOT: u64 = 10;

/// Writes and restores the state of a query's operators.
#[derive(Debug)]
pub(crate) struct StateCheckpoint {
    min_deltas_for_snapshot: u64,
    /// Per operator, per store: the version of its newest snapshot (0 for none).
    last_snapshot: Vec<Vec<u64>>,
    /// The size of the last delta written, to encode the next one without growing its buffer.
    last_delta_bytes: usize,
    /// The snapshots being written, and the purge after them.
    snapshots: Option<Pending<()>>,
}

/// A batch's deltas, encoded, to write before its commit.
#[derive(Debug)]
pub(crate) struct StateDeltas {
    files: Vec<StoreFileBytes>,
    /// How long encoding them took.
    encoding: Duration,
}

impl StateDeltas {
    /// How long encoding them took.
    pub(crate) fn encoding(&self) -> Duration {
        self.encoding
    }

    /// Writes the deltas; how long writing the state took, encoding included (Spark's
    /// `commitTimeMs`).
    ///
    /// # Errors
    /// When a delta could not be written.
    pub(crate) fn write(self, checkpoint: &Checkpoint) -> Result<Duration> {
        let started = Instant::now();
        write_files(checkpoint, &self.files)?;
        Ok(self.encoding + started.elapsed())
    }
}

/// What a batch's commit took, once it is durable.
#[derive(Debug)]
pub(crate) struct Committed {
    /// Encoding and writing the state's deltas, when the query has state.
    pub(crate) state: Option<Duration>,
    /// Encoding and writing the deltas, and writing the commit entry.
    pub(crate) commit: Duration,
    /// When the commit was durable.
    pub(crate) done: Instant,
}

/// One store file to write: operator, store name, version, kind and bytes.
type StoreFileBytes = (usize, &'static str, u64, FileKind, Vec<u8>);

impl StateCheckpoint {
    /// Restores each operator's state at `version` (the version after the last committed batch;
    /// 0 before any), removes what a batch that never committed wrote after it, and has the
    /// operators record their changes from there.
    ///
    /// # Errors
    /// [`crate::Error::Checkpoint`] naming a state file that is missing, damaged or not of this
    /// query's state.
    pub(crate) fn restore(
        checkpoint: &Checkpoint,
        mut operators: Vec<&mut dyn StatefulOperator>,
        version: u64,
        min_deltas_for_snapshot: u64,
    ) -> Result<Self> {
        let mut last_snapshot = Vec::with_capacity(operators.len());
        for (index, operator) in operators.iter_mut().enumerate() {
            let mut snapshots = Vec::new();
            for (store, name) in operator.store_names().iter().enumerate() {
                let snapshot = if version == 0 {
                    0
                } else {
                    checkpoint.restore_state_store(index, name, version, |rows| operator.restore(store, rows))?
                };
                checkpoint.purge_state_store(index, name, 0, Some(version))?;
                snapshots.push(snapshot);
            }
            operator.track_changes();
            last_snapshot.push(snapshots);
        }
        Ok(Self {
            min_deltas_for_snapshot: min_deltas_for_snapshot.max(1),
            last_snapshot,
            last_delta_bytes: 0,
            snapshots: None,
        })
    }

    /// Encodes each store's delta for `batch` (version `batch + 1`), for the commit to write;
    /// and a snapshot of a store with `min_deltas_for_snapshot` deltas since its last, which it
    /// starts writing.
    ///
    /// # Errors
    /// When the last snapshots could not be written, or no thread can be started.
    pub(crate) fn write(
        &mut self,
        checkpoint: &Arc<Checkpoint>,
        operators: Vec<&mut dyn StatefulOperator>,
        batch: u64,
    ) -> Result<StateDeltas> {
        let started = Instant::now();
        let version = batch + 1;
        let (mut deltas, mut snapshots): (Vec<StoreFileBytes>, Vec<StoreFileBytes>) = (Vec::new(), Vec::new());
        for ((index, operator), last_snapshots) in operators.into_iter().enumerate().zip(&mut self.last_snapshot) {
            for ((store, &name), last_snapshot) in operator.store_names().iter().enumerate().zip(last_snapshots) {
                let mut delta =
                    StoreWriter::with_capacity(FileKind::Delta, self.last_delta_bytes + self.last_delta_bytes / 8);
                operator.write_changes(store, &mut delta);
                let delta = delta.finish();
                self.last_delta_bytes = delta.len();
                deltas.push((index, name, version, FileKind::Delta, delta));
                if version - *last_snapshot >= self.min_deltas_for_snapshot {
                    let mut snapshot = StoreWriter::new(FileKind::Snapshot);
                    operator.write_all(store, &mut snapshot);
                    snapshots.push((index, name, version, FileKind::Snapshot, snapshot.finish()));
                    *last_snapshot = version;
                }
            }
        }
        if !snapshots.is_empty() {
            // One snapshot write at a time: the next waits for the last.
            if let Some(last) = self.snapshots.take() {
                last.wait()?;
            }
            let (writer, retained) = (checkpoint.clone(), checkpoint.retained_batches());
            self.snapshots = Some(Pending::spawn(checkpoint.dir(), move || {
                write_files(&writer, &snapshots)?;
                for (index, name, version, _, _) in snapshots {
                    writer.purge_state_store(index, name, version.saturating_sub(retained), None)?;
                }
                Ok(())
            })?);
        }
        Ok(StateDeltas {
            files: deltas,
            encoding: started.elapsed(),
        })
    }

    /// Waits for the snapshots being written, as a query stops.
    ///
    /// # Errors
    /// When they could not be written.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.snapshots.take().map_or(Ok(()), Pending::wait)
    }
}

fn write_files(checkpoint: &Checkpoint, files: &[StoreFileBytes]) -> Result<()> {
    for (index, name, version, kind, bytes) in files {
        checkpoint.write_state_file(*index, name, *version, *kind, bytes)?;
    }
    Ok(())
}
