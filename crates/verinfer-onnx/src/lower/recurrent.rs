//! Recurrent nets (`RNN`, `GRU`, `LSTM`), unrolled over the static sequence length.
//!
//! A compiled graph is static, so the recurrence is written out step by step: the input
//! projection of every step is one `Contract` (`X · Wᵀ` over the whole sequence), then each
//! step is a `Contract` with the recurrence weights, table lookups for the gate activations and
//! elementwise products, exactly as ONNX's equations read. Each direction runs separately;
//! `Y` stacks every step's hidden state with one `Move`. Nothing here is a new primitive, so
//! quantization, the arbiter and the circuits treat an unrolled net like any feed-forward graph.
//!
//! Supported: every direction (`forward`, `reverse`, `bidirectional`), both layouts, initial
//! states, biases, LSTM peepholes and `input_forget`, GRU `linear_before_reset`, `clip`, and the
//! activations ONNX lists for these ops. `sequence_lens` must be a constant equal to
//! the sequence length for every batch entry (shorter sequences are refused by name).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use super::elementwise::{add, mul, sub};
use super::linear::matmul;
use super::movement::{flat, move_by};
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &["GRU", "LSTM", "RNN"];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    let cell = match node.op_type.as_str() {
        "RNN" => Cell::Rnn,
        "GRU" => Cell::Gru {
            linear_before_reset: Attrs(node).int_or("linear_before_reset", 0) != 0,
        },
        "LSTM" => Cell::Lstm {
            input_forget: Attrs(node).int_or("input_forget", 0) != 0,
        },
        _ => return None,
    };
    Some(recurrent(b, node, cell))
}

/// Which recurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Rnn,
    Gru { linear_before_reset: bool },
    Lstm { input_forget: bool },
}

impl Cell {
    /// Gates stacked in `W`/`R` (ONNX order: RNN `i`; GRU `z r h`; LSTM `i o f c`).
    fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru { .. } => 3,
            Cell::Lstm { .. } => 4,
        }
    }

    /// ONNX's default activations (`f`, `g`, `h`) for one direction.
    fn default_activations(self) -> &'static [&'static str] {
        match self {
            Cell::Rnn => &["Tanh"],
            Cell::Gru { .. } => &["Sigmoid", "Tanh"],
            Cell::Lstm { .. } => &["Sigmoid", "Tanh", "Tanh"],
        }
    }
}

/// One gate activation with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Table(Func),
    Relu,
    LeakyRelu(f64),
    /// `α · tanh(β · x)`
    ScaledTanh(f64, f64),
    /// `α · x + β`
    Affine(f64, f64),
}

/// The activations, `per_dir` for each direction, with `activation_alpha`/`activation_beta`
/// consumed in order by the activations that take them (as onnxruntime reads them).
fn activations(
    b: &Builder,
    node: &NodeProto,
    cell: Cell,
    dirs: usize,
) -> Result<Vec<Act>, OnnxError> {
    let at = Attrs(node);
    let defaults = cell.default_activations();
    let names: Vec<String> = match at.strings("activations") {
        Some(v) if !v.is_empty() => v,
        _ => (0..dirs)
            .flat_map(|_| defaults.iter().map(|s| (*s).to_string()))
            .collect(),
    };
    if names.len() != defaults.len() * dirs {
        refuse!(
            b,
            "{} activations given, {} needs {} per direction ({dirs} directions)",
            names.len(),
            node.op_type,
            defaults.len()
        );
    }
    let alphas = at.floats("activation_alpha").unwrap_or_default();
    let betas = at.floats("activation_beta").unwrap_or_default();
    let (mut ai, mut bi) = (alphas.iter(), betas.iter());
    let mut alpha = |d: f64| ai.next().copied().unwrap_or(d);
    let mut beta = |d: f64| bi.next().copied().unwrap_or(d);
    names
        .iter()
        .map(|n| {
            Ok(match n.to_ascii_lowercase().as_str() {
                "sigmoid" => Act::Table(Func::Sigmoid),
                "tanh" => Act::Table(Func::Tanh),
                "relu" => Act::Relu,
                "softsign" => Act::Table(Func::Softsign),
                "softplus" => Act::Table(Func::Softplus),
                "leakyrelu" => Act::LeakyRelu(alpha(0.01)),
                "thresholdedrelu" => Act::Table(Func::ThresholdedRelu { alpha: alpha(1.0) }),
                "elu" => Act::Table(Func::Elu { alpha: alpha(1.0) }),
                "hardsigmoid" => Act::Table(Func::HardSigmoid {
                    alpha: alpha(0.2),
                    beta: beta(0.5),
                }),
                "scaledtanh" => Act::ScaledTanh(alpha(1.0), beta(1.0)),
                "affine" => Act::Affine(alpha(1.0), beta(0.0)),
                _ => {
                    return Err(b
                        .unsupported(format!("{} activation '{n}'", node.op_type))
                        .into())
                }
            })
        })
        .collect()
}

