//! `ConvTranspose` as a zero-stuffing `Move` followed by one stride-1 convolution `Contract`.
//!
//! A transposed convolution writes input position `i`, kernel tap `k` to output position
//! `o = i·stride + k·dilation − pad_begin`, so output `o` reads `i = (o + pad_begin −
//! k·dilation) / stride` — not affine when `stride > 1`. Spreading the input with `stride − 1`
//! zeros between neighbours (`z[i·stride] = x[i]`, a constant index map) makes it affine:
//! `y[o] = Σ_k z[o + pad_begin − k·dilation] · w[k]`. The contraction reads the kernel
//! backwards (`w` row `K − 1 − k'`, an affine map with coefficient −1), so no flipped copy of
//! the weights is made, and reads outside `z` are zero terms, so `output_padding` and padding
//! cost nothing. Groups split channels as in `Conv`; `W` is `[C, M/group, K...]`.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::AffineRow;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use super::{
    contract_with_bias, conv_dims, conv_out, conv_spec, kernel_and_group, spatial_attr, to_i64,
    LIMIT,
};
use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::movement::divides;

/// Per-axis geometry of a transposed convolution.
struct Geometry {
    strides: Vec<usize>,
    dilations: Vec<usize>,
    /// Leading padding (negative when `output_shape` asks for more than the full output).
    pad_begin: Vec<i64>,
    out: Vec<usize>,
}

/// Strides, dilations, leading padding and output size from the attributes (ONNX's rules:
/// an explicit `output_shape`, or `auto_pad` SAME_*, fixes the output and splits the total
/// padding; otherwise `pads` and `output_padding` give it).
fn geometry(
    b: &Builder,
    at: &Attrs<'_>,
    spatial: &[usize],
    kernel: &[usize],
) -> Result<Geometry, OnnxError> {
    let k = spatial.len();
    let strides = spatial_attr(b, at, "strides", k, 1, 1)?;
    let dilations = spatial_attr(b, at, "dilations", k, 1, 1)?;
    let out_pad = spatial_attr(b, at, "output_padding", k, 0, 0)?;
    let auto_pad = at.string("auto_pad").unwrap_or_default();
    let explicit = match auto_pad.as_str() {
        "" | "NOTSET" => spatial_attr(b, at, "pads", 2 * k, 0, 0)?,
        "VALID" | "SAME_UPPER" | "SAME_LOWER" => vec![0; 2 * k],
        other => return Err(b.unsupported(format!("auto_pad '{other}'")).into()),
    };
    let requested = match at.ints("output_shape") {
        // Spatial dims only, or (as some exporters write it) with N and C in front.
        Some(v) if v.len() == k || v.len() == k + 2 => Some(v[v.len() - k..].to_vec()),
        Some(v) => {
            return Err(b
                .err(format!(
                    "output_shape {v:?} has the wrong length for {k} spatial axes"
                ))
                .into())
        }
        None => None,
    };
    if spatial.iter().chain(kernel).any(|&d| d > LIMIT) {
        return Err(b.err("spatial dims or kernel too large").into());
    }
    let mut pad_begin = Vec::with_capacity(k);
    let mut out = Vec::with_capacity(k);
    for a in 0..k {
        let (s, d) = (to_i64(strides[a]), to_i64(dilations[a]));
        let ext = (to_i64(kernel[a]) - 1) * d + 1;
        let full = s * (to_i64(spatial[a]) - 1) + to_i64(out_pad[a]) + ext;
        let target = match (&requested, auto_pad.as_str()) {
            (Some(r), _) => Some(r[a]),
            (None, "SAME_UPPER" | "SAME_LOWER") => Some(to_i64(spatial[a]) * s),
            _ => None,
        };
        let (pb, o) = match target {
            Some(t) => {
                // Floor division, as ONNX's reference: a negative total (an output larger
                // than the full one) puts the extra position at the end.
                let total = full - t;
                let pb = if auto_pad == "SAME_UPPER" {
                    total.div_euclid(2)
                } else {
                    total - total.div_euclid(2)
                };
                (pb, t)
            }
            None => {
                let (pb, pe) = (to_i64(explicit[a]), to_i64(explicit[a + k]));
                (pb, full - pb - pe)
            }
        };
        pad_begin.push(pb);
        out.push(
            usize::try_from(o)
                .ok()
                .filter(|&o| o > 0 && o <= LIMIT)
                .ok_or_else(|| b.err(format!("output size {o} along spatial axis {a}")))?,
        );
    }
    Ok(Geometry {
        strides,
        dilations,
        pad_begin,
        out,
    })
}

