use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::*;
use crate::operator::ReplayedState;

const MINUTE: i64 = 60_000_000;
const SECOND: i64 = 1_000_000;

fn at(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Session {
    start: i64,
    last: i64,
    clicks: i64,
}

const SESSION: ValueState<Session> = ValueState::new("session");
const PAGES: ListState<String> = ListState::new("pages");
const PAGE_COUNTS: MapState<String, i64> = MapState::new("page_counts");
const SEEN: ValueState<i64> = ValueState::new("sessions_seen");
const GAP: i64 = 10 * MINUTE;

/// The processor of the Spark golden (`tests/golden/transform_with_state`): sessions closed by
/// an event-time timer, with a value, a list and a map.
#[derive(Default)]
struct Sessionizer;

#[derive(Debug, Clone, PartialEq)]
struct Closed {
    user: String,
    start: i64,
    end: i64,
    clicks: i64,
    distinct_pages: usize,
    top_page: String,
    number: i64,
}

impl StatefulProcessor for Sessionizer {
    type Key = String;
    type Input = (String, i64);
    type Output = Closed;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&SESSION);
        handle.list(&PAGES);
        handle.map(&PAGE_COUNTS);
        handle.value(&SEEN);
    }

    fn handle_input_rows(
        &mut self,
        _user: &String,
        rows: Vec<(String, i64)>,
        state: &mut KeyState<'_, Closed>,
    ) -> ProcessorResult {
        let first = rows.iter().map(|r| r.1).min().unwrap_or_default();
        let last = rows.iter().map(|r| r.1).max().unwrap_or_default();
        let session = match state.value(&SESSION).get()? {
            Some(old) => {
                state.timers().delete(at(old.last + GAP));
                Session {
                    start: old.start.min(first),
                    last: old.last.max(last),
                    clicks: old.clicks + rows.len() as i64,
                }
            }
            None => Session {
                start: first,
                last,
                clicks: rows.len() as i64,
            },
        };
        state.timers().register(at(session.last + GAP))?;
        state.value(&SESSION).set(&session)?;
        for (page, _) in &rows {
            state.list(&PAGES).append(page)?;
            let count = state.map(&PAGE_COUNTS).get(page)?.unwrap_or(0);
            state.map(&PAGE_COUNTS).insert(page, &(count + 1))?;
        }
        Ok(())
    }

    fn handle_expired_timer(
        &mut self,
        user: &String,
        _timer: ExpiredTimer,
        state: &mut KeyState<'_, Closed>,
    ) -> ProcessorResult {
        let Some(session) = state.value(&SESSION).get()? else {
            return Ok(());
        };
        let mut pages = state.list(&PAGES).get()?;
        pages.sort();
        pages.dedup();
        let top_page = state
            .map(&PAGE_COUNTS)
            .entries()?
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(page, _)| page)
            .unwrap_or_default();
        let number = state.value(&SEEN).get()?.unwrap_or(0) + 1;
        state.emit(Closed {
            user: user.clone(),
            start: session.start,
            end: session.last + GAP,
            clicks: session.clicks,
            distinct_pages: pages.len(),
            top_page,
            number,
        });
        state.value(&SEEN).set(&number)?;
        state.value(&SESSION).clear()?;
        state.list(&PAGES).clear()?;
        state.map(&PAGE_COUNTS).clear()?;
        Ok(())
    }
}

/// One batch: its watermarks, timestamp, and rows `(user, page, minute)`.
struct Batch<'a> {
    watermark: i64,
    late: i64,
    now: i64,
    rows: &'a [(&'a str, &'a str, i64)],
}

fn run_batch(operator: &mut TransformWithState<Sessionizer>, batch: &Batch<'_>) -> (Vec<Closed>, u64) {
    let mut context = BatchContext::new(at(batch.watermark), at(batch.late));
    context.batch_timestamp = at(batch.now);
    operator.begin_batch(&context);
    for &(user, page, minute) in batch.rows {
        operator.push(
            user.to_owned(),
            (page.to_owned(), minute * MINUTE),
            Some(at(minute * MINUTE)),
        );
    }
    let mut out = operator.end_batch(&mut context).unwrap();
    out.sort_by(|a, b| (&a.user, a.start).cmp(&(&b.user, b.start)));
    (out, context.dropped_by_watermark)
}

