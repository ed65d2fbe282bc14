// A type argument on a type that takes none.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64<u8> }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
