//! State store files: what a checkpoint keeps of each operator's state, as Spark's state
//! stores do — a delta per batch (the rows the batch put and removed) and, every few batches, a
//! snapshot (every row) — and how they are read back.
//!
//! A file is binary, versioned and checksummed:
//!
//! ```text
//! "RILLSTAT"  format version (u8)  kind (u8: 0 delta, 1 snapshot)
//! records:    1 key value | 2 key      (tag u8; key and value as u32 length + bytes)
//! trailer:    record count (u64)  CRC-32 of every byte before it (u32)
//! ```
//!
//! Keys and values are their [`StateValue`] encodings. Files are read in two steps, both
//! generic over bytes: [`StoreFile::parse`] checks a file whole (a truncated or damaged file is
//! refused before any of it is used), then [`MergedRows`] replays a snapshot and the deltas
//! after it into the rows of one version, in the order the operator held them. The operator
//! decodes those rows into its own types.
//!
//! ```
//! use stream_core::state::store::{FileKind, MergedRows, StoreFile, StoreWriter};
//! let mut snapshot = StoreWriter::new(FileKind::Snapshot);
//! snapshot.put(&("u1".to_owned(),), &1_i64);
//! snapshot.put(&("u2".to_owned(),), &2_i64);
//! let mut delta = StoreWriter::new(FileKind::Delta);
//! delta.remove(&("u1".to_owned(),));
//! delta.put(&("u3".to_owned(),), &3_i64);
//! let (snapshot, delta) = (snapshot.finish(), delta.finish());
//!
//! let mut rows = MergedRows::default();
//! rows.apply(&StoreFile::parse(&snapshot).unwrap()).unwrap();
//! rows.apply(&StoreFile::parse(&delta).unwrap()).unwrap();
//! assert_eq!(rows.len(), 2);
//! let mut damaged = delta.clone();
//! damaged[12] ^= 1;
//! assert!(StoreFile::parse(&damaged).unwrap_err().contains("checksum"));
//! ```

use std::collections::HashMap;

use super::snapshot::{StateType, StateValue, take_counted};

const MAGIC: &[u8; 8] = b"RILLSTAT";
const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 2;
/// The record count and checksum.
const TRAILER_LEN: usize = 8 + 4;
const PUT: u8 = 1;
const REMOVE: u8 = 2;

/// The shape of one operator's state, as a checkpoint records it (in its `metadata`): Spark's
/// name for the operator and each store's key and value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperatorSchema {
    /// Spark's name for the operator (`stateStoreSave`, `symmetricHashJoin`, ...).
    pub operator: String,
    /// Each store's shape, in the operator's order.
    pub stores: Vec<StoreSchema>,
}

/// The shape of one state store's keys and values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreSchema {
    /// The store's name (empty for an operator's only store).
    pub name: String,
    /// Its keys' shape.
    pub key: StateType,
    /// Its values' shape.
    pub value: StateType,
}

impl StoreSchema {
    /// The shape of store `name`, of keys `K` and values `V`.
    #[must_use]
    pub fn of<K: StateValue, V: StateValue>(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            key: K::state_type(),
            value: V::state_type(),
        }
    }
}

