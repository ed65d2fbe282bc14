// Each aggregate names the type it needs: booleans for `bool_and` and `count_if`, integers for
// the bit aggregates.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String, seconds: f64 }

    query Checks(raw: Visit) {
        raw.group_by(user_id).agg(all = bool_and(page), long = count_if(seconds), mask = bit_or(seconds))
    }
}

fn main() {
    let _ = Checks::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
