// The body starts from a stream, not from a static table (Spark: a static table on the left of an outer join with a stream is not supported).
use rill::operator::StaticTable;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64, event_time: Timestamp }
    schema User { user_id: String, name: String, amount: f64, tier: i32 }
    schema Account { user_id: i64, name: String }

    query Q(events: Event, users: static User) {
        users.join(events, user_id, "left")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"), StaticTable::<User>::from_rows(Vec::new())).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
