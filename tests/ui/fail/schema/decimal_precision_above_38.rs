// A decimal holds at most 38 digits (Spark's DecimalType.MAX_PRECISION).
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal<40, 2> }

    query Q(raw: Sale) {
        raw.select(id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
