// A percentage is between 0 and 1, and the accuracy a positive integer literal, as Spark checks.
use rill::prelude::*;

rill::stream! {
    schema Request { route: String, millis: i64 }

    query Latency(raw: Request) {
        raw.group_by(route).agg(p95 = percentile_approx(millis, 95), p50 = percentile_approx(millis, 0.5, 0))
    }
}

fn main() {
    let _ = Latency::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
