//! Spark datetime patterns (`yyyy-MM-dd HH:mm:ss.SSS`), for `date_format` and
//! `to_timestamp(text, pattern)`, and the calendar extractors (`hour`, `day_of_week`, ...).
//!
//! A pattern is parsed once into [`DatePattern`] items; formatting and parsing then walk the
//! items without looking at the pattern text again. Everything is in UTC (see [`crate::types`]).
//!
//! Supported letters: `y` year, `M` month (`MMM` `Jan`, `MMMM` `January`), `d` day of month,
//! `D` day of year, `H` hour 0–23, `h` hour 1–12, `a` AM/PM, `m` minute, `s` second, `S`
//! fraction of a second, `E` day name (`EEE` `Mon`, `EEEE` `Monday`), `X`/`x`/`Z` zone offset;
//! text in single quotes is literal, `''` is a quote, and other non-letters stand for themselves.
//!
//! ```
//! use stream_core::Timestamp;
//! use stream_core::datetime::DatePattern;
//! let pattern = DatePattern::new("dd/MM/yyyy HH:mm").unwrap();
//! let ts = pattern.parse("01/02/2026 10:30").unwrap();
//! assert_eq!(ts, Timestamp::parse("2026-02-01 10:30:00").unwrap());
//! assert_eq!(DatePattern::new("yyyy-MM-dd'T'HH:mm").unwrap().format(ts), "2026-02-01T10:30");
//! ```

use chrono::{Datelike, NaiveDate, Timelike};
use stream_grammar::pattern::PatternItem as Item;
pub use stream_grammar::zone::Zone;

use crate::types::{Date, Timestamp};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A parsed Spark datetime pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatePattern {
    items: Vec<Item>,
}

impl DatePattern {
    /// Parses `pattern`, with the grammar the `stream!` macro checks patterns with.
    ///
    /// # Errors
    /// A message naming the unsupported letter or the unclosed quote.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let items = stream_grammar::pattern::tokenize(pattern)
            .map_err(|error| format!("{error} in datetime pattern `{pattern}`"))?;
        Ok(Self { items })
    }

    /// A pattern that prints `text` as it is.
    #[must_use]
    pub fn literal(text: &str) -> Self {
        Self {
            items: vec![Item::Literal(text.to_owned())],
        }
    }

    /// Formats `ts` (in UTC).
    #[must_use]
    pub fn format(&self, ts: Timestamp) -> String {
        let Some(dt) = ts.to_chrono() else {
            return String::new();
        };
        let mut out = String::with_capacity(24);
        for item in &self.items {
            match item {
                Item::Literal(text) => out.push_str(text),
                Item::Field(letter, count) => format_field(&mut out, *letter, *count, &dt, ts),
            }
        }
        out
    }

    /// Parses `text` (UTC unless it holds a zone offset); `None` when it does not match, as
    /// Spark returns null.
    #[must_use]
    pub fn parse(&self, text: &str) -> Option<Timestamp> {
        let bytes = text.trim().as_bytes();
        let mut pos = 0;
        let (mut year, mut month, mut day, mut day_of_year) = (1970i32, 1u32, 1u32, None);
        let (mut hour, mut minute, mut second, mut micros, mut pm, mut offset) = (0u32, 0u32, 0u32, 0u32, None, 0i64);
        for item in &self.items {
            match item {
                Item::Literal(literal) => {
                    if !bytes[pos..].starts_with(literal.as_bytes()) {
                        return None;
                    }
                    pos += literal.len();
                }
                Item::Field(letter, count) => match letter {
                    'y' if *count == 2 => year = 2000 + i32::try_from(digits(bytes, &mut pos, 2, 2)?).ok()?,
                    'y' => year = i32::try_from(digits(bytes, &mut pos, (*count).max(4), (*count).max(4))?).ok()?,
                    'M' if *count >= 3 => month = name_index(bytes, &mut pos, &MONTHS, *count)? + 1,
                    'M' => month = field_digits(bytes, &mut pos, *count)?,
                    'd' => day = field_digits(bytes, &mut pos, *count)?,
                    'D' => day_of_year = Some(digits(bytes, &mut pos, (*count).min(3), 3)?),
                    'H' => hour = field_digits(bytes, &mut pos, *count)?,
                    'h' => hour = field_digits(bytes, &mut pos, *count)? % 12,
                    'a' => {
                        pm = Some(match bytes.get(pos..pos + 2)? {
                            b"AM" | b"am" => false,
                            b"PM" | b"pm" => true,
                            _ => return None,
                        });
                        pos += 2;
                    }
                    'm' => minute = field_digits(bytes, &mut pos, *count)?,
                    's' => second = field_digits(bytes, &mut pos, *count)?,
                    'S' => {
                        let value = digits(bytes, &mut pos, *count, *count)?;
                        micros = scale_fraction(value, *count);
                    }
                    'E' => {
                        name_index(bytes, &mut pos, &DAYS, *count)?;
                    }
                    _ => offset = parse_offset(bytes, &mut pos)?,
                },
            }
        }
        if pos != bytes.len() {
            return None;
        }
        if pm == Some(true) {
            hour += 12;
        }
        let date = match day_of_year {
            Some(ordinal) => NaiveDate::from_yo_opt(year, ordinal)?,
            None => NaiveDate::from_ymd_opt(year, month, day)?,
        };
        let time = chrono::NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
        let utc = date.and_time(time).and_utc().timestamp_micros();
        Some(Timestamp::from_micros(utc - offset * 1_000_000))
    }
}

