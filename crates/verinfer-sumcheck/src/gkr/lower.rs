//! Any `Contract` whose second operand is a weight — a matrix product, a transposed weight,
//! a convolution with any stride, padding, dilation, groups and batch — lowered to layers
//! the proof already has (so a verifier needs no new layer kind):
//!
//! 1. an *im2col* `Move` gathering the patches `P[p, (q_x, r)] = X[x_map(p, q_x, r)]`
//!    (0 where the map leaves `X`: padding);
//! 2. the matrix product `Y'[p, q] = requant(Σ P[p, ·]·W'[·, q] + bias'[q])`;
//! 3. a `Move` putting `Y'` in the node's output order.
//!
//! The output axes split into those the weight (or the bias) reads, `Q`, and the rest, the
//! positions `P`; the reduction is the contract's own axes `R` and, for the axes of `Q` the
//! input reads too (`Q_x`: a convolution's group), those as well. `W'[(q_x', r), q]` is
//! `W[w_map(q, r)]` when `q`'s `Q_x` part is `q_x'` and 0 otherwise: a grouped convolution's
//! kernel becomes block-diagonal (one product over `G` blocks rather than `G` products and
//! a concatenation; the zero blocks cost `G`× the kernel's commitment, small for the
//! `groups = 2..4` of the usual CNNs, `C`× for a depthwise one). `W'` and `bias'` are the
//! parameters rearranged ([`super::WeightSpec::arrange`]) and committed so at setup.
//!
//! A step whose map is the identity on the same layout is left out: a plain `MatMul` or
//! `Gemm` stays one product.

use verinfer_ir::ops::contract::bias_index;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{AffineMap, Contract, Graph, Node, Operand, Param, ParamKind, TensorInfo};

use crate::contract::{matmul_contract, MatmulNode};

use super::layout::expand_group;
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use super::GkrError;

/// Most elements of one lowered tensor or map (the patches, `W'`, `Y'`).
pub const MAX_LOWERED: usize = 1 << 26;

/// How a `Contract` lowers (module docs); a map is `None` when it is the identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Rows of the product (positions).
    pub m: usize,
    /// The reduction (`Q_x × R`).
    pub k: usize,
    /// Columns (`Q`).
    pub n: usize,
    /// The patches `[m, k]` from the input (−1: 0).
    pub patches: Option<Vec<i32>>,
    /// `W'` `[k, n]` from the weight (−1: 0).
    pub weight: Option<Vec<i32>>,
    /// `bias'` `[n]` from the bias.
    pub bias: Option<Vec<i32>>,
    /// The output from `Y'` `[m, n]`.
    pub out: Option<Vec<i32>>,
    /// The axes of the rows (positions `P`).
    pub row_dims: Vec<usize>,
    /// The axes of the reduction (`Q_x`, then `R`).
    pub red_dims: Vec<usize>,
    /// The axes of the columns (`Q`).
    pub col_dims: Vec<usize>,
}

fn depends(map: &AffineMap, axis: usize) -> bool {
    map.rows
        .iter()
        .any(|r| r.out.get(axis).is_some_and(|&c| c != 0))
}

/// Write `flat` unravelled over `axes` (of sizes `dims`) into `o`.
pub(super) fn place(
    o: &mut [usize],
    axes: &[usize],
    dims: &[usize],
    flat: usize,
    tmp: &mut [usize],
) {
    unravel_into(flat, dims, tmp);
    for (&a, &v) in axes.iter().zip(tmp.iter()) {
        o[a] = v;
    }
}

/// `o`'s components on `axes` (of sizes `dims`) as one row-major index.
pub(super) fn ravel(o: &[usize], axes: &[usize], dims: &[usize]) -> usize {
    axes.iter()
        .zip(dims)
        .fold(0, |acc, (&a, &d)| acc * d + o[a])
}

/// A gather map's entry: the source index, or −1 for none.
pub(super) fn index(v: Option<usize>) -> Result<i32, String> {
    v.map_or(Ok(-1), |k| {
        i32::try_from(k).map_err(|_| "an operand past 2^31 elements".to_string())
    })
}

/// Whether `map` reads every element in place.
pub(super) fn identity(map: &[i32]) -> bool {
    map.iter()
        .enumerate()
        .all(|(e, &v)| usize::try_from(v) == Ok(e))
}

