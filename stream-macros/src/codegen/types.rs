//! Rust and Arrow tokens for column types.

use proc_macro2::TokenStream;
use quote::quote;

use crate::types::{Base, ColType, Precision};

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
    }
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
    }
}

/// The view generated code reads a column through: `&StringArray`, or a `ListColumn` of views.
pub(crate) fn column_view(base: Base) -> TokenStream {
    match base {
        Base::Array(element) => {
            let core = core();
            let values = column_view(element.base);
            quote!(#core::columns::ListColumn<'_, #values>)
        }
        _ => {
            let array = array(base);
            quote!(&#array)
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
        _ => quote!(#array.value(#row)),
    };
    let is_null = if ty.base.element().is_some() {
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
        (Base::Array(_), false) => quote!(#place.as_slice()),
        (base, true) if base.is_borrowed() => quote!(#place.as_deref()),
        _ => quote!(#place),
    }
}

/// The view of an array's element from a reference to it, `reference` (`&String` or `&&str`
/// alike: an array's elements are owned values or views).
pub(crate) fn element_view(ty: ColType, reference: &TokenStream) -> TokenStream {
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
        _ => view.clone(),
    }
}
