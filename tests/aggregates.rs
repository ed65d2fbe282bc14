//! The statistical and picking aggregates — `stddev`/`variance` and their forms, `corr`,
//! `covar_*`, `first`/`last` (with `ignore_nulls`), `max_by`/`min_by`, `bool_and`/`bool_or` —
//! against Spark 4.3 over three micro-batches, grouped and global, in complete and update modes
//! (`golden/aggregates/`, written by `make_aggregates_golden.py`). Doubles are compared to the
//! bit: Spark's central moments depend on the order of its updates and merges, which Rill
//! replays; and which batch's `first` or `last` wins is Spark's merge order too. A restart from
//! the checkpoint between batches gives the same rows.

use crate::common;

use std::path::Path;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Event { k: String, x: Option<f64>, y: Option<f64>, n: Option<i64>, s: Option<String>, b: Option<bool> }

    query MomentsByKey(events: Event) {
        events.group_by(k).agg(
            sd = stddev(x), sd_samp = stddev_samp(x), sd_pop = stddev_pop(x),
            var = variance(x), var_samp = var_samp(x), var_pop = var_pop(x),
            sd_n = stddev(n), var_pop_n = var_pop(n),
        )
    }
    query Moments(events: Event) {
        events.agg(
            sd = stddev(x), sd_samp = stddev_samp(x), sd_pop = stddev_pop(x),
            var = variance(x), var_samp = var_samp(x), var_pop = var_pop(x),
            sd_n = stddev(n), var_pop_n = var_pop(n),
        )
    }
    query CountingByKey(events: Event) {
        events.group_by(k).agg(
            c_big = count_if(x > 1.0), c_b = count_if(b), mean_x = mean(x),
            and_n = bit_and(n), or_n = bit_or(n), xor_n = bit_xor(n),
        )
    }
    query Counting(events: Event) {
        events.agg(
            c_big = count_if(x > 1.0), c_b = count_if(b), mean_x = mean(x),
            and_n = bit_and(n), or_n = bit_or(n), xor_n = bit_xor(n),
        )
    }
    query ExactPercentilesByKey(events: Event) {
        events.group_by(k).agg(
            med_x = median(x), p25_x = percentile(x, 0.25), p90_n = percentile(n, 0.9),
            p0_n = percentile(n, 0.0), p75_dec = percentile(cast(x, "decimal(30,5)"), 0.75),
        )
    }
    query ExactPercentiles(events: Event) {
        events.agg(
            med_x = median(x), p25_x = percentile(x, 0.25), p90_n = percentile(n, 0.9),
            p0_n = percentile(n, 0.0), p75_dec = percentile(cast(x, "decimal(30,5)"), 0.75),
        )
    }
    query HigherMomentsByKey(events: Event) {
        events.group_by(k).agg(skew = skewness(x), kurt = kurtosis(x), skew_n = skewness(n), kurt_n = kurtosis(n))
    }
    query HigherMoments(events: Event) {
        events.agg(skew = skewness(x), kurt = kurtosis(x), skew_n = skewness(n), kurt_n = kurtosis(n))
    }
    query CoMomentsByKey(events: Event) {
        events.group_by(k).agg(r = corr(x, y), cov_samp = covar_samp(x, y), cov_pop = covar_pop(x, y), r_xn = corr(x, n))
    }
    query CoMoments(events: Event) {
        events.agg(r = corr(x, y), cov_samp = covar_samp(x, y), cov_pop = covar_pop(x, y), r_xn = corr(x, n))
    }
    query PicksByKey(events: Event) {
        events.group_by(k).agg(
            first_s = first(s), first_s_nn = first(s, true), last_s = last(s), last_s_nn = last(s, true),
            s_at_max_x = max_by(s, x), s_at_min_x = min_by(s, x), n_at_max_x = max_by(n, x),
            first_x = first(x), last_n_nn = last(n, true),
        )
    }
    query Picks(events: Event) {
        events.agg(
            first_s = first(s), first_s_nn = first(s, true), last_s = last(s), last_s_nn = last(s, true),
            s_at_max_x = max_by(s, x), s_at_min_x = min_by(s, x), n_at_max_x = max_by(n, x),
            first_x = first(x), last_n_nn = last(n, true),
        )
    }
    query BoolsByKey(events: Event) {
        events.group_by(k).agg(all_b = bool_and(b), any_b = bool_or(b), every_b = every(b), some_b = some(b), any_b2 = any(b))
    }
    query Bools(events: Event) {
        events.agg(all_b = bool_and(b), any_b = bool_or(b), every_b = every(b), some_b = some(b), any_b2 = any(b))
    }
    query DistinctSmallByKey(events: Event) {
        events.group_by(k).agg(d_s = approx_count_distinct(s), d_n = approx_count_distinct(n), d_x = approx_count_distinct(x), d_b = approx_count_distinct(b))
    }
    query DistinctSmall(events: Event) {
        events.agg(d_s = approx_count_distinct(s), d_n = approx_count_distinct(n), d_x = approx_count_distinct(x), d_b = approx_count_distinct(b))
    }
    query PercentilesByKey(events: Event) {
        events.group_by(k).agg(
            p_x = percentile_approx(x, 0.5), p_x25 = percentile_approx(x, 0.25, 100),
            p_n90 = percentile_approx(n, 0.9), p_n0 = percentile_approx(n, 0.0), p_n1 = percentile_approx(n, 1.0),
            p_x75 = approx_percentile(x, 0.75, 10), p_int = percentile_approx(cast(n, "int"), 0.5),
            p_dec = percentile_approx(cast(x, "decimal(10,3)"), 0.5), p_float = percentile_approx(cast(x, "float"), 0.5),
        )
    }
    query Percentiles(events: Event) {
        events.agg(
            p_x = percentile_approx(x, 0.5), p_x25 = percentile_approx(x, 0.25, 100),
            p_n90 = percentile_approx(n, 0.9), p_n0 = percentile_approx(n, 0.0), p_n1 = percentile_approx(n, 1.0),
            p_x75 = approx_percentile(x, 0.75, 10), p_int = percentile_approx(cast(n, "int"), 0.5),
            p_dec = percentile_approx(cast(x, "decimal(10,3)"), 0.5), p_float = percentile_approx(cast(x, "float"), 0.5),
        )
    }

    schema Visit { k: String, v: i64, w: String, d: f64 }
    query Distinct(visits: Visit) {
        visits.group_by(k).agg(
            d_v = approx_count_distinct(v), d_w = approx_count_distinct(w), d_d = approx_count_distinct(d),
            d_v_01 = approx_count_distinct(v, 0.01), d_w_2 = approx_count_distinct(w, 0.2), rows = count(v),
        )
    }
    query DistinctOfEachType(visits: Visit) {
        visits.group_by(k).agg(
            d_int = approx_count_distinct(cast(v, "int")),
            d_short = approx_count_distinct(cast(v % 30000, "smallint")),
            d_byte = approx_count_distinct(cast(v % 100, "tinyint")),
            d_float = approx_count_distinct(cast(d, "float")),
            d_ts = approx_count_distinct(timestamp_seconds(v)),
            d_date = approx_count_distinct(cast(timestamp_seconds(v), "date")),
            d_dec = approx_count_distinct(cast(d, "decimal(12,2)")),
            d_wide = approx_count_distinct(cast(d, "decimal(24,4)")),
        )
    }

    query ExactPercentilesOfVisits(visits: Visit) {
        visits.group_by(k).agg(med_v = median(v), p10_d = percentile(d, 0.1), p999_v = percentile(v, 0.999))
    }

    schema Reading { k: String, v: i64 }
    query LargePercentiles(readings: Reading) {
        readings.group_by(k).agg(
            p50 = percentile_approx(v, 0.5), p02 = percentile_approx(v, 0.02, 100),
            p90 = percentile_approx(v, 0.9, 100000), p99 = percentile_approx(cast(v, "double"), 0.99, 1000),
            rows = count(v),
        )
    }
    query PercentilesOfVisits(visits: Visit) {
        visits.group_by(k).agg(
            p_v = percentile_approx(v, 0.5), p_v99 = percentile_approx(v, 0.99, 10),
            p_d10 = percentile_approx(d, 0.1, 100), p_d = percentile_approx(d, 0.5, 1000),
            p_ts = percentile_approx(timestamp_seconds(v), 0.3),
            p_date = percentile_approx(cast(timestamp_seconds(v), "date"), 0.7, 50),
        )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/aggregates");

fn input() -> tempfile::TempDir {
    input_from("input")
}

fn input_from(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join(name), dir.path());
    dir
}

