//! Affine maps of the contractions the ONNX lowering produces: NCHW conv2d (grouped and
//! depthwise included) and numpy matmul with broadcast batch axes.

use verinfer_ir::shape::broadcast;
use verinfer_ir::{AffineMap, AffineRow, Contract, Requant};

/// A 2-D convolution over NCHW input with OIHW weights.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// Batch.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height and width.
    pub hw: [usize; 2],
    /// Output channels.
    pub cout: usize,
    /// Groups (`c` and `cout` are multiples; `groups == c == cout` is depthwise).
    pub groups: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Strides.
    pub stride: [usize; 2],
    /// Leading padding.
    pub pad_begin: [usize; 2],
    /// Trailing padding.
    pub pad_end: [usize; 2],
    /// Dilations.
    pub dilation: [usize; 2],
}

impl Conv2d {
    /// Groups 1, stride 1, no padding, dilation 1: change the rest with struct update syntax.
    pub fn plain(n: usize, c: usize, hw: [usize; 2], cout: usize, kernel: [usize; 2]) -> Self {
        Self {
            n,
            c,
            hw,
            cout,
            groups: 1,
            kernel,
            stride: [1, 1],
            pad_begin: [0, 0],
            pad_end: [0, 0],
            dilation: [1, 1],
        }
    }

    /// [`Conv2d::plain`] padded by half the kernel on each side, so that at stride 1 an odd
    /// kernel keeps the input's height and width.
    pub fn same(n: usize, c: usize, hw: [usize; 2], cout: usize, kernel: [usize; 2]) -> Self {
        let pad = [(kernel[0] - 1) / 2, (kernel[1] - 1) / 2];
        Self {
            pad_begin: pad,
            pad_end: pad,
            ..Self::plain(n, c, hw, cout, kernel)
        }
    }

    /// Output height and width (`None` when the kernel does not fit).
    pub fn out_hw(&self) -> Option<[usize; 2]> {
        let axis = |a: usize| {
            let span = self.dilation[a] * (self.kernel[a] - 1) + 1;
            let padded = self.hw[a] + self.pad_begin[a] + self.pad_end[a];
            Some(padded.checked_sub(span)? / self.stride[a] + 1)
        };
        Some([axis(0)?, axis(1)?])
    }

    /// `[N, C, H, W]`.
    pub fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.hw[0], self.hw[1]]
    }

    /// `[Cout, C/groups, KH, KW]`.
    pub fn w_shape(&self) -> Vec<usize> {
        vec![
            self.cout,
            self.c / self.groups,
            self.kernel[0],
            self.kernel[1],
        ]
    }

    /// `[N, Cout, OH, OW]`.
    pub fn out_shape(&self) -> Vec<usize> {
        let [oh, ow] = self.out_hw().expect("kernel fits");
        vec![self.n, self.cout, oh, ow]
    }

    /// The contraction: iterate `[N, G, Cout/G, OH, OW]`, reduce `[C/G, KH, KW]`; with a bias
    /// of shape `[Cout]` when `bias_shift` is given.
    pub fn contract(&self, requant: Requant, bias_shift: Option<u32>) -> Contract {
        let [oh, ow] = self.out_hw().expect("kernel fits");
        let (g, cg, og) = (self.groups, self.c / self.groups, self.cout / self.groups);
        let (no, nr) = (5, 3);
        let (s, d, p) = (self.stride, self.dilation, self.pad_begin);
        // Spatial axis `a` of x: output position · stride + kernel position · dilation − pad.
        let spatial = |a: usize| {
            AffineRow::terms(
                no,
                nr,
                &[(3 + a, s[a] as i64)],
                &[(1 + a, d[a] as i64)],
                -(p[a] as i64),
            )
        };
        let x_map = AffineMap {
            rows: vec![
                AffineRow::terms(no, nr, &[(0, 1)], &[], 0),
                AffineRow::terms(no, nr, &[(1, cg as i64)], &[(0, 1)], 0),
                spatial(0),
                spatial(1),
            ],
        };
        let co = AffineRow::terms(no, nr, &[(1, og as i64), (2, 1)], &[], 0);
        let w_map = AffineMap {
            rows: vec![
                co.clone(),
                AffineRow::terms(no, nr, &[], &[(0, 1)], 0),
                AffineRow::terms(no, nr, &[], &[(1, 1)], 0),
                AffineRow::terms(no, nr, &[], &[(2, 1)], 0),
            ],
        };
        Contract {
            out_iter: vec![self.n, g, og, oh, ow],
            red: vec![cg, self.kernel[0], self.kernel[1]],
            x_map,
            w_map,
            bias_map: bias_shift.map(|_| AffineMap { rows: vec![co] }),
            bias_shift: bias_shift.unwrap_or(0),
            requant,
        }
    }
}

