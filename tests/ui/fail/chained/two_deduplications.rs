// Two deduplications in one query.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user: String, event_time: Timestamp }

    query Q(events: Event) {
        events.drop_duplicates(event_id).drop_duplicates(user)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
