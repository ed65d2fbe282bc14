// Decimal arithmetic needs numbers: text must be cast first.
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal<10, 2>, note: String }

    query Q(raw: Sale) {
        raw.select(id, total = price + note)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
