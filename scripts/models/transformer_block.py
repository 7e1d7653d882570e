"""transformer_block: one pre-LN transformer encoder block with random weights (seed 0).

Input "input" float [1, 16, 64] (seq 16, d_model 64); output "output" float [1, 16, 64].
4 heads (head dim 16), MLP 256, GELU written out as 0.5*x*(1+Erf(x/sqrt(2))).

  h   = x + Proj(Attn(LN1(x)))        Attn: softmax(Q K^T / sqrt(16)) V per head
  out = h + W2 GELU(W1 LN2(h) + b1) + b2

Calibration: 64 inputs ~ N(0, 1); holdout: 64 other such inputs (no labels).
Writes testdata/models/transformer_block/.

`--gpt2-small OUT` writes the same block at GPT-2 small's widths instead (d_model 768, 12 heads
of 64, MLP 3072, 16 tokens; weights' std scaled by sqrt(64 / d_model) so activations keep the
bundled block's ranges) to the folder OUT: 7.1M parameters, 28 MB of ONNX, so it is generated
where it is used (`verinfer bench-zk OUT`) and never committed.
"""
import argparse
import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NAME = "transformer_block"
S, D, H, F = 16, 64, 4, 256
HD = D // H
N_CALIB, N_HOLDOUT = 64, 64
# Weight std multiplier (1 for the bundled block; sqrt(64 / D) at other widths).
WSCALE = 1.0


def make_weights(rng):
    def n(shape, std):
        return (rng.standard_normal(shape) * (std * WSCALE)).astype(np.float32)

    return {
        "ln1.scale": (1 + n((D,), 0.1)), "ln1.bias": n((D,), 0.05),
        "q.weight": n((D, D), 0.1), "q.bias": n((D,), 0.02),
        "k.weight": n((D, D), 0.1), "k.bias": n((D,), 0.02),
        "v.weight": n((D, D), 0.08), "v.bias": n((D,), 0.02),
        "proj.weight": n((D, D), 0.08), "proj.bias": n((D,), 0.02),
        "ln2.scale": (1 + n((D,), 0.1)), "ln2.bias": n((D,), 0.05),
        "fc1.weight": n((D, F), 0.08), "fc1.bias": n((F,), 0.02),
        "fc2.weight": n((F, D), 0.05), "fc2.bias": n((D,), 0.02),
    }


def build_onnx(w):
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in w.items()]
    inits += [
        numpy_helper.from_array(np.array([1, S, H, HD], dtype=np.int64), "shape_heads"),
        numpy_helper.from_array(np.array([1, S, D], dtype=np.int64), "shape_model"),
        numpy_helper.from_array(np.array(1.0 / math.sqrt(HD), dtype=np.float32), "attn_scale"),
        numpy_helper.from_array(np.array(1.0 / math.sqrt(2.0), dtype=np.float32), "inv_sqrt2"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
    ]
    N = helper.make_node
    nodes = [
        N("LayerNormalization", ["input", "ln1.scale", "ln1.bias"], ["ln1"], name="ln1",
          axis=-1, epsilon=1e-5),
    ]
    for t in ("q", "k", "v"):
        nodes += [
            N("MatMul", ["ln1", f"{t}.weight"], [f"{t}_mm"], name=f"{t}_matmul"),
            N("Add", [f"{t}_mm", f"{t}.bias"], [f"{t}_lin"], name=f"{t}_add"),
            N("Reshape", [f"{t}_lin", "shape_heads"], [f"{t}_4d"], name=f"{t}_reshape"),
        ]
    nodes += [
        N("Transpose", ["q_4d"], ["q_h"], name="q_transpose", perm=[0, 2, 1, 3]),   # [1,H,S,HD]
        N("Transpose", ["k_4d"], ["k_t"], name="k_transpose", perm=[0, 2, 3, 1]),   # [1,H,HD,S]
        N("Transpose", ["v_4d"], ["v_h"], name="v_transpose", perm=[0, 2, 1, 3]),   # [1,H,S,HD]
        N("MatMul", ["q_h", "k_t"], ["scores_raw"], name="qk_matmul"),               # [1,H,S,S]
        N("Mul", ["scores_raw", "attn_scale"], ["scores"], name="qk_scale"),
        N("Softmax", ["scores"], ["attn"], name="softmax", axis=-1),
        N("MatMul", ["attn", "v_h"], ["ctx_h"], name="av_matmul"),                   # [1,H,S,HD]
        N("Transpose", ["ctx_h"], ["ctx_4d"], name="ctx_transpose", perm=[0, 2, 1, 3]),
        N("Reshape", ["ctx_4d", "shape_model"], ["ctx"], name="ctx_reshape"),
        N("MatMul", ["ctx", "proj.weight"], ["proj_mm"], name="proj_matmul"),
        N("Add", ["proj_mm", "proj.bias"], ["proj"], name="proj_add"),
        N("Add", ["input", "proj"], ["res1"], name="residual1"),
        N("LayerNormalization", ["res1", "ln2.scale", "ln2.bias"], ["ln2"], name="ln2",
          axis=-1, epsilon=1e-5),
        N("MatMul", ["ln2", "fc1.weight"], ["fc1_mm"], name="fc1_matmul"),
        N("Add", ["fc1_mm", "fc1.bias"], ["fc1"], name="fc1_add"),
        N("Mul", ["fc1", "inv_sqrt2"], ["gelu_s"], name="gelu_scale"),
        N("Erf", ["gelu_s"], ["gelu_erf"], name="gelu_erf"),
        N("Add", ["gelu_erf", "one"], ["gelu_1p"], name="gelu_add1"),
        N("Mul", ["fc1", "gelu_1p"], ["gelu_x"], name="gelu_mulx"),
        N("Mul", ["gelu_x", "half"], ["gelu"], name="gelu_half"),
        N("MatMul", ["gelu", "fc2.weight"], ["fc2_mm"], name="fc2_matmul"),
        N("Add", ["fc2_mm", "fc2.bias"], ["fc2"], name="fc2_add"),
        N("Add", ["res1", "fc2"], ["output"], name="residual2"),
    ]
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, S, D])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, S, D])],
        inits,
    )
    return common.make_model(graph)


