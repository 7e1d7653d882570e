//! Small `i16` contractions (convolutions, the matrix products of a transformer block) as
//! register tiles: a matrix product per batch instead of one dot product per output.
//!
//! The out dims split into *row* dims (only one operand, `A`, moves along them), *column*
//! dims (only the other, `B`) and *batch* dims (both or neither: attention heads). For one
//! batch, output `(i, j)` is `Σ_s A_i[s]·B_j[s]`, `A_i` and `B_j` the operands' rows at
//! those keys (zeros for padding, as `Access::gather` reads them). `B`'s rows are laid out
//! as panels of [`LANES`] columns ([`tile`]'s layout) and `A`'s as rows; a constant operand is laid out
//! once at plan time, a value at the start of each batch of each run (only where its rows
//! are reused at least [`MIN_REUSE`] times, so the copy is small beside the products).
//! `B` is the operand that moves along the innermost out dim, so a panel's columns are
//! usually adjacent outputs.
//!
//! **One accumulator or a byte split.** [`tile`] sums each block of [`BLOCK_PAIRS`] pairs of
//! reduction steps in `i32` lanes; it needs `A` split into high and low bytes (twice the
//! multiply-adds) unless every output's partial sum over every block is below `2^31`. The
//! plan proves that from the operands' bounds where it can (`k·max|x|·max|w| < 2^31`);
//! otherwise each batch checks it on the operands themselves, by Cauchy–Schwarz: a block's
//! sum `Σ a_i[s]·b_j[s]` is at most `‖a_i‖·‖b_j‖` over the block, so when the largest squared
//! norm of an `A` row there times the largest of a `B` column is below `2^62`, every such
//! sum is below `2^31`. The norms are exact integer sums of squares (below `2^37` a block),
//! taken while the operands are laid out (a constant's once); only a batch that fails the
//! check is split. The check is made only where each operand laid out per run is read by at
//! least [`CHECK_MIN_REUSE`] outputs a row, so that its norms (one pass, scalar) cost little
//! beside the products; a convolution input, read by a few filters, is split as before.
//! Real rows' norms are far below the worst case `k·max²`, which is what lets the block's
//! products (activations below `2^13.5` against weights below `2^15`, 64 and 256 steps)
//! take one accumulator.
//!
//! Every sum is exact (see [`tile`]) and is then biased and requantized by the caller's
//! epilogue, exactly as the row kernels do: the same integers as the reference.
//!
//! Nodes this small run on the calling thread (at most [`MAX_WORK`] multiply-adds): handing
//! a few microseconds of work to another thread costs more than it saves.

use verinfer_ir::shape::strides;

use super::super::requant::FastRequant;
use super::access::Access;
use super::simd::dense::tile::{tile, TileRows, TileSums, BLOCK_PAIRS, LANES, MR};

/// Most multiply-adds (padding included) of a node planned as tiles.
const MAX_WORK: usize = 1 << 22;

/// Fewest outputs that must read each row of a value operand for it to be laid out per run.
const MIN_REUSE: usize = 4;

/// Fewest outputs that must read each row of every operand laid out per run for the plan to
/// check the norms at run time (see the module doc).
const CHECK_MIN_REUSE: usize = 32;

/// One position along a class of out dims: the key of `A` and of `B` there, the output's
/// flat offset and the bias map's flat offset (each a partial sum over that class's dims).
#[derive(Clone, Copy, Default, Debug)]
struct Pos {
    a: i64,
    b: i64,
    out: i64,
    bias: i64,
}

/// `A`'s rows laid out for tiles: `rows × kp` values, their high parts and low bytes when
/// split (else empty), and per block the largest squared norm of a row (see the module doc;
/// empty unless the plan checks them).
#[derive(Default)]
struct ARows {
    vals: Vec<i16>,
    hi: Vec<i16>,
    lo: Vec<i16>,
    norms: Vec<u64>,
}

impl ARows {
    /// Fill `hi` and `lo` from `vals`: `v = 256·(v >> 8) + (v & 0xFF)`.
    fn split(&mut self) {
        self.hi.clear();
        self.hi.extend(self.vals.iter().map(|&v| v >> 8));
        self.lo.clear();
        self.lo.extend(self.vals.iter().map(|&v| v & 0xFF));
    }

