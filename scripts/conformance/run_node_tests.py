"""Run ONNX backend node test cases through the verinfer CLI and tabulate the results per op.

Cases come from gen_node_tests.py (OUTDIR/node/<case>/model.onnx + test_data_set_0/*.pb).
For each eligible case, test_data_set_0's inputs become an EZKL input.json
({"input_data": [[flat], [flat], ...]}, one list per graph input, in graph order), then:

    VERINFER compile CASE/model.onnx --calibration input.json -o WORK/model.vmodel
    VERINFER run WORK/model.vmodel --input input.json -o WORK/out.json

out.json: {"outputs": [{"name": str, "shape": [int], "data": [float], "quantized": [int],
"scale": int}, ...]} is compared with test_data_set_0's expected outputs (see tolerance()).

Integer inputs are frozen (--freeze-int-inputs, the default): every integer graph input
(axes, shapes, pads, starts/ends, repeats, indices...) becomes an initializer holding the test's
value, and is left out of input.json; so do the float inputs that are structure rather than data
(Resize's roi and scales, Upsample's scales, OneHot's depth, the scales of the quantized ops:
STRUCTURAL_FLOAT_SLOTS). verinfer compiles a static graph, so structural integer
inputs must be constants, as exporters emit them; node tests feed them at run time only because
ONNX's reference runtime does not care. The op's own lowering is exercised all the same: only
the integer operand is known at compile time, as it is in an exported model. One exception: a
case whose inputs are all integers (Max of two int64 tensors, Equal on int32) would have nothing
left to run; its integers are data, so they are fed at run time (verinfer: scale 0, the bits
their type needs, at most 32).
--no-freeze-int-inputs feeds every integer input at run time (structural ones then fail to
compile with "must be a constant").

Eligible: every graph input and output is a tensor of an element type verinfer's import
accepts (floats of any width, integers of any width, bool: INPUT_DTYPES), and all float data
are finite. Bool inputs (Where's
condition, masks) are data: they are fed at run time as 0/1, never frozen. Integer and bool
outputs must match exactly (see tolerance()). The graph needs at least one input (verinfer
rejects a model that is constant as a whole: there is nothing to prove), and every fed input
must be non-empty (verinfer requires positive dimensions; a frozen integer input may be empty,
e.g. an empty axes list). Others are SKIPPED (sequences, optionals, maps, other dtypes,
NaN/Inf, zero-size inputs, no inputs). Only test_data_set_0 is used.

Outcomes:
  PASS
  FAIL(reason)       ran, but an output's shape or values are wrong
  UNSUPPORTED(msg)   compile exited non-zero (no panic, no signal) mentioning "unsupported"
                     (msg: stderr's first line), or --ops-supported was given and the graph
                     uses an op not in it
  ERROR(msg)         any other non-zero exit, panic, crash or timeout (msg: stderr's last line)
  SKIPPED(reason)    not eligible (never run)

Usage:
  python scripts/conformance/run_node_tests.py --cases OUTDIR --verinfer target/release/verinfer \
      [--ops-supported Add,Mul,... | --ops-supported @file] [--report target/conformance.md] \
      [--update-doc docs/conformance.md] \
      [--allowlist scripts/conformance/allowlist.txt] [--check | --write-allowlist] \
      [--filter REGEX] [--jobs 2] [--timeout 60] [--keep-work DIR] \
      [--freeze-int-inputs (default) | --no-freeze-int-inputs]

--check: exit 1 if a case listed in the allowlist does not pass, or a passing case is not
listed (both printed). --write-allowlist: rewrite the allowlist from the current passes
(refused with --filter, as is --update-doc: both describe the whole sweep).
Exit status otherwise 0 (the report carries the results); 2 on usage errors.
--report: a markdown report (totals, per-op table, every non-passing case with its reason).
--update-doc: the same, compact (unsupported grouped by message), spliced between the generated
markers of docs/conformance.md; deterministic, so it changes only when results do.
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

JOBS = 2
TIMEOUT_S = 60.0
EXPANDED_RE = re.compile(r"_expanded(_ver\d+)?$")


def tolerance(scale, expected):
    """Absolute, elementwise tolerance for one float output. With M = max(1, max|expected|):

    tol = max(min(8 * 2**-scale, 0.1 * M), 0.01 * M)

    8 * 2**-scale allows a few units in the last place of the fixed-point result (scale = number
    of fractional bits of the output); the second term allows 1% of the output's magnitude
    (at least 0.01) for the error that accumulates through approximated non-linearities.
    The grid term is capped at 10% of M because the scale is verinfer's own choice: uncapped,
    a wrongly coarse output scale would excuse any error (an all-zero output at scale -3 would
    pass for values in [-1, 1], tol 64). A missing scale counts as an infinitely fine grid
    (only the relative term applies).

    Integer and bool outputs (comparisons, Where on integers, shapes) have no rounding to
    forgive: they must match exactly (tolerance 0), see compare().
    """
    max_abs = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    m = max(1.0, max_abs)
    grid = 8.0 * 2.0 ** -scale if scale is not None else 0.0
    return max(min(grid, 0.1 * m), 1e-2 * m)


# ------------------------------------------------------------------------------ cases

class Case:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.model_path = os.path.join(path, "model.onnx")
        self.ops = []            # distinct op types in the graph (incl. subgraphs), sorted
        self.top_ops = []        # distinct op types of the main graph's nodes, sorted
        self.primary = None      # op the case is about, for grouping
        self.inputs = []         # [(name, np.ndarray)]
        self.outputs = []        # [(name, np.ndarray)]
        self.skip = None         # reason, when not eligible
        self.frozen = set()      # names of the inputs frozen into initializers


def find_case_dirs(root):
    """Accept OUTDIR, OUTDIR/node, or a single case folder."""
    if os.path.isfile(os.path.join(root, "model.onnx")):
        return [root]
    if os.path.isdir(os.path.join(root, "node")):
        root = os.path.join(root, "node")
    return sorted(os.path.join(root, d) for d in os.listdir(root)
                  if os.path.isfile(os.path.join(root, d, "model.onnx")))


def graph_ops(graph, acc, recurse=True):
    """Op types of graph's nodes (and of subgraphs' when recurse); non-default domains prefixed."""
    for node in graph.node:
        acc.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
        if not recurse:
            continue
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                graph_ops(attr.g, acc)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    graph_ops(g, acc)
    return acc


_SCHEMA_NAMES = None


def known_op_names():
    global _SCHEMA_NAMES
    if _SCHEMA_NAMES is None:
        _SCHEMA_NAMES = sorted({s.name for s in onnx.defs.get_all_schemas_with_history()
                                if s.domain in ("", "ai.onnx")}, key=len, reverse=True)
    return _SCHEMA_NAMES


def op_from_name(case_name, candidates):
    """Longest op name (case- and underscore-insensitive, domain ignored) that prefixes the case
    name: test_reduce_sum_square_x -> ReduceSumSquare."""
    key = case_name[len("test_"):].replace("_", "").lower()
    for op in sorted(candidates, key=lambda o: len(o.split(".")[-1]), reverse=True):
        if key.startswith(op.split(".")[-1].lower()):
            return op
    return None


def assign_primary(cases):
    """Primary op, for grouping: the single op of a one-op main graph; else the op named by the
    case name's prefix (among the graph's ops first); an *_expanded case gets its unexpanded
    sibling's primary op with " (expanded)" added."""
    for c in cases:
        if EXPANDED_RE.search(c.name):
            continue
        if len(c.top_ops) == 1:
            c.primary = c.top_ops[0]
        else:
            c.primary = (op_from_name(c.name, c.top_ops) or op_from_name(c.name, known_op_names())
                         or (c.top_ops[0] if c.top_ops else "(no nodes)"))
    by_name = {c.name: c for c in cases}
    for c in cases:
        m = EXPANDED_RE.search(c.name)
        if m:
            sib = by_name.get(c.name[: m.start()])
            op = sib.primary if sib else op_from_name(c.name, known_op_names())
            c.primary = f"{op or c.name} (expanded)"


