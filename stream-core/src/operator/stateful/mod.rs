//! Arbitrary stateful processing: Spark's `transformWithState`, typed.
//!
//! A [`StatefulProcessor`] sees, per grouping key and batch, the key's rows, its state
//! variables ([`ValueState`], [`ListState`], [`MapState`], each with an optional time to live)
//! and its timers, and emits output rows; when a timer expires it is called again for that key.
//! [`TransformWithState`] is the runtime operator that runs one: it groups a batch's rows by
//! key, calls the processor, fires the timers the watermark (or the clock) passed, evicts
//! expired values, and checkpoints state and timers like every other stateful operator.
//!
//! ```
//! use stream_core::operator::stateful::{
//!     ExpiredTimer, KeyState, ProcessorResult, StateHandle, StatefulProcessor, TimeMode,
//!     TransformWithState, ValueState,
//! };
//! use stream_core::plan::BatchContext;
//! use stream_core::Timestamp;
//!
//! /// Counts each user's clicks, and emits the count when the user has been idle for a minute.
//! #[derive(Default)]
//! struct IdleCount;
//!
//! const CLICKS: ValueState<i64> = ValueState::new("clicks");
//! const MINUTE: i64 = 60_000_000;
//!
//! impl StatefulProcessor for IdleCount {
//!     type Key = String;
//!     type Input = Timestamp;
//!     type Output = (String, i64);
//!
//!     fn init(&mut self, handle: &mut StateHandle<'_>) {
//!         handle.value(&CLICKS);
//!     }
//!
//!     fn handle_input_rows(&mut self, _user: &String, clicks: Vec<Timestamp>, state: &mut KeyState<'_, Self::Output>) -> ProcessorResult {
//!         let count = state.value(&CLICKS).get()?.unwrap_or(0) + clicks.len() as i64;
//!         state.value(&CLICKS).set(&count)?;
//!         let last = clicks.iter().max().map_or(0, |t| t.micros());
//!         for timer in state.timers().list() {
//!             state.timers().delete(timer);
//!         }
//!         state.timers().register(Timestamp::from_micros(last + MINUTE))?;
//!         Ok(())
//!     }
//!
//!     fn handle_expired_timer(&mut self, user: &String, _timer: ExpiredTimer, state: &mut KeyState<'_, Self::Output>) -> ProcessorResult {
//!         if let Some(count) = state.value(&CLICKS).get()? {
//!             state.emit((user.clone(), count));
//!         }
//!         state.value(&CLICKS).clear()?;
//!         Ok(())
//!     }
//! }
//!
//! let mut operator = TransformWithState::new(IdleCount, TimeMode::EventTime);
//! let at = |minutes: i64| Timestamp::from_micros(minutes * MINUTE);
//! // Batch 0: two clicks by u1; nothing is emitted.
//! let mut context = BatchContext::new(at(0), at(0));
//! operator.begin_batch(&context);
//! operator.push(String::from("u1"), at(10), Some(at(10)));
//! operator.push(String::from("u1"), at(11), Some(at(11)));
//! assert!(operator.end_batch(&mut context).unwrap().is_empty());
//! // Batch 1: the watermark passes 11:00 + 1 minute; the timer fires.
//! let mut context = BatchContext::new(at(13), at(0));
//! operator.begin_batch(&context);
//! assert_eq!(operator.end_batch(&mut context).unwrap(), [(String::from("u1"), 2)]);
//! ```

mod groups;
mod state;

pub use groups::{GroupState, GroupsFunction, GroupsResult, GroupsWithState};

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;

use state::{Declarations, Element, Kind, NEVER, StateRows, entry_key, expired, from_json, row_key, to_json};
pub use state::{ListState, MapState, StateError, StateHandle, ValueState};

use super::StatefulOperator;
use crate::plan::{BatchContext, StateMetrics};
use crate::state::store::{OperatorSchema, StoreSchema, StoreWriter};
use crate::types::Timestamp;

