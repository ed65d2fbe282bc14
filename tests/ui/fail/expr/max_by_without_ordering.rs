// `max_by` takes the value and the column that orders it.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String, seconds: f64 }

    query Longest(raw: Visit) {
        raw.group_by(user_id).agg(page = max_by(page))
    }
}

fn main() {
    let _ = Longest::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
