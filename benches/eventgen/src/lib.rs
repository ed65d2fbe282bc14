//! A deterministic generator of the seed chapter's events, for benchmarks.
//!
//! Each event is one JSON line with the seed's schema — `event_id`, `user_id`, `event_type`,
//! `event_time` (`yyyy-MM-dd HH:mm:ss`, UTC) and `amount` — written the way the seed notebook's
//! `json.dumps` writes it, about 125 bytes a line:
//!
//! ```text
//! {"event_id": "e000000042", "user_id": "u031337", "event_type": "purchase", "event_time": "2026-01-01 00:02:31", "amount": 149.9}
//! ```
//!
//! The spread is meant to look like a web shop's event log:
//! - **users** are skewed: user *k* of `users` is drawn with density ∝ (k/users)^(-2/3), so the
//!   most active 1% of users make about a fifth of the events and the least active still
//!   appear; user numbers are scrambled so the busy ones are spread over the id range;
//! - **event types**: `view` 55%, `click` 20%, `search` 10%, `add_to_cart` 8%,
//!   `remove_from_cart` 2%, `purchase` 5%;
//! - **amounts** are whole cents: views, clicks and searches carry `0.0`, cart events a small
//!   item price (0.99–49.99), purchases a basket drawn from four price tiers, so about 27% of
//!   purchases have `amount > 100`;
//! - **event times** advance steadily across the files (`seconds_per_file` per file) but each
//!   event lags its slot by up to `max_disorder_secs` (out of order within a few minutes), and a
//!   `late_per_million` share lags by one to six hours, late enough for a 10-minute watermark
//!   to drop them.
//!
//! With [`Config::nested`], the lines take the [`nested`] shape instead: the same ids, users and
//! times, with a `device` object, a `tags` array (empty in some lines, `null` in a few) and a
//! `properties` object, for queries over nested JSON.
//!
//! Everything is a pure function of the [`Config`]: the same configuration gives the same bytes
//! on every machine (the generator uses only integer arithmetic and its own PRNG). Each file
//! has a random stream of its own, so files can be produced independently.
//!
//! ```
//! use rill_eventgen::Config;
//!
//! let config = Config { files: 2, rows_per_file: 3, ..Config::default() };
//! let text = String::from_utf8(config.file_bytes(1)).unwrap();
//! assert_eq!(text.lines().count(), 3);
//! assert!(text.starts_with(r#"{"event_id": "e000000004", "user_id": "u"#));
//! assert_eq!(config.file_bytes(1), config.file_bytes(1));
//! ```

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub mod nested;

/// 2026-01-01 00:00:00 UTC, in seconds since the Unix epoch: the seed's first day.
pub const SEED_DAY_UNIX: i64 = 1_767_225_600;

/// The name of the file [`Config::write_dir`] leaves next to the events, describing them. It
/// starts with `_`, so Rill's and Spark's file sources skip it, and does not end in `.json`,
/// so DataFusion's NDJSON listing skips it too.
pub const MANIFEST_NAME: &str = "_eventgen.txt";

/// What to generate: how many files and rows, from which seed, over how many users and when.
///
/// ```
/// let config = rill_eventgen::Config::default();
/// assert_eq!((config.files, config.rows_per_file, config.users), (20, 100_000, 100_000));
/// assert_eq!(config.total_rows(), 2_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Number of files.
    pub files: usize,
    /// Rows in each file.
    pub rows_per_file: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// Number of distinct users events are drawn from (at least 1).
    pub users: u32,
    /// The event time the first file starts at, in seconds since the Unix epoch (UTC).
    pub start_unix: i64,
    /// Event-time span of one file, in seconds: file `i` covers
    /// `start_unix + i * seconds_per_file ..` up to the next file's start.
    pub seconds_per_file: i64,
    /// The most an on-time event lags its slot, in seconds (the disorder within a file).
    pub max_disorder_secs: i64,
    /// How many events in a million are late by one to six hours.
    pub late_per_million: u32,
    /// Write the nested shape instead of the seed's ([`nested`]): the same ids, users and times,
    /// with a `device` object, a `tags` array and a `properties` object in place of
    /// `event_type` and `amount`.
    pub nested: bool,
}

