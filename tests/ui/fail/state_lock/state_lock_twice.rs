// Two state locks in one `stream!`: its queries' state is recorded in one file.
use rill::prelude::*;

rill::stream! {
    state_lock "a.lock";
    state_lock "b.lock";

    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }
}

fn main() {
    let _ = Totals::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
