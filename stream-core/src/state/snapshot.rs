//! The exact binary encoding of state values, for checkpoints.
//!
//! Every type an operator keeps in state implements [`StateValue`]: the macro generates it for
//! a query's accumulators and rows. The encoding is exact — a float is its bit pattern (so NaN
//! and -0.0 survive), a timestamp its microseconds, a decimal its unscaled integer — and
//! compact: fixed-width little-endian numbers, strings and lists behind a `u32` length, an
//! option behind one tag byte, a tuple or struct as its fields in order. It is not
//! self-describing: the checkpoint's state files are read back by the query that wrote them.
//!
//! Decoding never panics: bytes that do not hold a value of the type give `None`.
//!
//! ```
//! use stream_core::state::snapshot::StateValue;
//! let mut bytes = Vec::new();
//! (String::from("u01"), 2_i64, f64::NAN).encode(&mut bytes);
//! let (user, count, sum) = <(String, i64, f64)>::decode(&mut bytes.as_slice()).unwrap();
//! assert_eq!((user.as_str(), count), ("u01", 2));
//! assert!(sum.is_nan());
//! assert_eq!(<(String, i64, f64)>::decode(&mut &bytes[..5]), None);
//! ```

use crate::session::{Merge, Sessions};
use crate::types::{Date, Timestamp};
use crate::window::Window;

/// A value that checkpoints store exactly.
pub trait StateValue: Sized {
    /// The shape of the encoding: what a checkpoint records of an operator's state, so that a
    /// restarted query's state is checked against it field by field.
    fn state_type() -> StateType;

    /// Appends the value's encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads a value [`encode`](Self::encode) wrote from the front of `input`, and advances
    /// `input` past it; `None` when the bytes do not hold one.
    fn decode(input: &mut &[u8]) -> Option<Self>;
}

/// The shape of a [`StateValue`]'s encoding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StateType {
    /// `bool`.
    Bool,
    /// A fixed-width integer or float: its Rust name (`i64`, `f64`, ...).
    Number(String),
    /// A string.
    String,
    /// A decimal of this precision and scale.
    Decimal(u8, u8),
    /// A timestamp, in microseconds.
    Timestamp,
    /// A date, in days.
    Date,
    /// A time window, its start and end.
    Window,
    /// Nothing (`()`).
    Unit,
    /// A value or null.
    Option(Box<StateType>),
    /// A list of values.
    List(Box<StateType>),
    /// Values in order, unnamed.
    Tuple(Vec<StateType>),
    /// Named values in order.
    Struct(Vec<(String, StateType)>),
    /// Session windows of accumulators of this shape.
    Sessions(Box<StateType>),
    /// A decimal sum (or average's sum) of this precision and scale.
    DecimalSum(u8, u8),
    /// A decimal average of this precision and scale.
    DecimalAvg(u8, u8),
}

impl std::fmt::Display for StateType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, items: &mut dyn Iterator<Item = String>| {
            f.write_str(&items.collect::<Vec<_>>().join(", "))
        };
        match self {
            Self::Bool => f.write_str("bool"),
            Self::Number(name) => f.write_str(name),
            Self::String => f.write_str("String"),
            Self::Decimal(p, s) => write!(f, "Decimal<{p}, {s}>"),
            Self::Timestamp => f.write_str("Timestamp"),
            Self::Date => f.write_str("Date"),
            Self::Window => f.write_str("Window"),
            Self::Unit => f.write_str("()"),
            Self::Option(inner) => write!(f, "Option<{inner}>"),
            Self::List(inner) => write!(f, "Vec<{inner}>"),
            Self::Tuple(items) => {
                f.write_str("(")?;
                list(f, &mut items.iter().map(ToString::to_string))?;
                f.write_str(")")
            }
            Self::Struct(fields) => {
                f.write_str("{")?;
                list(f, &mut fields.iter().map(|(name, ty)| format!("{name}: {ty}")))?;
                f.write_str("}")
            }
            Self::Sessions(inner) => write!(f, "Sessions<{inner}>"),
            Self::DecimalSum(p, s) => write!(f, "DecimalSum<{p}, {s}>"),
            Self::DecimalAvg(p, s) => write!(f, "DecimalAvg<{p}, {s}>"),
        }
    }
}

