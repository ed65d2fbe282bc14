//! `group_by(..).transform_with_state(..)`: a user's stateful processor, run per key with value,
//! list and map state, a time to live and event-time timers.

use std::time::Duration;

use crate::common;

use common::{CapturingSink, write_file};
use rill::prelude::*;
use rill::stateful::{
    ExpiredTimer, HandlesInitialState, KeyState, ListState, MapState, ProcessorResult, StateHandle, StatefulProcessor,
    ValueState,
};
use serde::{Deserialize, Serialize};

rill::stream! {
    schema Click { user: String, page: String, event_time: Timestamp }

    schema ClosedSession {
        user: String,
        session_start: Timestamp,
        session_end: Timestamp,
        clicks: i64,
        distinct_pages: i64,
        top_page: String,
        session_number: i64,
    }

    query Sessions(clicks: Click) {
        clicks.with_watermark(event_time, "5 minutes")
              .group_by(user)
              .transform_with_state(Sessionizer, EventTime, input = Click, output = ClosedSession)
    }

    /// How many sessions each user had before the query started.
    schema SessionsBefore { user: String, sessions: i64 }

    /// The sessions, numbered from the counts of an initial state.
    query SessionsContinued(clicks: Click, before: static SessionsBefore) {
        clicks.with_watermark(event_time, "5 minutes")
              .group_by(user)
              .transform_with_state(Sessionizer, EventTime, input = Click, output = ClosedSession, initial = before)
    }

    schema Reminded { user: String }

    /// A processing-time timer per user.
    query Reminders(clicks: Click) {
        clicks.group_by(user).transform_with_state(Reminder, ProcessingTime, input = Click, output = Reminded)
    }

    /// Stateless steps on the processor's rows.
    query LongSessions(clicks: Click) {
        clicks.with_watermark(event_time, "5 minutes")
              .group_by(user)
              .transform_with_state(Sessionizer, EventTime, input = Click, output = ClosedSession)
              .filter(clicks > 1)
              .with_column(minutes = (unix_seconds(session_end) - unix_seconds(session_start)) / 60)
              .select(user, clicks, minutes, top = upper(top_page))
    }

    /// The same processor in processing time: each timer (at an event time long past) fires in
    /// the batch that registers it, so every session closes in the batch of its clicks.
    query SessionsNow(clicks: Click) {
        clicks.group_by(user)
              .transform_with_state(SessionizerWithTtl, ProcessingTime, input = Click, output = ClosedSession)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    start: Timestamp,
    last: Timestamp,
    clicks: i64,
}

const SESSION: ValueState<Session> = ValueState::new("session");
const PAGES: ListState<String> = ListState::new("pages");
const PAGE_COUNTS: MapState<String, i64> = MapState::new("page_counts");
const SESSIONS_SEEN: ValueState<i64> = ValueState::new("sessions_seen");
/// The same, living 20 seconds of processing time (Spark allows a time to live in processing
/// time only).
const SESSIONS_SEEN_FOR_20_SECONDS: ValueState<i64> = SESSIONS_SEEN.with_ttl(Duration::from_secs(20));
const GAP: i64 = 10 * 60_000_000;

/// Closes a user's session 10 minutes (event time) after its last click, as the Spark golden's
/// processor does; with `TTL`, its count of sessions lives 20 seconds.
#[derive(Debug, Default)]
pub struct SessionizerOf<const TTL: bool>;

pub type Sessionizer = SessionizerOf<false>;
pub type SessionizerWithTtl = SessionizerOf<true>;

impl<const TTL: bool> SessionizerOf<TTL> {
    const SEEN: ValueState<i64> = if TTL {
        SESSIONS_SEEN_FOR_20_SECONDS
    } else {
        SESSIONS_SEEN
    };
}

impl<const TTL: bool> HandlesInitialState<SessionsBefore> for SessionizerOf<TTL> {
    fn handle_initial_state(
        &mut self,
        _user: &String,
        before: SessionsBefore,
        state: &mut KeyState<'_, ClosedSession>,
    ) -> ProcessorResult {
        state.value(&Self::SEEN).set(&before.sessions)?;
        Ok(())
    }
}

impl<const TTL: bool> StatefulProcessor for SessionizerOf<TTL> {
    type Key = String;
    type Input = Click;
    type Output = ClosedSession;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&SESSION);
        handle.list(&PAGES);
        handle.map(&PAGE_COUNTS);
        handle.value(&Self::SEEN);
    }

    fn handle_input_rows(
        &mut self,
        _user: &String,
        rows: Vec<Click>,
        state: &mut KeyState<'_, ClosedSession>,
    ) -> ProcessorResult {
        let first = rows.iter().map(|r| r.event_time).min().unwrap_or_default();
        let last = rows.iter().map(|r| r.event_time).max().unwrap_or_default();
        let session = match state.value(&SESSION).get()? {
            Some(old) => {
                state.timers().delete(Timestamp::from_micros(old.last.micros() + GAP));
                Session {
                    start: old.start.min(first),
                    last: old.last.max(last),
                    clicks: old.clicks + rows.len() as i64,
                }
            }
            None => Session {
                start: first,
                last,
                clicks: rows.len() as i64,
            },
        };
        state
            .timers()
            .register(Timestamp::from_micros(session.last.micros() + GAP))?;
        state.value(&SESSION).set(&session)?;
        for row in &rows {
            state.list(&PAGES).append(&row.page)?;
            let count = state.map(&PAGE_COUNTS).get(&row.page)?.unwrap_or(0);
            state.map(&PAGE_COUNTS).insert(&row.page, &(count + 1))?;
        }
        Ok(())
    }

    fn handle_expired_timer(
        &mut self,
        user: &String,
        _timer: ExpiredTimer,
        state: &mut KeyState<'_, ClosedSession>,
    ) -> ProcessorResult {
        let Some(session) = state.value(&SESSION).get()? else {
            return Ok(());
        };
        let mut pages = state.list(&PAGES).get()?;
        pages.sort();
        pages.dedup();
        let top_page = state
            .map(&PAGE_COUNTS)
            .entries()?
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(page, _)| page)
            .unwrap_or_default();
        let session_number = state.value(&Self::SEEN).get()?.unwrap_or(0) + 1;
        state.emit(ClosedSession {
            user: user.clone(),
            session_start: session.start,
            session_end: Timestamp::from_micros(session.last.micros() + GAP),
            clicks: session.clicks,
            distinct_pages: pages.len() as i64,
            top_page,
            session_number,
        });
        state.value(&Self::SEEN).set(&session_number)?;
        state.value(&SESSION).clear()?;
        state.list(&PAGES).clear()?;
        state.map(&PAGE_COUNTS).clear()?;
        Ok(())
    }
}

