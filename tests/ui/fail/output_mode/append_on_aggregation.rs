// Append mode on a streaming aggregation without a watermark: every group can still change,
// so Spark (and Rill) reject it.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in"))
        .append()
        .to(MemorySink::named("spend_by_user"))
        .trigger(Trigger::AvailableNow)
        .start();
}
