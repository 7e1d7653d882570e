//! `ReduceSum` / `ReduceMax` / `ArgMax` over axes, accumulated in row-major order of the
//! reduced axes.

use super::TensorRef;
use crate::op::{Reduce, ReduceKind};
use crate::shape::{numel, strides, unravel_into};

/// Output shape.
///
/// # Errors
/// When axes are unsorted, repeated or out of range, or the arity is not 1.
pub fn output_shape(r: &Reduce, ins: &[&[usize]]) -> Result<Vec<usize>, String> {
    let [x] = ins else {
        return Err(format!("expects 1 input, got {}", ins.len()));
    };
    if r.axes.windows(2).any(|w| w[0] >= w[1]) || r.axes.iter().any(|&a| a >= x.len()) {
        return Err(format!("axes {:?} invalid for rank {}", r.axes, x.len()));
    }
    if r.axes.iter().any(|&a| x[a] == 0) {
        return Err("reduction over an empty axis".into());
    }
    Ok(reduced_shape(x, &r.axes, r.keep_dims))
}

/// `x` with the `axes` removed, or set to 1 when `keep_dims` (the shape rule of every
/// reduction, here and in the lowerings).
#[must_use]
pub fn reduced_shape(x: &[usize], axes: &[usize], keep_dims: bool) -> Vec<usize> {
    x.iter()
        .enumerate()
        .filter_map(|(i, &d)| {
            if axes.contains(&i) {
                keep_dims.then_some(1)
            } else {
                Some(d)
            }
        })
        .collect()
}

/// Flat input positions reduced into output element `j`, in accumulation order.
#[must_use]
pub fn positions(r: &Reduce, x_shape: &[usize], j: usize) -> Vec<usize> {
    positions_for_axes(&r.axes, x_shape, j)
}

/// [`positions`] for a bare list of (sorted, distinct) axes.
#[must_use]
pub fn positions_for_axes(axes: &[usize], x_shape: &[usize], j: usize) -> Vec<usize> {
    let kept: Vec<usize> = (0..x_shape.len()).filter(|a| !axes.contains(a)).collect();
    let kept_dims: Vec<usize> = kept.iter().map(|&a| x_shape[a]).collect();
    let red_dims: Vec<usize> = axes.iter().map(|&a| x_shape[a]).collect();
    let st = strides(x_shape);
    let mut ko = vec![0usize; kept.len()];
    unravel_into(j, &kept_dims, &mut ko);
    let base: usize = kept.iter().zip(&ko).map(|(&a, &i)| i * st[a]).sum();
    let mut ri = vec![0usize; red_dims.len()];
    (0..numel(&red_dims))
        .map(|k| {
            unravel_into(k, &red_dims, &mut ri);
            base + axes
                .iter()
                .zip(&ri)
                .map(|(&a, &i)| i * st[a])
                .sum::<usize>()
        })
        .collect()
}

/// Exclusive bound on a reduction's length: ArgMax keeps the step index in the low 32 bits of
/// its accumulator.
pub const MAX_STEPS: u64 = 1 << 32;

/// ArgMax's packed key of value `v` at step `k`: `v · 2^32 + (2^32 − 1 − k)`, ordered first by
/// value and then by *earlier* step, so a running maximum of keys keeps the first maximum.
/// `None` when `k >= 2^32` or `v` is outside `i32` (the validator rules both out).
#[must_use]
pub fn argmax_key(v: i64, k: usize) -> Option<i64> {
    let k = u64::try_from(k).ok().filter(|&k| k < MAX_STEPS)?;
    let low = i64::try_from(MAX_STEPS - 1 - k).ok()?;
    i32::try_from(v).ok()?;
    v.checked_mul(1 << 32)?.checked_add(low)
}

/// The index an ArgMax accumulator holds: `(2^32 − 1) − (acc mod 2^32)` (Euclidean mod).
#[must_use]
pub fn argmax_index(acc: i64) -> i64 {
    // MAX_STEPS fits i64; rem_euclid by a positive divisor never overflows.
    (1i64 << 32) - 1 - acc.rem_euclid(1 << 32)
}

