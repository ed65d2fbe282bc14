//! CSV headers and field counts against Spark 4.3 (`golden/issue10/`, written by
//! `make_issue10_golden.py`):
//! - a header is matched to the schema by position, whatever its names say (Spark's default
//!   `enforceSchema = true`), and a header whose names differ is logged and counted;
//!   `enforce_schema(false)` refuses such a header in every mode;
//! - a record with too few or too many fields is malformed in every mode: `Permissive` keeps
//!   the fields it has, with its text in `_corrupt_record`; `DropMalformed` drops it;
//!   `FailFast` stops on it.

use crate::common;

use std::path::Path;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Spend { user_id: Option<String>, amount: Option<f64> }
    query AllSpend(raw: Spend) {
        raw.select(user_id, amount)
    }

    schema Purchase { user_id: Option<String>, amount: Option<f64>, kind: Option<String> }
    query AllPurchases(raw: Purchase) {
        raw.select(user_id, amount, kind)
    }

    schema PurchaseOrCorrupt {
        user_id: Option<String>,
        amount: Option<f64>,
        kind: Option<String>,
        _corrupt_record: Option<String>,
    }
    query AllPurchasesOrCorrupt(raw: PurchaseOrCorrupt) {
        raw.select(user_id, amount, kind, _corrupt_record)
    }

    schema Abc { a: Option<String>, b: Option<String>, c: Option<String> }
    query AllAbc(raw: Abc) {
        raw.select(a, b, c)
    }

    schema AbcOrCorrupt { a: Option<String>, b: Option<String>, c: Option<String>, _corrupt_record: Option<String> }
    query AllAbcOrCorrupt(raw: AbcOrCorrupt) {
        raw.select(a, b, c, _corrupt_record)
    }

    schema AIntCOrCorrupt { a: Option<String>, b: Option<i32>, c: Option<String>, _corrupt_record: Option<String> }
    query AllAIntCOrCorrupt(raw: AIntCOrCorrupt) {
        raw.select(a, b, c, _corrupt_record)
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/issue10");
const QUOTES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/csv_quotes");

fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{GOLDEN}/expected/csv_header.json")).unwrap()).unwrap()
}

fn field_count_golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{GOLDEN}/expected/csv_field_count.json")).unwrap()).unwrap()
}

/// What a run gave: its rows as Spark's golden files write them, or `None` when it failed,
/// and the header mismatches its progress reports counted.
#[derive(Debug, PartialEq)]
struct Outcome {
    rows: Option<Vec<Value>>,
    header_mismatches: u64,
}

fn mode(name: &str) -> ParseMode {
    match name {
        "PERMISSIVE" => ParseMode::Permissive,
        "DROPMALFORMED" => ParseMode::DropMalformed,
        "FAILFAST" => ParseMode::FailFast,
        other => panic!("unknown mode {other}"),
    }
}

fn double(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |v| serde_json::json!(v))
}

/// Runs `Q` over a copy of the golden input directory `input`, with `options` and `mode`.
fn run<Q: StreamPlan + rill::SupportsAppend>(
    input: &str,
    options: CsvOptions,
    mode: ParseMode,
    rows: impl Fn(&MemorySink) -> Vec<Value>,
) -> Outcome {
    run_in::<Q>(&Path::new(GOLDEN).join("input").join(input), options, mode, rows)
}

