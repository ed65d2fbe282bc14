// A state lock named but not written yet: the build says how to record it.
use rill::prelude::*;

rill::stream! {
    state_lock "missing.lock";

    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }
}

fn main() {
    let _ = Totals::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
