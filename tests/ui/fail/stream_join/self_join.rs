// A stream joined with itself: its other side must be an input of its own.
use rill::prelude::*;

rill::stream! {
    schema View { view_id: String, ad_id: String, v_ad: String, view_time: Timestamp }

    query Q(views: View) {
        views.join(views, v_ad)
    }
}

fn main() {
    let _ = Q::read(JsonSource::new("views")).append().to(MemorySink::named("q")).trigger(Trigger::AvailableNow).start();
}
