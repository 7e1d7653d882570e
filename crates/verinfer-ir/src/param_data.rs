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
//!
//! A block-scaled parameter ([`ParamData::blocks`]) stores a `Q8_0`/`Q4_0` weight as its
//! file's integers: `i8` quants `q` and one integer scale `d` per block of `block`
//! consecutive elements; its values are `q[i] · d[i / block]` (exact in `i32`, checked when
//! it is made). One contraction then reads the weight at one byte an element plus the scales,
//! and the block partial sums never become trace values.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::IrError;

/// The storage of a parameter: one of three widths.
#[derive(Clone)]
enum Store {
    I8(Arc<[i8]>),
    I16(Arc<[i16]>),
    I32(Arc<[i32]>),
    /// `q[i] · d[i / block]`.
    Blocks {
        q: Arc<[i8]>,
        d: Box<ParamData>,
        block: usize,
    },
}

/// A block-scaled parameter's parts: element `i` is `q[i] · d.get(i / block)`.
#[derive(Clone, Copy, Debug)]
pub struct BlockView<'a> {
    /// The per-element integers.
    pub q: &'a [i8],
    /// One scale per block.
    pub d: &'a ParamData,
    /// Elements per block.
    pub block: usize,
}

impl BlockView<'_> {
    /// Element `i`, if it exists.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<i32> {
        let q = i32::from(*self.q.get(i)?);
        Some(q.wrapping_mul(self.d.get(i / self.block)?))
    }
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
    /// Block-scaled ([`ParamData::blocks`]).
    Blocks(BlockView<'a>),
}

impl ParamView<'_> {
    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::I8(d) => d.len(),
            Self::I16(d) => d.len(),
            Self::I32(d) => d.len(),
            Self::Blocks(b) => b.q.len(),
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
            Self::Blocks(b) => b.get(i),
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

    /// A block-scaled parameter: element `i` is `q[i] · d[i / block]`.
    ///
    /// # Errors
    /// A zero block, a length that is not `d.len()` whole blocks, a scale that is itself
    /// block-scaled, or a product that does not fit `i32`.
    pub fn blocks(q: Vec<i8>, d: Self, block: usize) -> Result<Self, IrError> {
        let bad = IrError::BadBlocks;
        if block == 0 || Some(q.len()) != d.len().checked_mul(block) {
            return Err(bad(format!(
                "{} quants are not {} blocks of {block}",
                q.len(),
                d.len()
            )));
        }
        if matches!(d.view(), ParamView::Blocks(_)) {
            return Err(bad("the scales are themselves block-scaled".into()));
        }
        let q_max = q.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
        let widest = u64::from(q_max).saturating_mul(d.max_abs());
        if widest > i32::MAX.unsigned_abs().into() {
            return Err(bad(format!(
                "a product of quant and scale reaches {widest}, beyond i32"
            )));
        }
        Ok(Self::from_store(Store::Blocks {
            q: q.into(),
            d: Box::new(d),
            block,
        }))
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
            Store::Blocks { q, d, block } => ParamView::Blocks(BlockView {
                q,
                d,
                block: *block,
            }),
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
        if let ParamView::Blocks(b) = self.view() {
            // The largest quant of each block times its scale: one pass over the quants.
            return b
                .q
                .chunks(b.block)
                .enumerate()
                .map(|(j, c)| {
                    let q = c.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
                    u64::from(q) * i64::from(b.d.get(j).unwrap_or(0)).unsigned_abs()
                })
                .max()
                .unwrap_or(0);
        }
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
            ParamView::Blocks(b) => b.q.len() + b.d.stored_bytes(),
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
            ParamView::Blocks(_) => "i8 blocks",
        };
        f.debug_list().entries(self.values().take(16)).finish()?;
        write!(f, " ({} × {width})", self.len())
    }
}

/// The encoding: a variant tag, then the values as a sequence of `i32` (`Ints`), or the
/// quants and the scales each as a sequence of `i32` and the block length (`Blocks`) — a
/// block-scaled parameter is written as its parts, never widened to its values.
#[derive(Serialize)]
enum WireRef<'a> {
    Ints(IntSeq<'a>),
    Blocks {
        q: QuantSeq<'a>,
        d: IntSeq<'a>,
        block: u64,
    },
}

/// [`WireRef`] decoded; each sequence straight into its narrowest store.
#[derive(Deserialize)]
enum Wire {
    Ints(Narrowing),
    Blocks {
        q: Narrowing,
        d: Narrowing,
        block: u64,
    },
}

struct IntSeq<'a>(&'a ParamData);

impl Serialize for IntSeq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0.values() {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

struct QuantSeq<'a>(&'a [i8]);

impl Serialize for QuantSeq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for &v in self.0 {
            seq.serialize_element(&i32::from(v))?;
        }
        seq.end()
    }
}

struct Narrowing(ParamData);

impl<'de> Deserialize<'de> for Narrowing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SeqVisitor).map(Narrowing)
    }
}