fn apply(b: &mut Builder, act: Act, x: FRef) -> Result<FRef, OnnxError> {
    Ok(match act {
        Act::Table(f) => b.func(x, f),
        Act::Relu => {
            let z = b.scalar(0.0);
            b.binary(BinaryKind::Max, x, z)?
        }
        Act::LeakyRelu(a) => {
            let kind = if a <= 1.0 {
                BinaryKind::Max
            } else {
                BinaryKind::Min
            };
            b.binary_f(kind, x, 1.0, x, a)?
        }
        Act::ScaledTanh(a, beta) => {
            let bx = b.scale(x, beta);
            let t = b.func(bx, Func::Tanh);
            b.scale(t, a)
        }
        Act::Affine(a, beta) => {
            let ax = b.scale(x, a);
            let c = b.scalar(beta);
            add(b, ax, c)?
        }
    })
}

/// `len` entries of `x` along `axis` from `start` (a `Move`; folds for constants).
pub(crate) fn take(
    b: &mut Builder,
    x: FRef,
    axis: usize,
    start: usize,
    len: usize,
) -> Result<FRef, OnnxError> {
    let s = b.shape(x);
    let mut out = s.clone();
    out[axis] = len;
    let mut src = vec![0usize; s.len()];
    move_by(b, vec![x], out, 0.0, |o| {
        src.copy_from_slice(o);
        src[axis] += start;
        Some(flat(&s, &src))
    })
}

/// `x[k]` along the leading axis, that axis dropped.
fn index0(b: &mut Builder, x: FRef, k: usize) -> Result<FRef, OnnxError> {
    let s = b.shape(x);
    let r = take(b, x, 0, k, 1)?;
    Ok(b.reshape(r, s[1..].to_vec())?)
}

/// Tensors of one shape stacked along a new leading axis (one `Move`).
pub(crate) fn stack(b: &mut Builder, parts: Vec<FRef>) -> Result<FRef, OnnxError> {
    let first = *parts.first().ok_or_else(|| b.err("nothing to stack"))?;
    let s = b.shape(first);
    let n = numel(&s);
    let mut out = vec![parts.len()];
    out.extend(&s);
    move_by(b, parts, out, 0.0, |o| Some(o[0] * n + flat(&s, &o[1..])))
}

/// Check `r`'s shape against `want`, naming the operand.
fn expect_shape(b: &Builder, r: FRef, want: &[usize], what: &str) -> Result<(), OnnxError> {
    let got = b.shape(r);
    if got != want {
        refuse!(b, "{what} has shape {got:?}, expected {want:?}");
    }
    Ok(())
}

/// Shapes and operands shared by every direction.
struct Spec {
    cell: Cell,
    seq: usize,
    batch: usize,
    hidden: usize,
    clip: Option<f64>,
}

/// One direction's weights, already sliced and transposed for `· Wᵀ`.
struct Dir {
    /// `X · Wᵀ + biases`, `[seq, batch, G·H]`.
    xw: FRef,
    /// `Rᵀ`, `[H, G·H]`.
    rt: FRef,
    /// GRU with `linear_before_reset`: `Rb_h`, added inside the reset product.
    rbh: Option<FRef>,
    /// LSTM peepholes `(P_i, P_o, P_f)`, each `[H]`.
    peep: Option<(FRef, FRef, FRef)>,
    /// Activations `f, g, h` (as many as the cell uses).
    acts: Vec<Act>,
    h0: FRef,
    c0: FRef,
}

