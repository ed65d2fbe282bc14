// Decimal needs its precision and scale in the schema (Spark's bare decimal is decimal(10,0), a common surprise).
use rill::prelude::*;

rill::stream! {
    schema Sale { id: i32, price: Decimal }

    query Q(raw: Sale) {
        raw.select(id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