    /// The rows from `r0` on as [`tile`] reads them: the values, or their split parts.
    fn tile_rows(&self, r0: usize, kp: usize, rows: usize, split: bool) -> TileRows<'_> {
        let (hi, lo) = if split {
            (&self.hi, &self.lo[..])
        } else {
            (&self.vals, &[][..])
        };
        TileRows {
            hi: hi.get(r0 * kp..).unwrap_or_default(),
            lo: lo.get(r0 * kp..).unwrap_or_default(),
            rows,
        }
    }
}

/// `B`'s panels in [`tile`]'s layout, and per block the largest squared norm of a column
/// (empty unless the plan checks them).
#[derive(Default)]
struct Panels {
    data: Vec<i16>,
    norms: Vec<u64>,
}

/// Reduction steps of one block of [`tile`].
const BLOCK: usize = 2 * BLOCK_PAIRS;

/// Whether every block's sums fit `i32` by Cauchy–Schwarz: for each block, the largest
/// squared row norm of `A` times that of `B` is below `2^62` (see the module doc).
fn blocks_fit(a: &[u64], b: &[u64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| u128::from(x) * u128::from(y) < 1 << 62)
}

/// Raise `norms[blk]` to each row's squared norm over block `blk` (rows `kp` long).
fn row_norms(vals: &[i16], kp: usize, norms: &mut [u64]) {
    for row in vals.chunks_exact(kp) {
        for (n, part) in norms.iter_mut().zip(row.chunks(BLOCK)) {
            // Squares of `i16` are below 2^30; 128 of them below 2^37.
            let s: u64 = part
                .iter()
                .map(|&v| i64::from(v).unsigned_abs().pow(2))
                .sum();
            *n = (*n).max(s);
        }
    }
}

/// Plan of a contraction computed as tiles (see the module doc).
pub(crate) struct GemmPlan {
    k: usize,
    /// `k` rounded up to even.
    kp: usize,
    /// Whether the plan proved every sum below `2^31`.
    proven: bool,
    /// Unproven: whether each batch checks the norms (else it always splits).
    check: bool,
    /// Which operand (0: `x`, 1: `w`) is `A`.
    a_op: usize,
    a: Access,
    b: Access,
    batches: Vec<Pos>,
    rows: Vec<Pos>,
    cols: Vec<Pos>,
    /// `A` laid out at plan time (a constant): one per batch, or one for all.
    a_const: Vec<ARows>,
    /// `B`'s panels laid out at plan time (a constant): one per batch, or one for all.
    b_const: Vec<Panels>,
}

