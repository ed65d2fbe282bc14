//! The time types of a schema: [`Timestamp`] and [`Date`].
//!
//! # Time zone
//!
//! Rill has no session time zone: every timestamp is an instant counted in microseconds since
//! the Unix epoch, and every text form of it — parsed by `to_timestamp`, printed by
//! [`show`](crate::show) or a typed row — is read and written in UTC. Spark does the same when
//! `spark.sql.session.timeZone` is `UTC`; with another session zone Spark would print the same
//! instants shifted. Text with an explicit offset (`2026-01-01T09:00:00+02:00`) is converted
//! to UTC when parsed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// An instant, in microseconds since 1970-01-01 00:00:00 UTC (Spark's `TIMESTAMP`).
///
/// ```
/// use stream_core::Timestamp;
/// let ts = Timestamp::parse("2026-01-01 09:04:00").unwrap();
/// assert_eq!(ts.to_string(), "2026-01-01 09:04:00");
/// assert_eq!(ts.micros() % 1_000_000, 0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `micros` microseconds after the Unix epoch.
    #[must_use]
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the Unix epoch.
    #[must_use]
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Parses text the way Spark casts a string to a timestamp (`to_timestamp(col)` with no
    /// format): `yyyy-[M]M-[d]d`, optionally followed by ` ` or `T` and
    /// `[H]H:[m]m[:[s]s[.fraction]]`, optionally followed by `Z` or an offset `±HH[:mm]`.
    /// Surrounding whitespace is ignored. Returns `None` for anything else, as Spark returns null.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        parse_common_timestamp(text.as_bytes()).or_else(|| parse_timestamp(text.as_bytes()))
    }

    /// [`parse`](Self::parse) on bytes, as a decoder holds them; `None` also when they are not
    /// UTF-8.
    ///
    /// ```
    /// # use stream_core::Timestamp;
    /// let parsed = Timestamp::parse_bytes(b"2026-01-01 09:00:00");
    /// assert_eq!(parsed, Timestamp::parse("2026-01-01T09:00:00"));
    /// assert_eq!(Timestamp::parse_bytes(b"2026-02-30 09:00:00"), None);
    /// ```
    #[must_use]
    #[inline]
    pub fn parse_bytes(bytes: &[u8]) -> Option<Self> {
        parse_common_timestamp(bytes).or_else(|| Self::parse(std::str::from_utf8(bytes).ok()?))
    }

    /// The calendar date of this instant in UTC.
    #[must_use]
    pub fn date(self) -> Date {
        Date(i32::try_from(self.0.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MAX))
    }

    /// Converts to a chrono UTC date-time; `None` outside chrono's range.
    #[must_use]
    pub fn to_chrono(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_micros(self.0)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(value: chrono::DateTime<chrono::Utc>) -> Self {
        Self(value.timestamp_micros())
    }
}

impl fmt::Display for Timestamp {
    /// Spark's text form: `yyyy-MM-dd HH:mm:ss`, plus the fraction of a second without
    /// trailing zeros when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(dt) = self.to_chrono() else {
            return write!(f, "<timestamp {} us out of range>", self.0);
        };
        write!(f, "{}", dt.format("%Y-%m-%d %H:%M:%S"))?;
        let micros = self.0.rem_euclid(MICROS_PER_SECOND);
        if micros != 0 {
            let digits = format!("{micros:06}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "`{text}` is not a timestamp (expected e.g. `2026-01-01 09:00:00`)"
            ))
        })
    }
}

/// A calendar date, in days since 1970-01-01 (Spark's `DATE`).
///
/// ```
/// use stream_core::Date;
/// let date = Date::parse("2026-01-01").unwrap();
/// assert_eq!(date.to_string(), "2026-01-01");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(i32);

impl Date {
    /// The date `days` days after 1970-01-01.
    #[must_use]
    pub const fn from_days(days: i32) -> Self {
        Self(days)
    }

    /// Days since 1970-01-01.
    #[must_use]
    pub const fn days(self) -> i32 {
        self.0
    }

    /// Parses `yyyy-[M]M-[d]d` (surrounding whitespace ignored); `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut cursor = Cursor::new(text.trim().as_bytes());
        let date = cursor.date()?;
        cursor.at_end().then_some(date)
    }

    /// Parses text the way Spark casts a string to a date (`to_date(col)`): `yyyy-[M]M-[d]d`,
    /// optionally followed by a space or `T` and anything (a time of day, ignored).
    #[must_use]
    pub fn parse_prefix(text: &str) -> Option<Self> {
        let mut cursor = Cursor::new(text.trim().as_bytes());
        let date = cursor.date()?;
        (cursor.at_end() || cursor.eat(b' ') || cursor.eat(b'T')).then_some(date)
    }

    /// Midnight UTC at the start of this date.
    #[must_use]
    pub fn to_timestamp(self) -> Timestamp {
        Timestamp(i64::from(self.0) * MICROS_PER_DAY)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::NaiveDate::from_num_days_from_ce_opt(self.0.saturating_add(EPOCH_DAYS_FROM_CE)) {
            Some(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            None => write!(f, "<date {} out of range>", self.0),
        }
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!("`{text}` is not a date (expected e.g. `2026-01-01`)"))
        })
    }
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A byte cursor for the hand-written parsers: timestamps are parsed on the hot path of
/// `to_timestamp`, so they avoid allocation and chrono's format machinery.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Between `min` and `max` ASCII digits, as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.pos;
        let mut value: u32 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        (self.pos - start >= min).then_some(value)
    }

    fn date(&mut self) -> Option<Date> {
        let year = self.digits(4, 4)?;
        if !self.eat(b'-') {
            return None;
        }
        let month = self.digits(1, 2)?;
        if !self.eat(b'-') {
            return None;
        }
        let day = self.digits(1, 2)?;
        let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        Some(Date(chrono::Datelike::num_days_from_ce(&date) - EPOCH_DAYS_FROM_CE))
    }
}

