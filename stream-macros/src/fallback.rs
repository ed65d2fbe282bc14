//! What the macro emits next to its errors: stubs with the same public items (schema row
//! structs, query types with `read`, every output-mode marker), so user code that uses them
//! still type-checks and rustc reports only our errors (thiserror's `fallback.rs` habit).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::Ident;

use crate::codegen::row_name;

/// A stub row struct: no columns, conversions unreachable.
pub(crate) fn row_stub(name: &Ident) -> TokenStream {
    let core = quote!(::rill::__private::core);
    let arrow = quote!(::rill::__private::arrow_array);
    quote! {
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        pub struct #name {}

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

/// A stub query type implementing every trait a real one may.
pub(crate) fn query_stub(name: &Ident) -> TokenStream {
    let core = quote!(::rill::__private::core);
    let arrow = quote!(::rill::__private::arrow_array);
    let row = row_name(name);
    let row_item = row_stub(&row);
    let unreachable = quote!(::core::unreachable!("`stream!` reported errors"));
    quote! {
        #row_item

        pub struct #name {}

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #unreachable
            }
        }

        impl #name {
            pub fn read(source: impl #core::source::Source) -> #core::DataStreamWriter<Self> {
                #core::DataStreamWriter::new(source)
            }
            pub fn explain() -> &'static str {
                #unreachable
            }
        }

        #[automatically_derived]
        impl #core::plan::StreamPlan for #name {
            type Output = #row;
            const NAME: &'static str = "";
            const STATEFUL: bool = false;
            fn source_schema() -> ::rill::__private::arrow_schema::SchemaRef { #unreachable }
            fn required_columns() -> &'static [usize] { #unreachable }
            fn key_columns() -> &'static [usize] { #unreachable }
            fn explain() -> &'static str { #unreachable }
            fn fingerprint() -> u64 { #unreachable }
            fn create() -> Self { #unreachable }
            fn run_batch(&mut self, _: &[#arrow::RecordBatch], _: #core::OutputMode) -> #core::Result<#arrow::RecordBatch> { #unreachable }
            fn state_metrics(&self) -> ::core::option::Option<#core::plan::StateMetrics> { #unreachable }
        }
        impl #core::plan::SupportsAppend for #name {}
        impl #core::plan::SupportsUpdate for #name {}
        impl #core::plan::SupportsComplete for #name {}
    }
}

/// When the input does not even parse: find `schema Name` and `query Name` by scanning the
/// top-level tokens, and stub those.
pub(crate) fn stubs_from_tokens(tokens: &TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = TokenStream::new();
    for pair in trees.windows(2) {
        if let [TokenTree::Ident(keyword), TokenTree::Ident(name)] = pair {
            if keyword == "schema" {
                out.extend(row_stub(name));
            } else if keyword == "query" {
                out.extend(query_stub(name));
            }
        }
    }
    out
}
