// A union that comes after a filter, which is not supported yet.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }

    query Both(web: Event, mobile: Event) {
        web.filter(amount > 10.0).union(mobile).select(user_id, amount)
    }
}

fn main() {
    let _ = Both::read(JsonSource::new("web"), JsonSource::new("mobile"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
