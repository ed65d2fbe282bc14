// A watermark on a column that is not a Timestamp (Spark: EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE).
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_watermark(event_time, "10 minutes")
           .group_by(user_id)
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