/// The differences between our batches and Spark's, one line each.
fn differences(batches: &[(u64, RecordBatch)], spark: &Value) -> Vec<String> {
    let spark = spark.as_array().unwrap();
    let mut found = Vec::new();
    if batches.len() != spark.len() {
        found.push(format!("{} batches, Spark {}", batches.len(), spark.len()));
    }
    for ((batch_id, batch), spark) in batches.iter().zip(spark) {
        let mut ours = common::golden_objects(batch);
        ours.sort_by_key(|row| row.get("k").map(Value::to_string));
        let rows = spark["rows"].as_array().unwrap();
        if ours.len() != rows.len() {
            found.push(format!("batch {batch_id}: {} rows, Spark {}", ours.len(), rows.len()));
            continue;
        }
        for (ours, spark) in ours.iter().zip(rows) {
            for (column, expected) in spark.as_object().unwrap() {
                let value = ours.get(column).unwrap_or(&Value::Null);
                if !common::same_as_spark_repr(value, expected) {
                    let key = spark.get("k").map_or_else(String::new, Value::to_string);
                    found.push(format!(
                        "batch {batch_id}, k {key}, `{column}`: Rill {value}, Spark {expected}"
                    ));
                }
            }
        }
    }
    found
}

/// Runs `query` over the golden input in `mode`, one file per batch.
fn run<Q>(read: impl Fn(JsonSource) -> rill::DataStreamWriter<Q>, mode: &str) -> Vec<(u64, RecordBatch)>
where
    Q: rill::StreamPlan + rill::SupportsComplete + rill::SupportsUpdate,
{
    let dir = input();
    let sink = common::CapturingSink::default();
    let reader = read(JsonSource::new(dir.path()).max_files_per_trigger(1));
    if mode == "complete" {
        common::run_available_now(reader.complete().to(sink.clone()));
    } else {
        common::run_available_now(reader.update().to(sink.clone()));
    }
    sink.take()
}

