//! `get_json_object`: Spark's walk of a JSON path over JSON text, with its Jackson parser's
//! leniency (single quotes, raw control characters) and its generator's output (compact
//! objects and arrays, numbers re-printed as Java prints them).
//!
//! Hand-written because the answers must be Spark's, down to its special cases: a string found
//! at the top is unquoted, `[*]` with one match drops its brackets, `[*][*]` flattens.

use std::borrow::Cow;

pub use stream_grammar::json_path::JsonPath;
use stream_grammar::json_path::Step;

use crate::functions::java_double_string;

/// A parsed JSON value, members in order (duplicates kept), numbers as Jackson types them.
#[derive(Debug, Clone, PartialEq)]
enum Json<'a> {
    Null,
    Bool(bool),
    /// An integer, as its canonical decimal digits.
    Int(String),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// Nesting deeper than this is not JSON Rill reads (Jackson's default limit is 1000).
const MAX_DEPTH: usize = 1000;

/// A lenient parser of the first JSON value of a text, as Spark's `get_json_object` configures
/// Jackson: single-quoted strings and raw control characters are accepted; what follows the
/// value is not read.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Whether `NaN`, `Infinity` and `-Infinity` are numbers (`from_json`'s parser takes them,
    /// `get_json_object`'s does not).
    non_numeric: bool,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            quote @ (b'"' | b'\'') => self.string(quote).map(Json::Str),
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Some(Json::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    let quote = self.peek().filter(|b| matches!(b, b'"' | b'\''))?;
                    let key = self.string(quote)?;
                    self.skip_whitespace();
                    (self.peek()? == b':').then_some(())?;
                    self.pos += 1;
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.skip_whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(Json::Object(members));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Json::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'N' if self.non_numeric => self.literal("NaN", Json::Float(f64::NAN)),
            b'I' if self.non_numeric => self.literal("Infinity", Json::Float(f64::INFINITY)),
            b'-' if self.non_numeric && self.text[self.pos..].starts_with("-Infinity") => {
                self.literal("-Infinity", Json::Float(f64::NEG_INFINITY))
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Option<Json<'a>> {
        let rest = self.text.get(self.pos..)?;
        rest.starts_with(word).then_some(())?;
        let next = rest.as_bytes().get(word.len());
        if next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            return None;
        }
        self.pos += word.len();
        Some(value)
    }

    /// A number as JSON writes it (no leading zeros, no `+`, digits after a point).
    fn number(&mut self) -> Option<Json<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let digits_start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let integer_digits = at - digits_start;
        if integer_digits == 0 || (integer_digits > 1 && bytes[digits_start] == b'0') {
            return None;
        }
        let mut is_float = false;
        if bytes.get(at) == Some(&b'.') {
            is_float = true;
            at += 1;
            let fraction_start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            (at > fraction_start).then_some(())?;
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            is_float = true;
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            let exponent_start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            (at > exponent_start).then_some(())?;
        }
        let text = &self.text[start..at];
        self.pos = at;
        if is_float {
            return text.parse::<f64>().ok().map(Json::Float);
        }
        // Jackson reads an int, a long or a big integer, and prints it back in full.
        let negative = text.starts_with('-');
        let digits = text.trim_start_matches('-');
        Some(Json::Int(if negative && digits != "0" {
            format!("-{digits}")
        } else {
            digits.to_owned()
        }))
    }

    /// A quoted string, its escapes decoded.
    fn string(&mut self, quote: u8) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        // The common case: no escape before the closing quote.
        let mut at = start;
        while let Some(&byte) = bytes.get(at) {
            if byte == quote {
                self.pos = at + 1;
                return Some(Cow::Borrowed(&self.text[start..at]));
            }
            if byte == b'\\' {
                break;
            }
            at += 1;
        }
        let mut text = String::from(&self.text[start..at]);
        let mut chars = self.text.get(at..)?.char_indices();
        while let Some((offset, c)) = chars.next() {
            match c {
                c if c == char::from(quote) => {
                    self.pos = at + offset + 1;
                    return Some(Cow::Owned(text));
                }
                '\\' => {
                    let (_, escape) = chars.next()?;
                    match escape {
                        'b' => text.push('\u{8}'),
                        'f' => text.push('\u{c}'),
                        'n' => text.push('\n'),
                        'r' => text.push('\r'),
                        't' => text.push('\t'),
                        'u' => {
                            let unit = |chars: &mut std::str::CharIndices<'_>| -> Option<u32> {
                                let hex: String =
                                    (0..4).map(|_| chars.next().map(|(_, c)| c)).collect::<Option<_>>()?;
                                u32::from_str_radix(&hex, 16).ok()
                            };
                            let first = unit(&mut chars)?;
                            let code = if (0xD800..0xDC00).contains(&first) {
                                let mut lookahead = chars.clone();
                                match (lookahead.next(), lookahead.next()) {
                                    (Some((_, '\\')), Some((_, 'u'))) => {
                                        let second = unit(&mut lookahead)?;
                                        chars = lookahead;
                                        0x10000 + ((first - 0xD800) << 10) + (second.checked_sub(0xDC00)?)
                                    }
                                    _ => return None,
                                }
                            } else {
                                first
                            };
                            text.push(char::from_u32(code)?);
                        }
                        // `\"`, `\\`, `\/`, `\'` and any other escaped character stand for it.
                        other => text.push(other),
                    }
                }
                c => text.push(c),
            }
        }
        None
    }
}

