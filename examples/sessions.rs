//! Per-user sessions with business rules, as a stateful processor (Spark's `transformWithState`).
//!
//! A session closes after 10 minutes without a click (an event-time timer). The processor keeps
//! the open session (value state), the pages visited (list state) and clicks per page (map
//! state) and how many sessions a user had (value state), and emits one row per closed session,
//! numbered per user. (A time to live, `ValueState::with_ttl`, counts processing time: Spark
//! allows it, and so Rill, only in `ProcessingTime` mode.)
//!
//! Run it with `cargo run --release --example sessions`.

#![allow(clippy::print_stdout, reason = "the example prints its results")]

use std::path::Path;

use rill::prelude::*;
use rill::show::{Truncate, show_string};
use rill::stateful::{
    ExpiredTimer, KeyState, ListState, MapState, ProcessorResult, StateHandle, StatefulProcessor, ValueState,
};
use serde::{Deserialize, Serialize};

rill::stream! {
    /// One click, as a JSON line.
    schema Click { user: String, page: String, event_time: Timestamp }

    /// One closed session.
    schema ClosedSession {
        user: String,
        session_start: Timestamp,
        session_end: Timestamp,
        clicks: i64,
        distinct_pages: i64,
        top_page: String,
        session_number: i64,
    }

    /// Sessions per user, closed 10 minutes after their last click.
    query Sessions(clicks: Click) {
        clicks.with_watermark(event_time, "5 minutes")
              .group_by(user)
              .transform_with_state(Sessionizer, EventTime, input = Click, output = ClosedSession)
    }
}

/// A user's open session.
#[derive(Debug, Serialize, Deserialize)]
struct Open {
    start: Timestamp,
    last: Timestamp,
    clicks: i64,
}

const OPEN: ValueState<Open> = ValueState::new("open");
const PAGES: ListState<String> = ListState::new("pages");
const PAGE_CLICKS: MapState<String, i64> = MapState::new("page_clicks");
const SESSIONS: ValueState<i64> = ValueState::new("sessions");
const INACTIVITY: i64 = 10 * 60 * 1_000_000;

/// Closes a user's session after 10 minutes of inactivity (event time).
#[derive(Debug, Default)]
pub struct Sessionizer;

impl StatefulProcessor for Sessionizer {
    type Key = String;
    type Input = Click;
    type Output = ClosedSession;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&OPEN);
        handle.list(&PAGES);
        handle.map(&PAGE_CLICKS);
        handle.value(&SESSIONS);
    }

    fn handle_input_rows(
        &mut self,
        _user: &String,
        clicks: Vec<Click>,
        state: &mut KeyState<'_, ClosedSession>,
    ) -> ProcessorResult {
        let (Some(first), Some(last)) = (
            clicks.iter().map(|c| c.event_time).min(),
            clicks.iter().map(|c| c.event_time).max(),
        ) else {
            return Ok(());
        };
        let open = match state.value(&OPEN).get()? {
            Some(open) => {
                // The session goes on: its inactivity timer moves.
                state
                    .timers()
                    .delete(Timestamp::from_micros(open.last.micros() + INACTIVITY));
                Open {
                    start: open.start.min(first),
                    last: open.last.max(last),
                    clicks: open.clicks + clicks.len() as i64,
                }
            }
            None => Open {
                start: first,
                last,
                clicks: clicks.len() as i64,
            },
        };
        state
            .timers()
            .register(Timestamp::from_micros(open.last.micros() + INACTIVITY))?;
        state.value(&OPEN).set(&open)?;
        for click in &clicks {
            state.list(&PAGES).append(&click.page)?;
            let count = state.map(&PAGE_CLICKS).get(&click.page)?.unwrap_or(0);
            state.map(&PAGE_CLICKS).insert(&click.page, &(count + 1))?;
        }
        Ok(())
    }

    fn handle_expired_timer(
        &mut self,
        user: &String,
        _timer: ExpiredTimer,
        state: &mut KeyState<'_, ClosedSession>,
    ) -> ProcessorResult {
        let Some(open) = state.value(&OPEN).get()? else {
            return Ok(());
        };
        let mut pages = state.list(&PAGES).get()?;
        pages.sort();
        pages.dedup();
        // The most clicked page; a tie goes to the first in order.
        let top_page = state
            .map(&PAGE_CLICKS)
            .entries()?
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(page, _)| page)
            .unwrap_or_default();
        let session_number = state.value(&SESSIONS).get()?.unwrap_or(0) + 1;
        state.emit(ClosedSession {
            user: user.clone(),
            session_start: open.start,
            session_end: Timestamp::from_micros(open.last.micros() + INACTIVITY),
            clicks: open.clicks,
            distinct_pages: pages.len() as i64,
            top_page,
            session_number,
        });
        state.value(&SESSIONS).set(&session_number)?;
        state.value(&OPEN).clear()?;
        state.list(&PAGES).clear()?;
        state.map(&PAGE_CLICKS).clear()?;
        Ok(())
    }
}

/// Four files of clicks, read one per micro-batch. The watermark trails the latest click by 5
/// minutes, so u1's first session closes in the third batch; the others close in a last batch
/// without data, which runs because the watermark moved. u4's session is still open at the end.
fn write_clicks(dir: &Path) -> std::io::Result<()> {
    let files: [&[(&str, &str, &str)]; 4] = [
        &[
            ("u1", "/home", "09:00"),
            ("u1", "/cart", "09:03"),
            ("u2", "/home", "09:01"),
            ("u1", "/home", "09:04"),
        ],
        &[("u2", "/shop", "09:20"), ("u3", "/home", "09:21")],
        &[("u3", "/help", "09:30")],
        &[("u1", "/home", "09:50"), ("u4", "/home", "10:30")],
    ];
    for (index, clicks) in files.iter().enumerate() {
        let lines: Vec<String> = clicks
            .iter()
            .map(|(user, page, time)| {
                format!(r#"{{"user": "{user}", "page": "{page}", "event_time": "2026-01-01T{time}:00"}}"#)
            })
            .collect();
        std::fs::write(dir.join(format!("clicks-{index}.json")), lines.join("\n") + "\n")?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output_dir = Path::new("_rill_output/sessions");
    let input_dir = output_dir.join("input");
    if output_dir.exists() {
        std::fs::remove_dir_all(output_dir)?;
    }
    std::fs::create_dir_all(&input_dir)?;
    write_clicks(&input_dir)?;

    let table = MemorySink::named("closed_sessions");
    let query = Sessions::read(JsonSource::new(&input_dir).max_files_per_trigger(1))
        .append()
        .to(table.clone())
        .trigger(Trigger::AvailableNow)
        .checkpoint(output_dir.join("checkpoint"))
        .start()?;
    query.await_termination()?;

    let mut rows: Vec<SessionsRow> = table.rows()?;
    rows.sort_by(|a, b| (&a.user, a.session_start).cmp(&(&b.user, b.session_start)));
    println!(
        "{}",
        show_string(&[<SessionsRow as Row>::to_batch(&rows)?], 20, Truncate::Never)
    );
    Ok(())
}
