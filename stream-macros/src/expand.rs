//! The driver: parse → resolve & type-check → plan → codegen, with errors collected and
//! a typed fallback for whatever failed.

use std::collections::HashSet;

use proc_macro2::TokenStream;

use crate::diag::Diagnostics;
use crate::{codegen, fallback, parse, plan, schema, state_lock, typecheck};

/// Expands the body of `stream! { .. }`, for tests: as written in no file.
#[cfg(test)]
pub(crate) fn expand(input: &TokenStream) -> TokenStream {
    expand_in(input, None)
}

/// Expands the body of `stream! { .. }` written in the file `source` (what a `state_lock` path
/// is relative to).
pub(crate) fn expand_in(input: &TokenStream, source: Option<&std::path::Path>) -> TokenStream {
    let parsed = match parse::parse(input.clone()) {
        Ok(parsed) => parsed,
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(fallback::stubs_from_tokens(input));
            return out;
        }
    };
    let diagnostics = Diagnostics::new();
    let mut output = TokenStream::new();

    let schemas = schema::resolve(&parsed.schemas, &diagnostics);
    // Schemas whose declaration had errors get a stub, and queries over them are not checked,
    // so a bad column type is reported once rather than again at every use of the column.
    let broken_schemas: HashSet<String> = parsed
        .schemas
        .iter()
        .filter(|decl| {
            decl.fields.is_empty()
                || schemas
                    .iter()
                    .find(|s| s.name == decl.name)
                    .is_none_or(|s| s.fields.len() != decl.fields.len())
        })
        .map(|decl| decl.name.to_string())
        .collect();
    let mut seen_queries: HashSet<String> = schemas.iter().map(|s| s.name.to_string()).collect();
    let mut state_shapes = Vec::new();
    // The schemas a query reads with `from_json`: their decoders are generated with them.
    let mut json_schemas: HashSet<String> = HashSet::new();
    // The types `struct(..)` makes, each emitted once.
    let mut anonymous = Vec::new();
    for decl in &parsed.queries {
        let name = decl.name.to_string();
        if !seen_queries.insert(name.clone()) {
            diagnostics.error(
                decl.name.span(),
                format!("`{name}` is declared twice in this `stream!`\nhelp: give each schema and query its own name"),
            );
            continue;
        }
        let checked = if decl
            .inputs
            .iter()
            .any(|input| broken_schemas.contains(&input.schema.to_string()))
        {
            Err(Vec::new())
        } else {
            typecheck::check_query(decl, &schemas, &diagnostics)
        };
        match checked {
            Ok(typed) => {
                json_schemas.extend(typed.json_schemas.iter().cloned());
                let planned = plan::plan(typed);
                for fields in codegen::anonymous_structs(&planned) {
                    if !anonymous.contains(&fields) {
                        anonymous.push(fields);
                        output.extend(codegen::anonymous_struct(fields));
                    }
                }
                state_shapes.push((decl.name.clone(), state_lock::state_shape(&planned)));
                output.extend(codegen::query(&planned));
            }
            Err(outputs) => {
                let statics: Vec<bool> = decl.inputs.iter().map(|input| input.is_static).collect();
                output.extend(fallback::query_stub(&decl.name, &statics, &outputs));
            }
        }
    }
    let mut emitted = HashSet::new();
    // A schema declared twice is reported by `resolve`; only the first declaration is emitted.
    for decl in parsed
        .schemas
        .iter()
        .filter(|decl| emitted.insert(decl.name.to_string()))
    {
        let resolved = schemas.iter().find(|s| s.name == decl.name);
        output.extend(match resolved {
            Some(schema) if !broken_schemas.contains(&schema.name.to_string()) => {
                codegen::schema(schema, json_schemas.contains(&schema.name.to_string()))
            }
            _ => fallback::schema_stub(decl, resolved),
        });
    }
    if let Some(file) = &parsed.state_lock {
        let path = state_lock::lock_path(file, source);
        output.extend(state_lock::check(
            file,
            &path,
            &state_shapes,
            state_lock::update_requested(),
            &diagnostics,
        ));
    }
    if let Some(errors) = diagnostics.finish() {
        output.extend(errors);
    }
    output
}
