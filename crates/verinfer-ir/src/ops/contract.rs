//! `Contract`: the one generalized contraction behind MatMul, Gemm and every Conv.

use super::TensorRef;
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

/// Initial accumulator `acc_0 = bias[B(o)] · 2^bias_shift` (0 without bias).
#[must_use]
pub fn initial(c: &Contract, bias: Option<&TensorRef<'_>>, o: &[usize]) -> Option<i64> {
    match (&c.bias_map, bias) {
        (Some(bm), Some(b)) => {
            let i = bm
                .locate(o, &[], b.shape)
                .or_else(|| bm.locate(o, &vec![0; c.red.len()], b.shape))?;
            i64::from(b.data[i]).checked_mul(
                1i64.checked_shl(c.bias_shift)
                    .filter(|_| c.bias_shift < 62)?,
            )
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
        if let (Some(xi), Some(wi)) = (
            c.x_map.locate(&o, &r, x.shape),
            c.w_map.locate(&o, &r, w.shape),
        ) {
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
