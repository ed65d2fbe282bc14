//! Spark's regular expressions are Java's (`java.util.regex`); Rill runs them on the `regex`
//! crate, which has no backtracking: matching is linear in the text, whatever the pattern. This
//! module turns a Java pattern into the `regex` crate's syntax with Java's meaning, refuses
//! what the crate cannot do (lookaround, backreferences, possessive quantifiers, atomic groups)
//! with a message that says so, and parses Java's replacement strings (`$1`, `${name}`, `\$`).
//!
//! The differences it bridges: Java's `\d`, `\w`, `\s` and `\p{Alpha}`-style POSIX classes are
//! ASCII, the crate's are Unicode; Java writes `\uFFFF`, `\0oo`, `\cX`, `\Q..\E`, the crate
//! does not. The macro checks every pattern literal with [`JavaRegex::new`] at compile time;
//! the runtime compiles [`JavaRegex::pattern`], so a pattern that compiled never fails.
//!
//! ```
//! use stream_grammar::regex::{JavaRegex, Replacement};
//! let regex = JavaRegex::new(r"([a-z]+)-(\d+)").unwrap();
//! assert_eq!(regex.groups(), 2);
//! assert_eq!(regex.pattern(), "([a-z]+)-([[:digit:]]+)");
//! let swap = Replacement::new("$2:$1", &regex).unwrap();
//! assert_eq!(swap.to_string(), "${2}:${1}");
//! assert!(JavaRegex::new(r"a(?=b)").unwrap_err().to_string().contains("lookahead"));
//! ```

use std::fmt;

/// Why a Java pattern or replacement cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    /// A Java construct the linear-time engine does not have.
    Unsupported(&'static str),
    /// The pattern is not a valid regular expression.
    Syntax(String),
    /// A replacement refers to a group the pattern does not have, or is malformed.
    Replacement(String),
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(what) => write!(
                f,
                "{what} is not supported: Rill's regular expressions run in linear time, without backtracking"
            ),
            Self::Syntax(message) => f.write_str(message),
            Self::Replacement(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for RegexError {}

/// A Java regular expression, checked and translated to the `regex` crate's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaRegex {
    pattern: String,
    groups: usize,
    names: Vec<(String, usize)>,
}

impl JavaRegex {
    /// Translates and checks `java`.
    ///
    /// # Errors
    /// [`RegexError`] for an invalid pattern or a construct the engine does not have.
    pub fn new(java: &str) -> Result<Self, RegexError> {
        let pattern = translate(java)?;
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&pattern)
            .map_err(|error| RegexError::Syntax(syntax_message(&error)))?;
        let groups = hir.properties().explicit_captures_len();
        let mut names = Vec::new();
        collect_names(&hir, &mut names);
        Ok(Self { pattern, groups, names })
    }

    /// The pattern in the `regex` crate's syntax.
    #[must_use]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The number of capturing groups.
    #[must_use]
    pub fn groups(&self) -> usize {
        self.groups
    }

    fn group_named(&self, name: &str) -> Option<usize> {
        self.names.iter().find(|(n, _)| n == name).map(|(_, index)| *index)
    }
}

fn collect_names(hir: &regex_syntax::hir::Hir, names: &mut Vec<(String, usize)>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) => {
            if let Some(name) = &capture.name {
                names.push((name.to_string(), capture.index as usize));
            }
            collect_names(&capture.sub, names);
        }
        HirKind::Repetition(repetition) => collect_names(&repetition.sub, names),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            for part in parts {
                collect_names(part, names);
            }
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
    }
}

/// The parser's message, on one line, without its drawing of the pattern.
fn syntax_message(error: &regex_syntax::Error) -> String {
    match error {
        regex_syntax::Error::Parse(error) => error.kind().to_string(),
        regex_syntax::Error::Translate(error) => error.kind().to_string(),
        other => other.to_string(),
    }
}

/// Java's POSIX class names (`\p{Alpha}`), which are ASCII, and the crate's names for them.
const POSIX: [(&str, &str); 13] = [
    ("Lower", "lower"),
    ("Upper", "upper"),
    ("ASCII", "ascii"),
    ("Alpha", "alpha"),
    ("Digit", "digit"),
    ("Alnum", "alnum"),
    ("Punct", "punct"),
    ("Graph", "graph"),
    ("Print", "print"),
    ("Blank", "blank"),
    ("Cntrl", "cntrl"),
    ("XDigit", "xdigit"),
    ("Space", "space"),
];

