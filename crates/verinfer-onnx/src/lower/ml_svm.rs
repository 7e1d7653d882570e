//! `SVMClassifier` and `SVMRegressor` (skl2onnx's export of scikit-learn's `SVC`, `NuSVC`,
//! `SVR`, `NuSVR`, `OneClassSVM`), with onnxruntime's semantics.
//!
//! With support vectors (`vectors_per_class` / `n_supports`), the kernel of the input with
//! every support vector is one tensor `K [N, V]`: `LINEAR` `x·v`, `POLY` `(γ x·v + c₀)^d`,
//! `SIGMOID` `tanh(γ x·v + c₀)` (one `Contract`, then a table), `RBF` `exp(−γ‖x − v‖²)` (the
//! differences of `x` with every vector, squared and summed: `‖x‖² − 2x·v + ‖v‖²` would lose
//! the small distances, the ones that weigh most, to cancellation in fixed point). A
//! classifier's one-against-one decision values are then one `Contract` of `K` with a constant
//! `[pairs, V]` matrix (the pair `(i, j)` reads class `i`'s vectors with coefficient row
//! `j − 1` and class `j`'s with row `i`) plus `rho`; class `i` gets a vote from a pair whose
//! value is positive, class `j` otherwise, and the label is the first class with the most
//! votes, as onnxruntime takes it. The votes are exact: a `Contract` of the 0/1 steps with a
//! constant ±1 matrix. Without support vectors (liblinear mode) the scores are `x·W + rho₀`.
//!
//! Pairwise coupling of probabilities (`prob_a`/`prob_b`, scikit-learn's `probability=True`)
//! is an iterative solve and is refused by name, as is the binary liblinear mode (whose label
//! rule depends on the signs of all coefficients).

use tract_onnx::pb::NodeProto;
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::ml::{
    class_labels, dense, finish_classifier, label_of, no_post_transform, rows, Pair,
};

/// A kernel function of two vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kernel {
    Linear,
    Poly { gamma: f64, coef0: f64, degree: f64 },
    Rbf { gamma: f64 },
    Sigmoid { gamma: f64, coef0: f64 },
}

/// The kernel named by `kernel_type` with its `kernel_params` `[γ, c₀, degree]`.
fn kernel(b: &Builder, node: &NodeProto) -> Result<Kernel, OnnxError> {
    let at = Attrs(node);
    let p = at.floats("kernel_params").unwrap_or_default();
    let param = |k: usize| p.get(k).copied().unwrap_or(0.0);
    let (gamma, coef0, degree) = (param(0), param(1), param(2));
    let name = at.string("kernel_type").unwrap_or_else(|| "LINEAR".into());
    match name.as_str() {
        "LINEAR" => Ok(Kernel::Linear),
        "POLY" => Ok(Kernel::Poly {
            gamma,
            coef0,
            degree,
        }),
        "RBF" => Ok(Kernel::Rbf { gamma }),
        "SIGMOID" => Ok(Kernel::Sigmoid { gamma, coef0 }),
        other => Err(b
            .unsupported(format!(
                "kernel_type {other} (supported: LINEAR, POLY, RBF, SIGMOID)"
            ))
            .into()),
    }
}

/// `K [N, V]`: the kernel of every row of `x` with each of the `v` support vectors.
fn kernels(b: &mut Builder, x: FRef, k: Kernel, sv: Vec<f64>, v: usize) -> Result<FRef, OnnxError> {
    let (n, f) = {
        let s = b.shape(x);
        (s[0], s[1])
    };
    if v == 0 || f == 0 || sv.len() != v * f {
        refuse!(
            b,
            "{} support vector values do not make {v} vectors of the input's {f} features",
            sv.len()
        );
    }
    // `γ x·v + c₀` with the factor folded into the constant vectors.
    let scaled_dot = |b: &mut Builder, gamma: f64, coef0: f64| {
        let w = sv.iter().map(|s| s * gamma).collect();
        dense(b, x, w, v, vec![coef0; v], ("support_vectors", "coef0"))
    };
    Ok(match k {
        Kernel::Linear => scaled_dot(b, 1.0, 0.0)?,
        Kernel::Poly {
            gamma,
            coef0,
            degree,
        } => {
            let d = scaled_dot(b, gamma, coef0)?;
            b.func(d, Func::Pow { p: degree })
        }
        Kernel::Sigmoid { gamma, coef0 } => {
            let d = scaled_dot(b, gamma, coef0)?;
            b.func(d, Func::Tanh)
        }
        Kernel::Rbf { gamma } => {
            let xs = b.reshape(x, vec![n, 1, f])?;
            let name = format!("{}/support_vectors", b.node_name());
            let svc = b.constant(&name, vec![1, v, f], sv);
            let diff = b.binary(BinaryKind::Sub, xs, svc)?;
            let sq = b.binary(BinaryKind::Mul, diff, diff)?;
            let d2 = b.reduce(sq, ReduceKind::Sum, &[2], false)?;
            let e = b.scale(d2, -gamma);
            b.func(e, Func::Exp)
        }
    })
}

/// A required float list attribute.
fn floats(b: &Builder, node: &NodeProto, name: &str) -> Result<Vec<f64>, OnnxError> {
    Attrs(node)
        .floats(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| b.err(format!("missing attribute {name}")).into())
}

/// A non-negative count from an `i64` attribute value.
fn count(b: &Builder, what: &str, v: i64) -> Result<usize, OnnxError> {
    usize::try_from(v).map_err(|_| b.err(format!("{what} {v} is negative")).into())
}

