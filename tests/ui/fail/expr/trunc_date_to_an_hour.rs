// `trunc` of a date to an hour: a date has no units finer than a week (`date_trunc` has).
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, day: Date, amount: f64 }

    query Q(raw: Event) {
        raw.select(period = trunc(day, "hour"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
