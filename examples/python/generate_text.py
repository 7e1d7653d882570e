# %% [markdown]
# # Generate text with a GGUF language model, exactly, and claim it on chain
#
# A llama.cpp GGUF file compiles into an integer model whose generation is bit-exact on every
# machine, so a generation can be claimed on chain (`GenerationGame`): a watcher regenerates,
# and a wrong claim is bisected down to one step whose single-step claim the inference game
# checks. This uses the tiny LLaMA bundled in testdata (random weights: its text is noise);
# any LLaMA-architecture GGUF works the same way.
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

# %% claim the generation on an in-process EVM; an honest watcher finds nothing to dispute
chain = verinfer.Chain()
prompt = out["prompt_ids"]
claimed = verinfer.generation_claim(llm, prompt, 4, chain)
assert claimed["tokens"] == llm.generate(prompt, 4, ignore_eos=True)["tokens"]
assert claimed["claim_status"] == "finalized"
print(f"generation claim of {claimed['tokens']}: {claimed['claim_status']}, "
      f"claim gas {claimed['claim_gas']}")

# %% a claim with one wrong token is bisected to its step and rejected
liar = verinfer.generation_claim(llm, prompt, 4, chain, lie="wrong-token")
assert liar["winner"] == "challenger" and liar["claim_status"] == "rejected"
print(f"wrong-token claim: {liar['claim_status']} after {liar['moves']} moves "
      f"({liar['mode']} to step {liar['step']}), largest move {liar['max_step_gas']} gas")
