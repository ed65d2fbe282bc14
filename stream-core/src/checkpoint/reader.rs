//! A checkpoint read without its query (Spark 4's state data source): its metadata, batches and
//! watermark, and any operator's state at any retained batch, as Arrow record batches decoded
//! by the state's shape the checkpoint records.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rill::prelude::*;
//! use stream_core::checkpoint::CheckpointReader;
//!
//! rill::stream! {
//!     schema Event { user_id: String, amount: f64 }
//!     query Totals(raw: Event) { raw.group_by(user_id).agg(events = count(), total = sum(amount)) }
//! }
//!
//! let (input, checkpoint) = (tempfile::tempdir()?, tempfile::tempdir()?);
//! std::fs::write(input.path().join("a.json"), "{\"user_id\": \"u1\", \"amount\": 2.5}\n")?;
//! Totals::read(JsonSource::new(input.path()))
//!     .complete()
//!     .to(MemorySink::named("totals"))
//!     .checkpoint(checkpoint.path())
//!     .trigger(Trigger::AvailableNow)
//!     .start()?
//!     .await_termination()?;
//!
//! let reader = CheckpointReader::open(checkpoint.path())?;
//! assert_eq!(reader.last_committed_batch()?, Some(0));
//! let state = reader.state(0, "", 0)?;
//! assert_eq!(state.num_rows(), 1);
//! let columns: Vec<String> = state.schema().fields().iter().map(|f| f.name().clone()).collect();
//! assert_eq!(columns, ["key.0", "value.0:count", "value.1:sum"]);
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder, Int8Builder, Int16Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};

use super::{CommitEntry, Metadata, OffsetEntry, read_parsed};
use crate::error::{Error, Result};
use crate::state::snapshot::{StateType, take};
use crate::state::store::StoreSchema;

/// A checkpoint opened for reading: nothing in it is locked or changed.
#[derive(Debug)]
pub struct CheckpointReader {
    dir: PathBuf,
    metadata: Metadata,
}

impl CheckpointReader {
    /// Opens the checkpoint at `dir`.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when its `metadata` is missing or does not parse.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let metadata = read_parsed(&dir.join("metadata"), Metadata::parse)?;
        Ok(Self { dir, metadata })
    }

    /// The query's id, name, plan and state shapes.
    #[must_use]
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Whether query `Q`, as compiled, may resume on this checkpoint — without running it, as
    /// a deployment step would check before starting a changed query.
    ///
    /// # Errors
    /// [`Error::CheckpointMismatch`] when `Q`'s plan differs and its state does not have the
    /// checkpoint's shape, naming the operator, store and field.
    pub fn check<Q: crate::plan::StreamPlan>(&self) -> Result<super::Resumable> {
        let facts = Q::facts();
        let mut plan = Q::create();
        let state: Vec<_> = plan.stateful_operators().iter().map(|o| o.state_schema()).collect();
        self.metadata.resumable_by(
            &self.dir,
            facts.name,
            &format!("{:016x}", facts.fingerprint),
            facts.explain,
            &state,
        )
    }

    /// The last batch the sink took, if any.
    ///
    /// # Errors
    /// When the commits log cannot be listed.
    pub fn last_committed_batch(&self) -> Result<Option<u64>> {
        Ok(log_batches(&self.dir.join("commits"))?.last().copied())
    }

    /// The batches whose offsets the checkpoint keeps, oldest first.
    ///
    /// # Errors
    /// When the offsets log cannot be listed.
    pub fn planned_batches(&self) -> Result<Vec<u64>> {
        log_batches(&self.dir.join("offsets"))
    }

    /// What `offsets/<batch>` records: each input's end offset and the batch's watermark.
    ///
    /// # Errors
    /// When the entry is missing or does not parse, naming it.
    pub fn offsets(&self, batch: u64) -> Result<OffsetEntry> {
        read_parsed(&self.dir.join("offsets").join(batch.to_string()), OffsetEntry::parse)
    }

    /// What `commits/<batch>` records: the watermark the next batch runs with.
    ///
    /// # Errors
    /// When the entry is missing or does not parse, naming it.
    pub fn commit(&self, batch: u64) -> Result<CommitEntry> {
        read_parsed(&self.dir.join("commits").join(batch.to_string()), CommitEntry::parse)
    }

    /// Store `store` (`""` for an operator's only store, `left`/`right` for a join's) of
    /// operator `operator` after batch `batch`: one row per key, a column per key component
    /// (`key.0`, ..) and per value field (`value.<name>`); a column of nested values (a join's
    /// buffered rows, sessions) holds them as JSON text.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when the checkpoint does not record the state's shape or has no
    /// such operator or store, or a state file is missing or damaged, naming it.
    pub fn state(&self, operator: usize, store: &str, batch: u64) -> Result<RecordBatch> {
        let schema = self.store_schema(operator, store)?;
        let dir = super::state_store_dir_of(&self.dir, operator, store);
        let files = super::read_store_version(&dir, batch + 1)?.files;
        let rows = super::replay(&files)?;
        decode_rows(&schema, &rows).map_err(|message| Error::Checkpoint { path: dir, message })
    }

    fn store_schema(&self, operator: usize, store: &str) -> Result<StoreSchema> {
        let not_found = |message: String| Error::Checkpoint {
            path: self.dir.join("metadata"),
            message,
        };
        let operators = self.metadata.state.as_ref().ok_or_else(|| {
            not_found("does not record the shape of the state (it was written by an earlier Rill)".to_owned())
        })?;
        let found = operators.get(operator).ok_or_else(|| {
            not_found(format!(
                "records {} stateful operators: there is no operator {operator}",
                operators.len()
            ))
        })?;
        found.stores.iter().find(|s| s.name == store).cloned().ok_or_else(|| {
            let names: Vec<String> = found.stores.iter().map(|s| format!("`{}`", s.name)).collect();
            not_found(format!(
                "operator {operator} (`{}`) has no store `{store}`; its stores are {}",
                found.operator,
                names.join(", ")
            ))
        })
    }
}

