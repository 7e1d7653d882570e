"""A mel-spectrogram front-end as audio exporters emit it: testdata/models/mel_clip/.

frames [1, 8, 128] (windowed audio) -> MatMul by a real DFT basis (cos and sin, 65 bins each)
-> square and add (power) -> MatMul by a 20-band mel filterbank -> Clip(min=1e-10, max=+inf,
opset-13 constant inputs, as torchaudio/librosa exports write the clamp) -> Log.

The Clip's `max = +inf` once quantized the whole front-end to one step (a constant output).
Inputs are real-looking audio: sums of random tones with noise, framed and Hann-windowed.
Also writes holdout_expected.json: onnxruntime's outputs for each holdout sample.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import MODELS_DIR, make_model, ort_run, write_folder, write_outputs, round5

FRAMES, WIN, BINS, MELS = 8, 128, 65, 20
SR = 8000


def mel_filterbank():
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    pts = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(SR / 2), MELS + 2))
    freqs = np.linspace(0, SR / 2, BINS)
    fb = np.zeros((BINS, MELS))
    for m in range(MELS):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[:, m] = np.maximum(0, np.minimum(up, down))
    return fb


def audio(rng):
    t = np.arange(FRAMES * WIN // 2 + WIN) / SR
    x = 0.02 * rng.normal(size=t.shape)
    for _ in range(rng.integers(1, 4)):
        x += rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(100, 3500) * t)
    hann = np.hanning(WIN)
    frames = np.stack([x[i * WIN // 2: i * WIN // 2 + WIN] * hann for i in range(FRAMES)])
    return frames[None].astype(np.float32)


def main():
    rng = np.random.default_rng(7)
    n = np.arange(WIN)[:, None]
    k = np.arange(BINS)[None, :]
    cos = np.cos(2 * np.pi * n * k / WIN).astype(np.float32)
    sin = np.sin(2 * np.pi * n * k / WIN).astype(np.float32)
    init = [
        numpy_helper.from_array(cos, "dft_cos"),
        numpy_helper.from_array(sin, "dft_sin"),
        numpy_helper.from_array(mel_filterbank().astype(np.float32), "mel_fb"),
        numpy_helper.from_array(np.array(1e-10, np.float32), "clip_min"),
        numpy_helper.from_array(np.array(np.inf, np.float32), "clip_max"),
    ]
    nodes = [
        helper.make_node("MatMul", ["frames", "dft_cos"], ["re"], name="/stft/re"),
        helper.make_node("MatMul", ["frames", "dft_sin"], ["im"], name="/stft/im"),
        helper.make_node("Mul", ["re", "re"], ["re2"], name="/pow/re2"),
        helper.make_node("Mul", ["im", "im"], ["im2"], name="/pow/im2"),
        helper.make_node("Add", ["re2", "im2"], ["power"], name="/pow/add"),
        helper.make_node("MatMul", ["power", "mel_fb"], ["mel"], name="/mel/MatMul"),
        helper.make_node("Clip", ["mel", "clip_min", "clip_max"], ["clamped"], name="/Clip"),
        helper.make_node("Log", ["clamped"], ["logmel"], name="/Log"),
    ]
    graph = helper.make_graph(
        nodes, "mel_clip",
        [helper.make_tensor_value_info("frames", TensorProto.FLOAT, [1, FRAMES, WIN])],
        [helper.make_tensor_value_info("logmel", TensorProto.FLOAT, [1, FRAMES, MELS])],
        init,
    )
    model = make_model(graph)
    calib = np.concatenate([audio(rng) for _ in range(8)])
    hold = np.concatenate([audio(rng) for _ in range(20)])
    out, _ = write_folder("mel_clip", model, audio(rng), calib, hold)
    path = os.path.join(out, "network.onnx")
    exp = [ort_run(path, {"frames": round5(h).reshape(1, FRAMES, WIN)})[0] for h in hold]
    write_outputs(os.path.join(out, "holdout_expected.json"), [np.concatenate(exp)])


if __name__ == "__main__":
    main()
