//! Java's `DecimalFormat` patterns, as Spark's `format_number(x, "pattern")` takes them:
//! `#,##0.00`, `0000`, `#.##`, literal text around the number (`abc#`), and a negative
//! subpattern after `;` (`#,##0.00;(#,##0.00)`). The empty pattern is Spark's default,
//! `#,###,###,###,###,###,##0`. Percent, per-mille, currency, quotes and exponents are refused.
//!
//! ```
//! use stream_grammar::number_pattern::NumberPattern;
//! let money = NumberPattern::parse("#,##0.00;(#,##0.00)").unwrap();
//! assert_eq!((money.min_integer_digits(), money.fraction_digits(), money.grouping()), (1, (2, 2), Some(3)));
//! assert!(NumberPattern::parse("0.00E0").is_err());
//! ```

use std::fmt;

/// Why a pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberPatternError {
    /// A symbol this implementation does not format.
    Unsupported(char),
    /// The pattern has no digit (`0` or `#`).
    NoDigits,
    /// Malformed: a `0` before a `#` in the integer part, two points, or a `,` in the fraction.
    Malformed(&'static str),
}

impl fmt::Display for NumberPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(symbol) => write!(f, "`{symbol}` patterns are not supported"),
            Self::NoDigits => f.write_str("the pattern has no digit: use `0` or `#`"),
            Self::Malformed(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for NumberPatternError {}

/// A parsed number pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern {
    prefix: String,
    suffix: String,
    /// The negative subpattern's prefix and suffix, if it has one.
    negative: Option<(String, String)>,
    min_integer_digits: usize,
    min_fraction_digits: usize,
    max_fraction_digits: usize,
    grouping: Option<usize>,
}

/// A pattern split into its literal prefix, its number part and its literal suffix.
fn split_affixes(pattern: &str) -> Result<(&str, &str, &str), NumberPatternError> {
    if let Some(symbol) = pattern
        .chars()
        .find(|c| matches!(c, '%' | '\u{2030}' | '\u{a4}' | '\'' | 'E'))
    {
        return Err(NumberPatternError::Unsupported(symbol));
    }
    let is_number = |c: char| matches!(c, '0' | '#' | ',' | '.');
    let start = pattern.find(is_number).ok_or(NumberPatternError::NoDigits)?;
    let end = pattern[start..]
        .find(|c| !is_number(c))
        .map_or(pattern.len(), |at| start + at);
    Ok((&pattern[..start], &pattern[start..end], &pattern[end..]))
}

impl NumberPattern {
    /// Parses `pattern`; the empty pattern is Spark's default.
    ///
    /// # Errors
    /// [`NumberPatternError`] for a pattern this implementation does not format.
    pub fn parse(pattern: &str) -> Result<Self, NumberPatternError> {
        let pattern = if pattern.is_empty() {
            "#,###,###,###,###,###,##0"
        } else {
            pattern
        };
        let (positive, negative) = match pattern.split_once(';') {
            Some((positive, negative)) => (positive, Some(negative)),
            None => (pattern, None),
        };
        let (prefix, number, suffix) = split_affixes(positive)?;
        let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.contains(['.', ',']) {
            return Err(NumberPatternError::Malformed("a `.` or `,` after the decimal point"));
        }
        let digits: String = integer.chars().filter(|c| *c != ',').collect();
        if digits.trim_start_matches('#').contains('#') {
            return Err(NumberPatternError::Malformed(
                "a `#` after a `0` before the decimal point",
            ));
        }
        if fraction.trim_start_matches('0').contains('0') {
            return Err(NumberPatternError::Malformed(
                "a `0` after a `#` after the decimal point",
            ));
        }
        if digits.is_empty() && fraction.is_empty() {
            return Err(NumberPatternError::NoDigits);
        }
        let grouping = integer
            .rfind(',')
            .map(|at| integer.len() - at - 1)
            .filter(|size| *size > 0);
        let negative = match negative {
            Some(negative) => {
                let (prefix, _, suffix) = split_affixes(negative)?;
                Some((prefix.to_owned(), suffix.to_owned()))
            }
            None => None,
        };
        Ok(Self {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            negative,
            min_integer_digits: digits.matches('0').count(),
            min_fraction_digits: fraction.matches('0').count(),
            max_fraction_digits: fraction.len(),
            grouping,
        })
    }

    /// The fewest integer digits printed (`0`s before the point).
    #[must_use]
    pub fn min_integer_digits(&self) -> usize {
        self.min_integer_digits
    }

    /// The fewest and most fraction digits printed.
    #[must_use]
    pub fn fraction_digits(&self) -> (usize, usize) {
        (self.min_fraction_digits, self.max_fraction_digits)
    }

    /// The size of a digit group, if digits are grouped.
    #[must_use]
    pub fn grouping(&self) -> Option<usize> {
        self.grouping
    }

    /// Lays out a number already rounded to [`fraction_digits`](Self::fraction_digits)`.1`
    /// places: `digits` is its magnitude in plain decimal (`1234.50`), `negative` its sign.
    #[must_use]
    pub fn layout(&self, digits: &str, negative: bool) -> String {
        let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let fraction = fraction.trim_end_matches('0');
        let fraction = format!("{fraction:0<width$}", width = self.min_fraction_digits);
        let integer = integer.trim_start_matches('0');
        // As Java: no integer digit unless the pattern asks, but never an empty number.
        let integer = if integer.len() < self.min_integer_digits {
            format!("{integer:0>width$}", width = self.min_integer_digits)
        } else if integer.is_empty() && fraction.is_empty() {
            "0".to_owned()
        } else {
            integer.to_owned()
        };
        let mut body = String::with_capacity(integer.len() * 2 + fraction.len() + 1);
        for (index, digit) in integer.chars().enumerate() {
            if let Some(size) = self.grouping
                && index > 0
                && (integer.len() - index).is_multiple_of(size)
            {
                body.push(',');
            }
            body.push(digit);
        }
        if !fraction.is_empty() {
            body.push('.');
            body.push_str(&fraction);
        }
        self.affixed(&body, negative)
    }

    /// `body` between the positive or the negative prefix and suffix.
    #[must_use]
    pub fn affixed(&self, body: &str, negative: bool) -> String {
        match (negative, &self.negative) {
            (false, _) => format!("{}{body}{}", self.prefix, self.suffix),
            (true, Some((prefix, suffix))) => format!("{prefix}{body}{suffix}"),
            (true, None) => format!("-{}{body}{}", self.prefix, self.suffix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(pattern: &str, digits: &str, negative: bool) -> String {
        NumberPattern::parse(pattern).unwrap().layout(digits, negative)
    }

    #[test]
    fn java_layouts() {
        assert_eq!(layout("#,##0.0", "1234567.9", false), "1,234,567.9");
        assert_eq!(layout("0000", "42", true), "-0042");
        assert_eq!(layout("", "12346", false), "12,346");
        assert_eq!(layout("#.##", "12345.68", false), "12345.68");
        assert_eq!(layout("#.##", "0.50", false), ".5");
        assert_eq!(layout("#.##", "0", false), "0");
        assert_eq!(layout("#,##0.00;(#,##0.00)", "1234.50", true), "(1,234.50)");
        assert_eq!(layout("abc#", "1234", false), "abc1234");
        assert_eq!(layout("#,##0.0", "0.0", true), "-0.0");
    }

    #[test]
    fn what_is_refused() {
        for pattern in ["0.00E0", "#%", "'#'", "abc", "0#", "#.0#0", "#.#,#"] {
            assert!(NumberPattern::parse(pattern).is_err(), "{pattern}");
        }
    }
}
