//! `Gemm`, `MatMul` and `CumSum` as contractions.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::broadcast;
use verinfer_ir::{AffineMap, AffineRow, BinaryKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};

use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &["CumSum", "Gemm", "MatMul"];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    match node.op_type.as_str() {
        "Gemm" => Some(gemm(b, node).map(|r| vec![r])),
        "MatMul" => Some(matmul_node(b, node).map(|r| vec![r])),
        "CumSum" => Some(cumsum(b, node).map(|r| vec![r])),
        _ => None,
    }
}

/// An affine row reading out axis `o` (if any) and reduction axis `r` (if any).
#[must_use]
pub fn row(n_out: usize, n_red: usize, o: Option<usize>, r: Option<usize>) -> AffineRow {
    AffineRow::unit(n_out, n_red, o, r)
}

/// Map reading a tensor of shape `shape` broadcast against the output `out` (right-aligned),
/// with no reduction axes: size-1 axes read index 0.
#[must_use]
pub fn broadcast_map(shape: &[usize], out: &[usize], n_red: usize) -> AffineMap {
    let off = out.len().saturating_sub(shape.len());
    AffineMap {
        rows: shape
            .iter()
            .enumerate()
            .map(|(i, &d)| row(out.len(), n_red, (d != 1).then_some(i + off), None))
            .collect(),
    }
}

fn gemm(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let (alpha, beta) = (at.float_or("alpha", 1.0), at.float_or("beta", 1.0));
    let (ta, tb) = (at.int_or("transA", 0) != 0, at.int_or("transB", 0) != 0);
    let a = input(b, node, 0)?;
    let w = input(b, node, 1)?;
    let c = opt_input(b, node, 2)?;
    let (sa, sw) = (b.shape(a), b.shape(w));
    if sa.len() != 2 || sw.len() != 2 {
        refuse!(b, "Gemm needs rank-2 A and B, got {sa:?} and {sw:?}");
    }
    let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let (k2, n) = if tb { (sw[1], sw[0]) } else { (sw[0], sw[1]) };
    if k != k2 {
        refuse!(
            b,
            "inner dimensions differ: A {sa:?} (transA={ta}) and B {sw:?} (transB={tb})"
        );
    }
    // alpha folds into B when B is constant, else into A when A is, else a Scale node.
    let (a, w) = if alpha == 1.0 {
        (a, w)
    } else if b.const_data(w).is_some() {
        (a, b.scale(w, alpha))
    } else {
        (b.scale(a, alpha), w)
    };
    let x_map = AffineMap {
        rows: if ta {
            vec![row(2, 1, None, Some(0)), row(2, 1, Some(0), None)]
        } else {
            vec![row(2, 1, Some(0), None), row(2, 1, None, Some(0))]
        },
    };
    let w_map = AffineMap {
        rows: if tb {
            vec![row(2, 1, Some(1), None), row(2, 1, None, Some(0))]
        } else {
            vec![row(2, 1, None, Some(0)), row(2, 1, Some(1), None)]
        },
    };
    let out = vec![m, n];
    let mut bias = None;
    let mut late_add = None;
    if let Some(c) = c {
        let sc = b.shape(c);
        if broadcast(&sc, &out).as_deref() != Some(&out[..]) {
            refuse!(b, "C of shape {sc:?} does not broadcast to {out:?}");
        }
        let c = b.scale(c, beta);
        if b.const_data(c).is_some() {
            bias = Some((c, broadcast_map(&sc, &out, 1)));
        } else {
            late_add = Some(c);
        }
    }
    let spec = ContractSpec {
        out_iter: out.clone(),
        red: vec![k],
        x_map,
        w_map,
        bias_map: bias.as_ref().map(|(_, m)| m.clone()),
    };
    let y = b.contract(a, w, bias.map(|(c, _)| c), spec, out)?;
    match late_add {
        Some(c) => Ok(b.binary(BinaryKind::Add, y, c)?),
        None => Ok(y),
    }
}

fn matmul_node(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let a = input(b, node, 0)?;
    let w = input(b, node, 1)?;
    matmul(b, a, w)
}

