//! The CSV record decoders `stream!` generates, on any bytes as one file, in all three parse
//! modes. The first byte picks the options: bit 0 a header, bits 1–2 the delimiter (`,;|` or
//! tab), bit 3 the quote (`"` or `'`), bit 4 the escape (`\` or the quote itself), bit 5 the
//! null value (`""` or `NA`); the rest is the file. No panic; `Permissive` and
//! `DropMalformed` never fail (but for a header that cannot be read, which fails in every
//! mode); rows out plus records dropped equal records read; `FailFast` fails exactly when
//! `Permissive` counts a malformed record.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rill::__private::arrow_array::RecordBatch;
use rill::decode::csv::CsvOptions;
use rill::decode::{DecodeCounts, ParseMode};
use rill::prelude::*;
use rill_fuzz::decoders::{LooseRows, MODES, StrictRows, check_mode};


fn options(byte: u8) -> CsvOptions {
    let quote = if byte & 8 == 0 { b'"' } else { b'\'' };
    CsvOptions::default()
        .header(byte & 1 != 0)
        .delimiter([b',', b';', b'|', b'\t'][usize::from((byte >> 1) & 3)])
        .quote(quote)
        .escape(if byte & 16 == 0 { b'\\' } else { quote })
        .null_value(if byte & 32 == 0 { "" } else { "NA" })
}

fn decode<Q: StreamPlan>(
    bytes: &[u8],
    options: &CsvOptions,
    mode: ParseMode,
) -> (rill::error::Result<()>, DecodeCounts, Vec<RecordBatch>) {
    let mut decoder = (Q::facts().inputs[0].schema.decoder)();
    let mut counts = DecodeCounts::default();
    let mut out = Vec::new();
    let result = decoder.decode_csv(Path::new("fuzz.csv"), bytes, options, mode, &mut counts, &mut out);
    (result, counts, out)
}

fn check<Q: StreamPlan>(bytes: &[u8], options: &CsvOptions) {
    let mut permissive: Option<DecodeCounts> = None;
    for mode in MODES {
        let (result, counts, out) = decode::<Q>(bytes, options, mode);
        if let Err(error) = &result {
            // The one error of every mode: a header that cannot be split into names.
            if options.header && error.to_string().contains("the header cannot be read") {
                assert_eq!(counts, DecodeCounts::default());
                continue;
            }
        }
        check_mode(mode, &result, counts, &out, &mut permissive);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let options = options(first);
    check::<LooseRows>(bytes, &options);
    check::<StrictRows>(bytes, &options);
});
