//! Checkpoints: a query restarted on its checkpoint resumes exactly where it stopped.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{CapturingSink, write_file};
use rill::Error;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Hourly(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    query PerUser(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/event_time/input");

/// Copies golden input files `range` (in name order) into `dir`.
fn copy_inputs(dir: &Path, range: std::ops::Range<usize>) {
    let mut names: Vec<String> = std::fs::read_dir(GOLDEN)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for (order, name) in names.iter().enumerate().take(range.end).skip(range.start) {
        let text = std::fs::read_to_string(Path::new(GOLDEN).join(name)).unwrap();
        write_file(dir, name, &text.lines().collect::<Vec<_>>(), order as u64);
    }
}

fn run_hourly(input: &Path, checkpoint: Option<&Path>) -> (StreamingQuery, CapturingSink) {
    let sink = CapturingSink::default();
    let writer = Hourly::read(JsonSource::new(input).max_files_per_trigger(1))
        .append()
        .to(sink.clone());
    let query = match checkpoint {
        Some(checkpoint) => common::run_available_now(writer.checkpoint(checkpoint)),
        None => common::run_available_now(writer),
    };
    (query, sink)
}

fn per_user_table(table: &MemorySink) -> Vec<String> {
    let mut rows: Vec<String> = table
        .rows::<PerUserRow>()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r.user_id, r.events, r.total))
        .collect();
    rows.sort();
    rows
}

/// Files arrive in three waves, each processed by its own available-now run on one checkpoint:
/// the final table equals one uninterrupted run over all the files, because state, offsets and
/// the source's log survived each stop. (A windowed query under restarts is covered by
/// `tests/crash.rs`; here an aggregation without a watermark keeps batch boundaries identical,
/// as no run ends with a no-data batch.)
#[test]
fn a_restarted_query_ends_with_what_an_uninterrupted_one_does() {
    let all = tempfile::tempdir().unwrap();
    copy_inputs(all.path(), 0..8);
    let table = MemorySink::named("recovery_uninterrupted");
    common::run_available_now(
        PerUser::read(JsonSource::new(all.path()).max_files_per_trigger(1))
            .complete()
            .to(table.clone()),
    );
    let expected = per_user_table(&table);

    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    let mut batch_ids = Vec::new();
    for wave in [0..3, 3..5, 5..8] {
        copy_inputs(input.path(), wave);
        let table = MemorySink::named("recovery_restarted");
        let query = common::run_available_now(
            PerUser::read(JsonSource::new(input.path()).max_files_per_trigger(1))
                .complete()
                .to(table.clone())
                .checkpoint(checkpoint.path()),
        );
        ids.push(query.id());
        batch_ids.extend(query.recent_progress().iter().map(|p| p.batch_id));
        if batch_ids.len() == 8 {
            assert_eq!(per_user_table(&table), expected);
        }
    }
    assert_eq!(
        batch_ids,
        (0..8).collect::<Vec<u64>>(),
        "batch ids continue across restarts"
    );
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the query id is kept in the checkpoint"
    );
    let metadata = std::fs::read_to_string(checkpoint.path().join("metadata")).unwrap();
    assert!(metadata.starts_with("v1\n{\"id\":"), "{metadata}");
}

#[test]
fn a_batch_that_was_not_committed_is_rerun_with_the_same_input_and_state() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    copy_inputs(input.path(), 0..3);
    let table = MemorySink::named("recovery_per_user");
    let first = common::run_available_now(
        PerUser::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .complete()
            .to(table.clone())
            .checkpoint(checkpoint.path()),
    );
    let rows_of_batch_2 = first.recent_progress()[2].num_input_rows;
    let expected = table.rows::<PerUserRow>().unwrap();
    drop(first);
    // A crash after the offsets of batch 2 were written but before its commit: the commit and
    // the state it produced are gone, and a new file has arrived meanwhile.
    std::fs::remove_file(checkpoint.path().join("commits/2")).unwrap();
    std::fs::remove_file(checkpoint.path().join("state/0/0/3.delta")).unwrap();
    copy_inputs(input.path(), 3..4);
    let sink = CapturingSink::default();
    let second = common::run_available_now(
        PerUser::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone())
            .checkpoint(checkpoint.path()),
    );
    let progress = second.recent_progress();
    // Batch 2 again, reading exactly the file it read before (not the new one), then batch 3.
    assert_eq!(progress.iter().map(|p| p.batch_id).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(progress[0].num_input_rows, rows_of_batch_2);
    let batches = sink.take();
    let mut rerun: Vec<(String, i64)> = PerUserRow::from_batch(&batches[0].1)
        .unwrap()
        .into_iter()
        .map(|r| (r.user_id, r.events))
        .collect();
    let mut before: Vec<(String, i64)> = expected.into_iter().map(|r| (r.user_id, r.events)).collect();
    rerun.sort();
    before.sort();
    assert_eq!(
        rerun, before,
        "the re-run batch starts from the state of batch 1 and gives the same table"
    );
}