fn recurrent(b: &mut Builder, node: &NodeProto, cell: Cell) -> Result<Vec<FRef>, OnnxError> {
    let at = Attrs(node);
    let layout = at.int_or("layout", 0);
    if !matches!(layout, 0 | 1) {
        return Err(b.err(format!("layout {layout} (must be 0 or 1)")).into());
    }
    let direction = at.string("direction").unwrap_or_else(|| "forward".into());
    let dirs = match direction.as_str() {
        "forward" | "reverse" => 1,
        "bidirectional" => 2,
        other => return Err(b.err(format!("direction '{other}'")).into()),
    };
    let mut x = input(b, node, 0)?;
    if b.shape(x).len() != 3 {
        refuse!(b, "X must have rank 3, got {:?}", b.shape(x));
    }
    if layout == 1 {
        x = b.transpose(x, &[1, 0, 2])?;
    }
    let sx = b.shape(x);
    let (seq, batch, in_size) = (sx[0], sx[1], sx[2]);
    let w = input(b, node, 1)?;
    let r = input(b, node, 2)?;
    let g = cell.gates();
    let rs = b.shape(r);
    let hidden = match at.int("hidden_size") {
        Some(h) => usize::try_from(h)
            .ok()
            .filter(|&h| h > 0)
            .ok_or_else(|| b.err(format!("hidden_size {h}")))?,
        None => *rs.get(2).ok_or_else(|| b.err("R must have rank 3"))?,
    };
    expect_shape(b, w, &[dirs, g * hidden, in_size], "W")?;
    expect_shape(b, r, &[dirs, g * hidden, hidden], "R")?;
    let bias = opt_input(b, node, 3)?;
    if let Some(bias) = bias {
        expect_shape(b, bias, &[dirs, 2 * g * hidden], "B")?;
    }
    if let Some(lens) = opt_input(b, node, 4)? {
        let lens = const_ints(b, lens, "sequence_lens")?;
        if lens.len() != batch || lens.iter().any(|&l| usize::try_from(l).ok() != Some(seq)) {
            return Err(b
                .unsupported(format!(
                    "sequence_lens {lens:?} other than the full sequence length {seq}"
                ))
                .into());
        }
    }
    let state = |b: &mut Builder, k: usize, what: &str| -> Result<Option<FRef>, OnnxError> {
        let Some(s) = opt_input(b, node, k)? else {
            return Ok(None);
        };
        let s = if layout == 1 {
            b.transpose(s, &[1, 0, 2])?
        } else {
            s
        };
        expect_shape(b, s, &[dirs, batch, hidden], what)?;
        Ok(Some(s))
    };
    let h0 = state(b, 5, "initial_h")?;
    let c0 = if matches!(cell, Cell::Lstm { .. }) {
        state(b, 6, "initial_c")?
    } else {
        None
    };
    let peep = match cell {
        Cell::Lstm { .. } => opt_input(b, node, 7)?,
        _ => None,
    };
    if let Some(p) = peep {
        expect_shape(b, p, &[dirs, 3 * hidden], "P")?;
    }
    let clip = at.float("clip");
    if clip.is_some_and(|c| c.is_nan() || c <= 0.0) {
        return Err(b.err(format!("clip {clip:?} must be positive")).into());
    }
    let acts = activations(b, node, cell, dirs)?;
    let per_dir = cell.default_activations().len();
    let spec = Spec {
        cell,
        seq,
        batch,
        hidden,
        clip,
    };
    let mut ys = Vec::with_capacity(dirs);
    let (mut hs, mut cs) = (Vec::with_capacity(dirs), Vec::with_capacity(dirs));
    for d in 0..dirs {
        let dir = direction_weights(
            b,
            &spec,
            [x, w, r],
            [bias, h0, c0, peep],
            d,
            acts[d * per_dir..(d + 1) * per_dir].to_vec(),
        )?;
        let reverse = direction == "reverse" || d == 1;
        let (y, h, c) = unroll(b, &spec, &dir, reverse)?;
        ys.push(y);
        hs.push(h);
        cs.push(c);
    }
    // Y: [seq, dirs, batch, H] from every (t, d) state.
    let want = |k: usize| node.output.get(k).is_some_and(|n| !n.is_empty());
    let mut outs = Vec::with_capacity(3);
    let y = if want(0) {
        let parts: Vec<FRef> = (0..seq)
            .flat_map(|t| ys.iter().map(move |y| y[t]))
            .collect();
        let y = stack(b, parts)?;
        let y = b.reshape(y, vec![seq, dirs, batch, hidden])?;
        if layout == 1 {
            b.transpose(y, &[2, 0, 1, 3])?
        } else {
            y
        }
    } else {
        b.scalar(0.0)
    };
    outs.push(y);
    for (k, last) in [(1, hs), (2, cs)] {
        if k == 2 && !matches!(cell, Cell::Lstm { .. }) {
            break;
        }
        let o = if want(k) {
            let s = stack(b, last)?;
            if layout == 1 {
                b.transpose(s, &[1, 0, 2])?
            } else {
                s
            }
        } else {
            b.scalar(0.0)
        };
        outs.push(o);
    }
    Ok(outs)
}