thread_local! {
    /// Whether parameters are (de)serialized in the version-1 layout of `.vmodel` files: a
    /// plain sequence of values, no variant tag. Set only by [`with_plain_encoding`] around
    /// the encoding of a whole graph (serde offers no per-call context).
    static PLAIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with parameters encoded as version 1 of the `.vmodel` format wrote them (a plain
/// sequence of values): files compiled before block-scaled parameters existed still load,
/// and a graph without block-scaled parameters is written byte for byte as before. A
/// block-scaled parameter cannot be written this way (an error, never a silent widening).
pub(crate) fn with_plain_encoding<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            PLAIN.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(PLAIN.with(|c| c.replace(true)));
    f()
}

fn plain() -> bool {
    PLAIN.with(std::cell::Cell::get)
}

impl Serialize for ParamData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if plain() {
            if matches!(self.store, Store::Blocks { .. }) {
                return Err(serde::ser::Error::custom(
                    "a block-scaled parameter needs format version 2",
                ));
            }
            return IntSeq(self).serialize(s);
        }
        match &self.store {
            Store::Blocks { q, d, block } => WireRef::Blocks {
                q: QuantSeq(q),
                d: IntSeq(d),
                block: *block as u64,
            },
            _ => WireRef::Ints(IntSeq(self)),
        }
        .serialize(s)
    }
}

/// Decodes each sequence of `i32` straight into the narrowest store, widening the store only
/// when a value needs it (never a whole `i32` copy of an `i8` tensor); a block-scaled
/// parameter is checked as [`ParamData::blocks`] checks it.
impl<'de> Deserialize<'de> for ParamData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if plain() {
            return Narrowing::deserialize(d).map(|n| n.0);
        }
        match Wire::deserialize(d)? {
            Wire::Ints(v) => Ok(v.0),
            Wire::Blocks { q, d, block } => {
                let ParamView::I8(q) = q.0.view() else {
                    return Err(serde::de::Error::custom("block quants must fit i8"));
                };
                let block = usize::try_from(block).map_err(serde::de::Error::custom)?;
                Self::blocks(q.to_vec(), d.0, block).map_err(serde::de::Error::custom)
            }
        }
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
                    *self = Self::I16(widened(d, d.capacity()));
                    self.push(v);
                }
            },
            Self::I16(d) => match i16::try_from(v) {
                Ok(x) => d.push(x),
                Err(_) => {
                    *self = Self::I32(widened(d, d.capacity()));
                    self.push(v);
                }
            },
            Self::I32(d) => d.push(v),
        }
    }
}

/// `d` at the next width, `capacity` reserved (what was reserved for `d`).
fn widened<A: Copy, B: From<A>>(d: &[A], capacity: usize) -> Vec<B> {
    let mut w = Vec::with_capacity(capacity);
    w.extend(d.iter().map(|&x| B::from(x)));
    w
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
            ParamView::Blocks(_) => 0,
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
        /// storage width: the values tagged `Ints` (variant 0) then as a `Vec<i32>`, decoded to
        /// equal values and re-encoded to the same bytes.
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
            let bytes = bincode::serialize(&(0u32, &v)).unwrap();
            prop_assert_eq!(bincode::serialize(&p).unwrap(), bytes.clone());
            let back: ParamData = bincode::deserialize(&bytes).unwrap();
            prop_assert_eq!(width(&back), width(&p));
            prop_assert_eq!(back, p);
        }
    }

    proptest! {
        /// A block-scaled parameter's values are `q[i]·d[i/block]`, at every width of the
        /// scales; it round-trips through its encoding as its parts (same values, same
        /// storage), equals the plain parameter of the same values, and `max_abs` is theirs.
        #[test]
        fn blocks_are_their_products(
            (block, q, d) in (1usize..5, 1usize..6).prop_flat_map(|(block, n)| (
                Just(block),
                prop::collection::vec(any::<i8>(), block * n),
                prop::collection::vec(prop_oneof![-100i32..100, -(1i32 << 20)..(1 << 20)], n),
            ))
        ) {
            let want: Vec<i32> = q
                .iter()
                .enumerate()
                .map(|(i, &v)| i32::from(v) * d[i / block])
                .collect();
            let p = ParamData::blocks(q.clone(), ParamData::new(d.clone()), block).unwrap();
            prop_assert_eq!(p.to_vec(), want.clone());
            prop_assert_eq!(&*p, &want[..]);
            prop_assert_eq!(p.max_abs(), ParamData::new(want.clone()).max_abs());
            prop_assert_eq!(&p, &ParamData::new(want));
            prop_assert_eq!(p.stored_bytes(), q.len() + ParamData::new(d).stored_bytes());
            let back: ParamData = bincode::deserialize(&bincode::serialize(&p).unwrap()).unwrap();
            prop_assert!(matches!(back.view(), ParamView::Blocks(_)));
            prop_assert_eq!(back, p);
        }
    }

    #[test]
    fn bad_blocks_are_refused_by_name() {
        let d = || ParamData::new(vec![1, 2]);
        assert!(ParamData::blocks(vec![1; 6], d(), 3).is_ok());
        for (q, block) in [(vec![1; 5], 3), (vec![1; 6], 0), (vec![1; 7], 3)] {
            let e = ParamData::blocks(q, d(), block).unwrap_err();
            assert!(e.to_string().contains("blocks of"), "{e}");
        }
        let wide = ParamData::new(vec![1 << 25]);
        let e = ParamData::blocks(vec![127], wide, 1).unwrap_err();
        assert!(e.to_string().contains("beyond i32"), "{e}");
        let nested = ParamData::blocks(vec![1], ParamData::new(vec![1]), 1).unwrap();
        assert!(ParamData::blocks(vec![1], nested, 1).is_err());
        // A decoded file is checked the same way: quants that do not fit i8 are refused.
        let bytes = bincode::serialize(&(1u32, vec![300i32], vec![1i32], 1u64)).unwrap();
        assert!(bincode::deserialize::<ParamData>(&bytes).is_err());
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
