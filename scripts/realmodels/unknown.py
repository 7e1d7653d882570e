#!/usr/bin/env python3
"""Models written with onnx.helper that verinfer's lowering was not written against.

Each is a small network with seeded random weights built from ops real exporters emit —
recurrent (GRU), upsampling (ConvTranspose, Resize), an opset-21 transformer block
(LayerNormalization, Gelu, a causal mask built from Shape/Range/comparisons) and an
already-quantized (QDQ) layer — and written in the format of scripts/realmodels/gen.py:
NAME.onnx and NAME.json (32 calibration inputs, 24 held-out inputs, onnxruntime's outputs on
them, and the input's shape). The same evaluator (crates/verinfer-onnx/examples/realmodels.rs:
import, calibrate, quantize, integer reference) measures the largest absolute error of the
output; every model here has one output (`agree` counts exactly equal rows and is not used).

    cargo build --release -p verinfer-onnx --example realmodels
    .venv/bin/python scripts/realmodels/unknown.py --evaluator target/release/examples/realmodels \
        --work target/unknownmodels [--golden testdata/unknownmodels]

--golden DIR copies the cases there with DIR/thresholds.json (the bounds of gen.py: 1.25 x the
measured error + 1e-3; a model whose error exceeds 10% of its output's largest magnitude, the
tolerance at which `verinfer compile` refuses, is reported and left out), which
crates/verinfer-onnx/tests/it/realmodels.rs holds them to; after a
deliberate quantization change, `gen.py --rebound DIR` re-measures them.
"""

import argparse
import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

CALIBRATION = 32
HELD_OUT = 24


class G:
    """A graph under construction: seeded weights, nodes, one input."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.init, self.nodes = [], []

    def w(self, name, shape, std=None):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
        a = self.rng.normal(0, std or np.sqrt(1.0 / fan_in), shape).astype(np.float32)
        self.init.append(numpy_helper.from_array(a, name))
        return name

    def c(self, name, a, dtype=np.float32):
        self.init.append(numpy_helper.from_array(np.asarray(a, dtype=dtype), name))
        return name

    def n(self, op, ins, outs, **attrs):
        self.nodes.append(helper.make_node(op, ins, outs, name=f"{op}_{len(self.nodes)}", **attrs))
        return outs[0]

    def model(self, name, x_shape, y, opset):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)
        g = helper.make_graph(self.nodes, name, [x], [], self.init)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 10 if opset >= 21 else 8
        inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph.value_info
        m.graph.output.extend(v for v in inferred if v.name == y)
        onnx.checker.check_model(m, full_check=True)
        return m


def gru_classifier():
    """A GRU over 12 steps of 8 features (linear_before_reset, both directions), its last
    hidden states → Gemm → Softmax over 5 classes."""
    g, h = G(1), 16
    y = g.n("GRU", ["x", g.w("W", [2, 3 * h, 8]), g.w("R", [2, 3 * h, h]),
                    g.w("B", [2, 6 * h], 0.1)], ["Y", "Y_h"], hidden_size=h,
            direction="bidirectional", linear_before_reset=1)
    g.n("Transpose", ["Y_h"], ["t"], perm=[1, 0, 2])
    g.n("Flatten", ["t"], ["f"], axis=1)
    g.n("Gemm", ["f", g.w("Wo", [5, 2 * h]), g.w("bo", [5], 0.1)], ["logits"], transB=1)
    g.n("Softmax", ["logits"], ["probs"], axis=-1)
    del y
    return g.model("gru_classifier", [12, 1, 8], "probs", 14), [12, 1, 8]


def upsampling_decoder():
    """ConvTranspose (stride 2, pads, output_padding, 2 groups) → Relu → Resize (linear,
    half_pixel, ×2) → Conv → Sigmoid: a segmentation decoder's shape."""
    g = G(2)
    g.n("ConvTranspose", ["x", g.w("wt", [4, 3, 3, 3]), g.w("bt", [6], 0.1)], ["u"],
        strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], group=2)
    g.n("Relu", ["u"], ["r"])
    g.n("Resize", ["r", "", g.c("scales", [1, 1, 2, 2])], ["z"], mode="linear",
        coordinate_transformation_mode="half_pixel")
    g.n("Conv", ["z", g.w("wc", [1, 6, 3, 3]), g.w("bc", [1], 0.1)], ["c"], pads=[1, 1, 1, 1])
    g.n("Sigmoid", ["c"], ["mask"])
    return g.model("upsampling_decoder", [1, 4, 6, 6], "mask", 13), [1, 4, 6, 6]