/// Runs `Q` over a copy of directory `input`, with `options` and `mode`.
fn run_in<Q: StreamPlan + rill::SupportsAppend>(
    input: &Path,
    options: CsvOptions,
    mode: ParseMode,
    rows: impl Fn(&MemorySink) -> Vec<Value>,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(input).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let table = MemorySink::named(format!(
        "csv_{}",
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let source = FileSource::csv(dir.path()).csv_options(options).mode(mode);
    let query = rill::DataStreamWriter::<Q>::new(source)
        .append()
        .to(table.clone())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let finished = query.await_termination();
    let header_mismatches = query
        .recent_progress()
        .iter()
        .filter_map(|p| p.sources[0].metrics.get("numCsvHeaderMismatches"))
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    Outcome {
        rows: finished.is_ok().then(|| common::sorted(rows(&table))),
        header_mismatches,
    }
}

fn spend_rows(table: &MemorySink) -> Vec<Value> {
    table
        .rows::<AllSpendRow>()
        .unwrap()
        .into_iter()
        .map(|r| serde_json::json!([r.user_id, double(r.amount)]))
        .collect()
}

fn purchase_rows(table: &MemorySink) -> Vec<Value> {
    table
        .rows::<AllPurchasesRow>()
        .unwrap()
        .into_iter()
        .map(|r| serde_json::json!([r.user_id, double(r.amount), r.kind]))
        .collect()
}

#[test]
fn headers_are_matched_by_position_and_a_mismatch_is_counted_or_refused_as_in_spark() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap();
        for (enforce, key) in [(true, "enforceSchema_true"), (false, "enforceSchema_false")] {
            for (mode_name, expected) in case[key].as_object().unwrap() {
                let options = CsvOptions::default().header(true).enforce_schema(enforce);
                let got = run::<AllSpend>(&format!("csv_header/{name}"), options, mode(mode_name), spend_rows);
                let rows = expected["rows"].as_array().map(|rows| common::sorted(rows.clone()));
                // A failed batch reports no progress, so its count is not seen.
                let warned = !expected["warnings"].as_array().unwrap().is_empty() && rows.is_some();
                assert_eq!(
                    got,
                    Outcome {
                        rows,
                        header_mismatches: u64::from(warned),
                    },
                    "case {name} ({}), enforce_schema({enforce}), {mode_name}",
                    case["description"]
                );
            }
        }
    }
}

#[test]
fn a_header_can_be_matched_by_name_instead() {
    let options = CsvOptions::default().header(true).header_columns(HeaderColumns::ByName);
    // `amount,user_id` with values in that order: by name, each value lands in its column.
    let got = run::<AllSpend>("csv_header/c", options.clone(), ParseMode::FailFast, spend_rows);
    assert_eq!(got.header_mismatches, 0);
    let rows = got.rows.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|row| row[0].as_str().unwrap().starts_with('u')),
        "{rows:?}"
    );
    // `a,b` names neither column: both are null, and the mismatch is counted.
    let got = run::<AllSpend>("csv_header/d", options, ParseMode::Permissive, spend_rows);
    assert_eq!(got.header_mismatches, 1);
    assert!(
        got.rows
            .unwrap()
            .iter()
            .all(|row| row == &serde_json::json!([null, null]))
    );
}

#[test]
fn records_with_another_field_count_are_malformed_as_in_spark() {
    let golden = field_count_golden();
    for (mode_name, expected) in golden["whole_file"]["plain"].as_object().unwrap() {
        let got = run::<AllPurchases>(
            "csv_field_count/all",
            CsvOptions::default(),
            mode(mode_name),
            purchase_rows,
        );
        let rows = expected["rows"].as_array().map(|rows| common::sorted(rows.clone()));
        assert_eq!(got.rows, rows, "plain schema, {mode_name}");
    }
    for (mode_name, expected) in golden["whole_file"]["with_corrupt"].as_object().unwrap() {
        let got =
            run::<AllPurchasesOrCorrupt>("csv_field_count/all", CsvOptions::default(), mode(mode_name), |table| {
                table
                    .rows::<AllPurchasesOrCorruptRow>()
                    .unwrap()
                    .into_iter()
                    .map(|r| serde_json::json!([r.user_id, double(r.amount), r.kind, r._corrupt_record]))
                    .collect()
            });
        let rows = expected["rows"].as_array().map(|rows| common::sorted(rows.clone()));
        assert_eq!(got.rows, rows, "with _corrupt_record, {mode_name}");
    }
}