/// Which clock a processor's timers follow (Spark's `TimeMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    /// No timers.
    None,
    /// Timers fire when the batch's processing time (its timestamp) reaches them.
    ProcessingTime,
    /// Timers fire when the watermark reaches them; the query needs a watermark.
    EventTime,
}

/// The clocks a processor sees in a batch (Spark's `TimerValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerValues {
    /// The batch's timestamp.
    pub processing_time: Timestamp,
    /// The watermark that fires event-time timers in this batch (`None` unless the time mode
    /// is [`TimeMode::EventTime`]).
    pub watermark: Option<Timestamp>,
}

/// The timer that expired (Spark's `ExpiredTimerInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiredTimer {
    /// The time it was registered for.
    pub expiry: Timestamp,
}

/// What a processor's handlers return: an error of any kind stops the query, with the key.
pub type ProcessorResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A user-defined stateful processor (Spark's `StatefulProcessor`), run by
/// [`TransformWithState`] once per grouping key with rows in a batch, and once per expired
/// timer. See the [module documentation](self) for an example.
pub trait StatefulProcessor: Send + 'static {
    /// The grouping key: one column's value, or a tuple of them.
    type Key: Serialize + DeserializeOwned + Send + 'static;
    /// One input row.
    type Input: Send + 'static;
    /// One output row.
    type Output: Send + 'static;

    /// Declares the processor's state variables, once, before the first batch (and before a
    /// checkpoint's state is restored and checked against them).
    fn init(&mut self, handle: &mut StateHandle<'_>);

    /// Handles a key's rows of one batch (in no particular order), with the key's state and
    /// timers; emits output rows through [`KeyState::emit`].
    ///
    /// # Errors
    /// Any error stops the query.
    fn handle_input_rows(
        &mut self,
        key: &Self::Key,
        rows: Vec<Self::Input>,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult;

    /// Handles an expired timer of `key`; the timer is deleted afterwards.
    ///
    /// # Errors
    /// Any error stops the query.
    fn handle_expired_timer(
        &mut self,
        key: &Self::Key,
        timer: ExpiredTimer,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult {
        let _ = (key, timer, state);
        Ok(())
    }

    /// Called when the query stops.
    fn close(&mut self) {}

    /// Spark's name for the operator that runs the processor, in progress reports.
    #[doc(hidden)]
    const OPERATOR_NAME: &'static str = "transformWithStateExec";
}

/// A processor that starts from an initial state (Spark's `initialState` and
/// `handleInitialState`): each row `I` of a table, under its key, before the query's first batch
/// handles its rows. A query restarted from a checkpoint starts from the checkpoint's state.
pub trait HandlesInitialState<I>: StatefulProcessor {
    /// Sets `key`'s state from its initial row.
    ///
    /// # Errors
    /// Any error stops the query.
    fn handle_initial_state(
        &mut self,
        key: &Self::Key,
        initial: I,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult;
}

/// Applies an initial state to an operator, in its first batch.
type InitialState<P> = Box<
    dyn FnOnce(&mut TransformWithState<P>, TimerValues, &mut Vec<<P as StatefulProcessor>::Output>) -> crate::Result<()>
        + Send,
>;

/// Registered timers, by time and by key (keys as JSON).
#[derive(Debug, Default)]
struct Timers {
    by_time: BTreeSet<(i64, String)>,
    by_key: BTreeSet<(String, i64)>,
    /// Timers registered or deleted since the last checkpoint delta.
    dirty: BTreeSet<(String, i64)>,
    tracking: bool,
}

impl Timers {
    fn register(&mut self, key: &str, at: i64) {
        if self.by_key.insert((key.to_owned(), at)) {
            self.by_time.insert((at, key.to_owned()));
            self.touch(key, at);
        }
    }

    fn delete(&mut self, key: &str, at: i64) {
        if self.by_key.remove(&(key.to_owned(), at)) {
            self.by_time.remove(&(at, key.to_owned()));
            self.touch(key, at);
        }
    }

    fn touch(&mut self, key: &str, at: i64) {
        if self.tracking {
            self.dirty.insert((key.to_owned(), at));
        }
    }

    fn of_key(&self, key: &str) -> Vec<Timestamp> {
        self.by_key
            .range((key.to_owned(), i64::MIN)..=(key.to_owned(), i64::MAX))
            .map(|(_, at)| Timestamp::from_micros(*at))
            .collect()
    }
}

/// One grouping key's state, timers and output in a handler call.
pub struct KeyState<'a, O> {
    key: &'a str,
    rows: &'a mut StateRows,
    timers: &'a mut Timers,
    declared: &'a Declarations,
    time_mode: TimeMode,
    values: TimerValues,
    output: &'a mut Vec<O>,
}

impl<O> std::fmt::Debug for KeyState<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyState")
            .field("key", &self.key)
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

impl<'a, O> KeyState<'a, O> {
    /// Emits an output row.
    pub fn emit(&mut self, row: O) {
        self.output.push(row);
    }

    /// The batch's clocks.
    #[must_use]
    pub fn timer_values(&self) -> TimerValues {
        self.values
    }

    /// The key's timers.
    pub fn timers(&mut self) -> KeyTimers<'_> {
        KeyTimers {
            key: self.key,
            timers: self.timers,
            time_mode: self.time_mode,
        }
    }

    /// The key's value of a value state variable.
    pub fn value<T: Serialize + DeserializeOwned>(&mut self, state: &ValueState<T>) -> Value<'_, T> {
        Value {
            access: self.access(state.name(), Kind::Value),
            state: *state,
        }
    }

    /// The key's list of a list state variable.
    pub fn list<T: Serialize + DeserializeOwned>(&mut self, state: &ListState<T>) -> List<'_, T> {
        List {
            access: self.access(state.name(), Kind::List),
            state: *state,
        }
    }

    /// The key's map of a map state variable.
    pub fn map<K: Serialize + DeserializeOwned, V: Serialize + DeserializeOwned>(
        &mut self,
        state: &MapState<K, V>,
    ) -> Map<'_, K, V> {
        Map {
            access: self.access(state.name(), Kind::Map),
            state: *state,
        }
    }

    fn access(&mut self, name: &'static str, kind: Kind) -> Access<'_> {
        let declared = self
            .declared
            .by_name
            .get(name)
            .filter(|d| d.kind == kind)
            .map(|d| d.ttl);
        Access {
            name,
            kind,
            key: self.key,
            rows: self.rows,
            ttl: declared,
            now: self.values.processing_time.micros(),
        }
    }
}