/// Slice direction `d`'s weights, biases, states and peepholes.
fn direction_weights(
    b: &mut Builder,
    spec: &Spec,
    [x, w, r]: [FRef; 3],
    [bias, h0, c0, peep]: [Option<FRef>; 4],
    d: usize,
    acts: Vec<Act>,
) -> Result<Dir, OnnxError> {
    let (h, gh) = (spec.hidden, spec.cell.gates() * spec.hidden);
    let wd = index0(b, w, d)?;
    let wt = b.transpose(wd, &[1, 0])?;
    let mut xw = matmul(b, x, wt)?;
    let rd = index0(b, r, d)?;
    let rt = b.transpose(rd, &[1, 0])?;
    let mut rbh = None;
    if let Some(bias) = bias {
        let bd = index0(b, bias, d)?;
        let wb = take(b, bd, 0, 0, gh)?;
        let lbr = matches!(
            spec.cell,
            Cell::Gru {
                linear_before_reset: true
            }
        );
        // With linear_before_reset, the h gate's recurrence bias goes inside `r ⊙ (·)`.
        let outer = if lbr { gh - h } else { gh };
        let rb = take(b, bd, 0, gh, outer)?;
        let rb = if lbr {
            rbh = Some(take(b, bd, 0, gh + outer, h)?);
            let name = format!("{}_zero_rb", b.node_name());
            let zeros = b.constant(&name, vec![h], vec![0.0; h]);
            concat1(b, rb, zeros)?
        } else {
            rb
        };
        let both = add(b, wb, rb)?;
        xw = add(b, xw, both)?;
    }
    let state = |b: &mut Builder, s: Option<FRef>, what: &str| -> Result<FRef, OnnxError> {
        match s {
            Some(s) => index0(b, s, d),
            None => {
                let name = format!("{}_{what}0", b.node_name());
                Ok(b.constant(&name, vec![spec.batch, h], vec![0.0; spec.batch * h]))
            }
        }
    };
    let h0 = state(b, h0, "h")?;
    let c0 = state(b, c0, "c")?;
    let peep = match peep {
        Some(p) => {
            let pd = index0(b, p, d)?;
            Some((
                take(b, pd, 0, 0, h)?,
                take(b, pd, 0, h, h)?,
                take(b, pd, 0, 2 * h, h)?,
            ))
        }
        None => None,
    };
    Ok(Dir {
        xw,
        rt,
        rbh,
        peep,
        acts,
        h0,
        c0,
    })
}

/// Two rank-1 tensors end to end.
fn concat1(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    let (n, m) = (numel(&b.shape(x)), numel(&b.shape(y)));
    move_by(b, vec![x, y], vec![n + m], 0.0, |o| Some(o[0]))
}

/// Gate `k` (`[batch, H]`) of a `[batch, G·H]` pre-activation, clipped when `clip` is set.
fn gate(b: &mut Builder, spec: &Spec, pre: FRef, k: usize) -> Result<FRef, OnnxError> {
    let g = take(b, pre, 1, k * spec.hidden, spec.hidden)?;
    clipped(b, spec, g)
}

fn clipped(b: &mut Builder, spec: &Spec, x: FRef) -> Result<FRef, OnnxError> {
    let Some(c) = spec.clip else {
        return Ok(x);
    };
    let hi = b.scalar(c);
    let lo = b.scalar(-c);
    let x = b.binary(BinaryKind::Min, x, hi)?;
    Ok(b.binary(BinaryKind::Max, x, lo)?)
}

