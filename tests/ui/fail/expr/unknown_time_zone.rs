// A time zone Spark does not know (`INVALID_TIMEZONE` at run time in Spark).
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(local = from_utc_timestamp(to_timestamp(event_time), "Europe/Berln"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
