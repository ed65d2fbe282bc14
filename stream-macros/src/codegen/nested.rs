//! A schema used as a struct column: how its row struct is read from an Arrow struct array, built
//! into one, and read from a JSON object.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::decoder::{json_read, value_to_owned, value_type};
use super::expr::{lift, raw};
use super::types::{self, core};
use crate::ir::{TExpr, TExprKind, Var};
use crate::schema::Schema;
use crate::types::{Base, StructType};

/// The items a struct column of `schema` needs: its columns view, its builder, its JSON reader.
pub(crate) fn struct_support(schema: &Schema) -> TokenStream {
    let core = core();
    let arrow = types::arrow_array();
    let name = &schema.name;
    let fields = StructType {
        name: name.to_string(),
        fields: schema.fields.iter().map(|f| (f.name.to_string(), f.ty)).collect(),
    };
    let (columns, builder) = types::struct_support_names(&fields);
    let slots: Vec<syn::Ident> = (0..schema.fields.len()).map(|i| format_ident!("c{}", i)).collect();
    let members: Vec<&syn::Ident> = schema.fields.iter().map(|f| &f.name).collect();
    let views = schema
        .fields
        .iter()
        .map(|f| types::column_view_for(f.ty.base, &quote!('a)));
    let indices = 0..schema.fields.len();
    let reads = schema.fields.iter().zip(&slots).map(|(f, slot)| {
        let value = types::read(f.ty, &quote!((self.#slot)), &quote!(row));
        types::to_owned(f.ty, &value)
    });
    let builder_types = schema.fields.iter().map(|f| super::decoder::builder_type(f.ty.base));
    let new_builders = schema
        .fields
        .iter()
        .map(|f| types::new_builder(f.ty.base, &quote!(capacity)));
    let appends = schema.fields.iter().zip(&slots).map(|(f, slot)| {
        let member = &f.name;
        let view = types::view_of_owned(f.ty, &quote!(row.#member));
        types::append(f.ty, &quote!(self.#slot), &view)
    });
    let null_appends = schema
        .fields
        .iter()
        .zip(&slots)
        .map(|(f, slot)| types::append_null(f.ty.base, &quote!(self.#slot)));
    let doc = format!("How a struct column of [`{name}`] is read, built and decoded.");
    let json = json_reader(schema);
    let to_json = json_writer(schema);
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct #columns<'a> {
            array: &'a #arrow::StructArray,
            #(#slots: #views,)*
        }

        #[automatically_derived]
        impl<'a> #core::columns::ColumnView<'a> for #columns<'a> {
            fn view(column: &'a #arrow::ArrayRef, name: &str, owner: &str) -> #core::Result<Self> {
                let array: &'a #arrow::StructArray = #core::columns::ColumnView::view(column, name, owner)?;
                ::core::result::Result::Ok(Self {
                    array,
                    #(#slots: #core::columns::struct_child(array, #indices, name, owner)?,)*
                })
            }
        }

        #[allow(dead_code)]
        impl #columns<'_> {
            /// Whether row `row` is a null struct.
            fn is_null(&self, row: usize) -> bool {
                #arrow::Array::is_null(self.array, row)
            }

            /// Row `row` as the row struct.
            fn row(&self, row: usize) -> #name {
                #name { #(#members: #reads,)* }
            }
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct #builder {
            nulls: #arrow::builder::NullBufferBuilder,
            #(#slots: #builder_types,)*
        }

        #[allow(dead_code)]
        impl #builder {
            fn with_capacity(capacity: usize) -> Self {
                Self { nulls: #arrow::builder::NullBufferBuilder::new(capacity), #(#slots: #new_builders,)* }
            }

            fn append_value(&mut self, row: &#name) {
                #(#appends;)*
                self.nulls.append_non_null();
            }

            fn append_null(&mut self) {
                #(#null_appends;)*
                self.nulls.append_null();
            }

            fn finish(&mut self) -> #arrow::StructArray {
                // Every field has a value for every row (a placeholder under a null struct), so
                // the arrays agree with the schema's fields.
                #arrow::StructArray::new(
                    <#name as #core::plan::Row>::schema().fields().clone(),
                    ::std::vec![#(::std::sync::Arc::new(self.#slots.finish()) as #arrow::ArrayRef),*],
                    self.nulls.finish(),
                )
            }
        }

        /// As a list's element builder.
        #[automatically_derived]
        impl #arrow::builder::ArrayBuilder for #builder {
            fn len(&self) -> usize {
                self.nulls.len()
            }
            fn finish(&mut self) -> #arrow::ArrayRef {
                ::std::sync::Arc::new(#builder::finish(self))
            }
            fn finish_cloned(&self) -> #arrow::ArrayRef {
                ::std::sync::Arc::new(#arrow::StructArray::new(
                    <#name as #core::plan::Row>::schema().fields().clone(),
                    ::std::vec![#(#arrow::builder::ArrayBuilder::finish_cloned(&self.#slots)),*],
                    self.nulls.finish_cloned(),
                ))
            }
            fn as_any(&self) -> &dyn ::core::any::Any {
                self
            }
            fn as_any_mut(&mut self) -> &mut dyn ::core::any::Any {
                self
            }
            fn into_box_any(self: ::std::boxed::Box<Self>) -> ::std::boxed::Box<dyn ::core::any::Any> {
                self
            }
        }

        #json
        #to_json
    }
}

/// `ToJson` for the row struct: its fields in order, a null one left out, as Spark's JSON
/// generator writes a struct.
fn json_writer(schema: &Schema) -> TokenStream {
    let core = core();
    let json = quote!(#core::json_text);
    let name = &schema.name;
    let members = schema.fields.iter().map(|f| {
        let member = &f.name;
        let key = f.name.to_string();
        let key = key.strip_prefix("r#").unwrap_or(&key).to_owned();
        let write = |value: TokenStream| match f.ty.base {
            Base::Map(_) => quote!(#json::write_map(#value, out)),
            _ => quote!(#json::ToJson::write_json(#value, out)),
        };
        let present = quote! {
            if written { out.push(','); }
            written = true;
            #json::write_string(#key, out);
            out.push(':');
        };
        if f.ty.nullable {
            let value = write(quote!(value));
            quote!(if let ::core::option::Option::Some(value) = &self.#member { #present #value; })
        } else {
            let value = write(quote!(&self.#member));
            quote!({ #present #value; })
        }
    });
    quote! {
        #[automatically_derived]
        impl #json::ToJson for #name {
            fn write_json(&self, out: &mut ::std::string::String) {
                let mut written = false;
                out.push('{');
                #(#members)*
                let _ = written;
                out.push('}');
            }
        }
    }
}

/// `ReadJson` for the row struct: each known member read with its field's reader, unknown ones
/// skipped; a member that does not fit leaves its field null and is recorded, as Spark keeps
/// the rest of the struct.
fn json_reader(schema: &Schema) -> TokenStream {
    let core = core();
    let json = quote!(#core::decode::json);
    let name = &schema.name;
    let slots: Vec<syn::Ident> = (0..schema.fields.len()).map(|i| format_ident!("f{}", i)).collect();
    let slot_types = schema.fields.iter().map(|f| value_type(f.ty.base));
    let arms = schema.fields.iter().zip(&slots).map(|(f, slot)| {
        let key = f.name.to_string();
        let key = syn::LitByteStr::new(
            key.strip_prefix("r#").unwrap_or(&key).as_bytes(),
            proc_macro2::Span::call_site(),
        );
        let read = json_read(f.ty.base);
        quote! {
            #key => match #read? {
                #json::Field::Value(value) => #slot = ::core::option::Option::Some(value),
                #json::Field::Null => #slot = ::core::option::Option::None,
                #json::Field::Mismatch(found) => {
                    #slot = ::core::option::Option::None;
                    __stream_problem.get_or_insert(found);
                }
            },
        }
    });
    let required = schema
        .fields
        .iter()
        .zip(&slots)
        .filter(|(f, _)| !f.ty.nullable)
        .map(|(f, slot)| {
            let expected = format!(
                "an object with a non-null `{}`",
                f.name.to_string().trim_start_matches("r#")
            );
            quote! {
                let ::core::option::Option::Some(#slot) = #slot else {
                    return ::core::result::Result::Ok(#json::Field::Mismatch(#json::Mismatch {
                        span: start..cursor.position(),
                        expected: #expected,
                    }));
                };
            }
        });
    let values = schema.fields.iter().zip(&slots).map(|(f, slot)| {
        let member = &f.name;
        let owned = value_to_owned(f.ty.base, &quote!(#slot));
        let value = if f.ty.nullable {
            quote!(#slot.map(|#slot| #owned))
        } else {
            owned
        };
        quote!(#member: #value)
    });
    let all_null = if schema.fields.iter().all(|f| f.ty.nullable) {
        let members = schema.fields.iter().map(|f| &f.name);
        quote!(::core::option::Option::Some(#name { #(#members: ::core::option::Option::None,)* }))
    } else {
        quote!(::core::option::Option::None)
    };
    // A struct's nested structs record their members' mismatches in the same `problem`.
    let problem_used = schema.fields.iter().any(|f| matches!(f.ty.base, Base::Struct(_)));
    let problem_binding = (!problem_used).then(|| quote!(let _ = &__stream_problem;));
    quote! {
        #[automatically_derived]
        impl #json::ReadJson for #name {
            #[allow(clippy::all)]
            fn read_json<'v>(
                cursor: &mut #json::JsonCursor<'v>,
                __stream_problem: &mut ::core::option::Option<#json::Mismatch>,
            ) -> #json::Scan<#json::Field<Self>> {
                #problem_binding
                let start = cursor.position();
                #(let mut #slots: ::core::option::Option<#slot_types> = ::core::option::Option::None;)*
                let shape = cursor.object(|cursor, key| {
                    match key {
                        #(#arms)*
                        _ => cursor.skip_value()?,
                    }
                    ::core::result::Result::Ok(())
                })?;
                ::core::result::Result::Ok(match shape {
                    #json::Field::Value(()) => {
                        #(#required)*
                        #json::Field::Value(#name { #(#values,)* })
                    }
                    #json::Field::Null => #json::Field::Null,
                    #json::Field::Mismatch(found) => #json::Field::Mismatch(found),
                })
            }

            fn all_null() -> ::core::option::Option<Self> {
                #all_null
            }
        }
    }
}

/// Code for field `index` of the struct `inner`, and whether it is an `Option`: a view of the
/// field when the struct lives for the row, else a copy of it.
pub(super) fn field(inner: &TExpr, index: usize, vars: &[Var]) -> (TokenStream, bool) {
    let Base::Struct(fields) = inner.ty.base else {
        panic!("internal error: a field of `{}`, which is not a struct", inner.ty)
    };
    let (name, ty) = &fields.fields[index];
    let member: syn::Ident = syn::parse_str(name).unwrap_or_else(|_| format_ident!("{}", name));
    let keeps = matches!(inner.kind, TExprKind::Var(_) | TExprKind::Accumulator(_));
    lift(&[raw(inner, vars)], |a| {
        let structure = &a[0];
        let view = types::view_of_owned(*ty, &quote!(#structure.#member));
        let value = if keeps { view } else { types::to_owned(*ty, &view) };
        (value, ty.nullable)
    })
}

/// Code for `struct(..)` of `args`: the struct `ty` names, each field an owned copy.
pub(super) fn make_struct(args: &[TExpr], vars: &[Var], ty: crate::types::ColType) -> (TokenStream, bool) {
    let Base::Struct(fields) = ty.base else {
        panic!("internal error: `struct(..)` of type {ty}")
    };
    let name = types::struct_name(fields);
    let members = fields.fields.iter().zip(args).map(|((field, field_ty), arg)| {
        let member = format_ident!("{}", field);
        let (code, nullable) = raw(arg, vars);
        let owned = types::to_owned(crate::types::ColType::new(field_ty.base, nullable), &code);
        if field_ty.nullable && !nullable {
            quote!(#member: ::core::option::Option::Some(#owned))
        } else {
            quote!(#member: #owned)
        }
    });
    (quote!(#name { #(#members),* }), false)
}

/// The types `struct(..)` makes in `plan`, each once.
pub(crate) fn anonymous_structs(plan: &crate::ir::Plan) -> Vec<&'static StructType> {
    fn note(base: Base, found: &mut Vec<&'static StructType>) {
        match base {
            Base::Struct(fields) => {
                if fields.name.starts_with(crate::typecheck::ANONYMOUS_STRUCT) && !found.contains(&fields) {
                    found.push(fields);
                }
                fields.fields.iter().for_each(|(_, ty)| note(ty.base, found));
            }
            Base::Array(inner) | Base::Map(inner) => note(inner.base, found),
            _ => {}
        }
    }
    fn steps(list: &[crate::ir::Step], found: &mut Vec<&'static StructType>) {
        for step in list {
            match step {
                crate::ir::Step::Let { expr, .. } => expr.visit_exprs(&mut |e| note(e.ty.base, found)),
                crate::ir::Step::Filter { condition } => condition.visit_exprs(&mut |e| note(e.ty.base, found)),
                crate::ir::Step::Generate(generate) => generate.array.visit_exprs(&mut |e| note(e.ty.base, found)),
                crate::ir::Step::StreamJoin(join) => {
                    steps(&join.right_steps, found);
                    if let Some(condition) = &join.condition {
                        condition.visit_exprs(&mut |e| note(e.ty.base, found));
                    }
                }
                _ => {}
            }
        }
    }
    let query = &plan.query;
    let mut found = Vec::new();
    query.vars.iter().for_each(|var| note(var.ty.base, &mut found));
    steps(&query.pre, &mut found);
    steps(&query.post, &mut found);
    if let Some(aggregate) = &query.aggregate {
        for accumulator in &aggregate.accumulators {
            for arg in accumulator.arg.iter().chain(&accumulator.second) {
                arg.visit_exprs(&mut |e| note(e.ty.base, &mut found));
            }
        }
        for (_, output) in &aggregate.outputs {
            output.visit_exprs(&mut |e| note(e.ty.base, &mut found));
        }
    }
    for fields in plan.upstream.as_deref().map(anonymous_structs).unwrap_or_default() {
        if !found.contains(&fields) {
            found.push(fields);
        }
    }
    found
}

/// The row struct and struct support of a type `struct(..)` makes.
pub(crate) fn anonymous_struct(fields: &StructType) -> TokenStream {
    let schema = Schema {
        name: format_ident!("{}", fields.name),
        attrs: Vec::new(),
        fields: fields
            .fields
            .iter()
            .map(|(name, ty)| crate::schema::Field {
                name: format_ident!("{}", name),
                attrs: Vec::new(),
                ty: *ty,
            })
            .collect(),
        nested: true,
    };
    let row_fields: Vec<super::row::RowField<'_>> = schema
        .fields
        .iter()
        .map(|f| super::row::RowField {
            name: &f.name,
            ty: f.ty,
            attrs: &f.attrs,
        })
        .collect();
    let attrs: Vec<syn::Attribute> = vec![
        syn::parse_quote!(#[doc(hidden)]),
        syn::parse_quote!(#[allow(non_camel_case_types)]),
    ];
    let row = super::row::row_struct(&schema.name, &attrs, &row_fields);
    let support = struct_support(&schema);
    quote!(#row #support)
}
