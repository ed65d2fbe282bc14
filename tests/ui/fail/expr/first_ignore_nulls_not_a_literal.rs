// `ignore_nulls` of `first` and `last` must be a literal, as in Spark.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: Option<String>, bot: bool }

    query Landing(raw: Visit) {
        raw.group_by(user_id).agg(landing = first(page, bot))
    }
}

fn main() {
    let _ = Landing::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
