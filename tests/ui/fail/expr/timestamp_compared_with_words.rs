// A timestamp compared with text that cannot be one.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(t = to_timestamp(event_time)).filter(t > "yesterday")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
