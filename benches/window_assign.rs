//! Assigning a million event times to tumbling and sliding windows.
//!
//! Run with `cargo bench --bench window_assign`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rill::Timestamp;
use rill::window::WindowSpec;

const HOUR: i64 = 3_600_000_000;

fn assign(c: &mut Criterion) {
    let times: Vec<Timestamp> = (0..1_000_000i64)
        .map(|i| Timestamp::from_micros(1_767_225_600_000_000 + i * 7_919_000))
        .collect();
    let mut group = c.benchmark_group("window_assign");
    group.throughput(Throughput::Elements(times.len() as u64));
    for (name, spec) in [
        ("tumbling 1 hour", WindowSpec::tumbling(HOUR)),
        ("sliding 1 hour every 10 minutes", WindowSpec::new(HOUR, HOUR / 6, 0)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                times
                    .iter()
                    .map(|&t| spec.assign(t).map(|w| w.start.micros()).sum::<i64>())
                    .sum::<i64>()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, assign);
criterion_main!(benches);