impl Default for Config {
    /// 20 files × 100,000 rows from seed 7 over 100,000 users, two hours of events per file,
    /// disorder up to 5 minutes, 0.2% of events hours late.
    fn default() -> Self {
        Self {
            files: 20,
            rows_per_file: 100_000,
            seed: 7,
            users: 100_000,
            start_unix: SEED_DAY_UNIX,
            seconds_per_file: 2 * 3600,
            max_disorder_secs: 5 * 60,
            late_per_million: 2_000,
            nested: false,
        }
    }
}

impl fmt::Display for Config {
    /// One line naming every option, as written in the manifest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rill-eventgen v1 files={} rows_per_file={} seed={} users={} start_unix={} seconds_per_file={} \
             max_disorder_secs={} late_per_million={}",
            self.files,
            self.rows_per_file,
            self.seed,
            self.users,
            self.start_unix,
            self.seconds_per_file,
            self.max_disorder_secs,
            self.late_per_million
        )?;
        // Only the nested shape says so: the seed's manifests stay as they were.
        if self.nested {
            f.write_str(" shape=nested")?;
        }
        Ok(())
    }
}

/// The kinds of event, with the share of events each makes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A product page was viewed (55%); amount 0.
    View,
    /// Something was clicked (20%); amount 0.
    Click,
    /// A search was run (10%); amount 0.
    Search,
    /// An item went into the cart (8%); amount the item's price, 0.99–49.99.
    AddToCart,
    /// An item left the cart (2%); amount the item's price, 0.99–49.99.
    RemoveFromCart,
    /// A basket was bought (5%); amount 1.00–2,000.00, about 27% of them above 100.
    Purchase,
}

impl EventType {
    /// Every event type, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::View,
        Self::Click,
        Self::Search,
        Self::AddToCart,
        Self::RemoveFromCart,
        Self::Purchase,
    ];

    /// The `event_type` value, as written in the JSON.
    ///
    /// ```
    /// assert_eq!(rill_eventgen::EventType::AddToCart.as_str(), "add_to_cart");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Click => "click",
            Self::Search => "search",
            Self::AddToCart => "add_to_cart",
            Self::RemoveFromCart => "remove_from_cart",
            Self::Purchase => "purchase",
        }
    }

    /// Cumulative shares in events per thousand, in [`EventType::ALL`] order.
    const CUMULATIVE_PER_MILLE: [u64; 6] = [550, 750, 850, 930, 950, 1000];

    fn draw(rng: &mut Rng) -> Self {
        let roll = rng.below(1000);
        let index = Self::CUMULATIVE_PER_MILLE
            .iter()
            .position(|&bound| roll < bound)
            .unwrap_or(Self::ALL.len() - 1);
        Self::ALL[index]
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One generated event, before it is written as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The event's number, from 1, unique across all files (`event_id` is `e` and nine digits).
    pub number: u64,
    /// The user's number, below [`Config::users`] (`user_id` is `u` and six digits).
    pub user: u32,
    /// The kind of event.
    pub event_type: EventType,
    /// The event time, in seconds since the Unix epoch (UTC).
    pub event_time_unix: i64,
    /// The amount, in cents.
    pub amount_cents: u64,
}

impl Event {
    /// The amount as the JSON holds it, `amount_cents / 100`.
    ///
    /// ```
    /// let event = rill_eventgen::Config::default().events(0).next().unwrap();
    /// assert_eq!(event.amount(), event.amount_cents as f64 / 100.0);
    /// ```
    #[must_use]
    pub fn amount(&self) -> f64 {
        self.amount_cents as f64 / 100.0
    }

