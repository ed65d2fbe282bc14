//! The file source's formats and edge cases: JSON variety (encodings, line ends, gzip, long
//! lines), CSV options, Parquet columns by name, globs, `latest_first`, `max_file_age`,
//! temporary names, empty files, files that vanish or are not of the format.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use rill::prelude::*;
use rill::source::{FileOffset, ReadLimit, Source};

rill::stream! {
    schema Event { user_id: String, amount: f64, note: Option<String> }

    query Events(raw: Event) {
        raw.select(user_id, amount, note)
    }

    schema Tolerant { user_id: Option<String>, amount: Option<f64>, _corrupt_record: Option<String> }

    query TolerantEvents(raw: Tolerant) {
        raw.select(user_id, amount, _corrupt_record)
    }
}

/// Sets `path`'s modification time to `seconds` after a fixed instant.
fn set_mtime(path: &Path, seconds: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds))
        .unwrap();
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8], order: u64) {
    std::fs::write(dir.join(name), bytes).unwrap();
    set_mtime(&dir.join(name), order);
}

/// Runs `Events` over `source` (available now) and returns (user, amount, note) rows and the
/// last progress.
fn run_events(source: FileSource, table: &str) -> (Vec<(String, f64, Option<String>)>, rill::StreamingQueryProgress) {
    let sink = MemorySink::named(table);
    let query = common::run_available_now(Events::read(source).append().to(sink.clone()));
    let rows = sink
        .rows::<EventsRow>()
        .unwrap()
        .into_iter()
        .map(|r| (r.user_id, r.amount, r.note))
        .collect();
    (rows, query.last_progress().unwrap())
}

/// Runs `Events` over `source` (available now) on `threads` threads, expecting it to fail, and
/// returns the error's text.
fn events_error(source: FileSource, threads: usize, table: &str) -> String {
    let query = Events::read(source)
        .append()
        .parallelism(threads)
        .to(MemorySink::named(table))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    query.await_termination().unwrap_err().to_string()
}

fn users(rows: &[(String, f64, Option<String>)]) -> Vec<&str> {
    rows.iter().map(|(user, ..)| user.as_str()).collect()
}

#[test]
fn json_variety_decodes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let long_note = "x".repeat(1 << 20);
    let mut text = Vec::new();
    // A byte-order mark, CRLF line ends, blank lines, fields in any order, extra fields.
    text.extend_from_slice(b"\xef\xbb\xbf{\"user_id\":\"u1\",\"amount\":1}\r\n\r\n  \n");
    text.extend_from_slice(b"{\"extra\":{\"a\":[1,2,{\"b\":null}]},\"amount\":2.5e1,\"user_id\":\"u2\"}\r\n");
    // Escapes and unicode, an exponent with a sign, a negative zero.
    text.extend_from_slice(
        "{\"user_id\":\"\\u00e9t\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/\",\"amount\":-1E-2,\"note\":\"caf\u{e9} \u{1f600}\"}\n"
            .as_bytes(),
    );
    text.extend_from_slice(b"{\"user_id\":\"u4\",\"amount\":-0.0,\"note\":null}\n");
    // A megabyte-long line, and a last line without a newline.
    text.extend_from_slice(format!("{{\"user_id\":\"u5\",\"amount\":5,\"note\":\"{long_note}\"}}\n").as_bytes());
    text.extend_from_slice(b"{\"user_id\":\"u6\",\"amount\":6}");
    write_bytes(dir.path(), "a.json", &text, 1);
    // The same records again, gzip-compressed.
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&text).unwrap();
    write_bytes(dir.path(), "b.json.gz", &gzip.finish().unwrap(), 2);
    // An empty file holds no records.
    write_bytes(dir.path(), "c.json", b"", 3);

    let (rows, progress) = run_events(FileSource::json(dir.path()).mode(ParseMode::FailFast), "variety");
    let expected: Vec<(String, f64, Option<String>)> = vec![
        ("u1".into(), 1.0, None),
        ("u2".into(), 25.0, None),
        ("été 😀 \"q\" \\ /".into(), -0.01, Some("café 😀".into())),
        ("u4".into(), -0.0, None),
        ("u5".into(), 5.0, Some(long_note)),
        ("u6".into(), 6.0, None),
    ];
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[..6], expected[..]);
    assert_eq!(rows[6..], expected[..]);
    assert!(rows[3].1.is_sign_negative());
    assert_eq!(progress.num_malformed_rows, 0);
}