/// The first way in which the state `now` cannot read what a checkpoint `recorded`, naming the
/// operator, the store and the field; `None` when every operator's state is of the same shape.
///
/// ```
/// use stream_core::state::store::{OperatorSchema, StoreSchema, state_difference};
/// let schema = |value| vec![OperatorSchema { operator: "stateStoreSave".into(), stores: vec![value] }];
/// let before = schema(StoreSchema::of::<(String,), (i64, f64)>(""));
/// let after = schema(StoreSchema::of::<(String,), (i64, i64)>(""));
/// assert_eq!(state_difference(&before, &before), None);
/// assert_eq!(
///     state_difference(&before, &after).unwrap(),
///     "operator 0 (`stateStoreSave`): `value.1` was f64, and is now i64"
/// );
/// ```
#[must_use]
pub fn state_difference(recorded: &[OperatorSchema], now: &[OperatorSchema]) -> Option<String> {
    let names = |operators: &[OperatorSchema]| {
        let names: Vec<String> = operators.iter().map(|o| format!("`{}`", o.operator)).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    if recorded.len() != now.len() {
        return Some(format!(
            "it had {} stateful operators ({}), and now has {} ({})",
            recorded.len(),
            names(recorded),
            now.len(),
            names(now)
        ));
    }
    for (index, (was, is)) in recorded.iter().zip(now).enumerate() {
        let operator = format!("operator {index} (`{}`)", was.operator);
        if was.operator != is.operator {
            return Some(format!("{operator} is now `{}`", is.operator));
        }
        if was.stores.len() != is.stores.len() {
            return Some(format!(
                "{operator} had {} state stores, and now has {}",
                was.stores.len(),
                is.stores.len()
            ));
        }
        for (was, is) in was.stores.iter().zip(&is.stores) {
            let store = if was.name.is_empty() {
                String::new()
            } else {
                format!(", store `{}`", was.name)
            };
            let difference = was
                .key
                .difference(&is.key, "key")
                .or_else(|| was.value.difference(&is.value, "value"));
            if let Some(difference) = difference {
                return Some(format!("{operator}{store}: {difference}"));
            }
        }
    }
    None
}

/// Whether a file holds a batch's changes or the whole state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// The rows one batch put and removed (`<version>.delta`).
    Delta,
    /// Every row of one version (`<version>.snapshot`).
    Snapshot,
}

impl FileKind {
    /// The file name's extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Delta => "delta",
            Self::Snapshot => "snapshot",
        }
    }
}

/// Builds one state store file.
#[derive(Debug)]
pub struct StoreWriter {
    bytes: Vec<u8>,
    records: u64,
}

impl StoreWriter {
    /// An empty file of `kind`.
    #[must_use]
    pub fn new(kind: FileKind) -> Self {
        Self::with_capacity(kind, 4096)
    }

    /// An empty file of `kind`, with room for `bytes` (the size of a like file, to write it
    /// without growing).
    #[must_use]
    pub fn with_capacity(kind: FileKind, bytes: usize) -> Self {
        let mut bytes = Vec::with_capacity(bytes.max(HEADER_LEN + TRAILER_LEN));
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_VERSION);
        bytes.push(match kind {
            FileKind::Delta => 0,
            FileKind::Snapshot => 1,
        });
        Self { bytes, records: 0 }
    }

    /// Records that `key` holds `value`.
    #[inline]
    pub fn put<K: StateValue, V: StateValue>(&mut self, key: &K, value: &V) {
        self.bytes.push(PUT);
        self.counted(|out| key.encode(out));
        self.counted(|out| value.encode(out));
        self.records += 1;
    }

    /// Records that `key` was removed.
    pub fn remove<K: StateValue>(&mut self, key: &K) {
        self.remove_encoded(&{
            let mut bytes = Vec::new();
            key.encode(&mut bytes);
            bytes
        });
    }

    /// Records that the key encoded as `key` was removed.
    pub fn remove_encoded(&mut self, key: &[u8]) {
        self.bytes.push(REMOVE);
        self.counted(|out| out.extend_from_slice(key));
        self.records += 1;
    }

    /// The records written so far.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Writes what `encode` appends behind its `u32` length.
    #[inline]
    fn counted(&mut self, encode: impl FnOnce(&mut Vec<u8>)) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&[0; 4]);
        encode(&mut self.bytes);
        // A key or value is far below 4 GiB; a longer one is cut, and the file refused when read.
        let len = u32::try_from(self.bytes.len() - at - 4).unwrap_or(u32::MAX);
        self.bytes[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }

    /// The file's bytes, with its trailer.
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&self.records.to_le_bytes());
        let checksum = crc32fast::hash(&self.bytes);
        self.bytes.extend_from_slice(&checksum.to_le_bytes());
        self.bytes
    }
}

/// One record of a state store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    /// The key (encoded) holds the value (encoded).
    Put(&'a [u8], &'a [u8]),
    /// The key (encoded) was removed.
    Remove(&'a [u8]),
}

/// A state store file, checked whole.
#[derive(Debug)]
pub struct StoreFile<'a> {
    /// Delta or snapshot.
    pub kind: FileKind,
    /// Its records, in file order.
    pub records: Vec<Record<'a>>,
}