/// A variable's rows for one key.
struct Access<'s> {
    name: &'static str,
    kind: Kind,
    key: &'s str,
    rows: &'s mut StateRows,
    /// `None` when undeclared; else the declared time to live.
    ttl: Option<Option<i64>>,
    now: i64,
}

impl Access<'_> {
    fn ttl(&self) -> Result<Option<i64>, StateError> {
        self.ttl.ok_or(StateError::Undeclared {
            state: self.name,
            kind: match self.kind {
                Kind::Value => "value",
                Kind::List => "list",
                Kind::Map => "map",
            },
        })
    }

    fn element(&self, json: String) -> Result<Element, StateError> {
        let expires = match self.ttl()? {
            Some(ttl) => self.now.saturating_add(ttl),
            None => NEVER,
        };
        Ok(Element { json, expires })
    }

    /// The live elements of a row.
    fn live(&self, row: &str) -> Result<impl Iterator<Item = &Element>, StateError> {
        self.ttl()?;
        let now = self.now;
        Ok(self
            .rows
            .rows
            .get(row)
            .into_iter()
            .flatten()
            .filter(move |e| !expired(e.expires, now)))
    }

    fn read<T: DeserializeOwned>(&self, json: &str) -> Result<T, StateError> {
        from_json(self.name, self.key, json)
    }
}