fn check<Q>(section: &str, run_name: &str, read: impl Fn(JsonSource) -> rill::DataStreamWriter<Q>)
where
    Q: rill::StreamPlan + rill::SupportsComplete + rill::SupportsUpdate,
{
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let mode = run_name.rsplit('_').next().unwrap();
    let differences = differences(&run(read, mode), &golden[section][run_name]);
    assert!(
        differences.is_empty(),
        "{section} {run_name}:\n{}",
        differences.join("\n")
    );
}

#[test]
fn moments_match_spark_to_the_bit() {
    for mode in ["complete", "update"] {
        check("moments", &format!("grouped_{mode}"), MomentsByKey::read);
        check("moments", &format!("global_{mode}"), Moments::read);
    }
}

#[test]
fn conditional_counts_means_and_bits_match_spark() {
    for mode in ["complete", "update"] {
        check("counting", &format!("grouped_{mode}"), CountingByKey::read);
        check("counting", &format!("global_{mode}"), Counting::read);
    }
}

#[test]
fn higher_moments_match_spark_to_the_bit() {
    for mode in ["complete", "update"] {
        check("higher_moments", &format!("grouped_{mode}"), HigherMomentsByKey::read);
        check("higher_moments", &format!("global_{mode}"), HigherMoments::read);
    }
}

#[test]
fn comoments_match_spark_to_the_bit() {
    for mode in ["complete", "update"] {
        check("comoments", &format!("grouped_{mode}"), CoMomentsByKey::read);
        check("comoments", &format!("global_{mode}"), CoMoments::read);
    }
}

#[test]
fn picks_match_spark() {
    for mode in ["complete", "update"] {
        check("picks", &format!("grouped_{mode}"), PicksByKey::read);
        check("picks", &format!("global_{mode}"), Picks::read);
    }
}

#[test]
fn boolean_aggregates_match_spark() {
    for mode in ["complete", "update"] {
        check("bools", &format!("grouped_{mode}"), BoolsByKey::read);
        check("bools", &format!("global_{mode}"), Bools::read);
    }
}

#[test]
fn small_distinct_counts_match_spark() {
    for mode in ["complete", "update"] {
        check("distinct_small", &format!("grouped_{mode}"), DistinctSmallByKey::read);
        check("distinct_small", &format!("global_{mode}"), DistinctSmall::read);
    }
}