/// The form nearly all event data uses, `yyyy-MM-dd HH:mm:ss` (or with `T`), parsed with
/// fixed offsets and no calendar library; `None` for anything else, which the general parser
/// then takes (it gives the same result for this form).
#[inline]
fn parse_common_timestamp(bytes: &[u8]) -> Option<Timestamp> {
    let bytes: &[u8; 19] = bytes.try_into().ok()?;
    let separators_fit = bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b' ' || bytes[10] == b'T')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_fit {
        return None;
    }
    // Eight bytes at a time: `yyyy-MM-`, `dd HH:mm` and `HH:mm:ss`, with masks of their digits.
    let word = |at: usize| {
        let mut eight = [0; 8];
        eight.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(eight)
    };
    let (date, middle, time) = (word(0), word(8), word(11));
    const DATE_DIGITS: u64 = 0x00ff_ff00_ffff_ffff;
    const TIME_DIGITS: u64 = 0xffff_00ff_ff00_ffff;
    if !(all_digits(date, DATE_DIGITS) && all_digits(middle, TIME_DIGITS) && all_digits(time, TIME_DIGITS)) {
        return None;
    }
    let digit = |word: u64, at: u32| ((word >> (8 * at)) & 0x0f).cast_signed();
    let pair = |word: u64, at: u32| digit(word, at) * 10 + digit(word, at + 1);
    let year = pair(date, 0) * 100 + pair(date, 2);
    let (month, day) = (pair(date, 5), pair(middle, 0));
    let (hour, minute, second) = (pair(time, 0), pair(time, 3), pair(time, 6));
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Timestamp(seconds * MICROS_PER_SECOND))
}

/// Whether every byte of `word` selected by `mask` (whole bytes) is an ASCII digit.
#[inline]
fn all_digits(word: u64, mask: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    let digits = word & mask;
    // A digit is 0x30..=0x39: high nibble 3, and adding 6 leaves it 3.
    digits & HIGH_NIBBLES == 0x3030_3030_3030_3030 & mask
        && (digits + (0x0606_0606_0606_0606 & mask)) & HIGH_NIBBLES == 0x3030_3030_3030_3030 & mask
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's algorithm), for the
/// years of the fixed form's four digits (0 to 9999), months 1 to 12 and days 1 to 31.
///
/// The years are shifted by one 400-year era so that they are never negative, and the
/// arithmetic is unsigned: every division is then by a constant, which compiles to a multiply,
/// where a signed `div_euclid` took a fifth of the time of a parse (it runs once a timestamp).
#[inline]
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    const DAYS_PER_ERA: u64 = 146_097;
    let (Ok(year), Ok(month), Ok(day)) = (u64::try_from(year), u64::try_from(month), u64::try_from(day)) else {
        return days_from_civil_signed(year, month, day);
    };
    // Years begin in March, so that a leap day ends its year.
    let (year, month) = if month <= 2 {
        (year + 399, month + 9)
    } else {
        (year + 400, month - 3)
    };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // The shift undone: 1970-03-01 is day 719,468 of the proleptic calendar.
    (era * DAYS_PER_ERA + day_of_era).cast_signed() - 719_468 - DAYS_PER_ERA.cast_signed()
}

