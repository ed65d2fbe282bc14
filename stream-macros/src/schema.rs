//! Stage 2a, schemas: `schema` declarations → [`Schema`]s with checked column types.

use syn::Ident;

use crate::diag::{Diagnostics, did_you_mean};
use crate::parse::{SchemaDecl, TypeDecl};
use crate::types::{Base, ColType, MAX_PRECISION, Precision};

/// A declared input schema.
pub(crate) struct Schema {
    pub(crate) name: Ident,
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) fields: Vec<Field>,
}

/// One declared column.
pub(crate) struct Field {
    pub(crate) name: Ident,
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) ty: ColType,
}

pub(crate) use stream_grammar::CORRUPT_RECORD_COLUMN;

const TYPE_HELP: &str = "help: use one of `String`, `i8`, `i16`, `i32`, `i64`, `f32`, `f64`, `Decimal<precision, scale>`, `bool`, `Timestamp`, `Date`, `Vec<..>` of one of them for an array, or `Option<..>` of any of these for a nullable column";

/// Resolves every schema, reporting unknown types and duplicate names. Schemas with errors
/// are still returned (with the bad fields left out) so queries over them can be checked.
pub(crate) fn resolve(decls: &[SchemaDecl], diagnostics: &Diagnostics) -> Vec<Schema> {
    let mut schemas: Vec<Schema> = Vec::new();
    for decl in decls {
        if schemas.iter().any(|s| s.name == decl.name) {
            diagnostics.error(decl.name.span(), format!("schema `{}` is declared twice", decl.name));
            continue;
        }
        let mut fields: Vec<Field> = Vec::new();
        for field in &decl.fields {
            if fields.iter().any(|f| f.name == field.name) {
                diagnostics.error(
                    field.name.span(),
                    format!("column `{}` is declared twice in schema `{}`", field.name, decl.name),
                );
                continue;
            }
            let ty = resolve_type(&field.ty, diagnostics);
            if field.name == CORRUPT_RECORD_COLUMN
                && ty.is_some_and(|ty| {
                    ty != (ColType {
                        base: Base::Str,
                        nullable: true,
                    })
                })
            {
                diagnostics.error(
                    field.ty.span,
                    format!(
                        "the corrupt-record column `{}` must be `Option<String>`\nnote: sources put a malformed record's text in it, and null for a well-formed one\nhelp: write `{}: Option<String>`",
                        field.name, field.name
                    ),
                );
                continue;
            }
            if let Some(ty) = ty {
                fields.push(Field {
                    name: field.name.clone(),
                    attrs: field.attrs.clone(),
                    ty,
                });
            }
        }
        if decl.fields.is_empty() {
            diagnostics.error(decl.name.span(), format!("schema `{}` has no columns", decl.name));
        }
        schemas.push(Schema {
            name: decl.name.clone(),
            attrs: decl.attrs.clone(),
            fields,
        });
    }
    schemas
}

/// The supported type a user most likely meant: by meaning for other Rust types (`u8` is a
/// small integer, so `i16`), else by spelling.
fn closest_column_type(name: &str) -> Option<&'static str> {
    let by_meaning = match name {
        "u8" => Some(Base::I16),
        "u16" => Some(Base::I32),
        "u32" | "u64" | "i128" | "u128" | "isize" | "usize" => Some(Base::I64),
        "str" | "char" | "string" | "Str" => Some(Base::Str),
        "NaiveDateTime" | "DateTime" | "SystemTime" | "Instant" => Some(Base::Timestamp),
        "NaiveDate" => Some(Base::Date),
        "Bool" | "boolean" => Some(Base::Bool),
        _ => None,
    };
    by_meaning
        .map(Base::rust_name)
        .or_else(|| did_you_mean(name, Base::ALL.iter().map(|b| b.rust_name())))
}

fn resolve_type(decl: &TypeDecl, diagnostics: &Diagnostics) -> Option<ColType> {
    if decl.name == "Option" {
        let Some(inner) = &decl.argument else {
            diagnostics.error(decl.span, format!("`Option` needs a column type\n{TYPE_HELP}"));
            return None;
        };
        if inner.name == "Option" {
            diagnostics.error(
                inner.span,
                "a column is nullable or not: `Option<Option<..>>` is not a column type\nhelp: write `Option<T>`",
            );
            return None;
        }
        let base = resolve_base(inner, diagnostics)?;
        return Some(ColType { base, nullable: true });
    }
    Some(ColType {
        base: resolve_base(decl, diagnostics)?,
        nullable: false,
    })
}

fn resolve_base(decl: &TypeDecl, diagnostics: &Diagnostics) -> Option<Base> {
    let name = decl.name.to_string();
    if name == "Decimal" {
        return resolve_decimal(decl, diagnostics);
    }
    if name == "Vec" {
        return resolve_array(decl, diagnostics);
    }
    if let Some(first) = decl.numbers.first() {
        diagnostics.error(first.span(), format!("`{name}` takes no type argument"));
        return None;
    }
    let Some(base) = Base::from_rust_name(&name) else {
        let suggestion = closest_column_type(&name)
            .map(|s| format!("\nhelp: did you mean `{s}`?"))
            .unwrap_or_default();
        diagnostics.error(
            decl.name.span(),
            format!("unsupported column type `{name}`{suggestion}\n{TYPE_HELP}"),
        );
        return None;
    };
    if let Some(argument) = &decl.argument {
        diagnostics.error(argument.span, format!("`{name}` takes no type argument"));
        return None;
    }
    Some(base)
}

/// `Vec<T>` (an array whose elements are never null) or `Vec<Option<T>>`, of a scalar type.
fn resolve_array(decl: &TypeDecl, diagnostics: &Diagnostics) -> Option<Base> {
    const HELP: &str =
        "help: write `Vec<String>`, or `Vec<Option<String>>` when elements may be null (Spark's `array<string>`)";
    let Some(inner) = &decl.argument else {
        diagnostics.error(decl.span, format!("`Vec` needs an element type\n{HELP}"));
        return None;
    };
    let element = resolve_type(inner, diagnostics)?;
    if element.base.element().is_some() {
        diagnostics.error(
            inner.span,
            format!(
                "an array of arrays (`Vec<{}<..>>`) is not supported yet\n{HELP}",
                inner.name
            ),
        );
        return None;
    }
    Some(Base::array(element))
}

/// `Decimal<precision, scale>`: 1 to 38 digits, of which 0 to `precision` after the point.
fn resolve_decimal(decl: &TypeDecl, diagnostics: &Diagnostics) -> Option<Base> {
    const HELP: &str = "help: write `Decimal<precision, scale>`, e.g. `Decimal<10, 2>` for up to 99999999.99 (Spark's `decimal(10,2)`)";
    let [precision, scale] = decl.numbers.as_slice() else {
        diagnostics.error(decl.span, format!("`Decimal` needs its precision and scale\n{HELP}"));
        return None;
    };
    let value = |literal: &syn::LitInt| literal.base10_parse::<u8>().ok();
    let Some(p) = value(precision).filter(|p| (1..=MAX_PRECISION).contains(p)) else {
        diagnostics.error(
            precision.span(),
            format!("a decimal's precision is 1 to {MAX_PRECISION} digits, found `{precision}`\n{HELP}"),
        );
        return None;
    };
    let Some(s) = value(scale).filter(|s| *s <= p) else {
        diagnostics.error(
            scale.span(),
            format!("a decimal's scale is 0 to its precision ({p}), found `{scale}`\nnote: the scale counts the precision's digits after the point\n{HELP}"),
        );
        return None;
    };
    Some(Base::Decimal(Precision::new(p, s)))
}