/// Estimates in each of Spark's regimes — linear counting, the bias-corrected range of the
/// HyperLogLog++ tables and the raw estimate — at three precisions, over three batches.
#[test]
fn distinct_estimates_match_spark_in_every_regime() {
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let dir = input_from("input_distinct");
    let sink = common::CapturingSink::default();
    common::run_available_now(
        Distinct::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let found = differences(&sink.take(), &golden["distinct"]["grouped_complete"]);
    assert!(found.is_empty(), "distinct:\n{}", found.join("\n"));
}

#[test]
fn percentiles_match_spark() {
    for mode in ["complete", "update"] {
        check("percentiles", &format!("grouped_{mode}"), PercentilesByKey::read);
        check("percentiles", &format!("global_{mode}"), Percentiles::read);
    }
}

#[test]
fn exact_percentiles_match_spark_to_the_bit() {
    for mode in ["complete", "update"] {
        check(
            "exact_percentiles",
            &format!("grouped_{mode}"),
            ExactPercentilesByKey::read,
        );
        check("exact_percentiles", &format!("global_{mode}"), ExactPercentiles::read);
    }
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let dir = input_from("input_distinct");
    let sink = common::CapturingSink::default();
    common::run_available_now(
        ExactPercentilesOfVisits::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let found = differences(&sink.take(), &golden["exact_percentiles_distinct"]["grouped_complete"]);
    assert!(
        found.is_empty(),
        "exact percentiles of thousands:\n{}",
        found.join("\n")
    );
}

/// Summaries compressed within a batch and when merged with the stored one, at four accuracies,
/// over numbers, timestamps and dates.
#[test]
fn percentiles_of_thousands_match_spark() {
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let dir = input_from("input_distinct");
    let sink = common::CapturingSink::default();
    common::run_available_now(
        PercentilesOfVisits::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let found = differences(&sink.take(), &golden["percentiles_distinct"]["grouped_complete"]);
    assert!(found.is_empty(), "percentiles:\n{}", found.join("\n"));
}

/// More than Spark's head buffer of 50,000 values in one group and batch: the buffer is merged
/// into the samples and compressed within the batch. The input is generated by the formula the
/// golden script uses (`large_value`).
#[test]
fn percentiles_past_the_head_buffer_match_spark() {
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let section = &golden["percentiles_large"];
    let dir = tempfile::tempdir().unwrap();
    for (batch, rows) in section["batches"].as_array().unwrap().iter().enumerate() {
        let batch = batch as u64;
        let lines: Vec<String> = (0..rows.as_u64().unwrap())
            .map(|index| {
                format!(
                    r#"{{"k":"all","v":{}}}"#,
                    ((index + batch * 1_000_003) * 7919) % 1_000_003
                )
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        common::write_file(dir.path(), &format!("part-{batch:03}.json"), &lines, batch);
    }
    let sink = common::CapturingSink::default();
    common::run_available_now(
        LargePercentiles::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let found = differences(&sink.take(), &section["grouped_complete"]);
    assert!(found.is_empty(), "large percentiles:\n{}", found.join("\n"));
}

/// Spark's hash of every type: integers of each width, floats, timestamps, dates, and decimals
/// narrow enough for a long and wider.
#[test]
fn distinct_counts_hash_every_type_as_spark_does() {
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    let dir = input_from("input_distinct");
    let sink = common::CapturingSink::default();
    common::run_available_now(
        DistinctOfEachType::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let found = differences(&sink.take(), &golden["distinct_types"]["grouped_complete"]);
    assert!(found.is_empty(), "distinct of each type:\n{}", found.join("\n"));
}

/// The buffers restored from the checkpoint meet the next batch's partial results exactly as
/// the ones kept in memory do.
#[test]
fn aggregates_survive_restarts_between_batches() {
    fn restarted<Q>(read: impl Fn(JsonSource) -> rill::DataStreamWriter<Q>) -> Vec<(u64, RecordBatch)>
    where
        Q: rill::StreamPlan + rill::SupportsComplete,
    {
        let files = input();
        let mut names: Vec<_> = std::fs::read_dir(files.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        names.sort();
        let (dir, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut batches = Vec::new();
        for file in names {
            std::fs::copy(&file, dir.path().join(file.file_name().unwrap())).unwrap();
            let sink = common::CapturingSink::default();
            common::run_available_now(
                read(JsonSource::new(dir.path()))
                    .complete()
                    .to(sink.clone())
                    .checkpoint(checkpoint.path()),
            );
            batches.extend(sink.take());
        }
        batches
    }
    let golden = common::golden_json(GOLDEN, "expected/aggregates.json");
    for (section, batches) in [
        ("moments", restarted(MomentsByKey::read)),
        ("higher_moments", restarted(HigherMomentsByKey::read)),
        ("picks", restarted(PicksByKey::read)),
        ("percentiles", restarted(PercentilesByKey::read)),
        ("exact_percentiles", restarted(ExactPercentilesByKey::read)),
        ("distinct_small", restarted(DistinctSmallByKey::read)),
    ] {
        let found = differences(&batches, &golden[section]["grouped_complete"]);
        assert!(found.is_empty(), "{section}:\n{}", found.join("\n"));
    }
}

/// `explain` shows each aggregate with the literal arguments it was written with.
#[test]
fn explain_shows_literal_arguments() {
    let picks = PicksByKey::explain();
    assert!(picks.contains("first(s, true)"), "{picks}");
    assert!(picks.contains("max_by(s, x)"), "{picks}");
    let percentiles = PercentilesByKey::explain();
    assert!(percentiles.contains("percentile_approx(x, 0.25, 100)"), "{percentiles}");
    assert!(
        percentiles.contains("percentile_approx(x, 0.5, 10000)"),
        "{percentiles}"
    );
}
