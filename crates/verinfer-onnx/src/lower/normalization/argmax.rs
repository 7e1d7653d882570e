//! `ArgMax` / `ArgMin` / `Hardmax` onto the `ArgMax` reduction (index of the first maximum along
//! one axis).
//!
//! `ArgMin(x) = ArgMax(−x)`: negation is exact in fixed point, so ties stay ties.
//! `select_last_index = 1` reverses the axis with a constant `Move`, takes the first maximum
//! there (the last one in the original order) at reversed index `r`, and answers `n − 1 − r`.
//! The result is an integer tensor (int64 in ONNX).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;

/// Lower `ArgMax` (`min = false`) or `ArgMin` (`min = true`).
pub(super) fn arg_extremum(
    b: &mut Builder,
    node: &NodeProto,
    min: bool,
) -> Result<FRef, OnnxError> {
    let a = Attrs(node);
    let x = input(b, node, 0)?;
    let shape = b.shape(x);
    if shape.is_empty() {
        return Err(b.err("needs a tensor of rank ≥ 1, got a scalar").into());
    }
    let axis = b.axis(a.int_or("axis", 0), shape.len())?;
    let keep_dims = a.int_or("keepdims", 1) != 0;
    let last = match a.int_or("select_last_index", 0) {
        0 => false,
        1 => true,
        v => {
            return Err(b
                .err(format!("select_last_index must be 0 or 1, got {v}"))
                .into())
        }
    };
    let n = shape[axis];
    if n == 0 {
        refuse!(b, "axis {axis} of shape {shape:?} is empty");
    }
    let x = if min { b.scale(x, -1.0) } else { x };
    let x = if last && n > 1 {
        reverse(b, x, axis)
    } else {
        x
    };
    let ax = i64::try_from(axis).map_err(|_| b.err("axis out of range"))?;
    let mut r = b.reduce(x, ReduceKind::ArgMax, &[ax], keep_dims)?;
    b.mark_integer(r);
    if last && n > 1 {
        // usize → f64 is exact for any tensor that fits in memory.
        #[allow(clippy::cast_precision_loss)]
        let top = (n - 1) as f64;
        let name = format!("{}/last", b.node_name());
        let c = b.typed_constant(&name, vec![], vec![top], true);
        r = b.binary(BinaryKind::Sub, c, r)?;
        b.mark_integer(r);
    }
    Ok(r)
}

/// `x` with axis `axis` reversed, as a constant index map.
fn reverse(b: &mut Builder, x: FRef, axis: usize) -> FRef {
    let shape = b.shape(x);
    let st = strides(&shape);
    let mut idx = vec![0usize; shape.len()];
    let map = (0..numel(&shape))
        .map(|j| {
            unravel_into(j, &shape, &mut idx);
            idx[axis] = shape[axis] - 1 - idx[axis];
            let f: usize = idx.iter().zip(&st).map(|(i, s)| i * s).sum();
            i64::try_from(f).unwrap_or(-1)
        })
        .collect();
    b.move_map(vec![x], shape, map, 0.0)
}

/// `Hardmax`: 1 at the first maximum along `axis`, 0 elsewhere — `IsZero(ArgMax − k)` against
/// the constant positions `k` of the axis. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and the maximum taken over the flattened trailing axes.
pub(super) fn hardmax(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let shape = b.shape(x);
    if shape.is_empty() || shape.contains(&0) {
        refuse!(b, "needs a non-empty tensor of rank ≥ 1, got {shape:?}");
    }
    let default = if opset >= 13 { -1 } else { 1 };
    let axis = b.axis(Attrs(node).int_or("axis", default), shape.len())?;
    let (xr, along) = if opset >= 13 {
        (x, axis)
    } else {
        let flat = vec![
            shape[..axis].iter().product(),
            shape[axis..].iter().product(),
        ];
        (b.reshape(x, flat)?, 1)
    };
    let rs = b.shape(xr);
    let n = rs[along];
    let ax = i64::try_from(along).map_err(|_| b.err("axis out of range"))?;
    let idx = b.reduce(xr, ReduceKind::ArgMax, &[ax], true)?;
    let mut ks = vec![1usize; rs.len()];
    ks[along] = n;
    #[allow(clippy::cast_precision_loss)]
    let positions: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let name = format!("{}/positions", b.node_name());
    let k = b.typed_constant(&name, ks, positions, true);
    let d = b.binary(BinaryKind::Sub, idx, k)?;
    let mask = b.func(d, verinfer_quant::func::Func::IsZero);
    Ok(b.reshape(mask, shape)?)
}
