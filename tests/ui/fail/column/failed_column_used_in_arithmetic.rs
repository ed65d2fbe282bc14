// A column whose definition fails, used by the program in arithmetic, comparisons and
// formatting: only the query's mistake is reported, not the uses of the row's field.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Scaled(raw: Event) {
        raw.select(user_id, scaled = amount * rate)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sink = MemorySink::named("scaled");
    let query = Scaled::read(JsonSource::new("in")).append().to(sink.clone()).trigger(Trigger::AvailableNow).start()?;
    query.await_termination()?;
    for row in sink.rows::<ScaledRow>()? {
        let doubled = row.scaled + 1.0;
        let _ = 2.0 * row.scaled.clone();
        if row.scaled > 10.0 || row.scaled == 0.0 {
            println!("{} {doubled:?} {:?}", row.scaled, row);
        }
    }
    Ok(())
}