fn pad(out: &mut String, value: u32, width: usize) {
    out.push_str(&format!("{value:0width$}"));
}

fn format_field(out: &mut String, letter: char, count: usize, dt: &chrono::DateTime<chrono::Utc>, ts: Timestamp) {
    match letter {
        'y' if count == 2 => pad(out, dt.year().rem_euclid(100).unsigned_abs(), 2),
        // Java's `yyyy` marks a year wider than the pattern with `+` (SignStyle.EXCEEDS_PAD).
        'y' if count >= 4 && dt.year() > 10_i32.pow(u32::try_from(count).unwrap_or(4)) - 1 => {
            out.push_str(&format!("+{}", dt.year()));
        }
        'y' => out.push_str(&format!("{:0count$}", dt.year())),
        'M' if count == 3 => out.push_str(&MONTHS[dt.month0() as usize][..3]),
        'M' if count >= 4 => out.push_str(MONTHS[dt.month0() as usize]),
        'M' => pad(out, dt.month(), count),
        'd' => pad(out, dt.day(), count),
        'D' => pad(out, dt.ordinal(), count),
        'H' => pad(out, dt.hour(), count),
        'h' => pad(out, dt.hour12().1, count),
        'a' => out.push_str(if dt.hour12().0 { "PM" } else { "AM" }),
        'm' => pad(out, dt.minute(), count),
        's' => pad(out, dt.second(), count),
        'S' => {
            let micros = ts.micros().rem_euclid(1_000_000);
            let digits = format!("{micros:06}");
            if count <= 6 {
                out.push_str(&digits[..count]);
            } else {
                out.push_str(&digits);
                out.push_str(&"0".repeat(count - 6));
            }
        }
        'E' if count >= 4 => out.push_str(DAYS[dt.weekday().num_days_from_monday() as usize]),
        'E' => out.push_str(&DAYS[dt.weekday().num_days_from_monday() as usize][..3]),
        // Every instant is printed in UTC.
        'X' => out.push('Z'),
        'Z' => out.push_str("+0000"),
        _ => out.push_str(match count {
            1 => "+00",
            2 => "+0000",
            _ => "+00:00",
        }),
    }
}

/// Between `min` and `max` ASCII digits at `pos`.
fn digits(bytes: &[u8], pos: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *pos;
    let mut value: u32 = 0;
    while *pos - start < max && bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
        value = value.checked_mul(10)?.checked_add(u32::from(bytes[*pos] - b'0'))?;
        *pos += 1;
    }
    (*pos - start >= min).then_some(value)
}

/// A numeric field: `M` takes one or two digits, `MM` exactly two.
fn field_digits(bytes: &[u8], pos: &mut usize, count: usize) -> Option<u32> {
    if count == 1 {
        digits(bytes, pos, 1, 2)
    } else {
        digits(bytes, pos, count, count)
    }
}

