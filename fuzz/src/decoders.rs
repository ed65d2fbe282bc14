//! The schemas and queries the decoder targets (`json_decoder`, `csv_decoder`) decode with,
//! and what they compare decoded rows with.

use rill::__private::arrow_array::{Array, RecordBatch};
use rill::decode::{DecodeCounts, ParseMode};

/// Every parse mode, the keeping ones first (their counts are what `FailFast` is checked by).
pub const MODES: [ParseMode; 3] = [ParseMode::Permissive, ParseMode::DropMalformed, ParseMode::FailFast];

/// Rows in `out`.
#[must_use]
pub fn rows(out: &[RecordBatch]) -> u64 {
    out.iter().map(|batch| batch.num_rows() as u64).sum()
}

/// What decoding the same input in `mode` must give, whatever the format: the keeping modes
/// never fail, records = rows out + dropped, `DropMalformed` drops every malformed record, both
/// count the same records and malformed ones (kept in `permissive`); `FailFast` fails exactly
/// when they counted a malformed record.
///
/// # Panics
/// When one of those does not hold (the fuzz target's finding).
pub fn check_mode(
    mode: ParseMode,
    result: &rill::Result<()>,
    counts: DecodeCounts,
    out: &[RecordBatch],
    permissive: &mut Option<DecodeCounts>,
) {
    match mode {
        ParseMode::Permissive | ParseMode::DropMalformed => {
            if let Err(error) = result {
                panic!("{mode:?} failed: {error}");
            }
            assert_eq!(counts.records, rows(out) + counts.dropped, "{mode:?}: {counts:?}");
            assert!(counts.dropped <= counts.malformed, "{mode:?}: {counts:?}");
            if mode == ParseMode::DropMalformed {
                assert_eq!(counts.dropped, counts.malformed, "{counts:?}");
            }
            match permissive {
                None => *permissive = Some(counts),
                Some(p) => {
                    assert_eq!(p.records, counts.records);
                    assert_eq!(p.malformed, counts.malformed);
                }
            }
        }
        ParseMode::FailFast => {
            let malformed = permissive.expect("the keeping modes run first").malformed;
            assert_eq!(
                result.is_err(),
                malformed > 0,
                "FailFast {result:?}, Permissive counted {malformed} malformed"
            );
            if result.is_ok() {
                assert_eq!(counts.records, rows(out), "{counts:?}");
            }
        }
    }
}

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
