//! Integer `Div` and `Mod` on run-time operands, lowered exactly onto existing primitives.
//!
//! The `Div` primitive on scale-0 operands gives `q₀ = round_div(a, d)` (half away from zero).
//! Its remainder `r = a − q₀·d` (`|r| ≤ |d|/2`) says which way `q₀` rounded, and signs are
//! exact on integers as `sgn x = max(min(x, 1), −1)`:
//! - truncation (ONNX integer `Div`, and `Mod` with `fmod = 1`): `q₀` went past `a/d` away from
//!   zero exactly when `r` and `a` have opposite signs, so `trunc = q₀ + sgn a·sgn d·min(sgn r·sgn a, 0)`;
//! - floor (`Mod` with `fmod = 0`, Python's `%`): `q₀` is above `a/d` exactly when `r/d < 0`,
//!   so `a mod d = r − d·min(sgn r·sgn d, 0)`, which takes the divisor's sign.
//!
//! Every intermediate is pinned to scale 0 ([`Builder::pin_integer`]) with the bits its bound
//! needs, so the integer graph computes the same integers as the definition. A zero divisor
//! gives 0 for `Div` and the dividend for `Mod` (ONNX leaves both undefined). 32-bit and wider
//! ONNX types are carried in 32 bits, and `q₀` in 31 (so that `q₀·d` fits the accumulator): a
//! quotient beyond ±2^30 saturates.

use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::error::OnnxError;

/// Bits of a run-time integer input or an integer constant (`None`: not an integer tensor).
pub(crate) fn int_operand_bits(b: &Builder, r: FRef) -> Option<u32> {
    match r {
        FRef::Input(i) => {
            b.g.inputs
                .get(i)
                .filter(|x| x.integer)
                .map(|x| x.int_bits.unwrap_or(32))
        }
        FRef::Const(_) if b.is_integer_const(r) => {
            let m = b.const_data(r)?.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let mut bits = 2u32;
            #[allow(clippy::cast_precision_loss)]
            while bits < 32 && m > ((1u64 << (bits - 1)) - 1) as f64 {
                bits += 1;
            }
            Some(bits)
        }
        FRef::Node(_) | FRef::Const(_) => None,
    }
}

/// Whether `Div`/`Mod` of `a` and `d` is an integer operation on at least one run-time tensor.
pub(crate) fn is_runtime_int_pair(b: &Builder, a: FRef, d: FRef) -> bool {
    let ints = int_operand_bits(b, a).is_some() && int_operand_bits(b, d).is_some();
    let runtime = !matches!(a, FRef::Const(_)) || !matches!(d, FRef::Const(_));
    ints && runtime
}

/// The pieces both quotients share: `q₀`, `r` and the operands' signs.
struct Parts {
    q0: FRef,
    r: FRef,
    sa: FRef,
    sd: FRef,
    sr: FRef,
}

fn pinned(b: &mut Builder, r: FRef, bits: u32) -> FRef {
    b.pin_integer(r, bits.clamp(2, 32));
    r
}

fn bin(b: &mut Builder, k: BinaryKind, x: FRef, y: FRef, bits: u32) -> Result<FRef, OnnxError> {
    let r = b.binary(k, x, y)?;
    Ok(pinned(b, r, bits))
}

/// `sgn x = max(min(x, 1), −1)`, exact on integers.
fn sign(b: &mut Builder, x: FRef) -> Result<FRef, OnnxError> {
    let one = b.scalar(1.0);
    let neg = b.scalar(-1.0);
    b.mark_integer(one);
    b.mark_integer(neg);
    let lo = bin(b, BinaryKind::Min, x, one, 2)?;
    bin(b, BinaryKind::Max, lo, neg, 2)
}

fn parts(b: &mut Builder, a: FRef, d: FRef) -> Result<Parts, OnnxError> {
    let ba = int_operand_bits(b, a).unwrap_or(32);
    let bd = int_operand_bits(b, d).unwrap_or(32);
    let bits = ba.max(bd) + 1;
    let q0 = b.div(a, d)?;
    // 31 bits at most: `q₀·d` with a 32-bit `d` then stays within the i64 accumulator.
    let q0 = pinned(b, q0, (ba + 1).min(31));
    let m = bin(b, BinaryKind::Mul, q0, d, bits)?;
    let r = bin(b, BinaryKind::Sub, a, m, bd + 1)?;
    let sa = sign(b, a)?;
    let sd = sign(b, d)?;
    let sr = sign(b, r)?;
    Ok(Parts { q0, r, sa, sd, sr })
}

