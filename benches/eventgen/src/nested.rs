//! The nested shape: the seed's events with a `device` object, a `tags` array and a
//! `properties` object, about 240 bytes a line:
//!
//! ```text
//! {"event_id": "e000000042", "user_id": "u031337", "event_time": "2026-01-01 00:02:31", "device": {"os": "android", "version": 14, "model": "Pixel 8"}, "tags": ["sale", "mobile"], "properties": {"campaign": "spring_sale", "ref": "newsletter"}}
//! ```
//!
//! `event_id`, `user_id` and `event_time` are those of the seed's event of the same number
//! ([`Config::events`](crate::Config::events)); the rest is drawn from a random stream of its
//! own:
//! - **tags**: `null` in 0.5% of events, `[]` in 9.5%, otherwise one to six distinct tags
//!   (1: 25%, 2: 25%, 3: 18%, 4: 12%, 5: 6%, 6: 4% of all events), 2.3 a line on average. Each
//!   is drawn from a vocabulary of 50 ([`TAGS`]) with density ∝ (k/50)^(-1/2), redrawn when the
//!   event has it already; in the default 2,000,000 events the first tag is 12% of all tags and
//!   the last 1%;
//! - **device**: `os` android 45%, ios 35%, windows 12%, macos 5%, linux 3%, with a `version`
//!   number and a `model` of that system;
//! - **properties**: a `campaign` and a `ref` (referrer), from seven values each.
//!
//! Every line has every key, in this order, so a reader that needs `tags` alone has the
//! `device` object before it and the `properties` object after it to skip.

use super::{Event, Rng, push_padded, push_timestamp};

/// Mixed into the seed for the nested fields' random stream, so the seed's events are unchanged.
pub(crate) const STREAM: u64 = 0x6E65_7374_6564_0001;

/// The tag vocabulary, most frequent first.
pub const TAGS: [&str; 50] = [
    "sale",
    "mobile",
    "new",
    "electronics",
    "fashion",
    "home",
    "kitchen",
    "books",
    "toys",
    "sports",
    "outdoor",
    "beauty",
    "health",
    "garden",
    "auto",
    "music",
    "movies",
    "games",
    "pets",
    "baby",
    "office",
    "travel",
    "food",
    "drinks",
    "jewelry",
    "shoes",
    "bags",
    "watches",
    "computers",
    "phones",
    "cameras",
    "audio",
    "tv",
    "appliances",
    "furniture",
    "lighting",
    "tools",
    "crafts",
    "party",
    "gifts",
    "clearance",
    "premium",
    "eco",
    "local",
    "imported",
    "bundle",
    "subscription",
    "limited",
    "trending",
    "featured",
];

/// An operating system a device runs.
struct System {
    name: &'static str,
    /// Share of events, per thousand.
    per_mille: u64,
    /// The lowest and highest `version`.
    versions: (u64, u64),
    models: &'static [&'static str],
}

const SYSTEMS: [System; 5] = [
    System {
        name: "android",
        per_mille: 450,
        versions: (10, 15),
        models: &[
            "Pixel 8",
            "Pixel 9",
            "Galaxy S24",
            "Galaxy A54",
            "Redmi Note 13",
            "OnePlus 12",
        ],
    },
    System {
        name: "ios",
        per_mille: 350,
        versions: (15, 18),
        models: &["iPhone 13", "iPhone 14", "iPhone 15", "iPhone 16", "iPad Air"],
    },
    System {
        name: "windows",
        per_mille: 120,
        versions: (10, 11),
        models: &["Surface Laptop 6", "ThinkPad X1", "XPS 13", "Desktop"],
    },
    System {
        name: "macos",
        per_mille: 50,
        versions: (12, 15),
        models: &["MacBook Air", "MacBook Pro", "iMac"],
    },
    System {
        name: "linux",
        per_mille: 30,
        versions: (5, 6),
        models: &["Desktop", "ThinkPad T14"],
    },
];

const CAMPAIGNS: [&str; 7] = [
    "none",
    "spring_sale",
    "summer_sale",
    "black_friday",
    "newsletter_weekly",
    "retargeting",
    "brand",
];

const REFERRERS: [&str; 7] = [
    "direct",
    "google",
    "bing",
    "facebook",
    "instagram",
    "newsletter",
    "partner",
];

/// Cumulative shares, per thousand, of events with `null` tags, then 0, 1, … 6 tags.
const TAG_COUNTS_PER_MILLE: [u64; 8] = [5, 100, 350, 600, 780, 900, 960, 1000];

