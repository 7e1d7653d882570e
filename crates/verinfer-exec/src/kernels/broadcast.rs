//! Numpy broadcasting of two operands onto an output, shared by `Binary` and `Div`.

use verinfer_ir::shape::{broadcast_strides, numel};

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
    out: Vec<usize>,
    /// Per out dim: `[a stride, b stride]` (0 on broadcast axes).
    weights: Vec<[i64; 2]>,
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
        let sa = broadcast_strides(a, out);
        let sb = broadcast_strides(b, out);
        // Strides are below element counts of allocated tensors, so they fit i64.
        let weights = sa
            .iter()
            .zip(&sb)
            .map(|(&x, &y)| [x as i64, y as i64])
            .collect();
        Self {
            out: out.to_vec(),
            weights,
            mode,
        }
    }

    /// `out[j] = f(a[A(j)], b[B(j)])`, in parallel over fixed chunks.
    pub(crate) fn fill<F>(&self, a: &[i32], b: &[i32], out: &mut [i32], f: F)
    where
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
                    for ((o, &x), &y) in part.iter_mut().zip(a).zip(b) {
                        *o = f(x, y);
                    }
                },
            ),
            Mode::ScalarA => par::fill(
                out,
                chunk,
                || (),
                |(), start, part| {
                    for (o, &y) in part.iter_mut().zip(&b[start..]) {
                        *o = f(a[0], y);
                    }
                },
            ),
            Mode::ScalarB => par::fill(
                out,
                chunk,
                || (),
                |(), start, part| {
                    for (o, &x) in part.iter_mut().zip(&a[start..]) {
                        *o = f(x, b[0]);
                    }
                },
            ),
            Mode::General => par::fill(
                out,
                chunk,
                || (),
                |(), start, part| {
                    let mut odo = Odometer::new(start, &self.out, &self.weights);
                    for o in part {
                        let [ia, ib] = odo.pos;
                        // Sums of broadcast strides over in-range indices: valid flat indices.
                        *o = f(a[ia as usize], b[ib as usize]);
                        odo.step();
                    }
                },
            ),
        }
    }
}
