//! Stage after `plan`: compares each query's state with the lock file its `stream!` names
//! (`state_lock "file";`), and records it there when asked (`RILL_UPDATE_STATE_LOCK=1`).
//!
//! A checkpoint of a deployed query can be resumed only by a query whose state has the same
//! shape (the runtime checks it at `start()`). The lock makes that a build error instead, as
//! `Cargo.lock` pins dependencies: the file, committed beside the code, records each query's
//! state — its operator, keys and accumulators or buffered columns, with their types — and a
//! change to it fails the build, spanned on the query, until the lock is updated on purpose.
//!
//! ```text
//! # State of the queries of a `stream!`, written by Rill. A change here means that checkpoints
//! # of the deployed queries cannot be resumed. Update: RILL_UPDATE_STATE_LOCK=1 cargo build
//! SpendByUser: aggregation by (user_id: String) of (count() -> i64, sum(f64) -> f64)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, LitStr};

use crate::diag::Diagnostics;
use crate::ir::{Plan, VarId};

/// The environment variable that makes `stream!` record its queries' state in the lock file.
const UPDATE: &str = "RILL_UPDATE_STATE_LOCK";

const HEADER: &str = "# State of the queries of a `stream!`, written by Rill. A change here means that checkpoints\n# of the deployed queries cannot be resumed. Update: RILL_UPDATE_STATE_LOCK=1 cargo build\n";

/// The shape of the state `plan` keeps, one line of text; `stateless` when it keeps none.
pub(crate) fn state_shape(plan: &Plan) -> String {
    match &plan.upstream {
        // A chain keeps both stages' state; the stage nearer the sink is named first, as the
        // checkpoint orders them.
        Some(upstream) => format!("{}, after {}", stage_shape(plan), stage_shape(upstream)),
        None => stage_shape(plan),
    }
}

/// The shape of the state one stage of a query keeps.
fn stage_shape(plan: &Plan) -> String {
    let query = &plan.query;
    let var = |v: &VarId| format!("{}: {}", query.vars[*v].name, query.vars[*v].ty);
    let list = |items: Vec<String>| items.join(", ");
    if let Some(aggregate) = &query.aggregate {
        let operator = if aggregate.session.is_some() {
            "session window aggregation"
        } else {
            "aggregation"
        };
        let keys = list(aggregate.keys.iter().map(var).collect());
        let values = list(
            aggregate
                .accumulators
                .iter()
                .map(|a| {
                    let arg = a
                        .arg
                        .iter()
                        .chain(&a.second)
                        .map(|arg| arg.ty.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("{}({arg}) -> {}", a.func.name(), a.ty)
                })
                .collect(),
        );
        let dedup = query.dedup().map_or_else(String::new, |dedup| {
            format!(
                "deduplication by ({}), then ",
                list(dedup.keys.iter().map(var).collect())
            )
        });
        return format!("{dedup}{operator} by ({keys}) of ({values})");
    }
    if let Some(join) = query.stream_join() {
        let keys = list(join.keys.iter().map(|(left, _)| var(left)).collect());
        let side = |columns: &[(Ident, VarId)]| list(columns.iter().map(|(_, v)| var(v)).collect());
        return format!(
            "{} stream join by ({keys}) of left ({}) and right ({})",
            join.kind.spark_name(),
            side(&join.left.columns),
            side(&join.right.columns)
        );
    }
    if let Some(transform) = &query.transform {
        let operation = if transform.groups {
            "flat_map_groups_with_state"
        } else {
            "transform_with_state"
        };
        return format!(
            "{operation} by ({}) with `{}` reading `{}`",
            list(transform.keys.iter().map(var).collect()),
            transform.processor,
            transform.input
        );
    }
    if let Some(dedup) = query.dedup() {
        return format!("deduplication by ({})", list(dedup.keys.iter().map(var).collect()));
    }
    "stateless".to_owned()
}

/// The lock file's path: `file` relative to the directory of `source` (the file holding the
/// `stream!`), or to the crate's when the compiler does not say.
pub(crate) fn lock_path(file: &LitStr, source: Option<&Path>) -> PathBuf {
    let written = PathBuf::from(file.value());
    let base = source
        .and_then(Path::parent)
        .map(Path::to_owned)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
        .unwrap_or_default();
    // The compiler names source files relative to its working directory; `include_bytes!`
    // would read a relative path relative to the source file.
    let path = base.join(written);
    match std::env::current_dir() {
        Ok(dir) if path.is_relative() => dir.join(path),
        _ => path,
    }
}

/// The queries and shapes a lock file records.
fn parse_lock(text: &str) -> BTreeMap<&str, &str> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once(": "))
        .collect()
}

/// The text of a lock recording `shapes`.
fn lock_text(shapes: &[(Ident, String)]) -> String {
    let sorted: BTreeMap<String, &str> = shapes
        .iter()
        .map(|(name, shape)| (name.to_string(), shape.as_str()))
        .collect();
    let mut text = HEADER.to_owned();
    for (name, shape) in sorted {
        text.push_str(&format!("{name}: {shape}\n"));
    }
    text
}