/// `Debug` for a key's accessor of a state variable: the variable and the key.
macro_rules! accessor_debug {
    ($($name:ident<$($param:ident),+>),*) => {$(
        impl<$($param),+> std::fmt::Debug for $name<'_, $($param),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("state", &self.state)
                    .field("key", &self.access.key)
                    .finish()
            }
        }
    )*};
}

accessor_debug!(Value<T>, List<T>, Map<K, V>);

/// A key's value of a [`ValueState`].
pub struct Value<'s, T> {
    access: Access<'s>,
    state: ValueState<T>,
}

impl<T: Serialize + DeserializeOwned> Value<'_, T> {
    /// The value, if set and not expired.
    ///
    /// # Errors
    /// When the variable was not declared, or the stored value does not read as a `T`.
    pub fn get(&self) -> Result<Option<T>, StateError> {
        let row = row_key(self.state.name(), self.access.key);
        match self.access.live(&row)?.next() {
            Some(element) => self.access.read(&element.json).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a value is set and not expired.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn exists(&self) -> Result<bool, StateError> {
        let row = row_key(self.state.name(), self.access.key);
        Ok(self.access.live(&row)?.next().is_some())
    }

    /// Sets the value (and restarts its time to live).
    ///
    /// # Errors
    /// When the variable was not declared, or the value cannot be serialized.
    pub fn set(&mut self, value: &T) -> Result<(), StateError> {
        let element = self.access.element(to_json(self.state.name(), value)?)?;
        self.access
            .rows
            .put(row_key(self.state.name(), self.access.key), vec![element], 1);
        Ok(())
    }

    /// Removes the value.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn clear(&mut self) -> Result<(), StateError> {
        self.access.ttl()?;
        self.access.rows.remove(&row_key(self.state.name(), self.access.key));
        Ok(())
    }
}

/// A key's list of a [`ListState`].
pub struct List<'s, T> {
    access: Access<'s>,
    state: ListState<T>,
}

impl<T: Serialize + DeserializeOwned> List<'_, T> {
    /// The list's elements not expired, oldest first.
    ///
    /// # Errors
    /// When the variable was not declared, or an element does not read as a `T`.
    pub fn get(&self) -> Result<Vec<T>, StateError> {
        let row = row_key(self.state.name(), self.access.key);
        self.access.live(&row)?.map(|e| self.access.read(&e.json)).collect()
    }

    /// Appends an element.
    ///
    /// # Errors
    /// When the variable was not declared, or the element cannot be serialized.
    pub fn append(&mut self, value: &T) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(value))
    }

    /// Appends elements.
    ///
    /// # Errors
    /// When the variable was not declared, or an element cannot be serialized.
    pub fn append_all(&mut self, values: &[T]) -> Result<(), StateError> {
        let row = row_key(self.state.name(), self.access.key);
        let mut elements: Vec<Element> = self.access.live(&row)?.cloned().collect();
        for value in values {
            elements.push(self.access.element(to_json(self.state.name(), value)?)?);
        }
        self.access.rows.put(row, elements, values.len());
        Ok(())
    }

    /// Replaces the list.
    ///
    /// # Errors
    /// When the variable was not declared, or an element cannot be serialized.
    pub fn put(&mut self, values: &[T]) -> Result<(), StateError> {
        self.clear()?;
        if values.is_empty() {
            return Ok(());
        }
        self.append_all(values)
    }

    /// Removes the list.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn clear(&mut self) -> Result<(), StateError> {
        self.access.ttl()?;
        self.access.rows.remove(&row_key(self.state.name(), self.access.key));
        Ok(())
    }
}

/// A key's map of a [`MapState`].
pub struct Map<'s, K, V> {
    access: Access<'s>,
    state: MapState<K, V>,
}

