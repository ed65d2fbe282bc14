// A misspelled function in `with_column`, with the new column used afterwards: only the
// misspelling should be reported, not the later use of `ts`.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Timed(raw: Event) {
        raw.with_column(ts = to_timestmp(event_time))
           .filter(ts.is_not_null())
           .select(event_id, ts)
    }
}

fn main() {
    let _ = Timed::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
