// Only equi-joins: a range condition against a static table is refused, with the form to write.
use rill::operator::StaticTable;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, amount: f64, event_time: Timestamp }
    schema User { id: String, name: String, credit: f64 }

    query Q(events: Event, users: static User) {
        events.join(users, user_id == users.id && amount > users.credit)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in"), StaticTable::<User>::from_rows(Vec::new())).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
