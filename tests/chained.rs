//! Chained stateful operators, as Spark runs them since 3.4: a deduplication, an aggregation
//! or a stream–stream join before an aggregation, the watermark passed on between them.

use crate::common;

use common::{CapturingSink, write_file};
use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use rill::stateful::{KeyState, ProcessorResult, StateHandle, StatefulProcessor, ValueState};

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

    /// Spark's `window_window` golden: five-minute windows per user, then hours of them.
    query HourlyOfFiveMinutes(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count(), total = sum(amount))
              .group_by(window(window_time(window), "1 hour"))
              .agg(windows = count(), events = sum(n), max_total = max(total))
    }

    schema Impression { imp_id: String, ad: String, imp_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp }

    /// Spark's `join_window_count` golden.
    query JoinedPerWindow(impressions: Impression, clicks: Click) {
        impressions.with_watermark(imp_time, "10 minutes")
            .join(
                clicks.with_watermark(click_time, "10 minutes"),
                ad == c_ad && click_time >= imp_time && click_time <= imp_time + interval("5 minutes")
            )
            .group_by(window(imp_time, "10 minutes"))
            .agg(count = count())
    }

    /// Spark's `join_window_count_offset_windows` golden: windows a millisecond earlier, which
    /// pins the join's output watermark to the millisecond.
    query JoinedPerOffsetWindow(impressions: Impression, clicks: Click) {
        impressions.with_watermark(imp_time, "10 minutes")
            .join(
                clicks.with_watermark(click_time, "10 minutes"),
                ad == c_ad && click_time >= imp_time && click_time <= imp_time + interval("5 minutes")
            )
            .group_by(window(imp_time, "10 minutes", "10 minutes", "599999 milliseconds"))
            .agg(count = count())
    }

    schema Sale { user: String, event_time: Timestamp, amount: i64 }

    /// Spark's `session_window_then_window` golden: sessions per user, then half hours of them.
    query SessionsPerHalfHour(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(session_window(event_time, "5 minutes"), user)
              .agg(n = count())
              .group_by(window(window_time(session_window), "30 minutes"))
              .agg(sessions = count(), events = sum(n))
    }

    /// `HourlyOfFiveMinutes`, keeping the rows its first aggregation drops as late.
    query HourlyKeepingLate(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .keep_late_rows()
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count(), total = sum(amount))
              .group_by(window(window_time(window), "1 hour"))
              .agg(windows = count(), events = sum(n), max_total = max(total))
    }

    /// The five-minute windows of `HourlyOfFiveMinutes`' first stage, grouped as they are.
    query UsersPerWindow(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count(), total = sum(amount))
              .group_by(window)
              .agg(users = count(), events = sum(n))
    }

    /// Spark's `window_time_select` golden: each window's last instant.
    query WindowTimes(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count())
              .select(wt = window_time(window), n)
    }

    schema Counted { user: String, t: Timestamp, seen: i64, amount: i64 }

    /// Spark's `tws_event_time_window_count` golden: a processor whose output column `t`
    /// carries the event time on to a windowed count.
    query RunningCountsPerWindow(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(user)
              .transform_with_state(RunningCount, EventTime, input = Sale, output = Counted, event_time = t)
              .group_by(window(t, "10 minutes"))
              .agg(rows = count(), max_seen = max(seen), total = sum(amount))
    }

    /// A processor that emits rows an hour before their event time, so before the watermark.
    query HourEarlierPerWindow(events: Sale) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(user)
              .transform_with_state(HourEarlier, EventTime, input = Sale, output = Counted, event_time = t)
              .group_by(window(t, "10 minutes"))
              .agg(rows = count())
    }

    query UniqueCounts(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .drop_duplicates(event_id, event_time)
              .group_by(window(event_time, "10 minutes"))
              .agg(events = count())
    }
}

const SEEN: ValueState<i64> = ValueState::new("seen");

/// The golden's `RunningCount`: a user's rows of a batch, by event time then amount, each
/// emitted with how many rows of the user it has seen.
#[derive(Debug, Default)]
pub struct RunningCount;

impl StatefulProcessor for RunningCount {
    type Key = String;
    type Input = Sale;
    type Output = Counted;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&SEEN);
    }

    fn handle_input_rows(
        &mut self,
        user: &String,
        mut rows: Vec<Sale>,
        state: &mut KeyState<'_, Counted>,
    ) -> ProcessorResult {
        rows.sort_by_key(|row| (row.event_time, row.amount));
        let mut seen = state.value(&SEEN).get()?.unwrap_or(0);
        for row in rows {
            seen += 1;
            state.value(&SEEN).set(&seen)?;
            state.emit(Counted {
                user: user.clone(),
                t: row.event_time,
                seen,
                amount: row.amount,
            });
        }
        Ok(())
    }
}

