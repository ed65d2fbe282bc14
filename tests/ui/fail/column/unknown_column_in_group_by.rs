// A misspelled column in `group_by`: the error names the stream's columns and suggests the closest one.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.group_by(usr_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
