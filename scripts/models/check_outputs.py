"""Compare a `verinfer run` out.json with onnxruntime's float output for a model folder.

Usage: python scripts/models/check_outputs.py MODEL_DIR OUT_JSON [--input INPUT_JSON] [--tol T]

MODEL_DIR holds network.onnx and input.json ({"input_data": [[flat], ...]}, one list per graph
input; used unless --input is given). OUT_JSON: {"outputs": [{"name", "shape", "data",
"quantized", "scale"}, ...]}, in graph-output order. Prints, per output, the max abs error against
onnxruntime, the output's max |value| and its fixed-point step (2^-scale), and whether the argmax
agrees. Exit 1 if an output is missing or has the wrong element count, or if --tol is given and
the max abs error exceeds it.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

NP_DTYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64,
             onnx.TensorProto.INT32: np.int32, onnx.TensorProto.DOUBLE: np.float64}


def feeds_from_json(model, path):
    with open(path) as f:
        data = json.load(f)["input_data"]
    inits = {i.name for i in model.graph.initializer}
    infos = [i for i in model.graph.input if i.name not in inits]
    if len(data) != len(infos):
        sys.exit(f"{path}: {len(data)} input lists for {len(infos)} graph inputs")
    feeds = {}
    for info, flat in zip(infos, data):
        tt = info.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        arr = np.asarray(flat, dtype=NP_DTYPES.get(tt.elem_type, np.float32))
        feeds[info.name] = arr.reshape(dims)  # one -1 (a symbolic dim) is inferred
    return feeds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out_json")
    ap.add_argument("--input", help="EZKL input json (default MODEL_DIR/input.json)")
    ap.add_argument("--tol", type=float, help="fail if the max abs error exceeds this")
    a = ap.parse_args()

    model_path = os.path.join(a.model_dir, "network.onnx")
    model = onnx.load(model_path)
    feeds = feeds_from_json(model, a.input or os.path.join(a.model_dir, "input.json"))
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    ref = sess.run(None, feeds)
    with open(a.out_json) as f:
        got = json.load(f)["outputs"]

    ok, worst = True, 0.0
    for i, (info, r) in enumerate(zip(sess.get_outputs(), ref)):
        if i >= len(got):
            print(f"{info.name}: missing from {a.out_json}")
            ok = False
            continue
        g = got[i]
        data = np.asarray(g["data"], dtype=np.float64)
        r = np.asarray(r, dtype=np.float64)
        if data.size != r.size:
            print(f"{info.name}: {data.size} values, onnxruntime has {r.size} (shape {list(r.shape)})")
            ok = False
            continue
        err = np.abs(data - r.ravel())
        scale = g.get("scale")
        step = f"2^-{scale} = {2.0 ** -scale:.3g}" if scale is not None else "n/a"
        shape_note = "" if list(g.get("shape", r.shape)) == list(r.shape) else \
            f" (shape {g.get('shape')} vs onnxruntime {list(r.shape)})"
        print(f"{info.name}: max abs error {err.max():.6g} (mean {err.mean():.3g}), "
              f"max |ref| {np.abs(r).max():.4g}, step {step}, "
              f"argmax {'agrees' if data.argmax() == r.argmax() else 'DIFFERS'}{shape_note}")
        worst = max(worst, float(err.max()))
    print(f"max abs error: {worst:.6g}")
    if a.tol is not None and worst > a.tol:
        print(f"FAIL: {worst:.6g} > tol {a.tol:g}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