fn click(user: &str, page: &str, time: &str) -> String {
    format!(r#"{{"user": "{user}", "page": "{page}", "event_time": "2026-01-01T{time}"}}"#)
}

fn closed(batch: &arrow_array::RecordBatch) -> Vec<(String, String, String, i64, i64, String, i64)> {
    let mut rows: Vec<_> = ClosedSession::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.user,
                r.session_start.to_string(),
                r.session_end.to_string(),
                r.clicks,
                r.distinct_pages,
                r.top_page,
                r.session_number,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn sessions_close_when_the_watermark_passes_their_timers() {
    let dir = tempfile::tempdir().unwrap();
    // Each batch's watermark is the previous batch's latest event time less 5 minutes; a row at
    // or before the watermark the batch before left is late.
    let batches: [&[String]; 5] = [
        &[
            click("u1", "home", "09:00:00"),
            click("u1", "cart", "09:03:00"),
            click("u1", "home", "09:04:00"),
            click("u2", "home", "09:01:00"),
        ],
        // u2's session goes on: its timer moves from 09:11 to 09:30.
        &[click("u2", "shop", "09:20:00")],
        // Watermark 09:15: u1's timer (09:14) fires.
        &[click("u3", "x", "09:45:00")],
        // Watermark 09:40: u2's timer fires; 09:12 is before the last watermark (09:15): late.
        &[click("u1", "late", "09:12:00"), click("u1", "home", "09:50:00")],
        // Watermark 09:45: nothing is due.
        &[click("u4", "z", "10:30:00")],
    ];
    for (index, lines) in batches.iter().enumerate() {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        write_file(dir.path(), &format!("{index}.json"), &lines, index as u64);
    }
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        Sessions::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let got: Vec<_> = sink.take().iter().map(|(id, batch)| (*id, closed(batch))).collect();
    let row = |user: &str, start: &str, end: &str, clicks, pages, top: &str, number| {
        (
            user.to_owned(),
            format!("2026-01-01 {start}"),
            format!("2026-01-01 {end}"),
            clicks,
            pages,
            top.to_owned(),
            number,
        )
    };
    let expected = [
        (0, vec![]),
        (1, vec![]),
        (2, vec![row("u1", "09:00:00", "09:14:00", 3, 2, "home", 1)]),
        // A tie between pages goes to the first in order.
        (3, vec![row("u2", "09:01:00", "09:30:00", 2, 2, "home", 1)]),
        (4, vec![]),
        // The watermark moved to 10:25, so a batch without data runs and fires two timers; u1's
        // second session is its second.
        (
            5,
            vec![
                row("u1", "09:50:00", "10:00:00", 1, 1, "home", 2),
                row("u3", "09:45:00", "09:55:00", 1, 1, "x", 1),
            ],
        ),
    ];
    assert_eq!(got, expected);
    let progress = query.recent_progress();
    let dropped: u64 = progress
        .iter()
        .flat_map(|p| &p.state_operators)
        .map(|s| s.num_rows_dropped_by_watermark)
        .sum();
    assert_eq!(dropped, 1);
    assert_eq!(progress[0].state_operators[0].operator_name, "transformWithStateExec");
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/transform_with_state");

/// The golden query (`make_transform_with_state_golden.py`) in `mode`, batch by batch: rows,
/// rows read, watermarks and late rows dropped.
fn sessions_match_spark(mode: &str) {
    let golden = common::golden_json(GOLDEN, &format!("expected/event_time_{mode}.json"));
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/event_time"), input.path());
    let sink = CapturingSink::default();
    let writer = Sessions::read(JsonSource::new(input.path()).max_files_per_trigger(1));
    let query = match mode {
        "append" => common::run_available_now(writer.append().to(sink.clone())),
        _ => common::run_available_now(writer.update().to(sink.clone())),
    };
    let batches = sink.take();
    common::assert_batches_match_spark(&golden, mode, &query, &batches);
    for (ours, spark) in query
        .recent_progress()
        .iter()
        .zip(golden["batches"].as_array().unwrap())
    {
        let batch = ours.batch_id;
        let ours: serde_json::Value = serde_json::from_str(&ours.json()).unwrap();
        assert_eq!(
            ours["eventTime"]["watermark"], spark["event_time"]["watermark"],
            "{mode}: watermark of batch {batch}"
        );
        for metric in [
            "numRowsDroppedByWatermark",
            "numRowsTotal",
            "numRowsUpdated",
            "numRowsRemoved",
        ] {
            assert_eq!(
                ours["stateOperators"][0][metric], spark["state_operators"][0][metric],
                "{mode}: {metric} of batch {batch}"
            );
        }
    }
}

#[test]
fn sessions_match_spark_in_append_mode() {
    sessions_match_spark("append");
}

#[test]
fn sessions_match_spark_in_update_mode() {
    sessions_match_spark("update");
}

/// `sessions_seen` lives 20 seconds: Spark's run (`make_ttl_golden.py`) slept between batches so
/// that some counts expired; the batches here have Spark's batch timestamps.
#[test]
fn a_time_to_live_expires_state_as_in_spark() {
    let golden = common::golden_json(GOLDEN, "expected/processing_time_ttl.json");
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/ttl"), input.path());
    let mut times: Vec<u64> = golden["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_timestamp_ms"].as_u64().unwrap())
        .collect();
    times.reverse();
    let times = std::sync::Mutex::new(times);
    let clock = move || {
        let mut times = times.lock().unwrap();
        let millis = if times.len() > 1 {
            times.pop()
        } else {
            times.last().copied()
        };
        std::time::UNIX_EPOCH + Duration::from_millis(millis.unwrap_or_default())
    };
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        SessionsNow::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .batch_clock(clock)
            .update()
            .to(sink.clone()),
    );
    common::assert_batches_match_spark(&golden, "processing_time_ttl", &query, &sink.take());
}

/// Filtering and projecting the processor's rows gives Spark's rows, filtered and projected.
#[test]
fn stateless_steps_run_on_the_processor_s_rows() {
    let golden = common::golden_json(GOLDEN, "expected/event_time_append.json");
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/event_time"), input.path());
    let sink = CapturingSink::default();
    common::run_available_now(
        LongSessions::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let ours: Vec<Vec<String>> = sink
        .take()
        .iter()
        .map(|(_, batch)| {
            let mut rows: Vec<String> = LongSessionsRow::from_batch(batch)
                .unwrap()
                .iter()
                .map(|r| format!("{} {} {} {}", r.user, r.clicks, r.minutes.unwrap_or(f64::NAN), r.top))
                .collect();
            rows.sort();
            rows
        })
        .collect();
    // Spark's rows: user, session_start, session_end, clicks, distinct_pages, top_page, number.
    let spark: Vec<Vec<String>> = golden["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| {
            let mut rows: Vec<String> = batch["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|row| row[3].as_i64().unwrap() > 1)
                .map(|row| {
                    // `/` divides as doubles, as in Spark.
                    let minutes = (row[2].as_i64().unwrap() - row[1].as_i64().unwrap()) as f64 / 60_000_000.0;
                    let top = row[5].as_str().unwrap().to_uppercase();
                    format!("{} {} {minutes} {top}", row[0].as_str().unwrap(), row[3])
                })
                .collect();
            rows.sort();
            rows
        })
        .collect();
    assert_eq!(ours, spark);
    assert!(
        ours.iter().flatten().count() >= 5,
        "the filter should keep several sessions"
    );
}

/// With an initial state, a user's sessions are numbered on from the count it gives; the other
/// users' are Spark's.
#[test]
fn an_initial_state_numbers_sessions_on() {
    let golden = common::golden_json(GOLDEN, "expected/event_time_append.json");
    let input = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input/event_time"), input.path());
    let before = StaticTable::from_rows(vec![
        SessionsBefore {
            user: "alice".to_owned(),
            sessions: 5,
        },
        SessionsBefore {
            user: "nobody".to_owned(),
            sessions: 9,
        },
    ]);
    let sink = CapturingSink::default();
    common::run_available_now(
        SessionsContinued::read(JsonSource::new(input.path()).max_files_per_trigger(1), before)
            .append()
            .to(sink.clone()),
    );
    let ours: Vec<Vec<(String, i64)>> = sink
        .take()
        .iter()
        .map(|(_, batch)| {
            let mut rows: Vec<(String, i64)> = ClosedSession::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|r| (r.user, r.session_number))
                .collect();
            rows.sort();
            rows
        })
        .collect();
    let spark: Vec<Vec<(String, i64)>> = golden["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| {
            let mut rows: Vec<(String, i64)> = batch["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let user = row[0].as_str().unwrap().to_owned();
                    let number = row[6].as_i64().unwrap() + if user == "alice" { 5 } else { 0 };
                    (user, number)
                })
                .collect();
            rows.sort();
            rows
        })
        .collect();
    assert_eq!(ours, spark);
    assert!(
        ours.iter()
            .flatten()
            .any(|(user, number)| user == "alice" && *number == 7)
    );
}

