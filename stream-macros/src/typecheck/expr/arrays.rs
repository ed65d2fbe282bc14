//! Arrays' functions (`split`, `size`, `element_at`, `[..]`, `array_contains`,
//! `array_distinct`, `sort_array`, `array`) → typed calls; generators outside a `select`.

use proc_macro2::Span;
use syn::Ident;

use super::{ExprChecker, Scope, widen};
use crate::diag::did_you_mean;
use crate::ir::{ArrayFunc, Func, LitValue, TExpr, TExprKind};
use crate::parse::Expr;
use crate::types::{Base, ColType, StructType};

/// The functions of arrays, by the names a query calls them.
pub(crate) const FUNCTIONS: [&str; 13] = [
    "split",
    "size",
    "array_size",
    "element_at",
    "try_element_at",
    "array_contains",
    "array_distinct",
    "sort_array",
    "array",
    "cardinality",
    "map_keys",
    "map_values",
    "flatten",
];

/// The generators: each makes rows of an array's elements, so it is a whole `select` column.
pub(crate) const GENERATORS: [&str; 7] = [
    "explode",
    "explode_outer",
    "posexplode",
    "posexplode_outer",
    "inline",
    "inline_outer",
    "json_tuple",
];

impl ExprChecker<'_> {
    /// One of [`FUNCTIONS`], by name.
    pub(super) fn array_function(
        &mut self,
        func: &Ident,
        args: &[Expr],
        paren_span: Span,
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        let name = func.to_string();
        match (name.as_str(), args) {
            ("split", _) => {
                let typed = self.split_arguments(func, args, paren_span, scope)?;
                let nullable = typed[0].ty.nullable;
                let ty = ColType::new(Base::array(ColType::new(Base::Str, false)), nullable);
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Split), typed),
                    ty,
                    func.span(),
                ))
            }
            ("element_at" | "try_element_at", [array, index]) => self.element(array, index, true, scope),
            ("size" | "array_size" | "cardinality", [array]) => {
                if let Some((split, split_args, split_paren)) = split_call(array) {
                    let typed = self.split_arguments(split, split_args, split_paren, scope)?;
                    let nullable = typed[0].ty.nullable;
                    return Some(Self::typed(
                        TExprKind::Call(Func::SplitSize, typed),
                        ColType::new(Base::I32, nullable),
                        func.span(),
                    ));
                }
                let typed = self.check(array, scope)?;
                if !matches!(
                    typed.ty.base,
                    Base::Map(_)
                        | Base::Array(ColType {
                            base: Base::Struct(_) | Base::Array(_),
                            ..
                        })
                ) {
                    self.array_of(func, array, &typed)?;
                }
                let ty = ColType::new(Base::I32, typed.ty.nullable);
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Size), vec![typed]),
                    ty,
                    func.span(),
                ))
            }
            ("flatten", [array]) => {
                let typed = self.check(array, scope)?;
                let Some(ColType {
                    base: Base::Array(inner),
                    nullable: rows_nullable,
                }) = typed.ty.base.element()
                else {
                    self.error(
                        array.span(),
                        format!(
                            "`flatten` joins the arrays of an array of arrays, but `{array}` is {}",
                            typed.ty
                        ),
                    );
                    return None;
                };
                // Null when the array or one of its arrays is null, as in Spark.
                let ty = ColType::new(Base::array(*inner), typed.ty.nullable || rows_nullable);
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Flatten), vec![typed]),
                    ty,
                    func.span(),
                ))
            }
            ("map_keys" | "map_values", [map]) => {
                let typed = self.check(map, scope)?;
                let Base::Map(value) = typed.ty.base else {
                    self.error(
                        map.span(),
                        format!("function `{func}` expects a map, but `{map}` is {}", typed.ty),
                    );
                    return None;
                };
                let (kind, element) = if name == "map_keys" {
                    (ArrayFunc::MapKeys, ColType::new(Base::Str, false))
                } else {
                    (ArrayFunc::MapValues, *value)
                };
                let ty = ColType::new(Base::array(element), typed.ty.nullable);
                Some(Self::typed(
                    TExprKind::Call(Func::Array(kind), vec![typed]),
                    ty,
                    func.span(),
                ))
            }
            ("array_contains", [array, value]) => {
                let (typed, element) = self.array_argument(func, array, scope)?;
                let value_typed = self.check(value, scope)?;
                let value_typed = self.element_value(func, value, value_typed, element)?;
                let nullable = typed.ty.nullable || value_typed.ty.nullable || element.nullable;
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Contains), vec![typed, value_typed]),
                    ColType::new(Base::Bool, nullable),
                    func.span(),
                ))
            }
            ("array_distinct", [array]) => {
                let (typed, _) = self.array_argument(func, array, scope)?;
                let ty = typed.ty;
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Distinct), vec![typed]),
                    ty,
                    func.span(),
                ))
            }
            ("sort_array", [array, rest @ ..]) if rest.len() <= 1 => {
                let ascending = match rest.first() {
                    None => true,
                    Some(Expr::Lit(syn::Lit::Bool(flag))) => flag.value,
                    Some(other) => {
                        self.error(
                            other.span(),
                            format!("the order of `sort_array` must be `true` (ascending) or `false` (descending), found `{other}`"),
                        );
                        return None;
                    }
                };
                let (typed, _) = self.array_argument(func, array, scope)?;
                let ty = typed.ty;
                Some(Self::typed(
                    TExprKind::Call(Func::Array(ArrayFunc::Sort { ascending }), vec![typed]),
                    ty,
                    func.span(),
                ))
            }
            ("array", [_, ..]) => self.make_array(func, args, scope),
            _ => {
                let (min, max) = match name.as_str() {
                    "split" => (2, 3),
                    "element_at" | "try_element_at" | "array_contains" => (2, 2),
                    "sort_array" => (1, 2),
                    "array" => (1, usize::MAX),
                    _ => (1, 1),
                };
                self.arity(func, paren_span, args.len(), min, max);
                None
            }
        }
    }

    /// `array[index]` (0-based) or `element_at(array, index)` (1-based, negative from the end).
    pub(super) fn element(
        &mut self,
        array: &Expr,
        index: &Expr,
        one_based: bool,
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        let split = split_call(array);
        let (mut typed, element) = match split {
            // `split(..)[i]` takes the part without building the array.
            Some((func, args, paren_span)) => (
                self.split_arguments(func, args, paren_span, scope)?,
                ColType::new(Base::Str, false),
            ),
            None => {
                let name = Ident::new(if one_based { "element_at" } else { "get" }, array.span());
                let typed = self.check(array, scope)?;
                if let Base::Map(value) = typed.ty.base {
                    return self.map_lookup(array, typed, *value, index, scope);
                }
                let element = match typed.ty.base.element() {
                    Some(
                        element @ ColType {
                            base: Base::Struct(_) | Base::Array(_),
                            ..
                        },
                    ) => element,
                    _ => self.array_of(&name, array, &typed)?,
                };
                (vec![typed], element)
            }
        };
        let position = self.check(index, scope)?;
        if !position.ty.base.is_integer() {
            self.error(
                index.span(),
                format!("an array index must be an integer, but `{index}` is {}", position.ty),
            );
            return None;
        }
        if one_based && matches!(position.kind, TExprKind::Lit(LitValue::I32(0))) {
            self.error(index.span(), "`element_at` counts from 1 (and from -1 at the end), as SQL arrays do; 0 is no element\nhelp: write `array[0]` for the first element, 0-based");
            return None;
        }
        let span = index.span();
        typed.push(position);
        let func = if split.is_some() {
            Func::SplitElement { one_based }
        } else {
            Func::Array(ArrayFunc::Element { one_based })
        };
        // Null when there is no such element (where Spark's ANSI mode fails).
        Some(Self::typed(
            TExprKind::Call(func, typed),
            ColType::new(element.base, true),
            span,
        ))
    }

    /// `split`'s arguments: text, a pattern literal checked as the runtime compiles it, and a
    /// limit literal (-1, no limit, when not given).
    fn split_arguments(
        &mut self,
        func: &Ident,
        args: &[Expr],
        paren_span: Span,
        scope: &mut Scope<'_>,
    ) -> Option<Vec<TExpr>> {
        let typed: Option<Vec<TExpr>> = args.iter().map(|arg| self.check(arg, scope)).collect();
        let mut typed = typed?;
        if !self.arity(func, paren_span, args.len(), 2, 3) || !self.expect_base(func, &args[0], &typed[0], &[Base::Str])
        {
            return None;
        }
        self.regex_literal(func, &args[1], &typed[1])?;
        match typed.get(2).map(|t| &t.kind) {
            None => typed.push(Self::typed(
                TExprKind::Lit(LitValue::I32(-1)),
                ColType::new(Base::I32, false),
                func.span(),
            )),
            Some(TExprKind::Lit(LitValue::I32(_))) => {}
            Some(_) => {
                self.error(
                    args[2].span(),
                    format!("the limit of `split` must be an integer literal, found `{}`", args[2]),
                );
                return None;
            }
        }
        Some(typed)
    }

    /// An argument that must be an array (of scalars): typed, with its element type.
    pub(crate) fn array_argument(
        &mut self,
        func: &Ident,
        arg: &Expr,
        scope: &mut Scope<'_>,
    ) -> Option<(TExpr, ColType)> {
        let typed = self.check(arg, scope)?;
        let element = self.array_of(func, arg, &typed)?;
        Some((typed, element))
    }

    /// An argument that must be an array, of scalars or of structs (a generator's).
    pub(crate) fn array_of_records_argument(
        &mut self,
        func: &Ident,
        arg: &Expr,
        scope: &mut Scope<'_>,
    ) -> Option<(TExpr, ColType)> {
        let typed = self.check(arg, scope)?;
        if let Some(
            element @ ColType {
                base: Base::Struct(_) | Base::Array(_),
                ..
            },
        ) = typed.ty.base.element()
        {
            return Some((typed, element));
        }
        let element = self.array_of(func, arg, &typed)?;
        Some((typed, element))
    }

    /// The element type of `typed`, `func`'s argument `arg`, which must be an array of scalars.
    fn array_of(&mut self, func: &Ident, arg: &Expr, typed: &TExpr) -> Option<ColType> {
        let Some(element) = typed.ty.base.element() else {
            self.error(
                arg.span(),
                format!("function `{func}` expects an array, but `{arg}` is {}\nhelp: make one with `split({arg}, \",\")` or `array({arg})`", typed.ty),
            );
            return None;
        };
        if element.base.is_nested() {
            self.error(
                arg.span(),
                format!(
                    "function `{func}` of an array of nested values (`{arg}` is {}) is not supported yet",
                    typed.ty
                ),
            );
            return None;
        }
        Some(element)
    }

    /// `map[key]` or `element_at(map, key)`: the value of the key (a string), null when the
    /// map has no such key.
    fn map_lookup(
        &mut self,
        map: &Expr,
        typed: TExpr,
        value: ColType,
        key: &Expr,
        scope: &mut Scope<'_>,
    ) -> Option<TExpr> {
        let key_typed = self.check(key, scope)?;
        if key_typed.ty.base != Base::Str {
            self.error(
                key.span(),
                format!("the keys of `{map}` are strings, but `{key}` is {}\nhelp: look a key up by its text, `{map}[\"{key}\"]`, or convert it, `{map}[cast({key}, \"string\")]`", key_typed.ty),
            );
            return None;
        }
        let span = key.span();
        Some(Self::typed(
            TExprKind::Call(Func::Array(ArrayFunc::MapLookup), vec![typed, key_typed]),
            ColType::new(value.base, true),
            span,
        ))
    }

    /// A value compared with an array's elements (`array_contains`): of the element type, or a
    /// narrower number widened to it.
    fn element_value(&mut self, func: &Ident, arg: &Expr, typed: TExpr, element: ColType) -> Option<TExpr> {
        let base = typed.ty.base;
        if base == element.base {
            return Some(typed);
        }
        if base.is_numeric() && element.base.is_numeric() && base.widen(element.base) == Some(element.base) {
            return Some(widen(typed, element.base));
        }
        self.error(
            arg.span(),
            format!(
                "function `{func}` looks for a value of the array's element type, {}, but `{arg}` is {}\nhelp: cast it: `cast({arg}, \"{}\")`",
                element.base.written(),
                typed.ty,
                element.base.spark_name()
            ),
        );
        None
    }

    /// `array(a, b, ..)`: the elements widened to their common type; nullable elements when any
    /// is; the array itself never null.
    fn make_array(&mut self, func: &Ident, args: &[Expr], scope: &mut Scope<'_>) -> Option<TExpr> {
        let typed: Option<Vec<TExpr>> = args.iter().map(|arg| self.check(arg, scope)).collect();
        let typed = typed?;
        let mut base = typed[0].ty.base;
        for (arg, t) in args.iter().zip(&typed) {
            if t.ty.base.is_nested() {
                self.error(
                    arg.span(),
                    format!(
                        "`{func}` of {} (`{arg}` is {}) is not supported yet",
                        t.ty.base.nested_noun(),
                        t.ty
                    ),
                );
                return None;
            }
            match (base == t.ty.base).then_some(base).or_else(|| base.widen(t.ty.base)) {
                Some(common) => base = common,
                None => {
                    self.error(
                        arg.span(),
                        format!(
                            "the elements of an array have one type, but `{arg}` is {} and an earlier element {}\nhelp: cast them to one type",
                            t.ty,
                            base.written()
                        ),
                    );
                    return None;
                }
            }
        }
        let nullable = typed.iter().any(|t| t.ty.nullable);
        let elements = typed.into_iter().map(|t| widen(t, base)).collect();
        Some(Self::typed(
            TExprKind::Call(Func::Array(ArrayFunc::Make), elements),
            ColType::new(Base::array(ColType::new(base, nullable)), false),
            func.span(),
        ))
    }

    /// A generator inside an expression or outside a `select`.
    pub(super) fn misplaced_generator(&mut self, func: &Ident) {
        self.error(
            func.span(),
            format!("`{func}` makes {}, so it must be a whole column of `select` or `with_column`, not part of an expression or another operation (Spark: UNSUPPORTED_GENERATOR)\nhelp: make the column first, then use it: `.select(item = {func}(..)).filter(item != \"\")`", if func == "json_tuple" { "a column per name" } else { "one row per element" }),
        );
    }
}

