// The corrupt-record column receives a malformed record's text, or null: it must be `Option<String>`.
use rill::prelude::*;

rill::stream! {
    schema Event { user_id: String, amount: f64, _corrupt_record: String }

    query Bad(raw: Event) {
        raw.select(user_id, _corrupt_record)
    }
}

fn main() {
    let _ = Bad::read(JsonSource::new("in")).append().to(MemorySink::named("t")).start();
}
