//! Structs and maps against Spark 4.3 (`golden/nested/`, written by `make_nested_golden.py`):
//! nested JSON decoded in each parse mode — present, missing, null and wrong-typed structs,
//! struct fields, arrays and map values, unknown and deep extra members, truncated records —
//! with field access (`device.os`), map lookups (`properties["k"]`) and whole nested columns.

use crate::common;

use std::path::Path;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use serde_json::Value;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/nested");

rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Event {
        id: Option<i32>,
        device: Option<Device>,
        tags: Option<Vec<Option<String>>>,
        properties: Option<Map<String, Option<String>>>,
        _corrupt_record: Option<String>,
    }
    schema PlainEvent {
        id: Option<i32>,
        device: Option<Device>,
        tags: Option<Vec<Option<String>>>,
        properties: Option<Map<String, Option<String>>>,
    }

    query Fields(nested: Event) {
        nested.select(
            id, os = device.os, version = device.version, tags, first_tag = tags[0],
            n_tags = size(tags), properties, k = properties["k"], _corrupt_record,
        )
    }
    query PlainFields(nested: PlainEvent) {
        nested.select(
            id, os = device.os, version = device.version, tags, first_tag = tags[0],
            n_tags = size(tags), properties, k = properties["k"],
        )
    }
    query Whole(nested: Event) {
        nested.select(id, device, tags, properties)
    }
    schema Item { sku: Option<String>, qty: Option<i32> }
    schema Order { id: Option<i32>, items: Option<Vec<Option<Item>>> }

    query Inline(orders: Order) {
        orders.select(id, inline(items))
    }
    query InlineOuter(orders: Order) {
        orders.select(id, inline_outer(items))
    }
    query ExplodeStructs(orders: Order) {
        orders.select(id, item = explode(items)).select(id, item, sku = item.sku)
    }
    query StructArrayFunctions(orders: Order) {
        orders.select(
            id,
            n = size(items),
            first = element_at(items, 1),
            first_sku = items[0].sku,
            items_json = to_json(items),
        )
    }

    schema Matrix { id: Option<i32>, grid: Option<Vec<Option<Vec<Option<i32>>>>> }

    query Flatten(matrix: Matrix) {
        matrix.select(id, flat = flatten(grid), n = size(grid), first_row = grid[0], grid_json = to_json(grid))
    }
    query ExplodeRows(matrix: Matrix) {
        matrix.select(id, row = explode(grid))
    }

    query MapParts(nested: PlainEvent) {
        nested.select(id, keys = map_keys(properties), values = map_values(properties), entries = size(properties))
    }
}

fn input() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input/nested"), dir.path());
    dir
}

fn golden(name: &str) -> Value {
    common::golden_json(GOLDEN, &format!("expected/{name}.json"))
}

/// The rows of a batch as golden rows (values in column order).
fn golden_rows(batch: &RecordBatch) -> Vec<Value> {
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    common::golden_objects(batch)
        .into_iter()
        .map(|object| Value::Array(names.iter().map(|name| object[name].clone()).collect()))
        .collect()
}

/// Compares a run's one batch with golden `name`: columns and their Spark types, rows, rows
/// read. The golden files ran with ANSI off, where `size` of a null array is -1; Rill gives
/// null, as Spark 4 does with ANSI on (its default).
fn assert_matches(name: &str, query: &rill::StreamingQuery, batches: &[(u64, RecordBatch)]) {
    let golden = golden(name);
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let spark = &golden["batches"][0];
    assert_eq!(batches.len(), 1, "{name}: batches");
    let batch = &batches[0].1;
    let ours: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(ours, columns, "{name}: columns");
    for field in batch.schema().fields() {
        assert_eq!(
            common::spark_type(field.data_type()),
            golden["column_types"][field.name()],
            "{name}: the type of `{}`",
            field.name()
        );
    }
    let sizes: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == "n_tags")
        .map(|(position, _)| position)
        .collect();
    let expected: Vec<Value> = common::sizes_as_in_ansi_mode(&spark["rows"], &sizes);
    assert_eq!(
        common::sorted(golden_rows(batch)),
        common::sorted(expected),
        "{name}: rows"
    );
    let progress = query.recent_progress();
    assert_eq!(progress[0].num_input_rows, spark["num_input_rows"], "{name}: rows read");
}

#[test]
fn nested_fields_decode_as_spark_in_permissive_mode() {
    let dir = input();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(Fields::read(JsonSource::new(dir.path())).append().to(sink.clone()));
    assert_matches("nested_permissive", &query, &sink.take());
}

#[test]
fn nested_fields_decode_as_spark_when_malformed_records_are_dropped() {
    let dir = input();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        PlainFields::read(JsonSource::new(dir.path()).mode(ParseMode::DropMalformed))
            .append()
            .to(sink.clone()),
    );
    assert_matches("nested_dropmalformed", &query, &sink.take());
}

/// Spark fails at record 5, whose `device.version` is `"x"`: so does Rill, naming the line,
/// the column and the value.
#[test]
fn a_wrong_typed_nested_field_fails_a_fail_fast_query_as_spark() {
    let dir = input();
    let golden = golden("nested_failfast");
    assert_eq!(
        golden["error"]["java_causes"][1]["condition"],
        "CANNOT_PARSE_JSON_FIELD"
    );
    let query = PlainFields::read(JsonSource::new(dir.path()).mode(ParseMode::FailFast))
        .append()
        .to(MemorySink::named("nested_failfast"))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    assert!(error.contains("line 5"), "{error}");
    assert!(error.contains("version") && error.contains("\"x\""), "{error}");
}

