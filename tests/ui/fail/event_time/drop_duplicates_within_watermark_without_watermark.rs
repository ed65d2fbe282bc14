// dropDuplicatesWithinWatermark needs a watermark (Spark: "dropDuplicatesWithinWatermark is
// not supported on streaming DataFrames/DataSets without watermark").
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Q(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .drop_duplicates_within_watermark(event_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("in")).append().to(MemorySink::named("t")).trigger(Trigger::AvailableNow).start();
}
