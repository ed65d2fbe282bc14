//! Snapshots of what `stream!` generates for each example program, so that a reviewer reads
//! the generated code as a file in the repository (`src/snapshots/`), on stable Rust, and
//! every change to it shows in a diff.
//!
//! After a deliberate change to the generated code, rewrite the snapshots with
//! `INSTA_UPDATE=always cargo test -p stream-macros expansion` and review `git diff`.

use std::path::Path;

use proc_macro2::TokenStream;

/// The bodies of the `stream! { .. }` invocations in the source file at `path`.
fn stream_invocations(path: &Path) -> Vec<TokenStream> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    file.items
        .into_iter()
        .filter_map(|item| match item {
            syn::Item::Macro(item) if item.mac.path.segments.last().is_some_and(|s| s.ident == "stream") => {
                Some(item.mac.tokens)
            }
            _ => None,
        })
        .collect()
}

/// The expansion of every `stream!` in example `name`, pretty-printed.
fn expansion_of_example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(format!("{name}.rs"));
    let invocations = stream_invocations(&path);
    assert!(!invocations.is_empty(), "{} has no `stream!`", path.display());
    invocations
        .iter()
        .map(|tokens| {
            let expanded = crate::expand::expand(tokens);
            let file: syn::File = syn::parse2(expanded).expect("the expansion parses as a file");
            prettyplease::unparse(&file)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn expansion_of_structured_streaming() {
    insta::assert_snapshot!(expansion_of_example("structured_streaming"));
}

#[test]
fn expansion_of_checkpoint_cost() {
    insta::assert_snapshot!(expansion_of_example("checkpoint_cost"));
}
