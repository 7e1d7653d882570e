"""Bad-input fixtures for error-path tests, written to testdata/bad/.

  malformed.onnx           512 random bytes (seed 0): not a protobuf ModelProto
  truncated.onnx           testdata/models/digits_mlp/network.onnx cut to its first half
  unsupported_op.onnx      valid model whose only node is Det, named "my_det"
  symbolic_dims.onnx       input X ["batch_size", "seq", 8] -> MatMul with constant W [8, 4]
  nan_input.json           digits_mlp-shaped EZKL input (64 floats) with a NaN (literal NaN token)
  inf_input.json           same, with Infinity and -Infinity tokens
  wrong_length_input.json  EZKL input with 63 floats (digits_mlp wants 64)
  large_error.onnx         x [1, 2] -> Sub 100 -> MatMul [[1e4], [-1e4]] -> Sigmoid: a decision
                           on differences of 1e-4 between two values near 100, below any
                           fixed-point grid of <= 20 bits for values of that size
  large_error_cal.json     8 calibration rows for it (x0, x1 near 100, differences of 1e-4..1e-3)

Run digits_mlp.py first (truncated.onnx is cut from its model).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

BAD = os.path.join(common.REPO, "testdata", "bad")


def main():
    os.makedirs(BAD, exist_ok=True)
    rng = np.random.default_rng(0)

    with open(os.path.join(BAD, "malformed.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, 512, dtype=np.uint8).tobytes())

    with open(os.path.join(common.MODELS_DIR, "digits_mlp", "network.onnx"), "rb") as f:
        good = f.read()
    with open(os.path.join(BAD, "truncated.onnx"), "wb") as f:
        f.write(good[: len(good) // 2])

    # Det (no lowering: a determinant is not a fixed-point primitive): X [1, 3, 3] -> Y [1]
    g = helper.make_graph(
        [helper.make_node("Det", ["x"], ["y"], name="my_det")],
        "unsupported_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    onnx.save(common.make_model(g), os.path.join(BAD, "unsupported_op.onnx"))

    w = numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "w")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
        "symbolic_dims",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch_size", "seq", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch_size", "seq", 4])],
        [w],
    )
    onnx.save(common.make_model(g), os.path.join(BAD, "symbolic_dims.onnx"))

    base = [round(float(v), 4) for v in rng.random(64)]
    nan = list(base)
    nan[10] = float("nan")
    inf = list(base)
    inf[3], inf[40] = float("inf"), float("-inf")
    for name, data in (("nan_input.json", nan), ("inf_input.json", inf),
                       ("wrong_length_input.json", base[:63])):
        with open(os.path.join(BAD, name), "w") as f:
            json.dump({"input_data": [data]}, f)  # allow_nan=True: writes NaN / Infinity tokens
            f.write("\n")

    w = numpy_helper.from_array(np.array([[1e4], [-1e4]], dtype=np.float32), "w")
    mean = numpy_helper.from_array(np.array([100.0, 100.0], dtype=np.float32), "mean")
    g = helper.make_graph(
        [
            helper.make_node("Sub", ["x", "mean"], ["c"], name="center"),
            helper.make_node("MatMul", ["c", "w"], ["z"], name="difference"),
            helper.make_node("Sigmoid", ["z"], ["y"], name="decision"),
        ],
        "large_error",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
        [w, mean],
    )
    onnx.save(common.make_model(g), os.path.join(BAD, "large_error.onnx"))
    cal = []
    for k in range(8):
        a = 99.5 + k / 8
        d = (1 + k) * 1e-4 * (1 if k % 2 else -1)
        cal += [round(a, 4), round(a + d, 4)]
    with open(os.path.join(BAD, "large_error_cal.json"), "w") as f:
        json.dump({"input_data": [cal]}, f)
        f.write("\n")

    for fn in sorted(os.listdir(BAD)):
        print(f"bad/{fn}: {os.path.getsize(os.path.join(BAD, fn))} bytes")


if __name__ == "__main__":
    main()
