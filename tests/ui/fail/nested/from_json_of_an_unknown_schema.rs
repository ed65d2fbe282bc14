// `from_json` parses into a schema declared in the same `stream!`.
rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Event { id: i64, payload: Option<String> }

    query Parsed(events: Event) {
        events.select(id, device = from_json(payload, Devise))
    }
}

fn main() {}