def load_pb_tensor(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def tensor_kind(value_info):
    t = value_info.type
    if not t.HasField("tensor_type"):
        return None, t.WhichOneof("value")
    return t.tensor_type.elem_type, "tensor"


# The element types verinfer's ONNX import accepts (crates/verinfer-onnx/src/import.rs,
# `input_shape` and `tensor_values`): floats of every width are data to quantize (a float16 or
# double input is read as real numbers, like a float32 one); integers of every width are exact
# integers (scale 0) and bools 0/1. Outputs are dequantized reals, compared with the expected
# values after conversion to float64: with the tolerance for float outputs, exactly for
# integer and bool ones. Anything else (strings, complex, the 8- and 4-bit float formats) is
# not accepted by verinfer, so it is SKIPPED.
FLOAT_DTYPES = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16)
INT_INPUT_DTYPES = (TensorProto.INT64, TensorProto.INT32, TensorProto.INT16, TensorProto.INT8,
                    TensorProto.UINT64, TensorProto.UINT32, TensorProto.UINT16, TensorProto.UINT8)
INPUT_DTYPES = FLOAT_DTYPES + (TensorProto.BOOL,) + INT_INPUT_DTYPES
OUTPUT_DTYPES = INPUT_DTYPES


def is_int(arr):
    return np.asarray(arr).dtype.kind in "iu"


