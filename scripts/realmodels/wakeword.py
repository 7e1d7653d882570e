#!/usr/bin/env python3
"""openwakeword's wake-word pipeline through verinfer, stage by stage and end to end, against
onnxruntime.

    .venv/bin/pip download --no-deps openwakeword==0.4.0 -d target/pkgs-ow
    .venv/bin/python scripts/realmodels/wakeword.py --verinfer target/release/verinfer \
        --wheel target/pkgs-ow/openwakeword-0.4.0-py3-none-any.whl --work target/owk-pipe \
        [--clips 8] [--chunks 45]

The wheel ships the three ONNX stages openwakeword chains in its streaming `Model.predict`:

1. `melspectrogram.onnx` on each 1280-sample chunk of 16 kHz int16 PCM together with the 480
   samples before it (1760 samples, 8 frames of 32 mel bands), then openwakeword's transform
   `x / 10 + 2`;
2. `embedding_model.onnx` on windows of 76 mel frames, step 8 (one 96-d embedding per chunk);
3. each wake-word head (`*_v0.1.onnx`) on its number of consecutive embeddings (16, 22 or
   34): a probability.

No speech ships in the package, so the audio is generated with packages.py's generator
(synthetic voiced speech — a glottal pulse train through formant resonators with a syllable
envelope —, tones in noise, faint noise), scaled to int16. Each stage is compiled on 8
calibration inputs computed by onnxruntime from separate clips, then run by verinfer on
onnxruntime's own upstream outputs for the test clips (so each stage's error is its own), and
the whole chain is run verinfer-only (mel → embedding → head, every stage verinfer) against
onnxruntime-only. Prints markdown tables: per stage the largest and mean absolute error over
the test inputs against the output's range, and per head the decisions p > 0.5 equal.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from packages import clips  # noqa: E402

CHUNK, CONTEXT, WINDOW, STEP, PER_CLIP = 1280, 480, 76, 8, 4


def pcm(n_clips, n_chunks, seed):
    """n_clips int16-valued float32 clips long enough for n_chunks streaming chunks."""
    length = CONTEXT + CHUNK * n_chunks
    return [np.clip(np.round(c[0] * 32767), -32768, 32767).astype(np.float32)
            for c in clips(n_clips, 1, length, seed)]


def inputs_of(path):
    """(name, static shape) of the model's first input, symbolic dims as 1."""
    m = onnx.load(path)
    inits = {t.name for t in m.graph.initializer}
    i = next(i for i in m.graph.input if i.name not in inits)
    return i.name, [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]