impl ExprChecker<'_> {
    /// `base.member` of a struct: the field's value, null when the struct is.
    pub(super) fn struct_field(
        &mut self,
        base: &Expr,
        member: &Ident,
        typed: TExpr,
        fields: &StructType,
    ) -> Option<TExpr> {
        let name = member.to_string();
        let Some((index, field)) = fields.field(name.trim_start_matches("r#")) else {
            let help = did_you_mean(&name, fields.names()).map_or_else(
                || {
                    format!(
                        "note: its fields are {}",
                        fields.names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    )
                },
                |s| format!("help: did you mean `{s}`?"),
            );
            self.error(
                member.span(),
                format!("`{base}` ({}) has no field `{member}`\n{help}", fields.name),
            );
            return None;
        };
        let ty = ColType::new(field.base, field.nullable || typed.ty.nullable);
        Some(Self::typed(
            TExprKind::StructField {
                expr: Box::new(typed),
                index,
            },
            ty,
            member.span(),
        ))
    }
}

/// `split(..)`'s name, arguments and parentheses, when `expr` is a call of it.
fn split_call(expr: &Expr) -> Option<(&Ident, &[Expr], Span)> {
    match expr {
        Expr::Call { func, args, paren_span } if func == "split" => Some((func, args, *paren_span)),
        Expr::Paren(inner) => split_call(inner),
        _ => None,
    }
}
