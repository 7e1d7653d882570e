"""llama.cpp as a peer on the trained model: records llama.cpp's greedy 64-token continuations of
the 50 golden prompts of testdata/llm/shakespeare_golden.json on shakespeare_q8.gguf, its
teacher-forced top-1 on the same held-out windows, and its logits for prompt 0's first steps,
into testdata/llm/shakespeare_llamacpp.json, and reports its agreement with the exact float64
reference (scripts/models/llama_ref.py); also checks llama.cpp's tokenizer on the file against
SentencePiece's ids in testdata/gguf/spm_cases.json.

llama.cpp's CPU path rounds activations to Q8_0 blocks before each Q8_0 matrix product (and
keeps f32 elsewhere, f16 in places), so it approximates the exact model of the file; where a
continuation differs, the report gives the first differing step and the reference's top-1 -
top-2 logit margin there (divergence at near-ties is the expected kind).

Prompts are passed as token ids that already start with BOS (`Llama.eval` adds nothing);
greedy = argmax of llama.cpp's f32 logits after each step (first maximum), i.e. temperature 0 /
top_k 1 without llama.cpp's sampler chain. One thread, n_ctx 128, n_batch 128, logits for all
positions, model parameter `use_extra_bufts = false` (its AMX repacking path crashes on these
machines: a segmentation fault in the first decode without it).

Usage:
  python3 -m venv /work/venv-llama
  CMAKE_ARGS="-DGGML_NATIVE=ON" /work/venv-llama/bin/pip install llama-cpp-python numpy
  /work/venv-llama/bin/python scripts/models/llama_cpp_greedy.py [testdata/llm]
(needs PyPI `llama-cpp-python` (built from source) and `numpy`.)
"""
import json
import sys
from pathlib import Path

import numpy as np
import llama_cpp
from llama_cpp import Llama

REPO = Path(__file__).resolve().parents[2]

# `Llama(...)` takes no use_extra_bufts argument (0.3.x swallows unknown keywords): switch the
# AMX/extra-buffer weight repacking off in the model parameters it starts from.
_default_params = llama_cpp.llama_cpp.llama_model_default_params


def _no_extra_bufts():
    p = _default_params()
    p.use_extra_bufts = False
    return p


llama_cpp.llama_cpp.llama_model_default_params = _no_extra_bufts


def main(llm_dir: Path) -> None:
    gold = json.loads((llm_dir / "shakespeare_golden.json").read_text())
    m = Llama(model_path=str(llm_dir / gold["model"]), n_ctx=128, n_batch=128, n_threads=1,
              n_threads_batch=1, logits_all=True, verbose=False, seed=0)

    def logits_of(ids):
        m.reset()
        m.eval(ids)
        return np.array(m.scores[:len(ids)], dtype=np.float64)

    # teacher forcing on the held-out windows
    W = gold["windows"]["len"]
    ids = gold["heldout_ids"]
    tf, nll = [], []
    for w in range(gold["windows"]["count"]):
        win = ids[w * W:(w + 1) * W]
        z = logits_of(win)[:-1]
        tf += [int(t) for t in z.argmax(-1)]
        lse = z.max(-1) + np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1))
        nll += list(lse - z[np.arange(len(win) - 1), win[1:]])
    ref_tf = gold["teacher_forced_top1"]
    tf_agree = sum(a == b for a, b in zip(tf, ref_tf))
    tf_disagree_margins = [gold["teacher_forced_margin"][i] for i, (a, b) in enumerate(zip(tf, ref_tf)) if a != b]

    # greedy continuations
    greedy, first_logits = [], []
    for i, prompt in enumerate(gold["prompts"]):
        m.reset()
        m.eval(prompt)
        new = []
        for step in range(64):
            z = np.array(m.scores[m.n_tokens - 1], dtype=np.float64)
            if i == 0 and step < 3:
                first_logits.append(z)
            t = int(np.argmax(z))
            new.append(t)
            m.eval([t])
        greedy.append(new)

    identical, divergences, tok_agree = 0, [], 0
    for i, (a, b) in enumerate(zip(greedy, gold["greedy"])):
        if a == b:
            identical += 1
        else:
            k = next(j for j in range(64) if a[j] != b[j])
            divergences.append({"prompt": i, "first_diff_step": k, "ref_margin_there": gold["greedy_margins"][i][k],
                                "ref_token": b[k], "llamacpp_token": a[k]})
        k = next((j for j in range(64) if a[j] != b[j]), 64)
        tok_agree += k  # tokens agreeing before the first divergence (after it, contexts differ)
    # llama.cpp's tokenizer on the file's vocabulary vs SentencePiece itself (spm_vocab.py's cases)
    cases = json.loads((REPO / "testdata" / "gguf" / "spm_cases.json").read_text())
    tok_ok = sum(m.tokenize(c["text"].encode(), add_bos=False, special=False) == c["ids"] for c in cases)
    ref_first = np.array(gold["logits_first_steps"])
    dlog = float(np.abs(np.array(first_logits) - ref_first).max())
    report = {
        "model": gold["model"], "llama_cpp_python": llama_cpp.__version__,
        "settings": "n_ctx 128, n_batch 128, 1 thread, logits_all, use_extra_bufts=False, argmax of f32 logits",
        "teacher_forced_top1": tf, "teacher_forced_agree": [tf_agree, len(ref_tf)],
        "teacher_forced_disagree_ref_margins": tf_disagree_margins,
        "heldout_nll_mean": float(np.mean(nll)), "perplexity": float(np.exp(np.mean(nll))),
        "ref_perplexity": gold["perplexity"],
        "greedy": greedy, "greedy_identical": [identical, len(greedy)],
        "greedy_tokens_before_first_divergence": [tok_agree, 64 * len(greedy)],
        "divergences": divergences,
        "logits_first_steps_max_abs_diff_vs_ref": dlog,
        "tokenizer_agree_spm_cases": [tok_ok, len(cases)],
    }
    lines = [f" {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in report.items()]
    (llm_dir / "shakespeare_llamacpp.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("teacher_forced_top1", "greedy")}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "testdata" / "llm")
