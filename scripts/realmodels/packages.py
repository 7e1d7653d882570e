#!/usr/bin/env python3
"""ONNX models shipped inside PyPI packages, through verinfer, against onnxruntime.

    .venv/bin/pip download --no-deps silero-vad==6.2.3 -d target/pkgs
    .venv/bin/python scripts/realmodels/packages.py --verinfer target/release/verinfer \
        --wheels target/pkgs --work target/realmodels-pkgs [--only NAME ...] \
        [--dim NAME=VALUE ...] [--const NAME=VALUE ...]

For every `.onnx` file of every wheel in --wheels: symbolic input dims are fixed from MODELS
(per file) or --dim (by dim name; `batch`, `N`, `batch_size` default to 1), inputs that select
a branch (an int64 sample rate `sr`) are fixed at compile time with `verinfer compile --const`,
and the model is compiled calibrated on 8 inputs and run on 24 more, each compared with
onnxruntime. No data set ships with the wheels, so inputs are generated here: for an audio
model, clips of 4 consecutive windows (window length from the input's shape) — synthetic
voiced speech (a glottal pulse train at 90–250 Hz through three formant resonators, with a
syllable-rate envelope), tones in noise, and faint noise — with the recurrent state carried
from window to window as onnxruntime computes it (both sides get the same state, so errors
do not compound). Other float inputs are 0. Prints one markdown row per model: compile status
(the first error line when it fails), the largest absolute error of the first output against
onnxruntime, and for a voice-activity model (first output a probability) the decisions p > 0.5
equal to onnxruntime's.
"""

import argparse
import glob
import json
import os
import subprocess
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
from scipy.signal import lfilter

SR = 16000
DEFAULT_DIMS = {"batch": 1, "N": 1, "batch_size": 1}
# Per file: input shapes (for unnamed or model-specific symbolic dims) and compile-time
# constants. silero-vad takes 512 samples at 16 kHz plus the 64 samples of context its Python
# wrapper prepends (576), like the fixed-shape openvino export.
SILERO = {"shapes": {"input": [1, 576], "state": [2, 1, 128]}, "consts": {"sr": SR}}
MODELS = {
    "silero_vad.onnx": SILERO,
    "silero_vad_16k_op15.onnx": SILERO,
    "silero_vad_op18_ifless.onnx": SILERO,
    "silero_vad_half.onnx": SILERO,
    "silero_vad_16k_sequence.onnx": {"shapes": {"input": [1, 576]}},
}
# The older silero (v4, as openwakeword 0.4.0 ships it under the same file name): LSTM state
# `h`, `c` of [2, batch, 64] instead of `state`, and the 640-sample frames openwakeword's VAD
# wrapper feeds it (no context prepended). Chosen by its input names, not its file name.
SILERO_V4 = {"shapes": {"input": [1, 640], "h": [2, 1, 64], "c": [2, 1, 64]},
             "consts": {"sr": SR}}
STATE_NAMES = {"state": "stateN", "h": "hn", "c": "cn"}


def speech(length, rng):
    """Voiced speech-like signal: pulse train through formant resonators, syllable envelope."""
    f0 = rng.uniform(90, 250)
    pulses = np.zeros(length)
    pulses[(np.arange(0, length, SR / f0)).astype(int)] = 1.0
    x = pulses
    for f, bw in zip(
        (rng.uniform(300, 900), rng.uniform(900, 2300), rng.uniform(2300, 3200)), (80, 100, 150)
    ):
        r = np.exp(-np.pi * bw / SR)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r], x)
    t = np.arange(length) / SR
    env = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6.3))
    x = x * env
    return 0.3 * x / (np.max(np.abs(x)) + 1e-9) + rng.normal(0, 0.003, length)


