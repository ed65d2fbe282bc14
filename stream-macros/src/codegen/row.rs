//! Row structs: one per schema and one per query output, with their Arrow conversions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;
use syn::ext::IdentExt;

use super::types::{self, core};
use crate::types::ColType;

/// One field of a generated row struct.
pub(crate) struct RowField<'a> {
    pub(crate) name: &'a Ident,
    pub(crate) ty: ColType,
    pub(crate) attrs: &'a [syn::Attribute],
}

/// `pub struct Name { .. }` deriving serde, plus `impl Row`.
pub(crate) fn row_struct(name: &Ident, attrs: &[syn::Attribute], fields: &[RowField<'_>]) -> TokenStream {
    let core = core();
    let arrow = types::arrow_array();
    let schema = quote!(::rill::__private::arrow_schema);
    let field_names: Vec<&Ident> = fields.iter().map(|f| f.name).collect();
    let field_types: Vec<TokenStream> = fields.iter().map(|f| types::owned(f.ty)).collect();
    let field_attrs: Vec<&[syn::Attribute]> = fields.iter().map(|f| f.attrs).collect();
    let name_text = name.to_string();
    let arrow_fields = fields.iter().map(|f| {
        // `r#type` names the column `type`.
        let column = f.name.unraw().to_string();
        let data_type = types::data_type(f.ty.base);
        let nullable = f.ty.nullable;
        quote!(#schema::Field::new(#column, #data_type, #nullable))
    });
    let columns: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__stream_column_{}", i))
        .collect();
    let builders: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__stream_builder_{}", i))
        .collect();
    let read_columns = fields.iter().zip(&columns).map(|(f, column)| {
        let array = types::array(f.ty.base);
        let text = f.name.unraw().to_string();
        let nullable = f.ty.nullable;
        if let crate::types::Base::Decimal(precision) = f.ty.base {
            let (p, s) = (precision.precision, precision.scale.cast_signed());
            return quote!(let #column = #core::columns::decimal_by_name(batch, #text, #nullable, #name_text, #p, #s)?;);
        }
        if f.ty.base.is_nested() {
            let view = types::column_view(f.ty.base);
            return quote!(let #column: #view = #core::columns::view_by_name(batch, #text, #nullable, #name_text)?;);
        }
        quote!(let #column = #core::columns::by_name::<#array>(batch, #text, #nullable, #name_text)?;)
    });
    let read_fields = fields.iter().zip(&columns).map(|(f, column)| {
        let field = f.name;
        let value = types::read(f.ty, &quote!(#column), &quote!(__stream_row));
        let owned = types::to_owned(f.ty, &value);
        quote!(#field: #owned)
    });
    let capacity = quote!(rows.len());
    let new_builders = fields.iter().zip(&builders).map(|(f, builder)| {
        let new = types::new_builder(f.ty.base, &capacity);
        quote!(let mut #builder = #new;)
    });
    let appends = fields.iter().zip(&builders).map(|(f, builder)| {
        let field = f.name;
        let view = types::view_of_owned(f.ty, &quote!(row.#field));
        types::append(f.ty, &quote!(#builder), &view)
    });
    quote! {
        #(#attrs)*
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, ::rill::__private::serde::Serialize, ::rill::__private::serde::Deserialize)]
        #[serde(crate = "::rill::__private::serde")]
        pub struct #name {
            #( #(#field_attrs)* pub #field_names: #field_types, )*
        }

        #[automatically_derived]
        impl #core::plan::Row for #name {
            fn schema() -> #schema::SchemaRef {
                static SCHEMA: ::std::sync::OnceLock<#schema::SchemaRef> = ::std::sync::OnceLock::new();
                ::std::sync::Arc::clone(SCHEMA.get_or_init(|| ::std::sync::Arc::new(#schema::Schema::new(::std::vec![#(#arrow_fields),*]))))
            }

            fn from_batch(batch: &#arrow::RecordBatch) -> #core::Result<::std::vec::Vec<Self>> {
                #(#read_columns)*
                ::core::result::Result::Ok((0..batch.num_rows()).map(|__stream_row| Self { #(#read_fields),* }).collect())
            }

            fn to_batch(rows: &[Self]) -> #core::Result<#arrow::RecordBatch> {
                #(#new_builders)*
                for row in rows {
                    #(#appends;)*
                }
                #core::columns::finish(
                    &<Self as #core::plan::Row>::schema(),
                    ::std::vec![#(::std::sync::Arc::new(#builders.finish()) as #arrow::ArrayRef),*],
                    #name_text,
                )
            }
        }
    }
}