/// How a match is written (Spark's `WriteStyle`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A string at the top is written without quotes.
    Raw,
    /// Inside `[*]`: strings keep their quotes.
    Quoted,
    /// Inside `[*][*]`: arrays are written into their parent.
    Flatten,
}

/// A generator writing values compactly: a comma between the values of an array.
struct Generator {
    out: String,
    /// For each open array, whether it has a value yet.
    arrays: Vec<bool>,
    /// Whether a character beyond the Basic Multilingual Plane is written as two `\u` escapes,
    /// as Jackson's byte generator writes it (its character generator does not).
    escape_non_bmp: bool,
}

impl Generator {
    fn new(escape_non_bmp: bool) -> Self {
        Self {
            out: String::new(),
            arrays: Vec::new(),
            escape_non_bmp,
        }
    }

    /// Before a value: the separator its context needs.
    fn begin_value(&mut self) {
        if let Some(has_value) = self.arrays.last_mut() {
            if *has_value {
                self.out.push(',');
            }
            *has_value = true;
        }
    }

    fn start_array(&mut self) {
        self.begin_value();
        self.out.push('[');
        self.arrays.push(false);
    }

    fn end_array(&mut self) {
        self.arrays.pop();
        self.out.push(']');
    }

    /// Text written as is, as a value.
    fn raw_value(&mut self, text: &str) {
        self.begin_value();
        self.out.push_str(text);
    }

    /// A copy of `value`, as Jackson's `copyCurrentStructure` writes it.
    fn copy(&mut self, value: &Json<'_>) {
        self.begin_value();
        write_json(value, self.escape_non_bmp, &mut self.out);
    }
}

