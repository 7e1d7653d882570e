"""A sigmoid over a difference of two large, nearly equal projections: testdata/models/cancel_sigmoid/.

x [1, 16] -> a = x·W1, b = x·W2 (MatMul; W2 = W1 + a small D, so a and b reach ~±250 while
a − b = −x·D stays within ~±0.1) -> z = 100·(a − b) (Mul) -> Sigmoid -> y [1, 8].

At the default 16 bits a and b keep a step of 2^-6 (their range, with the headroom bit, needs
9 integer bits), so a − b is off by a few hundredths, z by about 1, and y near z = 0 by up to
0.25: the output is beyond tolerance although every node before the sigmoid is within it —
the shape of an OCR detector's head (logits over [−167, 100] into a sigmoid). Compile must
widen the nodes on the path (a, b, their difference) and leave the rest at 16 bits.
Also writes holdout_expected.json: onnxruntime's outputs for each holdout sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import make_model, ort_run, write_folder, write_outputs, round5

IN, OUT = 16, 8


def main():
    rng = np.random.default_rng(11)
    w1 = rng.normal(0, 30, size=(IN, OUT)).astype(np.float32)
    w2 = (w1 + rng.normal(0, 0.01, size=(IN, OUT))).astype(np.float32)
    init = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(np.array(100.0, np.float32), "gain"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["a"], name="/a/MatMul"),
        helper.make_node("MatMul", ["x", "w2"], ["b"], name="/b/MatMul"),
        helper.make_node("Sub", ["a", "b"], ["d"], name="/Sub"),
        helper.make_node("Mul", ["d", "gain"], ["z"], name="/Mul"),
        helper.make_node("Sigmoid", ["z"], ["y"], name="/Sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "cancel_sigmoid",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, IN])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, OUT])],
        init,
    )
    model = make_model(graph)

    def sample():
        return rng.uniform(-1, 1, size=(1, IN)).astype(np.float32)

    calib = np.concatenate([sample() for _ in range(16)])
    hold = np.concatenate([sample() for _ in range(20)])
    out, _ = write_folder("cancel_sigmoid", model, sample(), calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = [ort_run(path, {"x": round5(h).reshape(1, IN)})[0] for h in hold]
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
