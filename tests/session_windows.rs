//! Session windows: rows of a key closer than the gap form one session, and a later row can
//! merge sessions across batches.

use crate::common;

use common::{CapturingSink, write_file};
use rill::prelude::*;

rill::stream! {
    schema Click { user_id: String, event_time: String, amount: f64 }

    query Sessions(raw: Click) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(session_window(event_time, "10 minutes"), user_id)
           .agg(clicks = count(), amount = sum(amount))
    }

    schema Visit { user_id: String, event_time: String }

    /// Spark's dynamic gap: each row's gap computed from its columns.
    query GapPerUser(raw: Visit) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(
               session_window(
                   event_time,
                   when(user_id == "u1", "5 minutes")
                       .when(user_id == "u2", "10 minutes")
                       .when(user_id == "u3", "0 seconds")
                       .when(user_id == "u4", nullif("x", "x"))
                       .otherwise("2 minutes"),
               ),
               user_id,
           )
           .agg(count = count())
    }
}

fn click(user: &str, time: &str, amount: f64) -> String {
    format!(r#"{{"user_id": "{user}", "event_time": "2026-01-01 {time}", "amount": {amount}}}"#)
}

/// `first` and then `second` as two input files, read in that order.
fn write_two_files(dir: &std::path::Path, first: &[String], second: &[String]) {
    write_file(dir, "a.json", &first.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    write_file(dir, "b.json", &second.iter().map(String::as_str).collect::<Vec<_>>(), 2);
}

fn sessions(batch: &arrow_array::RecordBatch) -> Vec<(String, String, String, i64, f64)> {
    let mut rows: Vec<_> = SessionsRow::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.user_id,
                r.session_window.start.to_string(),
                r.session_window.end.to_string(),
                r.clicks,
                r.amount,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rows
}

fn row(user: &str, start: &str, end: &str, clicks: i64, amount: f64) -> (String, String, String, i64, f64) {
    (
        user.to_owned(),
        format!("2026-01-01 {start}"),
        format!("2026-01-01 {end}"),
        clicks,
        amount,
    )
}

#[test]
fn a_later_row_merges_two_sessions_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let first = [
        click("u1", "09:00:00", 1.0),
        click("u1", "09:05:00", 2.0),
        click("u1", "09:20:00", 4.0),
        click("u2", "09:02:00", 8.0),
    ];
    let second = [click("u1", "09:12:00", 16.0)];
    write_two_files(dir.path(), &first, &second);
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        Sessions::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let batches = sink.take();
    assert_eq!(batches.len(), 2);
    assert_eq!(
        sessions(&batches[0].1),
        [
            row("u1", "09:00:00", "09:15:00", 2, 3.0),
            row("u1", "09:20:00", "09:30:00", 1, 4.0),
            row("u2", "09:02:00", "09:12:00", 1, 8.0)
        ]
    );
    // 09:12 opens [09:12, 09:22), which overlaps both sessions of u1: they become one.
    assert_eq!(
        sessions(&batches[1].1),
        [
            row("u1", "09:00:00", "09:30:00", 4, 23.0),
            row("u2", "09:02:00", "09:12:00", 1, 8.0)
        ]
    );
    let state = &query.last_progress().unwrap().state_operators[0];
    assert_eq!((state.num_rows_total, state.num_rows_updated), (2, 1));
}

#[test]
fn append_mode_emits_a_session_once_the_watermark_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = [
        click("u1", "09:00:00", 1.0),
        click("u1", "09:05:00", 2.0),
        click("u2", "09:02:00", 8.0),
    ];
    let second = [click("u1", "10:00:00", 4.0)];
    write_two_files(dir.path(), &first, &second);
    let sink = CapturingSink::default();
    common::run_available_now(
        Sessions::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let emitted: Vec<(u64, Vec<_>)> = sink.take().iter().map(|(id, batch)| (*id, sessions(batch))).collect();
    // Batch 1 runs with watermark 08:55 (09:05 - 10 min): nothing closes. Its data moves the
    // watermark to 09:50, so the no-data batch 2 closes both 09:xx sessions; 10:00's stays open.
    assert_eq!(
        emitted,
        [
            (0, vec![]),
            (1, vec![]),
            (
                2,
                vec![
                    row("u1", "09:00:00", "09:15:00", 2, 3.0),
                    row("u2", "09:02:00", "09:12:00", 1, 8.0)
                ]
            )
        ]
    );
}

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query UserSessions(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(session_window(event_time, "10 minutes"), user_id)
           .agg(events = count(), amount = round(sum(amount), 2))
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/session_window");

/// Sessions as Spark's golden files hold them: `[start, end, user_id, events, amount]`.
fn golden_rows(batch: &arrow_array::RecordBatch) -> Vec<serde_json::Value> {
    UserSessionsRow::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| {
            serde_json::json!([
                r.session_window.start.to_string(),
                r.session_window.end.to_string(),
                r.user_id,
                r.events,
                r.amount
            ])
        })
        .collect()
}

/// Against Spark 4.3 (`golden/session_window/`): sessions merging across batches, a row
/// bridging two sessions, events exactly a gap apart, late rows, and the state metrics.
#[test]
fn session_windows_in_append_mode_match_spark() {
    let dir = common::golden_input(GOLDEN);
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        UserSessions::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let emitted = sink.take().iter().map(|(_, batch)| golden_rows(batch)).collect();
    common::assert_matches_spark(GOLDEN, "session_append.json", &query, emitted);
}

#[test]
fn session_windows_in_complete_mode_match_spark() {
    let dir = common::golden_input(GOLDEN);
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        UserSessions::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let emitted = sink.take().iter().map(|(_, batch)| golden_rows(batch)).collect();
    common::assert_matches_spark(GOLDEN, "session_complete.json", &query, emitted);
}

/// Each batch of `GapPerUser` in `mode` against Spark 4.3's (`golden/dynamic_session/`, written by
/// `make_dynamic_session_golden.py`): rows, input rows and watermark.
fn gap_per_row_matches_spark(mode: &str) {
    let golden_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/dynamic_session");
    let golden = common::golden_json(golden_dir, "expected.json");
    let spark = golden["modes"][mode].as_array().unwrap();
    let input = common::golden_input(golden_dir);
    let sink = CapturingSink::default();
    let source = JsonSource::new(input.path()).max_files_per_trigger(1);
    let query = if mode == "append" {
        common::run_available_now(GapPerUser::read(source).append().to(sink.clone()))
    } else {
        common::run_available_now(GapPerUser::read(source).complete().to(sink.clone()))
    };
    let batches = sink.take();
    let progress = query.recent_progress();
    assert_eq!(progress.len(), spark.len(), "{mode}: batches");
    for ((spark, ours), (_, rows)) in spark.iter().zip(&progress).zip(&batches) {
        assert_eq!(
            spark["num_input_rows"], ours.num_input_rows,
            "{mode} batch {}",
            ours.batch_id
        );
        assert_eq!(
            spark["watermark"].as_str(),
            ours.event_time.get("watermark").map(String::as_str)
        );
        let rows: Vec<serde_json::Value> = common::golden_objects(rows)
            .into_iter()
            .map(|o| {
                serde_json::json!([
                    o["session_window_start"],
                    o["session_window_end"],
                    o["user_id"],
                    o["count"]
                ])
            })
            .collect();
        assert_eq!(
            common::sorted(rows),
            common::sorted(spark["rows"].as_array().unwrap().clone()),
            "{mode} batch {}",
            ours.batch_id
        );
    }
}

#[test]
fn a_gap_computed_per_row_matches_spark_in_append_mode() {
    gap_per_row_matches_spark("append");
}

#[test]
fn a_gap_computed_per_row_matches_spark_in_complete_mode() {
    gap_per_row_matches_spark("complete");
}
