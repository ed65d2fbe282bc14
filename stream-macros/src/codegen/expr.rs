//! Expressions → Rust. Each expression becomes straight-line code over the row's local
//! variables; null handling is decided here, statically, from the types.
//!
//! Convention: an expression of a string type evaluates to `&str` or `String`, one of an array
//! type to `&[T]` or `Vec<T>` whose elements are owned values or views (consumers borrow with
//! `&*`), every other type to a `Copy` value; nullable ones to `Option<..>` of that.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::core;
use crate::ir::{Func, LitValue, Param, Plain, RegexFunc, TExpr, TExprKind, VarId, signature};
use crate::parse::{BinaryOp, UnaryOp};
use crate::types::{Base, ColType, Precision};

/// The local variable holding variable `var` in generated code.
pub(crate) fn var_ident(var: VarId) -> syn::Ident {
    format_ident!("__stream_v{}", var)
}

/// The local holding the finished value of accumulator `index`.
pub(crate) fn accumulator_ident(index: usize) -> syn::Ident {
    format_ident!("__stream_a{}", index)
}

/// A borrowed view of a local of type `ty`, so it can be used any number of times.
pub(crate) fn view(ty: ColType, local: &syn::Ident) -> TokenStream {
    // A struct local holds the value or a reference to it: `Borrow` views either.
    if let Base::Struct(fields) = ty.base {
        let name = super::types::struct_name(fields);
        return if ty.nullable {
            quote!(#local.as_ref().map(|__stream_struct| ::core::borrow::Borrow::<#name>::borrow(__stream_struct)))
        } else {
            quote!(::core::borrow::Borrow::<#name>::borrow(&#local))
        };
    }
    match (ty.base.is_borrowed(), ty.nullable) {
        (true, false) => quote!(&*#local),
        (true, true) => quote!(#local.as_deref()),
        _ => quote!(#local),
    }
}

/// Code for `expr`, whose nullability is exactly `expr.ty.nullable`.
pub(crate) fn expr(expr: &TExpr, vars: &[crate::ir::Var]) -> TokenStream {
    let (tokens, nullable) = raw(expr, vars);
    match (nullable, expr.ty.nullable) {
        (false, true) => quote!(::core::option::Option::Some(#tokens)),
        (true, false) => panic!("internal error: expression `{tokens}` may be null but was typed non-null"),
        _ => tokens,
    }
}

/// A function of some arguments: when any is nullable the body runs only if all are present.
/// `body` gets the argument locals and returns (code, whether that code is an `Option`).
pub(super) fn lift(
    args: &[(TokenStream, bool)],
    body: impl FnOnce(&[TokenStream]) -> (TokenStream, bool),
) -> (TokenStream, bool) {
    let locals: Vec<syn::Ident> = (0..args.len()).map(|i| format_ident!("__stream_arg{}", i)).collect();
    let local_tokens: Vec<TokenStream> = locals.iter().map(|l| quote!(#l)).collect();
    let (code, code_is_option) = body(&local_tokens);
    if args.iter().all(|(_, nullable)| !nullable) {
        let values = args.iter().map(|(code, _)| code);
        return (quote!({ #(let #locals = #values;)* #code }), code_is_option);
    }
    let patterns = args.iter().zip(&locals).map(|((_, nullable), local)| {
        if *nullable {
            quote!(::core::option::Option::Some(#local))
        } else {
            quote!(#local)
        }
    });
    let values = args.iter().map(|(code, _)| code);
    let some = if code_is_option {
        code
    } else {
        quote!(::core::option::Option::Some(#code))
    };
    (
        quote!(match (#(#values,)*) { (#(#patterns,)*) => #some, #[allow(unreachable_patterns)] _ => ::core::option::Option::None }),
        true,
    )
}

pub(super) fn raw(expr: &TExpr, vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let core = core();
    let functions = quote!(#core::functions);
    match &expr.kind {
        TExprKind::Var(var) => (view(vars[*var].ty, &var_ident(*var)), vars[*var].ty.nullable),
        TExprKind::Accumulator(index) => (view(expr.ty, &accumulator_ident(*index)), expr.ty.nullable),
        TExprKind::Lit(value) => (literal(value), false),
        TExprKind::Widen(base, inner) => {
            let target = number_type(*base);
            let from = inner.ty.base;
            lift(&[raw(inner, vars)], |a| {
                let a = &a[0];
                let code = match (from, *base) {
                    (Base::Decimal(_), Base::F32) => quote!(#a.to_f32()),
                    (Base::Decimal(_), _) if base.is_float() => quote!(#a.to_f64()),
                    (Base::Decimal(_), Base::Decimal(to)) => {
                        let decimal = super::types::decimal(to);
                        quote!(<#decimal>::widen(#a))
                    }
                    (_, Base::Decimal(to)) => {
                        let decimal = super::types::decimal(to);
                        quote!(<#decimal>::widen_integer(#a as i64))
                    }
                    _ => quote!((#a as #target)),
                };
                (code, false)
            })
        }
        TExprKind::IsNull { expr: inner, negated } => {
            let (code, nullable) = raw(inner, vars);
            match (nullable, negated) {
                (true, false) => (quote!((#code).is_none()), false),
                (true, true) => (quote!((#code).is_some()), false),
                (false, negated) => (quote!(#negated), false),
            }
        }
        TExprKind::Unary(op, inner) => {
            let base = inner.ty.base;
            let nullable = expr.ty.nullable;
            lift(&[raw(inner, vars)], |a| {
                let a = &a[0];
                let code = match (op, base) {
                    (UnaryOp::Not, _) => quote!(!#a),
                    (UnaryOp::Neg, Base::F32 | Base::F64) => quote!(-#a),
                    (UnaryOp::Neg, Base::Decimal(precision)) => {
                        return proven_unless(quote!(#a.negate()), nullable, &super::types::decimal(precision));
                    }
                    (UnaryOp::Neg, _) => quote!(#a.wrapping_neg()),
                };
                (code, false)
            })
        }
        TExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
            let (l, l_null) = raw(left, vars);
            let (r, r_null) = raw(right, vars);
            if !l_null && !r_null {
                let symbol = if *op == BinaryOp::And { quote!(&&) } else { quote!(||) };
                return (quote!((#l #symbol #r)), false);
            }
            let as_option = |code: TokenStream, nullable: bool| {
                if nullable {
                    code
                } else {
                    quote!(::core::option::Option::Some(#code))
                }
            };
            let (l, r) = (as_option(l, l_null), as_option(r, r_null));
            let func = if *op == BinaryOp::And { quote!(and) } else { quote!(or) };
            (quote!(#functions::#func(#l, #r)), true)
        }
        TExprKind::Binary(op, left, right) => {
            let base = left.ty.base;
            let result = expr.ty.base;
            let nullable = expr.ty.nullable;
            lift(&[raw(left, vars), raw(right, vars)], |a| match result {
                Base::Decimal(precision) => decimal_arithmetic(*op, precision, nullable, &a[0], &a[1]),
                _ => binary(*op, base, &a[0], &a[1]),
            })
        }
        TExprKind::Call(func, args) => call(*func, args, vars, expr.ty),
        TExprKind::StructField { expr: inner, index } => super::nested::field(inner, *index, vars),
        TExprKind::WindowField { expr: inner, part } => lift(&[raw(inner, vars)], |a| {
            let window = &a[0];
            (
                match part {
                    crate::ir::WindowPart::Start => quote!(#window.start),
                    crate::ir::WindowPart::End => quote!(#window.end),
                    crate::ir::WindowPart::Time => quote!(#window.time()),
                },
                false,
            )
        }),
    }
}

fn literal(value: &LitValue) -> TokenStream {
    match value {
        LitValue::Str(text) => quote!(#text),
        LitValue::I32(v) => quote!(#v),
        LitValue::I64(v) => quote!(#v),
        LitValue::F64(v) => quote!(#v),
        LitValue::Bool(v) => quote!(#v),
        LitValue::Decimal(unscaled, precision) => {
            let core = core();
            let decimal = super::types::decimal(*precision);
            quote!(#core::decimal::from_column::<#decimal>(#unscaled))
        }
    }
}

/// A decimal operation's `Option` result, as is when the result type is nullable, else
/// unwrapped: the type checker proved that the value fits (a carry digit included).
fn proven_unless(code: TokenStream, nullable: bool, decimal: &TokenStream) -> (TokenStream, bool) {
    if nullable {
        (code, true)
    } else {
        (quote!(<#decimal>::proven(#code)), false)
    }
}

/// `left op right` on present decimals, as a decimal of `precision` (null when it does not fit).
fn decimal_arithmetic(
    op: BinaryOp,
    precision: Precision,
    nullable: bool,
    l: &TokenStream,
    r: &TokenStream,
) -> (TokenStream, bool) {
    let decimal = super::types::decimal(precision);
    let operation = match op {
        BinaryOp::Add => quote!(add),
        BinaryOp::Sub => quote!(subtract),
        BinaryOp::Mul => quote!(multiply),
        BinaryOp::Div => quote!(divide),
        BinaryOp::Rem => quote!(remainder),
        _ => unreachable!("only arithmetic gives a decimal"),
    };
    proven_unless(quote!(<#decimal>::#operation(#l, #r)), nullable, &decimal)
}

/// `left op right` on present values of type `base` (both sides already widened to it).
fn binary(op: BinaryOp, base: Base, l: &TokenStream, r: &TokenStream) -> (TokenStream, bool) {
    let core = core();
    let functions = quote!(#core::functions);
    let float = base.is_float();
    let code = match op {
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let symbol: TokenStream = op.symbol().parse().unwrap_or_default();
            if float {
                // Spark's order: NaN equals NaN and is above every number.
                quote!((#functions::float_compare(#l as f64, #r as f64) #symbol ::core::cmp::Ordering::Equal))
            } else if base == Base::Str {
                quote!((&*#l #symbol &*#r))
            } else {
                quote!((#l #symbol #r))
            }
        }
        BinaryOp::Add if float => quote!((#l + #r)),
        BinaryOp::Sub if float => quote!((#l - #r)),
        BinaryOp::Mul if float => quote!((#l * #r)),
        BinaryOp::Add => quote!(#l.wrapping_add(#r)),
        BinaryOp::Sub => quote!(#l.wrapping_sub(#r)),
        BinaryOp::Mul => quote!(#l.wrapping_mul(#r)),
        BinaryOp::Div => return (quote!(#functions::divide(#l, #r)), true),
        BinaryOp::Rem => {
            let (func, wide) = match base {
                Base::I8 | Base::I16 | Base::I32 => (quote!(remainder_i32), quote!(i32)),
                Base::I64 => (quote!(remainder_i64), quote!(i64)),
                _ => (quote!(remainder_f64), quote!(f64)),
            };
            // Narrower types through the wider one: the remainder always fits back.
            let narrow = number_type(base);
            return (
                quote!(#functions::#func(#l as #wide, #r as #wide).map(|__r| __r as #narrow)),
                true,
            );
        }
        BinaryOp::And | BinaryOp::Or => unreachable!("logical operators are lowered with three-valued logic"),
    };
    (code, false)
}

fn call(func: Func, args: &[TExpr], vars: &[crate::ir::Var], ty: ColType) -> (TokenStream, bool) {
    let core = core();
    let functions = quote!(#core::functions);
    let arg_base = args.first().map(|a| a.ty.base);
    // Functions that see nulls themselves rather than being skipped over them.
    match func {
        Func::Coalesce => return coalesce(args, vars),
        Func::Case { otherwise } => return case(args, otherwise, vars, ty),
        Func::Greatest | Func::Least | Func::NullIf => {
            let name = format_ident!(
                "{}",
                if func == Func::Greatest {
                    "greatest"
                } else if func == Func::Least {
                    "least"
                } else {
                    "nullif"
                }
            );
            let mut values = args.iter().map(|arg| owned_option(arg, vars));
            let first = values.next().unwrap_or_else(|| quote!(::core::option::Option::None));
            let folded = values.fold(first, |acc, next| quote!(#functions::#name(#acc, #next)));
            return present_unless(folded, ty.nullable);
        }
        Func::IsIn => {
            let mut values = args.iter().map(|arg| owned_option(arg, vars));
            let x = values.next().unwrap_or_else(|| quote!(::core::option::Option::None));
            let found = quote!(#functions::isin(#x.as_ref(), &[#(#values),*]));
            return present_unless(found, ty.nullable);
        }
        _ => {}
    }
    if let (Func::Plain(plain @ (Plain::Floor | Plain::Ceil)), Base::Decimal(precision)) = (func, ty.base) {
        let decimal = super::types::decimal(precision);
        let operation = if plain == Plain::Floor {
            quote!(floor)
        } else {
            quote!(ceil)
        };
        return lift(&[raw(&args[0], vars)], |a| {
            let x = &a[0];
            proven_unless(quote!(<#decimal>::#operation(#x)), ty.nullable, &decimal)
        });
    }
    if func == Func::Plain(Plain::Div) && arg_base.is_some_and(Base::is_decimal) {
        let lifted: Vec<(TokenStream, bool)> = args.iter().map(|a| raw(a, vars)).collect();
        return lift(&lifted, |a| {
            let (x, n) = (&a[0], &a[1]);
            (quote!(#core::decimal::integral_divide(#x, #n)), true)
        });
    }
    if let Func::Plain(plain) = func {
        return plain_function(plain, args, vars);
    }
    match func {
        Func::ConcatWs => {
            let (separator, rest) = args
                .split_first()
                .map_or((None, &[][..]), |(first, rest)| (Some(first), rest));
            let parts: Vec<TokenStream> = rest.iter().map(|part| owned_option(part, vars)).collect();
            let lifted: Vec<(TokenStream, bool)> = separator.map(|s| raw(s, vars)).into_iter().collect();
            return lift(&lifted, |a| {
                let separator = &a[0];
                (
                    quote!(#functions::concat_ws(&*#separator, &[#(#parts.as_deref()),*])),
                    false,
                )
            });
        }
        Func::Pmod if ty.base.is_decimal() => {
            let decimal = super::types::decimal(ty.base.decimal().unwrap_or(Precision::new(10, 0)));
            let lifted: Vec<(TokenStream, bool)> = args.iter().map(|a| raw(a, vars)).collect();
            return lift(&lifted, |a| {
                let (x, n) = (&a[0], &a[1]);
                (quote!(<#decimal>::pmod(#x, #n)), true)
            });
        }
        Func::Pmod => {
            let (name, wide) = match arg_base {
                Some(Base::I8 | Base::I16 | Base::I32) => (quote!(pmod_i32), quote!(i32)),
                Some(Base::I64) => (quote!(pmod_i64), quote!(i64)),
                _ => (quote!(pmod_f64), quote!(f64)),
            };
            let narrow = number_type(arg_base.unwrap_or(Base::F64));
            let lifted: Vec<(TokenStream, bool)> = args.iter().map(|a| raw(a, vars)).collect();
            return lift(&lifted, |a| {
                let (x, n) = (&a[0], &a[1]);
                (
                    quote!(#functions::#name(#x as #wide, #n as #wide).map(|__r| __r as #narrow)),
                    true,
                )
            });
        }
        _ => {}
    }
    if let (Func::DateTrunc | Func::TruncDate, Some(TExprKind::Lit(LitValue::Str(unit)))) =
        (func, args.get(1).map(|a| &a.kind))
    {
        // The unit was checked by the macro with the same names; parsed once.
        let datetime = quote!(#core::datetime);
        let value_base = args[0].ty.base;
        return lift(&[raw(&args[0], vars)], |a| {
            let value = &a[0];
            let code = if func == Func::DateTrunc {
                let ts = if value_base == Base::Date {
                    quote!(#value.to_timestamp())
                } else {
                    quote!(#value)
                };
                quote!(UNIT.and_then(|__unit| #datetime::date_trunc(__unit, #ts)))
            } else {
                let date = if value_base == Base::Timestamp {
                    quote!(#value.date())
                } else {
                    quote!(#value)
                };
                quote!(UNIT.and_then(|__unit| #datetime::trunc_date(#date, __unit)))
            };
            let once_unit = built_once(
                quote!(UNIT),
                quote!(#datetime::TruncUnit),
                quote!(#datetime::TruncUnit::parse(#unit)),
            );
            (
                quote!({
                    #once_unit
                    #code
                }),
                true,
            )
        });
    }
    if let Func::Regex(kind) = func {
        return regex_call(kind, args, vars);
    }
    if let Func::SplitElement { .. } | Func::SplitSize = func {
        return split_call(func, args, vars);
    }
    if let Func::Array(array) = func {
        return super::arrays::call(array, args, vars, ty);
    }
    if func == Func::MakeStruct {
        return super::nested::make_struct(args, vars, ty);
    }
    if let Func::FromJson | Func::ToJson | Func::GetJsonObject | Func::JsonTuple = func {
        return json_call(func, args, vars, ty);
    }
    if let Func::TumblingWindow { size, offset } = func {
        let window = quote!(#core::window::WindowSpec::new(#size, #size, #offset));
        return lift(&[raw(&args[0], vars)], |a| {
            let ts = &a[0];
            (quote!(#window.tumbling_window(#ts)), false)
        });
    }
    if let Func::AddInterval { months, days, micros } = func {
        let datetime = quote!(#core::datetime);
        let date_result = ty.base == Base::Date;
        let value_base = arg_base;
        return lift(&[raw(&args[0], vars)], |a| {
            let value = &a[0];
            let code = match (value_base, date_result) {
                (Some(Base::Date), true) => quote!(#datetime::add_interval_to_date(#value, #months, #days)),
                (Some(Base::Date), false) => {
                    quote!(#datetime::add_interval(#value.to_timestamp(), #months, #days, #micros))
                }
                _ => quote!(#datetime::add_interval(#value, #months, #days, #micros)),
            };
            (code, true)
        });
    }
    match func {
        // Fixed per micro-batch, as Spark: the batch's timestamp from the runtime.
        Func::CurrentTimestamp => return (quote!(context.batch_timestamp), false),
        Func::CurrentDate => return (quote!(context.batch_timestamp.date()), false),
        _ => {}
    }
    if let (Func::ShiftZone { to_utc }, Some(TExprKind::Lit(LitValue::Str(zone)))) =
        (func, args.get(1).map(|a| &a.kind))
    {
        // The zone was checked by the macro with the same names; looked up once.
        let datetime = quote!(#core::datetime);
        let shift = if to_utc {
            quote!(to_utc_timestamp)
        } else {
            quote!(from_utc_timestamp)
        };
        let value_base = arg_base;
        return lift(&[raw(&args[0], vars)], |a| {
            let value = &a[0];
            let ts = if value_base == Some(Base::Date) {
                quote!(#value.to_timestamp())
            } else {
                quote!(#value)
            };
            let once_zone = built_once(
                quote!(ZONE),
                quote!(#datetime::Zone),
                quote!(#datetime::Zone::parse(#zone)),
            );
            (
                quote!({
                    #once_zone
                    let __ts = #ts;
                    ZONE.map_or(__ts, |__zone| #datetime::#shift(__ts, __zone))
                }),
                false,
            )
        });
    }
    if let (Func::FormatPattern, Some(TExprKind::Lit(LitValue::Str(pattern)))) = (func, args.get(1).map(|a| &a.kind)) {
        // The pattern was checked by the macro with the same grammar; parsed once.
        let integer_input = arg_base.is_some_and(Base::is_integer);
        return lift(&[raw(&args[0], vars)], |a| {
            let x = &a[0];
            let format = if integer_input {
                quote!(#functions::format_number_with_i64(#x as i64, __pattern))
            } else {
                quote!(#functions::format_number_with(#x as f64, __pattern))
            };
            let once_pattern = built_once(
                quote!(PATTERN),
                quote!(#functions::NumberPattern),
                quote!(#functions::NumberPattern::parse(#pattern).ok()),
            );
            (
                quote!({
                    #once_pattern
                    PATTERN.as_ref().map_or_else(::std::string::String::new, |__pattern| #format)
                }),
                false,
            )
        });
    }
    if let Func::MonthsBetween { round_off } = func {
        let datetime = quote!(#core::datetime);
        let bases: Vec<Option<Base>> = args.iter().map(|a| Some(a.ty.base)).collect();
        let lifted: Vec<(TokenStream, bool)> = args.iter().map(|a| raw(a, vars)).collect();
        return lift(&lifted, |a| {
            let time = |index: usize| {
                let value = &a[index];
                if bases[index] == Some(Base::Date) {
                    quote!(#value.to_timestamp())
                } else {
                    quote!(#value)
                }
            };
            let (end, start) = (time(0), time(1));
            (quote!(#datetime::months_between(#end, #start, #round_off)), false)
        });
    }
    if matches!(func, Func::Hash | Func::XxHash64) {
        return hash_call(func, args, vars);
    }
    if let (Func::Sha2, Some(TExprKind::Lit(LitValue::I32(bits)))) = (func, args.get(1).map(|a| &a.kind)) {
        // The macro checked the bit length: the digest is always there.
        let bits = i64::from(*bits);
        return lift(&[raw(&args[0], vars)], |a| {
            let text = &a[0];
            (quote!(#core::hash::sha2(&*#text, #bits).unwrap_or_default()), false)
        });
    }
    if func == Func::FromUnixtime {
        let pattern = date_pattern(match args.get(1).map(|a| &a.kind) {
            Some(TExprKind::Lit(LitValue::Str(pattern))) => pattern,
            _ => "yyyy-MM-dd HH:mm:ss",
        });
        return lift(&[raw(&args[0], vars)], |a| {
            let seconds = &a[0];
            (
                quote!(#pattern.format(#core::cast::seconds_to_timestamp(#seconds as i64))),
                false,
            )
        });
    }
    if let (Func::Like | Func::ILike, Some(TExprKind::Lit(LitValue::Str(pattern)))) =
        (func, args.get(1).map(|a| &a.kind))
    {
        // Compiled once; the macro checked it with the same grammar, so it never fails. `ilike`
        // lowercases both sides, as Spark does.
        let (pattern, text) = if func == Func::ILike {
            (pattern.to_lowercase(), quote!(&#functions::lower(&*__x)))
        } else {
            (pattern.clone(), quote!(&*__x))
        };
        return lift(&[raw(&args[0], vars)], |a| {
            let x = &a[0];
            let once_pattern = built_once(
                quote!(PATTERN),
                quote!(#functions::LikePattern),
                quote!(#functions::LikePattern::new(#pattern).ok()),
            );
            (
                quote!({
                    #once_pattern
                    let __x = #x;
                    PATTERN.as_ref().is_some_and(|__p| __p.matches(#text))
                }),
                false,
            )
        });
    }
    match func {
        Func::IsNan => {
            let (x, nullable) = raw(&args[0], vars);
            let test = match (arg_base, nullable) {
                (Some(Base::F64), true) => quote!((#x).is_some_and(f64::is_nan)),
                (Some(Base::F32), true) => quote!((#x).is_some_and(f32::is_nan)),
                (Some(Base::F32 | Base::F64), false) => quote!((#x).is_nan()),
                // An integer is never NaN.
                _ => quote!({ let _ = #x; false }),
            };
            return (test, false);
        }
        Func::NanVl => {
            let (a, a_nullable) = raw(&args[0], vars);
            let b = owned_option(&args[1], vars);
            let a = if a_nullable {
                a
            } else {
                quote!(::core::option::Option::Some(#a))
            };
            let code = quote!(match #a {
                ::core::option::Option::Some(__a) if __a.is_nan() => #b,
                __a => __a,
            });
            return present_unless(code, ty.nullable);
        }
        _ => {}
    }
    let lifted: Vec<(TokenStream, bool)> = match func {
        // The scale and datetime patterns are literals: passed through, not as nullable arguments.
        Func::Round | Func::BRound | Func::DateFormat | Func::ToTimestamp => vec![raw(&args[0], vars)],
        _ => args.iter().map(|a| raw(a, vars)).collect(),
    };
    let pattern = match args.get(1).map(|a| &a.kind) {
        Some(TExprKind::Lit(LitValue::Str(pattern))) => Some(date_pattern(pattern)),
        _ => None,
    };
    let datetime = quote!(#core::datetime);
    let scale = match args.get(1).map(|a| &a.kind) {
        Some(TExprKind::Lit(LitValue::I32(scale))) => *scale,
        _ => 0,
    };
    lift(&lifted, |a| match func {
        Func::Round | Func::BRound if ty.base.is_decimal() => {
            let x = &a[0];
            let decimal = super::types::decimal(ty.base.decimal().unwrap_or(Precision::new(10, 0)));
            let half_even = func == Func::BRound;
            let code = quote!(<#decimal>::round(#x, #scale, #half_even));
            proven_unless(code, ty.nullable, &decimal)
        }
        Func::Round => {
            let x = &a[0];
            let code = match arg_base {
                Some(Base::F64) => quote!(#functions::round_f64(#x, #scale)),
                // As Spark: a float is rounded as its double.
                Some(Base::F32) => quote!((#functions::round_f64(f64::from(#x), #scale) as f32)),
                Some(Base::I32) => quote!(#functions::round_i32(#x, #scale)),
                Some(Base::I8 | Base::I16) => {
                    let narrow = number_type(arg_base.unwrap_or(Base::I32));
                    quote!((#functions::round_i32(i32::from(#x), #scale) as #narrow))
                }
                _ => quote!(#functions::round_i64(#x, #scale)),
            };
            (code, false)
        }
        Func::BRound => {
            let x = &a[0];
            let code = match arg_base {
                Some(Base::F64) => quote!(#functions::bround_f64(#x, #scale)),
                Some(Base::F32) => quote!((#functions::bround_f64(f64::from(#x), #scale) as f32)),
                Some(Base::I8 | Base::I16 | Base::I32) => {
                    let narrow = number_type(arg_base.unwrap_or(Base::I32));
                    quote!((#functions::bround_i64(i64::from(#x), #scale) as #narrow))
                }
                _ => quote!(#functions::bround_i64(#x, #scale)),
            };
            (code, false)
        }
        Func::Cast { to } => {
            let x = &a[0];
            match (cast(arg_base.unwrap_or(to), to, x), to) {
                // A conversion the type checker proved always fits.
                ((code, true), Base::Decimal(precision)) if !ty.nullable => {
                    proven_unless(code, false, &super::types::decimal(precision))
                }
                (code, _) => code,
            }
        }
        Func::Abs => {
            let x = &a[0];
            if let Some(Base::Decimal(precision)) = arg_base {
                proven_unless(quote!(#x.abs()), ty.nullable, &super::types::decimal(precision))
            } else if arg_base.is_some_and(Base::is_float) {
                (quote!(#x.abs()), false)
            } else {
                (quote!(#x.wrapping_abs()), false)
            }
        }
        Func::ToTimestamp => {
            let x = &a[0];
            match (arg_base, &pattern) {
                (Some(Base::Str), Some(pattern)) => (counted(quote!(#pattern.parse(&*#x))), true),
                (Some(Base::Str), None) => (counted(quote!(#functions::to_timestamp(&*#x))), true),
                (Some(Base::Date), _) => (quote!(#x.to_timestamp()), false),
                _ => (quote!(#x), false),
            }
        }
        Func::ToDate => {
            let x = &a[0];
            match arg_base {
                Some(Base::Str) => (counted(quote!(#core::Date::parse_prefix(&*#x))), true),
                Some(Base::Timestamp) => (quote!(#x.date()), false),
                _ => (quote!(#x), false),
            }
        }
        Func::Lower => {
            let x = &a[0];
            (quote!(#functions::lower(&*#x)), false)
        }
        Func::Upper => {
            let x = &a[0];
            (quote!(#functions::upper(&*#x)), false)
        }
        Func::Length => {
            let x = &a[0];
            (quote!(#functions::length(&*#x)), false)
        }
        Func::Concat => (quote!(#functions::concat(&[#(&*#a),*])), false),
        Func::DateFormat => {
            let x = &a[0];
            let ts = if arg_base == Some(Base::Date) {
                quote!(#x.to_timestamp())
            } else {
                quote!(#x)
            };
            (quote!(#pattern.format(#ts)), false)
        }
        Func::Hour | Func::Minute | Func::Second | Func::DayOfWeek | Func::Year | Func::Month | Func::DayOfMonth => {
            let x = &a[0];
            let ts = if arg_base == Some(Base::Date) {
                quote!(#x.to_timestamp())
            } else {
                quote!(#x)
            };
            let code = match func {
                Func::Hour => quote!(#datetime::hour(#ts)),
                Func::Minute => quote!(#datetime::minute(#ts)),
                Func::Second => quote!(#datetime::second(#ts)),
                Func::DayOfWeek => quote!(#datetime::day_of_week(#ts)),
                Func::Year => quote!(#datetime::year_month_day(#ts).0),
                Func::Month => quote!(#datetime::year_month_day(#ts).1),
                _ => quote!(#datetime::year_month_day(#ts).2),
            };
            (code, false)
        }
        Func::StartsWith | Func::EndsWith | Func::Contains => {
            let (text, part) = (&a[0], &a[1]);
            let method = match func {
                Func::StartsWith => quote!(starts_with),
                Func::EndsWith => quote!(ends_with),
                _ => quote!(contains),
            };
            (quote!((&*#text).#method(&*#part)), false)
        }
        Func::Coalesce
        | Func::Case { .. }
        | Func::Greatest
        | Func::Least
        | Func::NullIf
        | Func::IsIn
        | Func::Like
        | Func::ILike
        | Func::IsNan
        | Func::NanVl
        | Func::ConcatWs
        | Func::Pmod
        | Func::DateTrunc
        | Func::TruncDate
        | Func::FromUnixtime
        | Func::Regex(_)
        | Func::AddInterval { .. }
        | Func::MonthsBetween { .. }
        | Func::CurrentTimestamp
        | Func::CurrentDate
        | Func::ShiftZone { .. }
        | Func::TumblingWindow { .. }
        | Func::Array(_)
        | Func::FromJson
        | Func::MakeStruct
        | Func::ToJson
        | Func::JsonTuple
        | Func::GetJsonObject
        | Func::SplitElement { .. }
        | Func::SplitSize
        | Func::FormatPattern
        | Func::Sha2
        | Func::Hash
        | Func::XxHash64
        | Func::Plain(_) => unreachable!("handled above"),
    })
}

/// A regular-expression function: the pattern (and a replacement) compiled once, on first use,
/// from literals the macro checked with the same grammar, so compiling never fails.
fn regex_call(kind: RegexFunc, args: &[TExpr], vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let regexp = {
        let core = core();
        quote!(#core::regexp)
    };
    let literal_text = |index: usize| match args.get(index).map(|a| &a.kind) {
        Some(TExprKind::Lit(LitValue::Str(text))) => text.clone(),
        _ => String::new(),
    };
    let pattern = literal_text(1);
    lift(&[raw(&args[0], vars)], |a| {
        let text = &a[0];
        if kind == RegexFunc::Replace {
            let replacement = literal_text(2);
            let once_regex = built_once(
                quote!(REGEX),
                quote!(#regexp::RegexpReplace),
                quote!(#regexp::RegexpReplace::new(#pattern, #replacement).ok()),
            );
            return (
                quote!({
                    #once_regex
                    let __text = #text;
                    REGEX.as_ref().map_or_else(|| ::std::string::String::from(&*__text), |__r| __r.apply(&*__text))
                }),
                false,
            );
        }
        let (call, is_option) = match kind {
            RegexFunc::Extract => {
                let group = match args.get(2).map(|a| &a.kind) {
                    Some(TExprKind::Lit(LitValue::I32(group))) => usize::try_from(*group).unwrap_or(1),
                    _ => 1,
                };
                (
                    quote!(.map_or_else(::std::string::String::new, |__r| __r.extract(&*__text, #group))),
                    false,
                )
            }
            RegexFunc::Like => (quote!(.is_some_and(|__r| __r.is_match(&*__text))), false),
            RegexFunc::Count => (quote!(.map_or(0, |__r| __r.count(&*__text))), false),
            _ => (quote!(.and_then(|__r| __r.substr(&*__text))), true),
        };
        (on_regexp(&pattern, text, &call), is_option)
    })
}

/// `split(text, pattern, limit)[index]`, `element_at(..)` and `size(..)`: the pattern compiled
/// once, as for the other regular-expression functions.
fn split_call(func: Func, args: &[TExpr], vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let regexp = {
        let core = core();
        quote!(#core::regexp)
    };
    let (pattern, limit) = match (args.get(1).map(|a| &a.kind), args.get(2).map(|a| &a.kind)) {
        (Some(TExprKind::Lit(LitValue::Str(pattern))), Some(TExprKind::Lit(LitValue::I32(limit)))) => {
            (pattern.clone(), *limit)
        }
        _ => (String::new(), -1),
    };
    let mut lifted = vec![raw(&args[0], vars)];
    lifted.extend(args.get(3).map(|index| raw(index, vars)));
    lift(&lifted, |a| {
        let text = &a[0];
        let (take, is_option) = match func {
            Func::SplitElement { one_based } => {
                let index = &a[1];
                (
                    quote!(.and_then(|__parts| #regexp::element(&__parts, #index as i64, #one_based))),
                    true,
                )
            }
            _ => (
                quote!(.map_or(0, |__parts| i32::try_from(__parts.len()).unwrap_or(i32::MAX))),
                false,
            ),
        };
        (
            on_regexp(&pattern, text, &quote!(.map(|__r| __r.split(&*__text, #limit))#take)),
            is_option,
        )
    })
}

/// `from_json`, `to_json` and `get_json_object`.
fn json_call(func: Func, args: &[TExpr], vars: &[crate::ir::Var], ty: ColType) -> (TokenStream, bool) {
    let core = core();
    let json_text = quote!(#core::json_text);
    match func {
        Func::FromJson => {
            let Base::Struct(fields) = ty.base else {
                panic!("internal error: `from_json` of type {ty}")
            };
            let name = super::types::struct_name(fields);
            lift(&[raw(&args[0], vars)], |a| {
                let text = &a[0];
                (quote!(#core::decode::json::from_json::<#name>(&*#text)), true)
            })
        }
        Func::ToJson => {
            let is_map = matches!(args[0].ty.base, Base::Map(_));
            lift(&[raw(&args[0], vars)], |a| {
                let value = &a[0];
                let code = if is_map {
                    quote!({ let mut __stream_out = ::std::string::String::new(); #json_text::write_map(&*#value, &mut __stream_out); __stream_out })
                } else {
                    quote!(#json_text::to_json(&#value))
                };
                (code, false)
            })
        }
        Func::JsonTuple => {
            let names: Vec<&String> = args[1..]
                .iter()
                .map(|arg| match &arg.kind {
                    TExprKind::Lit(LitValue::Str(name)) => name,
                    _ => panic!("internal error: `json_tuple` with a name that is not a literal"),
                })
                .collect();
            lift(&[raw(&args[0], vars)], |a| {
                let text = &a[0];
                (quote!(#json_text::json_tuple(&*#text, &[#(#names),*])), false)
            })
        }
        _ => {
            let TExprKind::Lit(LitValue::Str(path)) = &args[1].kind else {
                panic!("internal error: `get_json_object` without a literal path")
            };
            let once_path = built_once(
                quote!(PATH),
                quote!(#json_text::JsonPath),
                quote!(#json_text::JsonPath::parse(#path).ok()),
            );
            lift(&[raw(&args[0], vars)], |a| {
                let text = &a[0];
                (
                    quote!({ #once_path PATH.as_ref().and_then(|__stream_path| #json_text::get_json_object(&*#text, __stream_path)) }),
                    true,
                )
            })
        }
    }
}

/// `hash(..)` / `xxhash64(..)`: each present argument hashed with the previous result as its
/// seed, from Spark's 42; a null argument is skipped.
fn hash_call(func: Func, args: &[TExpr], vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let core = core();
    let (method, seed) = if func == Func::Hash {
        (quote!(murmur3), quote!(#core::hash::SEED))
    } else {
        (quote!(xxhash64), quote!(i64::from(#core::hash::SEED)))
    };
    let steps = args.iter().map(|arg| {
        let (code, nullable) = raw(arg, vars);
        let value = |v: &TokenStream| {
            if arg.ty.base == Base::Str {
                quote!(&*#v)
            } else {
                quote!(&#v)
            }
        };
        if nullable {
            let present = value(&quote!(__value));
            quote!(if let ::core::option::Option::Some(__value) = #code {
                __hash = #core::hash::SparkHash::#method(#present, __hash);
            })
        } else {
            let present = value(&quote!(__value));
            quote!({
                let __value = #code;
                __hash = #core::hash::SparkHash::#method(#present, __hash);
            })
        }
    });
    (quote!({ let mut __hash = #seed; #(#steps)* __hash }), false)
}

/// `call` (`.map(|__r| ..)`) on the `Option` of `pattern`, compiled once, with `__text` bound
/// to `text`.
pub(super) fn on_regexp(pattern: &str, text: &TokenStream, call: &TokenStream) -> TokenStream {
    let regexp = {
        let core = core();
        quote!(#core::regexp)
    };
    let once_regex = built_once(
        quote!(REGEX),
        quote!(#regexp::Regexp),
        quote!(#regexp::Regexp::new(#pattern).ok()),
    );
    quote!({
        #once_regex
        let __text = #text;
        REGEX.as_ref()#call
    })
}

/// `static name: LazyLock<Option<ty>>`, built on first use by `build`: what a function needs
/// from its literal arguments (a pattern, a unit, a zone), made once. The macro checked the
/// literals with the runtime's own grammar, so `build` gives `Some`.
fn built_once(name: TokenStream, ty: TokenStream, build: TokenStream) -> TokenStream {
    quote! {
        static #name: ::std::sync::LazyLock<::core::option::Option<#ty>> = ::std::sync::LazyLock::new(|| #build);
    }
}

/// A parse whose failure (null) is counted in the batch's progress.
fn counted(parse: TokenStream) -> TokenStream {
    quote!({
        let __stream_parsed = #parse;
        if __stream_parsed.is_none() {
            context.unparseable_values += 1;
        }
        __stream_parsed
    })
}

/// A datetime pattern parsed once, on first use. The macro checked it with the runtime's
/// rules, so parsing cannot fail; if it ever did, the pattern would print literally.
fn date_pattern(pattern: &str) -> TokenStream {
    let core = core();
    quote! {{
        static PATTERN: ::std::sync::LazyLock<#core::datetime::DatePattern> = ::std::sync::LazyLock::new(|| {
            #core::datetime::DatePattern::new(#pattern).unwrap_or_else(|_| #core::datetime::DatePattern::literal(#pattern))
        });
        &*PATTERN
    }}
}

/// `coalesce(a, b, ..)`: the first present value. Strings are made owned so that borrowed
/// and computed strings can mix.
fn coalesce(args: &[TExpr], vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let owned = |arg: &TExpr| {
        let (code, nullable) = raw(arg, vars);
        let code = if arg.ty.base == Base::Str {
            super::types::to_owned(ColType::new(Base::Str, nullable), &code)
        } else {
            code
        };
        (code, nullable)
    };
    let mut parts = args.iter().map(owned);
    let (mut code, mut nullable) = parts
        .next()
        .unwrap_or_else(|| (quote!(::core::option::Option::None), true));
    for (next, next_nullable) in parts {
        if !nullable {
            break;
        }
        code = if next_nullable {
            quote!(#code.or_else(|| #next))
        } else {
            quote!(#code.unwrap_or_else(|| #next))
        };
        nullable = next_nullable;
    }
    (code, nullable)
}

/// `arg` as an `Option` of an owned value (a `String` for text), whatever its nullability.
fn owned_option(arg: &TExpr, vars: &[crate::ir::Var]) -> TokenStream {
    let (code, nullable) = raw(arg, vars);
    let code = if arg.ty.base == Base::Str {
        super::types::to_owned(ColType::new(Base::Str, nullable), &code)
    } else {
        code
    };
    if nullable {
        code
    } else {
        quote!(::core::option::Option::Some(#code))
    }
}

/// `option`, an `Option` that the types prove present when `nullable` is false: then its value.
fn present_unless(option: TokenStream, nullable: bool) -> (TokenStream, bool) {
    if nullable {
        (option, true)
    } else {
        (quote!((#option).unwrap_or_default()), false)
    }
}

/// `when(c1, v1).when(c2, v2)..[.otherwise(v)]`: the value of the first condition that is true
/// (a null condition is not), else the `otherwise` value or null. Text values are made owned so
/// that borrowed and computed ones can mix.
fn case(args: &[TExpr], otherwise: bool, vars: &[crate::ir::Var], ty: ColType) -> (TokenStream, bool) {
    let value = |arg: &TExpr| {
        let (code, nullable) = raw(arg, vars);
        let code = if arg.ty.base == Base::Str {
            super::types::to_owned(ColType::new(Base::Str, nullable), &code)
        } else {
            code
        };
        if ty.nullable && !nullable {
            quote!(::core::option::Option::Some(#code))
        } else {
            code
        }
    };
    let (branches, last) = if otherwise {
        args.split_at(args.len().saturating_sub(1))
    } else {
        (args, &[][..])
    };
    let mut code = match last.first() {
        Some(otherwise) => value(otherwise),
        None => quote!(::core::option::Option::None),
    };
    for pair in branches.chunks(2).rev() {
        let [condition, then] = pair else {
            continue;
        };
        let (test, nullable) = raw(condition, vars);
        let test = if nullable {
            quote!((#test) == ::core::option::Option::Some(true))
        } else {
            test
        };
        let then = value(then);
        code = quote!(if #test { #then } else { #code });
    }
    (code, ty.nullable)
}

/// A function typed by its [`signature`]: null when an argument is; text passed as `&str`,
/// integers as `i64`, numbers as `f64`; left-out arguments take Spark's defaults.
fn plain_function(func: Plain, args: &[TExpr], vars: &[crate::ir::Var]) -> (TokenStream, bool) {
    let (params, _, _, may_be_null) = signature(func);
    let core = core();
    let functions = quote!(#core::functions);
    let datetime = quote!(#core::datetime);
    let integer_input = args.first().is_some_and(|a| a.ty.base.is_integer());
    let lifted: Vec<(TokenStream, bool)> = args.iter().map(|a| raw(a, vars)).collect();
    lift(&lifted, |a| {
        let c: Vec<TokenStream> = a
            .iter()
            .zip(params)
            .zip(args)
            .map(|((a, param), arg)| match (param, arg.ty.base) {
                (Param::Text, _) => quote!(&*#a),
                (Param::Integer, _) => quote!((#a as i64)),
                (Param::Number, Base::Decimal(_)) => quote!(#a.to_f64()),
                (Param::Number, _) => quote!((#a as f64)),
                (Param::Day, Base::Timestamp) => quote!(#a.date()),
                (Param::Time, Base::Date) => quote!(#a.to_timestamp()),
                (Param::Day | Param::Time, _) => quote!(#a),
            })
            .collect();
        let arg = |index: usize, default: TokenStream| c.get(index).cloned().unwrap_or(default);
        let (x, y, z) = (arg(0, quote!()), arg(1, quote!()), arg(2, quote!()));
        let code = match func {
            Plain::Substring => {
                let len = c.get(2).map_or_else(
                    || quote!(::core::option::Option::None),
                    |len| quote!(::core::option::Option::Some(#len)),
                );
                quote!(#functions::substring(#x, #y, #len))
            }
            Plain::Trim => quote!(::std::string::String::from(#functions::trim(#x))),
            Plain::LTrim => quote!(::std::string::String::from(#functions::ltrim(#x))),
            Plain::RTrim => quote!(::std::string::String::from(#functions::rtrim(#x))),
            Plain::LPad => {
                let pad = arg(2, quote!(" "));
                quote!(#functions::lpad(#x, #y, #pad))
            }
            Plain::RPad => {
                let pad = arg(2, quote!(" "));
                quote!(#functions::rpad(#x, #y, #pad))
            }
            Plain::Replace => {
                let replacement = arg(2, quote!(""));
                quote!(#functions::replace(#x, #y, #replacement))
            }
            Plain::Reverse => quote!(#functions::reverse(#x)),
            Plain::Repeat => quote!(#functions::repeat(#x, #y)),
            Plain::InitCap => quote!(#functions::initcap(#x)),
            Plain::Instr => quote!(#functions::instr(#x, #y)),
            Plain::Locate => {
                let pos = arg(2, quote!(1i64));
                quote!(#functions::locate(#x, #y, #pos))
            }
            Plain::Translate => quote!(#functions::translate(#x, #y, #z)),
            Plain::SplitPart => quote!(#functions::split_part(#x, #y, #z)),
            Plain::SubstringIndex => quote!(#functions::substring_index(#x, #y, #z)),
            Plain::Floor | Plain::Ceil if integer_input => {
                let value = &a[0];
                quote!((#value as i64))
            }
            Plain::Floor => quote!(#functions::floor(#x)),
            Plain::Ceil => quote!(#functions::ceil(#x)),
            Plain::Sqrt => quote!(#x.sqrt()),
            Plain::Exp => quote!(#x.exp()),
            Plain::Signum => quote!(#functions::signum(#x)),
            Plain::Ln => quote!(#functions::ln(#x)),
            Plain::Log10 => quote!(#functions::log10(#x)),
            Plain::Log2 => quote!(#functions::log2(#x)),
            Plain::Log => quote!(#functions::log(#x, #y)),
            Plain::Pow => quote!(#x.powf(#y)),
            Plain::Div => quote!(#functions::div(#x, #y)),
            Plain::TimestampSeconds if integer_input => {
                let value = &a[0];
                quote!(#datetime::timestamp_seconds(#value as i64))
            }
            Plain::TimestampSeconds => quote!(#datetime::timestamp_seconds_f64(#x)),
            Plain::TimestampMillis => quote!(#datetime::timestamp_millis(#x)),
            Plain::TimestampMicros => quote!(#core::Timestamp::from_micros(#x)),
            Plain::UnixTimestamp => quote!((#x.micros() / 1_000_000)),
            Plain::UnixSeconds => quote!(#datetime::unix_seconds(#x)),
            Plain::UnixMillis => quote!(#datetime::unix_millis(#x)),
            Plain::UnixMicros => quote!(#x.micros()),
            Plain::UnixDate => quote!(#x.days()),
            Plain::DateAdd => quote!(#datetime::date_add(#x, #y)),
            Plain::DateSub => quote!(#datetime::date_add(#x, (#y).wrapping_neg())),
            Plain::DateDiff => quote!(#datetime::datediff(#x, #y)),
            Plain::AddMonths => quote!(#datetime::add_months(#x, #y)),
            Plain::LastDay => quote!(#datetime::last_day(#x)),
            Plain::DayOfYear => quote!(#datetime::day_of_year(#x)),
            Plain::Quarter => quote!(#datetime::quarter(#x)),
            Plain::WeekOfYear => quote!(#datetime::week_of_year(#x)),
            Plain::Weekday => quote!(#datetime::weekday(#x)),
            Plain::MakeDate => quote!(#datetime::make_date(#x, #y, #z)),
            Plain::Md5 => quote!(#core::hash::md5(#x)),
            Plain::Sha1 => quote!(#core::hash::sha1(#x)),
            Plain::Crc32 => quote!(#core::hash::crc32(#x)),
            Plain::FormatNumber if args.first().is_some_and(|a| a.ty.base.is_decimal()) => {
                let value = &a[0];
                quote!(#functions::format_number_decimal(#value, #y))
            }
            Plain::FormatNumber if integer_input => {
                let value = &a[0];
                quote!(#functions::format_number_i64(#value as i64, #y))
            }
            Plain::FormatNumber => quote!(#functions::format_number(#x, #y)),
        };
        (code, may_be_null)
    })
}

/// `cast(x, to)` of a present `x` of type `from`: the code, and whether it is an `Option`
/// (text that does not parse is null, and counted; so is a double that is not finite, as a
/// timestamp).
fn cast(from: Base, to: Base, x: &TokenStream) -> (TokenStream, bool) {
    let core = core();
    let cast = quote!(#core::cast);
    let target = number_type(to);
    if let Base::Decimal(precision) = to {
        let decimal = super::types::decimal(precision);
        return match from {
            Base::Str => (counted(quote!(<#decimal>::parse(&*#x))), true),
            Base::Decimal(_) => (quote!(<#decimal>::convert(#x)), true),
            Base::Bool => (quote!(<#decimal>::from_bool(#x)), true),
            Base::Timestamp => (quote!(<#decimal>::from_f64(#cast::timestamp_to_f64(#x))), true),
            _ if from.is_float() => (quote!(<#decimal>::from_f64(#x as f64)), true),
            _ => (quote!(<#decimal>::from_i64(#x as i64)), true),
        };
    }
    if from.is_decimal() {
        let code = match to {
            Base::F32 => quote!(#x.to_f32()),
            Base::F64 => quote!(#x.to_f64()),
            // Truncated, then wrapped as Java narrows a long.
            _ if to.is_integer() => quote!((#x.to_i64_wrapping() as #target)),
            Base::Bool => quote!((!#x.is_zero())),
            Base::Timestamp => quote!(#core::Timestamp::from_micros(#x.to_micros_wrapping())),
            // Java's `BigDecimal.toString`, as Spark's cast: `0E-18` for a zero of scale 18.
            _ => quote!(#x.to_java_string()),
        };
        return (code, false);
    }
    let code = match (from, to) {
        _ if from == to => x.clone(),
        (Base::Str, _) => {
            let parse = match to {
                Base::I8 => quote!(text_to_i8),
                Base::I16 => quote!(text_to_i16),
                Base::I32 => quote!(text_to_i32),
                Base::I64 => quote!(text_to_i64),
                Base::F32 => quote!(text_to_f32),
                Base::F64 => quote!(text_to_f64),
                Base::Bool => quote!(text_to_bool),
                Base::Timestamp => quote!(text_to_timestamp),
                _ => quote!(text_to_date),
            };
            return (counted(quote!(#cast::#parse(&*#x))), true);
        }
        (_, Base::Timestamp) if from.is_float() => return (quote!(#cast::f64_to_timestamp(#x as f64)), true),
        (_, Base::Timestamp) if from.is_integer() => quote!(#cast::seconds_to_timestamp(#x as i64)),
        // As Java's `(byte)` of a float: through an int, then wrapped.
        (_, Base::I8 | Base::I16) if from.is_float() => quote!(((#x as i32) as #target)),
        // Integers wrap, floats saturate (NaN is 0), booleans are 0 or 1: Java's conversions.
        (_, _) if to.is_integer() && (from.is_numeric() || from == Base::Bool) => quote!((#x as #target)),
        (Base::Bool, _) if to.is_float() => quote!(#target::from(u8::from(#x))),
        (_, _) if to.is_float() && from.is_numeric() => quote!((#x as #target)),
        (Base::F64, Base::Str) => quote!(#cast::f64_to_text(#x)),
        (Base::F32, Base::Str) => quote!(#core::functions::java_float_string(#x)),
        (_, Base::Bool) if from.is_float() => quote!((#x != 0.0)),
        (_, Base::Bool) if from.is_integer() => quote!((#x != 0)),
        (Base::Timestamp, Base::Date) => quote!(#x.date()),
        (Base::Timestamp, Base::F64) => quote!(#cast::timestamp_to_f64(#x)),
        (Base::Timestamp, _) if to.is_float() => quote!((#cast::timestamp_to_f64(#x) as #target)),
        (Base::Timestamp, _) if to.is_integer() => quote!((#cast::timestamp_to_seconds(#x) as #target)),
        (Base::Date, Base::Timestamp) => quote!(#x.to_timestamp()),
        // To text: the types' own text forms are Spark's.
        (_, Base::Str) => quote!(::std::string::ToString::to_string(&#x)),
        _ => quote!(::core::compile_error!("a cast the type checker refuses")),
    };
    (code, false)
}

/// The Rust type of a number type (`i8` .. `f64`); `f64` for any other.
fn number_type(base: Base) -> TokenStream {
    match base {
        Base::I8 => quote!(i8),
        Base::I16 => quote!(i16),
        Base::I32 => quote!(i32),
        Base::I64 => quote!(i64),
        Base::F32 => quote!(f32),
        _ => quote!(f64),
    }
}
