// A column type Rill has no Arrow mapping for. The query over the schema is not checked, so the error is reported once.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, retries: u8, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
