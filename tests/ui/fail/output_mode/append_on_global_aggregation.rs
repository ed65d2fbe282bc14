// Append mode on a global aggregation (`agg` without `group_by`): its single row changes with
// every batch.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Totals(raw: Event) {
        raw.agg(n = count(), total = sum(amount))
    }
}

fn main() {
    let _ = Totals::read(JsonSource::new("in")).append().to(MemorySink::named("totals")).start();
}
