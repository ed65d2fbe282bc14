// A query that declares two inputs but reads only one.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }

    query Both(web: Event, mobile: Event) {
        web.select(user_id, amount)
    }
}

fn main() {
    let _ = Both::read(JsonSource::new("web"), JsonSource::new("mobile"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
