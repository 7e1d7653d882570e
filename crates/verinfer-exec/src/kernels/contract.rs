//! `Contract` (MatMul, Gemm, every Conv) as dot products of precomputed operand rows.
//!
//! Output element `o` reads the `x` row of its x-key (the out dims `x_map` uses) and the `w`
//! row of its w-key, each `K = Π red` long with zeros where the reference skips a padding term,
//! and computes `requant(bias·2^shift + Σ_s x_row[s]·w_row[s])`. Because the validator proved
//! the accumulator below `2^62`, integer addition is exact in any order, so this equals the
//! reference's row-major accumulation. Rows are contiguous in every case:
//!
//! * **direct** — the operand itself (`x` of a MatMul/Gemm, OIHW conv filters, `A·Bᵀ`),
//! * **packed** — constant operands rearranged once at plan time (MatMul/Gemm `w`),
//! * **packed per run** — an activation whose rows are reused by several outputs (im2col of a
//!   conv input, with padding as zeros; `B` of `A·B` between activations),
//! * **gathered** — on demand into per-task scratch, for rows used about once (depthwise conv
//!   inputs) and any map the other paths do not cover; interior rows skip bounds checks.
//!
//! When both operands fit 16 bits, rows are `i16` (multiply-add instructions, twice the lanes):
//! with an `i32` accumulator when the plan proves every accumulator below `2^31`, otherwise
//! (for reductions of at least [`PAIRS_MIN_K`] steps) with exact `i32` pair sums added into
//! 64 bits (see `pairs`). Otherwise rows are `i32` with an `i32` or `i64` accumulator. Four
//! consecutive outputs sharing a row are computed together.
//!
//! Small contractions of two 16-bit operands skip rows altogether: they are matrix products
//! of register tiles (see `gemm`), with the same sums and the same epilogue.

mod access;
mod batch;
mod elem;
mod gemm;
mod narrow;
mod pairs;
mod rows;
mod runs;
pub(super) mod simd;

use verinfer_ir::shape::{numel, strides};
use verinfer_ir::{AffineMap, Contract};

use self::access::Access;
use self::elem::Elem;
use self::gemm::GemmPlan;
use self::narrow::NarrowW;
use self::rows::{RowCache, Rows, Side};
use self::runs::NarrowRuns;
use self::simd::vnni::SplitX;
use super::requant::FastRequant;
use super::NodeCtx;
use crate::error::ExecError;
use crate::odometer::Odometer;
use crate::par;

/// Shortest reduction for which 16-bit operands needing a 64-bit accumulator use `i16` rows
/// with pair sums (see `pairs`): below it, per-output overhead dominates and the `i32` rows
/// (often the operand itself, unpacked) are faster.
const PAIRS_MIN_K: usize = 32;

/// Most narrow-weight outputs computed by one segment call (see `fill_narrow_runs`).
const NARROW_RUN: usize = 64;

/// One run of [`ContractPlan::next_narrow_run`]: the first output's `x` key and the offsets of
/// its `x` row and `w` row; `n` outputs follow, each `k` further along in both.
struct NarrowRun {
    xk: usize,
    x0: usize,
    w0: usize,
    n: usize,
}

/// Shortest last out dim computed as lanes.
const LANES_MIN: usize = 4;

/// Plan of one contraction.
pub(crate) struct ContractPlan {
    out_iter: Vec<usize>,
    k: usize,
    /// Per out dim: `[x key stride, w key stride, bias flat stride]`.
    weights: Vec<[i64; 3]>,
    bias: Option<Bias>,
    requant: FastRequant,
    chunk: usize,
    rows: RowKind,
    /// Length of the last out dim when outputs along it can be computed as lanes (see
    /// `fill_lanes`): `x` depends on it, `w` and the bias do not.
    lane_len: Option<usize>,
    /// Length of the last out dim when outputs along it are lanes of `w` instead (see
    /// `fill_wlanes`): a value operand `w` walks it contiguously, `x` and the bias do not.
    wlane_len: Option<usize>,
}

