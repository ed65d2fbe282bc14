// The state lock beside this file records `Totals` summing amounts; the query now averages them,
// so a checkpoint of the deployed query could not be resumed: the build fails on the query.
use rill::prelude::*;

rill::stream! {
    state_lock "changed_state.lock";

    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), average = avg(amount))
    }
}

fn main() {
    let _ = Totals::read(JsonSource::new("in")).update().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
