//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, reason = "each test crate uses a different subset")]

use std::path::Path;

use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arrow_array::RecordBatch;
use rill::sink::SinkContext;
use rill::{Result, Sink};

/// Writes `lines` to `dir/name`, with a modification time `order` seconds after a fixed
/// instant, so files are taken in `order` regardless of how fast they were written.
pub fn write_file(dir: &Path, name: &str, lines: &[&str], order: u64) {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + order))
        .unwrap();
}

/// A sink that keeps every batch it receives, with its batch id.
#[derive(Clone, Default, Debug)]
pub struct CapturingSink {
    pub batches: Arc<Mutex<Vec<(u64, RecordBatch)>>>,
}

impl CapturingSink {
    pub fn take(&self) -> Vec<(u64, RecordBatch)> {
        std::mem::take(&mut *self.batches.lock().unwrap())
    }
}

impl Sink for CapturingSink {
    fn description(&self) -> String {
        "CapturingSink".to_owned()
    }

    fn open(&mut self, _context: &SinkContext) -> Result<()> {
        Ok(())
    }

    fn add_batch(&mut self, batch_id: u64, batch: &RecordBatch) -> Result<()> {
        self.batches.lock().unwrap().push((batch_id, batch.clone()));
        Ok(())
    }
}

impl<M> rill::sink::AcceptsMode<M> for CapturingSink {}
impl rill::sink::RunsWithoutCheckpoint for CapturingSink {}

/// Starts `writer` with an available-now trigger and waits for it to finish.
pub fn run_available_now<Q, M, S, C>(writer: rill::DataStreamWriter<Q, M, S, C>) -> rill::StreamingQuery
where
    Q: rill::StreamPlan,
    M: rill::mode::Chosen,
    S: Sink + rill::sink::AcceptsMode<M>,
    C: rill::checkpointing::CheckpointFor<S>,
{
    let query = writer.trigger(rill::Trigger::AvailableNow).start().unwrap();
    query.await_termination().unwrap();
    query
}

/// The input files of golden directory `golden`, copied with modification times in name order
/// (git keeps none), so the file source takes them in the order Spark did.
pub fn golden_input(golden: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_in_name_order(&Path::new(golden).join("input"), dir.path());
    dir
}

/// Copies the files of `source` into `target`, with modification times in name order.
pub fn copy_in_name_order(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(source)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for (order, name) in names.iter().enumerate() {
        let text = std::fs::read_to_string(source.join(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        write_file(target, name, &lines, order as u64);
    }
}

/// A golden file of JSON, `relative` to directory `golden`.
pub fn golden_json(golden: &str, relative: &str) -> Value {
    let path = Path::new(golden).join(relative);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// Rows in a canonical order, as JSON values (Spark's golden rows are JSON arrays).
pub fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(Value::to_string);
    rows
}

/// Compares one run with Spark's batches: rows, input counts, event time and state metrics.
pub fn assert_matches_spark(dir: &str, golden: &str, query: &rill::StreamingQuery, emitted: Vec<Vec<Value>>) {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(dir).join("expected").join(golden)).unwrap()).unwrap();
    let expected = expected["batches"].as_array().unwrap();
    let progress = query.recent_progress();
    assert_eq!(
        progress.len(),
        expected.len(),
        "{golden}: number of batches (Spark's includes its no-data batches)"
    );
    assert_eq!(emitted.len(), expected.len(), "{golden}: batches handed to the sink");
    for ((spark, ours), rows) in expected.iter().zip(&progress).zip(emitted) {
        let batch = ours.batch_id;
        assert_eq!(spark["batch_id"], batch, "{golden}");
        assert_eq!(
            spark["num_input_rows"], ours.num_input_rows,
            "{golden} batch {batch}: input rows"
        );
        let ours_json: Value = serde_json::from_str(&ours.json()).unwrap();
        // The golden file writes the no-data batch's absent statistics as nulls; Spark omits them.
        let mut spark_event_time = spark["event_time"].clone();
        if let Some(fields) = spark_event_time.as_object_mut() {
            fields.retain(|_, value| !value.is_null());
        }
        assert_eq!(
            spark_event_time, ours_json["eventTime"],
            "{golden} batch {batch}: eventTime"
        );
        let state = &ours_json["stateOperators"][0];
        for metric in [
            "numRowsTotal",
            "numRowsUpdated",
            "numRowsRemoved",
            "numRowsDroppedByWatermark",
        ] {
            assert_eq!(
                spark["state"][metric], state[metric],
                "{golden} batch {batch}: {metric}"
            );
        }
        let spark_rows = sorted(spark["rows"].as_array().unwrap().clone());
        assert_eq!(sorted(rows), spark_rows, "{golden} batch {batch}: rows");
    }
}

