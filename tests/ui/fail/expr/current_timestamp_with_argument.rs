// `current_timestamp` takes no argument: it is the micro-batch's time.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(at = current_timestamp(event_time))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
