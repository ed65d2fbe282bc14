// A generator in a filter: Spark's UNSUPPORTED_GENERATOR.OUTSIDE_SELECT.

rill::stream! {
    schema Tagged { id: i64, tags: Vec<String> }

    query Alerts(events: Tagged) {
        events.filter(explode(tags) == "alert").select(id)
    }
}

fn main() {}
