//! Chained stateful operators, as Spark runs them since 3.4: a deduplication before an
//! aggregation, with one watermark for both.

use crate::common;

use common::{CapturingSink, write_file};
use rill::arrow_array::RecordBatch;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user: String, event_time: Timestamp }

    /// Spark's `dedup_window_count` golden.
    query DedupThenCount(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .drop_duplicates(event_id, event_time)
              .group_by(window(event_time, "10 minutes"))
              .agg(count = count())
    }

    /// Spark's `dedup_within_watermark_window_count` golden.
    query DedupWithinWatermarkThenCount(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .drop_duplicates_within_watermark(event_id)
              .group_by(window(event_time, "10 minutes"))
              .agg(count = count())
    }

    query UniqueCounts(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .drop_duplicates(event_id, event_time)
              .group_by(window(event_time, "10 minutes"))
              .agg(events = count())
    }
}

fn event(id: &str, time: &str) -> String {
    format!(r#"{{"event_id": "{id}", "user": "u", "event_time": "2026-01-01T{time}"}}"#)
}

#[test]
fn a_deduplication_feeds_an_aggregation() {
    let dir = tempfile::tempdir().unwrap();
    let batches: [&[String]; 3] = [
        &[
            event("e1", "09:00:00"),
            event("e1", "09:00:00"),
            event("e2", "09:05:00"),
        ],
        // e1 again (a duplicate across batches); the watermark becomes 09:20.
        &[event("e1", "09:00:00"), event("e3", "09:30:00")],
        // The watermark is 09:20, which closes [09:00, 09:10); 08:50 is before the last batch's
        // (08:55): late, dropped by the deduplication.
        &[event("e4", "08:50:00"), event("e5", "09:45:00")],
    ];
    for (index, lines) in batches.iter().enumerate() {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        write_file(dir.path(), &format!("{index}.json"), &lines, index as u64);
    }
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        UniqueCounts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let got: Vec<(u64, Vec<(String, i64)>)> = sink
        .take()
        .iter()
        .map(|(id, batch)| {
            let rows = UniqueCountsRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| (r.window.start.to_string(), r.events))
                .collect();
            (*id, rows)
        })
        .collect();
    assert_eq!(got[2], (2, vec![("2026-01-01 09:00:00".to_owned(), 2)]));
    let progress = query.recent_progress();
    let third = &progress[2];
    let names: Vec<&str> = third.state_operators.iter().map(|s| s.operator_name.as_str()).collect();
    assert_eq!(names, ["stateStoreSave", "dedupe"]);
    // The deduplication drops the late row, so the aggregation never sees it.
    let dropped: Vec<u64> = third
        .state_operators
        .iter()
        .map(|s| s.num_rows_dropped_by_watermark)
        .collect();
    assert_eq!(dropped, [0, 1]);
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/chained");

/// Runs `writer` in append mode over the golden's `input/dedup` and compares every batch with
/// Spark's `golden`: rows, rows read, the watermark, and each operator's name, state rows and
/// late rows, listed from the sink as Spark lists them.
fn assert_chain_matches_spark<Q: rill::StreamPlan + rill::SupportsAppend>(
    golden: &str,
    writer: impl FnOnce(JsonSource) -> rill::DataStreamWriter<Q>,
    rows: impl Fn(&RecordBatch) -> Vec<serde_json::Value>,
) {
    let expected = common::golden_json(GOLDEN, &format!("expected/{golden}.json"));
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/dedup"), input.path());
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        writer(JsonSource::new(input.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let batches = sink.take();
    let spark_batches = expected["batches"].as_array().unwrap();
    assert_eq!(batches.len(), spark_batches.len(), "{golden}: batches");
    for ((batch_id, batch), spark) in batches.iter().zip(spark_batches) {
        assert_eq!(spark["batch_id"], *batch_id, "{golden}");
        assert_eq!(
            common::sorted(rows(batch)),
            common::sorted(spark["rows"].as_array().unwrap().clone()),
            "{golden}: rows of batch {batch_id}"
        );
    }
    for (ours, spark) in query
        .recent_progress()
        .iter()
        .zip(expected["batches"].as_array().unwrap())
    {
        let batch = ours.batch_id;
        assert_eq!(
            spark["num_input_rows"], ours.num_input_rows,
            "{golden}: rows read in batch {batch}"
        );
        let ours: serde_json::Value = serde_json::from_str(&ours.json()).unwrap();
        assert_eq!(
            ours["eventTime"]["watermark"], spark["event_time"]["watermark"],
            "{golden}: watermark of batch {batch}"
        );
        let operators = |list: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value, serde_json::Value)> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["operatorName"].clone(),
                        s["numRowsTotal"].clone(),
                        s["numRowsDroppedByWatermark"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(
            operators(&ours["stateOperators"]),
            operators(&spark["state_operators"]),
            "{golden}: operators of batch {batch}"
        );
    }
}

/// A window as Spark's golden files write it.
fn window(window: rill::Window) -> serde_json::Value {
    serde_json::json!({"start": window.start.micros(), "end": window.end.micros()})
}

#[test]
fn deduplication_then_windowed_count_matches_spark() {
    assert_chain_matches_spark("dedup_window_count", DedupThenCount::read, |batch| {
        DedupThenCountRow::from_batch(batch)
            .unwrap()
            .into_iter()
            .map(|r| serde_json::json!([window(r.window), r.count]))
            .collect()
    });
}

#[test]
fn deduplication_within_watermark_then_windowed_count_matches_spark() {
    assert_chain_matches_spark(
        "dedup_within_watermark_window_count",
        DedupWithinWatermarkThenCount::read,
        |batch| {
            DedupWithinWatermarkThenCountRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.count]))
                .collect()
        },
    );
}
