// A generator inside another expression: Spark's UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS.

rill::stream! {
    schema Line { line: String }

    query Words(lines: Line) {
        lines.select(word = upper(explode(split(line, " "))))
    }
}

fn main() {}
