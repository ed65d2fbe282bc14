// A window struct cannot be picked or counted: its start or end can.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String, at: String }

    query Checks(raw: Visit) {
        raw.with_column(at = to_timestamp(at))
            .with_column(slot = window(at, "10 minutes"))
            .group_by(user_id)
            .agg(first_slot = first(slot), slots = approx_count_distinct(slot), page = max_by(page, slot))
    }
}

fn main() {
    let _ = Checks::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
