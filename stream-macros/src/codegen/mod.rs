//! Stage 4, code generation: plans → Rust items. Every semantic decision was made in earlier
//! stages; anything unexpected here is an internal error, not a user error.

mod arrays;
mod chain;
mod decoder;
mod expr;
mod nested;
mod query;
mod row;
mod stream_join;
mod types;

pub(crate) use nested::{anonymous_struct, anonymous_structs};
pub(crate) use query::row_name;
pub(crate) use types::owned as owned_type;

use proc_macro2::TokenStream;

use crate::ir::Plan;
use crate::schema::Schema;
use row::{RowField, row_struct};

/// The row struct of a schema, with its Arrow schema and its record decoder.
pub(crate) fn schema(schema: &Schema, read_by_from_json: bool) -> TokenStream {
    let fields: Vec<RowField<'_>> = schema
        .fields
        .iter()
        .map(|f| RowField {
            name: &f.name,
            ty: f.ty,
            attrs: &f.attrs,
        })
        .collect();
    let row = row_struct(&schema.name, &schema.attrs, &fields);
    let decoder = decoder::schema_decoder(schema);
    let nested = (schema.nested || read_by_from_json).then(|| nested::struct_support(schema));
    quote::quote!(#row #decoder #nested)
}

/// A query's output row, plan type and output-mode markers.
pub(crate) fn query(plan: &Plan) -> TokenStream {
    query::query(plan)
}
