//! Which polynomials a model proof talks about ([`Poly`]), which of them the prover commits
//! ([`committed`]), and the range-check columns ([`groups`]) with the verifier's side of
//! their stacking: the columns of one width lie one after the other, largest first, so a
//! column of `v` variables at offset `o` (a multiple of `2^v`) contributes
//! `eq(ρ_lead, o/2^v)·col(ρ_tail)` to the stack's value at `ρ` ([`column_point`]).

use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use crate::mle::eq_table;

use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use crate::logup::MAX_RANGE_BITS;

/// A polynomial of the proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Poly {
    /// Public graph input `k`.
    Input(usize),
    /// Public graph output `k` (a layer's output, [`ChainSpec::outputs`]).
    Output(usize),
    /// Layer `i`'s hidden output (committed).
    Hidden(usize),
    /// Layer `i`'s remainders (committed).
    Rem(usize),
    /// Weight `j` (committed in the keys).
    Weight(usize),
    /// `ReduceMax` layer `i`'s output broadcast to its input's layout (committed).
    Bcast(usize),
    /// `ReduceMax` layer `i`'s one-hot selector (committed).
    Sel(usize),
    /// Layer `i`'s remainders shifted right by [`LIMB_BITS`] (committed where the shift is
    /// wider than a limb, see [`split_rem`]).
    RemHi(usize),
    /// `ArgMax` layer `i`'s exclusive prefix of its selector (committed).
    Prefix(usize),
    /// Layer `i`'s hidden output offset by `2^(bits−1)` and shifted right by [`LIMB_BITS`]
    /// (committed where the output is wider than the range tables, see [`split_out`]).
    OutHi(usize),
    /// A signed `Div` layer `i`'s sign selector, `[A < 0]` (committed, [`super::div`]).
    Sign(usize),
    /// A clamped layer `i`'s overshoot above its maximum, `max(Q − MAX, 0)` for the
    /// unclamped quotient `Q` (committed, [`super::clamp`]).
    Over(usize),
    /// A clamped layer `i`'s overshoot below its minimum, `max(MIN − Q, 0)` (committed).
    Under(usize),
    /// [`Poly::Over`] shifted right by [`LIMB_BITS`] (committed).
    OverHi(usize),
    /// [`Poly::Under`] shifted right by [`LIMB_BITS`] (committed).
    UnderHi(usize),
}

/// The widest range table a remainder's check uses: a wider shift's remainder `r` is
/// checked as two limbs, `r − 2^16·h` and `h`, in the `[0, 2^16)` table the activations use
/// anyway — a `[0, 2^18)` table of its own would set the opening's size (`2^18` entries of
/// `g` and `μ` for one 64-element column in the MNIST CNN).
pub const LIMB_BITS: u32 = 16;

/// Whether a remainder of shift `s` is split into limbs: wider than one limb and at most two.
#[must_use]
pub fn split_rem(s: u32) -> bool {
    s > LIMB_BITS && s <= 2 * LIMB_BITS
}

/// Whether a hidden output of `bits` is range-checked as two limbs in the `[0, 2^16)` table:
/// wider than the widest range table ([`MAX_RANGE_BITS`]: the RMSNorm's 31-bit `x·x` and its
/// sum) and at most two limbs.
#[must_use]
pub fn split_out(bits: u32) -> bool {
    bits > MAX_RANGE_BITS && bits <= 2 * LIMB_BITS
}

/// Whether a layer of `kind` may have an output of `bits`: within the range tables, or two
/// limbs for the kinds whose only check of their output is [`hidden_output_column`]'s and
/// whose relation stays far below the field for such operands (sums, differences, products
/// and sums of rows: `mult·acc < 2^190` for 32-bit operands), and gathers: their relation
/// `Ỹ(ρ) = Σ_r eq(ρ_r, r)·T̃(row_r‖ρ_c)` is linear, exact in the field whatever the values
/// (an LLM step's one-hot cache column is gathered from a table declared 32 bits wide).
#[must_use]
pub fn output_bits_fit(kind: &LayerKind, bits: u32) -> bool {
    bits <= MAX_RANGE_BITS
        || (split_out(bits)
            && matches!(
                kind,
                LayerKind::Binary { .. } | LayerKind::ReduceSum { .. } | LayerKind::Gather { .. }
            ))
}