/// A double as Spark's golden files write it: NaN, the infinities and -0.0 as strings, which
/// JSON has no numbers for.
pub fn spark_double(value: Option<f64>) -> Value {
    match value {
        None => Value::Null,
        Some(v) if v.is_nan() => Value::from("NaN"),
        Some(v) if v == f64::INFINITY => Value::from("Infinity"),
        Some(v) if v == f64::NEG_INFINITY => Value::from("-Infinity"),
        Some(v) if v == 0.0 && v.is_sign_negative() => Value::from("-0.0"),
        Some(v) => Value::from(v),
    }
}

/// Whether a value of ours (as [`golden_objects`] encodes it) equals Spark's from a golden file
/// that writes doubles as Python's `repr`: doubles bit for bit, everything else as JSON.
pub fn same_as_spark_repr(ours: &Value, spark: &Value) -> bool {
    match (ours, spark) {
        (Value::Number(ours), Value::String(spark)) => {
            let spark: f64 = spark.parse().unwrap_or_else(|_| panic!("not a double: {spark}"));
            ours.as_f64().is_some_and(|ours| ours.to_bits() == spark.to_bits())
        }
        // A double NaN or infinity of ours is a string; Python's `repr` spells them its way.
        (Value::String(ours), Value::String(spark)) => {
            ours == spark
                || matches!(
                    (ours.as_str(), spark.as_str()),
                    ("NaN", "nan") | ("Infinity", "inf") | ("-Infinity", "-inf")
                )
        }
        // Values inside arrays and structs, compared the same way.
        (Value::Array(ours), Value::Array(spark)) => {
            ours.len() == spark.len() && ours.iter().zip(spark).all(|(o, s)| same_as_spark_repr(o, s))
        }
        (Value::Object(ours), Value::Object(spark)) => {
            ours.len() == spark.len()
                && ours
                    .iter()
                    .all(|(key, o)| spark.get(key).is_some_and(|s| same_as_spark_repr(o, s)))
        }
        _ => ours == spark,
    }
}

/// Golden rows from a Spark run with ANSI off, where `size` of a null array is -1, with the
/// `sizes` columns' -1 as null: Spark's answer with ANSI on (its default), and Rill's.
pub fn sizes_as_in_ansi_mode(rows: &Value, sizes: &[usize]) -> Vec<Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let mut row = row.clone();
            for position in sizes {
                if row[*position] == -1 {
                    row[*position] = Value::Null;
                }
            }
            row
        })
        .collect()
}

/// A timestamp as the golden files write it: its microseconds since the epoch.
pub fn micros(value: Option<rill::Timestamp>) -> Value {
    value.map_or(Value::Null, |t| Value::from(t.micros()))
}

/// A date as the golden files write it: `yyyy-MM-dd`.
pub fn date(value: Option<rill::Date>) -> Value {
    value.map_or(Value::Null, |d| Value::from(d.to_string()))
}