/// Emits each row an hour before its event time: Spark's `EMITTING_ROWS_OLDER_THAN_WATERMARK_NOT_ALLOWED` case.
#[derive(Debug, Default)]
pub struct HourEarlier;

impl StatefulProcessor for HourEarlier {
    type Key = String;
    type Input = Sale;
    type Output = Counted;

    fn init(&mut self, _handle: &mut StateHandle<'_>) {}

    fn handle_input_rows(
        &mut self,
        user: &String,
        rows: Vec<Sale>,
        state: &mut KeyState<'_, Counted>,
    ) -> ProcessorResult {
        for row in rows {
            state.emit(Counted {
                user: user.clone(),
                t: Timestamp::from_micros(row.event_time.micros() - 3_600_000_000),
                seen: 0,
                amount: row.amount,
            });
        }
        Ok(())
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

/// Runs `writer` in append mode over the golden's inputs (a source per input directory,
/// reading a file per batch) and compares every batch with Spark's `golden`: rows, rows read,
/// the watermark, and each operator's name, state rows and late rows, listed from the sink as
/// Spark lists them, with its updated and removed rows.
fn assert_chain_matches_spark<Q: rill::StreamPlan + rill::SupportsAppend>(
    golden: &str,
    writer: impl FnOnce(&mut dyn FnMut(&str) -> JsonSource) -> rill::DataStreamWriter<Q>,
    rows: impl Fn(&RecordBatch) -> Vec<serde_json::Value>,
) {
    common::assert_operators_match_spark(GOLDEN, golden, |source| writer(source).append(), rows);
}

/// A window as Spark's golden files write it.
fn window(window: rill::Window) -> serde_json::Value {
    serde_json::json!({"start": window.start.micros(), "end": window.end.micros()})
}

#[test]
fn deduplication_then_windowed_count_matches_spark() {
    assert_chain_matches_spark(
        "dedup_window_count",
        |source| DedupThenCount::read(source("dedup")),
        |batch| {
            DedupThenCountRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.count]))
                .collect()
        },
    );
}

#[test]
fn deduplication_within_watermark_then_windowed_count_matches_spark() {
    assert_chain_matches_spark(
        "dedup_within_watermark_window_count",
        |source| DedupWithinWatermarkThenCount::read(source("dedup")),
        |batch| {
            DedupWithinWatermarkThenCountRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.count]))
                .collect()
        },
    );
}

#[test]
fn windowed_aggregation_then_hourly_windows_matches_spark() {
    assert_chain_matches_spark(
        "window_window",
        |source| HourlyOfFiveMinutes::read(source("events")),
        |batch| {
            HourlyOfFiveMinutesRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.windows, r.events, r.max_total]))
                .collect()
        },
    );
}

fn joined_per_window_rows(batch: &RecordBatch) -> Vec<serde_json::Value> {
    JoinedPerWindowRow::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| serde_json::json!([window(r.window), r.count]))
        .collect()
}

#[test]
fn stream_join_then_windowed_count_matches_spark() {
    assert_chain_matches_spark(
        "join_window_count",
        |source| JoinedPerWindow::read(source("impressions"), source("clicks")),
        joined_per_window_rows,
    );
}

#[test]
fn the_join_passes_on_its_state_watermark_to_the_millisecond() {
    assert_chain_matches_spark(
        "join_window_count_offset_windows",
        |source| JoinedPerOffsetWindow::read(source("impressions"), source("clicks")),
        |batch| {
            JoinedPerOffsetWindowRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.count]))
                .collect()
        },
    );
}

#[test]
fn stream_join_then_windowed_count_in_update_mode_matches_spark() {
    common::assert_operators_match_spark(
        GOLDEN,
        "join_window_count_update",
        |source| JoinedPerWindow::read(source("impressions"), source("clicks")).update(),
        joined_per_window_rows,
    );
}

#[test]
fn window_time_is_the_windows_last_microsecond_as_in_spark() {
    assert_chain_matches_spark(
        "window_time_select",
        |source| WindowTimes::read(source("events")),
        |batch| {
            WindowTimesRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([r.wt.micros(), r.n]))
                .collect()
        },
    );
}

#[test]
fn session_windows_then_windows_match_spark() {
    assert_chain_matches_spark(
        "session_window_then_window",
        |source| SessionsPerHalfHour::read(source("events")),
        |batch| {
            SessionsPerHalfHourRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.sessions, r.events]))
                .collect()
        },
    );
}

#[test]
fn a_processor_carrying_the_event_time_feeds_a_windowed_count_as_in_spark() {
    assert_chain_matches_spark(
        "tws_event_time_window_count",
        |source| RunningCountsPerWindow::read(source("events")),
        |batch| {
            RunningCountsPerWindowRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.rows, r.max_seen, r.total]))
                .collect()
        },
    );
}

