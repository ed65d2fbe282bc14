//! On an endless stream whose event time advances, the watermark keeps state bounded: windows
//! and deduplication keys it has passed are evicted, however long the stream runs.

use arrow_array::RecordBatch;
use proptest::prelude::*;
use rill::plan::BatchContext;
use rill::prelude::*;
use rill::watermark::WatermarkTracker;

rill::stream! {
    schema Event { event_id: String, event_type: String, event_time: Timestamp, amount: f64 }

    query Windows(raw: Event) {
        raw.with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "5 minutes", "1 minute"), event_type)
           .agg(events = count(), amount = sum(amount))
    }

    query Distinct(raw: Event) {
        raw.with_watermark(event_time, "10 minutes")
           .drop_duplicates(event_id, event_time)
    }
}

const MINUTE: i64 = 60_000_000;

/// Batches of events a minute apart on average, each up to `jitter` minutes out of order.
fn stream(batches: usize, jitter: &[i64]) -> Vec<Vec<Event>> {
    let mut next = 0usize;
    (0..batches)
        .map(|batch| {
            (0..20)
                .map(|row| {
                    next += 1;
                    let offset = jitter[next % jitter.len()];
                    Event {
                        event_id: format!("e{}", next / 2), // every id twice
                        event_type: ["view", "cart", "purchase"][row % 3].to_owned(),
                        event_time: Timestamp::from_micros(
                            (batch as i64 * 20 + row as i64) * MINUTE / 20 - offset * MINUTE,
                        ),
                        amount: 1.0,
                    }
                })
                .collect()
        })
        .collect()
}

/// Runs `plan` over `batches` as the engine does (watermark from the previous batch) and
/// returns the number of state rows after each batch.
fn state_sizes<Q: StreamPlan>(mode: OutputMode, batches: &[Vec<Event>]) -> Vec<u64> {
    let mut plan = Q::create();
    let mut tracker = WatermarkTracker::new(Q::facts().watermark_delays_micros[0]);
    let mut previous = tracker.current();
    batches
        .iter()
        .map(|events| {
            let batch: RecordBatch = Event::to_batch(events)
                .unwrap()
                .project(&Q::facts().inputs[0].schema.projection)
                .unwrap();
            let mut context = BatchContext::new(tracker.current(), previous);
            plan.run_batch(&[batch], mode, &mut context).unwrap();
            previous = tracker.current();
            if let Some(max) = context.event_time().max {
                tracker.observe(max);
            }
            tracker.advance();
            plan.state_operators()[0].metrics.num_rows_total
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn window_state_stays_bounded(jitter in prop::collection::vec(0i64..8, 1..20), append in any::<bool>()) {
        let mode = if append { OutputMode::Append } else { OutputMode::Update };
        let sizes = state_sizes::<Windows>(mode, &stream(400, &jitter));
        // Live windows span at most the delay, the lateness and one window: 3 types × 5 sliding
        // windows per minute of that span.
        let bound = 3 * 5 * (10 + 8 + 5 + 2);
        prop_assert!(sizes.iter().all(|&size| size <= bound), "state grew to {:?}", sizes.iter().max());
        prop_assert!(sizes[399] > 0);
    }

    #[test]
    fn deduplication_state_stays_bounded(jitter in prop::collection::vec(0i64..8, 1..20)) {
        let sizes = state_sizes::<Distinct>(OutputMode::Append, &stream(400, &jitter));
        // Keys live from their event time until the watermark passes it: about (delay + lateness +
        // one batch) minutes of 20 rows a minute.
        let bound = 20 * (10 + 8 + 2);
        prop_assert!(sizes.iter().all(|&size| size <= bound), "state grew to {:?}", sizes.iter().max());
    }
}

#[test]
fn without_eviction_complete_mode_keeps_every_window() {
    let sizes = state_sizes::<Windows>(OutputMode::Complete, &stream(100, &[0]));
    assert!(
        sizes[99] > sizes[49] && sizes[49] > sizes[9],
        "complete mode never evicts: {sizes:?}"
    );
}
