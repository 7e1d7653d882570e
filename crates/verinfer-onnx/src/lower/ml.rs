//! The `ai.onnx.ml` operators scikit-learn exporters (skl2onnx) emit: tree ensembles (in
//! [`crate::lower::ml_tree`]), `LinearClassifier`, `LinearRegressor`, `Normalizer`, `Scaler`,
//! `Binarizer`, `ArrayFeatureExtractor`, support-vector machines (in [`crate::lower::ml_svm`]);
//! `ZipMap` is refused (its output is a sequence of
//! maps, not a tensor).
//!
//! A classifier's `label` output is the class label as a number (`classlabels_int64s` /
//! `classlabels_ints`; string labels are refused) and its scores follow onnxruntime's
//! conventions, including the binary case with a single score column.

use tract_onnx::pb::NodeProto;
use verinfer_ir::{AffineMap, BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};
use verinfer_quant::func::Func;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::linear::row;
use crate::lower::normalization::softmax_over;
use crate::lower::{ml_svm, ml_tree};

/// Op types of the `ai.onnx.ml` domain lowered here.
pub const OPS: &[&str] = &[
    "ArrayFeatureExtractor",
    "Binarizer",
    "LinearClassifier",
    "LinearRegressor",
    "Normalizer",
    "SVMClassifier",
    "SVMRegressor",
    "Scaler",
    "TreeEnsembleClassifier",
    "TreeEnsembleRegressor",
];

/// The `ai.onnx.ml` domain name.
pub const DOMAIN: &str = "ai.onnx.ml";

/// Lower an `ai.onnx.ml` node.
///
/// # Errors
/// Unsupported op types and attributes, inconsistent shapes.
pub fn lower(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    match node.op_type.as_str() {
        "TreeEnsembleClassifier" => tree_classifier(b, node),
        "TreeEnsembleRegressor" => tree_regressor(b, node).map(|r| vec![r]),
        "LinearClassifier" => linear_classifier(b, node),
        "LinearRegressor" => linear_regressor(b, node).map(|r| vec![r]),
        "SVMClassifier" => ml_svm::classifier(b, node),
        "SVMRegressor" => ml_svm::regressor(b, node).map(|r| vec![r]),
        "Normalizer" => normalizer(b, node).map(|r| vec![r]),
        "Scaler" => scaler(b, node).map(|r| vec![r]),
        "Binarizer" => binarizer(b, node).map(|r| vec![r]),
        "ArrayFeatureExtractor" => feature_extractor(b, node).map(|r| vec![r]),
        "ZipMap" => Err(b
            .unsupported(
                "ZipMap outputs a sequence of maps, not a tensor: export the classifier \
                 without it (skl2onnx: options={'zipmap': False}) to get the probabilities \
                 as a tensor",
            )
            .into()),
        _ => Err(b.unsupported(format!("op of domain {DOMAIN}")).into()),
    }
}

/// `x` as `[N, F]` (a rank-1 input is one row).
pub(crate) fn rows(b: &mut Builder, x: FRef) -> Result<FRef, OnnxError> {
    let s = b.shape(x);
    match s.len() {
        2 => Ok(x),
        1 => Ok(b.reshape(x, vec![1, s[0]])?),
        _ => Err(b
            .err(format!(
                "input must be [N, features] or [features], got {s:?}"
            ))
            .into()),
    }
}

/// How a binary classifier with one score column `s` reports its two scores.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pair {
    /// `[1 − s, s]`
    OneMinus,
    /// `[−s, s]`
    Negate,
}

/// Scores after `post_transform` (over the class axis 1 of `[N, C]`).
fn post_transform(b: &mut Builder, s: FRef, pt: &str) -> Result<FRef, OnnxError> {
    match pt {
        "NONE" => Ok(s),
        "SOFTMAX" => softmax_over(b, s, &[1], false),
        "LOGISTIC" => Ok(b.func(s, Func::Sigmoid)),
        other => Err(b
            .unsupported(format!(
                "post_transform {other} (supported: NONE, SOFTMAX, LOGISTIC)"
            ))
            .into()),
    }
}

