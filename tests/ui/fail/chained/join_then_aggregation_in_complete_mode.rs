// An aggregation of a stream–stream join runs in append and update modes: Spark refuses complete
// mode ("Inner join between two streaming DataFrames/Datasets is not supported in Complete output
// mode, only in Append and Update output modes").
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.join(clicks, v_ad == c_ad).group_by(v_ad).agg(clicks = count())
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).complete().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