/// `SVMClassifier`: `(label, scores)`.
///
/// # Errors
/// Unsupported kernels, post transforms and probability outputs; attribute lengths that do
/// not match the classes, vectors and features.
pub(crate) fn classifier(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    let at = Attrs(node);
    let labels = class_labels(b, node, "classlabels_ints")?;
    let c = labels.len();
    let coef = floats(b, node, "coefficients")?;
    let rho = floats(b, node, "rho")?;
    let pt = at.string("post_transform").unwrap_or_else(|| "NONE".into());
    let per_class = at
        .ints("vectors_per_class")
        .unwrap_or_default()
        .iter()
        .map(|&k| count(b, "vectors_per_class", k))
        .collect::<Result<Vec<_>, _>>()?;
    let v: usize = per_class.iter().sum();
    if v == 0 {
        // liblinear mode: one coefficient row per class, `rho[0]` added to every score.
        if c == 2 {
            return Err(b
                .unsupported(
                    "a binary SVMClassifier without support vectors (its label depends on the \
                     coefficients' signs; export a linear model as LinearClassifier)",
                )
                .into());
        }
        let f = b.shape(x)[1];
        if coef.len() != c * f {
            refuse!(
                b,
                "{} coefficients for {c} classes of {f} features",
                coef.len()
            );
        }
        let raw = dense(b, x, coef, c, vec![rho[0]; c], ("coefficients", "rho"))?;
        return finish_classifier(b, raw, &labels, &pt, (Pair::Negate, 0.0));
    }
    if at.floats("prob_a").is_some_and(|p| !p.is_empty()) {
        return Err(b
            .unsupported(
                "SVMClassifier probabilities (prob_a/prob_b: pairwise coupling is an iterative \
                 solve); export the classifier with probability=False",
            )
            .into());
    }
    if pt != "NONE" {
        return Err(b
            .unsupported(format!(
                "post_transform {pt} of a support-vector classifier (supported: NONE)"
            ))
            .into());
    }
    if per_class.len() != c {
        refuse!(
            b,
            "vectors_per_class has {} entries for {c} classes",
            per_class.len()
        );
    }
    let pairs: Vec<(usize, usize)> = (0..c)
        .flat_map(|i| (i + 1..c).map(move |j| (i, j)))
        .collect();
    let np = pairs.len();
    if coef.len() != (c - 1) * v || rho.len() < np {
        refuse!(
            b,
            "{} coefficients and {} rho for {c} classes and {v} support vectors (want {} and {np})",
            coef.len(),
            rho.len(),
            (c - 1) * v
        );
    }
    let sv = floats(b, node, "support_vectors")?;
    let k = kernel(b, node)?;
    let kx = kernels(b, x, k, sv, v)?;
    // The pair `(i, j)` weighs class i's vectors by coefficient row j − 1, class j's by row i.
    let start: Vec<usize> = per_class
        .iter()
        .scan(0, |s, &k| {
            let here = *s;
            *s += k;
            Some(here)
        })
        .collect();
    let mut w = vec![0.0; np * v];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        for (class, row) in [(i, j - 1), (j, i)] {
            for sv in start[class]..start[class] + per_class[class] {
                w[p * v + sv] = coef[row * v + sv];
            }
        }
    }
    let s = dense(b, kx, w, np, rho[..np].to_vec(), ("pairs", "rho"))?;
    // Votes: class i for a positive pair value, class j otherwise (`1 − step`), so
    // `votes[k] = Σ_{(k, j)} step − Σ_{(i, k)} step + #{(i, k)}`.
    let step = b.func(s, Func::Step);
    let mut tally = vec![0.0; c * np];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        tally[i * np + p] = 1.0;
        tally[j * np + p] = -1.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let seconds = (0..c).map(|k| k as f64).collect();
    let votes = dense(b, step, tally, c, seconds, ("votes", "votes_bias"))?;
    let idx = b.reduce(votes, ReduceKind::ArgMax, &[1], false)?;
    let label = label_of(b, idx, &labels)?;
    let scores = if c == 2 {
        // onnxruntime's binary scores: `[−s, s]`.
        let n = b.shape(s)[0];
        let neg = b.scale(s, -1.0);
        let nn = i64::try_from(n).map_err(|_| b.err("too many rows"))?;
        let map = (0..nn).flat_map(|r| [r, nn + r]).collect();
        b.move_map(vec![neg, s], vec![n, 2], map, 0.0)
    } else {
        s
    };
    Ok(vec![label, scores])
}

/// `SVMRegressor`: `[N, 1]` predictions (`±1` for a one-class model).
///
/// # Errors
/// Unsupported kernels and post transforms; attribute lengths that do not match.
pub(crate) fn regressor(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = rows(b, input(b, node, 0)?)?;
    let at = Attrs(node);
    let coef = floats(b, node, "coefficients")?;
    let rho = floats(b, node, "rho")?;
    no_post_transform(b, node)?;
    let v = count(b, "n_supports", at.int_or("n_supports", 0))?;
    let f = b.shape(x)[1];
    let s = if v > 0 {
        if coef.len() != v {
            refuse!(b, "{} coefficients for {v} support vectors", coef.len());
        }
        let sv = floats(b, node, "support_vectors")?;
        let k = kernel(b, node)?;
        let kx = kernels(b, x, k, sv, v)?;
        dense(b, kx, coef, 1, vec![rho[0]], ("coefficients", "rho"))?
    } else {
        if coef.len() != f {
            refuse!(b, "{} coefficients for {f} features", coef.len());
        }
        dense(b, x, coef, 1, vec![rho[0]], ("coefficients", "rho"))?
    };
    if at.int_or("one_class", 0) == 0 {
        return Ok(s);
    }
    // `1` for a positive decision value, `−1` otherwise.
    let step = b.func(s, Func::Step);
    let two = b.scale(step, 2.0);
    let one = b.scalar(1.0);
    Ok(b.binary(BinaryKind::Sub, two, one)?)
}
