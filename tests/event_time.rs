//! Event-time windows and watermarks against real Spark 4.3: the data set and the expected
//! outputs, batch by batch, come from `golden/event_time/make_event_time_golden.py` (see its
//! README for the semantics they pin down). Eight files, one per trigger, with out-of-order
//! and late events; each test compares every batch's emitted rows, watermark, event-time
//! statistics and state metrics with Spark's.

use crate::common;

use common::CapturingSink;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Tumbling(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    query Sliding(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour", "20 minutes"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    query Dedup(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "30 minutes")
           .drop_duplicates(event_id, event_time)
           .select(event_id, event_time)
    }

    query DedupWithinWatermark(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "30 minutes")
           .drop_duplicates_within_watermark(event_id)
           .select(event_id, event_time)
    }

    query TumblingKeepingLate(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .keep_late_rows()
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    query TumblingOffset(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour", "1 hour", "15 minutes"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/event_time");

fn input_dir() -> tempfile::TempDir {
    common::golden_input(GOLDEN)
}

fn assert_matches_spark(golden: &str, query: &StreamingQuery, emitted: Vec<Vec<Value>>) {
    common::assert_matches_spark(GOLDEN, golden, query, emitted);
}

/// A window row as Spark's golden files hold it: `[start, end, event_type, events, amount]`.
macro_rules! window_rows {
    ($row:ty) => {
        |batch: &arrow_array::RecordBatch| -> Vec<Value> {
            <$row>::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| {
                    serde_json::json!([
                        r.window.start.to_string(),
                        r.window.end.to_string(),
                        r.event_type,
                        r.events,
                        r.amount
                    ])
                })
                .collect()
        }
    };
}

/// A deduplicated event as Spark's golden files hold it: `[event_id, event_time]`.
macro_rules! event_rows {
    ($row:ty) => {
        |batch: &arrow_array::RecordBatch| -> Vec<Value> {
            <$row>::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([r.event_id, r.event_time.map(|t| t.to_string())]))
                .collect()
        }
    };
}

macro_rules! golden_test {
    ($test:ident, $query:ident, $rows:expr, $mode:ident, $golden:literal) => {
        #[test]
        fn $test() {
            let dir = input_dir();
            let sink = CapturingSink::default();
            let query = common::run_available_now(
                $query::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
                    .$mode()
                    .to(sink.clone()),
            );
            let to_rows = $rows;
            let emitted: Vec<Vec<Value>> = sink.take().iter().map(|(_, batch)| to_rows(batch)).collect();
            assert_matches_spark($golden, &query, emitted);
        }
    };
}

golden_test!(
    tumbling_complete,
    Tumbling,
    window_rows!(TumblingRow),
    complete,
    "tumbling_complete.json"
);
golden_test!(
    tumbling_update,
    Tumbling,
    window_rows!(TumblingRow),
    update,
    "tumbling_update.json"
);
golden_test!(
    tumbling_append,
    Tumbling,
    window_rows!(TumblingRow),
    append,
    "tumbling_append.json"
);
golden_test!(
    sliding_complete,
    Sliding,
    window_rows!(SlidingRow),
    complete,
    "sliding_complete.json"
);
golden_test!(
    sliding_update,
    Sliding,
    window_rows!(SlidingRow),
    update,
    "sliding_update.json"
);
golden_test!(
    sliding_append,
    Sliding,
    window_rows!(SlidingRow),
    append,
    "sliding_append.json"
);
golden_test!(
    tumbling_offset_update,
    TumblingOffset,
    window_rows!(TumblingOffsetRow),
    update,
    "tumbling_offset_update.json"
);
golden_test!(
    dedup_with_watermark,
    Dedup,
    event_rows!(DedupRow),
    append,
    "dedup_with_watermark.json"
);
golden_test!(
    dedup_within_watermark,
    DedupWithinWatermark,
    event_rows!(DedupWithinWatermarkRow),
    append,
    "dedup_within_watermark.json"
);

#[test]
fn late_rows_go_to_their_own_sink() {
    let dir = input_dir();
    let sink = CapturingSink::default();
    let late = CapturingSink::default();
    let query = common::run_available_now(
        TumblingKeepingLate::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone())
            .late_rows_to(late.clone()),
    );
    // Keeping late rows changes nothing in the output, which is still Spark's.
    let to_rows = window_rows!(TumblingKeepingLateRow);
    let emitted: Vec<Vec<Value>> = sink.take().iter().map(|(_, batch)| to_rows(batch)).collect();
    assert_matches_spark("tumbling_append.json", &query, emitted);
    // The rows Spark dropped (its README lists them): e0094 in batch 3, a copy of e0045 in
    // batch 4, a copy of e0142 in batch 6 and e0190 in batch 7, with all their columns.
    let late_rows: Vec<(u64, String, String)> = late
        .take()
        .iter()
        .flat_map(|(batch_id, batch)| {
            TumblingKeepingLateLateRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(move |row| (*batch_id, row.event_id, row.event_time.unwrap().to_string()))
        })
        .collect();
    let expected = [
        (3, "e0094", "2026-01-01 09:27:59"),
        (4, "e0045", "2026-01-01 10:28:57"),
        (6, "e0142", "2026-01-01 11:01:37"),
        (7, "e0190", "2026-01-01 12:15:02"),
    ];
    let expected: Vec<(u64, String, String)> = expected
        .iter()
        .map(|(batch, id, time)| (*batch, (*id).to_owned(), (*time).to_owned()))
        .collect();
    assert_eq!(late_rows, expected);
}
