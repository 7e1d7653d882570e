//! `TreeEnsembleClassifier` / `TreeEnsembleRegressor` (`ai.onnx.ml`) in integers.
//!
//! Every tree is evaluated at once, without data-dependent control flow:
//!
//! 1. a `Move` gathers, for every branch node of every tree, the feature it tests:
//!    `G[n, t, j] = x[n, feature(t, j)]`;
//! 2. `Step(G − θ)` is the bit "x > θ" (and `Step(θ − G)` the bit "x < θ" when some node uses
//!    `BRANCH_LT`/`BRANCH_GTE`). The quantizer decides `Step` exactly on the integers of the
//!    difference, with the threshold rounded to nearest on the input's grid: a decision
//!    differs from the float one only for an input within half an input step of a threshold;
//! 3. a `Contract` with a constant `±1` matrix counts, for every leaf, how many decisions on
//!    its root-to-leaf path go its way, minus the path's length: `0` exactly for the one leaf
//!    each tree reaches, `≤ −1` for the others, so `Step(count + ½)` is the leaf indicator;
//! 4. a last `Contract` sums the reached leaves' weights per class/target, plus the base
//!    values.
//!
//! Trees are padded to the largest tree's branch and leaf counts (padding never fires).

use std::collections::{BTreeMap, HashMap};

use tract_onnx::pb::NodeProto;
use verinfer_ir::{AffineMap, BinaryKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};
use verinfer_quant::func::Func;

use crate::attrs::Attrs;
use crate::error::OnnxError;
use crate::lower::linear::row;

/// How a branch node compares its feature `x` with its threshold `θ` (the condition under
/// which the "true" child is taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `x ≤ θ`
    Leq,
    /// `x < θ`
    Lt,
    /// `x ≥ θ`
    Gte,
    /// `x > θ`
    Gt,
}

/// A branch node: `x[feature]` against `threshold`.
#[derive(Clone, Debug)]
struct Branch {
    feature: usize,
    threshold: f64,
    mode: Mode,
}

/// A leaf: the decisions on its path (branch index in its tree, true child taken) and the
/// weights it adds (output column, weight).
#[derive(Clone, Debug, Default)]
struct Leaf {
    path: Vec<(usize, bool)>,
    weights: Vec<(usize, f64)>,
}

#[derive(Clone, Debug, Default)]
struct Tree {
    branches: Vec<Branch>,
    leaves: Vec<Leaf>,
}

/// A parsed ensemble.
#[derive(Clone, Debug)]
pub(crate) struct Ensemble {
    trees: Vec<Tree>,
    /// Output columns (classes with weights, or targets).
    pub(crate) n_out: usize,
    /// Every leaf weight is ≥ 0 (a random forest's probabilities): decides the binary
    /// one-column classifier's threshold, as onnxruntime does.
    pub(crate) weights_positive: bool,
}

impl Ensemble {
    /// Number of trees.
    pub(crate) fn n_trees(&self) -> usize {
        self.trees.len()
    }
}

fn mode_of(b: &Builder, s: &str) -> Result<Option<Mode>, OnnxError> {
    Ok(match s {
        "BRANCH_LEQ" => Some(Mode::Leq),
        "BRANCH_LT" => Some(Mode::Lt),
        "BRANCH_GTE" => Some(Mode::Gte),
        "BRANCH_GT" => Some(Mode::Gt),
        "LEAF" => None,
        other => {
            return Err(b
                .unsupported(format!(
                "node mode {other} (supported: BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, LEAF)"
            ))
                .into())
        }
    })
}

fn floats_attr(b: &Builder, at: Attrs<'_>, name: &str) -> Result<Option<Vec<f64>>, OnnxError> {
    let v = match at.floats(name) {
        Some(v) => Some(v),
        None => match at.tensor(&format!("{name}_as_tensor")) {
            Some(t) => Some(crate::import::tensor_values(t, None)?.1),
            None => None,
        },
    };
    if v.as_ref().is_some_and(|v| v.iter().any(|x| !x.is_finite())) {
        refuse!(b, "attribute {name} has a non-finite value");
    }
    Ok(v)
}

fn to_index(b: &Builder, v: i64, what: &str) -> Result<usize, OnnxError> {
    usize::try_from(v).map_err(|_| b.err(format!("{what} {v} is negative")).into())
}

