"""Decode speed of llama.cpp on a GGUF file, stepped the way `verinfer generate` steps: one
token per `eval` for the prompt, then greedy decoding of N tokens (argmax of the logits),
repeated 5 times; prints prefill and decode tokens/s as JSON.

Usage:
  PY scripts/bench/llama_cpp_speed.py [--threads T] [--model M.gguf] [--tokens N] [--ctx C]
                                      [--prompt-ids 1,2,3]
(default: 1 thread, testdata/llm/shakespeare_q8.gguf, 64 tokens, context 128, prompt 0 of
testdata/llm/shakespeare_golden.json; PY is a Python with llama-cpp-python, installed as
scripts/models/llama_cpp_greedy.py describes, whose AMX workaround it reuses. `verinfer
bench-llm --llama-cpp-python PY` runs it on the same file it benchmarks.)
"""
import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "models"))
import llama_cpp_greedy  # noqa: E402,F401  (switches off the crashing AMX repacking)
import numpy as np  # noqa: E402
from llama_cpp import Llama  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default=str(REPO / "testdata/llm/shakespeare_q8.gguf"))
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--prompt-ids", default=None)
    a = ap.parse_args()
    threads, model, n = a.threads, a.model, a.tokens
    if a.prompt_ids:
        prompt = [int(t) for t in a.prompt_ids.split(",")]
    else:
        gold = json.loads((REPO / "testdata/llm/shakespeare_golden.json").read_text())
        prompt = gold["prompts"][0]
    m = Llama(model, n_ctx=a.ctx, n_batch=a.ctx, n_threads=threads, logits_all=True, verbose=False)
    t_pre = t_dec = 0.0
    reps = 5
    for _ in range(reps):
        m.reset()
        t0 = time.perf_counter()
        for t in prompt:
            m.eval([t])
        t1 = time.perf_counter()
        nxt = int(np.argmax(m.scores[m.n_tokens - 1]))
        for _ in range(n - 1):
            m.eval([nxt])
            nxt = int(np.argmax(m.scores[m.n_tokens - 1]))
        t_dec += time.perf_counter() - t1
        t_pre += t1 - t0
    print(json.dumps({
        "threads": threads,
        "prefill_tokens_per_s": reps * len(prompt) / t_pre,
        "decode_tokens_per_s": reps * (n - 1) / t_dec,
    }))


if __name__ == "__main__":
    main()
