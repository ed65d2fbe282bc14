//! Expressions inside query operations: Spark column expressions in Rust-like syntax.
//!
//! Precedence, loosest first: `||`, `&&`, comparisons (`== != < <= > >=`), `+ -`,
//! `* / %`, unary `- !`, then postfix `.method(..)` / `.field`, then literals, columns,
//! function calls and parentheses.

use std::fmt;

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Lit, Token, parenthesized};

/// A binary operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Or => "||",
            Self::And => "&&",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And => 2,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge => 3,
            Self::Add | Self::Sub => 4,
            Self::Mul | Self::Div | Self::Rem => 5,
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

/// A unary operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum UnaryOp {
    Neg,
    Not,
}

/// An expression as written.
#[derive(Clone)]
pub(crate) enum Expr {
    /// A column name.
    Column(Ident),
    /// A literal.
    Lit(Lit),
    /// `name(args)`.
    Call {
        func: Ident,
        args: Vec<Expr>,
        paren_span: Span,
    },
    /// `receiver.method(args)`.
    Method {
        receiver: Box<Expr>,
        method: Ident,
        args: Vec<Expr>,
    },
    /// `base.member`.
    Field { base: Box<Expr>, member: Ident },
    /// `base[index]`.
    Index { base: Box<Expr>, index: Box<Expr> },
    /// `left op right`.
    Binary {
        op: BinaryOp,
        op_span: Span,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `op expr`.
    Unary {
        op: UnaryOp,
        op_span: Span,
        expr: Box<Expr>,
    },
    /// `(expr)`.
    Paren(Box<Expr>),
    /// `name = expr` as an argument of a method: an operation chained on a joined stream
    /// (`clicks.with_column(t = to_timestamp(at))`); an error anywhere else.
    Named {
        name: Ident,
        eq_span: Span,
        value: Box<Expr>,
    },
}

impl Expr {
    /// The span of the whole expression (first token only on stable, which is where
    /// rustc points anyway).
    pub(crate) fn span(&self) -> Span {
        match self {
            Self::Column(ident) => ident.span(),
            Self::Lit(lit) => lit.span(),
            Self::Call { func, .. } => func.span(),
            Self::Method { receiver, .. } | Self::Field { base: receiver, .. } | Self::Index { base: receiver, .. } => {
                receiver.span()
            }
            Self::Binary { left, .. } => left.span(),
            Self::Unary { op_span, .. } => *op_span,
            Self::Paren(inner) => inner.span(),
            Self::Named { name, .. } => name.span(),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, args: &[Expr]| -> fmt::Result {
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{arg}")?;
            }
            Ok(())
        };
        match self {
            Self::Column(ident) => write!(f, "{ident}"),
            Self::Lit(lit) => write!(f, "{}", quote::ToTokens::to_token_stream(lit)),
            Self::Call { func, args, .. } => {
                write!(f, "{func}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Self::Method { receiver, method, args } => {
                write!(f, "{receiver}.{method}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Self::Field { base, member } => write!(f, "{base}.{member}"),
            Self::Index { base, index, .. } => write!(f, "{base}[{index}]"),
            Self::Binary { op, left, right, .. } => write!(f, "{left} {} {right}", op.symbol()),
            Self::Unary {
                op: UnaryOp::Neg, expr, ..
            } => write!(f, "-{expr}"),
            Self::Unary {
                op: UnaryOp::Not, expr, ..
            } => write!(f, "!{expr}"),
            Self::Paren(inner) => write!(f, "({inner})"),
            Self::Named { name, value, .. } => write!(f, "{name} = {value}"),
        }
    }
}

impl Parse for Expr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let _nested = Nesting::enter();
        parse_binary(input, 0)
    }
}

/// The most parts — operands, unary operators, `.member` accesses — one expression may have.
/// Every stage walks expressions recursively, so this bounds their stack depth: a
/// `- - .. - a` or `a + a + .. + a` thousands long would overflow the compiler's stack.
pub(crate) const MAX_EXPRESSION_PARTS: usize = 256;

thread_local! {
    /// How deep `Expr::parse` calls nest (arguments and parentheses parse inner expressions),
    /// and the parts read so far in the outermost one.
    static PARTS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// One `Expr::parse` call; the outermost starts counting parts afresh.
struct Nesting;

impl Nesting {
    fn enter() -> Self {
        PARTS.with(|parts| {
            let (nesting, count) = parts.get();
            parts.set((nesting + 1, if nesting == 0 { 0 } else { count }));
        });
        Self
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        PARTS.with(|parts| {
            let (nesting, count) = parts.get();
            parts.set((nesting.saturating_sub(1), count));
        });
    }
}

/// Counts one part of the expression being parsed; an error past [`MAX_EXPRESSION_PARTS`].
fn count_part(input: ParseStream<'_>) -> syn::Result<()> {
    let count = PARTS.with(|parts| {
        let (nesting, count) = parts.get();
        parts.set((nesting, count + 1));
        count + 1
    });
    if count > MAX_EXPRESSION_PARTS {
        return Err(input.error(format!(
            "this expression is too long: more than {MAX_EXPRESSION_PARTS} columns, literals, operators and calls\nhelp: compute parts of it first, with `.with_column(part = ..)`"
        )));
    }
    Ok(())
}

fn peek_binary(input: ParseStream<'_>) -> Option<BinaryOp> {
    // Two-character operators first, so `<=` is not read as `<`.
    let op = if input.peek(Token![||]) {
        BinaryOp::Or
    } else if input.peek(Token![&&]) {
        BinaryOp::And
    } else if input.peek(Token![==]) {
        BinaryOp::Eq
    } else if input.peek(Token![!=]) {
        BinaryOp::Ne
    } else if input.peek(Token![<=]) {
        BinaryOp::Le
    } else if input.peek(Token![>=]) {
        BinaryOp::Ge
    } else if input.peek(Token![<]) {
        BinaryOp::Lt
    } else if input.peek(Token![>]) {
        BinaryOp::Gt
    } else if input.peek(Token![+]) {
        BinaryOp::Add
    } else if input.peek(Token![-]) {
        BinaryOp::Sub
    } else if input.peek(Token![*]) {
        BinaryOp::Mul
    } else if input.peek(Token![/]) {
        BinaryOp::Div
    } else if input.peek(Token![%]) {
        BinaryOp::Rem
    } else {
        return None;
    };
    Some(op)
}

fn consume_binary(input: ParseStream<'_>, op: BinaryOp) -> syn::Result<Span> {
    Ok(match op {
        BinaryOp::Or => input.parse::<Token![||]>()?.spans[0],
        BinaryOp::And => input.parse::<Token![&&]>()?.spans[0],
        BinaryOp::Eq => input.parse::<Token![==]>()?.spans[0],
        BinaryOp::Ne => input.parse::<Token![!=]>()?.spans[0],
        BinaryOp::Le => input.parse::<Token![<=]>()?.spans[0],
        BinaryOp::Ge => input.parse::<Token![>=]>()?.spans[0],
        BinaryOp::Lt => input.parse::<Token![<]>()?.span,
        BinaryOp::Gt => input.parse::<Token![>]>()?.span,
        BinaryOp::Add => input.parse::<Token![+]>()?.span,
        BinaryOp::Sub => input.parse::<Token![-]>()?.span,
        BinaryOp::Mul => input.parse::<Token![*]>()?.span,
        BinaryOp::Div => input.parse::<Token![/]>()?.span,
        BinaryOp::Rem => input.parse::<Token![%]>()?.span,
    })
}

/// Precedence climbing: parses operators binding tighter than `min_precedence`.
fn parse_binary(input: ParseStream<'_>, min_precedence: u8) -> syn::Result<Expr> {
    let mut left = parse_unary(input)?;
    while let Some(op) = peek_binary(input) {
        if op.precedence() <= min_precedence {
            break;
        }
        let op_span = consume_binary(input, op)?;
        if input.peek(Token![=]) && !input.peek(Token![==]) {
            return Err(input.error("unexpected `=` in an expression"));
        }
        let right = parse_binary(input, op.precedence())?;
        left = Expr::Binary {
            op,
            op_span,
            left: Box::new(left),
            right: Box::new(right),
        };
    }
    if input.peek(Token![=]) && !input.peek(Token![==]) {
        let eq = input.parse::<Token![=]>()?;
        return Err(syn::Error::new(
            eq.span,
            "`=` is not a comparison\nhelp: compare with `==`; `name = expr` names a result only as a whole argument",
        ));
    }
    Ok(left)
}

fn parse_unary(input: ParseStream<'_>) -> syn::Result<Expr> {
    count_part(input)?;
    if input.peek(Token![-]) {
        let minus = input.parse::<Token![-]>()?;
        return Ok(Expr::Unary {
            op: UnaryOp::Neg,
            op_span: minus.span,
            expr: Box::new(parse_unary(input)?),
        });
    }
    if input.peek(Token![!]) {
        let bang = input.parse::<Token![!]>()?;
        return Ok(Expr::Unary {
            op: UnaryOp::Not,
            op_span: bang.span,
            expr: Box::new(parse_unary(input)?),
        });
    }
    parse_postfix(input)
}

fn parse_postfix(input: ParseStream<'_>) -> syn::Result<Expr> {
    let mut expr = parse_primary(input)?;
    loop {
        if input.peek(syn::token::Bracket) {
            count_part(input)?;
            let content;
            syn::bracketed!(content in input);
            expr = Expr::Index {
                base: Box::new(expr),
                index: Box::new(content.parse()?),
            };
            continue;
        }
        if !input.peek(Token![.]) || input.peek(Token![..]) {
            break;
        }
        count_part(input)?;
        input.parse::<Token![.]>()?;
        let member: Ident = if input.peek2(syn::token::Paren) {
            input.call(syn::ext::IdentExt::parse_any)?
        } else {
            column_name(input)?
        };
        if input.peek(syn::token::Paren) {
            let (args, _) = parse_method_args(input)?;
            expr = Expr::Method {
                receiver: Box::new(expr),
                method: member,
                args,
            };
        } else {
            expr = Expr::Field {
                base: Box::new(expr),
                member,
            };
        }
    }
    Ok(expr)
}

/// A method's arguments, each an expression or `name = expr`.
fn parse_method_args(input: ParseStream<'_>) -> syn::Result<(Vec<Expr>, Span)> {
    let content;
    let paren = parenthesized!(content in input);
    let mut args = Vec::new();
    while !content.is_empty() {
        if content.peek(Ident) && content.peek2(Token![=]) && !content.peek2(Token![==]) {
            let name: Ident = content.parse()?;
            let eq = content.parse::<Token![=]>()?;
            let value: Expr = content.parse()?;
            args.push(Expr::Named {
                name,
                eq_span: eq.span,
                value: Box::new(value),
            });
        } else {
            args.push(content.parse()?);
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok((args, paren.span.join()))
}

fn parse_args(input: ParseStream<'_>) -> syn::Result<(Vec<Expr>, Span)> {
    let content;
    let paren = parenthesized!(content in input);
    let args = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    Ok((args.into_iter().collect(), paren.span.join()))
}

fn parse_primary(input: ParseStream<'_>) -> syn::Result<Expr> {
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        return Ok(Expr::Paren(Box::new(content.parse()?)));
    }
    if input.peek(Lit) {
        return Ok(Expr::Lit(input.parse()?));
    }
    if input.peek(Ident::peek_any) {
        let ident = input.call(syn::ext::IdentExt::parse_any)?;
        if input.peek(syn::token::Paren) {
            // `struct(a, name = expr)` names its fields as a method names its columns.
            let (args, paren_span) = if ident == "struct" {
                parse_method_args(input)?
            } else {
                parse_args(input)?
            };
            return Ok(Expr::Call {
                func: ident,
                args,
                paren_span,
            });
        }
        return Ok(Expr::Column(not_a_keyword(ident)?));
    }
    Err(input.error("expected an expression: a column, a literal, a function call or `( .. )`"))
}

/// A column name: any identifier but a Rust keyword (or `_`), since every column becomes a
/// field of a generated struct, where a keyword is not Rust.
pub(crate) fn column_name(input: ParseStream<'_>) -> syn::Result<Ident> {
    not_a_keyword(input.call(syn::ext::IdentExt::parse_any)?)
}

fn not_a_keyword(ident: Ident) -> syn::Result<Ident> {
    if syn::parse2::<Ident>(quote::ToTokens::to_token_stream(&ident)).is_ok() {
        return Ok(ident);
    }
    Err(syn::Error::new(
        ident.span(),
        format!(
            "`{ident}` is a Rust keyword and cannot name a column\nnote: every column becomes a field of a generated Rust struct"
        ),
    ))
}

use syn::ext::IdentExt as _;

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> Expr {
        syn::parse2(tokens).unwrap()
    }

    #[test]
    fn precedence_and_associativity() {
        let expr = parse(quote!(a + b * c - d > 10 && !flag || x == "y"));
        let Expr::Binary {
            op: BinaryOp::Or, left, ..
        } = &expr
        else {
            panic!("expected ||")
        };
        let Expr::Binary {
            op: BinaryOp::And,
            left: cmp,
            ..
        } = left.as_ref()
        else {
            panic!("expected &&")
        };
        let Expr::Binary {
            op: BinaryOp::Gt,
            left: sum,
            ..
        } = cmp.as_ref()
        else {
            panic!("expected >")
        };
        assert_eq!(sum.to_string(), "a + b * c - d");
        let Expr::Binary {
            op: BinaryOp::Sub,
            left: inner,
            ..
        } = sum.as_ref()
        else {
            panic!("left-assoc -")
        };
        assert_eq!(inner.to_string(), "a + b * c");
    }

    #[test]
    fn calls_methods_and_fields() {
        assert_eq!(
            parse(quote!(round(sum(amount), 2))).to_string(),
            "round(sum(amount), 2)"
        );
        assert_eq!(parse(quote!(note.is_null())).to_string(), "note.is_null()");
        assert_eq!(parse(quote!(window.start)).to_string(), "window.start");
        assert_eq!(parse(quote!(-(a + 1) <= 2)).to_string(), "-(a + 1) <= 2");
    }

    #[test]
    fn single_equals_gets_a_hint() {
        let error = syn::parse2::<Expr>(quote!(event_type = "view")).err().unwrap();
        assert!(error.to_string().contains("compare with `==`"), "{error}");
    }
}
