// A query whose signature declares no input.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }

    query Nothing() {
        raw.select(user_id, amount)
    }
}

fn main() {
    let _ = Nothing::read(JsonSource::new("in"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
