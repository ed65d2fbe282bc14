// Field access on a column that is not a struct.
rill::stream! {
    schema Event { id: i64, device: String }

    query Systems(events: Event) {
        events.select(id, os = device.os)
    }
}

fn main() {}