/// The plan of `c` over an input of dims `xd`, a weight `wd`, a bias `bd`, an output `od`.
///
/// # Errors
/// What does not fit: an empty axis, a lowered tensor past [`MAX_LOWERED`], a bias the
/// map reads outside of.
pub fn plan(
    c: &Contract,
    xd: &[usize],
    wd: &[usize],
    bd: Option<&[usize]>,
    od: &[usize],
) -> Result<Plan, String> {
    let no = c.out_iter.len();
    if c.out_iter.contains(&0) || c.red.contains(&0) || numel(&c.out_iter) != numel(od) {
        return Err("an empty axis, or an output count other than the iteration's".into());
    }
    let bias_reads = |a| c.bias_map.as_ref().is_some_and(|bm| depends(bm, a));
    let q: Vec<usize> = (0..no)
        .filter(|&a| depends(&c.w_map, a) || bias_reads(a))
        .collect();
    let p: Vec<usize> = (0..no).filter(|a| !q.contains(a)).collect();
    let qx: Vec<usize> = q
        .iter()
        .copied()
        .filter(|&a| depends(&c.x_map, a))
        .collect();
    let dims = |axes: &[usize]| axes.iter().map(|&a| c.out_iter[a]).collect::<Vec<_>>();
    let (pd, qd, qxd) = (dims(&p), dims(&q), dims(&qx));
    let (m, n, kq, kr) = (numel(&pd), numel(&qd), numel(&qxd), numel(&c.red));
    let too_big = || format!("a lowered tensor past {MAX_LOWERED} elements");
    let k = kq.checked_mul(kr).ok_or_else(too_big)?;
    for (a, b) in [(m, k), (k, n), (m, n)] {
        if a.checked_mul(b).is_none_or(|e| e > MAX_LOWERED) {
            return Err(too_big());
        }
    }
    let nr = c.red.len();
    let mut o = vec![0usize; no];
    let mut r = vec![0usize; nr];
    let mut tmp = vec![0usize; no];

    let mut patches = Vec::with_capacity(m * k);
    for pi in 0..m {
        place(&mut o, &p, &pd, pi, &mut tmp);
        for qi in 0..kq {
            place(&mut o, &qx, &qxd, qi, &mut tmp);
            for ri in 0..kr {
                unravel_into(ri, &c.red, &mut r);
                patches.push(index(c.x_map.locate(&o, &r, xd))?);
            }
        }
    }

    o.fill(0);
    let mut weight = vec![-1i32; k * n];
    let mut bias = Vec::with_capacity(n);
    for qi in 0..n {
        place(&mut o, &q, &qd, qi, &mut tmp);
        let row0 = ravel(&o, &qx, &qxd) * kr;
        for ri in 0..kr {
            unravel_into(ri, &c.red, &mut r);
            weight[(row0 + ri) * n + qi] = index(c.w_map.locate(&o, &r, wd))?;
        }
        if let (Some(bm), Some(bd)) = (&c.bias_map, bd) {
            let b = bias_index(bm, &o, nr, bd).ok_or("the bias map reads outside the bias")?;
            bias.push(index(Some(b))?);
        }
    }

    let mut out = Vec::with_capacity(m * n);
    for j in 0..m * n {
        unravel_into(j, &c.out_iter, &mut o);
        out.push(index(Some(ravel(&o, &p, &pd) * n + ravel(&o, &q, &qd)))?);
    }

    let same = |dims: &[usize], rows, cols, map: &[i32]| {
        Layout::of(dims) == Layout { rows, cols } && identity(map)
    };
    Ok(Plan {
        m,
        k,
        n,
        patches: (!same(xd, m, k, &patches)).then_some(patches),
        weight: (numel(wd) != k * n || !identity(&weight)).then_some(weight),
        bias: bd
            .filter(|bd| numel(bd) != n || !identity(&bias))
            .map(|_| bias),
        out: (!same(od, m, n, &out)).then_some(out),
        red_dims: qxd.iter().chain(&c.red).copied().collect(),
        row_dims: pd,
        col_dims: qd,
    })
}

