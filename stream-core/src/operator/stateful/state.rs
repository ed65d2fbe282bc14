//! A processor's state variables: their typed descriptors, their declarations, and the rows
//! that hold them for every grouping key.
//!
//! Values are held as JSON text. JSON is self-describing, so a state type that gains a field
//! with `#[serde(default)]` still reads what an older build wrote, and one that cannot is refused
//! by serde with the field's name — Spark's state schema evolution, checked on restart.

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::Timestamp;

/// Why a state variable could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The processor used a state variable its `init` did not declare.
    #[error("state variable `{state}` was not declared: declare it in `init` with `handle.{kind}(..)`")]
    Undeclared {
        /// The variable's name.
        state: &'static str,
        /// `value`, `list` or `map`.
        kind: &'static str,
    },
    /// Two declarations of one name disagree.
    #[error("state variable `{state}` is declared twice, as {was} state and as {now} state; give each its own name")]
    Redeclared {
        /// The variable's name.
        state: &'static str,
        /// The first declaration's kind.
        was: &'static str,
        /// The second's.
        now: &'static str,
    },
    /// A stored value is not of the variable's type (its type changed in a way serde cannot
    /// read, or the checkpoint is damaged).
    #[error(
        "state variable `{state}` of key {key} cannot be read as `{type_name}`: {message}; a field added to a state type needs `#[serde(default)]`"
    )]
    Unreadable {
        /// The variable's name.
        state: String,
        /// The grouping key, as JSON.
        key: String,
        /// The Rust type it is read as.
        type_name: &'static str,
        /// serde's message, naming the field.
        message: String,
    },
    /// A value could not be serialized.
    #[error("state variable `{state}` cannot store a `{type_name}`: {message}")]
    Unwritable {
        /// The variable's name.
        state: &'static str,
        /// The value's Rust type.
        type_name: &'static str,
        /// serde's message.
        message: String,
    },
    /// A timer was registered by a processor whose time mode has no timers.
    #[error("timers need a time mode: this processor runs with `TimeMode::None`; use `EventTime` or `ProcessingTime`")]
    NoTimers,
    /// A state variable with a time to live in a processor that does not run in processing time.
    #[error(
        "state variable `{state}` has a time to live, which counts processing time: run the processor with `ProcessingTime`, or declare the variable without `with_ttl` (Spark refuses a time to live in `{mode}` mode too)"
    )]
    TtlNeedsProcessingTime {
        /// The variable's name.
        state: &'static str,
        /// The processor's time mode, as the query names it.
        mode: &'static str,
    },
    /// A processor whose output carries the event time emitted a row at or before the watermark
    /// that decides which rows are late, which an operator after it would have to drop.
    #[error(
        "it emitted a row with event time {event_time}, at or before the watermark {watermark}: the rows of a processor whose output carries the event time must be later (Spark: EMITTING_ROWS_OLDER_THAN_WATERMARK_NOT_ALLOWED)"
    )]
    LateOutput {
        /// The row's event time.
        event_time: Timestamp,
        /// The watermark that decides which rows are late (the previous batch's).
        watermark: Timestamp,
    },
    /// A group's timeout of a kind its query does not time out by.
    #[error("`{set}` needs the group to time out by `{needs}`; declare that timeout in `flat_map_groups_with_state`")]
    WrongTimeout {
        /// The method called.
        set: &'static str,
        /// The timeout it needs.
        needs: &'static str,
    },
    /// An event-time timeout before the watermark, which has passed already.
    #[error(
        "a group's timeout {timestamp} is before the watermark {watermark}: set a later one (Spark: INVALID_TIMEOUT_TIMESTAMP)"
    )]
    TimeoutBeforeWatermark {
        /// The timeout asked for.
        timestamp: Timestamp,
        /// The batch's watermark.
        watermark: Timestamp,
    },
    /// A processing-time timeout of no duration.
    #[error("a group's timeout duration must be positive")]
    ZeroTimeoutDuration,
    /// The checkpoint holds a state variable the processor no longer declares.
    #[error("the checkpoint holds state variable `{state}`, which the processor no longer declares")]
    Dropped {
        /// The variable's name.
        state: String,
    },
}

/// A value state variable: one `T` per grouping key (Spark's `ValueState`).
///
/// Declare it in [`StatefulProcessor::init`](super::StatefulProcessor::init), use it through
/// [`KeyState::value`](super::KeyState::value).
pub struct ValueState<T> {
    name: &'static str,
    ttl: Option<Duration>,
    value: PhantomData<fn() -> T>,
}

/// A list state variable: a list of `T` per grouping key, each element with its own time to
/// live (Spark's `ListState`).
pub struct ListState<T> {
    name: &'static str,
    ttl: Option<Duration>,
    element: PhantomData<fn() -> T>,
}

/// A map state variable: a map from `K` to `V` per grouping key, each entry with its own time
/// to live (Spark's `MapState`).
pub struct MapState<K, V> {
    name: &'static str,
    ttl: Option<Duration>,
    entry: PhantomData<fn() -> (K, V)>,
}

