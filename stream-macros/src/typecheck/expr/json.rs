//! The JSON functions (`from_json`, `to_json`, `get_json_object`) → typed calls.

use proc_macro2::Span;
use syn::Ident;

use super::{ExprChecker, Scope};
use crate::diag::did_you_mean;
use crate::ir::{Func, LitValue, TExpr, TExprKind};
use crate::parse::Expr;
use crate::types::{Base, ColType};

/// The JSON functions, by the names a query calls them.
pub(crate) const FUNCTIONS: [&str; 4] = ["from_json", "to_json", "get_json_object", "struct"];

/// The prefix of the Rust type of a struct `struct(..)` makes (its name ends in a hash of its
/// fields, so the same fields give the same type in every query of a `stream!`).
pub(crate) const ANONYMOUS_STRUCT: &str = "__stream_struct_";

impl ExprChecker<'_> {
    /// `struct(a, name = b, ..)`: a field per argument, named by its column or its `name =`, else
    /// `col1`, `col2`, .. by position, as Spark names them.
    fn make_struct(&mut self, func: &Ident, args: &[Expr], scope: &mut Scope<'_>) -> Option<TExpr> {
        let mut fields: Vec<(String, ColType)> = Vec::new();
        let mut typed_args = Vec::new();
        for (position, arg) in args.iter().enumerate() {
            let (name, value) = match arg {
                Expr::Named { name, value, .. } => (name.to_string(), value.as_ref()),
                Expr::Column(column) => (column.to_string(), arg),
                other => (format!("col{}", position + 1), other),
            };
            let typed = self.check(value, scope)?;
            if fields.iter().any(|(known, _)| *known == name) {
                self.error(
                    arg.span(),
                    format!("`struct` has two fields named `{name}`\nhelp: name one: `struct({name}, other = ..)`"),
                );
                return None;
            }
            if syn::parse_str::<Ident>(&name).is_err() {
                self.error(
                    arg.span(),
                    format!(
                        "`{name}` cannot name a field: it is a Rust keyword\nhelp: name it: `struct(other = {value})`"
                    ),
                );
                return None;
            }
            fields.push((name, typed.ty));
            typed_args.push(typed);
        }
        let signature = fields
            .iter()
            .map(|(name, ty)| format!("{name}:{ty}"))
            .collect::<Vec<_>>()
            .join(",");
        let hash = signature.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        let base = Base::structure(crate::types::StructType {
            name: format!("{ANONYMOUS_STRUCT}{hash:016x}"),
            fields,
        });
        Some(Self::typed(
            TExprKind::Call(Func::MakeStruct, typed_args),
            ColType::new(base, false),
            func.span(),
        ))
    }

    /// One of [`FUNCTIONS`], by name.
    pub(super) fn json_function(
        &mut self,
        func: &Ident,
        args: &[Expr],
        paren_span: Span,
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        match (func.to_string().as_str(), args) {
            ("from_json", [text, schema]) => {
                let typed = self.check(text, scope)?;
                if !self.expect_base(func, text, &typed, &[Base::Str]) {
                    return None;
                }
                let Expr::Column(name) = schema else {
                    self.error(
                        schema.span(),
                        format!("the schema of `from_json` is the name of a schema declared in this `stream!`, found `{schema}`\nhelp: declare `schema Device {{ os: Option<String>, .. }}` and write `from_json({text}, Device)`"),
                    );
                    return None;
                };
                let Some((_, base)) = self.structs.iter().find(|(known, _)| name == known) else {
                    let help = did_you_mean(&name.to_string(), self.structs.iter().map(|(known, _)| known.as_str()))
                        .map_or_else(
                            || "help: declare it in the same `stream!` with `schema Name { .. }`".to_owned(),
                            |s| format!("help: did you mean `{s}`?"),
                        );
                    self.error(name.span(), format!("unknown schema `{name}` for `from_json`\n{help}"));
                    return None;
                };
                let base = *base;
                if !self.json_schemas.contains(&name.to_string()) {
                    self.json_schemas.push(name.to_string());
                }
                Some(Self::typed(
                    TExprKind::Call(Func::FromJson, vec![typed]),
                    ColType::new(base, true),
                    func.span(),
                ))
            }
            ("to_json", [value]) => {
                let typed = self.check(value, scope)?;
                if !typed.ty.base.is_nested() {
                    self.error(
                        value.span(),
                        format!("`to_json` writes a struct, an array or a map as JSON, but `{value}` is {}\nhelp: a value of its own is written inside one: `to_json(array({value}))`", typed.ty),
                    );
                    return None;
                }
                let nullable = typed.ty.nullable;
                Some(Self::typed(
                    TExprKind::Call(Func::ToJson, vec![typed]),
                    ColType::new(Base::Str, nullable),
                    func.span(),
                ))
            }
            ("get_json_object", [text, path]) => {
                let typed = self.check(text, scope)?;
                if !self.expect_base(func, text, &typed, &[Base::Str]) {
                    return None;
                }
                let Expr::Lit(syn::Lit::Str(literal)) = path else {
                    self.error(
                        path.span(),
                        format!("the path of `get_json_object` must be a string literal such as \"$.device.os\", found `{path}`"),
                    );
                    return None;
                };
                if let Err(problem) = stream_grammar::json_path::JsonPath::parse(&literal.value()) {
                    self.error(path.span(), format!("invalid JSON path {:?}: {problem}\nhelp: write a path such as \"$.device.os\", \"$.tags[0]\" or \"$['key']\"", literal.value()));
                    return None;
                }
                let path = Self::typed(
                    TExprKind::Lit(LitValue::Str(literal.value())),
                    ColType::new(Base::Str, false),
                    path.span(),
                );
                Some(Self::typed(
                    TExprKind::Call(Func::GetJsonObject, vec![typed, path]),
                    ColType::new(Base::Str, true),
                    func.span(),
                ))
            }
            ("struct", [_, ..]) => self.make_struct(func, args, scope),
            (name, _) => {
                if name == "struct" {
                    self.arity(func, paren_span, args.len(), 1, usize::MAX);
                    return None;
                }
                let count = if name == "to_json" { 1 } else { 2 };
                self.arity(func, paren_span, args.len(), count, count);
                None
            }
        }
    }
}
