//! The seed notebook's sections 2.4 to 2.7, checked against the output of real Spark 4.3
//! (`golden/seed_2_4.txt`, `golden/seed_2_6.txt`, `golden/seed_2_7.txt`, produced by `golden/spark/seed.py`).

use crate::common;

use rill::prelude::*;
use rill::show::{Truncate, show_string};

rill::stream! {
    schema Event {
        event_id: String,
        user_id: String,
        event_type: String,
        event_time: String,
        amount: f64,
    }

    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
    /// Section 2.6: events and spend per hour and event type, under a 10-minute watermark.
    query EventsByHour(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
           .select(hour = date_format(window.start, "yyyy-MM-dd HH:mm"), event_type, events, amount)
    }
    /// Section 2.7: the events as they are, for a Parquet file sink.
    query EventsToParquet(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .select(event_id, user_id, event_type, event_time, amount)
    }
}

const BATCH_001: [&str; 3] = [
    r#"{"event_id": "e001", "user_id": "u01", "event_type": "view", "event_time": "2026-01-01 09:00:00", "amount": 0.0}"#,
    r#"{"event_id": "e002", "user_id": "u01", "event_type": "purchase", "event_time": "2026-01-01 09:04:00", "amount": 24.5}"#,
    r#"{"event_id": "e003", "user_id": "u02", "event_type": "view", "event_time": "2026-01-01 09:05:00", "amount": 0.0}"#,
];
const BATCH_002: [&str; 3] = [
    r#"{"event_id": "e004", "user_id": "u02", "event_type": "purchase", "event_time": "2026-01-01 09:08:00", "amount": 11.25}"#,
    r#"{"event_id": "e005", "user_id": "u03", "event_type": "view", "event_time": "2026-01-01 10:01:00", "amount": 0.0}"#,
    r#"{"event_id": "e006", "user_id": "u03", "event_type": "purchase", "event_time": "2026-01-01 10:03:00", "amount": 63.0}"#,
];

fn run_seed_query(table_name: &str) -> (StreamingQuery, MemorySink) {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "batch-001.json", &BATCH_001, 1);
    common::write_file(dir.path(), "batch-002.json", &BATCH_002, 2);
    let table = MemorySink::named(table_name);
    let query = common::run_available_now(
        SpendByUser::read(JsonSource::new(dir.path()))
            .complete()
            .to(table.clone()),
    );
    (query, table)
}

