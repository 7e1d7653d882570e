//! `Mod` of constant operands (the shape and index arithmetic of exported attention masks),
//! folded while lowering: there is no integer remainder primitive, so a run-time operand is
//! rejected.
//!
//! `fmod = 0` (integers) takes the divisor's sign, as Python's `%`: `a − m·⌊a/m⌋`;
//! `fmod = 1` takes the dividend's, as C's `fmod`. A zero divisor gives 0 (ONNX leaves it
//! undefined).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::movement::{broadcast_flat, check_size};

pub(super) fn modulo(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let (x, y) = (input(b, node, 0)?, input(b, node, 1)?);
    let fmod = Attrs(node).int_or("fmod", 0) != 0;
    let (Some(xd), Some(yd)) = (
        b.const_data(x).map(<[f64]>::to_vec),
        b.const_data(y).map(<[f64]>::to_vec),
    ) else {
        return Err(b
            .unsupported("an operand computed at run time (only constant operands fold)")
            .into());
    };
    let shape = b.broadcast_shape(x, y)?;
    check_size(b, &shape)?;
    let (sx, sy) = (b.shape(x), b.shape(y));
    let mut idx = vec![0usize; shape.len()];
    let data = (0..numel(&shape))
        .map(|j| {
            unravel_into(j, &shape, &mut idx);
            let a = xd.get(broadcast_flat(&sx, &idx)).copied().unwrap_or(0.0);
            let m = yd.get(broadcast_flat(&sy, &idx)).copied().unwrap_or(0.0);
            if m == 0.0 {
                0.0
            } else if fmod {
                a % m
            } else {
                a - m * (a / m).floor()
            }
        })
        .collect();
    let integer = b.is_integer_const(x) && b.is_integer_const(y);
    let name = format!("{}/mod", b.node_name());
    Ok(b.typed_constant(&name, shape, data, integer))
}
