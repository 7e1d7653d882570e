#!/usr/bin/env python3
"""NudeNet's YOLOv8n detector (`320n.onnx` in the nudenet wheel) through verinfer, against onnxruntime.

    .venv/bin/pip download --no-deps nudenet==3.4.2 scikit-image==0.26.0 -d target/pkgs
    .venv/bin/pip install --target target/pylib pillow
    PYTHONPATH=target/pylib .venv/bin/python scripts/realmodels/yolo.py \
        --wheel target/pkgs/nudenet-3.4.2-py3-none-any.whl \
        --images target/pkgs/scikit_image-0.26.0-*.whl \
        --verinfer target/release/verinfer --work target/realmodels-yolo

Inputs: the photographs and scans scikit-image ships in `skimage/data` (astronaut, camera man,
cat, coffee, motorcycle, rocket, ... and a grid of its LFW face crops) plus scikit-learn's two
sample photos: 24 images compared, 8 others (horizontally flipped crops) calibrate.
Preprocessing follows NudeNet: pad right/bottom to a square with black, resize to 320x320,
RGB / 255, NCHW. Postprocessing follows NudeNet too: rows (anchors) whose best class score is
>= 0.2 are candidates, then class-agnostic NMS (score 0.25, IoU 0.45). Prints one markdown row:
compile status, max abs error of the class scores (all anchors), max abs error of the box
coordinates (in input pixels, over anchors onnxruntime scores >= 0.2), and how many images give
the same detections (same count, same classes, each box IoU >= 0.9 with onnxruntime's).
"""

import argparse
import glob
import io
import json
import os
import subprocess
import zipfile

import numpy as np
import onnxruntime as ort
from PIL import Image
from sklearn import datasets

SIZE = 320
PHOTOS = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "motorcycle_left.png",
          "rocket.jpg", "horse.png", "hubble_deep_field.jpg", "retina.jpg", "coins.png",
          "page.png", "text.png", "logo.png", "color.png", "brick.png", "grass.png",
          "gravel.png", "moon.png", "ihc.png", "cell.png", "motorcycle_right.png",
          "clock_motion.png"]


def load_images(wheel):
    """Real images as uint8 RGB arrays: skimage's data photos, an LFW face grid, sklearn's two."""
    out = []
    with zipfile.ZipFile(wheel) as z:
        for name in PHOTOS:
            img = Image.open(io.BytesIO(z.read("skimage/data/" + name))).convert("RGB")
            out.append((name, np.asarray(img)))
        lfw = np.load(io.BytesIO(z.read("skimage/data/lfw_subset.npy")))  # (200, 25, 25) in [0,1]
        grid = np.concatenate([np.concatenate(list(lfw[r * 4:(r + 1) * 4]), axis=1)
                               for r in range(3)], axis=0)
        grid = (np.clip(grid, 0, 1) * 255).astype(np.uint8)
        out.append(("lfw_subset.npy (4x3 faces)", np.stack([grid] * 3, axis=-1)))
    for name, img in zip(("china.jpg", "flower.jpg"), datasets.load_sample_images().images):
        out.append((name, img))
    return out


def prep(img):
    h, w = img.shape[:2]
    m = max(h, w)
    sq = np.zeros((m, m, 3), np.uint8)
    sq[:h, :w] = img
    r = Image.fromarray(sq).resize((SIZE, SIZE), Image.BILINEAR)
    x = np.asarray(r).astype(np.float32) / 255.0
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def calibration(images, n, seed):
    """n horizontally flipped random crops (half to full size) of the given images."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        img = images[k % len(images)][1][:, ::-1]
        h, w = img.shape[:2]
        ch, cw = int(h * rng.uniform(0.5, 1)), int(w * rng.uniform(0.5, 1))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        out.append(prep(np.ascontiguousarray(img[y:y + ch, x:x + cw])))
    return out


def iou(a, b):
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    iw, ih = max(0.0, min(ax1, bx1) - max(ax0, bx0)), max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    return inter / max(1e-9, a[2] * a[3] + b[2] * b[3] - inter)


def detect(out):
    """NudeNet's postprocessing on one (1, 4 + classes, anchors) output: [(class, score, box)]."""
    rows = out[0].T
    scores = rows[:, 4:].max(1)
    cand = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= 0.25]
    keep = []
    for i in cand:
        if all(iou(rows[i, :4], rows[j, :4]) <= 0.45 for j in keep):
            keep.append(i)
    return [(int(rows[i, 4:].argmax()), float(scores[i]), rows[i, :4]) for i in keep]


