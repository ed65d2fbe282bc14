// `array_contains` looks for a value of the elements' type.

rill::stream! {
    schema Scores { id: i64, scores: Vec<i32> }

    query HasPerfect(events: Scores) {
        events.select(id, perfect = array_contains(scores, "100"))
    }
}

fn main() {}
