"""Already-quantized models made by onnxruntime's own quantizer: testdata/models/qdq_cnn{,_qop}/.

A small float CNN (Conv 1->4 3x3, Relu, MaxPool 2, Conv 4->8 3x3, Relu, Flatten, MatMul to 10)
with fixed-seed random weights is quantized with onnxruntime.quantization.quantize_static
(uint8 activations, int8 per-channel weights, MinMax calibration on 16 random images):

  qdq_cnn      QuantFormat.QDQ       QuantizeLinear/DequantizeLinear around float ops
  qdq_cnn_qop  QuantFormat.QOperator QLinearConv, QLinearMatMul

Each folder: network.onnx, input.json, calibration.json, holdout.json (20 images) and
holdout_expected.json, onnxruntime's outputs of the quantized model on each holdout image.
"""
import os
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)

from common import make_model, ort_run, round5, write_folder, write_outputs

H = W = 12


def float_model(rng):
    init = [
        numpy_helper.from_array(rng.normal(0, 0.4, (4, 1, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.25, (8, 4, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b2"),
        numpy_helper.from_array(rng.normal(0, 0.15, (8 * 4 * 4, 10)).astype(np.float32), "wf"),
        numpy_helper.from_array(np.array([1, 8 * 4 * 4], np.int64), "flat_shape"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Reshape", ["r2", "flat_shape"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "wf"], ["logits"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "qdq_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, H, W])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        init,
    )
    return make_model(graph)


def images(rng, n):
    # Blobs on a dim background, in [0, 1]: image-like, not uniform noise.
    out = []
    yy, xx = np.mgrid[0:H, 0:W]
    for _ in range(n):
        img = 0.1 * rng.random((H, W))
        for _ in range(rng.integers(1, 4)):
            cy, cx, r = rng.uniform(2, H - 2), rng.uniform(2, W - 2), rng.uniform(1.5, 4)
            img += rng.uniform(0.4, 0.9) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        out.append(np.clip(img, 0, 1)[None, None])
    return np.concatenate(out).astype(np.float32)


class Reader(CalibrationDataReader):
    def __init__(self, xs):
        self.it = iter([{"x": x[None]} for x in xs])

    def get_next(self):
        return next(self.it, None)


def main():
    rng = np.random.default_rng(11)
    fmodel = float_model(rng)
    calib = round5(images(rng, 16)).reshape(16, 1, H, W)
    hold = round5(images(rng, 20)).reshape(20, 1, H, W)
    sample = round5(images(rng, 1)).reshape(1, 1, H, W)
    with tempfile.TemporaryDirectory() as tmp:
        fpath = os.path.join(tmp, "float.onnx")
        onnx.save(fmodel, fpath)
        for name, fmt in [("qdq_cnn", QuantFormat.QDQ), ("qdq_cnn_qop", QuantFormat.QOperator)]:
            qpath = os.path.join(tmp, name + ".onnx")
            quantize_static(fpath, qpath, Reader(calib), quant_format=fmt, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            qmodel = onnx.load(qpath)
            print(name, sorted({n.op_type for n in qmodel.graph.node}))
            out, _ = write_folder(name, qmodel, sample, calib, hold)
            path = os.path.join(out, "network.onnx")
            exp = [ort_run(path, {"x": h[None]})[0] for h in hold]
            write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