#[test]
fn section_2_4_table_is_spark_s_table() {
    let (_query, table) = run_seed_query("seed_2_4");
    let mut rows: Vec<SpendByUserRow> = table.rows().unwrap();
    rows.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    let batch = <SpendByUserRow as Row>::to_batch(&rows).unwrap();
    // `show()` prints `showString` and a newline.
    let printed = show_string(&[batch], 20, Truncate::Default) + "\n";
    assert_eq!(printed, include_str!("golden/seed_2_4.txt"));
    let expected = [("u01", 2, 24.5), ("u02", 2, 11.25), ("u03", 2, 63.0)];
    let got: Vec<(&str, i64, f64)> = rows
        .iter()
        .map(|r| (r.user_id.as_str(), r.events, r.total_amount))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn section_2_5_progress_counts_six_input_rows_in_one_batch_like_spark() {
    let (query, _table) = run_seed_query("seed_2_5");
    let progress = query.recent_progress();
    assert_eq!(progress.iter().map(|p| p.num_input_rows).sum::<u64>(), 6);
    // Spark's available-now run read both files in one batch (see golden/seed_progress.json).
    assert_eq!(progress.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&progress[0].json()).unwrap();
    assert_eq!(json["batchId"], 0);
    assert_eq!(json["numInputRows"], 6);
    assert_eq!(json["name"], "SpendByUser");
    assert_eq!(json["id"], query.id().to_string());
    assert_eq!(json["runId"], query.run_id().to_string());
    assert!(
        json["sources"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with("FileStreamSource[file:")
    );
    assert_eq!(json["sources"][0]["startOffset"], serde_json::Value::Null);
    assert_eq!(json["sources"][0]["endOffset"], serde_json::json!({"logOffset": 0}));
    assert_eq!(json["sink"]["description"], "MemorySink");
    assert_eq!(json["sink"]["numOutputRows"], 3);
    assert_eq!(json["stateOperators"][0]["numRowsTotal"], 3);
    assert_eq!(json["stateOperators"][0]["numRowsUpdated"], 3);
    for phase in ["latestOffset", "getBatch", "addBatch", "triggerExecution"] {
        assert!(json["durationMs"][phase].is_u64(), "durationMs.{phase} missing: {json}");
    }
    assert!(json["processedRowsPerSecond"].is_number());
    // Like Spark, the first batch's input rate is 0 (no previous trigger to measure from),
    // and a query without a watermark reports no event time.
    assert_eq!(json["inputRowsPerSecond"], 0.0);
    assert!(json.get("eventTime").is_none());
    assert_eq!(query.last_progress().unwrap(), progress[0]);
    assert!(!query.is_active());
}

#[test]
fn explain_shows_the_pruned_plan() {
    let (query, _table) = run_seed_query("seed_explain");
    assert_eq!(query.explain(), SpendByUser::explain());
    assert!(
        query.explain().contains("Scan Event [user_id: String, amount: f64]"),
        "{}",
        query.explain()
    );
    assert!(
        query.explain().contains("Aggregate keys=[user_id]"),
        "{}",
        query.explain()
    );
}

#[test]
fn memory_table_is_found_by_name() {
    let (_query, _table) = run_seed_query("seed_by_name");
    let table = rill::memory_table("seed_by_name").unwrap();
    assert_eq!(table.num_rows(), 3);
    assert_eq!(table.snapshot().unwrap().num_rows(), 3);
}

#[test]
fn section_2_6_windowed_table_is_spark_s_table() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "batch-001.json", &BATCH_001, 1);
    common::write_file(dir.path(), "batch-002.json", &BATCH_002, 2);
    let table = MemorySink::named("seed_2_6");
    let query = common::run_available_now(
        EventsByHour::read(JsonSource::new(dir.path()))
            .complete()
            .to(table.clone()),
    );
    let mut rows: Vec<EventsByHourRow> = table.rows().unwrap();
    rows.sort_by(|a, b| (&a.hour, &a.event_type).cmp(&(&b.hour, &b.event_type)));
    let batch = <EventsByHourRow as Row>::to_batch(&rows).unwrap();
    let printed = show_string(&[batch], 20, Truncate::Never) + "\n";
    assert_eq!(printed, include_str!("golden/seed_2_6.txt"));
    // One batch, as in Spark; complete mode keeps every window, and nothing was late.
    let progress = query.recent_progress();
    assert_eq!(progress.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&progress[0].json()).unwrap();
    assert_eq!(json["eventTime"]["watermark"], "1970-01-01T00:00:00.000Z");
    assert_eq!(json["eventTime"]["min"], "2026-01-01T09:00:00.000Z");
    assert_eq!(json["eventTime"]["max"], "2026-01-01T10:03:00.000Z");
    assert_eq!(json["stateOperators"][0]["numRowsDroppedByWatermark"], 0);
    assert!(
        EventsByHour::explain().contains("EventTimeWatermark event_time, delay 10m"),
        "{}",
        EventsByHour::explain()
    );
}

#[test]
fn section_2_7_parquet_output_read_back_is_spark_s_table() {
    let input = tempfile::tempdir().unwrap();
    common::write_file(input.path(), "batch-001.json", &BATCH_001, 1);
    common::write_file(input.path(), "batch-002.json", &BATCH_002, 2);
    let output = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    common::run_available_now(
        EventsToParquet::read(JsonSource::new(input.path()))
            .append()
            .to(rill::sink::FileSink::parquet(output.path()))
            .checkpoint(checkpoint.path()),
    );
    // Read back with the parquet crate's Arrow reader, following the `_spark_metadata` log.
    let mut rows: Vec<EventsToParquetRow> = Vec::new();
    for batch in rill::sink::read_parquet_output(output.path()).unwrap() {
        rows.extend(EventsToParquetRow::from_batch(&batch).unwrap());
    }
    rows.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    let batch = <EventsToParquetRow as Row>::to_batch(&rows).unwrap();
    let printed = show_string(&[batch], 20, Truncate::Never) + "\n";
    assert_eq!(printed, include_str!("golden/seed_2_7.txt"));
    let log = std::fs::read_to_string(output.path().join("_spark_metadata/0")).unwrap();
    assert!(log.starts_with("v1\n{"), "{log}");
}
