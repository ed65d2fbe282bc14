// `hash` of a window column: hash its start instead.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time)).group_by(window(event_time, "1 hour")).agg(n = count()).select(h = hash(window))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
