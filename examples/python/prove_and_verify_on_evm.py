# %% [markdown]
# # Prove a classifier and verify the proof natively and on an EVM
#
# The digits MLP (an ONNX file, as `torch.onnx.export` writes one) is compiled with its
# calibration data into a fixed-point model, run, proven with Groth16, and the proof verified
# natively and by the `Groth16Verifier` contract on an in-process EVM (revm: nothing to
# install). `verinfer.Chain.connect("http://127.0.0.1:8545")` does the same on a node.
# Run: `python examples/python/prove_and_verify_on_evm.py` with the `verinfer` wheel installed.

# %%
import pathlib
import tempfile

import numpy as np

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"

# %% compile with calibration data (EZKL's input.json format), then run one sample
model = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json")
print(f"compiled: {model.node_count} integer nodes, model id {model.model_id}")
logits = model.run(DIGITS / "input.json")[0]
print(f"predicted digit {int(np.argmax(logits))}")

# %% keys (a local single-party setup: fine for trying, not for production), proof
keys = verinfer.setup(model)
proof = verinfer.prove(model, keys, DIGITS / "input.json")
print(f"{keys.constraints} constraints, {keys.public_inputs} public inputs")
assert verinfer.verify(proof, keys)
print("native: proof valid")

# %% on the in-process EVM: deploy the verifier for these keys and call it
chain = verinfer.Chain()
verdict = verinfer.verify_evm(proof, keys, chain)
assert verdict["valid"]
print(f"evm: proof valid at {verdict['verifier']}, verifyProof gas {verdict['gas_used']}")

# %% a changed output is refused on chain too
tampered = proof.to_dict()
tampered["public"]["outputs"][0][0] += 1
assert not verinfer.verify_evm(verinfer.Proof.from_dict(tampered), keys, chain)["valid"]
print("evm: a changed output is rejected")

# %% for your own toolchain: the standalone Solidity verifier and the calldata of its check
with tempfile.TemporaryDirectory() as d:
    verinfer.export_verifier(keys, pathlib.Path(d) / "Verifier.sol")
    calldata = verinfer.encode_calldata(proof, keys)
    print(f"Verifier.sol written; verifyProof calldata {len(calldata)} bytes: "
          f"0x{calldata[:4].hex()}…")
