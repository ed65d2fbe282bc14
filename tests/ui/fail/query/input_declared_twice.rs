// Two inputs of a query with one name.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }

    query Both(web: Event, web: Event) {
        web.union(web).select(user_id, amount)
    }
}

fn main() {
    let _ = Both::read(JsonSource::new("web"), JsonSource::new("mobile"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