class Stage:
    """One ONNX model: onnxruntime, and verinfer once compiled."""

    def __init__(self, path, shape, a, work):
        self.path, self.a = path, a
        self.name = os.path.basename(path).replace(".onnx", "")
        self.input, _ = inputs_of(path)
        self.shape = shape
        self.sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.vm = os.path.join(self.dir, "model.vm")
        self.compile_error = None
        self.n = 0
        self.cache = {}

    def ort(self, x):
        return self.sess.run(None, {self.input: x.reshape(self.shape).astype(np.float32)})[0]

    def compile(self, cal):
        path = os.path.join(self.dir, "cal.json")
        with open(path, "w") as f:
            json.dump({"input_data": [np.concatenate([c.ravel() for c in cal]).tolist()]}, f)
        args = [self.a.verinfer, "compile", self.path, "--calibration", path, "-o", self.vm,
                "--input-shape", f"{self.input}={','.join(map(str, self.shape))}"]
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0:
            lines = [l.strip() for l in p.stderr.splitlines() if l.strip()]
            self.compile_error = next((l for l in lines if "error" in l.lower()),
                                      lines[0] if lines else "?")
        return self.compile_error is None

    def run(self, x):
        key = np.asarray(x, np.float32).tobytes()
        if key not in self.cache:
            self.cache[key] = self.run_once(x)
        return self.cache[key]

    def run_once(self, x):
        self.n += 1
        inp = os.path.join(self.dir, "in.json")
        with open(inp, "w") as f:
            json.dump({"input_data": [x.ravel().astype(np.float64).tolist()]}, f)
        out = os.path.join(self.dir, "out.json")
        p = subprocess.run([self.a.verinfer, "run", self.vm, "--input", inp, "-o", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"{self.name}: run fails: {p.stderr.strip()[:300]}")
        return np.array(json.load(open(out))["outputs"][0]["data"])


def mel_chunks(audio, n_chunks):
    return [audio[c * CHUNK:c * CHUNK + CHUNK + CONTEXT] for c in range(n_chunks)]


def pipeline(mel, emb, heads, audio, n_chunks, runner):
    """Per clip: mel chunks, embedding windows (transformed mel frames), and per head its
    windows of consecutive embeddings (at most PER_CLIP, evenly spaced) and probabilities,
    each stage run by `runner(stage, x)`."""
    chunks = mel_chunks(audio, n_chunks)
    spec = np.concatenate([runner(mel, c).reshape(-1, 32) for c in chunks]) / 10 + 2
    windows = [spec[i:i + WINDOW] for i in range(0, len(spec) - WINDOW + 1, STEP)]
    embs = np.stack([runner(emb, w).reshape(96) for w in windows])
    feats, probs = {}, {}
    for h in heads:
        n = h.shape[1]
        count = len(embs) - n + 1
        starts = sorted(set(np.linspace(0, count - 1, min(PER_CLIP, count)).astype(int)))
        feats[h.name] = [embs[t:t + n] for t in starts]
        probs[h.name] = np.stack([runner(h, f).ravel() for f in feats[h.name]])
    return chunks, windows, feats, probs


def decisions(got, want):
    """Wake-word decisions p > 0.5 equal, of how many, and how many onnxruntime makes: one
    per window, or per wake-word class of a multi-class head (class 0 is the background)."""
    g, w = np.atleast_2d(got), np.atleast_2d(want)
    if g.shape[1] > 1:
        g, w = g[:, 1:], w[:, 1:]
    return int(np.sum((g > 0.5) == (w > 0.5))), g.size, int(np.sum(w > 0.5))


def errors(pairs):
    """(max abs, mean abs, max |reference|) over (got, want) pairs."""
    d = np.concatenate([np.abs(np.ravel(g) - np.ravel(w)) for g, w in pairs])
    ref = max(float(np.max(np.abs(w))) for _, w in pairs)
    return float(d.max()), float(d.mean()), ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--work", default="target/owk-pipe")
    ap.add_argument("--clips", type=int, default=8, help="test clips")
    ap.add_argument("--chunks", type=int, default=45, help="1280-sample chunks per clip")
    a = ap.parse_args()
    root = os.path.join(a.work, "wheel")
    with zipfile.ZipFile(a.wheel) as z:
        z.extractall(root)
    models = os.path.join(root, "openwakeword", "resources", "models")
    mel = Stage(os.path.join(models, "melspectrogram.onnx"), [1, CHUNK + CONTEXT], a, a.work)
    emb = Stage(os.path.join(models, "embedding_model.onnx"), [1, WINDOW, 32, 1], a, a.work)
    heads = []
    for p in sorted(glob.glob(os.path.join(models, "*_v0.1.onnx"))):
        _, shape = inputs_of(p)
        heads.append(Stage(p, shape, a, a.work))

    ort_run = lambda s, x: s.ort(x)  # noqa: E731
    # Calibration: onnxruntime's upstream values on clips of their own (seed 1).
    cal = [pipeline(mel, emb, heads, c, a.chunks, ort_run) for c in pcm(3, a.chunks, 1)]
    pick = lambda xs, n: [xs[i] for i in np.linspace(0, len(xs) - 1, n).astype(int)]  # noqa
    mel.compile(pick([c for cl in cal for c in cl[0]], 8))
    emb.compile(pick([w for cl in cal for w in cl[1]], 8))
    for h in heads:
        h.compile(pick([f for cl in cal for f in cl[2][h.name]], 8))

    test = pcm(a.clips, a.chunks, 2)
    ref = [pipeline(mel, emb, heads, c, a.chunks, ort_run) for c in test]
    stages = {s.name: [] for s in [mel, emb] + heads}
    chain = {h.name: [] for h in heads}
    ok = [s for s in [mel, emb] + heads if s.compile_error is None]
    for (chunks, windows, feats, probs) in ref:
        if mel in ok:
            stages[mel.name] += [(mel.run(c), mel.ort(c)) for c in chunks]
        if emb in ok:
            stages[emb.name] += [(emb.run(w), emb.ort(w)) for w in windows]
        for h in heads:
            if h in ok:
                stages[h.name] += [(h.run(f), probs[h.name][k])
                                   for k, f in enumerate(feats[h.name])]
    if mel in ok and emb in ok:
        vi_run = lambda s, x: s.run(x)  # noqa: E731
        live = [h for h in heads if h in ok]
        for audio, (_, _, _, probs) in zip(test, ref):
            _, _, _, got = pipeline(mel, emb, live, audio, a.chunks, vi_run)
            for h in live:
                chain[h.name].append((got[h.name], probs[h.name]))

    print(f"Test inputs: {a.clips} clips of {a.chunks} chunks of {CHUNK} samples (+{CONTEXT} "
          "context); each stage on onnxruntime's upstream outputs.\n")
    print("| Stage (package file) | Compile | Inputs | Max abs error | Mean abs error | "
          "Max \\|output\\| | Decisions p > 0.5 equal |")
    print("|---|---|---|---|---|---|---|")
    for s in [mel, emb] + heads:
        if s.compile_error:
            print(f"| {s.name}.onnx | fails: {s.compile_error[:200]} | – | – | – | – | – |")
            continue
        mx, mean, r = errors(stages[s.name])
        dec = "–"
        if s in heads:
            eq, n, pos = decisions(np.stack([g for g, _ in stages[s.name]]),
                                   np.stack([w for _, w in stages[s.name]]))
            dec = f"{eq}/{n} ({pos} with p > 0.5)"
        print(f"| {s.name}.onnx | ok | {len(stages[s.name])} | {mx:.3g} | {mean:.3g} | "
              f"{r:.3g} | {dec} |")
    if any(chain.values()):
        print("\nWhole chain, verinfer only (mel → embedding → head) against onnxruntime only:\n")
        print("| Head | Windows | Max abs error of p | Mean abs error of p | "
              "Decisions p > 0.5 equal |")
        print("|---|---|---|---|---|")
        for name, pairs in chain.items():
            if not pairs:
                continue
            g, w = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
            eq, n, pos = decisions(g, w)
            print(f"| {name} | {len(g)} | {np.max(np.abs(g - w)):.3g} | "
                  f"{np.mean(np.abs(g - w)):.3g} | {eq}/{n} ({pos} with p > 0.5) |")


if __name__ == "__main__":
    main()
