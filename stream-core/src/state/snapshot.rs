//! Exact state snapshots for checkpoints.
//!
//! State values are written as JSON through [`StateValue`], not serde, because snapshots must
//! restore exactly: a float is stored as its bit pattern (so NaN and -0.0 survive), a
//! timestamp as its microseconds.
//!
//! ```
//! use stream_core::state::GroupTable;
//! use stream_core::state::snapshot::{restore_table, snapshot_table};
//! let mut table: GroupTable<(String,), (i64, f64)> = GroupTable::new();
//! table.begin_batch();
//! *table.upsert(("u01",)) = (2, f64::NAN);
//! let restored: GroupTable<(String,), (i64, f64)> = restore_table(&snapshot_table(&table)).unwrap();
//! let (key, (count, sum)) = restored.iter().next().unwrap();
//! assert_eq!((key.0.as_str(), *count), ("u01", 2));
//! assert!(sum.is_nan());
//! ```

use serde_json::{Value, json};

use super::{GroupTable, OwnedKey};
use crate::session::{Merge, Sessions};
use crate::types::{Date, Timestamp};
use crate::window::Window;

/// A value that state snapshots store exactly.
pub trait StateValue: Sized {
    /// The value as JSON.
    fn to_state(&self) -> Value;
    /// The value back from [`to_state`](Self::to_state)'s JSON; `None` if it does not fit.
    fn from_state(value: &Value) -> Option<Self>;
}

impl StateValue for String {
    fn to_state(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}

impl StateValue for super::KeyStr {
    fn to_state(&self) -> Value {
        Value::String(self.as_str().to_owned())
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_str().map(Self::from)
    }
}

impl StateValue for i64 {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64()
    }
}

impl StateValue for i32 {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64().and_then(|v| i32::try_from(v).ok())
    }
}

impl StateValue for i8 {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64().and_then(|v| i8::try_from(v).ok())
    }
}

impl StateValue for i16 {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64().and_then(|v| i16::try_from(v).ok())
    }
}

impl StateValue for f32 {
    /// The bit pattern, in hex: exact for every float.
    fn to_state(&self) -> Value {
        Value::String(format!("{:08x}", self.to_bits()))
    }
    fn from_state(value: &Value) -> Option<Self> {
        u32::from_str_radix(value.as_str()?, 16).ok().map(f32::from_bits)
    }
}

impl StateValue for u32 {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_u64().and_then(|v| u32::try_from(v).ok())
    }
}

impl StateValue for bool {
    fn to_state(&self) -> Value {
        json!(self)
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl StateValue for f64 {
    /// The bit pattern, in hex: exact for every float.
    fn to_state(&self) -> Value {
        Value::String(format!("{:016x}", self.to_bits()))
    }
    fn from_state(value: &Value) -> Option<Self> {
        u64::from_str_radix(value.as_str()?, 16).ok().map(f64::from_bits)
    }
}

impl<const P: u8, const S: u8> StateValue for crate::decimal::Decimal<P, S> {
    /// The exact text (`"12.30"`).
    fn to_state(&self) -> Value {
        Value::String(self.to_string())
    }
    fn from_state(value: &Value) -> Option<Self> {
        Self::parse(value.as_str()?)
    }
}

impl StateValue for Timestamp {
    fn to_state(&self) -> Value {
        json!(self.micros())
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64().map(Timestamp::from_micros)
    }
}

impl StateValue for Date {
    fn to_state(&self) -> Value {
        json!(self.days())
    }
    fn from_state(value: &Value) -> Option<Self> {
        value.as_i64().and_then(|v| i32::try_from(v).ok()).map(Date::from_days)
    }
}

impl StateValue for Window {
    fn to_state(&self) -> Value {
        json!([self.start.micros(), self.end.micros()])
    }
    fn from_state(value: &Value) -> Option<Self> {
        let [start, end] = value.as_array()?.as_slice() else {
            return None;
        };
        Some(Window {
            start: Timestamp::from_micros(start.as_i64()?),
            end: Timestamp::from_micros(end.as_i64()?),
        })
    }
}

impl StateValue for () {
    fn to_state(&self) -> Value {
        Value::Null
    }
    fn from_state(_value: &Value) -> Option<Self> {
        Some(())
    }
}

impl<T: StateValue> StateValue for Option<T> {
    fn to_state(&self) -> Value {
        self.as_ref().map_or(Value::Null, |v| json!([v.to_state()]))
    }
    fn from_state(value: &Value) -> Option<Self> {
        if value.is_null() {
            return Some(None);
        }
        let [inner] = value.as_array()?.as_slice() else {
            return None;
        };
        T::from_state(inner).map(Some)
    }
}

macro_rules! tuple_state {
    ($(($($part:ident . $index:tt),+)),* $(,)?) => {$(
        impl<$($part: StateValue),+> StateValue for ($($part,)+) {
            fn to_state(&self) -> Value {
                Value::Array(vec![$(self.$index.to_state()),+])
            }
            fn from_state(value: &Value) -> Option<Self> {
                let items = value.as_array()?;
                Some(($($part::from_state(items.get($index)?)?,)+))
            }
        }
    )*};
}

tuple_state! {
    (A.0),
    (A.0, B.1),
    (A.0, B.1, C.2),
    (A.0, B.1, C.2, D.3),
    (A.0, B.1, C.2, D.3, E.4),
    (A.0, B.1, C.2, D.3, E.4, F.5),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, I.7),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, I.7, J.8),
}