# (op type, input slots) whose float operands are structure, not data (opset >= 11 Resize:
# roi, scales; opset-10 Resize and Upsample: scales; OneHot: depth).
STRUCTURAL_FLOAT_SLOTS = {"Resize": (1, 2), "Upsample": (1,), "OneHot": (1,),
                          # quantization scales: constants in every quantized model
                          "QuantizeLinear": (1,), "DequantizeLinear": (1,),
                          "QLinearMatMul": (1, 4, 6), "QLinearConv": (1, 4, 6)}


# (op type, input slots) whose integer operands are always structure (Trilu's k, TopK's K),
# even in an all-integer case: frozen there too, while the integer data beside them is fed.
STRUCTURAL_INT_SLOTS = {"Trilu": (1,), "TopK": (1,)}


def structural_int_inputs(model):
    """Names of graph inputs that feed a structural integer slot of some node."""
    names = set()
    for node in model.graph.node:
        for k in STRUCTURAL_INT_SLOTS.get(node.op_type, ()):
            if k < len(node.input) and node.input[k]:
                names.add(node.input[k])
    return names


def structural_float_inputs(model):
    """Names of graph inputs that feed a structural float slot of some node."""
    names = set()
    for node in model.graph.node:
        for k in STRUCTURAL_FLOAT_SLOTS.get(node.op_type, ()):
            if k < len(node.input) and node.input[k]:
                names.add(node.input[k])
    return names


