//! `Mod`: of constant operands (the shape and index arithmetic of exported attention masks)
//! folded while lowering; of run-time integers exact (in [`super::intdiv`]); of run-time reals
//! as `a − m·k` with `k = trunc(a/m)` (`fmod = 1`) or `⌊a/m⌋` (`fmod = 0`), `k` read from
//! `Floor`/`Ceil` tables of the quantized quotient: a quotient within its quantization step
//! of a whole number may land on the wrong side of it (then the result is off by `|m|`), the
//! fixed-point price documented for comparisons too.
//!
//! `fmod = 0` (integers) takes the divisor's sign, as Python's `%`: `a − m·⌊a/m⌋`;
//! `fmod = 1` takes the dividend's, as C's `fmod`. A zero divisor gives 0 (ONNX leaves it
//! undefined).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

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
        if super::intdiv::is_runtime_int_pair(b, x, y) {
            return super::intdiv::int_mod(b, x, y, fmod);
        }
        if super::is_integer(b, x) || super::is_integer(b, y) {
            return Err(b.unsupported("an integer operand beside a real one").into());
        }
        return real_mod(b, x, y, fmod);
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

/// `a − m·k` on run-time reals, `k = trunc(a/m)` or `⌊a/m⌋`.
fn real_mod(b: &mut Builder, a: FRef, m: FRef, fmod: bool) -> Result<FRef, OnnxError> {
    let q = b.div(a, m)?;
    let k = if fmod {
        truncate(b, q)?
    } else {
        b.func(q, Func::Floor)
    };
    let mk = b.binary(BinaryKind::Mul, m, k)?;
    Ok(b.binary(BinaryKind::Sub, a, mk)?)
}

/// `trunc x = max(⌊x⌋, 0) + min(⌈x⌉, 0)` from `Floor`/`Ceil` tables of the quantized `x`
/// (a real `Mod`'s quotient, a `Cast` of a real to an integer type): exact except within one
/// quantization step of a whole number, where a table may land on the wrong side.
pub(crate) fn truncate(b: &mut Builder, x: FRef) -> Result<FRef, OnnxError> {
    let zero = b.scalar(0.0);
    let fl = b.func(x, Func::Floor);
    let ce = b.func(x, Func::Ceil);
    let pos = b.binary(BinaryKind::Max, fl, zero)?;
    let neg = b.binary(BinaryKind::Min, ce, zero)?;
    Ok(b.binary(BinaryKind::Add, pos, neg)?)
}

#[cfg(test)]
mod tests {
    use crate::lower::movement::testutil::int;
    use crate::lower::qtest::{float_outputs, graph, node, quantized_outputs, In};

    /// Real `Mod` of run-time tensors, both signs, both modes (quotients away from whole
    /// numbers, where the tables decide exactly).
    #[test]
    fn real_mod_of_run_time_tensors() {
        let a = vec![-4.3, 7.2, 5.0, 4.3, -7.2, 8.0, -0.7, 2.9];
        let m = vec![2.1, -3.4, 8.0, -2.1, 3.4, 5.0, 0.3, -1.1];
        for fmod in [0, 1] {
            let n = node("Mod", &["a", "m"], &["y"], vec![int("fmod", fmod)]);
            let ins = [In("a", vec![8], None), In("m", vec![8], None)];
            let g = graph(&n, 13, &ins, &[]);
            let want: Vec<f64> = a
                .iter()
                .zip(&m)
                .map(|(&x, &y): (&f64, &f64)| {
                    if fmod == 1 {
                        x % y
                    } else {
                        x - y * (x / y).floor()
                    }
                })
                .collect();
            let s = vec![a.clone(), m.clone()];
            for (got, e) in float_outputs(&g, &s)[0].iter().zip(&want) {
                assert!((got - e).abs() < 1e-12, "f64 fmod={fmod}: {got} vs {e}");
            }
            for (got, e) in quantized_outputs(g, &[s])[0][0].iter().zip(&want) {
                assert!(
                    (got - e).abs() < 1e-2,
                    "quantized fmod={fmod}: {got} vs {e}"
                );
            }
        }
    }

    /// `Cast` of a run-time real to a signed integer type truncates toward zero (AdaBoost's
    /// exported normaliser guard casts a sum of exponentials to int32), in `f64` and through
    /// quantization; an unsigned target stays refused.
    #[test]
    fn cast_of_a_run_time_real_to_int_truncates() {
        let x = vec![-2.7, -1.2, -0.4, 0.0, 0.3, 1.6, 2.2, 5.9];
        let want: Vec<f64> = x.iter().map(|v: &f64| v.trunc()).collect();
        let n = node("Cast", &["x"], &["y"], vec![int("to", 6)]);
        let g = graph(&n, 13, &[In("x", vec![8], None)], &[]);
        let s = vec![x.clone()];
        assert_eq!(float_outputs(&g, &s)[0], want);
        let got = &quantized_outputs(g, &[s])[0][0];
        assert_eq!(got, &want, "quantized");
    }
}
