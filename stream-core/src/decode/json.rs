//! A validating JSON scanner over one record, for the decoders `stream!` generates.
//!
//! The generated decoder walks an object's members with [`JsonCursor::next_key`], matches each
//! key against its schema's column names, and reads the value with the typed reader of that
//! column's type ([`JsonCursor::f64`], [`JsonCursor::string`], …); values of other keys are
//! skipped, but still validated. Nothing is allocated unless a string holds escapes.
//!
//! What is accepted follows Spark's JSON reader (Jackson with Spark's options): standard JSON,
//! plus single-quoted strings and names, and `NaN`, `Infinity` and `-Infinity` as numbers. A
//! value of the wrong type for its column (`"abc"` for a double) is not a syntax error: the
//! reader skips it and returns [`Field::Mismatch`], so the rest of the record still decodes
//! (Spark's partial results). Anything after the record's closing brace but whitespace is an
//! error, where Spark ignores it — silently dropping, for instance, a second object on the line.

use std::borrow::Cow;

use super::scan::{find_string_stop, plain_ascii_string};
use crate::decimal::Decimal;
use crate::types::{Date, Timestamp};

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 512;

/// Why a record is not valid JSON: the byte offset within the record and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Zero-based byte offset of the fault within the record.
    pub offset: usize,
    /// What was wrong, e.g. ``expected `:` after an object key``.
    pub message: Cow<'static, str>,
}

/// One value read for a column of a given type.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    /// A value of the column's type.
    Value(T),
    /// JSON `null`.
    Null,
    /// A valid JSON value of another type; it has been skipped.
    Mismatch(Mismatch),
}

/// A value that does not fit its column: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Byte range of the value within the record.
    pub span: std::ops::Range<usize>,
    /// What the column needed, e.g. `a double`.
    pub expected: &'static str,
}

impl<T> Field<T> {
    fn mismatch(span: std::ops::Range<usize>, expected: &'static str) -> Self {
        Self::Mismatch(Mismatch { span, expected })
    }
}

/// A value that reads itself from JSON: the row struct of a schema used as a struct column,
/// implemented by `stream!`.
pub trait ReadJson: Sized {
    /// Reads a value at `cursor`: the object, `null`, or a mismatch. A member that does not fit
    /// its field leaves that field null and is recorded in `problem` (as Spark keeps the rest
    /// of the struct and marks the record corrupt).
    ///
    /// # Errors
    /// When the value is not valid JSON.
    fn read_json(cursor: &mut JsonCursor<'_>, problem: &mut Option<Mismatch>) -> Scan<Field<Self>>;

    /// The value with every field null, when every field may be.
    fn all_null() -> Option<Self>;
}

/// `from_json(text, Schema)`, as Spark's in its default mode: the struct the text holds, a
/// member that does not fit left null; a struct of nulls when the text is not JSON or not an
/// object; `None` for empty text.
#[must_use]
pub fn from_json<T: ReadJson>(text: &str) -> Option<T> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let mut cursor = JsonCursor::reprinting(text.as_bytes());
    let mut problem = None;
    match T::read_json(&mut cursor, &mut problem) {
        Ok(Field::Value(value)) => Some(value),
        _ => T::all_null(),
    }
}

/// A member of an object, as [`JsonCursor::next_member`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member<'a> {
    /// The expected key (its colon consumed).
    Expected,
    /// Another key (its colon consumed).
    Key(Cow<'a, [u8]>),
    /// The object's closing brace.
    End,
}

/// A key a decoder expects, packed as the bytes `"name":` for a 16-byte comparison. Names
/// longer than 13 bytes are never predicted (they still decode, by the general path).
#[derive(Debug, Clone, Copy)]
pub struct ExpectedKey {
    words: [u64; 2],
    masks: [u64; 2],
    len: usize,
}

impl ExpectedKey {
    /// The packed form of key `name`.
    #[must_use]
    pub const fn new(name: &str) -> Self {
        let name = name.as_bytes();
        let len = name.len() + 3;
        if len > 16 {
            // An all-zero mask with a nonzero word never matches.
            return Self {
                words: [1, 1],
                masks: [0, 0],
                len: 0,
            };
        }
        let mut bytes = [0u8; 16];
        let mut masks = [0u8; 16];
        bytes[0] = b'"';
        let mut i = 0;
        while i < name.len() {
            bytes[i + 1] = name[i];
            i += 1;
        }
        bytes[len - 2] = b'"';
        bytes[len - 1] = b':';
        let mut i = 0;
        while i < len {
            masks[i] = 0xff;
            i += 1;
        }
        Self {
            words: [pack(&bytes, 0), pack(&bytes, 8)],
            masks: [pack(&masks, 0), pack(&masks, 8)],
            len,
        }
    }

    /// Whether `rest` (the record from the cursor on) starts with the key and its colon.
    #[inline(always)]
    fn matches(&self, rest: &[u8]) -> bool {
        match rest.get(..16) {
            Some(window) => self.matches_window(window),
            None => self.matches_short(rest),
        }
    }

    #[inline(always)]
    fn matches_window(&self, window: &[u8]) -> bool {
        let low = u64::from_le_bytes(window[..8].try_into().unwrap_or_default());
        let high = u64::from_le_bytes(window[8..16].try_into().unwrap_or_default());
        (low & self.masks[0]) == self.words[0] && (high & self.masks[1]) == self.words[1]
    }

    /// Near the end of the record (the last field): compares a zero-padded copy.
    #[inline(never)]
    fn matches_short(&self, rest: &[u8]) -> bool {
        let mut window = [0u8; 16];
        let available = rest.len().min(16);
        window[..available].copy_from_slice(&rest[..available]);
        self.len <= available && self.matches_window(&window)
    }
}

const fn pack(bytes: &[u8; 16], from: usize) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < 8 {
        word |= (bytes[from + i] as u64) << (8 * i);
        i += 1;
    }
    word
}

/// What kind of value starts at the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String(u8),
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

/// A read that fails only on JSON that is not well formed.
pub type Scan<T> = Result<T, SyntaxError>;

/// A cursor over one JSON record (a line without its line end).
///
/// ```
/// use stream_core::decode::json::{Field, JsonCursor};
/// let mut cursor = JsonCursor::new(br#"{"user_id": "u1", "amount": 24.5, "tags": [1, {"a": null}]}"#);
/// cursor.begin_object().unwrap();
/// let (mut user, mut amount) = (None, None);
/// while let Some(key) = cursor.next_key().unwrap() {
///     match &*key {
///         b"user_id" => user = Some(cursor.string().unwrap()),
///         b"amount" => amount = Some(cursor.f64().unwrap()),
///         _ => cursor.skip_value().unwrap(),
///     }
/// }
/// cursor.finish().unwrap();
/// assert_eq!(user, Some(Field::Value("u1".into())));
/// assert_eq!(amount, Some(Field::Value(24.5)));
/// ```
#[derive(Debug)]
pub struct JsonCursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Whether the current object has had a member, so the next one needs a comma.
    after_member: bool,
    /// Whether a string slot takes another value as it re-prints it (`from_json`), rather than
    /// as it is written (the JSON source).
    reprints: bool,
}

