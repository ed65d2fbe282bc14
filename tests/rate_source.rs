//! The generated sources. `RateMicroBatchSource` against Spark 4.3's `rate-micro-batch`
//! (`golden/rate_source/`, written by `make_rate_golden.py`): the same rows, in the same order,
//! with the same timestamps, batch by batch — across restarts from a checkpoint, and once under
//! an available-now trigger. `RateSource` against the rules Spark's `rate` follows: values count
//! from 0 without gaps, each batch takes whole seconds, and value `v` is stamped `v / rate`
//! seconds after the first, also after a restart.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use rill::prelude::*;
use rill::source::{RateMicroBatchSource, RateSource};
use serde_json::Value;

rill::stream! {
    schema Rate { timestamp: Timestamp, value: i64 }

    query Generated(rate: Rate) { rate.select(value, timestamp) }

    schema Wrong { timestamp: Timestamp, count: i64 }
    query Counts(rate: Wrong) { rate.select(count) }
}

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/rate_source/expected/rate_micro_batch.json"
);

/// Each batch's rows as `[value, timestamp micros]`, in the order the sink received them.
fn batches(sink: &common::CapturingSink) -> Vec<Value> {
    sink.take()
        .iter()
        .map(|(_, batch)| {
            let rows = GeneratedRow::from_batch(batch).unwrap();
            Value::from(
                rows.iter()
                    .map(|r| serde_json::json!([r.value, r.timestamp.micros()]))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

fn spark_run(name: &str) -> (Value, Vec<Value>) {
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(GOLDEN).unwrap()).unwrap();
    let run = &golden["runs"][name];
    let rows = run["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["rows"].clone())
        .collect();
    (run["options"].clone(), rows)
}

fn micro_batch_source(options: &Value) -> RateMicroBatchSource {
    let mut source = RateMicroBatchSource::new(options["rowsPerBatch"].as_u64().unwrap() as u32)
        .num_partitions(options["numPartitions"].as_u64().unwrap() as usize);
    if let Some(start) = options.get("startTimestamp") {
        source = source.start_timestamp_millis(start.as_i64().unwrap());
    }
    if let Some(advance) = options.get("advanceMillisPerBatch") {
        source = source.advance_millis_per_batch(advance.as_u64().unwrap() as u32);
    }
    source
}

/// Runs one batch per start (trigger `Once`), restarting from the checkpoint each time.
fn micro_batches_across_restarts(options: &Value, count: usize, checkpoint: &Path) -> Vec<Value> {
    let sink = common::CapturingSink::default();
    for _ in 0..count {
        let query = Generated::read(micro_batch_source(options))
            .append()
            .to(sink.clone())
            .checkpoint(checkpoint)
            .trigger(Trigger::Once)
            .start()
            .unwrap();
        query.await_termination().unwrap();
    }
    batches(&sink)
}

#[test]
fn rate_micro_batch_matches_spark_batch_by_batch_across_restarts() {
    for run in ["a", "b"] {
        let (options, spark) = spark_run(run);
        let checkpoint = tempfile::tempdir().unwrap();
        let ours = micro_batches_across_restarts(&options, spark.len(), checkpoint.path());
        assert_eq!(ours, spark, "run {run} with {options}");
    }
}

#[test]
fn rate_micro_batch_runs_one_batch_when_available_now() {
    let (options, spark) = spark_run("c");
    let sink = common::CapturingSink::default();
    common::run_available_now(Generated::read(micro_batch_source(&options)).append().to(sink.clone()));
    assert_eq!(batches(&sink), spark);
}

/// Runs a rate source until `rows` values have arrived, and stops.
fn rate_until(rows: usize, checkpoint: &Path, sink: &common::CapturingSink) -> Vec<(i64, i64)> {
    let query = Generated::read(RateSource::new(10).num_partitions(2))
        .append()
        .to(sink.clone())
        .checkpoint(checkpoint)
        .trigger(Trigger::ProcessingTime(Duration::from_millis(100)))
        .start()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while query.recent_progress().iter().map(|p| p.num_input_rows).sum::<u64>() < rows as u64 {
        assert!(Instant::now() < deadline, "the rate source produced too few rows");
        std::thread::sleep(Duration::from_millis(50));
    }
    query.stop();
    let mut values = Vec::new();
    for (_, batch) in sink.take() {
        let rows = GeneratedRow::from_batch(&batch).unwrap();
        let first = rows.first().map(|r| r.value);
        // Whole seconds per batch: each batch starts at a multiple of the rate, and its rows come
        // partition by partition (even offsets first).
        if let Some(first) = first {
            assert_eq!(first % 10, 0, "a batch starts at a whole second");
            let offsets: Vec<i64> = rows.iter().map(|r| r.value - first).collect();
            let evens = offsets.iter().take_while(|o| *o % 2 == 0).count();
            assert!(
                offsets[evens..].iter().all(|o| o % 2 == 1),
                "partition 0 first: {offsets:?}"
            );
        }
        values.extend(rows.iter().map(|r| (r.value, r.timestamp.micros())));
    }
    values.sort_unstable();
    values
}

#[test]
fn rate_counts_from_zero_and_stamps_each_value_at_its_share_of_a_second_across_a_restart() {
    let checkpoint = tempfile::tempdir().unwrap();
    let sink = common::CapturingSink::default();
    let mut values = rate_until(10, checkpoint.path(), &sink);
    values.extend(rate_until(10, checkpoint.path(), &sink));
    values.sort_unstable();
    let origin = values[0].1;
    for (index, (value, micros)) in values.iter().enumerate() {
        assert_eq!(*value, index as i64, "values count from 0 without gaps or repeats");
        // 10 rows a second: value v is stamped v * 100 ms after value 0, whatever the batches,
        // and after the restart too (the creation time comes back from the checkpoint).
        assert_eq!(micros - origin, value * 100_000, "value {value}");
    }
    assert!(values.len() >= 20);
}

#[test]
fn a_schema_without_the_rate_columns_is_refused_at_start() {
    let error = Counts::read(RateMicroBatchSource::new(1))
        .append()
        .to(MemorySink::named("counts"))
        .start()
        .unwrap_err();
    assert!(error.to_string().contains("`count: Int64`"), "{error}");
    assert!(
        error
            .to_string()
            .contains("schema Rate { timestamp: Timestamp, value: i64 }"),
        "{error}"
    );
}