/// The class labels as numbers.
pub(crate) fn class_labels(
    b: &Builder,
    node: &NodeProto,
    ints: &str,
) -> Result<Vec<f64>, OnnxError> {
    let at = Attrs(node);
    #[allow(clippy::cast_precision_loss)]
    match at.ints(ints) {
        Some(v) if !v.is_empty() => Ok(v.iter().map(|&i| i as f64).collect()),
        _ if at.has("classlabels_strings") => Err(b
            .unsupported("string class labels (verinfer outputs numbers; relabel the classes 0..n)")
            .into()),
        _ => Err(b.err(format!("missing attribute {ints}")).into()),
    }
}

/// `labels[idx]` for a run-time index tensor (the index itself when labels are `0..n`).
pub(crate) fn label_of(b: &mut Builder, idx: FRef, labels: &[f64]) -> Result<FRef, OnnxError> {
    #[allow(clippy::cast_precision_loss)]
    if labels.iter().enumerate().all(|(i, &l)| l == i as f64) {
        return Ok(idx);
    }
    let name = format!("{}/classlabels", b.node_name());
    let l = b.typed_constant(&name, vec![labels.len()], labels.to_vec(), true);
    Ok(b.gather(l, idx, 0)?)
}

/// A classifier's `(label, scores)` from raw scores `[N, cols]` (base values already in).
pub(crate) fn finish_classifier(
    b: &mut Builder,
    raw: FRef,
    labels: &[f64],
    pt: &str,
    binary: (Pair, f64),
) -> Result<Vec<FRef>, OnnxError> {
    let shape = b.shape(raw);
    let (n, cols) = (shape[0], shape[1]);
    if cols == 1 && labels.len() == 2 {
        // One score column for two classes (onnxruntime's binary case): the label is class 1
        // when the raw score exceeds the threshold, the scores are a pair built from it.
        let (pair, threshold) = binary;
        let t = b.scalar(threshold);
        let d = b.binary(BinaryKind::Sub, raw, t)?;
        let bit = b.func(d, Func::Step);
        let bit = b.reshape(bit, vec![n])?;
        let label = label_of(b, bit, labels)?;
        let p = post_transform(b, raw, pt)?;
        let first = match (pt, pair) {
            ("LOGISTIC" | "SOFTMAX", _) | (_, Pair::OneMinus) => {
                let one = b.scalar(1.0);
                b.binary(BinaryKind::Sub, one, p)?
            }
            (_, Pair::Negate) => b.scale(p, -1.0),
        };
        let map: Vec<i64> = (0..n)
            .flat_map(|i| {
                let i = i64::try_from(i).unwrap_or(-1);
                let nn = i64::try_from(n).unwrap_or(0);
                [i, nn + i]
            })
            .collect();
        let scores = b.move_map(vec![first, p], vec![n, 2], map, 0.0);
        return Ok(vec![label, scores]);
    }
    if cols != labels.len() {
        refuse!(b, "{} class labels but {cols} score columns", labels.len());
    }
    let idx = b.reduce(raw, ReduceKind::ArgMax, &[1], false)?;
    let label = label_of(b, idx, labels)?;
    let scores = post_transform(b, raw, pt)?;
    Ok(vec![label, scores])
}

fn tree_classifier(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    let at = Attrs(node);
    let labels = class_labels(b, node, "classlabels_int64s")?;
    let mut ens = ml_tree::parse(b, node, "class_")?;
    let base = at.floats("base_values").unwrap_or_default();
    // A single score column when only class 0 carries weights in a binary problem.
    if labels.len() > 2 || ens.n_out > 1 || base.len() > 1 {
        ens.n_out = labels.len();
    }
    if ens.n_out > labels.len() {
        refuse!(
            b,
            "weights for class {} but only {} class labels",
            ens.n_out - 1,
            labels.len()
        );
    }
    let raw = ml_tree::scores(b, x, &ens, &base)?;
    let pt = at.string("post_transform").unwrap_or_else(|| "NONE".into());
    let binary = if ens.weights_positive {
        (Pair::OneMinus, 0.5)
    } else {
        (Pair::Negate, 0.0)
    };
    finish_classifier(b, raw, &labels, &pt, binary)
}

