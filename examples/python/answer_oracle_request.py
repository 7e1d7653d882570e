# %% [markdown]
# # Answer an oracle request optimistically
#
# A dApp asks `InferenceOracle` for an inference of a registered model and pays a fee. A node
# answers with an optimistic claim bound to the request (claim and answer in one transaction),
# defends it while its challenge window is open, and once the claim is final anyone settles
# the request: the fee is split between the node and the model's owner and the dApp's
# callback receives the outputs. Everything runs on an in-process EVM;
# `verinfer.Chain.connect(url)` (with `Chain.use_deployments` for contracts the CLI deployed)
# targets a node instead.
# Run: `python examples/python/answer_oracle_request.py` with the `verinfer` wheel installed.

# %%
import pathlib

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"

model = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json")
chain = verinfer.Chain()
owner, node, dapp = chain.accounts[0], chain.accounts[1], chain.accounts[2]

# %% the model owner deploys the oracle (with a one-minute window) and registers the model
oracle = verinfer.Oracle.deploy(chain, window=60, clock=30, sender=owner)
oracle.register(model, sender=owner)
print(f"oracle at {oracle.address}; model {model.model_id} registered")

# %% a dApp requests an inference and pays the fee
request = oracle.request(model, DIGITS / "input.json", sender=dapp)
print(f"request {request}: {oracle.status(request)}")

# %% a node answers: it reads the input from the chain, runs the model and claims the outputs
claim = oracle.answer(model, request, sender=node, progress=lambda line: print("  ", line))
print(f"request {request}: {oracle.status(request)} by claim {claim.id}, "
      f"outputs {claim.outputs[0]}")

# %% nobody disputes the claim: once its window has passed it is final and the request settles
chain.advance_time(61)
assert claim.defend(timeout=10) == "finalized"
settled = oracle.settle(request)
assert oracle.status(request) == "fulfilled"
print(f"settled: node {settled['answerer_share']} wei, owner {settled['owner_share']} wei, "
      f"settle gas {settled['gas_used']}")
