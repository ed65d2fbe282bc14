//! Stage 1, syntax: tokens → [`StreamInput`]. No names are resolved here; every node keeps
//! the span of its tokens for later diagnostics.
//!
//! ```text
//! stream! {
//!     /// docs
//!     schema Event { event_id: String, amount: f64, note: Option<String> }
//!
//!     query SpendByUser(raw: Event) {
//!         raw.filter(amount > 0.0)
//!            .group_by(user_id)
//!            .agg(events = count(), total = round(sum(amount), 2))
//!     }
//! }
//! ```

mod expr;

#[cfg(test)]
pub(crate) use expr::MAX_EXPRESSION_PARTS;
pub(crate) use expr::{BinaryOp, Expr, UnaryOp};

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, braced, parenthesized};

mod kw {
    syn::custom_keyword!(schema);
    syn::custom_keyword!(query);
    syn::custom_keyword!(state_lock);
}

/// Everything inside `stream! { ... }`.
pub(crate) struct StreamInput {
    pub(crate) schemas: Vec<SchemaDecl>,
    pub(crate) queries: Vec<QueryDecl>,
    /// `state_lock "file";`: the file recording the queries' state, relative to the source file.
    pub(crate) state_lock: Option<syn::LitStr>,
}

/// `schema Name { field: Type, ... }`
pub(crate) struct SchemaDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) fields: Vec<FieldDecl>,
}

/// `name: Type`
pub(crate) struct FieldDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: TypeDecl,
}

/// A field type as written: `f64`, `Option<String>`, `Decimal<10, 2>`.
pub(crate) struct TypeDecl {
    pub(crate) name: Ident,
    pub(crate) argument: Option<Box<TypeDecl>>,
    /// A second type argument (`Map<String, V>`'s value type).
    pub(crate) second: Option<Box<TypeDecl>>,
    /// Number arguments (`Decimal<10, 2>`'s precision and scale), as written.
    pub(crate) numbers: Vec<syn::LitInt>,
    pub(crate) span: Span,
}

/// `query Name(input: Schema, ..) { input.op(..).op(..) }`
pub(crate) struct QueryDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    /// The inputs the query reads, in the order of its signature; at least one.
    pub(crate) inputs: Vec<InputDecl>,
    /// The identifier the body starts from; must be one of `inputs`.
    pub(crate) root: Ident,
    pub(crate) ops: Vec<Op>,
}

/// One input of a query's signature: `views: Event`.
pub(crate) struct InputDecl {
    pub(crate) name: Ident,
    pub(crate) schema: Ident,
    /// `users: static User`: a table read once when the query starts, not a stream.
    pub(crate) is_static: bool,
}

/// One method call of a query body: `.group_by(user_id)`.
pub(crate) struct Op {
    pub(crate) name: Ident,
    pub(crate) args: Vec<Arg>,
    /// Span of the parentheses, for "missing argument" errors.
    pub(crate) paren_span: Span,
}

/// An operation argument: `expr` or `name = expr`.
pub(crate) struct Arg {
    pub(crate) name: Option<Ident>,
    /// The span of the `=` after `name`.
    pub(crate) eq_span: Option<proc_macro2::Span>,
    pub(crate) expr: Expr,
}

impl Parse for StreamInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut schemas = Vec::new();
        let mut queries = Vec::new();
        let mut state_lock: Option<syn::LitStr> = None;
        while !input.is_empty() {
            let attrs = input.call(outer_attributes)?;
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::state_lock) {
                input.parse::<kw::state_lock>()?;
                let file: syn::LitStr = input.parse()?;
                input.parse::<Token![;]>()?;
                if state_lock.is_some() {
                    return Err(syn::Error::new(
                        file.span(),
                        "`state_lock` is given twice\nhelp: one `stream!` records its queries' state in one file",
                    ));
                }
                state_lock = Some(file);
            } else if lookahead.peek(kw::schema) {
                schemas.push(SchemaDecl::parse_rest(attrs, input)?);
            } else if lookahead.peek(kw::query) {
                queries.push(QueryDecl::parse_rest(attrs, input)?);
            } else {
                let error = lookahead.error();
                return Err(syn::Error::new(
                    error.span(),
                    format!(
                        "{error}\nhelp: `stream!` holds `schema Name {{ .. }}` and `query Name(input: Schema) {{ .. }}` items, and optionally `state_lock \"file\";`"
                    ),
                ));
            }
        }
        Ok(Self {
            schemas,
            queries,
            state_lock,
        })
    }
}

