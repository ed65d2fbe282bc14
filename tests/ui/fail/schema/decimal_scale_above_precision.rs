// The scale counts digits of the precision, so it cannot exceed it.
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal<5, 6> }

    query Q(raw: Sale) {
        raw.select(id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
