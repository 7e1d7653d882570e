//! Float (`f64`) semantics of the primitives: used for constant folding during lowering and
//! for calibration runs. Mirrors `verinfer_ir::ops` with real arithmetic and no rounding.

use std::borrow::Cow;

use rayon::prelude::*;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{AffineMap, BinaryKind, BlockView, ParamView, ReduceKind};

use crate::fgraph::{ContractSpec, FConst, FOp};

mod padded;
use padded::Bounded;

/// A float tensor operand.
#[derive(Clone, Copy, Debug)]
pub struct FTensor<'a> {
    /// Shape.
    pub shape: &'a [usize],
    /// Values (empty when `ints` holds them).
    pub data: &'a [f64],
    /// A constant kept as exact integers ([`FConst::ints`]) and the real value of one unit:
    /// element `i` is `ints[i] · unit`.
    pub ints: Option<(ParamView<'a>, f64)>,
}

impl<'a> FTensor<'a> {
    /// A tensor of real values.
    #[must_use]
    pub fn real(shape: &'a [usize], data: &'a [f64]) -> Self {
        Self {
            shape,
            data,
            ints: None,
        }
    }

    /// A constant, read where it is stored.
    #[must_use]
    pub fn of_const(c: &'a FConst) -> Self {
        Self {
            shape: &c.shape,
            data: &c.data,
            ints: c.ints.as_ref().map(|p| (p.view(), c.unit())),
        }
    }

    /// The values as reals: borrowed, or made from the integers.
    #[must_use]
    pub fn reals(&self) -> Cow<'a, [f64]> {
        match self.ints {
            None => Cow::Borrowed(self.data),
            Some((v, u)) => Cow::Owned(
                (0..v.len())
                    .map(|i| f64::from(v.get(i).unwrap_or(0)) * u)
                    .collect(),
            ),
        }
    }
}

/// Element reads of a contraction operand, monomorphized so that the inner loop of a
/// contraction over narrow integers is as tight as over `f64`.
trait Read: Sync {
    fn at(&self, i: usize) -> f64;

    /// `acc[t] += x[t][k] · w[bw[t] + k]` for `k` in order, each output on its own (the very
    /// sums of [`Read::at`] one product at a time): unit-stride rows read as slices, with
    /// no per-product offset lookups or bounds checks.
    fn dots<const N: usize>(&self, x: [&[f64]; N], bw: [usize; N], acc: &mut [f64; N]);
}

impl Read for &[f64] {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        self[i]
    }

    #[inline]
    fn dots<const N: usize>(&self, x: [&[f64]; N], bw: [usize; N], acc: &mut [f64; N]) {
        let k = x[0].len();
        let w: [&[f64]; N] = std::array::from_fn(|t| &self[bw[t]..bw[t] + k]);
        let x: [&[f64]; N] = std::array::from_fn(|t| &x[t][..k]);
        for r in 0..k {
            for t in 0..N {
                acc[t] += x[t][r] * w[t][r];
            }
        }
    }
}

/// Narrow integers times their unit (an exact power of two, so `n · unit` is the very `f64`
/// the constant stood for).
struct Scaled<'a, T>(&'a [T], f64);

impl<T: Copy + Into<f64> + Sync> Read for Scaled<'_, T> {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        self.0[i].into() * self.1
    }

    #[inline]
    fn dots<const N: usize>(&self, x: [&[f64]; N], bw: [usize; N], acc: &mut [f64; N]) {
        let (k, u) = (x[0].len(), self.1);
        let w: [&[T]; N] = std::array::from_fn(|t| &self.0[bw[t]..bw[t] + k]);
        let x: [&[f64]; N] = std::array::from_fn(|t| &x[t][..k]);
        for r in 0..k {
            for t in 0..N {
                acc[t] += x[t][r] * (w[t][r].into() * u);
            }
        }
    }
}

/// A block-scaled constant ([`verinfer_ir::ParamData::blocks`]) and the real value of one
/// unit: element `i` is `q[i]·d[i / block]·unit`, exact in `f64` (the product fits `i32`).
struct BlockScaled<'a>(BlockView<'a>, f64);

