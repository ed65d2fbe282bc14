// A session gap that is a number, not an interval.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(session_window(event_time, amount * 60.0), user_id)
           .agg(n = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
