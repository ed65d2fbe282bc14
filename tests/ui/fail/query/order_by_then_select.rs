// An operation after `order_by`: sorting and limit come last.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.group_by(user_id).agg(total = sum(amount)).order_by(desc(total)).select(user_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