def load_case(path, freeze=True):
    c = Case(os.path.basename(path.rstrip("/")), path)
    try:
        model = onnx.load(c.model_path)
    except Exception as e:  # noqa: BLE001
        c.skip = f"model does not load in onnx: {e}"
        return c
    c.ops = sorted(graph_ops(model.graph, set()))
    c.top_ops = sorted(graph_ops(model.graph, set(), recurse=False))
    ds = os.path.join(path, "test_data_set_0")
    if not os.path.isdir(ds):
        c.skip = "no test_data_set_0"
        return c
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    for kind, infos, allowed, dest in (
        ("input", graph_inputs, INPUT_DTYPES, c.inputs),
        ("output", list(model.graph.output), OUTPUT_DTYPES, c.outputs),
    ):
        files = sorted((f for f in os.listdir(ds) if re.fullmatch(rf"{kind}_\d+\.pb", f)),
                       key=lambda f: int(f[len(kind) + 1:-3]))
        if len(files) != len(infos):
            c.skip = f"{len(files)} {kind} files for {len(infos)} graph {kind}s"
            return c
        for info, fn in zip(infos, files):
            elem, what = tensor_kind(info)
            if what != "tensor":
                c.skip = f"{kind} {info.name!r} is a {what}"
                return c
            if elem not in allowed:
                c.skip = f"{kind} {info.name!r} has dtype {TensorProto.DataType.Name(elem)}"
                return c
            try:
                arr = numpy_helper.to_array(load_pb_tensor(os.path.join(ds, fn)))
            except Exception as e:  # noqa: BLE001
                c.skip = f"{kind} {fn} does not parse as a tensor: {e}"
                return c
            if elem == TensorProto.BFLOAT16:  # ml_dtypes' bfloat16: not a numpy float kind
                arr = arr.astype(np.float32)
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                c.skip = f"{kind} {info.name!r} has NaN/Inf"
                return c
            dest.append((info.name, arr))
    if not c.inputs:
        c.skip = "no graph inputs"
        return c
    # An all-integer case (Max of two int64 tensors, Equal on int32) would have nothing left to
    # feed once frozen: its integer inputs are data, so they are fed at run time (s = 0).
    # Float inputs that carry structure (Resize's roi and scales, Upsample's scales, OneHot's
    # depth) are frozen too: exporters emit them as constants, as they do the integer ones.
    if freeze:
        structural = structural_float_inputs(model)
        frozen = {n for n, a in c.inputs if n in structural and not is_int(a)}
        ints = {n for n, a in c.inputs if is_int(a)}
        if any(n not in frozen | ints for n, _ in c.inputs):
            frozen |= ints
        else:
            # all-integer: the data is fed, the structural integers (Trilu's k) stay constant
            structural_ints = structural_int_inputs(model) & ints
            if any(n not in frozen | structural_ints for n, _ in c.inputs):
                frozen |= structural_ints
        c.frozen = frozen
    fed = [(n, a) for n, a in c.inputs if n not in c.frozen]
    for name, arr in fed:
        if np.size(arr) == 0:
            c.skip = f"input {name!r} is empty (zero-size dimension)"
            return c
    return c


def ezkl_input_json(inputs):
    """{"input_data": [[flat], ...]}: one flat list per graph input, in graph order."""
    data = []
    for _, arr in inputs:
        flat = np.asarray(arr).ravel()
        if flat.dtype.kind in "iub":  # integers, and bools as 0/1
            data.append([int(v) for v in flat])
        else:
            data.append([float(v) for v in flat.astype(np.float64)])
    return {"input_data": data}


# ------------------------------------------------------------------------------ running

def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def last_line(text):
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""


def run_cmd(cmd, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    # own process group, so a timeout kills the whole tree (a wrapper script's children too)
    with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, errors="replace",
                          start_new_session=True) as p:
        try:
            out, err = p.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.communicate()
            return None
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def exit_desc(p):
    if p.returncode < 0:
        return f"killed by signal {-p.returncode}"
    return f"exit {p.returncode}"


