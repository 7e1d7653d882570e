//! Numpy broadcasting of two operands onto an output, shared by `Binary` and `Div`.

use verinfer_ir::shape::{broadcast_strides, numel};

use super::lanes;
use crate::odometer::Odometer;
use crate::par;

/// How the two operands line up with the output.
enum Mode {
    /// Both have the output's element count: element `j` reads `a[j]`, `b[j]`.
    Same,
    /// `a` has one element.
    ScalarA,
    /// `b` has one element.
    ScalarB,
    /// Anything else: walk the output index with per-operand broadcast strides.
    General,
}

/// Broadcast plan of `f(a, b)` onto an output shape.
pub(crate) struct Broadcast {
    /// The output's dims with size-1 dims dropped and adjacent dims merged wherever both
    /// operands walk them as one (see [`coalesce`]), all but the innermost.
    outer: Vec<usize>,
    /// Per outer dim: `[a stride, b stride]` (0 on broadcast axes).
    weights: Vec<[i64; 2]>,
    /// Length of the innermost (merged) dim: each output row of it is one tight loop.
    inner: usize,
    /// `[a stride, b stride]` along the innermost dim.
    inner_strides: [usize; 2],
    mode: Mode,
}

impl Broadcast {
    /// Plan for operand shapes `a`, `b` broadcasting to `out` (validated).
    pub(crate) fn new(a: &[usize], b: &[usize], out: &[usize]) -> Self {
        let (na, nb, no) = (numel(a), numel(b), numel(out));
        // A broadcast operand with the output's element count has no expanded axis, so it is
        // laid out exactly like the output.
        let mode = match (na == no, nb == no) {
            (true, true) => Mode::Same,
            _ if na == 1 && nb == no => Mode::ScalarA,
            _ if nb == 1 && na == no => Mode::ScalarB,
            _ => Mode::General,
        };
        let (mut outer, mut strides) =
            coalesce(out, &broadcast_strides(a, out), &broadcast_strides(b, out));
        let (inner, inner_strides) = match (outer.pop(), strides.pop()) {
            (Some(n), Some(s)) => (n, s),
            _ => (1, [0, 0]),
        };
        // Strides are below element counts of allocated tensors, so they fit i64.
        let weights = strides.iter().map(|&[x, y]| [x as i64, y as i64]).collect();
        Self {
            outer,
            weights,
            inner,
            inner_strides,
            mode,
        }
    }

    /// `out[j] = f(a[A(j)], b[B(j)])`, in parallel over fixed chunks.
    pub(crate) fn fill<F>(&self, a: &[i32], b: &[i32], out: &mut [i32], f: F)
    where
        F: Fn(i32, i32) -> i32 + Sync + Send,
    {
        self.fill_absorbing(a, b, out, f, None);
    }

    /// [`Self::fill`] for an `f` with `f(0, y) = f(x, 0) = z` for every `x`, `y` when `zero`
    /// is `Some(z)` (a product): where one operand is constant along an output row (a scalar,
    /// or broadcast along the innermost merged dim) and that constant is 0, the row is `z`
    /// without evaluating `f`. The same integers: it is `f`'s value there. This is the cache
    /// append of a step graph, a one-hot column `[C, 1, 1]` times the new row `[H, d]`: all
    /// rows but one are `z`.
    pub(crate) fn fill_absorbing<F>(
        &self,
        a: &[i32],
        b: &[i32],
        out: &mut [i32],
        f: F,
        zero: Option<i32>,
    ) where
        F: Fn(i32, i32) -> i32 + Sync + Send,
    {
        let chunk = par::chunk_len(1);
        match self.mode {
            Mode::Same => par::fill(
                out,
                chunk,
                || (),
                |(), start, part| {
                    let (a, b) = (&a[start..start + part.len()], &b[start..start + part.len()]);
                    lanes::zip_map(a, b, part, &f);
                },
            ),
            Mode::ScalarA => scalar_fill(out, chunk, a[0], b, zero, &f),
            Mode::ScalarB => scalar_fill(out, chunk, b[0], a, zero, |s, x| f(x, s)),
            Mode::General => par::fill(
                out,
                chunk,
                || (),
                |(), start, part| self.fill_rows(a, b, start, part, &f, zero),
            ),
        }
    }

