// A watermark on epoch milliseconds: the hint converts them with `timestamp_millis`.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, event_ms: i64, amount: f64 }

    query Q(raw: Event) {
        raw.with_watermark(event_ms, "10 minutes")
           .group_by(window(event_ms, "1 hour"))
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
