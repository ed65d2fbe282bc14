//! Spark's datetime patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), tokenized.
//!
//! ```
//! use stream_grammar::pattern::{PatternItem, tokenize};
//! let items = tokenize("HH 'o''clock'").unwrap();
//! assert_eq!(items, [PatternItem::Field('H', 2), PatternItem::Literal(" ".into()), PatternItem::Literal("o'clock".into())]);
//! ```

use std::fmt;

/// The pattern letters Rill supports: year, month, day of month, day of year, hour (0–23 and
/// 1–12), am/pm, minute, second, fraction, day of week, and zone offsets.
pub const LETTERS: &str = "yMdDHhamsSEXxZ";

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternItem {
    /// Text printed and expected as it is.
    Literal(String),
    /// A run of one pattern letter: the letter and how many times it is repeated.
    Field(char, usize),
}

/// What is wrong with a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// A quote opened literal text that is never closed.
    UnclosedQuote,
    /// A letter that is not one of [`LETTERS`] (other text must be quoted).
    UnsupportedLetter(char),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedQuote => f.write_str("unclosed quote"),
            Self::UnsupportedLetter(letter) => write!(f, "unsupported letter `{letter}`"),
        }
    }
}

impl std::error::Error for PatternError {}

/// Splits `pattern` into literal text and letter runs. In quotes, text is literal and `''` is
/// one quote; outside, `''` is one quote too.
///
/// # Errors
/// An unclosed quote, or a letter Rill does not support.
pub fn tokenize(pattern: &str) -> Result<Vec<PatternItem>, PatternError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut items = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c == '\'' {
            let mut text = String::new();
            index += 1;
            loop {
                match chars.get(index) {
                    None => return Err(PatternError::UnclosedQuote),
                    Some('\'') if chars.get(index + 1) == Some(&'\'') => {
                        text.push('\'');
                        index += 2;
                    }
                    Some('\'') => {
                        index += 1;
                        break;
                    }
                    Some(&other) => {
                        text.push(other);
                        index += 1;
                    }
                }
            }
            if text.is_empty() {
                text.push('\'');
            }
            items.push(PatternItem::Literal(text));
        } else if c.is_ascii_alphabetic() {
            if !LETTERS.contains(c) {
                return Err(PatternError::UnsupportedLetter(c));
            }
            let count = chars[index..].iter().take_while(|&&next| next == c).count();
            items.push(PatternItem::Field(c, count));
            index += count;
        } else {
            items.push(PatternItem::Literal(c.to_string()));
            index += 1;
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_letters_and_errors() {
        assert!(tokenize("yyyy-MM-dd'T'HH:mm:ss.SSS").is_ok());
        assert_eq!(tokenize("''"), Ok(vec![PatternItem::Literal("'".into())]));
        assert_eq!(tokenize("yyyy-MM-dd 'T"), Err(PatternError::UnclosedQuote));
        assert_eq!(tokenize("yyyy-qq"), Err(PatternError::UnsupportedLetter('q')));
    }
}