impl<K: Serialize + DeserializeOwned, V: Serialize + DeserializeOwned> Map<'_, K, V> {
    fn entry(&self, map_key: &K) -> Result<String, StateError> {
        Ok(entry_key(
            self.state.name(),
            self.access.key,
            &to_json(self.state.name(), map_key)?,
        ))
    }

    /// The value of `map_key`, if present and not expired.
    ///
    /// # Errors
    /// When the variable was not declared, or a stored value does not read as a `V`.
    pub fn get(&self, map_key: &K) -> Result<Option<V>, StateError> {
        let row = self.entry(map_key)?;
        match self.access.live(&row)?.next() {
            Some(element) => self.access.read(&element.json).map(Some),
            None => Ok(None),
        }
    }

    /// Whether `map_key` is present and not expired.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn contains_key(&self, map_key: &K) -> Result<bool, StateError> {
        let row = self.entry(map_key)?;
        Ok(self.access.live(&row)?.next().is_some())
    }

    /// Sets `map_key`'s value (and restarts its time to live).
    ///
    /// # Errors
    /// When the variable was not declared, or the key or value cannot be serialized.
    pub fn insert(&mut self, map_key: &K, value: &V) -> Result<(), StateError> {
        let row = self.entry(map_key)?;
        let element = self.access.element(to_json(self.state.name(), value)?)?;
        self.access.rows.put(row, vec![element], 1);
        Ok(())
    }

    /// Removes `map_key`.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn remove(&mut self, map_key: &K) -> Result<(), StateError> {
        self.access.ttl()?;
        let row = self.entry(map_key)?;
        self.access.rows.remove(&row);
        Ok(())
    }

    /// The entries present and not expired, in the order of their keys' JSON text.
    ///
    /// # Errors
    /// When the variable was not declared, or an entry does not read as `(K, V)`.
    pub fn entries(&self) -> Result<Vec<(K, V)>, StateError> {
        self.access.ttl()?;
        let prefix = entry_key(self.state.name(), self.access.key, "");
        let now = self.access.now;
        let mut entries = Vec::new();
        for (row, elements) in self.access.rows.rows.range(prefix.clone()..) {
            let Some(map_key) = row.strip_prefix(&prefix) else {
                break;
            };
            if let Some(element) = elements.iter().find(|e| !expired(e.expires, now)) {
                entries.push((self.access.read(map_key)?, self.access.read(&element.json)?));
            }
        }
        Ok(entries)
    }

    /// Removes every entry.
    ///
    /// # Errors
    /// When the variable was not declared.
    pub fn clear(&mut self) -> Result<(), StateError> {
        self.access.ttl()?;
        let prefix = entry_key(self.state.name(), self.access.key, "");
        let rows: Vec<String> = self
            .access
            .rows
            .rows
            .range(prefix.clone()..)
            .take_while(|(row, _)| row.starts_with(&prefix))
            .map(|(row, _)| row.clone())
            .collect();
        for row in rows {
            self.access.rows.remove(&row);
        }
        Ok(())
    }
}

/// A key's timers.
#[derive(Debug)]
pub struct KeyTimers<'s> {
    key: &'s str,
    timers: &'s mut Timers,
    time_mode: TimeMode,
}

impl KeyTimers<'_> {
    /// Registers a timer at `expiry` (event time or processing time, as the time mode says);
    /// registering one twice keeps one.
    ///
    /// # Errors
    /// When the time mode is [`TimeMode::None`].
    pub fn register(&mut self, expiry: Timestamp) -> Result<(), StateError> {
        if self.time_mode == TimeMode::None {
            return Err(StateError::NoTimers);
        }
        self.timers.register(self.key, expiry.micros());
        Ok(())
    }

    /// Deletes the timer at `expiry`, if there is one.
    pub fn delete(&mut self, expiry: Timestamp) {
        self.timers.delete(self.key, expiry.micros());
    }

    /// The key's timers, earliest first.
    #[must_use]
    pub fn list(&self) -> Vec<Timestamp> {
        self.timers.of_key(self.key)
    }
}