/// Parse the ensemble's attributes; `prefix` is `class_` or `target_`.
pub(crate) fn parse(b: &Builder, node: &NodeProto, prefix: &str) -> Result<Ensemble, OnnxError> {
    let at = Attrs(node);
    let need = |name: &str| -> Result<Vec<i64>, OnnxError> {
        at.ints(name)
            .ok_or_else(|| b.err(format!("missing attribute {name}")).into())
    };
    let tree_ids = need("nodes_treeids")?;
    let node_ids = need("nodes_nodeids")?;
    let features = need("nodes_featureids")?;
    let trues = need("nodes_truenodeids")?;
    let falses = need("nodes_falsenodeids")?;
    let modes = at
        .strings("nodes_modes")
        .ok_or_else(|| b.err("missing attribute nodes_modes"))?;
    let values = floats_attr(b, at, "nodes_values")?
        .ok_or_else(|| b.err("missing attribute nodes_values"))?;
    let n = tree_ids.len();
    if [
        node_ids.len(),
        features.len(),
        trues.len(),
        falses.len(),
        modes.len(),
        values.len(),
    ]
    .iter()
    .any(|&l| l != n)
    {
        return Err(b
            .err("the nodes_* attributes have different lengths")
            .into());
    }
    let w_trees = need(&format!("{prefix}treeids"))?;
    let w_nodes = need(&format!("{prefix}nodeids"))?;
    let w_ids = need(&format!("{prefix}ids"))?;
    let w_vals = floats_attr(b, at, &format!("{prefix}weights"))?
        .ok_or_else(|| b.err(format!("missing attribute {prefix}weights")))?;
    if [w_nodes.len(), w_ids.len(), w_vals.len()]
        .iter()
        .any(|&l| l != w_trees.len())
    {
        refuse!(b, "the {prefix}* attributes have different lengths");
    }
    // (tree, node) → weights.
    let mut leaf_w: HashMap<(i64, i64), Vec<(usize, f64)>> = HashMap::new();
    let mut n_out = 0usize;
    for k in 0..w_trees.len() {
        let col = to_index(b, w_ids[k], "output id")?;
        n_out = n_out.max(col + 1);
        leaf_w
            .entry((w_trees[k], w_nodes[k]))
            .or_default()
            .push((col, w_vals[k]));
    }
    // Per tree: node id → position in the attribute arrays.
    let mut per_tree: BTreeMap<i64, HashMap<i64, usize>> = BTreeMap::new();
    for k in 0..n {
        if per_tree
            .entry(tree_ids[k])
            .or_default()
            .insert(node_ids[k], k)
            .is_some()
        {
            refuse!(b, "tree {} has node id {} twice", tree_ids[k], node_ids[k]);
        }
    }
    let mut trees = Vec::with_capacity(per_tree.len());
    for (&tid, ids) in &per_tree {
        trees.push(build_tree(
            b,
            tid,
            ids,
            &TreeAttrs {
                features: &features,
                trues: &trues,
                falses: &falses,
                modes: &modes,
                values: &values,
                leaf_w: &leaf_w,
            },
        )?);
    }
    let weights_positive = w_vals.iter().all(|&w| w >= 0.0);
    Ok(Ensemble {
        trees,
        n_out,
        weights_positive,
    })
}

struct TreeAttrs<'a> {
    features: &'a [i64],
    trues: &'a [i64],
    falses: &'a [i64],
    modes: &'a [String],
    values: &'a [f64],
    leaf_w: &'a HashMap<(i64, i64), Vec<(usize, f64)>>,
}

