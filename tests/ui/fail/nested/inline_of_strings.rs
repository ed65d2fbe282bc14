// `inline` makes rows of the structs of an array of structs; an array of values is exploded.
rill::stream! {
    schema Tagged { id: i64, tags: Vec<String> }

    query Tags(events: Tagged) {
        events.select(id, inline(tags))
    }
}

fn main() {}
