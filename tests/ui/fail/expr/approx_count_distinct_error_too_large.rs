// HyperLogLog++ needs at least 4 bits of register address: a relative error above 39% is
// refused, as Spark refuses it.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String }

    query Pages(raw: Visit) {
        raw.group_by(user_id).agg(pages = approx_count_distinct(page, 0.5))
    }
}

fn main() {
    let _ = Pages::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