/// Push the layers of `Contract` node `i` (reading `src`, of `in_info`) onto `spec`.
///
/// # Errors
/// [`GkrError::Unsupported`] naming what the lowering does not cover.
pub(super) fn contract_layers(
    g: &Graph,
    spec: &mut ChainSpec,
    i: usize,
    node: &Node,
    c: &Contract,
    (src, in_info): (Src, &TensorInfo),
    (src_e, expandable): (Option<&(Vec<usize>, bool)>, bool),
) -> Result<Option<(Vec<usize>, bool)>, GkrError> {
    let refuse = |why: String| GkrError::Unsupported {
        node: Some(i),
        reason: format!("node {i} ({}, {}): {why}", node.name, node.op.name()),
    };
    if node.out.bits != c.requant.bits {
        return Err(refuse("output bits differ from the epilogue's".into()));
    }
    let has_bias = c.bias_map.is_some();
    if node.inputs.len() != 2 + usize::from(has_bias) {
        return Err(refuse("an operand past X, W and the bias".into()));
    }
    let param = |idx: usize, kind: ParamKind| -> Result<(usize, &Param), GkrError> {
        match node.inputs.get(idx) {
            Some(Operand::Param(p)) => g
                .params
                .get(p.index())
                .filter(|param| param.kind == kind)
                .map(|param| (p.index(), param))
                .ok_or_else(|| refuse(format!("operand {idx} must be a {kind:?} parameter"))),
            _ => Err(refuse(format!("operand {idx} is not a parameter"))),
        }
    };
    let (wi, wp) = param(1, ParamKind::Weight)?;
    let bias = if has_bias {
        Some(param(2, ParamKind::Bias)?)
    } else {
        None
    };
    let plan = plan(
        c,
        in_info.shape.dims(),
        wp.info.shape.dims(),
        bias.map(|(_, b)| b.info.shape.dims()),
        node.out.shape.dims(),
    )
    .map_err(refuse)?;
    let (m, k, n) = (plan.m, plan.k, plan.n);
    let bias_shift = has_bias.then_some(c.bias_shift);
    let mn = MatmulNode::from_contract(&matmul_contract((m, k, n), c.requant, bias_shift))
        .map_err(|e| refuse(e.to_string()))?;
    let mut weight = |param: usize, rows, cols, arrange: Option<Vec<i32>>| {
        spec.push_weight(param, Layout { rows, cols }, arrange)
    };
    let (pd, qd) = (plan.row_dims.clone(), plan.col_dims.clone());
    let (epd, ered) = (expand_group(&pd), expand_group(&plan.red_dims));
    if src_e.is_some() || (plan.patches.is_some() && (epd != pd || ered != plan.red_dims)) {
        let e = super::lower_expanded::layers(
            spec,
            (node, in_info, src, src_e),
            plan,
            (wi, bias.map(|(bi, _)| bi)),
            (c, has_bias),
            expandable,
        )
        .map_err(refuse)?;
        return Ok(e);
    }
    let w = weight(wi, k, n, plan.weight);
    let bias = bias.map(|(bi, _)| weight(bi, 1, n, plan.bias));
    let mut input = src;
    if let Some(map) = plan.patches {
        let form = super::affine::fit_layouts(
            (&pd, &plan.red_dims),
            super::spec::split_axes(in_info.shape.dims()),
            &map,
        );
        spec.push_map(map, form);
        spec.layers.push(Layer {
            kind: LayerKind::Move {
                map: spec.maps.len() - 1,
                fill: 0,
            },
            input,
            out: Layout { rows: m, cols: k },
            bits: in_info.bits,
            internal: true,
        });
        input = Src::Layer(spec.layers.len() - 1);
    }
    spec.layers.push(Layer {
        kind: LayerKind::Matmul { node: mn, w, bias },
        input,
        out: Layout { rows: m, cols: n },
        bits: node.out.bits,
        internal: plan.out.is_some(),
    });
    if let Some(map) = plan.out {
        let form = super::affine::fit_layouts(
            super::spec::split_axes(node.out.shape.dims()),
            (&pd, &qd),
            &map,
        );
        spec.push_map(map, form);
        spec.layers.push(Layer {
            kind: LayerKind::Move {
                map: spec.maps.len() - 1,
                fill: 0,
            },
            input: Src::Layer(spec.layers.len() - 1),
            out: Layout::of(node.out.shape.dims()),
            bits: node.out.bits,
            internal: false,
        });
    }
    Ok(None)
}

