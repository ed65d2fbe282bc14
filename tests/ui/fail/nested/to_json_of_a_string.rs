// `to_json` writes a struct, an array or a map.
rill::stream! {
    schema Event { id: i64, payload: Option<String> }

    query Written(events: Event) {
        events.select(id, json = to_json(payload))
    }
}

fn main() {}