#[test]
fn a_corrupt_gzip_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write_bytes(dir.path(), "bad.json.gz", b"this is not gzip", 1);
    let error = events_error(FileSource::json(dir.path()), 1, "bad_gzip");
    assert!(
        error.contains("decompress (gzip)") && error.contains("bad.json.gz"),
        "{error}"
    );
}

#[test]
fn a_file_not_of_the_format_is_malformed_records() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "good.json", &[r#"{"user_id":"u1","amount":1}"#], 1);
    // A binary file dropped into the directory: each of its "lines" is a malformed record.
    write_bytes(
        dir.path(),
        "image.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8",
        2,
    );
    let sink = MemorySink::named("not_format");
    let query = common::run_available_now(
        TolerantEvents::read(FileSource::json(dir.path()))
            .append()
            .to(sink.clone()),
    );
    let rows = sink.rows::<TolerantEventsRow>().unwrap();
    let progress = query.last_progress().unwrap();
    // `\x89PNG\r\n`, `\x1a\n`, then the rest: three lines, three malformed records.
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].user_id.as_deref(), Some("u1"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.user_id.is_none() && r._corrupt_record.is_some())
    );
    assert_eq!(progress.num_malformed_rows, 3);
    assert_eq!(progress.num_dropped_malformed_rows, 0);
}

#[test]
fn csv_with_header_options_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    // Columns by name in the header (another order, one unknown: an option, as Spark takes
    // columns by position); `;` separated; `NA` is null.
    common::write_file(
        dir.path(),
        "a.csv",
        &[
            "amount;extra;note;user_id",
            "1.5;x;NA;u1",
            "2;y;\"semi; colon\";u2",
            "3;z;\"say \\\"hi\\\" and \\\"bye\\\"\";u3",
            "abc;w;bad amount;u4",
            "4;v;\"unclosed;u5",
            "5;u;too;many;fields",
            "6",
            "",
        ],
        1,
    );
    let options = CsvOptions::default()
        .header(true)
        .header_columns(HeaderColumns::ByName)
        .delimiter(b';')
        .null_value("NA");
    let source = || FileSource::csv(dir.path()).csv_options(options.clone());
    let (rows, progress) = run_events(source().mode(ParseMode::DropMalformed), "csv_drop");
    assert_eq!(
        rows,
        [
            ("u1".to_owned(), 1.5, None),
            ("u2".to_owned(), 2.0, Some("semi; colon".to_owned())),
            ("u3".to_owned(), 3.0, Some(r#"say "hi" and "bye""#.to_owned())),
        ]
    );
    // `6` lacks a user: malformed for the non-nullable column.
    assert_eq!(
        (progress.num_malformed_rows, progress.num_dropped_malformed_rows),
        (4, 4)
    );
    assert_eq!(progress.num_input_rows + progress.num_dropped_malformed_rows, 7);

    let error = events_error(source().mode(ParseMode::FailFast), 1, "csv_failfast");
    assert!(
        error.contains("a.csv` line 5, column 1: field `amount`: expected a double, found `abc`"),
        "{error}"
    );

    // Permissive with a corrupt-record column keeps what fits and the raw line.
    let sink = MemorySink::named("csv_permissive");
    common::run_available_now(TolerantEvents::read(source()).append().to(sink.clone()));
    let rows = sink.rows::<TolerantEventsRow>().unwrap();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[3].user_id.as_deref(), Some("u4"));
    assert_eq!(rows[3].amount, None);
    assert_eq!(rows[3]._corrupt_record.as_deref(), Some("abc;w;bad amount;u4"));
    // A record with fewer fields than the header is malformed (as in Spark), its fields kept.
    assert_eq!(rows[6].amount, Some(6.0));
    assert_eq!(rows[6]._corrupt_record.as_deref(), Some("6"));
}

