// Structs are not compared yet: compare their fields.
rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Event { id: i64, device: Device, previous: Device }

    query Changed(events: Event) {
        events.filter(device != previous).select(id)
    }
}

fn main() {}
