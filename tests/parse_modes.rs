//! Parse modes against Spark 4.3: the rows Rill's JSON source produces from files mixing good
//! and malformed records equal Spark's, in `Permissive` and `DropMalformed` modes, and in
//! every mode the rows produced plus the malformed rows dropped equal the records read.
//! Expected outputs: `tests/golden/parse_modes/` (written by `spark_parse_modes.py`).

use crate::common;

use std::path::Path;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Mixed {
        event_id: Option<String>,
        user_id: Option<String>,
        event_type: Option<String>,
        event_time: Option<String>,
        amount: Option<f64>,
        _corrupt_record: Option<String>,
    }
    query AllMixed(raw: Mixed) {
        raw.select(event_id, user_id, event_type, event_time, amount, _corrupt_record)
    }

    schema Typed { n: Option<i64>, flag: Option<bool>, ts: Option<Timestamp>, d: Option<Date>, i: Option<i32>, _corrupt_record: Option<String> }
    query AllTyped(raw: Typed) {
        raw.select(n, flag, ts, d, i, _corrupt_record)
    }

    /// The same records with every column required: a record without a value for one cannot
    /// be represented, so it is dropped even in `Permissive` mode — and counted.
    schema Strict { user_id: String, amount: f64 }
    query StrictRows(raw: Strict) {
        raw.select(user_id, amount)
    }
}

fn golden(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/parse_modes")
        .join(name)
}

/// Records (non-blank lines) in a golden input.
fn record_count(name: &str) -> u64 {
    let text = std::fs::read(golden(name)).unwrap();
    text.split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

/// A directory holding a copy of golden input `name`.
fn input(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(golden(name), dir.path().join(name)).unwrap();
    dir
}

fn expected(name: &str) -> Vec<Value> {
    std::fs::read_to_string(golden(name))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A double as Python's `repr` writes it.
fn python_double(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |v| {
        Value::String(if v.is_nan() {
            "nan".to_owned()
        } else if v.is_infinite() {
            if v > 0.0 { "inf" } else { "-inf" }.to_owned()
        } else {
            format!("{v:?}")
        })
    })
}

/// Runs `Q` over `dir` in `mode` and returns its rows with the batch's progress.
fn run<Q>(dir: &Path, mode: ParseMode, table: &str) -> (Vec<Q::Output>, rill::StreamingQueryProgress)
where
    Q: StreamPlan + rill::SupportsAppend,
{
    let sink = MemorySink::named(table);
    let query = common::run_available_now(
        rill::DataStreamWriter::<Q>::new(FileSource::json(dir).mode(mode))
            .append()
            .to(sink.clone()),
    );
    (sink.rows::<Q::Output>().unwrap(), query.last_progress().unwrap())
}

fn mixed_values(rows: &[AllMixedRow]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            serde_json::json!({
                "event_id": r.event_id, "user_id": r.user_id, "event_type": r.event_type,
                "event_time": r.event_time, "amount": python_double(r.amount), "_corrupt_record": r._corrupt_record,
            })
        })
        .collect()
}

fn typed_values(rows: &[AllTypedRow]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            serde_json::json!({
                "n": r.n, "flag": r.flag, "ts": r.ts.map(|t| t.micros()), "d": r.d.map(|d| d.to_string()),
                "i": r.i, "_corrupt_record": r._corrupt_record,
            })
        })
        .collect()
}

/// Spark's typed rows with timestamps as microseconds, to compare with [`typed_values`].
fn spark_typed(name: &str) -> Vec<Value> {
    expected(name)
        .into_iter()
        .map(|mut row| {
            row["ts"] = row["ts"]
                .as_str()
                .map_or(Value::Null, |text| Timestamp::parse(text).unwrap().micros().into());
            row
        })
        .collect()
}

#[test]
fn permissive_keeps_malformed_records_as_spark_does() {
    let dir = input("mixed.json");
    let (rows, progress) = run::<AllMixed>(dir.path(), ParseMode::Permissive, "modes_mixed_permissive");
    assert_eq!(mixed_values(&rows), expected("mixed_permissive.jsonl"));
    let corrupt = rows.iter().filter(|r| r._corrupt_record.is_some()).count() as u64;
    assert_eq!(progress.num_malformed_rows, corrupt);
    assert_eq!(progress.num_dropped_malformed_rows, 0);
    assert_eq!(progress.num_input_rows, record_count("mixed.json"));
}

#[test]
fn drop_malformed_drops_what_spark_drops() {
    let dir = input("mixed.json");
    let (rows, progress) = run::<AllMixed>(dir.path(), ParseMode::DropMalformed, "modes_mixed_drop");
    assert_eq!(mixed_values(&rows), expected("mixed_dropmalformed.jsonl"));
    assert_eq!(progress.num_malformed_rows, progress.num_dropped_malformed_rows);
    assert_eq!(
        progress.num_input_rows + progress.num_dropped_malformed_rows,
        record_count("mixed.json")
    );
}

#[test]
fn typed_columns_follow_sparks_json_rules() {
    let dir = input("typed.json");
    let (rows, _) = run::<AllTyped>(dir.path(), ParseMode::Permissive, "modes_typed_permissive");
    assert_eq!(typed_values(&rows), spark_typed("typed_permissive.jsonl"));
    let (rows, _) = run::<AllTyped>(dir.path(), ParseMode::DropMalformed, "modes_typed_drop");
    assert_eq!(typed_values(&rows), spark_typed("typed_dropmalformed.jsonl"));
}

