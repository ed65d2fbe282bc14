//! `cast(x, "type")` against Spark 4.3 with `spark.sql.ansi.enabled=false` (`golden/casts/`,
//! written by `make_casts_golden.py`), row by row: text to every type (spaces, signs,
//! fractions, exponents, out-of-range and malformed numbers, boolean words, dates and
//! timestamps in Spark's forms), numbers between each other and to text, booleans, timestamps
//! and dates. A text that does not parse is null, and counted in `numUnparseableValues`.

use crate::common;

use std::path::Path;

use rill::prelude::*;
use serde_json::{Value, json};

rill::stream! {
    schema Mixed {
        id: Option<i32>,
        s: Option<String>,
        i: Option<i32>,
        l: Option<i64>,
        d: Option<f64>,
        b: Option<bool>,
        ts: Option<Timestamp>,
        dt: Option<Date>,
    }

    query Casts(raw: Mixed) {
        raw.select(
            id,
            s_int = cast(s, "int"),
            s_long = cast(s, "bigint"),
            s_double = cast(s, "double"),
            s_bool = cast(s, "boolean"),
            s_ts = cast(s, "timestamp"),
            s_date = cast(s, "date"),
            i_long = cast(i, "bigint"),
            i_double = cast(i, "double"),
            i_string = cast(i, "string"),
            i_bool = cast(i, "boolean"),
            l_int = cast(l, "int"),
            l_double = cast(l, "double"),
            l_string = cast(l, "string"),
            l_ts = cast(l, "timestamp"),
            d_int = cast(d, "int"),
            d_long = cast(d, "bigint"),
            d_string = cast(d, "string"),
            d_bool = cast(d, "boolean"),
            d_ts = cast(d, "timestamp"),
            b_int = cast(b, "int"),
            b_double = cast(b, "double"),
            b_string = b.cast("string"),
            ts_string = cast(ts, "string"),
            ts_date = cast(ts, "date"),
            ts_long = cast(ts, "bigint"),
            ts_double = cast(ts, "double"),
            dt_string = cast(dt, "string"),
            dt_ts = cast(dt, "timestamp"),
            s_concat_i = concat(s, cast(i, "string")),
        )
    }

    schema Typed { s: String, i: i32, l: i64, d: f64, big: f64, b: bool, ts: Timestamp, dt: Date, n: Option<i32> }

    query Concatenated(raw: Typed) {
        raw.select(
            s_i = concat(s, i),
            s_l = concat(s, l),
            s_d = concat(s, d),
            s_big = concat(s, big),
            s_b = concat(s, b),
            s_ts = concat(s, ts),
            s_dt = concat(s, dt),
            s_n = concat(s, n),
            ws = concat_ws("-", s, i, d, b),
            ws_n = concat_ws("-", s, n),
            i_d = concat(i, d),
        )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/casts");

/// Whether two texts of a double name the same double. Java 17's `Double.toString`, which made
/// the golden file, is not always the shortest form (`4.9E-324`, `9.999999999999999E22`); Java
/// 19 and later print the shortest, as Rill does (`5.0E-324`, `1.0E23`).
fn same_double(ours: &Value, spark: &Value) -> bool {
    let parse = |value: &Value| value.as_str().and_then(|text| text.parse::<f64>().ok());
    matches!((parse(ours), parse(spark)), (Some(a), Some(b)) if a == b)
}

#[test]
fn casts_match_spark_without_ansi() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(GOLDEN).join("expected/casts.json")).unwrap()).unwrap();
    let input = common::golden_input(GOLDEN);
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(Casts::read(JsonSource::new(input.path())).append().to(sink.clone()));
    let rows: Vec<(i32, Value)> = sink
        .take()
        .iter()
        .flat_map(|(_, batch)| CastsRow::from_batch(batch).unwrap())
        .map(|r| {
            (
                r.id.unwrap(),
                json!({
                    "s_int": r.s_int, "s_long": r.s_long, "s_double": common::spark_double(r.s_double), "s_bool": r.s_bool,
                    "s_ts": common::micros(r.s_ts), "s_date": common::date(r.s_date),
                    "i_long": r.i_long, "i_double": common::spark_double(r.i_double), "i_string": r.i_string, "i_bool": r.i_bool,
                    "l_int": r.l_int, "l_double": common::spark_double(r.l_double), "l_string": r.l_string, "l_ts": common::micros(r.l_ts),
                    "d_int": r.d_int, "d_long": r.d_long, "d_string": r.d_string, "d_bool": r.d_bool,
                    "d_ts": common::micros(r.d_ts),
                    "b_int": r.b_int, "b_double": common::spark_double(r.b_double), "b_string": r.b_string,
                    "ts_string": r.ts_string, "ts_date": common::date(r.ts_date), "ts_long": r.ts_long,
                    "ts_double": common::spark_double(r.ts_double),
                    "dt_string": r.dt_string, "dt_ts": common::micros(r.dt_ts),
                    "s_concat_i": r.s_concat_i,
                }),
            )
        })
        .collect();
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let inputs = golden["input_rows"].as_array();
    // A time without a date is today's, whenever Spark ran: not comparable.
    let date_dependent: Vec<(i64, &str)> = golden["date_dependent_cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| (cell["id"].as_i64().unwrap(), cell["column"].as_str().unwrap()))
        .collect();
    let mut differences = Vec::new();
    for spark in golden["rows"].as_array().unwrap() {
        let id = spark[0].as_i64().unwrap();
        let (_, ours) = rows.iter().find(|(ours, _)| i64::from(*ours) == id).unwrap();
        let text = inputs
            .and_then(|rows| rows.iter().find(|r| r[0].as_i64() == Some(id)))
            .and_then(|r| r[1].as_str())
            .unwrap_or_default();
        for (index, column) in columns.iter().enumerate().skip(1) {
            if date_dependent.contains(&(id, column)) {
                continue;
            }
            if *column == "d_string" && same_double(&ours[column], &spark[index]) {
                continue;
            }
            if ours[column] != spark[index] {
                differences.push(format!(
                    "id {id} ({text:?}), `{column}`: Rill {}, Spark {}",
                    ours[column], spark[index]
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // Every text that is not null and did not parse was counted.
    let unparseable: u64 = query.recent_progress().iter().map(|p| p.num_unparseable_values).sum();
    assert!(unparseable > 0);
}

/// `concat` and `concat_ws` cast numbers, booleans, timestamps and dates to text, as Spark does
/// implicitly (`golden/casts/check_concat_coercion.py`, whose Spark output is
/// `expected/concat_coercion.txt`).
#[test]
fn concat_casts_its_arguments_to_text_as_spark() {
    let stream = rill::source::MemoryStream::<Typed>::new();
    stream
        .add_rows(&[Typed {
            s: "a".to_owned(),
            i: 1,
            l: 3_000_000_000,
            d: 1.5,
            big: 1e7,
            b: true,
            ts: Timestamp::parse("2024-02-29 13:45:10.5").unwrap(),
            dt: Date::parse("2024-02-29").unwrap(),
            n: None,
        }])
        .unwrap();
    let table = MemorySink::named("concatenated");
    common::run_available_now(Concatenated::read(stream).append().to(table.clone()));
    let row = &table.rows::<ConcatenatedRow>().unwrap()[0];
    let ours = [
        ("concat(s, i)", Some(row.s_i.clone())),
        ("concat(s, l)", Some(row.s_l.clone())),
        ("concat(s, d)", Some(row.s_d.clone())),
        ("concat(s, big)", Some(row.s_big.clone())),
        ("concat(s, b)", Some(row.s_b.clone())),
        ("concat(s, ts)", Some(row.s_ts.clone())),
        ("concat(s, dt)", Some(row.s_dt.clone())),
        ("concat(s, n)", row.s_n.clone()),
        ("concat_ws('-', s, i, d, b)", Some(row.ws.clone())),
        ("concat_ws('-', s, n)", Some(row.ws_n.clone())),
        ("concat(i, d)", Some(row.i_d.clone())),
    ];
    let spark = std::fs::read_to_string(Path::new(GOLDEN).join("expected/concat_coercion.txt")).unwrap();
    for (expression, value) in ours {
        let printed = match value {
            Some(text) => format!("{expression} => '{text}'"),
            None => format!("{expression} => None"),
        };
        assert!(
            spark.lines().any(|line| line == printed),
            "{printed} is not in Spark's output:\n{spark}"
        );
    }
}