/// An ASCII class by its crate name: `[[:digit:]]` outside a class, `[:digit:]` inside one.
fn ascii_class(out: &mut String, name: &str, negated: bool, in_class: bool) {
    let caret = if negated { "^" } else { "" };
    if in_class {
        out.push_str(&format!("[:{caret}{name}:]"));
    } else {
        out.push_str(&format!("[[:{caret}{name}:]]"));
    }
}

fn push_char(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
}

/// Java's syntax to the crate's, construct by construct; see the module's documentation.
fn translate(java: &str) -> Result<String, RegexError> {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 8);
    let mut class_depth = 0usize;
    // Java's `u` flag (Unicode case folding) anywhere: `(?iu)`, `(?u:..)`.
    let unicode_case = java.match_indices("(?").any(|(at, _)| {
        java[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .any(|c| c == 'u')
    });
    let mut i = 0;
    // Whether the previous element was a quantifier (for possessive `*+`).
    let mut after_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        let quantifier_before = std::mem::take(&mut after_quantifier);
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err(RegexError::Syntax(
                        "the pattern ends with an unfinished escape `\\`".into(),
                    ));
                };
                i += 2;
                let in_class = class_depth > 0;
                match next {
                    'd' | 'D' => ascii_class(&mut out, "digit", next == 'D', in_class),
                    'w' | 'W' => ascii_class(&mut out, "word", next == 'W', in_class),
                    's' | 'S' => ascii_class(&mut out, "space", next == 'S', in_class),
                    'p' | 'P' => {
                        let negated = next == 'P';
                        let name: String = if chars.get(i) == Some(&'{') {
                            let end = chars[i..]
                                .iter()
                                .position(|&c| c == '}')
                                .ok_or_else(|| RegexError::Syntax("unclosed `\\p{` character property".into()))?;
                            let name = chars[i + 1..i + end].iter().collect();
                            i += end + 1;
                            name
                        } else {
                            let name = chars.get(i).map(char::to_string).unwrap_or_default();
                            i += 1;
                            name
                        };
                        if let Some((_, crate_name)) = POSIX.iter().find(|(java_name, _)| *java_name == name) {
                            ascii_class(&mut out, crate_name, negated, in_class);
                        } else {
                            // `IsLatin`, `IsAlphabetic`: Java's `Is` prefix names a script or property.
                            let name = name.strip_prefix("Is").unwrap_or(&name);
                            out.push_str(&format!("\\{next}{{{name}}}"));
                        }
                    }
                    'Q' => {
                        let rest: String = chars[i..].iter().collect();
                        let (quoted, consumed) = match rest.find("\\E") {
                            Some(end) => (&rest[..end], end + 2),
                            None => (rest.as_str(), rest.len()),
                        };
                        out.push_str(&regex_syntax::escape(quoted));
                        i += rest[..consumed].chars().count();
                    }
                    'u' => {
                        let hex: String = chars.get(i..i + 4).map(|h| h.iter().collect()).unwrap_or_default();
                        let code = u32::from_str_radix(&hex, 16)
                            .map_err(|_| RegexError::Syntax("`\\u` needs four hexadecimal digits".into()))?;
                        out.push_str(&format!("\\x{{{code:X}}}"));
                        i += 4;
                    }
                    '0' => {
                        let digits: String = chars[i..]
                            .iter()
                            .take(3)
                            .take_while(|c| ('0'..='7').contains(c))
                            .collect();
                        let mut code = 0u32;
                        let mut used = 0;
                        for digit in digits.chars() {
                            let next_code = code * 8 + digit.to_digit(8).unwrap_or(0);
                            if next_code > 0o377 {
                                break;
                            }
                            code = next_code;
                            used += 1;
                        }
                        if used == 0 {
                            return Err(RegexError::Syntax("`\\0` needs an octal digit".into()));
                        }
                        i += used;
                        out.push_str(&format!("\\x{{{code:X}}}"));
                    }
                    'c' => {
                        let control = chars
                            .get(i)
                            .ok_or_else(|| RegexError::Syntax("`\\c` needs a control character".into()))?;
                        i += 1;
                        push_char(&mut out, char::from_u32(u32::from(*control) ^ 64).unwrap_or('\0'));
                    }
                    'e' => push_char(&mut out, '\u{1b}'),
                    'a' => push_char(&mut out, '\u{7}'),
                    'f' => push_char(&mut out, '\u{c}'),
                    'Z' => out.push_str("\\z"),
                    '1'..='9' | 'k' => return Err(RegexError::Unsupported("a backreference (`\\1`, `\\k<name>`)")),
                    'G' => return Err(RegexError::Unsupported("`\\G` (the end of the previous match)")),
                    'R' | 'X' | 'h' | 'H' | 'v' | 'V' | 'N' => {
                        return Err(RegexError::Unsupported(
                            "this Java escape (`\\R`, `\\X`, `\\h`, `\\v`, `\\N`)",
                        ));
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal in both syntaxes.
                i += 1;
                continue;
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
                after_quantifier = false;
            }
            '(' if class_depth == 0 => {
                if chars.get(i + 1) == Some(&'?') {
                    let rest: String = chars[i + 2..].iter().take(3).collect();
                    if rest.starts_with('=') || rest.starts_with('!') {
                        return Err(RegexError::Unsupported("lookahead (`(?=..)`, `(?!..)`)"));
                    }
                    if rest.starts_with("<=") || rest.starts_with("<!") {
                        return Err(RegexError::Unsupported("lookbehind (`(?<=..)`, `(?<!..)`)"));
                    }
                    if rest.starts_with('>') {
                        return Err(RegexError::Unsupported("an atomic group (`(?>..)`)"));
                    }
                    if !rest.starts_with('<') && !rest.starts_with(':') {
                        // Inline flags: Java's `u` (Unicode case) and `d` (Unix lines) change
                        // nothing here; `U` (Unicode classes) and `c` have no counterpart.
                        let flags: String = chars[i + 2..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphabetic() || **c == '-')
                            .collect();
                        if flags.contains('U') || flags.contains('c') {
                            return Err(RegexError::Unsupported("the `U` and `c` flags"));
                        }
                        let kept: String = flags.chars().filter(|c| !matches!(c, 'u' | 'd')).collect();
                        i += 2 + flags.chars().count();
                        let closes = chars.get(i) == Some(&')');
                        if kept.trim_end_matches('-').is_empty() && closes {
                            // `(?u)` alone: nothing left to say.
                            i += 1;
                        } else {
                            out.push_str("(?");
                            out.push_str(&kept);
                        }
                        continue;
                    }
                }
                out.push('(');
            }
            '*' | '+' | '?' if class_depth == 0 => {
                if c == '+' && quantifier_before {
                    return Err(RegexError::Unsupported(
                        "a possessive quantifier (`*+`, `++`, `?+`, `{n}+`)",
                    ));
                }
                out.push(c);
                // `??`, `*?`: a lazy quantifier is one quantifier.
                after_quantifier = !(c == '?' && quantifier_before);
            }
            '}' if class_depth == 0 => {
                out.push('}');
                after_quantifier = true;
            }
            _ if class_depth == 0 && !unicode_case && has_case(c) => {
                // Java's `(?i)` folds ASCII letters only (without its `u` flag): a non-ASCII letter
                // keeps its case.
                out.push_str("(?-i:");
                out.push(c);
                out.push(')');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// A non-ASCII character with another case.
fn has_case(c: char) -> bool {
    !c.is_ascii() && (c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c)))
}