impl StateType {
    /// The first difference between `self` (the shape a checkpoint recorded) and `now`, named
    /// by its path from `at` (`value.total`, `key.1`); `None` when they are the same.
    #[must_use]
    pub fn difference(&self, now: &Self, at: &str) -> Option<String> {
        let changed = || Some(format!("`{at}` was {self}, and is now {now}"));
        match (self, now) {
            (Self::Option(was), Self::Option(is))
            | (Self::List(was), Self::List(is))
            | (Self::Sessions(was), Self::Sessions(is)) => was.difference(is, at),
            (Self::Tuple(was), Self::Tuple(is)) => fields_difference(
                was.iter().enumerate().map(|(i, t)| (i.to_string(), t)),
                is.iter().enumerate().map(|(i, t)| (i.to_string(), t)),
                at,
            ),
            (Self::Struct(was), Self::Struct(is)) => fields_difference(
                was.iter().map(|(name, t)| (name.clone(), t)),
                is.iter().map(|(name, t)| (name.clone(), t)),
                at,
            ),
            _ if self == now => None,
            _ => changed(),
        }
    }
}

/// The first difference between two lists of named fields.
fn fields_difference<'a>(
    was: impl Iterator<Item = (String, &'a StateType)>,
    is: impl Iterator<Item = (String, &'a StateType)>,
    at: &str,
) -> Option<String> {
    let (was, is): (Vec<_>, Vec<_>) = (was.collect(), is.collect());
    for index in 0..was.len().max(is.len()) {
        match (was.get(index), is.get(index)) {
            (Some((name, was_type)), Some((now_name, is_type))) => {
                if name != now_name {
                    return Some(format!(
                        "`{at}.{name}` ({was_type}) is now `{at}.{now_name}` ({is_type})"
                    ));
                }
                if let Some(difference) = was_type.difference(is_type, &format!("{at}.{name}")) {
                    return Some(difference);
                }
            }
            (Some((name, was_type)), None) => return Some(format!("`{at}.{name}` ({was_type}) is gone")),
            (None, Some((name, is_type))) => return Some(format!("`{at}.{name}` ({is_type}) is new")),
            (None, None) => {}
        }
    }
    None
}

/// The shape of the field `field` reads: for generated code, which names a struct's fields but
/// not their types.
///
/// ```
/// use stream_core::state::snapshot::{StateType, field_state_type};
/// struct Totals { count: i64 }
/// assert_eq!(field_state_type(|t: &Totals| &t.count), StateType::Number("i64".into()));
/// ```
pub fn field_state_type<S, T: StateValue>(field: fn(&S) -> &T) -> StateType {
    let _ = field;
    T::state_type()
}

/// The next `N` bytes of `input`, consumed.
#[inline]
pub(crate) fn take<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = input.split_first_chunk::<N>()?;
    *input = rest;
    Some(*head)
}

/// A `u32` length, then that many bytes of `input`, consumed.
#[inline]
pub(crate) fn take_counted<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(u32::from_le_bytes(take(input)?)).ok()?;
    let (head, rest) = input.split_at_checked(len)?;
    *input = rest;
    Some(head)
}

