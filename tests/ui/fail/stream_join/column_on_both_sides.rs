// Both sides have `ad_id`: the join would give two columns of that name.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.join(clicks.with_column_renamed(c_ad, ad_id), v_ad == ad_id)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
