// Rill chains two stateful operations in one query.
use rill::prelude::*;

rill::stream! {
    schema Event { user: String, event_time: Timestamp, amount: i64 }

    query Hourly(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count())
              .group_by(window(window_time(window), "1 hour"))
              .agg(windows = count())
              .group_by(window(window_time(window), "1 day"))
              .agg(hours = count())
    }
}

fn main() {
    let _ = Hourly::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
