//! The schemas and queries the decoder targets (`json_decoder`, `csv_decoder`) decode with,
//! and what they compare decoded rows with.

use rill::__private::arrow_array::{Array, RecordBatch};

rill::stream! {
    /// Every column nullable, one of each type, and Spark's corrupt-record column.
    schema Loose {
        name: Option<String>,
        amount: Option<f64>,
        count: Option<i64>,
        small: Option<i32>,
        flag: Option<bool>,
        ts: Option<Timestamp>,
        day: Option<Date>,
        _corrupt_record: Option<String>,
    }
    query LooseRows(raw: Loose) {
        raw.select(name, amount, count, small, flag, ts, day, _corrupt_record)
    }

    /// Non-nullable columns: a record without a value for one cannot be represented.
    schema Strict { name: String, amount: f64 }
    query StrictRows(raw: Strict) {
        raw.select(name, amount)
    }
}

/// Whether two lists of batches hold the same rows, whatever the batch boundaries.
#[must_use]
pub fn same_rows(a: &[RecordBatch], b: &[RecordBatch]) -> bool {
    let rows = |batches: &[RecordBatch]| -> Vec<(usize, usize)> {
        batches
            .iter()
            .enumerate()
            .flat_map(|(index, batch)| (0..batch.num_rows()).map(move |row| (index, row)))
            .collect()
    };
    let (rows_a, rows_b) = (rows(a), rows(b));
    rows_a.len() == rows_b.len()
        && rows_a.iter().zip(&rows_b).all(|(&(i, r), &(j, s))| {
            let (x, y) = (&a[i], &b[j]);
            x.num_columns() == y.num_columns()
                && (0..x.num_columns()).all(|c| {
                    let (u, v) = (x.column(c).slice(r, 1), y.column(c).slice(s, 1));
                    (&*u as &dyn Array) == (&*v as &dyn Array)
                })
        })
}
