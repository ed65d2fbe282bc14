//! Stage 2b, resolution and type checking: a parsed query over a resolved schema →
//! [`TypedQuery`]. Every column reference is resolved (with "did you mean"), every function
//! and operator typed, and Spark's analysis rules applied. All errors are collected.

mod expr;
mod generate;

pub(crate) use expr::ANONYMOUS_STRUCT;
mod stream_join;

use proc_macro2::Span;
use quote::format_ident;
use syn::Ident;

use crate::diag::{Diagnostics, did_you_mean};
use crate::ir::{
    Aggregate, Dedup, JoinKind, OrderKey, SessionKey, StaticInput, StaticJoin, Step, TExprKind, TimeMode, Transform,
    TypedQuery, UnionInput, Var, VarId, WindowKey,
};
use crate::parse::{Arg, Expr, Op, QueryDecl};
use crate::schema::Schema;
use crate::types::ColType;
use expr::{ExprChecker, Scope};

/// The operations a query body may chain, in Spark's vocabulary.
const OPERATIONS: [&str; 21] = [
    "union",
    "union_by_name",
    "join",
    "select",
    "with_column",
    "with_column_renamed",
    "drop",
    "filter",
    "where",
    "with_watermark",
    "keep_late_rows",
    "drop_duplicates",
    "drop_duplicates_within_watermark",
    "distinct",
    "group_by",
    "agg",
    "transform_with_state",
    "flat_map_groups_with_state",
    "order_by",
    "sort",
    "limit",
];

/// The operations that may follow `transform_with_state`: stateless ones, on its output rows.
const AFTER_PROCESSOR: [&str; 6] = [
    "select",
    "filter",
    "where",
    "with_column",
    "with_column_renamed",
    "drop",
];

/// The columns visible at one point of a query: names bound to variables, in order.
#[derive(Clone, Default)]
pub(crate) struct Env {
    pub(crate) columns: Vec<(Ident, VarId)>,
    /// The operation that last replaced the set of columns (`select`, `agg`, ...), for messages.
    pub(crate) after: Option<&'static str>,
}

impl Env {
    pub(crate) fn lookup(&self, name: &str) -> Option<VarId> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.columns.iter().map(|(n, _)| n.to_string())
    }
}

/// Type-checks one query.
/// What the fallback stub of a failed query can still offer: its output columns, typed where
/// the type is known.
pub(crate) type PartialOutputs = Vec<(Ident, Option<ColType>)>;

/// Type-checks one query; on errors, returns the output columns it could resolve.
pub(crate) fn check_query(
    decl: &QueryDecl,
    schemas: &[Schema],
    diagnostics: &Diagnostics,
) -> Result<TypedQuery, PartialOutputs> {
    let Some(first) = decl.inputs.iter().find(|input| !input.is_static) else {
        diagnostics.error(
            decl.inputs[0].name.span(),
            "a query reads at least one stream: every input here is `static`\nhelp: remove `static` from the input the body starts from",
        );
        return Err(Vec::new());
    };
    let Some(order) = check_union(decl, diagnostics) else {
        return Err(Vec::new());
    };
    let root = decl
        .inputs
        .iter()
        .find(|input| input.name == decl.root)
        .unwrap_or(first);
    let Some(schema) = schemas.iter().find(|s| s.name == root.schema) else {
        let suggestion = did_you_mean(
            &first.schema.to_string(),
            schemas
                .iter()
                .map(|s| s.name.to_string())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        )
        .map(|s| format!("\nhelp: did you mean `{s}`?"))
        .unwrap_or_else(|| "\nhelp: declare it in the same `stream!` with `schema Name { .. }`".to_owned());
        diagnostics.error(
            root.schema.span(),
            format!("unknown schema `{}`{suggestion}", root.schema),
        );
        return Err(Vec::new());
    };
    let unions = order.len() - 1;
    let inputs = union_columns(decl, schemas, schema, &order, diagnostics).ok_or_else(Vec::new)?;
    let statics = static_inputs(decl, schemas, diagnostics).ok_or_else(Vec::new)?;
    let mut checker = QueryChecker::new(decl, schema, statics, diagnostics);
    checker.structs = schemas
        .iter()
        .map(|s| {
            let fields = s.fields.iter().map(|f| (f.name.to_string(), f.ty)).collect();
            let name = s.name.to_string();
            let base = crate::types::Base::structure(crate::types::StructType {
                name: name.clone(),
                fields,
            });
            (name, base)
        })
        .collect();
    checker.stream_inputs = inputs
        .iter()
        .map(|input| {
            let fields = schemas
                .iter()
                .find(|s| s.name == input.schema)
                .map(|s| s.fields.iter().map(|f| (f.name.clone(), f.ty)).collect())
                .unwrap_or_default();
            (input.name.clone(), fields)
        })
        .collect();
    // A column may be null in the union if it may be in any input.
    for input in &inputs {
        for (var, field) in input.columns.iter().enumerate() {
            let field_ty = schemas
                .iter()
                .find(|s| s.name == input.schema)
                .map(|s| s.fields[*field].ty);
            if field_ty.is_some_and(|ty| ty.nullable) {
                checker.vars[var].ty.nullable = true;
            }
        }
    }
    checker.check_ops(&decl.ops[unions..]);
    let Some(split) = checker.split_at else {
        return checker.finish(inputs);
    };
    let ops = &decl.ops[unions + split..];
    checker.check_chain(&ops[0]);
    let structs = checker.structs.clone();
    let event_times: Vec<usize> = checker
        .env
        .columns
        .iter()
        .enumerate()
        .filter(|(_, (_, var))| checker.event_times.contains(var))
        .map(|(position, _)| position)
        .collect();
    // A failed upstream's columns are not the query's: its stub gets none.
    let upstream = checker.finish(inputs).map_err(|_| Vec::new())?;
    downstream(decl, upstream, ops, structs, &event_times, diagnostics)
}

/// Type-checks the stage of a chained query that reads its upstream's rows: `ops`, from the
/// second stateful operation on, over the upstream's output columns, the columns at
/// `event_times` carrying its watermark.
fn downstream(
    decl: &QueryDecl,
    mut upstream: TypedQuery,
    ops: &[Op],
    structs: Vec<(String, crate::types::Base)>,
    event_times: &[usize],
    diagnostics: &Diagnostics,
) -> Result<TypedQuery, PartialOutputs> {
    upstream.name = format_ident!("__stream_{}_Upstream", decl.name);
    upstream.attrs = Vec::new();
    let schema = Schema {
        name: format_ident!("{}Row", upstream.name),
        attrs: Vec::new(),
        fields: upstream
            .outputs
            .iter()
            .map(|(name, var)| crate::schema::Field {
                name: name.clone(),
                attrs: Vec::new(),
                ty: upstream.vars[*var].ty,
            })
            .collect(),
        nested: false,
    };
    let mut checker = QueryChecker::new(decl, &schema, Vec::new(), diagnostics);
    checker.structs = structs;
    // The input's columns are its first variables, in order.
    checker.event_times = event_times.to_vec();
    checker.check_ops(ops);
    if let Some(third) = checker.split_at {
        checker.error(
            ops[third].name.span(),
            "a third stateful operation: Rill chains two stateful operations in one query yet\nhelp: aggregate this query's output in a second query",
        );
    }
    let input = UnionInput {
        name: format_ident!("upstream"),
        schema: schema.name.clone(),
        columns: (0..schema.fields.len()).collect(),
    };
    let mut typed = checker.finish(vec![input])?;
    typed.inherited_event_times = event_times.to_vec();
    typed.upstream = Some(Box::new(upstream));
    Ok(typed)
}

/// Each stream input (in the order of the signature) with the columns of its schema that make
/// the union's columns — the body's first input's: the same schema, or one matching it by
/// position (`union`) or by name (`union_by_name`) with the same types; `None` after reporting
/// a mismatch.
fn union_columns(
    decl: &QueryDecl,
    schemas: &[Schema],
    root: &Schema,
    order: &[(Ident, bool)],
    diagnostics: &Diagnostics,
) -> Option<Vec<UnionInput>> {
    let mut inputs = Vec::new();
    let mut failed = false;
    for input in decl.inputs.iter().filter(|input| !input.is_static) {
        let by_name = order
            .iter()
            .find(|(name, _)| *name == input.name)
            .is_some_and(|(_, by_name)| *by_name);
        let Some(schema) = schemas.iter().find(|s| s.name == input.schema) else {
            diagnostics.error(input.schema.span(), format!("unknown schema `{}`", input.schema));
            failed = true;
            continue;
        };
        // Errors point at the input where the union names it.
        let at = order
            .iter()
            .find(|(name, _)| *name == input.name)
            .map_or(&input.name, |(name, _)| name);
        let joined = !order.iter().any(|(name, _)| *name == input.name);
        let columns = if schema.name == root.name || joined {
            Some((0..schema.fields.len()).collect())
        } else {
            matched_columns(at, schema, root, by_name, diagnostics)
        };
        match columns {
            Some(columns) => inputs.push(UnionInput {
                name: input.name.clone(),
                schema: schema.name.clone(),
                columns,
            }),
            None => failed = true,
        }
    }
    (!failed).then_some(inputs)
}

