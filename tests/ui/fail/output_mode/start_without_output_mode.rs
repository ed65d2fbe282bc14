// `.start()` before choosing an output mode.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase")
           .select(event_id, user_id, amount)
    }
}

fn main() {
    let _ = Purchases::read(JsonSource::new("in"))
        .to(MemorySink::named("purchases"))
        .trigger(Trigger::AvailableNow)
        .start();
}
