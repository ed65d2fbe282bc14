// A cast Spark refuses: a date to a number.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, day: Date, amount: f64 }

    query Q(raw: Event) {
        raw.select(n = cast(day, "bigint"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
