// A generator as a grouping key: explode first, then group.

rill::stream! {
    schema Tagged { id: i64, tags: Vec<String> }

    query PerTag(events: Tagged) {
        events.group_by(tag = explode(tags)).agg(n = count())
    }
}

fn main() {}
