// Windows and watermarks: append is allowed when the group keys include a window over the
// watermarked column, or the watermarked column itself; window fields are usable afterwards.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Hourly(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time, "yyyy-MM-dd HH:mm:ss"))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour", "20 minutes", "5 minutes"), event_type)
           .agg(events = count(), amount = sum(amount))
           .select(start = window.start, end = window.end, hour = date_format(window.start, "HH:mm"), event_type, events)
    }

    query PerInstant(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "1 minute")
           .group_by(event_time)
           .agg(events = count())
    }
}

fn main() {
    let _: Option<Timestamp> = None::<HourlyRow>.map(|row| row.start);
    let _: Option<String> = None::<HourlyRow>.map(|row| row.hour);
    assert!(Hourly::read(JsonSource::new("missing-dir")).append().to(MemorySink::named("h")).start().is_err());
    assert!(PerInstant::read(JsonSource::new("missing-dir")).append().to(MemorySink::named("p")).start().is_err());
}
