// Routing late rows from a query that does not keep them.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"))
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"))
        .append()
        .to(MemorySink::named("t"))
        .late_rows_to(MemorySink::named("late"))
        .start();
}
