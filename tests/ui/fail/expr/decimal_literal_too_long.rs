// A decimal literal with more than 38 digits.
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal<10, 2> }

    query Q(raw: Sale) {
        raw.select(id, total = price + 1234567890123456789012345678901234567890.5bd)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
