//! Typed access to the columns of a record batch, for generated code: a wrong column is an
//! [`Error::SchemaMismatch`] naming it, never a panic.

use std::sync::Arc;

use arrow_array::builder::TimestampMicrosecondBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Fields, SchemaRef, TimeUnit};

use crate::error::{Error, Result};
use crate::types::Timestamp;
use crate::window::Window;

fn downcast<'a, A: Array + 'static>(column: &'a ArrayRef, name: &str, owner: &str) -> Result<&'a A> {
    column
        .as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| Error::SchemaMismatch {
            query: owner.to_owned(),
            message: format!(
                "column `{name}` has type {}, which does not match the declared type",
                column.data_type()
            ),
        })
}

/// Column `index` of `batch` (named `name` in `owner`'s schema) as array type `A`.
///
/// # Errors
/// When the batch has fewer columns or the column has another type.
pub fn by_index<'a, A: Array + 'static>(
    batch: &'a RecordBatch,
    index: usize,
    name: &str,
    owner: &str,
) -> Result<&'a A> {
    view_by_index(batch, index, name, owner)
}

/// A typed view of an Arrow column, for generated code: an array type by reference, or a
/// [`ListColumn`] of views.
pub trait ColumnView<'a>: Sized {
    /// `column` (called `name` in `owner`'s schema) as this view.
    ///
    /// # Errors
    /// When the column, or a list's values, have another type.
    fn view(column: &'a ArrayRef, name: &str, owner: &str) -> Result<Self>;
}

impl<'a, A: Array + 'static> ColumnView<'a> for &'a A {
    fn view(column: &'a ArrayRef, name: &str, owner: &str) -> Result<Self> {
        downcast(column, name, owner)
    }
}

/// A list column (Spark's `array<..>`) whose values are read through the view `C`.
#[derive(Debug)]
pub struct ListColumn<'a, C> {
    list: &'a arrow_array::ListArray,
    /// The elements of every row, one after another.
    pub values: C,
}

impl<'a, C: ColumnView<'a>> ColumnView<'a> for ListColumn<'a, C> {
    fn view(column: &'a ArrayRef, name: &str, owner: &str) -> Result<Self> {
        let list: &arrow_array::ListArray = downcast(column, name, owner)?;
        Ok(Self {
            list,
            values: C::view(list.values(), name, owner)?,
        })
    }
}

impl<C> ListColumn<'_, C> {
    /// Whether row `row` is a null list.
    pub fn is_null(&self, row: usize) -> bool {
        self.list.is_null(row)
    }

    /// The positions in [`ListColumn::values`] of row `row`'s elements.
    pub fn items(&self, row: usize) -> std::ops::Range<usize> {
        let offsets = self.list.value_offsets();
        let at = |i: usize| offsets.get(i).map_or(0, |offset| usize::try_from(*offset).unwrap_or(0));
        at(row)..at(row + 1)
    }
}

/// A map column (Spark's `map<string, ..>`) whose values are read through the view `C`.
#[derive(Debug)]
pub struct MapColumn<'a, C> {
    map: &'a arrow_array::MapArray,
    /// The keys of every row, one after another.
    pub keys: &'a arrow_array::StringArray,
    /// The values of every row, one after another.
    pub values: C,
}

impl<'a, C: ColumnView<'a>> ColumnView<'a> for MapColumn<'a, C> {
    fn view(column: &'a ArrayRef, name: &str, owner: &str) -> Result<Self> {
        let map: &arrow_array::MapArray = downcast(column, name, owner)?;
        let entries = map.entries();
        let (Some(keys), Some(values)) = (entries.columns().first(), entries.columns().get(1)) else {
            return Err(Error::SchemaMismatch {
                query: owner.to_owned(),
                message: format!("map column `{name}` has no keys and values"),
            });
        };
        Ok(Self {
            map,
            keys: downcast(keys, name, owner)?,
            values: C::view(values, name, owner)?,
        })
    }
}

impl<C> MapColumn<'_, C> {
    /// Whether row `row` is a null map.
    pub fn is_null(&self, row: usize) -> bool {
        self.map.is_null(row)
    }

    /// The positions in [`MapColumn::keys`] and [`MapColumn::values`] of row `row`'s entries.
    pub fn items(&self, row: usize) -> std::ops::Range<usize> {
        let offsets = self.map.value_offsets();
        let at = |i: usize| offsets.get(i).map_or(0, |offset| usize::try_from(*offset).unwrap_or(0));
        at(row)..at(row + 1)
    }
}

/// Child `index` of a struct column (named `name` in `owner`'s schema), as the view `C`.
///
/// # Errors
/// When the struct has fewer children, or the child another type.
pub fn struct_child<'a, C: ColumnView<'a>>(
    parent: &'a StructArray,
    index: usize,
    name: &str,
    owner: &str,
) -> Result<C> {
    let child = parent.columns().get(index).ok_or_else(|| Error::SchemaMismatch {
        query: owner.to_owned(),
        message: format!(
            "struct column `{name}` has {} fields, field number {} is missing",
            parent.num_columns(),
            index + 1
        ),
    })?;
    C::view(child, name, owner)
}

