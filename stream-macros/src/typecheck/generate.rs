//! Generators in `select` and `with_column`: `explode`, `explode_outer`, `posexplode`,
//! `posexplode_outer`, `inline`, `inline_outer` → a [`Step::Generate`] and the columns it binds
//! (`inline`: one per field of the struct, read after it). As in Spark 4, an
//! operation may have several (their rows are the product); inside an expression or another
//! operation, one is refused (`ExprChecker::misplaced_generator`).

use syn::Ident;

use super::QueryChecker;
use super::expr::{GENERATORS, Scope};
use crate::ir::{Generate, Step, TExpr, TExprKind, VarId};
use crate::parse::{Arg, Expr};
use crate::types::{Base, ColType};

/// The generator an argument calls as a whole, with its function name and arguments.
pub(super) fn generator_call(arg: &Arg) -> Option<(&Ident, &[Expr], proc_macro2::Span)> {
    let mut expr = &arg.expr;
    while let Expr::Paren(inner) = expr {
        expr = inner;
    }
    match expr {
        Expr::Call { func, args, paren_span } if GENERATORS.contains(&func.to_string().as_str()) => {
            Some((func, args, *paren_span))
        }
        _ => None,
    }
}

/// The generators of an operation, checked, their steps held back until the operation's other
/// columns are computed (once per input row, not once per element).
#[derive(Default)]
pub(super) struct PendingGenerators {
    steps: Vec<Step>,
}

impl PendingGenerators {
    /// The steps to push after the operation's other columns.
    pub(super) fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

impl QueryChecker<'_> {
    /// `json_tuple(text, "name", ..)`: one row per row, a column `c0`, `c1`, .. per name (Spark's
    /// names), each the member's value as `get_json_object` gives it.
    fn json_tuple(
        &mut self,
        func: &Ident,
        args: &[Expr],
        paren_span: proc_macro2::Span,
        pending: &mut PendingGenerators,
    ) -> Option<Vec<(Ident, VarId)>> {
        let Some((text, names)) = args.split_first().filter(|(_, names)| !names.is_empty()) else {
            self.error(
                paren_span,
                "`json_tuple` takes the text and at least one member name: `json_tuple(payload, \"os\", \"version\")`",
            );
            return None;
        };
        let env = self.env.clone();
        let mut scope = Scope::Row {
            env: &env,
            context: "`json_tuple`",
        };
        let mut exprs = self.exprs();
        let typed = exprs.check(text, &mut scope)?;
        if typed.ty.base != Base::Str {
            self.error(
                text.span(),
                format!("`json_tuple` reads JSON text, but `{text}` is {}", typed.ty),
            );
            return None;
        }
        let mut literals = Vec::new();
        for name in names {
            let Expr::Lit(syn::Lit::Str(literal)) = name else {
                self.error(
                    name.span(),
                    format!("the member names of `json_tuple` are string literals, found `{name}`"),
                );
                return None;
            };
            literals.push(TExpr {
                kind: TExprKind::Lit(crate::ir::LitValue::Str(literal.value())),
                ty: ColType::new(Base::Str, false),
                span: literal.span(),
            });
        }
        let count = literals.len();
        let values_ty = ColType::new(Base::array(ColType::new(Base::Str, true)), typed.ty.nullable);
        let values = self.new_var("json_tuple".to_owned(), values_ty);
        let mut call_args = vec![typed];
        call_args.extend(literals);
        pending.steps.push(Step::Let {
            var: values,
            expr: TExpr {
                kind: TExprKind::Call(crate::ir::Func::JsonTuple, call_args),
                ty: values_ty,
                span: func.span(),
            },
        });
        let mut columns = Vec::new();
        for index in 0..count {
            let column = Ident::new(&format!("c{index}"), func.span());
            let var = self.new_var(column.to_string(), ColType::new(Base::Str, true));
            let position = i32::try_from(index).unwrap_or(i32::MAX);
            pending.steps.push(Step::Let {
                var,
                expr: TExpr {
                    kind: TExprKind::Call(
                        crate::ir::Func::Array(crate::ir::ArrayFunc::Element { one_based: false }),
                        vec![
                            TExpr {
                                kind: TExprKind::Var(values),
                                ty: values_ty,
                                span: func.span(),
                            },
                            TExpr {
                                kind: TExprKind::Lit(crate::ir::LitValue::I32(position)),
                                ty: ColType::new(Base::I32, false),
                                span: func.span(),
                            },
                        ],
                    ),
                    ty: ColType::new(Base::Str, true),
                    span: func.span(),
                },
            });
            columns.push((column, var));
        }
        Some(columns)
    }

