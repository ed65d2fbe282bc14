//! Central moments for `stddev`, `variance`, `corr` and `covar`, bit for bit as Spark computes
//! them.
//!
//! Spark keeps a count, means and sums of squared deviations (Welford's online update), and
//! combines two of them with the parallel formula. Neither is associative in floating point,
//! so the order of updates and merges shows in the last bits (and, with large values, in far
//! more). A streaming aggregation in Spark updates a fresh buffer with the batch's rows (its
//! partial aggregation) and merges that into a fresh buffer (after the shuffle). The next stage
//! merges into a fresh buffer the state store's buffer, then the batch's; and the final stage
//! merges the result into a fresh buffer once more before evaluating it. The types here replay
//! each step: [`update`](Moments::update), [`refresh`](Moments::refresh),
//! [`merge`](Moments::merge) and the finishing methods.

/// The buffer of `stddev`, `stddev_samp`, `stddev_pop`, `variance`, `var_samp` and `var_pop`:
/// Spark's `CentralMomentAgg` of order 2 — the count, the mean and the sum of squared
/// deviations, all doubles.
///
/// ```
/// use stream_core::aggregate::Moments;
/// let mut moments = Moments::default();
/// for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
///     moments.update(x);
/// }
/// assert_eq!(moments.stddev_pop(), Some(2.0));
/// assert_eq!(moments.var_samp(), Some(32.0 / 7.0));
/// // One value has no sample deviation: null, as in Spark 3 and later.
/// let mut one = Moments::default();
/// one.update(1.5);
/// assert_eq!((one.stddev_samp(), one.stddev_pop()), (None, Some(0.0)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    n: f64,
    avg: f64,
    m2: f64,
}

impl Moments {
    /// Adds a value (Spark's update expressions).
    #[inline]
    pub fn update(&mut self, x: f64) {
        let n = self.n + 1.0;
        let delta = x - self.avg;
        let delta_n = delta / n;
        self.n = n;
        self.avg += delta_n;
        self.m2 += delta * (delta - delta_n);
    }

    /// Folds `other` into `self` (Spark's merge expressions, `self` on the left).
    pub fn merge(&mut self, other: Self) {
        let (n1, n2) = (self.n, other.n);
        let n = n1 + n2;
        let delta = other.avg - self.avg;
        let delta_n = if n == 0.0 { 0.0 } else { delta / n };
        self.avg += delta_n * n2;
        self.m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2;
        self.n = n;
    }

    /// The count of values.
    #[must_use]
    pub fn count(&self) -> f64 {
        self.n
    }

    /// `var_pop`: null for no values.
    #[must_use]
    pub fn var_pop(&self) -> Option<f64> {
        let Self { n, m2, .. } = self.fresh_merged();
        (n != 0.0).then(|| m2 / n)
    }

    /// `var_samp` (and `variance`): null for fewer than two values.
    #[must_use]
    pub fn var_samp(&self) -> Option<f64> {
        let Self { n, m2, .. } = self.fresh_merged();
        (n != 0.0 && n != 1.0).then(|| m2 / (n - 1.0))
    }

    /// `stddev_pop`: null for no values.
    #[must_use]
    pub fn stddev_pop(&self) -> Option<f64> {
        let Self { n, m2, .. } = self.fresh_merged();
        (n != 0.0).then(|| (m2 / n).sqrt())
    }

    /// `stddev_samp` (and `stddev`, `std`): null for fewer than two values.
    #[must_use]
    pub fn stddev_samp(&self) -> Option<f64> {
        let Self { n, m2, .. } = self.fresh_merged();
        (n != 0.0 && n != 1.0).then(|| (m2 / (n - 1.0)).sqrt())
    }

    /// The parts a checkpoint keeps: count, mean, sum of squared deviations.
    #[must_use]
    pub fn parts(&self) -> [f64; 3] {
        [self.n, self.avg, self.m2]
    }

    /// A buffer as a checkpoint kept it.
    #[must_use]
    pub fn restore([n, avg, m2]: [f64; 3]) -> Self {
        Self { n, avg, m2 }
    }
}