/// The columns of `schema` matching `root`'s, by position or by name, with the same types.
fn matched_columns(
    input: &Ident,
    schema: &Schema,
    root: &Schema,
    by_name: bool,
    diagnostics: &Diagnostics,
) -> Option<Vec<usize>> {
    let names = |s: &Schema| {
        s.fields
            .iter()
            .map(|f| f.name.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mismatch = |message: String| {
        diagnostics.error(input.span(), message);
        None
    };
    let same_names = schema.fields.len() == root.fields.len()
        && root
            .fields
            .iter()
            .all(|r| schema.fields.iter().any(|f| f.name == r.name));
    if by_name {
        if let Some(extra) = schema
            .fields
            .iter()
            .find(|f| !root.fields.iter().any(|r| r.name == f.name))
        {
            return mismatch(format!(
                "`union_by_name` needs the same columns: `{}` ({}) has `{}`, which `{}` ({}) has not\nhelp: declare `{}` without it (a JSON or CSV source reads only the declared columns)",
                input,
                schema.name,
                extra.name,
                root.name,
                names(root),
                schema.name
            ));
        }
    } else if schema.fields.len() != root.fields.len() {
        return mismatch(format!(
            "`union` matches columns by position, and `{}` ({}) has {} columns where `{}` has {}\nnote: `{}`: {}; `{}`: {}\nhelp: declare `{}` with `{}`'s columns",
            input,
            schema.name,
            schema.fields.len(),
            root.name,
            root.fields.len(),
            schema.name,
            names(schema),
            root.name,
            names(root),
            schema.name,
            root.name
        ));
    }
    let mut columns = Vec::with_capacity(root.fields.len());
    for (position, field) in root.fields.iter().enumerate() {
        let found = if by_name {
            schema.fields.iter().position(|f| f.name == field.name)
        } else {
            Some(position)
        };
        let Some(index) = found else {
            return mismatch(format!(
                "`union_by_name` needs the same columns: `{}` ({}) has no `{}`\nnote: its columns are: {}",
                input,
                schema.name,
                field.name,
                names(schema)
            ));
        };
        let theirs = &schema.fields[index];
        if theirs.ty.base != field.ty.base {
            let help = if !by_name && same_names {
                format!(
                    "help: `{}` has `{}`'s columns in another order: match them by name with `.union_by_name({input})`",
                    schema.name, root.name
                )
            } else {
                "help: declare both with one type".to_owned()
            };
            return mismatch(format!(
                "cannot union `{}` ({}): its column `{}` is {} where `{}`'s column `{}` is {}\n{help}",
                input,
                schema.name,
                theirs.name,
                theirs.ty.base.written(),
                root.name,
                field.name,
                field.ty.base.written()
            ));
        }
        columns.push(index);
    }
    Some(columns)
}

/// The query's static inputs with their schemas' columns; `None` after reporting an unknown
/// schema.
fn static_inputs(decl: &QueryDecl, schemas: &[Schema], diagnostics: &Diagnostics) -> Option<Vec<StaticInput>> {
    let mut statics = Vec::new();
    for input in decl.inputs.iter().filter(|input| input.is_static) {
        let Some(schema) = schemas.iter().find(|s| s.name == input.schema) else {
            let names: Vec<String> = schemas.iter().map(|s| s.name.to_string()).collect();
            let help = did_you_mean(&input.schema.to_string(), names.iter().map(String::as_str))
                .map_or_else(String::new, |s| format!("\nhelp: did you mean `{s}`?"));
            diagnostics.error(input.schema.span(), format!("unknown schema `{}`{help}", input.schema));
            return None;
        };
        statics.push(StaticInput {
            name: input.name.clone(),
            schema: schema.name.clone(),
            fields: schema.fields.iter().map(|f| (f.name.clone(), f.ty)).collect(),
        });
    }
    Some(statics)
}

/// Checks how the body reads the query's stream inputs — it starts from one and `.union(..)`s
/// (or `.union_by_name(..)`s) each other once, right away; returns them in that order, each
/// with whether it is matched by name, or `None` after reporting an error.
fn check_union(decl: &QueryDecl, diagnostics: &Diagnostics) -> Option<Vec<(Ident, bool)>> {
    let streams: Vec<&crate::parse::InputDecl> = decl.inputs.iter().filter(|input| !input.is_static).collect();
    let names = || {
        streams
            .iter()
            .map(|input| format!("`{}`", input.name))
            .collect::<Vec<_>>()
    };
    let declared = |name: &Ident| streams.iter().any(|input| input.name == *name);
    let mut failed = false;
    for (index, input) in decl.inputs.iter().enumerate() {
        if decl.inputs[..index].iter().any(|before| before.name == input.name) {
            diagnostics.error(
                input.name.span(),
                format!(
                    "input `{}` is declared twice\nhelp: give each input its own name",
                    input.name
                ),
            );
            failed = true;
        }
    }
    if failed {
        return None;
    }
    if decl
        .inputs
        .iter()
        .any(|input| input.is_static && input.name == decl.root)
    {
        diagnostics.error(
            decl.root.span(),
            format!(
                "a query body starts from a stream, and `{}` is a static table\nnote: Spark joins a static table to a stream only on the right (a static table on the left of an outer join is refused)\nhelp: start from the stream: `{}.join({}, ..)`",
                decl.root, streams[0].name, decl.root
            ),
        );
        return None;
    }
    if !declared(&decl.root) {
        let first = &streams[0].name;
        diagnostics.error(
            decl.root.span(),
            format!(
                "a query body starts from its input stream `{first}`, found `{}`\nhelp: write `{first}.filter(..)...`",
                decl.root
            ),
        );
        return None;
    }
    let is_union = |op: &Op| op.name == "union" || op.name == "union_by_name";
    let mut order = vec![decl.root.clone()];
    let mut by_name = vec![false];
    for op in decl.ops.iter().take_while(|op| is_union(op)) {
        let named = match op.args.as_slice() {
            [
                Arg {
                    name: None,
                    expr: Expr::Column(name),
                    ..
                },
            ] if declared(name) => Some(name),
            _ => None,
        };
        let Some(name) = named else {
            diagnostics.error(
                op.paren_span,
                format!(
                    "`{}` takes one input stream of the query: one of {}\nhelp: write `.union({})`",
                    op.name,
                    names().join(", "),
                    streams
                        .iter()
                        .find(|input| input.name != decl.root)
                        .map_or_else(|| "other".to_owned(), |input| input.name.to_string())
                ),
            );
            failed = true;
            continue;
        };
        if order.contains(name) {
            diagnostics.error(
                name.span(),
                format!("input `{name}` is already in this union\nhelp: union each input once"),
            );
            failed = true;
            continue;
        }
        order.push(name.clone());
        by_name.push(op.name == "union_by_name");
    }
    if let Some(late) = decl.ops.iter().skip_while(|op| is_union(op)).find(|op| is_union(op)) {
        diagnostics.error(
            late.name.span(),
            "`union` must come right after the input the body starts from\nnote: a union after other operations is not supported yet\nhelp: union the inputs first: `a.union(b).filter(..)`",
        );
        failed = true;
    }
    for input in &streams {
        let joined_at = decl.ops.iter().find_map(|op| {
            let root = op
                .args
                .first()
                .filter(|_| op.name == "join")
                .and_then(|arg| stream_join::chain_root(&arg.expr))?;
            (*root.0 == input.name).then(|| root.0.span())
        });
        let joined = joined_at.is_some();
        if joined && order.contains(&input.name) && !failed {
            let message = if input.name == decl.root {
                format!(
                    "`{}` cannot be joined with itself\nhelp: read the other side as an input of its own, `query {}({}: {}, other: {})`, and join it: `{}.join(other, ..)`",
                    input.name, decl.name, input.name, input.schema, input.schema, input.name
                )
            } else {
                format!(
                    "input `{}` is both unioned and joined\nhelp: read each input once",
                    input.name
                )
            };
            diagnostics.error(joined_at.unwrap_or_else(|| input.name.span()), message);
            failed = true;
        }
        if !order.contains(&input.name) && !joined && !failed {
            diagnostics.error(
                input.name.span(),
                format!(
                    "input `{}` is never read\nhelp: union it with the others: `{}.union({})`",
                    input.name, decl.root, input.name
                ),
            );
            failed = true;
        }
    }
    (!failed).then(|| order.into_iter().zip(by_name).collect())
}

struct QueryChecker<'a> {
    decl: &'a QueryDecl,
    diagnostics: &'a Diagnostics,
    /// The schema the stream inputs read.
    stream_schema: Ident,
    /// The static inputs, which `join` may name.
    statics: Vec<StaticInput>,
    vars: Vec<Var>,
    env: Env,
    pre: Vec<Step>,
    aggregate: Option<Aggregate>,
    post: Vec<Step>,
    /// Errors were reported; the result is incomplete.
    failed: bool,
    /// Variables standing for columns whose definition failed: using them reports nothing more.
    poisoned: std::collections::BTreeSet<VarId>,
    num_input_columns: usize,
    /// `with_watermark`: the event-time variable and the delay in microseconds.
    watermark: Option<(VarId, i64)>,
    /// `keep_late_rows()`, if called.
    keep_late_rows: Option<Span>,
    /// The columns of a late row, recorded when the stateful operation is reached.
    late_rows: Option<Vec<(Ident, VarId)>>,
    /// `order_by(..)`: keys over output columns.
    order_by: Vec<OrderKey>,
    /// `limit(n)`.
    limit: Option<usize>,
    /// Every `with_watermark` so far (one per side of a stream–stream join).
    watermarks: Vec<(VarId, i64)>,
    /// The stream inputs (in the order of the signature) with their schemas' columns.
    stream_inputs: Vec<(Ident, Vec<(Ident, ColType)>)>,
    /// Every schema's struct type, by name.
    structs: Vec<(String, crate::types::Base)>,
    /// The schemas `from_json` reads.
    json_schemas: Vec<String>,
    /// `transform_with_state`, if the query ends with one.
    transform: Option<Transform>,
    /// Where a second stateful operation starts a downstream stage (an aggregation after an
    /// aggregation, a join or a processor): the index of its operation.
    split_at: Option<usize>,
    /// Variables that carry the watermark after a stateful operation: an aggregation's
    /// event-time key, a join's time columns, their `window_time`; in a downstream stage, the
    /// input columns that carry the upstream's.
    event_times: Vec<VarId>,
}

impl<'a> QueryChecker<'a> {
    fn new(decl: &'a QueryDecl, schema: &Schema, statics: Vec<StaticInput>, diagnostics: &'a Diagnostics) -> Self {
        let mut checker = Self {
            decl,
            diagnostics,
            stream_schema: schema.name.clone(),
            statics,
            vars: Vec::new(),
            env: Env::default(),
            pre: Vec::new(),
            aggregate: None,
            post: Vec::new(),
            failed: false,
            poisoned: std::collections::BTreeSet::new(),
            num_input_columns: schema.fields.len(),
            watermark: None,
            keep_late_rows: None,
            late_rows: None,
            order_by: Vec::new(),
            limit: None,
            watermarks: Vec::new(),
            stream_inputs: Vec::new(),
            structs: Vec::new(),
            json_schemas: Vec::new(),
            transform: None,
            split_at: None,
            event_times: Vec::new(),
        };
        for field in &schema.fields {
            let var = checker.new_var(field.name.to_string(), field.ty);
            checker.env.columns.push((field.name.clone(), var));
        }
        checker
    }

    fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.failed = true;
        self.diagnostics.error(span, message);
    }

    fn new_var(&mut self, name: String, ty: ColType) -> VarId {
        self.vars.push(Var { name, ty });
        self.vars.len() - 1
    }

    /// A stand-in for column `name` whose definition failed, so later uses are not errors too.
    fn poison(&mut self, name: &Ident) -> VarId {
        let var = self.new_var(name.to_string(), ColType::new(crate::types::Base::Str, false));
        self.poisoned.insert(var);
        var
    }

    /// Binds `name` to `var`, replacing a column of that name in place or appending one.
    fn bind(&mut self, name: &Ident, var: VarId) {
        match self.env.columns.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = var,
            None => self.env.columns.push((name.clone(), var)),
        }
    }

    fn exprs(&mut self) -> ExprChecker<'_> {
        ExprChecker {
            poisoned: &self.poisoned,
            diagnostics: self.diagnostics,
            vars: &self.vars,
            stream: &self.decl.root,
            failed: &mut self.failed,
            structs: &self.structs,
            json_schemas: &mut self.json_schemas,
        }
    }

    fn steps(&mut self) -> &mut Vec<Step> {
        if self.aggregate.is_some() || self.transform.is_some() {
            &mut self.post
        } else {
            &mut self.pre
        }
    }

    fn check_ops(&mut self, ops: &[Op]) {
        let mut index = 0;
        while index < ops.len() {
            let op = &ops[index];
            let name = op.name.to_string();
            match name.as_str() {
                "select" => self.select(op),
                "join" => self.join(op),
                "with_column" => self.with_column(op),
                "with_column_renamed" => self.with_column_renamed(op),
                "drop" => self.drop_columns(op),
                // Spark's alias.
                "filter" | "where" => self.filter(op),
                "distinct" => {
                    if op.args.is_empty() {
                        self.drop_duplicates(op, false);
                    } else {
                        self.error(
                            op.paren_span,
                            "`distinct()` takes no columns: it keeps the first row of each distinct row\nhelp: to deduplicate on some columns, write `.drop_duplicates(event_id)`",
                        );
                    }
                }
                "with_watermark" => self.with_watermark(op),
                "keep_late_rows" => self.keep_late_rows(op),
                "drop_duplicates" => self.drop_duplicates(op, false),
                "drop_duplicates_within_watermark" => self.drop_duplicates(op, true),
                "group_by"
                    if ops
                        .get(index + 1)
                        .is_some_and(|next| next.name == "transform_with_state" || next.name == "flat_map_groups_with_state") =>
                {
                    self.transform_with_state(op, &ops[index + 1]);
                    index += 2;
                    continue;
                }
                // Spark chains stateful operators: the rows of an aggregation, a join or a
                // processor feed an aggregation, in a stage of its own.
                "group_by" | "agg" if self.ends_a_stage() => {
                    self.split_at = Some(index);
                    return;
                }
                _ if self.transform.is_some() && !AFTER_PROCESSOR.contains(&name.as_str()) => {
                    self.error(
                        op.name.span(),
                        format!("`{name}` after `transform_with_state`: Rill runs only stateless operations on a processor's output yet ({})\nhelp: emit the rows the query needs from the processor, or read its output in another query", AFTER_PROCESSOR.join(", ")),
                    );
                    // One message for the chain, not one per operation in it.
                    index = ops.len();
                }
                "transform_with_state" | "flat_map_groups_with_state" => self.error(
                    op.name.span(),
                    "`transform_with_state` needs a grouping before it\nhelp: write `.group_by(user_id).transform_with_state(MyProcessor, EventTime, input = Event, output = Session)`",
                ),
                "group_by" => {
                    let agg = ops.get(index + 1).filter(|next| next.name == "agg");
                    if let Some(agg) = agg {
                        self.aggregate(Some(op), agg);
                        index += 1;
                    } else {
                        self.error(
                            op.name.span(),
                            "`group_by(..)` must be followed by `.agg(..)` or `.transform_with_state(..)`\nhelp: write `.group_by(key).agg(count = count())`",
                        );
                    }
                }
                "agg" => self.aggregate(None, op),
                "order_by" | "sort" | "limit" => self.order_by_or_limit(op, &ops[index + 1..]),
                _ => {
                    let help = did_you_mean(&name, OPERATIONS)
                        .map(|s| format!("help: did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("note: operations are: {}", OPERATIONS.join(", ")));
                    self.error(
                        op.name.span(),
                        format!("unknown operation `{name}` on a stream\n{help}"),
                    );
                }
            }
            index += 1;
        }
    }

    /// `order_by(key, ..)` / `sort(..)` and `limit(n)`: after an aggregation, last, for complete
    /// mode only (the plan allows no other), as Spark.
    fn order_by_or_limit(&mut self, op: &Op, rest: &[Op]) {
        let name = op.name.to_string();
        if self.aggregate.is_none() {
            let help = if name == "limit" {
                "note: Spark also limits an unaggregated stream in append mode; Rill does not yet"
            } else {
                "note: Spark: sorting is not supported on streaming DataFrames, unless it is on an aggregated DataFrame in complete output mode"
            };
            self.error(
                op.name.span(),
                format!("`{name}` needs an aggregation before it: Rill sorts and limits a streaming result only after `agg(..)`, in complete mode\n{help}"),
            );
            return;
        }
        let allowed_after = if name == "limit" { &[][..] } else { &["limit"][..] };
        if let Some(next) = rest
            .iter()
            .find(|next| !allowed_after.contains(&next.name.to_string().as_str()))
        {
            self.error(
                next.name.span(),
                format!("`{}` after `{name}`: sorting and `limit` come last (`.order_by(..).limit(n)`)\nhelp: move `{}` before `{name}`", next.name, next.name),
            );
            return;
        }
        if name == "limit" {
            let count = match op.args.as_slice() {
                [
                    Arg {
                        name: None,
                        expr: Expr::Lit(syn::Lit::Int(count)),
                        ..
                    },
                ] => count.base10_parse::<usize>().ok(),
                _ => None,
            };
            match count {
                Some(count) => self.limit = Some(count),
                None => self.error(
                    op.paren_span,
                    "`limit` takes a number of rows, an integer literal: `.limit(10)`",
                ),
            }
            return;
        }
        if op.args.is_empty() {
            self.error(
                op.paren_span,
                format!("`{name}` needs at least one column: `.{name}(desc(total), user_id)`"),
            );
        }
        for arg in &op.args {
            if let Some(key) = self.order_key(&arg.expr) {
                self.order_by.push(key);
            }
        }
    }

    /// One sort key: `column`, `asc(column)`, `desc(column)`, `column.desc()`, and the
    /// `_nulls_first` / `_nulls_last` forms; nulls first ascending and last descending, as Spark.
    fn order_key(&mut self, expr: &Expr) -> Option<OrderKey> {
        const DIRECTIONS: [&str; 6] = [
            "asc",
            "desc",
            "asc_nulls_first",
            "asc_nulls_last",
            "desc_nulls_first",
            "desc_nulls_last",
        ];
        let (column, direction) = match expr {
            Expr::Column(column) => (column, "asc".to_owned()),
            Expr::Call { func, args, .. } if DIRECTIONS.contains(&func.to_string().as_str()) => match args.as_slice() {
                [Expr::Column(column)] => (column, func.to_string()),
                _ => {
                    self.error(
                        func.span(),
                        format!("`{func}` takes one output column: `{func}(total)`"),
                    );
                    return None;
                }
            },
            Expr::Method { receiver, method, args } if DIRECTIONS.contains(&method.to_string().as_str()) => {
                match (receiver.as_ref(), args.is_empty()) {
                    (Expr::Column(column), true) => (column, method.to_string()),
                    _ => {
                        self.error(
                            method.span(),
                            format!("`.{method}()` follows an output column: `total.{method}()`"),
                        );
                        return None;
                    }
                }
            }
            other => {
                self.error(
                    other.span(),
                    format!("sort by an output column, optionally in `asc(..)` or `desc(..)`; found `{other}`\nhelp: compute it first with `.select(..)` or in `agg(..)`, then sort by its name"),
                );
                return None;
            }
        };
        let Some(position) = self.env.columns.iter().position(|(name, _)| name == column) else {
            let names: Vec<String> = self.env.columns.iter().map(|(name, _)| name.to_string()).collect();
            let help = crate::diag::did_you_mean(&column.to_string(), names.iter().map(String::as_str)).map_or_else(
                || format!("note: the columns are: {}", names.join(", ")),
                |s| format!("help: did you mean `{s}`?"),
            );
            self.error(column.span(), format!("unknown column `{column}` to sort by\n{help}"));
            return None;
        };
        let var = self.env.columns[position].1;
        if !self.scalar_key(column, var, "sorting by") {
            return None;
        }
        let descending = direction.starts_with("desc");
        let nulls_first = if direction.ends_with("nulls_first") {
            true
        } else if direction.ends_with("nulls_last") {
            false
        } else {
            !descending
        };
        Some(OrderKey {
            column: position,
            descending,
            nulls_first,
        })
    }

    /// `select(col, name = expr, ..)`
    /// `join(table, key, .., "how")`: a stream–static join on equal columns of the same names
    /// (Spark's `join(other, on, how)`), before any aggregation. The result has the keys, then
    /// the stream's other columns, then the table's (none for a semi or anti join), as Spark's.
    fn join(&mut self, op: &Op) {
        if let Some((name, chain)) = op.args.first().and_then(|arg| stream_join::chain_root(&arg.expr))
            && self
                .stream_inputs
                .iter()
                .any(|(input, _)| input == name && *input != self.decl.root)
        {
            let name = name.clone();
            self.stream_join(op, &name, &chain);
            return;
        }
        const HOWS: &str = "\"inner\", \"left\" (\"left_outer\", \"leftouter\"), \"left_semi\" (\"semi\", \"leftsemi\") or \"left_anti\" (\"anti\", \"leftanti\")";
        if self.aggregate.is_some() {
            self.error(
                op.name.span(),
                "a join must come before the aggregation\nnote: joining an aggregated stream is not supported yet\nhelp: join first: `events.join(users, user_id).group_by(..)`",
            );
            return;
        }
        let table_names = || {
            let names: Vec<String> = self.statics.iter().map(|s| format!("`{}`", s.name)).collect();
            if names.is_empty() {
                "none: declare one in the signature, `users: static User`".to_owned()
            } else {
                names.join(", ")
            }
        };
        let (table_arg, rest) = match op.args.split_first() {
            Some((first, rest))
                if rest
                    .iter()
                    .any(|arg| matches!(arg.expr, Expr::Column(_) | Expr::Binary { .. })) =>
            {
                (first, rest)
            }
            _ => {
                self.error(
                    op.paren_span,
                    format!("`join` takes a static input and the columns to join on: `.join(users, user_id)`, `.join(users, user_id, region, \"left\")`, or a condition: `.join(users, user_id == users.id)`\nnote: static inputs of this query: {}", table_names()),
                );
                return;
            }
        };
        let Expr::Column(table_name) = &table_arg.expr else {
            self.error(
                table_arg.expr.span(),
                format!(
                    "`join` takes a static input first, found `{}`\nnote: static inputs of this query: {}",
                    table_arg.expr,
                    table_names()
                ),
            );
            return;
        };
        let Some(table) = self.statics.iter().position(|s| s.name == *table_name) else {
            self.error(
                table_name.span(),
                format!(
                    "`{table_name}` is not an input of this query\nnote: static inputs of this query: {}",
                    table_names()
                ),
            );
            return;
        };
        let (keys, how) = match rest.split_last() {
            Some((last, keys)) if !matches!(last.expr, Expr::Column(_) | Expr::Binary { .. }) => (keys, Some(last)),
            _ => (rest, None),
        };
        let kind = match how.map(|arg| &arg.expr) {
            None => JoinKind::Inner,
            Some(Expr::Lit(syn::Lit::Str(text))) => match text.value().to_ascii_lowercase().as_str() {
                "inner" => JoinKind::Inner,
                "left" | "left_outer" | "leftouter" => JoinKind::LeftOuter,
                "left_semi" | "semi" | "leftsemi" => JoinKind::LeftSemi,
                "left_anti" | "anti" | "leftanti" => JoinKind::LeftAnti,
                "right" | "right_outer" | "rightouter" | "full" | "outer" | "full_outer" | "fullouter" => {
                    self.error(
                        text.span(),
                        format!("a {} join of a stream with a static table is not supported, as in Spark: it would have to emit the table's unmatched rows, which a stream never proves unmatched\nhelp: use {HOWS}", text.value()),
                    );
                    return;
                }
                _ => {
                    self.error(
                        text.span(),
                        format!(
                            "unknown join type {:?}\nnote: a stream–static join is {HOWS}",
                            text.value()
                        ),
                    );
                    return;
                }
            },
            Some(other) => {
                self.error(
                    other.span(),
                    format!("the join type is a string literal, found `{other}`\nnote: a stream–static join is {HOWS}"),
                );
                return;
            }
        };
        let static_fields = self.statics[table].fields.clone();
        let static_name = self.statics[table].name.clone();
        if let [condition] = keys
            && matches!(condition.expr, Expr::Binary { .. })
        {
            let Some(pairs) = self.join_condition(&condition.expr, &static_name, &static_fields) else {
                return;
            };
            self.push_join(op, table, pairs, kind, false);
            return;
        }
        let mut pairs = Vec::new();
        for key in keys {
            let Expr::Column(column) = &key.expr else {
                self.error(key.expr.span(), format!("`join` joins on columns of the same name on both sides, found `{}`\nhelp: name the columns: `.join({static_name}, user_id)`", key.expr));
                return;
            };
            let Some(var) = self.env.lookup(&column.to_string()) else {
                self.unknown_column(column);
                return;
            };
            let Some(field) = static_fields.iter().position(|(name, _)| name == column) else {
                let names: Vec<String> = static_fields.iter().map(|(name, _)| name.to_string()).collect();
                let help = did_you_mean(&column.to_string(), names.iter().map(String::as_str))
                    .map_or_else(String::new, |s| format!("\nhelp: did you mean `{s}`?"));
                self.error(column.span(), format!("static input `{static_name}` has no column `{column}` to join on{help}\nnote: its columns are: {}", names.join(", ")));
                return;
            };
            let (stream_ty, table_ty) = (self.vars[var].ty, static_fields[field].1);
            if stream_ty.base != table_ty.base {
                self.error(column.span(), format!("cannot join on `{column}`: the stream's is {stream_ty} and `{static_name}`'s is {table_ty}\nhelp: cast one side so both have one type"));
                return;
            }
            if pairs.iter().any(|(_, f)| *f == field) {
                self.error(column.span(), format!("`{column}` is a join key twice"));
                return;
            }
            pairs.push((var, field));
        }
        self.push_join(op, table, pairs, kind, true);
    }

    /// The key pairs of a join condition: `stream_column == table.column`, either way round, joined
    /// by `&&` (the stream's column may be written `events.column`); `None` after an error.
    fn join_condition(
        &mut self,
        condition: &Expr,
        table: &Ident,
        fields: &[(Ident, ColType)],
    ) -> Option<Vec<(VarId, usize)>> {
        let help = format!("help: write the keys' equality: `user_id == {table}.id`, and `&&` for more keys");
        match condition {
            Expr::Binary {
                op: crate::parse::BinaryOp::And,
                left,
                right,
                ..
            } => {
                let mut pairs = self.join_condition(left, table, fields)?;
                pairs.extend(self.join_condition(right, table, fields)?);
                Some(pairs)
            }
            Expr::Binary {
                op: crate::parse::BinaryOp::Eq,
                left,
                right,
                op_span,
            } => {
                let table_column = |expr: &Expr| match expr {
                    Expr::Field { base, member } if matches!(base.as_ref(), Expr::Column(name) if name == table) => {
                        Some(member.clone())
                    }
                    _ => None,
                };
                let (stream_side, column) = match (table_column(left), table_column(right)) {
                    (Some(column), None) => (right.as_ref(), column),
                    (None, Some(column)) => (left.as_ref(), column),
                    _ => {
                        self.error(*op_span, format!("a join condition compares a column of the stream with one of `{table}`, found `{condition}`\n{help}"));
                        return None;
                    }
                };
                let stream_column = match stream_side {
                    Expr::Column(name) => name,
                    Expr::Field { base, member } if matches!(base.as_ref(), Expr::Column(name) if self.decl.inputs.iter().any(|i| i.name == *name && !i.is_static)) => {
                        member
                    }
                    other => {
                        self.error(
                            other.span(),
                            format!("a join condition compares columns, found `{other}`\n{help}"),
                        );
                        return None;
                    }
                };
                let Some(var) = self.env.lookup(&stream_column.to_string()) else {
                    self.unknown_column(stream_column);
                    return None;
                };
                let Some(field) = fields.iter().position(|(name, _)| *name == column) else {
                    let names: Vec<String> = fields.iter().map(|(name, _)| name.to_string()).collect();
                    self.error(
                        column.span(),
                        format!(
                            "static input `{table}` has no column `{column}`\nnote: its columns are: {}",
                            names.join(", ")
                        ),
                    );
                    return None;
                };
                let (stream_ty, table_ty) = (self.vars[var].ty, fields[field].1);
                if stream_ty.base != table_ty.base {
                    self.error(*op_span, format!("cannot join on `{condition}`: the stream's `{stream_column}` is {stream_ty} and `{table}.{column}` is {table_ty}\nhelp: cast one side so both have one type"));
                    return None;
                }
                Some(vec![(var, field)])
            }
            other => {
                self.error(other.span(), format!("a join condition is an equality of keys, found `{other}`\nnote: only equi-joins are supported\n{help}"));
                None
            }
        }
    }

    /// Records a join on `pairs`: with `using` (same-named keys, Spark's `join(other, on)`) the
    /// keys come first, then the stream's other columns, then the table's others; with a
    /// condition, the stream's columns then all the table's.
    fn push_join(&mut self, op: &Op, table: usize, pairs: Vec<(VarId, usize)>, kind: JoinKind, using: bool) {
        let static_fields = self.statics[table].fields.clone();
        let static_name = self.statics[table].name.clone();
        let mut columns = Vec::new();
        let key_names: Vec<&Ident> = if using {
            pairs.iter().map(|(_, field)| &static_fields[*field].0).collect()
        } else {
            Vec::new()
        };
        if using {
            let mut keys_first: Vec<(Ident, VarId)> = key_names
                .iter()
                .filter_map(|name| self.env.columns.iter().find(|(n, _)| n == *name).cloned())
                .collect();
            keys_first.extend(
                self.env
                    .columns
                    .iter()
                    .filter(|(n, _)| !key_names.contains(&n))
                    .cloned(),
            );
            self.env.columns = keys_first;
        }
        if matches!(kind, JoinKind::Inner | JoinKind::LeftOuter) {
            for (field, (name, ty)) in static_fields.iter().enumerate() {
                if key_names.contains(&name) {
                    continue;
                }
                if self.env.lookup(&name.to_string()).is_some() {
                    let also = if using {
                        format!("or join on it too: `.join({static_name}, .., {name})`")
                    } else {
                        format!("or, for keys of one name, join on the name: `.join({static_name}, {name})`")
                    };
                    self.error(op.args[0].expr.span(), format!("the join gives two columns `{name}`: the stream's and `{static_name}`'s\nhelp: rename the stream's first: `.with_column_renamed({name}, stream_{name})`, {also}"));
                    return;
                }
                let ty = ColType::new(ty.base, ty.nullable || kind == JoinKind::LeftOuter);
                let var = self.new_var(name.to_string(), ty);
                self.env.columns.push((name.clone(), var));
                columns.push((var, field));
            }
        }
        // Spark infers `key IS NOT NULL` for an inner or semi join and pushes it into the scan
        // (so a row with a null key is not even counted as read).
        if matches!(kind, JoinKind::Inner | JoinKind::LeftSemi) {
            for (var, _) in &pairs {
                if self.vars[*var].ty.nullable {
                    let span = op.name.span();
                    let column = crate::ir::TExpr {
                        kind: TExprKind::Var(*var),
                        ty: self.vars[*var].ty,
                        span,
                    };
                    self.pre.push(Step::Filter {
                        condition: crate::ir::TExpr {
                            kind: TExprKind::IsNull {
                                expr: Box::new(column),
                                negated: true,
                            },
                            ty: ColType::new(crate::types::Base::Bool, false),
                            span,
                        },
                    });
                }
            }
        }
        let index = self.pre.iter().filter(|step| matches!(step, Step::Join(_))).count();
        self.pre.push(Step::Join(StaticJoin {
            index,
            table,
            keys: pairs,
            columns,
            kind,
        }));
    }

    fn select(&mut self, op: &Op) {
        if op.args.is_empty() {
            self.error(
                op.paren_span,
                "`select` needs at least one column\nhelp: write `.select(user_id, total = amount * 2.0)`",
            );
            return;
        }
        let mut columns: Vec<(Ident, VarId)> = Vec::new();
        let mut generator = generate::PendingGenerators::default();
        for arg in &op.args {
            let made = if generate::generator_call(arg).is_some() {
                self.generator(arg, &mut generator).unwrap_or_default()
            } else {
                let Some(made) = self.named_expr_or_poison(arg, "select") else {
                    continue;
                };
                vec![made]
            };
            for (name, var) in made {
                if columns.iter().any(|(n, _)| *n == name) {
                    self.error(name.span(), duplicate_message(&name));
                    continue;
                }
                columns.push((name, var));
            }
        }
        let generated_steps = generator.into_steps();
        self.steps().extend(generated_steps);
        self.env.columns = columns;
        self.env.after = Some("`.select(..)`");
    }

    /// `with_column(name = expr, ..)`: replaces a column of that name in place, or appends one.
    fn with_column(&mut self, op: &Op) {
        if op.args.is_empty() {
            self.error(
                op.paren_span,
                "`with_column` needs a column\nhelp: write `.with_column(event_time = to_timestamp(event_time))`",
            );
        }
        let mut generator = generate::PendingGenerators::default();
        let mut generated = Vec::new();
        for arg in &op.args {
            let Some(name) = &arg.name else {
                self.error(
                    arg.expr.span(),
                    format!(
                        "`with_column` needs a name for `{}`\nhelp: write `.with_column(name = {})`",
                        arg.expr, arg.expr
                    ),
                );
                continue;
            };
            if generate::generator_call(arg).is_some() {
                match self.generator(arg, &mut generator) {
                    Some(made) => generated.extend(made),
                    None => {
                        let var = self.poison(name);
                        self.bind(name, var);
                    }
                }
                continue;
            }
            let var = match self.computed(name, &arg.expr) {
                Some(var) => var,
                None => self.poison(name),
            };
            self.bind(name, var);
        }
        let generated_steps = generator.into_steps();
        self.steps().extend(generated_steps);
        for (name, var) in generated {
            self.bind(&name, var);
        }
    }

    /// `with_column_renamed(old, new)`
    fn with_column_renamed(&mut self, op: &Op) {
        let [
            Arg {
                name: None,
                expr: Expr::Column(old),
                ..
            },
            Arg {
                name: None,
                expr: Expr::Column(new),
                ..
            },
        ] = op.args.as_slice()
        else {
            self.error(op.paren_span, "`with_column_renamed` takes the old and the new column name\nhelp: write `.with_column_renamed(amount, amount_usd)`");
            return;
        };
        if self.env.lookup(&old.to_string()).is_none() {
            self.unknown_column(old);
            let var = self.poison(new);
            self.bind(new, var);
            return;
        }
        if old != new && self.env.lookup(&new.to_string()).is_some() {
            self.error(new.span(), duplicate_message(new));
            return;
        }
        if let Some(slot) = self.env.columns.iter_mut().find(|(n, _)| n == old) {
            slot.0 = new.clone();
        }
        self.env.after = Some("`.with_column_renamed(..)`");
    }

    /// `drop(col, ..)`
    fn drop_columns(&mut self, op: &Op) {
        for arg in &op.args {
            let (None, Expr::Column(name)) = (&arg.name, &arg.expr) else {
                self.error(
                    arg.expr.span(),
                    "`drop` takes column names\nhelp: write `.drop(event_id, note)`",
                );
                continue;
            };
            if self.env.lookup(&name.to_string()).is_none() {
                self.unknown_column(name);
                continue;
            }
            self.env.columns.retain(|(n, _)| n != name);
        }
        self.env.after = Some("`.drop(..)`");
        if self.env.columns.is_empty() {
            self.error(op.name.span(), "`drop` removes every column of the stream");
        }
    }

    /// `filter(condition)`
    fn filter(&mut self, op: &Op) {
        let [arg] = op.args.as_slice() else {
            self.error(op.paren_span, "`filter` takes one condition\nhelp: combine conditions with `&&`: `.filter(amount > 100.0 && event_type == \"purchase\")`");
            return;
        };
        if let Some(name) = &arg.name {
            self.error(
                arg.eq_span.unwrap_or_else(|| name.span()),
                format!(
                    "`filter` takes a condition, but `{name} = ..` names a column\nhelp: compare with `==`: `.filter({name} == {})`",
                    arg.expr
                ),
            );
            return;
        }
        let env = self.env.clone();
        let Some(condition) = self.exprs().check(
            &arg.expr,
            &mut Scope::Row {
                env: &env,
                context: "`filter`",
            },
        ) else {
            return;
        };
        if condition.ty.base != crate::types::Base::Bool {
            self.error(
                arg.expr.span(),
                format!(
                    "`filter` needs a boolean condition, but `{}` is {}\nhelp: compare it, e.g. `.filter({} > ..)`",
                    arg.expr, condition.ty, arg.expr
                ),
            );
            return;
        }
        self.steps().push(Step::Filter { condition });
    }

    /// `with_watermark(event_time, "10 minutes")`
    fn with_watermark(&mut self, op: &Op) {
        let [
            Arg {
                name: None,
                expr: Expr::Column(column),
                ..
            },
            Arg {
                name: None,
                expr: Expr::Lit(syn::Lit::Str(delay)),
                ..
            },
        ] = op.args.as_slice()
        else {
            self.error(
                op.paren_span,
                "`with_watermark` takes the event-time column and a delay\nhelp: write `.with_watermark(event_time, \"10 minutes\")`",
            );
            return;
        };
        if self.aggregate.is_some() {
            self.error(
                op.name.span(),
                "`with_watermark` must come before the aggregation\nnote: the watermark decides which input rows are too late to aggregate\nhelp: move `.with_watermark(..)` before `.group_by(..)`",
            );
            return;
        }
        if self.watermark.is_some() {
            self.error(
                op.name.span(),
                "this stream already has a watermark\nhelp: keep one `.with_watermark(..)`",
            );
            return;
        }
        let Some(var) = self.env.lookup(&column.to_string()) else {
            self.unknown_column(column);
            return;
        };
        if self.poisoned.contains(&var) {
            return;
        }
        let ty = self.vars[var].ty;
        if ty.base != crate::types::Base::Timestamp {
            self.error(
                column.span(),
                format!(
                    "the event time `{column}` has type {ty}, but a watermark needs a Timestamp\n{}",
                    timestamp_hint(&column.to_string(), ty.base)
                ),
            );
            return;
        }
        let delay_micros = match crate::time_literals::parse_interval(&delay.value()) {
            Ok(micros) if micros >= 0 => micros,
            Ok(_) => {
                self.error(delay.span(), "the watermark delay must not be negative");
                return;
            }
            Err(message) => {
                self.error(delay.span(), message);
                return;
            }
        };
        self.watermark = Some((var, delay_micros));
        let index = self.watermarks.len();
        self.watermarks.push((var, delay_micros));
        self.steps().push(Step::Watermark { var, index });
    }

    /// `keep_late_rows()`: the rows the watermark drops become the query's late rows.
    fn keep_late_rows(&mut self, op: &Op) {
        if !op.args.is_empty() {
            self.error(op.paren_span, "`keep_late_rows` takes no arguments");
            return;
        }
        if self.watermark.is_none() {
            self.error(
                op.name.span(),
                "`keep_late_rows` needs a watermark: late rows are the rows it drops\nhelp: call `.with_watermark(event_time, \"10 minutes\")` before it",
            );
            return;
        }
        if self.aggregate.is_some() || self.pre.iter().any(|step| matches!(step, Step::Dedup(_))) {
            self.error(
                op.name.span(),
                "`keep_late_rows` must come before the aggregation or deduplication whose late rows it keeps",
            );
            return;
        }
        self.keep_late_rows = Some(op.name.span());
    }

    /// Records the late-row columns when the stateful operation is reached.
    fn stateful_operation_reached(&mut self) {
        // Late rows are dropped by the first stateful operation; a later one sees none.
        if self.keep_late_rows.is_some() && self.late_rows.is_none() {
            self.late_rows = Some(self.env.columns.clone());
        }
    }

    /// `drop_duplicates(col, ..)` (every column when none is named) and
    /// `drop_duplicates_within_watermark(col, ..)`.
    fn drop_duplicates(&mut self, op: &Op, within_watermark: bool) {
        let name = &op.name;
        if self.aggregate.is_some() {
            self.error(
                name.span(),
                format!("`{name}` cannot follow an aggregation in the same query\nnote: Spark refuses a deduplication after an aggregation in append mode, and Rill in every mode\nhelp: deduplicate first, then aggregate: `.{name}(..).group_by(..).agg(..)`"),
            );
            return;
        }
        if self.pre.iter().any(|step| matches!(step, Step::Dedup(_))) {
            self.error(
                name.span(),
                format!("`{name}` cannot follow another deduplication in the same query\nnote: Rill chains a deduplication only into an aggregation\nhelp: deduplicate in one query and read its output in a second"),
            );
            return;
        }
        if within_watermark && self.watermark.is_none() {
            self.error(
                name.span(),
                "`drop_duplicates_within_watermark` needs a watermark\nnote: it forgets a key once the watermark passes its first event time plus the delay\nhelp: call `.with_watermark(event_time, \"10 minutes\")` before it",
            );
            return;
        }
        let mut keys = Vec::new();
        if op.args.is_empty() {
            keys.extend(self.env.columns.iter().map(|(_, var)| *var));
        }
        for arg in &op.args {
            let (None, Expr::Column(column)) = (&arg.name, &arg.expr) else {
                self.error(
                    arg.expr.span(),
                    format!("`{name}` takes column names\nhelp: write `.{name}(event_id, event_time)`"),
                );
                continue;
            };
            match self.env.lookup(&column.to_string()) {
                Some(var) if !self.poisoned.contains(&var) => {
                    if self.scalar_key(column, var, "deduplicating by") {
                        keys.push(var);
                    }
                }
                Some(_) => {}
                None => self.unknown_column(column),
            }
        }
        // Spark drops late rows by the watermarked column whenever the stream still has it.
        let event_time = self
            .watermark
            .map(|(var, _)| var)
            .filter(|var| self.env.columns.iter().any(|(_, column)| column == var));
        let forgets_keys = within_watermark || event_time.is_some_and(|var| keys.contains(&var));
        self.stateful_operation_reached();
        self.pre.push(Step::Dedup(Dedup {
            keys,
            event_time,
            forgets_keys,
            within_watermark,
        }));
    }

    /// `group_by(keys).transform_with_state(Processor, time_mode, input = In, output = Out[,
    /// initial = table])`.
    fn transform_with_state(&mut self, group_by: &Op, op: &Op) {
        let name = &op.name;
        if self.aggregate.is_some() || self.transform.is_some() || self.is_stateful_so_far() {
            self.error(
                name.span(),
                "`transform_with_state` cannot follow another stateful operation in this query yet\nnote: Rill chains a processor after no other stateful operator\nhelp: run the processor in a query of its own",
            );
            return;
        }
        let mut keys = Vec::new();
        for arg in &group_by.args {
            let (None, Expr::Column(column)) = (&arg.name, &arg.expr) else {
                self.error(
                    arg.expr.span(),
                    "a processor's grouping takes column names\nhelp: write `.group_by(user_id)`, or make the key a column first with `with_column`",
                );
                continue;
            };
            match self.env.lookup(&column.to_string()) {
                Some(var) if !self.poisoned.contains(&var) => {
                    if self.scalar_key(column, var, "grouping by") {
                        keys.push(var);
                    }
                }
                Some(_) => {}
                None => self.unknown_column(column),
            }
        }
        if group_by.args.is_empty() {
            self.error(
                group_by.paren_span,
                "`transform_with_state` runs per key: `group_by` needs at least one column\nhelp: write `.group_by(user_id)`",
            );
        }
        const USAGE: &str = "help: write `.transform_with_state(MyProcessor, EventTime, input = Event, output = Session)`: the processor's type, its time mode (`EventTime`, `ProcessingTime` or `NoTime`), and the schemas of the rows it reads and emits; then optionally `initial = table` (its initial state) and `event_time = column` (the output column that carries the event time on)";
        const GROUPS_USAGE: &str = "help: write `.flat_map_groups_with_state(MyFunction, EventTimeTimeout, input = Event, output = Session)`: the `GroupsFunction`'s type, its timeout (`EventTimeTimeout`, `ProcessingTimeTimeout` or `NoTimeout`), and the schemas of the rows it reads and emits";
        // Spark's `flatMapGroupsWithState` is a processor of one value and one timer per key.
        let groups = op.name == "flat_map_groups_with_state";
        let (usage, modes) = if groups {
            (
                GROUPS_USAGE,
                [
                    ("EventTimeTimeout", TimeMode::EventTime),
                    ("ProcessingTimeTimeout", TimeMode::ProcessingTime),
                    ("NoTimeout", TimeMode::None),
                ],
            )
        } else {
            (
                USAGE,
                [
                    ("EventTime", TimeMode::EventTime),
                    ("ProcessingTime", TimeMode::ProcessingTime),
                    ("NoTime", TimeMode::None),
                ],
            )
        };
        let mut processor = None;
        let mut time_mode = None;
        let mut input = None;
        let mut output = None;
        let mut initial = None;
        let mut output_event_time = None;
        for (position, arg) in op.args.iter().enumerate() {
            let Expr::Column(ident) = &arg.expr else {
                self.error(arg.expr.span(), format!("expected a name here\n{usage}"));
                continue;
            };
            match (arg.name.as_ref().map(ToString::to_string).as_deref(), position) {
                (None, 0) => processor = Some(ident.clone()),
                (None, 1) => match modes.iter().find(|(mode, _)| ident == mode) {
                    Some((_, mode)) => time_mode = Some((*mode, ident.span())),
                    None => {
                        let (what, names) = if groups {
                            (
                                "timeout",
                                "timeouts are `EventTimeTimeout`, `ProcessingTimeTimeout` and `NoTimeout` (Spark's `GroupStateTimeout`)",
                            )
                        } else {
                            (
                                "time mode",
                                "time modes are `EventTime`, `ProcessingTime` and `NoTime` (Spark's `TimeMode.None`)",
                            )
                        };
                        let other = ident.to_string();
                        let help = did_you_mean(&other, modes.iter().map(|(mode, _)| *mode))
                            .map(|s| format!("help: did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("note: {names}"));
                        self.error(ident.span(), format!("unknown {what} `{other}`\n{help}"));
                        return;
                    }
                },
                (Some("input"), _) => input = Some(ident.clone()),
                (Some("output"), _) => output = Some(ident.clone()),
                (Some("initial"), _) if !groups => initial = Some(ident.clone()),
                // Spark's `flatMapGroupsWithState` passes on no watermark.
                (Some("event_time"), _) if !groups => output_event_time = Some(ident.clone()),
                _ => {
                    self.error(arg.expr.span(), format!("unexpected argument to `{name}`\n{usage}"));
                    return;
                }
            }
        }
        let (Some(processor), Some((time_mode, mode_span)), Some(input), Some(output)) =
            (processor, time_mode, input, output)
        else {
            self.error(
                op.paren_span,
                format!("`{name}` needs a processor, a time mode, `input = ..` and `output = ..`\n{usage}"),
            );
            return;
        };
        if time_mode == TimeMode::EventTime && self.watermark.is_none() {
            let message = if groups {
                "an event-time timeout needs a watermark: a group times out when the watermark passes its timeout, and this stream has none (Spark refuses it too)\nhelp: call `.with_watermark(event_time, \"10 minutes\")` before `group_by`, or use `ProcessingTimeTimeout`"
            } else {
                "event-time timers need a watermark: `EventTime` fires a timer when the watermark passes it, and this stream has none\nhelp: call `.with_watermark(event_time, \"10 minutes\")` before `group_by`, or use `ProcessingTime`"
            };
            self.error(mode_span, message);
            return;
        }
        let Some(input_fields) = self.schema_fields(&input) else {
            return;
        };
        let Some(output_fields) = self.schema_fields(&output) else {
            return;
        };
        let mut input_columns = Vec::new();
        for (field, ty) in input_fields {
            match self.env.lookup(&field) {
                Some(var) if self.poisoned.contains(&var) => {}
                Some(var) if self.vars[var].ty == ty || (ty.nullable && self.vars[var].ty.base == ty.base) => {
                    input_columns.push((format_ident!("{}", field), var));
                }
                Some(var) => {
                    let found = self.vars[var].ty;
                    let help = if found.nullable && found.base == ty.base {
                        format!("help: the column may be null: declare the field `{field}: Option<..>` in `{input}`")
                    } else {
                        format!("help: cast it first: `.with_column({field} = cast({field}, ..))`")
                    };
                    self.error(
                        input.span(),
                        format!("the processor's input `{input}` has `{field}: {ty}`, but the stream's column `{field}` is `{found}`\n{help}"),
                    );
                }
                None => {
                    let columns: Vec<String> = self.env.names().collect();
                    self.error(
                        input.span(),
                        format!("the processor's input `{input}` has a field `{field}`, which the stream has no column for\nnote: the stream's columns here are: {}\nhelp: make the column with `with_column({field}, ..)` before `group_by`", columns.join(", ")),
                    );
                }
            }
        }
        let initial = match initial {
            Some(table) => match self.initial_state(&table, &keys) {
                Some(initial) => Some(initial),
                None => return,
            },
            None => None,
        };
        // Spark drops rows before the watermark when the stream still has the watermarked column.
        let event_time = self
            .watermark
            .map(|(var, _)| var)
            .filter(|var| time_mode == TimeMode::EventTime && self.env.columns.iter().any(|(_, column)| column == var));
        self.stateful_operation_reached();
        let output_columns: Vec<(Ident, VarId)> = output_fields
            .into_iter()
            .map(|(field, ty)| {
                let ident = format_ident!("{}", field);
                let var = self.new_var(field, ty);
                (ident, var)
            })
            .collect();
        // Spark's `eventTimeColumnName`: an output column carries the watermark on.
        let output_event_time = match output_event_time {
            Some(column) => {
                let found = output_columns
                    .iter()
                    .find(|(name, _)| *name == column)
                    .map(|(_, var)| *var);
                match found {
                    _ if time_mode != TimeMode::EventTime => {
                        self.error(
                            column.span(),
                            "an output column carries the event time only from a processor in `EventTime` mode\nhelp: run the processor in `EventTime` mode, or remove `event_time = ..`",
                        );
                        return;
                    }
                    Some(var) if self.vars[var].ty.base == crate::types::Base::Timestamp => {
                        self.event_times.push(var);
                        Some(var)
                    }
                    Some(var) => {
                        let ty = self.vars[var].ty;
                        self.error(
                            column.span(),
                            format!(
                                "the event time `{column}` of `{output}` is {ty}, but an event time is a Timestamp"
                            ),
                        );
                        return;
                    }
                    None => {
                        let fields: Vec<String> = output_columns.iter().map(|(name, _)| name.to_string()).collect();
                        self.error(
                            column.span(),
                            format!("`event_time = {column}` names no field of the processor's output `{output}`\nnote: its fields are: {}", fields.join(", ")),
                        );
                        return;
                    }
                }
            }
            None => None,
        };
        self.env = Env {
            columns: output_columns.clone(),
            after: Some("transform_with_state"),
        };
        self.transform = Some(Transform {
            keys,
            processor,
            time_mode,
            input,
            input_columns,
            output,
            output_columns,
            event_time,
            output_event_time,
            initial,
            groups,
        });
    }

    /// `initial = table`: the static input `table`, which must hold the grouping columns `keys`
    /// by name and type; its index and those columns, or `None` after reporting why not.
    fn initial_state(&mut self, table: &Ident, keys: &[VarId]) -> Option<(usize, Vec<Ident>)> {
        let Some(index) = self.statics.iter().position(|s| s.name == *table) else {
            self.error(
                table.span(),
                format!("`initial = {table}` names no static input of this query\nhelp: declare it among the query's inputs, `{table}: static InitialState`, and pass the table to `read`"),
            );
            return None;
        };
        let mut columns = Vec::new();
        for var in keys {
            let (name, ty) = (self.vars[*var].name.clone(), self.vars[*var].ty);
            match self.statics[index].fields.iter().find(|(field, _)| *field == name) {
                Some((field, found)) if *found == ty => columns.push(field.clone()),
                Some((_, found)) => {
                    let found = *found;
                    self.error(
                        table.span(),
                        format!("the initial state `{table}` has `{name}: {found}`, but the grouping column `{name}` is `{ty}`\nhelp: the initial state's key columns have the grouping's names and types"),
                    );
                    return None;
                }
                None => {
                    self.error(
                        table.span(),
                        format!("the initial state `{table}` has no column `{name}`, which the grouping is by\nhelp: the initial state's rows hold the grouping columns, by the same names"),
                    );
                    return None;
                }
            }
        }
        Some((index, columns))
    }

    /// Whether a deduplication or a join of two streams came before.
    fn is_stateful_so_far(&self) -> bool {
        self.pre
            .iter()
            .any(|step| matches!(step, Step::Dedup(_) | Step::StreamJoin(_)))
    }

    /// A schema's fields, by name, or `None` after reporting an unknown schema.
    fn schema_fields(&mut self, schema: &Ident) -> Option<Vec<(String, ColType)>> {
        let name = schema.to_string();
        let fields = self
            .structs
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, base)| match base {
                crate::types::Base::Struct(fields) => Some(fields.fields.clone()),
                _ => None,
            });
        if fields.is_none() {
            let names: Vec<String> = self.structs.iter().map(|(n, _)| n.clone()).collect();
            let help = did_you_mean(&name, names.iter().map(String::as_str))
                .map(|s| format!("help: did you mean `{s}`?"))
                .unwrap_or_else(|| "help: declare it in the same `stream!` with `schema Name { .. }`".to_owned());
            self.error(schema.span(), format!("unknown schema `{name}`\n{help}"));
        }
        fields
    }

    /// A `session_window(ts, gap)` grouping key.
    fn session_key(&mut self, args: &[Expr], paren_span: Span) -> Option<SessionKey> {
        let [ts_arg, gap_arg] = args else {
            self.error(
                paren_span,
                "`session_window` takes a timestamp column and a gap\nhelp: write `session_window(event_time, \"10 minutes\")`",
            );
            return None;
        };
        let env = self.env.clone();
        let ts_expr = self.exprs().check(
            ts_arg,
            &mut Scope::Row {
                env: &env,
                context: "`session_window`",
            },
        )?;
        if ts_expr.ty.base != crate::types::Base::Timestamp {
            self.error(
                ts_arg.span(),
                format!(
                    "`session_window` needs a Timestamp column, but `{ts_arg}` is {}\n{}",
                    ts_expr.ty,
                    timestamp_hint(&ts_arg.to_string(), ts_expr.ty.base)
                ),
            );
            return None;
        }
        let ts = if let TExprKind::Var(var) = ts_expr.kind {
            var
        } else {
            let var = self.new_var("session_time".to_owned(), ts_expr.ty);
            self.steps().push(Step::Let { var, expr: ts_expr });
            var
        };
        let Expr::Lit(syn::Lit::Str(text)) = gap_arg else {
            // Spark's dynamic gap: an interval string computed per row.
            let gap_expr = self.exprs().check(
                gap_arg,
                &mut Scope::Row {
                    env: &env,
                    context: "`session_window`",
                },
            )?;
            if gap_expr.ty.base != crate::types::Base::Str {
                self.error(
                    gap_arg.span(),
                    format!(
                        "the session gap is an interval, such as \"10 minutes\" or a text expression giving one per row, but `{gap_arg}` is {}\nhelp: write `session_window(event_time, when(user_id == \"bot\", \"1 minute\").otherwise(\"10 minutes\"))`",
                        gap_expr.ty
                    ),
                );
                return None;
            }
            let gap_var = if let TExprKind::Var(var) = gap_expr.kind {
                var
            } else {
                let var = self.new_var("session_gap".to_owned(), gap_expr.ty);
                self.steps().push(Step::Let { var, expr: gap_expr });
                var
            };
            let key = self.new_var(
                "session_window".to_owned(),
                ColType::new(crate::types::Base::Window, false),
            );
            return Some(SessionKey {
                key,
                ts,
                gap: 0,
                gap_per_row: Some(gap_var),
            });
        };
        let gap = match crate::time_literals::parse_interval(&text.value()) {
            Ok(gap) if gap > 0 => gap,
            Ok(_) => {
                self.error(text.span(), "a session gap must be positive");
                return None;
            }
            Err(message) => {
                self.error(text.span(), message);
                return None;
            }
        };
        let key = self.new_var(
            "session_window".to_owned(),
            ColType::new(crate::types::Base::Window, false),
        );
        Some(SessionKey {
            key,
            ts,
            gap,
            gap_per_row: None,
        })
    }

    /// A `window(ts, size[, slide[, offset]])` grouping key.
    fn window_key(&mut self, args: &[Expr], paren_span: Span) -> Option<WindowKey> {
        if !(2..=4).contains(&args.len()) {
            self.error(
                paren_span,
                "`window` takes a timestamp column and a duration, then optionally a slide and a start offset\nhelp: write `window(event_time, \"1 hour\")` or `window(event_time, \"1 hour\", \"10 minutes\")`",
            );
            return None;
        }
        let env = self.env.clone();
        let mut ts_expr = self.exprs().check(
            &args[0],
            &mut Scope::Row {
                env: &env,
                context: "`window`",
            },
        )?;
        if ts_expr.ty.base == crate::types::Base::Date {
            // As Spark: a date's windows are its midnight's.
            let ty = ColType::new(crate::types::Base::Timestamp, ts_expr.ty.nullable);
            let span = ts_expr.span;
            ts_expr = crate::ir::TExpr {
                kind: TExprKind::Call(
                    crate::ir::Func::Cast {
                        to: crate::types::Base::Timestamp,
                    },
                    vec![ts_expr],
                ),
                ty,
                span,
            };
        }
        if ts_expr.ty.base != crate::types::Base::Timestamp {
            self.error(
                args[0].span(),
                format!(
                    "`window` needs a Timestamp column, but `{}` is {}\n{}",
                    args[0],
                    ts_expr.ty,
                    timestamp_hint(&args[0].to_string(), ts_expr.ty.base)
                ),
            );
            return None;
        }
        let ts = if let TExprKind::Var(var) = ts_expr.kind {
            var
        } else {
            let carries_watermark = self.carries_watermark(&ts_expr);
            let var = self.new_var("window_time".to_owned(), ts_expr.ty);
            if carries_watermark {
                self.event_times.push(var);
            }
            self.steps().push(Step::Let { var, expr: ts_expr });
            var
        };
        let mut durations = Vec::new();
        for (arg, what) in args[1..].iter().zip(["duration", "slide", "start offset"]) {
            let Expr::Lit(syn::Lit::Str(text)) = arg else {
                self.error(
                    arg.span(),
                    format!("the window {what} must be a string literal such as \"1 hour\", found `{arg}`"),
                );
                return None;
            };
            match crate::time_literals::parse_interval(&text.value()) {
                Ok(micros) => durations.push((micros, text.span())),
                Err(message) => {
                    self.error(text.span(), message);
                    return None;
                }
            }
        }
        let (size, size_span) = durations[0];
        let (slide, slide_span) = durations.get(1).copied().unwrap_or((size, size_span));
        let (offset, offset_span) = durations.get(2).copied().unwrap_or((0, size_span));
        if size <= 0 || slide <= 0 {
            let span = if size <= 0 { size_span } else { slide_span };
            self.error(span, "a window's duration and slide must be positive");
            return None;
        }
        if slide > size {
            self.error(
                slide_span,
                format!(
                    "the window slide {} is longer than its duration {}\nnote: rows between two windows would belong to none\nhelp: use a slide no longer than the duration, or a tumbling window `window({}, {})`",
                    args[2], args[1], args[0], args[1]
                ),
            );
            return None;
        }
        if offset.abs() >= slide {
            self.error(offset_span, "the window's start offset must be shorter than its slide");
            return None;
        }
        let key = self.new_var("window".to_owned(), ColType::new(crate::types::Base::Window, false));
        Some(WindowKey {
            key,
            ts,
            size,
            slide,
            offset,
        })
    }

    /// `group_by(keys).agg(outputs)`, or `agg(outputs)` alone for a global aggregation.
    fn aggregate(&mut self, group_by: Option<&Op>, agg: &Op) {
        self.stateful_operation_reached();
        let mut key_env = Env::default();
        let mut keys = Vec::new();
        let mut window: Option<WindowKey> = None;
        let mut session: Option<(SessionKey, Span)> = None;
        for arg in group_by.map(|op| op.args.as_slice()).unwrap_or_default() {
            let found = match &arg.expr {
                Expr::Call { func, args, paren_span } if func == "session_window" => {
                    if window.is_some() || session.is_some() {
                        self.error(
                            func.span(),
                            "a `group_by` takes at most one `window(..)` or `session_window(..)`",
                        );
                        continue;
                    }
                    let name = arg
                        .name
                        .clone()
                        .unwrap_or_else(|| Ident::new("session_window", func.span()));
                    match self.session_key(args, *paren_span) {
                        Some(key) => {
                            let var = key.key;
                            session = Some((key, func.span()));
                            Some((name, var))
                        }
                        None => Some((name.clone(), self.poison(&name))),
                    }
                }
                Expr::Call { func, args, paren_span } if func == "window" => {
                    if window.is_some() || session.is_some() {
                        self.error(func.span(), "a `group_by` takes at most one `window(..)`");
                        continue;
                    }
                    let name = arg.name.clone().unwrap_or_else(|| Ident::new("window", func.span()));
                    match self.window_key(args, *paren_span) {
                        Some(key) => {
                            let var = key.key;
                            window = Some(key);
                            Some((name, var))
                        }
                        None => Some((name.clone(), self.poison(&name))),
                    }
                }
                _ => self.named_expr_or_poison(arg, "group_by"),
            };
            let Some((name, var)) = found else {
                continue;
            };
            if !self.scalar_key(&name, var, "grouping by") {
                continue;
            }
            if key_env.lookup(&name.to_string()).is_some() {
                self.error(name.span(), duplicate_message(&name));
                continue;
            }
            key_env.columns.push((name, var));
            keys.push(var);
        }
        if let Some((_, span)) = &session
            && keys.len() < 2
        {
            self.error(
                *span,
                "a `session_window` needs another grouping key\nnote: sessions are kept per key, e.g. per user\nhelp: write `.group_by(session_window(event_time, \"10 minutes\"), user_id)`",
            );
        }
        let session = session.map(|(key, _)| key);
        // After the aggregation the keys are new variables, bound from the state's keys.
        let mut post_env = Env::default();
        let mut key_outputs = Vec::new();
        for (name, var) in &key_env.columns {
            let ty = self.vars[*var].ty;
            let output = self.new_var(name.to_string(), ty);
            post_env.columns.push((name.clone(), output));
            key_outputs.push(output);
        }
        if agg.args.is_empty() {
            self.error(
                agg.paren_span,
                "`agg` needs at least one aggregate\nhelp: write `.agg(events = count(), total = sum(amount))`",
            );
        }
        let pre_env = self.env.clone();
        let mut accumulators = Vec::new();
        let mut outputs = Vec::new();
        for arg in &agg.args {
            let Some(name) = &arg.name else {
                self.error(
                    arg.expr.span(),
                    format!(
                        "aggregate `{}` needs a name\nhelp: write `name = {}`",
                        arg.expr, arg.expr
                    ),
                );
                continue;
            };
            if post_env.lookup(&name.to_string()).is_some() {
                self.error(name.span(), duplicate_message(name));
                continue;
            }
            let mut scope = Scope::Aggregate {
                pre: &pre_env,
                keys: &post_env,
                accumulators: &mut accumulators,
            };
            let Some(expr) = self.exprs().check(&arg.expr, &mut scope) else {
                let var = self.poison(name);
                post_env.columns.push((name.clone(), var));
                continue;
            };
            let var = self.new_var(name.to_string(), expr.ty);
            post_env.columns.push((name.clone(), var));
            outputs.push((var, expr));
        }
        post_env.after = Some("`.agg(..)`");
        self.env = post_env;
        // The key the watermark bounds: the watermarked column, or a window over it (in a
        // downstream stage, over a column carrying the upstream's watermark).
        let watermarked = self.watermark.map(|(event_time, _)| event_time);
        let is_event_time = |var: VarId| watermarked == Some(var) || self.event_times.contains(&var);
        let event_time_key = keys.iter().position(|&key| {
            is_event_time(key)
                || window.as_ref().is_some_and(|w| w.key == key && is_event_time(w.ts))
                || session.as_ref().is_some_and(|s| s.key == key && is_event_time(s.ts))
        });
        // The key's column carries the watermark on, to a stage after this one.
        self.event_times.extend(event_time_key.map(|index| key_outputs[index]));
        self.aggregate = Some(Aggregate {
            window,
            session,
            event_time_key,
            keys,
            key_outputs,
            accumulators,
            outputs,
        });
    }

    /// Like [`Self::named_expr`], but a failed column still binds its name (poisoned).
    fn named_expr_or_poison(&mut self, arg: &Arg, context: &str) -> Option<(Ident, VarId)> {
        if let Some(found) = self.named_expr(arg, context) {
            return Some(found);
        }
        let ((Some(name), _) | (None, Expr::Column(name))) = (&arg.name, &arg.expr) else {
            return None;
        };
        Some((name.clone(), self.poison(name)))
    }

    /// A `select`/`group_by` argument: a column keeps its name, anything else needs `name = ..`.
    fn named_expr(&mut self, arg: &Arg, context: &str) -> Option<(Ident, VarId)> {
        match (&arg.name, &arg.expr) {
            (None, Expr::Column(column)) => {
                let Some(var) = self.env.lookup(&column.to_string()) else {
                    self.unknown_column(column);
                    // Bind what was most likely meant, so later uses of that name resolve.
                    let (name, var) = expr::recover_column(column, &self.env)?;
                    return (!self.poisoned.contains(&var)).then_some((name, var));
                };
                if self.poisoned.contains(&var) {
                    return None;
                }
                Some((column.clone(), var))
            }
            (None, expr) => {
                self.error(
                    expr.span(),
                    format!("expression `{expr}` in `{context}` needs a name\nhelp: write `name = {expr}`"),
                );
                None
            }
            (Some(name), expr) => Some((name.clone(), self.computed(name, expr)?)),
        }
    }

    /// Type-checks `expr` in the current row scope and binds it to a new variable `name`
    /// (a plain column reference reuses its variable).
    fn computed(&mut self, name: &Ident, expr: &Expr) -> Option<VarId> {
        let env = self.env.clone();
        let context = format!("`{name}`");
        let typed = self.exprs().check(
            expr,
            &mut Scope::Row {
                env: &env,
                context: &context,
            },
        )?;
        if let TExprKind::Var(var) = typed.kind {
            return Some(var);
        }
        // As Spark's `window(..)` outside a grouping: a row without a time has no window, and
        // Spark's analyzer drops it (`isnotnull(time)` before the projection).
        let mut times = Vec::new();
        window_times(&typed, &mut times);
        for time in times {
            let span = time.span;
            self.steps().push(Step::Filter {
                condition: crate::ir::TExpr {
                    kind: TExprKind::IsNull {
                        expr: Box::new(time),
                        negated: true,
                    },
                    ty: ColType::new(crate::types::Base::Bool, false),
                    span,
                },
            });
        }
        let var = self.new_var(name.to_string(), typed.ty);
        if self.carries_watermark(&typed) {
            self.event_times.push(var);
        }
        self.steps().push(Step::Let { var, expr: typed });
        Some(var)
    }

    /// Whether `expr` is `window_time(w)` of a window `w` that carries the watermark, which
    /// Spark's `window_time` carries on.
    fn carries_watermark(&self, expr: &crate::ir::TExpr) -> bool {
        match &expr.kind {
            TExprKind::WindowField {
                expr: window,
                part: crate::ir::WindowPart::Time,
            } => matches!(window.kind, TExprKind::Var(var) if self.event_times.contains(&var)),
            _ => false,
        }
    }

    /// Whether the query so far ends with a stateful operation whose rows a second one can
    /// read, in a stage of its own: an aggregation, a stream–stream join or a processor.
    fn ends_a_stage(&self) -> bool {
        self.aggregate.is_some()
            || self.transform.is_some()
            || self.pre.iter().any(|step| matches!(step, Step::StreamJoin(_)))
    }

    /// Spark's rules for the stage that starts at `op`, the second stateful operation: its
    /// upstream must emit rows that are final and carry the watermark.
    fn check_chain(&mut self, op: &Op) {
        if let Some(transform) = &self.transform
            && transform.output_event_time.is_none()
        {
            let processor = transform.processor.to_string();
            self.error(
                op.name.span(),
                format!("an aggregation after a processor needs the processor's rows to carry the event time\nnote: Spark refuses it otherwise (STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION)\nhelp: name the output column that holds each row's event time: `.transform_with_state({processor}, EventTime, .., event_time = t)`"),
            );
        }
        if let Some(aggregate) = &self.aggregate
            && aggregate.event_time_key.is_none()
        {
            self.error(
                op.name.span(),
                "an aggregation feeds another only when it is keyed by event time\nnote: Spark chains aggregations in append mode only, in which an aggregation emits a group once, when the watermark passes it; one without a watermarked `window` or event-time key never does (Spark: STREAMING_OUTPUT_MODE.UNSUPPORTED_OPERATION)\nhelp: group the first aggregation by `window(event_time, \"5 minutes\")` after `.with_watermark(event_time, ..)`, and the second by `window(window_time(window), \"1 hour\")`",
            );
        }
    }

    /// Whether `var` (column `name`) can be a key of state; a nested value cannot yet.
    fn scalar_key(&mut self, name: &Ident, var: VarId, action: &str) -> bool {
        let ty = self.vars[var].ty;
        if !ty.base.is_nested() {
            return true;
        }
        let help = crate::types::nested_help(ty.base, &name.to_string());
        self.error(
            name.span(),
            format!(
                "{action} {} (`{name}` is {ty}) is not supported yet\n{help}",
                ty.base.nested_noun()
            ),
        );
        false
    }

    fn unknown_column(&mut self, column: &Ident) {
        let env = self.env.clone();
        let message = expr::unknown_column_message(column, &env, &self.decl.root);
        self.error(column.span(), message);
    }

    fn finish(mut self, inputs: Vec<UnionInput>) -> Result<TypedQuery, PartialOutputs> {
        if let Some(span) = self.keep_late_rows
            && self.transform.is_some()
        {
            self.error(
                span,
                "`keep_late_rows` does not yet keep the rows a processor (`transform_with_state`) drops as late\nhelp: remove `.keep_late_rows()`; the progress report counts them (`numRowsDroppedByWatermark`)",
            );
        } else if let Some(span) = self.keep_late_rows {
            let drops_late_rows = self.aggregate.as_ref().is_some_and(|a| a.event_time_key.is_some())
                || self.pre.iter().any(|step| {
                    matches!(
                        step,
                        Step::Dedup(Dedup {
                            event_time: Some(_),
                            ..
                        })
                    )
                });
            if !drops_late_rows && !self.failed {
                self.error(
                    span,
                    "`keep_late_rows` keeps nothing: no operation of this query drops late rows\nnote: an aggregation drops them when it groups by the watermarked column or a `window` over it; a deduplication after the watermark always does\nhelp: group by `window(event_time, \"1 hour\")`, or remove `.keep_late_rows()`",
                );
            }
        }
        if self.failed {
            return Err(self
                .env
                .columns
                .iter()
                .map(|(name, var)| (name.clone(), (!self.poisoned.contains(var)).then(|| self.vars[*var].ty)))
                .collect());
        }
        Ok(TypedQuery {
            name: self.decl.name.clone(),
            attrs: self.decl.attrs.clone(),
            inputs,
            schema: self.stream_schema.clone(),
            statics: self.statics,
            signature: self.decl.inputs.iter().map(|input| input.name.clone()).collect(),
            num_input_columns: self.num_input_columns,
            vars: self.vars,
            pre: self.pre,
            aggregate: self.aggregate,
            post: self.post,
            outputs: self.env.columns,
            watermark: self.watermark,
            watermarks: self.watermarks,
            late_rows: self.late_rows,
            order_by: self.order_by,
            limit: self.limit,
            json_schemas: self.json_schemas,
            transform: self.transform,
            upstream: None,
            inherited_event_times: Vec::new(),
        })
    }
}

/// How to turn column `column` of type `base` into a timestamp, as a help line: text is parsed,
/// an integer is read as epoch milliseconds (the common case in event data; a note names the
/// other units), a double as epoch seconds, a date is cast.
fn timestamp_hint(column: &str, base: crate::types::Base) -> String {
    use crate::types::Base;
    let (conversion, note) = match base {
        Base::I32 | Base::I64 => (
            format!("timestamp_millis({column})"),
            "\nnote: for epoch seconds or microseconds, use `timestamp_seconds` or `timestamp_micros`",
        ),
        Base::F64 => (format!("timestamp_seconds({column})"), ""),
        Base::Date => (format!("cast({column}, \"timestamp\")"), ""),
        _ => (format!("to_timestamp({column})"), ""),
    };
    format!("help: convert it first: `.with_column({column} = {conversion})`{note}")
}

/// The null-able times of the `window(..)` calls in `expr`.
fn window_times(expr: &crate::ir::TExpr, out: &mut Vec<crate::ir::TExpr>) {
    if let TExprKind::Call(crate::ir::Func::TumblingWindow { .. }, args) = &expr.kind {
        out.extend(args.iter().filter(|arg| arg.ty.nullable).cloned());
    }
    match &expr.kind {
        TExprKind::Call(_, args) => args.iter().for_each(|arg| window_times(arg, out)),
        TExprKind::Binary(_, left, right) => {
            window_times(left, out);
            window_times(right, out);
        }
        TExprKind::Unary(_, inner)
        | TExprKind::Widen(_, inner)
        | TExprKind::IsNull { expr: inner, .. }
        | TExprKind::WindowField { expr: inner, .. }
        | TExprKind::StructField { expr: inner, .. } => window_times(inner, out),
        TExprKind::Var(_) | TExprKind::Lit(_) | TExprKind::Accumulator(_) => {}
    }
}

fn duplicate_message(name: &Ident) -> String {
    format!("duplicate output column `{name}`\nhelp: give each column its own name with `other_name = ..`")
}