def causal_block_opset21():
    """Opset 21: LayerNormalization, single-head causal self-attention whose mask is built at
    compile time from Shape → Range → comparison → Where, Gelu (tanh), residuals."""
    g, d, t = G(3), 16, 8
    g.n("LayerNormalization", ["x", g.c("ln_s", np.ones(d)), g.c("ln_b", np.zeros(d))], ["ln"],
        axis=-1, epsilon=1e-5)
    for k in "qkv":
        g.n("MatMul", ["ln", g.w(f"W{k}", [d, d])], [k])
    g.n("Transpose", ["k"], ["kt"], perm=[0, 2, 1])
    g.n("MatMul", ["q", "kt"], ["s0"])
    g.n("Mul", ["s0", g.c("inv_sqrt_d", 1 / np.sqrt(d))], ["s"])
    g.n("Shape", ["x"], ["shp"])
    g.n("Gather", ["shp", g.c("one", 1, np.int64)], ["tlen"], axis=0)
    g.n("Range", [g.c("zero", 0, np.int64), "tlen", g.c("step", 1, np.int64)], ["pos"])
    g.n("Unsqueeze", ["pos", g.c("ax1", [1], np.int64)], ["row"])
    g.n("Unsqueeze", ["pos", g.c("ax0", [0], np.int64)], ["col"])
    g.n("Greater", ["col", "row"], ["future"])
    g.n("Where", ["future", g.c("neg", -1e4), g.c("zf", 0.0)], ["mask"])
    g.n("Add", ["s", "mask"], ["sm"])
    g.n("Softmax", ["sm"], ["p"], axis=-1)
    g.n("MatMul", ["p", "v"], ["a"])
    g.n("Add", ["x", "a"], ["h"])
    g.n("MatMul", ["h", g.w("W1", [d, 2 * d])], ["f1"])
    g.n("Gelu", ["f1"], ["f2"], approximate="tanh")
    g.n("MatMul", ["f2", g.w("W2", [2 * d, d])], ["f3"])
    g.n("Add", ["h", "f3"], ["out"])
    return g.model("causal_block_opset21", [1, t, d], "out", 21), [1, t, d]


def gpt2_block_opset17():
    """Opset 17, two heads, GPT-2's masking: `Where(causal, scores, finfo(float32).min)` with
    the causal pattern from ConstantOfShape → Trilu → Cast(bool), scores divided by √d_head,
    then `+ (1 − attention_mask)·(−1e9)` for a constant key-padding mask (last key padded)."""
    g, d, t, h = G(5), 16, 8, 2
    dh = d // h
    g.n("LayerNormalization", ["x", g.c("ln_s", np.ones(d)), g.c("ln_b", np.zeros(d))], ["ln"],
        axis=-1, epsilon=1e-5)
    for k in "qkv":
        g.n("MatMul", ["ln", g.w(f"W{k}", [d, d])], [f"{k}0"])
        g.n("Reshape", [f"{k}0", g.c(f"shp_{k}", [1, t, h, dh], np.int64)], [f"{k}1"])
        g.n("Transpose", [f"{k}1"], [k], perm=[0, 2, 3, 1] if k == "k" else [0, 2, 1, 3])
    g.n("MatMul", ["q", "k"], ["s0"])
    g.n("Div", ["s0", g.c("sqrt_dh", np.sqrt(dh))], ["s"])
    g.n("Shape", ["x"], ["shp"])
    g.n("Slice", ["shp", g.c("b1", [1], np.int64), g.c("e2", [2], np.int64)], ["tl"])
    g.n("Concat", ["tl", "tl"], ["tt"], axis=0)
    g.n("ConstantOfShape", ["tt"], ["ones"],
        value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))
    g.n("Trilu", ["ones"], ["tri"], upper=0)
    g.n("Cast", ["tri"], ["causal"], to=TensorProto.BOOL)
    g.n("Where", ["causal", "s", g.c("fmin", np.finfo(np.float32).min)], ["sw"])
    g.n("Cast", [g.c("attn", [1] * (t - 1) + [0], np.int64)], ["attn_f"], to=TensorProto.FLOAT)
    g.n("Sub", [g.c("one", 1.0), "attn_f"], ["inv"])
    g.n("Mul", ["inv", g.c("big", -1e9)], ["pad"])
    g.n("Add", ["sw", "pad"], ["sm"])
    g.n("Softmax", ["sm"], ["p"], axis=-1)
    g.n("MatMul", ["p", "v"], ["a0"])
    g.n("Transpose", ["a0"], ["a1"], perm=[0, 2, 1, 3])
    g.n("Reshape", ["a1", g.c("shp_o", [1, t, d], np.int64)], ["a"])
    g.n("MatMul", ["a", g.w("Wo", [d, d])], ["o"])
    g.n("Add", ["x", "o"], ["out"])
    return g.model("gpt2_block_opset17", [1, t, d], "out", 17), [1, t, d]