/// `(Y + 2^(bits−1)) >> LIMB_BITS` on a hidden output's real entries (its [`Poly::OutHi`]);
/// a `y` out of its bits gives a limb out of range, which the range check refuses.
///
/// # Errors
/// [`super::GkrError::Malformed`] for a `y` of another length than the layout's.
pub(crate) fn out_hi(l: &Layer, y: &[i32]) -> Result<crate::mle::DenseMle, super::GkrError> {
    if y.len() != l.out.len() {
        return Err(super::GkrError::Malformed("a split output's values"));
    }
    let half = 1i64 << (l.bits.get() - 1);
    let mut t = vec![Fr::zero(); 1 << l.out.vars()];
    for (e, &v) in y.iter().enumerate() {
        t[super::movement::padded(l.out, e)] = super::fr((i64::from(v) + half) >> LIMB_BITS);
    }
    Ok(crate::mle::DenseMle::new(t)?)
}

impl Poly {
    /// Whether the verifier holds it in the clear.
    #[must_use]
    pub fn is_public(self) -> bool {
        matches!(self, Self::Input(_) | Self::Output(_))
    }
}

/// Layer `i`'s output.
#[must_use]
pub fn out_poly(spec: &ChainSpec, i: usize) -> Poly {
    spec.output_of(i).map_or(Poly::Hidden(i), Poly::Output)
}

/// A layer input.
#[must_use]
pub fn src_poly(spec: &ChainSpec, s: Src) -> Poly {
    match s {
        Src::Input(k) => Poly::Input(k),
        Src::Layer(i) => out_poly(spec, i),
    }
}

/// A matrix product's shift (0 for other layers).
#[must_use]
pub fn shift(kind: &LayerKind) -> u32 {
    match kind {
        LayerKind::Matmul { node, .. } => node.requant().shift,
        LayerKind::Binary { shift, .. }
        | LayerKind::ReduceSum { shift, .. }
        | LayerKind::Product { shift, .. }
        | LayerKind::Outer { shift, .. } => *shift,
        LayerKind::Clip { .. }
        | LayerKind::Move { .. }
        | LayerKind::ReduceMax
        | LayerKind::Lookup { .. }
        | LayerKind::Div { .. }
        | LayerKind::ISqrt { .. }
        | LayerKind::Gather { .. }
        | LayerKind::ArgMax => 0,
    }
}

/// The polynomials the proof commits, in the order of `ModelProof::commitments`: every hidden
/// output, then every remainder (layers with a shift), then the high limbs of the split ones,
/// then the high limbs of the split hidden outputs, then the rules' and `ReduceMax`'s own
/// tables.
#[must_use]
pub fn committed(spec: &ChainSpec) -> Vec<Poly> {
    let n = spec.layers.len();
    let mut v: Vec<Poly> = (0..n)
        .filter(|&i| spec.output_of(i).is_none())
        .map(Poly::Hidden)
        .collect();
    v.extend(
        spec.layers
            .iter()
            .enumerate()
            .filter(|(_, l)| shift(&l.kind) > 0)
            .map(|(i, _)| Poly::Rem(i)),
    );
    v.extend(
        spec.layers
            .iter()
            .enumerate()
            .filter(|(_, l)| split_rem(shift(&l.kind)))
            .map(|(i, _)| Poly::RemHi(i)),
    );
    v.extend(
        spec.layers
            .iter()
            .enumerate()
            .take(n.saturating_sub(1))
            .filter(|(_, l)| split_out(l.bits.get()))
            .map(|(i, _)| Poly::OutHi(i)),
    );
    for (i, l) in spec.layers.iter().enumerate() {
        match super::kind::rule(&l.kind) {
            Some(r) => v.extend(r.committed(super::kind::At::new(spec, i, l, &[]))),
            None if l.kind == LayerKind::ReduceMax => v.extend([Poly::Bcast(i), Poly::Sel(i)]),
            None => {}
        }
    }
    v
}