impl Read for BlockScaled<'_> {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        f64::from(self.0.get(i).unwrap_or(0)) * self.1
    }

    #[inline]
    fn dots<const N: usize>(&self, x: [&[f64]; N], bw: [usize; N], acc: &mut [f64; N]) {
        let (k, u, b) = (x[0].len(), self.1, &self.0);
        let q: [&[i8]; N] = std::array::from_fn(|t| &b.q[bw[t]..bw[t] + k]);
        // Each row's scale is looked up once a block, not once a product (same products, same
        // order of summation).
        let scale = |blk: usize| b.d.get(blk).unwrap_or(0);
        let mut blk: [usize; N] = std::array::from_fn(|t| bw[t] / b.block);
        let mut d: [i32; N] = std::array::from_fn(|t| scale(blk[t]));
        let mut left: [usize; N] = std::array::from_fn(|t| b.block - bw[t] % b.block);
        for r in 0..k {
            for t in 0..N {
                if left[t] == 0 {
                    blk[t] += 1;
                    d[t] = scale(blk[t]);
                    left[t] = b.block;
                }
                left[t] -= 1;
                acc[t] += x[t][r] * (f64::from(i32::from(q[t][r]) * d[t]) * u);
            }
        }
    }
}

/// Flat offsets of an always-in-bounds affine map: `flat(o, r) = base(o) + red[k]`, with
/// `base` affine in the output index and `red` listed per reduction step (row-major).
struct Flat {
    out_coef: Vec<i64>,
    offset: i64,
    red: Vec<usize>,
}

fn flat(map: &AffineMap, out_dims: &[usize], red_dims: &[usize], dims: &[usize]) -> Option<Flat> {
    if !map.always_in_bounds(out_dims, red_dims, dims) || map.rows.len() != dims.len() {
        return None;
    }
    let mut stride = 1i64;
    let mut out_coef = vec![0i64; out_dims.len()];
    let mut red_coef = vec![0i64; red_dims.len()];
    let mut offset = 0i64;
    for (row, &d) in map.rows.iter().zip(dims).rev() {
        for (c, &v) in out_coef.iter_mut().zip(&row.out) {
            *c += v * stride;
        }
        for (c, &v) in red_coef.iter_mut().zip(&row.red) {
            *c += v * stride;
        }
        offset += row.offset * stride;
        stride = stride.checked_mul(i64::try_from(d).ok()?)?;
    }
    let mut r = vec![0usize; red_dims.len()];
    let red = (0..numel(red_dims))
        .map(|k| {
            unravel_into(k, red_dims, &mut r);
            let v: i64 = r
                .iter()
                .zip(&red_coef)
                .map(|(&i, &c)| i64::try_from(i).unwrap_or(0) * c)
                .sum();
            usize::try_from(v).ok()
        })
        .collect::<Option<Vec<usize>>>()?;
    Some(Flat {
        out_coef,
        offset,
        red,
    })
}

impl Flat {
    fn base(&self, o: &[usize]) -> usize {
        let v: i64 = self.offset
            + o.iter()
                .zip(&self.out_coef)
                .map(|(&i, &c)| i64::try_from(i).unwrap_or(0) * c)
                .sum::<i64>();
        usize::try_from(v).unwrap_or(0)
    }
}

