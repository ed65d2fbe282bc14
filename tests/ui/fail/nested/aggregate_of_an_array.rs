// Aggregates take scalars; an array's elements are aggregated after `explode`.

rill::stream! {
    schema Scores { id: i64, scores: Vec<i32> }

    query Best(events: Scores) {
        events.group_by(id).agg(best = max(scores))
    }
}

fn main() {}
