// A struct column cannot hold its own schema: its values would have no end.
rill::stream! {
    schema Node { id: i64, parent: Option<Node> }

    query Nodes(nodes: Node) {
        nodes.select(id)
    }
}

fn main() {}
