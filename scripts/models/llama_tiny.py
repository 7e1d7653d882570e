"""Writes testdata/gguf/llama_tiny.gguf: a LLaMA-architecture model as llama.cpp lays it out
(`llama.*` hyper-parameters, `blk.N.*` tensors with ggml's innermost-first shapes, grouped-query
attention, tied output absent), with seeded random weights (Q8_0 matrices, Q4_0 feed-forward
down projections, F32 norms) and the SentencePiece vocabulary of testdata/gguf/spm.gguf.
The shapes and layout are the test; the weights are not trained.

Usage: .venv/bin/python scripts/models/llama_tiny.py testdata/gguf   (needs PyPI `gguf`)
"""
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_LAYER, N_CTX = 32, 4, 2, 64, 2, 128


def main(out: Path) -> None:
    vocab = gguf.GGUFReader(str(out / "spm.gguf"))
    f = vocab.fields
    tokens = [bytes(f["tokenizer.ggml.tokens"].parts[i]).decode() for i in f["tokenizer.ggml.tokens"].data]
    scores = [float(f["tokenizer.ggml.scores"].parts[i][0]) for i in f["tokenizer.ggml.scores"].data]
    types = [int(f["tokenizer.ggml.token_type"].parts[i][0]) for i in f["tokenizer.ggml.token_type"].data]
    n_vocab = len(tokens)
    rng = np.random.default_rng(11)
    w = gguf.GGUFWriter(str(out / "llama_tiny.gguf"), "llama")
    w.add_name("verinfer tiny llama (random weights)")
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def mat(name, rows, cols, ty=Q.Q8_0):
        # numpy shape (rows, cols) = ggml dims [cols, rows]: cols is the innermost.
        x = (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)
        w.add_tensor(name, quantize(x, ty), raw_dtype=ty)

    def vec(name, n):
        w.add_tensor(name, (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32))

    kv = N_EMBD // N_HEAD * N_HEAD_KV
    mat("token_embd.weight", n_vocab, N_EMBD)
    for i in range(N_LAYER):
        vec(f"blk.{i}.attn_norm.weight", N_EMBD)
        mat(f"blk.{i}.attn_q.weight", N_EMBD, N_EMBD)
        mat(f"blk.{i}.attn_k.weight", kv, N_EMBD)
        mat(f"blk.{i}.attn_v.weight", kv, N_EMBD)
        mat(f"blk.{i}.attn_output.weight", N_EMBD, N_EMBD)
        vec(f"blk.{i}.ffn_norm.weight", N_EMBD)
        mat(f"blk.{i}.ffn_gate.weight", N_FF, N_EMBD)
        mat(f"blk.{i}.ffn_up.weight", N_FF, N_EMBD)
        mat(f"blk.{i}.ffn_down.weight", N_EMBD, N_FF, Q.Q4_0)
    vec("output_norm.weight", N_EMBD)
    mat("output.weight", n_vocab, N_EMBD)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
