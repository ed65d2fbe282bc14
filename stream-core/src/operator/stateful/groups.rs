//! Spark's `flatMapGroupsWithState`: a function of a key's rows and its one state value, with a
//! timeout, run by [`TransformWithState`](super::TransformWithState) as the processor
//! [`GroupsWithState`].
//!
//! ```
//! use stream_core::operator::stateful::{GroupState, GroupsFunction, GroupsWithState, TimeMode, TransformWithState};
//! use stream_core::plan::BatchContext;
//! use stream_core::Timestamp;
//!
//! /// Counts each user's clicks until the user has been idle for a minute of event time.
//! #[derive(Default)]
//! struct IdleCount;
//!
//! const MINUTE: i64 = 60_000_000;
//!
//! impl GroupsFunction for IdleCount {
//!     type Key = String;
//!     type Input = Timestamp;
//!     type State = (i64, Timestamp);
//!     type Output = (String, i64);
//!
//!     fn call(
//!         &mut self,
//!         user: &String,
//!         clicks: Vec<Timestamp>,
//!         state: &mut GroupState<Self::State>,
//!     ) -> Result<Vec<(String, i64)>, Box<dyn std::error::Error + Send + Sync>> {
//!         if state.has_timed_out() {
//!             let count = state.get().map_or(0, |(count, _)| *count);
//!             state.remove();
//!             return Ok(vec![(user.clone(), count)]);
//!         }
//!         let (mut count, mut last) = state.get().copied().unwrap_or_default();
//!         for click in clicks {
//!             count += 1;
//!             last = last.max(click);
//!         }
//!         state.update((count, last));
//!         state.set_timeout_timestamp(Timestamp::from_micros(last.micros() + MINUTE))?;
//!         Ok(Vec::new())
//!     }
//! }
//!
//! let mut operator = TransformWithState::new(GroupsWithState::<IdleCount>::default(), TimeMode::EventTime);
//! let at = |minutes: i64| Timestamp::from_micros(minutes * MINUTE);
//! let mut context = BatchContext::new(at(0), at(0));
//! operator.begin_batch(&context);
//! operator.push(String::from("u1"), at(10), Some(at(10)));
//! operator.push(String::from("u1"), at(11), Some(at(11)));
//! assert!(operator.end_batch(&mut context).unwrap().is_empty());
//! // The watermark passes 11:00 + 1 minute: the group times out.
//! let mut context = BatchContext::new(at(13), at(0));
//! operator.begin_batch(&context);
//! assert_eq!(operator.end_batch(&mut context).unwrap(), [(String::from("u1"), 2)]);
//! ```

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    ExpiredTimer, KeyState, ProcessorResult, StateError, StateHandle, StatefulProcessor, TimeMode, TimerValues,
    ValueState,
};
use crate::types::Timestamp;

/// What a [`GroupsFunction`] returns: its rows, or an error that stops the query (with the key).
pub type GroupsResult<O> = Result<Vec<O>, Box<dyn std::error::Error + Send + Sync>>;

/// A function of a key's rows and state (Spark's `flatMapGroupsWithState` function), called once
/// per key with rows in a batch, and once when the key's timeout passes (with no rows).
pub trait GroupsFunction: Default + Send + 'static {
    /// The grouping key: one column's value, or a tuple of them.
    type Key: Serialize + DeserializeOwned + Send + 'static;
    /// One input row.
    type Input: Send + 'static;
    /// The key's state: any serde type, kept as JSON in the checkpoint.
    type State: Serialize + DeserializeOwned + Send + 'static;
    /// One output row.
    type Output: Send + 'static;

    /// Handles `key`'s rows of a batch (none when its timeout has passed: see
    /// [`GroupState::has_timed_out`]), reading and changing its `state`; returns the rows to emit.
    ///
    /// # Errors
    /// Any error stops the query.
    fn call(
        &mut self,
        key: &Self::Key,
        rows: Vec<Self::Input>,
        state: &mut GroupState<Self::State>,
    ) -> GroupsResult<Self::Output>;
}

