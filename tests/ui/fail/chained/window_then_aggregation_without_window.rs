// The second aggregation has no event-time key, so it never knows a group is final: append mode
// is refused, as Spark does (STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION), and an aggregation's
// rows are aggregated in append mode only.
use rill::prelude::*;

rill::stream! {
    schema Event { user: String, event_time: Timestamp, amount: i64 }

    query Hourly(events: Event) {
        events.with_watermark(event_time, "10 minutes")
              .group_by(window(event_time, "5 minutes"), user)
              .agg(n = count())
              .group_by(user)
              .agg(windows = count())
    }
}

fn main() {
    let _ = Hourly::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