/// A checkpoint written by `PerUser` in complete mode over one input file.
fn checkpoint_of_per_user() -> (tempfile::TempDir, tempfile::TempDir) {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    copy_inputs(input.path(), 0..1);
    common::run_available_now(
        PerUser::read(JsonSource::new(input.path()))
            .complete()
            .to(MemorySink::named("r1"))
            .checkpoint(checkpoint.path()),
    );
    (input, checkpoint)
}

#[test]
fn a_checkpoint_of_another_query_is_refused() {
    let (input, checkpoint) = checkpoint_of_per_user();
    let error = Hourly::read(JsonSource::new(input.path()))
        .append()
        .to(MemorySink::named("r2"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    assert!(matches!(error, Error::CheckpointMismatch { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("was written by query `PerUser`"), "{message}");
    // What changed: both plans.
    assert!(
        message.contains(&format!("plan then:\n{}", PerUser::explain())),
        "{message}"
    );
    assert!(
        message.contains(&format!("plan now:\n{}", Hourly::explain())),
        "{message}"
    );
}

#[test]
fn a_restart_with_another_output_mode_is_refused() {
    let (input, checkpoint) = checkpoint_of_per_user();
    let error = PerUser::read(JsonSource::new(input.path()))
        .update()
        .to(MemorySink::named("r6"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot change the output mode from `complete` to `update`"),
        "{error}"
    );
}

#[test]
fn a_second_query_on_a_checkpoint_in_use_is_refused() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let running = PerUser::read(JsonSource::new(input.path()))
        .complete()
        .to(MemorySink::named("r3"))
        .trigger(Trigger::processing_time(Duration::from_millis(20)))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap();
    let error = PerUser::read(JsonSource::new(input.path()))
        .complete()
        .to(MemorySink::named("r4"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    assert!(matches!(error, Error::CheckpointInUse { .. }), "{error}");
    running.stop();
}

#[test]
fn offsets_and_commits_are_written_in_spark_s_layout() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    copy_inputs(input.path(), 0..2);
    let (query, _) = run_hourly(input.path(), Some(checkpoint.path()));
    let read = |path: &str| std::fs::read_to_string(checkpoint.path().join(path)).unwrap();
    let offsets: Value = serde_json::from_str(read("offsets/1").strip_prefix("v1\n").unwrap()).unwrap();
    assert_eq!(offsets["sourceOffsets"], serde_json::json!([{"logOffset": 1}]));
    assert!(offsets["batchWatermarkMs"].is_i64());
    let log: Value = serde_json::from_str(read("sources/0/1").strip_prefix("v1\n").unwrap()).unwrap();
    assert!(log["files"][0].as_str().unwrap().ends_with("part-002.json"));
    assert!(read("commits/1").starts_with("v1\n{\"nextBatchWatermarkMs\":"));
    // Each operator's state as Spark's state stores lay it out: a delta per batch, its version
    // one past the batch's id.
    let state = std::fs::read(checkpoint.path().join("state/0/0/2.delta")).unwrap();
    assert!(state.starts_with(b"RILLSTAT"));
    assert!(query.last_progress().unwrap().duration_ms.contains_key("walCommit"));
}

/// As in Spark, the trigger's time includes writing the checkpoint: every phase, the commit
/// included, fits inside `triggerExecution`, and each stateful operator reports the time its
/// state took to write (`commitTimeMs`, a field of every report). The write-ahead log is
/// written while the batch runs (`walCommit` overlaps `addBatch`); the commit follows it.
#[test]
fn trigger_execution_includes_the_checkpoint_commit() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    copy_inputs(input.path(), 0..3);
    let (query, _) = run_hourly(input.path(), Some(checkpoint.path()));
    let progress = query.recent_progress();
    assert!(!progress.is_empty());
    for report in &progress {
        let phase = |name: &str| report.duration_ms.get(name).copied().unwrap_or(0);
        let phases = phase("addBatch") + phase("commitOffsets");
        assert!(
            phase("walCommit") <= phase("triggerExecution"),
            "{:?}",
            report.duration_ms
        );
        assert!(
            report.duration_ms.contains_key("commitOffsets"),
            "{:?}",
            report.duration_ms
        );
        // Each phase is timed whole within the trigger, so their sum cannot exceed it (each is
        // rounded down to a millisecond, which can only lower the sum).
        assert!(phases <= phase("triggerExecution"), "{:?}", report.duration_ms);
        assert_eq!(report.batch_duration, phase("triggerExecution"));
        let json: Value = serde_json::from_str(&report.json()).unwrap();
        assert!(json["stateOperators"][0]["commitTimeMs"].is_u64());
        assert!(report.state_operators[0].commit_time_ms <= phase("commitOffsets"));
    }
}
