//! A chained query's plan type: its upstream and downstream stages run as one by the runtime's
//! `Chained`, behind the query's name, `read`, `explain` and output-mode markers.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::query::{entry_points, mode_markers, row_name};
use super::types::core;
use crate::ir::Plan;

/// The plan type of the query `plan` whose first stage is `upstream`; both stages' own items
/// are generated beside it.
pub(crate) fn chained_query(plan: &Plan, upstream: &Plan) -> TokenStream {
    let core = core();
    let arrow = super::types::arrow_array();
    let query = &plan.query;
    let name = &query.name;
    let name_text = name.to_string();
    let row = row_name(name);
    let up = &upstream.query.name;
    let down = query.downstream_type();
    let explain = &plan.explain;
    let fingerprint = plan.fingerprint;
    let attrs = &query.attrs;
    let doc =
        format!("The compiled streaming query `{name}`. Start it with [`{name}::read`].\n\n```text\n{explain}```");
    let entry = entry_points(&upstream.query, name, explain);
    let markers = mode_markers(name, plan.modes);
    // The rows the first stateful operation drops as late are the chain's late rows.
    let keeps_late_rows = upstream
        .query
        .late_rows
        .is_some()
        .then(|| quote!(#[automatically_derived] impl #core::plan::KeepsLateRows for #name {}));
    let chain = quote!(#core::chain::Chained<#up, #down>);
    let query_struct = quote_spanned!(name.span()=> pub struct #name { chain: #chain });
    quote! {
        #(#attrs)*
        #[doc = #doc]
        #query_struct

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name_text)
            }
        }

        #entry

        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic)]
        impl #core::plan::StreamPlan for #name {
            type Output = #row;
            type LateRow = <#up as #core::plan::StreamPlan>::LateRow;

            fn facts() -> #core::plan::PlanFacts {
                <#chain>::facts(#name_text, #explain, #fingerprint)
            }

            fn create() -> Self {
                Self { chain: <#chain>::create() }
            }

            fn attach_static_tables(&mut self, tables: &#core::operator::StaticTables) -> #core::Result<()> {
                self.chain.attach_static_tables(tables)
            }

            fn run_batch_stream(
                &mut self,
                inputs: &mut [#core::plan::InputBatches<'_>],
                mode: #core::OutputMode,
                context: &mut #core::plan::BatchContext,
            ) -> #core::Result<#arrow::RecordBatch> {
                self.chain.run_batch_stream(inputs, mode, context)
            }

            fn state_operators(&self) -> ::std::vec::Vec<#core::plan::OperatorReport> {
                self.chain.state_operators()
            }

            fn stateful_operators(&mut self) -> ::std::vec::Vec<&mut dyn #core::operator::StatefulOperator> {
                self.chain.stateful_operators()
            }
        }

        #markers
        #keeps_late_rows
    }
}
