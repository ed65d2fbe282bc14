// The watermarked column and a window over it both reach the join: Spark fails at start.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }
    schema Click { click_id: String, c_ad: String, click_time: Timestamp, amount: f64 }

    query Q(views: View, clicks: Click) {
        views.with_watermark(view_time, "10 minutes")
            .with_column(vw = window(view_time, "10 minutes"))
            .join(
                clicks.with_watermark(click_time, "20 minutes").with_column(cw = window(click_time, "10 minutes")),
                v_ad == c_ad && vw == cw,
                "left_outer"
            )
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views"), JsonSource::new("clicks")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
