//! `Conv` as one contraction; `MaxPool`, `AveragePool` and the global pools as a window
//! gather (`Move`) followed by a reduction.
//!
//! A convolution reads its input through affine maps: output position `o`, kernel tap `k`
//! read input position `o·stride + k·dilation − pad_begin`, and positions outside the input
//! are zero terms, so padding costs nothing. Groups split the output channel axis into
//! `[group, channels per group]` in the contraction's iteration dims, which keeps the input
//! channel `group·(C/G) + c` affine.
//!
//! `ConvTranspose` (in [`transpose`]) spreads its input with zeros, then convolves.
//!
//! Pools gather every window into a trailing axis (padding is the fill value: −∞ for max,
//! 0 for average) and reduce that axis.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{AffineMap, AffineRow, BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};

use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::movement::divides;
use crate::lower::Lowered;

mod transpose;

/// Op types lowered here.
pub const OPS: &[&str] = &[
    "AveragePool",
    "Conv",
    "ConvTranspose",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "MaxPool",
];

/// Largest window gather (elements of the index map) a pool may lower to.
pub const MAX_WINDOW_ELEMS: usize = 1 << 28;

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    let r = match node.op_type.as_str() {
        "Conv" => conv(b, node),
        "ConvTranspose" => transpose::conv_transpose(b, node),
        "MaxPool" => max_pool(b, node),
        "AveragePool" => average_pool(b, node),
        "GlobalAveragePool" => global_pool(b, node, ReduceKind::Sum),
        "GlobalMaxPool" => global_pool(b, node, ReduceKind::Max),
        _ => return None,
    };
    Some(r.map(|r| vec![r]))
}

/// Sliding-window geometry over the spatial axes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Window {
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    pad_begin: Vec<usize>,
    pad_end: Vec<usize>,
    /// Output spatial dims.
    out: Vec<usize>,
}

impl Window {
    /// Input coordinate read by output position `o` and kernel tap `k` along spatial axis `a`.
    fn coord(&self, a: usize, o: usize, k: usize) -> i64 {
        to_i64(o) * to_i64(self.strides[a]) + to_i64(k) * to_i64(self.dilations[a])
            - to_i64(self.pad_begin[a])
    }
}

/// Bound on every attribute value and spatial size (keeps window arithmetic far from overflow).
const LIMIT: usize = 1 << 31;

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Positive integers from an attribute (`default` when absent), one per spatial axis.
fn spatial_attr(
    b: &Builder,
    at: &Attrs<'_>,
    name: &str,
    k: usize,
    default: usize,
    min: i64,
) -> Result<Vec<usize>, OnnxError> {
    let Some(v) = at.ints(name) else {
        return Ok(vec![default; k]);
    };
    if v.len() != k {
        refuse!(b, "{name} has {} values, expected {k}", v.len());
    }
    v.iter()
        .map(|&x| {
            usize::try_from(x)
                .ok()
                .filter(|&u| x >= min && u <= LIMIT)
                .ok_or_else(|| {
                    b.err(format!("{name} value {x} is outside [{min}, 2^31]"))
                        .into()
                })
        })
        .collect()
}