impl<A: StateValue + Default + Merge> StateValue for Sessions<A> {
    fn to_state(&self) -> Value {
        Value::Array(
            self.iter()
                .map(|s| json!([s.start.micros(), s.end.micros(), s.value.to_state()]))
                .collect(),
        )
    }
    fn from_state(value: &Value) -> Option<Self> {
        let mut sessions = Sessions::default();
        for entry in value.as_array()? {
            let [start, end, value] = entry.as_array()?.as_slice() else {
                return None;
            };
            sessions.restore(
                Timestamp::from_micros(start.as_i64()?),
                Timestamp::from_micros(end.as_i64()?),
                A::from_state(value)?,
            );
        }
        Some(sessions)
    }
}

/// A table as JSON: `[[key, value], ...]` in insertion order.
#[must_use]
pub fn snapshot_table<K: OwnedKey + StateValue, A: StateValue + Default>(table: &GroupTable<K, A>) -> String {
    let entries: Vec<Value> = table
        .iter()
        .map(|(key, value)| json!([key.to_state(), value.to_state()]))
        .collect();
    Value::Array(entries).to_string()
}

/// A table back from [`snapshot_table`].
///
/// # Errors
/// A message saying which entry does not fit the table's types (the state schema changed).
pub fn restore_table<K: OwnedKey + StateValue, A: StateValue + Default>(
    snapshot: &str,
) -> Result<GroupTable<K, A>, String> {
    let entries: Value = serde_json::from_str(snapshot).map_err(|e| format!("state snapshot is not valid: {e}"))?;
    let mut table = GroupTable::new();
    // Keys by their exact stored text: a snapshot naming a key twice is damaged, and restoring it
    // would make two groups of one key.
    let mut seen = std::collections::HashSet::new();
    for (index, entry) in entries
        .as_array()
        .ok_or("state snapshot is not a list")?
        .iter()
        .enumerate()
    {
        let fits = entry.as_array().and_then(|pair| match pair.as_slice() {
            [key, value] => Some((K::from_state(key)?, A::from_state(value)?)),
            _ => None,
        });
        let Some((key, value)) = fits else {
            return Err(format!(
                "state entry {index} does not fit this query's state (its keys or aggregates changed): {entry}"
            ));
        };
        if !seen.insert(key.to_state().to_string()) {
            return Err(format!(
                "state entry {index} repeats the key of an earlier entry: {entry}"
            ));
        }
        table.insert_restored(key, value);
    }
    Ok(table)
}

impl<const P: u8, const S: u8> StateValue for crate::aggregate::DecimalSum<P, S> {
    /// `[total or null, empty]`; the total null after an overflow.
    fn to_state(&self) -> Value {
        let total = if self.is_empty() {
            Some(crate::decimal::Decimal::default())
        } else {
            self.finish()
        };
        json!([total.to_state(), self.is_empty()])
    }
    fn from_state(value: &Value) -> Option<Self> {
        let [total, empty] = value.as_array()?.as_slice() else {
            return None;
        };
        Some(Self::restore(Option::from_state(total)?, empty.as_bool()?))
    }
}

impl<const P: u8, const S: u8> StateValue for crate::aggregate::DecimalAvg<P, S> {
    /// `[sum, count]`.
    fn to_state(&self) -> Value {
        let (sum, count) = self.parts();
        json!([sum.to_state(), count])
    }
    fn from_state(value: &Value) -> Option<Self> {
        let [sum, count] = value.as_array()?.as_slice() else {
            return None;
        };
        Some(Self::restore(StateValue::from_state(sum)?, count.as_i64()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_repeating_a_key_is_refused() {
        // Found by the checkpoint_log fuzz target's author: two groups for one key would show
        // up as duplicate rows in complete mode.
        let snapshot = r#"[[["u1"], 1], [["u2"], 2], [["u1"], 3]]"#;
        let error = restore_table::<(String,), i64>(snapshot).unwrap_err();
        assert!(error.contains("state entry 2 repeats the key"), "{error}");
        let snapshot = r#"[[["u1"], 1], [["u2"], 2]]"#;
        assert_eq!(restore_table::<(String,), i64>(snapshot).unwrap().len(), 2);
    }
}
