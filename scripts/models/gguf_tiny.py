"""Writes testdata/gguf/tiny.gguf with llama.cpp's own writer and quantizers (PyPI `gguf`,
gguf-py from the llama.cpp repository) and tiny.json with what its own reader and
dequantizer say of it: the conformance material for crates/verinfer-gguf.

Usage: .venv/bin/python scripts/models/gguf_tiny.py testdata/gguf
"""
import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    path = out / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("verinfer tiny test")
    w.add_context_length(64)
    w.add_embedding_length(32)
    w.add_block_count(1)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_tokenizer_model("llama")
    w.add_token_list(["<unk>", "<s>", "</s>", "▁the", "▁cat", "é"])
    w.add_token_scores([0.0, 0.0, 0.0, -1.5, -2.25, -3.0])
    w.add_bos_token_id(1)
    w.add_bool("verinfer.test.flag", True)
    w.add_array("verinfer.test.nested", [[1, 2], [3]])

    tensors = {
        "f32": (Q.F32, rng.standard_normal((4, 8)).astype(np.float32)),
        "f16": (Q.F16, rng.standard_normal((2, 32)).astype(np.float32)),
        "bf16": (Q.BF16, rng.standard_normal((3, 16)).astype(np.float32)),
        "q8_0": (Q.Q8_0, rng.standard_normal((2, 64)).astype(np.float32)),
        "q4_0": (Q.Q4_0, rng.standard_normal((3, 32)).astype(np.float32)),
    }
    expected = {}
    for name, (ty, x) in tensors.items():
        if ty == Q.F32:
            data = x
        elif ty == Q.F16:
            data = x.astype(np.float16)
        else:
            data = quantize(x, ty)
        w.add_tensor(name, data, raw_dtype=None if ty in (Q.F32, Q.F16) else ty)
        values = dequantize(data, ty) if ty not in (Q.F32, Q.F16) else data.astype(np.float32)
        expected[name] = {
            "type": ty.name,
            # ggml order: innermost dimension first.
            "dims": list(reversed(x.shape)),
            "values": [float(v) for v in np.asarray(values, dtype=np.float32).reshape(-1)],
        }
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # What llama.cpp's reader says of the file.
    r = gguf.GGUFReader(str(path))
    meta = {}
    for f in r.fields.values():
        if f.name.startswith("GGUF."):
            continue
        meta[f.name] = [int(t) for t in f.types]
    offsets = {t.name: int(t.data_offset) for t in r.tensors}
    for name in expected:
        expected[name]["data_offset"] = offsets[name]
    (out / "tiny.json").write_text(
        json.dumps({"metadata_types": meta, "tensors": expected}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