/// Checks `shapes` (each query's name and state) against the lock at `path`, reporting each
/// query whose state is not the one it records; or, when `update` (the environment asks), writes
/// them there. Gives the tokens that make the compiler expand `stream!` again when the lock
/// changes.
pub(crate) fn check(
    file: &LitStr,
    path: &Path,
    shapes: &[(Ident, String)],
    update: bool,
    diagnostics: &Diagnostics,
) -> TokenStream {
    let help = format!(
        "help: if that is intended (the query starts on a new checkpoint), record its state: {UPDATE}=1 cargo build"
    );
    if update {
        if let Err(error) = std::fs::write(path, lock_text(shapes)) {
            diagnostics.error(
                file.span(),
                format!("cannot write the state lock `{}`: {error}", path.display()),
            );
        }
    } else {
        match std::fs::read_to_string(path) {
            Err(error) => diagnostics.error(
                file.span(),
                format!(
                    "cannot read the state lock `{}` (beside this file): {error}\nhelp: to record the state of these queries there, build once with {UPDATE}=1",
                    file.value()
                ),
            ),
            Ok(text) => {
                let recorded = parse_lock(&text);
                for (name, shape) in shapes {
                    let key = name.to_string();
                    match recorded.get(key.as_str()) {
                        Some(&was) if was == shape => {}
                        Some(&was) => diagnostics.error(
                            name.span(),
                            format!(
                                "the state of query `{name}` is not the state `{}` records, so a checkpoint of the deployed query cannot be resumed by this one\nnote: recorded: {was}\nnote: now:      {shape}\n{help}",
                                file.value()
                            ),
                        ),
                        None => diagnostics.error(
                            name.span(),
                            format!(
                                "query `{name}` is not in the state lock `{}`\n{help}",
                                file.value()
                            ),
                        ),
                    }
                }
            }
        }
    }
    // Read at compile time, so that a change to the lock expands `stream!` again.
    match path.to_str() {
        Some(path) if path.len() < 4096 && Path::new(path).exists() => quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        ),
        _ => TokenStream::new(),
    }
}

/// Whether the environment asks to record the state in the lock.
pub(crate) fn update_requested() -> bool {
    std::env::var_os(UPDATE).is_some_and(|value| value == "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::format_ident;

    fn shapes(source: &str) -> Vec<(Ident, String)> {
        let parsed = crate::parse::parse(source.parse().unwrap()).unwrap();
        let diagnostics = Diagnostics::new();
        let schemas = crate::schema::resolve(&parsed.schemas, &diagnostics);
        parsed
            .queries
            .iter()
            .map(|decl| {
                let typed =
                    crate::typecheck::check_query(decl, &schemas, &diagnostics).unwrap_or_else(|_| panic!("{source}"));
                (decl.name.clone(), state_shape(&crate::plan::plan(typed)))
            })
            .collect()
    }

    #[test]
    fn each_operator_s_state_is_described_by_its_keys_and_values() {
        let found = shapes(
            r#"
            schema E { id: String, user_id: String, amount: f64, at: Timestamp }
            query A(raw: E) { raw.group_by(user_id).agg(n = count(), total = round(sum(amount), 2)) }
            query D(raw: E) { raw.drop_duplicates(id) }
            query S(raw: E) { raw.filter(amount > 1.0).select(id) }
            "#,
        );
        let text: Vec<String> = found.iter().map(|(name, shape)| format!("{name}: {shape}")).collect();
        assert_eq!(
            text,
            [
                "A: aggregation by (user_id: String) of (count() -> i64, sum(f64) -> f64)",
                "D: deduplication by (id: String)",
                "S: stateless",
            ]
        );
    }

    #[test]
    fn a_changed_or_missing_query_is_reported_and_an_update_records_the_lock() {
        let dir = std::env::temp_dir().join(format!("rill-state-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("q.lock");
        let file: LitStr = syn::parse_quote!("q.lock");
        let (a, b) = (format_ident!("A"), format_ident!("B"));
        let diagnostics = Diagnostics::new();
        check(&file, &path, &[(a.clone(), "stateless".into())], true, &diagnostics);
        assert!(diagnostics.finish().is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# State of the queries") && text.ends_with("A: stateless\n"),
            "{text}"
        );

        let diagnostics = Diagnostics::new();
        check(
            &file,
            &path,
            &[(a, "aggregation by ()".into()), (b, "stateless".into())],
            false,
            &diagnostics,
        );
        let errors = diagnostics.finish().unwrap().to_string();
        assert!(
            errors.contains("the state of query `A` is not the state `q.lock` records"),
            "{errors}"
        );
        assert!(
            errors.contains("query `B` is not in the state lock `q.lock`"),
            "{errors}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
