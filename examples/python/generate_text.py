# %% [markdown]
# # Generate text with a GGUF language model, exactly
#
# A llama.cpp GGUF file compiles into an integer model whose generation is bit-exact on every
# machine (the precondition for claiming it on chain). This uses the tiny LLaMA bundled in
# testdata (random weights: its text is noise); any LLaMA-architecture GGUF works the same way.
# Run: `python examples/python/generate_text.py` with the `verinfer` wheel installed.

# %%
import pathlib
import tempfile

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
GGUF = REPO / "testdata" / "gguf" / "llama_tiny.gguf"

llm = verinfer.compile(GGUF, ctx=32)
print(f"compiled {llm.node_count} integer nodes, model id {llm.model_id}")

# %% greedy generation: the same tokens every run, on every machine
out = llm.generate("Be not afeard", max_new_tokens=8)
print(f"tokens {out['tokens']} -> {out['text']!r}")
assert llm.generate("Be not afeard", max_new_tokens=8) == out

# %% the compiled model travels as a file (its tokenizer beside it)
with tempfile.TemporaryDirectory() as d:
    path = pathlib.Path(d) / "tiny.vmodel"
    llm.save(path)
    assert verinfer.load(path).generate("Be not afeard", max_new_tokens=8) == out
    print("saved and reloaded: same generation")