/// Run one direction over the sequence: every step's hidden state (in time order), the last
/// hidden state and the last cell state (LSTM; the initial one otherwise).
fn unroll(
    b: &mut Builder,
    spec: &Spec,
    dir: &Dir,
    reverse: bool,
) -> Result<(Vec<FRef>, FRef, FRef), OnnxError> {
    let (mut hprev, mut cprev) = (dir.h0, dir.c0);
    let mut ys = vec![dir.h0; spec.seq];
    let act = |k: usize| dir.acts.get(k).copied().unwrap_or(Act::Table(Func::Tanh));
    let hh = spec.hidden;
    for step in 0..spec.seq {
        let t = if reverse { spec.seq - 1 - step } else { step };
        let xt = index0(b, dir.xw, t)?;
        let (h_new, c_new) = match spec.cell {
            Cell::Rnn => {
                let hr = matmul(b, hprev, dir.rt)?;
                let pre = add(b, xt, hr)?;
                let pre = clipped(b, spec, pre)?;
                (apply(b, act(0), pre)?, cprev)
            }
            Cell::Gru {
                linear_before_reset,
            } => {
                let rt_zr = take(b, dir.rt, 1, 0, 2 * hh)?;
                let rt_h = take(b, dir.rt, 1, 2 * hh, hh)?;
                let hr = matmul(b, hprev, rt_zr)?;
                let x_zr = take(b, xt, 1, 0, 2 * hh)?;
                let pre = add(b, x_zr, hr)?;
                let zp = gate(b, spec, pre, 0)?;
                let z = apply(b, act(0), zp)?;
                let rp = gate(b, spec, pre, 1)?;
                let rg = apply(b, act(0), rp)?;
                let xh = take(b, xt, 1, 2 * hh, hh)?;
                let inner = if linear_before_reset {
                    let mut hrh = matmul(b, hprev, rt_h)?;
                    if let Some(rbh) = dir.rbh {
                        hrh = add(b, hrh, rbh)?;
                    }
                    mul(b, rg, hrh)?
                } else {
                    let rh = mul(b, rg, hprev)?;
                    matmul(b, rh, rt_h)?
                };
                let hp = add(b, xh, inner)?;
                let hp = clipped(b, spec, hp)?;
                let cand = apply(b, act(1), hp)?;
                // H = (1 − z) ⊙ h̃ + z ⊙ H₋₁ = h̃ + z ⊙ (H₋₁ − h̃)
                let diff = sub(b, hprev, cand)?;
                let zd = mul(b, z, diff)?;
                (add(b, cand, zd)?, cprev)
            }
            Cell::Lstm { input_forget } => {
                let hr = matmul(b, hprev, dir.rt)?;
                let pre = add(b, xt, hr)?;
                let peep = |b: &mut Builder, g: FRef, p: Option<FRef>, c: FRef| match p {
                    Some(p) => {
                        let pc = mul(b, p, c)?;
                        add(b, g, pc)
                    }
                    None => Ok(g),
                };
                let (pi, po, pf) = match dir.peep {
                    Some((i, o, f)) => (Some(i), Some(o), Some(f)),
                    None => (None, None, None),
                };
                let ip = gate(b, spec, pre, 0)?;
                let ip = peep(b, ip, pi, cprev)?;
                let i = apply(b, act(0), ip)?;
                let f = if input_forget {
                    let one = b.scalar(1.0);
                    sub(b, one, i)?
                } else {
                    let fp = gate(b, spec, pre, 2)?;
                    let fp = peep(b, fp, pf, cprev)?;
                    apply(b, act(0), fp)?
                };
                let cp = gate(b, spec, pre, 3)?;
                let cand = apply(b, act(1), cp)?;
                let fc = mul(b, f, cprev)?;
                let ic = mul(b, i, cand)?;
                let c = add(b, fc, ic)?;
                let op = gate(b, spec, pre, 1)?;
                let op = peep(b, op, po, c)?;
                let o = apply(b, act(0), op)?;
                let hc = apply(b, act(2), c)?;
                (mul(b, o, hc)?, c)
            }
        };
        ys[t] = h_new;
        hprev = h_new;
        cprev = c_new;
    }
    Ok((ys, hprev, cprev))
}
