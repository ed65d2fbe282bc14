// The rows of an aggregation carry its watermark on: the stage after it takes no watermark of
// its own.
use rill::prelude::*;

rill::stream! {
    schema Event { user: String, event_time: Timestamp, amount: i64 }

    query Hourly(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count())
              .select(t = window_time(window), n)
              .with_watermark(t, "1 minute")
              .group_by(window(t, "1 hour"))
              .agg(windows = count())
    }
}

fn main() {
    let _ = Hourly::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
