"""A YOLOv8-shaped detector as ultralytics exports it: testdata/models/yolo_head/.

image [1, 3, 64, 64] -> Conv/SiLU (x * Sigmoid(x)) stem at strides 2, 4, 8 -> a C2f block
(Split, two Conv/SiLU, Concat of three branches, 1x1 Conv) -> strides 16 and 32 -> an FPN
upsample (Resize nearest) concatenated with the stride-16 map -> per level (8, 16, 32) a box
branch (4 x 16 DFL bins) and a class branch (3 classes). Head as exported: Reshape/Concat of
the levels, Split into box bins and class logits, DFL (Reshape, Transpose, Softmax over the
16 bins, 1x1 Conv with weights 0..15), distances to the anchor points, (centre, size) times
the stride, Concat with Sigmoid(class logits) -> output [1, 4 + 3, 84]. Weights are random
(He-scaled); inputs are scikit-learn's handwritten digits (8x8, upscaled 8x, one colour tint
per image).

The output concatenates box coordinates (up to a few hundred pixels) with probabilities (at
most 1): on one shared 16-bit scale the probabilities were off by up to 2^-7.
Also writes holdout_expected.json: onnxruntime's outputs for each holdout sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

from common import make_model, ort_run, round5, write_folder, write_outputs

SIZE, NC, BINS = 64, 3, 16
STRIDES = (8, 16, 32)


class Net:
    def __init__(self, rng):
        self.rng, self.nodes, self.init, self.k = rng, [], [], 0

    def name(self, base):
        self.k += 1
        return f"/{base}_{self.k}"

    def const(self, arr, base="c"):
        n = self.name(base)
        self.init.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def node(self, op, ins, base=None, n_out=1, **attrs):
        n = self.name(base or op)
        outs = [f"{n}_out{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=n, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, cin, cout, k=3, s=1, act=True):
        w = self.rng.normal(0, np.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k))
        b = self.rng.normal(0, 0.1, cout)
        y = self.node("Conv", [x, self.const(w.astype(np.float32), "w"),
                               self.const(b.astype(np.float32), "b")],
                      kernel_shape=[k, k], strides=[s, s], pads=[k // 2] * 4)
        if not act:
            return y
        return self.node("Mul", [y, self.node("Sigmoid", [y])])  # SiLU


def build(rng):
    m = Net(rng)
    x = m.conv("images", 3, 8, s=2)            # 32
    x = m.conv(x, 8, 16, s=2)                  # 16
    x = m.conv(x, 16, 16, s=2)                 # 8: P3
    a, b = m.node("Split", [x, m.const(np.array([8, 8], np.int64))], n_out=2, axis=1)
    c = m.conv(m.conv(b, 8, 8), 8, 8)
    p3 = m.conv(m.node("Concat", [a, b, c], axis=1), 24, 16, k=1)
    p4 = m.conv(p3, 16, 16, s=2)               # 4
    p5 = m.conv(p4, 16, 16, s=2)               # 2
    up = m.node("Resize", [p5, "", m.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    p4 = m.conv(m.node("Concat", [up, p4], axis=1), 32, 16, k=1)
    levels, anchors, strides = [], [], []
    for p, s in zip((p3, p4, p5), STRIDES):
        box = m.conv(m.conv(p, 16, 16), 16, 4 * BINS, k=1, act=False)
        cls = m.conv(m.conv(p, 16, 16), 16, NC, k=1, act=False)
        cat = m.node("Concat", [box, cls], axis=1)
        levels.append(m.node("Reshape", [cat, m.const(np.array([1, 4 * BINS + NC, -1], np.int64))]))
        g = SIZE // s
        yy, xx = np.meshgrid(np.arange(g) + 0.5, np.arange(g) + 0.5, indexing="ij")
        anchors.append(np.stack([xx.ravel(), yy.ravel()]))
        strides.append(np.full(g * g, s))
    n_a = sum(a.shape[1] for a in anchors)
    allp = m.node("Concat", levels, axis=2)
    box, cls = m.node("Split", [allp, m.const(np.array([4 * BINS, NC], np.int64))], n_out=2, axis=1)
    d = m.node("Reshape", [box, m.const(np.array([1, 4, BINS, n_a], np.int64))])
    d = m.node("Softmax", [m.node("Transpose", [d], perm=[0, 2, 1, 3])], axis=1)
    d = m.node("Conv", [d, m.const(np.arange(BINS, dtype=np.float32).reshape(1, BINS, 1, 1))],
               kernel_shape=[1, 1])
    d = m.node("Reshape", [d, m.const(np.array([1, 4, n_a], np.int64))])
    lt, rb = m.node("Slice", [d, m.const(np.array([0], np.int64)), m.const(np.array([2], np.int64)),
                              m.const(np.array([1], np.int64))]), \
        m.node("Slice", [d, m.const(np.array([2], np.int64)), m.const(np.array([4], np.int64)),
                         m.const(np.array([1], np.int64))])
    anc = m.const(np.concatenate(anchors, 1)[None].astype(np.float32), "anchors")
    x1y1 = m.node("Sub", [anc, lt])
    x2y2 = m.node("Add", [anc, rb])
    cxy = m.node("Div", [m.node("Add", [x1y1, x2y2]), m.const(np.array(2, np.float32))])
    wh = m.node("Sub", [x2y2, x1y1])
    st = m.const(np.concatenate(strides)[None, None].astype(np.float32), "strides")
    boxes = m.node("Mul", [m.node("Concat", [cxy, wh], axis=1), st])
    out = m.node("Concat", [boxes, m.node("Sigmoid", [cls])], base="output", axis=1)
    m.nodes[-1].output[0] = "output0"
    graph = helper.make_graph(
        m.nodes, "yolo_head",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + NC, n_a])],
        m.init,
    )
    del out
    return make_model(graph)


def crops(rng, n):
    digits = load_digits().images / 16.0
    out = []
    for _ in range(n):
        d = np.kron(digits[rng.integers(0, len(digits))], np.ones((SIZE // 8, SIZE // 8)))
        tint = rng.integers(1, 5, 3) / 4.0
        out.append((tint[:, None, None] * d[None])[None])
    return np.concatenate(out).astype(np.float32)


def main():
    rng = np.random.default_rng(11)
    model = build(rng)
    calib = crops(rng, 8)
    hold = crops(rng, 20)
    out, _ = write_folder("yolo_head", model, crops(rng, 1)[0:1], calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = [ort_run(path, {"images": round5(h).reshape(1, 3, SIZE, SIZE)})[0] for h in hold]
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
