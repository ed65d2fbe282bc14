// A file sink takes append mode only (Spark: "This output mode is not supported in Data Source parquet").
use rill::prelude::*;
use rill::sink::FileSink;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id).agg(events = count())
    }
}

fn main() {
    let _ = SpendByUser::read(JsonSource::new("in"))
        .complete()
        .to(FileSink::parquet("out"))
        .checkpoint("checkpoint")
        .trigger(Trigger::AvailableNow)
        .start();
}
