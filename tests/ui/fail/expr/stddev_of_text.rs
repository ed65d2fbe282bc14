// Spark computes `stddev` over doubles: a string column is refused, naming the column's type.
use rill::prelude::*;

rill::stream! {
    schema Visit { user_id: String, page: String, seconds: f64 }

    query Spread(raw: Visit) {
        raw.group_by(user_id).agg(spread = stddev(page), r = corr(seconds, page))
    }
}

fn main() {
    let _ = Spread::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
