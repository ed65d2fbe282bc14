//! The generated JSON decoder's fast path (records in the schema's usual shape) against its
//! general path alone: the same rows, counts and errors in every parse mode, on records at the
//! edges of the fast path's shape and on records put together at random from such pieces.

use std::path::Path;

use proptest::prelude::*;
use rill::__private::arrow_array::RecordBatch;
use rill::decode::{DecodeCounts, FormatDecoder, ParseMode};
use rill::prelude::*;

rill::stream! {
    /// One column of each type a fast path reads, nullable and not.
    schema Reading {
        id: String,
        value: f64,
        count: Option<i64>,
        small: Option<i32>,
        ok: Option<bool>,
        at: Option<Timestamp>,
        day: Option<Date>,
        price: Option<Decimal<9, 2>>,
        note: Option<String>,
        _corrupt_record: Option<String>,
    }

    query AllColumns(raw: Reading) {
        raw.select(id, value, count, small, ok, at, day, price, note, _corrupt_record)
    }

    /// Only two columns read: the others are validated, not built.
    query TwoColumns(raw: Reading) {
        raw.filter(value > 1.0).select(id, value)
    }
}

const MODES: [ParseMode; 3] = [ParseMode::Permissive, ParseMode::DropMalformed, ParseMode::FailFast];

type Decoded = (Result<(), String>, DecodeCounts, Vec<RecordBatch>);

fn decode<Q: StreamPlan>(bytes: &[u8], mode: ParseMode, general_only: bool) -> Decoded {
    let mut decoder: Box<dyn FormatDecoder> = (Q::facts().inputs[0].schema.decoder)();
    let (mut counts, mut out) = (DecodeCounts::default(), Vec::new());
    let path = Path::new("readings.json");
    let result = if general_only {
        decoder.decode_json_lines_general(path, bytes, 1, mode, &mut counts, &mut out)
    } else {
        decoder.decode_json_lines(path, bytes, 1, mode, &mut counts, &mut out)
    };
    (result.map_err(|e| e.to_string()), counts, out)
}

/// Every batch's rows, concatenated, as comparable text.
fn rows(out: &[RecordBatch]) -> Vec<String> {
    let mut rows = Vec::new();
    for batch in out {
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = batch
                .columns()
                .iter()
                .map(|column| {
                    if rill::__private::arrow_array::Array::is_null(column.as_ref(), row) {
                        "null".to_owned()
                    } else {
                        format!("{:?}", column.slice(row, 1))
                    }
                })
                .collect();
            rows.push(cells.join(" | "));
        }
    }
    rows
}

fn assert_paths_agree(bytes: &[u8]) {
    for mode in MODES {
        for (query, fast, general) in [
            (
                "AllColumns",
                decode::<AllColumns>(bytes, mode, false),
                decode::<AllColumns>(bytes, mode, true),
            ),
            (
                "TwoColumns",
                decode::<TwoColumns>(bytes, mode, false),
                decode::<TwoColumns>(bytes, mode, true),
            ),
        ] {
            let input = String::from_utf8_lossy(bytes);
            assert_eq!(fast.0, general.0, "{query} {mode:?}: results differ on {input:?}");
            assert_eq!(fast.1, general.1, "{query} {mode:?}: counts differ on {input:?}");
            assert_eq!(
                rows(&fast.2),
                rows(&general.2),
                "{query} {mode:?}: rows differ on {input:?}"
            );
        }
    }
}

const PLAIN: &str = r#"{"id": "r1", "value": 2.5, "count": 7, "small": -3, "ok": true, "at": "2024-03-01 10:00:00", "day": "2024-03-01", "price": 12.34, "note": "fine"}"#;