/// Walk one tree from its root (the node no other node points to), collecting branches and
/// root-to-leaf paths; a cycle or a dangling child id is an error.
fn build_tree(
    b: &Builder,
    tid: i64,
    ids: &HashMap<i64, usize>,
    a: &TreeAttrs<'_>,
) -> Result<Tree, OnnxError> {
    let mut is_child: HashMap<i64, bool> = ids.keys().map(|&id| (id, false)).collect();
    for &k in ids.values() {
        if mode_of(b, &a.modes[k])?.is_some() {
            for c in [a.trues[k], a.falses[k]] {
                match is_child.get_mut(&c) {
                    Some(f) => *f = true,
                    None => {
                        return Err(b
                            .err(format!("tree {tid} refers to missing node id {c}"))
                            .into())
                    }
                }
            }
        }
    }
    let roots: Vec<i64> = is_child
        .iter()
        .filter(|(_, &c)| !c)
        .map(|(&id, _)| id)
        .collect();
    let [root] = roots[..] else {
        refuse!(b, "tree {tid} has {} roots, expected one", roots.len());
    };
    let mut tree = Tree::default();
    // (node id, path so far)
    let mut stack = vec![(root, Vec::new())];
    let mut visited = 0usize;
    while let Some((id, path)) = stack.pop() {
        visited += 1;
        if visited > ids.len() {
            return Err(b.err(format!("tree {tid} has a cycle")).into());
        }
        let &k = ids
            .get(&id)
            .ok_or_else(|| b.err(format!("tree {tid} refers to missing node id {id}")))?;
        match mode_of(b, &a.modes[k])? {
            None => tree.leaves.push(Leaf {
                path,
                weights: a.leaf_w.get(&(tid, id)).cloned().unwrap_or_default(),
            }),
            Some(mode) => {
                let j = tree.branches.len();
                tree.branches.push(Branch {
                    feature: to_index(b, a.features[k], "feature id")?,
                    threshold: a.values[k],
                    mode,
                });
                let mut pt = path.clone();
                pt.push((j, true));
                let mut pf = path;
                pf.push((j, false));
                stack.push((a.falses[k], pf));
                stack.push((a.trues[k], pt));
            }
        }
    }
    Ok(tree)
}

