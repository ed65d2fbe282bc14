//! Spark's `Dataset.show()` table layout for Arrow record batches.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
//! use stream_core::show::{show_string, Truncate};
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("user_id", Arc::new(StringArray::from(vec!["u01"])) as _),
//!     ("events", Arc::new(Int64Array::from(vec![2])) as _),
//!     ("total_amount", Arc::new(Float64Array::from(vec![24.5])) as _),
//! ])
//! .unwrap();
//! let table = show_string(&[batch], 20, Truncate::Default);
//! assert_eq!(
//!     table,
//!     "+-------+------+------------+\n\
//!      |user_id|events|total_amount|\n\
//!      +-------+------+------------+\n\
//!      |    u01|     2|        24.5|\n\
//!      +-------+------+------------+\n"
//! );
//! ```

use std::fmt::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use crate::functions::{java_double_string, java_float_string};
use crate::types::{Date, Timestamp};

/// How `show` shortens long cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncate {
    /// Spark's `show()`: cells longer than 20 characters are cut, columns right-aligned.
    Default,
    /// Spark's `show(truncate=False)`: full cells, columns left-aligned.
    Never,
    /// Spark's `show(truncate=n)`: cells longer than `n` characters are cut, right-aligned.
    To(usize),
}

/// Text Spark prints for a null cell.
const NULL_TEXT: &str = "NULL";

/// Renders the first `num_rows` rows of `batches` exactly as Spark's `showString` does:
/// the table ends with a newline, the `only showing top N rows` footer (when rows were left
/// out) does not. `show()` prints this followed by a newline.
#[must_use]
pub fn show_string(batches: &[RecordBatch], num_rows: usize, truncate: Truncate) -> String {
    let Some(first) = batches.first() else {
        return String::new();
    };
    let schema = first.schema();
    let limit = match truncate {
        Truncate::Default => Some(20),
        Truncate::Never => None,
        Truncate::To(n) => Some(n),
    };
    let header: Vec<String> = schema.fields().iter().map(|f| cut(f.name(), limit)).collect();
    let total_rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(num_rows.min(total_rows));
    'batches: for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() == num_rows {
                break 'batches;
            }
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|column| cut(&cell_text(column.as_ref(), row), limit))
                    .collect(),
            );
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count(), 3])
                .max()
                .unwrap_or(3)
        })
        .collect();
    let separator = {
        let mut line = String::from("+");
        for width in &widths {
            line.push_str(&"-".repeat(*width));
            line.push('+');
        }
        line.push('\n');
        line
    };
    let mut out = separator.clone();
    let right_align = limit.is_some();
    let push_row = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (cell, width) in cells.iter().zip(&widths) {
            let pad = " ".repeat(width - cell.chars().count());
            if right_align {
                let _ = write!(out, "{pad}{cell}|");
            } else {
                let _ = write!(out, "{cell}{pad}|");
            }
        }
        out.push('\n');
    };
    push_row(&mut out, &header);
    out.push_str(&separator);
    for row in &rows {
        push_row(&mut out, row);
    }
    out.push_str(&separator);
    if total_rows > num_rows {
        let noun = if num_rows == 1 { "row" } else { "rows" };
        let _ = write!(out, "only showing top {num_rows} {noun}");
    }
    out
}

fn cut(text: &str, limit: Option<usize>) -> String {
    match limit {
        Some(limit) if text.chars().count() > limit => {
            if limit < 4 {
                text.chars().take(limit).collect()
            } else {
                let mut short: String = text.chars().take(limit - 3).collect();
                short.push_str("...");
                short
            }
        }
        _ => text.to_owned(),
    }
}

/// Spark's text for one cell (its cast to string).
#[must_use]
pub fn cell_text(column: &dyn Array, row: usize) -> String {
    if column.is_null(row) {
        return NULL_TEXT.to_owned();
    }
    match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().value(row).to_owned(),
        DataType::LargeUtf8 => column.as_string::<i64>().value(row).to_owned(),
        DataType::Int8 => column.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => column.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => column.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float32 => java_float_string(column.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => java_double_string(column.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => column.as_boolean().value(row).to_string(),
        DataType::Date32 => Date::from_days(column.as_primitive::<Date32Type>().value(row)).to_string(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Timestamp::from_micros(column.as_primitive::<TimestampMicrosecondType>().value(row)).to_string()
        }
        DataType::Decimal128(_, scale) => crate::decimal::plain_text(
            column.as_primitive::<arrow_array::types::Decimal128Type>().value(row),
            u8::try_from(*scale).unwrap_or(0),
        ),
        // Spark prints a struct (such as a `window`) as `{field, field}`.
        DataType::Struct(_) => {
            let parts: Vec<String> = column
                .as_struct()
                .columns()
                .iter()
                .map(|child| cell_text(child.as_ref(), row))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        // And an array as `[element, element]`, a null element as `NULL`.
        DataType::List(_) => {
            let items = column.as_list::<i32>().value(row);
            let parts: Vec<String> = (0..items.len()).map(|item| cell_text(items.as_ref(), item)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => format!("<{other}>"),
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::builder::{ListBuilder, StringBuilder};

    use super::*;

    /// As Spark 4.3's `show()`: `[a, NULL, c]`, `[]`, and `NULL` for a null array.
    #[test]
    fn arrays_show_as_spark_shows_them() {
        let mut lists = ListBuilder::new(StringBuilder::new());
        lists.values().append_value("a");
        lists.values().append_null();
        lists.values().append_value("c");
        lists.append(true);
        lists.append(true);
        lists.append_null();
        let lists = lists.finish();
        let texts: Vec<String> = (0..3).map(|row| cell_text(&lists, row)).collect();
        assert_eq!(texts, ["[a, NULL, c]", "[]", "NULL"]);
    }
}
