//! Compile-time checks of time literals: Spark interval strings (`"10 minutes"`) and datetime
//! patterns (`"yyyy-MM-dd HH:mm"`), with the grammars the runtime uses (`stream-grammar`). A bad
//! literal is a compile error, not a failed query.

use stream_grammar::interval::IntervalError;
use stream_grammar::pattern::PatternError;

const INTERVAL_HELP: &str =
    "help: write a number and a unit, e.g. \"10 minutes\", \"1 hour\", \"30 seconds\" or \"1 hour 30 minutes\"";

/// Parses a Spark interval string (`"10 minutes"`, `"1 hour 30 minutes"`, `"interval 2 days"`)
/// into microseconds.
pub(crate) fn parse_interval(text: &str) -> Result<i64, String> {
    stream_grammar::interval::parse(text).map_err(|error| match error {
        IntervalError::Shape => format!("invalid interval `{text}`\n{INTERVAL_HELP}"),
        IntervalError::NotANumber(amount) => {
            format!("invalid interval `{text}`: `{amount}` is not a whole number\n{INTERVAL_HELP}")
        }
        IntervalError::VariableLength(unit) => format!(
            "invalid interval `{text}`: {unit}s have no fixed length\nhelp: use days or weeks, e.g. \"30 days\""
        ),
        IntervalError::UnknownUnit(unit) => {
            format!("invalid interval `{text}`: unknown unit `{unit}`\n{INTERVAL_HELP}")
        }
        IntervalError::TooLong => format!("interval `{text}` is too long"),
    })
}

/// Checks a Spark datetime pattern with the grammar the runtime's `DatePattern` compiles.
pub(crate) fn check_date_pattern(pattern: &str) -> Result<(), String> {
    stream_grammar::pattern::tokenize(pattern).map(drop).map_err(|error| match error {
        PatternError::UnclosedQuote => format!(
            "unclosed quote in datetime pattern `{pattern}`\nhelp: quote literal text as in `yyyy-MM-dd'T'HH:mm`, and write `''` for a quote"
        ),
        PatternError::UnsupportedLetter('Y') => format!(
            "unsupported letter `Y` in datetime pattern `{pattern}`\nhelp: write `y` for the year: `Y` is the week-based year, which Spark refuses to parse with"
        ),
        PatternError::UnsupportedLetter(c) => format!(
            "unsupported letter `{c}` in datetime pattern `{pattern}`\nnote: pattern letters are y M d D H h a m s S E X x Z; quote other text: `'{c}'`"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("10 minutes"), Ok(600_000_000));
        assert_eq!(parse_interval("1 hour"), Ok(3_600_000_000));
        assert_eq!(parse_interval("interval 1 hour 30 minutes"), Ok(5_400_000_000));
        assert_eq!(parse_interval("2 Days"), Ok(172_800_000_000));
        assert_eq!(parse_interval("500 milliseconds"), Ok(500_000));
        assert!(
            parse_interval("10 minuts")
                .unwrap_err()
                .contains("unknown unit `minuts`")
        );
        assert!(
            parse_interval("ten minutes")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            parse_interval("1 month")
                .unwrap_err()
                .contains("months have no fixed length")
        );
        assert!(parse_interval("").is_err());
    }

    #[test]
    fn patterns() {
        assert!(check_date_pattern("yyyy-MM-dd'T'HH:mm:ss.SSS").is_ok());
        assert!(check_date_pattern("'o''clock' HH").is_ok());
        assert!(
            check_date_pattern("yyyy-MM-dd 'T")
                .unwrap_err()
                .contains("unclosed quote")
        );
        assert!(
            check_date_pattern("yyyy-qq")
                .unwrap_err()
                .contains("unsupported letter `q`")
        );
    }
}