fn scale_fraction(value: u32, count: usize) -> u32 {
    match count {
        0..=6 => value * 10u32.pow(u32::try_from(6 - count).unwrap_or(0)),
        _ => value / 10u32.pow(u32::try_from(count - 6).unwrap_or(0)),
    }
}

fn name_index(bytes: &[u8], pos: &mut usize, names: &[&str], count: usize) -> Option<u32> {
    for (index, name) in names.iter().enumerate() {
        let candidate = if count >= 4 { name } else { &name[..3] };
        if bytes[*pos..].len() >= candidate.len()
            && bytes[*pos..*pos + candidate.len()].eq_ignore_ascii_case(candidate.as_bytes())
        {
            *pos += candidate.len();
            return u32::try_from(index).ok();
        }
    }
    None
}

/// `Z`, `±HH`, `±HHmm` or `±HH:mm`, in seconds east of UTC.
fn parse_offset(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    match bytes.get(*pos)? {
        b'Z' => {
            *pos += 1;
            Some(0)
        }
        sign @ (b'+' | b'-') => {
            let negative = *sign == b'-';
            *pos += 1;
            let hours = digits(bytes, pos, 2, 2)?;
            if bytes.get(*pos) == Some(&b':') {
                *pos += 1;
            }
            let minutes = digits(bytes, pos, 0, 2).unwrap_or(0);
            let seconds = i64::from(hours * 3600 + minutes * 60);
            Some(if negative { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// `hour(ts)`: 0–23.
#[must_use]
pub fn hour(ts: Timestamp) -> i32 {
    i32::try_from(ts.micros().div_euclid(3_600_000_000).rem_euclid(24)).unwrap_or(0)
}

/// `minute(ts)`: 0–59.
#[must_use]
pub fn minute(ts: Timestamp) -> i32 {
    i32::try_from(ts.micros().div_euclid(60_000_000).rem_euclid(60)).unwrap_or(0)
}

/// `second(ts)`: 0–59.
#[must_use]
pub fn second(ts: Timestamp) -> i32 {
    i32::try_from(ts.micros().div_euclid(1_000_000).rem_euclid(60)).unwrap_or(0)
}

/// `dayofweek(ts)`: 1 = Sunday … 7 = Saturday, as Spark.
#[must_use]
pub fn day_of_week(ts: Timestamp) -> i32 {
    // 1970-01-01 was a Thursday (5).
    i32::try_from((ts.micros().div_euclid(86_400_000_000) + 4).rem_euclid(7) + 1).unwrap_or(1)
}

/// `year(ts)`, `month(ts)` and `dayofmonth(ts)`.
#[must_use]
pub fn year_month_day(ts: Timestamp) -> (i32, i32, i32) {
    ts.to_chrono().map_or((1970, 1, 1), |dt| {
        (
            dt.year(),
            i32::try_from(dt.month()).unwrap_or(1),
            i32::try_from(dt.day()).unwrap_or(1),
        )
    })
}

/// The microseconds of `seconds`, or `None` when they do not fit (Spark refuses the overflow).
///
/// ```
/// use stream_core::datetime::timestamp_seconds;
/// assert_eq!(timestamp_seconds(1).map(|t| t.micros()), Some(1_000_000));
/// assert_eq!(timestamp_seconds(i64::MAX), None);
/// ```
#[must_use]
pub fn timestamp_seconds(seconds: i64) -> Option<Timestamp> {
    seconds.checked_mul(1_000_000).map(Timestamp::from_micros)
}

/// `timestamp_seconds` of a double: its fraction kept to the microsecond, rounded toward zero,
/// saturating out of range as Spark does; `None` for NaN and the infinities.
///
/// ```
/// use stream_core::datetime::timestamp_seconds_f64;
/// assert_eq!(timestamp_seconds_f64(-1.5).map(|t| t.micros()), Some(-1_500_000));
/// assert_eq!(timestamp_seconds_f64(1e300).map(|t| t.micros()), Some(i64::MAX));
/// assert_eq!(timestamp_seconds_f64(f64::NAN), None);
/// ```
#[must_use]
#[expect(
    clippy::cast_possible_truncation,
    reason = "Java's saturating double-to-long cast, as Spark"
)]
pub fn timestamp_seconds_f64(seconds: f64) -> Option<Timestamp> {
    seconds
        .is_finite()
        .then(|| Timestamp::from_micros((seconds * 1e6) as i64))
}

/// The microseconds of `millis`, or `None` when they do not fit.
#[must_use]
pub fn timestamp_millis(millis: i64) -> Option<Timestamp> {
    millis.checked_mul(1_000).map(Timestamp::from_micros)
}

/// Whole seconds since the epoch, rounded down (`unix_seconds`, `unix_timestamp`).
///
/// ```
/// use stream_core::{Timestamp, datetime::unix_seconds};
/// assert_eq!(unix_seconds(Timestamp::from_micros(-500_000)), -1);
/// ```
#[must_use]
pub fn unix_seconds(ts: Timestamp) -> i64 {
    ts.micros().div_euclid(1_000_000)
}

/// Whole milliseconds since the epoch, rounded down (`unix_millis`).
#[must_use]
pub fn unix_millis(ts: Timestamp) -> i64 {
    ts.micros().div_euclid(1_000)
}

/// `date_add(date, days)`; `None` out of `Date`'s range.
///
/// ```
/// use stream_core::{Date, datetime::date_add};
/// assert_eq!(date_add(Date::parse("2024-02-28").unwrap(), 1), Date::parse("2024-02-29"));
/// ```
#[must_use]
pub fn date_add(date: Date, days: i64) -> Option<Date> {
    i32::try_from(i64::from(date.days()).checked_add(days)?)
        .ok()
        .map(Date::from_days)
}

/// `datediff(end, start)`: days from `start` to `end`.
#[must_use]
pub fn datediff(end: Date, start: Date) -> i32 {
    end.days().wrapping_sub(start.days())
}

fn naive(date: Date) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_num_days_from_ce_opt(date.days().checked_add(719_163)?)
}

fn from_naive(date: chrono::NaiveDate) -> Date {
    Date::from_days(date.num_days_from_ce() - 719_163)
}

/// `add_months(date, months)`: the same day that many months later, or the month's last day
/// when it has fewer days (`2024-01-31` + 1 is `2024-02-29`).
///
/// ```
/// use stream_core::{Date, datetime::add_months};
/// assert_eq!(add_months(Date::parse("2024-01-31").unwrap(), 1), Date::parse("2024-02-29"));
/// ```
#[must_use]
pub fn add_months(date: Date, months: i64) -> Option<Date> {
    let date = naive(date)?;
    let shifted = if months >= 0 {
        date.checked_add_months(chrono::Months::new(u32::try_from(months).ok()?))
    } else {
        date.checked_sub_months(chrono::Months::new(u32::try_from(months.unsigned_abs()).ok()?))
    };
    shifted.map(from_naive)
}

/// `ts + interval`, as Spark adds a calendar interval: months first (the day clamped to the
/// month's end, the time of day kept), then days, then microseconds; null out of range (Spark
/// fails the query).
///
/// ```
/// use stream_core::{Timestamp, datetime::add_interval};
/// let ts = Timestamp::parse("2024-01-31 10:00:00").unwrap();
/// assert_eq!(add_interval(ts, 1, 1, 1_800_000_000), Timestamp::parse("2024-03-01 10:30:00"));
/// ```
#[must_use]
pub fn add_interval(ts: Timestamp, months: i32, days: i32, micros: i64) -> Option<Timestamp> {
    let date = ts.date();
    let time_of_day = ts.micros() - date.to_timestamp().micros();
    let date = add_months(date, i64::from(months))?;
    let date = date_add(date, i64::from(days))?;
    date.to_timestamp()
        .micros()
        .checked_add(time_of_day)?
        .checked_add(micros)
        .map(Timestamp::from_micros)
}

/// `from_utc_timestamp(ts, zone)`: the wall-clock time in `zone` at the instant `ts`, written
/// as a UTC timestamp (Spark's reading of a UTC instant as local time).
///
/// ```
/// use stream_core::{Timestamp, datetime::{Zone, from_utc_timestamp}};
/// let berlin = Zone::parse("Europe/Berlin").unwrap();
/// let ts = Timestamp::parse("2026-03-29 01:30:00").unwrap();
/// assert_eq!(from_utc_timestamp(ts, berlin).to_string(), "2026-03-29 03:30:00");
/// ```
#[must_use]
pub fn from_utc_timestamp(ts: Timestamp, zone: Zone) -> Timestamp {
    let offset = zone.offset_seconds_at(ts.micros().div_euclid(1_000_000));
    Timestamp::from_micros(ts.micros().saturating_add(i64::from(offset) * 1_000_000))
}

/// `to_utc_timestamp(ts, zone)`: `ts`'s wall-clock time read as local time in `zone`, as a UTC
/// instant; a time in a gap moves forward by the gap, one in an overlap takes the earlier
/// offset, as Java's `LocalDateTime.atZone` does for Spark.
///
/// ```
/// use stream_core::{Timestamp, datetime::{Zone, to_utc_timestamp}};
/// let berlin = Zone::parse("Europe/Berlin").unwrap();
/// let ts = Timestamp::parse("2026-03-29 02:30:00").unwrap(); // in the spring gap
/// assert_eq!(to_utc_timestamp(ts, berlin).to_string(), "2026-03-29 01:30:00");
/// ```
#[must_use]
pub fn to_utc_timestamp(ts: Timestamp, zone: Zone) -> Timestamp {
    let offset = zone.offset_seconds_of_local(ts.micros().div_euclid(1_000_000));
    Timestamp::from_micros(ts.micros().saturating_sub(i64::from(offset) * 1_000_000))
}

/// `date + interval` of whole months and days: a date.
#[must_use]
pub fn add_interval_to_date(date: Date, months: i32, days: i32) -> Option<Date> {
    date_add(add_months(date, i64::from(months))?, i64::from(days))
}

/// `months_between(end, start[, round_off])`, as Spark: whole months when both days of the
/// month are equal or both are their month's last day; otherwise the difference in days and
/// time of day counted in 31-day months, rounded to 8 digits (half up) unless `round_off` is
/// false.
///
/// ```
/// use stream_core::{Timestamp, datetime::months_between};
/// let ts = |text| Timestamp::parse(text).unwrap();
/// assert_eq!(months_between(ts("2024-03-31 00:00:00"), ts("2024-02-29 00:00:00"), true), 1.0);
/// assert_eq!(months_between(ts("1997-02-28 10:30:00"), ts("1996-10-30 00:00:00"), true), 3.94959677);
/// ```
#[must_use]
pub fn months_between(end: Timestamp, start: Timestamp, round_off: bool) -> f64 {
    const SECONDS_PER_DAY: i64 = 86_400;
    let (end_date, start_date) = (end.date(), start.date());
    let (end_ymd, start_ymd) = (year_month_day(end), year_month_day(start));
    let month_index = |(year, month, _): (i32, i32, i32)| i64::from(year) * 12 + i64::from(month);
    let month_diff = (month_index(end_ymd) - month_index(start_ymd)) as f64;
    let is_last_day = |date: Date| last_day(date) == Some(date);
    if end_ymd.2 == start_ymd.2 || (is_last_day(end_date) && is_last_day(start_date)) {
        return month_diff;
    }
    // Whole seconds of the day, as Spark (after Hive) counts them.
    let seconds_of_day = |ts: Timestamp, date: Date| (ts.micros() - date.to_timestamp().micros()) / 1_000_000;
    let seconds_diff = i64::from(end_ymd.2 - start_ymd.2) * SECONDS_PER_DAY + seconds_of_day(end, end_date)
        - seconds_of_day(start, start_date);
    let diff = month_diff + seconds_diff as f64 / (31 * SECONDS_PER_DAY) as f64;
    if !round_off {
        return diff;
    }
    // Java's Math.round: the nearest integer, ties toward positive infinity.
    let scaled = diff * 1e8;
    let floor = scaled.floor();
    let rounded = if scaled - floor >= 0.5 { floor + 1.0 } else { floor };
    rounded / 1e8
}

/// `last_day(date)`: the last day of its month.
#[must_use]
pub fn last_day(date: Date) -> Option<Date> {
    let date = naive(date)?;
    let first_of_next = date.with_day(1)?.checked_add_months(chrono::Months::new(1))?;
    first_of_next.pred_opt().map(from_naive)
}

/// `dayofyear(date)`: 1–366.
#[must_use]
pub fn day_of_year(date: Date) -> i32 {
    naive(date).map_or(0, |d| i32::try_from(d.ordinal()).unwrap_or(0))
}

/// `quarter(date)`: 1–4.
#[must_use]
pub fn quarter(date: Date) -> i32 {
    naive(date).map_or(0, |d| i32::try_from((d.month() - 1) / 3 + 1).unwrap_or(0))
}

/// `weekofyear(date)`: the ISO-8601 week, 1–53 (weeks start on Monday; week 1 holds the year's
/// first Thursday).
#[must_use]
pub fn week_of_year(date: Date) -> i32 {
    naive(date).map_or(0, |d| i32::try_from(d.iso_week().week()).unwrap_or(0))
}

/// `weekday(date)`: 0 = Monday … 6 = Sunday.
#[must_use]
pub fn weekday(date: Date) -> i32 {
    naive(date).map_or(0, |d| i32::try_from(d.weekday().num_days_from_monday()).unwrap_or(0))
}

/// `make_date(year, month, day)`; `None` for a date that does not exist.
///
/// ```
/// use stream_core::{Date, datetime::make_date};
/// assert_eq!(make_date(2024, 2, 29), Date::parse("2024-02-29"));
/// assert_eq!(make_date(2023, 2, 29), None);
/// ```
#[must_use]
pub fn make_date(year: i64, month: i64, day: i64) -> Option<Date> {
    let (year, month, day) = (
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    );
    chrono::NaiveDate::from_ymd_opt(year, month, day).map(from_naive)
}

/// A unit `date_trunc` and `trunc` truncate to, as Spark names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncUnit {
    /// `YEAR`, `YYYY`, `YY`.
    Year,
    /// `QUARTER`.
    Quarter,
    /// `MONTH`, `MM`, `MON`.
    Month,
    /// `WEEK`: the Monday of the week.
    Week,
    /// `DAY`, `DD`.
    Day,
    /// `HOUR`.
    Hour,
    /// `MINUTE`.
    Minute,
    /// `SECOND`.
    Second,
    /// `MILLISECOND`.
    Millisecond,
    /// `MICROSECOND`.
    Microsecond,
}

impl TruncUnit {
    /// The unit Spark names `name` (any case), or `None`.
    ///
    /// ```
    /// use stream_core::datetime::TruncUnit;
    /// assert_eq!(TruncUnit::parse("mon"), Some(TruncUnit::Month));
    /// ```
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "YEAR" | "YYYY" | "YY" => Self::Year,
            "QUARTER" => Self::Quarter,
            "MONTH" | "MM" | "MON" => Self::Month,
            "WEEK" => Self::Week,
            "DAY" | "DD" => Self::Day,
            "HOUR" => Self::Hour,
            "MINUTE" => Self::Minute,
            "SECOND" => Self::Second,
            "MILLISECOND" => Self::Millisecond,
            "MICROSECOND" => Self::Microsecond,
            _ => return None,
        })
    }

    /// Whether `trunc(date, unit)` accepts it (a date has no finer units than a week).
    #[must_use]
    pub fn applies_to_dates(self) -> bool {
        matches!(self, Self::Year | Self::Quarter | Self::Month | Self::Week)
    }
}

