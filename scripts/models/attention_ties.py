"""An attention softmax whose error shows only on inputs with near-tied keys: testdata/models/attention_ties/.

x [1, 8, 16] (8 tokens) -> a = x·w1, b = x·w2 ([1, 8, 1] each; w2 = w1 + a small d, so a and b
reach ~±200 while a − b = −x·d stays within ~±0.4) -> scores z = 30·(a − b) -> reshape [1, 8]
-> Softmax over the 8 tokens -> p [1, 8].

At the default 16 bits a and b keep a step of 2^-6, so every score is off by up to ~0.5. Where
one token's score leads the rest by a few units the softmax is nearly one-hot and that error
barely moves it; where the two best tokens nearly tie, it moves their probabilities by up to
~0.2, beyond tolerance. The calibration set is ordered so that its first two samples have a
clear winner and several later ones have near-ties: a probe on the first samples alone sees
the output within tolerance, one over every calibration sample does not — the shape of the
PP-OCRv4 recognizer's attention, whose error shows on some text lines only. Compile must
widen the path (a, b, their difference, the scores, the softmax) and leave the rest at 16 bits.
Also writes holdout_expected.json: onnxruntime's outputs for each holdout sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import make_model, ort_run, round5, write_folder, write_outputs

T, D = 8, 16
GAIN = 30.0


def main():
    rng = np.random.default_rng(23)
    w1 = rng.normal(0, 30, size=(D, 1)).astype(np.float32)
    w2 = (w1 + rng.normal(0, 0.033, size=(D, 1))).astype(np.float32)
    init = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(np.array(GAIN, np.float32), "gain"),
        numpy_helper.from_array(np.array([1, T], np.int64), "flat"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["a"], name="/a/MatMul"),
        helper.make_node("MatMul", ["x", "w2"], ["b"], name="/b/MatMul"),
        helper.make_node("Sub", ["a", "b"], ["d"], name="/Sub"),
        helper.make_node("Mul", ["d", "gain"], ["z"], name="/Mul"),
        helper.make_node("Reshape", ["z", "flat"], ["s"], name="/Reshape"),
        helper.make_node("Softmax", ["s"], ["p"], name="/Softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "attention_ties",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, T, D])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, T])],
        init,
    )
    model = make_model(graph)
    dw = (w1 - w2).ravel().astype(np.float64)

    def gap(x):
        """The lead of the best token's score over the second best."""
        z = np.sort(GAIN * (x.reshape(T, D) @ dw))
        return z[-1] - z[-2]

    def sample(tie):
        """A random input whose best two scores are within 0.3 (tie) or at least 4 apart."""
        while True:
            x = rng.uniform(-1, 1, size=(1, T, D)).astype(np.float32)
            g = gap(round5(x))
            if (tie and g < 0.3) or (not tie and g > 4.0):
                return x

    # Two clear samples first (all a probe of two would see), then ties among clear ones.
    calib = np.concatenate([sample(tie) for tie in [0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0]])
    hold = np.concatenate([sample(k % 2 == 0) for k in range(20)])
    out, _ = write_folder("attention_ties", model, sample(True), calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = [ort_run(path, {"x": round5(h).reshape(1, T, D)})[0] for h in hold]
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
