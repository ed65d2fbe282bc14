//! The code of a query with a stream–stream join: each side's buffered row type, the
//! runtime's `StreamJoin` over them, and the batch that runs each side's input rows through it
//! (in the order the operator asks for), then the joined rows through the steps after it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::expr::{expr, var_ident, view};
use super::query::{column_ident, steps_then};
use super::types::{self, core};
use crate::ir::{JoinEviction, JoinSide, Plan, Step, StreamJoin, StreamJoinKind, VarId};
use crate::types::Base;

/// The variables a side's buffered rows keep: those read after the join or by its condition.
fn buffered_vars(plan: &Plan, join: &StreamJoin, side: &JoinSide) -> Vec<VarId> {
    let mut condition_vars = Vec::new();
    if let Some(condition) = &join.condition {
        condition.visit_vars(&mut |var| condition_vars.push(var));
    }
    let mut vars: Vec<VarId> = side
        .columns
        .iter()
        .enumerate()
        .filter(|(index, (_, var))| {
            side.outputs.get(*index).is_some_and(|out| plan.live.contains(out)) || condition_vars.contains(var)
        })
        .map(|(_, (_, var))| *var)
        .collect();
    vars.sort_unstable();
    vars.dedup();
    vars
}

fn field(var: VarId) -> Ident {
    format_ident!("f{}", var)
}

