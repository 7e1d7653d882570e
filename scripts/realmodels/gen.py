#!/usr/bin/env python3
"""Real scikit-learn models through verinfer, against onnxruntime.

Trains classical models on scikit-learn's bundled datasets (no downloads), exports them with
skl2onnx (zipmap=False: probabilities as a tensor) and writes, per model, NAME.onnx and
NAME.json (64 training rows for calibration, 24 held-out rows, onnxruntime's outputs on them).
The evaluator (crates/verinfer-onnx/examples/realmodels.rs: import, calibrate, quantize, run
each held-out row with the integer reference — the pipeline of `verinfer compile`/`run`)
then reports label agreement and the largest absolute error of the probabilities
(classifiers) or of the prediction (regressors, with the target's range).

    cargo build --release -p verinfer-onnx --example realmodels
    .venv/bin/python scripts/realmodels/gen.py --evaluator target/release/examples/realmodels \
        --work target/realmodels [--only NAME ...] [--golden testdata/realmodels]

Prints the markdown table of docs/conformance.md ("Real models"). With --golden DIR, copies
every case measured there (all are small: 0.3–360 KB) and adds their bounds to
DIR/thresholds.json (with --only, the other models' bounds are kept), the bounds the CI test
crates/verinfer-onnx/tests/it/realmodels.rs holds them to: labels equal to onnxruntime's on at
least as many rows as measured now (classifiers), and a largest error at most
1.25 x the measured one + 1e-3 (room for a harmless change of rounding, not for a regression).
With --rebound DIR (no training, no skl2onnx), re-measures the cases already committed in DIR
and rewrites only DIR/thresholds.json by the same rule, printing the measurements — after a
deliberate change of quantization, keeping the fixtures byte for byte.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import (
    AdaBoostClassifier,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HELD_OUT = 24
CALIBRATION = 64


def models():
    """(name, dataset loader, estimator, is_classifier)"""
    return [
        ("iris_decision_tree", datasets.load_iris, DecisionTreeClassifier(random_state=0), True),
        (
            "wine_random_forest",
            datasets.load_wine,
            RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0),
            True,
        ),
        (
            "breast_cancer_gradient_boosting",
            datasets.load_breast_cancer,
            GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0),
            True,
        ),
        (
            "digits_random_forest",
            datasets.load_digits,
            RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0),
            True,
        ),
        (
            "iris_gradient_boosting",
            datasets.load_iris,
            GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0),
            True,
        ),
        (
            "diabetes_gradient_boosting_regressor",
            datasets.load_diabetes,
            GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0),
            False,
        ),
        (
            "diabetes_random_forest_regressor",
            datasets.load_diabetes,
            RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0),
            False,
        ),
        (
            "diabetes_decision_tree_regressor",
            datasets.load_diabetes,
            DecisionTreeRegressor(max_depth=8, random_state=0),
            False,
        ),
        (
            "iris_logistic_regression",
            datasets.load_iris,
            LogisticRegression(max_iter=1000),
            True,
        ),
        (
            "breast_cancer_scaler_logistic_regression",
            datasets.load_breast_cancer,
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            True,
        ),
        # skl2onnx 1.20 cannot convert LinearSVC inside a Pipeline (scikit-learn 1.9).
        ("wine_linear_svc", datasets.load_wine, LinearSVC(random_state=0), True),
        (
            "breast_cancer_linear_svc",
            datasets.load_breast_cancer,
            LinearSVC(random_state=0),
            True,
        ),
        (
            "breast_cancer_scaler_sgd_classifier",
            datasets.load_breast_cancer,
            make_pipeline(StandardScaler(), SGDClassifier(random_state=0)),
            True,
        ),
        ("diabetes_linear_regression", datasets.load_diabetes, LinearRegression(), False),
        (
            "iris_normalizer_logistic_regression",
            datasets.load_iris,
            make_pipeline(Normalizer(), LogisticRegression(max_iter=1000)),
            True,
        ),
        (
            "digits_scaler_mlp",
            datasets.load_digits,
            make_pipeline(
                StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0)
            ),
            True,
        ),
        # Added after the lowering was declared general: estimators never used while writing
        # it (naive Bayes, boosting by AdaBoost, extra trees, PCA, LDA, an MLP regressor).
        ("wine_gaussian_nb", datasets.load_wine, GaussianNB(), True),
        (
            "iris_adaboost",
            datasets.load_iris,
            AdaBoostClassifier(n_estimators=10, random_state=0),
            True,
        ),
        (
            "wine_extra_trees",
            datasets.load_wine,
            ExtraTreesClassifier(n_estimators=20, max_depth=6, random_state=0),
            True,
        ),
        (
            "digits_pca_logistic_regression",
            datasets.load_digits,
            make_pipeline(PCA(n_components=16, random_state=0), LogisticRegression(max_iter=2000)),
            True,
        ),
        ("wine_lda", datasets.load_wine, LinearDiscriminantAnalysis(), True),
        (
            "diabetes_minmax_mlp_regressor",
            datasets.load_diabetes,
            make_pipeline(
                MinMaxScaler(),
                MLPRegressor(hidden_layer_sizes=(16,), max_iter=2000, random_state=0),
            ),
            False,
        ),
        # Support-vector machines (ai.onnx.ml SVMClassifier/SVMRegressor): kernels RBF,
        # linear and polynomial, one-against-one votes, binary and multi-class.
        ("iris_svc_rbf", datasets.load_iris, SVC(kernel="rbf"), True),
        ("iris_svc_linear", datasets.load_iris, SVC(kernel="linear"), True),
        (
            "breast_cancer_scaler_svc_rbf",
            datasets.load_breast_cancer,
            make_pipeline(StandardScaler(), SVC(kernel="rbf")),
            True,
        ),
        (
            "wine_scaler_svc_poly",
            datasets.load_wine,
            make_pipeline(StandardScaler(), SVC(kernel="poly", degree=3)),
            True,
        ),
        ("diabetes_svr_rbf", datasets.load_diabetes, SVR(kernel="rbf", C=100.0), False),
        # Nearest neighbours: skl2onnx's Scan over the training rows, TopK, label votes.
        ("iris_knn", datasets.load_iris, KNeighborsClassifier(n_neighbors=5), True),
        (
            "wine_scaler_knn",
            datasets.load_wine,
            make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=3)),
            True,
        ),
        (
            "diabetes_knn_regressor",
            datasets.load_diabetes,
            KNeighborsRegressor(n_neighbors=5),
            False,
        ),
    ]


def export(est, x):
    from skl2onnx import to_onnx  # here, so that --rebound runs without skl2onnx

    last = est.steps[-1][1] if hasattr(est, "steps") else est
    try:
        return to_onnx(est, x[:1], options={id(last): {"zipmap": False}})
    except NameError:  # no zipmap option (regressors, LinearSVC)
        return to_onnx(est, x[:1])


def write_case(work, name, load, est):
    """Train, export and write NAME.onnx / NAME.json; returns the target's range."""
    x, y = load(return_X_y=True)
    x = x.astype(np.float32)
    xtr, xte, ytr, _ = train_test_split(x, y, test_size=0.3, random_state=0)
    est.fit(xtr, ytr)
    model = export(est, xtr)
    onnx_path = os.path.join(work, f"{name}.onnx")
    onnx.save(model, onnx_path)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    out_names = [o.name for o in sess.get_outputs()]
    held = xte[:HELD_OUT]
    ref = [sess.run(None, {in_name: r[None, :]}) for r in held]
    case = {
        # Shortest decimal that reads back as the same float32.
        "calibration": [[float(str(v)) for v in r] for r in xtr[:CALIBRATION]],
        "inputs": [[float(str(v)) for v in r] for r in held],
        "outputs": {n: [np.asarray(o[k], dtype=np.float64).ravel().tolist() for o in ref]
                    for k, n in enumerate(out_names)},
        "output_names": out_names,
        "input_name": in_name,
    }
    with open(os.path.join(work, f"{name}.json"), "w") as f:
        json.dump(case, f)
    return float(np.max(y) - np.min(y)), sorted({n.op_type for n in model.graph.node})


