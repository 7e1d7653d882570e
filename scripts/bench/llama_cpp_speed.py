"""Decode speed of llama.cpp on a GGUF file, stepped the way `verinfer generate` steps: one
token per `eval` for the prompt, then greedy decoding of N tokens (argmax of the logits),
repeated 5 times; prints prefill and decode tokens/s as JSON.

Usage:
  /work/venv-llama/bin/python scripts/bench/llama_cpp_speed.py [THREADS] [MODEL] [N]
(default: 1 thread, testdata/llm/shakespeare_q8.gguf, 64 tokens, prompt 0 of
testdata/llm/shakespeare_golden.json; needs llama-cpp-python as described in
scripts/models/llama_cpp_greedy.py, whose AMX workaround it reuses.)
"""
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
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    model = sys.argv[2] if len(sys.argv) > 2 else str(REPO / "testdata/llm/shakespeare_q8.gguf")
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    gold = json.loads((REPO / "testdata/llm/shakespeare_golden.json").read_text())
    prompt = gold["prompts"][0]
    m = Llama(model, n_ctx=128, n_batch=128, n_threads=threads, logits_all=True, verbose=False)
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
