// A windowed aggregation feeding another: Spark chains them in append mode only (in update mode
// it refuses the query at start: `_LEGACY_ERROR_TEMP_3102`).
use rill::prelude::*;

rill::stream! {
    schema Event { user: String, event_time: Timestamp, amount: i64 }

    query Hourly(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count())
              .group_by(window(window_time(window), "1 hour"))
              .agg(windows = count())
    }
}

fn main() {
    let _ = Hourly::read(JsonSource::new("in")).update().to(MemorySink::named("t")).start();
}