/// Geometry from `auto_pad`, `pads`, `strides`, `dilations` (and `ceil_mode` for pools) for
/// an input with spatial dims `spatial` and the given kernel.
fn window(
    b: &Builder,
    at: &Attrs<'_>,
    spatial: &[usize],
    kernel: Vec<usize>,
    ceil_mode: bool,
) -> Result<Window, OnnxError> {
    let k = spatial.len();
    let strides = spatial_attr(b, at, "strides", k, 1, 1)?;
    let dilations = spatial_attr(b, at, "dilations", k, 1, 1)?;
    let auto_pad = at.string("auto_pad").unwrap_or_default();
    let mut pad_begin = vec![0usize; k];
    let mut pad_end = vec![0usize; k];
    let mut out = vec![0usize; k];
    let explicit = if matches!(auto_pad.as_str(), "" | "NOTSET") {
        spatial_attr(b, at, "pads", 2 * k, 0, 0)?
    } else {
        vec![0; 2 * k]
    };
    if spatial.iter().chain(&kernel).any(|&d| d > LIMIT) {
        refuse!(b, "spatial dims {spatial:?} or kernel {kernel:?} too large");
    }
    for a in 0..k {
        let (d, s) = (to_i64(spatial[a]), to_i64(strides[a]));
        // Extent of one dilated window.
        let ext = to_i64(kernel[a])
            .saturating_sub(1)
            .saturating_mul(to_i64(dilations[a]))
            .saturating_add(1);
        let o = match auto_pad.as_str() {
            "" | "NOTSET" => {
                let (pb, pe) = (explicit[a], explicit[a + k]);
                (pad_begin[a], pad_end[a]) = (pb, pe);
                let span = d + to_i64(pb) + to_i64(pe) - ext;
                if span < 0 {
                    return Err(b.err(format!("window of extent {ext} does not fit spatial axis {a} of size {d} padded by ({pb}, {pe})")).into());
                }
                let mut o = if ceil_mode {
                    (span + s - 1) / s + 1
                } else {
                    span / s + 1
                };
                // The last window must start inside the input or the leading padding.
                if ceil_mode && (o - 1) * s >= d + to_i64(pb) {
                    o -= 1;
                }
                o
            }
            "SAME_UPPER" | "SAME_LOWER" => {
                let o = (d + s - 1) / s;
                let total = ((o - 1) * s + ext - d).max(0);
                let small = usize::try_from(total / 2).unwrap_or(0);
                let large = usize::try_from(total - total / 2).unwrap_or(0);
                (pad_begin[a], pad_end[a]) = if auto_pad == "SAME_UPPER" {
                    (small, large)
                } else {
                    (large, small)
                };
                o
            }
            "VALID" => {
                if d < ext {
                    refuse!(
                        b,
                        "window of extent {ext} does not fit spatial axis {a} of size {d}"
                    );
                }
                (d - ext) / s + 1
            }
            other => return Err(b.unsupported(format!("auto_pad '{other}'")).into()),
        };
        out[a] = usize::try_from(o)
            .ok()
            .filter(|&o| o > 0)
            .ok_or_else(|| b.err(format!("empty output along spatial axis {a}")))?;
    }
    Ok(Window {
        kernel,
        strides,
        dilations,
        pad_begin,
        pad_end,
        out,
    })
}

fn conv(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let w = input(b, node, 1)?;
    let bias = opt_input(b, node, 2)?;
    conv_refs(b, node, x, w, bias)
}