/// The first day of `unit` holding `date` (for a unit of a day or finer, `date` itself).
fn truncate_date(date: chrono::NaiveDate, unit: TruncUnit) -> Option<chrono::NaiveDate> {
    match unit {
        TruncUnit::Year => date.with_ordinal(1),
        TruncUnit::Quarter => date.with_day(1)?.with_month((date.month() - 1) / 3 * 3 + 1),
        TruncUnit::Month => date.with_day(1),
        TruncUnit::Week => date.checked_sub_days(chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))),
        _ => Some(date),
    }
}

/// `date_trunc(unit, ts)`.
///
/// ```
/// use stream_core::{Timestamp, datetime::{TruncUnit, date_trunc}};
/// let ts = Timestamp::parse("2024-02-29 13:45:10.5").unwrap();
/// assert_eq!(date_trunc(TruncUnit::Hour, ts), Timestamp::parse("2024-02-29 13:00:00"));
/// assert_eq!(date_trunc(TruncUnit::Week, ts), Timestamp::parse("2024-02-26 00:00:00"));
/// ```
#[must_use]
pub fn date_trunc(unit: TruncUnit, ts: Timestamp) -> Option<Timestamp> {
    let micros = ts.micros();
    let floor = |step: i64| Some(Timestamp::from_micros(micros - micros.rem_euclid(step)));
    match unit {
        TruncUnit::Microsecond => Some(ts),
        TruncUnit::Millisecond => floor(1_000),
        TruncUnit::Second => floor(1_000_000),
        TruncUnit::Minute => floor(60_000_000),
        TruncUnit::Hour => floor(3_600_000_000),
        TruncUnit::Day => floor(86_400_000_000),
        _ => {
            let date = truncate_date(naive(ts.date())?, unit)?;
            Some(from_naive(date).to_timestamp())
        }
    }
}

