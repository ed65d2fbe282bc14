//! Typed access to the columns of a record batch, for generated code: a wrong column is an
//! [`Error::SchemaMismatch`] naming it, never a panic.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use crate::error::{Error, Result};

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
    let column = batch.columns().get(index).ok_or_else(|| Error::SchemaMismatch {
        query: owner.to_owned(),
        message: format!(
            "input batch has {} columns, column `{name}` should be number {}",
            batch.num_columns(),
            index + 1
        ),
    })?;
    downcast(column, name, owner)
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
    downcast(column, name, owner)
}

/// Builds a batch from finished columns.
///
/// # Errors
/// Only if the columns do not fit the schema, which would be a bug in generated code.
pub fn finish(schema: &SchemaRef, columns: Vec<ArrayRef>, owner: &str) -> Result<RecordBatch> {
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| Error::arrow(format!("building an output batch of `{owner}`"), e))
}
