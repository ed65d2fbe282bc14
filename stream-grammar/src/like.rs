//! Spark's `LIKE` patterns: `%` matches any run of characters, `_` exactly one character,
//! and the escape `\` makes the next `%`, `_` or `\` literal. Any other character after the
//! escape, or an escape ending the pattern, is an error, as in Spark.
//!
//! ```
//! use stream_grammar::like::LikePattern;
//! let pattern = LikePattern::new(r"a\_%").unwrap();
//! assert!(pattern.matches("a_b") && !pattern.matches("ab"));
//! assert!(LikePattern::new("_é%").unwrap().matches("bé"));
//! assert!(LikePattern::new(r"a\b").is_err());
//! ```

use std::fmt;

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// Characters that must appear as written.
    Literal(String),
    /// `_`: any one character.
    One,
    /// `%`: any run of characters, empty included.
    Any,
}

/// A compiled `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikePattern {
    tokens: Vec<Token>,
}

/// Why a `LIKE` pattern is invalid, with Spark's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LikeError {
    /// The escape precedes a character other than `%`, `_` or itself.
    EscapeBefore(char),
    /// The pattern ends with the escape.
    EscapeAtEnd,
}

impl fmt::Display for LikeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EscapeBefore(c) => write!(
                f,
                "the escape character is not allowed to precede '{c}' (only `%`, `_` and `\\` may follow it)"
            ),
            Self::EscapeAtEnd => f.write_str("it is not allowed to end with the escape character"),
        }
    }
}

impl std::error::Error for LikeError {}

impl LikePattern {
    /// Compiles `pattern`.
    ///
    /// # Errors
    /// When an escape precedes another character than `%`, `_` or `\`, or ends the pattern.
    pub fn new(pattern: &str) -> Result<Self, LikeError> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let token = match c {
                '\\' => match chars.next() {
                    Some(next @ ('%' | '_' | '\\')) => {
                        literal.push(next);
                        continue;
                    }
                    Some(other) => return Err(LikeError::EscapeBefore(other)),
                    None => return Err(LikeError::EscapeAtEnd),
                },
                '%' => Token::Any,
                '_' => Token::One,
                other => {
                    literal.push(other);
                    continue;
                }
            };
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            // Runs of `%` match what one does.
            if !(token == Token::Any && tokens.last() == Some(&Token::Any)) {
                tokens.push(token);
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(Self { tokens })
    }

    /// Whether `text` matches the whole pattern (case-sensitive, by characters).
    #[must_use]
    pub fn matches(&self, text: &str) -> bool {
        // Backtracking to the last `%` only: O(pattern × text) at worst.
        let (mut token, mut at) = (0, 0);
        let mut resume: Option<(usize, usize)> = None;
        loop {
            let step = match self.tokens.get(token) {
                None if at == text.len() => return true,
                None => None,
                Some(Token::Any) => {
                    resume = Some((token + 1, at));
                    token += 1;
                    continue;
                }
                Some(Token::One) => text[at..].chars().next().map(|c| at + c.len_utf8()),
                Some(Token::Literal(literal)) => text[at..].starts_with(literal.as_str()).then(|| at + literal.len()),
            };
            match step {
                Some(next) => {
                    token += 1;
                    at = next;
                }
                None => {
                    // Let the last `%` take one more character, and try again from there.
                    let Some((after_any, from)) = resume else {
                        return false;
                    };
                    let Some(c) = text[from..].chars().next() else {
                        return false;
                    };
                    let from = from + c.len_utf8();
                    resume = Some((after_any, from));
                    token = after_any;
                    at = from;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(text: &str, pattern: &str) -> bool {
        LikePattern::new(pattern).unwrap().matches(text)
    }

    #[test]
    fn wildcards_escapes_and_unicode() {
        assert!(like("abc", "abc") && !like("abcd", "abc") && !like("ab", "abc"));
        assert!(like("abc", "a%") && like("a", "a%") && !like("ba", "a%"));
        assert!(like("abc", "%c") && like("abc", "%b%") && like("", "%") && !like("", "_"));
        assert!(like("abc", "_b_") && !like("abbc", "_b_"));
        assert!(like("ann_b", r"%\_%") && !like("annb", r"%\_%"));
        assert!(like("a%b", r"%\%%") && !like("ab", r"%\%%"));
        assert!(like(r"a\b", r"a\\b"));
        assert!(like("日本語", "_本_") && like("straße", "%ß%") && like("Élodie", "É%"));
        assert!(like("aXbXc", "a%b%c") && like("abab", "%ab") && !like("abba", "%ab"));
        assert!(like("mississippi", "m%iss%ppi") && !like("mississippi", "m%iss%ppx"));
        assert_eq!(LikePattern::new(r"a\x"), Err(LikeError::EscapeBefore('x')));
        assert_eq!(LikePattern::new("a\\"), Err(LikeError::EscapeAtEnd));
    }
}
