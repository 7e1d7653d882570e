//! A parameter's integers, stored at the narrowest of `i8`/`i16`/`i32` that holds them.
//!
//! A 7B language model has 7·10⁹ weight elements; as `i32` that is 28 GB, as the `i8` of its
//! Q8_0 blocks 7 GB. [`ParamData`] keeps each parameter at the width its values need, chosen
//! from the values themselves (never from a claimed bound), and shares the storage by
//! reference count so that an executor's plan can hold the weights it reads without copying
//! them.
//!
//! The *values* are what every consumer sees: equality, serialization (a `.vmodel` stores a
//! sequence of `i32`, exactly as the `Vec<i32>` it replaces did) and the model commitment do
//! not depend on the storage width. Readers that need a `&[i32]` (the reference interpreter,
//! the opML prover) get one through `Deref`, which widens a narrow parameter once and keeps
//! the widened copy; hot paths read [`ParamData::view`] or [`ParamData::get`] instead, which
//! never allocate.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The storage of a parameter: one of three widths.
#[derive(Clone)]
enum Store {
    I8(Arc<[i8]>),
    I16(Arc<[i16]>),
    I32(Arc<[i32]>),
}

/// A borrowed view of a parameter's integers at their stored width.
#[derive(Clone, Copy, Debug)]
pub enum ParamView<'a> {
    /// Every value fits `i8`.
    I8(&'a [i8]),
    /// Every value fits `i16` (and some not `i8`).
    I16(&'a [i16]),
    /// Some value needs more than 16 bits.
    I32(&'a [i32]),
}

impl ParamView<'_> {
    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::I8(d) => d.len(),
            Self::I16(d) => d.len(),
            Self::I32(d) => d.len(),
        }
    }

    /// Whether there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i`, if it exists.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<i32> {
        match self {
            Self::I8(d) => d.get(i).map(|&v| i32::from(v)),
            Self::I16(d) => d.get(i).map(|&v| i32::from(v)),
            Self::I32(d) => d.get(i).copied(),
        }
    }
}

/// A parameter's row-major integers (see the module documentation).
pub struct ParamData {
    store: Store,
    /// The `i32` copy `Deref` hands out for a narrow store, made on first use.
    wide: OnceLock<Vec<i32>>,
}

impl ParamData {
    /// Stores `values` at the narrowest width holding all of them.
    #[must_use]
    pub fn new(values: Vec<i32>) -> Self {
        let (lo, hi) = values
            .iter()
            .fold((0i32, 0i32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let store = if lo >= i32::from(i8::MIN) && hi <= i32::from(i8::MAX) {
            Store::I8(values.iter().map(|&v| narrow(v)).collect())
        } else if lo >= i32::from(i16::MIN) && hi <= i32::from(i16::MAX) {
            Store::I16(values.iter().map(|&v| narrow(v)).collect())
        } else {
            Store::I32(values.into())
        };
        Self::from_store(store)
    }

    /// `i8` values (Q8_0 quants, for instance) without widening them first.
    #[must_use]
    pub fn from_i8(values: Vec<i8>) -> Self {
        Self::from_store(Store::I8(values.into()))
    }

    fn from_store(store: Store) -> Self {
        Self {
            store,
            wide: OnceLock::new(),
        }
    }

    /// The integers at their stored width (no allocation).
    #[must_use]
    pub fn view(&self) -> ParamView<'_> {
        match &self.store {
            Store::I8(d) => ParamView::I8(d),
            Store::I16(d) => ParamView::I16(d),
            Store::I32(d) => ParamView::I32(d),
        }
    }

    /// Element `i`, if it exists.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<i32> {
        self.view().get(i)
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// Whether there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in order, widened one at a time (no allocation).
    pub fn values(&self) -> impl Iterator<Item = i32> + '_ {
        let v = self.view();
        (0..v.len()).map(move |i| v.get(i).unwrap_or(0))
    }

    /// The largest magnitude of any value (0 when empty).
    #[must_use]
    pub fn max_abs(&self) -> u64 {
        self.values()
            .map(|v| i64::from(v).unsigned_abs())
            .max()
            .unwrap_or(0)
    }

    /// Bytes the stored integers occupy (without a widened copy).
    #[must_use]
    pub fn stored_bytes(&self) -> usize {
        match self.view() {
            ParamView::I8(d) => d.len(),
            ParamView::I16(d) => 2 * d.len(),
            ParamView::I32(d) => 4 * d.len(),
        }
    }

    /// The values as `i32`: the store itself when it is `i32`, otherwise a widened copy made
    /// once and kept (4 bytes per element for as long as the parameter lives).
    #[must_use]
    pub fn as_i32(&self) -> &[i32] {
        match &self.store {
            Store::I32(d) => d,
            _ => self.wide.get_or_init(|| self.values().collect()),
        }
    }

    /// A copy of the values as a `Vec<i32>`.
    #[must_use]
    pub fn to_vec(&self) -> Vec<i32> {
        self.values().collect()
    }

    /// Another handle on the same storage, for a plan that reads it at run time.
    #[must_use]
    pub fn share(&self) -> Self {
        Self::from_store(self.store.clone())
    }
}

/// `v` in a narrower type; only called after checking that it fits.
fn narrow<T: TryFrom<i32> + Default>(v: i32) -> T {
    T::try_from(v).unwrap_or_default()
}

