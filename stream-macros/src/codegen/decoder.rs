//! The record decoder of a schema — its JSON keys matched in one `match`, each value parsed in
//! place by the typed reader of its column, every declared column validated — and each query's
//! projection of it: the columns it appends to Arrow builders and the filters pushed into it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::expr::{expr, var_ident};
use super::types::{self, core};
use crate::ir::{Plan, UnionInput};
use crate::ir::{Step, TExpr};
use crate::schema::{CORRUPT_RECORD_COLUMN, Schema};
use crate::types::{Base, ColType};

/// The read of a value of type `base` at `cursor` (a JSON cursor), as a `Scan<Field<..>>`. A
/// struct's members that do not fit are recorded in `__stream_problem`.
pub(crate) fn json_read(base: Base) -> TokenStream {
    match base {
        Base::Array(element) => {
            let each = json_read(element.base);
            if element.nullable {
                quote!(cursor.array(|cursor| #each))
            } else {
                quote!(cursor.array_present(|cursor| #each))
            }
        }
        Base::Map(value) => {
            let each = json_read(value.base);
            if value.nullable {
                quote!(cursor.map(|cursor| #each))
            } else {
                quote!(cursor.map_present(|cursor| #each))
            }
        }
        Base::Struct(fields) => {
            let name = types::struct_name(fields);
            quote!(cursor.nested::<#name>(__stream_problem))
        }
        _ => {
            let (reader, _) = readers(base);
            quote!(cursor.#reader())
        }
    }
}

/// Whether a column's JSON read can record a struct member's mismatch (it holds a struct).
fn reads_struct(base: Base) -> bool {
    match base {
        Base::Struct(_) => true,
        Base::Array(inner) | Base::Map(inner) => reads_struct(inner.base),
        _ => false,
    }
}

/// Code turning a decoded value of type `base` (`value_type`'s, borrowing from the record) into
/// its owned form.
pub(crate) fn value_to_owned(base: Base, value: &TokenStream) -> TokenStream {
    let item = |ty: ColType, item: TokenStream| {
        let owned = value_to_owned(ty.base, &item);
        if ty.nullable {
            quote!(#item.map(|#item| #owned))
        } else {
            owned
        }
    };
    match base {
        Base::Str => quote!(::std::borrow::Cow::into_owned(#value)),
        Base::Array(element) => {
            let each = item(*element, quote!(__stream_item));
            quote!(::core::iter::IntoIterator::into_iter(#value).map(|__stream_item| #each).collect::<::std::vec::Vec<_>>())
        }
        Base::Map(value_ty) => {
            let each = item(*value_ty, quote!(__stream_item));
            quote!(::core::iter::IntoIterator::into_iter(#value).map(|(__stream_key, __stream_item)| (::std::borrow::Cow::into_owned(__stream_key), #each)).collect::<::std::vec::Vec<_>>())
        }
        _ => value.clone(),
    }
}

/// The type a record's value of type `base` is held in before it is appended: a string
/// borrows from the record when it can.
pub(crate) fn value_type(base: Base) -> TokenStream {
    match base {
        Base::Str => quote!(::std::borrow::Cow<'v, str>),
        Base::Map(value) => {
            let item = value_type(value.base);
            if value.nullable {
                quote!(::std::vec::Vec<(::std::borrow::Cow<'v, str>, ::core::option::Option<#item>)>)
            } else {
                quote!(::std::vec::Vec<(::std::borrow::Cow<'v, str>, #item)>)
            }
        }
        Base::Array(element) => {
            let item = value_type(element.base);
            if element.nullable {
                quote!(::std::vec::Vec<::core::option::Option<#item>>)
            } else {
                quote!(::std::vec::Vec<#item>)
            }
        }
        base => types::owned(ColType { base, nullable: false }),
    }
}

/// The typed readers of a column: on a JSON cursor and on a text field.
fn readers(base: Base) -> (TokenStream, TokenStream) {
    let core = core();
    let (json, text) = match base {
        Base::Str => (quote!(string), quote!(string)),
        Base::I8 => (quote!(i8), quote!(i8)),
        Base::I16 => (quote!(i16), quote!(i16)),
        Base::I32 => (quote!(i32), quote!(i32)),
        Base::I64 => (quote!(i64), quote!(i64)),
        Base::F32 => (quote!(f32), quote!(f32)),
        Base::F64 => (quote!(f64), quote!(f64)),
        Base::Bool => (quote!(bool), quote!(bool)),
        Base::Timestamp => (quote!(timestamp), quote!(timestamp)),
        Base::Date => (quote!(date), quote!(date)),
        // Not a column type a schema can declare; the type checker refuses it.
        Base::Window => (quote!(skip_value), quote!(string)),
        // Read by `json_read`; the CSV source refuses a schema with one.
        Base::Array(_) | Base::Struct(_) | Base::Map(_) => (quote!(skip_value), quote!(nested)),
        Base::Decimal(precision) => {
            let (p, s) = (precision.precision, precision.scale);
            (quote!(decimal::<#p, #s>), quote!(decimal::<#p, #s>))
        }
    };
    (json, quote!(#core::decode::text::#text))
}

/// The names of the items a schema's decoder is made of.
struct DecoderNames {
    /// The decoder, generic over a query's projection.
    decoder: Ident,
    /// The trait a query's projection implements.
    projection: Ident,
    /// One record's values.
    values: Ident,
}

fn decoder_names(schema: &Ident) -> DecoderNames {
    DecoderNames {
        decoder: format_ident!("__stream_{}_Decoder", schema),
        projection: format_ident!("__stream_{}_Projection", schema),
        values: format_ident!("__stream_{}_Values", schema),
    }
}

/// The projection constant saying whether declared column `index` is read.
fn read_const(index: usize) -> Ident {
    format_ident!("READ_{}", index)
}

/// The name of the type a query's projection is.
fn projection_name(query: &Ident) -> Ident {
    format_ident!("__stream_{}_Projection", query)
}

/// The decoder type of a query: its schema's decoder with the query's projection.
pub(crate) fn decoder_type(plan: &Plan, input: &UnionInput) -> TokenStream {
    let decoder = decoder_names(&input.schema).decoder;
    let projection = input_projection_name(plan, input);
    quote!(#decoder<#projection>)
}

/// The right input of the query's stream–stream join, if `input` is it.
fn joined_input<'p>(plan: &'p Plan, input: &UnionInput) -> Option<&'p crate::ir::StreamJoin> {
    plan.query
        .stream_join()
        .filter(|join| plan.query.inputs[join.right_input].name == input.name)
}

/// The projection of an input: the query's own for the union's schema, one per other schema,
/// and one for the right input of a stream–stream join.
fn input_projection_name(plan: &Plan, input: &UnionInput) -> Ident {
    let name = projection_name(&plan.query.name);
    if joined_input(plan, input).is_some() {
        format_ident!("{}_join_{}", name, input.name)
    } else if input.schema == plan.query.schema {
        name
    } else {
        format_ident!("{}_{}", name, input.schema)
    }
}

/// The union's columns an input decodes, as indices into its own schema.
pub(crate) fn input_required(plan: &Plan, input: &UnionInput) -> Vec<usize> {
    if let Some(join) = joined_input(plan, input) {
        return join
            .right_input_vars
            .iter()
            .enumerate()
            .filter(|(_, var)| plan.live.contains(var))
            .map(|(index, _)| index)
            .collect();
    }
    plan.required_inputs.iter().map(|var| input.columns[*var]).collect()
}

/// A declared column as a decoder sees it: its index, its name as the data spells it
/// (`r#type` is the column `type`), its type.
struct Column {
    index: usize,
    name: String,
    ty: ColType,
}

impl Column {
    fn is_corrupt_record(&self) -> bool {
        self.name == CORRUPT_RECORD_COLUMN
    }

    fn value(&self) -> Ident {
        format_ident!("v{}", self.index)
    }

    fn builder(&self) -> Ident {
        format_ident!("c{}", self.index)
    }
}

/// A schema's record decoder, one per schema whatever the queries over it: each key of a JSON
/// record matched in one `match`, each value parsed in place by the typed reader of its column,
/// every declared column validated; a query's projection (a type implementing the schema's
/// projection trait) says which columns are appended to Arrow builders and which rows its
/// pushed filters keep. Monomorphised per query, so a column a query does not read costs only
/// its validation.
pub(crate) fn schema_decoder(schema: &Schema) -> TokenStream {
    let core = core();
    let arrow = types::arrow_array();
    let row = &schema.name;
    let DecoderNames {
        decoder,
        projection,
        values,
    } = decoder_names(row);
    let columns: Vec<Column> = schema
        .fields
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let name = field.name.to_string();
            Column {
                index,
                name: name.strip_prefix("r#").unwrap_or(&name).to_owned(),
                ty: field.ty,
            }
        })
        .collect();
    let data: Vec<&Column> = columns.iter().filter(|c| !c.is_corrupt_record()).collect();
    let declared = columns.iter().map(|c| {
        let (name, nullable) = (&c.name, c.ty.nullable);
        let nested = match c.ty.base {
            base if base.is_nested() => {
                let spark_type = c.ty.base.spark_name();
                quote!(::core::option::Option::Some(#spark_type))
            }
            _ => quote!(::core::option::Option::None),
        };
        quote!(#core::decode::DeclaredColumn { name: #name, nullable: #nullable, nested: #nested })
    });
    let value_fields = data.iter().map(|c| {
        let value = c.value();
        let ty = value_type(c.ty.base);
        quote!(pub #value: ::core::option::Option<#ty>)
    });
    // The JSON keys of a record, in declared order, and what each one's value is read with.
    let json_columns: Vec<(&str, TokenStream)> = data
        .iter()
        .map(|c| {
            let (index, value) = (c.index, c.value());
            // A string column the query does not read only needs validating: any value fits.
            let read = if c.ty.base == Base::Str {
                {
                    let reads = read_const(index);
                    quote!(if P::#reads { cursor.string()? } else { cursor.string_unread()? })
                }
            } else if reads_struct(c.ty.base) {
                let read = json_read(c.ty.base);
                quote!({
                    let mut __stream_problem = ::core::option::Option::None;
                    let __stream_problem = &mut __stream_problem;
                    let __stream_field = #read?;
                    if let ::core::option::Option::Some(__stream_found) = __stream_problem.take() {
                        context.field::<()>(#index, #core::decode::json::Field::Mismatch(__stream_found));
                    }
                    __stream_field
                })
            } else {
                let read = json_read(c.ty.base);
                quote!(#read?)
            };
            let (word, bit) = absent_bit(index);
            (
                c.name.as_str(),
                quote! {
                    values.absent[#word] &= !(1u64 << #bit);
                    let __stream_read = #read;
                    values.#value = context.field(#index, __stream_read);
                },
            )
        })
        .collect();
    let absent_words = absent_words(columns.len());
    let json_scan = json_scan(&json_columns);
    let text_reads = data.iter().map(|c| {
        let (index, value) = (c.index, c.value());
        let (_, reader) = readers(c.ty.base);
        quote!(values.#value = context.field(#index, #reader(&fields[#index]));)
    });
    let present = columns.iter().map(|c| {
        if c.is_corrupt_record() {
            quote!(true)
        } else {
            let value = c.value();
            quote!(values.#value.is_some())
        }
    });
    let builder_fields = columns.iter().map(|c| {
        let (builder, ty) = (c.builder(), builder_type(c.ty.base));
        quote!(#builder: #ty)
    });
    let builder_inits = columns.iter().map(|c| {
        let (builder, index) = (c.builder(), c.index);
        let reads = read_const(index);
        let capacity = quote!(if P::#reads { #core::decode::BATCH_ROWS } else { 0 });
        let init = types::new_builder(c.ty.base, &capacity);
        quote!(#builder: #init)
    });
    // The appends of a kept record; `corrupt_text` is the `_corrupt_record` column's value.
    let appends = |corrupt_text: TokenStream| -> Vec<TokenStream> {
        columns
            .iter()
            .map(|c| {
                let (builder, index) = (c.builder(), c.index);
                let append = if c.is_corrupt_record() {
                    quote!(self.#builder.append_option(#corrupt_text);)
                } else {
                    let value = c.value();
                    let ty = ColType {
                        base: c.ty.base,
                        nullable: true,
                    };
                    let append = types::append(ty, &quote!(self.#builder), &quote!(values.#value));
                    quote!(#append;)
                };
                let reads = read_const(index);
                quote!(if P::#reads { #append })
            })
            .collect()
    };
    let general_appends = appends(quote!(corrupt.then(|| context.corrupt_text())));
    let plain_appends = appends(quote!(::core::option::Option::<&str>::None));
    let plain_scan = plain_scan(&data);
    // One constant per column rather than a slice, so that every test folds away.
    let read_consts = columns.iter().map(|c| {
        let (reads, doc) = (read_const(c.index), format!("Whether column `{}` is read.", c.name));
        quote!(#[doc = #doc] const #reads: bool;)
    });
    let finishes = columns.iter().map(|c| {
        let builder = c.builder();
        quote!(::core::option::Option::Some(::std::sync::Arc::new(self.#builder.finish()) as #arrow::ArrayRef))
    });
    let append_verdict = quote! {
        match context.verdict(&[#(#present),*])? {
            // As Spark's reader, a malformed record bypasses the pushed filters: it is counted,
            // and the filter as a step decides whether it is kept.
            #core::decode::Verdict::Keep { corrupt } => {
                if corrupt || P::keep(&values) {
                    #(#general_appends)*
                    self.rows += 1;
                }
            }
            #core::decode::Verdict::Drop => {}
        }
        ::core::result::Result::Ok(())
    };
    let doc = format!("The record decoder generated for [`{row}`], generic over a query's projection.");
    let projection_doc = format!("What a query reads of [`{row}`]: the columns it appends, the rows it keeps.");
    quote! {
        #[doc = #projection_doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub trait #projection: ::core::marker::Send + 'static {
            /// The query's name, for errors.
            const QUERY: &'static str;
            #(#read_consts)*
            /// The columns read, in the order of the batches' columns.
            const REQUIRED: &'static [usize];
            /// The query's filters pushed into the decoder: whether a record's values pass.
            fn keep(values: &#values<'_>) -> bool;
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(::core::default::Default)]
        pub struct #values<'v> {
            #(#value_fields,)*
            /// A bit per declared column whose key the record did not have (by the general path;
            /// the others always have every key).
            pub absent: [u64; #absent_words],
            /// For a schema without string columns: the record's lifetime.
            record: ::core::marker::PhantomData<&'v ()>,
        }

        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct #decoder<P> {
            #(#builder_fields,)*
            rows: usize,
            projection: ::core::marker::PhantomData<fn() -> P>,
        }

        impl<P> ::core::fmt::Debug for #decoder<P> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#decoder)).field("rows", &self.rows).finish_non_exhaustive()
            }
        }

        #[automatically_derived]
        impl<P: #projection> #core::decode::RecordDecoder for #decoder<P> {
            const COLUMNS: &'static [#core::decode::DeclaredColumn] = &[#(#declared),*];

            fn new() -> Self {
                Self { #(#builder_inits,)* rows: 0, projection: ::core::marker::PhantomData }
            }

            #[inline]
            fn decode_json(&mut self, context: &mut #core::decode::RecordContext<'_>) -> #core::Result<()> {
                let mut cursor = #core::decode::json::JsonCursor::new(context.record());
                let mut values = #values::default();
                values.absent = [u64::MAX; #absent_words];
                let scanned = (|| -> ::core::result::Result<(), #core::decode::json::SyntaxError> {
                    cursor.begin_object()?;
                    #json_scan
                    cursor.finish()
                })();
                if let ::core::result::Result::Err(error) = scanned {
                    // A record that is not well formed has no trustworthy values.
                    context.syntax_error(error);
                    values = #values::default();
                }
                #append_verdict
            }

            #[inline]
            fn decode_json_plain(&mut self, bytes: &[u8]) -> ::core::option::Option<usize> {
                let mut cursor = #core::decode::json::JsonCursor::new(bytes);
                let mut values = #values::default();
                #plain_scan
                if P::keep(&values) {
                    #(#plain_appends)*
                    self.rows += 1;
                }
                ::core::option::Option::Some(consumed)
            }

            fn decode_fields(
                &mut self,
                fields: &[#core::decode::text::TextField<'_>],
                context: &mut #core::decode::RecordContext<'_>,
            ) -> #core::Result<()> {
                let mut values = #values::default();
                #(#text_reads)*
                #append_verdict
            }

            fn len(&self) -> usize {
                self.rows
            }

            fn finish(&mut self) -> #core::Result<#arrow::RecordBatch> {
                let rows = ::core::mem::take(&mut self.rows);
                let schema = <#row as #core::plan::Row>::schema()
                    .project(P::REQUIRED)
                    .map_err(|e| #core::Error::arrow("projecting the source schema", e))?;
                let mut columns: ::std::vec::Vec<::core::option::Option<#arrow::ArrayRef>> = ::std::vec![#(#finishes),*];
                let projected = P::REQUIRED
                    .iter()
                    .filter_map(|&index| columns.get_mut(index).and_then(::core::option::Option::take))
                    .collect();
                // A query may read no column at all (`agg(count())`): the rows still count.
                #core::columns::finish_rows(&::std::sync::Arc::new(schema), projected, rows, P::QUERY)
            }
        }
    }
}

/// A query's projection of its schema's decoder: the columns it reads and its pushed filters.
pub(crate) fn query_projection(plan: &Plan) -> TokenStream {
    let query = &plan.query;
    let mut done: Vec<&Ident> = Vec::new();
    let mut items = TokenStream::new();
    for input in &query.inputs {
        if joined_input(plan, input).is_some() {
            items.extend(input_projection(plan, input));
            continue;
        }
        if done.contains(&&input.schema) {
            continue;
        }
        done.push(&input.schema);
        items.extend(input_projection(plan, input));
    }
    items
}

/// The projection of one input's schema: the union's required columns as that schema's.
fn input_projection<'p>(plan: &'p Plan, input: &UnionInput) -> TokenStream {
    let query = &plan.query;
    let name = input_projection_name(plan, input);
    let trait_name = decoder_names(&input.schema).projection;
    let values = decoder_names(&input.schema).values;
    let query_name = query.name.to_string();
    let required = input_required(plan, input);
    let reads = (0..input.columns.len()).map(|index| {
        let (reads, read) = (read_const(index), required.contains(&index));
        quote!(const #reads: bool = #read;)
    });
    // The conditions of the filter steps `pushed` among `steps`.
    let filters = |steps: &'p [Step], pushed: &[usize]| -> Vec<&'p TExpr> {
        pushed
            .iter()
            .filter_map(|&index| match &steps[index] {
                Step::Filter { condition } => Some(condition),
                _ => None,
            })
            .collect()
    };
    let keep = match joined_input(plan, input) {
        Some(join) => {
            let conditions = filters(&join.right_steps, &plan.pushed_right_filters);
            let field_of = |var: usize| join.right_input_vars.iter().position(|v| *v == var).unwrap_or(var);
            pushed_filter(plan, conditions, &field_of)
        }
        None => {
            let conditions = filters(&query.pre, &plan.pushed_filters);
            pushed_filter(plan, conditions, &|var: usize| {
                input.columns.get(var).copied().unwrap_or(var)
            })
        }
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct #name;

        #[automatically_derived]
        impl #trait_name for #name {
            const QUERY: &'static str = #query_name;
            #(#reads)*
            const REQUIRED: &'static [usize] = &[#(#required),*];
            #[inline]
            fn keep(values: &#values<'_>) -> bool {
                #keep
            }
        }
    }
}

/// The word and bit of declared column `index` in a record's `absent` bits.
fn absent_bit(index: usize) -> (usize, u32) {
    (index / 64, u32::try_from(index % 64).unwrap_or_default())
}

/// The number of words of a record's `absent` bits for `columns` declared columns.
fn absent_words(columns: usize) -> usize {
    columns.div_ceil(64).max(1)
}

/// The filters the plan pushed into the decoder, evaluated on a decoded record before its
/// values are appended, so a row the query would drop costs no column building (as Spark pushes
/// filters into its file scans; like Spark's, the source's row count then counts only the rows
/// that pass). `true` when there is none. As Spark's JSON reader, a filter is only tried on a
/// record that has the keys of all the columns it reads: a record without one passes, is
/// counted, and is dropped later by the same filter as a step.
fn pushed_filter(plan: &Plan, conditions: Vec<&TExpr>, field_of: &dyn Fn(usize) -> usize) -> TokenStream {
    let query = &plan.query;
    if conditions.is_empty() {
        return quote!({
            let _ = values;
            true
        });
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
        // The input's own column for the union's (pushed filters read input columns only).
        let value = format_ident!("v{}", field_of(var));
        let binding = match (query.vars[var].ty.base.is_borrowed(), query.vars[var].ty.nullable) {
            (true, false) => quote!(values.#value.as_deref().unwrap_or_default()),
            (true, true) => quote!(values.#value.as_deref()),
            (_, false) => quote!(values.#value.unwrap_or_default()),
            (_, true) => quote!(values.#value),
        };
        quote!(let #local = #binding;)
    });
    let tests = conditions.iter().map(|condition| {
        let code = expr(condition, &query.vars);
        let test = if condition.ty.nullable {
            quote!((#code == ::core::option::Option::Some(true)))
        } else {
            quote!((#code))
        };
        let mut fields = std::collections::BTreeSet::new();
        condition.visit_vars(&mut |var| {
            fields.insert(field_of(var));
        });
        let absent = fields.into_iter().map(|field| {
            let (word, bit) = absent_bit(field);
            quote!(values.absent[#word] & (1u64 << #bit) != 0)
        });
        quote!((#(#absent ||)* #test))
    });
    quote!({ #(#bindings)* true #(&& #tests)* })
}

/// The fast path of a schema's decoder over a buffer of JSON lines: the record at its start
/// when it has the schema's usual shape — every declared key once, in declared order, each value
/// of its column's type or `null` (a non-nullable column's never), no whitespace but spaces and
/// tabs — binding `consumed` to the bytes through its line end; otherwise `return None` before
/// anything is appended, and the general path decodes the record. Every byte it passes is
/// validated by the same readers as the general path's, so a record it takes decodes the same.
fn plain_scan(columns: &[&Column]) -> TokenStream {
    let core = core();
    let count = columns.len();
    let names = columns.iter().map(|c| {
        let name = &c.name;
        quote!(#core::decode::json::ExpectedKey::new(#name))
    });
    let members = columns.iter().enumerate().map(|(position, c)| {
        let separator = (position > 0).then(|| {
            quote! {
                if !cursor.expect_after_value(b',') {
                    return ::core::option::Option::None;
                }
            }
        });
        let quoted = syn::LitByteStr::new(format!("\"{}\":", c.name).as_bytes(), proc_macro2::Span::call_site());
        let read = if c.ty.base == Base::Str {
            let reads = read_const(c.index);
            quote!(if P::#reads { cursor.string() } else { cursor.string_unread() })
        } else if reads_struct(c.ty.base) {
            // A struct with a member that does not fit goes to the general path, which reports it.
            let read = json_read(c.ty.base);
            quote!({
                let mut __stream_problem = ::core::option::Option::None;
                let __stream_problem = &mut __stream_problem;
                let __stream_field = #read;
                if __stream_problem.is_some() {
                    return ::core::option::Option::None;
                }
                __stream_field
            })
        } else {
            json_read(c.ty.base)
        };
        let value = c.value();
        // A non-nullable column's null is for the general path to report.
        let null = c.ty.nullable.then(|| {
            quote!(::core::result::Result::Ok(#core::decode::json::Field::Null) => ::core::option::Option::None,)
        });
        quote! {
            #separator
            if !cursor.expect_key(&EXPECTED[#position], #quoted) {
                return ::core::option::Option::None;
            }
            values.#value = match #read {
                ::core::result::Result::Ok(#core::decode::json::Field::Value(value)) => ::core::option::Option::Some(value),
                #null
                _ => return ::core::option::Option::None,
            };
        }
    });
    quote! {
        const EXPECTED: [#core::decode::json::ExpectedKey; #count] = [#(#names),*];
        if !cursor.expect(b'{') {
            return ::core::option::Option::None;
        }
        cursor.skip_spaces();
        #(#members)*
        if !cursor.expect_after_value(b'}') {
            return ::core::option::Option::None;
        }
        let consumed = cursor.line_end()?;
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
pub(crate) fn builder_type(base: Base) -> TokenStream {
    let arrow = types::arrow_array();
    match base {
        Base::Str => quote!(#arrow::builder::StringBuilder),
        Base::I8 => quote!(#arrow::builder::Int8Builder),
        Base::I16 => quote!(#arrow::builder::Int16Builder),
        Base::I32 => quote!(#arrow::builder::Int32Builder),
        Base::I64 => quote!(#arrow::builder::Int64Builder),
        Base::F32 => quote!(#arrow::builder::Float32Builder),
        Base::F64 => quote!(#arrow::builder::Float64Builder),
        Base::Bool => quote!(#arrow::builder::BooleanBuilder),
        Base::Timestamp => quote!(#arrow::builder::TimestampMicrosecondBuilder),
        Base::Date => quote!(#arrow::builder::Date32Builder),
        Base::Window => {
            let core = core();
            quote!(#core::columns::WindowBuilder)
        }
        Base::Decimal(_) => quote!(#arrow::builder::Decimal128Builder),
        Base::Array(element) => {
            let values = builder_type(element.base);
            quote!(#arrow::builder::ListBuilder<#values>)
        }
        Base::Map(value) => {
            let values = builder_type(value.base);
            quote!(#arrow::builder::MapBuilder<#arrow::builder::StringBuilder, #values>)
        }
        Base::Struct(fields) => {
            let (_, builder) = types::struct_support_names(fields);
            quote!(#builder)
        }
    }
}