/// The rows of `batch` encoded as Spark's golden files write values (see `spark_golden.py`),
/// each an object keyed by column name; a struct column (a window) becomes one key per field,
/// `<column>_<field>`.
pub fn golden_objects(batch: &RecordBatch) -> Vec<serde_json::Map<String, Value>> {
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray as _;
    use arrow_array::types::{
        Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    };
    use arrow_schema::DataType;

    fn encode(column: &dyn arrow_array::Array, row: usize) -> Value {
        if column.is_null(row) {
            return Value::Null;
        }
        match column.data_type() {
            DataType::Utf8 => Value::from(column.as_string::<i32>().value(row)),
            DataType::Int8 => Value::from(column.as_primitive::<Int8Type>().value(row)),
            DataType::Int16 => Value::from(column.as_primitive::<Int16Type>().value(row)),
            DataType::Int32 => Value::from(column.as_primitive::<Int32Type>().value(row)),
            // Spark's Python rows hold a float as the double it widens to.
            DataType::Float32 => spark_double(Some(f64::from(column.as_primitive::<Float32Type>().value(row)))),
            DataType::Int64 => Value::from(column.as_primitive::<Int64Type>().value(row)),
            DataType::Float64 => spark_double(Some(column.as_primitive::<Float64Type>().value(row))),
            DataType::Boolean => Value::from(column.as_boolean().value(row)),
            DataType::Timestamp(..) => Value::from(column.as_primitive::<TimestampMicrosecondType>().value(row)),
            DataType::Date32 => date(Some(rill::Date::from_days(
                column.as_primitive::<Date32Type>().value(row),
            ))),
            // Plain, with exactly the scale's places: `1.50`, `0.000000000000000001`.
            DataType::Decimal128(_, scale) => Value::from(rill::decimal::plain_text(
                column.as_primitive::<arrow_array::types::Decimal128Type>().value(row),
                u8::try_from(*scale).unwrap(),
            )),
            // A struct as an object of its fields; a map as an object of its entries.
            DataType::Struct(fields) => {
                let parts = column.as_struct();
                Value::Object(
                    fields
                        .iter()
                        .zip(parts.columns())
                        .map(|(field, part)| (field.name().clone(), encode(part.as_ref(), row)))
                        .collect(),
                )
            }
            DataType::Map(..) => {
                let entries = column.as_map().value(row);
                let (keys, values) = (entries.column(0).as_string::<i32>(), entries.column(1));
                Value::Object(
                    (0..entries.len())
                        .map(|entry| (keys.value(entry).to_owned(), encode(values.as_ref(), entry)))
                        .collect(),
                )
            }
            // An array as a JSON array of its elements, in order.
            DataType::List(_) => {
                let items = column.as_list::<i32>().value(row);
                Value::Array((0..items.len()).map(|item| encode(items.as_ref(), item)).collect())
            }
            other => panic!("no golden encoding for {other}"),
        }
    }
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut object = serde_json::Map::new();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                let is_window =
                    |fields: &arrow_schema::Fields| fields.iter().map(|f| f.name().as_str()).eq(["start", "end"]);
                if let DataType::Struct(fields) = field.data_type()
                    && is_window(fields)
                {
                    let parts = column.as_struct();
                    for (inner, part) in fields.iter().zip(parts.columns()) {
                        let value = if column.is_null(row) {
                            Value::Null
                        } else {
                            encode(part.as_ref(), row)
                        };
                        object.insert(format!("{}_{}", field.name(), inner.name()), value);
                    }
                } else {
                    object.insert(field.name().clone(), encode(column.as_ref(), row));
                }
            }
            object
        })
        .collect()
}

