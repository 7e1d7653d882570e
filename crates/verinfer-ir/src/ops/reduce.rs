//! `ReduceSum` / `ReduceMax` over axes, accumulated in row-major order of the reduced axes.

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
    Ok(x.iter()
        .enumerate()
        .filter_map(|(i, &d)| {
            if r.axes.contains(&i) {
                r.keep_dims.then_some(1)
            } else {
                Some(d)
            }
        })
        .collect())
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

/// Fold one more element into a running accumulator (`first` starts the fold).
#[must_use]
pub fn fold(kind: ReduceKind, acc: i64, v: i64) -> Option<i64> {
    match kind {
        ReduceKind::Sum => acc.checked_add(v),
        ReduceKind::Max => Some(acc.max(v)),
    }
}

/// Identity of the fold: 0 for sums; for max the first element seeds the fold instead.
#[must_use]
pub fn seed(kind: ReduceKind) -> i64 {
    match kind {
        ReduceKind::Sum => 0,
        ReduceKind::Max => i64::MIN,
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
    for p in positions(r, x.shape, j).into_iter().take(upto) {
        acc = fold(r.kind, acc, i64::from(*x.data.get(p)?))?;
    }
    Some(acc)
}

/// `out[j] = requant(fold over the reduced elements)`.
#[must_use]
pub fn element(r: &Reduce, x: &TensorRef<'_>, j: usize) -> Option<i32> {
    let mut acc = seed(r.kind);
    for p in positions(r, x.shape, j) {
        acc = fold(r.kind, acc, i64::from(x.data[p]))?;
    }
    Some(r.requant.apply(acc))
}
