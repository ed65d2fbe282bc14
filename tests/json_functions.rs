//! `from_json`, `to_json` and `get_json_object` against Spark 4.3 (`golden/json_functions/`,
//! written by `make_json_functions_golden.py`), value for value over 39 texts of every shape:
//! malformed and truncated JSON, wrong-typed members, non-object roots, duplicate keys, odd
//! numbers, escapes and characters beyond the Basic Multilingual Plane.

use crate::common;

use std::path::Path;

use rill::arrow_array::RecordBatch;
use rill::prelude::*;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/json_functions");

rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Payload {
        id: Option<i32>,
        payload: Option<String>,
        device: Option<Device>,
        tags: Option<Vec<Option<String>>>,
        properties: Option<Map<String, Option<String>>>,
        score: Option<f64>,
        ts: Option<Timestamp>,
        day: Option<Date>,
        amount: Option<Decimal<10, 2>>,
        flag: Option<bool>,
    }
    schema Texts { os: Option<String>, version: Option<String> }
    schema Doubles { os: Option<String>, version: Option<f64> }
    schema Inner { c: Option<i32> }
    schema Middle { b: Option<Inner> }
    schema Deep { a: Option<Middle>, tags: Option<Vec<Option<String>>> }

    query FromJson(payloads: Payload) {
        payloads.select(id, parsed = from_json(payload, Device)).select(id, parsed, os = parsed.os, version = parsed.version)
    }
    query FromJsonOthers(payloads: Payload) {
        payloads.select(
            id,
            as_strings = from_json(payload, Texts),
            as_double = from_json(payload, Doubles),
            nested = from_json(payload, Deep),
        )
    }
    query ToJson(payloads: Payload) {
        payloads.select(
            id,
            device_json = to_json(device),
            tags_json = to_json(tags),
            properties_json = to_json(properties),
            all_json = to_json(struct(id, device, tags, properties)),
        )
    }
    query StructOfScalars(payloads: Payload) {
        payloads
            .select(id, scalars = struct(score, ts, day, amount, flag), named = struct(id, twice = id * 2))
            .with_column(scalars_json = to_json(scalars))
    }
    query GetJsonObject(payloads: Payload) {
        payloads.select(
            id,
            p_os = get_json_object(payload, "$.os"),
            p_version = get_json_object(payload, "$.version"),
            p_a_b = get_json_object(payload, "$.a.b"),
            p_a_b_c = get_json_object(payload, "$.a.b.c"),
            p_tags = get_json_object(payload, "$.tags"),
            p_tags_0 = get_json_object(payload, "$.tags[0]"),
            p_tags_2 = get_json_object(payload, "$.tags[2]"),
            p_tags_star = get_json_object(payload, "$.tags[*]"),
            p_missing = get_json_object(payload, "$.missing"),
            p_root = get_json_object(payload, "$"),
            p_bracket_os = get_json_object(payload, "$['os']"),
        )
    }
    query JsonTuple(payloads: Payload) {
        payloads.select(id, json_tuple(payload, "os", "version"))
    }
    query JsonTupleNested(payloads: Payload) {
        payloads.select(id, json_tuple(payload, "a", "tags", "missing", "OS"))
    }
    query GetJsonObjectMore(payloads: Payload) {
        payloads.select(
            id,
            p_0 = get_json_object(payload, "$[0]"),
            p_star = get_json_object(payload, "$[*]"),
            p_star_os = get_json_object(payload, "$[*].os"),
            p_a_b_star = get_json_object(payload, "$.a.b[*]"),
            p_a_b_0 = get_json_object(payload, "$.a.b[0]"),
            p_a_b_c_1_d = get_json_object(payload, "$.a.b.c[1].d"),
            p_tags_star_y = get_json_object(payload, "$.tags[*].y"),
            p_tags_0_0 = get_json_object(payload, "$.tags[0][0]"),
            p_star_member = get_json_object(payload, "$.*"),
            p_upper = get_json_object(payload, "$.OS"),
            p_a_b_4 = get_json_object(payload, "$.a.b[4]"),
            p_tags_star_0 = get_json_object(payload, "$.tags[*][0]"),
        )
    }
}

fn input() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input/payloads"), dir.path());
    dir
}

