// Spark runs an outer join of two streams in append mode only (an inner one in update mode too).
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes")
            .join(clicks.with_watermark(click_time, "20 minutes"), v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("1 hour"), "left_outer")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).update().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
