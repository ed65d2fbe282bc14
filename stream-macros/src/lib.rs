//! The `stream!` procedural macro of Rill.
//!
//! Use it through the `rill` crate, which documents the language. This crate is a thin shell:
//! [`stream`] hands its tokens to the stages below, which all work on `proc_macro2` tokens so
//! they can be unit-tested without a compiler:
//!
//! 1. `parse` — syntax only;
//! 2. `schema` and `typecheck` — names, types and Spark's analysis rules: the typed query;
//! 3. `plan` — pruning, output modes, pushdown, the stateful operator, `explain()` text and
//!    fingerprint: the physical plan;
//! 4. `codegen` — the Rust items;
//! 5. `state_lock` — each query's state against the lock file a `stream!` names, if any.
//!
//! Stages 2–4 share one data-only IR (`ir`), and each imports only from the stages before it.

mod codegen;
mod diag;
mod expand;
mod fallback;
mod ir;
mod parse;
mod plan;
mod schema;
mod state_lock;
mod time_literals;
mod typecheck;
mod types;

#[cfg(test)]
mod expansion_snapshots;
#[cfg(test)]
mod never_panics;
#[cfg(test)]
mod tests;

/// Declares schemas and compiles streaming queries over them. See the `rill` crate.
#[proc_macro]
pub fn stream(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let source = proc_macro::Span::call_site().local_file();
    expand::expand_in(&input.into(), source.as_deref()).into()
}