#[test]
fn csv_without_header_is_positional() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "a.csv", &["u1,1,", "u2,2,\"quoted, note\""], 1);
    let (rows, _) = run_events(FileSource::csv(dir.path()).mode(ParseMode::FailFast), "csv_positional");
    assert_eq!(
        rows,
        [
            ("u1".to_owned(), 1.0, None),
            ("u2".to_owned(), 2.0, Some("quoted, note".to_owned()))
        ]
    );
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_columns_are_matched_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // Another column order, an extra column, no `note` column (nullable, so null), and a null
    // user (non-nullable: that row is malformed).
    write_parquet(
        &dir.path().join("a.parquet"),
        vec![
            ("amount", Arc::new(Float64Array::from(vec![1.5, 2.5, 3.5])) as ArrayRef),
            ("extra", Arc::new(Int64Array::from(vec![7, 8, 9])) as ArrayRef),
            (
                "user_id",
                Arc::new(StringArray::from(vec![Some("u1"), None, Some("u3")])) as ArrayRef,
            ),
        ],
    );
    let (rows, progress) = run_events(FileSource::parquet(dir.path()), "parquet_by_name");
    assert_eq!(rows, [("u1".to_owned(), 1.5, None), ("u3".to_owned(), 3.5, None)]);
    assert_eq!(
        (progress.num_malformed_rows, progress.num_dropped_malformed_rows),
        (1, 1)
    );
    assert_eq!(progress.num_input_rows + progress.num_dropped_malformed_rows, 3);
}

#[test]
fn parquet_type_mismatch_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("a.parquet"),
        vec![
            ("user_id", Arc::new(StringArray::from(vec!["u1"])) as ArrayRef),
            ("amount", Arc::new(StringArray::from(vec!["1.5"])) as ArrayRef),
        ],
    );
    std::fs::write(dir.path().join("b.parquet"), b"not parquet").unwrap();
    let error = events_error(FileSource::parquet(dir.path()), 1, "parquet_mismatch");
    assert!(
        error.contains("column `amount`") && error.contains("has type Utf8, but the schema declares Float64"),
        "{error}"
    );

    std::fs::remove_file(dir.path().join("a.parquet")).unwrap();
    let error = events_error(FileSource::parquet(dir.path()), 1, "parquet_not_parquet");
    assert!(error.contains("b.parquet` is not a readable Parquet file"), "{error}");
}

fn line(user: &str) -> String {
    format!(r#"{{"user_id":"{user}","amount":1}}"#)
}

#[test]
fn globs_and_temporary_names_select_files() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "events-1.json", &[&line("a")], 1);
    common::write_file(dir.path(), "events-2.json", &[&line("b")], 2);
    common::write_file(dir.path(), "other.json", &[&line("c")], 3);
    common::write_file(dir.path(), "events-3.txt", &[&line("d")], 4);
    // Files being written: hidden, underscore-prefixed, HDFS's `._COPYING_`.
    for name in [".events-4.json", "_events-5.json", "events-6.json._COPYING_"] {
        common::write_file(dir.path(), name, &["half a rec"], 5);
    }
    let (rows, _) = run_events(FileSource::json(dir.path().join("events-*.json")), "glob");
    assert_eq!(users(&rows), ["a", "b"]);
    let (rows, _) = run_events(
        FileSource::json(dir.path().join("{other,events-?}.{json,txt}")),
        "glob_braces",
    );
    assert_eq!(users(&rows), ["a", "b", "c", "d"]);
}

/// Everything a source reads from after `start` up to `end`, on one thread.
fn read_all(source: &mut FileSource, start: Option<&FileOffset>, end: &FileOffset) -> rill::Result<Vec<RecordBatch>> {
    source.read(start, end, 1)?.collect()
}

