// A sliding window puts a row in several windows: outside group_by only a tumbling one is a column.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .select(event_id, w = window(event_time, "1 hour", "10 minutes"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
