//! The statistical and picking aggregates inside `session_window`, against Spark 4.3 over three
//! micro-batches in append and complete mode (`golden/session_aggregates/`, written by
//! `make_session_aggregates_golden.py`; Spark refuses update mode for session windows, as Rill
//! does). Spark pre-aggregates a batch's rows per (key, event time), sorts them by time, and
//! folds them and the key's stored sessions into fresh buffers in order of session start (a
//! stored session before a row with the same start), as Rill does (`Sessions::settle`):
//! sessions extended earlier, bridged by a row, or fed rows out of time order, where `first`,
//! `last`, `max_by` ties and the moments' last bits show the order. Doubles are compared to the
//! bit.

use crate::common;

use std::path::Path;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Event { k: String, t: String, x: Option<f64>, s: Option<String> }

    query SessionAggregates(events: Event) {
        events.with_column(ts = to_timestamp(t))
            .with_watermark(ts, "10 minutes")
            .group_by(session_window(ts, "5 minutes"), k)
            .agg(
                n = count(), sd = stddev(x), vp = var_pop(x),
                f = first(s), fnn = first(s, true), l = last(s), lnn = last(s, true),
                mb = max_by(s, x), mn = min_by(s, x),
                d = approx_count_distinct(s), p50 = percentile_approx(x, 0.5),
                ba = bool_and(x > 1), bo = bool_or(x > 1),
            )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/session_aggregates");

/// The columns that identify a row: the key and its session.
const ROW_KEY: [&str; 3] = ["k", "session_window_start", "session_window_end"];

/// A row's key and session start, for sorting and for messages.
fn row_key(row: &serde_json::Map<String, Value>) -> (String, i64) {
    (
        row.get("k").and_then(Value::as_str).unwrap_or_default().to_owned(),
        row.get("session_window_start")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
    )
}

/// A session start as `HH:MM` (every input time is on 2026-01-01).
fn clock(micros: i64) -> String {
    let minutes = micros.rem_euclid(86_400_000_000) / 60_000_000;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The differences in `columns` between our batches and Spark's, one line each. Rows are
/// matched by position after sorting by (k, session start); the sessions themselves (key, start,
/// end) are always compared.
fn differences(batches: &[(u64, RecordBatch)], spark: &Value, columns: &[&str]) -> Vec<String> {
    let spark = spark.as_array().unwrap();
    let mut found = Vec::new();
    if batches.len() != spark.len() {
        found.push(format!("{} batches, Spark {}", batches.len(), spark.len()));
    }
    for ((batch_id, batch), spark) in batches.iter().zip(spark) {
        let mut ours = common::golden_objects(batch);
        ours.sort_by_key(row_key);
        let rows = spark["rows"].as_array().unwrap();
        if ours.len() != rows.len() {
            found.push(format!("batch {batch_id}: {} rows, Spark {}", ours.len(), rows.len()));
            continue;
        }
        for (ours, spark) in ours.iter().zip(rows) {
            let spark = spark.as_object().unwrap();
            let (key, start) = row_key(spark);
            for column in ROW_KEY.iter().chain(columns) {
                let expected = &spark[*column];
                let value = ours.get(*column).unwrap_or(&Value::Null);
                if !common::same_as_spark_repr(value, expected) {
                    found.push(format!(
                        "batch {batch_id}, k {key}, session from {}, `{column}`: Rill {value}, Spark {expected}",
                        clock(start)
                    ));
                }
            }
        }
    }
    found
}

/// Runs the query over the golden input in `mode`, one file per batch.
fn run(mode: &str) -> Vec<(u64, RecordBatch)> {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input"), dir.path());
    let sink = common::CapturingSink::default();
    let reader = SessionAggregates::read(JsonSource::new(dir.path()).max_files_per_trigger(1));
    if mode == "complete" {
        common::run_available_now(reader.complete().to(sink.clone()));
    } else {
        common::run_available_now(reader.append().to(sink.clone()));
    }
    sink.take()
}

/// `columns` in `mode` against Spark's.
fn check(mode: &str, columns: &[&str]) {
    let golden = common::golden_json(GOLDEN, "expected/session_aggregates.json");
    let found = differences(&run(mode), &golden[mode], columns);
    assert!(found.is_empty(), "{mode} {columns:?}:\n{}", found.join("\n"));
}

#[test]
fn spark_refuses_update_mode_for_session_windows() {
    // Rill's `SessionAggregates` has no `.update()` (not `SupportsUpdate`): the same refusal.
    let golden = common::golden_json(GOLDEN, "expected/session_aggregates.json");
    assert_eq!(
        golden["errors"]["update"]["condition"],
        "STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION"
    );
    assert!(golden.get("update").is_none());
}

#[test]
fn sessions_and_counts_match_spark_in_append_mode() {
    check("append", &["n"]);
}

#[test]
fn sessions_and_counts_match_spark_in_complete_mode() {
    check("complete", &["n"]);
}

#[test]
fn moments_match_spark_in_append_mode() {
    check("append", &["sd", "vp"]);
}

#[test]
fn moments_match_spark_in_complete_mode() {
    check("complete", &["sd", "vp"]);
}

#[test]
fn first_and_last_match_spark_in_append_mode() {
    check("append", &["f", "fnn", "l", "lnn"]);
}

#[test]
fn first_and_last_match_spark_in_complete_mode() {
    check("complete", &["f", "fnn", "l", "lnn"]);
}

#[test]
fn max_by_and_min_by_match_spark_in_append_mode() {
    check("append", &["mb", "mn"]);
}

#[test]
fn max_by_and_min_by_match_spark_in_complete_mode() {
    check("complete", &["mb", "mn"]);
}

#[test]
fn distinct_counts_match_spark_in_append_mode() {
    check("append", &["d"]);
}

#[test]
fn distinct_counts_match_spark_in_complete_mode() {
    check("complete", &["d"]);
}

#[test]
fn percentiles_match_spark_in_append_mode() {
    check("append", &["p50"]);
}

#[test]
fn percentiles_match_spark_in_complete_mode() {
    check("complete", &["p50"]);
}

#[test]
fn boolean_aggregates_match_spark_in_append_mode() {
    check("append", &["ba", "bo"]);
}

#[test]
fn boolean_aggregates_match_spark_in_complete_mode() {
    check("complete", &["ba", "bo"]);
}
