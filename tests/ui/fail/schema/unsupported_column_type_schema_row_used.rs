// An unsupported column type in a program that also builds the schema's row struct: only the
// column type should be reported, not the construction of `Event`.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: u32 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() {
    let event = Event {
        event_id: "e001".to_owned(),
        user_id: "u01".to_owned(),
        event_type: "view".to_owned(),
        event_time: "2026-01-01 09:00:00".to_owned(),
        amount: 0,
    };
    let _ = event;
    let _ = SpendByUser::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
