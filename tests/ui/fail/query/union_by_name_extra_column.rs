// By name, a column the first input has not (Spark: NUM_COLUMNS_MISMATCH); the help says to leave it out of the schema.
use rill::prelude::*;

rill::stream! {
    schema Web { event_id: String, user_id: String, amount: f64, ts: Timestamp }
    schema Mobile { user_id: String, event_id: String, ts: Timestamp, amount: f64 }
    schema Tagged { event_id: String, user_id: String, amount: f64, ts: Timestamp, device: String }
    schema Short { event_id: String, user_id: String, amount: f64 }

    query Q(web: Web, other: Tagged) {
        web.union_by_name(other)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("web"), JsonSource::new("other")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