impl<'a> StoreFile<'a> {
    /// Checks `bytes` — format, version, checksum, every record's bounds, the record count — and
    /// lists the records.
    ///
    /// # Errors
    /// A message saying what is wrong, for any bytes a [`StoreWriter`] did not write.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        if bytes.len() < HEADER_LEN + TRAILER_LEN {
            return Err(format!(
                "is truncated: {} bytes, shorter than an empty state file",
                bytes.len()
            ));
        }
        if &bytes[..MAGIC.len()] != MAGIC {
            return Err("is not a Rill state file (it does not start with `RILLSTAT`)".to_owned());
        }
        let version = bytes[MAGIC.len()];
        if version != FORMAT_VERSION {
            return Err(format!(
                "has state format version {version}, and this Rill reads version {FORMAT_VERSION}"
            ));
        }
        let kind = match bytes[MAGIC.len() + 1] {
            0 => FileKind::Delta,
            1 => FileKind::Snapshot,
            other => return Err(format!("has an unknown kind of state file ({other})")),
        };
        let (body, checksum) = bytes.split_at(bytes.len() - 4);
        let checksum = u32::from_le_bytes(checksum.try_into().unwrap_or_default());
        if crc32fast::hash(body) != checksum {
            return Err(format!(
                "fails its checksum ({} bytes): it is truncated or damaged",
                bytes.len()
            ));
        }
        let (mut input, count) = body[HEADER_LEN..].split_at(body.len() - HEADER_LEN - 8);
        let count = u64::from_le_bytes(count.try_into().unwrap_or_default());
        let mut records = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(input.len() / 5));
        while let Some((&tag, rest)) = input.split_first() {
            input = rest;
            let at = records.len();
            let field = |input: &mut &'a [u8]| {
                take_counted(input).ok_or_else(|| format!("has a damaged record {at} (a length past the end)"))
            };
            records.push(match tag {
                PUT => {
                    let key = field(&mut input)?;
                    Record::Put(key, field(&mut input)?)
                }
                REMOVE => Record::Remove(field(&mut input)?),
                other => return Err(format!("has a damaged record {at} (unknown tag {other})")),
            });
        }
        if records.len() as u64 != count {
            return Err(format!("holds {} records, but its trailer says {count}", records.len()));
        }
        if kind == FileKind::Snapshot && records.iter().any(|r| matches!(r, Record::Remove(_))) {
            return Err("is a snapshot, but records a removal".to_owned());
        }
        Ok(Self { kind, records })
    }
}

/// The rows of one store version, replayed from a snapshot and the deltas after it, in the
/// order the operator held them: a row keeps its place when updated, and a new row (or one
/// removed and put again) goes last, as in the operator's table.
#[derive(Debug, Default)]
pub struct MergedRows<'a> {
    rows: HashMap<&'a [u8], (u64, &'a [u8]), foldhash::fast::RandomState>,
    next: u64,
}