    /// `part` (starting at flat output `start`) row by row of the innermost merged dim: one
    /// odometer step per row, and a loop per row specialized to the strides the step graphs
    /// use (contiguous, or one operand constant along the row).
    fn fill_rows<F>(
        &self,
        a: &[i32],
        b: &[i32],
        start: usize,
        part: &mut [i32],
        f: &F,
        zero: Option<i32>,
    ) where
        F: Fn(i32, i32) -> i32,
    {
        let n = self.inner.max(1);
        let mut odo = Odometer::new(start / n, &self.outer, &self.weights);
        let mut off = start % n;
        let mut p = 0;
        let [sa, sb] = self.inner_strides;
        while p < part.len() {
            let len = (n - off).min(part.len() - p);
            let [ra, rb] = odo.pos;
            // Sums of broadcast strides over in-range indices: valid flat indices.
            let (ia, ib) = (ra as usize + off * sa, rb as usize + off * sb);
            let o = &mut part[p..p + len];
            match (sa, sb) {
                (1, 1) => lanes::zip_map(&a[ia..ia + len], &b[ib..ib + len], o, f),
                (1, 0) => match zero.filter(|_| b[ib] == 0) {
                    Some(z) => o.fill(z),
                    None => {
                        let y = b[ib];
                        lanes::map(&a[ia..ia + len], o, |x| f(x, y));
                    }
                },
                (0, 1) => match zero.filter(|_| a[ia] == 0) {
                    Some(z) => o.fill(z),
                    None => {
                        let x = a[ia];
                        lanes::map(&b[ib..ib + len], o, |y| f(x, y));
                    }
                },
                _ => {
                    for (i, o) in o.iter_mut().enumerate() {
                        *o = f(a[ia + i * sa], b[ib + i * sb]);
                    }
                }
            }
            p += len;
            off = 0;
            odo.step();
        }
    }
}

/// `out[j] = g(s, v[j])` for a scalar operand `s`, in parallel over `chunk`s; every element
/// `z` without evaluating `g` when `s` is 0 and `zero` is `Some(z)` (see
/// [`Broadcast::fill_absorbing`]).
fn scalar_fill<G>(out: &mut [i32], chunk: usize, s: i32, v: &[i32], zero: Option<i32>, g: G)
where
    G: Fn(i32, i32) -> i32 + Sync + Send,
{
    par::fill(
        out,
        chunk,
        || (),
        |(), start, part| match zero.filter(|_| s == 0) {
            Some(z) => part.fill(z),
            None => lanes::map(&v[start..], part, |x| g(s, x)),
        },
    );
}