def clips(n_clips, per_clip, length, seed):
    """n_clips clips of per_clip consecutive windows each (list of lists of float32 arrays)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_clips):
        total = length * per_clip
        kind = k % 3
        if kind == 0:
            sig = speech(total, rng)
        elif kind == 1:
            t = np.arange(total) / SR
            sig = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1500) * t) + rng.normal(0, 0.05, total)
        else:
            sig = rng.normal(0, 0.01, total)
        sig = sig.astype(np.float32)
        out.append([sig[i * length:(i + 1) * length] for i in range(per_clip)])
    return out


def resolve(model, name, a):
    """({input: (shape, elem_type)} of run-time inputs, {input: value} fixed), or a reason."""
    cfg = MODELS.get(name, {})
    if {"h", "c", "sr"} <= {i.name for i in model.graph.input}:
        cfg = SILERO_V4
    dims = dict(DEFAULT_DIMS, **a.dims)
    consts = dict(cfg.get("consts", {}), **a.consts)
    inits = {t.name for t in model.graph.initializer}
    shapes, fixed = {}, {}
    for i in model.graph.input:
        if i.name in inits:
            continue
        et = i.type.tensor_type.elem_type
        if i.name in consts:
            fixed[i.name] = consts[i.name]
            continue
        if i.name in cfg.get("shapes", {}):
            shapes[i.name] = (cfg["shapes"][i.name], et)
            continue
        s = []
        for d in i.type.tensor_type.shape.dim:
            if d.dim_value > 0:
                s.append(d.dim_value)
            elif d.dim_param in dims:
                s.append(dims[d.dim_param])
            else:
                return None, f"input {i.name}: dim '{d.dim_param or '?'}' not fixed (--dim)"
        shapes[i.name] = (s, et)
    if any(t != 1 for _, t in shapes.values()):
        return None, "non-float run-time inputs (not tried)"
    return (shapes, fixed), None


def run_model(path, a):
    model = onnx.load(path)
    name = os.path.basename(path)
    ops = ", ".join(sorted({n.op_type for n in model.graph.node}))
    resolved, why = resolve(model, name, a)
    if resolved is None:
        return f"| {name} | {ops} | {why} | – | – |"
    shapes, fixed = resolved
    audio = max(shapes, key=lambda k: int(np.prod(shapes[k][0])))
    length = int(np.prod(shapes[audio][0]))
    names = [n for n in (i.name for i in model.graph.input) if n in shapes]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]

    def feeds(clip_list):
        """Per window: the float inputs, and onnxruntime's outputs (carrying the state)."""
        rows = []
        for clip in clip_list:
            state = {k: np.zeros(s, np.float32) for k, (s, _) in shapes.items() if k != audio}
            for w in clip:
                x = dict(state, **{audio: w.reshape(shapes[audio][0])})
                full = dict(x, **{k: np.array(v, dtype=np.int64) for k, v in fixed.items()})
                want = dict(zip(out_names, sess.run(None, full)))
                rows.append((x, want))
                for k in state:
                    if STATE_NAMES.get(k) in want:
                        state[k] = want[STATE_NAMES[k]].astype(np.float32)
        return rows

    d = os.path.join(a.work, name.replace(".onnx", ""))
    os.makedirs(d, exist_ok=True)
    cal = feeds(clips(2, 4, length, 1))
    with open(os.path.join(d, "cal.json"), "w") as f:
        json.dump({"input_data": [np.concatenate([x[n].ravel() for x, _ in cal]).tolist()
                                  for n in names]}, f)
    vm = os.path.join(d, "model.vm")
    args = [a.verinfer, "compile", path, "--calibration", os.path.join(d, "cal.json"), "-o", vm]
    for k, (s, _) in shapes.items():
        args += ["--input-shape", f"{k}={','.join(map(str, s))}"]
    for k, v in fixed.items():
        args += ["--const", f"{k}={v}"]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        lines = [l.strip() for l in p.stderr.splitlines() if l.strip()]
        err = next((l for l in lines if "error" in l.lower()), lines[0] if lines else "?")
        return f"| {name} | {ops} | compile fails: {err[:300]} | – | – |"
    worst, agree, rows = 0.0, 0, feeds(clips(6, 4, length, 2))
    for i, (x, want) in enumerate(rows):
        inp = os.path.join(d, f"in{i}.json")
        with open(inp, "w") as f:
            json.dump({"input_data": [x[n].ravel().tolist() for n in names]}, f)
        out = os.path.join(d, f"out{i}.json")
        p = subprocess.run([a.verinfer, "run", vm, "--input", inp, "-o", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return f"| {name} | {ops} | run fails: {p.stderr.strip()[:200]} | – | – |"
        got = np.array(json.load(open(out))["outputs"][0]["data"])
        ref = want[out_names[0]].ravel()
        worst = max(worst, float(np.max(np.abs(got - ref))))
        agree += int(np.array_equal(got > 0.5, ref > 0.5))
    probs = np.array([w[out_names[0]].ravel()[0] for _, w in rows])
    return (f"| {name} | {ops} | ok | {worst:.3g} ({len(rows)} windows; onnxruntime's p in "
            f"[{probs.min():.3f}, {probs.max():.3f}]) | {agree}/{len(rows)} "
            f"({int((probs > 0.5).sum())} with p > 0.5) |")


def pairs(items, what):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        if not v:
            raise SystemExit(f"{what} '{it}' is not NAME=VALUE")
        out[k] = int(v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--wheels", required=True)
    ap.add_argument("--work", default="target/realmodels-pkgs")
    ap.add_argument("--only", nargs="*", help="ONNX file names to try")
    ap.add_argument("--dim", action="append", help="symbolic dim NAME=VALUE")
    ap.add_argument("--const", action="append", help="input fixed at compile time NAME=VALUE")
    a = ap.parse_args()
    a.dims, a.consts = pairs(a.dim, "--dim"), pairs(a.const, "--const")
    print("| Model (package file) | ONNX ops | Compile | Max abs error of output 0 vs "
          "onnxruntime | Decisions p > 0.5 equal |")
    print("|---|---|---|---|---|")
    for whl in sorted(glob.glob(os.path.join(a.wheels, "*.whl"))):
        out = os.path.join(a.work, os.path.basename(whl))
        with zipfile.ZipFile(whl) as z:
            z.extractall(out)
        for path in sorted(glob.glob(os.path.join(out, "**", "*.onnx"), recursive=True)):
            if a.only and os.path.basename(path) not in a.only:
                continue
            print(run_model(path, a), flush=True)


if __name__ == "__main__":
    main()
