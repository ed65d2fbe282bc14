//! The decoder `stream!` generates for a query, against arrow-json's, on the same JSON lines:
//! the seed's events, decoding the two columns the per-user aggregation reads.
//!
//! Run with `cargo bench --bench json_decode`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rill::decode::{DecodeCounts, ParseMode};
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn events() -> Vec<u8> {
    let config = rill_eventgen::Config {
        files: 1,
        rows_per_file: 100_000,
        ..rill_eventgen::Config::default()
    };
    config.file_bytes(0)
}

fn decode(c: &mut Criterion) {
    let bytes = events();
    let mut group = c.benchmark_group("json_decode");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    let input = SpendByUser::facts().inputs.remove(0).schema;
    group.bench_function("generated, 2 of 5 columns, validating all", |b| {
        b.iter(|| {
            let mut decoder = (input.decoder)();
            let (mut out, mut counts) = (Vec::new(), DecodeCounts::default());
            decoder
                .decode_json_lines(
                    Path::new("events.json"),
                    &bytes,
                    1,
                    ParseMode::FailFast,
                    &mut counts,
                    &mut out,
                )
                .unwrap();
            out
        });
    });
    let projected = input.projected();
    group.bench_function("arrow-json, 2 of 5 columns", |b| {
        b.iter(|| {
            let mut decoder = arrow_json::ReaderBuilder::new(projected.clone())
                .with_batch_size(8192)
                .build_decoder()
                .unwrap();
            let (mut out, mut read) = (Vec::new(), 0);
            while read < bytes.len() {
                read += decoder.decode(&bytes[read..]).unwrap();
                out.extend(decoder.flush().unwrap());
            }
            out.extend(decoder.flush().unwrap());
            out
        });
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
