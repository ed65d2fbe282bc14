// `negative(x)` is `-x`: it needs a number.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, amount: f64 }

    query Q(raw: Event) {
        raw.select(event_id, neg = negative(event_id))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
