// A misspelled column in a program that also reads the query's output rows, as the example
// does: only the misspelling should be reported, not the use of the row's fields.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amout), 2))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sink = MemorySink::named("spend_by_user");
    let query = SpendByUser::read(JsonSource::new("in")).complete().to(sink.clone()).trigger(Trigger::AvailableNow).start()?;
    query.await_termination()?;
    let rows: Vec<SpendByUserRow> = sink.rows()?;
    for row in &rows {
        let _: (&String, i64, f64) = (&row.user_id, row.events, row.total_amount);
    }
    Ok(())
}