/// The layout of a polynomial.
#[must_use]
pub fn layout(spec: &ChainSpec, p: Poly) -> Layout {
    match p {
        Poly::Input(k) => spec.src_layout(Src::Input(k)),
        Poly::Output(k) => spec.src_layout(Src::Layer(
            spec.outputs.get(k).copied().unwrap_or(usize::MAX),
        )),
        Poly::Hidden(i)
        | Poly::Rem(i)
        | Poly::RemHi(i)
        | Poly::OutHi(i)
        | Poly::Sign(i)
        | Poly::Over(i)
        | Poly::Under(i)
        | Poly::OverHi(i)
        | Poly::UnderHi(i) => spec.src_layout(Src::Layer(i)),
        Poly::Weight(j) => spec
            .weights
            .get(j)
            .map_or(Layout { rows: 1, cols: 1 }, |w| w.layout),
        Poly::Bcast(i) | Poly::Sel(i) | Poly::Prefix(i) => spec
            .layers
            .get(i)
            .map_or(Layout { rows: 1, cols: 1 }, |l| spec.src_layout(l.input)),
    }
}

/// A vector that must lie in `[0, 2^bits)`: `Σ coeff·T + constant·mask`, `mask` the
/// indicator of the layout's real entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// `(tensor, coefficient)`, all of the column's layout.
    pub terms: Vec<(Poly, i64)>,
    /// Added on the real entries.
    pub constant: i64,
    /// The layout.
    pub layout: Layout,
}

/// The range-check columns by width (ascending).
#[must_use]
pub fn groups(spec: &ChainSpec) -> BTreeMap<u32, Vec<Column>> {
    let mut g: BTreeMap<u32, Vec<Column>> = BTreeMap::new();
    for (i, l) in spec.layers.iter().enumerate() {
        let y = out_poly(spec, i);
        let bits = l.bits.get();
        let col = |terms: Vec<(Poly, i64)>, constant: i64| Column {
            terms,
            constant,
            layout: l.out,
        };
        if let Some(r) = super::kind::rule(&l.kind) {
            r.columns(super::kind::At::new(spec, i, l, &[]), &mut g);
            continue;
        }
        match l.kind {
            LayerKind::Matmul { .. } => {
                rescaled_columns(super::kind::At::new(spec, i, l, &[]), &mut g)
            }
            LayerKind::Clip { min, constant } => {
                let sign = if min { -1 } else { 1 };
                let x = src_poly(spec, l.input);
                let e = g.entry(bits).or_default();
                e.push(col(vec![(y, sign), (x, -sign)], 0));
                e.push(col(vec![(y, sign)], -sign * constant));
            }
            // A move's values are its input's (already bounded where they were made).
            LayerKind::Move { .. } => {}
            // `B − X ≥ 0`: the maximum is at least every element of its row.
            LayerKind::ReduceMax => g.entry(bits).or_default().push(Column {
                terms: vec![(Poly::Bcast(i), 1), (src_poly(spec, l.input), -1)],
                constant: 0,
                layout: spec.src_layout(l.input),
            }),
            // A lookup's values are table entries (its own argument, [`super::lookup`]); the
            // other kinds have rules.
            _ => {}
        }
    }
    // Largest first (stable): each column then starts at a multiple of its size.
    for cols in g.values_mut() {
        cols.sort_by_key(|c| std::cmp::Reverse(c.layout.vars()));
    }
    g
}

/// A rescaling layer's columns: its remainder in `[0, 2^s)` (in two limbs past
/// [`LIMB_BITS`], [`split_rem`]) and its hidden output.
pub(crate) fn rescaled_columns(at: super::kind::At<'_>, g: &mut BTreeMap<u32, Vec<Column>>) {
    let super::kind::At { spec, i, l, .. } = at;
    let col = |terms: Vec<(Poly, i64)>, constant: i64| Column {
        terms,
        constant,
        layout: l.out,
    };
    let s = shift(&l.kind);
    if split_rem(s) {
        limb_columns(g, l.out, (Poly::Rem(i), 0), Poly::RemHi(i), s);
    } else if s > 0 {
        g.entry(s)
            .or_default()
            .push(col(vec![(Poly::Rem(i), 1)], 0));
    }
    hidden_output_column(spec, i, l, g);
}

