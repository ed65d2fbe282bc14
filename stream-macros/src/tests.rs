//! Tests of the whole pipeline on tokens.

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Diagnostics;
use crate::{parse, plan, schema, typecheck};

const SEED_SCHEMA: &str =
    "schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }";

/// Runs every stage up to the plan; returns the plan's explain text or the error messages.
fn check(query: TokenStream) -> Result<crate::ir::Plan, Vec<String>> {
    let schema: TokenStream = SEED_SCHEMA.parse().unwrap();
    let parsed = parse::parse(quote!(#schema #query)).map_err(|e| vec![e.to_string()])?;
    let diagnostics = Diagnostics::new();
    let schemas = schema::resolve(&parsed.schemas, &diagnostics);
    let typed = typecheck::check_query(&parsed.queries[0], &schemas, &diagnostics);
    let messages = diagnostics.messages();
    drop(diagnostics.finish());
    match typed {
        Ok(typed) if messages.is_empty() => Ok(plan::plan(typed)),
        _ => Err(messages),
    }
}

fn errors(query: TokenStream) -> Vec<String> {
    match check(query) {
        Ok(plan) => panic!("expected errors, got a plan:\n{}", plan.explain),
        Err(messages) => messages,
    }
}

#[test]
fn seed_query_plans_and_prunes_unused_columns() {
    let plan = check(quote! {
        query SpendByUser(raw: Event) {
            raw.with_column(event_time = to_timestamp(event_time))
               .group_by(user_id)
               .agg(events = count(), total_amount = round(sum(amount), 2))
        }
    })
    .unwrap();
    // event_time is converted but never used: neither decoded nor computed.
    assert_eq!(plan.required_inputs, [1, 4]);
    assert_eq!(plan.key_columns, [0]);
    assert_eq!(
        plan.modes,
        crate::ir::ModeSupport {
            append: false,
            update: true,
            complete: true
        }
    );
    assert_eq!(
        plan.explain,
        "== Plan of `SpendByUser` ==\n\
         Project [user_id: String, events: i64, total_amount: f64]\n\
         +- Aggregate keys=[user_id] aggregates=[events = count(), total_amount = round(sum(amount), 2)] (state: one row per key)\n\
         \x20  +- Scan Event [user_id: String, amount: f64]\n"
    );
}

#[test]
fn stateless_query_allows_append_and_update_only() {
    let plan = check(quote! {
        query Purchases(raw: Event) {
            raw.filter(event_type == "purchase" && amount > 100)
               .select(event_id, user_id, doubled = amount * 2)
        }
    })
    .unwrap();
    assert_eq!(
        plan.modes,
        crate::ir::ModeSupport {
            append: true,
            update: true,
            complete: false
        }
    );
    assert_eq!(plan.required_inputs, [0, 1, 2, 4]);
    assert!(
        plan.explain
            .contains("Filter (amount > cast(100 as f64))\n      +- Filter (event_type == \"purchase\")"),
        "{}",
        plan.explain
    );
}

#[test]
fn fingerprint_changes_with_the_plan() {
    let a = check(quote!(query Q(raw: Event) { raw.group_by(user_id).agg(n = count()) })).unwrap();
    let b = check(quote!(query Q(raw: Event) { raw.group_by(event_type).agg(n = count()) })).unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
}

#[test]
fn reports_every_error_in_one_pass() {
    let messages = errors(quote! {
        query Q(raw: Event) {
            raw.filter(amout > 1.0)
               .group_by(usr_id)
               .agg(total = sum(user_id), n = rount(count()))
        }
    });
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[0].starts_with("unknown column `amout` in stream `raw`\nhelp: did you mean `amount`?"));
    assert!(messages[1].contains("did you mean `user_id`?"));
    assert!(messages[2].starts_with("`sum` needs a numeric column, but `user_id` is String"));
    assert!(messages[3].starts_with("unknown function `rount`\nhelp: did you mean `round`?"));
}

#[test]
fn non_aggregated_column_is_rejected() {
    let messages = errors(quote!(query Q(raw: Event) { raw.group_by(user_id).agg(n = count(), t = event_type) }));
    assert_eq!(
        messages,
        [
            "column `event_type` is neither grouped nor aggregated\nhelp: add it to `.group_by(..)`, or aggregate it, e.g. `event_type = max(event_type)`"
        ]
    );
}

#[test]
fn group_keys_may_be_used_in_aggregate_outputs() {
    let plan =
        check(quote!(query Q(raw: Event) { raw.group_by(user_id).agg(label = concat(user_id, "!"), n = count()) }));
    assert!(plan.is_ok());
}

#[test]
fn type_rules() {
    let cases: [(TokenStream, &str); 8] = [
        (
            quote!(raw.filter(amount)),
            "`filter` needs a boolean condition, but `amount` is f64",
        ),
        (
            quote!(raw.select(x = user_id + amount)),
            "cannot apply `+` to `user_id` of type String and `amount` of type f64",
        ),
        (
            quote!(raw.select(x = user_id + event_id)),
            "help: join strings with `concat(a, b)`",
        ),
        (
            quote!(raw.select(x = lower(amount))),
            "function `lower` expects String, but `amount` is f64",
        ),
        (
            quote!(raw.select(x = round(amount, 2, 3))),
            "function `round` takes 1 or 2 arguments, found 3",
        ),
        (
            quote!(raw.select(x = 99999999999999999999)),
            "integer literal `99999999999999999999` is out of range for i64",
        ),
        (quote!(raw.select(x = 1u8)), "literal suffix `u8` is not supported"),
        (
            quote!(raw.filter(sum(amount) > 1.0)),
            "aggregate function `sum` is not allowed in `filter`",
        ),
    ];
    for (body, expected) in cases {
        let messages = errors(quote!(query Q(raw: Event) { #body }));
        assert!(messages.iter().any(|m| m.contains(expected)), "{body}: {messages:#?}");
    }
}

#[test]
fn duplicate_output_names_are_rejected() {
    let messages = errors(quote!(query Q(raw: Event) { raw.group_by(user_id).agg(user_id = count()) }));
    assert!(
        messages[0].starts_with("duplicate output column `user_id`"),
        "{messages:#?}"
    );
    let messages = errors(quote!(query Q(raw: Event) { raw.select(user_id, user_id) }));
    assert!(
        messages[0].starts_with("duplicate output column `user_id`"),
        "{messages:#?}"
    );
}

#[test]
fn with_column_replaces_in_place_and_nulls_propagate() {
    let plan = check(quote! {
        query Q(raw: Event) {
            raw.with_column(amount = amount / 2).select(amount, event_id)
        }
    })
    .unwrap();
    let (_, var) = &plan.query.outputs[0];
    // `/` is null on a zero divisor.
    assert!(plan.query.vars[*var].ty.nullable);
}

#[test]
fn unknown_operations_and_schemas_get_suggestions() {
    let messages = errors(quote!(query Q(raw: Event) { raw.groupBy(user_id) }));
    assert!(messages[0].contains("help: did you mean `group_by`?"), "{messages:#?}");
    let messages = errors(quote!(query Q(raw: Evnt) { raw }));
    assert!(
        messages[0].starts_with("unknown schema `Evnt`\nhelp: did you mean `Event`?"),
        "{messages:#?}"
    );
}

#[test]
fn expansion_of_the_seed_query_is_well_formed_rust() {
    let schema: TokenStream = SEED_SCHEMA.parse().unwrap();
    let expanded = crate::expand::expand(&quote! {
        #schema
        query SpendByUser(raw: Event) {
            raw.group_by(user_id).agg(events = count(), total_amount = round(sum(amount), 2))
        }
    });
    let file: syn::File = syn::parse2(expanded).expect("generated code parses");
    assert!(file.items.len() > 5);
    let text = quote!(#file).to_string();
    assert!(text.contains("KeyedAggregate"));
    assert!(!text.contains("compile_error"));
}

#[test]
fn a_failed_definition_is_reported_once() {
    let messages = errors(quote! {
        query Q(raw: Event) {
            raw.with_column(ts = to_timestmp(event_time)).filter(ts.is_not_null()).select(event_id, ts)
        }
    });
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let messages = errors(quote! {
        query Q(raw: Event) { raw.group_by(usr_id).agg(n = count()).filter(user_id != "x") }
    });
    // The key is bound as the column it most likely means, so the correct later use resolves.
    assert_eq!(messages.len(), 1, "{messages:#?}");
}

#[test]
fn unknown_column_after_a_reshape_says_which_operation_dropped_it() {
    let messages = errors(quote!(query Q(raw: Event) { raw.select(event_id, user_id).filter(amount > 1.0) }));
    assert_eq!(
        messages,
        [
            "unknown column `amount` in stream `raw` after `.select(..)`\nnote: after `.select(..)`, `raw` has columns: event_id, user_id"
        ]
    );
}

#[test]
fn the_physical_plan_pushes_filters_on_input_columns_through_the_watermark() {
    let plan = check(quote! {
        query Q(raw: Event) {
            raw.filter(amount > 1.0)
               .with_column(t = to_timestamp(event_time))
               .filter(t.is_not_null() && event_type == "purchase")
               .filter(user_id != "u0")
               .with_watermark(t, "10 minutes")
               .filter(amount < 100.0)
               .select(event_id, t)
        }
    })
    .unwrap();
    // Conjunctions are split, as Spark splits them before pushing: steps are `amount > 1.0`, the
    // `let`, `t.is_not_null()` (a computed column: not pushed), `event_type == ..`,
    // `user_id != ..`; then the watermark and a filter after it, pushed below it as Spark's
    // optimizer does (it does not read the event time), so the watermark never sees those rows.
    assert_eq!(plan.pushed_filters, [0, 3, 4, 6]);
}

#[test]
fn only_the_filters_spark_translates_are_pushed() {
    let plan = check(quote! {
        query Q(raw: Event) {
            raw.filter(amount * 2.0 > 10.0)
               .filter(event_id != user_id)
               .filter(user_id.isin("u1", "u2") || event_type.like("pur%"))
               .filter(event_type.like("p_r%"))
               .filter(!(event_type.contains("x")) && -1.5 < amount)
               .select(event_id)
        }
    })
    .unwrap();
    // Spark pushes a column compared with a literal, `isin` of literals, `like` patterns it
    // rewrites to `starts_with`/`ends_with`/`contains`, and boolean logic of them; not arithmetic,
    // two columns, or a `like` with `_`.
    assert_eq!(plan.pushed_filters, [2, 4, 5]);
}

#[test]
fn the_physical_plan_chooses_the_stateful_operator() {
    use crate::ir::{Forget, StatefulOperator};
    let operator = |query: TokenStream| check(query).unwrap().operator;
    assert_eq!(operator(quote!(query Q(raw: Event) { raw.select(event_id) })), None);
    assert_eq!(
        operator(quote!(query Q(raw: Event) { raw.group_by(user_id).agg(n = count()) })),
        Some(StatefulOperator::Aggregate)
    );
    let watermarked = quote!(
        raw.with_column(t = to_timestamp(event_time))
            .with_watermark(t, "10 minutes")
    );
    assert_eq!(
        operator(quote!(query Q(raw: Event) { #watermarked.drop_duplicates(event_id) })),
        Some(StatefulOperator::Dedup { forget: Forget::Never })
    );
    assert_eq!(
        operator(quote!(query Q(raw: Event) { #watermarked.drop_duplicates(event_id, t) })),
        Some(StatefulOperator::Dedup {
            forget: Forget::AtEventTime
        })
    );
    assert_eq!(
        operator(quote!(query Q(raw: Event) { #watermarked.drop_duplicates_within_watermark(event_id) })),
        Some(StatefulOperator::Dedup {
            forget: Forget::AfterDelay(600_000_000)
        })
    );
    assert_eq!(
        operator(
            quote!(query Q(raw: Event) { #watermarked.group_by(session_window(t, "5 minutes"), user_id).agg(n = count()) })
        ),
        Some(StatefulOperator::Session {
            gap: 300_000_000,
            watermarked: true
        })
    );
}

/// Each side's eviction, solved from the condition as Spark's `StreamingJoinHelper` does; the
/// expected bounds are those of Spark 4.3's plan for the same condition ("state cleanup": left
/// `view_time <= watermark - 26 hours - 1 ms`, right `click_time <= watermark - 3 days - 1 ms`),
/// day intervals included.
#[test]
fn a_stream_join_evicts_each_side_by_the_bound_spark_solves_for() {
    let plan = check(quote! {
        query J(views: Event, buys: Event) {
            views.with_column(view_time = to_timestamp(event_time))
                .with_watermark(view_time, "10 minutes")
                .select(view_id = event_id, viewer = user_id, view_time)
                .join(
                    buys.with_column(buy_time = to_timestamp(event_time))
                        .with_watermark(buy_time, "20 minutes")
                        .select(buy_id = event_id, buyer = user_id, buy_time),
                    viewer == buyer && buy_time >= view_time - interval("3 days")
                        && buy_time <= view_time + interval("1 day 2 hours"),
                    "left_outer"
                )
        }
    })
    .unwrap();
    let join = plan.query.stream_join().unwrap();
    const HOUR: i64 = 3_600_000_000;
    let bounds = |eviction: &crate::ir::JoinEviction| match eviction {
        crate::ir::JoinEviction::Bounded { bounds, .. } => bounds.clone(),
        other => panic!("not bounded: {other:?}"),
    };
    assert_eq!(bounds(&join.left.eviction), [(-26 * HOUR, true)]);
    assert_eq!(bounds(&join.right.eviction), [(-72 * HOUR, true)]);
    assert_eq!(join.keys.len(), 1);
    assert!(
        plan.explain
            .contains("StreamingSymmetricHashJoin LeftOuter [viewer = buyer]"),
        "{}",
        plan.explain
    );
}

#[test]
fn a_second_aggregation_is_a_stage_reading_the_first_ones_rows() {
    let plan = check(quote! {
        query Hourly(raw: Event) {
            raw.with_column(event_time = to_timestamp(event_time))
               .with_watermark(event_time, "10 minutes")
               .group_by(window(event_time, "5 minutes"), user_id)
               .agg(n = count(), total = sum(amount))
               .select(window, n)
               .group_by(window(window_time(window), "1 hour"))
               .agg(windows = count(), events = sum(n))
        }
    })
    .unwrap();
    let upstream = plan.upstream.as_deref().expect("a chain");
    assert_eq!(upstream.query.name, "__stream_Hourly_Upstream");
    // The upstream's output columns are the downstream's input; the window carries the watermark.
    let columns: Vec<String> = upstream
        .query
        .outputs
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(columns, ["window", "n"]);
    assert_eq!(plan.query.inherited_event_times, [0]);
    assert_eq!(plan.query.num_input_columns, 2);
    assert!(plan.query.aggregate.as_ref().unwrap().event_time_key.is_some());
    // Spark chains aggregations in append mode only.
    assert_eq!(
        plan.modes,
        crate::ir::ModeSupport {
            append: true,
            update: false,
            complete: false
        }
    );
    assert!(
        plan.explain.contains("+- Compute [window_time = window_time(window)]"),
        "{}",
        plan.explain
    );
}

#[test]
fn a_chain_needs_an_upstream_whose_rows_are_final() {
    let messages = errors(quote! {
        query Q(raw: Event) {
            raw.group_by(user_id).agg(n = count()).group_by(n).agg(users = count())
        }
    });
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("an aggregation feeds another only when it is keyed by event time"),
        "{messages:?}"
    );
}

#[test]
fn a_window_of_a_column_without_the_watermark_is_not_an_event_time_key() {
    // `n` carries no watermark, so the second aggregation has no event-time key: no append.
    let plan = check(quote! {
        query Q(raw: Event) {
            raw.with_column(event_time = to_timestamp(event_time))
               .with_watermark(event_time, "10 minutes")
               .group_by(window(event_time, "5 minutes"))
               .agg(n = count(), last = max(event_time))
               .group_by(window(last, "1 hour"))
               .agg(windows = count())
        }
    })
    .unwrap();
    assert!(plan.query.aggregate.as_ref().unwrap().event_time_key.is_none());
    assert!(!plan.modes.append && !plan.modes.update && !plan.modes.complete);
}
