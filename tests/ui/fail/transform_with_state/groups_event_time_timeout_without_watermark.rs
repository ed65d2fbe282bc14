// An event-time timeout needs a watermark (Spark refuses `EventTimeTimeout` without one too).
use rill::prelude::*;
use rill::stateful::{GroupState, GroupsFunction, GroupsResult};

rill::stream! {
    schema Click { user: String, page: String, event_time: Timestamp }
    schema Count { user: String, count: i64 }

    query Counts(clicks: Click) {
        clicks.group_by(user).flat_map_groups_with_state(Counter, EventTimeTimeout, input = Click, output = Count)
    }
}

#[derive(Default)]
pub struct Counter;

impl GroupsFunction for Counter {
    type Key = String;
    type Input = Click;
    type State = i64;
    type Output = Count;

    fn call(&mut self, user: &String, rows: Vec<Click>, state: &mut GroupState<i64>) -> GroupsResult<Count> {
        let count = state.get().copied().unwrap_or(0) + rows.len() as i64;
        state.update(count);
        Ok(vec![Count { user: user.clone(), count }])
    }
}

fn main() {
    let _ = Counts::read(JsonSource::new("in")).append().to(MemorySink::named("counts")).start();
}