/// A convolution of `x` by `w` (+ `bias`) with `node`'s attributes: `Conv`, and the integer
/// convolutions of already-quantized models, whose operands are not inputs 0, 1, 2.
pub(super) fn conv_refs(
    b: &mut Builder,
    node: &NodeProto,
    x: FRef,
    w: FRef,
    bias: Option<FRef>,
) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let (sx, sw) = (b.shape(x), b.shape(w));
    if sx.len() < 3 || sw.len() != sx.len() {
        return Err(b.err(format!("Conv needs X of shape [N, C, spatial...] (rank ≥ 3) and W of the same rank, got {sx:?} and {sw:?}")).into());
    }
    let k = sx.len() - 2;
    let (n, c, m, cg) = (sx[0], sx[1], sw[0], sw[1]);
    let (kernel, g) = kernel_and_group(b, &at, &sw)?;
    if cg == 0 || c != cg * g || !divides(m, g) || m == 0 {
        return Err(b.err(format!("X has {c} channels and W is {sw:?} with group {g}: need C = W[1]·group and W[0] divisible by group")).into());
    }
    let win = window(b, &at, &sx[2..], kernel.clone(), false)?;
    let mg = m / g;
    let grouped = g > 1;
    let (out_iter, so, red) = conv_dims(n, g, mg, cg, &win.out, &kernel);
    let (no, nr) = (out_iter.len(), 1 + k);
    let m_row = if grouped {
        AffineRow::terms(no, nr, &[(1, to_i64(mg)), (2, 1)], &[], 0)
    } else {
        AffineRow::terms(no, nr, &[(1, 1)], &[], 0)
    };
    let mut x_rows = vec![AffineRow::terms(no, nr, &[(0, 1)], &[], 0)];
    x_rows.push(if grouped {
        AffineRow::terms(no, nr, &[(1, to_i64(cg))], &[(0, 1)], 0)
    } else {
        AffineRow::terms(no, nr, &[], &[(0, 1)], 0)
    });
    let mut w_rows = vec![m_row.clone(), AffineRow::terms(no, nr, &[], &[(0, 1)], 0)];
    for a in 0..k {
        let (s, d, p) = (
            to_i64(win.strides[a]),
            to_i64(win.dilations[a]),
            to_i64(win.pad_begin[a]),
        );
        x_rows.push(AffineRow::terms(no, nr, &[(so + a, s)], &[(1 + a, d)], -p));
        w_rows.push(AffineRow::terms(no, nr, &[], &[(1 + a, 1)], 0));
    }
    let spec = conv_spec(out_iter, red, x_rows, w_rows);
    contract_with_bias(b, x, w, bias, spec, conv_out(n, m, &win.out), m_row, k)
}

/// The kernel's spatial extent (W's trailing dims, which an explicit `kernel_shape` must
/// match) and the `group` count (≥ 1): read alike by `Conv` and `ConvTranspose`.
pub(super) fn kernel_and_group(
    b: &Builder,
    at: &Attrs<'_>,
    sw: &[usize],
) -> Result<(Vec<usize>, usize), OnnxError> {
    let kernel = sw[2..].to_vec();
    if let Some(ks) = at.ints("kernel_shape") {
        if ks.len() != kernel.len()
            || ks
                .iter()
                .zip(&kernel)
                .any(|(&a, &d)| usize::try_from(a).ok() != Some(d))
        {
            refuse!(b, "kernel_shape {ks:?} disagrees with W of shape {sw:?}");
        }
    }
    let g = usize::try_from(at.int_or("group", 1))
        .ok()
        .filter(|&g| g >= 1)
        .ok_or_else(|| b.err("group must be ≥ 1"))?;
    Ok((kernel, g))
}

/// A (transposed) convolution's iteration dims `[N, G, M/G, O...]` (`[N, M, O...]` without
/// groups), where its spatial outputs start among them, and its reduction dims `[C/G, K...]`.
pub(super) fn conv_dims(
    n: usize,
    g: usize,
    mg: usize,
    cg: usize,
    spatial_out: &[usize],
    kernel: &[usize],
) -> (Vec<usize>, usize, Vec<usize>) {
    let mut out_iter = if g > 1 {
        vec![n, g, mg]
    } else {
        vec![n, mg * g]
    };
    let so = out_iter.len();
    out_iter.extend(spatial_out);
    let mut red = vec![cg];
    red.extend(kernel);
    (out_iter, so, red)
}

/// The contraction of `out_iter` over `red` reading `x` and `w` through those rows, its bias
/// left to [`contract_with_bias`].
pub(super) fn conv_spec(
    out_iter: Vec<usize>,
    red: Vec<usize>,
    x_rows: Vec<AffineRow>,
    w_rows: Vec<AffineRow>,
) -> ContractSpec {
    ContractSpec {
        out_iter,
        red,
        x_map: AffineMap { rows: x_rows },
        w_map: AffineMap { rows: w_rows },
        bias_map: None,
    }
}

/// The output shape `[N, M, spatial...]`.
pub(super) fn conv_out(n: usize, m: usize, spatial_out: &[usize]) -> Vec<usize> {
    let mut out = vec![n, m];
    out.extend(spatial_out);
    out
}

