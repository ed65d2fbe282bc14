//! Regular expressions, hashes, `format_number`, `months_between`, interval arithmetic and time
//! zones
//! against Spark 4.3 (`golden/text_functions/`, written by `make_text_functions_golden.py`), row
//! by row on nulls, empty strings, unicode (accents, CJK, emoji), signed zeros, NaN and the
//! infinities, integer extremes, leap days, month ends and daylight-saving changes. Every value
//! is compared exactly.

use crate::common;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Sample {
        id: Option<i32>, s: Option<String>, p: Option<String>, x: Option<f64>, k: Option<i32>,
        m: Option<i64>, ts: Option<Timestamp>, d: Option<Date>, b: Option<bool>,
    }

    query Regexes(raw: Sample) {
        raw.select(
            id,
            rx_word = regexp_extract(s, r"([a-z]+)-(\d+)", 1),
            rx_num = regexp_extract(s, r"([a-z]+)-(\d+)", 2),
            rx_digits0 = regexp_extract(s, r"(\d+)", 0),
            rx_optional_group = regexp_extract(s, "[a-z]+(x)?", 1),
            rr_digits = regexp_replace(s, r"\d+", "#"),
            rr_swap = regexp_replace(s, r"([a-z])(\d)", "$2$1"),
            rr_trim = regexp_replace(s, r"^\s+|\s+$", ""),
            rr_groups = regexp_replace(s, r"(\w+)@(\w+)", "$2 at $1"),
            rr_escaped_dollar = regexp_replace(s, "a", r"\$"),
            rl_lower_start = regexp_like(s, "^[a-z]"),
            rlike_3digits = s.rlike(r"\d{3}"),
            regexp_empty = regexp(s, "^$"),
            rl_ci_e_acute = regexp_like(s, "(?i)^É"),
            rc_digits = regexp_count(s, r"\d"),
            rsub_digits = regexp_substr(s, r"\d+"),
            split_class_0 = split(s, "[,.]")[0],
            split_comma_size = size(split(s, ",")),
            split_empty_0 = split(s, "")[0],
            split_try_2 = try_element_at(split(s, ","), 2),
            split_last = element_at(split(s, ","), -1),
            split_comma_1 = split(s, ",")[1],
            split_limit2_1 = split(s, ",", 2)[1],
        )
    }

    query Hashes(raw: Sample) {
        raw.select(
            id,
            md5_s = md5(s),
            sha1_s = sha1(s),
            sha256_s = sha2(s, 256),
            sha224_s = sha2(s, 224),
            sha384_s = sha2(s, 384),
            sha512_s = sha2(s, 512),
            sha2_0_s = sha2(s, 0),
            crc32_s = crc32(s),
            hash_s = hash(s),
            hash_k = hash(k),
            hash_m = hash(m),
            hash_x = hash(x),
            hash_b = hash(b),
            hash_ts = hash(ts),
            hash_d = hash(d),
            hash_skm = hash(s, k, m),
            hash_ks = hash(k, s),
            xx_s = xxhash64(s),
            xx_k = xxhash64(k),
            xx_m = xxhash64(m),
            xx_x = xxhash64(x),
            xx_b = xxhash64(b),
            xx_ts = xxhash64(ts),
            xx_d = xxhash64(d),
            xx_skm = xxhash64(s, k, m),
        )
    }

    query Numbers(raw: Sample) {
        raw.select(
            id,
            fn_x2 = format_number(x, 2),
            fn_x0 = format_number(x, 0),
            fn_x4 = format_number(x, 4),
            fn_k2 = format_number(k, 2),
            fn_m0 = format_number(m, 0),
            fn_x_neg = format_number(x, -1),
            fn_x_k = format_number(x, k),
            fn_x_pat = format_number(x, "#,##0.0"),
            fn_m_pat = format_number(m, "0000"),
        )
    }

    query Times(raw: Sample) {
        raw.select(
            id,
            mb_ts = months_between(ts, to_timestamp("2024-01-31 00:00:00")),
            mb_ts_noround = months_between(ts, to_timestamp("2024-01-31 00:00:00"), false),
            mb_d = months_between(d, to_date("2024-01-31")),
            mb_ts_d = months_between(ts, d),
            ts_plus_30m = ts + interval("30 minutes"),
            ts_minus_dts = ts - interval("1 day 2 hours 3 minutes 4 seconds 500 milliseconds"),
            ts_plus_1mo = ts + interval("1 month"),
            ts_plus_1y2m = ts + interval("1 year 2 months"),
            d_plus_1d = d + interval("1 day"),
            d_plus_3h = d + interval("3 hours"),
            d_plus_1mo = d + interval("1 month"),
            ts_plus_mi = ts + interval("1 month 1 day 2 hours"),
            to_utc_berlin = to_utc_timestamp(ts, "Europe/Berlin"),
            from_utc_berlin = from_utc_timestamp(ts, "Europe/Berlin"),
            from_utc_ny = from_utc_timestamp(ts, "America/New_York"),
            to_utc_kolkata = to_utc_timestamp(ts, "Asia/Kolkata"),
            from_utc_p0530 = from_utc_timestamp(ts, "+05:30"),
            from_utc_utc = from_utc_timestamp(ts, "UTC"),
        )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/text_functions");

/// Compares every column of `batches` (keyed by id) with Spark's values, exactly.
fn assert_matches_spark(batches: Vec<(u64, rill::arrow_array::RecordBatch)>) {
    let golden = common::golden_json(GOLDEN, "expected/text_functions.json");
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // A column Spark's ANSI mode fails on some rows (an index out of range): the other rows'
    // values, and null — Spark's non-ANSI answer — on the failing ones.
    let (compared, differences) =
        common::differences_by_id(&batches, &columns, golden["rows"].as_array().unwrap(), |name, id| {
            spark_without_ansi(&golden["errors"], name, id)
        });
    assert!(compared > 0);
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Spark's value of error column `name` for row `id`: from the rows that did not fail, else null.
fn spark_without_ansi(errors: &Value, name: &str, id: &Value) -> Value {
    let (_, error) = errors
        .as_object()
        .unwrap()
        .iter()
        .find(|(sql, _)| sql.ends_with(&format!(" AS {name}")))
        .unwrap_or_else(|| panic!("no golden column {name}"));
    let failing = error["failing_ids"].as_array().unwrap().contains(id);
    let other = error["other_rows"].as_array().unwrap().iter().find(|row| row[0] == *id);
    match (failing, other) {
        (false, Some(row)) => row[1].clone(),
        _ => Value::Null,
    }
}

fn run<Q: rill::StreamPlan + rill::SupportsAppend>(writer: rill::DataStreamWriter<Q>) {
    let sink = common::CapturingSink::default();
    common::run_available_now(writer.append().to(sink.clone()));
    let batches = sink.take();
    assert_eq!(batches.iter().map(|(_, batch)| batch.num_rows()).sum::<usize>(), 16);
    assert_matches_spark(batches);
}

#[test]
fn regular_expressions_match_spark() {
    let input = common::golden_input(GOLDEN);
    run(Regexes::read(JsonSource::new(input.path())));
}

#[test]
fn hashes_match_spark() {
    let input = common::golden_input(GOLDEN);
    run(Hashes::read(JsonSource::new(input.path())));
}

#[test]
fn format_number_matches_spark() {
    let input = common::golden_input(GOLDEN);
    run(Numbers::read(JsonSource::new(input.path())));
}

#[test]
fn months_between_intervals_and_zones_match_spark() {
    let input = common::golden_input(GOLDEN);
    run(Times::read(JsonSource::new(input.path())));
}