/// Appends `len` as the `u32` that [`take_counted`] reads.
#[inline]
fn put_len(len: usize, out: &mut Vec<u8>) {
    // State values are far below 4 GiB: a longer one would be cut, and refused when read.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

macro_rules! fixed_width_state {
    ($($ty:ty),* $(,)?) => {$(
        impl StateValue for $ty {
            fn state_type() -> StateType {
                StateType::Number(stringify!($ty).to_owned())
            }
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn decode(input: &mut &[u8]) -> Option<Self> {
                take(input).map(<$ty>::from_le_bytes)
            }
        }
    )*};
}

// Floats as their bit patterns (`to_le_bytes`), so every NaN payload and -0.0 restore exactly.
fixed_width_state!(i8, i16, i32, i64, u8, u32, u64, f32, f64);

impl StateValue for bool {
    fn state_type() -> StateType {
        StateType::Bool
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        match take::<1>(input)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

impl StateValue for String {
    fn state_type() -> StateType {
        StateType::String
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        std::str::from_utf8(take_counted(input)?).ok().map(str::to_owned)
    }
}

impl StateValue for super::KeyStr {
    fn state_type() -> StateType {
        StateType::String
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.as_bytes().len(), out);
        out.extend_from_slice(self.as_bytes());
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        std::str::from_utf8(take_counted(input)?).ok().map(Self::from)
    }
}

impl<const P: u8, const S: u8> StateValue for crate::decimal::Decimal<P, S> {
    fn state_type() -> StateType {
        StateType::Decimal(P, S)
    }
    /// The unscaled integer; one out of the type's precision is refused.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.unscaled().to_le_bytes());
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        Self::from_unscaled(i128::from_le_bytes(take(input)?))
    }
}

impl StateValue for Timestamp {
    fn state_type() -> StateType {
        StateType::Timestamp
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        self.micros().encode(out);
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        i64::decode(input).map(Timestamp::from_micros)
    }
}

impl StateValue for Date {
    fn state_type() -> StateType {
        StateType::Date
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.days().encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        i32::decode(input).map(Date::from_days)
    }
}

impl StateValue for Window {
    fn state_type() -> StateType {
        StateType::Window
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        self.start.encode(out);
        self.end.encode(out);
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        Some(Window {
            start: Timestamp::decode(input)?,
            end: Timestamp::decode(input)?,
        })
    }
}

impl StateValue for () {
    fn state_type() -> StateType {
        StateType::Unit
    }
    #[inline]
    fn encode(&self, _out: &mut Vec<u8>) {}
    #[inline]
    fn decode(_input: &mut &[u8]) -> Option<Self> {
        Some(())
    }
}

impl<T: StateValue> StateValue for Option<T> {
    fn state_type() -> StateType {
        StateType::Option(Box::new(T::state_type()))
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }
    #[inline]
    fn decode(input: &mut &[u8]) -> Option<Self> {
        match take::<1>(input)? {
            [0] => Some(None),
            [1] => T::decode(input).map(Some),
            _ => None,
        }
    }
}

impl<T: StateValue> StateValue for Vec<T> {
    fn state_type() -> StateType {
        StateType::List(Box::new(T::state_type()))
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.len(), out);
        for item in self {
            item.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let len = u32::decode(input)?;
        // Each item takes at least one byte, or none at all (`()`): cap the reservation by the
        // bytes left so that a damaged length cannot ask for gigabytes.
        let mut items = Vec::with_capacity((len as usize).min(input.len()));
        for _ in 0..len {
            items.push(T::decode(input)?);
        }
        Some(items)
    }
}

macro_rules! tuple_state {
    ($(($($part:ident . $index:tt),+)),* $(,)?) => {$(
        impl<$($part: StateValue),+> StateValue for ($($part,)+) {
            fn state_type() -> StateType {
                StateType::Tuple(vec![$($part::state_type()),+])
            }
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                $(self.$index.encode(out);)+
            }
            #[inline]
            fn decode(input: &mut &[u8]) -> Option<Self> {
                Some(($($part::decode(input)?,)+))
            }
        }
    )*};
}

tuple_state! {
    (A.0),
    (A.0, B.1),
    (A.0, B.1, C.2),
    (A.0, B.1, C.2, D.3),
    (A.0, B.1, C.2, D.3, E.4),
    (A.0, B.1, C.2, D.3, E.4, F.5),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, I.7),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, I.7, J.8),
}

impl<A: StateValue + Default + Merge> StateValue for Sessions<A> {
    fn state_type() -> StateType {
        StateType::Sessions(Box::new(A::state_type()))
    }
    /// The count, then each session's start, end and value.
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.iter().count(), out);
        for session in self.iter() {
            session.start.encode(out);
            session.end.encode(out);
            session.value.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let mut sessions = Sessions::default();
        for _ in 0..u32::decode(input)? {
            let (start, end) = (Timestamp::decode(input)?, Timestamp::decode(input)?);
            sessions.restore(start, end, A::decode(input)?);
        }
        Some(sessions)
    }
}