def compare(case, out):
    """Returns (ok, reason, note). note: a passing remark, e.g. unit-dim shape difference."""
    got = out.get("outputs") if isinstance(out, dict) else None
    if not isinstance(got, list):
        return False, "out.json has no 'outputs' list", None
    if len(got) != len(case.outputs):
        return False, f"{len(got)} outputs, expected {len(case.outputs)}", None
    names = [g.get("name") for g in got]
    if all(n is not None for n in names) and sorted(names) == sorted(n for n, _ in case.outputs):
        got = [got[names.index(n)] for n, _ in case.outputs]
    notes = []
    for (name, exp), g in zip(case.outputs, got):
        exact = np.asarray(exp).dtype.kind in "iub"
        exp = np.asarray(exp, dtype=np.float64)
        shape = [int(d) for d in g.get("shape", [])]
        data = np.asarray(g.get("data", []), dtype=np.float64)
        if data.size != math.prod(shape):
            return False, f"{name}: {data.size} values for shape {shape}", None
        if tuple(shape) != exp.shape:
            if data.size == exp.size and [d for d in shape if d != 1] == \
                    [d for d in exp.shape if d != 1]:
                notes.append(f"{name}: shape {shape} vs expected {list(exp.shape)} (unit dims)")
            else:
                return False, f"{name}: shape {shape}, expected {list(exp.shape)}", None
        if exp.size == 0:
            continue
        e = exp.ravel()
        if not np.all(np.isfinite(data)):
            return False, f"{name}: non-finite values in output", None
        scale = g.get("scale")
        tol = 0.0 if exact else tolerance(scale, e)
        err = np.abs(data - e)
        worst = int(np.argmax(err))
        if err[worst] > tol:
            what = "not exact (integer/bool output)" if exact else f"> tol {tol:.3g}"
            return False, (f"{name}: max abs err {err[worst]:.4g} {what} at flat index "
                           f"{worst} (got {data[worst]:.6g}, expected {e[worst]:.6g}, "
                           f"scale {scale})"), None
    return True, None, "; ".join(notes) or None


# verinfer compiles a static graph: integer graph inputs that carry structure (axes, shapes,
# pads, starts/ends, repeats, indices) must be constants, as exporters emit them. Node tests
# feed them as run-time inputs, so by default (--freeze-int-inputs) the harness freezes every
# integer graph input into an initializer holding the test's value. The op's lowering is
# exercised all the same. See the module docstring.
FREEZE_INT_INPUTS = True


def freeze_int_inputs(case, work):
    """Rewrite the case's model with its integer inputs as initializers; returns (path, inputs)."""
    model = onnx.load(case.model_path)
    frozen = {n: a for n, a in case.inputs if n in case.frozen}
    kept = [i for i in model.graph.input if i.name not in frozen]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    for name, arr in frozen.items():
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(arr), name))
    # IR < 4 requires every initializer to be listed as a graph input too; from IR 4 on an
    # initializer that is not an input is a constant, which is what freezing means.
    model.ir_version = max(model.ir_version, 4)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    return path, [(n, a) for n, a in case.inputs if n not in frozen]


def run_case(case, binary, timeout, supported, keep_root):
    """Returns (status, detail, note)."""
    if case.skip:
        return "SKIPPED", case.skip, None
    if supported is not None:
        missing = [op for op in case.ops if op not in supported]
        if missing:
            return "UNSUPPORTED", "not in --ops-supported: " + ", ".join(missing), None
    work = tempfile.mkdtemp(prefix=f"vi-{case.name}-")
    try:
        model_path, inputs = case.model_path, case.inputs
        if case.frozen:
            model_path, inputs = freeze_int_inputs(case, work)
        inp = os.path.join(work, "input.json")
        with open(inp, "w") as f:
            json.dump(ezkl_input_json(inputs), f)
        vmodel = os.path.join(work, "model.vmodel")
        outp = os.path.join(work, "out.json")
        deadline = time.monotonic() + timeout
        # The test data fixes every input's shape (node tests often leave dims unnamed).
        shapes = []
        for name, arr in inputs:
            dims = np.shape(arr)
            if len(dims) > 0 and all(d > 0 for d in dims):
                shapes += ["--input-shape", f"{name}=" + ",".join(str(d) for d in dims)]
        p = run_cmd([binary, "compile", model_path, "--calibration", inp, "-o", vmodel] + shapes,
                    deadline)
        if p is None:
            return "ERROR", f"compile: timeout after {timeout:g}s", None
        if p.returncode != 0:
            text = p.stderr + p.stdout
            # a crash is an ERROR even if its message happens to mention "unsupported"
            crashed = p.returncode < 0 or "panicked at" in text
            if not crashed and "unsupported" in text.lower():
                msg = first_line(p.stderr) or first_line(p.stdout)
                return "UNSUPPORTED", msg, None
            return "ERROR", f"compile {exit_desc(p)}: {last_line(p.stderr) or last_line(p.stdout)}", None
        p = run_cmd([binary, "run", vmodel, "--input", inp, "-o", outp], deadline)
        if p is None:
            return "ERROR", f"run: timeout after {timeout:g}s", None
        if p.returncode != 0:
            return "ERROR", f"run {exit_desc(p)}: {last_line(p.stderr) or last_line(p.stdout)}", None
        try:
            with open(outp) as f:
                out = json.load(f)
        except (OSError, ValueError) as e:
            return "ERROR", f"out.json unreadable: {e}", None
        ok, reason, note = compare(case, out)
        return ("PASS", None, note) if ok else ("FAIL", reason, None)
    finally:
        if keep_root:
            dst = os.path.join(keep_root, case.name)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------ report

