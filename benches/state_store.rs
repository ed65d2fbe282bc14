//! Rill's keyed aggregation state against a `HashMap<String, _>`: a million updates over
//! 100,000 user keys, as the per-user aggregation makes them.
//!
//! Run with `cargo bench --bench state_store`.

use std::collections::HashMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rill::state::GroupTable;

fn keys() -> Vec<String> {
    // A fixed pseudo-random sequence over 100k users, as skewed streams are not sorted.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..1_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("u{:06}", state % 100_000)
        })
        .collect()
}

fn updates(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("state_store");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.sample_size(20);
    group.bench_function("GroupTable<(String,), (i64, f64)>", |b| {
        b.iter(|| {
            let mut table: GroupTable<(String,), (i64, f64)> = GroupTable::new();
            table.begin_batch();
            for (i, key) in keys.iter().enumerate() {
                let entry = table.upsert((key.as_str(),));
                entry.0 += 1;
                entry.1 += i as f64;
            }
            table.len()
        });
    });
    group.bench_function("HashMap<String, (i64, f64)>, foldhash", |b| {
        b.iter(|| {
            let mut map: HashMap<String, (i64, f64), foldhash::fast::FixedState> = HashMap::default();
            for (i, key) in keys.iter().enumerate() {
                let entry = match map.get_mut(key.as_str()) {
                    Some(entry) => entry,
                    None => map.entry(key.clone()).or_default(),
                };
                entry.0 += 1;
                entry.1 += i as f64;
            }
            map.len()
        });
    });
    group.finish();
}

criterion_group!(benches, updates);
criterion_main!(benches);
