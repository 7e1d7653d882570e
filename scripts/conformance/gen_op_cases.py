"""Regenerate testdata/onnx_ops/: small one-node ONNX graphs with random shapes and attributes,
each with onnxruntime's output, replayed by crates/verinfer-onnx/tests/it/ops_vs_onnxruntime.rs
through verinfer's float lowering.

Each case NAME writes NAME.onnx (opset 17, 18 where an attribute needs it; weights as initializers) and NAME.json:
  {"inputs": [[flat floats]], "shapes": [[dims]], "outputs": [[flat floats]]}
Inputs are rounded to float32 and the expected outputs computed from exactly those values.

    .venv/bin/python scripts/conformance/gen_op_cases.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "testdata", "onnx_ops")
OPSET = 17


def write(name, node, inputs, inits, out_dtype=TensorProto.FLOAT, opset=OPSET):
    """One-node graph: `inputs` are run-time float inputs (name -> array), `inits` initializers."""
    g = helper.make_graph(
        [node],
        name,
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in inputs.items()],
        [onnx.ValueInfoProto(name=node.output[0], type=helper.make_tensor_type_proto(out_dtype, None))],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(m, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, inputs)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(
            {
                "inputs": [v.ravel().astype(float).tolist() for v in inputs.values()],
                "shapes": [list(v.shape) for v in inputs.values()],
                "outputs": [np.asarray(y).ravel().astype(float).tolist()],
                "output_shape": list(np.asarray(y).shape),
            },
            f,
        )


def conv_transpose_cases(rng):
    cases = [
        # (spatial, C, M/G, G, kernel, strides, dilations, pads, output_padding, auto_pad, output_shape, bias)
        ([5], 2, 3, 1, [3], [2], [1], [1, 0], [1], None, None, True),
        ([4, 3], 3, 2, 1, [3, 2], [2, 3], [1, 1], [0, 1, 1, 0], [1, 2], None, None, False),
        ([3, 4], 4, 1, 2, [2, 3], [3, 1], [2, 1], [1, 1, 0, 2], [0, 0], None, None, True),
        ([4, 4], 2, 2, 2, [3, 3], [2, 2], [1, 1], None, None, "SAME_UPPER", None, True),
        ([4, 4], 2, 2, 1, [3, 3], [2, 2], [1, 1], None, None, "SAME_LOWER", None, False),
        ([3, 5], 2, 3, 1, [2, 3], [2, 2], [1, 2], None, None, None, [5, 11], True),
        ([6], 3, 2, 3, [4], [3], [2], [2, 3], [2], None, None, True),
        ([2, 3, 2], 2, 2, 1, [2, 2, 3], [1, 2, 2], [1, 1, 1], [0, 0, 1, 1, 0, 0], None, None, None, False),
        ([5, 5], 1, 4, 1, [1, 1], [2, 3], [1, 1], None, [1, 0], None, None, True),
        ([3, 3], 6, 2, 3, [3, 3], [1, 1], [3, 2], [2, 1, 2, 1], None, None, None, True),
        # output_shape one larger than the full output: negative total padding.
        ([3, 3], 1, 2, 1, [3, 3], [3, 2], [1, 1], None, None, None, [10, 8], False),
    ]
    for i, (sp, c, mg, g, k, s, d, p, op, ap, os_, bias) in enumerate(cases):
        x = rng.standard_normal([2, c] + sp).astype(np.float32)
        w = rng.standard_normal([c, mg] + k).astype(np.float32)
        attrs = {"strides": s, "dilations": d, "group": g, "kernel_shape": k}
        if p is not None:
            attrs["pads"] = p
        if op is not None:
            attrs["output_padding"] = op
        if ap is not None:
            attrs["auto_pad"] = ap
        if os_ is not None:
            attrs["output_shape"] = os_
        inits = {"w": w}
        ins = ["x", "w"]
        if bias:
            inits["b"] = rng.standard_normal([mg * g]).astype(np.float32)
            ins.append("b")
        node = helper.make_node("ConvTranspose", ins, ["y"], **attrs)
        write(f"convtranspose_{i}", node, {"x": x}, inits)


def argmax_cases(rng):
    for op in ["ArgMax", "ArgMin"]:
        for i, (shape, axis, keep, last) in enumerate(
            [([3, 4, 5], 1, 1, 0), ([3, 4, 5], -1, 0, 1), ([6, 2], 0, 1, 1), ([7], 0, 0, 0)]
        ):
            # Few distinct values, so ties are common and first/last index matter.
            x = rng.integers(-2, 3, size=shape).astype(np.float32) * 0.5
            node = helper.make_node(
                op, ["x"], ["y"], axis=axis, keepdims=keep, select_last_index=last
            )
            write(f"{op.lower()}_{i}", node, {"x": x}, {}, TensorProto.INT64)


def resize_cases(rng):
    cases = [
        # (shape, mode, coord, nearest_mode, scales, sizes, extra attrs)
        ([1, 2, 3, 4], "nearest", "half_pixel", "round_prefer_floor", [1, 1, 2, 1.5], None, {}),
        ([1, 1, 5, 4], "nearest", "asymmetric", "floor", [1, 1, 0.6, 2.5], None, {}),
        ([2, 1, 3, 3], "nearest", "align_corners", "round_prefer_ceil", None, [2, 1, 7, 5], {}),
        ([1, 2, 4, 6], "nearest", "pytorch_half_pixel", "ceil", None, [1, 2, 3, 1], {}),
        ([1, 2, 3, 4], "nearest", "tf_half_pixel_for_nn", "round_prefer_floor", [1, 1, 2, 2], None, {}),
        ([1, 2, 3, 4], "linear", "half_pixel", "round_prefer_floor", [1, 1, 2, 1.5], None, {}),
        ([1, 1, 5, 4], "linear", "asymmetric", "floor", [1, 1, 0.6, 2.5], None, {}),
        ([2, 1, 3, 3], "linear", "align_corners", "floor", None, [2, 1, 7, 5], {}),
        ([1, 2, 4, 6], "linear", "pytorch_half_pixel", "floor", None, [1, 2, 3, 1], {}),
        ([1, 2, 4, 4], "cubic", "half_pixel", "floor", [1, 1, 1.5, 0.75], None, {}),
        ([1, 1, 4, 5], "cubic", "align_corners", "floor", None, [1, 1, 6, 3], {"exclude_outside": 1, "cubic_coeff_a": -0.5}),
        ([3, 5], "linear", "half_pixel", "floor", [2, 0.5], None, {}),
        ([1, 1, 8, 7], "linear", "half_pixel", "floor", [1, 1, 0.4, 0.6], None, {"antialias": 1}),
        ([1, 2, 9, 6], "cubic", "pytorch_half_pixel", "floor", None, [1, 2, 4, 5], {"antialias": 1}),
        ([1, 1, 6, 6], "cubic", "asymmetric", "floor", [1, 1, 0.5, 1.5], None, {"exclude_outside": 1}),
    ]
    for i, (shape, mode, coord, nm, scales, sizes, extra) in enumerate(cases):
        x = rng.standard_normal(shape).astype(np.float32)
        inits = {}
        ins = ["x", ""]
        if scales is not None:
            inits["scales"] = np.array(scales, dtype=np.float32)
            ins.append("scales")
        else:
            inits["sizes"] = np.array(sizes, dtype=np.int64)
            ins += ["", "sizes"]
        node = helper.make_node(
            "Resize", ins, ["y"], mode=mode, coordinate_transformation_mode=coord,
            nearest_mode=nm, **extra
        )
        # antialias is an opset-18 attribute.
        opset = 18 if "antialias" in extra else OPSET
        write(f"resize_{i}", node, {"x": x}, inits, opset=opset)


def gathernd_onehot_cases(rng):
    for i, (ds, idx, bd) in enumerate([
        ([3, 4, 5], [[0, 1], [2, -1], [1, 3]], 0),
        ([2, 3, 4], [[[1], [0]], [[2], [2]]], 1),
        ([2, 3, 4], [[1, 2], [0, 3]], 1),
        ([4, 2], [[[3, 1]], [[-4, 0]]], 0),
    ]):
        x = rng.standard_normal(ds).astype(np.float32)
        node = helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=bd)
        write(f"gathernd_{i}", node, {"x": x}, {"i": np.array(idx, dtype=np.int64)})
    for i, (shape, depth, axis) in enumerate([([2, 3], 4, -1), ([3], 5, 0), ([2, 2], 3, 1)]):
        # Run-time real indices, including negative and out-of-range ones.
        x = rng.integers(-depth - 1, depth + 1, size=shape).astype(np.float32)
        node = helper.make_node("OneHot", ["x", "d", "v"], ["y"], axis=axis)
        inits = {"d": np.array(depth, dtype=np.float32), "v": np.array([-0.5, 2.0], dtype=np.float32)}
        write(f"onehot_{i}", node, {"x": x}, inits)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(16)
    argmax_cases(rng)
    conv_transpose_cases(rng)
    resize_cases(rng)
    gathernd_onehot_cases(rng)


if __name__ == "__main__":
    main()