/// Spark's `transformWithState` operator: runs a [`StatefulProcessor`] over a stream grouped
/// by key. See the [module documentation](self) for an example.
pub struct TransformWithState<P: StatefulProcessor> {
    processor: P,
    time_mode: TimeMode,
    declared: Declarations,
    rows: StateRows,
    timers: Timers,
    /// This batch's rows, by key (as JSON), in the order keys were first seen.
    pending: Vec<(String, P::Key, Vec<P::Input>)>,
    pending_index: HashMap<String, usize>,
    late_event_watermark: Timestamp,
    dropped_late: u64,
    /// The initial state, until the first batch applies it (or a checkpoint's state replaces it).
    initial: Option<InitialState<P>>,
    /// The event time of an output row, when the output carries the event time on.
    output_event_time: Option<EventTimeOf<P::Output>>,
}

impl<P: StatefulProcessor> std::fmt::Debug for TransformWithState<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformWithState")
            .field("processor", &std::any::type_name::<P>())
            .field("time_mode", &self.time_mode)
            .field("state_rows", &self.rows.rows.len())
            .field("timers", &self.timers.by_key.len())
            .finish_non_exhaustive()
    }
}

impl<P: StatefulProcessor> TransformWithState<P> {
    /// The operator running `processor`, whose state variables it declares now.
    pub fn new(mut processor: P, time_mode: TimeMode) -> Self {
        let mut declared = Declarations::default();
        processor.init(&mut StateHandle {
            declared: &mut declared,
            time_mode,
        });
        Self {
            processor,
            time_mode,
            declared,
            rows: StateRows::default(),
            timers: Timers::default(),
            pending: Vec::new(),
            pending_index: HashMap::new(),
            late_event_watermark: Timestamp::default(),
            dropped_late: 0,
            initial: None,
            output_event_time: None,
        }
    }

    /// Makes the column `event_time` gives of each output row carry the event time on, to an
    /// aggregation after the processor (Spark's `eventTimeColumnName`): a row at or before the
    /// previous batch's watermark, which that aggregation would drop as late, fails the batch.
    pub fn with_output_event_time(&mut self, event_time: EventTimeOf<P::Output>) {
        self.output_event_time = Some(event_time);
    }

    /// Fails when a row of `emitted` (what a handler of key `key` emitted) is late, when the
    /// output carries the event time.
    fn check_emitted(&self, emitted: &[P::Output], key: &str) -> crate::Result<()> {
        let Some(event_time) = self.output_event_time else {
            return Ok(());
        };
        match emitted
            .iter()
            .filter_map(event_time)
            .find(|time| super::is_late(*time, self.late_event_watermark))
        {
            Some(time) => Err(self.failed(
                "emitting a row",
                key,
                Box::new(StateError::LateOutput {
                    event_time: time,
                    watermark: self.late_event_watermark,
                }),
            )),
            None => Ok(()),
        }
    }

    /// Starts the processor's state from `rows`, each under its key, handed to
    /// [`HandlesInitialState::handle_initial_state`] at the start of the first batch — unless
    /// the query restarts from a checkpoint, whose state it then has.
    pub fn with_initial_state<I: Send + 'static>(&mut self, rows: Vec<(P::Key, I)>)
    where
        P: HandlesInitialState<I>,
    {
        self.initial = Some(Box::new(move |operator, values, output| {
            for (key, row) in rows {
                let json = serde_json::to_string(&key).unwrap_or_default();
                let mut state = KeyState {
                    key: &json,
                    rows: &mut operator.rows,
                    timers: &mut operator.timers,
                    declared: &operator.declared,
                    time_mode: operator.time_mode,
                    values,
                    output,
                };
                if let Err(source) = operator.processor.handle_initial_state(&key, row, &mut state) {
                    return Err(operator.failed("handling its initial state", &json, source));
                }
            }
            Ok(())
        }));
    }