/// One nested event, before it is written as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedEvent {
    /// The seed's event of the same number: its id, user and time are this one's.
    pub event: Event,
    /// `device.os`.
    pub os: &'static str,
    /// `device.version`.
    pub version: u64,
    /// `device.model`.
    pub model: &'static str,
    /// `tags`: `None` is written `null`; the tags are distinct.
    pub tags: Option<Vec<&'static str>>,
    /// `properties.campaign`.
    pub campaign: &'static str,
    /// `properties.ref`.
    pub referrer: &'static str,
}

impl NestedEvent {
    /// Draws the nested fields of `event`.
    pub(crate) fn draw(event: Event, rng: &mut Rng) -> Self {
        let roll = rng.below(1000);
        let mut cumulative = 0;
        let system = SYSTEMS
            .iter()
            .find(|system| {
                cumulative += system.per_mille;
                roll < cumulative
            })
            .unwrap_or(&SYSTEMS[0]);
        let version = rng.between(system.versions.0, system.versions.1);
        let model = system.models[usize::try_from(rng.below(system.models.len() as u64)).unwrap_or(0)];
        let roll = rng.below(1000);
        let count = TAG_COUNTS_PER_MILLE
            .iter()
            .position(|&bound| roll < bound)
            .unwrap_or(TAG_COUNTS_PER_MILLE.len() - 1);
        let tags = (count > 0).then(|| {
            let mut tags = Vec::with_capacity(count - 1);
            while tags.len() < count - 1 {
                let tag = skewed_tag(rng);
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            tags
        });
        let campaign = CAMPAIGNS[usize::try_from(rng.below(CAMPAIGNS.len() as u64)).unwrap_or(0)];
        let referrer = REFERRERS[usize::try_from(rng.below(REFERRERS.len() as u64)).unwrap_or(0)];
        Self {
            event,
            os: system.name,
            version,
            model,
            tags,
            campaign,
            referrer,
        }
    }

    /// Appends the event as one JSON line, newline included, as Python's `json.dumps` writes it.
    ///
    /// ```
    /// use rill_eventgen::nested::NestedEvent;
    /// use rill_eventgen::{Event, EventType, SEED_DAY_UNIX};
    /// let event = NestedEvent {
    ///     event: Event {
    ///         number: 2,
    ///         user: 1,
    ///         event_type: EventType::View,
    ///         event_time_unix: SEED_DAY_UNIX + 9 * 3600 + 4 * 60,
    ///         amount_cents: 0,
    ///     },
    ///     os: "ios",
    ///     version: 17,
    ///     model: "iPhone 15",
    ///     tags: Some(vec!["sale", "new"]),
    ///     campaign: "none",
    ///     referrer: "google",
    /// };
    /// let mut line = Vec::new();
    /// event.write_json(&mut line);
    /// assert_eq!(
    ///     String::from_utf8(line).unwrap(),
    ///     "{\"event_id\": \"e000000002\", \"user_id\": \"u000001\", \"event_time\": \"2026-01-01 09:04:00\", \
    ///      \"device\": {\"os\": \"ios\", \"version\": 17, \"model\": \"iPhone 15\"}, \"tags\": [\"sale\", \"new\"], \
    ///      \"properties\": {\"campaign\": \"none\", \"ref\": \"google\"}}\n"
    /// );
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"event_id\": \"e");
        push_padded(out, self.event.number, 9);
        out.extend_from_slice(b"\", \"user_id\": \"u");
        push_padded(out, u64::from(self.event.user), 6);
        out.extend_from_slice(b"\", \"event_time\": \"");
        push_timestamp(out, self.event.event_time_unix);
        out.extend_from_slice(b"\", \"device\": {\"os\": \"");
        out.extend_from_slice(self.os.as_bytes());
        out.extend_from_slice(b"\", \"version\": ");
        push_padded(out, self.version, 1);
        out.extend_from_slice(b", \"model\": \"");
        out.extend_from_slice(self.model.as_bytes());
        out.extend_from_slice(b"\"}, \"tags\": ");
        match &self.tags {
            None => out.extend_from_slice(b"null"),
            Some(tags) => {
                out.push(b'[');
                for (i, tag) in tags.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.push(b'"');
                    out.extend_from_slice(tag.as_bytes());
                    out.push(b'"');
                }
                out.push(b']');
            }
        }
        out.extend_from_slice(b", \"properties\": {\"campaign\": \"");
        out.extend_from_slice(self.campaign.as_bytes());
        out.extend_from_slice(b"\", \"ref\": \"");
        out.extend_from_slice(self.referrer.as_bytes());
        out.extend_from_slice(b"\"}}\n");
    }
}

