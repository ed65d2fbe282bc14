// A state variable's type must be serde-serializable: state is checkpointed.
use rill::prelude::*;
use rill::stateful::{KeyState, ProcessorResult, StateHandle, StatefulProcessor, ValueState};

rill::stream! {
    schema Click { user: String, page: String, event_time: Timestamp }
    schema Count { user: String, count: i64 }

    query Counts(clicks: Click) {
        clicks.group_by(user).transform_with_state(Counter, NoTime, input = Click, output = Count)
    }
}

/// Not `Serialize`.
pub struct Tally {
    count: i64,
}

#[derive(Default)]
pub struct Counter;

const TALLY: ValueState<Tally> = ValueState::new("tally");

impl StatefulProcessor for Counter {
    type Key = String;
    type Input = Click;
    type Output = Count;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&TALLY);
    }

    fn handle_input_rows(&mut self, user: &String, rows: Vec<Click>, state: &mut KeyState<'_, Count>) -> ProcessorResult {
        let _ = (user, rows, state);
        Ok(())
    }
}

fn main() {
    let _ = Counts::read(JsonSource::new("in"))
        .update()
        .to(MemorySink::named("counts"))
        .start();
}