/// Numpy `matmul` of `x` (`batch_x ++ [M, K]`, or `[K, M]` when `trans_x`) and `w`
/// (`batch_w ++ [K, N]`, or `[N, K]` when `trans_w`), batch axes broadcast.
#[derive(Clone, Debug)]
pub struct MatMul {
    /// Batch axes of `x`.
    pub batch_x: Vec<usize>,
    /// Batch axes of `w`.
    pub batch_w: Vec<usize>,
    /// Rows of the result.
    pub m: usize,
    /// Reduced length.
    pub k: usize,
    /// Columns of the result.
    pub n: usize,
    /// `x` stored transposed.
    pub trans_x: bool,
    /// `w` stored transposed.
    pub trans_w: bool,
}

/// `batch ++ [rows, cols]`, or `batch ++ [cols, rows]` when `trans`.
fn matrix_shape(batch: &[usize], trans: bool, rows: usize, cols: usize) -> Vec<usize> {
    let mut s = batch.to_vec();
    s.extend(if trans { [cols, rows] } else { [rows, cols] });
    s
}

impl MatMul {
    /// `[M, K] · [K, N]`: no batch axes, nothing transposed; change the rest with struct update
    /// syntax.
    pub fn plain(m: usize, k: usize, n: usize) -> Self {
        Self {
            batch_x: vec![],
            batch_w: vec![],
            m,
            k,
            n,
            trans_x: false,
            trans_w: false,
        }
    }

    /// Shape of `x`.
    pub fn x_shape(&self) -> Vec<usize> {
        matrix_shape(&self.batch_x, self.trans_x, self.m, self.k)
    }

    /// Shape of `w`.
    pub fn w_shape(&self) -> Vec<usize> {
        matrix_shape(&self.batch_w, self.trans_w, self.k, self.n)
    }

    /// Broadcast batch axes.
    pub fn batch(&self) -> Vec<usize> {
        broadcast(&self.batch_x, &self.batch_w).expect("batch axes broadcast")
    }

    /// Output shape `batch ++ [M, N]`.
    pub fn out_shape(&self) -> Vec<usize> {
        let mut s = self.batch();
        s.extend([self.m, self.n]);
        s
    }

    /// The contraction: iterate `batch ++ [M, N]`, reduce `[K]`; with a bias of shape `[N]`
    /// when `bias_shift` is given.
    pub fn contract(&self, requant: Requant, bias_shift: Option<u32>) -> Contract {
        let batch = self.batch();
        let nb = batch.len();
        let no = nb + 2;
        let batch_rows = |shape: &[usize]| -> Vec<AffineRow> {
            let off = nb - shape.len();
            let term = |i: usize, d: usize| if d == 1 { vec![] } else { vec![(i + off, 1)] };
            shape
                .iter()
                .enumerate()
                .map(|(i, &d)| AffineRow::terms(no, 1, &term(i, d), &[], 0))
                .collect()
        };
        let (m, n, k) = (
            AffineRow::terms(no, 1, &[(nb, 1)], &[], 0),
            AffineRow::terms(no, 1, &[(nb + 1, 1)], &[], 0),
            AffineRow::terms(no, 1, &[], &[(0, 1)], 0),
        );
        let mut xr = batch_rows(&self.batch_x);
        xr.extend(if self.trans_x {
            [k.clone(), m]
        } else {
            [m, k.clone()]
        });
        let mut wr = batch_rows(&self.batch_w);
        wr.extend(if self.trans_w {
            [n.clone(), k]
        } else {
            [k, n.clone()]
        });
        let mut out_iter = batch;
        out_iter.extend([self.m, self.n]);
        Contract {
            out_iter,
            red: vec![self.k],
            x_map: AffineMap { rows: xr },
            w_map: AffineMap { rows: wr },
            bias_map: bias_shift.map(|_| AffineMap { rows: vec![n] }),
            bias_shift: bias_shift.unwrap_or(0),
            requant,
        }
    }
}
