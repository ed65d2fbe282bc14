// `date_trunc` to a unit Spark does not have.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, event_time: Timestamp, amount: f64 }

    query Q(raw: Event) {
        raw.select(period = date_trunc("FORTNIGHT", event_time))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