/// Plans batches by hand: which files each trigger takes.
fn plan_batches(mut source: FileSource, triggers: usize) -> Vec<Vec<String>> {
    source.open(Events::facts().inputs.remove(0).schema).unwrap();
    let mut previous = None;
    let mut batches = Vec::new();
    for _ in 0..triggers {
        let Some(end) = source.latest_offset(ReadLimit::Configured).unwrap() else {
            break;
        };
        let rows = read_all(&mut source, previous.as_ref(), &end).unwrap();
        let decoded: Vec<String> = rows
            .iter()
            .flat_map(|b| EventsRow::from_batch(&b.clone()).unwrap_or_default())
            .map(|r| r.user_id)
            .collect();
        batches.push(decoded);
        source.commit(&end).unwrap();
        previous = Some(end);
    }
    batches
}

#[test]
fn latest_first_takes_the_newest_files_first() {
    let dir = tempfile::tempdir().unwrap();
    for (order, user) in ["a", "b", "c", "d"].iter().enumerate() {
        common::write_file(dir.path(), &format!("{user}.json"), &[&line(user)], order as u64);
    }
    let batches = plan_batches(
        FileSource::json(dir.path()).max_files_per_trigger(3).latest_first(true),
        5,
    );
    assert_eq!(batches, [vec!["d", "c", "b"], vec!["a"]]);
    let batches = plan_batches(FileSource::json(dir.path()).max_files_per_trigger(3), 5);
    assert_eq!(batches, [vec!["a", "b", "c"], vec!["d"]]);
}

#[test]
fn max_file_age_ignores_files_older_than_the_newest_by_more() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "a.json", &[&line("a")], 1000);
    common::write_file(dir.path(), "b.json", &[&line("b")], 2000);
    let mut source = FileSource::json(dir.path()).max_file_age(Duration::from_secs(100));
    source.open(Events::facts().inputs.remove(0).schema).unwrap();
    // The first batch takes every file, however old.
    let first = source.latest_offset(ReadLimit::Configured).unwrap().unwrap();
    let rows: usize = read_all(&mut source, None, &first)
        .unwrap()
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    assert_eq!(rows, 2);
    // Later: a file 150 s older than the newest seen is ignored; one 50 s older is taken.
    common::write_file(dir.path(), "old.json", &[&line("old")], 1850);
    common::write_file(dir.path(), "recent.json", &[&line("recent")], 1950);
    let second = source.latest_offset(ReadLimit::Configured).unwrap().unwrap();
    let rows = EventsRow::from_batch(&read_all(&mut source, Some(&first), &second).unwrap()[0]).unwrap();
    assert_eq!(rows.iter().map(|r| r.user_id.as_str()).collect::<Vec<_>>(), ["recent"]);
    assert_eq!(source.latest_offset(ReadLimit::Configured).unwrap(), None);
}

#[test]
fn a_file_vanishing_after_listing_is_an_error_or_skipped() {
    for ignore in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        common::write_file(dir.path(), "a.json", &[&line("a")], 1);
        common::write_file(dir.path(), "b.json", &[&line("b")], 2);
        let mut source = FileSource::json(dir.path()).ignore_missing_files(ignore);
        source.open(Events::facts().inputs.remove(0).schema).unwrap();
        let end = source.latest_offset(ReadLimit::Configured).unwrap().unwrap();
        std::fs::remove_file(dir.path().join("a.json")).unwrap();
        let read = read_all(&mut source, None, &end);
        if ignore {
            let rows = EventsRow::from_batch(&read.unwrap()[0]).unwrap();
            assert_eq!(rows[0].user_id, "b");
        } else {
            let error = read.unwrap_err().to_string();
            assert!(error.contains("a.json") && error.contains("read"), "{error}");
        }
    }
}