impl SchemaDecl {
    fn parse_rest(attrs: Vec<Attribute>, input: ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<kw::schema>()?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let fields = Punctuated::<FieldDecl, Token![,]>::parse_terminated(&content)?;
        Ok(Self {
            attrs,
            name,
            fields: fields.into_iter().collect(),
        })
    }
}

impl Parse for FieldDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(outer_attributes)?;
        let name = expr::column_name(input)?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        Ok(Self { attrs, name, ty })
    }
}

/// How deep type arguments may nest (`Option<Option<..>>`): deeper is an error, not a stack
/// overflow in the compiler.
const MAX_TYPE_DEPTH: usize = 8;

impl Parse for TypeDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Self::parse_nested(input, 0)
    }
}

impl TypeDecl {
    fn parse_nested(input: ParseStream<'_>, depth: usize) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        let mut span = name.span();
        let mut numbers = Vec::new();
        let mut second = None;
        let argument = if input.peek(Token![<]) && input.peek2(syn::LitInt) {
            input.parse::<Token![<]>()?;
            loop {
                numbers.push(input.parse::<syn::LitInt>()?);
                if input.peek(Token![>]) {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
            let close = input.parse::<Token![>]>()?;
            span = span.join(close.span).unwrap_or(span);
            None
        } else if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            if depth == MAX_TYPE_DEPTH {
                return Err(input.error(format!(
                    "type arguments nest more than {MAX_TYPE_DEPTH} deep\nhelp: a column type is a type or `Option<..>` of one"
                )));
            }
            let inner = Self::parse_nested(input, depth + 1)?;
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                second = Some(Box::new(Self::parse_nested(input, depth + 1)?));
            }
            let close = input.parse::<Token![>]>()?;
            span = span.join(close.span).unwrap_or(span);
            Some(Box::new(inner))
        } else {
            None
        };
        Ok(Self {
            name,
            argument,
            second,
            numbers,
            span,
        })
    }
}

impl QueryDecl {
    fn parse_rest(attrs: Vec<Attribute>, input: ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<kw::query>()?;
        let name: Ident = input.parse()?;
        let params;
        let paren = parenthesized!(params in input);
        let mut inputs = Vec::new();
        while !params.is_empty() {
            let name: Ident = params.parse()?;
            params.parse::<Token![:]>()?;
            let is_static = params.parse::<Option<Token![static]>>()?.is_some();
            let schema: Ident = params.parse()?;
            inputs.push(InputDecl {
                name,
                schema,
                is_static,
            });
            if params.is_empty() {
                break;
            }
            params.parse::<Token![,]>()?;
        }
        if inputs.is_empty() {
            return Err(syn::Error::new(
                paren.span.join(),
                "a query reads at least one input stream\nhelp: write `query Name(input: Schema) { .. }`",
            ));
        }
        let body;
        braced!(body in input);
        let root: Ident = body.parse()?;
        let mut ops = Vec::new();
        while !body.is_empty() {
            body.parse::<Token![.]>()?;
            ops.push(body.parse()?);
        }
        Ok(Self {
            attrs,
            name,
            inputs,
            root,
            ops,
        })
    }
}

impl Parse for Op {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // Any identifier, keywords included: Spark's `where` is one.
        let name = Ident::parse_any(input)?;
        let content;
        let paren = parenthesized!(content in input);
        let args = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
        Ok(Self {
            name,
            args: args.into_iter().collect(),
            paren_span: paren.span.join(),
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (name, eq_span) = if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name: Ident = input.parse()?;
            let eq = input.parse::<Token![=]>()?;
            (Some(name), Some(eq.span))
        } else {
            (None, None)
        };
        Ok(Self {
            name,
            eq_span,
            expr: input.parse()?,
        })
    }
}

/// The longest attribute, in tokens (nested ones included), that is handed to syn: syn parses
/// `#[name = value]` values as expressions, recursively, so a value nested thousands deep would
/// overflow the compiler's stack.
const MAX_ATTRIBUTE_TOKENS: usize = 1024;