/// The batches of log directory `dir`, in order.
fn log_batches(dir: &Path) -> Result<Vec<u64>> {
    let entries = std::fs::read_dir(dir).map_err(|e| super::io_error(dir, "list the checkpoint log", e))?;
    let mut batches: Vec<u64> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(super::batch_of_file_name))
        .collect();
    batches.sort_unstable();
    Ok(batches)
}

/// A column of the decoded state: its name and the shape of its values.
struct Column {
    name: String,
    ty: StateType,
}

/// The columns a key or value of shape `ty` spreads over: one per component of a tuple or a
/// struct, one otherwise.
fn columns(prefix: &str, ty: &StateType) -> Vec<Column> {
    match ty {
        StateType::Tuple(items) => items
            .iter()
            .enumerate()
            .map(|(index, ty)| Column {
                name: format!("{prefix}.{index}"),
                ty: ty.clone(),
            })
            .collect(),
        StateType::Struct(fields) => fields
            .iter()
            .map(|(name, ty)| Column {
                name: format!("{prefix}.{name}"),
                ty: ty.clone(),
            })
            .collect(),
        StateType::Unit => Vec::new(),
        ty => vec![Column {
            name: prefix.to_owned(),
            ty: ty.clone(),
        }],
    }
}

/// A typed Arrow builder for a column of values of one shape.
enum Builder {
    Bool(BooleanBuilder),
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Str(StringBuilder),
    Decimal(Decimal128Builder, u8, i8),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    /// Any other shape, as JSON text.
    Json(StringBuilder),
}

/// The builder for values of `ty` (an option's inner shape: nulls are a builder's own).
fn builder(ty: &StateType) -> Builder {
    match ty {
        StateType::Option(inner) => builder(inner),
        StateType::Bool => Builder::Bool(BooleanBuilder::new()),
        StateType::Number(name) => match name.as_str() {
            "i8" => Builder::I8(Int8Builder::new()),
            "i16" => Builder::I16(Int16Builder::new()),
            "i32" => Builder::I32(Int32Builder::new()),
            "i64" => Builder::I64(Int64Builder::new()),
            "u32" => Builder::U32(UInt32Builder::new()),
            "u64" => Builder::U64(UInt64Builder::new()),
            "f32" => Builder::F32(Float32Builder::new()),
            "f64" => Builder::F64(Float64Builder::new()),
            _ => Builder::Json(StringBuilder::new()),
        },
        StateType::String => Builder::Str(StringBuilder::new()),
        StateType::Decimal(precision, scale) => {
            let scale = i8::try_from(*scale).unwrap_or(i8::MAX);
            Builder::Decimal(Decimal128Builder::new(), *precision, scale)
        }
        StateType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::new()),
        StateType::Date => Builder::Date(Date32Builder::new()),
        _ => Builder::Json(StringBuilder::new()),
    }
}