/// Every column of `batches` against Spark's golden `rows` (arrays led by the id, named by
/// `columns`), row by row by id; `missing(column, id)` gives Spark's value for a column the
/// golden rows do not have. Returns how many values were compared and each difference.
pub fn differences_by_id(
    batches: &[(u64, RecordBatch)],
    columns: &[&str],
    rows: &[Value],
    missing: impl Fn(&str, &Value) -> Value,
) -> (usize, Vec<String>) {
    let mut compared = 0;
    let mut differences = Vec::new();
    for object in batches.iter().flat_map(|(_, batch)| golden_objects(batch)) {
        let id = object["id"].clone();
        let spark = rows
            .iter()
            .find(|row| row[0] == id)
            .unwrap_or_else(|| panic!("no golden row {id}"));
        for (name, ours) in object.iter().filter(|(name, _)| *name != "id") {
            let expected = match columns.iter().position(|c| c == name) {
                Some(position) => spark[position].clone(),
                None => missing(name, &id),
            };
            compared += 1;
            if *ours != expected {
                differences.push(format!("id {id}, `{name}`: Rill {ours}, Spark {expected}"));
            }
        }
    }
    (compared, differences)
}

/// Spark's name of an Arrow type, as `DataType.simpleString` writes it (`decimal(10,2)`).
pub fn spark_type(data_type: &arrow_schema::DataType) -> String {
    use arrow_schema::DataType;
    match data_type {
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Utf8 => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Timestamp(..) => "timestamp".into(),
        DataType::Date32 => "date".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        DataType::List(item) => format!("array<{}>", spark_type(item.data_type())),
        DataType::Struct(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.name(), spark_type(f.data_type())))
                .collect();
            format!("struct<{}>", parts.join(","))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(parts) if parts.len() == 2 => format!(
                "map<{},{}>",
                spark_type(parts[0].data_type()),
                spark_type(parts[1].data_type())
            ),
            other => format!("{other}"),
        },
        other => format!("{other}"),
    }
}

/// Compares a run with a golden file of Spark's micro-batches (`columns`, `column_types`, and
/// `batches` of `batch_id`, `num_input_rows` and `rows`), batch by batch: the columns and their
/// types, the rows (in a canonical order) and the rows read.
pub fn assert_batches_match_spark(
    golden: &Value,
    name: &str,
    query: &rill::StreamingQuery,
    batches: &[(u64, RecordBatch)],
) {
    let columns: Vec<String> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let spark_batches = golden["batches"].as_array().unwrap();
    assert_eq!(batches.len(), spark_batches.len(), "{name}: batches");
    let progress = query.recent_progress();
    for ((batch_id, batch), spark) in batches.iter().zip(spark_batches) {
        assert_eq!(spark["batch_id"], *batch_id, "{name}");
        let ours: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(ours, columns, "{name}: columns");
        for field in batch.schema().fields() {
            assert_eq!(
                spark_type(field.data_type()),
                golden["column_types"][field.name()],
                "{name}: `{}`",
                field.name()
            );
        }
        let rows: Vec<Value> = golden_objects(batch)
            .into_iter()
            .map(|object| Value::Array(columns.iter().map(|c| object[c].clone()).collect()))
            .collect();
        assert_eq!(
            sorted(rows),
            sorted(spark["rows"].as_array().unwrap().clone()),
            "{name}: batch {batch_id}"
        );
        let read = progress
            .iter()
            .find(|p| p.batch_id == *batch_id)
            .map(|p| p.num_input_rows);
        assert_eq!(
            read,
            spark["num_input_rows"].as_u64(),
            "{name}: rows read in batch {batch_id}"
        );
    }
}

