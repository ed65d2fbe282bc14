//! Spark's regular-expression functions (`regexp_extract`, `regexp_replace`, `rlike`,
//! `regexp_count`, `regexp_substr`) on Java patterns, run by the `regex` crate in linear time.
//!
//! Generated code compiles each pattern once, on first use, from the literal the macro already
//! checked with [`stream_grammar::regex`], so compiling cannot fail there.

use std::borrow::Cow;

pub use stream_grammar::regex::RegexError;
use stream_grammar::regex::{JavaRegex, Replacement};

/// A compiled Java regular expression.
///
/// ```
/// use stream_core::regexp::Regexp;
/// let order = Regexp::new(r"([a-z]+)-(\d+)").unwrap();
/// assert_eq!(order.extract("order-123-abc", 2), "123");
/// assert_eq!(order.extract("no match", 1), "");
/// assert!(order.is_match("xx order-1"));
/// assert_eq!(Regexp::new(r"\d").unwrap().count("a1b22"), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Regexp {
    java: JavaRegex,
    regex: regex::Regex,
}

impl Regexp {
    /// Compiles the Java pattern `pattern`.
    ///
    /// # Errors
    /// [`RegexError`] for an invalid pattern, or one that needs backtracking.
    pub fn new(pattern: &str) -> Result<Self, RegexError> {
        let java = JavaRegex::new(pattern)?;
        let regex = regex::Regex::new(java.pattern()).map_err(|error| RegexError::Syntax(error.to_string()))?;
        Ok(Self { java, regex })
    }

    /// `text rlike pattern` / `regexp_like`: whether the pattern matches anywhere in `text`.
    #[must_use]
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// `regexp_extract(text, pattern, group)`: group `group` of the first match (0: all of
    /// it); empty when nothing matches or the group takes no part, as Spark.
    #[must_use]
    pub fn extract(&self, text: &str, group: usize) -> String {
        self.regex
            .captures(text)
            .and_then(|captures| captures.get(group))
            .map_or_else(String::new, |found| found.as_str().to_owned())
    }

    /// `regexp_count(text, pattern)`: the number of matches, none overlapping.
    #[must_use]
    pub fn count(&self, text: &str) -> i32 {
        i32::try_from(self.regex.find_iter(text).count()).unwrap_or(i32::MAX)
    }

    /// The parts of `text` around the matches, as Spark's `split(text, pattern, limit)`: with a
    /// `limit` above 0 at most that many parts (the last holds the rest); otherwise all of them,
    /// trailing empty parts kept. As Java, a zero-width match at the start makes no empty first
    /// part; an empty pattern splits into characters.
    ///
    /// ```
    /// use stream_core::regexp::Regexp;
    /// let comma = Regexp::new(",").unwrap();
    /// assert_eq!(comma.split("a,b,,c,,", -1), ["a", "b", "", "c", "", ""]);
    /// assert_eq!(comma.split("a,b,,", 2), ["a", "b,,"]);
    /// assert_eq!(Regexp::new("").unwrap().split("😀x", -1), ["😀", "x"]);
    /// ```
    #[must_use]
    pub fn split<'t>(&self, text: &'t str, limit: i32) -> Vec<&'t str> {
        let limit = usize::try_from(limit).ok().filter(|limit| *limit > 0);
        if self.java.pattern().is_empty() {
            if text.is_empty() {
                return vec![text];
            }
            let mut parts: Vec<&str> = text
                .char_indices()
                .map(|(at, c)| &text[at..at + c.len_utf8()])
                .collect();
            if let Some(limit) = limit
                && parts.len() > limit
            {
                let rest_at = text.char_indices().nth(limit - 1).map_or(text.len(), |(at, _)| at);
                parts.truncate(limit - 1);
                parts.push(&text[rest_at..]);
            }
            return parts;
        }
        let mut parts = Vec::new();
        let mut last = 0;
        for found in self.regex.find_iter(text) {
            if limit.is_some_and(|limit| parts.len() + 1 >= limit) {
                break;
            }
            if found.end() == 0 {
                continue;
            }
            parts.push(&text[last..found.start()]);
            last = found.end();
        }
        parts.push(&text[last..]);
        parts
    }

    /// `regexp_substr(text, pattern)`: the first match; null when there is none or it is empty,
    /// as Spark.
    #[must_use]
    pub fn substr(&self, text: &str) -> Option<String> {
        self.regex
            .find(text)
            .filter(|found| !found.is_empty())
            .map(|found| found.as_str().to_owned())
    }
}

/// `regexp_replace(text, pattern, replacement)` with Java's replacement syntax (`$1`, `${name}`,
/// `\$`): every match replaced.
///
/// ```
/// use stream_core::regexp::RegexpReplace;
/// let mask = RegexpReplace::new(r"^(.)[^@]*(@.*)$", "$1***$2").unwrap();
/// assert_eq!(mask.apply("alice@example.com"), "a***@example.com");
/// let price = RegexpReplace::new(r"(\d+)", r"\$$1").unwrap();
/// assert_eq!(price.apply("costs 5"), "costs $5");
/// ```
#[derive(Debug, Clone)]
pub struct RegexpReplace {
    regexp: Regexp,
    /// The replacement in the crate's syntax (`${1}`, `$$`).
    replacement: String,
}

impl RegexpReplace {
    /// Compiles `pattern` and reads `replacement` for it.
    ///
    /// # Errors
    /// [`RegexError`] for an invalid pattern, or a replacement naming a group it does not have.
    pub fn new(pattern: &str, replacement: &str) -> Result<Self, RegexError> {
        let regexp = Regexp::new(pattern)?;
        let replacement = Replacement::new(replacement, &regexp.java)?.to_string();
        Ok(Self { regexp, replacement })
    }

    /// `text` with every match replaced.
    #[must_use]
    pub fn apply(&self, text: &str) -> String {
        match self.regexp.regex.replace_all(text, self.replacement.as_str()) {
            Cow::Borrowed(unchanged) => unchanged.to_owned(),
            Cow::Owned(replaced) => replaced,
        }
    }
}

/// `split(..)[index]` (0-based) or `element_at(split(..), index)` (1-based, negative from the
/// end): the part, or null when there is none (where Spark's ANSI mode fails).
#[must_use]
pub fn element(parts: &[&str], index: i64, one_based: bool) -> Option<String> {
    crate::arrays::position(parts.len(), index, one_based)
        .and_then(|at| parts.get(at))
        .map(|part| (*part).to_owned())
}