/// A tag of [`TAGS`], skewed toward the first: index `50 · u²` for a uniform `u`, in fixed point.
fn skewed_tag(rng: &mut Rng) -> &'static str {
    let u = u128::from(rng.next_u64() >> 32);
    let squared = (u * u) >> 32;
    let index = usize::try_from((squared * TAGS.len() as u128) >> 32).unwrap_or(0);
    TAGS[index.min(TAGS.len() - 1)]
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::Config;

    fn nested() -> Config {
        Config {
            files: 3,
            rows_per_file: 20_000,
            nested: true,
            ..Config::default()
        }
    }

    #[test]
    fn every_line_is_json_with_every_key_in_order() {
        let config = nested();
        let flat = Config {
            nested: false,
            ..config
        };
        for file in 0..config.files {
            let text = String::from_utf8(config.file_bytes(file)).unwrap();
            let seed_text = String::from_utf8(flat.file_bytes(file)).unwrap();
            assert_eq!(text.lines().count(), config.rows_per_file);
            for (line, seed_line) in text.lines().zip(seed_text.lines()) {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let seed: serde_json::Value = serde_json::from_str(seed_line).unwrap();
                let object = value.as_object().unwrap();
                assert_eq!(object.len(), 6, "{line}");
                for key in ["event_id", "user_id", "event_time"] {
                    assert_eq!(value[key], seed[key], "{line}");
                }
                let device = value["device"].as_object().unwrap();
                assert_eq!(device.len(), 3, "{line}");
                assert!(device["version"].is_u64(), "{line}");
                assert_eq!(value["properties"].as_object().unwrap().len(), 2, "{line}");
                let positions: Vec<usize> = ["\"device\"", "\"tags\"", "\"properties\""]
                    .iter()
                    .map(|key| line.find(key).unwrap())
                    .collect();
                assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
                if let Some(tags) = value["tags"].as_array() {
                    assert!(tags.len() <= 6, "{line}");
                    let mut names: Vec<&str> = tags.iter().map(|t| t.as_str().unwrap()).collect();
                    names.sort_unstable();
                    names.dedup();
                    assert_eq!(names.len(), tags.len(), "duplicate tags in {line}");
                } else {
                    assert!(value["tags"].is_null(), "{line}");
                }
            }
        }
    }

    #[test]
    fn tags_are_skewed_with_empty_and_null_lists() {
        let config = nested();
        let events: Vec<_> = (0..config.files).flat_map(|f| config.nested_events(f)).collect();
        let n = events.len() as f64;
        let null = events.iter().filter(|e| e.tags.is_none()).count() as f64 / n;
        let empty = events
            .iter()
            .filter(|e| e.tags.as_ref().is_some_and(Vec::is_empty))
            .count() as f64
            / n;
        assert!((0.003..0.008).contains(&null), "{null} null");
        assert!((0.08..0.11).contains(&empty), "{empty} empty");
        let mut per_tag: HashMap<&str, u64> = HashMap::new();
        for tag in events.iter().filter_map(|e| e.tags.as_ref()).flatten() {
            *per_tag.entry(tag).or_default() += 1;
        }
        let total: u64 = per_tag.values().sum();
        let mean = total as f64 / n;
        assert!((2.2..2.45).contains(&mean), "{mean} tags an event");
        assert_eq!(per_tag.len(), super::TAGS.len());
        let first = per_tag[super::TAGS[0]] as f64 / total as f64;
        let last = per_tag[super::TAGS[49]] as f64 / total as f64;
        assert!(first > 0.08 && last < 0.02 && last > 0.0, "{first} {last}");
    }

    #[test]
    fn known_first_file_pins_the_output() {
        // Changing the generator changes Q6's input: do it on purpose only.
        let config = Config {
            nested: true,
            ..Config::default()
        };
        let text = config.file_bytes(0);
        let digest = text.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!((text.len(), digest), (24_374_153, 6_600_157_606_055_857_234));
    }

    #[test]
    fn the_seed_shape_is_unchanged_and_the_manifest_says_nested() {
        assert!(!Config::default().to_string().contains("nested"));
        assert!(nested().to_string().ends_with(" shape=nested"));
        assert_ne!(
            nested().file_bytes(0),
            Config {
                nested: false,
                ..nested()
            }
            .file_bytes(0)
        );
    }
}
