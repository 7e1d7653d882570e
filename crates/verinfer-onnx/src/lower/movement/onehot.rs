//! `OneHot` with a constant depth: a comparison against the constant `0..depth`, then the
//! off/on values.
//!
//! `mask = IsZero(i − d) + IsZero(i − (d − depth))` along the new axis (the second term takes
//! negative indices; an index outside `[−depth, depth)` matches neither and gives all "off"),
//! then `out = off + mask · (on − off)`. On constant indices everything folds.

use tract_onnx::pb::NodeProto;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use super::{check_size, MAX_ELEMS};
use crate::attrs::{input, Attrs};
use crate::error::OnnxError;

pub(super) fn one_hot(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let idx = input(b, node, 0)?;
    let depth_r = input(b, node, 1)?;
    let values = input(b, node, 2)?;
    let depth = match b.require_const(depth_r, "depth")?.as_slice() {
        // ONNX casts a real depth to an integer.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        [d] if *d >= 1.0 && *d <= f64::from(u32::MAX) => d.trunc() as usize,
        other => {
            return Err(b
                .err(format!("depth must be one positive number, got {other:?}"))
                .into())
        }
    };
    if depth > MAX_ELEMS {
        return Err(b.err(format!("depth {depth} too large")).into());
    }
    if b.shape(values).iter().product::<usize>() != 2 {
        return Err(b.err("values must hold exactly [off, on]").into());
    }
    let si = b.shape(idx);
    let axis = b.axis(Attrs(node).int_or("axis", -1), si.len() + 1)?;
    let mut out = si.clone();
    out.insert(axis, depth);
    check_size(b, &out)?;
    // indices with a unit axis inserted; 0..depth along that axis.
    let mut is = si.clone();
    is.insert(axis, 1);
    let idx = b.reshape(idx, is)?;
    let mut rs = vec![1usize; out.len()];
    rs[axis] = depth;
    #[allow(clippy::cast_precision_loss)]
    let range: Vec<f64> = (0..depth).map(|d| d as f64).collect();
    let name = format!("{}/range", b.node_name());
    let pos = b.typed_constant(&name, rs.clone(), range.clone(), true);
    #[allow(clippy::cast_precision_loss)]
    let neg: Vec<f64> = range.iter().map(|d| d - depth as f64).collect();
    let name = format!("{}/range_neg", b.node_name());
    let neg = b.typed_constant(&name, rs, neg, true);
    let d1 = b.binary(BinaryKind::Sub, idx, pos)?;
    let m1 = b.func(d1, Func::IsZero);
    let d2 = b.binary(BinaryKind::Sub, idx, neg)?;
    let m2 = b.func(d2, Func::IsZero);
    let mask = b.binary(BinaryKind::Add, m1, m2)?;
    let int_values = b.is_integer_const(values);
    let values = b.reshape(values, vec![2])?;
    let off = b.move_map(vec![values], vec![], vec![0], 0.0);
    let on = b.move_map(vec![values], vec![], vec![1], 0.0);
    let (off_c, on_c) = (
        b.const_data(off).map(<[f64]>::to_vec),
        b.const_data(on).map(<[f64]>::to_vec),
    );
    let r = if let (Some(f), Some(n)) = (off_c, on_c) {
        // Constant values: one factor and one offset.
        let scaled = b.scale(mask, n[0] - f[0]);
        if f[0] == 0.0 {
            scaled
        } else {
            b.binary(BinaryKind::Add, scaled, off)?
        }
    } else {
        let diff = b.binary(BinaryKind::Sub, on, off)?;
        let scaled = b.binary(BinaryKind::Mul, mask, diff)?;
        b.binary(BinaryKind::Add, scaled, off)?
    };
    if int_values {
        b.mark_integer(r);
    }
    Ok(r)
}
