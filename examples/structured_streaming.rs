//! The Structured Streaming chapter of the seed notebook, ported to Rill.
use rill::prelude::*;

rill::stream! {
    /// One web or purchase event, as a JSON line.
    schema Event {
        event_id: String,
        user_id: String,
        event_type: String,
        event_time: String,
        amount: f64,
    }

    /// Section 2.4: events and spend per user.
    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new("_rill_output/structured-streaming/input");
    if dir.exists() { std::fs::remove_dir_all(dir)?; }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("batch-001.json"), "{\"event_id\": \"e001\", \"user_id\": \"u01\", \"event_type\": \"view\", \"event_time\": \"2026-01-01 09:00:00\", \"amount\": 0.0}\n{\"event_id\": \"e002\", \"user_id\": \"u01\", \"event_type\": \"purchase\", \"event_time\": \"2026-01-01 09:04:00\", \"amount\": 24.5}\n")?;
    let sink = MemorySink::named("local_spend_by_user");
    let query = SpendByUser::read(JsonSource::new(dir)).complete().to(sink.clone()).trigger(Trigger::AvailableNow).start()?;
    query.await_termination()?;
    let rows: Vec<SpendByUserRow> = sink.rows()?;
    println!("{rows:?}");
    Ok(())
}