/// `trunc(a/d)` as an integer tensor (the correction `sgn a·sgn d·min(sgn r·sgn a, 0)`).
fn trunc_correction(b: &mut Builder, p: &Parts) -> Result<FRef, OnnxError> {
    let zero = b.scalar(0.0);
    b.mark_integer(zero);
    let ra = bin(b, BinaryKind::Mul, p.sr, p.sa, 2)?;
    let away = bin(b, BinaryKind::Min, ra, zero, 2)?;
    let s = bin(b, BinaryKind::Mul, p.sa, p.sd, 2)?;
    bin(b, BinaryKind::Mul, s, away, 2)
}

/// ONNX integer `Div`: the quotient truncated toward zero.
///
/// # Errors
/// Shapes that do not broadcast.
pub(crate) fn trunc_div(b: &mut Builder, a: FRef, d: FRef) -> Result<FRef, OnnxError> {
    let p = parts(b, a, d)?;
    let t = trunc_correction(b, &p)?;
    let ba = int_operand_bits(b, a).unwrap_or(32);
    bin(b, BinaryKind::Add, p.q0, t, ba + 1)
}

/// ONNX integer `Mod`: the divisor's sign (`fmod = 0`) or the dividend's (`fmod = 1`).
///
/// # Errors
/// Shapes that do not broadcast.
pub(crate) fn int_mod(b: &mut Builder, a: FRef, d: FRef, fmod: bool) -> Result<FRef, OnnxError> {
    let p = parts(b, a, d)?;
    let bd = int_operand_bits(b, d).unwrap_or(32);
    if fmod {
        // a − d·trunc(a/d) = r − d·t
        let t = trunc_correction(b, &p)?;
        let dt = bin(b, BinaryKind::Mul, d, t, bd)?;
        return bin(b, BinaryKind::Sub, p.r, dt, bd + 1);
    }
    let zero = b.scalar(0.0);
    b.mark_integer(zero);
    let rd = bin(b, BinaryKind::Mul, p.sr, p.sd, 2)?;
    let below = bin(b, BinaryKind::Min, rd, zero, 2)?;
    let dm = bin(b, BinaryKind::Mul, d, below, bd)?;
    bin(b, BinaryKind::Sub, p.r, dm, bd + 1)
}

#[cfg(test)]
mod tests {
    use crate::lower::movement::testutil::int;
    use crate::lower::qtest::{float_outputs, graph, node, quantized_outputs, Const, In};

    /// Every pair `a ∈ [−40, 40]`, `d ∈ [−9, 9] \ {0}` as two int8 tensors.
    fn pairs() -> (Vec<f64>, Vec<f64>) {
        let mut a = vec![];
        let mut d = vec![];
        for x in -40..=40 {
            for y in (-9..=9).filter(|&y| y != 0) {
                a.push(f64::from(x));
                d.push(f64::from(y));
            }
        }
        (a, d)
    }

    fn check(op: &str, fmod: Option<i64>, want: impl Fn(i64, i64) -> i64) {
        let (a, d) = pairs();
        let attrs = fmod.map(|f| vec![int("fmod", f)]).unwrap_or_default();
        let n = node(op, &["a", "d"], &["y"], attrs);
        let ins = [
            In("a", vec![a.len()], Some(8)),
            In("d", vec![d.len()], Some(8)),
        ];
        let g = graph(&n, 13, &ins, &[]);
        let sample = vec![a.clone(), d.clone()];
        #[allow(clippy::cast_possible_truncation)]
        let expect: Vec<f64> = a
            .iter()
            .zip(&d)
            .map(|(&x, &y)| want(x as i64, y as i64) as f64)
            .collect();
        assert_eq!(
            float_outputs(&g, &sample)[0],
            expect,
            "{op} {fmod:?} in f64"
        );
        let q = quantized_outputs(g, &[sample]);
        assert_eq!(q[0][0], expect, "{op} {fmod:?} quantized");
    }

    #[test]
    fn integer_div_truncates_toward_zero() {
        check("Div", None, |a, d| a / d);
    }

    #[test]
    fn integer_mod_takes_the_divisors_sign() {
        check("Mod", Some(0), |a, d| {
            a.rem_euclid(d) + if d < 0 && a.rem_euclid(d) != 0 { d } else { 0 }
        });
    }

    #[test]
    fn integer_fmod_takes_the_dividends_sign() {
        check("Mod", Some(1), |a, d| a % d);
    }

    /// An exporter's `index // 3` on a run-time int64 tensor (carried in 32 bits).
    #[test]
    fn integer_div_by_a_constant() {
        let x: Vec<f64> = (-50..50).map(f64::from).collect();
        let n = node("Div", &["x", "three"], &["y"], vec![]);
        let ins = [In("x", vec![1, 100], Some(32))];
        let g = graph(&n, 13, &ins, &[Const("three", vec![], vec![3.0], true)]);
        #[allow(clippy::cast_possible_truncation)]
        let expect: Vec<f64> = x.iter().map(|&v| ((v as i64) / 3) as f64).collect();
        let q = quantized_outputs(g, &[vec![x]]);
        assert_eq!(q[0][0], expect);
    }
}