/// A side's row struct, with its exact state encoding.
fn row_item(plan: &Plan, name: &Ident, vars: &[VarId]) -> TokenStream {
    let core = core();
    let fields: Vec<Ident> = vars.iter().map(|var| field(*var)).collect();
    let types = vars.iter().map(|var| types::owned(plan.query.vars[*var].ty));
    let names: Vec<String> = vars.iter().map(|var| plan.query.vars[*var].name.clone()).collect();
    let state_value = super::query::state_value_impl(name, &fields, &names);
    let heap = vars.iter().filter_map(|var| {
        let ty = plan.query.vars[*var].ty;
        let field = field(*var);
        (ty.base == Base::Str).then(|| {
            if ty.nullable {
                quote!(self.#field.as_ref().map_or(0, ::std::string::String::capacity))
            } else {
                quote!(self.#field.capacity())
            }
        })
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        struct #name { #(#fields: #types,)* }

        #state_value

        #[automatically_derived]
        impl #core::operator::JoinRow for #name {
            fn heap_bytes(&self) -> usize {
                0 #(+ #heap)*
            }
        }
    }
}

fn row_names(plan: &Plan) -> (Ident, Ident) {
    let name = &plan.query.name;
    (
        format_ident!("__stream_{}_Left", name),
        format_ident!("__stream_{}_Right", name),
    )
}

fn eviction(eviction: &JoinEviction) -> TokenStream {
    let core = core();
    match eviction {
        JoinEviction::Never => quote!(#core::operator::Eviction::Never),
        JoinEviction::AtWatermark { .. } => quote!(#core::operator::Eviction::AtWatermark),
        JoinEviction::Bounded { bounds, .. } => {
            let bounds = bounds
                .iter()
                .map(|(offset, inclusive)| quote!(#core::operator::TimeBound { offset_micros: #offset, inclusive: #inclusive }));
            quote!(#core::operator::Eviction::Bounded(&[#(#bounds),*]))
        }
    }
}

fn join_type(kind: StreamJoinKind) -> TokenStream {
    let core = core();
    let variant = format_ident!("{}", kind.spark_name());
    quote!(#core::operator::StreamJoinType::#variant)
}

/// The type of a key in state: null-able if either side's is (a null key matches a null key,
/// as in Spark).
fn key_type(plan: &Plan, (left, right): (VarId, VarId)) -> crate::types::ColType {
    let (left, right) = (plan.query.vars[left].ty, plan.query.vars[right].ty);
    crate::types::ColType::new(left.base, left.nullable || right.nullable)
}

/// The query's state field, its initialisation and the side row types.
pub(crate) fn state(plan: &Plan, join: &StreamJoin) -> (TokenStream, TokenStream, TokenStream) {
    let core = core();
    let (left, right) = row_names(plan);
    let key_types = join.keys.iter().map(|pair| types::key_owned(key_type(plan, *pair)));
    let items_left = row_item(plan, &left, &buffered_vars(plan, join, &join.left));
    let items_right = row_item(plan, &right, &buffered_vars(plan, join, &join.right));
    let kind = join_type(join.kind);
    let (left_eviction, right_eviction) = (eviction(&join.left.eviction), eviction(&join.right.eviction));
    (
        quote!(join: #core::operator::StreamJoin<(#(#key_types,)*), #left, #right>,),
        quote!(join: #core::operator::StreamJoin::new(#kind, #left_eviction, #right_eviction),),
        quote!(#items_left #items_right),
    )
}

/// A side's row built from the row loop's locals.
fn build_row(plan: &Plan, name: &Ident, vars: &[VarId]) -> TokenStream {
    let fields = vars.iter().map(|var| {
        let (field, local) = (field(*var), var_ident(*var));
        let ty = plan.query.vars[*var].ty;
        let value = match (ty.base, ty.nullable) {
            (Base::Str, false) => quote!(::std::borrow::ToOwned::to_owned(&*#local)),
            (Base::Str, true) => quote!(#local.as_deref().map(::std::borrow::ToOwned::to_owned)),
            _ => quote!(#local),
        };
        quote!(#field: #value)
    });
    quote!(#name { #(#fields,)* })
}

/// Binds `vars` from a buffered row `row` (a reference) to the locals expressions read.
fn bind_row(plan: &Plan, row: &TokenStream, vars: &[VarId]) -> TokenStream {
    let bindings = vars.iter().map(|var| {
        let (field, local) = (field(*var), var_ident(*var));
        let value = types::view_of_owned(plan.query.vars[*var].ty, &quote!(#row.#field));
        quote!(let #local = #value;)
    });
    quote!(#(#bindings)*)
}

/// The event time that evicts a side's row, as an `Option<Timestamp>`.
fn eviction_time(plan: &Plan, eviction: &JoinEviction) -> TokenStream {
    let var = match eviction {
        JoinEviction::Never => return quote!(::core::option::Option::None),
        JoinEviction::AtWatermark { var } | JoinEviction::Bounded { var, .. } => *var,
    };
    let local = var_ident(var);
    let ty = plan.query.vars[var].ty;
    let time = |v: TokenStream| if ty.base == Base::Window { quote!(#v.end) } else { v };
    if ty.nullable {
        let inner = time(quote!(__stream_t));
        quote!(#local.map(|__stream_t| #inner))
    } else {
        let inner = time(quote!(#local));
        quote!(::core::option::Option::Some(#inner))
    }
}

/// The body a side's row loop runs for each row that passes its steps: the late-row filter,
/// the pre-join filter, then the join.
fn side_body(plan: &Plan, join: &StreamJoin, left_side: bool) -> TokenStream {
    let query = &plan.query;
    let (left, right) = row_names(plan);
    let (side, name, method) = if left_side {
        (&join.left, &left, quote!(join_left))
    } else {
        (&join.right, &right, quote!(join_right))
    };
    // A window's end, as Spark compares a window column with the watermark.
    let late = side.watermark.map(|var| {
        let local = var_ident(var);
        let end = (query.vars[var].ty.base == Base::Window).then(|| quote!(.end));
        if query.vars[var].ty.nullable {
            quote!(if let ::core::option::Option::Some(__stream_t) = #local && self.join.is_late(__stream_t #end) { continue; })
        } else {
            quote!(if self.join.is_late(#local #end) { continue; })
        }
    });
    let vars = buffered_vars(plan, join, side);
    let row = build_row(plan, name, &vars);
    let unmatchable = side.pre_filters.iter().map(|condition| {
        let code = expr(condition, &query.vars);
        let test = if condition.ty.nullable {
            quote!(#code != ::core::option::Option::Some(true))
        } else {
            quote!(!#code)
        };
        let pair = if left_side {
            quote!((
                ::core::option::Option::Some(__stream_row_value),
                ::core::option::Option::None
            ))
        } else {
            quote!((
                ::core::option::Option::None,
                ::core::option::Option::Some(__stream_row_value)
            ))
        };
        quote!(if #test { let __stream_row_value = #row; __stream_pairs.push(#pair); continue; })
    });
    let keys = join.keys.iter().map(|pair| {
        let var = if left_side { pair.0 } else { pair.1 };
        let ty = query.vars[var].ty;
        let key_ty = key_type(plan, *pair);
        let value = view(ty, &var_ident(var));
        let value = if key_ty.nullable && !ty.nullable {
            quote!(::core::option::Option::Some(#value))
        } else {
            value
        };
        types::key_probe(key_ty, &value)
    });
    let probe = quote!((#(#keys,)*));
    let time = eviction_time(plan, &side.eviction);
    let condition = condition_closure(plan, join);
    quote! {
        #late
        #(#unmatchable)*
        let __stream_key = #probe;
        let __stream_time = #time;
        self.join.#method(__stream_key, #row, __stream_time, #condition, |__stream_l, __stream_r| {
            __stream_pairs.push((__stream_l.cloned(), __stream_r.cloned()));
        });
    }
}

/// `|left, right| condition` over two buffered rows.
fn condition_closure(plan: &Plan, join: &StreamJoin) -> TokenStream {
    let Some(condition) = &join.condition else {
        return quote!(|_: &_, _: &_| true);
    };
    let (left, right) = row_names(plan);
    let mut vars = Vec::new();
    condition.visit_vars(&mut |var| vars.push(var));
    vars.sort_unstable();
    vars.dedup();
    let on_left: Vec<VarId> = vars
        .iter()
        .copied()
        .filter(|var| join.left.columns.iter().any(|(_, v)| v == var))
        .collect();
    let on_right: Vec<VarId> = vars.iter().copied().filter(|var| !on_left.contains(var)).collect();
    let bind_left = bind_row(plan, &quote!(__stream_cl), &on_left);
    let bind_right = bind_row(plan, &quote!(__stream_cr), &on_right);
    let code = expr(condition, &plan.query.vars);
    let test = if condition.ty.nullable {
        quote!(#code == ::core::option::Option::Some(true))
    } else {
        code
    };
    quote!(|__stream_cl: &#left, __stream_cr: &#right| { #bind_left #bind_right #test })
}

/// A row loop over the batches of `input` (a `&mut` iterator of record batches) holding the
/// `required` variables as columns, in order, running `body` per row.
fn row_loop(plan: &Plan, input: &TokenStream, required: &[VarId], body: &TokenStream) -> TokenStream {
    let query = &plan.query;
    let name_text = query.name.to_string();
    let columns = required.iter().enumerate().map(|(index, var)| {
        let column = column_ident(index);
        types::bind_column(
            &column,
            query.vars[*var].ty.base,
            index,
            &query.vars[*var].name,
            &name_text,
        )
    });
    let reads = required.iter().enumerate().map(|(index, var)| {
        let local = var_ident(*var);
        let column = column_ident(index);
        let value = types::read(query.vars[*var].ty, &quote!(#column), &quote!(__stream_row));
        quote!(let #local = #value;)
    });
    quote! {
        for __stream_batch in #input {
            let __stream_batch = &__stream_batch?;
            #(#columns)*
            for __stream_row in 0..__stream_batch.num_rows() {
                #(#reads)*
                #body
            }
        }
    }
}

/// `run_batch_stream` of a query with a stream–stream join.
pub(crate) fn run_batch(
    plan: &Plan,
    join: &StreamJoin,
    new_builders: &TokenStream,
    append_row: &TokenStream,
    finish: &TokenStream,
) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let name_text = query.name.to_string();
    let at = query
        .pre
        .iter()
        .position(|step| matches!(step, Step::StreamJoin(_)))
        .unwrap_or(query.pre.len());
    let (left_steps, after) = (&query.pre[..at], &query.pre[(at + 1).min(query.pre.len())..]);
    let left_body = side_body(plan, join, true);
    let left_loop = row_loop(
        plan,
        &quote!(&mut **__stream_input),
        &plan.required_inputs,
        &steps_then(plan, left_steps, &left_body),
    );
    let right_required: Vec<VarId> = join
        .right_input_vars
        .iter()
        .copied()
        .filter(|var| plan.live.contains(var))
        .collect();
    let right_body = side_body(plan, join, false);
    let right_loop = row_loop(
        plan,
        &quote!(&mut **__stream_input),
        &right_required,
        &steps_then(plan, &join.right_steps, &right_body),
    );
    let right_index = join.right_input;
    let input_count = query.inputs.len();
    // The joined rows' columns, from the pair of buffered rows.
    let bind_outputs = |side: &JoinSide, row: &TokenStream, padded: bool| {
        let bindings = side
            .columns
            .iter()
            .zip(&side.outputs)
            .filter(|(_, out)| plan.live.contains(out))
            .map(|((_, var), out)| {
                let local = var_ident(*out);
                let ty = query.vars[*var].ty;
                let field = field(*var);
                let value = types::view_of_owned(ty, &quote!(__stream_side.#field));
                let value = if !padded {
                    value
                } else if ty.nullable {
                    quote!(#row.as_ref().and_then(|__stream_side| #value))
                } else {
                    quote!(#row.as_ref().map(|__stream_side| #value))
                };
                if padded {
                    quote!(let #local = #value;)
                } else {
                    quote!(let #local = { let __stream_side = #row; #value };)
                }
            });
        let unwrap =
            (!padded).then(|| quote!(let ::core::option::Option::Some(#row) = #row.as_ref() else { continue; };));
        quote!(#unwrap #(#bindings)*)
    };
    let left_out = bind_outputs(&join.left, &quote!(__stream_pl), join.kind.preserves_right());
    let right_out = if join.kind == StreamJoinKind::LeftSemi {
        quote!(let _ = __stream_pr;)
    } else {
        bind_outputs(&join.right, &quote!(__stream_pr), join.kind.preserves_left())
    };
    let rest = steps_then(plan, after, append_row);
    let (left, right) = row_names(plan);
    quote! {
        let _ = mode;
        if inputs.len() != #input_count {
            return ::core::result::Result::Err(#core::Error::SchemaMismatch {
                query: #name_text.to_owned(),
                message: ::std::format!("it reads {} inputs, but was given {}", #input_count, inputs.len()),
            });
        }
        self.join.begin_batch(context);
        let mut __stream_pairs: ::std::vec::Vec<(::core::option::Option<#left>, ::core::option::Option<#right>)> = ::std::vec::Vec::new();
        // In the order the operator runs them (Spark's: every left row, then every right row).
        for __stream_side in self.join.input_order() {
            match __stream_side {
                #core::operator::JoinInput::Left => {
                    for (__stream_input_index, __stream_input) in inputs.iter_mut().enumerate() {
                        if __stream_input_index == #right_index {
                            continue;
                        }
                        #left_loop
                    }
                }
                #core::operator::JoinInput::Right => {
                    let __stream_input = &mut inputs[#right_index];
                    #right_loop
                }
            }
        }
        self.join.end_batch(context, |__stream_l, __stream_r| {
            __stream_pairs.push((__stream_l.cloned(), __stream_r.cloned()));
        });
        let __stream_capacity = __stream_pairs.len();
        #new_builders
        for (__stream_pl, __stream_pr) in &__stream_pairs {
            #left_out
            #right_out
            #rest
        }
        #finish
    }
}
