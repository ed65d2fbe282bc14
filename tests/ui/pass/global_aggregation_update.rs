// A global aggregation (`agg` without `group_by`): one result row, in update mode.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Totals(raw: Event) {
        raw.agg(n = count(), total = sum(amount))
    }

    query PurchaseStats(raw: Event) {
        raw.filter(event_type == "purchase")
           .agg(purchases = count(event_id), average = avg(amount), smallest = min(amount), largest = max(amount), last_user = max(user_id))
    }
}

fn main() {
    let _writer = Totals::read(JsonSource::new("tests/ui/pass/no-such-input-directory"))
        .update()
        .to(MemorySink::named("totals"))
        .trigger(Trigger::processing_time(std::time::Duration::from_secs(1)));
    let _complete = Totals::read(JsonSource::new("tests/ui/pass/no-such-input-directory")).complete().to(ConsoleSink::new());
    let row = TotalsRow { n: 0, total: 0.0 };
    let _: (i64, f64) = (row.n, row.total);
    let row = PurchaseStatsRow { purchases: 0, average: 0.0, smallest: 0.0, largest: 0.0, last_user: String::new() };
    let _: (i64, f64, f64, f64, String) = (row.purchases, row.average, row.smallest, row.largest, row.last_user);
    let started = PurchaseStats::read(JsonSource::new("tests/ui/pass/no-such-input-directory")).update().to(MemorySink::named("stats")).start();
    assert!(started.is_err(), "the input directory does not exist");
}
