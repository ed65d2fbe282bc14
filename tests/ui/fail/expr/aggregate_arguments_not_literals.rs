// The relative error of `approx_count_distinct` and the percentage of `percentile_approx` are
// constants, as Spark requires.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String, seconds: f64 }

    query Checks(raw: Visit) {
        raw.group_by(user_id).agg(pages = approx_count_distinct(page, seconds), p = percentile_approx(seconds, seconds))
    }
}

fn main() {
    let _ = Checks::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
