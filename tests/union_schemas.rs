//! Unions of streams with different schemas against Spark 4.3 (`golden/union_schemas/`, written
//! by `make_union_schemas_golden.py`): by name (`union_by_name`, Spark's `unionByName`: the same
//! columns in another order) and by position (`union`: other names, the same types, the first
//! input's names), and a union feeding an aggregation — two micro-batches, one file of each
//! input each, compared batch by batch (rows, and rows read over both inputs).

use crate::common;

use std::path::Path;

use rill::prelude::*;

rill::stream! {
    schema Web { event_id: Option<String>, user_id: Option<String>, amount: Option<f64>, ts: Option<Timestamp> }
    // The mobile events' `device` field is not declared, so not read.
    schema Mobile { user_id: Option<String>, event_id: Option<String>, ts: Option<Timestamp>, amount: Option<f64> }
    schema Legacy { id: Option<String>, uid: Option<String>, value: Option<f64>, at: Option<Timestamp> }

    query ByName(web: Web, mobile: Mobile) { web.union_by_name(mobile) }
    query ByPosition(web: Web, legacy: Legacy) { web.union(legacy) }
    query ByNameThenAggregate(web: Web, mobile: Mobile) {
        web.union_by_name(mobile).group_by(user_id).agg(events = count(), total = sum(amount))
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/union_schemas");

/// One input's files, one per micro-batch, with modification times in name order.
fn input(dir: &tempfile::TempDir, name: &str) -> JsonSource {
    let target = dir.path().join(name);
    common::copy_in_name_order(&Path::new(GOLDEN).join("input").join(name), &target);
    JsonSource::new(target).max_files_per_trigger(1)
}

fn assert_matches_spark(name: &str, query: &rill::StreamingQuery, batches: &[(u64, rill::arrow_array::RecordBatch)]) {
    let golden = common::golden_json(GOLDEN, &format!("expected/{name}.json"));
    common::assert_batches_match_spark(&golden, name, query, batches);
}

#[test]
fn union_by_name_matches_spark() {
    let dir = tempfile::tempdir().unwrap();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        ByName::read(input(&dir, "web"), input(&dir, "mobile"))
            .append()
            .to(sink.clone()),
    );
    assert_matches_spark("by_name", &query, &sink.take());
}

#[test]
fn union_by_position_matches_spark() {
    let dir = tempfile::tempdir().unwrap();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        ByPosition::read(input(&dir, "web"), input(&dir, "legacy"))
            .append()
            .to(sink.clone()),
    );
    assert_matches_spark("by_position", &query, &sink.take());
}

#[test]
fn union_then_aggregate_matches_spark() {
    let dir = tempfile::tempdir().unwrap();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        ByNameThenAggregate::read(input(&dir, "web"), input(&dir, "mobile"))
            .complete()
            .to(sink.clone()),
    );
    assert_matches_spark("by_name_then_aggregate", &query, &sink.take());
}
