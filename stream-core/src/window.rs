//! Event-time windows: which windows a timestamp falls in, exactly as Spark assigns them.
//!
//! A window of `size` starting every `slide`, shifted by `offset`, has starts
//! `offset + k·slide` for every integer `k`; a timestamp `t` belongs to each such window with
//! `start <= t < start + size`. A tumbling window is one whose slide equals its size, so
//! every timestamp is in exactly one; a sliding window puts it in `size / slide` of them when
//! the slide divides the size (in general, in `floor` or `ceil` of `size / slide`).
//!
//! ```
//! use stream_core::{Timestamp, Window};
//! use stream_core::window::WindowSpec;
//! let hourly = WindowSpec::tumbling(3_600_000_000);
//! let ts = Timestamp::parse("2026-01-01 09:04:00").unwrap();
//! let windows: Vec<Window> = hourly.assign(ts).collect();
//! assert_eq!(windows.len(), 1);
//! assert_eq!(windows[0].to_string(), "{2026-01-01 09:00:00, 2026-01-01 10:00:00}");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::types::Timestamp;

/// A time window `[start, end)`: Spark's `window` struct column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Window {
    /// Inclusive start.
    pub start: Timestamp,
    /// Exclusive end.
    pub end: Timestamp,
}

impl Window {
    /// The window's last instant, its end minus one microsecond: Spark's `window_time(window)`,
    /// the event time of an aggregated window (what a chained aggregation windows it by).
    ///
    /// ```
    /// use stream_core::{Timestamp, Window};
    /// let window = Window { start: Timestamp::from_micros(0), end: Timestamp::from_micros(60_000_000) };
    /// assert_eq!(window.time(), Timestamp::from_micros(59_999_999));
    /// ```
    #[must_use]
    pub fn time(self) -> Timestamp {
        Timestamp::from_micros(self.end.micros().saturating_sub(1))
    }
}

impl fmt::Display for Window {
    /// Spark's text for a struct: `{start, end}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}, {}}}", self.start, self.end)
    }
}

/// The shape of a window function call: `window(ts, size, slide, offset)`, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    size: i64,
    slide: i64,
    offset: i64,
}

impl WindowSpec {
    /// Windows of `size` microseconds, one after the other.
    #[must_use]
    pub const fn tumbling(size: i64) -> Self {
        Self {
            size,
            slide: size,
            offset: 0,
        }
    }

    /// Windows of `size` microseconds starting every `slide`, shifted by `offset`
    /// (`0 < slide <= size`, checked by the macro).
    #[must_use]
    pub const fn new(size: i64, slide: i64, offset: i64) -> Self {
        Self { size, slide, offset }
    }

    /// How many windows each timestamp falls in: `ceil(size / slide)`.
    #[must_use]
    pub const fn windows_per_row(self) -> i64 {
        (self.size + self.slide - 1) / self.slide
    }

    /// The one window of a tumbling spec (`slide == size`) holding `ts`: the value of
    /// `window(ts, size)` outside a grouping (a join key, a column).
    #[must_use]
    pub fn tumbling_window(self, ts: Timestamp) -> Window {
        let t = ts.micros();
        let start = t.saturating_sub((t.saturating_sub(self.offset)).rem_euclid(self.size));
        Window {
            start: Timestamp::from_micros(start),
            end: Timestamp::from_micros(start.saturating_add(self.size)),
        }
    }

    /// The windows holding `ts`, latest start first.
    pub fn assign(self, ts: Timestamp) -> impl Iterator<Item = Window> {
        let t = ts.micros();
        let last_start = t - (t - self.offset).rem_euclid(self.slide);
        (0..self.windows_per_row()).filter_map(move |i| {
            let start = last_start - i * self.slide;
            let end = start + self.size;
            (start <= t && t < end).then(|| Window {
                start: Timestamp::from_micros(start),
                end: Timestamp::from_micros(end),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: i64 = 60_000_000;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn sliding_windows_as_spark_assigns_them() {
        let spec = WindowSpec::new(60 * MINUTE, 20 * MINUTE, 0);
        let mut windows: Vec<String> = spec.assign(ts("2026-01-01 09:04:00")).map(|w| w.to_string()).collect();
        windows.sort();
        assert_eq!(
            windows,
            [
                "{2026-01-01 08:20:00, 2026-01-01 09:20:00}",
                "{2026-01-01 08:40:00, 2026-01-01 09:40:00}",
                "{2026-01-01 09:00:00, 2026-01-01 10:00:00}",
            ]
        );
    }

    #[test]
    fn offset_shifts_window_starts() {
        let spec = WindowSpec::new(60 * MINUTE, 60 * MINUTE, 15 * MINUTE);
        let windows: Vec<String> = spec.assign(ts("2026-01-01 09:04:00")).map(|w| w.to_string()).collect();
        assert_eq!(windows, ["{2026-01-01 08:15:00, 2026-01-01 09:15:00}"]);
        let windows: Vec<String> = spec.assign(ts("2026-01-01 09:15:00")).map(|w| w.to_string()).collect();
        assert_eq!(windows, ["{2026-01-01 09:15:00, 2026-01-01 10:15:00}"]);
    }

    #[test]
    fn windows_before_the_epoch() {
        let spec = WindowSpec::tumbling(60 * MINUTE);
        let windows: Vec<String> = spec.assign(ts("1969-12-31 23:30:00")).map(|w| w.to_string()).collect();
        assert_eq!(windows, ["{1969-12-31 23:00:00, 1970-01-01 00:00:00}"]);
    }

    proptest! {
        #[test]
        fn every_timestamp_is_in_exactly_one_tumbling_window(t in -10_000_000_000_000i64..10_000_000_000_000, size in 1i64..100_000_000_000) {
            let windows: Vec<Window> = WindowSpec::tumbling(size).assign(Timestamp::from_micros(t)).collect();
            prop_assert_eq!(windows.len(), 1);
            prop_assert!(windows[0].start.micros() <= t && t < windows[0].end.micros());
            prop_assert_eq!(windows[0].start.micros().rem_euclid(size), 0);
        }

        #[test]
        fn a_sliding_window_assignment_has_ceil_size_over_slide_windows(
            t in -10_000_000_000_000i64..10_000_000_000_000,
            slide in 1i64..10_000_000_000,
            factor in 1i64..6,
            extra in 0i64..10_000_000_000,
            offset in 0i64..10_000_000_000,
        ) {
            let size = slide * factor + extra % slide;
            let offset = offset % slide;
            let spec = WindowSpec::new(size, slide, offset);
            let windows: Vec<Window> = spec.assign(Timestamp::from_micros(t)).collect();
            // Exactly ceil(size / slide) when the slide divides the size; otherwise the floor or
            // the ceiling, depending on where `t` falls (Spark's ceil is then an upper bound).
            let count = windows.len() as i64;
            if size % slide == 0 {
                prop_assert_eq!(count, spec.windows_per_row());
            } else {
                prop_assert!(count == size / slide || count == spec.windows_per_row(), "{} windows", count);
            }
            for window in &windows {
                prop_assert!(window.start.micros() <= t && t < window.end.micros());
                prop_assert_eq!((window.start.micros() - offset).rem_euclid(slide), 0);
                prop_assert_eq!(window.end.micros() - window.start.micros(), size);
            }
        }
    }
}
