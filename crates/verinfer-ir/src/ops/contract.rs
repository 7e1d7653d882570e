//! `Contract`: the one generalized contraction behind MatMul, Gemm and every Conv.

use super::TensorRef;
use crate::affine::AffineMap;
use crate::op::Contract;
use crate::shape::{numel, unravel_into};

/// Output shape: the flat output has `Π out_iter` elements; the declared shape is checked
/// against that count by the validator (the iteration dims may refine it).
///
/// # Errors
/// When arity or map ranks disagree with the operands.
pub fn output_shape(c: &Contract, ins: &[&[usize]]) -> Result<Vec<usize>, String> {
    if ins.len() != 2 + usize::from(c.bias_map.is_some()) {
        return Err(format!(
            "expects {} inputs, got {}",
            2 + usize::from(c.bias_map.is_some()),
            ins.len()
        ));
    }
    check_map("x", &c.x_map, ins[0], c)?;
    check_map("w", &c.w_map, ins[1], c)?;
    if let Some(bm) = &c.bias_map {
        check_map("bias", bm, ins[2], c)?;
        if bm.rows.iter().any(|r| r.red.iter().any(|&v| v != 0)) {
            return Err("bias map depends on the reduction index".into());
        }
        if !bm.always_in_bounds(&c.out_iter, &c.red, ins[2]) {
            return Err("bias map reads outside the bias tensor".into());
        }
    }
    Ok(vec![numel(&c.out_iter)])
}

fn check_map(
    what: &str,
    m: &crate::affine::AffineMap,
    shape: &[usize],
    c: &Contract,
) -> Result<(), String> {
    if m.rows.len() != shape.len() {
        return Err(format!(
            "{what} map has {} rows for a rank-{} operand",
            m.rows.len(),
            shape.len()
        ));
    }
    for row in &m.rows {
        if row.out.len() != c.out_iter.len() || row.red.len() != c.red.len() {
            return Err(format!(
                "{what} map row has the wrong number of coefficients"
            ));
        }
        let big = row
            .out
            .iter()
            .chain(&row.red)
            .chain(std::iter::once(&row.offset))
            .any(|v| v.unsigned_abs() > 1 << 31);
        if big {
            return Err(format!("{what} map coefficient exceeds 2^31"));
        }
    }
    // Every partial sum of an index stays within the range's extremes, so bounding them by
    // 2^62 proves `AffineMap::locate` never overflows.
    if m.ranges(&c.out_iter, &c.red)
        .iter()
        .any(|&(lo, hi)| lo.unsigned_abs() >= 1 << 62 || hi.unsigned_abs() >= 1 << 62)
    {
        return Err(format!("{what} map indices can exceed 2^62"));
    }
    Ok(())
}

/// Number of accumulation steps `K` behind each output element.
#[must_use]
pub fn steps(c: &Contract) -> usize {
    numel(&c.red)
}

/// The bias element output index `o` reads (`B(o)`, the reduction index 0 when the map is
/// written over it); `None` when it falls outside the bias (the validator rules that out).
#[must_use]
pub fn bias_index(bm: &AffineMap, o: &[usize], red_rank: usize, bias: &[usize]) -> Option<usize> {
    bm.locate(o, &[], bias)
        .or_else(|| bm.locate(o, &vec![0; red_rank], bias))
}

/// `2^bias_shift`, the bias's factor in the accumulator; `None` past `2^61`.
#[must_use]
pub fn bias_factor(c: &Contract) -> Option<i64> {
    1i64.checked_shl(c.bias_shift).filter(|_| c.bias_shift < 62)
}

/// The elements of `x` and `w` (shapes `xs`, `ws`) that reduction index `r` of output index
/// `o` multiplies; `None` for a padding term (an index outside its operand), which adds zero.
#[must_use]
pub fn step_reads(
    c: &Contract,
    o: &[usize],
    r: &[usize],
    xs: &[usize],
    ws: &[usize],
) -> Option<(usize, usize)> {
    Some((c.x_map.locate(o, r, xs)?, c.w_map.locate(o, r, ws)?))
}

/// Initial accumulator `acc_0 = bias[B(o)] · 2^bias_shift` (0 without bias).
#[must_use]
pub fn initial(c: &Contract, bias: Option<&TensorRef<'_>>, o: &[usize]) -> Option<i64> {
    match (&c.bias_map, bias) {
        (Some(bm), Some(b)) => {
            let i = bias_index(bm, o, c.red.len(), b.shape)?;
            i64::from(b.data[i]).checked_mul(bias_factor(c)?)
        }
        _ => Some(0),
    }
}

/// Accumulator after the first `upto` reduction steps (row-major over `red`) of element `j`:
/// `acc_upto`. Padding terms are steps that add zero. `None` on overflow.
#[must_use]
pub fn accumulate(c: &Contract, ins: &[TensorRef<'_>], j: usize, upto: usize) -> Option<i64> {
    let (x, w) = (ins.first()?, ins.get(1)?);
    let mut o = vec![0usize; c.out_iter.len()];
    unravel_into(j, &c.out_iter, &mut o);
    let mut acc = initial(c, ins.get(2), &o)?;
    let mut r = vec![0usize; c.red.len()];
    for step in 0..upto.min(steps(c)) {
        unravel_into(step, &c.red, &mut r);
        if let Some((xi, wi)) = step_reads(c, &o, &r, x.shape, w.shape) {
            acc = acc.checked_add(i64::from(x.data[xi]).checked_mul(i64::from(w.data[wi]))?)?;
        }
    }
    Some(acc)
}

/// `out[j] = requant(acc_K)`.
#[must_use]
pub fn element(c: &Contract, ins: &[TensorRef<'_>], j: usize) -> Option<i32> {
    accumulate(c, ins, j, steps(c)).map(|acc| c.requant.apply(acc))
}
