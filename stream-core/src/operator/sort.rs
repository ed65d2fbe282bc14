//! `order_by` and `limit` after an aggregation in complete mode, where Spark allows them: the
//! whole result table is sorted (and cut) each batch before the sink sees it.

use arrow_array::RecordBatch;
use arrow_ord::sort::{SortColumn, SortOptions, lexsort_to_indices};

use crate::error::{Error, Result};

/// One `order_by` key: an output column, its direction and where its nulls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The output column's index.
    pub column: usize,
    /// `desc(col)`.
    pub descending: bool,
    /// Spark's default: nulls first ascending, last descending.
    pub nulls_first: bool,
}

/// Sorts `batch` by `keys` (in order; ties in no particular order, as Spark) and keeps the first
/// `limit` rows. Doubles sort as Spark sorts them: NaN above every number.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int64Array, RecordBatch};
/// use stream_core::operator::{SortKey, sort_limit};
///
/// let batch = RecordBatch::try_from_iter([("total", Arc::new(Int64Array::from(vec![Some(3), None, Some(9)])) as _)]).unwrap();
/// let top = sort_limit(batch, &[SortKey { column: 0, descending: true, nulls_first: false }], Some(2)).unwrap();
/// assert_eq!(top.column(0).as_ref(), &Int64Array::from(vec![9, 3]));
/// ```
///
/// # Errors
/// [`Error::Arrow`] when a key column cannot be sorted.
pub fn sort_limit(batch: RecordBatch, keys: &[SortKey], limit: Option<usize>) -> Result<RecordBatch> {
    let arrow = |source| Error::Arrow {
        context: "sorting the result table for `order_by`".to_owned(),
        source,
    };
    if keys.is_empty() {
        let rows = limit.map_or(batch.num_rows(), |limit| limit.min(batch.num_rows()));
        return Ok(batch.slice(0, rows));
    }
    let columns: Vec<SortColumn> = keys
        .iter()
        .map(|key| SortColumn {
            values: batch.column(key.column).clone(),
            options: Some(SortOptions {
                descending: key.descending,
                nulls_first: key.nulls_first,
            }),
        })
        .collect();
    let order = lexsort_to_indices(&columns, limit).map_err(arrow)?;
    arrow_select::take::take_record_batch(&batch, &order).map_err(arrow)
}