impl From<Vec<i32>> for ParamData {
    fn from(values: Vec<i32>) -> Self {
        Self::new(values)
    }
}

impl Deref for ParamData {
    type Target = [i32];

    fn deref(&self) -> &[i32] {
        self.as_i32()
    }
}

impl Clone for ParamData {
    fn clone(&self) -> Self {
        self.share()
    }
}

impl PartialEq for ParamData {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.values().eq(other.values())
    }
}

impl Eq for ParamData {}

impl fmt::Debug for ParamData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = match self.view() {
            ParamView::I8(_) => "i8",
            ParamView::I16(_) => "i16",
            ParamView::I32(_) => "i32",
        };
        f.debug_list().entries(self.values().take(16)).finish()?;
        write!(f, " ({} × {width})", self.len())
    }
}

/// As a sequence of `i32`: the encoding of the `Vec<i32>` this type replaced.
impl Serialize for ParamData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for v in self.values() {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// Decodes a sequence of `i32` straight into the narrowest store, widening the store only
/// when a value needs it (never a whole `i32` copy of an `i8` tensor).
impl<'de> Deserialize<'de> for ParamData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SeqVisitor)
    }
}

struct SeqVisitor;

/// A store growing at the narrowest width seen so far.
enum Growing {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
}

impl Growing {
    fn push(&mut self, v: i32) {
        match self {
            Self::I8(d) => match i8::try_from(v) {
                Ok(x) => d.push(x),
                Err(_) => {
                    let mut w: Vec<i16> = Vec::with_capacity(d.capacity());
                    w.extend(d.iter().map(|&x| i16::from(x)));
                    *self = Self::I16(w);
                    self.push(v);
                }
            },
            Self::I16(d) => match i16::try_from(v) {
                Ok(x) => d.push(x),
                Err(_) => {
                    let mut w: Vec<i32> = Vec::with_capacity(d.capacity());
                    w.extend(d.iter().map(|&x| i32::from(x)));
                    w.push(v);
                    *self = Self::I32(w);
                }
            },
            Self::I32(d) => d.push(v),
        }
    }
}

impl<'de> Visitor<'de> for SeqVisitor {
    type Value = ParamData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of i32")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParamData, A::Error> {
        // The length comes from the file: cap what is reserved before any element is read.
        let cap = seq.size_hint().unwrap_or(0).min(1 << 20);
        let mut g = Growing::I8(Vec::with_capacity(cap));
        while let Some(v) = seq.next_element::<i32>()? {
            g.push(v);
        }
        Ok(ParamData::from_store(match g {
            Growing::I8(d) => Store::I8(d.into()),
            Growing::I16(d) => Store::I16(d.into()),
            Growing::I32(d) => Store::I32(d.into()),
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn width(p: &ParamData) -> u8 {
        match p.view() {
            ParamView::I8(_) => 8,
            ParamView::I16(_) => 16,
            ParamView::I32(_) => 32,
        }
    }

    #[test]
    fn narrowest_width_holding_every_value() {
        assert_eq!(width(&ParamData::new(vec![127, -128, 0])), 8);
        assert_eq!(width(&ParamData::new(vec![128])), 16);
        assert_eq!(width(&ParamData::new(vec![-129])), 16);
        assert_eq!(width(&ParamData::new(vec![32767, -32768])), 16);
        assert_eq!(width(&ParamData::new(vec![32768])), 32);
        assert_eq!(width(&ParamData::new(vec![i32::MIN, i32::MAX])), 32);
        assert_eq!(width(&ParamData::new(vec![])), 8);
        assert_eq!(ParamData::new(vec![1, -300, 7]).stored_bytes(), 6);
    }

    proptest! {
        /// Values, equality, the widened slice and the bincode encoding do not depend on the
        /// storage width: a `.vmodel` written with `Vec<i32>` decodes to equal values and
        /// re-encodes to the same bytes.
        #[test]
        fn values_and_encoding_independent_of_width(
            v in prop::collection::vec(
                prop_oneof![-128i32..128, -40_000i32..40_000, any::<i32>()], 0..64)
        ) {
            let p = ParamData::new(v.clone());
            prop_assert_eq!(p.to_vec(), v.clone());
            prop_assert_eq!(&*p, &v[..]);
            prop_assert_eq!(p.len(), v.len());
            for (i, &x) in v.iter().enumerate() {
                prop_assert_eq!(p.get(i), Some(x));
            }
            prop_assert_eq!(p.get(v.len()), None);
            let bytes = bincode::serialize(&v).unwrap();
            prop_assert_eq!(bincode::serialize(&p).unwrap(), bytes.clone());
            let back: ParamData = bincode::deserialize(&bytes).unwrap();
            prop_assert_eq!(width(&back), width(&p));
            prop_assert_eq!(back, p);
        }
    }

    #[test]
    fn i8_input_and_shared_handles() {
        let p = ParamData::from_i8(vec![-3, 4]);
        let q = p.share();
        assert_eq!(q.to_vec(), vec![-3, 4]);
        assert_eq!(p, ParamData::new(vec![-3, 4]));
        assert_ne!(p, ParamData::new(vec![-3, 5]));
        assert_eq!(p.max_abs(), 4);
    }
}
