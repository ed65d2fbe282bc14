// Complete mode on a stateless query: there is no result table to re-emit.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase" && amount > 100)
           .select(event_id, user_id, amount)
    }
}

fn main() {
    let _ = Purchases::read(JsonSource::new("in"))
        .complete()
        .to(MemorySink::named("purchases"))
        .trigger(Trigger::AvailableNow)
        .start();
}
