// A cast to a decimal wider than 38 digits.
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal<10, 2> }

    query Q(raw: Sale) {
        raw.select(id, wide = cast(price, "decimal(50,2)"))
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