impl<'a> JsonCursor<'a> {
    /// A cursor at the start of `record`.
    #[must_use]
    pub fn new(record: &'a [u8]) -> Self {
        Self {
            bytes: record,
            pos: 0,
            after_member: false,
            reprints: false,
        }
    }

    /// A cursor for `from_json`: a string slot takes a value that is not a string as Spark's
    /// parser re-prints it (compact, floats as Java prints doubles), not as written.
    #[must_use]
    pub fn reprinting(record: &'a [u8]) -> Self {
        Self {
            reprints: true,
            ..Self::new(record)
        }
    }

    fn error<T>(&self, offset: usize, message: impl Into<Cow<'static, str>>) -> Scan<T> {
        Err(SyntaxError {
            offset,
            message: message.into(),
        })
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn found(&self) -> String {
        match self.bytes.get(self.pos) {
            None => "the end of the record".to_owned(),
            Some(&byte) if byte.is_ascii_graphic() => format!("`{}`", char::from(byte)),
            Some(&byte) => format!("byte 0x{byte:02x}"),
        }
    }

    /// Expects the record to open with `{`.
    ///
    /// # Errors
    /// When it does not.
    pub fn begin_object(&mut self) -> Scan<()> {
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                self.after_member = false;
                Ok(())
            }
            Some(b'[') => self.error(self.pos, "found a JSON array; each line must hold one JSON object"),
            _ => self.error(self.pos, format!("expected a JSON object, found {}", self.found())),
        }
    }

    /// The next member, checking first whether its key is `expected` — records of a file
    /// usually list their fields in the same order, so a decoder predicts each key and most
    /// keys cost one 16-byte comparison. The member's value must then be read or skipped.
    ///
    /// # Errors
    /// When the object is not well formed.
    #[inline(always)]
    pub fn next_member(&mut self, expected: &ExpectedKey) -> Scan<Member<'a>> {
        if !self.member_separator()? {
            return Ok(Member::End);
        }
        if expected.matches(self.bytes.get(self.pos..).unwrap_or_default()) {
            self.pos += expected.len;
            self.after_member = true;
            self.skip_whitespace();
            return Ok(Member::Expected);
        }
        self.key_and_colon().map(Member::Key)
    }

    /// Skips whitespace and the comma before a member; `false` at the closing brace.
    #[inline(always)]
    fn member_separator(&mut self) -> Scan<bool> {
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            Some(b'}') => {
                self.pos += 1;
                return Ok(false);
            }
            Some(b',') if self.after_member => {
                self.pos += 1;
                self.skip_whitespace();
            }
            _ if self.after_member => {
                return self.error(
                    self.pos,
                    format!("expected `,` or `}}` after a member, found {}", self.found()),
                );
            }
            _ => {}
        }
        Ok(true)
    }

    /// The next member's key, or `None` at the object's closing brace. The key's value must
    /// then be read or skipped before the next call.
    ///
    /// # Errors
    /// When the object is not well formed.
    #[inline]
    pub fn next_key(&mut self) -> Scan<Option<Cow<'a, [u8]>>> {
        if self.member_separator()? {
            self.key_and_colon().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A member's quoted key and the colon after it.
    fn key_and_colon(&mut self) -> Scan<Cow<'a, [u8]>> {
        let key = match self.bytes.get(self.pos) {
            Some(&quote @ (b'"' | b'\'')) => self.scan_bytes(quote)?,
            _ => {
                return self.error(
                    self.pos,
                    format!("expected a quoted field name, found {}", self.found()),
                );
            }
        };
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b':') {
            return self.error(
                self.pos,
                format!("expected `:` after a field name, found {}", self.found()),
            );
        }
        self.pos += 1;
        self.skip_whitespace();
        self.after_member = true;
        Ok(key)
    }

    /// Steps over `byte` if it is next: for a decoder's fast path over records in their usual
    /// shape, which checks each separator where it expects one.
    #[inline(always)]
    pub fn expect(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.pos) == Some(&byte);
        self.pos += usize::from(found);
        found
    }

    /// Steps over spaces and tabs — but not line ends, which the fast path must not cross.
    #[inline(always)]
    pub fn skip_spaces(&mut self) {
        while let Some(b' ' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Steps over `byte` after a value, with the spaces before and after it, if it is next:
    /// `,` or `}` in the fast path.
    #[inline(always)]
    pub fn expect_after_value(&mut self, byte: u8) -> bool {
        if !self.expect(byte) {
            self.skip_spaces();
            if !self.expect(byte) {
                return false;
            }
        }
        self.skip_spaces();
        true
    }

    /// Steps over `key` and its colon (`quoted`: the bytes `"name":`, for keys too long to pack)
    /// if they are next, and the spaces after them.
    #[inline(always)]
    pub fn expect_key(&mut self, key: &ExpectedKey, quoted: &[u8]) -> bool {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let found = if key.len == 0 {
            rest.starts_with(quoted)
        } else {
            key.matches(rest)
        };
        if found {
            self.pos += quoted.len();
            self.skip_spaces();
        }
        found
    }

    /// After a record's closing brace, in a buffer of several lines: the position after the
    /// record's line end (`\n`, `\r\n`, or the end of the buffer), when only spaces come before it.
    #[inline(always)]
    #[must_use]
    pub fn line_end(&mut self) -> Option<usize> {
        self.skip_spaces();
        match self.bytes.get(self.pos..self.bytes.len().min(self.pos + 2)) {
            Some([]) => Some(self.pos),
            Some([b'\n', ..]) => Some(self.pos + 1),
            Some(b"\r\n") => Some(self.pos + 2),
            _ => None,
        }
    }

    /// Checks nothing but whitespace follows the record's closing brace.
    ///
    /// # Errors
    /// When something else does.
    pub fn finish(&mut self) -> Scan<()> {
        self.skip_whitespace();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            self.error(
                self.pos,
                format!("unexpected {} after the end of the record", self.found()),
            )
        }
    }

    #[inline(always)]
    fn kind(&self) -> Scan<Kind> {
        Ok(match self.bytes.get(self.pos) {
            Some(&quote @ (b'"' | b'\'')) => Kind::String(quote),
            Some(b'-' | b'0'..=b'9' | b'N' | b'I') => Kind::Number,
            Some(b't') => Kind::True,
            Some(b'f') => Kind::False,
            Some(b'n') => Kind::Null,
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            _ => return self.error(self.pos, format!("expected a value, found {}", self.found())),
        })
    }

    fn literal(&mut self, word: &'static str) -> Scan<()> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) && !self.ident_continues(self.pos + word.len()) {
            self.pos += word.len();
            Ok(())
        } else {
            self.error(self.pos, format!("expected a value, found {}", self.found()))
        }
    }

    fn ident_continues(&self, at: usize) -> bool {
        self.bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    }

    /// Skips any value, validating it.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn skip_value(&mut self) -> Scan<()> {
        self.skip_nested(0)
    }

    fn skip_nested(&mut self, depth: usize) -> Scan<()> {
        if depth > MAX_DEPTH {
            return self.error(self.pos, format!("values nested more than {MAX_DEPTH} deep"));
        }
        match self.kind()? {
            Kind::String(quote) => self.skip_string(quote),
            Kind::Number => self.scan_number().map(|_| ()),
            Kind::True => self.literal("true"),
            Kind::False => self.literal("false"),
            Kind::Null => self.literal("null"),
            Kind::Object => {
                self.pos += 1;
                let outer = std::mem::replace(&mut self.after_member, false);
                while self.next_key()?.is_some() {
                    self.skip_nested(depth + 1)?;
                }
                self.after_member = outer;
                Ok(())
            }
            Kind::Array => {
                self.pos += 1;
                self.skip_whitespace();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_whitespace();
                    self.skip_nested(depth + 1)?;
                    self.skip_whitespace();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => {
                            return self.error(
                                self.pos,
                                format!("expected `,` or `]` in an array, found {}", self.found()),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Skips a value that does not fit its column and reports the mismatch.
    fn mismatch<T>(&mut self, expected: &'static str) -> Scan<Field<T>> {
        let start = self.pos;
        self.skip_value()?;
        Ok(Field::mismatch(start..self.pos, expected))
    }

    /// Reads a value for an array column, each element with `element` (a `null` element is
    /// `None`). A value that is not an array, or an element that does not fit, is a mismatch;
    /// the rest of the array is still validated.
    ///
    /// ```
    /// use stream_core::decode::json::{Field, JsonCursor};
    /// let mut cursor = JsonCursor::new(br#"[1, null, 3]"#);
    /// assert_eq!(cursor.array(JsonCursor::i32).unwrap(), Field::Value(vec![Some(1), None, Some(3)]));
    /// let mut cursor = JsonCursor::new(br#"[1, "x"]"#);
    /// assert!(matches!(cursor.array(JsonCursor::i32).unwrap(), Field::Mismatch(_)));
    /// ```
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn array<T>(&mut self, mut element: impl FnMut(&mut Self) -> Scan<Field<T>>) -> Scan<Field<Vec<Option<T>>>> {
        match self.kind()? {
            Kind::Null => return self.literal("null").map(|()| Field::Null),
            Kind::Array => {}
            _ => return self.mismatch("an array"),
        }
        let start = self.pos;
        self.pos += 1;
        let outer = std::mem::replace(&mut self.after_member, false);
        let mut items = Vec::new();
        let mut mismatch = None;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                match element(self)? {
                    Field::Value(value) => items.push(Some(value)),
                    Field::Null => items.push(None),
                    Field::Mismatch(found) => {
                        mismatch.get_or_insert(found);
                    }
                }
                self.skip_whitespace();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return self.error(
                            self.pos,
                            format!("expected `,` or `]` in an array, found {}", self.found()),
                        );
                    }
                }
            }
        }
        self.after_member = outer;
        Ok(match mismatch {
            Some(found) => Field::Mismatch(Mismatch {
                span: start..self.pos,
                expected: found.expected,
            }),
            None => Field::Value(items),
        })
    }

    /// Reads a value for a struct column: an object whose members `member` reads or skips, given
    /// each key (its value must be read or skipped before it returns). A value that is not an
    /// object is a mismatch.
    ///
    /// ```
    /// use stream_core::decode::json::{Field, JsonCursor};
    /// let mut cursor = JsonCursor::new(br#"{"os": "ios", "extra": [1]}"#);
    /// let mut os = None;
    /// let shape = cursor.object(|cursor, key| match key {
    ///     b"os" => cursor.string().map(|field| os = Some(field)),
    ///     _ => cursor.skip_value(),
    /// });
    /// assert_eq!(shape.unwrap(), Field::Value(()));
    /// assert_eq!(os, Some(Field::Value("ios".into())));
    /// ```
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Scan<()>) -> Scan<Field<()>> {
        match self.kind()? {
            Kind::Null => return self.literal("null").map(|()| Field::Null),
            Kind::Object => {}
            _ => return self.mismatch("an object"),
        }
        self.pos += 1;
        let outer = std::mem::replace(&mut self.after_member, false);
        while let Some(key) = self.next_key()? {
            member(self, &key)?;
        }
        self.after_member = outer;
        Ok(Field::Value(()))
    }

    /// Reads a value for a map column (string keys): an object's members in order, each value
    /// with `value` (a `null` value is `None`). A value that is not an object, or a member value
    /// that does not fit, is a mismatch.
    ///
    /// ```
    /// use stream_core::decode::json::{Field, JsonCursor};
    /// let mut cursor = JsonCursor::new(br#"{"k": "v", "n": null}"#);
    /// let Field::Value(entries) = cursor.map(JsonCursor::string).unwrap() else { panic!() };
    /// assert_eq!(entries, [("k".into(), Some("v".into())), ("n".into(), None)]);
    /// ```
    ///
    /// # Errors
    /// When the value is not valid JSON, or a key is not UTF-8.
    #[allow(clippy::type_complexity)]
    pub fn map<T>(
        &mut self,
        mut value: impl FnMut(&mut Self) -> Scan<Field<T>>,
    ) -> Scan<Field<Vec<(Cow<'a, str>, Option<T>)>>> {
        match self.kind()? {
            Kind::Null => return self.literal("null").map(|()| Field::Null),
            Kind::Object => {}
            _ => return self.mismatch("an object (a map)"),
        }
        let start = self.pos;
        self.pos += 1;
        let outer = std::mem::replace(&mut self.after_member, false);
        let mut entries = Vec::new();
        let mut mismatch = None;
        while let Some(key) = self.next_key()? {
            let at = self.pos;
            let key = match key {
                Cow::Borrowed(bytes) => std::str::from_utf8(bytes).map(Cow::Borrowed).ok(),
                Cow::Owned(bytes) => String::from_utf8(bytes).map(Cow::Owned).ok(),
            };
            let Some(key) = key else {
                return self.error(at, "invalid UTF-8 in a field name");
            };
            match value(self)? {
                Field::Value(item) => entries.push((key, Some(item))),
                Field::Null => entries.push((key, None)),
                Field::Mismatch(found) => {
                    mismatch.get_or_insert(found);
                }
            }
        }
        self.after_member = outer;
        Ok(match mismatch {
            Some(found) => Field::Mismatch(Mismatch {
                span: start..self.pos,
                expected: found.expected,
            }),
            None => Field::Value(entries),
        })
    }

    /// [`map`](Self::map) for a map whose values may not be null: a `null` value is a mismatch.
    ///
    /// # Errors
    /// When the value is not valid JSON, or a key is not UTF-8.
    #[allow(clippy::type_complexity)]
    pub fn map_present<T>(
        &mut self,
        value: impl FnMut(&mut Self) -> Scan<Field<T>>,
    ) -> Scan<Field<Vec<(Cow<'a, str>, T)>>> {
        let start = self.pos;
        Ok(match self.map(value)? {
            Field::Value(entries) => {
                let present: Option<Vec<(Cow<'a, str>, T)>> = entries
                    .into_iter()
                    .map(|(key, value)| value.map(|value| (key, value)))
                    .collect();
                present.map_or_else(
                    || Field::mismatch(start..self.pos, "a map without null values"),
                    Field::Value,
                )
            }
            Field::Null => Field::Null,
            Field::Mismatch(found) => Field::Mismatch(found),
        })
    }

    /// Reads a value of a type that reads itself from JSON (a struct column's row struct).
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn nested<T: ReadJson>(&mut self, problem: &mut Option<Mismatch>) -> Scan<Field<T>> {
        T::read_json(self, problem)
    }

    /// Where the cursor is in the record, in bytes.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// [`array`](Self::array) for an array whose elements may not be null: a `null` element is a
    /// mismatch.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn array_present<T>(&mut self, element: impl FnMut(&mut Self) -> Scan<Field<T>>) -> Scan<Field<Vec<T>>> {
        let start = self.pos;
        Ok(match self.array(element)? {
            Field::Value(items) => match items.into_iter().collect::<Option<Vec<T>>>() {
                Some(items) => Field::Value(items),
                None => Field::mismatch(start..self.pos, "an array without null elements"),
            },
            Field::Null => Field::Null,
            Field::Mismatch(found) => Field::Mismatch(found),
        })
    }

    /// Reads a value for a string column. A string is its text; any other value but `null`
    /// is its JSON text as written (Spark's behaviour: `123` reads as `"123"`).
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline(always)]
    pub fn string(&mut self) -> Scan<Field<Cow<'a, str>>> {
        // The common case first: a double-quoted string of plain ASCII.
        if let Some(text) = self.plain_string() {
            return Ok(Field::Value(Cow::Borrowed(text)));
        }
        self.string_general()
    }

    /// If a double-quoted string without escapes or non-ASCII text opens at the cursor: its
    /// text, with the cursor moved past it.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a str> {
        let (text, next) = plain_ascii_string(self.bytes, self.pos)?;
        self.pos = next;
        Some(text)
    }

    #[inline(never)]
    fn string_general(&mut self) -> Scan<Field<Cow<'a, str>>> {
        match self.kind()? {
            Kind::String(quote) => self.scan_string(quote).map(Field::Value),
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => {
                let start = self.pos;
                self.skip_value()?;
                let text = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| SyntaxError {
                    offset: start,
                    message: "invalid UTF-8".into(),
                })?;
                if self.reprints
                    && let Some(reprinted) = crate::json_text::reprint(text)
                {
                    return Ok(Field::Value(Cow::Owned(reprinted)));
                }
                Ok(Field::Value(Cow::Borrowed(text)))
            }
        }
    }

    /// [`string_present`](Self::string_present) in the shape of [`string`](Self::string), for
    /// a decoder shared by queries that do and do not read the column: a value reads as `""`.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline(always)]
    pub fn string_unread(&mut self) -> Scan<Field<Cow<'a, str>>> {
        Ok(match self.string_present()? {
            Field::Value(()) => Field::Value(Cow::Borrowed("")),
            Field::Null => Field::Null,
            Field::Mismatch(mismatch) => Field::Mismatch(mismatch),
        })
    }

    /// Validates a value for a string column the query does not read: any value fits, so
    /// this only tells null from a value, without building the text.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline(always)]
    pub fn string_present(&mut self) -> Scan<Field<()>> {
        if self.plain_string().is_some() {
            return Ok(Field::Value(()));
        }
        self.string_present_general()
    }

    #[inline(never)]
    fn string_present_general(&mut self) -> Scan<Field<()>> {
        match self.kind()? {
            Kind::Null => self.literal("null").map(|()| Field::Null),
            Kind::String(quote) => self.skip_string(quote).map(|()| Field::Value(())),
            _ => self.skip_value().map(|()| Field::Value(())),
        }
    }

    /// Reads a value for a double column: a number, `NaN`, `Infinity`, `-Infinity`, or one of
    /// those three words as a string (as Spark accepts).
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline(always)]
    pub fn f64(&mut self) -> Scan<Field<f64>> {
        if let Some(value) = self.plain_decimal() {
            return Ok(Field::Value(value));
        }
        if let Some(b'0'..=b'9' | b'-') = self.bytes.get(self.pos) {
            let start = self.pos;
            let number = self.scan_number()?;
            return Ok(Field::Value(
                self.integer_zero_is_positive(start, number.to_f64(self.bytes)),
            ));
        }
        self.f64_general()
    }

    /// `value`, read from the number at `start`, with the integer `-0` as 0.0: Jackson reads an
    /// integer as an integer first.
    fn integer_zero_is_positive(&self, start: usize, value: f64) -> f64 {
        let token = self.bytes.get(start..self.pos).unwrap_or_default();
        if value == 0.0 && !token.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            0.0
        } else {
            value
        }
    }

    /// If a number of the common form opens at the cursor, its value, with the cursor moved
    /// past it; `None` (the cursor unmoved) for anything else, which `scan_number` reads. See
    /// [`plain_decimal`].
    #[inline(always)]
    fn plain_decimal(&mut self) -> Option<f64> {
        let (value, length) = plain_decimal(self.bytes.get(self.pos..)?)?;
        self.pos += length;
        Some(value)
    }

    #[inline(never)]
    fn f64_general(&mut self) -> Scan<Field<f64>> {
        match self.kind()? {
            Kind::Number => {
                let start = self.pos;
                let number = self.scan_number()?;
                Ok(Field::Value(
                    self.integer_zero_is_positive(start, number.to_f64(self.bytes)),
                ))
            }
            Kind::Null => self.literal("null").map(|()| Field::Null),
            Kind::String(quote) => {
                let start = self.pos;
                let text = self.scan_bytes(quote)?;
                Ok(match &*text {
                    b"NaN" => Field::Value(f64::NAN),
                    b"Infinity" | b"+Infinity" | b"INF" | b"+INF" => Field::Value(f64::INFINITY),
                    b"-Infinity" | b"-INF" => Field::Value(f64::NEG_INFINITY),
                    _ => Field::mismatch(start..self.pos, "a double"),
                })
            }
            _ => self.mismatch("a double"),
        }
    }

    /// Reads a value for a bigint column: an integer without fraction or exponent, in range.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline]
    pub fn i64(&mut self) -> Scan<Field<i64>> {
        match self.kind()? {
            Kind::Number => {
                let start = self.pos;
                let number = self.scan_number()?;
                Ok(number
                    .to_i64(self.bytes)
                    .map_or_else(|| Field::mismatch(start..self.pos, "a bigint"), Field::Value))
            }
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => self.mismatch("a bigint"),
        }
    }

    /// Reads a value for an int column: an integer without fraction or exponent, in range.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn i32(&mut self) -> Scan<Field<i32>> {
        let start = self.pos;
        Ok(match self.i64()? {
            Field::Value(value) => {
                i32::try_from(value).map_or_else(|_| Field::mismatch(start..self.pos, "an int"), Field::Value)
            }
            Field::Null => Field::Null,
            Field::Mismatch(_) => Field::mismatch(start..self.pos, "an int"),
        })
    }

    /// Reads a value for a smallint column: an integer without fraction or exponent, in range.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn i16(&mut self) -> Scan<Field<i16>> {
        self.narrow_integer("a smallint")
    }

    /// Reads a value for a tinyint column: an integer without fraction or exponent from -128
    /// to 255 — 128 to 255 wrap to negative, as Spark's JSON parser (Jackson's `getByteValue`)
    /// reads them.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn i8(&mut self) -> Scan<Field<i8>> {
        let start = self.pos;
        Ok(match self.narrow_integer::<i16>("a tinyint")? {
            Field::Value(value @ -128..=255) => Field::Value(value.to_le_bytes()[0].cast_signed()),
            Field::Null => Field::Null,
            Field::Value(_) | Field::Mismatch(_) => Field::mismatch(start..self.pos, "a tinyint"),
        })
    }

    fn narrow_integer<T: TryFrom<i64>>(&mut self, expected: &'static str) -> Scan<Field<T>> {
        let start = self.pos;
        Ok(match self.i64()? {
            Field::Value(value) => {
                T::try_from(value).map_or_else(|_| Field::mismatch(start..self.pos, expected), Field::Value)
            }
            Field::Null => Field::Null,
            Field::Mismatch(_) => Field::mismatch(start..self.pos, expected),
        })
    }

    /// Reads a value for a float column: what a double column takes, the number rounded once,
    /// straight to the nearest float (through a double, a decimal halfway between two floats
    /// could round twice, and wrongly).
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn f32(&mut self) -> Scan<Field<f32>> {
        if let Kind::Number = self.kind()? {
            let number = self.scan_number()?;
            return Ok(Field::Value(number.to_f32(self.bytes)));
        }
        Ok(match self.f64_general()? {
            #[allow(clippy::cast_possible_truncation, reason = "NaN and the infinities only")]
            Field::Value(value) => Field::Value(value as f32),
            Field::Null => Field::Null,
            Field::Mismatch(mismatch) => Field::Mismatch(mismatch),
        })
    }

    /// Reads a value for a decimal column as Spark does: a number, exact (never through a
    /// double), or a string holding one (grouping commas dropped), rounded half up to the
    /// scale; one that does not fit the precision is a mismatch, as are NaN and the infinities.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn decimal<const P: u8, const S: u8>(&mut self) -> Scan<Field<Decimal<P, S>>> {
        let start = self.pos;
        match self.kind()? {
            Kind::Number => {
                let number = self.scan_number()?;
                let value = number
                    .special
                    .is_none()
                    .then(|| Decimal::parse_bytes(&self.bytes[number.span.clone()]))
                    .flatten();
                Ok(value.map_or_else(|| Field::mismatch(start..self.pos, "a decimal"), Field::Value))
            }
            Kind::String(quote) => {
                let text = self.scan_bytes(quote)?;
                Ok(Decimal::parse_field(&text)
                    .map_or_else(|| Field::mismatch(start..self.pos, "a decimal"), Field::Value))
            }
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => self.mismatch("a decimal"),
        }
    }

    /// Reads a value for a boolean column: `true` or `false`.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn bool(&mut self) -> Scan<Field<bool>> {
        match self.kind()? {
            Kind::True => self.literal("true").map(|()| Field::Value(true)),
            Kind::False => self.literal("false").map(|()| Field::Value(false)),
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => self.mismatch("a boolean"),
        }
    }

    /// Reads a value for a timestamp column: a string as Spark casts one to a timestamp, or an
    /// integer number of seconds since the epoch.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    #[inline(always)]
    pub fn timestamp(&mut self) -> Scan<Field<Timestamp>> {
        let start = self.pos;
        if let Some(text) = self.plain_string() {
            return Ok(Timestamp::parse_bytes(text.as_bytes())
                .map_or_else(|| Field::mismatch(start..self.pos, "a timestamp"), Field::Value));
        }
        self.timestamp_general()
    }

    #[inline(never)]
    fn timestamp_general(&mut self) -> Scan<Field<Timestamp>> {
        let start = self.pos;
        match self.kind()? {
            Kind::String(quote) => {
                let text = self.scan_bytes(quote)?;
                Ok(Timestamp::parse_bytes(&text)
                    .map_or_else(|| Field::mismatch(start..self.pos, "a timestamp"), Field::Value))
            }
            Kind::Number => {
                let number = self.scan_number()?;
                Ok(number
                    .to_i64(self.bytes)
                    .and_then(|seconds| seconds.checked_mul(1_000_000))
                    .map_or_else(
                        || Field::mismatch(start..self.pos, "a timestamp"),
                        |micros| Field::Value(Timestamp::from_micros(micros)),
                    ))
            }
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => self.mismatch("a timestamp"),
        }
    }

    /// Reads a value for a date column: a string as Spark casts one to a date.
    ///
    /// # Errors
    /// When the value is not valid JSON.
    pub fn date(&mut self) -> Scan<Field<Date>> {
        let start = self.pos;
        match self.kind()? {
            Kind::String(quote) => {
                let text = self.scan_string(quote)?;
                Ok(Date::parse_prefix(&text).map_or_else(|| Field::mismatch(start..self.pos, "a date"), Field::Value))
            }
            Kind::Null => self.literal("null").map(|()| Field::Null),
            _ => self.mismatch("a date"),
        }
    }

    /// Skips a string, validating it, without building its text.
    #[inline]
    fn skip_string(&mut self, quote: u8) -> Scan<()> {
        let (end, special) = find_string_stop(self.bytes, self.pos + 1, quote, true);
        if special == Some(quote) {
            self.pos = end + 1;
            Ok(())
        } else {
            self.scan_bytes(quote).map(|_| ())
        }
    }

    /// Reads the string opening at the cursor (with `quote`), unescaping it when needed.
    #[inline]
    fn scan_string(&mut self, quote: u8) -> Scan<Cow<'a, str>> {
        let start = self.pos + 1;
        let invalid = |_| SyntaxError {
            offset: start,
            message: "invalid UTF-8 in a string".into(),
        };
        // `scan_bytes` validated the text; this only proves it to the type system.
        Ok(match self.scan_bytes(quote)? {
            Cow::Borrowed(bytes) => Cow::Borrowed(std::str::from_utf8(bytes).map_err(invalid)?),
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8(bytes).map_err(|e| invalid(e.utf8_error()))?),
        })
    }

    /// The unescaped bytes of the string opening at the cursor, checked to be UTF-8.
    #[inline]
    fn scan_bytes(&mut self, quote: u8) -> Scan<Cow<'a, [u8]>> {
        let open = self.pos;
        let start = open + 1;
        let (end, special) = find_string_stop(self.bytes, start, quote, true);
        match special {
            // Only ASCII other than quotes, backslashes and controls was crossed.
            Some(byte) if byte == quote => {
                self.pos = end + 1;
                Ok(Cow::Borrowed(&self.bytes[start..end]))
            }
            _ => self.scan_string_slow(open, quote),
        }
    }

    /// The general case: escapes, non-ASCII text, or an error.
    #[cold]
    fn scan_string_slow(&mut self, open: usize, quote: u8) -> Scan<Cow<'a, [u8]>> {
        let mut out: Vec<u8> = Vec::new();
        let mut escaped = false;
        let mut pos = open + 1;
        let mut run_start = pos;
        loop {
            let (end, special) = find_string_stop(self.bytes, pos, quote, true);
            match special {
                None => return self.error(open, "a string is not closed before the end of the record"),
                Some(byte) if byte == quote => {
                    out.extend_from_slice(&self.bytes[run_start..end]);
                    self.pos = end + 1;
                    return match std::str::from_utf8(&out) {
                        Ok(_) if escaped => Ok(Cow::Owned(out)),
                        Ok(_) => Ok(Cow::Borrowed(&self.bytes[open + 1..end])),
                        Err(error) => self.error(open + 1 + error.valid_up_to(), "invalid UTF-8 in a string"),
                    };
                }
                Some(b'\\') => {
                    out.extend_from_slice(&self.bytes[run_start..end]);
                    escaped = true;
                    pos = self.unescape(end, &mut out)?;
                    run_start = pos;
                }
                Some(byte) if byte < 0x20 => {
                    return self.error(end, format!("unescaped control character 0x{byte:02x} in a string"));
                }
                Some(_) => {
                    // Non-ASCII: validate this UTF-8 sequence and go on.
                    let length = utf8_length(&self.bytes[end..]).ok_or_else(|| SyntaxError {
                        offset: end,
                        message: "invalid UTF-8 in a string".into(),
                    })?;
                    pos = end + length;
                }
            }
        }
    }

    /// Decodes the escape at `at` (a backslash) into `out`; returns the position after it.
    fn unescape(&self, at: usize, out: &mut Vec<u8>) -> Scan<usize> {
        let Some(&letter) = self.bytes.get(at + 1) else {
            return self.error(at, "a string is not closed before the end of the record");
        };
        let simple = match letter {
            b'"' => b'"',
            b'\'' => b'\'',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let (code, mut next) = (self.hex4(at + 2)?, at + 6);
                let ch = if (0xd800..0xdc00).contains(&code) {
                    // A high surrogate must be followed by an escaped low one.
                    let low = if self.bytes.get(next..next + 2) == Some(b"\\u") {
                        self.hex4(next + 2)?
                    } else {
                        0
                    };
                    if !(0xdc00..0xe000).contains(&low) {
                        return self.error(at, "a UTF-16 high surrogate escape without its low half");
                    }
                    next += 6;
                    char::from_u32(0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00))
                } else {
                    char::from_u32(code)
                };
                let Some(ch) = ch else {
                    return self.error(at, "a UTF-16 low surrogate escape without its high half");
                };
                let mut buffer = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
                return Ok(next);
            }
            other => {
                return self.error(
                    at,
                    format!("invalid escape `\\{}` in a string", char::from(other).escape_default()),
                );
            }
        };
        out.push(simple);
        Ok(at + 2)
    }

    fn hex4(&self, at: usize) -> Scan<u32> {
        let digits = self.bytes.get(at..at + 4).unwrap_or_default();
        let text = std::str::from_utf8(digits).unwrap_or_default();
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            u32::from_str_radix(text, 16).or_else(|_| self.error(at, "invalid `\\u` escape"))
        } else {
            self.error(at, "a `\\u` escape needs four hexadecimal digits")
        }
    }

    /// Scans a number (JSON's grammar, plus `NaN`, `Infinity`, `-Infinity`).
    #[inline]
    fn scan_number(&mut self) -> Scan<Number> {
        let start = self.pos;
        let bytes = self.bytes;
        let mut pos = start;
        let negative = bytes.get(pos) == Some(&b'-');
        if negative {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b'N') if !negative => return self.word_number(start, "NaN", Special::NaN),
            Some(b'I') => {
                let special = if negative {
                    Special::NegativeInfinity
                } else {
                    Special::Infinity
                };
                self.pos = pos;
                return self.word_number(start, "Infinity", special);
            }
            _ => {}
        }
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        let integer_start = pos;
        (pos, mantissa) = digit_run(bytes, pos, mantissa);
        let integer_digits = pos - integer_start;
        digits += integer_digits;
        if integer_digits == 0 {
            return self.error(pos, "expected a digit in a number");
        }
        if integer_digits > 1 && bytes[integer_start] == b'0' {
            return self.error(integer_start, "a number may not start with `0` followed by digits");
        }
        let mut fraction_digits = 0usize;
        let mut exponent: i64 = 0;
        let mut integral = true;
        if bytes.get(pos) == Some(&b'.') {
            integral = false;
            pos += 1;
            let fraction_start = pos;
            (pos, mantissa) = digit_run(bytes, pos, mantissa);
            fraction_digits = pos - fraction_start;
            if fraction_digits == 0 {
                return self.error(pos, "expected a digit after the decimal point");
            }
            digits += fraction_digits;
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            integral = false;
            pos += 1;
            let exponent_negative = match bytes.get(pos) {
                Some(b'-') => {
                    pos += 1;
                    true
                }
                Some(b'+') => {
                    pos += 1;
                    false
                }
                _ => false,
            };
            let exponent_start = pos;
            while let Some(&b @ b'0'..=b'9') = bytes.get(pos) {
                exponent = exponent.saturating_mul(10).saturating_add(i64::from(b - b'0'));
                pos += 1;
            }
            if pos == exponent_start {
                return self.error(pos, "expected a digit in an exponent");
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        if self.ident_continues(pos) || bytes.get(pos) == Some(&b'.') {
            return self.error(pos, format!("unexpected `{}` in a number", char::from(bytes[pos])));
        }
        self.pos = pos;
        let decimal_exponent = exponent.saturating_sub(i64::try_from(fraction_digits).unwrap_or(i64::MAX));
        Ok(Number {
            span: start..pos,
            special: None,
            negative,
            mantissa,
            // Up to 19 digits fit a u64 without wrapping.
            exact: digits <= 19,
            decimal_exponent,
            integral,
        })
    }

    fn word_number(&mut self, start: usize, word: &'static str, special: Special) -> Scan<Number> {
        self.literal(word)?;
        Ok(Number {
            span: start..self.pos,
            special: Some(special),
            negative: false,
            mantissa: 0,
            exact: true,
            decimal_exponent: 0,
            integral: false,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Special {
    NaN,
    Infinity,
    NegativeInfinity,
}

/// A scanned number: its text and, when it has at most 19 digits, its decimal parts.
#[derive(Debug)]
struct Number {
    span: std::ops::Range<usize>,
    special: Option<Special>,
    negative: bool,
    mantissa: u64,
    exact: bool,
    decimal_exponent: i64,
    integral: bool,
}

/// Powers of ten that are exact in an f64.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

impl Number {
    fn to_f64(&self, bytes: &[u8]) -> f64 {
        match self.special {
            Some(Special::NaN) => return f64::NAN,
            Some(Special::Infinity) => return f64::INFINITY,
            Some(Special::NegativeInfinity) => return f64::NEG_INFINITY,
            None => {}
        }
        // Clinger's fast path: a mantissa below 2^53 times an exact power of ten rounds once,
        // so the result is correctly rounded — the same as the general parser's.
        // `unsigned_abs`: the exponent saturates, and `i64::MIN.abs()` overflows (and in a
        // release build stays negative, passing this test and indexing out of bounds).
        if self.exact && self.mantissa < (1 << 53) && self.decimal_exponent.unsigned_abs() <= 22 {
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "the mantissa is below 2^53 and the exponent's magnitude at most 22"
            )]
            let value = {
                let mantissa = self.mantissa as f64;
                let power = EXACT_POWERS_OF_TEN[self.decimal_exponent.unsigned_abs() as usize];
                if self.decimal_exponent < 0 {
                    mantissa / power
                } else {
                    mantissa * power
                }
            };
            return if self.negative { -value } else { value };
        }
        std::str::from_utf8(&bytes[self.span.clone()])
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }

    fn to_f32(&self, bytes: &[u8]) -> f32 {
        match self.special {
            Some(Special::NaN) => f32::NAN,
            Some(Special::Infinity) => f32::INFINITY,
            Some(Special::NegativeInfinity) => f32::NEG_INFINITY,
            None => std::str::from_utf8(&bytes[self.span.clone()])
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(f32::NAN),
        }
    }

    fn to_i64(&self, bytes: &[u8]) -> Option<i64> {
        if !self.integral || self.special.is_some() {
            return None;
        }
        if self.exact {
            return if self.negative {
                0i64.checked_sub_unsigned(self.mantissa)
            } else {
                i64::try_from(self.mantissa).ok()
            };
        }
        std::str::from_utf8(&bytes[self.span.clone()]).ok()?.parse().ok()
    }
}

/// The number of the common form at the start of `bytes` — `-?digits(.digits)?`, at most 19
/// digits, the digits below 2^53, at most 22 after the point, not followed by a digit, a point,
/// a letter or `_` — with its length; `None` for anything else. Such a number is an integer
/// divided by an exact power of ten: one correctly rounded division (Clinger's fast path), so
/// the same value `str::parse` gives.
#[inline(always)]
pub(crate) fn plain_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    let negative = bytes.first() == Some(&b'-');
    let integer_start = usize::from(negative);
    let (mut pos, mut mantissa) = digit_run(bytes, integer_start, 0);
    let integer_digits = pos - integer_start;
    if integer_digits == 0 || (integer_digits > 1 && bytes[integer_start] == b'0') {
        return None;
    }
    let mut fraction_digits = 0;
    if bytes.get(pos) == Some(&b'.') {
        let fraction_start = pos + 1;
        (pos, mantissa) = digit_run(bytes, fraction_start, mantissa);
        fraction_digits = pos - fraction_start;
        if fraction_digits == 0 {
            return None;
        }
    }
    // An exponent, a second point or a letter: not this form (or not a number at all).
    if matches!(
        bytes.get(pos),
        Some(b'.' | b'_' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
    ) || integer_digits + fraction_digits > 19
        || mantissa >= 1 << 53
    {
        return None;
    }
    let power = *EXACT_POWERS_OF_TEN.get(fraction_digits)?;
    #[allow(clippy::cast_precision_loss, reason = "the mantissa is below 2^53: exact")]
    let value = mantissa as f64 / power;
    // Jackson reads `-0` as the integer 0, so it is the double 0.0, not -0.0.
    let integer_zero = fraction_digits == 0 && mantissa == 0;
    Some((if negative && !integer_zero { -value } else { value }, pos))
}

/// Powers of ten up to 10^8, for appending a run of up to eight digits to a mantissa.
const DIGIT_SCALES: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// Reads the decimal digits from `pos` on, appending them to `mantissa` (modulo 2^64, as one
/// digit at a time would): the position after the last digit and the new mantissa. Eight bytes
/// at a time in a `u64`: numbers are most of some records, and a digit at a time costs a
/// bounds check, a compare and a multiply each.
#[inline(always)]
fn digit_run(bytes: &[u8], mut pos: usize, mut mantissa: u64) -> (usize, u64) {
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let values = word.wrapping_sub(0x3030_3030_3030_3030);
        // A byte's high bit is set here when it is not a digit: below `0` it wraps (a digit
        // before it never borrows), above `9` adding 0x76 carries into the high bit. Bytes after
        // the first non-digit may be wrong, and are not used.
        let non_digits = (values | values.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
        let count = (non_digits.trailing_zeros() / 8) as usize;
        if count == 0 {
            return (pos, mantissa);
        }
        // The digits moved to the high bytes, zeros before them: the same number.
        let digits = values << (8 * (8 - count));
        let pairs = (digits & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
        let quads = (pairs & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
        let value = (quads & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32;
        mantissa = mantissa.wrapping_mul(DIGIT_SCALES[count]).wrapping_add(value);
        pos += count;
        if count < 8 {
            return (pos, mantissa);
        }
    }
    while let Some(&b @ b'0'..=b'9') = bytes.get(pos) {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        pos += 1;
    }
    (pos, mantissa)
}

/// The length of the valid UTF-8 sequence at the start of `bytes`, if there is one.
fn utf8_length(bytes: &[u8]) -> Option<usize> {
    let length = match bytes.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    std::str::from_utf8(bytes.get(..length)?).ok().map(str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_f64(text: &str) -> Scan<Field<f64>> {
        JsonCursor::new(text.as_bytes()).f64()
    }

    #[test]
    fn numbers_parse_exactly_as_the_standard_parser() {
        // Jackson reads the integer `-0` as 0, so it is the double 0.0; `-0.0` stays negative.
        assert_eq!(read_f64("-0").unwrap(), Field::Value(0.0));
        assert!(matches!(read_f64("-0"), Ok(Field::Value(v)) if v.is_sign_positive()));
        assert!(matches!(read_f64("-0.0"), Ok(Field::Value(v)) if v.is_sign_negative()));
        for text in [
            "0",
            "24.5",
            "1234.56",
            "1e2",
            "1E400",
            "-1e-400",
            "0.1",
            "123456789012345678901234567890",
            "9007199254740993",
            "2.2250738585072014e-308",
            "17976931348623157e292",
            "1.7976931348623157e308",
            "0.30000000000000004",
            "-12.375e-3",
        ] {
            let expected: f64 = text.parse().unwrap();
            match read_f64(text).unwrap() {
                Field::Value(value) => assert_eq!(value.to_bits(), expected.to_bits(), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    /// Found while writing the `json_decoder` fuzz target (by reading `to_f64`; the target
    /// panics on it): an exponent that saturates to `-i64::MAX`, less one fraction digit, is
    /// `i64::MIN`, whose `abs()` overflowed — a panic, or in a release build an index out of
    /// bounds.
    #[test]
    fn saturated_exponents_do_not_overflow() {
        for (text, expected) in [
            ("1.0e-99999999999999999999", 0.0),
            ("0.5e-9223372036854775807", 0.0),
            ("1.5e99999999999999999999", f64::INFINITY),
        ] {
            assert_eq!(read_f64(text).unwrap(), Field::Value(expected), "{text}");
        }
        assert!(matches!(
            JsonCursor::new(b"1.0e-99999999999999999999").i64().unwrap(),
            Field::Mismatch(_)
        ));
    }

    #[test]
    fn malformed_numbers_are_syntax_errors() {
        for text in [
            "01", "-", "+1", ".5", "1.", "1e", "1.5.2", "1x", "-01", "Nan", "infinity",
        ] {
            assert!(read_f64(text).is_err(), "{text} should not parse");
        }
    }

    #[test]
    fn special_doubles_as_spark_reads_them() {
        assert!(matches!(read_f64("NaN").unwrap(), Field::Value(v) if v.is_nan()));
        assert_eq!(read_f64("-Infinity").unwrap(), Field::Value(f64::NEG_INFINITY));
        assert_eq!(read_f64("\"Infinity\"").unwrap(), Field::Value(f64::INFINITY));
        assert!(matches!(read_f64("\"12.5\"").unwrap(), Field::Mismatch(_)));
        assert!(matches!(read_f64("true").unwrap(), Field::Mismatch(_)));
        assert!(matches!(read_f64("[1]").unwrap(), Field::Mismatch(_)));
    }

    #[test]
    fn integers_refuse_fractions_exponents_and_overflow() {
        let read = |text: &str| JsonCursor::new(text.as_bytes()).i64().unwrap();
        assert_eq!(read("-9223372036854775808"), Field::Value(i64::MIN));
        assert_eq!(read("-0"), Field::Value(0));
        for text in ["9223372036854775808", "1.5", "1e2", "10.0", "\"5\""] {
            assert!(matches!(read(text), Field::Mismatch(_)), "{text}");
        }
        assert!(matches!(
            JsonCursor::new(b"2147483648").i32().unwrap(),
            Field::Mismatch(_)
        ));
    }

    #[test]
    fn strings_unescape_and_validate() {
        fn read(text: &[u8]) -> Scan<Field<Cow<'_, str>>> {
            JsonCursor::new(text).string()
        }
        assert_eq!(read(br#""u5\u00e9\n""#).unwrap(), Field::Value("u5é\n".into()));
        assert_eq!(read(br#""\ud83d\ude00""#).unwrap(), Field::Value("😀".into()));
        assert_eq!(
            read("\"héllo wörld, long enough\"".as_bytes()).unwrap(),
            Field::Value("héllo wörld, long enough".into())
        );
        assert_eq!(
            read(b"'single \"quoted\"'").unwrap(),
            Field::Value("single \"quoted\"".into())
        );
        assert_eq!(read(b"123").unwrap(), Field::Value("123".into()));
        assert_eq!(
            read(br#"{"x": 1, "y":[true]}"#).unwrap(),
            Field::Value(r#"{"x": 1, "y":[true]}"#.into())
        );
        assert_eq!(read(b"null").unwrap(), Field::Null);
        for bad in [
            &b"\"tab\there\""[..],
            b"\"\\x41\"",
            b"\"u15\xff\xfe\"",
            b"\"open",
            b"\"\\ud83d\"",
            b"\"\\u12\"",
        ] {
            assert!(read(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn records_are_one_object_with_nothing_after_it() {
        let scan = |text: &str| -> Scan<Vec<String>> {
            let mut cursor = JsonCursor::new(text.as_bytes());
            cursor.begin_object()?;
            let mut keys = Vec::new();
            while let Some(key) = cursor.next_key()? {
                keys.push(String::from_utf8_lossy(&key).into_owned());
                cursor.skip_value()?;
            }
            cursor.finish()?;
            Ok(keys)
        };
        assert_eq!(
            scan(r#" {"a" : 1 , "b":[1,{"c":null}],"c":{}}  "#).unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(scan("{}").unwrap(), Vec::<String>::new());
        for bad in [
            r#"{"a":1} trailing"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":1,}"#,
            r#"{a:1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1"#,
            r#"[{"a":1}]"#,
            "null",
            r#"{"a":tru}"#,
            r#"{"a":[1,]}"#,
        ] {
            assert!(scan(bad).is_err(), "{bad}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(600), "]".repeat(600));
        assert!(scan(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn digit_runs_read_eight_at_a_time_as_one_at_a_time() {
        let plain = |bytes: &[u8], mut pos: usize| {
            let mut mantissa = 7u64;
            while let Some(&b @ b'0'..=b'9') = bytes.get(pos) {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
                pos += 1;
            }
            (pos, mantissa)
        };
        for text in [
            "",
            "0",
            "5x",
            "12345678",
            "123456789",
            "1809.16",
            "99999999999999999999999,",
            "0000000000012/",
            "9:",
            "1\u{ff}2",
        ] {
            for tail in ["", "}", ", \"next\": 1}", "01234567890123"] {
                let bytes = format!("{text}{tail}");
                for from in 0..=text.len() {
                    assert_eq!(
                        digit_run(bytes.as_bytes(), from, 7),
                        plain(bytes.as_bytes(), from),
                        "{bytes:?} from {from}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// The common-form path reads every number as the general one does, to the bit, and
        /// leaves the cursor at the same place.
        #[test]
        fn plain_decimals_read_as_the_general_path(text in "-?[0-9]{1,21}(\\.[0-9]{0,24})?([eE][+-]?[0-9]{1,3})?[,}x._ ]?") {
            let mut fast = JsonCursor::new(text.as_bytes());
            let mut general = JsonCursor::new(text.as_bytes());
            let general_value = general.f64_general();
            if let Some(value) = fast.plain_decimal() {
                proptest::prop_assert_eq!(general_value, Ok(Field::Value(value)));
                proptest::prop_assert_eq!(fast.pos, general.pos);
                // As the standard parser, but the integer `-0` is 0.0, as Jackson reads it.
                let token = &text[..fast.pos];
                let parsed = token.parse::<f64>().unwrap();
                let expected = if parsed == 0.0 && !token.contains(['.', 'e', 'E']) { 0.0 } else { parsed };
                proptest::prop_assert_eq!(value.to_bits(), expected.to_bits());
            } else {
                proptest::prop_assert_eq!(fast.pos, 0);
            }
        }
    }
}
