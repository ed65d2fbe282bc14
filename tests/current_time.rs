//! `current_timestamp()` and `current_date()` are fixed per micro-batch, as in Spark: every row
//! of a batch gets the batch's timestamp, which the offset log records (`batchTimestampMs`), and
//! a batch re-run after a restart gets the same value again, not the time of the re-run.

use crate::common;

use std::path::Path;

use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String }

    query Stamped(raw: Event) {
        raw.select(event_id, at = current_timestamp(), day = current_date(), later = now() + interval("1 day"))
    }
}

/// Batch `batch`'s timestamp in the offset log, in microseconds.
fn logged_micros(checkpoint: &Path, batch: u64) -> i64 {
    let text = std::fs::read_to_string(checkpoint.join("offsets").join(batch.to_string())).unwrap();
    let metadata: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    metadata["batchTimestampMs"].as_i64().unwrap() * 1000
}

fn run(input: &Path, checkpoint: &Path, sink: &common::CapturingSink) -> Vec<(u64, StampedRow)> {
    common::run_available_now(
        Stamped::read(JsonSource::new(input).max_files_per_trigger(1))
            .append()
            .to(sink.clone())
            .checkpoint(checkpoint),
    );
    sink.take()
        .into_iter()
        .flat_map(|(batch, rows)| {
            StampedRow::from_batch(&rows)
                .unwrap()
                .into_iter()
                .map(move |row| (batch, row))
        })
        .collect()
}

#[test]
fn every_row_of_a_batch_gets_the_batch_timestamp_of_the_offset_log() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    common::write_file(
        input.path(),
        "a.json",
        &[r#"{"event_id": "a1"}"#, r#"{"event_id": "a2"}"#],
        0,
    );
    common::write_file(input.path(), "b.json", &[r#"{"event_id": "b1"}"#], 1);
    let sink = common::CapturingSink::default();
    let rows = run(input.path(), checkpoint.path(), &sink);
    assert_eq!(rows.len(), 3);
    for (batch, row) in &rows {
        assert_eq!(row.at.micros(), logged_micros(checkpoint.path(), *batch), "{row:?}");
        assert_eq!(row.day, row.at.date());
        assert_eq!(row.later.unwrap().micros() - row.at.micros(), 86_400_000_000);
    }
    assert_eq!(rows[0].1.at, rows[1].1.at, "one value for a batch");
    assert!(rows[2].1.at >= rows[0].1.at);
}

#[test]
fn a_batch_run_again_after_a_restart_keeps_its_timestamp() {
    let input = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    common::write_file(input.path(), "a.json", &[r#"{"event_id": "a1"}"#], 0);
    let sink = common::CapturingSink::default();
    let first = run(input.path(), checkpoint.path(), &sink);
    // As if the query had stopped after writing batch 0's offsets, before committing it.
    std::fs::remove_file(checkpoint.path().join("commits").join("0")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = run(input.path(), checkpoint.path(), &sink);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, 0, "batch 0 runs again");
    assert_eq!(again[0].1.at, first[0].1.at);
}