/// A hidden output's range column, `Y + 2^(bits−1)` (so the epilogue's clamp is the
/// identity); nothing for the public output (the verifier bounds it).
pub(crate) fn hidden_output_column(
    spec: &ChainSpec,
    i: usize,
    l: &Layer,
    g: &mut BTreeMap<u32, Vec<Column>>,
) {
    let y = out_poly(spec, i);
    let bits = l.bits.get();
    if !y.is_public() && split_out(bits) {
        limb_columns(g, l.out, (y, 1i64 << (bits - 1)), Poly::OutHi(i), bits);
    } else if !y.is_public() {
        g.entry(bits).or_default().push(Column {
            terms: vec![(y, 1)],
            constant: 1i64 << (bits - 1),
            layout: l.out,
        });
    }
}

/// `v = T + constant·mask ∈ [0, 2^w)` (`16 < w ≤ 32`) as two limbs in the `[0, 2^16)` table,
/// `hi` committed as `v >> 16`: the columns `v − 2^16·hi`, `hi` and (for `w < 32`)
/// `hi + 2^16 − 2^(w−16)` on the real entries, so `hi ∈ [0, 2^(w−16))` and
/// `v ∈ [0, 2^w)` (all far below `r`: no wrap-around).
pub(crate) fn limb_columns(
    g: &mut BTreeMap<u32, Vec<Column>>,
    layout: Layout,
    (t, constant): (Poly, i64),
    hi: Poly,
    w: u32,
) {
    let col = |terms: Vec<(Poly, i64)>, constant: i64| Column {
        terms,
        constant,
        layout,
    };
    let e = g.entry(LIMB_BITS).or_default();
    e.push(col(vec![(t, 1), (hi, -(1i64 << LIMB_BITS))], constant));
    e.push(col(vec![(hi, 1)], 0));
    if w < 2 * LIMB_BITS {
        e.push(col(
            vec![(hi, 1)],
            (1i64 << LIMB_BITS) - (1i64 << (w - LIMB_BITS)),
        ));
    }
}

/// Variables of the stack of `cols`: `⌈log2 Σ_c 2^(v_c)⌉` — each column takes its own
/// padded size, not the longest column's (a stack of equal slots was mostly padding, and
/// logUp's `h` is a full-width scalar even there).
#[must_use]
pub fn stack_vars(cols: &[Column]) -> usize {
    let total: usize = cols.iter().map(|c| 1usize << c.layout.vars()).sum();
    total.next_power_of_two().trailing_zeros() as usize
}

/// Where each column starts in the stack: one after the other in [`groups`]' order (largest
/// first), so each starts at a multiple of its own size.
#[must_use]
pub fn stack_offsets(cols: &[Column]) -> Vec<usize> {
    let mut at = 0;
    cols.iter()
        .map(|c| {
            let o = at;
            at += 1usize << c.layout.vars();
            o
        })
        .collect()
}

/// A column of `v` variables at offset `at` read at the stack's point `rho`: the point of its
/// own table (the last `v` coordinates) and its selector `eq(ρ_lead, at / 2^v)` (the leading
/// coordinates against the bits of its block, most significant first).
#[must_use]
pub fn column_point(rho: &[Fr], v: usize, at: usize) -> (&[Fr], Fr) {
    let cut = rho.len().saturating_sub(v);
    let (lead, tail) = rho.split_at(cut);
    let block = at >> v;
    let sel = lead
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if (block >> (cut - 1 - i)) & 1 == 1 {
                *r
            } else {
                Fr::one() - r
            }
        })
        .product();
    (tail, sel)
}

