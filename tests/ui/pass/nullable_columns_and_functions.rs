// Nullable `Option<..>` columns and every scalar function, with the nullability Rill infers
// for each output (checked by the field types of the generated row).
use rill::prelude::*;

rill::stream! {
    schema Order {
        order_id: String,
        user_id: String,
        nickname: Option<String>,
        event_type: String,
        event_time: String,
        received: Timestamp,
        amount: f64,
        discount: Option<f64>,
        quantity: i32,
        points: Option<i64>,
        gift: bool,
    }

    query Enriched(raw: Order) {
        raw.filter(nickname.is_not_null() || !gift)
           .filter(amount >= 10 && quantity != 0 && event_type == "purchase")
           .with_column(event_time = to_timestamp(event_time))
           .select(
               order_id,
               no_discount = discount.is_null(),
               label = coalesce(nickname, user_id),
               tag = upper(concat(user_id, "-", nickname)),
               kind = lower(event_type),
               name_length = length(nickname),
               discount_size = abs(discount),
               net = round(amount - coalesce(discount, 0.0), 2),
               per_item = amount / quantity,
               bonus = -(quantity * 2 + 1),
               spare_points = points % 7,
               big = amount > 100.0 || quantity >= 3,
               day = to_date(event_time),
               received_day = to_date(received),
               received,
           )
    }
}

fn main() {
    let row = EnrichedRow {
        order_id: String::new(),
        no_discount: true,
        label: String::new(),
        tag: None,
        kind: String::new(),
        name_length: None,
        discount_size: None,
        net: 0.0,
        per_item: None,
        bonus: -1,
        spare_points: None,
        big: false,
        day: None,
        received_day: Date::default(),
        received: Timestamp::default(),
    };
    let _: (&String, bool, &String, &Option<String>, &String) = (&row.order_id, row.no_discount, &row.label, &row.tag, &row.kind);
    let _: (Option<i32>, Option<f64>, f64, Option<f64>, i32) = (row.name_length, row.discount_size, row.net, row.per_item, row.bonus);
    let _: (Option<i64>, bool, Option<Date>, Date, Timestamp) = (row.spare_points, row.big, row.day, row.received_day, row.received);
    let input = Order {
        order_id: "o1".to_owned(),
        user_id: "u1".to_owned(),
        nickname: None,
        event_type: "purchase".to_owned(),
        event_time: "2026-01-01 09:00:00".to_owned(),
        received: Timestamp::default(),
        amount: 12.5,
        discount: Some(1.0),
        quantity: 2,
        points: None,
        gift: false,
    };
    let _ = input;

    let writer = Enriched::read(JsonSource::new("tests/ui/pass/no-such-input-directory")).append().to(MemorySink::named("enriched"));
    assert!(writer.start().is_err(), "the input directory does not exist");
}
