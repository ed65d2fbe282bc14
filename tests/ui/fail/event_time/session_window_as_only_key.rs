// A session window needs another grouping key (Spark: "There should be at least one column in
// addition to session_window in grouping key").
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(session_window(event_time, "10 minutes"))
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