#[test]
fn a_session_closes_when_the_watermark_passes_its_timer() {
    let mut operator = TransformWithState::new(Sessionizer, TimeMode::EventTime);
    let (out, _) = run_batch(
        &mut operator,
        &Batch {
            watermark: 0,
            late: 0,
            now: 0,
            rows: &[("u1", "a", 100), ("u1", "b", 103), ("u1", "a", 104), ("u2", "a", 101)],
        },
    );
    assert!(out.is_empty());
    // The watermark reaches u2's timer (101 + 10) but not u1's (104 + 10).
    let (out, _) = run_batch(
        &mut operator,
        &Batch {
            watermark: 111 * MINUTE,
            late: 0,
            now: SECOND,
            rows: &[],
        },
    );
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].user.as_str(), out[0].clicks, out[0].number), ("u2", 1, 1));
    let (out, _) = run_batch(
        &mut operator,
        &Batch {
            watermark: 120 * MINUTE,
            late: 111 * MINUTE,
            now: 2 * SECOND,
            rows: &[],
        },
    );
    assert_eq!(
        out,
        [Closed {
            user: "u1".into(),
            start: 100 * MINUTE,
            end: 114 * MINUTE,
            clicks: 3,
            distinct_pages: 2,
            top_page: "a".into(),
            number: 1,
        }]
    );
    // Nothing of the closed sessions is left but their counts.
    assert_eq!(operator.metrics().num_rows_total, 2);
    assert!(operator.timers.by_key.is_empty());
}

#[test]
fn late_rows_are_dropped_and_counted() {
    let mut operator = TransformWithState::new(Sessionizer, TimeMode::EventTime);
    let (out, dropped) = run_batch(
        &mut operator,
        &Batch {
            watermark: 50 * MINUTE,
            late: 50 * MINUTE,
            now: 0,
            rows: &[("u1", "a", 50), ("u1", "a", 51)],
        },
    );
    assert!(out.is_empty());
    assert_eq!(dropped, 1);
    assert_eq!(operator.rows.rows.len(), 3);
}

const VISITS: ValueState<i64> = ValueState::new("visits").with_ttl(Duration::from_secs(20));

/// Counts each key's rows in a value that lives 20 seconds of processing time.
struct Visits;

impl StatefulProcessor for Visits {
    type Key = String;
    type Input = ();
    type Output = (String, i64);

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&VISITS);
    }

    fn handle_input_rows(
        &mut self,
        key: &String,
        rows: Vec<()>,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult {
        let count = state.value(&VISITS).get()?.unwrap_or(0) + rows.len() as i64;
        state.value(&VISITS).set(&count)?;
        state.emit((key.clone(), count));
        Ok(())
    }
}

/// One batch of a row for each of `keys` at processing time `now`: what the processor emitted,
/// sorted.
fn batch_of_keys<P>(operator: &mut TransformWithState<P>, now: i64, keys: &[&str]) -> Vec<P::Output>
where
    P: StatefulProcessor<Key = String, Input = ()>,
    P::Output: Ord,
{
    let mut context = BatchContext {
        batch_timestamp: at(now),
        ..BatchContext::default()
    };
    operator.begin_batch(&context);
    for key in keys {
        operator.push((*key).to_owned(), (), None);
    }
    let mut out = operator.end_batch(&mut context).unwrap();
    out.sort();
    out
}

fn visit(operator: &mut TransformWithState<Visits>, now: i64, keys: &[&str]) -> Vec<(String, i64)> {
    batch_of_keys(operator, now, keys)
}

#[test]
fn a_value_with_a_time_to_live_expires_in_processing_time() {
    let mut operator = TransformWithState::new(Visits, TimeMode::ProcessingTime);
    assert_eq!(visit(&mut operator, 0, &["a"]), [("a".to_owned(), 1)]);
    // Written at 0 s, read at 19 s: alive, and written again.
    assert_eq!(visit(&mut operator, 19 * SECOND, &["a"]), [("a".to_owned(), 2)]);
    // Written at 19 s, read at 39 s: expired (as in Spark, at the expiry itself).
    assert_eq!(visit(&mut operator, 39 * SECOND, &["a"]), [("a".to_owned(), 1)]);
    assert_eq!(visit(&mut operator, 40 * SECOND, &["a"]), [("a".to_owned(), 2)]);
}

#[test]
fn an_expired_value_is_removed_at_the_end_of_the_batch_that_reaches_its_expiry() {
    let mut operator = TransformWithState::new(Visits, TimeMode::ProcessingTime);
    visit(&mut operator, 0, &["a"]);
    visit(&mut operator, 20 * SECOND - 1, &[]);
    assert_eq!(operator.metrics().num_rows_total, 1);
    visit(&mut operator, 20 * SECOND, &[]);
    assert_eq!(operator.metrics().num_rows_total, 0);
    assert_eq!(operator.metrics().num_rows_removed, 1);
}

