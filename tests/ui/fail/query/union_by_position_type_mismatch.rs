// By position, Mobile's third column is a timestamp where Web's is a double (Spark: INCOMPATIBLE_COLUMN_TYPE); the help suggests union_by_name.
use rill::prelude::*;

rill::stream! {
    schema Web { event_id: String, user_id: String, amount: f64, ts: Timestamp }
    schema Mobile { user_id: String, event_id: String, ts: Timestamp, amount: f64 }
    schema Tagged { event_id: String, user_id: String, amount: f64, ts: Timestamp, device: String }
    schema Short { event_id: String, user_id: String, amount: f64 }

    query Q(web: Web, other: Mobile) {
        web.union(other)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("web"), JsonSource::new("other")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