def write_golden(a, info, results):
    """Copy the cases and their thresholds (see the module doc) to a.golden."""
    os.makedirs(a.golden, exist_ok=True)
    # Models not measured in this run (--only) keep their committed bounds.
    path = os.path.join(a.golden, "thresholds.json")
    bounds = {}
    if os.path.exists(path):
        with open(path) as f:
            bounds = json.load(f)
    for name, (is_clf, _, _) in info.items():
        r = results[name]
        if "error" in r:
            continue
        for ext in ("onnx", "json"):
            shutil.copy(os.path.join(a.work, f"{name}.{ext}"), a.golden)
        bounds[name] = bound(r, is_clf)
    with open(path, "w") as f:
        json.dump(bounds, f, indent=1, sort_keys=True)
        f.write("\n")


def bound(r, is_clf):
    """The CI bound of one measurement (see the module doc)."""
    return {
        "min_agree": r["agree"] if is_clf else 0,
        "max_err": float(f"{r['err'] * 1.25 + 1e-3:.3g}"),
    }


def rebound(a):
    """Re-measure the committed cases of a.rebound and rewrite its thresholds.json."""
    path = os.path.join(a.rebound, "thresholds.json")
    with open(path) as f:
        old = json.load(f)
    p = subprocess.run([a.evaluator, a.rebound], capture_output=True, text=True, check=True)
    bounds = {}
    for r in map(json.loads, p.stdout.splitlines()):
        name = r["name"]
        if "error" in r:
            sys.exit(f"{name}: {r['error']}")
        is_clf = old[name]["min_agree"] > 0
        bounds[name] = bound(r, is_clf)
        print(f"{name}: labels {r['agree']}/{r['rows'] if is_clf else '-'}, max error "
              f"{r['err']:.3g} (bound was {old[name]['max_err']}, now {bounds[name]['max_err']})")
    with open(path, "w") as f:
        json.dump(bounds, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaluator", default="target/release/examples/realmodels")
    ap.add_argument("--work", default="target/realmodels")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--golden")
    ap.add_argument("--rebound")
    a = ap.parse_args()
    if a.rebound:
        rebound(a)
        return
    os.makedirs(a.work, exist_ok=True)
    for f in os.listdir(a.work):
        os.remove(os.path.join(a.work, f))
    info = {}
    for name, load, est, is_clf in models():
        if a.only and name not in a.only:
            continue
        info[name] = (is_clf,) + write_case(a.work, name, load, est)
    p = subprocess.run([a.evaluator, a.work], capture_output=True, text=True, check=True)
    results = {r["name"]: r for r in map(json.loads, p.stdout.splitlines())}
    print("| Model (scikit-learn estimator, dataset) | ONNX ops | Result | Labels equal to "
          "onnxruntime's | Max abs error vs onnxruntime |")
    print("|---|---|---|---|---|")
    for name, (is_clf, yrange, ops) in info.items():
        r = results[name]
        ops = ", ".join(ops)
        if "error" in r:
            print(f"| {name} | {ops} | fails: {r['error'][:160]} | – | – |")
        elif is_clf:
            print(f"| {name} | {ops} | ok | {r['agree']}/{r['rows']} | "
                  f"{r['err']:.2g} (probabilities/scores) |")
        else:
            print(f"| {name} | {ops} | ok | – | {r['err']:.3g} (target range {yrange:.0f}) |")
    if a.golden:
        write_golden(a, info, results)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
