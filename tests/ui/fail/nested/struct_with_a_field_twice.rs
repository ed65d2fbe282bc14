// `struct(..)` fields are named by their columns: two of one name are refused.
rill::stream! {
    schema Event { id: i64, user_id: String }

    query Pairs(events: Event) {
        events.select(id, pair = struct(user_id, user_id))
    }
}

fn main() {}