/// The raw scores `[N, n_out]` of the ensemble on `x` (`[N, F]`), `base` added.
///
/// # Errors
/// Feature ids beyond `F`, inconsistent shapes.
pub(crate) fn scores(
    b: &mut Builder,
    x: FRef,
    ens: &Ensemble,
    base: &[f64],
) -> Result<FRef, OnnxError> {
    let sx = b.shape(x);
    let [n, f] = sx[..] else {
        refuse!(b, "input must be [N, features], got {sx:?}");
    };
    let c = ens.n_out;
    let t = ens.trees.len();
    let nb = ens
        .trees
        .iter()
        .map(|t| t.branches.len())
        .max()
        .unwrap_or(0);
    let nl = ens.trees.iter().map(|t| t.leaves.len()).max().unwrap_or(0);
    if base.len() != c && !base.is_empty() {
        refuse!(b, "{} base values for {c} outputs", base.len());
    }
    // Leaf weights W[t, l, c].
    let mut w = vec![0.0; t * nl * c];
    for (ti, tree) in ens.trees.iter().enumerate() {
        for (li, leaf) in tree.leaves.iter().enumerate() {
            for &(col, v) in &leaf.weights {
                w[(ti * nl + li) * c + col] += v;
            }
        }
    }
    if nb == 0 {
        // Every tree is a single leaf: the scores are constant.
        let per: Vec<f64> = (0..c)
            .map(|k| (0..t).map(|ti| w[ti * nl * c + k]).sum::<f64>() + base.get(k).unwrap_or(&0.0))
            .collect();
        let data: Vec<f64> = (0..n).flat_map(|_| per.iter().copied()).collect();
        return Ok(b.constant(&format!("{}/scores", b.node_name()), vec![n, c], data));
    }
    // 1. Gather the tested features.
    let mut map = vec![-1i64; n * t * nb];
    let mut theta = vec![0.0; t * nb];
    let (mut need_gt, mut need_lt) = (false, false);
    for (ti, tree) in ens.trees.iter().enumerate() {
        for (j, br) in tree.branches.iter().enumerate() {
            if br.feature >= f {
                refuse!(
                    b,
                    "a node tests feature {} but the input has {f} features",
                    br.feature
                );
            }
            theta[ti * nb + j] = br.threshold;
            match br.mode {
                Mode::Leq | Mode::Gt => need_gt = true,
                Mode::Lt | Mode::Gte => need_lt = true,
            }
            for ni in 0..n {
                map[(ni * t + ti) * nb + j] = i64::try_from(ni * f + br.feature).unwrap_or(-1);
            }
        }
    }
    let g = b.move_map(vec![x], vec![n, t, nb], map, 0.0);
    let th = b.constant(&format!("{}/thresholds", b.node_name()), vec![t, nb], theta);
    // 2. Decision bits.
    let mut bits = Vec::new();
    if need_gt {
        let d = b.binary(BinaryKind::Sub, g, th)?;
        bits.push(b.func(d, Func::Step));
    }
    if need_lt {
        let d = b.binary(BinaryKind::Sub, th, g)?;
        bits.push(b.func(d, Func::Step));
    }
    let k = bits.len();
    let s = if k == 1 {
        bits[0]
    } else {
        let half = n * t * nb;
        let mut cat = vec![0i64; n * t * k * nb];
        for ni in 0..n {
            for ti in 0..t {
                for ki in 0..k {
                    for j in 0..nb {
                        let src = ki * half + (ni * t + ti) * nb + j;
                        cat[((ni * t + ti) * k + ki) * nb + j] = i64::try_from(src).unwrap_or(-1);
                    }
                }
            }
        }
        b.move_map(bits, vec![n, t, k * nb], cat, 0.0)
    };
    // 3. Leaf indicators.
    let kn = k * nb;
    let lt_off = if need_gt { nb } else { 0 };
    let mut a = vec![0.0; t * nl * kn];
    let mut bias = vec![-1.0; t * nl];
    for (ti, tree) in ens.trees.iter().enumerate() {
        for (li, leaf) in tree.leaves.iter().enumerate() {
            let mut bi = 0.5;
            for &(j, went_true) in &leaf.path {
                let br = &tree.branches[j];
                // Which bit, and the value it must have for the path to go this way.
                let (col, want) = match br.mode {
                    Mode::Gt => (j, went_true),
                    Mode::Leq => (j, !went_true),
                    Mode::Lt => (lt_off + j, went_true),
                    Mode::Gte => (lt_off + j, !went_true),
                };
                let at = (ti * nl + li) * kn + col;
                if want {
                    a[at] += 1.0;
                } else {
                    a[at] -= 1.0;
                    bi += 1.0;
                }
                bi -= 1.0;
            }
            bias[ti * nl + li] = bi;
        }
    }
    let a = b.constant(&format!("{}/paths", b.node_name()), vec![t, nl, kn], a);
    let bias = b.constant(
        &format!("{}/path_lengths", b.node_name()),
        vec![t, nl],
        bias,
    );
    let spec = ContractSpec {
        out_iter: vec![n, t, nl],
        red: vec![kn],
        x_map: AffineMap {
            rows: vec![
                row(3, 1, Some(0), None),
                row(3, 1, Some(1), None),
                row(3, 1, None, Some(0)),
            ],
        },
        w_map: AffineMap {
            rows: vec![
                row(3, 1, Some(1), None),
                row(3, 1, Some(2), None),
                row(3, 1, None, Some(0)),
            ],
        },
        bias_map: Some(AffineMap {
            rows: vec![row(3, 1, Some(1), None), row(3, 1, Some(2), None)],
        }),
    };
    let count = b.contract(s, a, Some(bias), spec, vec![n, t, nl])?;
    let reached = b.func(count, Func::Step);
    // 4. Sum of the reached leaves' weights.
    let base_c = b.constant(
        &format!("{}/base_values", b.node_name()),
        vec![c],
        if base.is_empty() {
            vec![0.0; c]
        } else {
            base.to_vec()
        },
    );
    let w = b.constant(
        &format!("{}/leaf_weights", b.node_name()),
        vec![t, nl, c],
        w,
    );
    let spec = ContractSpec {
        out_iter: vec![n, c],
        red: vec![t, nl],
        x_map: AffineMap {
            rows: vec![
                row(2, 2, Some(0), None),
                row(2, 2, None, Some(0)),
                row(2, 2, None, Some(1)),
            ],
        },
        w_map: AffineMap {
            rows: vec![
                row(2, 2, None, Some(0)),
                row(2, 2, None, Some(1)),
                row(2, 2, Some(1), None),
            ],
        },
        bias_map: Some(AffineMap {
            rows: vec![row(2, 2, Some(1), None)],
        }),
    };
    Ok(b.contract(reached, w, Some(base_c), spec, vec![n, c])?)
}