impl<const P: u8, const S: u8> StateValue for crate::aggregate::DecimalSum<P, S> {
    fn state_type() -> StateType {
        StateType::DecimalSum(P, S)
    }
    /// The total (null after an overflow), then whether no value was added.
    fn encode(&self, out: &mut Vec<u8>) {
        let total = if self.is_empty() {
            Some(crate::decimal::Decimal::default())
        } else {
            self.finish()
        };
        total.encode(out);
        self.is_empty().encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let total = Option::decode(input)?;
        Some(Self::restore(total, bool::decode(input)?))
    }
}

impl<const P: u8, const S: u8> StateValue for crate::aggregate::DecimalAvg<P, S> {
    fn state_type() -> StateType {
        StateType::DecimalAvg(P, S)
    }
    /// The sum, then the count.
    fn encode(&self, out: &mut Vec<u8>) {
        let (sum, count) = self.parts();
        sum.encode(out);
        count.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let sum = StateValue::decode(input)?;
        Some(Self::restore(sum, i64::decode(input)?))
    }
}

/// A fixed list of named doubles.
fn doubles_type(names: &[&str]) -> StateType {
    StateType::Struct(
        names
            .iter()
            .map(|name| ((*name).to_owned(), f64::state_type()))
            .collect(),
    )
}

/// Decodes `N` doubles.
fn decode_doubles<const N: usize>(input: &mut &[u8]) -> Option<[f64; N]> {
    let mut parts = [0.0; N];
    for part in &mut parts {
        *part = f64::decode(input)?;
    }
    Some(parts)
}

/// The moments buffers: their named doubles, in order.
macro_rules! doubles_state {
    ($($ty:ident: [$($name:literal),+]),* $(,)?) => {$(
        impl StateValue for crate::aggregate::$ty {
            fn state_type() -> StateType {
                doubles_type(&[$($name),+])
            }
            fn encode(&self, out: &mut Vec<u8>) {
                self.parts().iter().for_each(|part| part.encode(out));
            }
            fn decode(input: &mut &[u8]) -> Option<Self> {
                decode_doubles(input).map(Self::restore)
            }
        }
    )*};
}

doubles_state! {
    Moments: ["n", "avg", "m2"],
    HigherMoments: ["n", "avg", "m2", "m3", "m4"],
    CoMoments: ["n", "xAvg", "yAvg", "ck", "xMk", "yMk"],
}

/// `first` and `last`: the value, then whether one was picked.
impl<T: StateValue, const LAST: bool> StateValue for crate::aggregate::Pick<T, LAST> {
    fn state_type() -> StateType {
        StateType::Struct(vec![
            ("value".to_owned(), Option::<T>::state_type()),
            ("valueSet".to_owned(), StateType::Bool),
        ])
    }
    fn encode(&self, out: &mut Vec<u8>) {
        let (value, set) = self.parts();
        value.encode(out);
        set.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let value = Option::decode(input)?;
        Some(Self::restore(value, bool::decode(input)?))
    }
}

impl<V: StateValue, O: StateValue + crate::aggregate::SparkOrd, const MAX: bool> StateValue
    for crate::aggregate::ArgExtremum<V, O, MAX>
{
    fn state_type() -> StateType {
        StateType::Struct(vec![
            ("value".to_owned(), Option::<V>::state_type()),
            ("ordering".to_owned(), Option::<O>::state_type()),
        ])
    }
    /// The value, then its ordering.
    fn encode(&self, out: &mut Vec<u8>) {
        let (value, ordering) = self.parts();
        value.encode(out);
        ordering.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let value = Option::decode(input)?;
        Some(Self::restore(value, Option::decode(input)?))
    }
}

/// `collect_list` and `collect_set`: the values, in order.
impl<T: StateValue + crate::aggregate::CollectKey, const DISTINCT: bool> StateValue
    for crate::aggregate::Collected<T, DISTINCT>
{
    fn state_type() -> StateType {
        StateType::Struct(vec![("items".to_owned(), Vec::<T>::state_type())])
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.items().len(), out);
        self.items().iter().for_each(|item| item.encode(out));
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        Self::restore(Vec::decode(input)?)
    }
}

