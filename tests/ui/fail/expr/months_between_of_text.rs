// `months_between` of text: convert it to a timestamp first.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(months = months_between(event_time, to_timestamp("2026-01-01")))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
