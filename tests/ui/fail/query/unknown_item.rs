// An item that is neither `schema` nor `query` (SQL's `table`): a syntax error, after which
// the query is still stubbed so `main` type-checks.
use rill::prelude::*;

rill::stream! {
    table Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.group_by(user_id).agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