/// `x` with `stride − 1` zeros inserted between neighbours along every spatial axis.
fn zero_stuff(b: &mut Builder, x: FRef, strides: &[usize]) -> Result<FRef, OnnxError> {
    if strides.iter().all(|&s| s == 1) {
        return Ok(x);
    }
    let sx = b.shape(x);
    let mut zs = sx.clone();
    for (a, &s) in strides.iter().enumerate() {
        zs[2 + a] = (sx[2 + a] - 1) * s + 1;
    }
    if numel(&zs) > super::MAX_WINDOW_ELEMS {
        return Err(b
            .unsupported(format!("zero-stuffed input {zs:?} is too large"))
            .into());
    }
    let st = verinfer_ir::shape::strides(&sx);
    let mut idx = vec![0usize; zs.len()];
    let map = (0..numel(&zs))
        .map(|j| {
            unravel_into(j, &zs, &mut idx);
            let mut f = 0usize;
            for (ax, &i) in idx.iter().enumerate() {
                let s = if ax >= 2 { strides[ax - 2] } else { 1 };
                if i % s != 0 {
                    return -1;
                }
                f += (i / s) * st[ax];
            }
            i64::try_from(f).unwrap_or(-1)
        })
        .collect();
    Ok(b.move_map(vec![x], zs, map, 0.0))
}

/// Lower `ConvTranspose`.
pub(super) fn conv_transpose(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let x = input(b, node, 0)?;
    let w = input(b, node, 1)?;
    let bias = opt_input(b, node, 2)?;
    let (sx, sw) = (b.shape(x), b.shape(w));
    if sx.len() < 3 || sw.len() != sx.len() || sx.contains(&0) || sw.contains(&0) {
        return Err(b.err(format!("ConvTranspose needs non-empty X of shape [N, C, spatial...] (rank ≥ 3) and W of the same rank, got {sx:?} and {sw:?}")).into());
    }
    let k = sx.len() - 2;
    let (n, c, mg) = (sx[0], sx[1], sw[1]);
    let (kernel, g) = kernel_and_group(b, &at, &sw)?;
    if sw[0] != c || !divides(c, g) {
        return Err(b.err(format!("X has {c} channels and W is {sw:?} with group {g}: need W[0] = C, divisible by group")).into());
    }
    let (cg, m) = (c / g, mg * g);
    let geo = geometry(b, &at, &sx[2..], &kernel)?;
    let z = zero_stuff(b, x, &geo.strides)?;
    let grouped = g > 1;
    let (out_iter, so, red) = conv_dims(n, g, mg, cg, &geo.out, &kernel);
    let (no, nr) = (out_iter.len(), 1 + k);
    let (m_row, c_row, mi_row) = if grouped {
        (
            AffineRow::terms(no, nr, &[(1, to_i64(mg)), (2, 1)], &[], 0),
            AffineRow::terms(no, nr, &[(1, to_i64(cg))], &[(0, 1)], 0),
            AffineRow::terms(no, nr, &[(2, 1)], &[], 0),
        )
    } else {
        (
            AffineRow::terms(no, nr, &[(1, 1)], &[], 0),
            AffineRow::terms(no, nr, &[], &[(0, 1)], 0),
            AffineRow::terms(no, nr, &[(1, 1)], &[], 0),
        )
    };
    let mut x_rows = vec![AffineRow::terms(no, nr, &[(0, 1)], &[], 0), c_row.clone()];
    let mut w_rows = vec![c_row, mi_row];
    for (a, &ka) in kernel.iter().enumerate() {
        let d = to_i64(geo.dilations[a]);
        let last = to_i64(ka) - 1;
        // z[o + pad_begin − (K−1−k')·d] · w[K−1−k'].
        x_rows.push(AffineRow::terms(
            no,
            nr,
            &[(so + a, 1)],
            &[(1 + a, d)],
            geo.pad_begin[a] - last * d,
        ));
        w_rows.push(AffineRow::terms(no, nr, &[], &[(1 + a, -1)], last));
    }
    let spec = conv_spec(out_iter, red, x_rows, w_rows);
    contract_with_bias(b, z, w, bias, spec, conv_out(n, m, &geo.out), m_row, k)
}
