"""Regenerate ONNX's own backend node test cases from the installed onnx wheel.

The wheel ships the case generators (onnx.backend.test.case.node), not the data. This writes
OUTDIR/node/<case>/model.onnx and OUTDIR/node/<case>/test_data_set_N/{input,output}_K.pb
(each .pb a serialized TensorProto / SequenceProto / OptionalProto / MapProto).

Usage: python scripts/conformance/gen_node_tests.py OUTDIR
Deterministic; ~1,900 cases (depends on the onnx version), a few seconds.
"""
import os
import shutil
import sys
import warnings

from onnx import TensorProto, numpy_helper
import onnx.backend.test.case.node as node_test


def to_proto(value, info):
    t = info.type
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, info.name)
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, info.name)
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, info.name)
    if isinstance(value, TensorProto):
        return value
    return numpy_helper.from_array(value, info.name)


def main(out):
    warnings.simplefilter("ignore")  # the generators divide by zero etc. on purpose
    n = 0
    for case in node_test.collect_testcases():
        d = os.path.join(out, case.kind, case.name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds)
            for kind, vals, infos in (("input", inputs, graph.input),
                                      ("output", outputs, graph.output)):
                for j, v in enumerate(vals):
                    with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(to_proto(v, infos[j]).SerializeToString())
        n += 1
    print(f"wrote {n} cases under {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
