// With watermarks but no time range, a view could always be clicked later.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes")
            .join(clicks.with_watermark(click_time, "20 minutes"), v_ad == c_ad, "left")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