macro_rules! descriptor {
    ($name:ident<$($param:ident),+>, $kind:literal) => {
        impl<$($param),+> $name<$($param),+> {
            #[doc = concat!("A ", $kind, " state variable named `name` (unique among the processor's variables), kept until cleared.")]
            #[must_use]
            pub const fn new(name: &'static str) -> Self {
                Self { name, ttl: None, ..Self::UNNAMED }
            }

            /// The same variable, whose values expire `ttl` of processing time after they were
            /// last written (Spark's `TTLConfig`): an expired value reads as absent and is
            /// removed from state at the end of the batch.
            #[must_use]
            pub const fn with_ttl(self, ttl: Duration) -> Self {
                Self { ttl: Some(ttl), ..self }
            }

            /// The variable's name.
            #[must_use]
            pub const fn name(&self) -> &'static str {
                self.name
            }

            /// Its time to live, if any.
            #[must_use]
            pub const fn ttl(&self) -> Option<Duration> {
                self.ttl
            }
        }

        impl<$($param),+> Clone for $name<$($param),+> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<$($param),+> Copy for $name<$($param),+> {}

        impl<$($param),+> std::fmt::Debug for $name<$($param),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("name", &self.name).field("ttl", &self.ttl).finish()
            }
        }
    };
}

impl<T> ValueState<T> {
    const UNNAMED: Self = Self {
        name: "",
        ttl: None,
        value: PhantomData,
    };
}
impl<T> ListState<T> {
    const UNNAMED: Self = Self {
        name: "",
        ttl: None,
        element: PhantomData,
    };
}
impl<K, V> MapState<K, V> {
    const UNNAMED: Self = Self {
        name: "",
        ttl: None,
        entry: PhantomData,
    };
}

descriptor!(ValueState<T>, "value");
descriptor!(ListState<T>, "list");
descriptor!(MapState<K, V>, "map");

/// The kind of a state variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Value,
    List,
    Map,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Self::Value => "value",
            Self::List => "list",
            Self::Map => "map",
        }
    }
}

/// Checks that JSON text reads as a type.
type Check = fn(&str) -> Result<(), String>;

fn check<T: DeserializeOwned>(json: &str) -> Result<(), String> {
    serde_json::from_str::<T>(json).map(drop).map_err(|e| e.to_string())
}

/// A declared variable.
#[derive(Debug, Clone, Copy)]
pub(super) struct Declared {
    pub(super) kind: Kind,
    /// Time to live, in microseconds.
    pub(super) ttl: Option<i64>,
    type_name: &'static str,
    check_value: Check,
    check_key: Option<(&'static str, Check)>,
}

/// The variables a processor declared, by name.
#[derive(Debug, Default)]
pub(super) struct Declarations {
    pub(super) by_name: BTreeMap<&'static str, Declared>,
    /// The first declaration that went wrong, reported when the query starts.
    pub(super) error: Option<StateError>,
}

fn micros(ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// What a processor's [`init`](super::StatefulProcessor::init) declares its state variables
/// with (Spark's `StatefulProcessorHandle`).
#[derive(Debug)]
pub struct StateHandle<'a> {
    pub(super) declared: &'a mut Declarations,
    pub(super) time_mode: super::TimeMode,
}

impl StateHandle<'_> {
    fn declare(&mut self, name: &'static str, declared: Declared) {
        if declared.ttl.is_some() && self.time_mode != super::TimeMode::ProcessingTime && self.declared.error.is_none()
        {
            self.declared.error = Some(StateError::TtlNeedsProcessingTime {
                state: name,
                mode: match self.time_mode {
                    super::TimeMode::EventTime => "EventTime",
                    _ => "NoTime",
                },
            });
        }
        if let Some(was) = self.declared.by_name.get(name) {
            if was.kind != declared.kind && self.declared.error.is_none() {
                self.declared.error = Some(StateError::Redeclared {
                    state: name,
                    was: was.kind.noun(),
                    now: declared.kind.noun(),
                });
            }
            return;
        }
        self.declared.by_name.insert(name, declared);
    }

    /// Declares a value state variable.
    pub fn value<T: Serialize + DeserializeOwned>(&mut self, state: &ValueState<T>) {
        self.declare(
            state.name,
            Declared {
                kind: Kind::Value,
                ttl: micros(state.ttl),
                type_name: std::any::type_name::<T>(),
                check_value: check::<T>,
                check_key: None,
            },
        );
    }

    /// Declares a list state variable.
    pub fn list<T: Serialize + DeserializeOwned>(&mut self, state: &ListState<T>) {
        self.declare(
            state.name,
            Declared {
                kind: Kind::List,
                ttl: micros(state.ttl),
                type_name: std::any::type_name::<T>(),
                check_value: check::<T>,
                check_key: None,
            },
        );
    }

