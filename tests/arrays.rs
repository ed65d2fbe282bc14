//! Arrays against Spark 4.3 (`golden/nested/`, written by `make_nested_golden.py`), batch by
//! batch: `Vec` columns decoded from JSON (nulls, empty arrays, null elements, duplicates),
//! `split` → `explode` word counts in complete and update modes, the `explode` family, the array
//! functions, and `collect_list` / `collect_set` across micro-batches.

use crate::common;

use std::path::Path;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use serde_json::Value;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/nested");

rill::stream! {
    schema Line { line: Option<String> }
    schema Tagged { id: Option<i32>, line: Option<String>, tags: Option<Vec<Option<String>>>, nums: Option<Vec<Option<i32>>> }
    schema Visit { user: Option<String>, page: Option<String>, n: Option<i32> }
    schema Tags { id: Option<i32>, tags: Option<Vec<Option<String>>>, nums: Option<Vec<Option<i32>>> }

    query WordCount(lines: Line) {
        lines.select(word = explode(split(line, " "))).group_by(word).agg(count = count())
    }

    query Explode(arrays: Tagged) {
        arrays.select(id, tag = explode(tags))
    }
    query ExplodeOuter(arrays: Tagged) {
        arrays.select(id, tag = explode_outer(tags))
    }
    query PosExplode(arrays: Tagged) {
        arrays.select(id, posexplode(nums))
    }
    query PosExplodeOuter(arrays: Tagged) {
        arrays.select(id, posexplode_outer(nums))
    }
    query ExplodeSplit(arrays: Tagged) {
        arrays.select(id, part = explode(split(line, ",")))
    }

    // Spark's default column names are not identifiers: the columns are compared by position.
    query ArrayFunctions(arrays: Tagged) {
        arrays.select(
            id,
            size_tags = size(tags),
            size_nums = size(nums),
            has_a = array_contains(tags, "a"),
            has_3 = array_contains(nums, 3),
            first_tag = element_at(tags, 1),
            last_tag = element_at(tags, -1),
            tag_0 = tags[0],
            tag_5 = tags[5],
            distinct_tags = array_distinct(tags),
            distinct_nums = array_distinct(nums),
            sorted_nums = sort_array(nums),
            sorted_nums_desc = sort_array(nums, false),
            sorted_tags = sort_array(tags),
            lines = array(line, line),
            ids = array(id, id),
            parts = split(line, ","),
            n_parts = size(split(line, ",")),
        )
    }

    query Collected(events: Visit) {
        events.group_by(user).agg(
            pages = collect_list(page),
            distinct_pages = sort_array(collect_set(page)),
            ns = collect_list(n),
            distinct_n = size(collect_set(n)),
        )
    }
    query KeepTags(arrays: Tagged) {
        arrays.select(id, tags, nums)
    }
    query ReadTags(files: Tags) {
        files.select(id, tags, nums, n = size(tags))
    }

    query CollectedSets(events: Visit) {
        events.group_by(user).agg(page_set = collect_set(page), n_set = collect_set(n))
    }
}

/// The golden run's input directory `name`, with its files' modification times in name order.
fn input(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input").join(name), dir.path());
    dir
}

fn golden(name: &str) -> Value {
    common::golden_json(GOLDEN, &format!("expected/{name}.json"))
}

/// Runs `writer` (reading one file per micro-batch) and compares it with golden `name`.
fn assert_run_matches<Q, M, S, C>(name: &str, writer: rill::DataStreamWriter<Q, M, S, C>, sink: &common::CapturingSink)
where
    Q: rill::StreamPlan,
    M: rill::mode::Chosen,
    S: rill::Sink + rill::sink::AcceptsMode<M>,
    C: rill::checkpointing::CheckpointFor<S>,
{
    let query = common::run_available_now(writer);
    common::assert_batches_match_spark(&golden(name), name, &query, &sink.take());
}

fn lines() -> (tempfile::TempDir, JsonSource) {
    let dir = input("lines");
    let source = JsonSource::new(dir.path()).max_files_per_trigger(1);
    (dir, source)
}

fn arrays() -> (tempfile::TempDir, JsonSource) {
    let dir = input("arrays");
    let source = JsonSource::new(dir.path()).max_files_per_trigger(1);
    (dir, source)
}

fn events() -> (tempfile::TempDir, JsonSource) {
    let dir = input("events");
    let source = JsonSource::new(dir.path()).max_files_per_trigger(1);
    (dir, source)
}

#[test]
fn word_count_matches_spark_in_complete_mode() {
    let (_dir, source) = lines();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "word_count_complete",
        WordCount::read(source).complete().to(sink.clone()),
        &sink,
    );
}

