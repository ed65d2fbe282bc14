// `YYYY` (the week-based year) where `yyyy` (the year) was meant.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(event_id, ts = to_timestamp(event_time, "YYYY-MM-dd HH:mm"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
