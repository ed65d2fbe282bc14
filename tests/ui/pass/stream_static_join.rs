// A stream joined with a static table in every way Spark allows, then aggregated; the table is
// given to `read` in the order of the signature.
use rill::operator::StaticTable;
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: Option<String>, amount: f64 }
    schema User { user_id: String, name: String, tier: i32 }

    query Spend(events: Event, users: static User) {
        events.join(users, user_id, "left").group_by(tier).agg(events = count(), total = sum(amount))
    }
    query Known(users: static User, events: Event) { events.join(users, user_id, "left_semi") }
    query Unknown(events: Event, users: static User) { events.join(users, user_id, "anti").select(event_id) }
    query Named(events: Event, users: static User) { events.join(users, user_id).select(event_id, name) }
}

fn main() {
    let users = StaticTable::<User>::from_rows(vec![User { user_id: "u1".into(), name: "Ada".into(), tier: 1 }]);
    let _ = Spend::read(JsonSource::new("events"), users.clone()).complete().to(MemorySink::named("t"));
    let _ = Known::read(users.clone(), JsonSource::new("events")).append().to(MemorySink::named("k"));
    let _ = Unknown::read(JsonSource::new("events"), users.clone()).append().to(MemorySink::named("u"));
    let _ = Named::read(JsonSource::new("events"), users).update().to(MemorySink::named("n"));
}