/// The buffer of `skewness` and `kurtosis`: Spark's `CentralMomentAgg` of order 4 — the count,
/// the mean and the second, third and fourth central moment sums. (Spark's `skewness` keeps
/// no fourth moment; it feeds nothing else, so one buffer serves both.)
///
/// ```
/// use stream_core::aggregate::HigherMoments;
/// let mut moments = HigherMoments::default();
/// for x in [-10.0, -20.0, 100.0, 1000.0] {
///     moments.update(x);
/// }
/// // Spark's documented example; its batch plan merges in another order, so the last digit
/// // may differ from a stream's.
/// assert!((moments.skewness().unwrap() - 1.1135657469022013).abs() < 1e-12);
/// assert!((moments.kurtosis().unwrap() + 0.7014368047529618).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HigherMoments {
    n: f64,
    avg: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl HigherMoments {
    /// Adds a value (Spark's update expressions, evaluated in their order).
    #[inline]
    pub fn update(&mut self, x: f64) {
        let n = self.n + 1.0;
        let delta = x - self.avg;
        let delta_n = delta / n;
        let m2 = self.m2 + delta * (delta - delta_n);
        let delta2 = delta * delta;
        let delta_n2 = delta_n * delta_n;
        let m3 = self.m3 - 3.0 * delta_n * m2 + delta * (delta2 - delta_n2);
        self.m4 = self.m4 - 4.0 * delta_n * m3 - 6.0 * delta_n2 * m2 + delta * (delta * delta2 - delta_n * delta_n2);
        self.m3 = m3;
        self.m2 = m2;
        self.avg += delta_n;
        self.n = n;
    }

    /// Folds `other` into `self` (Spark's merge expressions, `self` on the left).
    pub fn merge(&mut self, other: Self) {
        let (n1, n2) = (self.n, other.n);
        let n = n1 + n2;
        let delta = other.avg - self.avg;
        let delta_n = if n == 0.0 { 0.0 } else { delta / n };
        let m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2;
        let m3 = self.m3
            + other.m3
            + delta_n * delta_n * delta * n1 * n2 * (n1 - n2)
            + 3.0 * delta_n * (n1 * other.m2 - n2 * self.m2);
        let m4 = self.m4
            + other.m4
            + delta_n * delta_n * delta_n * delta * n1 * n2 * (n1 * n1 - n1 * n2 + n2 * n2)
            + 6.0 * delta_n * delta_n * (n1 * n1 * other.m2 + n2 * n2 * self.m2)
            + 4.0 * delta_n * (n1 * other.m3 - n2 * self.m3);
        self.avg += delta_n * n2;
        (self.n, self.m2, self.m3, self.m4) = (n, m2, m3, m4);
    }

    /// `skewness`: null for no values, and when the values do not vary.
    #[must_use]
    pub fn skewness(&self) -> Option<f64> {
        let Self { n, m2, m3, .. } = self.fresh_merged();
        let spread = (m2 * m2 * m2).sqrt();
        (n != 0.0 && m2 != 0.0 && spread != 0.0).then(|| n.sqrt() * m3 / spread)
    }

    /// `kurtosis` (excess): null for no values, and when the values do not vary.
    #[must_use]
    pub fn kurtosis(&self) -> Option<f64> {
        let Self { n, m2, m4, .. } = self.fresh_merged();
        let square = m2 * m2;
        (n != 0.0 && m2 != 0.0 && square != 0.0).then(|| n * m4 / square - 3.0)
    }

    /// The parts a checkpoint keeps: count, mean and the moment sums of order 2 to 4.
    #[must_use]
    pub fn parts(&self) -> [f64; 5] {
        [self.n, self.avg, self.m2, self.m3, self.m4]
    }

    /// A buffer as a checkpoint kept it.
    #[must_use]
    pub fn restore([n, avg, m2, m3, m4]: [f64; 5]) -> Self {
        Self { n, avg, m2, m3, m4 }
    }
}

/// The buffer of `corr`, `covar_samp` and `covar_pop`: Spark's `PearsonCorrelation` — the
/// count of pairs without a null, both means, the co-moment and both sums of squared
/// deviations. `Covariance` keeps the first four and updates them with the same arithmetic.
///
/// ```
/// use stream_core::aggregate::CoMoments;
/// let mut pairs = CoMoments::default();
/// for (x, y) in [(3.0, 2.0), (3.0, 3.0), (6.0, 4.0)] {
///     pairs.update(x, y);
/// }
/// assert_eq!(pairs.corr(), Some(0.8660254037844387)); // Spark's documented example
/// assert_eq!(pairs.covar_samp(), Some(1.5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoMoments {
    n: f64,
    x_avg: f64,
    y_avg: f64,
    ck: f64,
    x_mk: f64,
    y_mk: f64,
}

impl CoMoments {
    /// Adds a pair (Spark's update expressions); the caller skips a pair with a null.
    #[inline]
    pub fn update(&mut self, x: f64, y: f64) {
        let n = self.n + 1.0;
        let dx = x - self.x_avg;
        let dx_n = dx / n;
        let dy = y - self.y_avg;
        let dy_n = dy / n;
        let x_avg = self.x_avg + dx_n;
        let y_avg = self.y_avg + dy_n;
        self.ck += dx * (y - y_avg);
        self.x_mk += dx * (x - x_avg);
        self.y_mk += dy * (y - y_avg);
        self.n = n;
        self.x_avg = x_avg;
        self.y_avg = y_avg;
    }