    /// Starts a batch with `context`'s watermarks.
    pub fn begin_batch(&mut self, context: &BatchContext) {
        self.late_event_watermark = context.late_event_watermark;
        self.dropped_late = 0;
        self.rows.updated = 0;
        self.rows.removed = 0;
    }

    /// Adds a row of `key` to the batch; with an event time (in event-time mode), a row at or
    /// before the previous batch's watermark is dropped as late and counted.
    pub fn push(&mut self, key: P::Key, row: P::Input, event_time: Option<Timestamp>) {
        if self.time_mode == TimeMode::EventTime
            && let Some(time) = event_time
            && super::is_late(time, self.late_event_watermark)
        {
            self.dropped_late += 1;
            return;
        }
        let json = serde_json::to_string(&key).unwrap_or_default();
        match self.pending_index.get(&json) {
            Some(&index) => self.pending[index].2.push(row),
            None => {
                self.pending_index.insert(json.clone(), self.pending.len());
                self.pending.push((json, key, vec![row]));
            }
        }
    }

    fn failed(
        &self,
        during: &'static str,
        key: &str,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> crate::Error {
        crate::Error::Processor {
            processor: std::any::type_name::<P>(),
            during,
            key: key.to_owned(),
            source,
        }
    }

    /// Ends the batch: calls the processor for each key with rows, then for each timer the
    /// clock passed, then evicts expired values; returns the rows emitted.
    ///
    /// # Errors
    /// When a declaration was wrong, or the processor failed (naming the key).
    pub fn end_batch(&mut self, context: &mut BatchContext) -> crate::Result<Vec<P::Output>> {
        if let Some(error) = &self.declared.error {
            return Err(self.failed("in `init`", "(none)", error.to_string().into()));
        }
        let values = TimerValues {
            processing_time: context.batch_timestamp,
            watermark: (self.time_mode == TimeMode::EventTime).then_some(context.watermark),
        };
        let mut output = Vec::new();
        if let Some(initial) = self.initial.take() {
            initial(self, values, &mut output)?;
        }
        self.pending_index.clear();
        for (json, key, rows) in std::mem::take(&mut self.pending) {
            let emitted = output.len();
            let mut state = KeyState {
                key: &json,
                rows: &mut self.rows,
                timers: &mut self.timers,
                declared: &self.declared,
                time_mode: self.time_mode,
                values,
                output: &mut output,
            };
            if let Err(source) = self.processor.handle_input_rows(&key, rows, &mut state) {
                return Err(self.failed("handling input rows", &json, source));
            }
            self.check_emitted(&output[emitted..], &json)?;
        }
        let now = match self.time_mode {
            TimeMode::None => None,
            TimeMode::ProcessingTime => Some(values.processing_time.micros()),
            TimeMode::EventTime => Some(context.watermark.micros()),
        };
        if let Some(now) = now {
            // A timer fires once the clock reaches it; the timers registered while these run are
            // left for a later batch.
            let due: Vec<(i64, String)> = self
                .timers
                .by_time
                .iter()
                .take_while(|(at, _)| *at <= now)
                .cloned()
                .collect();
            for (at, json) in due {
                let key: P::Key = match serde_json::from_str(&json) {
                    Ok(key) => key,
                    Err(e) => return Err(self.failed("reading a timer's key", &json, e.into())),
                };
                let emitted = output.len();
                let mut state = KeyState {
                    key: &json,
                    rows: &mut self.rows,
                    timers: &mut self.timers,
                    declared: &self.declared,
                    time_mode: self.time_mode,
                    values,
                    output: &mut output,
                };
                let timer = ExpiredTimer {
                    expiry: Timestamp::from_micros(at),
                };
                if let Err(source) = self.processor.handle_expired_timer(&key, timer, &mut state) {
                    return Err(self.failed("handling an expired timer", &json, source));
                }
                self.check_emitted(&output[emitted..], &json)?;
                self.timers.delete(&json, at);
            }
        }
        self.rows.evict_expired(values.processing_time.micros());
        context.dropped_by_watermark += self.dropped_late;
        Ok(output)
    }
}

impl<P: StatefulProcessor> Drop for TransformWithState<P> {
    fn drop(&mut self) {
        self.processor.close();
    }
}

/// The event time of a row of type `R` (none when it is null).
pub type EventTimeOf<R> = fn(&R) -> Option<Timestamp>;

/// A stored row's elements, as the checkpoint keeps them: each value's JSON and expiry.
type StoredElements = Vec<(String, i64)>;

impl<P: StatefulProcessor> StatefulOperator for TransformWithState<P> {
    fn name(&self) -> &'static str {
        P::OPERATOR_NAME
    }

