// An aggregation of a processor's rows needs them to carry the event time (Spark refuses it
// without `eventTimeColumnName`).
use rill::prelude::*;
use rill::stateful::{KeyState, ProcessorResult, StateHandle, StatefulProcessor, ValueState};

rill::stream! {
    schema Click { user: String, page: String, event_time: Timestamp }
    schema Count { user: String, count: i64 }

    query Counts(clicks: Click) {
        clicks.group_by(user).transform_with_state(Counter, NoTime, input = Click, output = Count).filter(count > 1).group_by(user).agg(n = count())
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
        state.value(&COUNT).set(&count)?;
        state.emit(Count { user: user.clone(), count });
        Ok(())
    }
}

fn main() {
    let _ = Counts::read(JsonSource::new("in"))
        .update()
        .to(MemorySink::named("counts"))
        .start();
}
