"""A wake-word head with a gated verifier, as openwakeword's hey_jarvis exports it:
testdata/models/gated_verifier/.

features [1, 16, 8] -> Flatten -> Gemm(16) -> Relu -> Gemm(1) -> Sigmoid = p1;
GreaterOrEqual(p1, 0.5) -> Cast(to=bool) -> If: then a second "verifier" MLP on the same
features (Gemm(8) -> Relu -> Gemm(1) -> Sigmoid = p2), else Identity(p1).

The condition is computed at run time and the `Cast` is of a comparison that is already
boolean: both once stopped compilation. Weights are random (seeded) with the first layer's
bias set so that about half of the inputs pass the gate. Also writes holdout_expected.json:
onnxruntime's outputs for each holdout sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import make_model, ort_run, round5, write_folder, write_outputs

T, F, H1, H2 = 16, 8, 16, 8


def mlp(prefix, rng, x, hidden, nodes, inits, out):
    w1 = rng.normal(0, 1 / np.sqrt(T * F), (T * F, hidden)).astype(np.float32)
    b1 = rng.normal(0, 0.1, hidden).astype(np.float32)
    w2 = rng.normal(0, 2 / np.sqrt(hidden), (hidden, 1)).astype(np.float32)
    b2 = np.zeros(1, np.float32)
    for n, a in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]:
        inits.append(numpy_helper.from_array(a, f"{prefix}_{n}"))
    nodes += [
        helper.make_node("Gemm", [x, f"{prefix}_w1", f"{prefix}_b1"], [f"{prefix}_h"]),
        helper.make_node("Relu", [f"{prefix}_h"], [f"{prefix}_r"]),
        helper.make_node("Gemm", [f"{prefix}_r", f"{prefix}_w2", f"{prefix}_b2"], [f"{prefix}_z"]),
        helper.make_node("Sigmoid", [f"{prefix}_z"], [out]),
    ]


def main():
    rng = np.random.default_rng(16)
    nodes = [helper.make_node("Flatten", ["features"], ["flat"], axis=1)]
    inits = [numpy_helper.from_array(np.array(0.5, np.float32), "half")]
    mlp("head", rng, "flat", H1, nodes, inits, "p1")
    then_nodes, then_inits = [], []
    mlp("verifier", rng, "flat", H2, then_nodes, then_inits, "p2")
    then_g = helper.make_graph(
        then_nodes, "then", [], [helper.make_tensor_value_info("p2", TensorProto.FLOAT, [1, 1])],
        then_inits)
    else_g = helper.make_graph(
        [helper.make_node("Identity", ["p1"], ["p1_out"])], "else", [],
        [helper.make_tensor_value_info("p1_out", TensorProto.FLOAT, [1, 1])])
    nodes += [
        helper.make_node("GreaterOrEqual", ["p1", "half"], ["gate"]),
        helper.make_node("Cast", ["gate"], ["gate_bool"], to=TensorProto.BOOL),
        helper.make_node("If", ["gate_bool"], ["p"], then_branch=then_g, else_branch=else_g),
    ]
    graph = helper.make_graph(
        nodes, "gated_verifier",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, T, F])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, 1])],
        inits,
    )
    model = make_model(graph)
    feats = lambda n: rng.normal(0, 1, (n, 1, T, F)).astype(np.float32)  # noqa: E731
    calib, hold = feats(16), feats(20)
    out, _ = write_folder("gated_verifier", model, feats(1)[0], calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = [ort_run(path, {"features": round5(h).reshape(1, T, F)})[0] for h in hold]
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])
    # The gate: p1 alone (the graph output of the else branch).
    m = make_model(helper.make_graph(nodes[:5], "p1", graph.input,
                                     [helper.make_tensor_value_info("p1", TensorProto.FLOAT,
                                                                    [1, 1])], inits))
    import onnxruntime as ort
    s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    p1 = np.array([s.run(None, {"features": round5(h).reshape(1, T, F)})[0] for h in hold])
    print(f"{int(np.sum(p1 >= 0.5))} of {len(hold)} holdout samples pass the gate")


if __name__ == "__main__":
    main()