/// Row element type and accumulator width.
enum RowKind {
    /// `i16` rows; `true`: `i32` accumulator, `false`: `i32` pair sums into `i64`.
    Short(Side<i16>, Side<i16>, bool),
    /// `i32` rows; `true`: `i32` accumulator, `false`: `i64`.
    Int(Side<i32>, Side<i32>, bool),
    /// `i32` rows of `x` against a narrow constant `w` read in place (see [`narrow`]), with
    /// the runs of rows planned once when the plan has no bias and fixed row starts.
    NarrowW(Side<i32>, NarrowW, Option<NarrowRuns>),
    /// Both operands `i16`, a node small enough to run as register tiles (see [`gemm`]).
    Gemm(Box<GemmPlan>),
}

/// Where the bias of an output element is read.
struct Bias {
    /// Flat index at the output origin.
    offset: i64,
    /// Left shift (`< 62`, validated).
    shift: u32,
}

impl ContractPlan {
    /// Plan `c` for the operand shapes of `ctx`.
    pub(crate) fn new(c: &Contract, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        let nout = numel(&c.out_iter);
        let k = numel(&c.red);
        let too_big = || ctx.unsupported("index arithmetic beyond 2^62");
        let (xs, ws) = (ctx.shape(0)?, ctx.shape(1)?);
        let x = Access::new(&c.x_map, xs, &c.out_iter, &c.red).ok_or_else(too_big)?;
        let w = Access::new(&c.w_map, ws, &c.out_iter, &c.red).ok_or_else(too_big)?;
        let mut weights: Vec<[i64; 3]> = x
            .key_weights
            .iter()
            .zip(&w.key_weights)
            .map(|(&a, &b)| [a, b, 0])
            .collect();
        let bias = match &c.bias_map {
            Some(bm) => {
                if c.bias_shift >= 62 {
                    return Err(ctx.unsupported("bias_shift of 62 or more"));
                }
                let offset = bias_weights(bm, ctx.shape(2)?, &mut weights).ok_or_else(too_big)?;
                Some(Bias {
                    offset,
                    shift: c.bias_shift,
                })
            }
            None => None,
        };
        let bound = (k as u128)
            .saturating_mul(u128::from(ctx.max_abs(0)))
            .saturating_mul(u128::from(ctx.max_abs(1)));
        let narrow = bound < 1 << 31;
        let short = ctx.fits_i16(0) && ctx.fits_i16(1) && (narrow || k >= PAIRS_MIN_K);
        let narrow_w = match (short, ctx.param_data(0), ctx.param_data(1)) {
            (false, None, Some(wd)) => NarrowW::new(w.clone(), wd, ctx.max_abs(0)),
            _ => None,
        };
        let gemm = if ctx.fits_i16(0) && ctx.fits_i16(1) {
            GemmPlan::new(
                &c.out_iter,
                &weights,
                [&x, &w],
                [ctx.param(0), ctx.param(1)],
                narrow,
            )
        } else {
            None
        };
        let rows = if let Some(g) = gemm {
            RowKind::Gemm(Box::new(g))
        } else if let Some(nw) = narrow_w {
            let xside = Side::new(x, None, numel(xs), nout);
            let runs = if bias.is_none() {
                NarrowRuns::plan(
                    nout,
                    k,
                    &c.out_iter,
                    &weights,
                    |key| xside.row_start(key),
                    |key| nw.start(key),
                )
            } else {
                None
            };
            RowKind::NarrowW(xside, nw, runs)
        } else if short {
            let (xp, wp) = (ctx.param(0), ctx.param(1));
            RowKind::Short(
                Side::new(x, xp, numel(xs), nout),
                Side::new(w, wp, numel(ws), nout),
                narrow,
            )
        } else {
            let (xp, wp) = (ctx.param(0), ctx.param(1));
            RowKind::Int(
                Side::new(x, xp, numel(xs), nout),
                Side::new(w, wp, numel(ws), nout),
                narrow,
            )
        };
        let lane_len = match (c.out_iter.last(), weights.last()) {
            (Some(&n), Some(&[xk, 0, 0])) if xk != 0 && n >= LANES_MIN => Some(n),
            _ => None,
        };
        let wlane_len = match (&rows, c.out_iter.last(), weights.last()) {
            (RowKind::Short(_, ws, _), Some(&n), Some(&[0, wk, 0]))
                if wk != 0 && n >= LANES_MIN && wlanes_pay(ws.access(), ctx) =>
            {
                Some(n)
            }
            (RowKind::Int(_, ws, _), Some(&n), Some(&[0, wk, 0]))
                if wk != 0 && n >= LANES_MIN && wlanes_pay(ws.access(), ctx) =>
            {
                Some(n)
            }
            _ => None,
        };
        Ok(Self {
            out_iter: c.out_iter.clone(),
            k,
            weights,
            bias,
            requant: FastRequant::new(c.requant),
            chunk: par::chunk_len(k + 1),
            rows,
            lane_len,
            wlane_len,
        })
    }

