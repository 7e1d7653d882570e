//! Float (`f64`) semantics of the primitives: used for constant folding during lowering and
//! for calibration runs. Mirrors `verinfer_ir::ops` with real arithmetic and no rounding.

use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{BinaryKind, ReduceKind};

use crate::fgraph::FOp;

/// A float tensor operand.
#[derive(Clone, Copy, Debug)]
pub struct FTensor<'a> {
    /// Shape.
    pub shape: &'a [usize],
    /// Values.
    pub data: &'a [f64],
}

/// Evaluate one primitive on float inputs; `out_shape` is the node's declared output shape.
#[must_use]
pub fn eval(op: &FOp, ins: &[FTensor<'_>], out_shape: &[usize]) -> Vec<f64> {
    let n = numel(out_shape);
    match op {
        FOp::Contract(c) => {
            let (x, w) = (ins[0], ins[1]);
            let mut o = vec![0usize; c.out_iter.len()];
            let mut r = vec![0usize; c.red.len()];
            let red_n = numel(&c.red);
            (0..n)
                .map(|j| {
                    unravel_into(j, &c.out_iter, &mut o);
                    let mut acc = match (&c.bias_map, ins.get(2)) {
                        (Some(bm), Some(b)) => {
                            bm.locate(&o, &[], b.shape).map_or(0.0, |i| b.data[i])
                        }
                        _ => 0.0,
                    };
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
        FOp::Scale(f) => ins[0].data.iter().map(|v| v * f).collect(),
        FOp::Binary {
            kind,
            a_factor,
            b_factor,
        } => {
            let (a, b) = (ins[0], ins[1]);
            (0..n)
                .map(|j| {
                    let av = a.data[bidx(a.shape, out_shape, j)] * a_factor;
                    let bv = b.data[bidx(b.shape, out_shape, j)] * b_factor;
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
            (0..n)
                .map(|j| {
                    let d = b.data[bidx(b.shape, out_shape, j)];
                    if d == 0.0 {
                        0.0
                    } else {
                        a.data[bidx(a.shape, out_shape, j)] / d
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
fn bidx(src: &[usize], out: &[usize], j: usize) -> usize {
    verinfer_ir::ops::binary::broadcast_index(src, out, j)
}
