// A query the state lock does not record yet: its state is recorded on purpose, like the others'.
use rill::prelude::*;

rill::stream! {
    state_lock "query_not_in_lock.lock";

    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }

    query Largest(raw: Event) {
        raw.group_by(user_id).agg(largest = max(amount))
    }
}

fn main() {
    let _ = Largest::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
    let _ = Totals::read(JsonSource::new("in")).update().to(MemorySink::named("u")).trigger(Trigger::AvailableNow).start();
}