/// A Java replacement string (`Matcher.appendReplacement`): `$n` is group `n` (digits are taken
/// while they name a group), `${name}` a named group, and `\` makes the next character literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pieces: Vec<Piece>,
}

/// One part of a replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as written.
    Text(String),
    /// The text of capturing group `n` (0: the whole match); nothing when it did not take part.
    Group(usize),
}

impl Replacement {
    /// Parses `java` for `regex`.
    ///
    /// # Errors
    /// [`RegexError::Replacement`] for a reference to a group `regex` does not have, a `$` that
    /// refers to nothing, or a trailing `\`, as Java refuses them.
    pub fn new(java: &str, regex: &JavaRegex) -> Result<Self, RegexError> {
        let chars: Vec<char> = java.chars().collect();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => {
                    let escaped = chars.get(i + 1).ok_or_else(|| {
                        RegexError::Replacement("the replacement ends with `\\`; write `\\\\` for a backslash".into())
                    })?;
                    text.push(*escaped);
                    i += 2;
                }
                '$' => {
                    let group = match chars.get(i + 1) {
                        Some('{') => {
                            let end = chars[i + 2..].iter().position(|&c| c == '}').ok_or_else(|| {
                                RegexError::Replacement("a `${` group reference is not closed with `}`".into())
                            })?;
                            let name: String = chars[i + 2..i + 2 + end].iter().collect();
                            i += end + 3;
                            regex.group_named(&name).ok_or_else(|| {
                                RegexError::Replacement(format!("the pattern has no group named `{name}`"))
                            })?
                        }
                        Some(digit) if digit.is_ascii_digit() => {
                            let mut group = digit.to_digit(10).unwrap_or(0) as usize;
                            if group > regex.groups() {
                                return Err(RegexError::Replacement(format!(
                                    "`${group}` refers to group {group}, but the pattern has {} group{}; write `\\$` for a dollar sign",
                                    regex.groups(),
                                    if regex.groups() == 1 { "" } else { "s" }
                                )));
                            }
                            i += 2;
                            // Java takes more digits while the number still names a group.
                            while let Some(more) = chars.get(i).and_then(|c| c.to_digit(10)) {
                                let longer = group * 10 + more as usize;
                                if longer > regex.groups() {
                                    break;
                                }
                                group = longer;
                                i += 1;
                            }
                            group
                        }
                        _ => {
                            return Err(RegexError::Replacement(
                                "a `$` must be followed by a group number or `{name}`; write `\\$` for a dollar sign"
                                    .into(),
                            ));
                        }
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Group(group));
                }
                other => {
                    text.push(other);
                    i += 1;
                }
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self { pieces })
    }

    /// The parts, in order.
    #[must_use]
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }
}

