// Spark ranks numbers, dates and timestamps; a string column is refused.
use rill::prelude::*;

rill::stream! {
    schema Request { route: String, millis: i64 }

    query Latency(raw: Request) {
        raw.group_by(millis).agg(median = percentile_approx(route, 0.5))
    }
}

fn main() {
    let _ = Latency::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
