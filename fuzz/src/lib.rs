//! What Rill's fuzz targets share.
//!
//! `stream-macros` is a proc-macro crate: nothing outside a compiler can link it. So its stage
//! modules are compiled here as modules of this crate, declared exactly as in
//! `stream-macros/src/lib.rs` (which makes their `crate::` paths resolve), and [`expand`] runs
//! the macro's own `expand::expand` on any tokens. proc_macro2 runs on its fallback
//! implementation outside a compiler, which checks identifiers and literals as the compiler's
//! would. When `stream-macros/src/lib.rs` gains a module, add it below (the build says which
//! `crate::..` path it cannot find).

#![allow(dead_code, reason = "the macro's modules hold items only its unit tests use")]

pub mod decoders;

#[path = "../../stream-macros/src/codegen/mod.rs"]
mod codegen;
#[path = "../../stream-macros/src/diag.rs"]
mod diag;
#[path = "../../stream-macros/src/expand.rs"]
mod expand;
#[path = "../../stream-macros/src/fallback.rs"]
mod fallback;
#[path = "../../stream-macros/src/ir.rs"]
mod ir;
#[path = "../../stream-macros/src/parse/mod.rs"]
mod parse;
#[path = "../../stream-macros/src/plan/mod.rs"]
mod plan;
#[path = "../../stream-macros/src/schema.rs"]
mod schema;
#[path = "../../stream-macros/src/state_lock.rs"]
mod state_lock;
#[path = "../../stream-macros/src/time_literals.rs"]
mod time_literals;
#[path = "../../stream-macros/src/typecheck/mod.rs"]
mod typecheck;
#[path = "../../stream-macros/src/types.rs"]
mod types;

use proc_macro2::TokenStream;

/// Expands the body of `stream! { .. }` as the macro does.
pub fn expand(input: &TokenStream) -> TokenStream {
    expand::expand_in(input, None)
}

/// Runs the macro on `text` as the body of `stream! { .. }` and checks that what it returns is
/// something a compiler accepts as items: panics (a fuzz crash) when the macro panics or
/// returns tokens that are not Rust items. Text that does not lex as Rust tokens is skipped,
/// as the compiler rejects it before the macro runs.
pub fn expand_and_check(text: &str) {
    let Ok(input) = text.parse::<TokenStream>() else {
        return;
    };
    // The macro runs on this thread's stack (8 MiB, as rustc's main thread), so deep
    // recursion in the macro is a crash here as it would be in rustc.
    let output = expand(&input).to_string();
    // The check runs on a thread with a large stack: syn's parser recurses once per level
    // of a nested expression, and `- - - .. a` or `a + a + .. + a` a few thousand deep
    // overflows 8 MiB in syn, where rustc's own parser grows its stack instead.
    let check = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || check_items(&output))
        .expect("a checking thread starts");
    if let Err(panic) = check.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Panics unless `expansion` (printed tokens) lexes again and parses as Rust items.
fn check_items(expansion: &str) {
    // What the compiler receives is the expansion as tokens; printed and lexed again, it must
    // still be tokens (a literal or identifier the macro built by hand could fail here).
    if let Err(error) = expansion.parse::<TokenStream>() {
        panic!("the expansion does not lex again: {error}\n--- expansion:\n{expansion}");
    }
    if let Err(error) = syn::parse_str::<syn::File>(expansion) {
        panic!("the expansion is not Rust items: {error}\n--- expansion:\n{expansion}");
    }
}

/// Splits fuzz bytes into named files, for targets that read a directory of log files.
///
/// A line `== <name>` starts a file named `<name>`; its contents are the bytes up to the next
/// such line (without the newline before it). Bytes before the first header line form a file
/// named `0`. A header whose name is not UTF-8 names a file `?` (the readers skip names that
/// are not UTF-8 as they do on disk).
///
/// ```text
/// == 9.compact
/// v1
/// {"path":"file:///out/part-00000.parquet","action":"add"}
/// == 10
/// v1
/// ```
#[must_use]
pub fn split_files(data: &[u8]) -> Vec<(&str, &[u8])> {
    const HEADER: &[u8] = b"== ";
    let mut files = Vec::new();
    // The file being read: its name and where its contents start.
    let mut current: Option<(&str, usize)> = None;
    let mut line_start = 0;
    loop {
        let line_end = data[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |p| line_start + p);
        if let Some(header) = data[line_start..line_end].strip_prefix(HEADER) {
            // The file before ends at the newline before this header.
            let before_header = line_start.saturating_sub(1);
            match current {
                Some((name, start)) => files.push((name, &data[start..before_header.max(start)])),
                None if line_start > 0 => files.push(("0", &data[..before_header])),
                None => {}
            }
            let name = std::str::from_utf8(header).unwrap_or("?");
            current = Some((name, (line_end + 1).min(data.len())));
        }
        if line_end == data.len() {
            break;
        }
        line_start = line_end + 1;
    }
    match current {
        Some((name, start)) => files.push((name, &data[start..])),
        None => files.push(("0", data)),
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_files_reads_headers() {
        assert_eq!(split_files(b""), [("0", &b""[..])]);
        assert_eq!(split_files(b"v1\nx"), [("0", &b"v1\nx"[..])]);
        assert_eq!(
            split_files(b"== 9.compact\nv1\nrec\n== 10\nv1\n"),
            [("9.compact", &b"v1\nrec"[..]), ("10", &b"v1\n"[..])]
        );
        assert_eq!(split_files(b"a\n== 1"), [("0", &b"a"[..]), ("1", &b""[..])]);
        assert_eq!(split_files(b"== 1\n== 2"), [("1", &b""[..]), ("2", &b""[..])]);
        assert_eq!(split_files(b"== \xff\n"), [("?", &b""[..])]);
    }

    #[test]
    fn the_seed_query_expands_to_items() {
        expand_and_check("schema E { a: i64 } query Q(raw: E) { raw.group_by(a).agg(n = count()) }");
    }
}