#[test]
fn whole_structs_arrays_and_maps_match_spark() {
    let dir = input();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(Whole::read(JsonSource::new(dir.path())).append().to(sink.clone()));
    assert_matches("nested_whole", &query, &sink.take());
}

/// `map_keys`, `map_values` and `size` of the golden's maps, checked against its `properties`.
#[test]
fn map_keys_and_values_follow_the_map() {
    let dir = input();
    let sink = common::CapturingSink::default();
    common::run_available_now(MapParts::read(JsonSource::new(dir.path())).append().to(sink.clone()));
    let golden = golden("nested_whole");
    let spark_rows = golden["batches"][0]["rows"].as_array().unwrap();
    let batches = sink.take();
    let mut checked = 0;
    for row in golden_rows(&batches[0].1) {
        let Some(spark) = spark_rows.iter().find(|spark| spark[0] == row[0] && !row[0].is_null()) else {
            continue;
        };
        match &spark[3] {
            Value::Object(entries) => {
                let mut keys: Vec<Value> = row[1].as_array().unwrap().clone();
                keys.sort_by_key(Value::to_string);
                let mut expected: Vec<Value> = entries.keys().map(|k| Value::from(k.as_str())).collect();
                expected.sort_by_key(Value::to_string);
                assert_eq!(keys, expected, "row {}", row[0]);
                for (key, value) in row[1].as_array().unwrap().iter().zip(row[2].as_array().unwrap()) {
                    assert_eq!(&entries[key.as_str().unwrap()], value, "row {}", row[0]);
                }
                assert_eq!(row[3], entries.len(), "row {}", row[0]);
            }
            _ => assert_eq!(
                [&row[1], &row[2], &row[3]],
                [&Value::Null, &Value::Null, &Value::Null],
                "row {}",
                row[0]
            ),
        }
        checked += 1;
    }
    assert_eq!(checked, 21);
}

/// Structs and maps go to Parquet and JSON files as Spark's `struct` and `map` columns and come
/// back the same, through the typed rows and through a Parquet source.
#[test]
fn structs_and_maps_round_trip_through_files() {
    use rill::sink::{FileFormat, FileSink, read_file_sink};
    let dir = input();
    let memory = MemorySink::named("whole");
    common::run_available_now(Whole::read(JsonSource::new(dir.path())).append().to(memory.clone()));
    let mut expected = memory.rows::<WholeRow>().unwrap();
    expected.sort_by_key(|row| row.id);
    assert!(
        expected
            .iter()
            .any(|row| row.device.as_ref().and_then(|d| d.version) == Some(17))
    );
    assert!(
        expected
            .iter()
            .any(|row| row.properties.as_ref().is_some_and(|p| p.len() == 2))
    );
    for format in [FileFormat::Parquet, FileFormat::JsonLines] {
        let (out, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        common::run_available_now(
            Whole::read(JsonSource::new(dir.path()))
                .append()
                .to(FileSink::new(out.path(), format))
                .checkpoint(checkpoint.path()),
        );
        let mut read: Vec<WholeRow> = read_file_sink(out.path()).unwrap();
        read.sort_by_key(|row| row.id);
        assert_eq!(read, expected, "{format:?}");
        if format == FileFormat::Parquet {
            let sink = MemorySink::named("whole_again");
            common::run_available_now(Whole::read(FileSource::parquet(out.path())).append().to(sink.clone()));
            let mut again = sink.rows::<WholeRow>().unwrap();
            again.sort_by_key(|row| row.id);
            assert_eq!(again, expected);
        }
    }
}

/// Runs `writer` over golden input directory `input`, one file per batch, against golden
/// `name`, batch by batch.
fn assert_input_matches<Q: rill::StreamPlan + rill::SupportsAppend>(
    input: &str,
    name: &str,
    read: impl Fn(JsonSource) -> rill::DataStreamWriter<Q>,
) {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input").join(input), dir.path());
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(
        read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let mut golden = golden(name);
    // `size` of a null array: -1 with ANSI off, as the golden ran; null with it on, as Rill.
    let sizes: Vec<usize> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, c)| *c == "n")
        .map(|(position, _)| position)
        .collect();
    for batch in golden["batches"].as_array_mut().unwrap() {
        batch["rows"] = Value::Array(common::sizes_as_in_ansi_mode(&batch["rows"], &sizes));
    }
    common::assert_batches_match_spark(&golden, name, &query, &sink.take());
}

/// Arrays of structs: `inline` makes a row of each struct (a null one a row of nulls), and
/// `inline_outer` one row of nulls for a null or empty array; `explode` gives the structs, and
/// `size`, `element_at`, `items[0].sku` and `to_json` read them, all as Spark 4.3.
#[test]
fn arrays_of_structs_match_spark() {
    assert_input_matches("orders", "inline", Inline::read);
    assert_input_matches("orders", "inline_outer", InlineOuter::read);
    assert_input_matches("orders", "explode_structs", ExplodeStructs::read);
    assert_input_matches("orders", "struct_array_functions", StructArrayFunctions::read);
}

/// Arrays of arrays: `flatten` (null when the array or one of its arrays is), `size`, an
/// element, `to_json`, and `explode` of the rows, as Spark 4.3.
#[test]
fn arrays_of_arrays_match_spark() {
    assert_input_matches("matrix", "flatten", Flatten::read);
    assert_input_matches("matrix", "explode_rows", ExplodeRows::read);
}
