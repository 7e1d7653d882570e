//! Float (`f64`) semantics of the primitives: used for constant folding during lowering and
//! for calibration runs. Mirrors `verinfer_ir::ops` with real arithmetic and no rounding.

use rayon::prelude::*;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{AffineMap, BinaryKind, ReduceKind};

use crate::fgraph::{ContractSpec, FOp};

/// A float tensor operand.
#[derive(Clone, Copy, Debug)]
pub struct FTensor<'a> {
    /// Shape.
    pub shape: &'a [usize],
    /// Values.
    pub data: &'a [f64],
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
    let (x, w) = (ins[0], ins[1]);
    let bias = |o: &[usize]| match (&c.bias_map, ins.get(2)) {
        (Some(bm), Some(b)) => bm.locate(o, &[], b.shape).map_or(0.0, |i| b.data[i]),
        _ => 0.0,
    };
    if let (Some(fx), Some(fw)) = (
        flat(&c.x_map, &c.out_iter, &c.red, x.shape),
        flat(&c.w_map, &c.out_iter, &c.red, w.shape),
    ) {
        return (0..n)
            .into_par_iter()
            .with_min_len(64)
            .map_init(
                || vec![0usize; c.out_iter.len()],
                |o, j| {
                    unravel_into(j, &c.out_iter, o);
                    let (bx, bw) = (fx.base(o), fw.base(o));
                    let mut acc = bias(o);
                    for (&rx, &rw) in fx.red.iter().zip(&fw.red) {
                        acc += x.data[bx + rx] * w.data[bw + rw];
                    }
                    acc
                },
            )
            .collect();
    }
    let mut o = vec![0usize; c.out_iter.len()];
    let mut r = vec![0usize; c.red.len()];
    let red_n = numel(&c.red);
    (0..n)
        .map(|j| {
            unravel_into(j, &c.out_iter, &mut o);
            let mut acc = bias(&o);
            for k in 0..red_n {
                unravel_into(k, &c.red, &mut r);
                if let (Some(xi), Some(wi)) = (
                    c.x_map.locate(&o, &r, x.shape),
                    c.w_map.locate(&o, &r, w.shape),
                ) {
                    acc += x.data[xi] * w.data[wi];
                }
            }
            acc
        })
        .collect()
}

/// Evaluate one primitive on float inputs; `out_shape` is the node's declared output shape.
#[must_use]
pub fn eval(op: &FOp, ins: &[FTensor<'_>], out_shape: &[usize]) -> Vec<f64> {
    let n = numel(out_shape);
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
