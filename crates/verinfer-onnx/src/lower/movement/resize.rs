//! `Resize` and `Upsample`: every output coordinate reads fixed input positions with fixed
//! weights, known at compile time from the (constant) scales or sizes.
//!
//! `nearest` is one constant `Move` over all axes. `linear` and `cubic` are separable: one
//! constant `Contract` per resized axis with an `[out, in]` interpolation matrix (each acts on
//! one axis, so the order does not matter). The matrix rows follow ONNX's reference, including
//! `antialias` (a kernel widened by the downscale factor) and `cubic_coeff_a`.
//! Neighbours past the edge are clamped to it (`exclude_outside` drops them and renormalizes);
//! `tf_crop_and_resize` positions outside the input read `extrapolation_value` (the `Move`'s
//! fill, or the `Contract`'s bias over an all-zero weight row).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_ir::{AffineMap, AffineRow};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};

use super::{check_size, to_i64};
use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Nearest,
    Linear,
    Cubic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coord {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    TfCropAndResize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nearest {
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
}

/// The input positions and weights one output position reads (`None`: it reads nothing and
/// takes the extrapolation value).
type Taps = Option<Vec<(usize, f64)>>;

/// Everything but the per-axis sizes.
#[derive(Clone, Debug)]
struct Spec {
    mode: Mode,
    coord: Coord,
    nearest: Nearest,
    cubic_a: f64,
    exclude_outside: bool,
    antialias: bool,
    extrapolation: f64,
}

/// One resized axis: input size, output size, scale, and the `roi` crop `[start, end]`.
#[derive(Clone, Copy, Debug)]
struct Axis {
    inp: usize,
    out: usize,
    scale: f64,
    roi: (f64, f64),
}

#[allow(clippy::cast_precision_loss)]
fn f(v: usize) -> f64 {
    v as f64
}

impl Spec {
    /// Input coordinate of output position `x` (ONNX's `coordinate_transformation_mode`).
    fn original(&self, ax: &Axis, x: usize) -> f64 {
        // As ONNX's reference, the modes that divide by the output length use the unrounded
        // `scale · in` (which differs from the integer output size when downsampling by scales).
        let (x, i, s) = (f(x), f(ax.inp), ax.scale);
        let o = s * i;
        match self.coord {
            Coord::HalfPixel => (x + 0.5) / s - 0.5,
            Coord::HalfPixelSymmetric => {
                let adjustment = f(ax.out) / o;
                let offset = i / 2.0 * (1.0 - adjustment);
                offset + (x + 0.5) / s - 0.5
            }
            Coord::PytorchHalfPixel if o == 1.0 => -0.5,
            Coord::PytorchHalfPixel => (x + 0.5) / s - 0.5,
            Coord::AlignCorners if o == 1.0 => 0.0,
            Coord::AlignCorners => x * (i - 1.0) / (o - 1.0),
            Coord::Asymmetric => x / s,
            Coord::TfHalfPixelForNn => (x + 0.5) / s,
            Coord::TfCropAndResize => {
                let (start, end) = ax.roi;
                let rel = if o == 1.0 {
                    (end - start) * (i - 1.0) / 2.0
                } else {
                    x * (end - start) * (i - 1.0) / (o - 1.0)
                };
                rel + start * (i - 1.0)
            }
        }
    }

    /// Weights of output position `x` over input positions (`None`: extrapolated).
    fn weights(&self, ax: &Axis, x: usize) -> Taps {
        let xo = self.original(ax, x);
        let last = ax.inp - 1;
        if self.coord == Coord::TfCropAndResize && (xo < 0.0 || xo > f(last)) {
            return None;
        }
        let fl = xo.floor();
        // Clamp a neighbour index to the edge.
        #[allow(clippy::cast_possible_truncation)]
        let clamp = |k: f64| -> usize {
            if k <= 0.0 {
                0
            } else {
                (k as usize).min(last)
            }
        };
        let r = xo - fl;
        if self.mode == Mode::Nearest {
            let up = r != 0.0
                && match self.nearest {
                    Nearest::RoundPreferFloor => r > 0.5,
                    Nearest::RoundPreferCeil => r >= 0.5,
                    Nearest::Floor => false,
                    Nearest::Ceil => true,
                };
            return Some(vec![(clamp(if up { fl + 1.0 } else { fl }), 1.0)]);
        }
        // As ONNX's reference: the taps sit at `base + j`, `j ∈ [start, 2 − start)`, with
        // weight `kernel((j − ratio)·s)`, where `ratio ∈ (0, 1]` (1 on a grid point) and `s`
        // is 1, or the downscale factor under `antialias` (which widens the kernel).
        let (base, ratio) = if r == 0.0 { (xo - 1.0, 1.0) } else { (fl, r) };
        let s = if self.antialias {
            ax.scale.min(1.0)
        } else {
            1.0
        };
        let a = self.cubic_a;
        let (support, kernel): (f64, &dyn Fn(f64) -> f64) = match self.mode {
            Mode::Linear => (1.0, &|t: f64| (1.0 - t.abs()).max(0.0)),
            _ => (2.0, &|t: f64| {
                // Keys' cubic kernel.
                let t = t.abs();
                if t <= 1.0 {
                    ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
                } else if t < 2.0 {
                    ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
                } else {
                    0.0
                }
            }),
        };
        let start = (-support / s).floor() + 1.0;
        let inside = |k: f64| k >= 0.0 && k <= f(last);
        let mut taps = vec![];
        let mut j = start;
        while j < 2.0 - start {
            let k = base + j;
            let w = if self.exclude_outside && !inside(k) {
                0.0
            } else {
                kernel((j - ratio) * s)
            };
            taps.push((k, w));
            j += 1.0;
        }
        let total: f64 = taps.iter().map(|t| t.1).sum();
        let norm = if total == 0.0 { 1.0 } else { total };
        Some(taps.iter().map(|&(k, w)| (clamp(k), w / norm)).collect())
    }
}

/// Read the attributes shared by `Resize` and `Upsample`.
fn spec(
    b: &Builder,
    at: &Attrs<'_>,
    coord_default: &str,
    nearest_default: &str,
) -> Result<Spec, OnnxError> {
    let mode = match at
        .string("mode")
        .unwrap_or_else(|| "nearest".into())
        .as_str()
    {
        "nearest" => Mode::Nearest,
        "linear" | "bilinear" | "trilinear" => Mode::Linear,
        "cubic" | "bicubic" => Mode::Cubic,
        other => return Err(b.unsupported(format!("mode '{other}'")).into()),
    };
    let coord = match at
        .string("coordinate_transformation_mode")
        .unwrap_or_else(|| coord_default.into())
        .as_str()
    {
        "half_pixel" => Coord::HalfPixel,
        "half_pixel_symmetric" => Coord::HalfPixelSymmetric,
        "pytorch_half_pixel" => Coord::PytorchHalfPixel,
        "align_corners" => Coord::AlignCorners,
        "asymmetric" => Coord::Asymmetric,
        "tf_half_pixel_for_nn" => Coord::TfHalfPixelForNn,
        "tf_crop_and_resize" => Coord::TfCropAndResize,
        other => {
            return Err(b
                .unsupported(format!("coordinate_transformation_mode '{other}'"))
                .into())
        }
    };
    let nearest = match at
        .string("nearest_mode")
        .unwrap_or_else(|| nearest_default.into())
        .as_str()
    {
        "round_prefer_floor" => Nearest::RoundPreferFloor,
        "round_prefer_ceil" => Nearest::RoundPreferCeil,
        "floor" => Nearest::Floor,
        "ceil" => Nearest::Ceil,
        other => return Err(b.unsupported(format!("nearest_mode '{other}'")).into()),
    };
    Ok(Spec {
        mode,
        coord,
        nearest,
        cubic_a: at.float_or("cubic_coeff_a", -0.75),
        exclude_outside: at.int_or("exclude_outside", 0) != 0,
        antialias: at.int_or("antialias", 0) != 0,
        extrapolation: at.float_or("extrapolation_value", 0.0),
    })
}

/// A constant float input, `None` when absent or empty.
fn const_floats(
    b: &Builder,
    node: &NodeProto,
    k: usize,
    what: &str,
) -> Result<Option<Vec<f64>>, OnnxError> {
    match opt_input(b, node, k)? {
        Some(r) => {
            let v = b.require_const(r, what)?;
            Ok((!v.is_empty()).then_some(v))
        }
        None => Ok(None),
    }
}

/// Lower `Resize` (opset 10: `X, scales`; 11+: `X, roi, scales, sizes`).
pub(super) fn resize(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let x = input(b, node, 0)?;
    let (sp, roi, scales, sizes) = if opset < 11 {
        let sp = spec(b, &at, "asymmetric", "floor")?;
        (sp, None, const_floats(b, node, 1, "scales")?, None)
    } else {
        let sp = spec(b, &at, "half_pixel", "round_prefer_floor")?;
        (
            sp,
            const_floats(b, node, 1, "roi")?,
            const_floats(b, node, 2, "scales")?,
            const_floats(b, node, 3, "sizes")?,
        )
    };
    let rank = b.shape(x).len();
    let axes = match at.ints("axes") {
        Some(a) => b.axes(&a, rank)?,
        None => (0..rank).collect(),
    };
    let policy = at
        .string("keep_aspect_ratio_policy")
        .unwrap_or_else(|| "stretch".into());
    apply(b, x, &sp, &axes, roi, scales, sizes, &policy)
}

/// Lower `Upsample` (opset 7–8: `scales` attribute; 9: `scales` input): asymmetric
/// coordinates, nearest rounds down.
pub(super) fn upsample(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let x = input(b, node, 0)?;
    let sp = spec(b, &Attrs(node), "asymmetric", "floor")?;
    let scales = match at.floats("scales") {
        Some(s) => Some(s),
        None => const_floats(b, node, 1, "scales")?,
    };
    let rank = b.shape(x).len();
    let axes: Vec<usize> = (0..rank).collect();
    apply(b, x, &sp, &axes, None, scales, None, "stretch")
}

/// Per-axis sizes from scales or sizes, then the movement or the interpolation.
#[allow(clippy::too_many_arguments)]
fn apply(
    b: &mut Builder,
    x: FRef,
    sp: &Spec,
    axes: &[usize],
    roi: Option<Vec<f64>>,
    scales: Option<Vec<f64>>,
    sizes: Option<Vec<f64>>,
    policy: &str,
) -> Result<FRef, OnnxError> {
    let shape = b.shape(x);
    let rank = shape.len();
    if shape.contains(&0) {
        return Err(b.err(format!("empty input {shape:?}")).into());
    }
    let mut ax: Vec<Axis> = shape
        .iter()
        .map(|&d| Axis {
            inp: d,
            out: d,
            scale: 1.0,
            roi: (0.0, 1.0),
        })
        .collect();
    if let Some(r) = &roi {
        if sp.coord == Coord::TfCropAndResize {
            if r.len() != 2 * axes.len() {
                refuse!(b, "roi has {} values, expected {}", r.len(), 2 * axes.len());
            }
            for (k, &a) in axes.iter().enumerate() {
                ax[a].roi = (r[k], r[k + axes.len()]);
            }
        }
    }
    let to_size = |b: &Builder, v: f64| -> Result<usize, OnnxError> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let u = v as usize;
        if !(v >= 1.0 && v <= f(super::MAX_ELEMS)) {
            refuse!(b, "output size {v} is not a positive size");
        }
        Ok(u)
    };
    match (scales, sizes) {
        (Some(s), None) => {
            if s.len() != axes.len() {
                refuse!(b, "scales has {} values for {} axes", s.len(), axes.len());
            }
            for (k, &a) in axes.iter().enumerate() {
                if !(s[k] > 0.0 && s[k].is_finite()) {
                    return Err(b.err(format!("scale {} must be positive", s[k])).into());
                }
                // `floor(in · scale)`, the roi not counted (as ONNX's reference).
                ax[a].scale = s[k];
                ax[a].out = to_size(b, (f(ax[a].inp) * s[k]).floor())?;
            }
        }
        (None, Some(z)) => {
            if z.len() != axes.len() {
                refuse!(b, "sizes has {} values for {} axes", z.len(), axes.len());
            }
            let ratios: Vec<f64> = axes
                .iter()
                .zip(&z)
                .map(|(&a, &o)| o / f(ax[a].inp))
                .collect();
            let uniform = match policy {
                "stretch" => None,
                "not_larger" => ratios.iter().copied().reduce(f64::min),
                "not_smaller" => ratios.iter().copied().reduce(f64::max),
                other => {
                    return Err(b
                        .unsupported(format!("keep_aspect_ratio_policy '{other}'"))
                        .into())
                }
            };
            for (k, &a) in axes.iter().enumerate() {
                match uniform {
                    Some(u) => {
                        ax[a].scale = u;
                        ax[a].out = to_size(b, (u * f(ax[a].inp) + 0.5).floor())?;
                    }
                    None => {
                        ax[a].out = to_size(b, z[k])?;
                        ax[a].scale = ratios[k];
                    }
                }
            }
        }
        (Some(_), Some(_)) => return Err(b.err("both scales and sizes are given").into()),
        (None, None) => return Err(b.err("neither scales nor sizes is given").into()),
    }
    let out: Vec<usize> = ax.iter().map(|a| a.out).collect();
    check_size(b, &out)?;
    let weights: Vec<Vec<Taps>> = ax
        .iter()
        .map(|a| (0..a.out).map(|o| sp.weights(a, o)).collect())
        .collect();
    let identity = |a: usize| {
        ax[a].inp == ax[a].out
            && weights[a]
                .iter()
                .enumerate()
                .all(|(o, w)| matches!(w.as_deref(), Some([(i, v)]) if *i == o && *v == 1.0))
    };
    if sp.mode == Mode::Nearest {
        if (0..rank).all(identity) {
            return Ok(x);
        }
        let st = strides(&shape);
        let mut idx = vec![0usize; rank];
        let map = (0..numel(&out))
            .map(|j| {
                unravel_into(j, &out, &mut idx);
                let mut flat = 0usize;
                for (a, &o) in idx.iter().enumerate() {
                    match weights[a]
                        .get(o)
                        .and_then(|w| w.as_ref())
                        .and_then(|w| w.first())
                    {
                        Some(&(i, _)) => flat += i * st[a],
                        None => return -1,
                    }
                }
                to_i64(flat)
            })
            .collect();
        return Ok(b.move_map(vec![x], out, map, sp.extrapolation));
    }
    let mut y = x;
    for a in (0..rank).rev() {
        if identity(a) {
            continue;
        }
        y = interpolate_axis(b, y, a, ax[a].inp, &weights[a], sp.extrapolation)?;
    }
    Ok(y)
}