def same(d1, d2):
    if len(d1) != len(d2):
        return False
    used = set()
    for c, _, box in d1:
        match = [j for j, (c2, _, b2) in enumerate(d2)
                 if j not in used and c2 == c and iou(box, b2) >= 0.9]
        if not match:
            return False
        used.add(match[0])
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--images", required=True, help="the scikit-image wheel")
    ap.add_argument("--verinfer", default="target/release/verinfer")
    ap.add_argument("--work", default="target/realmodels-yolo")
    ap.add_argument("--compile-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    with zipfile.ZipFile(a.wheel) as z:
        z.extract("nudenet/320n.onnx", a.work)
    path = os.path.join(a.work, "nudenet", "320n.onnx")
    imgs = load_images(glob.glob(a.images)[0])
    test = [(n, prep(i)) for n, i in imgs[:24]]
    cal = calibration(imgs[:8], 8, 1)
    with open(os.path.join(a.work, "cal.json"), "w") as f:
        json.dump({"input_data": [np.concatenate([c.ravel() for c in cal]).tolist()]}, f)
    vm = os.path.join(a.work, "model.vm")
    p = subprocess.run([a.verinfer, "compile", path, "--calibration",
                        os.path.join(a.work, "cal.json"), "--input-shape",
                        f"images=1,3,{SIZE},{SIZE}", "-o", vm, "--allow-large-error",
                        "--report-json", os.path.join(a.work, "report.json")],
                       capture_output=True, text=True)
    print(p.stderr[-4000:], flush=True)
    if p.returncode != 0:
        print(f"| 320n.onnx | compile fails | – |")
        return
    warn = [l.strip().removeprefix("warning: ") for l in p.stderr.splitlines()
            if "exceeds the tolerance" in l or "first appears at" in l]
    status = ("refused without --allow-large-error: " + "; ".join(warn)) if warn else "ok"
    if a.compile_only:
        print(status)
        return
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    score_err, box_err, agree, ndet = 0.0, 0.0, 0, 0
    for i, (name, x) in enumerate(test):
        inp = os.path.join(a.work, f"in{i}.json")
        with open(inp, "w") as f:
            json.dump({"input_data": [x.ravel().tolist()]}, f)
        out = os.path.join(a.work, f"out{i}.json")
        p = subprocess.run([a.verinfer, "run", vm, "--input", inp, "-o", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"| 320n.onnx | run fails: {p.stderr.strip()[:200]} | – |")
            return
        want = sess.run(None, {"images": x})[0]
        got = np.array(json.load(open(out))["outputs"][0]["data"]).reshape(want.shape)
        score_err = max(score_err, float(np.max(np.abs(got[0, 4:] - want[0, 4:]))))
        live = want[0, 4:].max(0) >= 0.2
        if live.any():
            box_err = max(box_err, float(np.max(np.abs(got[0, :4, live] - want[0, :4, live]))))
        dg, dw = detect(got), detect(want)
        ok = same(dg, dw)
        agree += int(ok)
        ndet += len(dw)
        print(f"  {name}: onnxruntime {[(c, round(s, 3)) for c, s, _ in dw]} "
              f"verinfer {[(c, round(s, 3)) for c, s, _ in dg]} {'same' if ok else 'DIFFERENT'}",
              flush=True)
    n = len(test)
    print(f"| 320n.onnx (nudenet 3.4.2, YOLOv8n, input 1x3x{SIZE}x{SIZE}) | {status} | "
          f"class scores max abs error {score_err:.3g}; box coordinates {box_err:.3g} px "
          f"(anchors scoring >= 0.2) | detections equal on {agree}/{n} images "
          f"({ndet} onnxruntime detections) |")


if __name__ == "__main__":
    main()
