//! `i8`, `i16` and `f32` columns (Spark's `tinyint`, `smallint`, `float`) against Spark 4.3 with
//! ANSI off (`golden/small_numbers/`, written by `make_small_numbers_golden.py`): result types
//! and values of arithmetic, comparisons, casts and functions, how JSON is read into them, and
//! their aggregates. Every value is compared exactly.

use crate::common;

use common::assert_columns_match_spark as assert_matches_spark;
use common::spark_type;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Sample {
        id: Option<i32>, b: Option<i8>, h: Option<i16>, f: Option<f32>, i: Option<i32>,
        l: Option<i64>, d: Option<f64>, s: Option<String>,
    }

    query Arithmetic(raw: Sample) {
        raw.select(
            id,
            b_plus_1 = b + 1, b_minus_b = b - b, b_times_2 = b * 2, f_plus_f = f + f, f_plus_1 = f + 1,
            f_plus_b = f + b, f_plus_i = f + i, f_plus_l = f + l, f_plus_d = f + d, f_minus_f = f - f,
            b_div_2 = b / 2, f_div_2 = f / 2, b_intdiv_2 = div(b, 2), b_mod_3 = b % 3, f_mod_2 = f % 2,
            neg_f = -f, f_times_dec = f * 1.5, f_times_double = f * 1.5, f_plus_dec = f + 1.5,
            b_plus_float = b + cast(1.5, "float"), abs_f = abs(f),
            b_plus_b = b + b, b_times_b = b * b, h_plus_h = h + h, h_plus_b = h + b, h_times_h = h * h,
            b_plus_i = b + i, h_plus_l = h + l, b_plus_l = b + l, h_div_b = h / b, h_mod_b = h % b,
            neg_b = -b, neg_h = -h, abs_b = abs(b), abs_h = abs(h),
        )
    }

    query Comparisons(raw: Sample) {
        raw.select(
            id,
            b_lt_100 = b < 100, f_eq_1_1 = f == 1.1, f_eq_1_1d = f == 1.1,
            f_eq_float_1_1 = f == cast(1.1, "float"), f_eq_1_5 = f == 0.5 + 1, f_eq_2p24 = f == 16777216,
            f_eq_0 = f == 0, f_eq_f = f == f, f_gt_d = f > d, f_eq_d = f == d, b_eq_h = b == h,
            b_eq_127 = b == 127, h_gt_b = h > b,
        )
    }

    query Casts(raw: Sample) {
        raw.select(
            id,
            b_str = cast(b, "string"), h_str = cast(h, "string"), f_str = cast(f, "string"),
            f_double = cast(f, "double"), f_double_str = cast(cast(f, "double"), "string"),
            i_float = cast(i, "float"), l_float = cast(l, "float"), d_float = cast(d, "float"),
            b_smallint = cast(b, "smallint"), b_float = cast(b, "float"), h_float = cast(h, "float"),
            b_bool = cast(b, "boolean"), f_bool = cast(f, "boolean"), b_ts = cast(b, "timestamp"),
            f_int = cast(f, "int"), f_bigint = cast(f, "bigint"), f_tinyint = cast(f, "tinyint"),
            f_smallint = cast(f, "smallint"), i_tinyint = cast(i, "tinyint"), i_smallint = cast(i, "smallint"),
            h_tinyint = cast(h, "tinyint"), l_smallint = cast(l, "smallint"), l_tinyint = cast(l, "tinyint"),
            d_tinyint = cast(d, "tinyint"), s_tinyint = cast(s, "tinyint"), s_smallint = cast(s, "smallint"),
            s_float = cast(s, "float"), s_double = cast(s, "double"), f_ts = cast(f, "timestamp"),
        )
    }

    query Functions(raw: Sample) {
        raw.select(
            id,
            round_f_1 = round(f, 1), round_f = round(f), bround_f_0 = bround(f, 0), floor_b = floor(b),
            ceil_b = ceil(b), sqrt_f = sqrt(f), sqrt_b = sqrt(b), signum_f = signum(f), pmod_b_3 = pmod(b, 3),
            greatest_bhi = greatest(b, h, i), greatest_bh = greatest(b, h), least_fd = least(f, d),
            least_fb = least(f, b), coalesce_bh = coalesce(b, h), coalesce_f0 = coalesce(f, 0),
            concat_bf = concat(b, "-", f), concat_hf = concat(h, "|", f), hash_b = hash(b), hash_h = hash(h),
            hash_f = hash(f), hash_bhf = hash(b, h, f), xx_b = xxhash64(b), xx_h = xxhash64(h),
            xx_f = xxhash64(f), fn_f2 = format_number(f, 2), fn_b1 = format_number(b, 1),
            fn_h0 = format_number(h, 0), round_b_m1 = round(b, -1), floor_f = floor(f), ceil_f = ceil(f),
        )
    }

    schema Small { b: i8, h: i16, f: f32 }
    query SmallValues(raw: Small) { raw.select(b, h, f) }

    query Totals(raw: Sample) {
        raw.agg(
            sum_b = sum(b), sum_h = sum(h), sum_f = sum(f), avg_b = avg(b), avg_h = avg(h), avg_f = avg(f),
            min_b = min(b), max_b = max(b), min_h = min(h), max_h = max(h), min_f = min(f), max_f = max(f),
            count_f = count(f), count_all = count(),
        )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/small_numbers");

fn golden() -> Value {
    common::golden_json(GOLDEN, "expected/small_numbers.json")
}

#[test]
fn arithmetic_matches_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Arithmetic::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

#[test]
fn comparisons_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Comparisons::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

#[test]
fn casts_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(Casts::read(JsonSource::new(input.path())), &golden()["non_ansi_all"]);
}

