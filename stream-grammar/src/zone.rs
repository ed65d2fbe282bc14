//! Time-zone names as Spark (Java's `ZoneId`) reads them: IANA regions (`Europe/Berlin`), fixed
//! offsets (`+05:30`, `-08`, `Z`, `UTC`, `GMT+1`, `UTC+01:00`) and Java's old three-letter IDs
//! (`PST` is `America/Los_Angeles`, `EST` is `-05:00`).
//!
//! ```
//! use stream_grammar::zone::Zone;
//! let berlin = Zone::parse("Europe/Berlin").unwrap();
//! // 2026-03-29 01:30 UTC is 03:30 in Berlin, summer time.
//! assert_eq!(berlin.offset_seconds_at(1_774_747_800), 7200);
//! assert_eq!(Zone::parse("+05:30").unwrap().offset_seconds_at(0), 19_800);
//! assert!(Zone::parse("Mars/Olympus").is_none());
//! ```

use chrono::{NaiveDateTime, Offset, TimeZone};

/// A time zone: a fixed offset, or an IANA region with its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// An IANA region.
    Region(chrono_tz::Tz),
}

/// Java's `ZoneId.SHORT_IDS`, which Spark accepts.
const SHORT_IDS: [(&str, &str); 28] = [
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("ART", "Africa/Cairo"),
    ("AST", "America/Anchorage"),
    ("BET", "America/Sao_Paulo"),
    ("BST", "Asia/Dhaka"),
    ("CAT", "Africa/Harare"),
    ("CNT", "America/St_Johns"),
    ("CST", "America/Chicago"),
    ("CTT", "Asia/Shanghai"),
    ("EAT", "Africa/Addis_Ababa"),
    ("ECT", "Europe/Paris"),
    ("IET", "America/Indiana/Indianapolis"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("MIT", "Pacific/Apia"),
    ("NET", "Asia/Yerevan"),
    ("NST", "Pacific/Auckland"),
    ("PLT", "Asia/Karachi"),
    ("PNT", "America/Phoenix"),
    ("PRT", "America/Puerto_Rico"),
    ("PST", "America/Los_Angeles"),
    ("SST", "Pacific/Guadalcanal"),
    ("VST", "Asia/Ho_Chi_Minh"),
    ("EST", "-05:00"),
    ("MST", "-07:00"),
    ("HST", "-10:00"),
];

/// `+hh`, `+hh:mm`, `+hhmm`, `+hh:mm:ss` (or `-`), as seconds east of UTC.
fn fixed_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = if digits.contains(':') {
        digits.split(':').collect()
    } else if digits.len() == 4 {
        vec![&digits[..2], &digits[2..]]
    } else {
        vec![digits]
    };
    let mut seconds = 0;
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) || index > 2 {
            return None;
        }
        let value: i32 = part.parse().ok()?;
        let limit = if index == 0 { 18 } else { 59 };
        if value > limit {
            return None;
        }
        seconds += value * [3600, 60, 1][index];
    }
    (seconds <= 18 * 3600).then_some(sign * seconds)
}

impl Zone {
    /// The zone `name` names, as Spark accepts it; `None` for a name it does not know.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        let name = SHORT_IDS
            .iter()
            .find(|(short, _)| *short == name)
            .map_or(name, |(_, long)| long);
        if matches!(name, "Z" | "UTC" | "GMT" | "UT") {
            return Some(Self::Fixed(0));
        }
        for prefix in ["UTC", "GMT", "UT"] {
            if let Some(offset) = name.strip_prefix(prefix).and_then(fixed_offset) {
                return Some(Self::Fixed(offset));
            }
        }
        if let Some(offset) = fixed_offset(name) {
            return Some(Self::Fixed(offset));
        }
        name.parse::<chrono_tz::Tz>().ok().map(Self::Region)
    }

    /// Every region's IANA name, for suggestions.
    pub fn region_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The offset east of UTC, in seconds, in force at `utc_seconds` after the epoch.
    #[must_use]
    pub fn offset_seconds_at(self, utc_seconds: i64) -> i32 {
        match self {
            Self::Fixed(offset) => offset,
            Self::Region(tz) => chrono::DateTime::from_timestamp(utc_seconds, 0).map_or(0, |utc| {
                tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc()
            }),
        }
    }

    /// The offset that turns the wall-clock time `local_seconds` (seconds after the local epoch)
    /// into UTC, as Java's `LocalDateTime.atZone` picks it: in an overlap the earlier offset
    /// (summer time), in a gap the offset before it (so the time moves forward by the gap).
    #[must_use]
    pub fn offset_seconds_of_local(self, local_seconds: i64) -> i32 {
        let Self::Region(tz) = self else {
            return self.offset_seconds_at(local_seconds);
        };
        let Some(local) = chrono::DateTime::from_timestamp(local_seconds, 0).map(|t| t.naive_utc()) else {
            return 0;
        };
        let offset_of = |naive: NaiveDateTime| tz.offset_from_utc_datetime(&naive).fix().local_minus_utc();
        match tz.offset_from_local_datetime(&local) {
            chrono::LocalResult::Single(offset) => offset.fix().local_minus_utc(),
            chrono::LocalResult::Ambiguous(earlier, later) => {
                earlier.fix().local_minus_utc().max(later.fix().local_minus_utc())
            }
            // A day before the gap, the offset before it (transitions are months apart).
            chrono::LocalResult::None => offset_of(local - chrono::TimeDelta::days(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_spark_accepts() {
        for (name, offset) in [
            ("UTC", 0),
            ("Z", 0),
            ("GMT+1", 3600),
            ("UTC+01:00", 3600),
            ("-08", -28800),
            ("+0530", 19800),
            ("EST", -18000),
        ] {
            assert_eq!(Zone::parse(name), Some(Zone::Fixed(offset)), "{name}");
        }
        assert_eq!(Zone::parse("PST"), Some(Zone::Region(chrono_tz::America::Los_Angeles)));
        assert_eq!(Zone::parse("CET"), Some(Zone::Region(chrono_tz::CET)));
        for bad in ["Mars/Olympus", "+25:00", "", "+1:2:3:4", "utc+x"] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_in_gaps_and_overlaps_resolve_as_java() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin: the offset before the gap (+1).
        assert_eq!(berlin.offset_seconds_of_local(1_774_751_400), 3600);
        // 2026-10-25 02:30 happens twice: the earlier, summer offset (+2).
        assert_eq!(berlin.offset_seconds_of_local(1_792_895_400), 7200);
    }
}
