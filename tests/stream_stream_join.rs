//! Stream–stream joins against Spark 4.3 (`golden/stream_stream_join/`, written by
//! `make_stream_stream_join_golden.py`): views joined with clicks on the ad and an event-time
//! range — inner (with and without watermarks, with one side's watermark only, with the `max`
//! watermark policy), left, right and full outer, left semi, strict bounds, and a filter and a
//! projection around the join — over six and five files read one per micro-batch, compared
//! batch by batch: the rows, the rows read from each source, the watermark, and the join's state
//! (rows buffered, added, removed, and dropped as late). The inputs have late rows on both sides,
//! null keys and null event times, keys repeated on both sides, keys that never match, matches
//! within a batch and across batches, and clicks exactly on the range's bounds.

use crate::common;

use std::path::Path;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema View { view_id: Option<String>, v_ad: Option<String>, v_user: Option<String>, view_time: Option<Timestamp> }
    schema Click { click_id: Option<String>, c_ad: Option<String>, click_time: Option<Timestamp>, amount: Option<f64> }
    schema ViewAd { v_ad: Option<String>, view_time: Option<Timestamp> }
    schema ClickAd { c_ad: Option<String>, click_time: Option<Timestamp> }

    query InnerNoWatermark(views: View, clicks: Click) { views.join(clicks, v_ad == c_ad) }
    query InnerRange(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes")
        )
    }
    query LeftOuterRange(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "left_outer"
        )
    }
    query RightOuterRange(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            views.v_ad == clicks.c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "right_outer"
        )
    }
    query FullOuterRange(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "full_outer"
        )
    }
    query LeftSemiRange(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "left_semi"
        )
    }
    query StrictRangeLeftOuter(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time > view_time && click_time < view_time + interval("15 minutes"),
            "left"
        )
    }
    query FilterJoinSelect(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes")
            .join(
                clicks.with_watermark(click_time, "20 minutes").filter(amount > 1),
                v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes")
            )
            .select(view_id, click_id, double_amount = amount * 2)
    }
    query RightOuterLeftWatermarkOnly(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks,
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "right_outer"
        )
    }
    query FullOuterLeftWatermarkOnly(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks,
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "full_outer"
        )
    }
    query FullOuterRightWatermarkOnly(views: View, clicks: Click) {
        views.join(
            clicks.with_watermark(click_time, "20 minutes"),
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes"),
            "full_outer"
        )
    }
    query WindowKeyLeftOuter(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes")
            .select(view_id, v_ad, vw = window(view_time, "10 minutes"), view_time = timestamp_micros(unix_micros(view_time)))
            .join(
                clicks.with_watermark(click_time, "20 minutes")
                    .select(click_id, c_ad, cw = window(click_time, "10 minutes"), click_time = timestamp_micros(unix_micros(click_time))),
                v_ad == c_ad && vw == cw,
                "left_outer"
            )
            .select(view_id, v_ad, view_time, click_id, click_time)
    }
    query InnerOnAdColumn(views: View, clicks: Click) {
        views.join(clicks.with_column_renamed(c_ad, v_ad), v_ad)
    }
    query WatermarkLeftOnlyInner(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes").join(
            clicks,
            v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("15 minutes")
        )
    }
    query UnionAggregate(views: ViewAd, clicks: ClickAd) {
        views.union(clicks).select(ad = v_ad, t = view_time).group_by(ad).agg(count = count())
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/stream_stream_join");

/// The golden run's inputs, one file per micro-batch each, with modification times in name order.
struct Inputs {
    views: tempfile::TempDir,
    clicks: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Self {
        let (views, clicks) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        common::copy_in_name_order(&Path::new(GOLDEN).join("input/views"), views.path());
        common::copy_in_name_order(&Path::new(GOLDEN).join("input/clicks"), clicks.path());
        Self { views, clicks }
    }

    fn views(&self) -> JsonSource {
        JsonSource::new(self.views.path()).max_files_per_trigger(1)
    }

    fn clicks(&self) -> JsonSource {
        JsonSource::new(self.clicks.path()).max_files_per_trigger(1)
    }
}

/// The batches, then each batch's rows read per source, watermark and join state, as Spark's.
fn assert_matches_spark(name: &str, query: &rill::StreamingQuery, batches: &[(u64, rill::arrow_array::RecordBatch)]) {
    let golden = common::golden_json(GOLDEN, &format!("expected/{name}.json"));
    let spark_batches = golden["batches"].as_array().unwrap();
    // Rill's sink sees every batch Spark ran (no-data batches too, empty).
    assert_eq!(
        query.recent_progress().len(),
        spark_batches.len(),
        "{name}: batches run"
    );
    let with_rows: Vec<(u64, rill::arrow_array::RecordBatch)> = batches.to_vec();
    common::assert_batches_match_spark(&golden, name, query, &with_rows);
    for (progress, spark) in query.recent_progress().iter().zip(spark_batches) {
        let batch = progress.batch_id;
        let sources: Vec<u64> = progress.sources.iter().map(|s| s.num_input_rows).collect();
        let spark_sources: Vec<u64> = spark["source_input_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        assert_eq!(sources, spark_sources, "{name}: rows read per source in batch {batch}");
        let watermark = progress.event_time.get("watermark").cloned();
        assert_eq!(
            watermark.as_deref(),
            spark["event_time"]["watermark"].as_str(),
            "{name}: watermark of batch {batch}"
        );
        for stat in ["min", "max", "avg"] {
            assert_eq!(
                progress.event_time.get(stat).map(String::as_str),
                spark["event_time"][stat].as_str(),
                "{name}: event time {stat} of batch {batch}"
            );
        }
        let ours: Vec<Value> = progress
            .state_operators
            .iter()
            .map(|s| {
                serde_json::json!([
                    s.operator_name,
                    s.num_rows_total,
                    s.num_rows_updated,
                    s.num_rows_removed,
                    s.num_rows_dropped_by_watermark
                ])
            })
            .collect();
        let theirs: Vec<Value> = spark["state_operators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                serde_json::json!([
                    s["operatorName"],
                    s["numRowsTotal"],
                    s["numRowsUpdated"],
                    s["numRowsRemoved"],
                    s["numRowsDroppedByWatermark"]
                ])
            })
            .collect();
        assert_eq!(ours, theirs, "{name}: state of batch {batch}");
    }
}

