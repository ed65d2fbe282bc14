//! A `stream!` that names a state lock builds only while each query's state is the one the lock
//! records (`tests/state_lock.lock`, committed): this file compiling is the check; the test
//! reads what the lock holds.

rill::stream! {
    state_lock "state_lock.lock";

    schema Event { user_id: String, amount: f64 }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }

    query LargeAmounts(raw: Event) {
        raw.filter(amount > 100.0).select(user_id, amount)
    }
}

#[test]
fn the_lock_records_each_query_s_state() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/state_lock.lock")).unwrap();
    assert!(
        lock.contains("SpendByUser: aggregation by (user_id: String) of (count() -> i64, sum(f64) -> f64)\n"),
        "{lock}"
    );
    assert!(lock.contains("LargeAmounts: stateless\n"), "{lock}");
    // The queries are the ones compiled.
    let _ = SpendByUser::read(rill::source::MemoryStream::<Event>::new()).complete();
}
