// The seed notebook's queries: a keyed aggregation in complete (and update) mode, and a
// stateless filter + select in append (and update) mode.
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

    /// Events and spend per user.
    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }

    /// Large purchases, as they arrive.
    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase" && amount > 100)
           .select(event_id, user_id, doubled = amount * 2)
    }
}

const MISSING: &str = "tests/ui/pass/no-such-input-directory";

fn main() {
    let complete = SpendByUser::read(JsonSource::new(MISSING))
        .complete()
        .to(MemorySink::named("spend_by_user"))
        .trigger(Trigger::AvailableNow)
        .start();
    assert!(complete.is_err(), "the input directory does not exist");
    let _update = SpendByUser::read(JsonSource::new(MISSING)).update().to(ConsoleSink::new());

    let append = Purchases::read(JsonSource::new(MISSING))
        .append()
        .to(MemorySink::named("purchases"))
        .trigger(Trigger::AvailableNow)
        .query_name("large_purchases")
        .start();
    assert!(append.is_err(), "the input directory does not exist");
    let _update = Purchases::read(JsonSource::new(MISSING)).update().to(MemorySink::named("purchases_update"));

    // The generated row types carry the typed output columns.
    let row = SpendByUserRow { user_id: "u01".to_owned(), events: 2, total_amount: 24.5 };
    let _: (&String, i64, f64) = (&row.user_id, row.events, row.total_amount);
    let row = PurchasesRow { event_id: "e002".to_owned(), user_id: "u01".to_owned(), doubled: 49.0 };
    let _: (&String, &String, f64) = (&row.event_id, &row.user_id, row.doubled);
    assert!(SpendByUser::explain().contains("Aggregate"));
    assert!(Purchases::explain().contains("Filter"));
}