#[test]
fn each_line_alone_gets_spark_s_verdict() {
    let golden = field_count_golden();
    for line in golden["per_line"].as_array().unwrap() {
        let index = line["index"].as_u64().unwrap();
        for (mode_name, expected) in line["plain"].as_object().unwrap() {
            let got = run::<AllPurchases>(
                &format!("csv_field_count/line_{index}"),
                CsvOptions::default(),
                mode(mode_name),
                purchase_rows,
            );
            let rows = expected["rows"].as_array().map(|rows| common::sorted(rows.clone()));
            assert_eq!(got.rows, rows, "line {index} {:?}, {mode_name}", line["line"]);
        }
    }
}

/// Quoting as Spark 4.3's CSV reader does it (`golden/csv_quotes/`, written by
/// `make_csv_quotes_golden.py`): a field is quoted only when it starts with the quote; inside,
/// the escape (`\`) escapes a quote or itself and nothing else; a quote not followed by the
/// delimiter leaves the field raw; quotes ending a field are kept but for the last; an unclosed
/// quote runs to the end of the line; a field that is the null value, quoted or not, is null; odd
/// quoting never makes a record malformed, only its field count does. Also with another null
/// value, the quote as its own escape (`""` is a quote) and another quote character.
#[test]
fn quoted_fields_are_split_as_spark_splits_them() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{QUOTES}/expected/csv_quotes.json")).unwrap()).unwrap();
    let text = |value: Option<String>| value.map_or(Value::Null, Value::String);
    let mut differences = Vec::new();
    let results = golden["results"].as_array().unwrap();
    // The same with a null value, the quote as its own escape, and another quote.
    let with_options = golden["options_results"].as_array().unwrap();
    assert!(results.len() >= 80 && with_options.len() >= 20);
    for result in results.iter().chain(with_options) {
        let input = Path::new(QUOTES).join("input").join(result["input"].as_str().unwrap());
        let schema = result["schema"].as_str().unwrap();
        let parse_mode = mode(result["mode"].as_str().unwrap());
        let mut options = CsvOptions::default();
        for (option, value) in result["options"].as_object().into_iter().flatten() {
            let value = value.as_str().unwrap();
            options = match option.as_str() {
                "nullValue" => options.null_value(value),
                "escape" => options.escape(value.as_bytes()[0]),
                "quote" => options.quote(value.as_bytes()[0]),
                other => panic!("unexpected option {other}"),
            };
        }
        let got = match schema {
            "a string, b string, c string" => run_in::<AllAbc>(&input, options, parse_mode, |table| {
                table
                    .rows::<AllAbcRow>()
                    .unwrap()
                    .into_iter()
                    .map(|r| serde_json::json!([text(r.a), text(r.b), text(r.c)]))
                    .collect()
            }),
            "a string, b string, c string, _corrupt_record string" => {
                run_in::<AllAbcOrCorrupt>(&input, options, parse_mode, |table| {
                    table
                        .rows::<AllAbcOrCorruptRow>()
                        .unwrap()
                        .into_iter()
                        .map(|r| serde_json::json!([text(r.a), text(r.b), text(r.c), text(r._corrupt_record)]))
                        .collect()
                })
            }
            "a string, b int, c string, _corrupt_record string" => {
                run_in::<AllAIntCOrCorrupt>(&input, options, parse_mode, |table| {
                    table
                        .rows::<AllAIntCOrCorruptRow>()
                        .unwrap()
                        .into_iter()
                        .map(|r| serde_json::json!([text(r.a), r.b, text(r.c), text(r._corrupt_record)]))
                        .collect()
                })
            }
            other => panic!("unexpected schema {other}"),
        };
        let expected = result["rows"].as_array().map(|rows| common::sorted(rows.clone()));
        if got.rows != expected {
            differences.push(format!(
                "{} ({schema}, {}, {}): Rill {:?}, Spark {:?}",
                result["input"], result["mode"], result["options"], got.rows, expected
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
