// `with_column_renamed`, `drop`, and grouping by a computed key, in update mode.
use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64, coupon: Option<f64> }

    query DailySpend(raw: Event) {
        raw.with_column_renamed(amount, amount_usd)
           .drop(event_id)
           .with_column(amount_eur = amount_usd * 0.9)
           .group_by(user_id, day = to_date(event_time))
           .agg(events = count(), total_eur = sum(amount_eur), coupons = sum(coupon), first_type = min(event_type))
           .filter(events > 1)
           .select(user_id, day, events, total_eur, coupons, first_type)
    }
}

fn main() {
    let row = DailySpendRow { user_id: String::new(), day: None, events: 2, total_eur: 1.0, coupons: None, first_type: String::new() };
    let _: (String, Option<Date>, i64, f64, Option<f64>, String) =
        (row.user_id, row.day, row.events, row.total_eur, row.coupons, row.first_type);
    let started = DailySpend::read(JsonSource::new("tests/ui/pass/no-such-input-directory"))
        .update()
        .to(MemorySink::named("daily_spend"))
        .start();
    assert!(started.is_err(), "the input directory does not exist");
}