/// `y[.., o, ..] = Σ_i W[o, i] · x[.., i, ..]` along axis `a`, plus the extrapolation value on
/// rows that read nothing.
fn interpolate_axis(
    b: &mut Builder,
    x: FRef,
    a: usize,
    inp: usize,
    rows: &[Taps],
    extrapolation: f64,
) -> Result<FRef, OnnxError> {
    let mut out = b.shape(x);
    let rank = out.len();
    let o_n = rows.len();
    out[a] = o_n;
    let mut w = vec![0.0; o_n * inp];
    let mut bias = vec![0.0; o_n];
    for (o, r) in rows.iter().enumerate() {
        match r {
            Some(taps) => taps.iter().for_each(|&(i, v)| w[o * inp + i] += v),
            None => bias[o] = extrapolation,
        }
    }
    let name = format!("{}/interp{a}", b.node_name());
    let wc = b.constant(&name, vec![o_n, inp], w);
    let row = |out_ax: Option<usize>, red: bool| {
        let mut o = vec![0i64; rank];
        if let Some(k) = out_ax {
            o[k] = 1;
        }
        AffineRow {
            out: o,
            red: vec![i64::from(red)],
            offset: 0,
        }
    };
    let x_rows = (0..rank)
        .map(|j| {
            if j == a {
                row(None, true)
            } else {
                row(Some(j), false)
            }
        })
        .collect();
    let mut spec = ContractSpec {
        out_iter: out.clone(),
        red: vec![inp],
        x_map: AffineMap { rows: x_rows },
        w_map: AffineMap {
            rows: vec![row(Some(a), false), row(None, true)],
        },
        bias_map: None,
    };
    if bias.iter().all(|&v| v == 0.0) {
        return Ok(b.contract(x, wc, None, spec, out)?);
    }
    let bname = format!("{}/extrapolation{a}", b.node_name());
    let bc = b.constant(&bname, vec![o_n], bias);
    spec.bias_map = Some(AffineMap {
        rows: vec![row(Some(a), false)],
    });
    Ok(b.contract(x, wc, Some(bc), spec, out)?)
}
