//! Row-major shapes: element counts, strides, index (un)raveling and broadcasting.

use serde::{Deserialize, Serialize};

/// A tensor shape (row-major; rank 0 is a scalar with one element).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// Dimensions.
    #[must_use]
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Rank.
    #[must_use]
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (saturating, so absurd shapes fail later checks instead of wrapping).
    #[must_use]
    pub fn numel(&self) -> usize {
        numel(&self.0)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(v: Vec<usize>) -> Self {
        Self(v)
    }
}

/// Number of elements of `dims` (saturating).
#[must_use]
pub fn numel(dims: &[usize]) -> usize {
    dims.iter().fold(1usize, |a, &d| a.saturating_mul(d))
}

/// Row-major strides of `dims`.
#[must_use]
pub fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(dims[i + 1]);
    }
    s
}

/// Multi-index of flat position `flat` in `dims`, written into `out`.
pub fn unravel_into(mut flat: usize, dims: &[usize], out: &mut [usize]) {
    for i in (0..dims.len()).rev() {
        let d = dims[i].max(1);
        out[i] = flat % d;
        flat /= d;
    }
}

/// Numpy-style broadcast of two shapes, or `None` when incompatible.
#[must_use]
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0usize; r];
    for i in 0..r {
        let da = if i + a.len() >= r {
            a[i + a.len() - r]
        } else {
            1
        };
        let db = if i + b.len() >= r {
            b[i + b.len() - r]
        } else {
            1
        };
        out[i] = if da == db {
            da
        } else if da == 1 {
            db
        } else if db == 1 {
            da
        } else {
            return None;
        };
    }
    Some(out)
}

/// Strides to read an operand of shape `src` broadcast to `out`: 0 on broadcast axes.
#[must_use]
pub fn broadcast_strides(src: &[usize], out: &[usize]) -> Vec<usize> {
    let st = strides(src);
    let r = out.len();
    let mut res = vec![0usize; r];
    for i in 0..src.len() {
        let oi = r - src.len() + i;
        res[oi] = if src[i] == 1 { 0 } else { st[i] };
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast(&[2], &[3]), None);
        assert_eq!(broadcast_strides(&[4, 1], &[2, 4, 3]), vec![0, 1, 0]);
    }

    #[test]
    fn unravel_roundtrip() {
        let dims = [2, 3, 4];
        let st = strides(&dims);
        let mut idx = [0; 3];
        for f in 0..24 {
            unravel_into(f, &dims, &mut idx);
            assert_eq!(idx.iter().zip(&st).map(|(i, s)| i * s).sum::<usize>(), f);
        }
    }
}