/// A key's state in a [`GroupsFunction`] call (Spark's `GroupState`): its value, and its
/// timeout, which each call resets.
#[derive(Debug)]
pub struct GroupState<S> {
    value: Option<S>,
    changed: bool,
    timeout: Option<Timestamp>,
    timed_out: bool,
    clocks: TimerValues,
    time_mode: TimeMode,
}

impl<S> GroupState<S> {
    /// The key's value, if it has one.
    #[must_use]
    pub fn get(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Whether the key has a value.
    #[must_use]
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// Sets the key's value.
    pub fn update(&mut self, value: S) {
        self.value = Some(value);
        self.changed = true;
    }

    /// Removes the key's value.
    pub fn remove(&mut self) {
        self.value = None;
        self.changed = true;
    }

    /// Whether this call is the key's timeout (it then has no rows).
    #[must_use]
    pub fn has_timed_out(&self) -> bool {
        self.timed_out
    }

    /// The watermark of the batch (with an event-time timeout).
    #[must_use]
    pub fn current_watermark(&self) -> Option<Timestamp> {
        self.clocks.watermark
    }

    /// The batch's timestamp.
    #[must_use]
    pub fn current_processing_time(&self) -> Timestamp {
        self.clocks.processing_time
    }

    /// Times the key out once the watermark passes `timestamp` (an event-time timeout): the
    /// function is then called with no rows. Each call resets the timeout, so a call that wants
    /// one sets it again.
    ///
    /// # Errors
    /// Without an event-time timeout, or when `timestamp` is before the watermark (Spark
    /// refuses both).
    pub fn set_timeout_timestamp(&mut self, timestamp: Timestamp) -> Result<(), StateError> {
        let Some(watermark) = self.clocks.watermark.filter(|_| self.time_mode == TimeMode::EventTime) else {
            return Err(StateError::WrongTimeout {
                set: "set_timeout_timestamp",
                needs: "EventTimeTimeout",
            });
        };
        if timestamp < watermark {
            return Err(StateError::TimeoutBeforeWatermark { timestamp, watermark });
        }
        self.timeout = Some(timestamp);
        Ok(())
    }

    /// Times the key out once `duration` of processing time has passed (a processing-time
    /// timeout). Each call resets the timeout.
    ///
    /// # Errors
    /// Without a processing-time timeout, or with a zero duration.
    pub fn set_timeout_duration(&mut self, duration: Duration) -> Result<(), StateError> {
        if self.time_mode != TimeMode::ProcessingTime {
            return Err(StateError::WrongTimeout {
                set: "set_timeout_duration",
                needs: "ProcessingTimeTimeout",
            });
        }
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        if micros == 0 {
            return Err(StateError::ZeroTimeoutDuration);
        }
        self.timeout = Some(Timestamp::from_micros(
            self.clocks.processing_time.micros().saturating_add(micros),
        ));
        Ok(())
    }
}

/// The processor that runs a [`GroupsFunction`] `F`: its state is one value per key, its timeout
/// one timer per key.
#[derive(Debug, Default)]
pub struct GroupsWithState<F>(F);

impl<F: GroupsFunction> GroupsWithState<F> {
    /// The key's state, named as Spark's `flatMapGroupsWithState` names it.
    const STATE: ValueState<F::State> = ValueState::new("groupState");

    /// Calls the function and writes back what it changed: the value, and the timeout (Spark
    /// times a key out when the clock is past it, not at it: hence the timer a microsecond on).
    fn call(
        &mut self,
        key: &F::Key,
        rows: Vec<F::Input>,
        timed_out: bool,
        state: &mut KeyState<'_, F::Output>,
    ) -> ProcessorResult {
        let mut group = GroupState {
            value: state.value(&Self::STATE).get()?,
            changed: false,
            timeout: None,
            timed_out,
            clocks: state.timer_values(),
            time_mode: state.time_mode,
        };
        let rows = self.0.call(key, rows, &mut group)?;
        if group.changed {
            match &group.value {
                Some(value) => state.value(&Self::STATE).set(value)?,
                None => state.value(&Self::STATE).clear()?,
            }
        }
        let mut timers = state.timers();
        for timer in timers.list() {
            timers.delete(timer);
        }
        if let Some(timeout) = group.timeout {
            timers.register(Timestamp::from_micros(timeout.micros().saturating_add(1)))?;
        }
        for row in rows {
            state.emit(row);
        }
        Ok(())
    }
}

impl<F: GroupsFunction> StatefulProcessor for GroupsWithState<F> {
    type Key = F::Key;
    type Input = F::Input;
    type Output = F::Output;

