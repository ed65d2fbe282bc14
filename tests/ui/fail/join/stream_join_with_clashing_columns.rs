// A join of two streams on a column both have: their other columns of one name (`event_id`) clash.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64, event_time: Timestamp }
    schema User { user_id: String, name: String, amount: f64, tier: i32 }
    schema Account { user_id: i64, name: String }

    query Q(events: Event, more: Event) {
        events.join(more, user_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"), JsonSource::new("more")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
