//! The JSON-lines record decoders `stream!` generates, on any bytes as one file, in all three
//! parse modes: no panic; `Permissive` and `DropMalformed` never fail; rows out plus records
//! dropped equal records read; `FailFast` fails exactly when `Permissive` counts a malformed
//! record; decoding the file in two pieces split at a line end gives the same rows and counts;
//! the decoder's fast path and its general path alone give the same rows, counts and errors;
//! and every line `serde_json` reads as an object whose values fit the nullable schema by
//! Spark's rules is not malformed.
#![no_main]

use std::fmt;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rill::__private::arrow_array::RecordBatch;
use rill::decode::{DecodeCounts, ParseMode};
use rill::prelude::*;
use rill_fuzz::decoders::{LooseRows, MODES, StrictRows, check_mode, same_rows};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};


/// Decodes `bytes` as one file with a fresh decoder of query `Q`.
fn decode<Q: StreamPlan>(bytes: &[u8], mode: ParseMode) -> (rill::error::Result<()>, DecodeCounts, Vec<RecordBatch>) {
    let mut decoder = (Q::facts().inputs[0].schema.decoder)();
    let mut counts = DecodeCounts::default();
    let mut out = Vec::new();
    let result = decoder.decode_json_lines(Path::new("fuzz.json"), bytes, 1, mode, &mut counts, &mut out);
    (result, counts, out)
}

/// Decodes `bytes` as one file by the general path alone (no fast path).
fn decode_general<Q: StreamPlan>(bytes: &[u8], mode: ParseMode) -> (rill::error::Result<()>, DecodeCounts, Vec<RecordBatch>) {
    let mut decoder = (Q::facts().inputs[0].schema.decoder)();
    let mut counts = DecodeCounts::default();
    let mut out = Vec::new();
    let result = decoder.decode_json_lines_general(Path::new("fuzz.json"), bytes, 1, mode, &mut counts, &mut out);
    (result, counts, out)
}

fn check<Q: StreamPlan>(data: &[u8]) {
    let mut permissive = None;
    for mode in MODES {
        let (result, counts, out) = decode::<Q>(data, mode);
        // The differential: the fast path takes only records it decodes as the general path does.
        let (general_result, general_counts, general_out) = decode_general::<Q>(data, mode);
        assert_eq!(
            result.as_ref().map_err(ToString::to_string),
            general_result.as_ref().map_err(ToString::to_string),
            "{mode:?}: the fast path and the general path end differently"
        );
        assert_eq!(counts, general_counts, "{mode:?}: the fast path counts differently");
        assert!(same_rows(&out, &general_out), "{mode:?}: the fast path decodes other rows");
        check_mode(mode, &result, counts, &out, &mut permissive);
        if mode != ParseMode::FailFast {
            check_split::<Q>(data, mode, counts, &out);
        }
    }
}

/// Decodes `data` in two pieces, split after a line end picked from the data, with one decoder.
fn check_split<Q: StreamPlan>(data: &[u8], mode: ParseMode, whole: DecodeCounts, whole_out: &[RecordBatch]) {
    let ends: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    if ends.is_empty() {
        return;
    }
    let at = ends[data.len() % ends.len()];
    let (first, second) = data.split_at(at);
    let first_line = ends.iter().filter(|&&end| end <= at).count() as u64 + 1;
    let mut decoder = (Q::facts().inputs[0].schema.decoder)();
    let mut counts = DecodeCounts::default();
    let mut out = Vec::new();
    decoder
        .decode_json_lines(Path::new("fuzz.json"), first, 1, mode, &mut counts, &mut out)
        .unwrap();
    decoder
        .decode_json_lines(Path::new("fuzz.json"), second, first_line, mode, &mut counts, &mut out)
        .unwrap();
    assert_eq!(counts, whole, "{mode:?}: split at byte {at}");
    assert!(same_rows(&out, whole_out), "{mode:?}: split at byte {at}: rows differ");
}

/// What a JSON value is, as far as the differential check cares.
enum Kind {
    Null,
    Bool,
    /// An integer written without fraction or exponent (serde_json visits those as integers).
    Int(i128),
    Float,
    Str,
    Nested,
}

struct Entries(Vec<(String, Kind)>);

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
                Ok(Kind::Bool)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
                Ok(Kind::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
                Ok(Kind::Int(v.into()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
                Ok(Kind::Float)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
                Ok(Kind::Str)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Kind::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Kind::Nested)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Kind>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Whether every value of `entries` fits `Loose`'s column of its key, by Spark's rules (the
/// time columns left out: `None`).
fn fits_loose(entries: &[(String, Kind)]) -> Option<bool> {
    let mut fits = true;
    for (key, kind) in entries {
        let ok = match (key.as_str(), kind) {
            ("ts" | "day", _) => return None,
            (_, Kind::Null) => true,
            ("name" | "_corrupt_record", _) => true,
            ("amount", Kind::Int(_) | Kind::Float) => true,
            ("count", Kind::Int(v)) => i64::try_from(*v).is_ok(),
            ("small", Kind::Int(v)) => i32::try_from(*v).is_ok(),
            ("flag", Kind::Bool) => true,
            ("amount" | "count" | "small" | "flag", _) => false,
            _ => true,
        };
        fits &= ok;
    }
    Some(fits)
}

/// The differential check: lines serde_json reads as fitting objects are not malformed.
fn check_against_serde(data: &[u8]) {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // serde_json does not check UTF-8 in strings it skips (a nested object's keys), where
        // Spark (Jackson) and Rill refuse invalid UTF-8: only UTF-8 lines are compared.
        if std::str::from_utf8(line).is_err() {
            continue;
        }
        let Ok(Entries(entries)) = serde_json::from_slice::<Entries>(line) else {
            continue;
        };
        if fits_loose(&entries) != Some(true) {
            continue;
        }
        let (result, counts, _) = decode::<LooseRows>(line, ParseMode::Permissive);
        assert!(result.is_ok());
        assert_eq!(
            counts.malformed,
            0,
            "serde_json reads {:?} as an object fitting the schema; Rill counts it malformed",
            String::from_utf8_lossy(line)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check::<LooseRows>(data);
    check::<StrictRows>(data);
    check_against_serde(data);
});
