// A file sink needs a checkpoint (Spark: "checkpointLocation must be specified either through
// option("checkpointLocation", ...) or SparkSession.conf.set(...)"): without one, a second run
// would number its batches from 0 again and the sink would skip them as already written.
use rill::prelude::*;
use rill::sink::FileSink;

rill::stream! {
    schema Event { event_id: String, amount: f64 }

    query BigOnes(raw: Event) {
        raw.filter(amount > 100.0)
    }
}

fn main() {
    let _ = BigOnes::read(JsonSource::new("in"))
        .append()
        .to(FileSink::parquet("out"))
        .trigger(Trigger::AvailableNow)
        .start();
}
