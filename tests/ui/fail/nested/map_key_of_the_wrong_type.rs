// A map's keys are strings: looking one up with a number is refused.
rill::stream! {
    schema Event { id: i64, properties: Option<Map<String, String>> }

    query Campaigns(events: Event) {
        events.select(id, first = properties[1])
    }
}

fn main() {}