/// Numpy `matmul` of two tensors (either may be constant or computed), batch axes broadcast.
///
/// # Errors
/// Rank-0 operands, inner-dimension mismatch, batch axes that do not broadcast.
pub fn matmul(b: &mut Builder, a: FRef, w: FRef) -> Result<FRef, OnnxError> {
    let (sa, sw) = (b.shape(a), b.shape(w));
    if sa.is_empty() || sw.is_empty() {
        return Err(b.err("MatMul of a scalar").into());
    }
    let a_vec = sa.len() == 1;
    let w_vec = sw.len() == 1;
    let a2: Vec<usize> = if a_vec { vec![1, sa[0]] } else { sa.clone() };
    let w2: Vec<usize> = if w_vec { vec![sw[0], 1] } else { sw.clone() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (w2[w2.len() - 2], w2[w2.len() - 1]);
    if k != k2 {
        refuse!(b, "inner dimensions differ: {sa:?} x {sw:?}");
    }
    let ba = &a2[..a2.len() - 2];
    let bw = &w2[..w2.len() - 2];
    let batch = broadcast(ba, bw)
        .ok_or_else(|| b.err(format!("batch axes of {sa:?} and {sw:?} do not broadcast")))?;
    let nb = batch.len();
    let no = nb + 2;
    let mut out_iter = batch.clone();
    out_iter.extend([m, n]);
    let batch_rows = |shape: &[usize]| -> Vec<verinfer_ir::AffineRow> {
        let off = nb - shape.len();
        shape
            .iter()
            .enumerate()
            .map(|(i, &d)| row(no, 1, (d != 1).then_some(i + off), None))
            .collect()
    };
    let mut xr = batch_rows(ba);
    if !a_vec {
        xr.push(row(no, 1, Some(nb), None));
    }
    xr.push(row(no, 1, None, Some(0)));
    let mut wr = batch_rows(bw);
    wr.push(row(no, 1, None, Some(0)));
    if !w_vec {
        wr.push(row(no, 1, Some(nb + 1), None));
    }
    let mut out = batch;
    if !a_vec {
        out.push(m);
    }
    if !w_vec {
        out.push(n);
    }
    let spec = ContractSpec {
        out_iter,
        red: vec![k],
        x_map: AffineMap { rows: xr },
        w_map: AffineMap { rows: wr },
        bias_map: None,
    };
    Ok(b.contract(a, w, None, spec, out)?)
}

/// `CumSum` along a constant axis: a contraction with a constant 0/1 triangle `T[i, j]`
/// (`j ≤ i`; `<` when `exclusive`; mirrored when `reverse`), exact in fixed point.
fn cumsum(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let a = input(b, node, 1)?;
    let sx = b.shape(x);
    let axis = match const_ints(b, a, "axis")?[..] {
        [v] => b.axis(v, sx.len())?,
        ref v => return Err(b.err(format!("axis must be one value, got {v:?}")).into()),
    };
    let n = *sx.get(axis).ok_or_else(|| b.err("CumSum of a scalar"))?;
    let at = Attrs(node);
    let (exclusive, reverse) = (at.int_or("exclusive", 0) != 0, at.int_or("reverse", 0) != 0);
    let tri: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            let keep = match (reverse, exclusive) {
                (false, false) => j <= i,
                (false, true) => j < i,
                (true, false) => j >= i,
                (true, true) => j > i,
            };
            f64::from(u8::from(keep))
        })
        .collect();
    let name = format!("{}_triangle", b.node_name());
    let w = b.constant(&name, vec![n, n], tri);
    let rank = sx.len();
    let x_map = AffineMap {
        rows: (0..rank)
            .map(|d| {
                if d == axis {
                    row(rank, 1, None, Some(0))
                } else {
                    row(rank, 1, Some(d), None)
                }
            })
            .collect(),
    };
    let w_map = AffineMap {
        rows: vec![row(rank, 1, Some(axis), None), row(rank, 1, None, Some(0))],
    };
    let spec = ContractSpec {
        out_iter: sx.clone(),
        red: vec![n],
        x_map,
        w_map,
        bias_map: None,
    };
    Ok(b.contract(x, w, None, spec, sx)?)
}