/// The acceptance check: for a file mixing good and bad lines, rows out plus malformed rows
/// dropped equal the records in, in every mode and whatever the schema's nullability.
#[test]
fn rows_out_plus_dropped_equal_records_in_every_mode() {
    let records = record_count("mixed.json");
    let dir = input("mixed.json");
    for (index, mode) in [ParseMode::Permissive, ParseMode::DropMalformed]
        .into_iter()
        .enumerate()
    {
        let (rows, progress) = run::<AllMixed>(dir.path(), mode, &format!("modes_count_mixed_{index}"));
        assert_eq!(
            rows.len() as u64 + progress.num_dropped_malformed_rows,
            records,
            "{mode:?}"
        );
        let (rows, progress) = run::<StrictRows>(dir.path(), mode, &format!("modes_count_strict_{index}"));
        assert_eq!(
            rows.len() as u64 + progress.num_dropped_malformed_rows,
            records,
            "{mode:?}"
        );
        assert_eq!(progress.num_input_rows, rows.len() as u64);
    }
    // Fail-fast: nothing is output, and the query stops at the first malformed record — the
    // first line Spark's permissive output marks corrupt — so nothing passes uncounted.
    let first_corrupt = expected("mixed_permissive.jsonl")
        .iter()
        .position(|row| !row["_corrupt_record"].is_null())
        .unwrap() as u64
        + 1;
    let sink = MemorySink::named("modes_count_failfast");
    let query = AllMixed::read(FileSource::json(dir.path()).mode(ParseMode::FailFast))
        .append()
        .to(sink.clone())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err();
    let rill::Error::Terminated { cause, .. } = error else {
        panic!("{error}")
    };
    assert!(
        matches!(cause.as_ref(), rill::Error::MalformedRecord { line, .. } if *line == first_corrupt),
        "{cause}"
    );
    assert!(sink.rows::<AllMixedOutput>().unwrap().is_empty());
}

type AllMixedOutput = <AllMixed as StreamPlan>::Output;

#[test]
fn strict_schema_in_permissive_mode_drops_unrepresentable_records() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(
        dir.path(),
        "events.json",
        &[
            r#"{"user_id": "u1", "amount": 1.5}"#,
            r#"{"user_id": "u2", "amount": "abc"}"#,
            r#"{"user_id": "u3"}"#,
            r#"{"user_id": "u4", "amount": null}"#,
            "garbage",
            r#"{"user_id": "u5", "amount": 2}"#,
        ],
        1,
    );
    let (rows, progress) = run::<StrictRows>(dir.path(), ParseMode::Permissive, "modes_strict_permissive");
    let users: Vec<&str> = rows.iter().map(|r| r.user_id.as_str()).collect();
    assert_eq!(users, ["u1", "u5"]);
    assert_eq!(
        (progress.num_malformed_rows, progress.num_dropped_malformed_rows),
        (4, 4)
    );
    let json: Value = serde_json::from_str(&progress.json()).unwrap();
    assert_eq!(json["numMalformedRows"], 4);
    assert_eq!(json["numDroppedMalformedRows"], 4);
}

/// A file far larger than the block the source reads at a time, with a line longer than the
/// block and records split across blocks everywhere: every record is read once, batches are
/// whole, and a malformed record deep in the file is named by its own line.
#[test]
fn a_file_read_block_by_block_reads_every_record_and_names_lines_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let long_text = "x".repeat(700_000);
    let mut text = String::new();
    for line in 1..=40_000u32 {
        let record = match line {
            10_000 => format!(r#"{{"user_id": "{long_text}", "amount": 1.0}}"#),
            31_234 => r#"{"user_id": "broken", "amount": }"#.to_owned(),
            _ => format!(r#"{{"user_id": "u{line}", "amount": {line}.5}}"#),
        };
        text.push_str(&record);
        text.push_str(if line % 3 == 0 { "\r\n" } else { "\n" });
    }
    text.push_str(r#"{"user_id": "last", "amount": 2}"#);
    std::fs::write(dir.path().join("big.json"), &text).unwrap();

    let (rows, progress) = run::<StrictRows>(dir.path(), ParseMode::Permissive, "block_by_block");
    assert_eq!(rows.len(), 40_000);
    assert_eq!(progress.sources[0].num_input_rows, 40_000);
    assert_eq!(rows[9_999].user_id.len(), 700_000);
    assert_eq!((rows[0].user_id.as_str(), rows[0].amount), ("u1", 1.5));
    assert_eq!((rows[39_999].user_id.as_str(), rows[39_999].amount), ("last", 2.0));
    let amounts: f64 = rows.iter().map(|r| r.amount).sum();
    let expected: f64 = (1..=40_000u32)
        .filter(|&l| l != 10_000 && l != 31_234)
        .map(|l| f64::from(l) + 0.5)
        .sum::<f64>()
        + 1.0
        + 2.0;
    assert_eq!(amounts, expected);

    let sink = MemorySink::named("block_by_block_failfast");
    let query = rill::DataStreamWriter::<StrictRows>::new(FileSource::json(dir.path()).mode(ParseMode::FailFast))
        .append()
        .trigger(Trigger::AvailableNow)
        .to(sink)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    assert!(error.contains("big.json") && error.contains("line 31234"), "{error}");
}
