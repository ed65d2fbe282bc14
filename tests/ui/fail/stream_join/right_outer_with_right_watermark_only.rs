// A right outer join needs a watermark on the left (the nullable side) to bound the clicks by.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.join(clicks.with_watermark(click_time, "20 minutes"), v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("1 hour"), "right_outer")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