#[test]
fn records_at_the_edges_of_the_usual_shape_decode_alike() {
    let compact = PLAIN.replace(": ", ":").replace(", ", ",");
    let tabs = PLAIN.replace(": ", ":\t").replace(", ", " ,\t");
    let cases: Vec<String> = vec![
        PLAIN.to_owned(),
        compact.clone(),
        tabs,
        format!("{PLAIN}\r\n{compact}\n"),
        format!("{PLAIN}   \n{compact}\t\r\n"),
        format!("  {PLAIN}"),
        format!("{PLAIN}\r"),
        format!("{PLAIN} x\n{compact}"),
        format!("{PLAIN}{{}}\n"),
        PLAIN.replace(r#""r1""#, "null"),
        PLAIN.replace("2.5", "null"),
        PLAIN.replace(r#""fine""#, "null").replace("-3", "null"),
        PLAIN.replace(r#""fine""#, r#""caf\u00e9 \"quoted\"""#),
        PLAIN.replace(r#""fine""#, "\"café, naïve\""),
        PLAIN.replace(r#""fine""#, "\"tab\there\""),
        PLAIN.replace(r#""fine""#, "\"bad \u{1} byte\""),
        PLAIN.replace(r#""fine""#, "123"),
        PLAIN.replace(r#""fine""#, r#"{"nested": [1, 2]}"#),
        PLAIN.replace("2.5", "-0"),
        PLAIN.replace("2.5", "1."),
        PLAIN.replace("2.5", "01"),
        PLAIN.replace("2.5", "1e3"),
        PLAIN.replace("2.5", "12345678901234567890.5"),
        PLAIN.replace("2.5", "9007199254740993"),
        PLAIN.replace("2.5", "NaN"),
        PLAIN.replace("2.5", r#""Infinity""#),
        PLAIN.replace("2.5", "2.5x"),
        PLAIN.replace("2.5", "\"2.5\""),
        PLAIN.replace(": 7,", ": 9223372036854775808,"),
        PLAIN.replace(": 7,", ": 7.0,"),
        PLAIN.replace("-3", "2147483648"),
        PLAIN.replace("true", "tru"),
        PLAIN.replace("true", "truex"),
        PLAIN.replace("10:00:00", "10:00"),
        PLAIN.replace("10:00:00", "not a time"),
        PLAIN.replace("12.34", "12.345"),
        PLAIN.replace("12.34", "12345678901.5"),
        PLAIN.replace(r#""day": "2024-03-01""#, r#""day": "2024-02-30""#),
        PLAIN.replace(r#""id""#, r#""ID""#),
        PLAIN.replace(r#""id": "r1", "value": 2.5"#, r#""value": 2.5, "id": "r1""#),
        PLAIN.replace(r#", "note": "fine""#, ""),
        PLAIN.replace(r#""note": "fine""#, r#""note": "fine", "extra": 1"#),
        PLAIN.replace(r#""note": "fine""#, r#""note": "fine", "note": "twice""#),
        PLAIN.replace(r#""value": 2.5"#, r#""value" : 2.5"#),
        PLAIN.replace(r#""value": 2.5"#, r#"'value': 2.5"#),
        PLAIN.replace("}", ",}"),
        PLAIN.trim_end_matches('}').to_owned(),
        format!("{PLAIN}\n\n   \n{compact}"),
        "{}".to_owned(),
        "[]".to_owned(),
        String::new(),
    ];
    for case in &cases {
        assert_paths_agree(case.as_bytes());
        // Each case also after a record the fast path takes, and before one.
        assert_paths_agree(format!("{PLAIN}\n{case}\n{compact}").as_bytes());
    }
    let all = cases.join("\n");
    assert_paths_agree(all.as_bytes());
    assert_paths_agree(format!("\u{feff}{all}").as_bytes());
}

/// A many-record file where every record is in the usual shape: the fast path takes them all,
/// and the rows are what the values say.
#[test]
fn a_file_of_plain_records_decodes_every_value() {
    let lines: Vec<String> = (0..20_000)
        .map(|i| {
            PLAIN
                .replace("r1", &format!("r{i}"))
                .replace("2.5", &format!("{}.25", i % 1000))
        })
        .collect();
    let bytes = lines.join("\n");
    assert_paths_agree(bytes.as_bytes());
    let (result, counts, out) = decode::<AllColumns>(bytes.as_bytes(), ParseMode::FailFast, false);
    assert_eq!(result, Ok(()));
    assert_eq!((counts.records, counts.malformed), (20_000, 0));
    let rows = rows(&out);
    assert_eq!(rows.len(), 20_000);
    assert!(
        rows[19_999].contains("r19999") && rows[19_999].contains("999.25"),
        "{}",
        rows[19_999]
    );
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\r".to_owned()),
        Just("null".to_owned()),
        Just("\"\\n\"".to_owned()),
        Just("\"é\"".to_owned()),
        Just(",".to_owned()),
        Just("}".to_owned()),
        Just("-".to_owned()),
        Just("0".to_owned()),
        Just(".".to_owned()),
        Just("e".to_owned()),
        Just("\"".to_owned()),
        "[a-z0-9 .:-]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The usual record with pieces put in or cut out at random places.
    #[test]
    fn records_mutated_at_random_decode_alike(
        edits in proptest::collection::vec((0usize..PLAIN.len(), 0usize..4, piece()), 1..4),
        copies in 1usize..4,
    ) {
        let mut record = PLAIN.to_owned();
        for (at, cut, piece) in edits {
            let at = (0..=at.min(record.len())).rev().find(|&i| record.is_char_boundary(i)).unwrap_or(0);
            let end = (at..=(at + cut).min(record.len())).rev().find(|&i| record.is_char_boundary(i)).unwrap_or(at);
            record.replace_range(at..end, &piece);
        }
        let file = vec![record.as_str(); copies].join("\n");
        assert_paths_agree(format!("{PLAIN}\n{file}").as_bytes());
    }
}
