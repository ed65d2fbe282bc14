//! The JSON functions (`from_json`, `to_json`, `get_json_object`) → typed calls.

use proc_macro2::Span;
use syn::Ident;

use super::{ExprChecker, Scope};
use crate::diag::did_you_mean;
use crate::ir::{Func, LitValue, TExpr, TExprKind};
use crate::parse::Expr;
use crate::types::{Base, ColType};

/// The JSON functions, by the names a query calls them.
pub(crate) const FUNCTIONS: [&str; 3] = ["from_json", "to_json", "get_json_object"];

impl ExprChecker<'_> {
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
            (name, _) => {
                let count = if name == "to_json" { 1 } else { 2 };
                self.arity(func, paren_span, args.len(), count, count);
                None
            }
        }
    }
}
