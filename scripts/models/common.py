"""Shared helpers for the test-model generators.

Every generator writes an EZKL-style folder testdata/models/<name>/:
  network.onnx      the model (opset 17, IR version 8, built with onnx.helper only)
  input.json        {"input_data": [[flat floats]]}            one sample
  calibration.json  {"input_data": [[k * numel floats]]}       k TRAIN samples, concatenated
  holdout.json      {"input_data": [[n * numel floats]], "labels": [ints]}   TEST samples
  expected.json     {"outputs": [[flat floats]]}               onnxruntime float output for input.json

Input floats in the JSON files are rounded to 5 significant digits (expected.json keeps 9);
input.json and expected.json agree (expected is computed from the rounded input).
"""
import json
import os

import numpy as np
import onnx
from onnx import helper

OPSET = 17
IR_VERSION = 8

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS_DIR = os.path.join(REPO, "testdata", "models")


def round5(a):
    """Round to 5 significant digits, returned as float32 (what the JSON will hold)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return np.array([float(f"{x:.5g}") for x in a], dtype=np.float32)


def _floats_json(a, digits=5):
    return "[" + ",".join(f"{float(x):.{digits}g}" for x in np.asarray(a).ravel()) + "]"


def write_ezkl(path, arrays, labels=None):
    """arrays: list of arrays, one per graph input; each is flattened into one list."""
    parts = ["[" + ",".join(_floats_json(a) for a in arrays) + "]"]
    body = '{"input_data": ' + parts[0]
    if labels is not None:
        body += ', "labels": ' + json.dumps([int(v) for v in labels])
    body += "}\n"
    with open(path, "w") as f:
        f.write(body)


def write_outputs(path, arrays):
    """Reference outputs keep full float32 precision (9 significant digits)."""
    body = '{"outputs": [' + ",".join(_floats_json(a, 9) for a in arrays) + "]}\n"
    with open(path, "w") as f:
        f.write(body)


def make_model(graph):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="verinfer-testdata",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def ort_run(model_path, feeds):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def write_folder(name, model, sample, calibration, holdout, holdout_labels=None, out_dir=None):
    """sample: one input array of the model's input shape; calibration/holdout: stacks of samples.

    out_dir: a folder outside testdata/ (a generated benchmark model, never committed: no size
    limit). Returns (out_dir, expected_outputs).
    """
    out = out_dir or os.path.join(MODELS_DIR, name)
    os.makedirs(out, exist_ok=True)
    model_path = os.path.join(out, "network.onnx")
    onnx.save(model, model_path)

    sample = round5(sample).reshape(np.shape(sample))
    write_ezkl(os.path.join(out, "input.json"), [sample])
    write_ezkl(os.path.join(out, "calibration.json"), [calibration])
    write_ezkl(os.path.join(out, "holdout.json"), [holdout], holdout_labels)

    in_name = model.graph.input[0].name
    expected = ort_run(model_path, {in_name: sample.astype(np.float32)})
    write_outputs(os.path.join(out, "expected.json"), expected)

    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))}
    total = sum(sizes.values())
    print(f"{name}: " + ", ".join(f"{f}={s / 1024:.0f}KB" for f, s in sizes.items())
          + f" total={total / 1024 / 1024:.2f}MB")
    if out_dir is None:
        assert sizes["network.onnx"] < 300 * 1024, "network.onnx too large"
        assert total < 6 * 1024 * 1024, "folder too large"
    return out, expected


def ort_batch(model_path, in_name, xs):
    """Run onnxruntime on each sample of xs separately (works for static batch-1 models)."""
    return np.concatenate([ort_run(model_path, {in_name: x[None].astype(np.float32)})[0]
                           for x in xs])
