//! Incremental equals batch: however the input is split into micro-batches, complete mode
//! ends with the same table as one batch over everything.

use crate::common;

use arrow_array::RecordBatch;
use proptest::prelude::*;
use rill::prelude::*;

rill::stream! {
    schema Event { user_id: String, event_type: String, amount: f64, quantity: i32, note: Option<String> }

    query Totals(raw: Event) {
        raw.filter(amount >= 0.0)
           .group_by(user_id, event_type)
           .agg(
               events = count(),
               notes = count(note),
               total = round(sum(amount), 2),
               items = sum(quantity),
               average = avg(quantity),
               cheapest = min(amount),
               last_note = max(note),
           )
    }
}

fn event() -> impl Strategy<Value = Event> {
    (
        "u[0-4]",
        prop::sample::select(vec!["view", "purchase"]),
        -10i32..1000,
        0i32..5,
        prop::option::of("[a-c]{1,2}"),
    )
        .prop_map(|(user_id, event_type, cents, quantity, note)| Event {
            user_id,
            event_type: event_type.to_owned(),
            amount: f64::from(cents) / 4.0,
            quantity,
            note,
        })
}

/// Runs the plan over `batches` in complete mode and returns the final table, sorted.
fn run(batches: &[RecordBatch]) -> Vec<String> {
    let mut plan = Totals::create();
    let mut last = None;
    for batch in batches {
        let projected = batch.project(&Totals::facts().inputs[0].schema.projection).unwrap();
        let mut context = rill::plan::BatchContext::default();
        last = Some(
            plan.run_batch(&[projected], OutputMode::Complete, &mut context)
                .unwrap(),
        );
    }
    let mut rows: Vec<String> = last
        .map(|batch| {
            TotalsRow::from_batch(&batch)
                .unwrap()
                .iter()
                .map(|row| format!("{row:?}"))
                .collect()
        })
        .unwrap_or_default();
    rows.sort();
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_split_gives_the_same_complete_result(events in prop::collection::vec(event(), 1..120), cuts in prop::collection::vec(0usize..120, 0..6)) {
        let all = Event::to_batch(&events).unwrap();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % events.len()).collect();
        cuts.push(0);
        cuts.push(events.len());
        cuts.sort_unstable();
        cuts.dedup();
        let parts: Vec<RecordBatch> = cuts.windows(2).map(|w| all.slice(w[0], w[1] - w[0])).collect();
        prop_assert_eq!(run(&parts), run(&[all]));
    }
}

#[test]
fn split_across_files_gives_the_same_result_as_one_file() {
    let events: Vec<Event> = (0..40)
        .map(|i| Event {
            user_id: format!("u{}", i % 3),
            event_type: if i % 2 == 0 { "view" } else { "purchase" }.to_owned(),
            amount: f64::from(i) * 1.25,
            quantity: i % 4,
            note: (i % 5 == 0).then(|| format!("n{i}")),
        })
        .collect();
    let lines: Vec<String> = events.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let run_files = |chunk: usize| {
        let dir = tempfile::tempdir().unwrap();
        for (index, part) in lines.chunks(chunk).enumerate() {
            common::write_file(dir.path(), &format!("part-{index:03}.json"), part, index as u64);
        }
        let table = MemorySink::named(format!("split_{chunk}"));
        let query = common::run_available_now(
            Totals::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
                .complete()
                .to(table.clone()),
        );
        let batches = query.recent_progress().len();
        let mut rows: Vec<String> = table
            .rows::<TotalsRow>()
            .unwrap()
            .iter()
            .map(|r| format!("{r:?}"))
            .collect();
        rows.sort();
        (rows, batches)
    };
    let (whole, one_batch) = run_files(40);
    let (split, seven_batches) = run_files(6);
    assert_eq!((one_batch, seven_batches), (1, 7));
    assert_eq!(whole, split);
    assert_eq!(whole.len(), 6);
}