/// The `regex` crate's replacement syntax for the same replacement (`${1}`, `$$`).
impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => f.write_str(&text.replace('$', "$$"))?,
                Piece::Group(group) => write!(f, "${{{group}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(java: &str) -> String {
        JavaRegex::new(java)
            .map(|r| r.pattern().to_owned())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn java_classes_are_ascii() {
        assert_eq!(translated(r"\d+\W"), r"[[:digit:]]+[[:^word:]]");
        assert_eq!(translated(r"[\d,.]"), r"[[:digit:],.]");
        assert_eq!(translated(r"\p{Alpha}\P{Punct}"), r"[[:alpha:]][[:^punct:]]");
        assert_eq!(translated(r"\p{IsLatin}"), r"\p{Latin}");
    }

    #[test]
    fn java_escapes_become_the_crates() {
        assert_eq!(translated(r"\u00e9\0101\cA"), r"\x{E9}\x{41}\x{1}");
        assert_eq!(translated(r"\Q1+1=2\E!"), r"1\+1=2!");
        assert_eq!(translated(r"a\.b\\"), r"a\.b\\");
        assert_eq!(translated("(?iu)abc"), "(?i)abc");
        assert_eq!(translated("(?u)abc"), "abc");
        // Java folds case in ASCII only, unless told `u`.
        assert_eq!(translated("(?i)é"), "(?i)(?-i:é)");
        assert_eq!(translated("(?iu)é"), "(?i)é");
        assert_eq!(translated("[é]日"), "[é]日");
    }

    #[test]
    fn what_needs_backtracking_is_refused_by_name() {
        for (java, what) in [
            ("a(?=b)", "lookahead"),
            ("(?<!a)b", "lookbehind"),
            (r"(a)\1", "backreference"),
            ("a*+", "possessive"),
            ("a{2}+", "possessive"),
            ("(?>a)", "atomic"),
        ] {
            assert!(translated(java).contains(what), "{java}: {}", translated(java));
        }
        // A lazy quantifier and an escaped plus are not possessive.
        assert_eq!(translated(r"a*?\++"), r"a*?\++");
        assert!(translated("a(").contains("unclosed"));
    }

    #[test]
    fn replacements_read_as_java_reads_them() {
        let regex = JavaRegex::new(r"(?<user>\w+)@(\w+)").unwrap();
        let pieces = |java: &str| Replacement::new(java, &regex).map(|r| r.to_string());
        assert_eq!(pieces("$2 at $1").unwrap(), "${2} at ${1}");
        // Digits are taken while they name a group: `$12` is group 1, then `2`.
        assert_eq!(pieces("$12").unwrap(), "${1}2");
        assert_eq!(pieces("${user}").unwrap(), "${1}");
        assert_eq!(pieces(r"\$1 \\").unwrap(), r"$$1 \");
        assert!(pieces("$3").unwrap_err().to_string().contains("has 2 groups"));
        assert!(pieces("$x").is_err() && pieces("\\").is_err() && pieces("${nope}").is_err());
    }
}
