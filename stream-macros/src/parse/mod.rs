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

pub(crate) use expr::{BinaryOp, Expr, UnaryOp};

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, braced, parenthesized};

mod kw {
    syn::custom_keyword!(schema);
    syn::custom_keyword!(query);
}

/// Everything inside `stream! { ... }`.
pub(crate) struct StreamInput {
    pub(crate) schemas: Vec<SchemaDecl>,
    pub(crate) queries: Vec<QueryDecl>,
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

/// A field type as written: `f64`, `Option<String>`.
pub(crate) struct TypeDecl {
    pub(crate) name: Ident,
    pub(crate) argument: Option<Box<TypeDecl>>,
    pub(crate) span: Span,
}

/// `query Name(input: Schema) { input.op(..).op(..) }`
pub(crate) struct QueryDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) input: Ident,
    pub(crate) schema: Ident,
    /// The identifier the body starts from; must be `input`.
    pub(crate) root: Ident,
    pub(crate) ops: Vec<Op>,
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
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::schema) {
                schemas.push(SchemaDecl::parse_rest(attrs, input)?);
            } else if lookahead.peek(kw::query) {
                queries.push(QueryDecl::parse_rest(attrs, input)?);
            } else {
                let error = lookahead.error();
                return Err(syn::Error::new(
                    error.span(),
                    format!(
                        "{error}\nhelp: `stream!` holds `schema Name {{ .. }}` and `query Name(input: Schema) {{ .. }}` items"
                    ),
                ));
            }
        }
        Ok(Self { schemas, queries })
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
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.call(syn::ext::IdentExt::parse_any)?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        Ok(Self { attrs, name, ty })
    }
}

impl Parse for TypeDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        let mut span = name.span();
        let argument = if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            let inner: TypeDecl = input.parse()?;
            let close = input.parse::<Token![>]>()?;
            span = span.join(close.span).unwrap_or(span);
            Some(Box::new(inner))
        } else {
            None
        };
        Ok(Self { name, argument, span })
    }
}

impl QueryDecl {
    fn parse_rest(attrs: Vec<Attribute>, input: ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<kw::query>()?;
        let name: Ident = input.parse()?;
        let params;
        parenthesized!(params in input);
        let input_name: Ident = params.parse()?;
        params.parse::<Token![:]>()?;
        let schema: Ident = params.parse()?;
        if !params.is_empty() {
            return Err(
                params.error("a query reads exactly one input stream\nhelp: write `query Name(input: Schema) { .. }`")
            );
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
            input: input_name,
            schema,
            root,
            ops,
        })
    }
}

impl Parse for Op {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
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

/// Parses the macro input.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<StreamInput> {
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
    fn rejects_unknown_items_with_help() {
        let Err(error) = parse(quote! { table Event { a: i32 } }) else {
            panic!("expected an error")
        };
        assert!(error.to_string().contains("help: `stream!` holds"), "{error}");
    }
}
