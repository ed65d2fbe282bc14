//! What the macro emits next to its errors: stubs with the same public items (schema row
//! structs, query types with `read`, every output-mode marker), so user code that uses them
//! still type-checks and rustc reports only our errors (thiserror's `fallback.rs` habit).

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::codegen::{owned_type, row_name};
use crate::parse::{SchemaDecl, TypeDecl};
use crate::schema::Schema;
use crate::typecheck::PartialOutputs;

/// Rust types a user may write for a column that Rill does not support: the stub keeps them,
/// so code building the row with such a field still type-checks.
const RUST_TYPES: [&str; 15] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i128", "isize", "f32", "char", "String", "i32", "i64",
];

fn written_type(ty: &TypeDecl) -> TokenStream {
    let name = &ty.name;
    match &ty.argument {
        Some(inner) if name == "Option" => {
            let inner = written_type(inner);
            quote!(::core::option::Option<#inner>)
        }
        None if RUST_TYPES.contains(&name.to_string().as_str()) => quote!(#name),
        _ => failed_column(),
    }
}

/// The type of a column whose definition failed: usable in the program's arithmetic,
/// comparisons and formatting, so they add no errors of their own.
fn failed_column() -> TokenStream {
    quote!(::rill::__private::core::failed_column::FailedColumn)
}

/// The stub of a schema with errors: every declared column, with its type where it is known.
pub(crate) fn schema_stub(decl: &SchemaDecl, resolved: Option<&Schema>) -> TokenStream {
    let mut seen = HashSet::new();
    let fields: Vec<(Ident, TokenStream)> = decl
        .fields
        .iter()
        .filter(|field| seen.insert(field.name.to_string()))
        .map(|field| {
            let known = resolved
                .and_then(|s| s.fields.iter().find(|f| f.name == field.name))
                .map(|f| owned_type(f.ty));
            (field.name.clone(), known.unwrap_or_else(|| written_type(&field.ty)))
        })
        .collect();
    row_stub(&decl.name, &fields)
}

/// A stub row struct with the given fields; its conversions are unreachable.
pub(crate) fn row_stub(name: &Ident, fields: &[(Ident, TokenStream)]) -> TokenStream {
    let core = quote!(::rill::__private::core);
    let arrow = quote!(::rill::__private::arrow_array);
    let names = fields.iter().map(|(name, _)| name);
    let types = fields.iter().map(|(_, ty)| ty);
    quote! {
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        pub struct #name { #(pub #names: #types,)* }

        #[automatically_derived]
        impl #core::plan::Row for #name {
            fn schema() -> ::rill::__private::arrow_schema::SchemaRef {
                ::core::unreachable!("`stream!` reported errors")
            }
            fn from_batch(_: &#arrow::RecordBatch) -> #core::Result<::std::vec::Vec<Self>> {
                ::core::unreachable!("`stream!` reported errors")
            }
            fn to_batch(_: &[Self]) -> #core::Result<#arrow::RecordBatch> {
                ::core::unreachable!("`stream!` reported errors")
            }
        }
    }
}

/// A stub query type implementing every trait a real one may; its output row has the
/// columns the type checker resolved (a column whose type is unknown is a `FailedColumn`).
/// `statics` says, for each input in the order of the signature, whether it is a static table.
pub(crate) fn query_stub(name: &Ident, statics: &[bool], outputs: &PartialOutputs) -> TokenStream {
    // Named by position: the declared names may be what was wrong (one name twice).
    let inputs: Vec<Ident> = (0..statics.len())
        .map(|index| format_ident!("source{}", index))
        .collect();
    // A static table's schema may be what was wrong: the stub takes any value there.
    let params = inputs.iter().zip(statics).map(|(input, is_static)| {
        if *is_static {
            quote!(#input: impl ::core::marker::Sized)
        } else {
            quote!(#input: impl ::rill::__private::core::source::Source)
        }
    });
    let sources: Vec<&Ident> = inputs
        .iter()
        .zip(statics)
        .filter(|(_, s)| !**s)
        .map(|(i, _)| i)
        .collect();
    let tables: Vec<&Ident> = inputs
        .iter()
        .zip(statics)
        .filter(|(_, s)| **s)
        .map(|(i, _)| i)
        .collect();
    let core = quote!(::rill::__private::core);
    let arrow = quote!(::rill::__private::arrow_array);
    let row = row_name(name);
    let fields: Vec<(Ident, TokenStream)> = outputs
        .iter()
        .map(|(field, ty)| (field.clone(), ty.map_or_else(failed_column, owned_type)))
        .collect();
    let row_item = row_stub(&row, &fields);
    let unreachable = quote!(::core::unreachable!("`stream!` reported errors"));
    let item = quote_spanned!(name.span()=> pub struct #name {});
    quote! {
        #row_item

        #item

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #unreachable
            }
        }

        impl #name {
            pub fn read(#(#params),*) -> #core::DataStreamWriter<Self> {
                #(let _ = #tables;)*
                #core::DataStreamWriter::from_sources(::std::vec![#(::std::boxed::Box::new(#sources) as ::std::boxed::Box<dyn #core::source::AnySource>),*])
            }
            pub fn explain() -> &'static str {
                #unreachable
            }
        }

        #[automatically_derived]
        impl #core::plan::StreamPlan for #name {
            type Output = #row;
            type LateRow = #core::plan::NoRows;
            fn facts() -> #core::plan::PlanFacts { #unreachable }
            fn create() -> Self { #unreachable }
            fn run_batch_stream(&mut self, _: &mut [#core::plan::InputBatches<'_>], _: #core::OutputMode, _: &mut #core::plan::BatchContext) -> #core::Result<#arrow::RecordBatch> { #unreachable }
            fn state_operators(&self) -> ::std::vec::Vec<#core::plan::OperatorReport> { #unreachable }
            fn stateful_operators(&mut self) -> ::std::vec::Vec<&mut dyn #core::operator::StatefulOperator> { #unreachable }
        }
        impl #core::plan::SupportsAppend for #name {}
        impl #core::plan::SupportsUpdate for #name {}
        impl #core::plan::SupportsComplete for #name {}
        impl #core::plan::KeepsLateRows for #name {}
    }
}

/// When the input does not even parse: find `schema Name` and `query Name` by scanning the
/// top-level tokens, and stub those.
/// Only names that can name a struct (not `true`, `fn`, `_`), each once.
pub(crate) fn stubs_from_tokens(tokens: &TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = TokenStream::new();
    let mut seen = HashSet::new();
    for pair in trees.windows(2) {
        if let [TokenTree::Ident(keyword), TokenTree::Ident(name)] = pair {
            let mut usable = || syn::parse2::<Ident>(quote!(#name)).is_ok() && seen.insert(name.to_string());
            if keyword == "schema" && usable() {
                out.extend(row_stub(name, &[]));
            } else if keyword == "query" && usable() {
                out.extend(query_stub(name, &[false], &Vec::new()));
            }
        }
    }
    out
}