    /// A generator column of `select` or `with_column` (`arg` calls one): the columns it makes
    /// (`pos` for `posexplode`, then the element: `arg`'s name, else Spark's `col`), or `None`
    /// after reporting errors.
    pub(super) fn generator(&mut self, arg: &Arg, pending: &mut PendingGenerators) -> Option<Vec<(Ident, VarId)>> {
        let (func, args, paren_span) = generator_call(arg)?;
        let name = func.to_string();
        if name == "json_tuple" {
            return self.json_tuple(func, args, paren_span, pending);
        }
        let [array] = args else {
            self.error(
                paren_span,
                format!("function `{name}` takes 1 argument, found {}", args.len()),
            );
            return None;
        };
        let env = self.env.clone();
        let scope_name = format!("`{name}`");
        let (typed, element) = self.exprs().array_of_records_argument(
            func,
            array,
            &mut Scope::Row {
                env: &env,
                context: &scope_name,
            },
        )?;
        let outer = name.ends_with("_outer");
        let inline = name.starts_with("inline");
        let fields = match (inline, element.base) {
            (true, Base::Struct(fields)) => Some(fields),
            (true, _) => {
                self.error(
                    array.span(),
                    format!("`{name}` makes a row of each struct of an array of structs, but `{array}` is {}\nhelp: for an array of values, write `explode({array})`", typed.ty),
                );
                return None;
            }
            (false, _) => None,
        };
        let element_name = arg.name.clone().unwrap_or_else(|| Ident::new("col", func.span()));
        let mut columns = Vec::new();
        let position = name.starts_with("pos").then(|| {
            let pos = Ident::new("pos", func.span());
            let var = self.new_var(pos.to_string(), ColType::new(Base::I32, outer));
            columns.push((pos, var));
            var
        });
        let element = self.new_var(
            element_name.to_string(),
            ColType::new(element.base, element.nullable || outer),
        );
        columns.push((element_name, element));
        // Spark infers `isnotnull(array)` before an `explode` and pushes it into the scan when the
        // array is a column, which changes the rows a batch reports read.
        if !outer && typed.ty.nullable && matches!(typed.kind, TExprKind::Var(_)) {
            let span = typed.span;
            pending.steps.push(Step::Filter {
                condition: TExpr {
                    kind: TExprKind::IsNull {
                        expr: Box::new(typed.clone()),
                        negated: true,
                    },
                    ty: ColType::new(Base::Bool, false),
                    span,
                },
            });
        }
        let element_ty = self.vars[element].ty;
        pending.steps.push(Step::Generate(Generate {
            array: typed,
            element,
            position,
            outer,
        }));
        // `inline`: a column per field of the struct, in the steps after the generator.
        if let Some(fields) = fields {
            columns.pop();
            for (index, (field, field_ty)) in fields.fields.iter().enumerate() {
                let name = field.trim_start_matches("r#");
                let var = self.new_var(
                    name.to_owned(),
                    ColType::new(field_ty.base, field_ty.nullable || element_ty.nullable),
                );
                pending.steps.push(Step::Let {
                    var,
                    expr: TExpr {
                        kind: TExprKind::StructField {
                            expr: Box::new(TExpr {
                                kind: TExprKind::Var(element),
                                ty: element_ty,
                                span: func.span(),
                            }),
                            index,
                        },
                        ty: ColType::new(field_ty.base, field_ty.nullable || element_ty.nullable),
                        span: func.span(),
                    },
                });
                columns.push((Ident::new(name, func.span()), var));
            }
        }
        Some(columns)
    }
}
