//! A `Contract`'s lowering ([`super::lower`]) over expanded layouts ([`super::layout`]): the
//! patches `[(OH, OW'), (C, KH', KW')]` and the product's rows with every axis after the
//! first rounded up to a power of two, the kernel arranged with zero rows at the fake
//! reduction entries, and the output over expanded dims where the transpose then has zero
//! fakes — so the im2col and the transpose take closed forms. Used where the input is
//! expanded or the patches' axes are not powers of two; the product's fake rows (patches
//! at fake positions, the bias) are computed honestly and never read for a real output.

use verinfer_ir::shape::numel;
use verinfer_ir::{Contract, Node, TensorInfo};

use crate::contract::{matmul_contract, MatmulNode};

use super::layout::{expand_dims, expand_group, expand_move, is_real, Side};
use super::lower::Plan;

/// A tensor's layout dims where expanded, and whether its fakes are proven zero.
type Laid = (Vec<usize>, bool);
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};

fn identity(n: usize) -> Result<Vec<i32>, String> {
    (0..n)
        .map(|e| i32::try_from(e).map_err(|_| "a map past 2^31 entries".to_string()))
        .collect()
}

/// Push the layers of a lowered `Contract` (`plan`) over expanded layouts; returns its
/// output's layout dims where expanded (and that its fakes are zero).
///
/// # Errors
/// What does not fit (a map past `i32` indices).
pub(super) fn layers(
    spec: &mut ChainSpec,
    (node, in_info, src, src_e): (&Node, &TensorInfo, Src, Option<&Laid>),
    plan: Plan,
    (wi, bi): (usize, Option<usize>),
    (c, has_bias): (&Contract, bool),
    expandable: bool,
) -> Result<Option<(Vec<usize>, bool)>, String> {
    let (m, k, n) = (plan.m, plan.k, plan.n);
    let (pd, red, qd) = (&plan.row_dims, &plan.red_dims, &plan.col_dims);
    let in_dims = in_info.shape.dims();
    let (ein, zero) = src_e.map_or((in_dims.to_vec(), true), |(e, z)| (e.clone(), *z));
    let xin = Side {
        real: in_dims,
        e: &ein,
        split: in_dims.len().saturating_sub(1),
        zero_fakes: zero,
    };
    let patches = match plan.patches {
        Some(p) => p,
        None => identity(m * k)?,
    };
    let p_real: Vec<usize> = pd.iter().chain(red).copied().collect();
    let patches_on = |epd: &[usize], ered: &[usize]| {
        let p_e: Vec<usize> = epd.iter().chain(ered).copied().collect();
        let out = Side {
            real: &p_real,
            e: &p_e,
            split: pd.len(),
            zero_fakes: false,
        };
        expand_move(out, xin, &patches, 0)
    };
    let (epd, ered) = (expand_group(pd), expand_group(red));
    let (epd, ered, moved) = match patches_on(&epd, &ered).filter(|p| p.form.is_some()) {
        Some(p) => (epd, ered, p),
        None => {
            let p = patches_on(pd, red).ok_or("the patches map past 2^31 entries")?;
            (pd.clone(), red.clone(), p)
        }
    };
    let (me, ke) = (numel(&epd), numel(&ered));

    // The kernel over the expanded reduction: zero rows at its fake entries.
    let mut arrange = Vec::with_capacity(ke * n);
    for re in 0..ke {
        let r = is_real(red, &ered, re);
        for q in 0..n {
            let v = match r {
                None => -1,
                Some(r) => plan
                    .weight
                    .as_ref()
                    .map_or_else(|| i32::try_from(r * n + q).unwrap_or(-1), |w| w[r * n + q]),
            };
            arrange.push(v);
        }
    }
    let mut weight = |param: usize, rows, cols, arrange: Option<Vec<i32>>| {
        spec.push_weight(param, Layout { rows, cols }, arrange)
    };
    let w = weight(wi, ke, n, Some(arrange));
    let bias = bi.map(|bi| weight(bi, 1, n, plan.bias));

    let bias_shift = has_bias.then_some(c.bias_shift);
    let mn = MatmulNode::from_contract(&matmul_contract((me, ke, n), c.requant, bias_shift))
        .map_err(|e| e.to_string())?;
    spec.push_map(moved.map, moved.form);
    spec.layers.push(Layer {
        kind: LayerKind::Move {
            map: spec.maps.len() - 1,
            fill: 0,
        },
        input: src,
        out: Layout { rows: me, cols: ke },
        bits: in_info.bits,
        internal: true,
    });

    // The product's rows are `epd`, its columns `qd`: the output from them.
    let od = node.out.shape.dims();
    let out_map = match plan.out {
        Some(o) => o,
        None => identity(m * n)?,
    };
    let y_real: Vec<usize> = pd.iter().chain(qd).copied().collect();
    let y_e: Vec<usize> = epd.iter().chain(qd).copied().collect();
    let yin = (y_real.as_slice(), Some(&(y_e.clone(), false)));
    let cand = expand_dims(od);
    let cand = (expandable && cand != od).then_some(cand);
    let (eo, tr) = place_move_split(od, cand, yin, pd.len(), &out_map)?;
    spec.layers.push(Layer {
        kind: LayerKind::Matmul { node: mn, w, bias },
        input: Src::Layer(spec.layers.len() - 1),
        out: Layout { rows: me, cols: n },
        bits: node.out.bits,
        internal: true,
    });
    spec.push_map(tr.map, tr.form);
    spec.layers.push(Layer {
        kind: LayerKind::Move {
            map: spec.maps.len() - 1,
            fill: 0,
        },
        input: Src::Layer(spec.layers.len() - 1),
        out: Layout::of(&eo),
        bits: node.out.bits,
        internal: false,
    });
    let layer = spec.layers.len() - 1;
    Ok((eo != od).then(|| {
        spec.expansions.push(super::layout::Expansion {
            layer,
            dims: od.to_vec(),
            edims: eo.clone(),
        });
        (eo, true)
    }))
}

/// [`super::layout::place_move`] from the product `Y'` (rows `y.0[..split]`, the columns the rest).
fn place_move_split(
    od: &[usize],
    cand: Option<Vec<usize>>,
    (y_real, y_e): (&[usize], Option<&(Vec<usize>, bool)>),
    split: usize,
    map: &[i32],
) -> Result<(Vec<usize>, super::layout::Moved), String> {
    let (ey, _) = y_e.cloned().unwrap_or((y_real.to_vec(), false));
    let inp = Side {
        real: y_real,
        e: &ey,
        split,
        zero_fakes: false,
    };
    let side = |e: &[usize]| {
        let out = Side {
            real: od,
            e,
            split: od.len().saturating_sub(1),
            zero_fakes: false,
        };
        expand_move(out, inp, map, 0)
    };
    if let Some(eo) = cand {
        if let Some(m) = side(&eo).filter(|m| m.zero_fakes && m.form.is_some()) {
            return Ok((eo, m));
        }
    }
    side(od)
        .map(|m| (od.to_vec(), m))
        .ok_or_else(|| "the output map past 2^31 entries".to_string())
}