/// `trunc(date, unit)`: `None` for a unit finer than a week, as Spark.
#[must_use]
pub fn trunc_date(date: Date, unit: TruncUnit) -> Option<Date> {
    if !unit.applies_to_dates() {
        return None;
    }
    truncate_date(naive(date)?, unit).map(from_naive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn formats_like_spark() {
        let t = ts("2026-01-01 09:04:05.123");
        let cases = [
            ("yyyy-MM-dd HH:mm", "2026-01-01 09:04"),
            ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2026-01-01T09:04:05.123"),
            ("HH:mm", "09:04"),
            ("yyyyMMdd", "20260101"),
            ("dd/MM/yyyy HH:mm:ss", "01/01/2026 09:04:05"),
            ("EEE, d MMM yy h:mm a", "Thu, 1 Jan 26 9:04 AM"),
            ("yyyy-MM-dd HH:mm:ssXXX", "2026-01-01 09:04:05Z"),
            ("'at' HH 'o''clock'", "at 09 o'clock"),
        ];
        for (pattern, expected) in cases {
            assert_eq!(DatePattern::new(pattern).unwrap().format(t), expected, "{pattern}");
        }
    }

    #[test]
    fn parses_like_spark() {
        let cases = [
            ("01/02/2026 10:30", "dd/MM/yyyy HH:mm", "2026-02-01 10:30:00"),
            (
                "2026-01-01T09:00:00.123",
                "yyyy-MM-dd'T'HH:mm:ss.SSS",
                "2026-01-01 09:00:00.123",
            ),
            ("20260101", "yyyyMMdd", "2026-01-01 00:00:00"),
            (
                "2026-01-01 09:00:00+02:00",
                "yyyy-MM-dd HH:mm:ssXXX",
                "2026-01-01 07:00:00",
            ),
            ("2026-01-01 09:00:00Z", "yyyy-MM-dd HH:mm:ssXXX", "2026-01-01 09:00:00"),
            ("1 Feb 2026 9:05 PM", "d MMM yyyy h:mm a", "2026-02-01 21:05:00"),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(
                DatePattern::new(pattern).unwrap().parse(text),
                Some(ts(expected)),
                "{text} / {pattern}"
            );
        }
        for (text, pattern) in [
            ("2026-13-01", "yyyy-MM-dd"),
            ("2026-01-01 x", "yyyy-MM-dd"),
            ("26-01-01", "yyyy-MM-dd"),
        ] {
            assert_eq!(
                DatePattern::new(pattern).unwrap().parse(text),
                None,
                "{text} / {pattern}"
            );
        }
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(
            DatePattern::new("yyyy-MM-dd 'T")
                .unwrap_err()
                .contains("unclosed quote")
        );
        assert!(
            DatePattern::new("yyyy-qq")
                .unwrap_err()
                .contains("unsupported letter `q`")
        );
    }

    #[test]
    fn extractors() {
        let t = ts("2026-01-01 09:04:05");
        assert_eq!((hour(t), minute(t), second(t)), (9, 4, 5));
        assert_eq!(day_of_week(t), 5); // a Thursday
        assert_eq!(day_of_week(ts("2026-01-04 00:00:00")), 1); // a Sunday
        assert_eq!(year_month_day(t), (2026, 1, 1));
        assert_eq!(hour(ts("1969-12-31 23:30:00")), 23);
    }
}