    /// Compute the output from `[x, w]` or `[x, w, bias]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let (Some(&x), Some(&w)) = (ins.first(), ins.get(1)) else {
            return;
        };
        let bias = ins.get(2).copied();
        match &self.rows {
            RowKind::Short(xs, ws, true) => self.run_rows::<i16, true>(xs, ws, x, w, bias, out),
            RowKind::Short(xs, ws, false) => self.run_rows::<i16, false>(xs, ws, x, w, bias, out),
            RowKind::Int(xs, ws, true) => self.run_rows::<i32, true>(xs, ws, x, w, bias, out),
            RowKind::Int(xs, ws, false) => self.run_rows::<i32, false>(xs, ws, x, w, bias, out),
            RowKind::NarrowW(xs, ws, runs) => {
                self.run_narrow_w(xs, ws, runs.as_ref(), x, bias, out)
            }
            RowKind::Gemm(g) => g.run([x, w], out, &self.requant, |bf| self.bias_term(bias, bf)),
        }
    }

    /// Whether operand `k` is read from the plan rather than from the run's inputs (the run
    /// may then pass an empty slice for it).
    pub(crate) fn reads_in_place(&self, k: usize) -> bool {
        match &self.rows {
            RowKind::NarrowW(..) => k == 1,
            RowKind::Gemm(g) => g.reads_in_place(k),
            RowKind::Short(..) | RowKind::Int(..) => false,
        }
    }

    fn run_narrow_w(
        &self,
        xs: &Side<i32>,
        ws: &NarrowW,
        runs: Option<&NarrowRuns>,
        x: &[i32],
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let k = self.k;
        debug_assert_eq!(ws.access().k, k);
        let xp = xs.pack_for_run(x);
        let xr = xs.rows(x, xp.as_deref());
        if let Some(split) = xr.buffer().filter(|_| k > 0).and_then(|b| ws.split_x(b)) {
            self.fill_narrow_split(&xr, ws, &split, bias, out);
            return;
        }
        if let (Some(runs), Some(buf)) = (runs, xr.buffer()) {
            runs.fill(buf, ws, &self.requant, self.chunk, out);
            return;
        }
        if k > 0 && xr.is_slice() {
            self.fill_narrow_runs(&xr, ws, bias, out);
            return;
        }
        par::fill(
            out,
            self.chunk,
            || RowCache::<i32>::new(k),
            |xc, start, part| {
                let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
                for o in part {
                    let [xk, wk, bf] = odo.pos;
                    let mut acc = self.bias_term(bias, bf);
                    if k > 0 {
                        // Keys are in range: sums of in-range strides.
                        acc = acc.wrapping_add(ws.dot(xr.row(xk as usize, xc), wk as usize));
                    }
                    *o = self.requant.apply(acc);
                    odo.step();
                }
            },
        );
    }

    /// Block-scaled narrow-weight outputs from activations split once for this run (the
    /// AVX-512 VNNI kernel, [`NarrowW::split_x`]): one exact dot product per output (a whole
    /// weight row, so the odometer step costs nothing beside it), then requantized; an
    /// output whose row the kernel does not take goes through [`NarrowW::dot`].
    fn fill_narrow_split(
        &self,
        xr: &Rows<'_, i32>,
        ws: &NarrowW,
        split: &SplitX,
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let k = self.k;
        par::fill(
            out,
            self.chunk,
            || (),
            |(), start, part| {
                let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
                for o in part {
                    // Keys are in range: sums of in-range strides.
                    let [xk, wk, bf] = odo.pos;
                    let x0 = xr.span(xk as usize).map_or(0, |s| s.1);
                    let d = ws.split_dot(split, x0, wk as usize).unwrap_or_else(|| {
                        let x = xr.slice(xk as usize);
                        ws.dot(x.get(..k).unwrap_or_default(), wk as usize)
                    });
                    *o = self.requant.apply(self.bias_term(bias, bf).wrapping_add(d));
                    odo.step();
                }
            },
        );
    }

    /// The narrow-weight outputs in runs: consecutive outputs whose `x` rows and `w` rows
    /// each follow one another (a weight row's blocks against the activation's blocks in
    /// stage 1 of the exact block import, `x·Wᵀ` rows in general) take one
    /// [`NarrowW::segment_dots`] call, then are requantized; the integers are those of one
    /// dot product per output.
    fn fill_narrow_runs(
        &self,
        xr: &Rows<'_, i32>,
        ws: &NarrowW,
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let k = self.k;
        let init = || (vec![0i64; NARROW_RUN], vec![0i64; NARROW_RUN]);
        par::fill(out, self.chunk, init, |(sums, bfs), start, part| {
            let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
            let mut p = 0;
            while p < part.len() {
                let Some(run) = self.next_narrow_run(&mut odo, xr, ws, part.len() - p, bfs) else {
                    return;
                };
                let NarrowRun { xk, x0, w0, n } = run;
                let Some((xbuf, _)) = xr.span(xk) else {
                    return;
                };
                let xs = xbuf.get(x0..x0 + n * k).unwrap_or_default();
                ws.segment_dots(xs, w0, &mut sums[..n]);
                for ((o, &d), &bf) in part[p..p + n].iter_mut().zip(&sums[..n]).zip(&bfs[..n]) {
                    *o = self.requant.apply(self.bias_term(bias, bf).wrapping_add(d));
                }
                p += n;
            }
        });
    }

    /// The next run of consecutive outputs whose `x` rows (as `xr` lays them out) and `w`
    /// rows each follow one another, at most `left` and [`NARROW_RUN`] long, stepping `odo`
    /// past it and writing each output's bias key into `bfs`; `None` if a key is out of
    /// range (never, for keys that are sums of in-range strides).
    fn next_narrow_run(
        &self,
        odo: &mut Odometer<'_, 3>,
        xr: &Rows<'_, i32>,
        ws: &NarrowW,
        left: usize,
        bfs: &mut [i64],
    ) -> Option<NarrowRun> {
        let k = self.k;
        let [xk, wk, bf] = odo.pos;
        let (_, x0) = xr.span(xk as usize)?;
        let w0 = ws.start(wk as usize);
        *bfs.first_mut()? = bf;
        odo.step();
        let most = NARROW_RUN.min(left).min(bfs.len());
        let mut n = 1;
        while n < most {
            let [xk, wk, bf] = odo.pos;
            let next_x = xr.span(xk as usize).map(|s| s.1);
            if next_x != Some(x0 + n * k) || ws.start(wk as usize) != w0 + n * k {
                break;
            }
            bfs[n] = bf;
            odo.step();
            n += 1;
        }
        Some(NarrowRun {
            xk: xk as usize,
            x0,
            w0,
            n,
        })
    }

    fn run_rows<T: Elem, const NARROW: bool>(
        &self,
        xs: &Side<T>,
        ws: &Side<T>,
        x: &[i32],
        w: &[i32],
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        if let Some(n) = self.wlane_len.filter(|_| self.k > 0) {
            let xp = xs.pack_for_run(x);
            let xr = xs.rows(x, xp.as_deref());
            return self.fill_wlanes(n, &xr, w, ws.access(), bias, out);
        }
        let (xp, wp) = (xs.pack_for_run(x), ws.pack_for_run(w));
        let (xr, wr) = (xs.rows(x, xp.as_deref()), ws.rows(w, wp.as_deref()));
        debug_assert_eq!(xs.access().k, self.k);
        match (self.lane_len, xr.gathered()) {
            (Some(n), Some((x, xa))) if self.k > 0 => self.fill_lanes(n, x, xa, &wr, bias, out),
            _ => self.fill::<T, NARROW>(&xr, &wr, bias, out),
        }
    }

    fn fill<T: Elem, const NARROW: bool>(
        &self,
        xr: &Rows<'_, T>,
        wr: &Rows<'_, T>,
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let k = self.k;
        let grouped = k > 0 && xr.is_slice() && wr.is_slice();
        let init = || (RowCache::<T>::new(k), RowCache::<T>::new(k));
        par::fill(out, self.chunk, init, |(xc, wc), start, part| {
            let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
            let mut quads = part.chunks_exact_mut(if grouped { 4 } else { usize::MAX });
            for quad in &mut quads {
                let mut keys = [[0i64; 3]; 4];
                for key in &mut keys {
                    *key = odo.pos;
                    odo.step();
                }
                // Keys are in range: sums of in-range strides.
                // Written out: `keys.map` is not inlined here (a call per quad).
                let [k0, k1, k2, k3] = keys;
                let xs = [
                    xr.slice(k0[0] as usize),
                    xr.slice(k1[0] as usize),
                    xr.slice(k2[0] as usize),
                    xr.slice(k3[0] as usize),
                ];
                let ws = [
                    wr.slice(k0[1] as usize),
                    wr.slice(k1[1] as usize),
                    wr.slice(k2[1] as usize),
                    wr.slice(k3[1] as usize),
                ];
                let sums = if keys.iter().all(|t| t[0] == keys[0][0]) {
                    T::shared4::<NARROW>(xs[0], ws)
                } else if keys.iter().all(|t| t[1] == keys[0][1]) {
                    T::shared4::<NARROW>(ws[0], xs)
                } else {
                    [
                        T::dot::<NARROW>(xs[0], ws[0]),
                        T::dot::<NARROW>(xs[1], ws[1]),
                        T::dot::<NARROW>(xs[2], ws[2]),
                        T::dot::<NARROW>(xs[3], ws[3]),
                    ]
                };
                for ((o, t), d) in quad.iter_mut().zip(keys).zip(sums) {
                    *o = self
                        .requant
                        .apply(self.bias_term(bias, t[2]).wrapping_add(d));
                }
            }
            for o in quads.into_remainder() {
                let [xk, wk, bf] = odo.pos;
                let mut acc = self.bias_term(bias, bf);
                if k > 0 {
                    acc = acc.wrapping_add(T::dot::<NARROW>(
                        xr.row(xk as usize, xc),
                        wr.row(wk as usize, wc),
                    ));
                }
                *o = self.requant.apply(acc);
                odo.step();
            }
        });
    }

    /// Outputs as lane segments along the last out dim (`n` long): for each reduction step,
    /// `acc[lanes] += w[s] · x[in-bounds lanes]`, a strided (usually unit-stride) axpy instead of
    /// one gathered row per output. Used when `x` rows would be gathered once per output
    /// (depthwise convolution) and the `w` row and bias are shared by the whole segment.
    fn fill_lanes<T: Elem>(
        &self,
        n: usize,
        x: &[i32],
        xa: &Access,
        wr: &Rows<'_, T>,
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let step = xa.last_flat();
        let init = || (RowCache::<T>::new(self.k), vec![0i64; n]);
        par::fill(out, self.chunk.max(n), init, |(wc, acc), start, part| {
            let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
            let mut p = 0;
            while p < part.len() {
                let len = (n - (start + p) % n).min(part.len() - p);
                let [xk, wk, bf] = odo.pos;
                let w = wr.row(wk as usize, wc);
                let acc = &mut acc[..len];
                acc.fill(self.bias_term(bias, bf));
                // Keys are in range; run flat indices are in bounds by construction.
                xa.lane_runs(xk as usize, len, |s, flat, lo, cnt| {
                    let wv = w[s].to_i64();
                    let lanes = &mut acc[lo..lo + cnt];
                    if step == 1 {
                        let xs = &x[flat as usize..flat as usize + cnt];
                        for (a, &v) in lanes.iter_mut().zip(xs) {
                            *a = a.wrapping_add(wv.wrapping_mul(i64::from(v)));
                        }
                    } else {
                        for (i, a) in lanes.iter_mut().enumerate() {
                            let v = x[(flat + i as i64 * step) as usize];
                            *a = a.wrapping_add(wv.wrapping_mul(i64::from(v)));
                        }
                    }
                });
                for (o, &a) in part[p..p + len].iter_mut().zip(acc.iter()) {
                    *o = self.requant.apply(a);
                }
                for _ in 0..len {
                    odo.step();
                }
                p += len;
            }
        });
    }

    /// Outputs as lane segments of `w` along the last out dim (`n` long): for each reduction
    /// step, `acc[lanes] += x[s] · w[lanes]`, reading `w` (a value, contiguous along the lanes)
    /// in place. This is attention's `P·V` (output `(h, j)` is `Σ_c p[h, c]·v[c, j]`), whose
    /// `w` rows per output would otherwise be the cache's transpose, packed on every run. A
    /// step whose `x` is 0 is skipped: it adds `0·w = 0` to every lane, so the sums are the
    /// same integers (the masked positions of attention, whose softmax weights are exactly 0).
    fn fill_wlanes<T: Elem>(
        &self,
        n: usize,
        xr: &Rows<'_, T>,
        w: &[i32],
        wa: &Access,
        bias: Option<&[i32]>,
        out: &mut [i32],
    ) {
        let init = || (RowCache::<T>::new(self.k), vec![0i64; n]);
        par::fill(out, self.chunk.max(n), init, |(xc, acc), start, part| {
            let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
            let mut p = 0;
            while p < part.len() {
                let len = (n - (start + p) % n).min(part.len() - p);
                let [xk, wk, bf] = odo.pos;
                let x = xr.row(xk as usize, xc);
                let acc = &mut acc[..len];
                acc.fill(self.bias_term(bias, bf));
                // Keys are in range; run flat indices are in bounds by construction, and the
                // lanes are contiguous (`wlanes_pay`).
                wa.lane_runs(wk as usize, len, |s, flat, lo, cnt| {
                    // Row elements are operand values: `i32` (or `i16`) to begin with.
                    let xv = x[s].to_i64() as i32;
                    if xv != 0 {
                        let ws = &w[flat as usize..flat as usize + cnt];
                        simd::axpy_wide(&mut acc[lo..lo + cnt], xv, ws);
                    }
                });
                for (o, &a) in part[p..p + len].iter_mut().zip(acc.iter()) {
                    *o = self.requant.apply(a);
                }
                for _ in 0..len {
                    odo.step();
                }
                p += len;
            }
        });
    }

    /// `bias[B(o)]·2^shift` for the output whose bias flat stride sum is `bf` (0 without bias).
    #[inline]
    fn bias_term(&self, bias: Option<&[i32]>, bf: i64) -> i64 {
        match (&self.bias, bias) {
            // Validated in bounds; `|bias·2^shift| < 2^62` by the validator's bound.
            (Some(b), Some(data)) => {
                i64::from(data[b.offset.wrapping_add(bf) as usize]).wrapping_mul(1i64 << b.shift)
            }
            _ => 0,
        }
    }
}

/// Whether outputs along the last out dim are better computed as lanes of `w`: `w` is a value
/// (a constant's rows are packed once at plan time) whose elements along that dim are
/// contiguous, while its rows per output are not (a direct row is read as it is).
fn wlanes_pay(wa: &Access, ctx: &NodeCtx<'_>) -> bool {
    ctx.param_data(1).is_none() && wa.last_flat() == 1 && !wa.is_direct()
}

/// Store the bias map's flat strides in slot 2 of `weights`; returns the flat offset.
///
/// The validator proved the map in bounds with zero reduction coefficients, so the flat index
/// is affine in the output index and always valid.
fn bias_weights(bm: &AffineMap, shape: &[usize], weights: &mut [[i64; 3]]) -> Option<i64> {
    let st = strides(shape);
    let mut offset = 0i128;
    for (row, &s) in bm.rows.iter().zip(&st) {
        let s = i128::try_from(s).ok()?;
        offset += i128::from(row.offset) * s;
        for (wt, &co) in weights.iter_mut().zip(&row.out) {
            wt[2] = i64::try_from(i128::from(wt[2]) + i128::from(co) * s).ok()?;
        }
    }
    i64::try_from(offset).ok()
}
