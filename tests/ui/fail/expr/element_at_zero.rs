// `element_at` counts from 1: index 0 is no element.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(first = element_at(split(event_id, "-"), 0))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
