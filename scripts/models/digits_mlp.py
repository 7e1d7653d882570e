"""digits_mlp: sklearn 8x8 digits -> MLP (64 -> 64 -> 32 -> 10), exported as Gemm/Relu.

Input  "input"  float [batch_size, 64]  (pixels / 16, in [0, 1])
Output "output" float [batch_size, 10]  (logits, no softmax)
Writes testdata/models/digits_mlp/. Deterministic (fixed seeds).
"""
import os
import sys
import warnings

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NAME = "digits_mlp"
N_CALIB = 200


def build_onnx(clf):
    inits, nodes = [], []
    x = "input"
    n_layers = len(clf.coefs_)
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        wn, bn = f"fc{i}.weight", f"fc{i}.bias"
        inits.append(numpy_helper.from_array(w.astype(np.float32), wn))
        inits.append(numpy_helper.from_array(b.astype(np.float32), bn))
        last = i == n_layers - 1
        y = "output" if last else f"fc{i}_out"
        nodes.append(helper.make_node("Gemm", [x, wn, bn], [y], name=f"fc{i}"))
        if not last:
            r = f"relu{i}_out"
            nodes.append(helper.make_node("Relu", [y], [r], name=f"relu{i}"))
            y = r
        x = y
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch_size", 64])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch_size", 10])],
        inits,
    )
    return common.make_model(graph)


def main():
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)

    clf = MLPClassifier(hidden_layer_sizes=(64, 32), activation="relu", max_iter=500,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(xtr, ytr)
    acc = (clf.predict(xte) == yte).mean()

    model = build_onnx(clf)
    rng = np.random.default_rng(0)
    calib = xtr[rng.choice(len(xtr), N_CALIB, replace=False)]
    out, _ = common.write_folder(NAME, model, xte[0:1], calib, xte, yte)

    # ONNX (dynamic batch) vs sklearn on the whole test split
    logits = common.ort_run(os.path.join(out, "network.onnx"), {"input": xte})[0]
    onnx_acc = (logits.argmax(1) == yte).mean()
    agree = (logits.argmax(1) == clf.predict(xte)).mean()
    print(f"{NAME}: train={len(xtr)} test={len(xte)} float test accuracy: sklearn={acc:.4f} "
          f"onnx={onnx_acc:.4f} (argmax agreement {agree:.4f})")
    assert agree == 1.0


if __name__ == "__main__":
    main()