/// `#[..]` attributes (doc comments are `#[doc = ".."]`), each no longer than
/// [`MAX_ATTRIBUTE_TOKENS`].
fn outer_attributes(input: ParseStream<'_>) -> syn::Result<Vec<Attribute>> {
    let too_long = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((hash, after)) = rest.punct()
            && hash.as_char() == '#'
            && let Some((TokenTree::Group(group), next)) = after.token_tree()
        {
            if count_tokens(group.stream()) > MAX_ATTRIBUTE_TOKENS {
                return Ok((Some(hash.span()), *cursor));
            }
            rest = next;
        }
        Ok((None, *cursor))
    })?;
    if let Some(span) = too_long {
        return Err(syn::Error::new(
            span,
            format!("this attribute is longer than {MAX_ATTRIBUTE_TOKENS} tokens, more than `stream!` reads"),
        ));
    }
    Attribute::parse_outer(input)
}

/// The tokens of `stream`, those inside groups included (without recursion).
fn count_tokens(stream: TokenStream) -> usize {
    let mut pending = vec![stream];
    let mut count = 0;
    while let Some(stream) = pending.pop() {
        for tree in stream {
            count += 1;
            if let TokenTree::Group(group) = tree {
                pending.push(group.stream());
            }
        }
    }
    count
}

/// How deep `( )`, `[ ]` and `{ }` may nest in the input. syn reads groups recursively, so
/// input nested thousands deep would overflow the compiler's stack before any rule runs.
pub(crate) const MAX_GROUP_DEPTH: usize = 128;

/// Parses the macro input.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<StreamInput> {
    // Walks the groups with a stack of its own, not recursion.
    let mut pending = vec![(tokens.clone(), 0)];
    while let Some((stream, depth)) = pending.pop() {
        for tree in stream {
            if let TokenTree::Group(group) = tree {
                if depth == MAX_GROUP_DEPTH {
                    return Err(syn::Error::new(
                        group.span_open(),
                        format!("brackets nest more than {MAX_GROUP_DEPTH} deep, more than `stream!` reads"),
                    ));
                }
                pending.push((group.stream(), depth + 1));
            }
        }
    }
    syn::parse2(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_schemas_and_queries() {
        let input = parse(quote! {
            /// An event.
            schema Event { event_id: String, amount: f64, note: Option<String>, }
            query SpendByUser(raw: Event) {
                raw.group_by(user_id).agg(events = count(), total = round(sum(amount), 2))
            }
        })
        .unwrap();
        assert_eq!(input.schemas.len(), 1);
        let schema = &input.schemas[0];
        assert_eq!(schema.name, "Event");
        assert_eq!(schema.fields.len(), 3);
        assert_eq!(schema.fields[2].ty.name, "Option");
        assert_eq!(schema.fields[2].ty.argument.as_ref().unwrap().name, "String");
        let query = &input.queries[0];
        assert_eq!(query.name, "SpendByUser");
        assert_eq!(query.root, "raw");
        let ops: Vec<String> = query.ops.iter().map(|op| op.name.to_string()).collect();
        assert_eq!(ops, ["group_by", "agg"]);
        let agg = &query.ops[1];
        assert_eq!(agg.args.len(), 2);
        assert_eq!(agg.args[0].name.as_ref().unwrap(), "events");
        assert_eq!(agg.args[1].expr.to_string(), "round(sum(amount), 2)");
    }

    #[test]
    fn equality_is_not_an_argument_name() {
        let input = parse(quote! {
            query Q(raw: Event) { raw.filter(event_type == "view") }
        })
        .unwrap();
        let arg = &input.queries[0].ops[0].args[0];
        assert!(arg.name.is_none());
        assert_eq!(arg.expr.to_string(), "event_type == \"view\"");
    }

    #[test]
    fn rejects_keywords_as_column_names() {
        for input in [
            quote! { schema E { type: String } },
            quote! { schema E { _: String } },
            quote! { query Q(raw: E) { raw.select(fn) } },
            quote! { query Q(raw: E) { raw.select(window.match) } },
        ] {
            let Err(error) = parse(input) else {
                panic!("expected an error")
            };
            assert!(
                error.to_string().contains("is a Rust keyword and cannot name a column"),
                "{error}"
            );
        }
        // Raw identifiers and keywords as method names are not column names.
        parse(quote! { schema E { r#type: String } }).unwrap();
        parse(quote! { query Q(raw: E) { raw.select(a.r#type, b.is_null()) } }).unwrap();
    }

    #[test]
    fn rejects_unknown_items_with_help() {
        let Err(error) = parse(quote! { table Event { a: i32 } }) else {
            panic!("expected an error")
        };
        assert!(error.to_string().contains("help: `stream!` holds"), "{error}");
    }
}
