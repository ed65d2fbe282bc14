// Update mode on a sorted result: Spark sorts a streaming result only in complete mode.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.group_by(user_id).agg(total = sum(amount)).order_by(desc(total)).limit(3)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