#[test]
fn functions_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Functions::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

#[test]
fn aggregates_match_spark() {
    let golden = golden();
    let spark = &golden["aggregates"]["global"];
    let input = common::golden_input(GOLDEN);
    let sink = common::CapturingSink::default();
    common::run_available_now(Totals::read(JsonSource::new(input.path())).complete().to(sink.clone()));
    let columns: Vec<String> = spark["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let batches = sink.take();
    let (_, batch) = batches.last().unwrap();
    for field in batch.schema().fields() {
        assert_eq!(
            spark_type(field.data_type()),
            spark["column_types"][field.name()],
            "`{}`",
            field.name()
        );
    }
    let rows: Vec<Value> = common::golden_objects(batch)
        .into_iter()
        .map(|object| Value::Array(columns.iter().map(|c| object[c].clone()).collect()))
        .collect();
    assert_eq!(rows, spark["streaming_complete_rows"].as_array().unwrap().clone());
}

/// JSON read into the small types, line by line as Spark's PERMISSIVE reader does: values in
/// range, tinyints up to 255 wrapped, floats rounded once (to ±Infinity and ±0.0 beyond
/// range); a record with a value that does not fit is malformed.
#[test]
fn json_is_read_into_small_numbers_as_spark_reads_it() {
    let golden = golden();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for line in golden["input_bad"]["permissive"]["lines"].as_array().unwrap() {
        let text = line["line"].as_str().unwrap();
        std::fs::write(dir.path().join("line.json"), format!("{text}\n")).unwrap();
        let sink = common::CapturingSink::default();
        let query = common::run_available_now(
            Casts::read(JsonSource::new(dir.path()).mode(ParseMode::Permissive))
                .append()
                .to(sink.clone()),
        );
        let malformed = query.last_progress().unwrap().num_malformed_rows > 0;
        assert_eq!(malformed, line["corrupt"] == true, "{text}: malformed");
        if !malformed {
            // The values read, as `cast(b, "smallint")` and `cast(f, "double")`, are Spark's.
            let spark = &line["row"];
            let rows = sink.take();
            let object = &common::golden_objects(&rows[0].1)[0];
            assert_eq!(object["b_smallint"], spark[1], "{text}: b");
            assert_eq!(object["f_double"], spark[3], "{text}: f");
            compared += 1;
        }
    }
    assert!(compared > 10);
}

/// The small types from CSV text and from Parquet's own `INT8`, `INT16` and `FLOAT` columns.
#[test]
fn csv_and_parquet_hold_small_numbers() {
    use std::sync::Arc;

    use rill::arrow_array::{ArrayRef, Float32Array, Int8Array, Int16Array, RecordBatch};

    let run = |source: FileSource| {
        let sink = common::CapturingSink::default();
        common::run_available_now(SmallValues::read(source).append().to(sink.clone()));
        sink.take()
            .iter()
            .flat_map(|(_, batch)| SmallValuesRow::from_batch(batch).unwrap())
            .map(|row| (row.b, row.h, row.f.to_bits()))
            .collect::<Vec<_>>()
    };
    let expected = vec![(-128, 32767, 1.1f32.to_bits()), (127, -7, f32::INFINITY.to_bits())];

    let csv = tempfile::tempdir().unwrap();
    common::write_file(
        csv.path(),
        "a.csv",
        &["-128,32767,1.1", "127,-7,Infinity", "128,0,0"],
        0,
    );
    // `128` is no tinyint: that record is malformed, and dropped.
    assert_eq!(
        run(FileSource::csv(csv.path()).mode(ParseMode::DropMalformed)),
        expected
    );

    let parquet = tempfile::tempdir().unwrap();
    let batch = RecordBatch::try_from_iter([
        ("b", Arc::new(Int8Array::from(vec![-128, 127])) as ArrayRef),
        ("h", Arc::new(Int16Array::from(vec![32767, -7])) as ArrayRef),
        ("f", Arc::new(Float32Array::from(vec![1.1, f32::INFINITY])) as ArrayRef),
    ])
    .unwrap();
    let file = std::fs::File::create(parquet.path().join("a.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    assert_eq!(run(FileSource::parquet(parquet.path())), expected);
}
