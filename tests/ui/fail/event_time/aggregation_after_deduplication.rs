// An aggregation after a deduplication: Rill runs one stateful operation per query.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.drop_duplicates(event_id)
           .group_by(user_id)
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
