// Arrays of arrays of arrays are not supported yet: said at the type.

rill::stream! {
    schema Matrix { id: i64, rows: Vec<Vec<Vec<f64>>> }

    query Rows(events: Matrix) {
        events.select(id, rows)
    }
}

fn main() {}
