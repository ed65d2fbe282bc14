//! A query's generated items: its output row, its plan type implementing `StreamPlan`, and
//! the output-mode markers Spark's rules allow.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::expr::{accumulator_ident, expr, var_ident, view};
use super::row::{RowField, row_struct};
use super::types::{self, core};
use crate::ir::{Accumulator, AggFunc, Aggregate, BitOp, CoMoment, Moment, Step, TExpr, TypedQuery, VarId};
use crate::ir::{Forget, JoinKind, Plan, StatefulOperator, StaticJoin};
use crate::types::{Base, ColType, MAX_PRECISION, Precision};

/// The name of a query's output row struct: `SpendByUser` → `SpendByUserRow`.
pub(crate) fn row_name(query: &Ident) -> Ident {
    format_ident!("{}Row", query)
}

pub(crate) fn query(plan: &Plan) -> TokenStream {
    match &plan.upstream {
        Some(upstream) => {
            let upstream_items = plan_items(
                upstream,
                Stage::Upstream {
                    chain: &plan.query.name,
                },
            );
            let downstream_items = plan_items(plan, Stage::Downstream);
            let chain = super::chain::chained_query(plan, upstream);
            quote!(#upstream_items #downstream_items #chain)
        }
        None => plan_items(plan, Stage::Whole),
    }
}

/// Which part of a query a plan type is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage<'a> {
    /// All of it.
    Whole,
    /// The first stage of the chained query `chain`, up to its first stateful operation
    /// (hidden; its late rows are the chain's).
    Upstream { chain: &'a Ident },
    /// The stage of a chained query that reads the upstream's rows (hidden).
    Downstream,
}

/// A plan's items: its output row and its plan type. The stages of a chained query get hidden
/// types; the downstream's reads its upstream's rows, and leaves `read`, `explain` and the
/// output-mode markers to the chain.
fn plan_items(plan: &Plan, stage: Stage<'_>) -> TokenStream {
    let downstream = stage == Stage::Downstream;
    let core = core();
    let arrow = types::arrow_array();
    let query = &plan.query;
    let plan_type = query.downstream_type();
    let name = if downstream { &plan_type } else { &query.name };
    let name_text = query.name.to_string();
    let row = row_name(&query.name);
    let row_doc = format!("One output row of [`{}`].", query.name);
    let row_fields: Vec<RowField<'_>> = query
        .outputs
        .iter()
        .map(|(field, var)| RowField {
            name: field,
            ty: query.vars[*var].ty,
            attrs: &[],
        })
        .collect();
    let row_attrs: Vec<syn::Attribute> = if matches!(stage, Stage::Upstream { .. }) {
        vec![
            syn::parse_quote!(#[doc(hidden)]),
            syn::parse_quote!(#[allow(non_camel_case_types)]),
        ]
    } else {
        vec![syn::parse_quote!(#[doc = #row_doc])]
    };
    let row_item = row_struct(&row, &row_attrs, &row_fields);
    let inputs: Vec<&Ident> = query.inputs.iter().map(|input| &input.name).collect();
    let input_count = inputs.len();
    let input_facts = query.inputs.iter().map(|input| {
        let name = input.name.to_string();
        let schema = &input.schema;
        let required = super::decoder::input_required(plan, input);
        let decoder = if downstream {
            quote!(#core::decode::not_a_source())
        } else {
            let decoder_type = super::decoder::decoder_type(plan, input);
            quote!(#core::decode::factory::<#decoder_type>())
        };
        quote! {
            #core::plan::InputFacts {
                name: #name,
                schema: #core::source::SourceSchema {
                    declared: <#schema as #core::plan::Row>::schema(),
                    projection: ::std::vec![#(#required),*],
                    decoder: #decoder,
                },
            }
        }
    });
    let attrs = &query.attrs;
    let explain = &plan.explain;
    let fingerprint = plan.fingerprint;
    let key_columns = &plan.key_columns;
    let stateful = query.is_stateful();
    // Spark runs a batch without data when the watermark moves only for an operator it evicts
    // (or, for a processor, whose timers it fires).
    let evicts_by_watermark = match (query.stream_join(), &query.transform) {
        (Some(join), _) => {
            join.left.eviction != crate::ir::JoinEviction::Never
                || join.right.eviction != crate::ir::JoinEviction::Never
        }
        (None, Some(transform)) => transform.time_mode == crate::ir::TimeMode::EventTime,
        (None, None) => stateful,
    };
    let runs_every_trigger = query
        .transform
        .as_ref()
        .is_some_and(|t| t.time_mode == crate::ir::TimeMode::ProcessingTime);
    let watermark_delays = query.watermarks.iter().map(|(_, delay)| delay);
    let accumulators_ty = format_ident!("__stream_{}_Accumulators", name);
    let projection_item = (!downstream).then(|| super::decoder::query_projection(plan));
    // Deduplication remembers each key, with the event time that decides when to forget it.
    let dedup_parts = query.dedup().map(|dedup| {
        let key_types = dedup.keys.iter().map(|v| types::key_owned(query.vars[*v].ty));
        let forget = match crate::plan::dedup_forget(query) {
            Some(Forget::AfterDelay(delay)) => quote!(#core::operator::Forget::AfterDelay(#delay)),
            Some(Forget::AtEventTime) => quote!(#core::operator::Forget::AtEventTime),
            Some(Forget::Never) | None => quote!(#core::operator::Forget::Never),
        };
        (
            quote!(dedup: #core::operator::Deduplicate<(#(#key_types,)*)>,),
            quote!(dedup: #core::operator::Deduplicate::new(#forget),),
        )
    });
    let (state_field, state_init, state_type_items, metrics) = match &query.aggregate {
        Some(aggregate) if aggregate.session.is_some() => {
            let session_key = aggregate.session.as_ref().map(|s| s.key);
            let key_types: Vec<TokenStream> = aggregate
                .keys
                .iter()
                .filter(|v| Some(**v) != session_key)
                .map(|v| types::key_owned(query.vars[*v].ty))
                .collect();
            let fields = accumulator_fields(aggregate);
            let merge = merge_impl(aggregate, &accumulators_ty);
            let (gap, watermarked) = match plan.operator {
                Some(StatefulOperator::Session { gap, watermarked }) => (gap, watermarked),
                _ => (0, false),
            };
            (
                quote!(state: #core::operator::SessionAggregate<(#(#key_types,)*), #accumulators_ty>,),
                quote!(state: #core::operator::SessionAggregate::new(#gap, #watermarked),),
                quote! {
                    #[doc(hidden)]
                    #[allow(non_camel_case_types)]
                    #[derive(::core::default::Default, ::core::fmt::Debug)]
                    struct #accumulators_ty { #(#fields,)* }
                    #merge
                },
                quote!(::std::vec![#core::operator::StatefulOperator::report(&self.state)]),
            )
        }
        Some(aggregate) => {
            let key_types = aggregate.keys.iter().map(|v| types::key_owned(query.vars[*v].ty));
            let fields = accumulator_fields(aggregate);
            let key_type = quote!((#(#key_types,)*));
            // Order-sensitive sums merge a batch's partial sums into the totals as Spark does.
            let merge = rebased(aggregate).then(|| merge_impl(aggregate, &accumulators_ty));
            (
                quote!(state: #core::operator::KeyedAggregate<#key_type, #accumulators_ty>,),
                quote!(state: #core::operator::KeyedAggregate::new(),),
                quote! {
                    #[doc(hidden)]
                    #[allow(non_camel_case_types)]
                    #[derive(::core::default::Default, ::core::fmt::Debug)]
                    struct #accumulators_ty { #(#fields,)* }
                    #merge
                },
                quote!(::std::vec![#core::operator::StatefulOperator::report(&self.state)]),
            )
        }
        None if query.stream_join().is_some() => {
            let join = query.stream_join().unwrap_or_else(|| unreachable!());
            let (field, init, items) = super::stream_join::state(plan, join);
            (
                field,
                init,
                items,
                quote!(::std::vec![#core::operator::StatefulOperator::report(&self.join)]),
            )
        }
        None if query.transform.is_some() => {
            let transform = query.transform.as_ref().unwrap_or_else(|| unreachable!());
            let span = transform.processor.span();
            let function = &transform.processor;
            // A `GroupsFunction` runs as the processor `GroupsWithState` makes of it.
            let processor = if transform.groups {
                quote_spanned!(span=> #core::operator::stateful::GroupsWithState<#function>)
            } else {
                quote!(#function)
            };
            let time_mode = match transform.time_mode {
                crate::ir::TimeMode::None => quote!(None),
                crate::ir::TimeMode::ProcessingTime => quote!(ProcessingTime),
                crate::ir::TimeMode::EventTime => quote!(EventTime),
            };
            let (input, output) = (&transform.input, &transform.output);
            let output_event_time = transform.output_event_time.map(|var| {
                let field = transform
                    .output_columns
                    .iter()
                    .find(|(_, v)| *v == var)
                    .map(|(field, _)| field)
                    .unwrap_or_else(|| unreachable!("the event time is an output column"));
                let time = if query.vars[var].ty.nullable {
                    quote!(row.#field)
                } else {
                    quote!(::core::option::Option::Some(row.#field))
                };
                quote!(__stream_operator.with_output_event_time(|row: &#output| #time);)
            });
            let key_type = transform_key(query, transform, |ty, _| types::owned(ty));
            // Spanned on the processor, so that a processor of other rows is reported there.
            let operator_type = quote_spanned! {span=>
                #core::operator::stateful::TransformWithState<#processor>
            };
            let initial = transform.initial.as_ref().map(|(position, _)| {
                let schema = &query.statics[*position].schema;
                quote_spanned! {span=>
                    fn initial_state_of<P: #core::operator::stateful::HandlesInitialState<#schema>>() {}
                    initial_state_of::<#processor>();
                }
            });
            let bound = if transform.groups {
                quote!(#core::operator::stateful::GroupsFunction<Key = #key_type, Input = #input, Output = #output>)
            } else {
                quote!(#core::operator::stateful::StatefulProcessor<Key = #key_type, Input = #input, Output = #output> + ::core::default::Default)
            };
            let check = quote_spanned! {span=>
                const _: fn() = || {
                    fn processor_of<P: #bound>() {}
                    processor_of::<#function>();
                    #initial
                };
            };
            (
                quote!(transform: #operator_type,),
                quote!(transform: {
                    let mut __stream_operator = #core::operator::stateful::TransformWithState::new(<#processor as ::core::default::Default>::default(), #core::operator::stateful::TimeMode::#time_mode);
                    #output_event_time
                    __stream_operator
                },),
                check,
                quote!(::std::vec![#core::operator::StatefulOperator::report(&self.transform)]),
            )
        }
        None => match &dedup_parts {
            Some((field, init)) => (
                field.clone(),
                init.clone(),
                quote!(),
                quote!(::std::vec![#core::operator::StatefulOperator::report(&self.dedup)]),
            ),
            None => (quote!(), quote!(), quote!(), quote!(::std::vec::Vec::new())),
        },
    };
    // A deduplication before an aggregation is a second operator, reported after it (as Spark
    // lists a plan's operators, from the sink).
    let (state_field, state_init, metrics) = match (&query.aggregate, &dedup_parts) {
        (Some(_), Some((field, init))) => (
            quote!(#state_field #field),
            quote!(#state_init #init),
            quote!(::std::vec![
                #core::operator::StatefulOperator::report(&self.state),
                #core::operator::StatefulOperator::report(&self.dedup),
            ]),
        ),
        _ => (state_field, state_init, metrics),
    };
    let run_batch = sorted(plan, run_batch(plan));
    // The operators whose state a checkpoint stores: the sessions, the groups, the deduplication
    // keys (also before an aggregation), the join's buffered rows or a processor's state.
    let operators: Vec<TokenStream> = match (&query.aggregate, query.dedup()) {
        (Some(_), Some(_)) => vec![quote!(state), quote!(dedup)],
        (Some(_), None) => vec![quote!(state)],
        (None, Some(_)) => vec![quote!(dedup)],
        (None, None) if query.stream_join().is_some() => vec![quote!(join)],
        (None, None) if query.transform.is_some() => vec![quote!(transform)],
        (None, None) => Vec::new(),
    };
    let stateful_operators =
        quote!(::std::vec![#(&mut self.#operators as &mut dyn #core::operator::StatefulOperator),*]);
    let state_value_impl = query.aggregate.as_ref().map(|aggregate| {
        let fields: Vec<Ident> = (0..aggregate.accumulators.len())
            .map(|i| format_ident!("a{}", i))
            .collect();
        // In the checkpoint's record of the state's shape: each accumulator by its function.
        let names: Vec<String> = aggregate
            .accumulators
            .iter()
            .enumerate()
            .map(|(i, accumulator)| format!("{i}:{}", accumulator.func.name()))
            .collect();
        state_value_impl(&accumulators_ty, &fields, &names)
    });
    let (late_row_type, late_row_item, keeps_late_rows) = match &query.late_rows {
        Some(columns) => {
            let query_name = match stage {
                Stage::Upstream { chain } => chain,
                _ => name,
            };
            let late_row = late_row_name(query_name);
            let doc = format!("A row of [`{query_name}`] that its watermark dropped as late (`keep_late_rows()`).");
            let fields: Vec<RowField<'_>> = columns
                .iter()
                .map(|(field, var)| RowField {
                    name: field,
                    ty: query.vars[*var].ty,
                    attrs: &[],
                })
                .collect();
            (
                quote!(#late_row),
                row_struct(&late_row, &[syn::parse_quote!(#[doc = #doc])], &fields),
                quote!(#[automatically_derived] impl #core::plan::KeepsLateRows for #name {}),
            )
        }
        None => (quote!(#core::plan::NoRows), quote!(), quote!()),
    };
    // Spanned on the query's name, so that rustc's notes about the type point there.
    let joins: Vec<&StaticJoin> = query.joins().collect();
    let static_fields = joins.iter().map(|join| {
        let field = static_side_ident(join.index);
        let side = static_side_type(query, join);
        quote!(#field: ::core::option::Option<#side>,)
    });
    let static_inits: Vec<TokenStream> = joins
        .iter()
        .map(|join| {
            let field = static_side_ident(join.index);
            quote!(#field: ::core::option::Option::None,)
        })
        .collect();
    let attach = attach_static_tables(query, &joins);
    let hoist_static_sides = joins.iter().map(|join| {
        let field = static_side_ident(join.index);
        quote! {
            let #field = self.#field.as_ref().ok_or_else(|| #core::Error::SchemaMismatch {
                query: #name_text.to_owned(),
                message: "its static tables were not attached".to_owned(),
            })?;
        }
    });
    // The row loop runs over every input's batches, one input after the other (a union); a
    // stream–stream join reads each side's on its own.
    let input_binding = query
        .stream_join()
        .is_none()
        .then(|| quote!(let input = &mut #core::plan::input_batches(inputs, #input_count, #name_text)?;));
    let query_struct = quote_spanned!(name.span()=> pub struct #name { #state_field #(#static_fields)* });
    // A chain's stages are hidden: the chain is read, explained and given a mode (it runs its
    // upstream in append mode).
    let (doc, entry_points, markers) = match stage {
        Stage::Whole => {
            let query_doc = format!(
                "The compiled streaming query `{name}`. Start it with [`{name}::read`].\n\n```text\n{explain}```"
            );
            (
                quote!(#(#attrs)* #[doc = #query_doc]),
                Some(entry_points(query, name, explain)),
                mode_markers(name, plan.modes),
            )
        }
        Stage::Upstream { .. } | Stage::Downstream => (
            quote!(#[doc(hidden)] #[allow(non_camel_case_types)]),
            None,
            TokenStream::new(),
        ),
    };
    quote! {
        #row_item

        #state_type_items

        #doc
        #query_struct

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name_text)
            }
        }

        #entry_points

        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic)]
        impl #core::plan::StreamPlan for #name {
            type Output = #row;
            type LateRow = #late_row_type;

            fn facts() -> #core::plan::PlanFacts {
                #core::plan::PlanFacts {
                    name: #name_text,
                    inputs: ::std::vec![#(#input_facts),*],
                    stateful: #stateful,
                    evicts_by_watermark: #evicts_by_watermark,
                    runs_every_trigger: #runs_every_trigger,
                    watermark_delays_micros: ::std::vec![#(#watermark_delays),*],
                    key_columns: &[#(#key_columns),*],
                    explain: #explain,
                    fingerprint: #fingerprint,
                }
            }

            fn create() -> Self {
                Self { #state_init #(#static_inits)* }
            }

            #attach

            fn run_batch_stream(
                &mut self,
                inputs: &mut [#core::plan::InputBatches<'_>],
                mode: #core::OutputMode,
                context: &mut #core::plan::BatchContext,
            ) -> #core::Result<#arrow::RecordBatch> {
                #input_binding
                #(#hoist_static_sides)*
                #run_batch
            }

            fn state_operators(&self) -> ::std::vec::Vec<#core::plan::OperatorReport> {
                #metrics
            }

            fn stateful_operators(&mut self) -> ::std::vec::Vec<&mut dyn #core::operator::StatefulOperator> {
                #stateful_operators
            }
        }

        #projection_item
        #markers
        #state_value_impl
        #keeps_late_rows
        #late_row_item
    }
}

/// A query's `read`, which binds its inputs to sources and tables, and its `explain`: on the
/// plan type `name` of `query`, or of the chain whose upstream `query` is.
pub(crate) fn entry_points(query: &TypedQuery, name: &Ident, explain: &str) -> TokenStream {
    let core = core();
    let inputs: Vec<&Ident> = query.inputs.iter().map(|input| &input.name).collect();
    let read_params = query
        .signature
        .iter()
        .map(|input| match query.statics.iter().find(|s| s.name == *input) {
            Some(table) => {
                let schema = &table.schema;
                quote!(#input: #core::operator::StaticTable<#schema>)
            }
            None => quote!(#input: impl #core::source::Source),
        });
    let static_names = query.statics.iter().map(|table| &table.name);
    quote! {
        impl #name {
            /// Reads each of this query's inputs from the source given for it; choose the output
            /// mode, sink and trigger on the returned writer, then `start()` it.
            pub fn read(#(#read_params),*) -> #core::DataStreamWriter<Self> {
                #core::DataStreamWriter::from_sources_and_tables(
                    ::std::vec![#(::std::boxed::Box::new(#inputs) as ::std::boxed::Box<dyn #core::source::AnySource>),*],
                    ::std::vec![#(::std::sync::Arc::new(#static_names) as ::std::sync::Arc<dyn ::core::any::Any + ::core::marker::Send + ::core::marker::Sync>),*],
                )
            }

            /// The query's plan as text.
            pub fn explain() -> &'static str {
                #explain
            }
        }

    }
}

/// The output-mode marker traits plan type `name` implements: the modes Spark allows it.
pub(crate) fn mode_markers(name: &Ident, modes: crate::ir::ModeSupport) -> TokenStream {
    let core = core();
    let marker = |supported: bool, trait_name: &str| {
        let trait_ident = format_ident!("{}", trait_name);
        supported.then(|| quote!(#[automatically_derived] impl #core::plan::#trait_ident for #name {}))
    };
    let markers = [
        marker(modes.append, "SupportsAppend"),
        marker(modes.update, "SupportsUpdate"),
        marker(modes.complete, "SupportsComplete"),
    ];
    quote!(#(#markers)*)
}

/// `impl StateValue` for a generated struct: its `fields`, in order, named `names` in the
/// shape a checkpoint records.
pub(crate) fn state_value_impl(name: &Ident, fields: &[Ident], names: &[String]) -> TokenStream {
    let core = core();
    quote! {
        #[automatically_derived]
        impl #core::state::snapshot::StateValue for #name {
            fn state_type() -> #core::state::snapshot::StateType {
                #core::state::snapshot::StateType::Struct(::std::vec![
                    #((::std::string::String::from(#names), #core::state::snapshot::field_state_type(|s: &Self| &s.#fields))),*
                ])
            }
            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                #(#core::state::snapshot::StateValue::encode(&self.#fields, out);)*
            }
            fn decode(input: &mut &[u8]) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(Self { #(#fields: #core::state::snapshot::StateValue::decode(input)?,)* })
            }
        }
    }
}

/// The batch's rows, sorted and limited by the runtime's operator when the query says so (a
/// complete-mode result table).
fn sorted(plan: &Plan, run_batch: TokenStream) -> TokenStream {
    let query = &plan.query;
    if query.order_by.is_empty() && query.limit.is_none() {
        return run_batch;
    }
    let core = core();
    let keys = query.order_by.iter().map(|key| {
        let (column, descending, nulls_first) = (key.column, key.descending, key.nulls_first);
        quote!(#core::operator::SortKey { column: #column, descending: #descending, nulls_first: #nulls_first })
    });
    let limit = match query.limit {
        Some(limit) => quote!(::core::option::Option::Some(#limit)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        let __stream_table = (|| { #run_batch })()?;
        #core::operator::sort_limit(__stream_table, &[#(#keys),*], #limit)
    }
}

/// Field `aN` of the accumulator struct holds accumulator N (`avg` has two: sum and count).
fn accumulator_fields(aggregate: &Aggregate) -> Vec<TokenStream> {
    let core = core();
    aggregate
        .accumulators
        .iter()
        .enumerate()
        .map(|(index, accumulator)| {
            let field = format_ident!("a{}", index);
            let ty = match accumulator.func {
                AggFunc::Sum | AggFunc::Avg if accumulator.ty.base.is_decimal() => {
                    let (kind, sum) = decimal_total(accumulator);
                    let (p, s) = (sum.precision, sum.scale);
                    quote!(#core::aggregate::#kind<#p, #s>)
                }
                AggFunc::CountAll | AggFunc::Count | AggFunc::CountIf => quote!(i64),

                AggFunc::Avg => quote!((f64, i64)),
                AggFunc::Sum => types::owned(accumulator.ty),
                AggFunc::Min | AggFunc::Max | AggFunc::Bits(_) => {
                    let owned = stored_type(accumulator.arg.as_ref());
                    quote!(::core::option::Option<#owned>)
                }
                AggFunc::Moment(statistic) if statistic.higher() => quote!(#core::aggregate::HigherMoments),
                AggFunc::Moment(_) => quote!(#core::aggregate::Moments),
                AggFunc::CoMoment(_) => quote!(#core::aggregate::CoMoments),
                AggFunc::First { .. } | AggFunc::Last { .. } => {
                    let kind = if matches!(accumulator.func, AggFunc::First { .. }) {
                        quote!(First)
                    } else {
                        quote!(Last)
                    };
                    let owned = stored_type(accumulator.arg.as_ref());
                    quote!(#core::aggregate::#kind<#owned>)
                }
                AggFunc::ApproxCountDistinct { precision } => quote!(#core::aggregate::HyperLogLogPlusPlus<#precision>),
                AggFunc::Percentile { accuracy, .. } => quote!(#core::aggregate::ApproxPercentile<#accuracy>),
                AggFunc::ExactPercentile { .. } => {
                    let value = stored_type(accumulator.arg.as_ref());
                    quote!(#core::aggregate::ExactPercentile<#value>)
                }
                AggFunc::Collect { distinct } => {
                    let value = stored_type(accumulator.arg.as_ref());
                    quote!(#core::aggregate::Collected<#value, #distinct>)
                }
                AggFunc::MaxBy | AggFunc::MinBy => {
                    let (value, ordering) = (
                        stored_type(accumulator.arg.as_ref()),
                        stored_type(accumulator.second.as_ref()),
                    );
                    let max = accumulator.func == AggFunc::MaxBy;
                    quote!(#core::aggregate::ArgExtremum<#value, #ordering, #max>)
                }
            };
            quote!(#field: #ty)
        })
        .collect()
}

/// `held <op> value` for `bit_and`, `bit_or` and `bit_xor`.
fn bit_operation(operation: BitOp, held: TokenStream, value: TokenStream) -> TokenStream {
    match operation {
        BitOp::And => quote!(#held & #value),
        BitOp::Or => quote!(#held | #value),
        BitOp::Xor => quote!(#held ^ #value),
    }
}

/// The type in which state keeps a value of `arg` (not null: the accumulator says whether it
/// holds one).
fn stored_type(arg: Option<&TExpr>) -> TokenStream {
    types::owned(ColType::new(arg.map_or(Base::I64, |a| a.ty.base), false))
}

/// `arg`'s value as an `Option` of a view (`&str` for a string), for accumulators that see
/// nulls too.
fn optional_view(arg: &TExpr, vars: &[crate::ir::Var]) -> TokenStream {
    let value = expr(arg, vars);
    match (arg.ty.base, arg.ty.nullable) {
        (Base::Str, true) => quote!((#value).as_deref()),
        (Base::Str, false) => quote!(::core::option::Option::Some(&*#value)),
        (_, true) => value,
        (_, false) => quote!(::core::option::Option::Some(#value)),
    }
}

/// The runtime's accumulator of a decimal `sum` or `avg`, and the type of its total: the
/// input's precision plus ten (at most 38), as Spark's.
fn decimal_total(accumulator: &Accumulator) -> (Ident, Precision) {
    let input = accumulator
        .arg
        .as_ref()
        .and_then(|arg| arg.ty.base.decimal())
        .unwrap_or(Precision::new(MAX_PRECISION, 0));
    let sum = Precision::bounded(u32::from(input.precision) + 10, u32::from(input.scale));
    let kind = if accumulator.func == AggFunc::Sum {
        "DecimalSum"
    } else {
        "DecimalAvg"
    };
    (format_ident!("{}", kind), sum)
}

/// The local holding input column `index` (of the projected batch).
pub(crate) fn column_ident(index: usize) -> Ident {
    format_ident!("__stream_c{}", index)
}

/// Code for the steps that `plan` needs, in order: `let`s and `continue`-on-false filters.
fn steps(plan: &Plan, steps: &[Step]) -> TokenStream {
    steps_then(plan, steps, &quote!())
}

/// The steps, then `body`; a stream–static join runs the steps after it and `body` once per
/// matching row, a generator once per element (a `continue` then skips to the next one).
pub(crate) fn steps_then(plan: &Plan, steps: &[Step], body: &TokenStream) -> TokenStream {
    let query = &plan.query;
    if let Some(at) = steps
        .iter()
        .position(|step| matches!(step, Step::Join(_) | Step::Generate(_)))
    {
        let before = steps_then(plan, &steps[..at], &quote!());
        let after = steps_then(plan, &steps[at + 1..], body);
        let nested = match &steps[at] {
            Step::Join(join) => join_code(plan, join, &after),
            Step::Generate(generate) => super::arrays::generate_code(generate, &query.vars, &plan.live, &after),
            _ => after,
        };
        return quote!(#before #nested);
    }
    steps
        .iter()
        .filter(|step| plan.step_is_live(step))
        .map(|step| match step {
            Step::Let { var, expr: value } => {
                let local = var_ident(*var);
                let code = expr(value, &query.vars);
                quote!(let #local = #code;)
            }
            Step::Filter { condition } => {
                let code = expr(condition, &query.vars);
                if condition.ty.nullable {
                    quote!(if #code != ::core::option::Option::Some(true) { continue; })
                } else {
                    quote!(if !#code { continue; })
                }
            }
            Step::Dedup(dedup) => dedup_step(query, dedup),
            // The rows reaching `with_watermark` feed the batch's event-time statistics.
            Step::Watermark { var, index } => {
                let local = var_ident(*var);
                if query.vars[*var].ty.nullable {
                    // Spark reads a null event time as 0 (the epoch) in its statistics.
                    quote!(context.observe_event_time(#index, #local.unwrap_or_default());)
                } else {
                    quote!(context.observe_event_time(#index, #local);)
                }
            }
            // Nested around the steps after it, above; a stream–stream join splits the steps
            // (`stream_join::run_batch`).
            Step::Join(_) | Step::StreamJoin(_) | Step::Generate(_) => quote!(),
        })
        .chain(std::iter::once(body.clone()))
        .collect()
}

/// The field (and, in `run_batch`, the local) holding join `index`'s indexed table.
fn static_side_ident(index: usize) -> Ident {
    format_ident!("__stream_static_{}", index)
}

/// `StaticJoinSide<(key types,), Schema>` of a join.
fn static_side_type(query: &TypedQuery, join: &StaticJoin) -> TokenStream {
    let core = core();
    let table = &query.statics[join.table];
    let schema = &table.schema;
    let keys = join
        .keys
        .iter()
        .map(|(_, field)| types::key_owned(ColType::new(table.fields[*field].1.base, false)));
    quote!(#core::operator::StaticJoinSide<(#(#keys,)*), #schema>)
}

/// `attach_static_tables`: each join's table, indexed by its key (a row with a null key is
/// left out: it matches nothing).
fn attach_static_tables(query: &TypedQuery, joins: &[&StaticJoin]) -> TokenStream {
    let initial = query.transform.as_ref().and_then(|t| t.initial.as_ref());
    if joins.is_empty() && initial.is_none() {
        return quote!();
    }
    let core = core();
    let name_text = query.name.to_string();
    // A processor's initial state: each row of the table under its grouping columns.
    let initial = initial.map(|(position, columns)| {
        let schema = &query.statics[*position].schema;
        let parts: Vec<TokenStream> = columns
            .iter()
            .map(|column| quote!(::core::clone::Clone::clone(&__stream_row.#column)))
            .collect();
        let key = match parts.as_slice() {
            [one] => one.clone(),
            _ => quote!((#(#parts,)*)),
        };
        quote! {
            let __stream_table = #core::operator::static_table::<#schema>(tables, #position, #name_text)?;
            self.transform.with_initial_state(
                __stream_table.rows().iter().map(|__stream_row| (#key, ::core::clone::Clone::clone(__stream_row))).collect(),
            );
        }
    });
    let builds = joins.iter().map(|join| {
        let field = static_side_ident(join.index);
        let table = &query.statics[join.table];
        let schema = &table.schema;
        let position = join.table;
        let key_fields: Vec<(TokenStream, ColType)> = join
            .keys
            .iter()
            .map(|(_, field)| {
                let (name, ty) = &table.fields[*field];
                (types::view_of_owned(*ty, &quote!(__stream_row.#name)), *ty)
            })
            .collect();
        let probe = present_probe(&key_fields);
        quote! {
            let __stream_table = #core::operator::static_table::<#schema>(tables, #position, #name_text)?;
            let __stream_side = #core::operator::StaticJoinSide::of_table(&__stream_table, |__stream_row| #probe);
            self.#field = ::core::option::Option::Some(__stream_side);
        }
    });
    quote! {
        fn attach_static_tables(&mut self, tables: &#core::operator::StaticTables) -> #core::Result<()> {
            #(#builds)*
            #initial
            ::core::result::Result::Ok(())
        }
    }
}

/// `Some(probe)` of key values (each a view of its type), `None` when one is null.
fn present_probe(values: &[(TokenStream, ColType)]) -> TokenStream {
    let locals: Vec<Ident> = (0..values.len()).map(|i| format_ident!("__stream_k{}", i)).collect();
    let parts = values
        .iter()
        .zip(&locals)
        .map(|((_, ty), local)| types::key_probe(ColType::new(ty.base, false), &quote!(#local)));
    let patterns = values.iter().zip(&locals).map(|((_, ty), local)| {
        if ty.nullable {
            quote!(::core::option::Option::Some(#local))
        } else {
            quote!(#local)
        }
    });
    let views = values.iter().map(|(view, _)| view);
    quote! {
        match (#(#views,)*) {
            (#(#patterns,)*) => ::core::option::Option::Some((#(#parts,)*)),
            #[allow(unreachable_patterns)]
            _ => ::core::option::Option::None,
        }
    }
}

/// The probe of a stream–static join's table for the current row's keys (`None` when one is
/// null).
fn static_join_probe(query: &TypedQuery, join: &StaticJoin) -> TokenStream {
    let keys: Vec<(TokenStream, ColType)> = join
        .keys
        .iter()
        .map(|(var, _)| (view(query.vars[*var].ty, &var_ident(*var)), query.vars[*var].ty))
        .collect();
    present_probe(&keys)
}

/// One row's pass through a stream–static join: `rest` runs once per matching row of the table
/// (inner, left outer: with the table's columns bound), or once if the row is kept (semi, anti).
fn join_code(plan: &Plan, join: &StaticJoin, rest: &TokenStream) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let side = static_side_ident(join.index);
    let table = &query.statics[join.table];
    let probe = static_join_probe(query, join);
    let outer = join.kind == JoinKind::LeftOuter;
    let bindings = join
        .columns
        .iter()
        .filter(|(var, _)| plan.live.contains(var))
        .map(|(var, field)| {
            let local = var_ident(*var);
            let (name, ty) = &table.fields[*field];
            let value = types::view_of_owned(*ty, &quote!(__stream_matched.#name));
            let value = match (outer, ty.nullable) {
                (false, _) => value,
                (true, true) => quote!(__stream_right.and_then(|__stream_matched| #value)),
                (true, false) => quote!(__stream_right.map(|__stream_matched| #value)),
            };
            if outer {
                quote!(let #local = #value;)
            } else {
                quote!(let #local = { let __stream_matched = __stream_right; #value };)
            }
        });
    match join.kind {
        JoinKind::Inner => quote! {
            if let ::core::option::Option::Some(__stream_probe) = #probe {
                for __stream_right in #side.matches(__stream_probe) {
                    #(#bindings)*
                    #rest
                }
            }
        },
        JoinKind::LeftOuter => quote! {
            let __stream_probe = #probe;
            for __stream_right in #core::operator::matches_or_none(__stream_probe.map(|__stream_probe| #side.matches(__stream_probe))) {
                #(#bindings)*
                #rest
            }
        },
        JoinKind::LeftSemi => quote! {
            if !(#probe).is_some_and(|__stream_probe| #side.contains(__stream_probe)) { continue; }
            #rest
        },
        JoinKind::LeftAnti => quote! {
            if (#probe).is_some_and(|__stream_probe| #side.contains(__stream_probe)) { continue; }
            #rest
        },
    }
}

/// The fused per-row loop over the input batches, with `body` run for every row that passes
/// the pre-aggregation steps.
fn row_loop(plan: &Plan, body: &TokenStream) -> TokenStream {
    row_loop_with(plan, &RowLoopExtras::default(), body)
}

/// Code a row loop runs besides each row's body: once per input batch, after its columns are
/// bound, and at the start of each row, before any filter.
#[derive(Default)]
struct RowLoopExtras {
    per_batch: TokenStream,
    per_row: TokenStream,
}

fn row_loop_with(plan: &Plan, extras: &RowLoopExtras, body: &TokenStream) -> TokenStream {
    let query = &plan.query;
    let name_text = query.name.to_string();
    let columns = plan.required_inputs.iter().enumerate().map(|(index, var)| {
        let column = column_ident(index);
        types::bind_column(
            &column,
            query.vars[*var].ty.base,
            index,
            &query.vars[*var].name,
            &name_text,
        )
    });
    let reads = plan.required_inputs.iter().enumerate().map(|(index, var)| {
        let local = var_ident(*var);
        let column = column_ident(index);
        let value = types::read(query.vars[*var].ty, &quote!(#column), &quote!(__stream_row));
        quote!(let #local = #value;)
    });
    let pre_then_body = steps_then(plan, &query.pre, body);
    let RowLoopExtras { per_batch, per_row } = extras;
    let (join_per_batch, join_per_row): (Vec<TokenStream>, Vec<TokenStream>) = join_prefetches(plan)
        .into_iter()
        .map(|extras| (extras.per_batch, extras.per_row))
        .unzip();
    quote! {
        for __stream_batch in input {
            let __stream_batch = &__stream_batch?;
            #(#columns)*
            #per_batch
            #(#join_per_batch)*
            for __stream_row in 0..__stream_batch.num_rows() {
                #per_row
                #(#join_per_row)*
                #(#reads)*
                #pre_then_body
            }
        }
    }
}

/// Rows ahead of the current one at which a join starts loading its key's entry in the table.
const PREFETCH_JOIN_AHEAD: usize = 12;

/// For each stream–static join on input columns: the batch's key hashes computed up front,
/// and the table's entry for a row prefetched some rows ahead, so the probe finds it in the
/// cache (a dimension table is usually larger than the cache, and each probe a miss).
fn join_prefetches(plan: &Plan) -> Vec<RowLoopExtras> {
    let query = &plan.query;
    query
        .joins()
        .filter_map(|join| {
            let mut reads = Vec::new();
            for (var, _) in &join.keys {
                let column = plan.required_inputs.iter().position(|input| input == var)?;
                let local = var_ident(*var);
                let array = column_ident(column);
                let value = types::read(query.vars[*var].ty, &quote!(#array), &quote!(__stream_ahead));
                reads.push(quote!(let #local = #value;));
            }
            let probe = static_join_probe(query, join);
            let side = static_side_ident(join.index);
            let hashes = format_ident!("__stream_join_hashes_{}", join.index);
            let ahead = PREFETCH_JOIN_AHEAD;
            Some(RowLoopExtras {
                per_batch: quote! {
                    let #hashes: ::std::vec::Vec<u64> = (0..__stream_batch.num_rows())
                        .map(|__stream_ahead| {
                            #(#reads)*
                            (#probe).map_or(0, |__stream_probe| #side.hash(__stream_probe))
                        })
                        .collect();
                },
                per_row: quote! {
                    if let ::core::option::Option::Some(&__stream_ahead) = #hashes.get(__stream_row + #ahead) {
                        #side.prefetch(__stream_ahead);
                    }
                },
            })
        })
        .collect()
}

/// Rows ahead of the current one at which a grouping query starts loading a key's index entry,
/// and then its group, so that neither waits on memory when the row comes.
const PREFETCH_INDEX_AHEAD: usize = 16;
const PREFETCH_GROUP_AHEAD: usize = 8;

/// For a grouping by input columns (no window): each batch's key hashes computed up front, and
/// prefetches issued rows ahead from them. The upsert then uses `__stream_hashes[row]`.
/// `None` when a key is computed, or a row has several groups (windows).
fn group_prefetch(plan: &Plan, aggregate: &crate::ir::Aggregate) -> Option<RowLoopExtras> {
    let query = &plan.query;
    if aggregate.window.is_some() || aggregate.keys.is_empty() {
        return None;
    }
    let mut key_reads = Vec::new();
    for var in &aggregate.keys {
        let column = plan.required_inputs.iter().position(|input| input == var)?;
        let local = var_ident(*var);
        let array = column_ident(column);
        let value = types::read(query.vars[*var].ty, &quote!(#array), &quote!(__stream_ahead));
        key_reads.push(quote!(let #local = #value;));
    }
    let probe = aggregate
        .keys
        .iter()
        .map(|v| types::key_probe(query.vars[*v].ty, &view(query.vars[*v].ty, &var_ident(*v))));
    let (index_ahead, group_ahead) = (PREFETCH_INDEX_AHEAD, PREFETCH_GROUP_AHEAD);
    Some(RowLoopExtras {
        per_batch: quote! {
            __stream_hashes.clear();
            for __stream_ahead in 0..__stream_batch.num_rows() {
                #(#key_reads)*
                __stream_hashes.push(self.state.hash((#(#probe,)*)));
            }
        },
        per_row: quote! {
            if let ::core::option::Option::Some(&__stream_ahead) = __stream_hashes.get(__stream_row + #index_ahead) {
                self.state.prefetch_index(__stream_ahead);
            }
            if let ::core::option::Option::Some(&__stream_ahead) = __stream_hashes.get(__stream_row + #group_ahead) {
                self.state.prefetch_group(__stream_ahead);
            }
        },
    })
}

/// Builders for the output columns, the code appending the current row, and the finish.
fn output_builders(query: &TypedQuery, capacity: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let core = core();
    let row = quote!(<Self as #core::plan::StreamPlan>::Output);
    builders(query, &query.outputs, &row, "__stream_out", capacity)
}

/// The same for the late rows of a query with `keep_late_rows()` (all empty otherwise).
fn late_row_builders(query: &TypedQuery) -> (TokenStream, TokenStream, TokenStream) {
    match &query.late_rows {
        Some(columns) => {
            let core = core();
            let row = quote!(<Self as #core::plan::StreamPlan>::LateRow);
            builders(query, columns, &row, "__stream_late", &quote!(0))
        }
        None => (quote!(), quote!(), quote!()),
    }
}

/// Builders for `columns` of row type `row`: their creation, the code appending the current
/// row's values, and the expression finishing them into a batch.
fn builders(
    query: &TypedQuery,
    columns: &[(Ident, VarId)],
    row: &TokenStream,
    prefix: &str,
    capacity: &TokenStream,
) -> (TokenStream, TokenStream, TokenStream) {
    let core = core();
    let arrow = types::arrow_array();
    let name_text = query.name.to_string();
    let builders: Vec<Ident> = (0..columns.len()).map(|i| format_ident!("{}{}", prefix, i)).collect();
    let new = columns.iter().zip(&builders).map(|((_, var), builder)| {
        let init = types::new_builder(query.vars[*var].ty.base, capacity);
        quote!(let mut #builder = #init;)
    });
    let appends = columns.iter().zip(&builders).map(|((_, var), builder)| {
        let ty = query.vars[*var].ty;
        types::append(ty, &quote!(#builder), &view(ty, &var_ident(*var)))
    });
    (
        quote!(#(#new)*),
        quote!(#(#appends;)*),
        quote!(#core::columns::finish(
            &<#row as #core::plan::Row>::schema(),
            ::std::vec![#(::std::sync::Arc::new(#builders.finish()) as #arrow::ArrayRef),*],
            #name_text,
        )),
    )
}

/// The name of a query's late row struct: `EventsByHour` → `EventsByHourLateRow`.
pub(crate) fn late_row_name(query: &Ident) -> Ident {
    format_ident!("{}LateRow", query)
}

fn run_batch(plan: &Plan) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let capacity = quote!(__stream_capacity);
    let (new_builders, append_row, finish) = output_builders(query, &capacity);
    let (late_new, late_append, late_finish) = late_row_builders(query);
    let late_rows_out = if query.late_rows.is_some() {
        quote!(context.late_rows = ::core::option::Option::Some(#late_finish?);)
    } else {
        quote!()
    };
    if let Some(join) = query.stream_join() {
        return super::stream_join::run_batch(plan, join, &new_builders, &append_row, &finish);
    }
    if let Some(transform) = &query.transform {
        return transform_run_batch(plan, transform);
    }
    let Some(aggregate) = &query.aggregate else {
        let body = quote!(#append_row);
        let row_loop = row_loop(plan, &body);
        let (begin, end) = dedup_phases(query);
        return quote! {
            let _ = mode;
            #begin
            let #capacity: usize = input.size_hint().0;
            #new_builders
            #late_new
            #row_loop
            #end
            #late_rows_out
            #finish
        };
    };
    // Update the group's accumulators for each row.
    let probe = aggregate
        .keys
        .iter()
        .map(|v| types::key_probe(query.vars[*v].ty, &view(query.vars[*v].ty, &var_ident(*v))));
    let (late_new, late_append, late_rows_out) = (late_new, late_append, late_rows_out);
    let updates = aggregate
        .accumulators
        .iter()
        .enumerate()
        .map(|(index, accumulator)| {
            let field = format_ident!("a{}", index);
            let slot = quote!(__stream_acc.#field);
            let Some(arg) = &accumulator.arg else {
                return quote!(#slot += 1;);
            };
            match (accumulator.func, &accumulator.second) {
                (AggFunc::First { ignore_nulls } | AggFunc::Last { ignore_nulls }, _) => {
                    let value = optional_view(arg, &query.vars);
                    return quote!(#slot.update(#value, #ignore_nulls););
                }
                (AggFunc::MaxBy | AggFunc::MinBy, Some(ordering)) => {
                    let (value, ordering) = (optional_view(arg, &query.vars), optional_view(ordering, &query.vars));
                    return quote!(#slot.update(#value, #ordering););
                }
                // A pair with a null is skipped.
                (AggFunc::CoMoment(_), Some(y)) => {
                    let present = |value: &TExpr| {
                        let code = expr(value, &query.vars);
                        if value.ty.nullable { code } else { quote!(::core::option::Option::Some(#code)) }
                    };
                    let (x, y) = (present(arg), present(y));
                    return quote! {
                        if let (::core::option::Option::Some(__stream_x), ::core::option::Option::Some(__stream_y)) = (#x, #y) {
                            #slot.update(__stream_x, __stream_y);
                        }
                    };
                }
                _ => {}
            }
            let value = expr(arg, &query.vars);
            // Sums of narrower numbers accumulate as Spark's: integers in a bigint, floats in a double.
            let widen = |v: TokenStream| match arg.ty.base {
                Base::I8 | Base::I16 | Base::I32 => quote!(i64::from(#v)),
                Base::F32 => quote!(f64::from(#v)),
                _ => v,
            };
            let update = |v: TokenStream| match accumulator.func {
                // A global sum checks its batch's partial sum at the end only, a grouped one at
                // every row, as Spark's generated code does.
                AggFunc::Sum | AggFunc::Avg if accumulator.ty.base.is_decimal() && aggregate.keys.is_empty() => {
                    quote!(#slot.add_unchecked(#v);)
                }
                AggFunc::Sum | AggFunc::Avg if accumulator.ty.base.is_decimal() => quote!(#slot.add(#v);),
                AggFunc::CountAll | AggFunc::Count => quote!(#slot += 1;),
                AggFunc::Sum if accumulator.ty.base == Base::F64 && arg.ty.nullable => {
                    let v = widen(v);
                    quote!(#slot = ::core::option::Option::Some(#slot.unwrap_or(0.0) + #v);)
                }
                AggFunc::Sum if accumulator.ty.base == Base::F64 => {
                    let v = widen(v);
                    quote!(#slot += #v;)
                }
                AggFunc::Sum if arg.ty.nullable => {
                    let v = widen(v);
                    quote!(#slot = ::core::option::Option::Some(#slot.unwrap_or(0).wrapping_add(#v));)
                }
                AggFunc::Sum => {
                    let v = widen(v);
                    quote!(#slot = #slot.wrapping_add(#v);)
                }
                AggFunc::Avg => quote!({ #slot.0 += (#v as f64); #slot.1 += 1; }),
                AggFunc::Moment(_) | AggFunc::Percentile { .. } | AggFunc::ExactPercentile { .. } => {
                    quote!(#slot.update(#v);)
                }
                AggFunc::CountIf => quote!(if #v { #slot += 1; }),
                AggFunc::Bits(operation) => {
                    let apply = bit_operation(operation, quote!(__stream_held), v.clone());
                    quote!(#slot = ::core::option::Option::Some(match #slot { ::core::option::Option::Some(__stream_held) => #apply, ::core::option::Option::None => #v });)
                }
                AggFunc::ApproxCountDistinct { .. } | AggFunc::Collect { .. } => {
                    let v = if arg.ty.base == Base::Str { quote!(&*#v) } else { v };
                    quote!(#slot.update(#v);)
                }
                AggFunc::CoMoment(_) | AggFunc::First { .. } | AggFunc::Last { .. } | AggFunc::MaxBy | AggFunc::MinBy => {
                    unreachable!("updated above")
                }
                AggFunc::Min | AggFunc::Max => {
                    let func = if accumulator.func == AggFunc::Min {
                        quote!(update_min)
                    } else {
                        quote!(update_max)
                    };
                    let v = if arg.ty.base == Base::Str { quote!(&*#v) } else { v };
                    quote!(#core::aggregate::#func(&mut #slot, #v);)
                }
            };
            if arg.ty.nullable {
                let inner = update(quote!(__stream_value));
                quote!(if let ::core::option::Option::Some(__stream_value) = #value { #inner })
            } else {
                let inner = update(quote!(__stream_value));
                quote!({ let __stream_value = #value; #inner })
            }
        })
        .collect::<Vec<_>>();
    let probe: Vec<TokenStream> = probe.collect();
    let prefetch = group_prefetch(plan, aggregate);
    let upsert_call = match (prefetch.is_some(), rebased(aggregate)) {
        (true, false) => quote!(self.state.upsert_hashed((#(#probe,)*), __stream_hashes[__stream_row])),
        (true, true) => quote!(self.state.upsert_hashed_rebased((#(#probe,)*), __stream_hashes[__stream_row])),
        (false, false) => quote!(self.state.upsert((#(#probe,)*))),
        (false, true) => quote!(self.state.upsert_rebased((#(#probe,)*))),
    };
    let upsert = quote! {
        let __stream_acc = #upsert_call;
        #(#updates)*
    };
    // Late rows: in update and append modes a row whose event-time key the watermark has
    // passed is dropped and counted (complete mode keeps every row, as Spark does).
    let event_time = aggregate.event_time_key.map(|index| (index, aggregate.keys[index]));
    let is_window_key = |var: VarId| aggregate.window.as_ref().is_some_and(|w| w.key == var);
    // A window column an upstream stage emitted, grouped as it is: bounded by its end, as a
    // window key is (Spark's watermark predicate on a window struct).
    let is_window = |var: VarId| query.vars[var].ty.base == Base::Window;
    let late_check = event_time.map(|(_, var)| {
        // The row's event-time bound: its window's end, or its watermarked time.
        let bound = if is_window_key(var) {
            quote!(::core::option::Option::Some(__stream_window.end))
        } else if is_window(var) && query.vars[var].ty.nullable {
            let local = var_ident(var);
            quote!(#local.map(|__stream_window| __stream_window.end))
        } else if is_window(var) {
            let local = var_ident(var);
            quote!(::core::option::Option::Some(#local.end))
        } else if query.vars[var].ty.nullable {
            let local = var_ident(var);
            quote!(#local)
        } else {
            let local = var_ident(var);
            quote!(::core::option::Option::Some(#local))
        };
        // A late row goes to the late rows once, however many of its windows dropped it.
        let keep = match (&aggregate.window, query.late_rows.is_some()) {
            (_, false) => quote!(),
            (Some(_), true) => quote!(__stream_row_late = true;),
            (None, true) => late_append.clone(),
        };
        quote! {
            if self.state.drop_if_late((#(#probe,)*), #bound) {
                #keep
                continue;
            }
        }
    });
    let body = match &aggregate.window {
        Some(window) => {
            let key = var_ident(window.key);
            let ts = var_ident(window.ts);
            let (size, slide, offset) = (window.size, window.slide, window.offset);
            let (late_flag, late_flush) = if query.late_rows.is_some() {
                (
                    quote!(let mut __stream_row_late = false;),
                    quote!(if __stream_row_late { #late_append }),
                )
            } else {
                (quote!(), quote!())
            };
            let assign = quote! {
                #late_flag
                for __stream_window in #core::window::WindowSpec::new(#size, #slide, #offset).assign(__stream_ts) {
                    let #key = __stream_window;
                    #late_check
                    #upsert
                }
                #late_flush
            };
            // A row without an event time falls in no window, as in Spark.
            if query.vars[window.ts].ty.nullable {
                quote!(if let ::core::option::Option::Some(__stream_ts) = #ts { #assign })
            } else {
                quote!({ let __stream_ts = #ts; #assign })
            }
        }
        None => quote!(#late_check #upsert),
    };
    let row_loop = match &prefetch {
        Some(extras) => {
            let row_loop = row_loop_with(plan, extras, &body);
            quote! {
                let mut __stream_hashes: ::std::vec::Vec<u64> = ::std::vec::Vec::new();
                #row_loop
            }
        }
        None => row_loop(plan, &body),
    };
    // Emit: bind keys and finished accumulators, compute outputs, run post steps, append.
    let key_bindings = aggregate.key_outputs.iter().enumerate().map(|(index, var)| {
        let local = var_ident(*var);
        let position = syn::Index::from(index);
        let value = types::view_of_owned(query.vars[*var].ty, &quote!(__stream_key.#position));
        quote!(let #local = #value;)
    });
    let finished = aggregate.accumulators.iter().enumerate().map(|(index, accumulator)| {
        let local = accumulator_ident(index);
        let field = format_ident!("a{}", index);
        let slot = quote!(__stream_acc.#field);
        let value = match accumulator.func {
            AggFunc::Sum if accumulator.ty.base.is_decimal() => quote!(#slot.finish()),
            AggFunc::Avg if accumulator.ty.base.is_decimal() => {
                let result = accumulator.ty.base.decimal().unwrap_or(Precision::new(MAX_PRECISION, 0));
                let (p, s) = (result.precision, result.scale);
                quote!(#slot.finish::<#p, #s>())
            }
            AggFunc::CountAll | AggFunc::Count | AggFunc::CountIf | AggFunc::Sum | AggFunc::Bits(_) => quote!(#slot),
            AggFunc::Avg if accumulator.ty.nullable => {
                quote!(if #slot.1 == 0 { ::core::option::Option::None } else { ::core::option::Option::Some(#slot.0 / #slot.1 as f64) })
            }
            AggFunc::Avg => quote!(#slot.0 / #slot.1 as f64),
            AggFunc::Min | AggFunc::Max => match (accumulator.ty.base, accumulator.ty.nullable) {
                (Base::Str, true) => quote!(#slot.as_deref()),
                (Base::Str, false) => quote!(#slot.as_deref().unwrap_or_default()),
                (_, true) => quote!(#slot),
                (_, false) => quote!(#slot.unwrap_or_default()),
            },
            AggFunc::Moment(statistic) => {
                let method = match statistic {
                    Moment::StddevSamp => quote!(stddev_samp),
                    Moment::StddevPop => quote!(stddev_pop),
                    Moment::VarSamp => quote!(var_samp),
                    Moment::VarPop => quote!(var_pop),
                    Moment::Skewness => quote!(skewness),
                    Moment::Kurtosis => quote!(kurtosis),
                };
                quote!(#slot.#method())
            }
            AggFunc::CoMoment(statistic) => {
                let method = match statistic {
                    CoMoment::Corr => quote!(corr),
                    CoMoment::CovarSamp => quote!(covar_samp),
                    CoMoment::CovarPop => quote!(covar_pop),
                };
                quote!(#slot.#method())
            }
            AggFunc::ApproxCountDistinct { .. } => quote!(#slot.estimate()),
            AggFunc::Collect { .. } => quote!(#slot.items()),
            AggFunc::ExactPercentile { percentage_bits } => quote!(#slot.percentile(f64::from_bits(#percentage_bits))),
            AggFunc::Percentile { percentage_bits, .. } => {
                let value = types::owned(ColType::new(accumulator.ty.base, false));
                quote!(#slot.percentile::<#value>(f64::from_bits(#percentage_bits)))
            }
            AggFunc::First { .. } | AggFunc::Last { .. } | AggFunc::MaxBy | AggFunc::MinBy => {
                match (accumulator.ty.base, accumulator.ty.nullable) {
                    (Base::Str, true) => quote!(#slot.value().map(::std::string::String::as_str)),
                    (Base::Str, false) => quote!(#slot.value().map(::std::string::String::as_str).unwrap_or_default()),
                    (_, true) => quote!(#slot.value().copied()),
                    (_, false) => quote!(#slot.value().copied().unwrap_or_default()),
                }
            }
        };
        quote!(let #local = #value;)
    }).collect::<Vec<_>>();
    let outputs = aggregate
        .outputs
        .iter()
        .map(|(var, value)| {
            let local = var_ident(*var);
            let code = expr(value, &query.vars);
            quote!(let #local = #code;)
        })
        .collect::<Vec<_>>();
    let post = steps(plan, &query.post);
    let emission = Emission {
        finished,
        outputs,
        post,
        new_builders,
        append_row,
        finish,
    };
    if let Some(session) = &aggregate.session {
        let parts = SessionParts {
            updates,
            emission,
            late_new,
            late_append,
            late_rows_out,
        };
        return session_run_batch(plan, aggregate, session, parts);
    }
    // A group's event-time bound, by which the operator evicts it (and in append mode emits it).
    let key_types = aggregate.keys.iter().map(|v| types::key_owned(query.vars[*v].ty));
    let key_type = quote!(&(#(#key_types,)*));
    let bound = match event_time {
        Some((index, var)) => {
            let position = syn::Index::from(index);
            let bound = if is_window(var) && query.vars[var].ty.nullable {
                quote!(__stream_key.#position.map(|__stream_window| __stream_window.end))
            } else if is_window(var) {
                quote!(::core::option::Option::Some(__stream_key.#position.end))
            } else if query.vars[var].ty.nullable {
                quote!(__stream_key.#position)
            } else {
                quote!(::core::option::Option::Some(__stream_key.#position))
            };
            quote!(|__stream_key: #key_type| #bound)
        }
        None => quote!(|_: #key_type| ::core::option::Option::None),
    };
    let key_bindings: Vec<TokenStream> = key_bindings.collect();
    let emit = emission.build(&quote!((__stream_key, __stream_acc)), &key_bindings);
    let merge_rebased = rebased(aggregate).then(|| quote!(self.state.merge_rebased();));
    let (dedup_begin, dedup_end) = dedup_phases(query);
    quote! {
        self.state.begin_batch(mode, context);
        #dedup_begin
        #late_new
        #row_loop
        #dedup_end
        #merge_rebased
        #late_rows_out
        let __stream_bound = #bound;
        let __stream_groups = self.state.emit(context, __stream_bound);
        let __stream_output = #emit?;
        self.state.end_batch(__stream_bound);
        ::core::result::Result::Ok(__stream_output)
    }
}

/// A row's event time as an `Option<Timestamp>`: the value of `var` (`None` when it is null),
/// or `None` for a query without one.
fn optional_event_time(query: &TypedQuery, var: Option<VarId>) -> TokenStream {
    match var {
        Some(var) if query.vars[var].ty.nullable => {
            let local = var_ident(var);
            quote!(#local)
        }
        Some(var) => {
            let local = var_ident(var);
            quote!(::core::option::Option::Some(#local))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// A deduplication's start and end of a batch, when the query has one.
fn dedup_phases(query: &TypedQuery) -> (TokenStream, TokenStream) {
    match query.dedup() {
        Some(_) => (
            quote!(self.dedup.begin_batch(context);),
            quote!(self.dedup.end_batch(context);),
        ),
        None => (quote!(), quote!()),
    }
}

/// A processor's key: the one grouping column's value, or a tuple of them, each made by
/// `value` from the column's type and local.
fn transform_key(
    query: &TypedQuery,
    transform: &crate::ir::Transform,
    value: impl Fn(ColType, &Ident) -> TokenStream,
) -> TokenStream {
    let parts: Vec<TokenStream> = transform
        .keys
        .iter()
        .map(|v| value(query.vars[*v].ty, &var_ident(*v)))
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        _ => quote!((#(#parts,)*)),
    }
}

/// A batch of a query ending in `transform_with_state`: each row, as the processor's input
/// schema, goes to the operator under its key; the operator runs the processor at the end.
fn transform_run_batch(plan: &Plan, transform: &crate::ir::Transform) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let input = &transform.input;
    let output = &transform.output;
    let key = transform_key(query, transform, |ty, local| types::to_owned(ty, &view(ty, local)));
    let fields = transform.input_columns.iter().map(|(field, var)| {
        let ty = query.vars[*var].ty;
        let value = types::to_owned(ty, &view(ty, &var_ident(*var)));
        // `Into`: a nullable field also takes a column that cannot be null.
        quote!(#field: ::core::convert::Into::into(#value))
    });
    let event_time = optional_event_time(query, transform.event_time);
    let body = quote! {
        self.transform.push(#key, #input { #(#fields,)* }, #event_time);
    };
    let row_loop = row_loop(plan, &body);
    // The processor's rows are the output, unless stateless steps follow it: then each row's
    // fields are bound to the columns those steps read.
    let output_rows = if query.post.is_empty() && query.outputs == transform.output_columns {
        quote!(<#output as #core::plan::Row>::to_batch(&__stream_rows))
    } else {
        let capacity = quote!(__stream_capacity);
        let (new_builders, append_row, finish) = output_builders(query, &capacity);
        let bindings = transform.output_columns.iter().map(|(field, var)| {
            let local = var_ident(*var);
            let value = types::view_of_owned(query.vars[*var].ty, &quote!(__stream_row.#field));
            quote!(let #local = #value;)
        });
        let post = steps_then(plan, &query.post, &append_row);
        quote! {{
            let #capacity = __stream_rows.len();
            #new_builders
            for __stream_row in &__stream_rows {
                #(#bindings)*
                #post
            }
            #finish
        }}
    };
    quote! {
        let _ = mode;
        self.transform.begin_batch(context);
        #row_loop
        let __stream_rows = self.transform.end_batch(context)?;
        #output_rows
    }
}

/// A deduplication step in the row loop: drop a row later than the previous watermark (counted),
/// then let it through only if its key is new.
fn dedup_step(query: &TypedQuery, dedup: &crate::ir::Dedup) -> TokenStream {
    let core = core();
    let probe = dedup
        .keys
        .iter()
        .map(|v| types::key_probe(query.vars[*v].ty, &view(query.vars[*v].ty, &var_ident(*v))));
    // The row's event time, when the query has a watermark: the operator drops late rows and
    // forgets keys by it.
    let event_time = optional_event_time(query, dedup.event_time);
    let (_, keep, _) = late_row_builders(query);
    quote! {
        match self.dedup.admit((#(#probe,)*), #event_time) {
            #core::operator::Admission::New => {}
            #core::operator::Admission::Duplicate => continue,
            #core::operator::Admission::Late => {
                #keep
                continue;
            }
        }
    }
}

/// What an aggregation emits for each group: its finished accumulators, its output columns,
/// the steps after the aggregation, and the output row.
struct Emission {
    finished: Vec<TokenStream>,
    outputs: Vec<TokenStream>,
    post: TokenStream,
    new_builders: TokenStream,
    append_row: TokenStream,
    finish: TokenStream,
}

impl Emission {
    /// A block building the output batch from `__stream_groups`, each bound to `pattern` and
    /// its keys bound by `key_bindings`.
    fn build(&self, pattern: &TokenStream, key_bindings: &[TokenStream]) -> TokenStream {
        let Self {
            finished,
            outputs,
            post,
            new_builders,
            append_row,
            finish,
        } = self;
        quote! {{
            let __stream_capacity = __stream_groups.len();
            #new_builders
            for #pattern in __stream_groups {
                #(#key_bindings)*
                #(#finished)*
                #(#outputs)*
                #post
                #append_row
            }
            #finish
        }}
    }
}

/// The pieces of an aggregation's code that a session-window aggregation shares.
struct SessionParts {
    updates: Vec<TokenStream>,
    emission: Emission,
    late_new: TokenStream,
    late_append: TokenStream,
    late_rows_out: TokenStream,
}

/// A `session_window` aggregation: state holds each key's sessions; a row joins (and may merge)
/// sessions; append mode emits the sessions the watermark closes.
fn session_run_batch(
    plan: &Plan,
    aggregate: &Aggregate,
    session: &crate::ir::SessionKey,
    parts: SessionParts,
) -> TokenStream {
    let core = core();
    let query = &plan.query;
    let SessionParts {
        updates,
        emission,
        late_new,
        late_append,
        late_rows_out,
    } = parts;
    let others: Vec<VarId> = aggregate.keys.iter().copied().filter(|&v| v != session.key).collect();
    let probe: Vec<TokenStream> = others
        .iter()
        .map(|v| types::key_probe(query.vars[*v].ty, &view(query.vars[*v].ty, &var_ident(*v))))
        .collect();
    // The operator drops late rows (in every mode, as Spark does for sessions) and counts them.
    let keep = if query.late_rows.is_some() {
        late_append
    } else {
        quote!()
    };
    let ts = var_ident(session.ts);
    let join = match session.gap_per_row {
        None => quote! {
            if self.state.drop_if_late((#(#probe,)*), __stream_ts) {
                #keep
                continue;
            }
            let __stream_acc = self.state.add((#(#probe,)*), __stream_ts);
            #(#updates)*
        },
        Some(gap) => {
            // Spark drops a row whose gap is null or not a positive interval.
            let gap_text = var_ident(gap);
            let gap = if query.vars[gap].ty.nullable {
                quote!(#gap_text.and_then(|__gap| #core::session::gap_micros(&*__gap)))
            } else {
                quote!(#core::session::gap_micros(&*#gap_text))
            };
            quote! {
                let ::core::option::Option::Some(__stream_gap) = #gap else {
                    continue;
                };
                if self.state.drop_if_late_with_gap((#(#probe,)*), __stream_ts, __stream_gap) {
                    #keep
                    continue;
                }
                let __stream_acc = self.state.add_with_gap((#(#probe,)*), __stream_ts, __stream_gap);
                #(#updates)*
            }
        }
    };
    // A row without an event time joins no session, as in Spark.
    let body = if query.vars[session.ts].ty.nullable {
        quote!(if let ::core::option::Option::Some(__stream_ts) = #ts { #join })
    } else {
        quote!({ let __stream_ts = #ts; #join })
    };
    let row_loop = row_loop(plan, &body);
    let session_binding = quote! {
        let (__stream_start, __stream_end, __stream_acc) =
            (__stream_session.start, __stream_session.end, &__stream_session.value);
    };
    let key_bindings = std::iter::once(session_binding)
        .chain(aggregate.keys.iter().zip(&aggregate.key_outputs).map(|(key, output)| {
            let local = var_ident(*output);
            if *key == session.key {
                return quote!(let #local = #core::Window { start: __stream_start, end: __stream_end };);
            }
            let position = syn::Index::from(others.iter().position(|v| v == key).unwrap_or(0));
            let value = types::view_of_owned(query.vars[*output].ty, &quote!(__stream_key.#position));
            quote!(let #local = #value;)
        }))
        .collect::<Vec<_>>();
    let emit = emission.build(&quote!((__stream_key, __stream_session)), &key_bindings);
    let (dedup_begin, dedup_end) = dedup_phases(query);
    quote! {
        self.state.begin_batch(mode, context);
        #dedup_begin
        #late_new
        #row_loop
        #dedup_end
        #late_rows_out
        let __stream_groups = self.state.emit(context);
        #emit
    }
}

/// Whether a grouped aggregation has an accumulator whose result depends on the order of its
/// updates and merges (a double's sum, a decimal's overflow, a mean, `first`, ...), so that a
/// batch's rows are aggregated apart and then merged with the totals, in Spark's order
/// (`KeyedAggregate::upsert_rebased`).
fn rebased(aggregate: &Aggregate) -> bool {
    aggregate.session.is_none()
        && aggregate
            .accumulators
            .iter()
            .any(|accumulator| accumulator.func.order_sensitive(accumulator.ty))
}

/// `impl Merge` for an aggregation's accumulators: how two partial totals combine (two
/// sessions, or the totals kept in state and a batch's partial results), `self` first.
fn merge_impl(aggregate: &Aggregate, accumulators_ty: &Ident) -> TokenStream {
    let core = core();
    let merges = aggregate.accumulators.iter().enumerate().map(|(index, accumulator)| {
        let field = format_ident!("a{}", index);
        let arg_ty = accumulator.arg.as_ref().map(|a| a.ty);
        match accumulator.func {
            AggFunc::Sum | AggFunc::Avg if accumulator.ty.base.is_decimal() => quote!(self.#field.merge(other.#field);),
            AggFunc::CountAll | AggFunc::Count | AggFunc::CountIf => quote!(self.#field += other.#field;),
            AggFunc::Bits(operation) => {
                let apply = bit_operation(operation, quote!(__stream_a), quote!(__stream_b));
                quote! {
                    self.#field = match (self.#field, other.#field) {
                        (::core::option::Option::Some(__stream_a), ::core::option::Option::Some(__stream_b)) => ::core::option::Option::Some(#apply),
                        (__stream_a, __stream_b) => __stream_a.or(__stream_b),
                    };
                }
            }
            AggFunc::Avg => quote!(self.#field.0 += other.#field.0; self.#field.1 += other.#field.1;),
            AggFunc::Sum if accumulator.ty.base == Base::F64 && accumulator.ty.nullable => quote! {
                self.#field = match (self.#field, other.#field) {
                    (::core::option::Option::Some(a), ::core::option::Option::Some(b)) => ::core::option::Option::Some(a + b),
                    (a, b) => a.or(b),
                };
            },
            AggFunc::Sum if accumulator.ty.base == Base::F64 => quote!(self.#field += other.#field;),
            AggFunc::Sum if accumulator.ty.nullable => quote! {
                self.#field = match (self.#field, other.#field) {
                    (::core::option::Option::Some(a), ::core::option::Option::Some(b)) => ::core::option::Option::Some(a.wrapping_add(b)),
                    (a, b) => a.or(b),
                };
            },
            AggFunc::Sum => quote!(self.#field = self.#field.wrapping_add(other.#field);),
            AggFunc::Moment(_)
            | AggFunc::CoMoment(_)
            | AggFunc::First { .. }
            | AggFunc::Last { .. }
            | AggFunc::MaxBy
            | AggFunc::MinBy
            | AggFunc::ApproxCountDistinct { .. }
            | AggFunc::Percentile { .. }
            | AggFunc::ExactPercentile { .. }
            | AggFunc::Collect { .. } => {
                quote!(self.#field.merge(other.#field);)
            }
            AggFunc::Min | AggFunc::Max => {
                let func = if accumulator.func == AggFunc::Min { quote!(update_min) } else { quote!(update_max) };
                let value = if arg_ty.is_some_and(|t| t.base == Base::Str) { quote!(__stream_v.as_str()) } else { quote!(__stream_v) };
                quote! {
                    if let ::core::option::Option::Some(__stream_v) = other.#field {
                        #core::aggregate::#func(&mut self.#field, #value);
                    }
                }
            }
        }
    });
    // Moments change as Spark's stages merge them into fresh buffers: the batch's after the
    // shuffle, the stored one before the batch's is merged into it, or the batch's again when
    // nothing was stored. A quantile summary is compressed when first serialized.
    let settling: Vec<Ident> = aggregate
        .accumulators
        .iter()
        .enumerate()
        .filter(|(_, accumulator)| accumulator.func.settles())
        .map(|(index, _)| format_ident!("a{}", index))
        .collect();
    let settle = (!settling.is_empty()).then(|| {
        quote! {
            const SETTLES: bool = true;
            fn merge_stored(&mut self, stored: ::core::option::Option<Self>) {
                #(self.#settling.refresh();)*
                match stored {
                    ::core::option::Option::Some(mut total) => {
                        #(total.#settling.refresh();)*
                        ::core::mem::swap(self, &mut total);
                        #core::session::Merge::merge(self, total);
                    }
                    ::core::option::Option::None => {
                        #(self.#settling.refresh();)*
                    }
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #core::session::Merge for #accumulators_ty {
            #settle
            #[allow(clippy::all)]
            fn merge(&mut self, other: Self) {
                #(#merges)*
            }
        }
    }
}