/// Decoding on several threads changes nothing: the same rows in the same order, the same
/// counts, and a fail-fast error at the same line.
#[test]
fn parallel_decoding_gives_the_single_thread_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..30_000)
        .map(|i| format!(r#"{{"user_id":"u{i}","amount":{i}.5}}"#))
        .collect();
    lines[4] = r#"{"user_id":"bad-early","amount":"x"}"#.to_owned();
    lines[25_000] = "not json".to_owned();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write_file(dir.path(), "a.json", &lines, 1);
    common::write_file(dir.path(), "b.json", &lines[..1000], 2);
    let run = |threads: usize, table: &str| {
        let sink = MemorySink::named(table);
        let query = common::run_available_now(
            TolerantEvents::read(FileSource::json(dir.path()))
                .append()
                .parallelism(threads)
                .to(sink.clone()),
        );
        let rows: Vec<(Option<String>, Option<f64>, Option<String>)> = sink
            .rows::<TolerantEventsRow>()
            .unwrap()
            .into_iter()
            .map(|r| (r.user_id, r.amount, r._corrupt_record))
            .collect();
        let progress = query.last_progress().unwrap();
        (rows, progress.num_input_rows, progress.num_malformed_rows)
    };
    let single = run(1, "parallel_1");
    assert_eq!(single.0.len(), 31_000);
    assert_eq!(single.2, 3);
    for threads in [2, 3, 8] {
        assert_eq!(
            run(threads, &format!("parallel_{threads}")),
            single,
            "{threads} threads"
        );
    }
    let error = events_error(
        FileSource::json(dir.path()).mode(ParseMode::FailFast),
        4,
        "parallel_failfast",
    );
    assert!(error.contains("a.json` line 5, column 33"), "{error}");
    // A fault in a later chunk is reported with its line in the file.
    let late = tempfile::tempdir().unwrap();
    common::write_file(late.path(), "c.json", &lines[10..], 1);
    let error = events_error(
        FileSource::json(late.path()).mode(ParseMode::FailFast),
        4,
        "parallel_failfast_late",
    );
    assert!(error.contains("c.json` line 24991, column 1"), "{error}");
}

#[test]
fn files_decoded_on_several_threads_keep_file_order_and_the_first_error() {
    let dir = tempfile::tempdir().unwrap();
    for file in 0..9_u64 {
        let mut lines: Vec<String> = (0..500)
            .map(|i| format!(r#"{{"user_id":"f{file}-{i}","amount":{i}.25}}"#))
            .collect();
        // Two faults, the earlier one in a file that a later thread may finish first.
        if file == 3 {
            lines[7] = r#"{"user_id":"bad","amount":[1]}"#.to_owned();
        }
        if file == 6 {
            lines[1] = "{".to_owned();
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        common::write_file(dir.path(), &format!("part-{file}.json"), &lines, file);
    }
    let run = |threads: usize| {
        let sink = MemorySink::named(format!("files_parallel_{threads}"));
        let query = common::run_available_now(
            Events::read(FileSource::json(dir.path()).mode(ParseMode::DropMalformed))
                .append()
                .parallelism(threads)
                .to(sink.clone()),
        );
        let users: Vec<String> = sink
            .rows::<EventsRow>()
            .unwrap()
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        let progress = query.last_progress().unwrap();
        (users, progress.num_malformed_rows, progress.num_dropped_malformed_rows)
    };
    let single = run(1);
    assert_eq!(single.0.len(), 9 * 500 - 2);
    assert_eq!(single.0[0], "f0-0");
    assert_eq!((single.1, single.2), (2, 2));
    for threads in [2, 4] {
        assert_eq!(run(threads), single, "{threads} threads");
    }
    let error = events_error(
        FileSource::json(dir.path()).mode(ParseMode::FailFast),
        2,
        "files_parallel_failfast",
    );
    assert!(error.contains("part-3.json` line 8"), "{error}");
}

rill::stream! {
    /// A column named with a Rust keyword, as JSON data often has (`"type"`).
    schema Kinds { r#type: String, n: i64 }

    query KindCounts(raw: Kinds) {
        raw.group_by(r#type).agg(total = sum(n))
    }
}

#[test]
fn a_raw_identifier_names_the_column_without_its_prefix() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(
        dir.path(),
        "a.json",
        &[r#"{"type":"click","n":1}"#, r#"{"type":"click","n":2}"#],
        1,
    );
    let sink = MemorySink::named("raw_identifier");
    common::run_available_now(
        KindCounts::read(FileSource::json(dir.path()).mode(ParseMode::FailFast))
            .complete()
            .to(sink.clone()),
    );
    let rows = sink.rows::<KindCountsRow>().unwrap();
    assert_eq!((rows[0].r#type.as_str(), rows[0].total), ("click", 3));
    assert_eq!(KindCounts::facts().inputs[0].schema.declared.field(0).name(), "type");
}

rill::stream! {
    schema Purchase { user_id: String, amount: Option<f64>, kind: String }

    /// Its filter reads input columns only: the decoder applies it before building columns.
    query BigPurchases(raw: Purchase) {
        raw.filter(kind == "purchase" && amount > 100.0).select(user_id, amount)
    }

    schema Stamped { user_id: String, amount: f64, at: Timestamp }

    /// Spark pushes a filter through a watermark when it does not read the event time
    /// (`PushPredicateThroughNonJoin`), so the watermark does not see the rows it drops
    /// (checked against Spark by `golden/stream_stream_join`'s `filter_join_select`).
    query BigAfterWatermark(raw: Stamped) {
        raw.with_watermark(at, "1 minute").filter(amount > 100.0).select(user_id, amount)
    }
}

#[test]
fn a_filter_on_input_columns_runs_in_the_decoder_and_counts_as_spark_does() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"user_id":"a","amount":150.0,"kind":"purchase"}"#,
        r#"{"user_id":"b","amount":50.0,"kind":"purchase"}"#,
        r#"{"user_id":"c","amount":500,"kind":"view"}"#,
        r#"{"user_id":"d","kind":"purchase"}"#,
        r#"{"user_id":"e","amount":"x","kind":"purchase"}"#,
        "not json",
        r#"{"user_id":"f","amount":1e3,"kind":"purchase"}"#,
    ];
    common::write_file(dir.path(), "a.json", &lines, 1);
    for threads in [1, 2] {
        let sink = MemorySink::named(format!("pushed_filter_{threads}"));
        let query = common::run_available_now(
            BigPurchases::read(FileSource::json(dir.path()))
                .append()
                .parallelism(threads)
                .to(sink.clone()),
        );
        let rows: Vec<(String, Option<f64>)> = sink
            .rows::<BigPurchasesRow>()
            .unwrap()
            .into_iter()
            .map(|r| (r.user_id, r.amount))
            .collect();
        assert_eq!(rows, [("a".to_owned(), Some(150.0)), ("f".to_owned(), Some(1000.0))]);
        let progress = query.last_progress().unwrap();
        // As Spark's scan with a pushed filter, the input rows are those that pass it, those
        // without a key it reads (`d`), and the malformed ones (`"x"`): Spark 4.3 counts 5,
        // with `not json`, which Rill drops as its non-nullable `user_id` cannot be filled.
        assert_eq!(progress.num_input_rows, 4);
        // Malformed records are counted whatever the filter says: `"x"` and `not json`
        // (dropped: its non-nullable `user_id` cannot be filled).
        assert_eq!(progress.num_malformed_rows, 2);
        assert_eq!(progress.num_dropped_malformed_rows, 1);
    }

    let stamped = tempfile::tempdir().unwrap();
    common::write_file(
        stamped.path(),
        "a.json",
        &[
            r#"{"user_id":"a","amount":150.0,"at":"2026-01-01 09:00:00"}"#,
            r#"{"user_id":"b","amount":50.0,"at":"2026-01-01 09:00:01"}"#,
            r#"{"user_id":"c","amount":5.0,"at":"2026-01-01 09:00:02"}"#,
        ],
        1,
    );
    let sink = MemorySink::named("filter_after_watermark");
    let query = common::run_available_now(
        BigAfterWatermark::read(FileSource::json(stamped.path()))
            .append()
            .to(sink.clone()),
    );
    assert_eq!(sink.rows::<BigAfterWatermarkRow>().unwrap().len(), 1);
    let progress = query.last_progress().unwrap();
    assert_eq!(progress.num_input_rows, 1);
    // Only the row that passes reaches the watermark.
    assert_eq!(
        progress.event_time.get("max").map(String::as_str),
        Some("2026-01-01T09:00:00.000Z")
    );
}
