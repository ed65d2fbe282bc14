// Spark refuses distinct aggregations on a stream; the help shows the deduplication that does it.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String }

    query Pages(raw: Visit) {
        raw.group_by(user_id).agg(pages = count_distinct(page))
    }
}

fn main() {
    let _ = Pages::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
