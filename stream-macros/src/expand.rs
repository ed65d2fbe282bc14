//! The driver: parse → resolve & type-check → plan → codegen, with errors collected and
//! a typed fallback for whatever failed.

use std::collections::HashSet;

use proc_macro2::TokenStream;

use crate::diag::Diagnostics;
use crate::{codegen, fallback, parse, plan, schema, typecheck};

/// Expands the body of `stream! { .. }`.
pub(crate) fn expand(input: &TokenStream) -> TokenStream {
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
    // Schemas whose declaration had errors: queries over them are not checked, so a bad
    // column type is reported once rather than again at every use of the column.
    let broken_schemas: HashSet<String> = if diagnostics.has_errors() {
        parsed
            .schemas
            .iter()
            .filter(|decl| {
                schemas
                    .iter()
                    .find(|s| s.name == decl.name)
                    .is_none_or(|s| s.fields.len() != decl.fields.len())
            })
            .map(|decl| decl.name.to_string())
            .collect()
    } else {
        HashSet::new()
    };
    for schema in &schemas {
        output.extend(if broken_schemas.contains(&schema.name.to_string()) {
            fallback::row_stub(&schema.name)
        } else {
            codegen::schema(schema)
        });
    }

    let mut seen_queries: HashSet<String> = schemas.iter().map(|s| s.name.to_string()).collect();
    for decl in &parsed.queries {
        let name = decl.name.to_string();
        if !seen_queries.insert(name.clone()) {
            diagnostics.error(
                decl.name.span(),
                format!(
                    "`{name}` is declared twice in this `stream!`\n       help: give each schema and query its own name"
                ),
            );
            continue;
        }
        let checked = if broken_schemas.contains(&decl.schema.to_string()) {
            None
        } else {
            typecheck::check_query(decl, &schemas, &diagnostics)
        };
        match checked {
            Some(typed) => output.extend(codegen::query(&plan::plan(typed))),
            None => output.extend(fallback::query_stub(&decl.name)),
        }
    }
    if let Some(errors) = diagnostics.finish() {
        output.extend(errors);
    }
    output
}