    /// Declares a map state variable.
    pub fn map<K: Serialize + DeserializeOwned, V: Serialize + DeserializeOwned>(&mut self, state: &MapState<K, V>) {
        self.declare(
            state.name,
            Declared {
                kind: Kind::Map,
                ttl: micros(state.ttl),
                type_name: std::any::type_name::<V>(),
                check_value: check::<V>,
                check_key: Some((std::any::type_name::<K>(), check::<K>)),
            },
        );
    }

    /// The processor's time mode.
    #[must_use]
    pub fn time_mode(&self) -> super::TimeMode {
        self.time_mode
    }
}

/// One stored value, as JSON, with the processing time (microseconds) at which it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Element {
    pub(super) json: String,
    pub(super) expires: i64,
}

/// Never expires.
pub(super) const NEVER: i64 = i64::MAX;

/// Whether a value expiring at `expires` has expired at processing time `now` (Spark: expired
/// once the batch timestamp reaches the expiry).
#[inline]
pub(super) fn expired(expires: i64, now: i64) -> bool {
    expires <= now
}

/// Every state variable's values for every grouping key, each under a row key
/// `name \0 key-json` (and `\0 map-key-json` for a map's entry); a list is one row. JSON text
/// holds no NUL byte, so row keys of one key and variable sort together.
#[derive(Debug, Default)]
pub(super) struct StateRows {
    pub(super) rows: BTreeMap<String, Vec<Element>>,
    /// Row keys changed since the last checkpoint delta.
    pub(super) dirty: BTreeSet<String>,
    pub(super) tracking: bool,
    pub(super) updated: usize,
    pub(super) removed: usize,
}

pub(super) fn row_key(name: &str, key: &str) -> String {
    format!("{name}\0{key}")
}

pub(super) fn entry_key(name: &str, key: &str, map_key: &str) -> String {
    format!("{name}\0{key}\0{map_key}")
}

impl StateRows {
    fn touch(&mut self, row: &str) {
        if self.tracking && !self.dirty.contains(row) {
            self.dirty.insert(row.to_owned());
        }
    }

    /// Puts a row, counting `written` values as updated (Spark counts each value put, each
    /// element appended to a list and each map entry set).
    pub(super) fn put(&mut self, row: String, elements: Vec<Element>, written: usize) {
        self.touch(&row);
        self.updated += written;
        self.rows.insert(row, elements);
    }

    /// Removes a row, counting each of its values as removed (Spark counts every element of a
    /// cleared list).
    pub(super) fn remove(&mut self, row: &str) {
        if let Some(elements) = self.rows.remove(row) {
            self.touch(row);
            self.removed += elements.len();
        }
    }

    /// Drops every element expired at `now` (counted as removed), and rows left empty.
    pub(super) fn evict_expired(&mut self, now: i64) {
        let mut emptied = Vec::new();
        let mut changed = Vec::new();
        for (row, elements) in &mut self.rows {
            let before = elements.len();
            elements.retain(|e| !expired(e.expires, now));
            if elements.len() != before {
                self.removed += before - elements.len();
                if elements.is_empty() {
                    emptied.push(row.clone());
                } else {
                    changed.push(row.clone());
                }
            }
        }
        for row in emptied {
            self.rows.remove(&row);
            self.touch(&row);
        }
        for row in changed {
            self.touch(&row);
        }
    }
}

impl Declarations {
    /// Checks a restored row against the declarations: its variable is declared and every value
    /// (and map key) reads as the declared type.
    pub(super) fn check_row(&self, row: &str, elements: &[Element]) -> Result<(), StateError> {
        let mut parts = row.split('\0');
        let name = parts.next().unwrap_or_default();
        let key = parts.next().unwrap_or_default();
        let Some(declared) = self.by_name.get(name) else {
            return Err(StateError::Dropped { state: name.to_owned() });
        };
        let unreadable = |type_name, message| StateError::Unreadable {
            state: name.to_owned(),
            key: key.to_owned(),
            type_name,
            message,
        };
        if let (Some((type_name, check_key)), Some(map_key)) = (declared.check_key, parts.next()) {
            check_key(map_key).map_err(|m| unreadable(type_name, m))?;
        }
        for element in elements {
            (declared.check_value)(&element.json).map_err(|m| unreadable(declared.type_name, m))?;
        }
        Ok(())
    }
}

/// A value's JSON text.
pub(super) fn to_json<T: Serialize>(state: &'static str, value: &T) -> Result<String, StateError> {
    serde_json::to_string(value).map_err(|e| StateError::Unwritable {
        state,
        type_name: std::any::type_name::<T>(),
        message: e.to_string(),
    })
}

/// A value read from JSON text.
pub(super) fn from_json<T: DeserializeOwned>(state: &'static str, key: &str, json: &str) -> Result<T, StateError> {
    serde_json::from_str(json).map_err(|e| StateError::Unreadable {
        state: state.to_owned(),
        key: key.to_owned(),
        type_name: std::any::type_name::<T>(),
        message: e.to_string(),
    })
}
