// A JSON map's keys are strings, as Spark reads them.
rill::stream! {
    schema Event { id: i64, counts: Map<i32, i64> }

    query Counts(events: Event) {
        events.select(id, counts)
    }
}

fn main() {}
