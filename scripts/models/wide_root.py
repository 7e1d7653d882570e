"""A magnitude spectrum read by a logarithm and by a linear layer: testdata/models/wide_root/.

frames [1, 8, 128] (windowed audio) -> re, im = MatMul by a real DFT basis (65 bins) ->
re² + im² -> Sqrt = |X| -> two consumers:
  - logmag = Log(|X| · 0.5 + 0.05)     (output 0: the log reads the quiet bins)
  - energy = |X| · W (MatMul, 65 -> 4)  (output 1: a linear layer on the magnitudes)

The audio is a loud tone or two over quiet noise, so |X| spans ~1e-3 to ~60. The nodes
between the root and the log are held wide (they reach only the log), but the root also
feeds the MatMul, so it is not: at 16 bits its step is 2^-8 and the quiet bins' log is off by
several units. The wide-root rule computes the root at 31 bits for the log's side and gives the
MatMul a 16-bit rescale of it (docs/quantization.md, "Wide roots").
Also writes holdout_expected.json: onnxruntime's outputs (logmag then energy, flat) per holdout
sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import make_model, ort_run, write_folder, write_outputs, round5

FRAMES, WIN, BINS, SR = 8, 128, 65, 8000


def audio(rng):
    t = np.arange(FRAMES * WIN // 2 + WIN) / SR
    x = 0.001 * rng.normal(size=t.shape)
    for _ in range(rng.integers(1, 3)):
        x += rng.uniform(0.3, 0.9) * np.sin(2 * np.pi * rng.uniform(200, 3000) * t)
    hann = np.hanning(WIN)
    frames = np.stack([x[i * WIN // 2: i * WIN // 2 + WIN] * hann for i in range(FRAMES)])
    return frames[None].astype(np.float32)


def main():
    rng = np.random.default_rng(5)
    n = np.arange(WIN)[:, None]
    k = np.arange(BINS)[None, :]
    init = [
        numpy_helper.from_array(np.cos(2 * np.pi * n * k / WIN).astype(np.float32), "dft_cos"),
        numpy_helper.from_array(np.sin(2 * np.pi * n * k / WIN).astype(np.float32), "dft_sin"),
        numpy_helper.from_array(np.array(0.5, np.float32), "k"),
        numpy_helper.from_array(np.array(0.05, np.float32), "eps"),
        numpy_helper.from_array(rng.normal(0, 0.1, size=(BINS, 4)).astype(np.float32), "w"),
    ]
    nodes = [
        helper.make_node("MatMul", ["frames", "dft_cos"], ["re"], name="/stft/re"),
        helper.make_node("MatMul", ["frames", "dft_sin"], ["im"], name="/stft/im"),
        helper.make_node("Mul", ["re", "re"], ["re2"], name="/pow/re2"),
        helper.make_node("Mul", ["im", "im"], ["im2"], name="/pow/im2"),
        helper.make_node("Add", ["re2", "im2"], ["power"], name="/pow/add"),
        helper.make_node("Sqrt", ["power"], ["mag"], name="/Sqrt"),
        helper.make_node("Mul", ["mag", "k"], ["scaled"], name="/log/mul"),
        helper.make_node("Add", ["scaled", "eps"], ["floored"], name="/log/add"),
        helper.make_node("Log", ["floored"], ["logmag"], name="/Log"),
        helper.make_node("MatMul", ["mag", "w"], ["energy"], name="/energy/MatMul"),
    ]
    graph = helper.make_graph(
        nodes, "wide_root",
        [helper.make_tensor_value_info("frames", TensorProto.FLOAT, [1, FRAMES, WIN])],
        [helper.make_tensor_value_info("logmag", TensorProto.FLOAT, [1, FRAMES, BINS]),
         helper.make_tensor_value_info("energy", TensorProto.FLOAT, [1, FRAMES, 4])],
        init,
    )
    model = make_model(graph)
    calib = np.concatenate([audio(rng) for _ in range(8)])
    hold = np.concatenate([audio(rng) for _ in range(20)])
    out, _ = write_folder("wide_root", model, audio(rng), calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = []
    for h in hold:
        logmag, energy = ort_run(path, {"frames": round5(h).reshape(1, FRAMES, WIN)})
        exp.append(np.concatenate([logmag.ravel(), energy.ravel()]))
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