/// The convolution `spec` of `x` and `w` into `out` (`[N, M, spatial × k]`), plus the bias of
/// length `M` when given: folded into the contraction (read by `m_row`) when constant,
/// otherwise added after it. Shared by `Conv` and `ConvTranspose`.
#[allow(clippy::too_many_arguments)]
pub(super) fn contract_with_bias(
    b: &mut Builder,
    x: FRef,
    w: FRef,
    bias: Option<FRef>,
    mut spec: ContractSpec,
    out: Vec<usize>,
    m_row: AffineRow,
    k: usize,
) -> Result<FRef, OnnxError> {
    let m = out[1];
    let Some(bias) = bias else {
        return Ok(b.contract(x, w, None, spec, out)?);
    };
    let sb = b.shape(bias);
    if sb != [m] {
        refuse!(b, "bias has shape {sb:?}, expected [{m}]");
    }
    if b.const_data(bias).is_some() {
        spec.bias_map = Some(AffineMap { rows: vec![m_row] });
        return Ok(b.contract(x, w, Some(bias), spec, out)?);
    }
    let y = b.contract(x, w, None, spec, out)?;
    let mut bshape = vec![m];
    bshape.extend(std::iter::repeat_n(1, k));
    let bias = b.reshape(bias, bshape)?;
    Ok(b.binary(BinaryKind::Add, y, bias)?)
}

/// Input of a pool: `[N, C, spatial...]` with the window geometry from the attributes.
fn pool_window(b: &Builder, node: &NodeProto, x: FRef) -> Result<Window, OnnxError> {
    let at = Attrs(node);
    let sx = b.shape(x);
    if sx.len() < 3 {
        refuse!(
            b,
            "pooling needs an input of shape [N, C, spatial...], got {sx:?}"
        );
    }
    let k = sx.len() - 2;
    if !at.has("kernel_shape") {
        return Err(b.err("missing required attribute kernel_shape").into());
    }
    let kernel = spatial_attr(b, &at, "kernel_shape", k, 1, 1)?;
    window(b, &at, &sx[2..], kernel, at.int_or("ceil_mode", 0) != 0)
}

/// Gather every window of `x` (shape `[N, C, spatial...]`) into a trailing axis:
/// `[N, C, out..., Π kernel]`, `fill` where a tap falls outside the input.
fn gather_windows(b: &mut Builder, x: FRef, win: &Window, fill: f64) -> Result<FRef, OnnxError> {
    let sx = b.shape(x);
    let k = win.kernel.len();
    let spatial = &sx[2..];
    let taps = numel(&win.kernel);
    let mut shape = sx[..2].to_vec();
    shape.extend(&win.out);
    shape.push(taps);
    let total = numel(&shape);
    if total > MAX_WINDOW_ELEMS {
        return Err(b
            .unsupported(format!(
                "window gather of {total} elements (limit {MAX_WINDOW_ELEMS})"
            ))
            .into());
    }
    let planes = sx[0].saturating_mul(sx[1]);
    let plane = numel(spatial);
    let n_out = numel(&win.out);
    let mut o = vec![0usize; k];
    let mut t = vec![0usize; k];
    let mut map = Vec::with_capacity(total);
    for p in 0..planes {
        for oj in 0..n_out {
            unravel_into(oj, &win.out, &mut o);
            for tj in 0..taps {
                unravel_into(tj, &win.kernel, &mut t);
                let mut flat = 0i64;
                let mut inside = true;
                for a in 0..k {
                    let i = win.coord(a, o[a], t[a]);
                    inside &= i >= 0 && i < to_i64(spatial[a]);
                    flat = flat.saturating_mul(to_i64(spatial[a])).saturating_add(i);
                }
                map.push(if inside {
                    to_i64(p.saturating_mul(plane)).saturating_add(flat)
                } else {
                    -1
                });
            }
        }
    }
    Ok(b.move_map(vec![x], shape, map, fill))
}

