//! Arrays → Rust: the array functions, and generators as a loop around the steps after them.
//!
//! An array is a `Vec` or a slice whose elements are views (`&str`, copied numbers) when they
//! borrow from a variable, or owned values when the array is made of a temporary (borrowing from
//! it would outlive it); consumers read either through [`types::element_view`].

use proc_macro2::TokenStream;
use quote::quote;

use super::expr::{expr, lift, on_regexp, raw, var_ident};
use super::types::{self, core};
use crate::ir::{ArrayFunc, Generate, LitValue, TExpr, TExprKind, Var};
use crate::types::ColType;

/// Whether an expression's value lives in a local for the whole row (a variable, a literal, or
/// a finished aggregate held in state), so views of it may be kept.
fn lives_for_the_row(expr: &TExpr) -> bool {
    matches!(
        expr.kind,
        TExprKind::Var(_) | TExprKind::Lit(_) | TExprKind::Accumulator(_)
    )
}

/// The element type of an array expression.
fn element_type(array: &TExpr) -> ColType {
    array
        .ty
        .base
        .element()
        .unwrap_or_else(|| panic!("internal error: `{}` is not an array", array.ty))
}

/// The value type of a map expression.
fn map_value_type(map: &TExpr) -> ColType {
    match map.ty.base {
        crate::types::Base::Map(value) => *value,
        _ => panic!("internal error: `{}` is not a map", map.ty),
    }
}

