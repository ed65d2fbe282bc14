// Grouping by a struct column is not supported yet: group by its fields.
rill::stream! {
    schema Device { os: Option<String>, version: Option<i32> }
    schema Event { id: i64, device: Option<Device> }

    query PerDevice(events: Event) {
        events.group_by(device).agg(n = count())
    }
}

fn main() {}