/// The layers' trace (the inputs, then every layer's output) from the graph's (the inputs,
/// then every node's output): an internal layer's output is computed from its input by its
/// semantics (clamped like the node's; the prover then refuses a clamp), every other layer's
/// is its node's.
///
/// # Errors
/// [`GkrError::Length`] for a graph trace of the wrong length, [`GkrError::Malformed`] for
/// weights or a spec that do not fit.
pub fn layer_trace(
    spec: &ChainSpec,
    weights: &[Vec<i32>],
    graph_trace: &[Vec<i32>],
) -> Result<Vec<Vec<i32>>, GkrError> {
    let n_in = spec.inputs.len();
    if graph_trace.len() != spec.nodes() + n_in {
        return Err(GkrError::Length {
            what: "trace tensors".into(),
            expected: spec.nodes() + n_in,
            got: graph_trace.len(),
        });
    }
    if spec.layers.iter().all(|l| !l.internal) && spec.expansions.is_empty() {
        return Ok(graph_trace.to_vec());
    }
    let bad = GkrError::Malformed;
    let mut nodes = graph_trace.iter();
    let mut out: Vec<Vec<i32>> = nodes.by_ref().take(n_in).cloned().collect();
    for (idx, l) in spec.layers.iter().enumerate() {
        if !l.internal {
            let v = nodes.next().ok_or(bad("trace"))?;
            // A node output over an expanded layout: zeros at the new entries.
            out.push(match spec.expansions.iter().find(|e| e.layer == idx) {
                Some(e) => e.scatter(v)?,
                None => v.clone(),
            });
            continue;
        }
        let x = out
            .get(spec.trace_index(l.input))
            .ok_or(bad("a layer reads a later one"))?;
        let y = match l.kind {
            LayerKind::Move { map, fill } => {
                let map = spec.maps.get(map).ok_or(bad("a move's map"))?;
                let fill = i32::try_from(fill).map_err(|_| bad("a move's fill"))?;
                map.iter()
                    .map(|&e| {
                        usize::try_from(e)
                            .map_or(Ok(fill), |k| x.get(k).copied().ok_or(bad("a move's map")))
                    })
                    .collect::<Result<Vec<i32>, GkrError>>()?
            }
            LayerKind::Matmul { node, w, bias } => {
                let (m, k, n) = node.dims();
                let w = weights.get(w).filter(|w| w.len() == k * n);
                let b = bias.map(|b| weights.get(b).filter(|b| b.len() == n));
                let (Some(w), Some(b)) = (w, b.map_or(Some(None), |b| b.map(Some))) else {
                    return Err(bad("a matrix product's weights"));
                };
                if x.len() != m * k {
                    return Err(bad("a matrix product's input"));
                }
                product(&node, x, w, b)
            }
            // A lookup's clamp ([`super::lookup`]).
            LayerKind::Clip { min, constant } => {
                let c = i32::try_from(constant).map_err(|_| bad("a clip's constant"))?;
                x.iter()
                    .map(|&v| if min { v.min(c) } else { v.max(c) })
                    .collect()
            }
            LayerKind::Product { .. } => super::attn::values(spec, l, &out)?,
            LayerKind::ReduceMax
            | LayerKind::Binary { .. }
            | LayerKind::ReduceSum { .. }
            | LayerKind::Lookup { .. }
            | LayerKind::Div { .. }
            | LayerKind::ISqrt { .. }
            | LayerKind::Gather { .. }
            | LayerKind::ArgMax
            | LayerKind::Outer { .. } => {
                return Err(bad("an internal layer of a kind no lowering makes"))
            }
        };
        out.push(y);
    }
    Ok(out)
}

/// `requant(X·W + bias·2^t)`, clamped (`verinfer_ir`'s semantics).
fn product(node: &MatmulNode, x: &[i32], w: &[i32], bias: Option<&Vec<i32>>) -> Vec<i32> {
    let (m, k, n) = node.dims();
    let rq = node.requant();
    let mut y = Vec::with_capacity(m * n);
    let mut acc = vec![0i128; n];
    for r in 0..m {
        acc.fill(0);
        if let (Some(b), Some(t)) = (bias, node.bias_shift()) {
            for (a, &v) in acc.iter_mut().zip(b) {
                *a = i128::from(v) << t;
            }
        }
        for (l, &xv) in x[r * k..(r + 1) * k].iter().enumerate() {
            if xv != 0 {
                let xv = i128::from(xv);
                for (a, &wv) in acc.iter_mut().zip(&w[l * n..(l + 1) * n]) {
                    *a += xv * i128::from(wv);
                }
            }
        }
        y.extend(acc.iter().map(|&a| {
            rq.bits
                .clamp(verinfer_ir::round_shift(a * i128::from(rq.mult), rq.shift))
        }));
    }
    y
}