#[test]
fn a_time_to_live_needs_processing_time() {
    let mut operator = TransformWithState::new(Visits, TimeMode::EventTime);
    let mut context = BatchContext::default();
    operator.begin_batch(&context);
    operator.push("a".to_owned(), (), None);
    let error = operator.end_batch(&mut context).unwrap_err().to_string();
    assert!(
        error.contains("state variable `visits` has a time to live, which counts processing time"),
        "{error}"
    );
    assert!(error.contains("in `EventTime` mode"), "{error}");
}

#[test]
fn state_and_timers_survive_a_restart_exactly() {
    let batches = [
        Batch {
            watermark: 0,
            late: 0,
            now: 0,
            rows: &[("u1", "a", 100), ("u2", "b", 100), ("u1", "c", 101)],
        },
        Batch {
            watermark: 95 * MINUTE,
            late: 0,
            now: SECOND,
            rows: &[("u1", "a", 105), ("u3", "x", 106)],
        },
        Batch {
            watermark: 111 * MINUTE,
            late: 95 * MINUTE,
            now: 2 * SECOND,
            rows: &[("u3", "x", 109)],
        },
        Batch {
            watermark: 130 * MINUTE,
            late: 111 * MINUTE,
            now: 3 * SECOND,
            rows: &[("u2", "b", 125)],
        },
    ];
    let mut whole = TransformWithState::new(Sessionizer, TimeMode::EventTime);
    let expected: Vec<_> = batches.iter().map(|b| run_batch(&mut whole, b)).collect();
    for cut in 1..batches.len() {
        let mut checkpoint = ReplayedState::default();
        let mut first = TransformWithState::new(Sessionizer, TimeMode::EventTime);
        first.track_changes();
        let mut got = Vec::new();
        for batch in &batches[..cut] {
            got.push(run_batch(&mut first, batch));
            checkpoint.commit(&mut first);
        }
        let mut second = TransformWithState::new(Sessionizer, TimeMode::EventTime);
        checkpoint.restore_into(&mut second);
        for batch in &batches[cut..] {
            got.push(run_batch(&mut second, batch));
            checkpoint.commit(&mut second);
        }
        assert_eq!(got, expected, "restarted after batch {cut}");
    }
}

/// The state of [`Sessionizer`] as a later build declares it: one field more, with a default,
/// or one field of another type.
mod evolved {
    use super::*;

    #[derive(Serialize, Deserialize)]
    pub(super) struct WithDefault {
        start: i64,
        last: i64,
        clicks: i64,
        #[serde(default)]
        bounces: i64,
    }

    #[derive(Serialize, Deserialize)]
    pub(super) struct Renamed {
        start: i64,
        last: i64,
        click_count: i64,
    }

    pub(super) struct Processor<T>(pub(super) std::marker::PhantomData<T>);

    impl<T: Serialize + serde::de::DeserializeOwned + Send + 'static> StatefulProcessor for Processor<T> {
        type Key = String;
        type Input = ();
        type Output = ();

        fn init(&mut self, handle: &mut StateHandle<'_>) {
            handle.value(&ValueState::<T>::new("session"));
            handle.list(&PAGES);
            handle.map(&PAGE_COUNTS);
            handle.value(&SEEN);
        }

        fn handle_input_rows(&mut self, _: &String, _: Vec<()>, _: &mut KeyState<'_, ()>) -> ProcessorResult {
            Ok(())
        }
    }
}

#[test]
fn a_state_type_that_gains_a_defaulted_field_reads_the_old_state_and_one_that_renames_a_field_is_refused() {
    let mut checkpoint = ReplayedState::default();
    let mut operator = TransformWithState::new(Sessionizer, TimeMode::EventTime);
    operator.track_changes();
    run_batch(
        &mut operator,
        &Batch {
            watermark: 0,
            late: 0,
            now: 0,
            rows: &[("u1", "a", 100)],
        },
    );
    checkpoint.commit(&mut operator);

    let mut with_default = TransformWithState::new(
        evolved::Processor::<evolved::WithDefault>(Default::default()),
        TimeMode::EventTime,
    );
    checkpoint.restore_into(&mut with_default);

    let mut renamed = TransformWithState::new(
        evolved::Processor::<evolved::Renamed>(Default::default()),
        TimeMode::EventTime,
    );
    let error = checkpoint.try_restore_into(&mut renamed).unwrap_err();
    assert!(error.contains("state variable `session` of key \"u1\""), "{error}");
    assert!(error.contains("missing field `click_count`"), "{error}");
    assert!(error.contains("#[serde(default)]"), "{error}");
}

