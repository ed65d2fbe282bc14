// A union by position of two inputs declared with different schemas of the same column types (Spark keeps the first input's names).
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }
    schema Click { click_id: String, user_id: String, amount: f64 }

    query Both(views: Event, clicks: Click) {
        views.union(clicks).select(user_id, amount)
    }
}

fn main() {
    let _ = Both::read(JsonSource::new("views"), JsonSource::new("clicks"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
