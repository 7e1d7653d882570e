#!/usr/bin/env python3
"""PP-OCR models shipped in the rapidocr-onnxruntime wheel, through verinfer, against onnxruntime.

    .venv/bin/pip download --no-deps rapidocr-onnxruntime==1.4.4 -d target/pkgs
    .venv/bin/pip install --target target/pylib pillow
    PYTHONPATH=target/pylib .venv/bin/python scripts/realmodels/ocr.py \
        --wheel target/pkgs/rapidocr_onnxruntime-1.4.4-py3-none-any.whl \
        --verinfer target/release/verinfer --work target/realmodels-ocr [--only cls det rec] \
        [--bits 20] [--cal 32]

Inputs: lines of real English words (the description text scikit-learn ships with its iris,
wine and breast-cancer datasets), rendered black on white with Pillow's default bitmap font,
scaled and placed at fixed positions; 32 calibrate (`--cal`), 24 are compared. Preprocessing follows
RapidOCR: the detector gets (x/255 - ImageNet mean)/std, the classifier and recognizer
(x/255 - 0.5)/0.5. Per model, one markdown row:

- classifier (text upright or rotated 180°): labels equal to onnxruntime's, max abs error of the
  probabilities;
- detector: max abs error of the probability map and the fraction of pixels whose p > 0.3
  decision (the binarization threshold RapidOCR uses) equals onnxruntime's;
- recognizer: CTC greedy decodes (argmax per time step, repeats merged, blanks dropped) equal
  to onnxruntime's, and the max abs error of the per-step probabilities.
"""

import argparse
import json
import os
import re
import subprocess
import zipfile

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFont
from sklearn import datasets

SHAPES = {"cls": (48, 192), "det": (64, 256), "rec": (48, 160)}
FILES = {
    "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "det": "ch_PP-OCRv4_det_infer.onnx",
    "rec": "ch_PP-OCRv4_rec_infer.onnx",
}


def words():
    text = " ".join(d().DESCR for d in (datasets.load_iris, datasets.load_wine,
                                         datasets.load_breast_cancer))
    return [w for w in re.findall(r"[A-Za-z]{3,10}", text)]


def images(n, h, w, seed, rotate_half=False):
    """n RGB uint8 images h x w of 1–3 words each."""
    rng = np.random.default_rng(seed)
    vocab = words()
    font = ImageFont.load_default()
    out = []
    for k in range(n):
        line = " ".join(rng.choice(vocab, size=1 + k % 3))
        small = Image.new("L", (8 * len(line) + 8, 16), 255)
        ImageDraw.Draw(small).text((4, 2), line, fill=0, font=font)
        scale = min((h - 4) / 16, (w - 4) / small.width)
        big = small.resize((max(1, int(small.width * scale)), max(1, int(16 * scale))))
        canvas = Image.new("L", (w, h), 255)
        canvas.paste(big, (2, (h - big.height) // 2))
        if rotate_half and k % 2:
            canvas = canvas.rotate(180)
        out.append(np.stack([np.asarray(canvas)] * 3, axis=-1))
    return out


def prep(kind, img):
    x = img.astype(np.float32) / 255.0
    if kind == "det":
        x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array(
            [0.229, 0.224, 0.225], np.float32)
    else:
        x = (x - 0.5) / 0.5
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def ctc(probs):
    best = probs.reshape(-1, probs.shape[-1]).argmax(-1)
    return [int(c) for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]


def run_kind(kind, path, a):
    h, w = SHAPES[kind]
    d = os.path.join(a.work, kind)
    os.makedirs(d, exist_ok=True)
    cal = [prep(kind, i) for i in images(a.cal, h, w, 1, kind == "cls")]
    test = [prep(kind, i) for i in images(24, h, w, 2, kind == "cls")]
    with open(os.path.join(d, "cal.json"), "w") as f:
        json.dump({"input_data": [np.concatenate([c.ravel() for c in cal]).tolist()]}, f)
    vm = os.path.join(d, "model.vm")
    # --allow-large-error: a model compile refuses is still run, and its row says why it was
    # refused (the output's error and the node where it first appears, from the warning).
    p = subprocess.run([a.verinfer, "compile", path, "--calibration", os.path.join(d, "cal.json"),
                        "--input-shape", f"x=1,3,{h},{w}", "-o", vm, "--allow-large-error"]
                       + (["--bits", str(a.bits)] if a.bits else []),
                       capture_output=True, text=True)
    name = os.path.basename(path) + (f", --bits {a.bits}" if a.bits else "")
    if p.returncode != 0:
        lines = [l.strip() for l in p.stderr.splitlines() if l.strip()]
        err = next((l for l in lines if "error" in l.lower()), lines[0] if lines else "?")
        return f"| {name} ({kind}, input 1x3x{h}x{w}) | compile fails: {err[:300]} | – |"
    warn = [l.strip().removeprefix("warning: ") for l in p.stderr.splitlines()
            if "exceeds the tolerance" in l or "first appears at" in l]
    status = ("refused without --allow-large-error: " + "; ".join(warn)) if warn else "ok"
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    worst, agree, frac = 0.0, 0, []
    for i, x in enumerate(test):
        inp = os.path.join(d, f"in{i}.json")
        with open(inp, "w") as f:
            json.dump({"input_data": [x.ravel().tolist()]}, f)
        out = os.path.join(d, f"out{i}.json")
        p = subprocess.run([a.verinfer, "run", vm, "--input", inp, "-o", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return f"| {name} ({kind}) | run fails: {p.stderr.strip()[:200]} | – |"
        want = sess.run(None, {"x": x})[0]
        got = np.array(json.load(open(out))["outputs"][0]["data"]).reshape(want.shape)
        worst = max(worst, float(np.max(np.abs(got - want))))
        if kind == "cls":
            agree += int(got.argmax() == want.argmax())
        elif kind == "rec":
            agree += int(ctc(got) == ctc(want))
        else:
            frac.append(float(np.mean((got > 0.3) == (want > 0.3))))
    n = len(test)
    if kind == "det":
        return (f"| {name} (detector, input 1x3x{h}x{w}) | {status} | {worst:.3g} (probability map); "
                f"p > 0.3 decisions equal on {100 * np.mean(frac):.2f}% of pixels "
                f"(worst image {100 * min(frac):.2f}%) over {n} images |")
    what = "labels" if kind == "cls" else "CTC greedy decodes"
    return (f"| {name} ({'classifier' if kind == 'cls' else 'recognizer'}, input 1x3x{h}x{w}) "
            f"| {status} | {what} equal to onnxruntime's {agree}/{n}; max abs error "
            f"{worst:.3g} (probabilities) |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--work", default="target/realmodels-ocr")
    ap.add_argument("--only", nargs="*", choices=sorted(FILES))
    ap.add_argument("--bits", type=int, help="verinfer compile --bits (default: its own, 16)")
    ap.add_argument("--cal", type=int, default=32, help="rendered calibration lines (default 32)")
    a = ap.parse_args()
    unpacked = os.path.join(a.work, "wheel")
    with zipfile.ZipFile(a.wheel) as z:
        z.extractall(unpacked)
    print("| Model (rapidocr-onnxruntime file) | Compile | Agreement with onnxruntime |")
    print("|---|---|---|")
    for kind, f in FILES.items():
        if a.only and kind not in a.only:
            continue
        print(run_kind(kind, os.path.join(unpacked, "rapidocr_onnxruntime", "models", f), a),
              flush=True)


if __name__ == "__main__":
    main()