impl Builder {
    /// Reads one value of shape `ty` from `input` into the column; `None` when the bytes do not
    /// hold one.
    fn append(&mut self, ty: &StateType, input: &mut &[u8]) -> Option<()> {
        if let (StateType::Option(inner), false) = (ty, matches!(self, Self::Json(_))) {
            let [tag] = take::<1>(input)?;
            return match tag {
                0 => {
                    self.append_null();
                    Some(())
                }
                1 => self.append(inner, input),
                _ => None,
            };
        }
        match self {
            Self::Bool(b) => b.append_value(decode::<bool>(input)?),
            Self::I8(b) => b.append_value(decode(input)?),
            Self::I16(b) => b.append_value(decode(input)?),
            Self::I32(b) => b.append_value(decode(input)?),
            Self::I64(b) => b.append_value(decode(input)?),
            Self::U32(b) => b.append_value(decode(input)?),
            Self::U64(b) => b.append_value(decode(input)?),
            Self::F32(b) => b.append_value(decode(input)?),
            Self::F64(b) => b.append_value(decode(input)?),
            Self::Str(b) => b.append_value(decode::<String>(input)?),
            Self::Decimal(b, _, _) => b.append_value(i128::from_le_bytes(take(input)?)),
            Self::Timestamp(b) => b.append_value(decode(input)?),
            Self::Date(b) => b.append_value(decode(input)?),
            Self::Json(b) => b.append_value(json(ty, input)?.to_string()),
        }
        Some(())
    }

    fn append_null(&mut self) {
        match self {
            Self::Bool(b) => b.append_null(),
            Self::I8(b) => b.append_null(),
            Self::I16(b) => b.append_null(),
            Self::I32(b) => b.append_null(),
            Self::I64(b) => b.append_null(),
            Self::U32(b) => b.append_null(),
            Self::U64(b) => b.append_null(),
            Self::F32(b) => b.append_null(),
            Self::F64(b) => b.append_null(),
            Self::Str(b) | Self::Json(b) => b.append_null(),
            Self::Decimal(b, _, _) => b.append_null(),
            Self::Timestamp(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
        }
    }

    fn finish(self) -> Result<ArrayRef, String> {
        Ok(match self {
            Self::Bool(mut b) => Arc::new(b.finish()),
            Self::I8(mut b) => Arc::new(b.finish()),
            Self::I16(mut b) => Arc::new(b.finish()),
            Self::I32(mut b) => Arc::new(b.finish()),
            Self::I64(mut b) => Arc::new(b.finish()),
            Self::U32(mut b) => Arc::new(b.finish()),
            Self::U64(mut b) => Arc::new(b.finish()),
            Self::F32(mut b) => Arc::new(b.finish()),
            Self::F64(mut b) => Arc::new(b.finish()),
            Self::Str(mut b) | Self::Json(mut b) => Arc::new(b.finish()),
            Self::Decimal(mut b, precision, scale) => Arc::new(
                b.finish()
                    .with_precision_and_scale(precision, scale)
                    .map_err(|e| format!("holds a decimal of a precision Arrow refuses: {e}"))?,
            ),
            Self::Timestamp(mut b) => Arc::new(b.finish().with_timezone("UTC")),
            Self::Date(mut b) => Arc::new(b.finish()),
        })
    }
}

fn decode<T: crate::state::snapshot::StateValue>(input: &mut &[u8]) -> Option<T> {
    T::decode(input)
}

/// A value of shape `ty` read from `input`, as JSON: exact for integers and strings; floats as
/// JSON numbers (NaN and infinities as strings), timestamps in microseconds, decimals as their
/// unscaled integer and scale.
fn json(ty: &StateType, input: &mut &[u8]) -> Option<serde_json::Value> {
    use serde_json::{Value, json};
    let float = |value: f64| {
        serde_json::Number::from_f64(value).map_or_else(|| Value::String(value.to_string()), Value::Number)
    };
    Some(match ty {
        StateType::Bool => Value::Bool(decode(input)?),
        StateType::Number(name) => match name.as_str() {
            "i8" => json!(decode::<i8>(input)?),
            "i16" => json!(decode::<i16>(input)?),
            "i32" => json!(decode::<i32>(input)?),
            "i64" => json!(decode::<i64>(input)?),
            "u32" => json!(decode::<u32>(input)?),
            "u64" => json!(decode::<u64>(input)?),
            "f32" => float(f64::from(decode::<f32>(input)?)),
            "f64" => float(decode::<f64>(input)?),
            _ => return None,
        },
        StateType::String => Value::String(decode(input)?),
        StateType::Decimal(_, scale) => {
            json!({"unscaled": i128::from_le_bytes(take(input)?).to_string(), "scale": scale})
        }
        StateType::Timestamp => json!(decode::<i64>(input)?),
        StateType::Date => json!(decode::<i32>(input)?),
        StateType::Window => json!({"start": decode::<i64>(input)?, "end": decode::<i64>(input)?}),
        StateType::Unit => Value::Null,
        StateType::Option(inner) => match take::<1>(input)? {
            [0] => Value::Null,
            [1] => json(inner, input)?,
            _ => return None,
        },
        StateType::List(inner) => {
            let len = decode::<u32>(input)?;
            Value::Array((0..len).map(|_| json(inner, input)).collect::<Option<_>>()?)
        }
        StateType::Tuple(items) => Value::Array(items.iter().map(|ty| json(ty, input)).collect::<Option<_>>()?),
        StateType::Struct(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, ty)| Some((name.clone(), json(ty, input)?)))
                .collect::<Option<_>>()?,
        ),
        StateType::Sessions(inner) => {
            let len = decode::<u32>(input)?;
            let session = |input: &mut &[u8]| {
                let (start, end) = (decode::<i64>(input)?, decode::<i64>(input)?);
                Some(json!({"start": start, "end": end, "value": json(inner, input)?}))
            };
            Value::Array((0..len).map(|_| session(input)).collect::<Option<_>>()?)
        }
        StateType::DecimalSum(_, scale) => {
            let total = json(&StateType::Option(Box::new(StateType::Decimal(0, *scale))), input)?;
            json!({"total": total, "empty": decode::<bool>(input)?})
        }
        StateType::DecimalAvg(precision, scale) => {
            let sum = json(&StateType::DecimalSum(*precision, *scale), input)?;
            json!({"sum": sum, "count": decode::<i64>(input)?})
        }
    })
}