STATUSES = ("PASS", "FAIL", "UNSUPPORTED", "ERROR", "SKIPPED")


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def binary_version(binary):
    try:
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        return first_line(p.stdout) or os.path.basename(binary)
    except (OSError, subprocess.SubprocessError):
        return os.path.basename(binary)


UNSUPPORTED_NODE_RE = re.compile(r" at node '[^']*'")


def report_lines(cases, results, version, level=1, per_case_unsupported=True):
    """Markdown lines: totals, the per-op table, every FAIL/ERROR, unsupported and skipped cases.
    Deterministic for given results (no timings), so a regenerated document only changes when
    the results do. level: the heading level of the title; sections are one level below."""
    h = "#" * level
    groups = defaultdict(Counter)
    for c in cases:
        groups[c.primary][results[c.name][0]] += 1
    total = Counter(r[0] for r in results.values())
    lines = [
        f"{h} ONNX node conformance",
        "",
        f"Generated by `scripts/conformance/run_node_tests.py` with onnx {onnx.__version__} "
        f"node tests against `{version}`. "
        "Tolerance per float output, with M = max(1, max|expected|): "
        "`max(min(8 * 2^-scale, 0.1 * M), 0.01 * M)` (absolute); integer and bool outputs "
        "must match exactly. Integer graph inputs "
        + ("frozen into initializers (`--freeze-int-inputs`; fed at run time in all-integer "
           "cases), with Resize's roi/scales, Upsample's scales and OneHot's depth." if FREEZE_INT_INPUTS
           else "fed at run time (`--no-freeze-int-inputs`)."),
        "",
        f"**Total: {len(cases)} cases, {total['PASS']} pass, {total['FAIL']} fail, "
        f"{total['UNSUPPORTED']} unsupported, {total['ERROR']} error, "
        f"{total['SKIPPED']} skipped** ({len(cases) - total['SKIPPED']} eligible; skipped = not "
        "eligible, by reason below).",
        "",
        "| op | cases | pass | fail | unsupported | error | skipped |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in sorted(groups, key=str.lower):
        g = groups[op]
        lines.append(f"| {md_escape(op)} | {sum(g.values())} | {g['PASS']} | {g['FAIL']} | "
                     f"{g['UNSUPPORTED']} | {g['ERROR']} | {g['SKIPPED']} |")
    for status, title in (("FAIL", "Failing cases"), ("ERROR", "Errors")):
        rows = [c for c in cases if results[c.name][0] == status]
        lines += ["", f"{h}# {title} ({len(rows)})", ""]
        lines += [f"- `{c.name}` ({md_escape(c.primary)}): {md_escape(results[c.name][1])}"
                  for c in rows] or ["none"]
    rows = [c for c in cases if results[c.name][0] == "UNSUPPORTED"]
    if per_case_unsupported:
        lines += ["", f"{h}# Unsupported ({len(rows)})", ""]
        lines += [f"- `{c.name}` ({md_escape(c.primary)}): {md_escape(results[c.name][1])}"
                  for c in rows] or ["none"]
    else:
        msgs = Counter(UNSUPPORTED_NODE_RE.sub("", results[c.name][1]).removeprefix("error: ")
                       for c in rows)
        lines += ["", f"{h}# Unsupported, by message ({len(rows)})", ""]
        lines += [f"- {n} x {md_escape(m)}" for m, n in
                  sorted(msgs.items(), key=lambda kv: (-kv[1], kv[0]))] or ["none"]
    notes = [c for c in cases if results[c.name][0] == "PASS" and results[c.name][2]]
    if notes:
        lines += ["", f"{h}# Passing with remarks ({len(notes)})", ""]
        lines += [f"- `{c.name}`: {md_escape(results[c.name][2])}" for c in notes]
    skips = Counter(re.sub(r"'[^']*'", "X", results[c.name][1]) for c in cases
                    if results[c.name][0] == "SKIPPED")
    lines += ["", f"{h}# Skipped, by reason ({sum(skips.values())})", ""]
    lines += [f"- {n} x {md_escape(r)}" for r, n in
              sorted(skips.items(), key=lambda kv: (-kv[1], kv[0]))] or ["none"]
    return lines


def write_report(path, cases, results, version):
    with open(path, "w") as f:
        f.write("\n".join(report_lines(cases, results, version)) + "\n")


DOC_BEGIN = "<!-- BEGIN generated by run_node_tests.py --update-doc: do not edit by hand -->"
DOC_END = "<!-- END generated -->"


def update_doc(path, cases, results, version):
    """Replace the text between DOC_BEGIN and DOC_END in path with a compact report (per-op
    table, failures and errors per case, unsupported grouped by message)."""
    with open(path) as f:
        text = f.read()
    b, e = text.find(DOC_BEGIN), text.find(DOC_END)
    if b < 0 or e < b:
        raise ValueError(f"{path}: markers not found ({DOC_BEGIN!r} ... {DOC_END!r})")
    body = report_lines(cases, results, version, level=2, per_case_unsupported=False)
    body[0] = "## Results"  # the document's own title stays; this is its results section
    text = text[: b + len(DOC_BEGIN)] + "\n" + "\n".join(body) + "\n" + text[e:]
    with open(path, "w") as f:
        f.write(text)


def read_allowlist(path):
    names = set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    names.add(line)
    return names


def write_allowlist(path, passing):
    with open(path, "w") as f:
        f.write("# ONNX node test cases that verinfer passes (one per line).\n"
                "# Regenerate: scripts/conformance/run_node_tests.py ... --write-allowlist\n")
        for n in sorted(passing):
            f.write(n + "\n")


# ------------------------------------------------------------------------------ main

def parse_ops(spec):
    if spec is None:
        return None
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            spec = f.read()
    return {s for s in re.split(r"[,\s]+", spec) if s}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True, help="gen_node_tests.py OUTDIR (or OUTDIR/node)")
    ap.add_argument("--verinfer", required=True, help="path to the verinfer binary")
    ap.add_argument("--ops-supported", help="comma/space list of op types, or @file; cases "
                    "using other ops are UNSUPPORTED without running")
    ap.add_argument("--report", help="write the markdown table here")
    ap.add_argument("--update-doc", metavar="MD", help="regenerate the results section of this "
                    "document (docs/conformance.md), between its BEGIN/END generated markers")
    ap.add_argument("--allowlist", default=os.path.join(os.path.dirname(__file__), "allowlist.txt"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 on any allowlist mismatch")
    mode.add_argument("--write-allowlist", action="store_true")
    ap.add_argument("--filter", help="only cases whose name matches this regex (re.search)")
    ap.add_argument("--jobs", type=int, default=JOBS)
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per case")
    ap.add_argument("--freeze-int-inputs", action=argparse.BooleanOptionalAction, default=True,
                    help="make every integer graph input an initializer holding the test's "
                    "value (default); --no-freeze-int-inputs feeds them at run time")
    ap.add_argument("--no-freeze", dest="freeze_int_inputs", action="store_false",
                    help=argparse.SUPPRESS)  # older spelling of --no-freeze-int-inputs
    ap.add_argument("--keep-work", help="copy each case's input.json/model.vmodel/out.json here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's outcome")
    a = ap.parse_args(argv)
    global FREEZE_INT_INPUTS
    FREEZE_INT_INPUTS = a.freeze_int_inputs
    if a.filter and (a.write_allowlist or a.update_doc):
        # both describe the whole sweep: a filtered run would drop every other case
        print("error: --write-allowlist and --update-doc need the full sweep (no --filter)",
              file=sys.stderr)
        return 2

    binary = os.path.abspath(a.verinfer) if os.sep in a.verinfer else (shutil.which(a.verinfer) or a.verinfer)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"error: verinfer binary not found or not executable: {a.verinfer}", file=sys.stderr)
        return 2
    dirs = find_case_dirs(a.cases)
    if a.filter:
        rx = re.compile(a.filter)
        dirs = [d for d in dirs if rx.search(os.path.basename(d))]
    if not dirs:
        print(f"error: no cases under {a.cases}", file=sys.stderr)
        return 2
    cases = [load_case(d, FREEZE_INT_INPUTS) for d in dirs]
    assign_primary(cases)
    supported = parse_ops(a.ops_supported)

    t0 = time.monotonic()
    results = {}
    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = {pool.submit(run_case, c, binary, a.timeout, supported, a.keep_work): c
                for c in cases}
        for i, fut in enumerate(cf.as_completed(futs), 1):
            c = futs[fut]
            try:
                results[c.name] = fut.result()
            except Exception as e:  # noqa: BLE001  (a harness bug must not hide other cases)
                results[c.name] = ("ERROR", f"harness: {type(e).__name__}: {e}", None)
            st, detail, _ = results[c.name]
            if a.verbose:
                print(f"[{i}/{len(cases)}] {st:11} {c.name}" + (f": {detail}" if detail else ""),
                      flush=True)
    total = Counter(r[0] for r in results.values())
    print(f"summary: {len(cases)} cases: " + ", ".join(f"{total[s]} {s.lower()}" for s in STATUSES)
          + f" ({time.monotonic() - t0:.0f}s)")

    version = binary_version(binary)
    if a.report:
        write_report(a.report, cases, results, version)
        print(f"report written to {a.report}")
    if a.update_doc:
        try:
            update_doc(a.update_doc, cases, results, version)
        except (OSError, ValueError) as e:
            print(f"error: --update-doc: {e}", file=sys.stderr)
            return 2
        print(f"results section of {a.update_doc} regenerated")

    passing = {n for n, r in results.items() if r[0] == "PASS"}
    if a.write_allowlist:
        write_allowlist(a.allowlist, passing)
        print(f"allowlist written to {a.allowlist} ({len(passing)} cases)")
        return 0
    if a.check:
        allowed = read_allowlist(a.allowlist)
        considered = {c.name for c in cases}
        # with --filter, only the selected cases are checked
        regressed = sorted((allowed & considered) - passing)
        unlisted = sorted(passing - allowed)
        for n in regressed:
            print(f"REGRESSION: {n} is in the allowlist but {results[n][0]}: {results[n][1]}")
        for n in unlisted:
            print(f"NEW PASS: {n} passes but is not in the allowlist (add it: --write-allowlist)")
        missing = sorted(allowed - set(os.path.basename(d) for d in find_case_dirs(a.cases)))
        for n in missing:
            print(f"UNKNOWN: allowlisted case {n} does not exist under {a.cases}")
        if regressed or unlisted or missing:
            print(f"allowlist check failed: {len(regressed)} regressed, {len(unlisted)} new passes, "
                  f"{len(missing)} unknown")
            return 1
        print(f"allowlist check ok ({len(passing)} passing cases match)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