def qdq_lstm():
    """An LSTM (forward, 10 steps, peephole-free) over inputs passed through a
    QuantizeLinear/DequantizeLinear pair (scale 1/64, int8), then a ReduceMean over time."""
    g, h = G(4), 12
    g.n("QuantizeLinear", ["x", g.c("xs", 1 / 64), g.c("xz", 0, np.int8)], ["xq"])
    g.n("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])
    g.n("LSTM", ["xd", g.w("W", [1, 4 * h, 6]), g.w("R", [1, 4 * h, h]),
                 g.w("B", [1, 8 * h], 0.1)], ["Y"], hidden_size=h)
    g.n("ReduceMean", ["Y", g.c("axes", [0], np.int64)], ["m"], keepdims=0)
    return g.model("qdq_lstm", [10, 1, 6], "m", 18), [10, 1, 6]


MODELS = [gru_classifier, upsampling_decoder, causal_block_opset21, qdq_lstm,
          gpt2_block_opset17]


def write_case(work, build, seed):
    model, shape = build()
    name = model.graph.name
    path = os.path.join(work, f"{name}.onnx")
    onnx.save(model, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    xs = rng.normal(0, 1, (CALIBRATION + HELD_OUT, *shape)).astype(np.float32)
    out_names = [o.name for o in sess.get_outputs()]
    held = xs[CALIBRATION:]
    ref = [sess.run(None, {"x": r}) for r in held]
    case = {
        "calibration": [[float(str(v)) for v in r.ravel()] for r in xs[:CALIBRATION]],
        "inputs": [[float(str(v)) for v in r.ravel()] for r in held],
        "outputs": {n: [np.asarray(o[k], dtype=np.float64).ravel().tolist() for o in ref]
                    for k, n in enumerate(out_names)},
        "output_names": out_names,
        "input_name": "x",
        "input_shape": list(shape),
    }
    with open(os.path.join(work, f"{name}.json"), "w") as f:
        json.dump(case, f)
    ymax = max(float(np.max(np.abs(o[-1]))) for o in ref)
    return name, sorted({n.op_type for n in model.graph.node}), ymax


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaluator", default="target/release/examples/realmodels")
    ap.add_argument("--work", default="target/unknownmodels")
    ap.add_argument("--golden")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    for f in os.listdir(a.work):
        os.remove(os.path.join(a.work, f))
    info = [write_case(a.work, build, 100 + i) for i, build in enumerate(MODELS)]
    p = subprocess.run([a.evaluator, a.work], capture_output=True, text=True, check=True)
    results = {r["name"]: r for r in map(json.loads, p.stdout.splitlines())}
    print("| Model (onnx.helper, seeded weights) | ONNX ops | Result | Max abs error vs "
          "onnxruntime (24 inputs) |")
    print("|---|---|---|---|")
    bounds = {}
    for name, ops, ymax in info:
        r = results[name]
        if "error" in r:
            print(f"| {name} | {', '.join(ops)} | fails: {r['error'][:160]} | – |")
            continue
        if r["err"] > 0.1 * max(ymax, 1.0):  # beyond the tolerance compile refuses at
            print(f"| {name} | {', '.join(ops)} | beyond tolerance (compile refuses it) | "
                  f"{r['err']:.3g} (max \\|y\\| {ymax:.3g}) |")
            continue
        print(f"| {name} | {', '.join(ops)} | ok | {r['err']:.3g} (max \\|y\\| {ymax:.3g}) |")
        bounds[name] = {"min_agree": 0, "max_err": float(f"{r['err'] * 1.25 + 1e-3:.3g}")}
    if a.golden:
        os.makedirs(a.golden, exist_ok=True)
        for name in bounds:
            for ext in ("onnx", "json"):
                shutil.copy(os.path.join(a.work, f"{name}.{ext}"), a.golden)
        with open(os.path.join(a.golden, "thresholds.json"), "w") as f:
            json.dump(bounds, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