fn tree_regressor(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    let at = Attrs(node);
    let mut ens = ml_tree::parse(b, node, "target_")?;
    let n_targets =
        usize::try_from(at.int_or("n_targets", 1)).map_err(|_| b.err("n_targets is negative"))?;
    if ens.n_out > n_targets {
        refuse!(
            b,
            "weights for target {} but n_targets = {n_targets}",
            ens.n_out - 1
        );
    }
    ens.n_out = n_targets;
    let base = at.floats("base_values").unwrap_or_default();
    let agg = at
        .string("aggregate_function")
        .unwrap_or_else(|| "SUM".into());
    let raw = match agg.as_str() {
        "SUM" => ml_tree::scores(b, x, &ens, &base)?,
        "AVERAGE" => {
            let s = ml_tree::scores(b, x, &ens, &[])?;
            #[allow(clippy::cast_precision_loss)]
            let s = b.scale(s, 1.0 / ens.n_trees().max(1) as f64);
            if base.is_empty() {
                s
            } else {
                let bc = b.constant(
                    &format!("{}/base_values", b.node_name()),
                    vec![base.len()],
                    base,
                );
                b.binary(BinaryKind::Add, s, bc)?
            }
        }
        other => {
            return Err(b
                .unsupported(format!(
                    "aggregate_function {other} (supported: SUM, AVERAGE)"
                ))
                .into())
        }
    };
    no_post_transform(b, node)?;
    Ok(raw)
}

/// A regressor's `post_transform` must be `NONE` (the only one its exporters write).
pub(crate) fn no_post_transform(b: &Builder, node: &NodeProto) -> Result<(), OnnxError> {
    match Attrs(node).string("post_transform") {
        Some(pt) if pt != "NONE" => Err(b
            .unsupported(format!(
                "post_transform {pt} of a regressor (supported: NONE)"
            ))
            .into()),
        _ => Ok(()),
    }
}

/// `x · Wᵀ + intercepts` for `x` `[N, F]` and `coefficients` of `rows × F`.
fn linear_scores(b: &mut Builder, node: &NodeProto, x: FRef) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let f = b.shape(x)[1];
    let coef = at
        .floats("coefficients")
        .ok_or_else(|| b.err("missing attribute coefficients"))?;
    if f == 0 || coef.is_empty() || coef.len() % f != 0 {
        refuse!(
            b,
            "{} coefficients do not make rows of the input's {f} features",
            coef.len()
        );
    }
    let c = coef.len() / f;
    let icpt = at.floats("intercepts").unwrap_or_default();
    if !icpt.is_empty() && icpt.len() != c {
        refuse!(b, "{} intercepts for {c} outputs", icpt.len());
    }
    let bias = if icpt.is_empty() { vec![0.0; c] } else { icpt };
    dense(b, x, coef, c, bias, ("coefficients", "intercepts"))
}

/// `x · Wᵀ + bias` for `x` `[N, F]`, constant `w` of `c × F` (row-major) and `bias` of `c`:
/// `[N, c]`. The constants are named after the node and `names` (weights, bias).
pub(crate) fn dense(
    b: &mut Builder,
    x: FRef,
    w: Vec<f64>,
    c: usize,
    bias: Vec<f64>,
    names: (&str, &str),
) -> Result<FRef, OnnxError> {
    let (n, f) = {
        let s = b.shape(x);
        (s[0], s[1])
    };
    let w = b.constant(&format!("{}/{}", b.node_name(), names.0), vec![c, f], w);
    let bias = b.constant(&format!("{}/{}", b.node_name(), names.1), vec![c], bias);
    let spec = ContractSpec {
        out_iter: vec![n, c],
        red: vec![f],
        x_map: AffineMap {
            rows: vec![row(2, 1, Some(0), None), row(2, 1, None, Some(0))],
        },
        w_map: AffineMap {
            rows: vec![row(2, 1, Some(1), None), row(2, 1, None, Some(0))],
        },
        bias_map: Some(AffineMap {
            rows: vec![row(2, 1, Some(1), None)],
        }),
    };
    Ok(b.contract(x, w, Some(bias), spec, vec![n, c])?)
}