    /// Appends the event as one JSON line, newline included.
    ///
    /// ```
    /// use rill_eventgen::{Event, EventType, SEED_DAY_UNIX};
    /// let event = Event {
    ///     number: 2,
    ///     user: 1,
    ///     event_type: EventType::Purchase,
    ///     event_time_unix: SEED_DAY_UNIX + 9 * 3600 + 4 * 60,
    ///     amount_cents: 2450,
    /// };
    /// let mut line = Vec::new();
    /// event.write_json(&mut line);
    /// assert_eq!(
    ///     String::from_utf8(line).unwrap(),
    ///     "{\"event_id\": \"e000000002\", \"user_id\": \"u000001\", \"event_type\": \"purchase\", \
    ///      \"event_time\": \"2026-01-01 09:04:00\", \"amount\": 24.5}\n"
    /// );
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"event_id\": \"e");
        push_padded(out, self.number, 9);
        out.extend_from_slice(b"\", \"user_id\": \"u");
        push_padded(out, u64::from(self.user), 6);
        out.extend_from_slice(b"\", \"event_type\": \"");
        out.extend_from_slice(self.event_type.as_str().as_bytes());
        out.extend_from_slice(b"\", \"event_time\": \"");
        push_timestamp(out, self.event_time_unix);
        out.extend_from_slice(b"\", \"amount\": ");
        // Debug prints the shortest text that reads back as the same double, with a `.0` on
        // whole numbers: what Python's `json.dumps` writes.
        let _ = write!(out, "{:?}", self.amount());
        out.extend_from_slice(b"}\n");
    }
}

/// Formats seconds since the Unix epoch as `yyyy-MM-dd HH:mm:ss` (UTC), the seed's
/// `event_time` text.
///
/// ```
/// use rill_eventgen::{SEED_DAY_UNIX, format_timestamp};
/// assert_eq!(format_timestamp(SEED_DAY_UNIX + 9 * 3600 + 4 * 60), "2026-01-01 09:04:00");
/// assert_eq!(format_timestamp(SEED_DAY_UNIX - 1), "2025-12-31 23:59:59");
/// assert_eq!(format_timestamp(0), "1970-01-01 00:00:00");
/// ```
#[must_use]
pub fn format_timestamp(unix_secs: i64) -> String {
    let mut out = Vec::with_capacity(19);
    push_timestamp(&mut out, unix_secs);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `value` in decimal, zero-padded to at least `width` digits.
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [0_u8; 20];
    let mut len = 0;
    let mut rest = value;
    loop {
        digits[len] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    out.extend(digits[..len].iter().rev());
}

fn push_timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400).unsigned_abs();
    let (year, month, day) = civil_from_days(days);
    push_padded(out, u64::try_from(year).unwrap_or(0), 4);
    out.push(b'-');
    push_padded(out, u64::from(month), 2);
    out.push(b'-');
    push_padded(out, u64::from(day), 2);
    out.push(b' ');
    push_padded(out, secs / 3600, 2);
    out.push(b':');
    push_padded(out, secs / 60 % 60, 2);
    out.push(b':');
    push_padded(out, secs % 60, 2);
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// The generator's PRNG: xoshiro256** seeded through splitmix64.
#[derive(Debug, Clone)]
struct Rng {
    state: [u64; 4],
}

/// One step of splitmix64: advances `state` and returns a well-mixed word.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The random stream of one file of one seed.
    fn for_file(seed: u64, file: usize) -> Self {
        let mut mix = seed ^ (file as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut state = [0; 4];
        for word in &mut state {
            *word = splitmix64(&mut mix);
        }
        Self { state }
    }

    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A uniform integer in `0..bound` (`bound > 0`), by Lemire's multiply-shift; the bias is
    /// below 2^-40 for the bounds used here.
    fn below(&mut self, bound: u64) -> u64 {
        u64::try_from((u128::from(self.next_u64()) * u128::from(bound)) >> 64).unwrap_or(0)
    }

    /// A uniform integer in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }
}

/// Odd constant used to scramble user numbers (it is prime, so coprime with almost any count).
const USER_SCRAMBLE: u64 = 2_654_435_761;

impl Config {
    /// Rows in all files.
    #[must_use]
    pub fn total_rows(&self) -> u64 {
        self.files as u64 * self.rows_per_file as u64
    }