    fn metrics(&self) -> StateMetrics {
        let bytes: usize = self
            .rows
            .rows
            .iter()
            .map(|(row, elements)| row.len() + elements.iter().map(|e| e.json.len() + 8).sum::<usize>())
            .sum();
        StateMetrics {
            num_rows_total: self.rows.rows.len() as u64,
            num_rows_updated: self.rows.updated as u64,
            num_rows_removed: self.rows.removed as u64,
            memory_used_bytes: bytes as u64,
        }
    }

    fn dropped_by_watermark(&self) -> u64 {
        self.dropped_late
    }

    fn store_names(&self) -> &'static [&'static str] {
        &["", "timers"]
    }

    fn state_schema(&self) -> OperatorSchema {
        // The values are JSON text, checked against the processor's types on restore.
        OperatorSchema {
            operator: self.name().to_owned(),
            stores: vec![
                StoreSchema::of::<String, StoredElements>(""),
                StoreSchema::of::<(String, i64), ()>("timers"),
            ],
        }
    }

    fn track_changes(&mut self) {
        self.rows.tracking = true;
        self.timers.tracking = true;
    }

    fn write_changes(&mut self, store: usize, out: &mut StoreWriter) {
        if store == 0 {
            for row in std::mem::take(&mut self.rows.dirty) {
                match self.rows.rows.get(&row) {
                    Some(elements) => out.put(&row, &stored(elements)),
                    None => out.remove(&row),
                }
            }
        } else {
            for (key, at) in std::mem::take(&mut self.timers.dirty) {
                let timer = (key, at);
                if self.timers.by_key.contains(&timer) {
                    out.put(&timer, &());
                } else {
                    out.remove(&timer);
                }
            }
        }
    }

    fn write_all(&self, store: usize, out: &mut StoreWriter) {
        if store == 0 {
            for (row, elements) in &self.rows.rows {
                out.put(row, &stored(elements));
            }
        } else {
            for timer in &self.timers.by_key {
                out.put(timer, &());
            }
        }
    }

    fn restore(&mut self, store: usize, rows: &[(&[u8], &[u8])]) -> Result<(), String> {
        // A query restarted from its checkpoint has its state there, initial state included.
        self.initial = None;
        if store == 0 {
            self.rows.rows.clear();
            for (index, (key, value)) in rows.iter().enumerate() {
                let (row, elements): (String, StoredElements) = crate::state::store::decode_row(index, key, value)?;
                let elements: Vec<Element> = elements
                    .into_iter()
                    .map(|(json, expires)| Element { json, expires })
                    .collect();
                self.declared.check_row(&row, &elements).map_err(|e| e.to_string())?;
                self.rows.rows.insert(row, elements);
            }
        } else {
            self.timers.by_key.clear();
            self.timers.by_time.clear();
            for (index, (key, value)) in rows.iter().enumerate() {
                let ((json, at), ()): ((String, i64), ()) = crate::state::store::decode_row(index, key, value)?;
                self.timers.by_time.insert((at, json.clone()));
                self.timers.by_key.insert((json, at));
            }
        }
        Ok(())
    }
}

fn stored(elements: &[Element]) -> StoredElements {
    elements.iter().map(|e| (e.json.clone(), e.expires)).collect()
}

#[cfg(test)]
mod tests;
