//! Stream–static joins against Spark 4.3 (`golden/stream_static_join/`, written by
//! `make_stream_static_join_golden.py`): inner, left outer, left semi and left anti joins on one
//! key and on two, a join feeding an aggregation, and a filter before a join — over three
//! micro-batches (one file each), compared batch by batch: rows, and rows read (Spark pushes the
//! filters and an inner join's `key IS NOT NULL` into the scan, so it counts only those rows).
//! The static side has duplicate keys, a null key and null columns; the stream has keys that
//! never match and a null key. A join on a condition (`user_id == users.uid`) keeps both sides'
//! columns, as Spark's.

use crate::common;

use std::path::Path;

use rill::operator::StaticTable;
use rill::prelude::*;

rill::stream! {
    schema Event {
        event_id: Option<String>, user_id: Option<String>, region: Option<String>, amount: Option<f64>,
        event_time: Option<Timestamp>,
    }
    schema UserName { user_id: Option<String>, name: Option<String>, tier: Option<i32> }
    schema User {
        user_id: Option<String>, region: Option<String>, name: Option<String>, tier: Option<i32>,
        credit: Option<f64>,
    }
    schema UserTier { user_id: Option<String>, tier: Option<i32> }
    schema UserOnlyName { user_id: Option<String>, name: Option<String> }
    schema UserById { uid: Option<String>, name: Option<String>, tier: Option<i32> }

    query Inner(events: Event, users: static UserName) { events.join(users, user_id) }
    query LeftOuter(events: Event, users: static UserName) { events.join(users, user_id, "left") }
    query LeftSemi(events: Event, users: static UserName) { events.join(users, user_id, "left_semi") }
    query LeftAnti(events: Event, users: static UserName) { events.join(users, user_id, "left_anti") }
    query MultiKey(events: Event, users: static User) { events.join(users, user_id, region, "left") }
    query JoinThenAggregate(events: Event, users: static UserTier) {
        events.join(users, user_id, "left").group_by(tier).agg(events = count(), total = sum(amount))
    }
    query ConditionInner(events: Event, users: static UserById) { events.join(users, user_id == users.uid) }
    query ConditionLeftOuter(events: Event, users: static UserById) {
        events.join(users, events.user_id == users.uid, "left")
    }
    query FilterJoinSelect(events: Event, users: static UserOnlyName) {
        events.filter(amount > 10).join(users, user_id).select(event_id, name, double_amount = amount * 2)
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/stream_static_join");

/// The golden run's events, one file per micro-batch, with modification times in name order.
fn events() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input/events"), dir.path());
    dir
}

fn users<R: rill::Row>() -> StaticTable<R> {
    StaticTable::json(Path::new(GOLDEN).join("input/users")).unwrap()
}

fn source(dir: &Path) -> JsonSource {
    JsonSource::new(dir).max_files_per_trigger(1)
}

fn assert_matches_spark(name: &str, query: &rill::StreamingQuery, batches: &[(u64, rill::arrow_array::RecordBatch)]) {
    let golden = common::golden_json(GOLDEN, &format!("expected/{name}.json"));
    common::assert_batches_match_spark(&golden, name, query, batches);
}

fn run<Q: rill::StreamPlan + rill::SupportsAppend>(name: &str, writer: rill::DataStreamWriter<Q>) {
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(writer.append().to(sink.clone()));
    assert_matches_spark(name, &query, &sink.take());
}

#[test]
fn inner_join_matches_spark() {
    let dir = events();
    run("inner", Inner::read(source(dir.path()), users()));
}

#[test]
fn left_outer_join_matches_spark() {
    let dir = events();
    run("left_outer", LeftOuter::read(source(dir.path()), users()));
}

#[test]
fn left_semi_join_matches_spark() {
    let dir = events();
    run("left_semi", LeftSemi::read(source(dir.path()), users()));
}

#[test]
fn left_anti_join_matches_spark() {
    let dir = events();
    run("left_anti", LeftAnti::read(source(dir.path()), users()));
}

#[test]
fn join_on_two_keys_matches_spark() {
    let dir = events();
    run("multi_key", MultiKey::read(source(dir.path()), users()));
}

#[test]
fn filter_then_join_matches_spark() {
    let dir = events();
    run(
        "filter_join_select",
        FilterJoinSelect::read(source(dir.path()), users()),
    );
}

#[test]
fn join_then_aggregate_matches_spark() {
    let dir = events();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        JoinThenAggregate::read(source(dir.path()), users())
            .complete()
            .to(sink.clone()),
    );
    assert_matches_spark("join_then_aggregate", &query, &sink.take());
}

/// The users table with its key renamed `uid`, as Spark's `users.select(col("user_id").alias("uid"), ..)`.
fn users_by_id() -> StaticTable<UserById> {
    let rows: Vec<UserById> = users::<UserName>()
        .rows()
        .iter()
        .map(|user| UserById {
            uid: user.user_id.clone(),
            name: user.name.clone(),
            tier: user.tier,
        })
        .collect();
    StaticTable::from_rows(rows)
}

#[test]
fn join_on_a_condition_matches_spark() {
    let dir = events();
    run(
        "condition_inner",
        ConditionInner::read(source(dir.path()), users_by_id()),
    );
    let dir = events();
    run(
        "condition_left_outer",
        ConditionLeftOuter::read(source(dir.path()), users_by_id()),
    );
}
