// Complete mode on a deduplication: it is not an aggregation, so the table would be every row.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.drop_duplicates(event_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