    /// The name of file `index`: `events-00000.json`, `events-00001.json`, …
    ///
    /// ```
    /// assert_eq!(rill_eventgen::Config::default().file_name(3), "events-00003.json");
    /// ```
    #[must_use]
    pub fn file_name(&self, index: usize) -> String {
        format!("events-{index:05}.json")
    }

    /// The events of file `index`, in the order the file holds them.
    ///
    /// ```
    /// let config = rill_eventgen::Config { rows_per_file: 10, ..Default::default() };
    /// let events: Vec<_> = config.events(1).collect();
    /// assert_eq!(events.len(), 10);
    /// assert_eq!(events[0].number, 11);
    /// assert!(events.iter().all(|e| e.user < config.users));
    /// ```
    pub fn events(&self, index: usize) -> impl Iterator<Item = Event> + '_ {
        let mut rng = Rng::for_file(self.seed, index);
        let users = u64::from(self.users.max(1));
        let scramble = user_scramble(users);
        let rows = self.rows_per_file as u64;
        let first = index as u64 * rows;
        let file_start = self.start_unix + index as i64 * self.seconds_per_file;
        (0..rows).map(move |row| {
            // The event's slot advances evenly through the file's span.
            let span = u64::try_from(self.seconds_per_file.max(0)).unwrap_or(0);
            let slot = file_start + i64::try_from(row * span / rows.max(1)).unwrap_or(0);
            let lag = if rng.below(1_000_000) < u64::from(self.late_per_million) {
                rng.between(3600, 6 * 3600)
            } else {
                rng.below(u64::try_from(self.max_disorder_secs.max(0)).unwrap_or(0) + 1)
            };
            let user = skewed_user(&mut rng, users);
            let event_type = EventType::draw(&mut rng);
            let amount_cents = match event_type {
                EventType::View | EventType::Click | EventType::Search => 0,
                EventType::AddToCart | EventType::RemoveFromCart => rng.between(99, 4_999),
                EventType::Purchase => purchase_cents(&mut rng),
            };
            Event {
                number: first + row + 1,
                user: u32::try_from((user * scramble + users / 3) % users).unwrap_or(0),
                event_type,
                event_time_unix: slot - i64::try_from(lag).unwrap_or(0),
                amount_cents,
            }
        })
    }

    /// The bytes of file `index`: its events as JSON lines, in the seed's shape or, when
    /// [`nested`](Self::nested), in the nested one.
    #[must_use]
    pub fn file_bytes(&self, index: usize) -> Vec<u8> {
        if self.nested {
            let mut out = Vec::with_capacity(self.rows_per_file * 240);
            for event in self.nested_events(index) {
                event.write_json(&mut out);
            }
            return out;
        }
        let mut out = Vec::with_capacity(self.rows_per_file * 128);
        for event in self.events(index) {
            event.write_json(&mut out);
        }
        out
    }

    /// The nested events of file `index`, in the order the file holds them: the events of
    /// [`events`](Self::events) (the same numbers, users and times), each with a device, tags
    /// and properties drawn from a random stream of their own.
    ///
    /// ```
    /// let config = rill_eventgen::Config { rows_per_file: 10, nested: true, ..Default::default() };
    /// let nested: Vec<_> = config.nested_events(1).collect();
    /// let flat: Vec<_> = config.events(1).collect();
    /// assert_eq!(nested.len(), 10);
    /// assert!(nested.iter().zip(&flat).all(|(n, f)| n.event == *f));
    /// ```
    pub fn nested_events(&self, index: usize) -> impl Iterator<Item = nested::NestedEvent> + '_ {
        let mut rng = Rng::for_file(self.seed ^ nested::STREAM, index);
        self.events(index)
            .map(move |event| nested::NestedEvent::draw(event, &mut rng))
    }

    /// Writes every file into `dir` (created if missing), each under a hidden temporary name
    /// and then renamed into place, with modification times one `seconds_per_file` apart (the
    /// end of each file's span), so file sources that take the oldest file first read them in
    /// order. Also writes the manifest [`MANIFEST_NAME`]. Files of an earlier run with other
    /// options are not removed: use an empty directory.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("rill-eventgen-doc-{}", std::process::id()));
    /// let config = rill_eventgen::Config { files: 2, rows_per_file: 5, ..Default::default() };
    /// let written = config.write_dir(&dir).unwrap();
    /// assert_eq!((written.files.len(), written.rows), (2, 10));
    /// assert_eq!(written.bytes, std::fs::metadata(&written.files[0]).unwrap().len()
    ///     + std::fs::metadata(&written.files[1]).unwrap().len());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// When a file cannot be written, renamed or given its modification time.
    pub fn write_dir(&self, dir: &Path) -> io::Result<Generated> {
        fs::create_dir_all(dir)?;
        let mut generated = Generated {
            dir: dir.to_path_buf(),
            files: Vec::with_capacity(self.files),
            rows: self.total_rows(),
            bytes: 0,
        };
        for index in 0..self.files {
            let bytes = self.file_bytes(index);
            let name = self.file_name(index);
            let path = dir.join(&name);
            let temp = dir.join(format!(".{name}.tmp"));
            fs::write(&temp, &bytes)?;
            fs::File::options()
                .write(true)
                .open(&temp)?
                .set_modified(self.file_mtime(index))?;
            fs::rename(&temp, &path)?;
            generated.bytes += bytes.len() as u64;
            generated.files.push(path);
        }
        fs::write(dir.join(MANIFEST_NAME), format!("{self}\nbytes={}\n", generated.bytes))?;
        Ok(generated)
    }

    /// The files of this configuration in `dir`, when the manifest there says `write_dir` wrote
    /// them with exactly this configuration and they are all present with the recorded total
    /// size; `None` otherwise.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("rill-eventgen-find-{}", std::process::id()));
    /// let config = rill_eventgen::Config { files: 1, rows_per_file: 4, ..Default::default() };
    /// assert!(config.find_existing(&dir).is_none());
    /// let written = config.write_dir(&dir).unwrap();
    /// assert_eq!(config.find_existing(&dir), Some(written));
    /// let other = rill_eventgen::Config { seed: 8, ..config };
    /// assert!(other.find_existing(&dir).is_none());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[must_use]
    pub fn find_existing(&self, dir: &Path) -> Option<Generated> {
        let manifest = fs::read_to_string(dir.join(MANIFEST_NAME)).ok()?;
        let (described, size) = manifest.split_once('\n')?;
        if described != self.to_string() {
            return None;
        }
        let recorded: u64 = size.trim().strip_prefix("bytes=")?.parse().ok()?;
        let files: Vec<PathBuf> = (0..self.files).map(|i| dir.join(self.file_name(i))).collect();
        let mut bytes = 0;
        for file in &files {
            bytes += fs::metadata(file).ok()?.len();
        }
        (bytes == recorded).then(|| Generated {
            dir: dir.to_path_buf(),
            files,
            rows: self.total_rows(),
            bytes,
        })
    }

    /// The files in `dir`: the ones already there when they match (see
    /// [`find_existing`](Self::find_existing)), freshly written otherwise.
    ///
    /// # Errors
    /// When the files have to be written and cannot be.
    pub fn ensure_dir(&self, dir: &Path) -> io::Result<Generated> {
        match self.find_existing(dir) {
            Some(generated) => Ok(generated),
            None => self.write_dir(dir),
        }
    }

    /// The modification time given to file `index`: the end of its event-time span.
    fn file_mtime(&self, index: usize) -> SystemTime {
        let end = self.start_unix + (index as i64 + 1) * self.seconds_per_file;
        let end = u64::try_from(end).unwrap_or(0);
        SystemTime::UNIX_EPOCH + Duration::from_secs(end)
    }
}