/// `value` as Jackson's generator writes it: compact, numbers as Java prints them.
fn write_json(value: &Json<'_>, escape_non_bmp: bool, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Json::Int(digits) => out.push_str(digits),
        Json::Float(number) if number.is_finite() => out.push_str(&java_double_string(*number)),
        // Jackson quotes the non-finite doubles.
        Json::Float(number) => {
            out.push('"');
            out.push_str(&java_double_string(*number));
            out.push('"');
        }
        Json::Str(text) => write_text(text, escape_non_bmp, out),
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(item, escape_non_bmp, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (index, (key, item)) in members.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_text(key, escape_non_bmp, out);
                out.push(':');
                write_json(item, escape_non_bmp, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Jackson writes it: `"` and `\` escaped, control characters as `\n`, `\t`,
/// `\r`, `\b`, `\f` or `\u00XX`, everything else as it is.
pub fn write_string(text: &str, out: &mut String) {
    write_text(text, false, out);
}

/// [`write_string`], with characters beyond the Basic Multilingual Plane as two `\u` escapes
/// when `escape_non_bmp`.
fn write_text(text: &str, escape_non_bmp: bool, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c if escape_non_bmp && u32::from(c) > 0xFFFF => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Spark's `evaluatePath`: whether anything matched, writing the matches to `out`.
fn evaluate(value: &Json<'_>, path: &[Step], style: Style, out: &mut Generator) -> bool {
    match (value, path) {
        (Json::Str(text), []) if style == Style::Raw => {
            out.out.push_str(text);
            true
        }
        (Json::Array(items), []) if style == Style::Flatten => {
            let mut dirty = false;
            for item in items {
                dirty |= evaluate(item, &[], style, out);
            }
            dirty
        }
        (_, []) => {
            out.copy(value);
            true
        }
        (Json::Object(members), [Step::Member(name), rest @ ..]) => {
            // The first member of that name whose value is not null and matches.
            members
                .iter()
                .filter(|(key, item)| key == name && *item != Json::Null)
                .any(|(_, item)| evaluate(item, rest, style, out))
        }
        (Json::Array(items), [Step::Elements, Step::Elements, rest @ ..]) => {
            let mut dirty = false;
            out.start_array();
            for item in items {
                dirty |= evaluate(item, rest, Style::Flatten, out);
            }
            out.end_array();
            dirty
        }
        (Json::Array(items), [Step::Elements, rest @ ..]) if style != Style::Quoted => {
            let next = if style == Style::Raw {
                Style::Quoted
            } else {
                Style::Flatten
            };
            let mut buffer = Generator::new(false);
            buffer.start_array();
            let mut matched = 0;
            for item in items {
                matched += usize::from(evaluate(item, rest, next, &mut buffer));
            }
            buffer.end_array();
            let text = buffer.out;
            // One match is written without the array around it, as Hive does.
            match matched {
                0 => {}
                1 => out.raw_value(text.get(1..text.len() - 1).unwrap_or_default()),
                _ => out.raw_value(&text),
            }
            matched > 0
        }
        (Json::Array(items), [Step::Elements, rest @ ..]) => {
            let mut dirty = false;
            out.start_array();
            for item in items {
                dirty |= evaluate(item, rest, Style::Quoted, out);
            }
            out.end_array();
            dirty
        }
        (Json::Array(items), [Step::Index(index), rest @ ..]) => {
            // Several results may follow a `[*]`: they keep their quotes.
            let style = if rest.first() == Some(&Step::Elements) {
                Style::Quoted
            } else {
                style
            };
            usize::try_from(*index)
                .ok()
                .and_then(|index| items.get(index))
                .is_some_and(|item| evaluate(item, rest, style, out))
        }
        _ => false,
    }
}

/// `get_json_object(text, path)`: the value at `path`, a string without its quotes and anything
/// else as compact JSON; `None` when nothing matches or the text is not JSON.
///
/// ```
/// use stream_core::json_text::get_json_object;
/// use stream_grammar::json_path::JsonPath;
/// let path = |p: &str| JsonPath::parse(p).unwrap();
/// let text = r#"{"device": {"os": "ios", "version": 1.50}, "tags": ["a", "b"]}"#;
/// assert_eq!(get_json_object(text, &path("$.device.os")).as_deref(), Some("ios"));
/// assert_eq!(get_json_object(text, &path("$.device")).as_deref(), Some(r#"{"os":"ios","version":1.5}"#));
/// assert_eq!(get_json_object(text, &path("$.tags[*]")).as_deref(), Some(r#"["a","b"]"#));
/// assert_eq!(get_json_object(text, &path("$.missing")), None);
/// assert_eq!(get_json_object("not json", &path("$")), None);
/// ```
#[must_use]
pub fn get_json_object(text: &str, path: &JsonPath) -> Option<String> {
    let value = Parser {
        text,
        pos: 0,
        non_numeric: false,
    }
    .value(0)?;
    let mut out = Generator::new(true);
    evaluate(&value, &path.steps, Style::Raw, &mut out).then_some(out.out)
}

/// A JSON value as `from_json` puts it in a string field: re-printed compactly, floats as Java
/// prints doubles, characters beyond the Basic Multilingual Plane escaped; `None` when `text`
/// is not one value.
///
/// ```
/// use stream_core::json_text::reprint;
/// assert_eq!(reprint(r#"{"x" :  1.50, "y": [ 1e3 ]}"#).as_deref(), Some(r#"{"x":1.5,"y":[1000.0]}"#));
/// assert_eq!(reprint("NaN").as_deref(), Some(r#""NaN""#));
/// ```
#[must_use]
pub fn reprint(text: &str) -> Option<String> {
    let value = Parser {
        text,
        pos: 0,
        non_numeric: true,
    }
    .value(0)?;
    let mut out = String::new();
    write_json(&value, true, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str, path: &str) -> Option<String> {
        get_json_object(text, &JsonPath::parse(path).unwrap())
    }

    #[test]
    fn paths_walk_as_sparks_do() {
        let text = r#"{'a': {"b": [1, {"c": "x"}, null]}, "s": "q\"uote", "n": null, "n": 7}"#;
        assert_eq!(get(text, "$.a.b[1].c").as_deref(), Some("x"));
        assert_eq!(get(text, "$.a.b[0]").as_deref(), Some("1"));
        assert_eq!(get(text, "$.a.b[2]").as_deref(), Some("null"));
        assert_eq!(get(text, "$.a.b[9]"), None);
        assert_eq!(get(text, "$.s").as_deref(), Some("q\"uote"));
        // A null member does not match; a later one of the same name does.
        assert_eq!(get(text, "$.n").as_deref(), Some("7"));
        assert_eq!(get(text, "$.*"), None);
        assert_eq!(get(text, "$.a.b[*]").as_deref(), Some(r#"[1,{"c":"x"},null]"#));
        assert_eq!(get(r#"{"t": ["only"]}"#, "$.t[*]").as_deref(), Some(r#""only""#));
        assert_eq!(get(r#"[[1, 2], [3]]"#, "$[*][*]").as_deref(), Some("[1,2,3]"));
        assert_eq!(
            get(r#"{"x": 1e3, "y": -0, "z": 12345678901234567890}"#, "$").as_deref(),
            Some(r#"{"x":1000.0,"y":0,"z":12345678901234567890}"#)
        );
        assert_eq!(get(r#"{"a": 1} trailing"#, "$.a").as_deref(), Some("1"));
        assert_eq!(get(r#"{"a": 1, "b": tru}"#, "$.a"), None);
        assert_eq!(
            get("{\"c\": \"tab\there\"}", "$").as_deref(),
            Some("{\"c\":\"tab\\there\"}")
        );
    }
}

/// A value `to_json` writes, as Spark's JSON generator writes it.
pub trait ToJson {
    /// Appends the value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_string(self, out);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_string(self, out);
    }
}

macro_rules! integer_json {
    ($($ty:ty),*) => {$(
        impl ToJson for $ty {
            fn write_json(&self, out: &mut String) {
                out.push_str(&self.to_string());
            }
        }
    )*};
}

integer_json!(i8, i16, i32, i64, bool);

/// Java's text of a double; the non-finite ones quoted, as Jackson writes them by default.
impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        if self.is_finite() {
            out.push_str(&java_double_string(*self));
        } else {
            write_string(&java_double_string(*self), out);
        }
    }
}

impl ToJson for f32 {
    fn write_json(&self, out: &mut String) {
        let text = crate::functions::java_float_string(*self);
        if self.is_finite() {
            out.push_str(&text);
        } else {
            write_string(&text, out);
        }
    }
}

/// Spark's default `timestampFormat` for JSON, `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`, in UTC.
impl ToJson for crate::types::Timestamp {
    fn write_json(&self, out: &mut String) {
        let micros = self.micros();
        let seconds = micros.div_euclid(1_000_000);
        let millis = micros.rem_euclid(1_000_000) / 1000;
        let text = chrono::DateTime::from_timestamp(seconds, 0).map_or_else(
            || self.to_string(),
            |time| format!("{}.{millis:03}Z", time.format("%Y-%m-%dT%H:%M:%S")),
        );
        write_string(&text, out);
    }
}

impl ToJson for crate::types::Date {
    fn write_json(&self, out: &mut String) {
        write_string(&self.to_string(), out);
    }
}

impl<const P: u8, const S: u8> ToJson for crate::decimal::Decimal<P, S> {
    fn write_json(&self, out: &mut String) {
        out.push_str(&crate::decimal::plain_text(self.unscaled(), S));
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

/// A map's entries as a JSON object, in order; a null value written as `null`.
pub fn write_map<K: AsRef<str>, V: ToJson>(entries: &[(K, V)], out: &mut String) {
    out.push('{');
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(key.as_ref(), out);
        out.push(':');
        value.write_json(out);
    }
    out.push('}');
}

/// `to_json(value)`.
///
/// ```
/// use stream_core::json_text::{to_json, write_map};
/// assert_eq!(to_json(&[Some("a"), None][..]), r#"["a",null]"#);
/// let mut map = String::new();
/// write_map(&[("k", Some(1.5)), ("n", None)], &mut map);
/// assert_eq!(map, r#"{"k":1.5,"n":null}"#);
/// ```
#[must_use]
pub fn to_json<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// `json_tuple(text, name, ..)`: the value of each named member of the object `text` holds,
/// as `get_json_object` gives a value (the last member of a name wins); every one `None` when
/// the text is not JSON or not an object.
///
/// ```
/// use stream_core::json_text::json_tuple;
/// let values = json_tuple(r#"{"os": "ios", "v": {"x": 1.50}, "os": "android"}"#, &["os", "v", "no"]);
/// assert_eq!(values, [Some("android".into()), Some(r#"{"x":1.5}"#.into()), None]);
/// assert_eq!(json_tuple("[1]", &["os"]), [None]);
/// ```
#[must_use]
pub fn json_tuple(text: &str, names: &[&str]) -> Vec<Option<String>> {
    let parsed = Parser {
        text,
        pos: 0,
        non_numeric: false,
    }
    .value(0);
    let Some(Json::Object(members)) = parsed else {
        return vec![None; names.len()];
    };
    names
        .iter()
        .map(|name| {
            let (_, value) = members.iter().rev().find(|(key, _)| key == name)?;
            match value {
                Json::Null => None,
                Json::Str(text) => Some(text.to_string()),
                other => {
                    let mut out = String::new();
                    write_json(other, true, &mut out);
                    Some(out)
                }
            }
        })
        .collect()
}