impl GemmPlan {
    /// Plan the contraction over `out_iter` whose per-dim key and bias strides are `weights`
    /// (`[x key, w key, bias]`), reading `x` and `w` through their accesses; `params` are
    /// the operands' data when constant, every value of both fits `i16`, and `narrow` says
    /// the plan proved every sum below `2^31`. `None` when tiles do not pay (see the module
    /// doc) or the reduction is empty.
    pub(crate) fn new(
        out_iter: &[usize],
        weights: &[[i64; 3]],
        accesses: [&Access; 2],
        params: [Option<&[i32]>; 2],
        narrow: bool,
    ) -> Option<Self> {
        let k = accesses[0].k;
        if k == 0 || accesses[1].k != k {
            return None;
        }
        let kp = k + (k & 1);
        let mut class: [Vec<usize>; 3] = Default::default(); // x dims, w dims, batch dims
        for (d, (&n, &[xk, wk, _])) in out_iter.iter().zip(weights).enumerate() {
            if n > 1 {
                class[match (xk != 0, wk != 0) {
                    (true, false) => 0,
                    (false, true) => 1,
                    _ => 2,
                }]
                .push(d);
            }
        }
        let count = |dims: &[usize]| dims.iter().map(|&d| out_iter[d]).product::<usize>();
        let [nx, nw] = [count(&class[0]), count(&class[1])];
        // `B` moves along the innermost out dim (or is the side with more positions).
        let last = out_iter.iter().rposition(|&n| n > 1);
        let b_op = match last {
            Some(d) if class[0].contains(&d) => 0,
            Some(d) if class[1].contains(&d) => 1,
            _ => usize::from(nw >= nx),
        };
        let a_op = 1 - b_op;
        let (m, n) = (count(&class[a_op]), count(&class[b_op]));
        let nb = count(&class[2]);
        let work = nb
            .checked_mul(m)?
            .checked_mul(n.div_ceil(LANES) * LANES)?
            .checked_mul(kp)?;
        let reused = |op: usize, by: usize| params[op].is_some() || by >= MIN_REUSE;
        if work > MAX_WORK || !reused(a_op, n) || !reused(b_op, m) {
            return None;
        }
        let ost = strides(out_iter);
        let positions = |dims: &[usize]| -> Vec<Pos> {
            let mut out = vec![Pos::default()];
            for &d in dims {
                let [xk, wk, bf] = weights[d];
                let (ak, bk) = if a_op == 0 { (xk, wk) } else { (wk, xk) };
                // Keys and offsets are below the element counts of allocated tensors.
                let os = ost[d] as i64;
                out = out
                    .iter()
                    .flat_map(|p| {
                        (0..out_iter[d] as i64).map(move |i| Pos {
                            a: p.a + i * ak,
                            b: p.b + i * bk,
                            out: p.out + i * os,
                            bias: p.bias + i * bf,
                        })
                    })
                    .collect();
            }
            out
        };
        let (a, b) = (accesses[a_op].clone(), accesses[b_op].clone());
        let mut plan = Self {
            k,
            kp,
            proven: narrow,
            check: !narrow
                && (params[a_op].is_some() || n >= CHECK_MIN_REUSE)
                && (params[b_op].is_some() || m >= CHECK_MIN_REUSE),
            a_op,
            batches: positions(&class[2]),
            rows: positions(&class[a_op]),
            cols: positions(&class[b_op]),
            a_const: Vec::new(),
            b_const: Vec::new(),
            a,
            b,
        };
        let mut tmp = vec![0i32; k];
        if let Some(data) = params[a_op] {
            for base in plan.const_bases(|p| p.a) {
                let mut r = ARows::default();
                plan.lay_rows(data, base, &mut r, &mut tmp);
                if !plan.proven {
                    // Split once for the batches whose check fails (all, without a check).
                    r.split();
                }
                plan.a_const.push(r);
            }
        }
        if let Some(data) = params[b_op] {
            for base in plan.const_bases(|p| p.b) {
                let mut panel = Panels::default();
                plan.lay_panel(data, base, &mut panel, &mut tmp);
                plan.b_const.push(panel);
            }
        }
        Some(plan)
    }

    /// Whether operand `op` (0: `x`, 1: `w`) is laid out at plan time (so the run need not
    /// be given it).
    pub(crate) fn reads_in_place(&self, op: usize) -> bool {
        match op {
            _ if op == self.a_op => !self.a_const.is_empty(),
            0 | 1 => !self.b_const.is_empty(),
            _ => false,
        }
    }

    /// The key bases a constant operand is laid out at: one when every batch has the same.
    fn const_bases(&self, key: impl Fn(&Pos) -> i64) -> Vec<i64> {
        let first = self.batches.first().map_or(0, &key);
        if self.batches.iter().all(|p| key(p) == first) {
            vec![first]
        } else {
            self.batches.iter().map(key).collect()
        }
    }

    /// Lay out `A`'s rows at key base `base` of `data` into `dst` (values, and norms where
    /// the plan checks them; the split parts are cleared).
    fn lay_rows(&self, data: &[i32], base: i64, dst: &mut ARows, tmp: &mut [i32]) {
        let (kp, n) = (self.kp, self.rows.len());
        dst.vals.clear();
        dst.vals.resize(n * kp, 0);
        dst.hi.clear();
        dst.lo.clear();
        let direct = self.a.is_direct();
        for (i, p) in self.rows.iter().enumerate() {
            // Keys are sums of in-range key strides.
            let key = (base + p.a) as usize;
            let row = match direct {
                // A row of `x` of a matrix product: read in place.
                true => data.get(self.a.direct_start(key)..).unwrap_or_default(),
                false => {
                    self.a.gather(data, key, tmp);
                    &tmp[..]
                }
            };
            for (h, &v) in dst.vals[i * kp..i * kp + self.k].iter_mut().zip(row) {
                // Values fit i16 (the plan's condition).
                *h = v as i16;
            }
        }
        dst.norms.clear();
        if self.check {
            dst.norms.resize(kp.div_ceil(BLOCK), 0);
            row_norms(&dst.vals, kp, &mut dst.norms);
        }
    }

