//! Bad input stops the query with an error naming the file and line, and never panics.

use crate::common;

use std::sync::Arc;

use common::write_file;
use rill::Error;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, amount: f64, note: Option<String> }

    query Total(raw: Event) {
        raw.agg(rows = count(), total = sum(amount))
    }
}

/// Runs `Total` over one file holding `lines` and returns the error that ended it.
fn failure(lines: &[&str]) -> (Arc<Error>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "events.json", lines, 1);
    let query = Total::read(JsonSource::new(dir.path()).mode(ParseMode::FailFast))
        .complete()
        .to(MemorySink::named("bad_input"))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err();
    let Error::Terminated { cause, .. } = error else {
        panic!("expected a terminated query, got {error}")
    };
    assert!(!query.is_active());
    (cause, dir)
}

/// Checks the query stopped at `line`, `column` of the file, with a message holding `message_part`.
fn assert_malformed(lines: &[&str], line: u64, column: u64, message_part: &str) {
    let (cause, dir) = failure(lines);
    let Error::MalformedRecord {
        path,
        line: found_line,
        column: found_column,
        message,
    } = cause.as_ref()
    else {
        panic!("expected a malformed record, got {cause}")
    };
    assert_eq!(path, &dir.path().join("events.json"));
    assert_eq!((*found_line, *found_column), (line, column), "{cause}");
    assert!(message.contains(message_part), "{cause}");
    // The offending record is quoted.
    let record = lines[usize::try_from(line).unwrap() - 1];
    assert!(message.ends_with(&format!("in `{record}`")), "{cause}");
    let text = cause.to_string();
    assert!(
        text.starts_with(&format!(
            "failed to decode `{}` line {line}, column {column}: ",
            path.display()
        )),
        "{text}"
    );
}

const GOOD: &str = r#"{"event_id": "e1", "amount": 1.5}"#;

#[test]
fn truncated_json_names_file_and_line() {
    assert_malformed(
        &[GOOD, GOOD, r#"{"event_id": "e3", "amount""#, GOOD],
        3,
        28,
        "expected `:` after a field name, found the end of the record",
    );
}

#[test]
fn wrong_type_names_the_column() {
    assert_malformed(
        &[GOOD, r#"{"event_id": "e2", "amount": "11,25"}"#],
        2,
        30,
        r#"field `amount`: expected a double, found `"11,25"`"#,
    );
}

#[test]
fn missing_non_nullable_column_is_malformed() {
    assert_malformed(
        &[GOOD, GOOD, GOOD, r#"{"event_id": "e4"}"#],
        4,
        1,
        "column `amount` is missing or null",
    );
}

#[test]
fn explicit_null_in_non_nullable_column_is_malformed() {
    assert_malformed(&[r#"{"event_id": "e1", "amount": null}"#], 1, 1, "column `amount`");
}

#[test]
fn a_line_must_be_one_object() {
    assert_malformed(&[GOOD, "[1, 2]"], 2, 1, "found a JSON array");
    // Spark reads the first object and silently drops the second; Rill refuses the line.
    assert_malformed(
        &[GOOD, r#"{"event_id": "a", "amount": 1} {"event_id": "b", "amount": 2}"#],
        2,
        32,
        "unexpected `{` after the end of the record",
    );
    assert_malformed(&["not json"], 1, 1, "expected a JSON object, found `n`");
}

#[test]
fn blank_lines_crlf_nulls_in_nullable_columns_and_extra_fields_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.json"),
        "{\"event_id\": \"e1\", \"amount\": 1.5, \"extra\": [1, {\"x\": 2}]}\r\n\r\n   \n{\"amount\": 2.5, \"event_id\": \"e2\", \"note\": null}\n{\"event_id\": \"e3\", \"amount\": 3}",
    )
    .unwrap();
    // Hidden and temporary files are ignored.
    std::fs::write(dir.path().join(".partial.json"), "garbage").unwrap();
    std::fs::write(dir.path().join("_tmp.json"), "garbage").unwrap();
    let table = MemorySink::named("bad_input_fine");
    common::run_available_now(Total::read(JsonSource::new(dir.path())).complete().to(table.clone()));
    let rows = table.rows::<TotalRow>().unwrap();
    assert_eq!((rows[0].rows, rows[0].total), (3, 7.0));
}

#[test]
fn missing_input_directory_is_a_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let error = Total::read(JsonSource::new(&missing))
        .complete()
        .to(MemorySink::named("bad_input_missing"))
        .start()
        .unwrap_err();
    assert!(matches!(error, Error::MissingInputDirectory { ref path } if *path == missing));
    assert_eq!(
        error.to_string(),
        format!(
            "input directory `{}` of the file source does not exist or is not a directory; create it before starting the query",
            missing.display()
        )
    );
}

#[test]
fn invalid_utf8_is_malformed_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.json"),
        b"{\"event_id\": \"\xff\xfe\", \"amount\": 1.0}\n",
    )
    .unwrap();
    let query = Total::read(JsonSource::new(dir.path()).mode(ParseMode::FailFast))
        .complete()
        .to(MemorySink::named("bad_input_utf8"))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("line 1, column 15: invalid UTF-8 in a string"),
        "{error}"
    );
}

rill::stream! {
    schema Timed { event_id: String, event_time: String }

    query Parsed(raw: Timed) {
        raw.select(event_id, ts = to_timestamp(event_time), day = to_date(event_time))
    }
}

#[test]
fn unparseable_timestamps_become_null_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "events.json",
        &[
            r#"{"event_id": "e1", "event_time": "2026-01-01 09:00:00"}"#,
            r#"{"event_id": "e2", "event_time": "yesterday"}"#,
            r#"{"event_id": "e3", "event_time": "2026-13-45"}"#,
        ],
        1,
    );
    let table = MemorySink::named("bad_input_unparseable");
    let query = common::run_available_now(Parsed::read(JsonSource::new(dir.path())).append().to(table.clone()));
    let rows = table.rows::<ParsedRow>().unwrap();
    let parsed: Vec<(String, Option<String>)> = rows
        .into_iter()
        .map(|r| (r.event_id, r.ts.map(|t| t.to_string())))
        .collect();
    assert_eq!(
        parsed,
        [
            ("e1".to_owned(), Some("2026-01-01 09:00:00".to_owned())),
            ("e2".to_owned(), None),
            ("e3".to_owned(), None)
        ]
    );
    // Every row is output, and the two values that did not parse (in each of the two columns) are counted.
    let progress = query.last_progress().unwrap();
    assert_eq!(progress.num_input_rows, 3);
    assert_eq!(progress.num_unparseable_values, 4);
    let json: serde_json::Value = serde_json::from_str(&progress.json()).unwrap();
    assert_eq!(json["numUnparseableValues"], 4);
}