    const OPERATOR_NAME: &'static str = "flatMapGroupsWithState";

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&Self::STATE);
    }

    fn handle_input_rows(
        &mut self,
        key: &F::Key,
        rows: Vec<F::Input>,
        state: &mut KeyState<'_, F::Output>,
    ) -> ProcessorResult {
        self.call(key, rows, false, state)
    }

    fn handle_expired_timer(
        &mut self,
        key: &F::Key,
        _timer: ExpiredTimer,
        state: &mut KeyState<'_, F::Output>,
    ) -> ProcessorResult {
        self.call(key, Vec::new(), true, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::stateful::TransformWithState;
    use crate::plan::BatchContext;

    const MINUTE: i64 = 60_000_000;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_micros(minutes * MINUTE)
    }

    /// Counts rows; arms a timeout at the latest row + 5 minutes only when `arm` says so, and
    /// reports every call as (key, timed out, count).
    #[derive(Default)]
    struct Arming;

    impl GroupsFunction for Arming {
        type Key = String;
        type Input = (Timestamp, bool);
        type State = i64;
        type Output = (String, bool, i64);

        fn call(
            &mut self,
            key: &String,
            rows: Vec<(Timestamp, bool)>,
            state: &mut GroupState<i64>,
        ) -> GroupsResult<Self::Output> {
            let count = state.get().copied().unwrap_or(0) + rows.len() as i64;
            state.update(count);
            if let Some((last, true)) = rows.iter().max().copied() {
                state.set_timeout_timestamp(Timestamp::from_micros(last.micros() + 5 * MINUTE))?;
            }
            Ok(vec![(key.clone(), state.has_timed_out(), count)])
        }
    }

    fn batch(
        operator: &mut TransformWithState<GroupsWithState<Arming>>,
        watermark: i64,
        rows: &[(&str, i64, bool)],
    ) -> Vec<(String, bool, i64)> {
        let mut context = BatchContext::new(at(watermark), at(0));
        operator.begin_batch(&context);
        for (key, minute, arm) in rows {
            operator.push((*key).to_owned(), (at(*minute), *arm), Some(at(*minute)));
        }
        let mut out = operator.end_batch(&mut context).unwrap();
        out.sort();
        out
    }

    #[test]
    fn a_timeout_fires_after_the_watermark_passes_it_and_each_call_resets_it() {
        let mut operator = TransformWithState::new(GroupsWithState::<Arming>::default(), TimeMode::EventTime);
        batch(&mut operator, 0, &[("a", 10, true), ("b", 10, true)]);
        // The watermark reaches 10:15, the timeout, without passing it: nothing times out.
        assert_eq!(batch(&mut operator, 15, &[]), []);
        // `b` has rows and arms nothing: its timeout is gone (Spark's Scala `GroupState`).
        assert_eq!(
            batch(&mut operator, 15, &[("b", 11, false)]),
            [("b".to_owned(), false, 2)]
        );
        // Past 10:15, `a` times out; the call re-arms nothing, so it never times out again.
        assert_eq!(batch(&mut operator, 16, &[]), [("a".to_owned(), true, 1)]);
        assert_eq!(batch(&mut operator, 60, &[]), []);
    }

    #[test]
    fn a_timeout_before_the_watermark_is_refused() {
        let mut operator = TransformWithState::new(GroupsWithState::<Arming>::default(), TimeMode::EventTime);
        let mut context = BatchContext::new(at(30), at(0));
        operator.begin_batch(&context);
        operator.push("a".to_owned(), (at(20), true), Some(at(20)));
        let error = operator.end_batch(&mut context).unwrap_err().to_string();
        assert!(error.contains("INVALID_TIMEOUT_TIMESTAMP"), "{error}");
    }
}