/// Column `index` of `batch` (named `name` in `owner`'s schema) as the view `C`.
///
/// # Errors
/// When the batch has fewer columns or the column has another type.
pub fn view_by_index<'a, C: ColumnView<'a>>(
    batch: &'a RecordBatch,
    index: usize,
    name: &str,
    owner: &str,
) -> Result<C> {
    let column = batch.columns().get(index).ok_or_else(|| Error::SchemaMismatch {
        query: owner.to_owned(),
        message: format!(
            "input batch has {} columns, column `{name}` should be number {}",
            batch.num_columns(),
            index + 1
        ),
    })?;
    C::view(column, name, owner)
}

/// The column called `name` of `batch` as array type `A`, checked to hold no null when
/// `nullable` is false.
///
/// # Errors
/// When the column is missing, has another type, or holds a null it may not.
pub fn by_name<'a, A: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    nullable: bool,
    owner: &str,
) -> Result<&'a A> {
    view_by_name(batch, name, nullable, owner)
}

/// [`by_name`] for any [`ColumnView`] (a list column included).
///
/// # Errors
/// As [`by_name`].
pub fn view_by_name<'a, C: ColumnView<'a>>(
    batch: &'a RecordBatch,
    name: &str,
    nullable: bool,
    owner: &str,
) -> Result<C> {
    let column = batch.column_by_name(name).ok_or_else(|| Error::SchemaMismatch {
        query: owner.to_owned(),
        message: format!("batch has no column `{name}`"),
    })?;
    if !nullable && column.null_count() > 0 {
        return Err(Error::SchemaMismatch {
            query: owner.to_owned(),
            message: format!("column `{name}` holds nulls, but `{owner}::{name}` is not an `Option`"),
        });
    }
    C::view(column, name, owner)
}

/// [`by_name`] for a decimal column, also checked to have the precision and scale of the
/// row's field (its values are read as that type's unscaled numbers).
///
/// # Errors
/// As [`by_name`], and when the column is a decimal of another precision or scale.
pub fn decimal_by_name<'a>(
    batch: &'a RecordBatch,
    name: &str,
    nullable: bool,
    owner: &str,
    precision: u8,
    scale: i8,
) -> Result<&'a arrow_array::Decimal128Array> {
    let column: &arrow_array::Decimal128Array = by_name(batch, name, nullable, owner)?;
    let expected = arrow_schema::DataType::Decimal128(precision, scale);
    if column.data_type() != &expected {
        return Err(Error::SchemaMismatch {
            query: owner.to_owned(),
            message: format!(
                "column `{name}` is {}, but `{owner}::{name}` is {expected}",
                column.data_type()
            ),
        });
    }
    Ok(column)
}

/// Builds a batch from finished columns.
///
/// # Errors
/// Only if the columns do not fit the schema, which would be a bug in generated code.
pub fn finish(schema: &SchemaRef, columns: Vec<ArrayRef>, owner: &str) -> Result<RecordBatch> {
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| Error::arrow(format!("building an output batch of `{owner}`"), e))
}

/// Builds a batch of `rows` rows from finished columns, which may be none (a query that reads
/// no column still counts rows).
///
/// # Errors
/// Only if the columns do not fit the schema, which would be a bug in generated code.
pub fn finish_rows(schema: &SchemaRef, columns: Vec<ArrayRef>, rows: usize, owner: &str) -> Result<RecordBatch> {
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
        .map_err(|e| Error::arrow(format!("building an input batch of `{owner}`"), e))
}

/// The Arrow type of a `window` column: Spark's struct of `start` and `end` timestamps.
#[must_use]
pub fn window_data_type() -> DataType {
    DataType::Struct(window_fields())
}

fn window_fields() -> Fields {
    // An offset zone rather than the name "UTC": the same instants, and Arrow's writers format
    // it without a time-zone database.
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()));
    Fields::from(vec![
        Field::new("start", timestamp.clone(), false),
        Field::new("end", timestamp, false),
    ])
}

/// Row `row` of a `window` column.
#[must_use]
pub fn window_at(array: &StructArray, row: usize) -> Window {
    let part = |index: usize| {
        Timestamp::from_micros(
            array
                .column(index)
                .as_primitive::<TimestampMicrosecondType>()
                .value(row),
        )
    };
    Window {
        start: part(0),
        end: part(1),
    }
}

/// Builds a `window` column.
#[derive(Debug)]
pub struct WindowBuilder {
    start: TimestampMicrosecondBuilder,
    end: TimestampMicrosecondBuilder,
    nulls: Vec<bool>,
}

impl WindowBuilder {
    /// A builder with room for `capacity` rows.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            start: TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("+00:00"),
            end: TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("+00:00"),
            nulls: Vec::with_capacity(capacity),
        }
    }

    /// Appends a window.
    pub fn append_value(&mut self, window: Window) {
        self.start.append_value(window.start.micros());
        self.end.append_value(window.end.micros());
        self.nulls.push(true);
    }

    /// Appends a null.
    pub fn append_null(&mut self) {
        self.start.append_value(0);
        self.end.append_value(0);
        self.nulls.push(false);
    }

    /// The column built so far.
    pub fn finish(&mut self) -> StructArray {
        let nulls = std::mem::take(&mut self.nulls);
        let nulls = nulls.iter().any(|valid| !valid).then(|| NullBuffer::from(nulls));
        StructArray::new(
            window_fields(),
            vec![Arc::new(self.start.finish()), Arc::new(self.end.finish())],
            nulls,
        )
    }
}
