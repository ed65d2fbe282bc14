// A left semi join without watermarks keeps every view forever.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.join(clicks, v_ad == c_ad, "left_semi")
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