/// The mask's multilinear extension at `point` (row bits, then column bits).
#[must_use]
pub fn mask_eval(layout: Layout, point: &[Fr]) -> Fr {
    let (a, _) = layout.log_dims();
    let (ri, rj) = point.split_at(a.min(point.len()));
    let rows: Fr = eq_table(ri).iter().take(layout.rows).sum();
    let cols: Fr = eq_table(rj).iter().take(layout.cols).sum();
    rows * cols
}

/// The mask as a table.
#[must_use]
pub fn mask_table(layout: Layout) -> Vec<Fr> {
    let (a, b) = layout.log_dims();
    let mut t = vec![Fr::zero(); 1 << (a + b)];
    for i in 0..layout.rows {
        for j in 0..layout.cols {
            t[(i << b) | j] = Fr::one();
        }
    }
    t
}

/// Variables of the largest polynomial a proof of `spec` commits or opens (the SRS must
/// cover them): tensors, stacked range columns and their tables.
#[must_use]
pub fn srs_vars(spec: &ChainSpec) -> usize {
    let tensors = spec
        .weights
        .iter()
        .map(|w| w.layout.vars())
        .chain(spec.layers.iter().map(|l| l.out.vars()))
        .chain(spec.inputs.iter().map(|v| v.layout.vars()));
    let ranges = groups(spec)
        .into_iter()
        .map(|(bits, cols)| stack_vars(&cols).max(bits as usize));
    tensors.chain(ranges).max().unwrap_or(0)
}

/// `(K, n)`: the claims the batched opening settles and the variables of the largest (the
/// verifier's list, counted the same way), which fix the opening's shape.
#[must_use]
pub fn claim_shape(spec: &ChainSpec) -> (usize, usize) {
    let vars = claim_vars(spec);
    (vars.len(), vars.iter().copied().max().unwrap_or(0))
}

/// The variables of each claim the batched opening settles.
#[must_use]
pub fn claim_vars(spec: &ChainSpec) -> Vec<usize> {
    let mut vars: Vec<usize> = vec![];
    for (i, l) in spec.layers.iter().enumerate() {
        let y = !out_poly(spec, i).is_public();
        let x = !src_poly(spec, l.input).is_public();
        let v = l.out.vars();
        if let Some(r) = super::kind::rule(&l.kind) {
            vars.extend(r.claim_vars(super::kind::At::new(spec, i, l, &[])));
            continue;
        }
        match l.kind {
            LayerKind::Matmul { node, bias, .. } => {
                let (a, c, b) = node.log_dims();
                if y {
                    vars.push(v);
                }
                if node.requant().shift > 0 {
                    vars.push(v);
                }
                if bias.is_some() {
                    vars.push(b);
                }
                if x {
                    vars.push(a + c);
                }
                vars.push(c + b);
            }
            LayerKind::Clip { .. } => {
                vars.extend(std::iter::repeat_n(v, usize::from(y) + usize::from(x)));
            }
            LayerKind::Move { .. } => {
                if y {
                    vars.push(v);
                }
                if x {
                    vars.push(spec.src_layout(l.input).vars());
                }
            }
            LayerKind::ReduceMax => {
                let xv = spec.src_layout(l.input).vars();
                // B at ρ; Y at σ₁ if hidden; S, B, X at σ₂.
                vars.extend([xv, xv, xv]);
                if y {
                    vars.push(v);
                }
                if x {
                    vars.push(xv);
                }
            }
            // A lookup's claims follow the range groups'; the other kinds have rules.
            _ => {}
        }
    }
    for (bits, cols) in groups(spec) {
        vars.extend([stack_vars(&cols), bits as usize, bits as usize]);
        for c in &cols {
            for (t, _) in &c.terms {
                if !t.is_public() {
                    vars.push(c.layout.vars());
                }
            }
        }
    }
    for (i, table, _) in super::lookup::lookup_layers_of(spec) {
        vars.extend(super::lookup::claim_vars(spec, i, table));
    }
    vars
}

/// Hidden tensors among the columns' terms (the evaluations a range group states).
#[must_use]
pub fn hidden_terms(cols: &[Column]) -> usize {
    cols.iter()
        .flat_map(|c| &c.terms)
        .filter(|(p, _)| !p.is_public())
        .count()
}