/// Drop size-1 dims and merge each dim into the next inner one where both operands' strides
/// continue across the boundary (`stride[i] = stride[i+1]·dims[i+1]` for both): the same
/// flat indices, walked with fewer, longer rows. Returns the merged dims and their strides.
fn coalesce(out: &[usize], sa: &[usize], sb: &[usize]) -> (Vec<usize>, Vec<[usize; 2]>) {
    let mut dims: Vec<usize> = Vec::with_capacity(out.len());
    let mut st: Vec<[usize; 2]> = Vec::with_capacity(out.len());
    for ((&d, &x), &y) in out.iter().zip(sa).zip(sb) {
        if d == 1 {
            continue;
        }
        if let (Some(pd), Some(ps)) = (dims.last_mut(), st.last_mut()) {
            if ps[0] == x.saturating_mul(d) && ps[1] == y.saturating_mul(d) {
                *pd = pd.saturating_mul(d);
                *ps = [x, y];
                continue;
            }
        }
        dims.push(d);
        st.push([x, y]);
    }
    (dims, st)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use verinfer_ir::shape::{broadcast, unravel_into};

    use super::*;

    /// The definition of `f` broadcast: every output index read through the operands'
    /// broadcast strides.
    fn definition(
        (a, b, out): (&[usize], &[usize], &[usize]),
        av: &[i32],
        bv: &[i32],
        f: impl Fn(i32, i32) -> i32,
    ) -> Vec<i32> {
        let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
        let mut idx = vec![0; out.len()];
        (0..numel(out))
            .map(|j| {
                unravel_into(j, out, &mut idx);
                let ia: usize = idx.iter().zip(&sa).map(|(i, s)| i * s).sum();
                let ib: usize = idx.iter().zip(&sb).map(|(i, s)| i * s).sum();
                f(av[ia], bv[ib])
            })
            .collect()
    }

    /// The definition of `3a − b` (wrapping), the function the fill tests use.
    fn reference(a: &[usize], b: &[usize], out: &[usize], av: &[i32], bv: &[i32]) -> Vec<i32> {
        definition((a, b, out), av, bv, |x, y| {
            x.wrapping_mul(3).wrapping_sub(y)
        })
    }

    /// Two operand shapes and the shape they broadcast to, each operand's dims those of a
    /// drawn output shape kept or 1 and up to two leading dims dropped: scalar, row, column
    /// and interior broadcasts.
    fn operand_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>)> {
        let keep = || prop::collection::vec(any::<bool>(), 5);
        (
            prop::collection::vec(1usize..5, 0..5),
            keep(),
            keep(),
            0usize..3,
            0usize..3,
        )
            .prop_map(|(out, keep_a, keep_b, lead_a, lead_b)| {
                let shape = |keep: &[bool], lead: usize| -> Vec<usize> {
                    out.iter()
                        .zip(keep)
                        .map(|(&d, &k)| if k { d } else { 1 })
                        .skip(lead.min(out.len()))
                        .collect()
                };
                let (a, b) = (shape(&keep_a, lead_a), shape(&keep_b, lead_b));
                let o = broadcast(&a, &b).unwrap();
                (a, b, o)
            })
    }

    proptest! {
        /// Every mode and merged-row loop equals the definition, for operand shapes that
        /// drop or keep each output dim (scalar, row, column, interior broadcasts).
        #[test]
        fn broadcast_equals_definition(
            (a, b, o) in operand_shapes(),
        ) {
            let av: Vec<i32> = (0..numel(&a)).map(|v| v as i32 * 7 - 11).collect();
            let bv: Vec<i32> = (0..numel(&b)).map(|v| v as i32 * 5 + 2).collect();
            let mut got = vec![0i32; numel(&o)];
            Broadcast::new(&a, &b, &o).fill(&av, &bv, &mut got, |x, y| {
                x.wrapping_mul(3).wrapping_sub(y)
            });
            prop_assert_eq!(got, reference(&a, &b, &o, &av, &bv));
        }

        /// With an absorbing zero (`f(0, y) = f(x, 0) = z`), rows skipped for a zero constant
        /// operand hold what `f` gives there: operands with many zeros, every broadcast shape.
        #[test]
        fn absorbing_zero_rows_equal_definition(
            (a, b, o) in operand_shapes(),
            seed in prop::collection::vec(-2i32..3, 1024),
        ) {
            let av = seed[..numel(&a)].to_vec();
            let bv = seed[512..512 + numel(&b)].to_vec();
            let f = |x: i32, y: i32| x.wrapping_mul(y).wrapping_add(7);
            let mut got = vec![0i32; numel(&o)];
            Broadcast::new(&a, &b, &o).fill_absorbing(&av, &bv, &mut got, f, Some(7));
            let want = definition((&a, &b, &o), &av, &bv, f);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn rows_split_across_parallel_chunks() {
        // 3 × 40000 outputs: chunks of 32768 start mid-row.
        let (a, b, o) = ([3usize, 40000], [3usize, 1], [3usize, 40000]);
        let av: Vec<i32> = (0..120_000).map(|v| v % 1000).collect();
        let bv = vec![5, 6, 7];
        let mut got = vec![0i32; 120_000];
        Broadcast::new(&a, &b, &o)
            .fill(&av, &bv, &mut got, |x, y| x.wrapping_mul(3).wrapping_sub(y));
        assert_eq!(got, reference(&a, &b, &o, &av, &bv));
    }
}
