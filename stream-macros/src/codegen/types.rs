//! Rust and Arrow tokens for column types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::types::{Base, ColType, Precision, StructType};

/// The runtime, as generated code names it.
pub(crate) fn core() -> TokenStream {
    quote!(::rill::__private::core)
}

pub(crate) fn arrow_array() -> TokenStream {
    quote!(::rill::__private::arrow_array)
}

/// The owned Rust type of a column's values (`String`, `Option<f64>`, ...).
pub(crate) fn owned(ty: ColType) -> TokenStream {
    let core = core();
    let base = match ty.base {
        Base::Str => quote!(::std::string::String),
        Base::I8 => quote!(i8),
        Base::I16 => quote!(i16),
        Base::I32 => quote!(i32),
        Base::I64 => quote!(i64),
        Base::F32 => quote!(f32),
        Base::F64 => quote!(f64),
        Base::Bool => quote!(bool),
        Base::Timestamp => quote!(#core::Timestamp),
        Base::Date => quote!(#core::Date),
        Base::Window => quote!(#core::Window),
        Base::Decimal(precision) => decimal(precision),
        Base::Array(element) => {
            let element = owned(*element);
            quote!(::std::vec::Vec<#element>)
        }
        Base::Struct(fields) => {
            let name = struct_name(fields);
            quote!(#name)
        }
        Base::Map(value) => {
            let value = owned(*value);
            quote!(::std::vec::Vec<(::std::string::String, #value)>)
        }
    };
    if ty.nullable {
        quote!(::core::option::Option<#base>)
    } else {
        base
    }
}

/// The type of a column as part of a state key: as [`owned`], but a string is a compact
/// `KeyStr`, stored inline when short.
pub(crate) fn key_owned(ty: ColType) -> TokenStream {
    let core = core();
    match (ty.base, ty.nullable) {
        (Base::Str, false) => quote!(#core::state::KeyStr),
        (Base::Str, true) => quote!(::core::option::Option<#core::state::KeyStr>),
        _ => owned(ty),
    }
}

/// A row's value (`view`) as the probe for a key column of type [`key_owned`].
pub(crate) fn key_probe(ty: ColType, view: &TokenStream) -> TokenStream {
    let core = core();
    match (ty.base, ty.nullable) {
        (Base::Str, false) => quote!(#core::state::InlineKey(#view)),
        (Base::Str, true) => quote!(#view.map(#core::state::InlineKey)),
        _ => view.clone(),
    }
}

/// The Arrow `DataType` expression of a column type.
pub(crate) fn data_type(base: Base) -> TokenStream {
    let schema = quote!(::rill::__private::arrow_schema);
    match base {
        Base::Str => quote!(#schema::DataType::Utf8),
        Base::I8 => quote!(#schema::DataType::Int8),
        Base::I16 => quote!(#schema::DataType::Int16),
        Base::I32 => quote!(#schema::DataType::Int32),
        Base::I64 => quote!(#schema::DataType::Int64),
        Base::F32 => quote!(#schema::DataType::Float32),
        Base::F64 => quote!(#schema::DataType::Float64),
        Base::Bool => quote!(#schema::DataType::Boolean),
        Base::Timestamp => {
            quote!(#schema::DataType::Timestamp(#schema::TimeUnit::Microsecond, ::core::option::Option::Some("+00:00".into())))
        }
        Base::Date => quote!(#schema::DataType::Date32),
        Base::Window => {
            let core = core();
            quote!(#core::columns::window_data_type())
        }
        Base::Decimal(precision) => {
            let (p, s) = (precision.precision, precision.scale.cast_signed());
            quote!(#schema::DataType::Decimal128(#p, #s))
        }
        Base::Array(element) => {
            let (inner, nullable) = (data_type(element.base), element.nullable);
            quote!(#schema::DataType::new_list(#inner, #nullable))
        }
        Base::Struct(fields) => {
            let (core, name) = (core(), struct_name(fields));
            quote!(#schema::DataType::Struct(<#name as #core::plan::Row>::schema().fields().clone()))
        }
        Base::Map(value) => {
            let entries = map_entries(*value);
            quote!(#schema::DataType::Map(::std::sync::Arc::new(#entries), false))
        }
    }
}

/// The Arrow field of a map's entries: keys (strings, never null) and values, named as Arrow's
/// `MapBuilder` names them.
fn map_entries(value: ColType) -> TokenStream {
    let schema = quote!(::rill::__private::arrow_schema);
    let (inner, nullable) = (data_type(value.base), value.nullable);
    quote! {
        #schema::Field::new(
            #schema::Field::MAP_ENTRIES_FIELD_DEFAULT_NAME,
            #schema::DataType::Struct(#schema::Fields::from(::std::vec![
                #schema::Field::new(#schema::Field::MAP_KEY_FIELD_DEFAULT_NAME, #schema::DataType::Utf8, false),
                #schema::Field::new(#schema::Field::MAP_VALUE_FIELD_DEFAULT_NAME, #inner, #nullable),
            ])),
            false,
        )
    }
}

/// The Rust type of a struct column's values: its schema's row struct.
pub(crate) fn struct_name(fields: &StructType) -> syn::Ident {
    format_ident!("{}", fields.name)
}

/// The view generated code reads a struct column through, and the builder it writes one with
/// (both generated with the schema).
pub(crate) fn struct_support_names(fields: &StructType) -> (syn::Ident, syn::Ident) {
    (
        format_ident!("__stream_{}_Columns", fields.name),
        format_ident!("__stream_{}_Builder", fields.name),
    )
}

/// The Arrow array type holding a column.
pub(crate) fn array(base: Base) -> TokenStream {
    let arrow = arrow_array();
    match base {
        Base::Str => quote!(#arrow::StringArray),
        Base::I8 => quote!(#arrow::Int8Array),
        Base::I16 => quote!(#arrow::Int16Array),
        Base::I32 => quote!(#arrow::Int32Array),
        Base::I64 => quote!(#arrow::Int64Array),
        Base::F32 => quote!(#arrow::Float32Array),
        Base::F64 => quote!(#arrow::Float64Array),
        Base::Bool => quote!(#arrow::BooleanArray),
        Base::Timestamp => quote!(#arrow::TimestampMicrosecondArray),
        Base::Date => quote!(#arrow::Date32Array),
        Base::Window => quote!(#arrow::StructArray),
        Base::Decimal(_) => quote!(#arrow::Decimal128Array),
        Base::Array(_) => quote!(#arrow::ListArray),
        Base::Struct(_) => quote!(#arrow::StructArray),
        Base::Map(_) => quote!(#arrow::MapArray),
    }
}

/// The view generated code reads a column through: `&StringArray`, a `ListColumn` or
/// `MapColumn` of views, a struct's generated columns.
pub(crate) fn column_view(base: Base) -> TokenStream {
    column_view_for(base, &quote!('_))
}

/// [`column_view`] borrowing for `lifetime`.
pub(crate) fn column_view_for(base: Base, lifetime: &TokenStream) -> TokenStream {
    let core = core();
    match base {
        Base::Array(element) => {
            let values = column_view_for(element.base, lifetime);
            quote!(#core::columns::ListColumn<#lifetime, #values>)
        }
        Base::Map(value) => {
            let values = column_view_for(value.base, lifetime);
            quote!(#core::columns::MapColumn<#lifetime, #values>)
        }
        Base::Struct(fields) => {
            let (columns, _) = struct_support_names(fields);
            quote!(#columns<#lifetime>)
        }
        _ => {
            let array = array(base);
            quote!(&#lifetime #array)
        }
    }
}

/// Binds `local` to column `index` of `__stream_batch` (the variable `name` of `owner`), as
/// [`column_view`] reads it.
pub(crate) fn bind_column(local: &syn::Ident, base: Base, index: usize, name: &str, owner: &str) -> TokenStream {
    let core = core();
    let view = column_view(base);
    quote!(let #local: #view = #core::columns::view_by_index(__stream_batch, #index, #name, #owner)?;)
}

/// `Decimal<P, S>`, the runtime's type for a decimal of this precision.
pub(crate) fn decimal(precision: Precision) -> TokenStream {
    let core = core();
    let (p, s) = (precision.precision, precision.scale);
    quote!(#core::Decimal<#p, #s>)
}

/// A new, empty builder for a column, with room for `capacity` rows.
pub(crate) fn new_builder(base: Base, capacity: &TokenStream) -> TokenStream {
    let arrow = arrow_array();
    match base {
        Base::Str => quote!(#arrow::builder::StringBuilder::with_capacity(#capacity, #capacity * 8)),
        Base::I8 => quote!(#arrow::builder::Int8Builder::with_capacity(#capacity)),
        Base::I16 => quote!(#arrow::builder::Int16Builder::with_capacity(#capacity)),
        Base::I32 => quote!(#arrow::builder::Int32Builder::with_capacity(#capacity)),
        Base::I64 => quote!(#arrow::builder::Int64Builder::with_capacity(#capacity)),
        Base::F32 => quote!(#arrow::builder::Float32Builder::with_capacity(#capacity)),
        Base::F64 => quote!(#arrow::builder::Float64Builder::with_capacity(#capacity)),
        Base::Bool => quote!(#arrow::builder::BooleanBuilder::with_capacity(#capacity)),
        Base::Timestamp => {
            quote!(#arrow::builder::TimestampMicrosecondBuilder::with_capacity(#capacity).with_timezone("+00:00"))
        }
        Base::Date => quote!(#arrow::builder::Date32Builder::with_capacity(#capacity)),
        Base::Window => {
            let core = core();
            quote!(#core::columns::WindowBuilder::with_capacity(#capacity))
        }
        Base::Decimal(precision) => {
            let (p, s) = (precision.precision, precision.scale.cast_signed());
            quote!(#arrow::builder::Decimal128Builder::with_capacity(#capacity).with_data_type(::rill::__private::arrow_schema::DataType::Decimal128(#p, #s)))
        }
        Base::Array(element) => {
            let values = new_builder(element.base, capacity);
            let (inner, nullable) = (data_type(element.base), element.nullable);
            quote!(#arrow::builder::ListBuilder::with_capacity(#values, #capacity).with_field(::rill::__private::arrow_schema::Field::new_list_field(#inner, #nullable)))
        }
        Base::Struct(fields) => {
            let (_, builder) = struct_support_names(fields);
            quote!(#builder::with_capacity(#capacity))
        }
        Base::Map(value) => {
            let values = new_builder(value.base, capacity);
            let (inner, nullable) = (data_type(value.base), value.nullable);
            quote! {
                #arrow::builder::MapBuilder::with_capacity(
                    ::core::option::Option::None,
                    #arrow::builder::StringBuilder::with_capacity(#capacity, #capacity * 8),
                    #values,
                    #capacity,
                )
                .with_values_field(::rill::__private::arrow_schema::Field::new(
                    ::rill::__private::arrow_schema::Field::MAP_VALUE_FIELD_DEFAULT_NAME,
                    #inner,
                    #nullable,
                ))
            }
        }
    }
}

/// Reads row `row` of `array` as the column's borrowed value (`&str`, `f64`, `Timestamp`, ...),
/// wrapped in `Option` when the column is nullable.
pub(crate) fn read(ty: ColType, array: &TokenStream, row: &TokenStream) -> TokenStream {
    let core = core();
    let arrow = arrow_array();
    let value = match ty.base {
        Base::Timestamp => quote!(#core::Timestamp::from_micros(#array.value(#row))),
        Base::Date => quote!(#core::Date::from_days(#array.value(#row))),
        Base::Window => quote!(#core::columns::window_at(#array, #row)),
        Base::Decimal(precision) => {
            let decimal = decimal(precision);
            quote!(#core::decimal::from_column::<#decimal>(#array.value(#row)))
        }
        Base::Array(element) => {
            let item = read(*element, &quote!((#array.values)), &quote!(__stream_item));
            quote!(#array.items(#row).map(|__stream_item| #item).collect::<::std::vec::Vec<_>>())
        }
        Base::Map(value) => {
            let item = read(*value, &quote!((#array.values)), &quote!(__stream_item));
            quote!(#array.items(#row).map(|__stream_item| (#array.keys.value(__stream_item), #item)).collect::<::std::vec::Vec<_>>())
        }
        Base::Struct(_) => quote!(#array.row(#row)),
        _ => quote!(#array.value(#row)),
    };
    let is_null = if ty.base.is_nested() {
        quote!(#array.is_null(#row))
    } else {
        quote!(#arrow::Array::is_null(#array, #row))
    };
    if ty.nullable {
        quote!(if #is_null { ::core::option::Option::None } else { ::core::option::Option::Some(#value) })
    } else {
        value
    }
}

/// Appends `value` (a view of the column's type) to `builder`.
pub(crate) fn append(ty: ColType, builder: &TokenStream, value: &TokenStream) -> TokenStream {
    if let Base::Struct(_) = ty.base {
        return if ty.nullable {
            quote! {
                match #value {
                    ::core::option::Option::Some(__stream_struct) => #builder.append_value(&__stream_struct),
                    ::core::option::Option::None => #builder.append_null(),
                }
            }
        } else {
            quote!(#builder.append_value(&#value))
        };
    }
    if let Base::Map(value_ty) = ty.base {
        let entry_value = element_view(*value_ty, &quote!((&__stream_entry.1)));
        let push = append(*value_ty, &quote!(#builder.values()), &entry_value);
        // The keys and values always have one entry each, so closing the map cannot fail.
        let map = quote! {{
            for __stream_entry in ::core::iter::IntoIterator::into_iter(&*__stream_map) {
                #builder.keys().append_value(&*__stream_entry.0);
                #push;
            }
            let _ = #builder.append(true);
        }};
        return if ty.nullable {
            quote! {
                match #value {
                    ::core::option::Option::Some(__stream_map) => #map,
                    ::core::option::Option::None => { let _ = #builder.append(false); }
                }
            }
        } else {
            quote!({ let __stream_map = #value; #map })
        };
    }
    if let Base::Array(element) = ty.base {
        let item = element_view(*element, &quote!(__stream_item));
        let push = append(*element, &quote!(#builder.values()), &item);
        let list = quote! {{
            for __stream_item in ::core::iter::IntoIterator::into_iter(&*__stream_list) { #push; }
            #builder.append(true);
        }};
        return if ty.nullable {
            quote! {
                match #value {
                    ::core::option::Option::Some(__stream_list) => #list,
                    ::core::option::Option::None => #builder.append_null(),
                }
            }
        } else {
            quote!({ let __stream_list = #value; #list })
        };
    }
    let convert = |v: TokenStream| match ty.base {
        Base::Str => quote!(&*#v),
        Base::Timestamp => quote!(#v.micros()),
        Base::Date => quote!(#v.days()),
        Base::Decimal(_) => quote!(#v.unscaled()),
        _ => v,
    };
    if ty.nullable {
        let inner = convert(quote!(__value));
        quote! {
            match #value {
                ::core::option::Option::Some(__value) => #builder.append_value(#inner),
                ::core::option::Option::None => #builder.append_null(),
            }
        }
    } else {
        let inner = convert(value.clone());
        quote!(#builder.append_value(#inner))
    }
}

/// A borrowed view of an owned value held at `place` (e.g. a struct field): `&str` for
/// strings, a copy otherwise.
pub(crate) fn view_of_owned(ty: ColType, place: &TokenStream) -> TokenStream {
    match (ty.base, ty.nullable) {
        (Base::Str, false) => quote!(#place.as_str()),
        (Base::Array(_) | Base::Map(_), false) => quote!(#place.as_slice()),
        (base, true) if base.is_borrowed() => quote!(#place.as_deref()),
        (Base::Struct(_), false) => quote!(&#place),
        (Base::Struct(_), true) => quote!(#place.as_ref()),
        _ => quote!(#place),
    }
}

/// The view of an array's element from a reference to it, `reference` (`&String` or `&&str`
/// alike: an array's elements are owned values or views).
pub(crate) fn element_view(ty: ColType, reference: &TokenStream) -> TokenStream {
    if let Base::Struct(_) = ty.base {
        return if ty.nullable {
            quote!(#reference.as_ref())
        } else {
            quote!(#reference)
        };
    }
    match (ty.base.is_borrowed(), ty.nullable) {
        (true, false) => quote!(&**#reference),
        (true, true) => quote!(#reference.as_deref()),
        (false, _) => quote!(*#reference),
    }
}

/// An owned value from a view.
pub(crate) fn to_owned(ty: ColType, view: &TokenStream) -> TokenStream {
    match (ty.base, ty.nullable) {
        (Base::Str, false) => quote!(::std::string::String::from(&*#view)),
        (Base::Str, true) => quote!(#view.map(|__s| ::std::string::String::from(&*__s))),
        (Base::Array(element), nullable) => {
            let item = element_view(*element, &quote!(__stream_item));
            let owned_item = to_owned(*element, &item);
            let list = |list: TokenStream| quote!(::core::iter::IntoIterator::into_iter(&*#list).map(|__stream_item| #owned_item).collect::<::std::vec::Vec<_>>());
            if nullable {
                let each = list(quote!(__stream_list));
                quote!(#view.map(|__stream_list| #each))
            } else {
                list(view.clone())
            }
        }
        (Base::Map(value), nullable) => {
            let item = element_view(*value, &quote!((&__stream_entry.1)));
            let owned_item = to_owned(*value, &item);
            let map = |map: TokenStream| quote!(::core::iter::IntoIterator::into_iter(&*#map).map(|__stream_entry| (::std::string::String::from(&*__stream_entry.0), #owned_item)).collect::<::std::vec::Vec<_>>());
            if nullable {
                let each = map(quote!(__stream_map));
                quote!(#view.map(|__stream_map| #each))
            } else {
                map(view.clone())
            }
        }
        // A struct is read as an owned value and viewed by reference: `Borrow` takes either.
        (Base::Struct(fields), nullable) => {
            let name = struct_name(fields);
            if nullable {
                quote!(#view.map(|__stream_struct| <#name as ::core::clone::Clone>::clone(::core::borrow::Borrow::<#name>::borrow(&__stream_struct))))
            } else {
                quote!(<#name as ::core::clone::Clone>::clone(::core::borrow::Borrow::<#name>::borrow(&#view)))
            }
        }
        _ => view.clone(),
    }
}

/// Appends a null to `builder`, a builder of `base` values (a child of a null struct).
pub(crate) fn append_null(base: Base, builder: &TokenStream) -> TokenStream {
    match base {
        // A map builder's `append` checks its keys against its values, which stay in step.
        Base::Map(_) => quote!({ let _ = #builder.append(false); }),
        _ => quote!(#builder.append_null()),
    }
}
