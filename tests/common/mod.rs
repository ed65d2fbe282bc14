//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, reason = "each test crate uses a different subset")]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arrow_array::RecordBatch;
use rill::sink::SinkContext;
use rill::{Result, Sink};

/// Writes `lines` to `dir/name`, with a modification time `order` seconds after a fixed
/// instant, so files are taken in `order` regardless of how fast they were written.
pub fn write_file(dir: &Path, name: &str, lines: &[&str], order: u64) {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + order))
        .unwrap();
}

/// A sink that keeps every batch it receives, with its batch id.
#[derive(Clone, Default, Debug)]
pub struct CapturingSink {
    pub batches: Arc<Mutex<Vec<(u64, RecordBatch)>>>,
}

impl CapturingSink {
    pub fn take(&self) -> Vec<(u64, RecordBatch)> {
        std::mem::take(&mut *self.batches.lock().unwrap())
    }
}

impl Sink for CapturingSink {
    fn description(&self) -> String {
        "CapturingSink".to_owned()
    }

    fn open(&mut self, _context: &SinkContext) -> Result<()> {
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        self.batches.lock().unwrap().push((batch_id, batch.clone()));
        Ok(())
    }
}

impl<M> rill::sink::AcceptsMode<M> for CapturingSink {}

/// Starts `writer` with an available-now trigger and waits for it to finish.
pub fn run_available_now<Q, M, S>(writer: rill::DataStreamWriter<Q, M, S>) -> rill::StreamingQuery
where
    Q: rill::StreamPlan,
    M: rill::mode::Chosen,
    S: Sink + rill::sink::AcceptsMode<M>,
{
    let query = writer.trigger(rill::Trigger::AvailableNow).start().unwrap();
    query.await_termination().unwrap();
    query
}
