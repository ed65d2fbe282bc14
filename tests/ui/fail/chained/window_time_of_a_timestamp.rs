// `window_time` takes a window.
use rill::prelude::*;

rill::stream! {
    schema Event { user: String, event_time: Timestamp, amount: i64 }

    query Hourly(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(window_time(event_time), "5 minutes"))
              .agg(n = count())
    }
}

fn main() {
    let _ = Hourly::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