/// A multiplier that maps user numbers `0..users` onto themselves one to one.
fn user_scramble(users: u64) -> u64 {
    let mut multiplier = USER_SCRAMBLE % users.max(1);
    while gcd(multiplier, users) != 1 {
        multiplier += 1;
    }
    multiplier.max(1)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A user number below `users`, skewed toward small numbers: `users · u³` for a uniform `u`,
/// computed in fixed point.
fn skewed_user(rng: &mut Rng, users: u64) -> u64 {
    let u = u128::from(rng.next_u64() >> 32); // 32-bit uniform fraction
    let cubed = (((u * u) >> 32) * u) >> 32; // still a 32-bit fraction
    u64::try_from((cubed * u128::from(users)) >> 32)
        .unwrap_or(0)
        .min(users - 1)
}

/// A purchase amount in cents: 60% 1–50, 25% 50–150, 12% 150–500, 3% 500–2,000.
fn purchase_cents(rng: &mut Rng) -> u64 {
    match rng.below(100) {
        0..60 => rng.between(100, 5_000),
        60..85 => rng.between(5_000, 15_000),
        85..97 => rng.between(15_000, 50_000),
        _ => rng.between(50_000, 200_000),
    }
}

/// What [`Config::write_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The directory holding the files.
    pub dir: PathBuf,
    /// The event files, in order.
    pub files: Vec<PathBuf>,
    /// Rows in all files.
    pub rows: u64,
    /// Bytes in all files.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn small() -> Config {
        Config {
            files: 3,
            rows_per_file: 2_000,
            ..Config::default()
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let config = small();
        for file in 0..config.files {
            assert_eq!(config.file_bytes(file), config.clone().file_bytes(file));
        }
        let other = Config { seed: 8, ..small() };
        assert_ne!(config.file_bytes(0), other.file_bytes(0));
        assert_ne!(config.file_bytes(0), config.file_bytes(1));
    }

    #[test]
    fn known_first_line_pins_the_output() {
        // Changing the generator changes every benchmark's input: do it on purpose only.
        let text = String::from_utf8(Config::default().file_bytes(0)).unwrap();
        let first = text.lines().next().unwrap();
        let value: serde_json::Value = serde_json::from_str(first).unwrap();
        assert_eq!(value["event_id"], "e000000001");
        let digest = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(
            (text.len(), digest),
            (EXPECTED_FIRST_FILE.0, EXPECTED_FIRST_FILE.1),
            "{first}"
        );
    }

    /// Length and FNV-1a digest of the default configuration's first file.
    const EXPECTED_FIRST_FILE: (usize, u64) = (12_467_964, 14_554_318_878_195_796_212);

    #[test]
    fn row_counts_and_every_line_is_json_with_the_schema() {
        let config = small();
        let mut numbers = HashSet::new();
        for file in 0..config.files {
            let text = String::from_utf8(config.file_bytes(file)).unwrap();
            assert!(text.ends_with('\n'));
            assert_eq!(text.lines().count(), config.rows_per_file);
            for line in text.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let object = value.as_object().unwrap();
                assert_eq!(object.len(), 5, "{line}");
                let id = object["event_id"].as_str().unwrap();
                assert!(id.starts_with('e') && id.len() == 10, "{line}");
                assert!(numbers.insert(id.to_owned()), "duplicate id in {line}");
                let user = object["user_id"].as_str().unwrap();
                assert!(user.starts_with('u') && user.len() == 7, "{line}");
                assert!(user[1..].parse::<u32>().unwrap() < config.users);
                let kind = object["event_type"].as_str().unwrap();
                assert!(EventType::ALL.iter().any(|t| t.as_str() == kind), "{line}");
                let time = object["event_time"].as_str().unwrap();
                assert_eq!(time.len(), 19, "{line}");
                assert!(
                    time.starts_with("2025-12-31 ") || time.starts_with("2026-01-0"),
                    "{line}"
                );
                let amount = object["amount"].as_f64().unwrap();
                assert!(object["amount"].is_f64(), "amount written as an integer: {line}");
                assert_eq!((amount * 100.0).round() / 100.0, amount, "{line}");
            }
        }
        assert_eq!(numbers.len() as u64, config.total_rows());
    }

    #[test]
    fn the_spread_is_realistic() {
        let config = Config {
            files: 4,
            rows_per_file: 50_000,
            ..Config::default()
        };
        let events: Vec<Event> = (0..config.files).flat_map(|f| config.events(f)).collect();
        let n = events.len() as f64;

        // Skewed users: the busiest 1% of users make far more than 1% of the events.
        let mut per_user: HashMap<u32, u64> = HashMap::new();
        for event in &events {
            *per_user.entry(event.user).or_default() += 1;
        }
        let mut counts: Vec<u64> = per_user.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top: u64 = counts[..1_000].iter().sum();
        assert!(top as f64 / n > 0.15, "top 1% of users make {top} of {n} events");
        assert!(per_user.len() > 60_000, "only {} users appear", per_user.len());

        // Every type appears, in about its share; only purchases exceed 50.
        let share = |kind: EventType| events.iter().filter(|e| e.event_type == kind).count() as f64 / n;
        assert!((share(EventType::View) - 0.55).abs() < 0.01);
        assert!((share(EventType::Purchase) - 0.05).abs() < 0.005);
        let purchases: Vec<&Event> = events.iter().filter(|e| e.event_type == EventType::Purchase).collect();
        let big = purchases.iter().filter(|e| e.amount() > 100.0).count() as f64 / purchases.len() as f64;
        assert!((0.2..0.35).contains(&big), "{big} of purchases above 100");
        assert!(
            events
                .iter()
                .all(|e| e.event_type == EventType::Purchase || e.amount_cents < 5_000)
        );
        assert!(
            events
                .iter()
                .filter(|e| matches!(e.event_type, EventType::View | EventType::Click | EventType::Search))
                .all(|e| e.amount_cents == 0)
        );

        // Times advance across files, are disordered within minutes, and a few are hours late.
        let mut late = 0;
        let mut out_of_order = 0;
        let mut latest = events[0].event_time_unix;
        for event in &events {
            if event.event_time_unix < latest - 3600 {
                late += 1;
            } else if event.event_time_unix < latest {
                out_of_order += 1;
                assert!(latest - event.event_time_unix <= config.max_disorder_secs + 60);
            }
            latest = latest.max(event.event_time_unix);
        }
        assert!(out_of_order as f64 / n > 0.3, "{out_of_order} out of order");
        let late_share = late as f64 / n;
        assert!((0.001..0.003).contains(&late_share), "{late} late");
        let end = config.start_unix + config.files as i64 * config.seconds_per_file;
        assert!(latest <= end && latest > end - 600);
    }

    #[test]
    fn write_dir_orders_files_by_modification_time_and_is_found_again() {
        let dir = std::env::temp_dir().join(format!("rill-eventgen-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let config = small();
        let written = config.write_dir(&dir).unwrap();
        assert_eq!(written.rows, config.total_rows());
        let mtimes: Vec<SystemTime> = written
            .files
            .iter()
            .map(|f| fs::metadata(f).unwrap().modified().unwrap())
            .collect();
        assert!(mtimes.windows(2).all(|w| w[0] < w[1]));
        for (index, file) in written.files.iter().enumerate() {
            assert_eq!(fs::read(file).unwrap(), config.file_bytes(index));
        }
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with('_'))
            .collect();
        assert_eq!(names.len(), config.files, "no temporary file left: {names:?}");
        assert_eq!(config.ensure_dir(&dir).unwrap(), written);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn timestamps_format_across_boundaries() {
        assert_eq!(format_timestamp(SEED_DAY_UNIX), "2026-01-01 00:00:00");
        assert_eq!(format_timestamp(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(
            format_timestamp(SEED_DAY_UNIX + 59 * 86_400 + 3661),
            "2026-03-01 01:01:01"
        );
    }

    #[test]
    fn users_are_scrambled_one_to_one() {
        for users in [1_u64, 7, 100, 100_000, 2_654_435_761 * 2] {
            let m = user_scramble(users);
            assert_eq!(gcd(m, users), 1, "{users}");
        }
    }
}