fn run<Q: rill::StreamPlan + rill::SupportsAppend>(name: &str, writer: rill::DataStreamWriter<Q>) {
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(writer.append().to(sink.clone()));
    assert_matches_spark(name, &query, &sink.take());
}

#[test]
fn inner_join_without_watermarks_keeps_every_row_as_spark() {
    let inputs = Inputs::new();
    run(
        "inner_no_watermark",
        InnerNoWatermark::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn inner_join_with_a_time_range_matches_spark() {
    let inputs = Inputs::new();
    run("inner_range", InnerRange::read(inputs.views(), inputs.clicks()));
}

#[test]
fn left_outer_join_emits_unmatched_views_once_as_spark() {
    let inputs = Inputs::new();
    run(
        "left_outer_range",
        LeftOuterRange::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn right_outer_join_matches_spark() {
    let inputs = Inputs::new();
    run(
        "right_outer_range",
        RightOuterRange::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn full_outer_join_matches_spark() {
    let inputs = Inputs::new();
    run(
        "full_outer_range",
        FullOuterRange::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn left_semi_join_matches_spark() {
    let inputs = Inputs::new();
    run("left_semi_range", LeftSemiRange::read(inputs.views(), inputs.clicks()));
}

#[test]
fn strict_bounds_evict_as_spark() {
    let inputs = Inputs::new();
    run(
        "strict_range_left_outer",
        StrictRangeLeftOuter::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn filter_and_select_around_a_join_match_spark() {
    let inputs = Inputs::new();
    run(
        "filter_join_select",
        FilterJoinSelect::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn a_join_on_windows_evicts_by_window_end_as_spark() {
    let inputs = Inputs::new();
    run(
        "window_key_left_outer",
        WindowKeyLeftOuter::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn one_watermark_drops_late_rows_but_evicts_nothing_as_spark() {
    let inputs = Inputs::new();
    run(
        "watermark_left_only_inner",
        WatermarkLeftOnlyInner::read(inputs.views(), inputs.clicks()),
    );
}

#[test]
fn the_max_watermark_policy_matches_spark() {
    let inputs = Inputs::new();
    run(
        "inner_range_max_policy",
        InnerRange::read(inputs.views(), inputs.clicks()).multiple_watermark_policy(MultipleWatermarkPolicy::Max),
    );
}

#[test]
fn union_then_aggregation_matches_spark() {
    let inputs = Inputs::new();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        UnionAggregate::read(inputs.views(), inputs.clicks())
            .update()
            .to(sink.clone()),
    );
    let golden = common::golden_json(GOLDEN, "expected/union_aggregate.json");
    common::assert_batches_match_spark(&golden, "union_aggregate", &query, &sink.take());
}

/// The rows per batch of a join Spark accepts but `errors.json` records only by its row counts.
fn rows_per_batch(case: &str) -> Vec<u64> {
    let errors = common::golden_json(GOLDEN, "expected/errors.json");
    let case = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == case)
        .unwrap_or_else(|| panic!("no case {case}"));
    assert_eq!(case["outcome"], "no error");
    case["rows_per_batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect()
}

/// The rows of each batch `writer` gives over the golden inputs.
fn counts<Q: rill::StreamPlan, M: rill::mode::Chosen>(writer: rill::DataStreamWriter<Q, M>) -> Vec<u64>
where
    common::CapturingSink: rill::sink::AcceptsMode<M>,
{
    let sink = common::CapturingSink::default();
    common::run_available_now(writer.to(sink.clone()));
    sink.take().iter().map(|(_, b)| b.num_rows() as u64).collect()
}

#[test]
fn joins_spark_accepts_with_one_watermark_give_its_rows() {
    let inputs = Inputs::new();
    assert_eq!(
        counts(RightOuterLeftWatermarkOnly::read(inputs.views(), inputs.clicks()).append()),
        rows_per_batch("right_outer_left_watermark_only")
    );
    let inputs = Inputs::new();
    assert_eq!(
        counts(FullOuterLeftWatermarkOnly::read(inputs.views(), inputs.clicks()).append()),
        rows_per_batch("full_outer_left_watermark_only")
    );
    let inputs = Inputs::new();
    assert_eq!(
        counts(FullOuterRightWatermarkOnly::read(inputs.views(), inputs.clicks()).append()),
        rows_per_batch("full_outer_right_watermark_only")
    );
}

#[test]
fn inner_joins_run_in_update_mode_as_spark() {
    let inputs = Inputs::new();
    assert_eq!(
        counts(InnerNoWatermark::read(inputs.views(), inputs.clicks()).update()),
        rows_per_batch("inner_update_mode")
    );
    let inputs = Inputs::new();
    assert_eq!(
        counts(InnerRange::read(inputs.views(), inputs.clicks()).update()),
        rows_per_batch("inner_range_update_mode")
    );
}

/// `join(clicks, v_ad)` on a column both sides have: the condition join's rows, the key once,
/// first.
#[test]
fn a_join_on_a_shared_column_keeps_the_key_once() {
    let inputs = Inputs::new();
    let sink = common::CapturingSink::default();
    common::run_available_now(
        InnerOnAdColumn::read(inputs.views(), inputs.clicks())
            .append()
            .to(sink.clone()),
    );
    let batches = sink.take();
    let names: Vec<String> = batches[0]
        .1
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "v_ad",
            "view_id",
            "v_user",
            "view_time",
            "click_id",
            "click_time",
            "amount"
        ]
    );
    let golden = common::golden_json(GOLDEN, "expected/inner_no_watermark.json");
    let expected: Vec<Value> = golden["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            // Spark's columns: view_id, v_ad, v_user, view_time, click_id, c_ad, click_time, amount.
            let rows: Vec<Value> = b["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| serde_json::json!([r[1], r[0], r[2], r[3], r[4], r[6], r[7]]))
                .collect();
            Value::Array(common::sorted(rows))
        })
        .collect();
    let ours: Vec<Value> = batches
        .iter()
        .map(|(_, batch)| {
            let rows: Vec<Value> = common::golden_objects(batch)
                .into_iter()
                .map(|o| Value::Array(names.iter().map(|n| o[n].clone()).collect()))
                .collect();
            Value::Array(common::sorted(rows))
        })
        .collect();
    assert_eq!(ours, expected);
}

/// A restart keeps the multiple-watermark policy the checkpoint was written with (Spark takes it
/// from the checkpoint): another one is refused, naming Spark's setting.
#[test]
fn a_restart_with_another_watermark_policy_is_refused() {
    let inputs = Inputs::new();
    let checkpoint = tempfile::tempdir().unwrap();
    common::run_available_now(
        LeftOuterRange::read(inputs.views(), inputs.clicks())
            .append()
            .to(MemorySink::named("policy_first"))
            .checkpoint(checkpoint.path()),
    );
    let refused = LeftOuterRange::read(inputs.views(), inputs.clicks())
        .multiple_watermark_policy(MultipleWatermarkPolicy::Max)
        .append()
        .to(MemorySink::named("policy_refused"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("`spark.sql.streaming.multipleWatermarkPolicy` from `min` to `max`"),
        "{refused}"
    );
    common::run_available_now(
        LeftOuterRange::read(inputs.views(), inputs.clicks())
            .append()
            .to(MemorySink::named("policy_same"))
            .checkpoint(checkpoint.path()),
    );
}
