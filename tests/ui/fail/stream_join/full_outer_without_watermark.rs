// A full outer join needs a watermark and a time range bounding one side (Spark 4.3 accepts one).
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.join(clicks, v_ad == c_ad && click_time >= view_time && click_time <= view_time + interval("1 hour"), "full_outer")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
