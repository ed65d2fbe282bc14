//! `flat_map_groups_with_state`, Spark's `flatMapGroupsWithState`: a function of a key's rows and
//! its one state value, timed out by event time, checked against Spark 4.3
//! (`applyInPandasWithState`, `tests/golden/groups_with_state/`).

use crate::common;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use rill::stateful::{GroupState, GroupsFunction, GroupsResult};
use serde::{Deserialize, Serialize};

rill::stream! {
    schema Sale { user: String, event_time: Timestamp, amount: i64 }
    schema SessionRow { user: String, events: i64, total: i64, closed: bool, last: Timestamp }

    /// Spark's `no_timeout` golden: without a timeout, late rows reach the function.
    query Totals(sales: Sale) {
        sales.with_watermark(event_time, "10 minutes")
             .group_by(user)
             .flat_map_groups_with_state(RunningTotals, NoTimeout, input = Sale, output = SessionRow)
    }

    /// Spark's `event_time_sessions_clamped` golden.
    query Sessions(sales: Sale) {
        sales.with_watermark(event_time, "10 minutes")
             .group_by(user)
             .flat_map_groups_with_state(SessionsOfFiveMinutes, EventTimeTimeout, input = Sale, output = SessionRow)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Running {
    events: i64,
    total: i64,
    last: Timestamp,
}

const FIVE_MINUTES: i64 = 5 * 60_000_000;

/// The golden's function (`sessions_clamped_fn`): a user's running count and total, emitted at
/// each call; a session closes five minutes of event time after its last row.
#[derive(Debug, Default)]
pub struct SessionsOfFiveMinutes;

impl GroupsFunction for SessionsOfFiveMinutes {
    type Key = String;
    type Input = Sale;
    type State = Running;
    type Output = SessionRow;

    fn call(&mut self, user: &String, rows: Vec<Sale>, state: &mut GroupState<Running>) -> GroupsResult<SessionRow> {
        if state.has_timed_out() {
            let row = state.get().map(|running| SessionRow {
                user: user.clone(),
                events: running.events,
                total: running.total,
                closed: true,
                last: running.last,
            });
            state.remove();
            return Ok(row.into_iter().collect());
        }
        let running = running_after(state, &rows);
        // Five minutes after the last row, but not before the watermark (which Spark refuses).
        let five_minutes_on = Timestamp::from_micros(running.last.micros() + FIVE_MINUTES);
        let watermark = state.current_watermark().unwrap_or(five_minutes_on);
        state.set_timeout_timestamp(five_minutes_on.max(watermark))?;
        let row = SessionRow {
            user: user.clone(),
            events: running.events,
            total: running.total,
            closed: false,
            last: running.last,
        };
        state.update(running);
        Ok(vec![row])
    }
}

/// A key's running count, total and latest time after `rows`.
fn running_after(state: &GroupState<Running>, rows: &[Sale]) -> Running {
    let mut running = state.get().copied().unwrap_or(Running {
        events: 0,
        total: 0,
        last: Timestamp::from_micros(i64::MIN),
    });
    for row in rows {
        running.events += 1;
        running.total += row.amount;
        running.last = running.last.max(row.event_time);
    }
    running
}

/// The golden's `no_timeout_fn`: the running session, never timed out.
#[derive(Debug, Default)]
pub struct RunningTotals;

impl GroupsFunction for RunningTotals {
    type Key = String;
    type Input = Sale;
    type State = Running;
    type Output = SessionRow;

    fn call(&mut self, user: &String, rows: Vec<Sale>, state: &mut GroupState<Running>) -> GroupsResult<SessionRow> {
        let running = running_after(state, &rows);
        state.update(running);
        Ok(vec![SessionRow {
            user: user.clone(),
            events: running.events,
            total: running.total,
            closed: false,
            last: running.last,
        }])
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/groups_with_state");

fn session_rows(batch: &RecordBatch) -> Vec<serde_json::Value> {
    SessionRow::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| serde_json::json!([r.user, r.events, r.total, r.closed, r.last.micros()]))
        .collect()
}

#[test]
fn event_time_sessions_match_spark() {
    common::assert_operators_match_spark(
        GOLDEN,
        "event_time_sessions_clamped",
        |source| Sessions::read(source("events")).append(),
        session_rows,
    );
}

#[test]
fn without_a_timeout_late_rows_are_kept_as_in_spark() {
    common::assert_operators_match_spark(
        GOLDEN,
        "no_timeout",
        |source| Totals::read(source("events")).append(),
        session_rows,
    );
}