def reference(w, x):
    """Float64 numpy forward pass of the same block, for a cross-check."""
    from math import erf

    w = {k: v.astype(np.float64) for k, v in w.items()}

    def ln(a, g, b):
        mu = a.mean(-1, keepdims=True)
        var = ((a - mu) ** 2).mean(-1, keepdims=True)
        return (a - mu) / np.sqrt(var + 1e-5) * g + b

    x = x.astype(np.float64)
    a = ln(x, w["ln1.scale"], w["ln1.bias"])
    q, k, v = (
        (a @ w[f"{t}.weight"] + w[f"{t}.bias"]).reshape(1, S, H, HD).transpose(0, 2, 1, 3)
        for t in "qkv"
    )
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(HD)
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    ctx = (s @ v).transpose(0, 2, 1, 3).reshape(1, S, D)
    h = x + ctx @ w["proj.weight"] + w["proj.bias"]
    f = ln(h, w["ln2.scale"], w["ln2.bias"]) @ w["fc1.weight"] + w["fc1.bias"]
    g = 0.5 * f * (1 + np.vectorize(erf)(f / math.sqrt(2)))
    return h + g @ w["fc2.weight"] + w["fc2.bias"]


def main():
    global NAME, D, H, F, HD, N_CALIB, N_HOLDOUT, WSCALE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gpt2-small", metavar="OUT",
                    help="write the GPT-2-small-shaped block to the folder OUT instead")
    args = ap.parse_args()
    out_dir = None
    if args.gpt2_small:
        NAME, D, H, F = "gpt2_small_block", 768, 12, 3072
        HD = D // H
        N_CALIB, N_HOLDOUT = 16, 4
        WSCALE = math.sqrt(64 / D)
        out_dir = args.gpt2_small
    rng = np.random.default_rng(0)
    w = make_weights(rng)
    model = build_onnx(w)
    data_rng = np.random.default_rng(1)
    sample = data_rng.standard_normal((1, S, D)).astype(np.float32)
    calib = data_rng.standard_normal((N_CALIB, S, D)).astype(np.float32)
    holdout = data_rng.standard_normal((N_HOLDOUT, S, D)).astype(np.float32)
    out, expected = common.write_folder(NAME, model, sample, calib, holdout, out_dir=out_dir)

    ref = reference(w, common.round5(sample).reshape(1, S, D))
    diff = np.abs(expected[0] - ref).max()
    print(f"{NAME}: max|ort - numpy float64| = {diff:.2e}; output range "
          f"[{expected[0].min():.3f}, {expected[0].max():.3f}]")
    assert diff < 1e-4


if __name__ == "__main__":
    main()
