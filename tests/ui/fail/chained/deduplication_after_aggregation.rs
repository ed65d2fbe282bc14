// A deduplication after an aggregation: Spark refuses it in append mode; Rill in every mode.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user: String, event_time: Timestamp }

    query Q(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "10 minutes"), user)
              .agg(n = count())
              .drop_duplicates(user)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
