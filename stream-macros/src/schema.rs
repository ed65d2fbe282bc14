//! Stage 2a, schemas: `schema` declarations → [`Schema`]s with checked column types.

use syn::Ident;

use crate::diag::{Diagnostics, did_you_mean};
use crate::parse::{SchemaDecl, TypeDecl};
use crate::types::{Base, ColType, MAX_PRECISION, Precision, StructType};

/// A declared input schema.
pub(crate) struct Schema {
    pub(crate) name: Ident,
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) fields: Vec<Field>,
    /// Whether another schema uses it as a column type (a struct), so it reads itself from
    /// JSON and Arrow's struct arrays.
    pub(crate) nested: bool,
}

/// One declared column.
pub(crate) struct Field {
    pub(crate) name: Ident,
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) ty: ColType,
}

pub(crate) use stream_grammar::CORRUPT_RECORD_COLUMN;

const TYPE_HELP: &str = "help: use one of `String`, `i8`, `i16`, `i32`, `i64`, `f32`, `f64`, `Decimal<precision, scale>`, `bool`, `Timestamp`, `Date`, `Vec<..>` of one of them for an array, `Map<String, ..>` for a map, another schema's name for a struct, or `Option<..>` of any of these for a nullable column";

/// Resolves every schema, reporting unknown types and duplicate names. Schemas with errors
/// are still returned (with the bad fields left out) so queries over them can be checked.
pub(crate) fn resolve(decls: &[SchemaDecl], diagnostics: &Diagnostics) -> Vec<Schema> {
    let mut resolver = Resolver {
        decls,
        diagnostics,
        resolved: Vec::new(),
        visiting: Vec::new(),
    };
    for (index, decl) in decls.iter().enumerate() {
        if decls[..index].iter().any(|earlier| earlier.name == decl.name) {
            diagnostics.error(decl.name.span(), format!("schema `{}` is declared twice", decl.name));
            continue;
        }
        resolver.schema(index);
    }
    let mut schemas: Vec<(usize, Schema)> = resolver
        .resolved
        .into_iter()
        .map(|(index, schema, _)| (index, schema))
        .collect();
    schemas.sort_by_key(|(index, _)| *index);
    schemas.into_iter().map(|(_, schema)| schema).collect()
}

/// Resolves schemas in declaration order, and a schema used as a column type when first met.
struct Resolver<'a> {
    decls: &'a [SchemaDecl],
    diagnostics: &'a Diagnostics,
    /// Each resolved schema by its declaration's index, and whether it had errors.
    resolved: Vec<(usize, Schema, bool)>,
    /// The schemas being resolved, outermost first (a schema cannot contain itself).
    visiting: Vec<usize>,
}