/// Reminds a user once, a moment after their last click.
#[derive(Debug, Default)]
pub struct Reminder;

const REMINDED_AFTER_MS: i64 = 150;

impl StatefulProcessor for Reminder {
    type Key = String;
    type Input = Click;
    type Output = Reminded;

    fn init(&mut self, _handle: &mut StateHandle<'_>) {}

    fn handle_input_rows(
        &mut self,
        _user: &String,
        _clicks: Vec<Click>,
        state: &mut KeyState<'_, Reminded>,
    ) -> ProcessorResult {
        let now = state.timer_values().processing_time.micros();
        for timer in state.timers().list() {
            state.timers().delete(timer);
        }
        state
            .timers()
            .register(Timestamp::from_micros(now + REMINDED_AFTER_MS * 1000))?;
        Ok(())
    }

    fn handle_expired_timer(
        &mut self,
        user: &String,
        _timer: ExpiredTimer,
        state: &mut KeyState<'_, Reminded>,
    ) -> ProcessorResult {
        state.emit(Reminded { user: user.clone() });
        Ok(())
    }
}

/// With a processing-time trigger, a batch runs at every trigger, so a processing-time timer fires
/// without new data (as in Spark).
#[test]
fn a_processing_time_timer_fires_in_a_batch_without_data() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "0.json", &[&click("u1", "home", "09:00:00")], 0);
    let sink = CapturingSink::default();
    let query = Reminders::read(JsonSource::new(dir.path()))
        .update()
        .to(sink.clone())
        .trigger(Trigger::processing_time(Duration::from_millis(20)))
        .start()
        .unwrap();
    let started = std::time::Instant::now();
    let mut reminded = Vec::new();
    while reminded.is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
        for (_, batch) in sink.take() {
            reminded.extend(Reminded::from_batch(&batch).unwrap().into_iter().map(|r| r.user));
        }
    }
    query.stop();
    assert_eq!(reminded, ["u1"]);
    let progress = query.recent_progress();
    assert_eq!(progress[0].num_input_rows, 1);
    assert!(progress.len() > 1 && progress[1..].iter().all(|p| p.num_input_rows == 0));
}
