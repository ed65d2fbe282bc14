// A misspelled grouping key, with the intended key used correctly after `agg`: only the
// misspelling should be reported, not the later (correct) use of `user_id`.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(usr_id)
           .agg(events = count(), total_amount = sum(amount))
           .filter(user_id != "anonymous")
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