/// An iterator over the element views of the array `local` holds.
fn views(element: ColType, local: &TokenStream) -> TokenStream {
    let view = types::element_view(element, &quote!(__stream_item));
    quote!(::core::iter::IntoIterator::into_iter(&*#local).map(|__stream_item| #view))
}

/// `views` collected into an array that outlives `array`'s value: views when `array` lives for
/// the row, else owned values.
fn collected(array: &TExpr, element: ColType, items: &TokenStream) -> TokenStream {
    if lives_for_the_row(array) || !element.base.is_borrowed() {
        quote!(#items)
    } else {
        let owned = types::to_owned(element, &quote!(__stream_item));
        quote!(::core::iter::IntoIterator::into_iter(#items).map(|__stream_item| #owned).collect::<::std::vec::Vec<_>>())
    }
}

/// [`collected`] for an `Option` of an array.
fn collected_option(array: &TExpr, element: ColType, items: &TokenStream) -> TokenStream {
    if lives_for_the_row(array) || !element.base.is_borrowed() {
        quote!(#items)
    } else {
        let each = collected(array, element, &quote!(__stream_items));
        quote!(#items.map(|__stream_items| #each))
    }
}

/// Code for a call of an array function, and whether it is an `Option`.
pub(super) fn call(func: ArrayFunc, args: &[TExpr], vars: &[Var], ty: ColType) -> (TokenStream, bool) {
    let core = core();
    let arrays = quote!(#core::arrays);
    match func {
        ArrayFunc::Split => {
            let (pattern, limit) = match (&args[1].kind, &args[2].kind) {
                (TExprKind::Lit(LitValue::Str(pattern)), TExprKind::Lit(LitValue::I32(limit))) => {
                    (pattern.clone(), *limit)
                }
                _ => panic!("internal error: `split` without literal pattern and limit"),
            };
            let owned = !lives_for_the_row(&args[0]);
            // A temporary text's parts are copied out of it.
            let collect = if owned {
                quote!(.into_iter().map(::std::string::String::from).collect::<::std::vec::Vec<_>>())
            } else {
                quote!()
            };
            lift(&[raw(&args[0], vars)], |a| {
                let parts = on_regexp(
                    &pattern,
                    &a[0],
                    &quote!(.map(|__r| __r.split(&*__text, #limit)#collect).unwrap_or_default()),
                );
                (parts, false)
            })
        }
        ArrayFunc::Element { one_based } => {
            let element = element_type(&args[0]);
            let view = types::element_view(element, &quote!(__stream_item));
            let take = if element.nullable {
                quote!(.and_then(|__stream_item| #view))
            } else {
                quote!(.map(|__stream_item| #view))
            };
            // An element of a temporary array is copied out of it.
            let keep = if lives_for_the_row(&args[0]) || !element.base.is_borrowed() {
                quote!()
            } else {
                let owned = types::to_owned(ColType::new(element.base, false), &quote!(__stream_value));
                quote!(.map(|__stream_value| #owned))
            };
            lift(&[raw(&args[0], vars), raw(&args[1], vars)], |a| {
                let (items, index) = (&a[0], &a[1]);
                (
                    quote!(#arrays::position(<[_]>::len(&*#items), #index as i64, #one_based).and_then(|__stream_at| (&*#items).get(__stream_at))#take #keep),
                    true,
                )
            })
        }
        ArrayFunc::Size => lift(&[raw(&args[0], vars)], |a| {
            let items = &a[0];
            (quote!(#arrays::size(<[_]>::len(&*#items))), false)
        }),
        ArrayFunc::Contains => {
            let element = element_type(&args[0]);
            lift(&[raw(&args[0], vars), raw(&args[1], vars)], |a| {
                let items = views(element, &a[0]);
                let value = &a[1];
                let value = if element.base.is_borrowed() {
                    quote!(&*#value)
                } else {
                    quote!(#value)
                };
                if element.nullable {
                    (quote!(#arrays::contains_nullable(#items, #value)), true)
                } else {
                    (quote!(#arrays::contains(#items, #value)), false)
                }
            })
        }
        ArrayFunc::Distinct | ArrayFunc::Sort { .. } => {
            let element = element_type(&args[0]);
            lift(&[raw(&args[0], vars)], |a| {
                let items = views(element, &a[0]);
                let done = match func {
                    ArrayFunc::Sort { ascending } => quote!(#arrays::sort(#items, #ascending)),
                    _ => quote!(#arrays::distinct(#items)),
                };
                (collected(&args[0], element, &done), false)
            })
        }
        ArrayFunc::Flatten => {
            let row = element_type(&args[0]);
            let Some(item) = row.base.element() else {
                panic!("internal error: `flatten` of {}", args[0].ty)
            };
            let row_view = types::element_view(row, &quote!(__stream_row));
            let row_view = if row.nullable { quote!(#row_view?) } else { row_view };
            let items = views(item, &quote!(__stream_row));
            lift(&[raw(&args[0], vars)], |a| {
                let rows = &a[0];
                let joined = quote! {
                    (|| {
                        let mut __stream_joined = ::std::vec::Vec::new();
                        for __stream_row in ::core::iter::IntoIterator::into_iter(&*#rows) {
                            let __stream_row = #row_view;
                            __stream_joined.extend(#items);
                        }
                        ::core::option::Option::Some(__stream_joined)
                    })()
                };
                let joined = collected_option(&args[0], item, &joined);
                if row.nullable {
                    (joined, true)
                } else {
                    (quote!(#joined.unwrap_or_default()), false)
                }
            })
        }
        ArrayFunc::MapLookup => {
            let value = map_value_type(&args[0]);
            let view = types::element_view(value, &quote!((&__stream_entry.1)));
            let take = if value.nullable {
                quote!(.and_then(|__stream_entry| #view))
            } else {
                quote!(.map(|__stream_entry| #view))
            };
            // A value of a temporary map is copied out of it.
            let keep = if lives_for_the_row(&args[0]) || !value.base.is_borrowed() {
                quote!()
            } else {
                let owned = types::to_owned(ColType::new(value.base, false), &quote!(__stream_value));
                quote!(.map(|__stream_value| #owned))
            };
            lift(&[raw(&args[0], vars), raw(&args[1], vars)], |a| {
                let (entries, key) = (&a[0], &a[1]);
                (
                    quote!(::core::iter::IntoIterator::into_iter(&*#entries).find(|__stream_entry| &*__stream_entry.0 == &*#key)#take #keep),
                    true,
                )
            })
        }
        ArrayFunc::MapKeys | ArrayFunc::MapValues => {
            let (part, item) = if func == ArrayFunc::MapKeys {
                (ColType::new(crate::types::Base::Str, false), quote!(&*__stream_entry.0))
            } else {
                let value = map_value_type(&args[0]);
                (value, types::element_view(value, &quote!((&__stream_entry.1))))
            };
            lift(&[raw(&args[0], vars)], |a| {
                let entries = &a[0];
                let items = quote!(::core::iter::IntoIterator::into_iter(&*#entries).map(|__stream_entry| #item).collect::<::std::vec::Vec<_>>());
                (collected(&args[0], part, &items), false)
            })
        }
        ArrayFunc::Make => {
            let element = ty
                .base
                .element()
                .unwrap_or_else(|| panic!("internal error: `array(..)` of type {ty}"));
            let owned = element.base.is_borrowed() && !args.iter().all(lives_for_the_row);
            let items = args.iter().map(|arg| {
                let (code, nullable) = raw(arg, vars);
                let item_ty = ColType::new(element.base, nullable);
                // A variable or literal reads as a view already.
                let code = if owned { types::to_owned(item_ty, &code) } else { code };
                if element.nullable && !nullable {
                    quote!(::core::option::Option::Some(#code))
                } else {
                    code
                }
            });
            (quote!(::std::vec![#(#items),*]), false)
        }
    }
}

/// One row's pass through a generator: `rest` runs once per element of the array, with the
/// element (and its position) bound; for `explode_outer`, once with nulls for a null or empty
/// array. A `continue` in `rest` goes on with the next element.
pub(super) fn generate_code(
    generate: &Generate,
    vars: &[Var],
    live: &std::collections::BTreeSet<usize>,
    rest: &TokenStream,
) -> TokenStream {
    let core = core();
    let array = expr(&generate.array, vars);
    let element = element_type(&generate.array);
    let element_local = var_ident(generate.element);
    let item = types::element_view(element, &quote!(__stream_item));
    let position = generate.position.filter(|var| live.contains(var)).map(|var| {
        let local = var_ident(var);
        if generate.outer {
            quote!(let #local = __stream_item.map(|_| __stream_position as i32);)
        } else {
            quote!(let #local = __stream_position as i32;)
        }
    });
    let bind_element = if !live.contains(&generate.element) {
        quote!()
    } else if generate.outer {
        let each = if element.nullable {
            quote!(__stream_item.and_then(|__stream_item| #item))
        } else {
            quote!(__stream_item.map(|__stream_item| #item))
        };
        quote!(let #element_local = #each;)
    } else {
        quote!(let #element_local = #item;)
    };
    let items = match (generate.array.ty.nullable, generate.outer) {
        (false, false) => quote!(::core::iter::IntoIterator::into_iter(&*__stream_array)),
        (true, false) => quote!(::core::iter::IntoIterator::into_iter(
            __stream_array.as_deref().unwrap_or_default()
        )),
        (false, true) => quote!(#core::arrays::elements_or_null(::core::option::Option::Some(&*__stream_array))),
        (true, true) => quote!(#core::arrays::elements_or_null(__stream_array.as_deref())),
    };
    quote! {
        let __stream_array = #array;
        for (__stream_position, __stream_item) in ::core::iter::Iterator::enumerate(#items) {
            #position
            #bind_element
            #rest
        }
    }
}