#[test]
fn word_count_matches_spark_in_update_mode() {
    let (_dir, source) = lines();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "word_count_update",
        WordCount::read(source).update().to(sink.clone()),
        &sink,
    );
}

#[test]
fn explode_matches_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    assert_run_matches("explode", Explode::read(source).append().to(sink.clone()), &sink);
}

#[test]
fn explode_outer_matches_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "explode_outer",
        ExplodeOuter::read(source).append().to(sink.clone()),
        &sink,
    );
}

#[test]
fn posexplode_matches_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    assert_run_matches("posexplode", PosExplode::read(source).append().to(sink.clone()), &sink);
}

#[test]
fn posexplode_outer_matches_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "posexplode_outer",
        PosExplodeOuter::read(source).append().to(sink.clone()),
        &sink,
    );
}

#[test]
fn explode_of_split_matches_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "explode_split",
        ExplodeSplit::read(source).append().to(sink.clone()),
        &sink,
    );
}

/// The rows of `batches` as golden rows (values in column order).
fn golden_rows(batch: &RecordBatch) -> Vec<Value> {
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    common::golden_objects(batch)
        .into_iter()
        .map(|object| Value::Array(names.iter().map(|name| object[name].clone()).collect()))
        .collect()
}

/// Rill gives null where Spark's ANSI mode fails the query (an index out of range), so the
/// array functions are compared with Spark's ANSI-off run; except `size` of a null array, which
/// is null with ANSI on (Spark 4's default, and Rill's) and -1 with it off.
#[test]
fn array_functions_match_spark() {
    let (_dir, source) = arrays();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(ArrayFunctions::read(source).append().to(sink.clone()));
    let golden = golden("array_functions");
    let batches = sink.take();
    let spark_types: Vec<Value> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| golden["column_types"][column.as_str().unwrap()].clone())
        .collect();
    let size_columns: Vec<usize> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, column)| column.as_str().unwrap().starts_with("size("))
        .map(|(position, _)| position)
        .collect();
    assert_eq!(size_columns.len(), 3);
    let spark_batches = golden["batches"].as_array().unwrap();
    assert_eq!(batches.len(), spark_batches.len());
    for (((batch_id, batch), spark), progress) in batches.iter().zip(spark_batches).zip(query.recent_progress()) {
        let ours: Vec<Value> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| Value::from(common::spark_type(f.data_type())))
            .collect();
        assert_eq!(ours, spark_types, "column types");
        assert_eq!(
            spark["num_input_rows"], progress.num_input_rows,
            "batch {batch_id}: rows read"
        );
        let expected: Vec<Value> = common::sizes_as_in_ansi_mode(&spark["rows"], &size_columns);
        assert_eq!(
            common::sorted(golden_rows(batch)),
            common::sorted(expected),
            "batch {batch_id}"
        );
    }
    // The ANSI-on run of the columns that do not index agrees on `size` of null: null.
    let safe = &golden["ansi_on_safe_columns"]["batches"][0]["rows"];
    let null_row = safe.as_array().unwrap().iter().find(|row| row[0] == 2).unwrap();
    assert_eq!(null_row[1], Value::Null);
}

#[test]
fn collect_list_and_collect_set_match_spark_in_complete_mode() {
    let (_dir, source) = events();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "collect_complete",
        Collected::read(source).complete().to(sink.clone()),
        &sink,
    );
}

#[test]
fn collect_list_and_collect_set_match_spark_in_update_mode() {
    let (_dir, source) = events();
    let sink = common::CapturingSink::default();
    assert_run_matches(
        "collect_update",
        Collected::read(source).update().to(sink.clone()),
        &sink,
    );
}

/// Spark's `collect_set` gives its hash set's order; Rill keeps the order values were first
/// seen. The sets are compared as sets.
#[test]
fn collect_set_holds_sparks_elements() {
    let (_dir, source) = events();
    let sink = common::CapturingSink::default();
    common::run_available_now(CollectedSets::read(source).complete().to(sink.clone()));
    let as_sets = |rows: Vec<Value>| -> Vec<Value> {
        let rows = rows
            .into_iter()
            .map(|row| {
                let Value::Array(values) = row else {
                    panic!("a row is an array")
                };
                Value::Array(
                    values
                        .into_iter()
                        .map(|value| match value {
                            Value::Array(items) => Value::Array(common::sorted(items)),
                            other => other,
                        })
                        .collect(),
                )
            })
            .collect();
        common::sorted(rows)
    };
    let golden = golden("collect_set_raw");
    let spark_batches = golden["batches"].as_array().unwrap();
    let batches = sink.take();
    assert_eq!(batches.len(), spark_batches.len());
    for ((batch_id, batch), spark) in batches.iter().zip(spark_batches) {
        assert_eq!(
            as_sets(golden_rows(batch)),
            as_sets(spark["rows"].as_array().unwrap().clone()),
            "batch {batch_id}"
        );
    }
}

