//! The record decoder of a query: its schema's JSON keys matched in one `match`, each value
//! parsed in place by the typed reader of its column, every declared column validated, and only
//! the columns the query reads appended to Arrow builders.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::expr::{expr, var_ident};
use super::types::{self, core};
use crate::plan::Plan;
use crate::typecheck::{Step, TExpr, TExprKind, VarId};
use crate::types::{Base, ColType};

/// The name Spark gives the column holding malformed records' text.
pub(crate) const CORRUPT_RECORD_COLUMN: &str = "_corrupt_record";

pub(crate) fn decoder_name(query: &Ident) -> Ident {
    format_ident!("__stream_{}_Decoder", query)
}

/// The typed readers of a column: on a JSON cursor and on a text field.
fn readers(base: Base) -> (TokenStream, TokenStream) {
    let core = core();
    let (json, text) = match base {
        Base::Str => (quote!(string), quote!(string)),
        Base::I32 => (quote!(i32), quote!(i32)),
        Base::I64 => (quote!(i64), quote!(i64)),
        Base::F64 => (quote!(f64), quote!(f64)),
        Base::Bool => (quote!(bool), quote!(bool)),
        Base::Timestamp => (quote!(timestamp), quote!(timestamp)),
        Base::Date => (quote!(date), quote!(date)),
        // Not a column type a schema can declare; the type checker refuses it.
        Base::Window => (quote!(skip_value), quote!(string)),
    };
    (json, quote!(#core::decode::text::#text))
}

/// The decoder struct and its `RecordDecoder` impl.
pub(crate) fn decoder(plan: &Plan) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let name = decoder_name(&query.name);
    let name_text = query.name.to_string();
    let schema = &query.schema;
    // Column names as the data spells them: `r#type` is the column `type`.
    let declared: Vec<(usize, &str, ColType)> = (0..query.num_inputs)
        .map(|index| {
            let name = query.vars[index].name.as_str();
            (index, name.strip_prefix("r#").unwrap_or(name), query.vars[index].ty)
        })
        .collect();
    let is_corrupt = |column: &str| column == CORRUPT_RECORD_COLUMN;
    let value = |index: usize| format_ident!("__value{}", index);

    let columns = declared.iter().map(|(_, column, ty)| {
        let nullable = ty.nullable;
        quote!(#core::decode::DeclaredColumn { name: #column, nullable: #nullable })
    });
    let slots: Vec<TokenStream> = declared
        .iter()
        .filter(|(_, column, _)| !is_corrupt(column))
        .map(|(index, ..)| {
            let value = value(*index);
            quote!(let mut #value = ::core::option::Option::None;)
        })
        .collect();
    let voids: Vec<TokenStream> = declared
        .iter()
        .filter(|(_, column, _)| !is_corrupt(column))
        .map(|(index, ..)| {
            let value = value(*index);
            quote!(#value = ::core::option::Option::None;)
        })
        .collect();
    // The columns a JSON record may hold, in declared order: what each one's value is read with.
    let json_columns: Vec<(&str, TokenStream)> = declared
        .iter()
        .filter(|(_, column, _)| !is_corrupt(column))
        .map(|(index, column, ty)| {
            let value = value(*index);
            let (mut reader, _) = readers(ty.base);
            // A string column the query does not read only needs validating: any value fits.
            if ty.base == Base::Str && !plan.required_inputs.contains(index) {
                reader = quote!(string_present);
            }
            (*column, quote!(#value = context.field(#index, cursor.#reader()?);))
        })
        .collect();
    let json_scan = json_scan(&json_columns);
    let text_reads = declared
        .iter()
        .filter(|(_, column, _)| !is_corrupt(column))
        .map(|(index, _, ty)| {
            let value = value(*index);
            let (_, reader) = readers(ty.base);
            quote!(#value = context.field(#index, #reader(&fields[#index]));)
        });
    let present = declared.iter().map(|(index, column, _)| {
        if is_corrupt(column) {
            quote!(true)
        } else {
            let value = value(*index);
            quote!(#value.is_some())
        }
    });

    let builders: Vec<Ident> = (0..plan.required_inputs.len())
        .map(|i| format_ident!("column{}", i))
        .collect();
    let builder_fields = plan.required_inputs.iter().zip(&builders).map(|(var, builder)| {
        let ty = builder_type(query.vars[*var].ty.base);
        quote!(#builder: #ty)
    });
    let capacity = quote!(#core::decode::BATCH_ROWS);
    let builder_inits = plan.required_inputs.iter().zip(&builders).map(|(var, builder)| {
        let init = types::new_builder(query.vars[*var].ty.base, &capacity);
        quote!(#builder: #init)
    });
    let appends: Vec<TokenStream> = plan
        .required_inputs
        .iter()
        .zip(&builders)
        .map(|(var, builder)| {
            let column = &query.vars[*var];
            if is_corrupt(&column.name) {
                quote!(self.#builder.append_option(corrupt.then(|| context.corrupt_text()));)
            } else {
                let value = value(*var);
                let ty = ColType {
                    base: column.ty.base,
                    nullable: true,
                };
                let append = types::append(ty, &quote!(self.#builder), &quote!(#value));
                quote!(#append;)
            }
        })
        .collect();
    let finishes = builders.iter().map(
        |builder| quote!(::std::sync::Arc::new(self.#builder.finish()) as ::rill::__private::arrow_array::ArrayRef),
    );
    let required = &plan.required_inputs;
    let keep_row = pushed_filter(plan);
    let append_verdict = quote! {
        match context.verdict(&[#(#present),*])? {
            #core::decode::Verdict::Keep { corrupt } => {
                if #keep_row {
                    #(#appends)*
                    self.rows += 1;
                }
            }
            #core::decode::Verdict::Drop => {}
        }
        ::core::result::Result::Ok(())
    };
    let doc = format!("The record decoder generated for [`{name_text}`]'s schema and columns.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct #name {
            #(#builder_fields,)*
            rows: usize,
        }

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#name)).field("rows", &self.rows).finish_non_exhaustive()
            }
        }

        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic, unused_mut, unused_variables, unused_assignments)]
        impl #core::decode::RecordDecoder for #name {
            const COLUMNS: &'static [#core::decode::DeclaredColumn] = &[#(#columns),*];

            fn new() -> Self {
                Self { #(#builder_inits,)* rows: 0 }
            }

            #[inline]
            fn decode_json(&mut self, context: &mut #core::decode::RecordContext<'_>) -> #core::Result<()> {
                let mut cursor = #core::decode::json::JsonCursor::new(context.record());
                #(#slots)*
                let scanned = (|| -> ::core::result::Result<(), #core::decode::json::SyntaxError> {
                    cursor.begin_object()?;
                    #json_scan
                    cursor.finish()
                })();
                if let ::core::result::Result::Err(error) = scanned {
                    // A record that is not well formed has no trustworthy values.
                    context.syntax_error(error);
                    #(#voids)*
                }
                #append_verdict
            }

            fn decode_fields(
                &mut self,
                fields: &[#core::decode::text::TextField<'_>],
                context: &mut #core::decode::RecordContext<'_>,
            ) -> #core::Result<()> {
                #(#slots)*
                #(#text_reads)*
                #append_verdict
            }

            fn len(&self) -> usize {
                self.rows
            }

            fn finish(&mut self) -> #core::Result<::rill::__private::arrow_array::RecordBatch> {
                self.rows = 0;
                let schema = <#schema as #core::plan::Row>::schema()
                    .project(&[#(#required),*])
                    .map_err(|e| #core::Error::arrow("projecting the source schema", e))?;
                #core::columns::finish(
                    &::std::sync::Arc::new(schema),
                    ::std::vec![#(#finishes),*],
                    #name_text,
                )
            }
        }
    }
}

/// The query's leading filters on input columns, evaluated on a decoded record before its
/// values are appended, so a row the query would drop costs no column building (as Spark
/// pushes filters into its file scans; like Spark's, the source's row count then counts only
/// the rows that pass). The query still applies them: this only skips rows early. A filter is
/// pushed when only `with_column`s and other filters come before it (a watermark or a
/// deduplication must see every row) and it compares, combines and tests input columns and
/// literals only. `true` when there is none.
fn pushed_filter(plan: &Plan) -> TokenStream {
    let query = &plan.query;
    let is_plain_input = |var: VarId| {
        var < query.num_inputs
            && query.vars[var].ty.base != Base::Window
            && query.vars[var].name != CORRUPT_RECORD_COLUMN
    };
    let mut conditions = Vec::new();
    for step in &query.pre {
        match step {
            Step::Let { .. } => {}
            Step::Filter { condition } if pushable(condition, &is_plain_input) => conditions.push(condition),
            Step::Filter { .. } => {}
            Step::Watermark { .. } | Step::Dedup(_) => break,
        }
    }
    if conditions.is_empty() {
        return quote!(true);
    }
    let mut vars = std::collections::BTreeSet::new();
    for condition in &conditions {
        condition.visit_vars(&mut |var| {
            vars.insert(var);
        });
    }
    // The record's values as the query's row loop sees them.
    let bindings = vars.iter().map(|&var| {
        let local = var_ident(var);
        let value = format_ident!("__value{}", var);
        let binding = match (query.vars[var].ty.base, query.vars[var].ty.nullable) {
            (Base::Str, false) => quote!(#value.as_deref().unwrap_or_default()),
            (Base::Str, true) => quote!(#value.as_deref()),
            (_, false) => quote!(#value.unwrap_or_default()),
            (_, true) => quote!(#value),
        };
        quote!(let #local = #binding;)
    });
    let tests = conditions.iter().map(|condition| {
        let code = expr(condition, &query.vars);
        if condition.ty.nullable {
            quote!((#code == ::core::option::Option::Some(true)))
        } else {
            quote!((#code))
        }
    });
    quote!({ #(#bindings)* true #(&& #tests)* })
}

/// Whether `condition` reads only plain input columns, through comparisons, boolean logic,
/// widening and null tests (no function calls, which may count unparseable values).
fn pushable(condition: &TExpr, is_plain_input: &impl Fn(VarId) -> bool) -> bool {
    match &condition.kind {
        TExprKind::Var(var) => is_plain_input(*var),
        TExprKind::Lit(_) => true,
        TExprKind::Binary(_, left, right) => pushable(left, is_plain_input) && pushable(right, is_plain_input),
        TExprKind::Unary(_, inner) | TExprKind::Widen(_, inner) | TExprKind::IsNull { expr: inner, .. } => {
            pushable(inner, is_plain_input)
        }
        TExprKind::Call(..) | TExprKind::Accumulator(_) | TExprKind::WindowField { .. } => false,
    }
}

/// The loop over a record's members. Each key is first compared with the one expected next
/// (records usually keep one field order), then, failing that, looked up by name; `expected`
/// follows the last key found.
fn json_scan(columns: &[(&str, TokenStream)]) -> TokenStream {
    let core = core();
    if columns.is_empty() {
        return quote! {
            while cursor.next_key()?.is_some() {
                cursor.skip_value()?;
            }
        };
    }
    let count = columns.len();
    let names = columns
        .iter()
        .map(|(name, _)| quote!(#core::decode::json::ExpectedKey::new(#name)));
    let by_position = columns
        .iter()
        .enumerate()
        .map(|(position, (_, action))| quote!(#position => { #action }));
    let positioned: Vec<(&str, usize, &TokenStream)> = columns
        .iter()
        .enumerate()
        .map(|(position, (name, action))| (*name, position, action))
        .collect();
    let by_name = key_dispatch(&positioned);
    quote! {
        const EXPECTED: [#core::decode::json::ExpectedKey; #count] = [#(#names),*];
        let mut expected: usize = 0;
        loop {
            match cursor.next_member(&EXPECTED[expected])? {
                #core::decode::json::Member::End => break,
                #core::decode::json::Member::Expected => {
                    match expected {
                        #(#by_position)*
                        _ => {}
                    }
                    expected = if expected + 1 == #count { 0 } else { expected + 1 };
                }
                #core::decode::json::Member::Key(key) => {
                    #by_name
                }
            }
        }
    }
}

/// Code running the action of the column named `key` (a `&[u8]` in scope) and expecting the
/// column after it next, or skipping the value of an unknown key. Keys are compared by length
/// first, then as fixed-size arrays, which compile to integer comparisons, not `memcmp` calls.
fn key_dispatch(columns: &[(&str, usize, &TokenStream)]) -> TokenStream {
    let mut columns = columns.to_vec();
    let count = columns.len();
    columns.sort_by_key(|(name, ..)| name.len());
    let mut arms = Vec::new();
    for group in columns.chunk_by(|a, b| a.0.len() == b.0.len()) {
        let length = group[0].0.len();
        let tests = group.iter().map(|(name, position, action)| {
            let literal = syn::LitByteStr::new(name.as_bytes(), proc_macro2::Span::call_site());
            let next = (position + 1) % count;
            quote!(if key == #literal { #action expected = #next; } else)
        });
        arms.push(quote! {
            #length => match <&[u8; #length]>::try_from(key) {
                ::core::result::Result::Ok(key) => #(#tests)* { cursor.skip_value()?; },
                ::core::result::Result::Err(_) => cursor.skip_value()?,
            },
        });
    }
    quote! {
        let key: &[u8] = &key;
        match key.len() {
            #(#arms)*
            _ => cursor.skip_value()?,
        }
    }
}

/// The Arrow builder type of a column.
fn builder_type(base: Base) -> TokenStream {
    let arrow = types::arrow_array();
    match base {
        Base::Str => quote!(#arrow::builder::StringBuilder),
        Base::I32 => quote!(#arrow::builder::Int32Builder),
        Base::I64 => quote!(#arrow::builder::Int64Builder),
        Base::F64 => quote!(#arrow::builder::Float64Builder),
        Base::Bool => quote!(#arrow::builder::BooleanBuilder),
        Base::Timestamp => quote!(#arrow::builder::TimestampMicrosecondBuilder),
        Base::Date => quote!(#arrow::builder::Date32Builder),
        Base::Window => {
            let core = core();
            quote!(#core::columns::WindowBuilder)
        }
    }
}
