// window() over a column that is not a Timestamp.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.group_by(window(event_time, "1 hour"))
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
