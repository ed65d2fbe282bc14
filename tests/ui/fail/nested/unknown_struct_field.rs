// A field a struct does not have: the closest one is suggested.
rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Event { id: i64, device: Option<Device> }

    query Systems(events: Event) {
        events.select(id, version = device.verison)
    }
}

fn main() {}