impl<const P: u8> StateValue for crate::aggregate::HyperLogLogPlusPlus<P> {
    fn state_type() -> StateType {
        StateType::Struct(vec![("registers".to_owned(), Vec::<u8>::state_type())])
    }
    /// The registers: none before the first value, else `2^P` bytes.
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.registers().len(), out);
        out.extend_from_slice(self.registers());
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let len = u32::decode(input)? as usize;
        let registers = input.get(..len)?.to_vec();
        *input = &input[len..];
        Self::restore(registers)
    }
}

impl<const ACCURACY: u32> StateValue for crate::aggregate::ApproxPercentile<ACCURACY> {
    fn state_type() -> StateType {
        StateType::Struct(vec![
            ("samples".to_owned(), Vec::<(f64, i64, i64)>::state_type()),
            ("count".to_owned(), i64::state_type()),
            ("head".to_owned(), Vec::<f64>::state_type()),
            ("compressed".to_owned(), StateType::Bool),
        ])
    }
    fn encode(&self, out: &mut Vec<u8>) {
        let parts = self.parts();
        parts.samples.encode(out);
        parts.count.encode(out);
        put_len(parts.head.len(), out);
        parts.head.iter().for_each(|value| value.encode(out));
        parts.compressed.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let samples = Vec::<(f64, i64, i64)>::decode(input)?;
        let count = i64::decode(input)?;
        let head = Vec::<f64>::decode(input)?;
        Self::restore(&samples, count, head, bool::decode(input)?)
    }
}

impl StateValue for crate::aggregate::TotalF64 {
    fn state_type() -> StateType {
        f64::state_type()
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        f64::decode(input).map(Self)
    }
}

