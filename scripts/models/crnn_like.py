"""A CRNN-shaped text-line recognizer of 2.7M parameters, for timing `verinfer compile`.

    python scripts/models/crnn_like.py OUT.onnx

Input [1, 1, 32, 128] (a grayscale text line); six 3x3 Conv+Relu layers (1->32->64->128->128->
256->256) with four MaxPools (the last 2x1, as CRNNs pool height only), the [256, 2, 16] feature
map read as 16 time steps of 512 features, three MatMul layers (512->1536->512->97) and a
Softmax over 97 characters. He-initialized random weights (seed 3): the model is for timing
and accuracy reports, not for reading text. Not committed (10 MB); regenerate it.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(out):
    rng = np.random.default_rng(3)
    init, nodes = [], []

    def const(name, a, dtype=np.float32):
        init.append(numpy_helper.from_array(np.asarray(a, dtype=dtype), name))
        return name

    x = "image"
    chans = [1, 32, 64, 128, 128, 256, 256]
    pools = {0: (2, 2), 1: (2, 2), 3: (2, 2), 5: (2, 1)}
    for i in range(6):
        cin, cout = chans[i], chans[i + 1]
        w = rng.normal(0, np.sqrt(2.0 / (cin * 9)), (cout, cin, 3, 3))
        nodes.append(helper.make_node("Conv", [x, const(f"conv{i}.w", w),
                                               const(f"conv{i}.b", rng.normal(0, 0.05, cout))],
                                      [f"c{i}"], name=f"/conv{i}/Conv", pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"/relu{i}"))
        x = f"r{i}"
        if i in pools:
            k = pools[i]
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], name=f"/pool{i}",
                                          kernel_shape=list(k), strides=list(k)))
            x = f"p{i}"
    # [1, 256, 2, 16] -> [1, 16, 256, 2] -> [16, 512]
    nodes.append(helper.make_node("Transpose", [x], ["t"], name="/to_seq", perm=[0, 3, 1, 2]))
    nodes.append(helper.make_node("Reshape", ["t", const("seq_shape", [16, 512], np.int64)],
                                  ["seq"], name="/seq"))
    x = "seq"
    dims = [512, 1536, 512, 97]
    for i in range(3):
        w = rng.normal(0, np.sqrt(2.0 / dims[i]), (dims[i], dims[i + 1]))
        nodes.append(helper.make_node("MatMul", [x, const(f"fc{i}.w", w)], [f"m{i}"],
                                      name=f"/fc{i}/MatMul"))
        nodes.append(helper.make_node("Add", [f"m{i}", const(f"fc{i}.b", rng.normal(0, 0.05,
                                                                                  dims[i + 1]))],
                                      [f"a{i}"], name=f"/fc{i}/Add"))
        x = f"a{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [x], [f"fr{i}"], name=f"/fc{i}/Relu"))
            x = f"fr{i}"
    nodes.append(helper.make_node("Softmax", [x], ["probs"], name="/Softmax", axis=-1))
    graph = helper.make_graph(
        nodes, "crnn_like",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 32, 128])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [16, 97])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    n = sum(int(np.prod(t.dims)) for t in init)
    print(f"{out}: {n} parameters, {len(nodes)} nodes")


if __name__ == "__main__":
    main(sys.argv[1])
