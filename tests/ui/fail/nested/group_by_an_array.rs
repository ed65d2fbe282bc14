// Grouping by an array column is not supported yet.

rill::stream! {
    schema Tagged { id: i64, tags: Vec<String> }

    query PerTags(events: Tagged) {
        events.group_by(tags).agg(n = count())
    }
}

fn main() {}