/// `percentile` and `median`: each distinct value with its count, in order.
impl<V: crate::aggregate::PercentileKey> StateValue for crate::aggregate::ExactPercentile<V>
where
    V::Key: StateValue,
{
    fn state_type() -> StateType {
        Vec::<(V::Key, i64)>::state_type()
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.counts().count(), out);
        for (key, count) in self.counts() {
            key.encode(out);
            count.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        Self::restore(Vec::<(V::Key, i64)>::decode(input)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip<T: StateValue>(value: &T) -> (Option<T>, usize) {
        let mut bytes = Vec::new();
        value.encode(&mut bytes);
        let mut input = bytes.as_slice();
        let decoded = T::decode(&mut input);
        (decoded, input.len())
    }

    #[test]
    fn floats_keep_their_bits_and_damaged_bytes_are_refused() {
        for value in [f64::NAN, -0.0, f64::INFINITY, f64::from_bits(0x7ff8_dead_beef_0001)] {
            let (decoded, left) = round_trip(&value);
            assert_eq!((decoded.map(f64::to_bits), left), (Some(value.to_bits()), 0));
        }
        assert_eq!(bool::decode(&mut &[2][..]), None);
        assert_eq!(Option::<i64>::decode(&mut &[7][..]), None);
        assert_eq!(String::decode(&mut &[1, 0, 0, 0, 0xff][..]), None);
        // A length far beyond the bytes left is refused without reserving it.
        assert_eq!(Vec::<i64>::decode(&mut &[0xff, 0xff, 0xff, 0xff][..]), None);
        let too_wide = (10_i128.pow(5)).to_le_bytes();
        assert_eq!(crate::decimal::Decimal::<5, 2>::decode(&mut &too_wide[..]), None);
    }

    proptest! {
        #[test]
        fn values_round_trip_exactly(
            key in (".{0,12}", proptest::option::of(any::<i64>()), any::<i32>()),
            value in (any::<f64>(), any::<bool>(), proptest::collection::vec(any::<i16>(), 0..5)),
        ) {
            let (decoded, left) = round_trip(&key);
            prop_assert_eq!(decoded, Some(key));
            prop_assert_eq!(left, 0);
            let (decoded, left) = round_trip(&value);
            let decoded = decoded.unwrap();
            prop_assert_eq!((decoded.0.to_bits(), decoded.1, &decoded.2), (value.0.to_bits(), value.1, &value.2));
            prop_assert_eq!(left, 0);
        }

        #[test]
        fn any_bytes_decode_or_refuse_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = <(String, Option<Window>, Vec<(i64, f64)>)>::decode(&mut bytes.as_slice());
        }

        /// The aggregates' buffers come back exactly, and a damaged file's bytes are refused or
        /// give a buffer that still answers without panicking.
        #[test]
        fn aggregate_buffers_round_trip_and_survive_damage(
            values in proptest::collection::vec(-1e6_f64..1e6, 0..300),
            flips in proptest::collection::vec((any::<usize>(), 1..=u8::MAX), 1..6),
        ) {
            use crate::aggregate::{
                ApproxPercentile, ArgExtremum, CoMoments, First, HigherMoments, HyperLogLogPlusPlus, Last, Moments,
            };
            let (mut moments, mut higher, mut pairs) = (Moments::default(), HigherMoments::default(), CoMoments::default());
            let (mut percentile, mut sketch) = (ApproxPercentile::<100>::default(), HyperLogLogPlusPlus::<6>::default());
            let mut exact = crate::aggregate::ExactPercentile::<f64>::default();
            let (mut first, mut last, mut top) =
                (First::<String>::default(), Last::<i64>::default(), ArgExtremum::<String, f64, true>::default());
            let (mut list, mut set) =
                (crate::aggregate::Collected::<f64, false>::default(), crate::aggregate::Collected::<String, true>::default());
            for (index, value) in values.iter().enumerate() {
                list.update(*value);
                set.update(format!("{}", value.round() % 7.0).as_str());
                moments.update(*value);
                higher.update(*value);
                pairs.update(*value, index as f64);
                percentile.update(*value);
                exact.update(*value);
                sketch.update(*value);
                first.update(Some("a"), false);
                last.update(Some(index as i64), true);
                top.update(Some("b"), Some(*value));
            }
            prop_assert_eq!(round_trip(&moments), (Some(moments), 0));
            prop_assert_eq!(round_trip(&higher), (Some(higher), 0));
            prop_assert_eq!(round_trip(&pairs), (Some(pairs), 0));
            prop_assert_eq!(round_trip(&percentile), (Some(percentile.clone()), 0));
            prop_assert_eq!(round_trip(&sketch), (Some(sketch.clone()), 0));
            let (restored, left) = round_trip(&exact);
            prop_assert_eq!(restored.map(|r| r.percentile(0.5).map(f64::to_bits)), Some(exact.percentile(0.5).map(f64::to_bits)));
            prop_assert_eq!(left, 0);
            prop_assert_eq!(round_trip(&first), (Some(first.clone()), 0));
            prop_assert_eq!(round_trip(&last), (Some(last.clone()), 0));
            prop_assert_eq!(round_trip(&top), (Some(top.clone()), 0));
            prop_assert_eq!(round_trip(&list), (Some(list.clone()), 0));
            prop_assert_eq!(round_trip(&set), (Some(set.clone()), 0));
            // Bytes of a valid buffer with some flipped, as a damaged file would hold them.
            let damaged = |value: &dyn Fn(&mut Vec<u8>)| {
                let mut bytes = Vec::new();
                value(&mut bytes);
                for (at, flip) in &flips {
                    if let Some(len) = std::num::NonZeroUsize::new(bytes.len()) {
                        bytes[at % len.get()] ^= flip;
                    }
                }
                bytes
            };
            let bytes = damaged(&|out| percentile.encode(out));
            if let Some(mut restored) = ApproxPercentile::<100>::decode(&mut bytes.as_slice()) {
                let _ = restored.percentile::<f64>(0.5);
                restored.merge(percentile);
                let _ = restored.percentile::<i64>(0.99);
            }
            let bytes = damaged(&|out| sketch.encode(out));
            if let Some(restored) = HyperLogLogPlusPlus::<6>::decode(&mut bytes.as_slice()) {
                let _ = restored.estimate();
            }
            let bytes = damaged(&|out| set.encode(out));
            if let Some(mut restored) = crate::aggregate::Collected::<String, true>::decode(&mut bytes.as_slice()) {
                restored.update("x");
                restored.merge(set);
            }
            let bytes = damaged(&|out| higher.encode(out));
            let _ = HigherMoments::decode(&mut bytes.as_slice()).map(|m| m.kurtosis());
        }
    }
}