/// Arrays go to Parquet and JSON files as Spark's `array` columns, and come back the same,
/// through the typed rows and through a Parquet source; a CSV sink refuses them at start, as
/// Spark's analysis does.
#[test]
fn arrays_round_trip_through_parquet_and_json_files() {
    use rill::sink::{FileFormat, FileSink, read_file_sink};
    let (_dir, source) = arrays();
    let memory = MemorySink::named("keep_tags");
    common::run_available_now(KeepTags::read(source).append().to(memory.clone()));
    let mut expected = memory.rows::<KeepTagsRow>().unwrap();
    expected.sort_by_key(|row| row.id);
    assert_eq!(expected.len(), 12);
    assert!(
        expected
            .iter()
            .any(|row| row.tags.as_deref() == Some(&[Some("a".to_owned()), None][..]))
    );
    for format in [FileFormat::Parquet, FileFormat::JsonLines] {
        let (_dir, source) = arrays();
        let out = tempfile::tempdir().unwrap();
        let checkpoint = tempfile::tempdir().unwrap();
        common::run_available_now(
            KeepTags::read(source)
                .append()
                .to(FileSink::new(out.path(), format))
                .checkpoint(checkpoint.path()),
        );
        let mut read: Vec<KeepTagsRow> = read_file_sink(out.path()).unwrap();
        read.sort_by_key(|row| row.id);
        assert_eq!(read, expected, "{format:?}");
        if format == FileFormat::Parquet {
            let sink = MemorySink::named("read_tags");
            common::run_available_now(
                ReadTags::read(FileSource::parquet(out.path()))
                    .append()
                    .to(sink.clone()),
            );
            let mut again = sink.rows::<ReadTagsRow>().unwrap();
            again.sort_by_key(|row| row.id);
            let tags: Vec<_> = again
                .iter()
                .map(|row| (row.id, row.tags.clone(), row.nums.clone()))
                .collect();
            let kept: Vec<_> = expected
                .iter()
                .map(|row| (row.id, row.tags.clone(), row.nums.clone()))
                .collect();
            assert_eq!(tags, kept);
            let sizes: Vec<Option<i32>> = again.iter().map(|row| row.n).collect();
            assert_eq!(sizes[..3], [Some(2), None, Some(0)]);
        }
    }
    let (_dir, source) = arrays();
    let out = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let error = KeepTags::read(source)
        .append()
        .to(FileSink::csv(out.path()))
        .checkpoint(checkpoint.path())
        .start()
        .and_then(|query| query.await_termination())
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot write column `tags` of type List"), "{error}");
}

/// A CSV file cannot hold an array: the source says so before reading a record.
#[test]
fn a_csv_source_refuses_a_schema_with_arrays() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(dir.path(), "a.csv", &["1,x,a,1"], 0);
    let query = Explode::read(FileSource::csv(dir.path()))
        .append()
        .to(MemorySink::named("csv_arrays"))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    assert!(
        error.contains("does not support column `tags` of type array<string>"),
        "{error}"
    );
}

/// `collect_list` and `collect_set` keep their values in the checkpoint: a query restarted
/// before each file gives Spark's batches, and `explain` names them.
#[test]
fn collected_values_survive_restarts() {
    let files = input("events");
    let mut names: Vec<_> = std::fs::read_dir(files.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    let (dir, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let golden = golden("collect_complete");
    let spark_batches = golden["batches"].as_array().unwrap();
    for (file, spark) in names.iter().zip(spark_batches) {
        std::fs::copy(file, dir.path().join(file.file_name().unwrap())).unwrap();
        let sink = common::CapturingSink::default();
        common::run_available_now(
            Collected::read(JsonSource::new(dir.path()))
                .complete()
                .to(sink.clone())
                .checkpoint(checkpoint.path()),
        );
        let batches = sink.take();
        assert_eq!(batches.len(), 1);
        assert_eq!(
            common::sorted(golden_rows(&batches[0].1)),
            common::sorted(spark["rows"].as_array().unwrap().clone()),
            "after batch {}",
            spark["batch_id"]
        );
    }
    let explain = Collected::explain();
    assert!(
        explain.contains("collect_list(page)") && explain.contains("sort_array(collect_set(page))"),
        "{explain}"
    );
    let words = WordCount::explain();
    assert!(words.contains("Generate explode(split(line"), "{words}");
}