/// The rows of a store of shape `schema` as a record batch.
fn decode_rows(schema: &StoreSchema, rows: &[(&[u8], &[u8])]) -> Result<RecordBatch, String> {
    let (keys, values) = (columns("key", &schema.key), columns("value", &schema.value));
    let mut builders: Vec<Builder> = keys.iter().chain(&values).map(|c| builder(&c.ty)).collect();
    for (index, (key, value)) in rows.iter().enumerate() {
        let unfit = |what: &str| {
            format!("state row {index} is not of the shape the checkpoint records: its {what} does not decode")
        };
        let (key_builders, value_builders) = builders.split_at_mut(keys.len());
        for (part, columns, builders, what) in [
            (*key, &keys, key_builders, "key"),
            (*value, &values, value_builders, "value"),
        ] {
            let mut input = part;
            for (column, builder) in columns.iter().zip(builders.iter_mut()) {
                builder.append(&column.ty, &mut input).ok_or_else(|| unfit(what))?;
            }
            if !input.is_empty() {
                return Err(unfit(what));
            }
        }
    }
    let arrays = builders
        .into_iter()
        .map(Builder::finish)
        .collect::<Result<Vec<_>, _>>()?;
    let fields: Vec<Field> = keys
        .iter()
        .chain(&values)
        .zip(&arrays)
        .map(|(column, array)| Field::new(&column.name, array.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| format!("cannot be shown as a table: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::snapshot::StateValue;
    use arrow_schema::{DataType, TimeUnit};

    #[test]
    fn rows_decode_into_typed_columns_and_nested_values_into_json() {
        type Key = (String, Option<i64>);
        type Value = (f64, Option<crate::types::Timestamp>, Vec<i32>);
        let schema = StoreSchema::of::<Key, Value>("");
        let (mut key, mut value) = (Vec::new(), Vec::new());
        ("u1".to_owned(), None::<i64>).encode(&mut key);
        (2.5_f64, Some(crate::types::Timestamp::from_micros(7)), vec![1, 2]).encode(&mut value);
        let batch = decode_rows(&schema, &[(&key, &value)]).unwrap();
        let names: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["key.0", "key.1", "value.0", "value.1", "value.2"]);
        assert_eq!(batch.column(1).data_type(), &DataType::Int64);
        assert_eq!(batch.column(1).null_count(), 1);
        assert_eq!(
            batch.column(3).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        assert_eq!(crate::show::cell_text(batch.column(4).as_ref(), 0), "[1,2]");
        let error = decode_rows(&schema, &[(&key, &value[..5])]).unwrap_err();
        assert!(error.contains("state row 0") && error.contains("value"), "{error}");
    }
}
