// Several mistakes in one query: all are reported in one build, each on its own token.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.filter(amout > 1.0 && event_type == 'p')
           .with_column(day = to_dat(event_time))
           .group_by(usr_id)
           .agg(total = sum(user_id), n = rount(count()), biggest = max(sum(amount)), kind = event_type)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
