// A schema without columns.
use rill::prelude::*;

rill::stream! {
    schema Event {}

    query SpendByUser(raw: Event) {
        raw.agg(events = count())
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in")).complete().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
