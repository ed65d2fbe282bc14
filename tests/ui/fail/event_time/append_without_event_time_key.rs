// Append mode on an aggregation with a watermark whose keys do not include the event time:
// no group ever becomes final (Spark: append not supported without watermark on the keys).
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(user_id)
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"))
        .append()
        .to(MemorySink::named("t"))
        .trigger(Trigger::AvailableNow)
        .start();
}