fn linear_classifier(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    let labels = class_labels(b, node, "classlabels_ints")?;
    let raw = linear_scores(b, node, x)?;
    let pt = Attrs(node)
        .string("post_transform")
        .unwrap_or_else(|| "NONE".into());
    finish_classifier(b, raw, &labels, &pt, (Pair::Negate, 0.0))
}

fn linear_regressor(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    no_post_transform(b, node)?;
    linear_scores(b, node, x)
}

/// Each row divided by its `MAX` (largest element), `L1` (sum of magnitudes) or `L2`
/// (Euclidean) norm; a zero norm leaves the row 0 (onnxruntime leaves it unchanged, which is
/// also 0 for `L1`/`L2`).
fn normalizer(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x0 = input(b, node, 0)?;
    let shape = b.shape(x0);
    let x = rows(b, x0)?;
    let norm = Attrs(node).string("norm").unwrap_or_else(|| "MAX".into());
    let d = match norm.as_str() {
        "MAX" => b.reduce(x, ReduceKind::Max, &[1], true)?,
        "L1" => {
            let a = b.binary_f(BinaryKind::Max, x, 1.0, x, -1.0)?;
            b.reduce(a, ReduceKind::Sum, &[1], true)?
        }
        "L2" => {
            let sq = b.binary(BinaryKind::Mul, x, x)?;
            let s = b.reduce(sq, ReduceKind::Sum, &[1], true)?;
            b.sqrt(s)
        }
        other => {
            return Err(b
                .unsupported(format!("norm {other} (supported: MAX, L1, L2)"))
                .into())
        }
    };
    let y = b.div(x, d)?;
    Ok(b.reshape(y, shape)?)
}

/// `(x − offset) · scale`, per feature or for all.
fn scaler(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let at = Attrs(node);
    let f = b.shape(x).last().copied().unwrap_or(1);
    let vec_of = |b: &mut Builder, name: &str, dflt: f64| -> Result<FRef, OnnxError> {
        let v = at.floats(name).unwrap_or_else(|| vec![dflt]);
        if v.len() != 1 && v.len() != f {
            refuse!(b, "{name} has {} values for {f} features", v.len());
        }
        let l = v.len();
        Ok(b.constant(&format!("{}/{name}", b.node_name()), vec![l], v))
    };
    let off = vec_of(b, "offset", 0.0)?;
    let sc = vec_of(b, "scale", 1.0)?;
    let d = b.binary(BinaryKind::Sub, x, off)?;
    crate::lower::elementwise::mul(b, d, sc)
}

/// `1` where `x > threshold`, else `0`.
fn binarizer(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let t = Attrs(node).float_or("threshold", 0.0);
    let t = b.scalar(t);
    let d = b.binary(BinaryKind::Sub, x, t)?;
    Ok(b.func(d, Func::Step))
}

/// `x[..., indices]` along the last axis.
fn feature_extractor(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let mut idx = input(b, node, 1)?;
    if b.shape(idx).is_empty() {
        // A scalar index still selects a column of width 1 (onnxruntime's shape).
        idx = b.reshape(idx, vec![1])?;
    }
    let rank = b.shape(x).len();
    if rank == 0 {
        return Err(b.err("input must have rank ≥ 1").into());
    }
    Ok(b.gather(x, idx, rank - 1)?)
}