/// [`days_from_civil`] for any year, signed (no caller passes a negative one today).
#[cold]
fn days_from_civil_signed(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn parse_timestamp(bytes: &[u8]) -> Option<Timestamp> {
    let mut cursor = Cursor::new(bytes);
    let date = cursor.date()?;
    let mut micros = i64::from(date.days()) * MICROS_PER_DAY;
    if cursor.at_end() {
        return Some(Timestamp(micros));
    }
    if !(cursor.eat(b' ') || cursor.eat(b'T')) {
        return None;
    }
    let hour = cursor.digits(1, 2)?;
    if !cursor.eat(b':') {
        return None;
    }
    let minute = cursor.digits(1, 2)?;
    let mut second = 0;
    let mut fraction_micros = 0;
    if cursor.eat(b':') {
        second = cursor.digits(1, 2)?;
        if cursor.eat(b'.') {
            let start = cursor.pos;
            let value = cursor.digits(1, 9)?;
            let count = cursor.pos - start;
            // Keep microseconds, dropping nanoseconds as Spark does.
            fraction_micros = if count <= 6 {
                value * 10u32.pow(u32::try_from(6 - count).ok()?)
            } else {
                value / 10u32.pow(u32::try_from(count - 6).ok()?)
            };
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    micros += (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * MICROS_PER_SECOND
        + i64::from(fraction_micros);
    let offset_seconds = match cursor.peek() {
        None => 0,
        Some(b'Z') => {
            cursor.pos += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            cursor.pos += 1;
            let hours = cursor.digits(2, 2)?;
            let minutes = if cursor.eat(b':') {
                cursor.digits(2, 2)?
            } else {
                cursor.digits(0, 2).unwrap_or(0)
            };
            if hours > 18 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if sign == b'+' { seconds } else { -seconds }
        }
        Some(_) => return None,
    };
    if !cursor.at_end() {
        return None;
    }
    Some(Timestamp(micros - offset_seconds * MICROS_PER_SECOND))
}

#[cfg(test)]
mod tests {
    /// The unsigned form agrees with the signed one on every date a fixed-form timestamp can
    /// hold (and on impossible days up to 31, which the parser refuses before asking).
    #[test]
    fn days_from_civil_agrees_with_the_signed_algorithm_on_every_date() {
        for year in 0..=9999 {
            for month in 1..=12 {
                for day in 1..=31 {
                    assert_eq!(
                        days_from_civil(year, month, day),
                        days_from_civil_signed(year, month, day),
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
    }

    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fixed-form parser agrees with the general one, valid dates or not.
        #[test]
        fn the_common_form_parses_as_the_general_parser_does(
            year in 0_u32..10_000, month in 0_u32..14, day in 0_u32..33,
            hour in 0_u32..26, minute in 0_u32..62, second in 0_u32..62, t in any::<bool>(),
        ) {
            let text = format!(
                "{year:04}-{month:02}-{day:02}{}{hour:02}:{minute:02}:{second:02}",
                if t { 'T' } else { ' ' }
            );
            prop_assert_eq!(parse_common_timestamp(text.as_bytes()), parse_timestamp(text.as_bytes()), "{}", text);
        }

        /// On any 19 bytes, the fixed-form parser either declines or agrees with the general one.
        #[test]
        fn the_common_form_parser_never_disagrees(
            text in "[0-9/:;]{4}-[0-9/:;]{2}-[0-9/:;]{2}[ T][0-9/:;]{2}:[0-9/:;]{2}:[0-9/:;]{2}",
        ) {
            if let Some(parsed) = parse_common_timestamp(text.as_bytes()) {
                prop_assert_eq!(Some(parsed), parse_timestamp(text.as_bytes()), "{}", text);
            }
        }
    }

    #[test]
    fn parses_spark_default_timestamp_forms() {
        let nine = Timestamp::parse("2026-01-01 09:00:00").unwrap();
        assert_eq!(Timestamp::parse("2026-01-01T09:00:00"), Some(nine));
        assert_eq!(Timestamp::parse(" 2026-01-01 09:00:00 "), Some(nine));
        assert_eq!(Timestamp::parse("2026-1-1 9:0:0"), Some(nine));
        assert_eq!(Timestamp::parse("2026-01-01 09:00"), Some(nine));
        assert_eq!(Timestamp::parse("2026-01-01T09:00:00Z"), Some(nine));
        assert_eq!(Timestamp::parse("2026-01-01 11:00:00+02:00"), Some(nine));
        assert_eq!(
            Timestamp::parse("2026-01-01").unwrap().to_string(),
            "2026-01-01 00:00:00"
        );
        assert_eq!(
            Timestamp::parse("2026-01-01 09:00:00.123456").unwrap().to_string(),
            "2026-01-01 09:00:00.123456"
        );
        assert_eq!(
            Timestamp::parse("2026-01-01 09:00:00.5").unwrap().to_string(),
            "2026-01-01 09:00:00.5"
        );
        assert_eq!(nine.micros(), 1_767_258_000_000_000);
    }

    #[test]
    fn rejects_what_spark_turns_into_null() {
        for bad in [
            "garbage",
            "2026-13-01 00:00:00",
            "2026-02-30",
            "2026-01-01 24:00:00",
            "2026-01-01x",
            "",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_before_the_epoch_print_correctly() {
        let ts = Timestamp::parse("1969-12-31 23:59:59.5").unwrap();
        assert_eq!(ts.micros(), -500_000);
        assert_eq!(ts.to_string(), "1969-12-31 23:59:59.5");
        assert_eq!(ts.date().to_string(), "1969-12-31");
    }

    #[test]
    fn dates_round_trip() {
        let date = Date::parse("2026-01-01").unwrap();
        assert_eq!(date.days(), 20_454);
        assert_eq!(date.to_string(), "2026-01-01");
        assert_eq!(date.to_timestamp().to_string(), "2026-01-01 00:00:00");
        assert_eq!(Date::parse_prefix("2026-01-01 09:00:00"), Some(date));
        assert_eq!(Date::parse_prefix("2026-01-01T09:00"), Some(date));
        assert_eq!(Date::parse_prefix("2026-01-01x"), None);
    }
}
