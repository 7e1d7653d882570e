#!/usr/bin/env python3
"""Real scikit-learn models through verinfer, against onnxruntime.

Trains classical models on scikit-learn's bundled datasets (no downloads), exports them with
skl2onnx (zipmap=False: probabilities as a tensor), compiles each with verinfer (calibrated on
training rows), runs held-out rows one at a time and compares with onnxruntime: label
agreement and the largest absolute error of the probabilities (classifiers) or of the
prediction (regressors, also relative to the target's range).

    .venv/bin/python scripts/realmodels/gen.py --verinfer target/release/verinfer \
        --work target/realmodels [--only NAME ...] [--golden testdata/realmodels]

Prints the markdown table of docs/conformance.md ("Real models"). With --golden, writes the
models named in GOLDEN with their held-out inputs, calibration rows and onnxruntime outputs
(the fixtures of crates/verinfer-onnx/tests/realmodels.rs).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn import datasets
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HELD_OUT = 24
CALIBRATION = 64
GOLDEN = [
    "iris_decision_tree",
    "breast_cancer_gradient_boosting",
    "iris_logistic_regression",
    "breast_cancer_scaler_logistic_regression",
]


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
    ]


def export(est, x):
    last = est.steps[-1][1] if hasattr(est, "steps") else est
    try:
        return to_onnx(est, x[:1], options={id(last): {"zipmap": False}})
    except NameError:  # no zipmap option (regressors, LinearSVC)
        return to_onnx(est, x[:1])


def data_file(path, rows):
    with open(path, "w") as f:
        json.dump({"input_data": [[float(v) for v in r] for r in rows]}, f)


def first_unsupported(err):
    for line in err.splitlines():
        if "unsupported" in line.lower() or "error" in line.lower():
            return line.strip()[:160]
    return err.strip().splitlines()[-1][:160] if err.strip() else "?"


def evaluate(name, load, est, is_clf, a):
    x, y = load(return_X_y=True)
    x = x.astype(np.float32)
    xtr, xte, ytr, _ = train_test_split(x, y, test_size=0.3, random_state=0)
    est.fit(xtr, ytr)
    model = export(est, xtr)
    ops = sorted({n.op_type for n in model.graph.node})
    d = os.path.join(a.work, name)
    os.makedirs(d, exist_ok=True)
    onnx_path = os.path.join(d, "model.onnx")
    onnx.save(model, onnx_path)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    out_names = [o.name for o in sess.get_outputs()]
    held = xte[:HELD_OUT]
    cal = xtr[:CALIBRATION]
    data_file(os.path.join(d, "cal.json"), [np.concatenate(cal)])
    ref = [sess.run(None, {in_name: r[None, :]}) for r in held]
    row = {"name": name, "ops": ops, "features": x.shape[1], "n": len(held)}
    t0 = time.time()
    vm = os.path.join(d, "model.vm")
    p = subprocess.run(
        [a.verinfer, "compile", onnx_path, "--calibration", os.path.join(d, "cal.json"),
         "--input-shape", f"{in_name}=1,{x.shape[1]}", "-o", vm],
        capture_output=True, text=True,
    )
    row["compile_s"] = round(time.time() - t0, 2)
    if p.returncode != 0:
        row["status"] = "compile fails: " + first_unsupported(p.stderr)
        return row, model, held, cal, ref, out_names
    outs = []
    for i, r in enumerate(held):
        inp = os.path.join(d, f"in{i}.json")
        out = os.path.join(d, f"out{i}.json")
        data_file(inp, [r])
        p = subprocess.run([a.verinfer, "run", vm, "--input", inp, "-o", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            row["status"] = "run fails: " + first_unsupported(p.stderr)
            return row, model, held, cal, ref, out_names
        with open(out) as f:
            outs.append({o["name"]: np.array(o["data"]) for o in json.load(f)["outputs"]})
    row["status"] = "ok"
    if is_clf:
        agree = 0
        perr = 0.0
        for got, want in zip(outs, ref):
            agree += int(np.array_equal(got[out_names[0]].ravel(), np.asarray(want[0]).ravel()))
            perr = max(perr, float(np.max(np.abs(got[out_names[1]].ravel()
                                                 - np.asarray(want[1], dtype=np.float64).ravel()))))
        row["labels"] = f"{agree}/{len(held)}"
        row["err"] = perr
    else:
        err = max(float(np.max(np.abs(g[out_names[0]].ravel() - np.asarray(w[0]).ravel())))
                  for g, w in zip(outs, ref))
        row["err"] = err
        row["range"] = float(np.max(y) - np.min(y))
    return row, model, held, cal, ref, out_names


def write_golden(gdir, name, model, held, cal, ref, out_names):
    os.makedirs(gdir, exist_ok=True)
    onnx.save(model, os.path.join(gdir, f"{name}.onnx"))
    case = {
        "calibration": [[round(float(v), 6) for v in r] for r in cal],
        "inputs": [[float(v) for v in r] for r in held],
        "outputs": {n: [np.asarray(o[k], dtype=np.float64).ravel().tolist() for o in ref]
                    for k, n in enumerate(out_names)},
        "output_names": out_names,
        "input_name": model.graph.input[0].name,
    }
    with open(os.path.join(gdir, f"{name}.json"), "w") as f:
        json.dump(case, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--work", default="target/realmodels")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--golden")
    a = ap.parse_args()
    print("| Model (scikit-learn, dataset) | ONNX ops | Compile | Label agreement | "
          "Max abs error vs onnxruntime |")
    print("|---|---|---|---|---|")
    for name, load, est, is_clf in models():
        if a.only and name not in a.only:
            continue
        row, model, held, cal, ref, out_names = evaluate(name, load, est, is_clf, a)
        if a.golden and name in GOLDEN:
            write_golden(a.golden, name, model, held, cal, ref, out_names)
        ops = ", ".join(row["ops"])
        if row["status"] != "ok":
            print(f"| {name} | {ops} | {row['status']} | – | – |")
        elif is_clf:
            print(f"| {name} | {ops} | ok ({row['compile_s']} s) | {row['labels']} | "
                  f"{row['err']:.2g} (probabilities) |")
        else:
            print(f"| {name} | {ops} | ok ({row['compile_s']} s) | – | "
                  f"{row['err']:.3g} (target range {row['range']:.0f}) |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
