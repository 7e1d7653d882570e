# %% [markdown]
# # Answer optimistically: claim an inference, let an honest node watch
#
# An optimistic (opML) claim states the model's output with a bond and a commitment to the
# whole execution trace. An honest node re-executes; a wrong claim is challenged and the
# dispute game narrows the disagreement to one step that the chain checks itself. A claim no
# one disputes is final once its challenge window has passed. Everything runs on an in-process
# EVM; `verinfer.Chain.connect(url)` targets a node (anvil) instead.
# Run: `python examples/python/optimistic_claim.py` with the `verinfer` wheel installed.

# %%
import pathlib

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"

model = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json")
chain = verinfer.Chain()

# %% an honest claim: nobody challenges, it is finalized after the window
honest = verinfer.optimistic_claim(model, DIGITS / "input.json", chain,
                                   progress=lambda line: print("  ", line))
assert honest["claim_status"] == "finalized"
print(f"honest claim {honest['claim_id']}: {honest['claim_status']}, "
      f"claim gas {honest['claim_gas']}")

# %% a lying claim (one output element off by one): challenged, and the liar loses
liar = verinfer.optimistic_claim(model, DIGITS / "input.json", chain, lie="wrong-output")
assert liar["winner"] == "challenger" and liar["claim_status"] == "rejected"
print(f"lying claim {liar['claim_id']}: {liar['claim_status']} after {liar['moves']} moves in "
      f"{liar['rounds']} rounds; largest move {liar['max_step_gas']} gas ({liar['reason']})")