    /// Lay out `B`'s panels at key base `base` of `data` into `dst` (with norms where the plan
    /// checks them).
    fn lay_panel(&self, data: &[i32], base: i64, dst: &mut Panels, tmp: &mut [i32]) {
        let blk = self.kp * LANES;
        dst.data.clear();
        dst.data.resize(self.cols.len().div_ceil(LANES) * blk, 0);
        let mut keys = [0usize; LANES];
        for (cols, d) in self.cols.chunks(LANES).zip(dst.data.chunks_exact_mut(blk)) {
            for (key, p) in keys.iter_mut().zip(cols) {
                // Keys are sums of in-range key strides.
                *key = (base + p.b) as usize;
            }
            self.b
                .gather_panel(data, &keys[..cols.len()], LANES, d, tmp);
        }
        dst.norms.clear();
        if self.check {
            dst.norms.resize(self.kp.div_ceil(BLOCK), 0);
            for panel in dst.data.chunks_exact(blk) {
                for (n, part) in dst.norms.iter_mut().zip(panel.chunks(BLOCK * LANES)) {
                    // Element `s` of column `j` is at `(s / 2)·2·LANES + 2j + s % 2`.
                    let mut col = [0u64; LANES];
                    for (i, &v) in part.iter().enumerate() {
                        col[(i / 2) % LANES] += i64::from(v).unsigned_abs().pow(2);
                    }
                    *n = col.iter().fold(*n, |m, &c| m.max(c));
                }
            }
        }
    }

    /// Compute every output from `x` and `w` (either may be empty when
    /// [`Self::reads_in_place`]): output `o` is `requant(bias(o) + sum(o))`, where
    /// `bias(bf)` is the bias term of the output whose bias flat offset is `bf`.
    pub(crate) fn run(
        &self,
        [x, w]: [&[i32]; 2],
        out: &mut [i32],
        requant: &FastRequant,
        bias: impl Fn(i64) -> i64,
    ) {
        let (adata, bdata) = if self.a_op == 0 { (x, w) } else { (w, x) };
        let (kp, m) = (self.kp, self.rows.len());
        let mut tmp = vec![0i32; self.k];
        let mut a_run = ARows::default();
        let mut b_run = Panels::default();
        let mut sums: TileSums = [[0; LANES]; MR];
        let mut strip = [0i32; LANES];
        for (bi, bt) in self.batches.iter().enumerate() {
            let a_const = self.a_const.get(bi).or(self.a_const.first());
            if a_const.is_none() {
                self.lay_rows(adata, bt.a, &mut a_run, &mut tmp);
            }
            let bp = match self.b_const.get(bi).or(self.b_const.first()) {
                Some(p) => p,
                None => {
                    self.lay_panel(bdata, bt.b, &mut b_run, &mut tmp);
                    &b_run
                }
            };
            let fits = self.check && blocks_fit(&a_const.unwrap_or(&a_run).norms, &bp.norms);
            let split = !(self.proven || fits);
            if split && a_const.is_none() {
                a_run.split();
            }
            let ap = a_const.unwrap_or(&a_run);
            for (cols, panel) in (self.cols.chunks(LANES)).zip(bp.data.chunks_exact(kp * LANES)) {
                let nc = cols.len();
                // Adjacent outputs: the strip is stored as one slice.
                let adjacent = (cols.iter())
                    .enumerate()
                    .all(|(j, c)| c.out == cols[0].out + j as i64);
                for r0 in (0..m).step_by(MR) {
                    let r = MR.min(m - r0);
                    if !tile(ap.tile_rows(r0, kp, r, split), kp, panel, &mut sums) {
                        return;
                    }
                    for (rp, s) in self.rows[r0..r0 + r].iter().zip(sums.iter_mut()) {
                        let (ro, rb) = (bt.out + rp.out, bt.bias + rp.bias);
                        for (cp, v) in cols.iter().zip(s.iter_mut()) {
                            *v = v.wrapping_add(bias(rb + cp.bias));
                        }
                        let o0 = (ro + cols[0].out) as usize;
                        match out.get_mut(o0..o0 + nc) {
                            Some(dst) if adjacent => requant.apply_into(&s[..nc], dst),
                            _ => {
                                requant.apply_into(&s[..nc], &mut strip[..nc]);
                                for (cp, &v) in cols.iter().zip(&strip) {
                                    // Offsets of in-range output indices.
                                    if let Some(o) = out.get_mut((ro + cp.out) as usize) {
                                        *o = v;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