/// Runs `writer` (an append-mode query over a golden input with an `id` column) and compares
/// every column's Spark type and every value with `section` of a golden file (`columns`,
/// `column_types`, and `rows` keyed by id), listing every difference.
pub fn assert_columns_match_spark<Q: rill::StreamPlan + rill::SupportsAppend>(
    writer: rill::DataStreamWriter<Q>,
    section: &Value,
) {
    let sink = CapturingSink::default();
    run_available_now(writer.append().to(sink.clone()));
    let batches = sink.take();
    let columns: Vec<&str> = section["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut differences = Vec::new();
    let schema = batches[0].1.schema();
    for field in schema.fields().iter().filter(|f| f.name() != "id") {
        let spark = section["column_types"][field.name()].as_str().unwrap_or("missing");
        let ours = spark_type(field.data_type());
        if ours != spark {
            differences.push(format!("`{}`: type {ours}, Spark {spark}", field.name()));
        }
    }
    let (compared, found) = differences_by_id(&batches, &columns, section["rows"].as_array().unwrap(), |name, _| {
        panic!("no golden column {name}")
    });
    differences.extend(found);
    assert!(compared > 0);
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Runs `writer` (in the mode it chooses) over the inputs of the golden directory `dir` (a
/// source per directory of `input/`, reading a file per batch) and compares every batch with
/// Spark's `expected/<golden>.json`: the rows, the rows read, the watermark, and each stateful
/// operator's name, state rows, updated, removed and late rows, listed from the sink as Spark
/// lists them.
pub fn assert_operators_match_spark<Q: rill::StreamPlan, M: rill::mode::Chosen>(
    dir: &str,
    golden: &str,
    writer: impl FnOnce(&mut dyn FnMut(&str) -> rill::JsonSource) -> rill::DataStreamWriter<Q, M>,
    rows: impl Fn(&RecordBatch) -> Vec<serde_json::Value>,
) {
    let expected = golden_json(dir, &format!("expected/{golden}.json"));
    let inputs = tempfile::tempdir().unwrap();
    let mut source = |name: &str| {
        let target = inputs.path().join(name);
        copy_in_name_order(&Path::new(dir).join("input").join(name), &target);
        rill::JsonSource::new(target).max_files_per_trigger(1)
    };
    let sink = CapturingSink::default();
    let query = run_available_now(writer(&mut source).to(sink.clone()));
    let batches = sink.take();
    let spark_batches = expected["batches"].as_array().unwrap();
    let with_rows: Vec<&serde_json::Value> = spark_batches
        .iter()
        .filter(|batch| !batch["rows"].as_array().unwrap().is_empty())
        .collect();
    let ours: Vec<&(u64, RecordBatch)> = batches.iter().filter(|(_, batch)| batch.num_rows() > 0).collect();
    assert_eq!(ours.len(), with_rows.len(), "{golden}: batches with rows");
    for ((batch_id, batch), spark) in ours.into_iter().zip(with_rows) {
        assert_eq!(spark["batch_id"], *batch_id, "{golden}");
        assert_eq!(
            sorted(rows(batch)),
            sorted(spark["rows"].as_array().unwrap().clone()),
            "{golden}: rows of batch {batch_id}"
        );
    }
    let progress = query.recent_progress();
    assert_eq!(progress.len(), spark_batches.len(), "{golden}: batches run");
    for (ours, spark) in progress.iter().zip(spark_batches) {
        let batch = ours.batch_id;
        assert_eq!(
            spark["num_input_rows"], ours.num_input_rows,
            "{golden}: rows read in batch {batch}"
        );
        let ours: serde_json::Value = serde_json::from_str(&ours.json()).unwrap();
        assert_eq!(
            ours["eventTime"]["watermark"], spark["event_time"]["watermark"],
            "{golden}: watermark of batch {batch}"
        );
        type Operator = (
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
        );
        let operators = |list: &serde_json::Value| -> Vec<Operator> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    // Spark's Python processors run as `transformWithStateInPySparkExec` and
                    // `applyInPandasWithState`; Rill reports the names of Spark's own operators.
                    let name = match s["operatorName"].as_str() {
                        Some("transformWithStateInPySparkExec") => serde_json::json!("transformWithStateExec"),
                        Some("applyInPandasWithState") => serde_json::json!("flatMapGroupsWithState"),
                        _ => s["operatorName"].clone(),
                    };
                    (
                        name,
                        s["numRowsTotal"].clone(),
                        s["numRowsDroppedByWatermark"].clone(),
                        s["numRowsUpdated"].clone(),
                        s["numRowsRemoved"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(
            operators(&ours["stateOperators"]),
            operators(&spark["state_operators"]),
            "{golden}: operators of batch {batch}"
        );
    }
}
