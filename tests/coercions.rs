//! Text compared with a timestamp or a date is cast to it, as Spark does, and `window` groups a
//! date column by its midnight: checked against Spark 4.3 (`golden/coercions/`, written by
//! `make_coercions_golden.py` over the input of `golden/text_functions`).

use crate::common;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Sample {
        id: Option<i32>, s: Option<String>, p: Option<String>, x: Option<f64>, k: Option<i32>,
        m: Option<i64>, ts: Option<Timestamp>, d: Option<Date>, b: Option<bool>,
    }

    query Comparisons(raw: Sample) {
        raw.select(
            id,
            ts_after_day = ts > "2024-02-29",
            ts_upto_instant = ts <= "2024-02-29 12:34:56.789",
            text_equals_ts = "2024-03-31T10:00:00Z" == ts,
            d_equals_day = d == "2024-02-29",
            d_before_text_with_time = d < "2024-03-01 23:00",
            ts_equals_column = ts == s,
            ts_before_not_a_time = ts < "2026 soon",
        )
    }

    query DailyWindows(raw: Sample) {
        raw.filter(d.is_not_null()).group_by(window(d, "1 day")).agg(count = count())
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/coercions");
const INPUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/text_functions");

fn golden() -> Value {
    common::golden_json(GOLDEN, "expected.json")
}

fn rows_of(sink: &common::CapturingSink, columns: &[&str]) -> Vec<Value> {
    sink.take()
        .iter()
        .flat_map(|(_, batch)| common::golden_objects(batch))
        .map(|object| Value::Array(columns.iter().map(|c| object[*c].clone()).collect()))
        .collect()
}

#[test]
fn text_compared_with_times_is_cast_as_spark_casts_it() {
    let golden = golden();
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let input = common::golden_input(INPUT);
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        Comparisons::read(JsonSource::new(input.path()))
            .append()
            .to(sink.clone()),
    );
    assert_eq!(
        common::sorted(rows_of(&sink, &columns)),
        common::sorted(golden["rows"].as_array().unwrap().clone())
    );
    // Text that is no timestamp is null, and counted, as a cast's is.
    assert!(query.last_progress().unwrap().num_unparseable_values > 0);
}

#[test]
fn a_window_over_a_date_is_the_window_of_its_midnight() {
    let golden = golden();
    let input = common::golden_input(INPUT);
    let sink = common::CapturingSink::default();
    common::run_available_now(
        DailyWindows::read(JsonSource::new(input.path()))
            .complete()
            .to(sink.clone()),
    );
    let rows = rows_of(&sink, &["window_start", "window_end", "count"]);
    assert_eq!(
        common::sorted(rows),
        common::sorted(golden["window_over_date"]["rows"].as_array().unwrap().clone())
    );
}
