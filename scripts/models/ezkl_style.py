"""An EZKL-example-style folder: network.onnx + input.json (+ expected.json), no calibration.

Mimics what torch.onnx.export writes for a small conv net: a symbolic `batch_size` axis,
`x.view(x.size(0), -1)` as Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Conv with bias,
BatchNormalization, Relu, Sigmoid, Gemm with transB=1. Random weights (seed 0).
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import MODELS_DIR, make_model, ort_run, round5, write_ezkl, write_outputs


def main():
    rng = np.random.default_rng(0)
    init = []

    def const(name, a, dtype=np.float32):
        init.append(numpy_helper.from_array(np.asarray(a, dtype=dtype), name))
        return name

    nodes = [
        helper.make_node("Conv", ["input", const("conv.weight", rng.normal(0, 0.3, (4, 3, 3, 3))),
                                  const("conv.bias", rng.normal(0, 0.1, 4))], ["c1"],
                         name="/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", const("bn.scale", rng.uniform(0.5, 1.5, 4)),
                                                const("bn.bias", rng.normal(0, 0.1, 4)),
                                                const("bn.mean", rng.normal(0, 0.1, 4)),
                                                const("bn.var", rng.uniform(0.5, 1.5, 4))],
                         ["b1"], name="/bn/BatchNormalization", epsilon=1e-5),
        helper.make_node("Relu", ["b1"], ["r1"], name="/Relu"),
        helper.make_node("Shape", ["r1"], ["s"], name="/Shape"),
        helper.make_node("Gather", ["s", const("zero", 0, np.int64)], ["n"], name="/Gather", axis=0),
        helper.make_node("Unsqueeze", ["n", const("axes0", [0], np.int64)], ["n1"], name="/Unsqueeze"),
        helper.make_node("Concat", ["n1", const("minus1", [-1], np.int64)], ["shape"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["r1", "shape"], ["flat"], name="/Reshape"),
        helper.make_node("Gemm", ["flat", const("fc.weight", rng.normal(0, 0.1, (5, 64))),
                                  const("fc.bias", rng.normal(0, 0.1, 5))], ["g"],
                         name="/fc/Gemm", transB=1),
        helper.make_node("Sigmoid", ["g"], ["output"], name="/Sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "ezkl_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch_size", 3, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch_size", 5])],
        init)
    model = make_model(graph)
    out = os.path.join(MODELS_DIR, "ezkl_style")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "network.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    x = round5(rng.uniform(0, 1, (1, 3, 8, 8))).reshape(1, 3, 8, 8)
    write_ezkl(os.path.join(out, "input.json"), [x])
    write_outputs(os.path.join(out, "expected.json"), ort_run(path, {"input": x}))
    print("ezkl_style written")


if __name__ == "__main__":
    main()