impl<'a> MergedRows<'a> {
    /// Applies `file`: a snapshot's rows (onto no rows), or a delta's removals, then its puts.
    ///
    /// # Errors
    /// A snapshot onto rows, or one naming a key twice.
    pub fn apply(&mut self, file: &StoreFile<'a>) -> Result<(), String> {
        if file.kind == FileKind::Snapshot {
            if !self.rows.is_empty() {
                return Err("a snapshot is applied onto rows".to_owned());
            }
            self.rows.reserve(file.records.len());
        }
        for record in &file.records {
            if let Record::Remove(key) = record {
                self.rows.remove(key);
            }
        }
        for (index, record) in file.records.iter().enumerate() {
            if let Record::Put(key, value) = *record {
                match self.rows.entry(key) {
                    std::collections::hash_map::Entry::Occupied(mut row) => {
                        if file.kind == FileKind::Snapshot {
                            return Err(format!("record {index} repeats the key of an earlier record"));
                        }
                        row.get_mut().1 = value;
                    }
                    std::collections::hash_map::Entry::Vacant(row) => {
                        row.insert((self.next, value));
                        self.next += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// How many rows there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows (key and value encodings), in the operator's order.
    #[must_use]
    pub fn into_ordered(self) -> Vec<(&'a [u8], &'a [u8])> {
        let mut rows: Vec<(u64, &[u8], &[u8])> = self.rows.into_iter().map(|(k, (at, v))| (at, k, v)).collect();
        rows.sort_unstable_by_key(|row| row.0);
        rows.into_iter().map(|(_, key, value)| (key, value)).collect()
    }
}

/// Decodes a row's key and value, each filling its bytes exactly.
///
/// # Errors
/// A message naming the row, when its bytes are not of these types (the query's state changed).
pub fn decode_row<K: StateValue, V: StateValue>(index: usize, key: &[u8], value: &[u8]) -> Result<(K, V), String> {
    fn whole<T: StateValue>(index: usize, mut bytes: &[u8], what: &str) -> Result<T, String> {
        match T::decode(&mut bytes) {
            Some(decoded) if bytes.is_empty() => Ok(decoded),
            _ => Err(format!(
                "state row {index} does not fit this query's state: its {what} is not of the query's types (were its keys or aggregates changed?)"
            )),
        }
    }
    Ok((whole(index, key, "key")?, whole(index, value, "value")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(kind: FileKind, records: &[(&str, Option<i64>)]) -> Vec<u8> {
        let mut writer = StoreWriter::new(kind);
        for (key, value) in records {
            match value {
                Some(value) => writer.put(&(*key).to_owned(), value),
                None => writer.remove(&(*key).to_owned()),
            }
        }
        writer.finish()
    }

    fn decoded(rows: MergedRows<'_>) -> Vec<(String, i64)> {
        rows.into_ordered()
            .into_iter()
            .enumerate()
            .map(|(index, (key, value))| decode_row(index, key, value).unwrap())
            .collect()
    }

    #[test]
    fn deltas_keep_the_operator_order_and_a_removed_key_put_again_goes_last() {
        let snapshot = file(FileKind::Snapshot, &[("a", Some(1)), ("b", Some(2)), ("c", Some(3))]);
        let delta = file(
            FileKind::Delta,
            &[("d", Some(4)), ("a", None), ("b", Some(20)), ("a", Some(10))],
        );
        let mut rows = MergedRows::default();
        rows.apply(&StoreFile::parse(&snapshot).unwrap()).unwrap();
        rows.apply(&StoreFile::parse(&delta).unwrap()).unwrap();
        assert_eq!(
            decoded(rows),
            [("b".into(), 20), ("c".into(), 3), ("d".into(), 4), ("a".into(), 10)]
        );
    }

    #[test]
    fn every_kind_of_damage_is_named() {
        let good = file(FileKind::Delta, &[("a", Some(1)), ("b", None)]);
        StoreFile::parse(&good).unwrap();
        let refused = |bytes: &[u8]| StoreFile::parse(bytes).unwrap_err();
        assert!(refused(&good[..good.len() - 1]).contains("checksum"));
        assert!(refused(&good[..10]).contains("truncated"));
        assert!(refused(b"PARQUET1 and more bytes").contains("not a Rill state file"));
        let mut newer = good;
        newer[8] = 9;
        assert!(refused(&newer).contains("version 9"));
        let snapshot_with_removal = file(FileKind::Snapshot, &[("a", None)]);
        assert!(refused(&snapshot_with_removal).contains("removal"));
        let twice = file(FileKind::Snapshot, &[("a", Some(1)), ("a", Some(2))]);
        let mut rows = MergedRows::default();
        let error = rows.apply(&StoreFile::parse(&twice).unwrap()).unwrap_err();
        assert!(error.contains("record 1 repeats"), "{error}");
        let error = decode_row::<(String,), i64>(3, b"\x01\0\0\0a", b"\x01").unwrap_err();
        assert!(error.contains("state row 3"), "{error}");
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_are_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&[FORMAT_VERSION, 0]);
            framed.extend_from_slice(&bytes);
            let checksum = crc32fast::hash(&framed);
            framed.extend_from_slice(&checksum.to_le_bytes());
            let _ = StoreFile::parse(&framed);
            let _ = StoreFile::parse(&bytes);
        }
    }
}
