// `explode` takes an array; a string must be split first.

rill::stream! {
    schema Line { line: String }

    query Words(lines: Line) {
        lines.select(word = explode(line))
    }
}

fn main() {}