/// `Σ_r x[X(o,r)]·w[W(o,r)] (+ bias)`: when both maps stay in bounds (no padding), as
/// strided dot products over precomputed offsets, in parallel over outputs; otherwise term
/// by term through the maps. Both sum in the same order, so they give the same values.
fn contract(c: &ContractSpec, ins: &[FTensor<'_>], n: usize) -> Vec<f64> {
    let x = ins[0].reals();
    let b = ins.get(2).map(|b| (b.shape, b.reals()));
    let bias = |o: &[usize]| match (&c.bias_map, &b) {
        (Some(bm), Some((shape, data))) => bm.locate(o, &[], shape).map_or(0.0, |i| data[i]),
        _ => 0.0,
    };
    let (xs, w) = ((ins[0].shape, &*x), ins[1]);
    match w.ints {
        None => contract_with(c, xs, (w.shape, w.data), n, &bias),
        Some((ParamView::I8(d), u)) => contract_with(c, xs, (w.shape, Scaled(d, u)), n, &bias),
        Some((ParamView::I16(d), u)) => contract_with(c, xs, (w.shape, Scaled(d, u)), n, &bias),
        Some((ParamView::I32(d), u)) => contract_with(c, xs, (w.shape, Scaled(d, u)), n, &bias),
        Some((ParamView::Blocks(b), u)) => {
            contract_with(c, xs, (w.shape, BlockScaled(b, u)), n, &bias)
        }
    }
}

/// [`contract`] with `w` read through `W`.
fn contract_with<W: Read>(
    c: &ContractSpec,
    (x_shape, x): (&[usize], &[f64]),
    (w_shape, w): (&[usize], W),
    n: usize,
    bias: &(dyn Fn(&[usize]) -> f64 + Sync),
) -> Vec<f64> {
    if let (Some(fx), Some(fw)) = (
        flat(&c.x_map, &c.out_iter, &c.red, x_shape),
        flat(&c.w_map, &c.out_iter, &c.red, w_shape),
    ) {
        let k = fx.red.len();
        if k > 0 && unit_stride(&fx.red) && unit_stride(&fw.red) {
            return contract_rows(c, (&fx, x), (&fw, &w), n, bias);
        }
        // Four outputs at a time: each still sums its products in order (the same `f64`
        // values), but four independent additions keep the pipeline busy where one output's
        // chain of dependent additions would wait on each.
        let mut out = vec![0.0; n];
        out.par_chunks_mut(64).enumerate().for_each(|(ci, part)| {
            let mut o = vec![0usize; c.out_iter.len()];
            for (qi, quad) in part.chunks_mut(4).enumerate() {
                let j0 = ci * 64 + qi * 4;
                let mut base = [(0usize, 0usize); 4];
                let mut acc = [0.0f64; 4];
                for (t, (b, a)) in base.iter_mut().zip(&mut acc).take(quad.len()).enumerate() {
                    unravel_into(j0 + t, &c.out_iter, &mut o);
                    *b = (fx.base(&o), fw.base(&o));
                    *a = bias(&o);
                }
                if quad.len() == 4 {
                    for (&rx, &rw) in fx.red.iter().zip(&fw.red) {
                        for (a, &(bx, bw)) in acc.iter_mut().zip(&base) {
                            *a += x[bx + rx] * w.at(bw + rw);
                        }
                    }
                } else {
                    for (a, &(bx, bw)) in acc.iter_mut().zip(&base).take(quad.len()) {
                        for (&rx, &rw) in fx.red.iter().zip(&fw.red) {
                            *a += x[bx + rx] * w.at(bw + rw);
                        }
                    }
                }
                quad.copy_from_slice(&acc[..quad.len()]);
            }
        });
        return out;
    }
    let red_n = numel(&c.red);
    if let (Some(bx), Some(bw)) = (
        Bounded::new(&c.x_map, &c.out_iter, &c.red, x_shape),
        Bounded::new(&c.w_map, &c.out_iter, &c.red, w_shape),
    ) {
        // Padded: in parallel over outputs, terms summed in order, those outside skipped.
        // Four outputs whose terms all lie inside are summed side by side (each still in
        // order: the same `f64` values), as in the unpadded path above.
        let mut out = vec![0.0; n];
        out.par_chunks_mut(64).enumerate().for_each(|(ci, part)| {
            let mut o = vec![0usize; c.out_iter.len()];
            let (mut ax, mut aw) = (vec![0i64; bx.rank()], vec![0i64; bw.rank()]);
            for (qi, quad) in part.chunks_mut(4).enumerate() {
                let j0 = ci * 64 + qi * 4;
                let mut flat = [(0i64, 0i64); 4];
                let mut acc = [0.0f64; 4];
                let mut inside = quad.len() == 4;
                for (t, (f, a)) in flat.iter_mut().zip(&mut acc).take(quad.len()).enumerate() {
                    unravel_into(j0 + t, &c.out_iter, &mut o);
                    *f = (bx.base(&o, &mut ax), bw.base(&o, &mut aw));
                    *a = bias(&o);
                    inside &= bx.interior(&ax) && bw.interior(&aw);
                }
                if inside {
                    for k in 0..red_n {
                        let (rx, rw) = (bx.red_offset(k), bw.red_offset(k));
                        for (a, &(fx, fw)) in acc.iter_mut().zip(&flat) {
                            *a += x[usize::try_from(fx + rx).unwrap_or(0)]
                                * w.at(usize::try_from(fw + rw).unwrap_or(0));
                        }
                    }
                    quad.copy_from_slice(&acc);
                    continue;
                }
                for (t, y) in quad.iter_mut().enumerate() {
                    unravel_into(j0 + t, &c.out_iter, &mut o);
                    *y = padded_term_sums((&bx, &bw), (x, &w), (&mut ax, &mut aw), &o, bias, red_n);
                }
            }
        });
        return out;
    }
    let mut o = vec![0usize; c.out_iter.len()];
    let mut r = vec![0usize; c.red.len()];
    (0..n)
        .map(|j| {
            unravel_into(j, &c.out_iter, &mut o);
            let mut acc = bias(&o);
            for k in 0..red_n {
                unravel_into(k, &c.red, &mut r);
                if let (Some(xi), Some(wi)) = (
                    c.x_map.locate(&o, &r, x_shape),
                    c.w_map.locate(&o, &r, w_shape),
                ) {
                    acc += x[xi] * w.at(wi);
                }
            }
            acc
        })
        .collect()
}

/// One output of a padded contraction: its bias plus its terms in reduction order, those
/// falling outside an operand skipped (no bounds check on a term of an interior output).
fn padded_term_sums<W: Read>(
    (bx, bw): (&Bounded, &Bounded),
    (x, w): (&[f64], &W),
    (ax, aw): (&mut [i64], &mut [i64]),
    o: &[usize],
    bias: &(dyn Fn(&[usize]) -> f64 + Sync),
    red_n: usize,
) -> f64 {
    let (fx, fw) = (bx.base(o, ax), bw.base(o, aw));
    let mut acc = bias(o);
    if bx.interior(ax) && bw.interior(aw) {
        for k in 0..red_n {
            acc += x[bx.at_interior(fx, k)] * w.at(bw.at_interior(fw, k));
        }
    } else {
        for k in 0..red_n {
            if let (Some(xi), Some(wi)) = (bx.at(ax, fx, k), bw.at(aw, fw, k)) {
                acc += x[xi] * w.at(wi);
            }
        }
    }
    acc
}

/// Whether reduction offsets are `0, 1, 2, …`: a contiguous run of both operands per output.
fn unit_stride(red: &[usize]) -> bool {
    red.iter().enumerate().all(|(i, &r)| r == i)
}

/// Outputs computed at once by [`contract_rows`]: eight independent chains of additions.
const ROWS: usize = 8;

/// [`contract_with`] where both operands' reductions are unit-stride runs (every matrix
/// product of a language model, the block import's two stages included): [`ROWS`] outputs at
/// a time through [`Read::dots`]. Each output still starts from its bias and adds its
/// products in reduction order, so the values are bit for bit those of the general path.
fn contract_rows<W: Read>(
    c: &ContractSpec,
    (fx, x): (&Flat, &[f64]),
    (fw, w): (&Flat, &W),
    n: usize,
    bias: &(dyn Fn(&[usize]) -> f64 + Sync),
) -> Vec<f64> {
    let k = fx.red.len();
    let mut out = vec![0.0; n];
    out.par_chunks_mut(64).enumerate().for_each(|(ci, part)| {
        let mut o = vec![0usize; c.out_iter.len()];
        for (gi, group) in part.chunks_mut(ROWS).enumerate() {
            let j0 = ci * 64 + gi * ROWS;
            let mut bx = [0usize; ROWS];
            let mut bw = [0usize; ROWS];
            let mut acc = [0.0f64; ROWS];
            for t in 0..group.len() {
                unravel_into(j0 + t, &c.out_iter, &mut o);
                (bx[t], bw[t]) = (fx.base(&o), fw.base(&o));
                acc[t] = bias(&o);
            }
            if group.len() == ROWS {
                let xs: [&[f64]; ROWS] = std::array::from_fn(|t| &x[bx[t]..bx[t] + k]);
                w.dots(xs, bw, &mut acc);
            } else {
                for t in 0..group.len() {
                    let mut one = [acc[t]];
                    w.dots([&x[bx[t]..bx[t] + k]], [bw[t]], &mut one);
                    acc[t] = one[0];
                }
            }
            group.copy_from_slice(&acc[..group.len()]);
        }
    });
    out
}

/// Evaluate one primitive on float inputs; `out_shape` is the node's declared output shape.
#[must_use]
pub fn eval(op: &FOp, ins: &[FTensor<'_>], out_shape: &[usize]) -> Vec<f64> {
    let n = numel(out_shape);
    if let FOp::Contract(c) = op {
        return contract(c, ins, n);
    }
    if ins.iter().any(|t| t.ints.is_some()) {
        // Only a contraction reads integers in place; elsewhere they are small or folded.
        let reals: Vec<Cow<'_, [f64]>> = ins.iter().map(FTensor::reals).collect();
        let ins: Vec<FTensor<'_>> = ins
            .iter()
            .zip(&reals)
            .map(|(t, d)| FTensor::real(t.shape, d))
            .collect();
        return eval(op, &ins, out_shape);
    }
    match op {
        FOp::Contract(c) => contract(c, ins, n),
        FOp::Scale(f) => ins[0].data.iter().map(|v| v * f).collect(),
        FOp::Binary {
            kind,
            a_factor,
            b_factor,
        } => {
            let (a, b) = (ins[0], ins[1]);
            let (ia, ib) = (Bidx::new(a.shape, out_shape), Bidx::new(b.shape, out_shape));
            let mut idx = vec![0usize; out_shape.len()];
            (0..n)
                .map(|j| {
                    let av = a.data[ia.at(j, out_shape, &mut idx)] * a_factor;
                    let bv = b.data[ib.at(j, out_shape, &mut idx)] * b_factor;
                    match kind {
                        BinaryKind::Add => av + bv,
                        BinaryKind::Sub => av - bv,
                        BinaryKind::Mul => av * bv,
                        BinaryKind::Max => av.max(bv),
                        BinaryKind::Min => av.min(bv),
                    }
                })
                .collect()
        }
        FOp::Lookup(f) => ins[0].data.iter().map(|&v| f.eval(v)).collect(),
        FOp::Sqrt => ins[0].data.iter().map(|&v| v.max(0.0).sqrt()).collect(),
        FOp::Reduce { kind, axes, .. } => (0..n)
            .map(|j| {
                let pos = verinfer_ir::ops::reduce::positions_for_axes(axes, ins[0].shape, j);
                match kind {
                    ReduceKind::Sum => pos.iter().map(|&p| ins[0].data[p]).sum(),
                    ReduceKind::Max => pos
                        .iter()
                        .map(|&p| ins[0].data[p])
                        .fold(f64::NEG_INFINITY, f64::max),
                    ReduceKind::ArgMax => first_argmax(pos.iter().map(|&p| ins[0].data[p])),
                }
            })
            .collect(),
        FOp::Div => {
            let (a, b) = (ins[0], ins[1]);
            let (ia, ib) = (Bidx::new(a.shape, out_shape), Bidx::new(b.shape, out_shape));
            let mut idx = vec![0usize; out_shape.len()];
            (0..n)
                .map(|j| {
                    let d = b.data[ib.at(j, out_shape, &mut idx)];
                    if d == 0.0 {
                        0.0
                    } else {
                        a.data[ia.at(j, out_shape, &mut idx)] / d
                    }
                })
                .collect()
        }
        FOp::Move { map, fill } => {
            let cat: Vec<&[f64]> = ins.iter().map(|t| t.data).collect();
            map.iter()
                .map(|&m| {
                    if m < 0 {
                        return *fill;
                    }
                    let mut k = usize::try_from(m).unwrap_or(usize::MAX);
                    for t in &cat {
                        if k < t.len() {
                            return t[k];
                        }
                        k -= t.len();
                    }
                    *fill
                })
                .collect()
        }
        FOp::Gather { axis } => {
            let (d, idx) = (ins[0], ins[1]);
            let ir = idx.shape.len();
            let ist = verinfer_ir::shape::strides(idx.shape);
            let dst = verinfer_ir::shape::strides(d.shape);
            let mut o = vec![0usize; out_shape.len()];
            (0..n)
                .map(|j| {
                    unravel_into(j, out_shape, &mut o);
                    let iflat: usize = o[*axis..*axis + ir]
                        .iter()
                        .zip(&ist)
                        .map(|(a, b)| a * b)
                        .sum();
                    #[allow(clippy::cast_possible_truncation)]
                    let v = idx.data[iflat].round() as i32;
                    let row = verinfer_ir::ops::gather::resolve(v, d.shape[*axis]);
                    let mut flat = row * dst[*axis];
                    for a in 0..*axis {
                        flat += o[a] * dst[a];
                    }
                    for a in *axis + 1..d.shape.len() {
                        flat += o[a + ir - 1] * dst[a];
                    }
                    d.data[flat]
                })
                .collect()
        }
    }
}

/// Index of the first maximum (strictly greater replaces), as a real number; NaNs never win.
fn first_argmax(vals: impl Iterator<Item = f64>) -> f64 {
    let mut best: Option<(usize, f64)> = None;
    for (k, v) in vals.enumerate() {
        if best.is_none_or(|(_, b)| v > b) && !v.is_nan() {
            best = Some((k, v));
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let k = best.map_or(0, |(k, _)| k) as f64;
    k
}

/// Flat index into a broadcast operand.
/// Where output element `j` of a broadcast reads an operand of shape `src` (the rule of
/// `verinfer_ir::ops::binary::broadcast_index`), with the strides computed once per op.
struct Bidx {
    /// `None` when the operand has the output's shape (read at `j`).
    strides: Option<Vec<usize>>,
}

impl Bidx {
    fn new(src: &[usize], out: &[usize]) -> Self {
        Self {
            strides: (src != out).then(|| verinfer_ir::shape::broadcast_strides(src, out)),
        }
    }

    fn at(&self, j: usize, out: &[usize], idx: &mut [usize]) -> usize {
        match &self.strides {
            None => j,
            Some(st) => {
                unravel_into(j, out, idx);
                idx.iter().zip(st).map(|(i, s)| i * s).sum()
            }
        }
    }
}

#[cfg(test)]
mod tests;
