// Late rows are the rows a watermark drops: there must be one.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .keep_late_rows()
           .group_by(window(event_time, "1 hour"))
           .agg(events = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).update().to(MemorySink::named("t")).start();
}