#[test]
fn an_undeclared_variable_and_a_timer_without_a_time_mode_are_errors() {
    struct Forgetful;
    impl StatefulProcessor for Forgetful {
        type Key = i64;
        type Input = ();
        type Output = ();
        fn init(&mut self, _: &mut StateHandle<'_>) {}
        fn handle_input_rows(&mut self, _: &i64, _: Vec<()>, state: &mut KeyState<'_, ()>) -> ProcessorResult {
            state.value(&SEEN).set(&1)?;
            Ok(())
        }
    }
    let mut operator = TransformWithState::new(Forgetful, TimeMode::None);
    let mut context = BatchContext::default();
    operator.begin_batch(&context);
    operator.push(7, (), None);
    let error = operator.end_batch(&mut context).unwrap_err().to_string();
    assert!(error.contains("for key 7"), "{error}");
    assert!(
        error.contains("`sessions_seen` was not declared: declare it in `init` with `handle.value(..)`"),
        "{error}"
    );

    let mut operator = TransformWithState::new(Sessionizer, TimeMode::None);
    operator.begin_batch(&context);
    operator.push("u1".into(), ("a".into(), 0), None);
    let error = operator.end_batch(&mut context).unwrap_err().to_string();
    assert!(error.contains("timers need a time mode"), "{error}");
}

#[test]
fn processing_time_timers_fire_at_the_batch_timestamp() {
    struct Reminder;
    impl StatefulProcessor for Reminder {
        type Key = String;
        type Input = ();
        type Output = (String, i64);
        fn init(&mut self, _: &mut StateHandle<'_>) {}
        fn handle_input_rows(
            &mut self,
            _: &String,
            _: Vec<()>,
            state: &mut KeyState<'_, Self::Output>,
        ) -> ProcessorResult {
            let now = state.timer_values().processing_time.micros();
            state.timers().register(at(now + 5 * SECOND))?;
            Ok(())
        }
        fn handle_expired_timer(
            &mut self,
            key: &String,
            timer: ExpiredTimer,
            state: &mut KeyState<'_, Self::Output>,
        ) -> ProcessorResult {
            assert!(state.timers().list().is_empty() || state.timers().list() == [timer.expiry]);
            state.emit((key.clone(), timer.expiry.micros()));
            Ok(())
        }
    }
    let mut operator = TransformWithState::new(Reminder, TimeMode::ProcessingTime);
    let mut run = |now: i64, keys: &[&str]| batch_of_keys(&mut operator, now, keys);
    assert!(run(0, &["a"]).is_empty());
    assert!(run(4 * SECOND, &[]).is_empty());
    assert_eq!(run(5 * SECOND, &[]), [("a".to_owned(), 5 * SECOND)]);
    assert!(run(20 * SECOND, &[]).is_empty());
}

/// Counts rows per key, from an initial count.
struct Tally;

const TALLY: ValueState<i64> = ValueState::new("tally");

impl StatefulProcessor for Tally {
    type Key = String;
    type Input = ();
    type Output = (String, i64);

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&TALLY);
    }

    fn handle_input_rows(
        &mut self,
        key: &String,
        rows: Vec<()>,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult {
        let count = state.value(&TALLY).get()?.unwrap_or(0) + rows.len() as i64;
        state.value(&TALLY).set(&count)?;
        state.emit((key.clone(), count));
        Ok(())
    }
}

impl HandlesInitialState<i64> for Tally {
    fn handle_initial_state(
        &mut self,
        _: &String,
        initial: i64,
        state: &mut KeyState<'_, Self::Output>,
    ) -> ProcessorResult {
        state.value(&TALLY).set(&initial)?;
        Ok(())
    }
}

fn tally(operator: &mut TransformWithState<Tally>, keys: &[&str]) -> Vec<(String, i64)> {
    batch_of_keys(operator, 0, keys)
}

#[test]
fn the_initial_state_is_applied_once_before_the_first_batch_and_not_after_a_restart() {
    let initial = || vec![("a".to_owned(), 10), ("b".to_owned(), 20)];
    let mut checkpoint = ReplayedState::default();
    let mut operator = TransformWithState::new(Tally, TimeMode::None);
    operator.with_initial_state(initial());
    operator.track_changes();
    assert_eq!(
        tally(&mut operator, &["a", "c"]),
        [("a".to_owned(), 11), ("c".to_owned(), 1)]
    );
    checkpoint.commit(&mut operator);
    assert_eq!(tally(&mut operator, &["b"]), [("b".to_owned(), 21)]);

    // A restart from the checkpoint (after the first batch) keeps its state, not the initial one.
    let mut restarted = TransformWithState::new(Tally, TimeMode::None);
    restarted.with_initial_state(initial());
    checkpoint.restore_into(&mut restarted);
    assert_eq!(
        tally(&mut restarted, &["a", "b"]),
        [("a".to_owned(), 12), ("b".to_owned(), 21)]
    );
}