/// Fold the element `v` read at step `k` (0-based, in [`positions`] order) into a running
/// accumulator. The step index matters only for ArgMax; it is a parameter of every fold so
/// that a one-step read (the dispute game, the arbiter) is the same function for every kind.
/// `None` on overflow.
#[must_use]
pub fn fold(kind: ReduceKind, acc: i64, v: i64, k: usize) -> Option<i64> {
    match kind {
        ReduceKind::Sum => acc.checked_add(v),
        ReduceKind::Max => Some(acc.max(v)),
        ReduceKind::ArgMax => Some(acc.max(argmax_key(v, k)?)),
    }
}

/// Identity of the fold: 0 for sums; `i64::MIN` for max and argmax (below every key).
#[must_use]
pub fn seed(kind: ReduceKind) -> i64 {
    match kind {
        ReduceKind::Sum => 0,
        ReduceKind::Max | ReduceKind::ArgMax => i64::MIN,
    }
}

/// The epilogue: `requant(acc)` for Sum and Max, `requant(index held by acc)` for ArgMax.
#[must_use]
pub fn finish(r: &Reduce, acc: i64) -> i32 {
    match r.kind {
        ReduceKind::Sum | ReduceKind::Max => r.requant.apply(acc),
        ReduceKind::ArgMax => r.requant.apply(argmax_index(acc)),
    }
}

/// Number of fold steps `K` behind each output element: the product of the reduced dims.
#[must_use]
pub fn steps(r: &Reduce, x_shape: &[usize]) -> usize {
    r.axes.iter().filter_map(|&a| x_shape.get(a)).product()
}

/// Accumulator after folding the first `upto` reduced elements of output element `j`
/// (`acc_0` is [`seed`]): the sequence the dispute game bisects. `None` on overflow.
#[must_use]
pub fn accumulate(r: &Reduce, x: &TensorRef<'_>, j: usize, upto: usize) -> Option<i64> {
    let mut acc = seed(r.kind);
    for (k, p) in positions(r, x.shape, j).into_iter().take(upto).enumerate() {
        acc = fold(r.kind, acc, i64::from(*x.data.get(p)?), k)?;
    }
    Some(acc)
}

/// `out[j] = finish(fold over the reduced elements)`.
#[must_use]
pub fn element(r: &Reduce, x: &TensorRef<'_>, j: usize) -> Option<i32> {
    let mut acc = seed(r.kind);
    for (k, p) in positions(r, x.shape, j).into_iter().enumerate() {
        acc = fold(r.kind, acc, i64::from(*x.data.get(p)?), k)?;
    }
    Some(finish(r, acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requant::Requant;
    use crate::types::Bits;

    fn argmax_of(data: &[i32]) -> i32 {
        let r = Reduce {
            kind: ReduceKind::ArgMax,
            axes: vec![0],
            keep_dims: false,
            requant: Requant::clamp_only(Bits::new(32).unwrap()),
        };
        let x = TensorRef {
            shape: &[data.len()],
            data,
        };
        element(&r, &x, 0).unwrap()
    }

    #[test]
    fn argmax_first_maximum_wins() {
        assert_eq!(argmax_of(&[1, 5, 3, 5, 5]), 1);
        assert_eq!(argmax_of(&[-7, -3, -9, -3]), 1);
        assert_eq!(argmax_of(&[4, 4, 4, 4]), 0);
        assert_eq!(argmax_of(&[i32::MIN, i32::MIN]), 0);
        assert_eq!(argmax_of(&[i32::MIN, i32::MAX, i32::MAX]), 1);
        assert_eq!(argmax_of(&[0, 0, 1]), 2);
    }

    #[test]
    fn argmax_key_bounds() {
        assert_eq!(argmax_key(0, 1 << 32), None);
        assert_eq!(argmax_key(1 << 31, 0), None);
        assert_eq!(
            argmax_index(argmax_key(i64::from(i32::MIN), (1 << 32) - 1).unwrap()),
            (1 << 32) - 1
        );
        assert_eq!(argmax_index(argmax_key(i64::from(i32::MAX), 0).unwrap()), 0);
    }

    proptest::proptest! {
        #[test]
        fn argmax_is_the_first_maximum(data in proptest::collection::vec(-4i32..4, 1..40)) {
            let m = data.iter().copied().max().unwrap();
            let want = data.iter().position(|&v| v == m).unwrap();
            proptest::prop_assert_eq!(argmax_of(&data), i32::try_from(want).unwrap());
        }
    }
}