/// Every column of ours against the golden file's column of the same name, row by row by `id`
/// (columns Spark has that Rill cannot spell are not compared). Returns how many values matched.
fn assert_matches<Q: rill::StreamPlan + rill::SupportsAppend>(
    name: &str,
    read: impl Fn(JsonSource) -> rill::DataStreamWriter<Q>,
) -> usize {
    let dir = input();
    let sink = common::CapturingSink::default();
    common::run_available_now(read(JsonSource::new(dir.path())).append().to(sink.clone()));
    let batches: Vec<(u64, RecordBatch)> = sink.take();
    let golden = common::golden_json(GOLDEN, &format!("expected/{name}.json"));
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let rows = golden["batches"][0]["rows"].as_array().unwrap();
    let mut compared = 0;
    let mut differences = Vec::new();
    let objects: Vec<_> = batches
        .iter()
        .flat_map(|(_, batch)| common::golden_objects(batch))
        .collect();
    assert_eq!(objects.len(), rows.len(), "{name}: rows");
    for object in objects {
        let spark = rows.iter().find(|row| row[0] == object["id"]).unwrap();
        for (column, ours) in object.iter().filter(|(column, _)| *column != "id") {
            let position = columns
                .iter()
                .position(|c| c == column)
                .unwrap_or_else(|| panic!("no golden column {column}"));
            let field = batches[0].1.schema().field_with_name(column).unwrap().clone();
            assert_eq!(
                common::spark_type(field.data_type()),
                golden["column_types"][column.as_str()],
                "the type of `{column}`"
            );
            compared += 1;
            // The golden file writes doubles as Python's `repr`.
            if !common::same_as_spark_repr(ours, &spark[position]) {
                differences.push(format!(
                    "id {}, `{column}`: Rill {ours}, Spark {}",
                    object["id"], spark[position]
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{name}:\n{}", differences.join("\n"));
    compared
}

#[test]
fn from_json_matches_spark() {
    assert_matches("from_json", FromJson::read);
}

/// A string field takes any JSON value as Spark's parser re-prints it; a double field takes
/// `"Infinity"`; a nested struct of the wrong kind is null inside its parent.
#[test]
fn from_json_into_other_schemas_matches_spark() {
    assert_matches("from_json_other_schemas", FromJsonOthers::read);
}

#[test]
fn to_json_matches_spark() {
    assert_matches("to_json", ToJson::read);
}

/// `json_tuple`: columns `c0`, `c1`, .. of the named members (the last of a duplicated name),
/// all null when the text is not an object.
#[test]
fn json_tuple_matches_spark() {
    assert_matches("json_tuple", JsonTuple::read);
    assert_matches("json_tuple_nested", JsonTupleNested::read);
}

#[test]
fn get_json_object_matches_spark() {
    assert_matches("get_json_object", GetJsonObject::read);
    assert_matches("get_json_object_extra", GetJsonObjectMore::read);
}

/// `to_json(struct(score, ts, day, amount, flag))` writes the scalars as Spark does: Java's
/// doubles (quoted when not finite), timestamps to the millisecond in UTC, dates, decimals with
/// their scale; a null field left out. And `struct(..)` names its fields as Spark does.
#[test]
fn to_json_of_a_struct_of_scalars_matches_spark() {
    let dir = input();
    let sink = MemorySink::named("struct_of_scalars");
    common::run_available_now(
        StructOfScalars::read(JsonSource::new(dir.path()))
            .append()
            .to(sink.clone()),
    );
    let batch = sink.snapshot().unwrap();
    let fields: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| common::spark_type(f.data_type()))
        .collect();
    assert_eq!(
        fields,
        [
            "int",
            "struct<score:double,ts:timestamp,day:date,amount:decimal(10,2),flag:boolean>",
            "struct<id:int,twice:int>",
            "string"
        ]
    );
    let golden = common::golden_json(GOLDEN, "expected/to_json.json");
    let rows = golden["batches"][0]["rows"].as_array().unwrap();
    let scalars = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "scalars_json")
        .unwrap();
    let mut values = sink.rows::<StructOfScalarsRow>().unwrap();
    values.sort_by_key(|row| row.id);
    assert_eq!(values.len(), rows.len());
    let mut reprinted = Vec::new();
    for row in values {
        assert_eq!(row.named.twice, row.id.map(|id| id * 2));
        let spark = rows
            .iter()
            .find(|r| r[0] == row.id.map_or(serde_json::Value::Null, serde_json::Value::from))
            .unwrap();
        let (ours, spark_text) = (row.scalars_json, spark[scalars].as_str().unwrap_or_default());
        if ours != spark_text {
            // Java 17's `Double.toString`, which Spark ran on, prints some doubles (2e23) with
            // more digits than the shortest text that reads back, which Rill prints (as Java 19
            // on does): the same double.
            let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
            assert_eq!(parse(&ours), parse(spark_text), "id {:?}", row.id);
            reprinted.push(row.id);
        }
    }
    assert_eq!(
        reprinted,
        [Some(36), Some(37), Some(38)],
        "2e23, 2.82879384806159e17 and 1e23"
    );
}
