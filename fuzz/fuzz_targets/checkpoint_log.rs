//! A checkpoint's files on any bytes: `metadata`, `offsets/<batch>`, `commits/<batch>`,
//! `sources/0/<batch>` and the state files `state/<op>/0/<version>.{delta,snapshot}`. Each
//! input is given to every parser, as each of those files could hold any bytes after a crash or
//! a hand edit. Each returns a value or an error message, never panics; a value the parser
//! accepts is written back as the writer writes it and must parse to the same value. A state
//! file (the input, and the input framed with a valid header and checksum, so that the records
//! are reached) is replayed and restored as a restart restores it ([`GroupTable::restore_rows`])
//! for several key and accumulator types, and a source log entry is restored into a JSON file
//! source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde_json::Value;
use stream_core::checkpoint::{CommitEntry, Metadata, OffsetEntry, batch_of_file_name, parse_source_log};
use stream_core::session::{Merge, Sessions};
use stream_core::state::snapshot::{StateType, StateValue};
use stream_core::state::store::{FileKind, MergedRows, StoreFile, StoreWriter};
use stream_core::state::{GroupTable, OwnedKey};
use stream_core::{Date, JsonSource, Timestamp, Window};

/// The file as the checkpoint writes it: the version line, then the JSON.
fn written<T: Serialize>(value: &T) -> Vec<u8> {
    format!(
        "v1\n{}",
        serde_json::to_string(value).expect("checkpoint values serialize")
    )
    .into_bytes()
}

/// Parses, and checks that what parses survives being written and read again.
fn round_trip<T: Serialize + std::fmt::Debug>(data: &[u8], parse: fn(&[u8]) -> Result<T, String>) {
    if let Ok(value) = parse(data) {
        let again = parse(&written(&value)).expect("a written value parses");
        let (before, after) = (as_json(&value), as_json(&again));
        assert!(same(&before, &after), "{before} became {after}");
    }
}

fn as_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("checkpoint values serialize")
}

/// Equal, but for floats within a relative 1e-15: serde_json (without its `float_roundtrip`
/// feature, as Rill builds it) may read a float back one unit in the last place off, so a
/// float in a source offset is kept to within that. Rill's own offsets are integers.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, x)| y.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

/// A session accumulator.
#[derive(Default)]
struct Total(i64);

impl Merge for Total {
    fn merge(&mut self, other: Self) {
        self.0 = self.0.wrapping_add(other.0);
    }
}

impl StateValue for Total {
    fn state_type() -> StateType {
        i64::state_type()
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        i64::decode(input).map(Self)
    }
}

/// Restores `rows` as a table of `K` to `A`; what restores must write and restore to the same
/// snapshot.
fn restore<K: OwnedKey + StateValue, A: StateValue + Default>(rows: &[(&[u8], &[u8])]) {
    if let Ok(table) = GroupTable::<K, A>::restore_rows(rows.iter().copied()) {
        let written = snapshot(&table);
        let file = StoreFile::parse(&written).expect("a written snapshot parses");
        let mut replayed = MergedRows::default();
        replayed.apply(&file).expect("a written snapshot replays");
        let again = GroupTable::<K, A>::restore_rows(replayed.into_ordered()).expect("a written snapshot restores");
        assert_eq!(snapshot(&again), written);
    }
}

fn snapshot<K: OwnedKey + StateValue, A: StateValue + Default>(table: &GroupTable<K, A>) -> Vec<u8> {
    let mut writer = StoreWriter::new(FileKind::Snapshot);
    table.write_all(&mut writer);
    writer.finish()
}

/// `data` as a state file's records, with a valid header, count and checksum.
fn framed(data: &[u8], kind: u8) -> Vec<u8> {
    let mut bytes = b"RILLSTAT".to_vec();
    bytes.extend_from_slice(&[1, kind]);
    bytes.extend_from_slice(data);
    let mut records = 0_u64;
    let mut rest = data;
    // The count the records would have, so that the trailer agrees when they are well formed.
    while let Some((&tag, after)) = rest.split_first() {
        let fields = if tag == 1 { 2 } else { 1 };
        let mut input = after;
        for _ in 0..fields {
            let Some((len, tail)) = input.split_first_chunk::<4>() else { break };
            input = tail.get(u32::from_le_bytes(*len) as usize..).unwrap_or_default();
        }
        records += 1;
        rest = input;
    }
    bytes.extend_from_slice(&records.to_le_bytes());
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Replays state file `bytes` (after a snapshot of it, when it is a delta) and restores it.
fn replay(bytes: &[u8]) {
    let Ok(file) = StoreFile::parse(bytes) else { return };
    let mut rows = MergedRows::default();
    if rows.apply(&file).is_err() {
        return;
    }
    let rows = rows.into_ordered();
    // A grouped aggregation, a global one, windowed keys, deduplication, session windows.
    restore::<(String,), (i64, f64)>(&rows);
    restore::<(), (i64, Option<f64>, Timestamp, Date, bool, i32, u32)>(&rows);
    restore::<(Window, Option<String>, i64), (Option<String>, (f64, i64))>(&rows);
    restore::<(String, f64, bool, Date), Timestamp>(&rows);
    restore::<(String,), Sessions<Total>>(&rows);
}

fuzz_target!(|data: &[u8]| {
    round_trip(data, Metadata::parse);
    round_trip(data, OffsetEntry::parse);
    round_trip(data, CommitEntry::parse);
    round_trip(data, parse_source_log);

    if let Ok(entry) = parse_source_log(data) {
        // As a restart does: offsets as the checkpoint holds them, whatever they are.
        let mut source: Box<dyn rill::source::AnySource> = Box::new(JsonSource::new("/nonexistent-rill-fuzz"));
        let through = entry.clone();
        let _ = source.restore(&[(0, entry.clone()), (1, entry)], Some(&through));
    }

    replay(data);
    replay(&framed(data, 0));
    replay(&framed(data, 1));

    // The first line as a log file's name: a name read as batch `n` is the name batch `n` is
    // written under, so the file found is the file read.
    let name = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if let Some(batch) = std::str::from_utf8(name).ok().and_then(batch_of_file_name) {
        assert_eq!(batch.to_string().as_bytes(), name);
    }
});