#[test]
fn a_processor_row_before_the_watermark_stops_the_query_as_in_spark() {
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/events"), input.path());
    let sink = CapturingSink::default();
    let query = HourEarlierPerWindow::read(JsonSource::new(input.path()).max_files_per_trigger(1))
        .append()
        .to(sink.clone())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    // Spark fails in batch 2, whose rows an hour back are before the previous watermark (10:16).
    assert!(
        error.contains("EMITTING_ROWS_OLDER_THAN_WATERMARK_NOT_ALLOWED"),
        "{error}"
    );
    assert!(error.contains("\"u"), "names the key: {error}");
    assert_eq!(query.last_progress().map(|p| p.batch_id), Some(1), "{error}");
    let delivered: Vec<u64> = sink.take().iter().map(|(id, _)| *id).collect();
    assert_eq!(delivered, [0, 1], "the batches before the late row are delivered");
}

#[test]
fn explain_draws_the_upstream_stage_under_the_downstream() {
    let explain = HourlyOfFiveMinutes::explain();
    let lines: Vec<&str> = explain.lines().collect();
    let position = |text: &str| {
        lines
            .iter()
            .position(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no `{text}` in\n{explain}"))
    };
    let hourly = position("Aggregate keys=[window(window_time, 1h");
    let five_minutes = position("Aggregate keys=[window(event_time, 5m");
    assert!(hourly < position("Compute [window_time = window_time(window)]"));
    assert!(position("Compute [window_time") < five_minutes, "{explain}");
    assert!(
        lines.last().unwrap().trim_start().starts_with("+- Scan Sale"),
        "{explain}"
    );
    // Each line one level deeper than the one before it: a chain, not siblings.
    let depths: Vec<usize> = lines[2..].iter().map(|line| line.find("+-").unwrap()).collect();
    assert!(depths.windows(2).all(|pair| pair[1] == pair[0] + 3), "{explain}");
    // Each input of a join scans its own columns, and only those the aggregation after it
    // reads (the join buffers no more).
    let joined = JoinedPerWindow::explain();
    assert!(
        joined.contains("Scan clicks: Click [c_ad: String, click_time: Timestamp]"),
        "{joined}"
    );
}

#[test]
fn an_aggregations_window_column_is_an_event_time_key_downstream() {
    // Grouped by the window itself, each window of the first stage is final when emitted, so the
    // second stage emits it in the same batch: Spark's first stage alone, its users counted.
    let expected = common::golden_json(GOLDEN, "expected/window_stage1_only.json");
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/events"), input.path());
    let sink = CapturingSink::default();
    common::run_available_now(
        UsersPerWindow::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let got: Vec<(u64, Vec<serde_json::Value>)> = sink
        .take()
        .into_iter()
        .map(|(id, batch)| {
            let rows = UsersPerWindowRow::from_batch(&batch)
                .unwrap()
                .into_iter()
                .map(|r| serde_json::json!([window(r.window), r.users, r.events]))
                .collect();
            (id, common::sorted(rows))
        })
        .collect();
    let want: Vec<(u64, Vec<serde_json::Value>)> = expected["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| {
            // Stage one's rows are (window, user, n, total): count the users of each window.
            let mut per_window: std::collections::BTreeMap<String, (serde_json::Value, i64, i64)> =
                std::collections::BTreeMap::new();
            for row in batch["rows"].as_array().unwrap() {
                let entry = per_window.entry(row[0].to_string()).or_insert((row[0].clone(), 0, 0));
                entry.1 += 1;
                entry.2 += row[2].as_i64().unwrap();
            }
            let rows = per_window
                .into_values()
                .map(|(window, users, events)| serde_json::json!([window, users, events]))
                .collect();
            (batch["batch_id"].as_u64().unwrap(), common::sorted(rows))
        })
        .collect();
    assert!(
        want.iter().any(|(_, rows)| rows.len() > 1),
        "the golden has windows to group"
    );
    assert_eq!(got, want);
}

#[test]
fn a_chain_keeps_the_rows_its_first_operator_drops_as_late() {
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/events"), input.path());
    let (sink, late) = (CapturingSink::default(), CapturingSink::default());
    common::run_available_now(
        HourlyKeepingLate::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone())
            .late_rows_to(late.clone()),
    );
    let late: Vec<(u64, String, String)> = late
        .take()
        .iter()
        .flat_map(|(batch_id, batch)| {
            HourlyKeepingLateLateRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(move |row| (*batch_id, row.user, row.event_time.to_string()))
        })
        .collect();
    // The golden's README: stage one drops u1 10:13 in batch 2 and u3 10:57 in batch 4.
    assert_eq!(
        late,
        [
            (2, "u1".to_owned(), "2026-03-01 10:13:00".to_owned()),
            (4, "u3".to_owned(), "2026-03-01 10:57:00".to_owned()),
        ]
    );
    let emitted: usize = sink.take().iter().map(|(_, batch)| batch.num_rows()).sum();
    assert_eq!(emitted, 3, "the hours Spark emits");
}
