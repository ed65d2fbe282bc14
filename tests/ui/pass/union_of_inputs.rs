// Two inputs of one schema, unioned and aggregated; starting it needs a source for each.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64 }

    query Both(web: Event, mobile: Event) {
        web.union(mobile).filter(amount > 10.0).group_by(user_id).agg(events = count(), total = sum(amount))
    }
}

fn main() {
    let _ = Both::read(JsonSource::new("web"), JsonSource::new("mobile"))
        .complete()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow);
}
