//! Compile-time UI tests of `rill::stream!`: every mistake a user can make in a `stream!`
//! block must be reported by the macro itself (or by the `#[diagnostic::on_unimplemented]`
//! messages of the output-mode traits), on the offending token, with no follow-on rustc
//! errors; and valid programs must compile.
//!
//! - `tests/ui/fail/<category>/<mistake>.rs`: one mistake per file (except
//!   `query/several_mistakes.rs`), each a complete program that would otherwise compile and
//!   start the query, next to the expected compiler output in `<mistake>.stderr`.
//! - `tests/ui/pass/*.rs`: programs that must compile (and run without panicking).
//!
//! The snapshots depend on the exact rustc version, so the test only runs on the pinned
//! toolchain (see `rust-toolchain.toml`).
//!
//! To regenerate the snapshots after changing a message or adding a case:
//!
//! ```text
//! TRYBUILD=overwrite cargo test --test ui
//! ```
//!
//! then review the diff of `tests/ui/**/*.stderr` (`git diff tests/ui`) before committing:
//! every `.stderr` must show only Rill's own errors, each pointing at the offending token.

#[rustversion::attr(not(stable(1.95)), ignore = "stderr snapshots are pinned to Rust 1.95")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
