#!/usr/bin/env python3
"""ONNX models shipped inside PyPI packages, through verinfer, against onnxruntime.

    .venv/bin/pip download --no-deps silero-vad==6.2.3 -d target/pkgs
    .venv/bin/python scripts/realmodels/packages.py --verinfer target/release/verinfer \
        --wheels target/pkgs --work target/realmodels-pkgs

For every `.onnx` file of every wheel in --wheels whose inputs have static shapes (after
fixing `batch`/`N` dims to 1), compiles it calibrated on 8 inputs and runs 24 more. Inputs are
made here (no data set ships with the wheels): for an audio model, 1/3 silence with faint
noise, 1/3 tones, 1/3 tones in noise, at the model's window length; other float inputs are 0
(recurrent states). Prints one markdown row per model: compile status (the first error line
when it fails) and the largest absolute output error against onnxruntime.
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


def windows(n, length, seed):
    rng = np.random.default_rng(seed)
    out = []
    t = np.arange(length) / 16000.0
    for k in range(n):
        kind = k % 3
        noise = rng.normal(0, 0.01 if kind == 0 else 0.05, length)
        tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1500) * t)
        out.append((noise if kind == 0 else tone if kind == 1 else tone + noise).astype(np.float32))
    return out


def static_inputs(model):
    shapes = {}
    for i in model.graph.input:
        dims = []
        for d in i.type.tensor_type.shape.dim:
            if d.dim_value > 0:
                dims.append(d.dim_value)
            elif d.dim_param in ("batch", "N", "batch_size"):
                dims.append(1)
            else:
                return None
        shapes[i.name] = (dims, i.type.tensor_type.elem_type)
    return shapes


def run_model(path, a):
    model = onnx.load(path)
    shapes = static_inputs(model)
    name = os.path.basename(path)
    if shapes is None:
        return f"| {name} | – | symbolic input dims (not tried) | – |"
    if any(t != 1 for _, t in shapes.values()):
        return f"| {name} | – | non-float inputs (not tried) | – |"
    audio = max(shapes, key=lambda k: int(np.prod(shapes[k][0])))
    length = int(np.prod(shapes[audio][0]))

    def sample(w):
        return {k: (w.reshape(s) if k == audio else np.zeros(s, np.float32))
                for k, (s, _) in shapes.items()}

    d = os.path.join(a.work, name.replace(".onnx", ""))
    os.makedirs(d, exist_ok=True)
    names = [i.name for i in model.graph.input]
    cal = [sample(w) for w in windows(8, length, 1)]
    with open(os.path.join(d, "cal.json"), "w") as f:
        json.dump({"input_data": [np.concatenate([c[n].ravel() for c in cal]).tolist() for n in names]}, f)
    vm = os.path.join(d, "model.vm")
    args = [a.verinfer, "compile", path, "--calibration", os.path.join(d, "cal.json"), "-o", vm]
    for k, (s, _) in shapes.items():
        args += ["--input-shape", f"{k}={','.join(map(str, s))}"]
    p = subprocess.run(args, capture_output=True, text=True)
    ops = ", ".join(sorted({n.op_type for n in model.graph.node}))
    if p.returncode != 0:
        err = next((l.strip() for l in p.stderr.splitlines() if l.strip()), "?")[:200]
        return f"| {name} | {ops} | compile fails: {err} | – |"
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for i, w in enumerate(windows(24, length, 2)):
        s = sample(w)
        inp = os.path.join(d, f"in{i}.json")
        with open(inp, "w") as f:
            json.dump({"input_data": [s[n].ravel().tolist() for n in names]}, f)
        out = os.path.join(d, f"out{i}.json")
        p = subprocess.run([a.verinfer, "run", vm, "--input", inp, "-o", out], capture_output=True, text=True)
        if p.returncode != 0:
            return f"| {name} | {ops} | run fails: {p.stderr.strip()[:200]} | – |"
        got = json.load(open(out))["outputs"]
        want = sess.run(None, s)
        worst = max(worst, float(np.max(np.abs(np.array(got[0]["data"]) - want[0].ravel()))))
    return f"| {name} | {ops} | ok | {worst:.3g} (first output, 24 inputs) |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--wheels", required=True)
    ap.add_argument("--work", default="target/realmodels-pkgs")
    a = ap.parse_args()
    print("| Model (package file) | ONNX ops | Compile | Max abs error vs onnxruntime |")
    print("|---|---|---|---|")
    for whl in sorted(glob.glob(os.path.join(a.wheels, "*.whl"))):
        out = os.path.join(a.work, os.path.basename(whl))
        with zipfile.ZipFile(whl) as z:
            z.extractall(out)
        for path in sorted(glob.glob(os.path.join(out, "**", "*.onnx"), recursive=True)):
            print(run_model(path, a), flush=True)


if __name__ == "__main__":
    main()