/// Reduce the trailing window axis made by [`gather_windows`].
fn reduce_windows(b: &mut Builder, g: FRef, kind: ReduceKind) -> Result<FRef, OnnxError> {
    let mut s = b.shape(g);
    if s.last() == Some(&1) {
        s.pop();
        return Ok(b.reshape(g, s)?);
    }
    Ok(b.reduce(g, kind, &[-1], false)?)
}

fn max_pool(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    if node.output.get(1).is_some_and(|s| !s.is_empty()) {
        return Err(b.unsupported("the Indices output").into());
    }
    let x = input(b, node, 0)?;
    let win = pool_window(b, node, x)?;
    let g = gather_windows(b, x, &win, f64::NEG_INFINITY)?;
    reduce_windows(b, g, ReduceKind::Max)
}

fn average_pool(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let win = pool_window(b, node, x)?;
    let include_pad = Attrs(node).int_or("count_include_pad", 0) != 0;
    let sx = b.shape(x);
    let spatial = &sx[2..];
    // Per axis and output position, the taps that count: inside the input, or (with
    // count_include_pad) inside the explicitly padded input.
    let counts: Vec<Vec<usize>> = (0..spatial.len())
        .map(|a| {
            let (lo, hi) = if include_pad {
                (
                    -to_i64(win.pad_begin[a]),
                    to_i64(spatial[a]) + to_i64(win.pad_end[a]),
                )
            } else {
                (0, to_i64(spatial[a]))
            };
            (0..win.out[a])
                .map(|o| {
                    (0..win.kernel[a])
                        .filter(|&t| (lo..hi).contains(&win.coord(a, o, t)))
                        .count()
                })
                .collect()
        })
        .collect();
    let g = gather_windows(b, x, &win, 0.0)?;
    let sum = reduce_windows(b, g, ReduceKind::Sum)?;
    let mut o = vec![0usize; spatial.len()];
    let divisors: Vec<usize> = (0..numel(&win.out))
        .map(|j| {
            unravel_into(j, &win.out, &mut o);
            o.iter().enumerate().map(|(a, &i)| counts[a][i]).product()
        })
        .collect();
    let first = divisors.first().copied().unwrap_or(1);
    if divisors.iter().all(|&d| d == first) {
        #[allow(clippy::cast_precision_loss)]
        let f = if first == 0 { 0.0 } else { 1.0 / first as f64 };
        return Ok(b.scale(sum, f));
    }
    #[allow(clippy::cast_precision_loss)]
    let recip: Vec<f64> = divisors
        .iter()
        .map(|&d| if d == 0 { 0.0 } else { 1.0 / d as f64 })
        .collect();
    let name = format!(
        "{}/divisors",
        node.output.first().map_or("AveragePool", String::as_str)
    );
    let r = b.constant(&name, win.out.clone(), recip);
    Ok(b.binary(BinaryKind::Mul, sum, r)?)
}

fn global_pool(b: &mut Builder, node: &NodeProto, kind: ReduceKind) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    if sx.len() < 2 {
        refuse!(
            b,
            "global pooling needs an input of shape [N, C, spatial...], got {sx:?}"
        );
    }
    let axes: Vec<i64> = (2..sx.len()).map(to_i64).collect();
    let y = b.reduce(x, kind, &axes, true)?;
    match kind {
        ReduceKind::Max => Ok(y),
        ReduceKind::Sum => {
            let count = numel(&sx[2..]);
            if count == 0 {
                return Err(b.err("global pooling over an empty spatial extent").into());
            }
            #[allow(clippy::cast_precision_loss)]
            let f = 1.0 / count as f64;
            Ok(b.scale(y, f))
        }
        // Callers pass only Sum (average pool) and Max; an index is no pooling.
        ReduceKind::ArgMax => Err(b.unsupported("ArgMax global pooling").into()),
    }
}

#[cfg(test)]
mod tests;