    /// Folds `other` into `self` (Spark's merge expressions, `self` on the left).
    pub fn merge(&mut self, other: Self) {
        let (n1, n2) = (self.n, other.n);
        let n = n1 + n2;
        let dx = other.x_avg - self.x_avg;
        let dx_n = if n == 0.0 { 0.0 } else { dx / n };
        let dy = other.y_avg - self.y_avg;
        let dy_n = if n == 0.0 { 0.0 } else { dy / n };
        self.x_avg += dx_n * n2;
        self.y_avg += dy_n * n2;
        self.ck = self.ck + other.ck + dx * dy_n * n1 * n2;
        self.x_mk = self.x_mk + other.x_mk + dx * dx_n * n1 * n2;
        self.y_mk = self.y_mk + other.y_mk + dy * dy_n * n1 * n2;
        self.n = n;
    }

    /// `corr`: null for fewer than two pairs, and when either side does not vary (Spark's
    /// division by zero is null).
    #[must_use]
    pub fn corr(&self) -> Option<f64> {
        let Self { n, ck, x_mk, y_mk, .. } = self.fresh_merged();
        let spread = (x_mk * y_mk).sqrt();
        (n != 0.0 && n != 1.0 && spread != 0.0).then(|| ck / spread)
    }

    /// `covar_pop`: null for no pairs.
    #[must_use]
    pub fn covar_pop(&self) -> Option<f64> {
        let Self { n, ck, .. } = self.fresh_merged();
        (n != 0.0).then(|| ck / n)
    }

    /// `covar_samp`: null for fewer than two pairs.
    #[must_use]
    pub fn covar_samp(&self) -> Option<f64> {
        let Self { n, ck, .. } = self.fresh_merged();
        (n != 0.0 && n != 1.0).then(|| ck / (n - 1.0))
    }

    /// The parts a checkpoint keeps: count, x mean, y mean, co-moment, x and y moments.
    #[must_use]
    pub fn parts(&self) -> [f64; 6] {
        [self.n, self.x_avg, self.y_avg, self.ck, self.x_mk, self.y_mk]
    }

    /// A buffer as a checkpoint kept it.
    #[must_use]
    pub fn restore([n, x_avg, y_avg, ck, x_mk, y_mk]: [f64; 6]) -> Self {
        Self {
            n,
            x_avg,
            y_avg,
            ck,
            x_mk,
            y_mk,
        }
    }
}

/// `refresh` and `fresh_merged` for a moments buffer.
macro_rules! fresh_merged {
    ($ty:ty) => {
        impl $ty {
            /// Merges the buffer into a fresh one, as each merging stage of Spark's plan does.
            /// Not the identity: the mean becomes `(avg / n) * n`.
            pub fn refresh(&mut self) {
                *self = self.fresh_merged();
            }

            /// The buffer merged into a fresh one.
            fn fresh_merged(self) -> Self {
                let mut buffer = Self::default();
                buffer.merge(self);
                buffer
            }
        }
    };
}

fresh_merged!(Moments);
fresh_merged!(HigherMoments);
fresh_merged!(CoMoments);

#[cfg(test)]
mod tests {
    use super::*;

    /// Spark's documented examples (`stddev_pop` of 1, 2, 3 and friends).
    #[test]
    fn documented_values() {
        let mut moments = Moments::default();
        for x in [1.0, 2.0, 3.0] {
            moments.update(x);
        }
        assert_eq!(moments.stddev_pop(), Some(0.816496580927726));
        assert_eq!(moments.stddev_samp(), Some(1.0));
        assert_eq!(moments.var_pop(), Some(0.6666666666666666));
        assert_eq!(moments.var_samp(), Some(1.0));
        assert_eq!(Moments::default().stddev_pop(), None);
    }

    #[test]
    fn merging_matches_updating_up_to_rounding() {
        let values = [0.1, 0.7, -2.5, 1e3, 3.25, 42.0, -7.125];
        let mut all = Moments::default();
        values.iter().for_each(|x| all.update(*x));
        let (mut left, mut right) = (Moments::default(), Moments::default());
        values[..3].iter().for_each(|x| left.update(*x));
        values[3..].iter().for_each(|x| right.update(*x));
        right.refresh();
        left.refresh();
        left.merge(right);
        let (a, b) = (all.var_samp().unwrap(), left.var_samp().unwrap());
        assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
        assert_eq!(left.count(), 7.0);
    }

    #[test]
    fn a_fresh_merge_is_not_always_the_identity() {
        // (avg / n) * n rounds: the reason every merging stage is replayed.
        let moved = (1..=64).any(|n| {
            let mut moments = Moments::default();
            (0..n).for_each(|i| moments.update(0.1 * f64::from(i) + 0.7));
            let mut refreshed = moments;
            refreshed.refresh();
            refreshed.parts()[1] != moments.parts()[1]
        });
        assert!(moved);
    }

    #[test]
    fn comoments_of_constant_sides() {
        let mut pairs = CoMoments::default();
        pairs.update(1.0, 5.0);
        assert_eq!(
            (pairs.corr(), pairs.covar_samp(), pairs.covar_pop()),
            (None, None, Some(0.0))
        );
        pairs.update(1.0, 6.0);
        assert_eq!(pairs.corr(), None, "x does not vary");
        assert_eq!(pairs.covar_pop(), Some(0.0));
    }
}
