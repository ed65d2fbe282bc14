// Only a processor in `EventTime` mode emits rows that carry the event time.
use rill::prelude::*;
use rill::stateful::{KeyState, ProcessorResult, StateHandle, StatefulProcessor, ValueState};

rill::stream! {
    schema Click { user: String, page: String, event_time: Timestamp }
    schema Count { user: String, count: i64, at: Timestamp }

    query Counts(clicks: Click) {
        clicks.group_by(user).transform_with_state(Counter, ProcessingTime, input = Click, output = Count, event_time = at)
    }
}

#[derive(Default)]
pub struct Counter;

const COUNT: ValueState<i64> = ValueState::new("count");

impl StatefulProcessor for Counter {
    type Key = String;
    type Input = Click;
    type Output = Count;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&COUNT);
    }

    fn handle_input_rows(&mut self, user: &String, rows: Vec<Click>, state: &mut KeyState<'_, Count>) -> ProcessorResult {
        let count = state.value(&COUNT).get()?.unwrap_or(0) + rows.len() as i64;
        let rows = &rows;
        state.value(&COUNT).set(&count)?;
        state.emit(Count { user: user.clone(), count, at: rows[0].event_time });
        Ok(())
    }
}

fn main() {
    let _ = Counts::read(JsonSource::new("in"))
        .update()
        .to(MemorySink::named("counts"))
        .start();
}