impl Resolver<'_> {
    /// Resolves declaration `index` once; whether it had errors.
    fn schema(&mut self, index: usize) -> bool {
        if let Some((_, _, failed)) = self.resolved.iter().find(|(done, ..)| *done == index) {
            return *failed;
        }
        let (decl, diagnostics) = (&self.decls[index], self.diagnostics);
        self.visiting.push(index);
        let mut fields: Vec<Field> = Vec::new();
        let mut failed = false;
        for field in &decl.fields {
            if fields.iter().any(|f| f.name == field.name) {
                diagnostics.error(
                    field.name.span(),
                    format!("column `{}` is declared twice in schema `{}`", field.name, decl.name),
                );
                failed = true;
                continue;
            }
            let ty = self.resolve_type(&field.ty);
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
                failed = true;
                continue;
            }
            match ty {
                Some(ty) => fields.push(Field {
                    name: field.name.clone(),
                    attrs: field.attrs.clone(),
                    ty,
                }),
                None => failed = true,
            }
        }
        if decl.fields.is_empty() {
            diagnostics.error(decl.name.span(), format!("schema `{}` has no columns", decl.name));
            failed = true;
        }
        self.visiting.pop();
        let schema = Schema {
            name: decl.name.clone(),
            attrs: decl.attrs.clone(),
            fields,
            nested: false,
        };
        self.resolved.push((index, schema, failed));
        failed
    }

    /// The struct type of the schema `decl` names, resolving it first; `None` when it has
    /// errors (reported with it) or contains itself.
    fn struct_of(&mut self, decl: &TypeDecl, index: usize) -> Option<Base> {
        if self.visiting.contains(&index) {
            self.diagnostics.error(
                decl.name.span(),
                format!(
                    "schema `{}` contains itself, so its values would have no end\nhelp: a struct column holds another schema, or an `Option` of a different one",
                    decl.name
                ),
            );
            return None;
        }
        if self.schema(index) {
            return None;
        }
        let (_, schema, _) = self.resolved.iter_mut().find(|(done, ..)| *done == index)?;
        schema.nested = true;
        let fields = schema
            .fields
            .iter()
            .map(|field| (field.name.to_string(), field.ty))
            .collect();
        Some(Base::structure(StructType {
            name: schema.name.to_string(),
            fields,
        }))
    }

    fn resolve_type(&mut self, decl: &TypeDecl) -> Option<ColType> {
        if decl.name == "Option" {
            let Some(inner) = &decl.argument else {
                self.diagnostics
                    .error(decl.span, format!("`Option` needs a column type\n{TYPE_HELP}"));
                return None;
            };
            if inner.name == "Option" {
                self.diagnostics.error(
                    inner.span,
                    "a column is nullable or not: `Option<Option<..>>` is not a column type\nhelp: write `Option<T>`",
                );
                return None;
            }
            let base = self.resolve_base(inner)?;
            return Some(ColType { base, nullable: true });
        }
        Some(ColType {
            base: self.resolve_base(decl)?,
            nullable: false,
        })
    }

    fn resolve_base(&mut self, decl: &TypeDecl) -> Option<Base> {
        let diagnostics = self.diagnostics;
        let name = decl.name.to_string();
        if let Some(index) = self.decls.iter().position(|schema| schema.name == name) {
            if decl.argument.is_some() || !decl.numbers.is_empty() {
                diagnostics.error(decl.span, format!("schema `{name}` takes no type argument"));
                return None;
            }
            return self.struct_of(decl, index);
        }
        if name == "Decimal" {
            return resolve_decimal(decl, diagnostics);
        }
        if name == "Vec" {
            return self.resolve_array(decl);
        }
        if name == "Map" || name == "HashMap" || name == "BTreeMap" {
            return self.resolve_map(decl);
        }
        if let Some(first) = decl.numbers.first() {
            diagnostics.error(first.span(), format!("`{name}` takes no type argument"));
            return None;
        }
        let Some(base) = Base::from_rust_name(&name) else {
            let schemas = self
                .decls
                .iter()
                .map(|schema| schema.name.to_string())
                .collect::<Vec<_>>();
            let suggestion = closest_column_type(&name)
                .or_else(|| did_you_mean(&name, schemas.iter().map(String::as_str)))
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

    /// `Vec<T>` (an array whose elements are never null) or `Vec<Option<T>>`.
    fn resolve_array(&mut self, decl: &TypeDecl) -> Option<Base> {
        const HELP: &str =
            "help: write `Vec<String>`, or `Vec<Option<String>>` when elements may be null (Spark's `array<string>`)";
        let Some(inner) = &decl.argument else {
            self.diagnostics
                .error(decl.span, format!("`Vec` needs an element type\n{HELP}"));
            return None;
        };
        let element = self.resolve_type(inner)?;
        // Arrays of structs hold records (`inline` makes rows of them), arrays of arrays rows of
        // values (`flatten` joins them); deeper arrays and arrays of maps are not supported yet.
        let too_deep = match element.base {
            Base::Map(_) => true,
            Base::Array(inner) => inner.base.is_nested(),
            _ => false,
        };
        if too_deep {
            self.diagnostics.error(
                inner.span,
                format!(
                    "an array of {} (`Vec<{}>`) is not supported yet\n{HELP}",
                    nested_kind(element.base),
                    element.base.written()
                ),
            );
            return None;
        }
        Some(Base::array(element))
    }

    /// `Map<String, V>` (values never null) or `Map<String, Option<V>>`: Spark's JSON maps have
    /// string keys.
    fn resolve_map(&mut self, decl: &TypeDecl) -> Option<Base> {
        const HELP: &str = "help: write `Map<String, String>`, or `Map<String, Option<String>>` when values may be null (Spark's `map<string,string>`)";
        let (Some(key), Some(value)) = (&decl.argument, &decl.second) else {
            self.diagnostics.error(
                decl.span,
                format!("`{}` needs a key and a value type\n{HELP}", decl.name),
            );
            return None;
        };
        let key_type = self.resolve_type(key)?;
        if key_type != ColType::new(Base::Str, false) {
            self.diagnostics.error(
                key.span,
                format!("a map's keys are strings, as JSON's are, found `{key_type}`\n{HELP}"),
            );
            return None;
        }
        let value = self.resolve_type(value)?;
        if value.base.is_nested() {
            self.diagnostics.error(
                decl.span,
                format!(
                    "a map of {} (`{}`) is not supported yet\n{HELP}",
                    nested_kind(value.base),
                    value.base.written()
                ),
            );
            return None;
        }
        Some(Base::map(value))
    }
}

/// What a nested type is, for messages: arrays, structs or maps.
fn nested_kind(base: Base) -> &'static str {
    match base {
        Base::Array(_) => "arrays",
        Base::Map(_) => "maps",
        _ => "structs",
    }
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
