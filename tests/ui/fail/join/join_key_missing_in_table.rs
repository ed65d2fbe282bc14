// The key must be a column of the static table too.
use rill::operator::StaticTable;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64, event_time: Timestamp }
    schema User { user_id: String, name: String, amount: f64, tier: i32 }
    schema Account { user_id: i64, name: String }

    query Q(events: Event, users: static User) {
        events.join(users, event_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"), StaticTable::<User>::from_rows(Vec::new())).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
