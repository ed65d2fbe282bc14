//! Compile-time checks of time literals: Spark interval strings (`"10 minutes"`) and datetime
//! patterns (`"yyyy-MM-dd HH:mm"`). A bad literal is a compile error, not a failed query.

const MICROS: [(&str, i64); 7] = [
    ("microsecond", 1),
    ("millisecond", 1_000),
    ("second", 1_000_000),
    ("minute", 60_000_000),
    ("hour", 3_600_000_000),
    ("day", 86_400_000_000),
    ("week", 604_800_000_000),
];

const INTERVAL_HELP: &str =
    "help: write a number and a unit, e.g. \"10 minutes\", \"1 hour\", \"30 seconds\" or \"1 hour 30 minutes\"";

/// Parses a Spark interval string (`"10 minutes"`, `"1 hour 30 minutes"`, `"interval 2 days"`)
/// into microseconds.
pub(crate) fn parse_interval(text: &str) -> Result<i64, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let words = match words.first() {
        Some(first) if first.eq_ignore_ascii_case("interval") => &words[1..],
        _ => &words[..],
    };
    if words.is_empty() || words.len() % 2 != 0 {
        return Err(format!("invalid interval `{text}`\n{INTERVAL_HELP}"));
    }
    let mut total: i64 = 0;
    for pair in words.chunks(2) {
        let amount: i64 = pair[0].parse().map_err(|_| {
            format!(
                "invalid interval `{text}`: `{}` is not a whole number\n{INTERVAL_HELP}",
                pair[0]
            )
        })?;
        let unit = pair[1].to_ascii_lowercase();
        let singular = unit.strip_suffix('s').unwrap_or(&unit);
        if matches!(singular, "month" | "year") {
            return Err(format!(
                "invalid interval `{text}`: {singular}s have no fixed length\nhelp: use days or weeks, e.g. \"30 days\""
            ));
        }
        let Some((_, micros)) = MICROS.iter().find(|(name, _)| *name == singular) else {
            return Err(format!(
                "invalid interval `{text}`: unknown unit `{}`\n{INTERVAL_HELP}",
                pair[1]
            ));
        };
        total = amount
            .checked_mul(*micros)
            .and_then(|m| total.checked_add(m))
            .ok_or_else(|| format!("interval `{text}` is too long"))?;
    }
    Ok(total)
}

/// Checks a Spark datetime pattern with the same rules as the runtime's `DatePattern`.
pub(crate) fn check_date_pattern(pattern: &str) -> Result<(), String> {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            loop {
                match chars.next() {
                    None => {
                        return Err(format!(
                            "unclosed quote in datetime pattern `{pattern}`\nhelp: quote literal text as in `yyyy-MM-dd'T'HH:mm`, and write `''` for a quote"
                        ));
                    }
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') => break,
                    Some(_) => {}
                }
            }
        } else if c.is_ascii_alphabetic() && !"yMdDHhamsSEXxZ".contains(c) {
            return Err(format!(
                "unsupported letter `{c}` in datetime pattern `{pattern}`\nnote: pattern letters are y M d D H h a m s S E X x Z; quote other text: `'{c}'`"
            ));
        }
    }
    Ok(())
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
