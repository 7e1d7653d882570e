"""verinfer: verifiable ML inference.

Compile an ONNX model (or a GGUF / Hugging Face language model) into a calibrated fixed-point
integer graph, run it, prove an inference with Groth16 and verify the proof natively or on an EVM,
claim, challenge and watch inferences and generations optimistically, request and answer
inferences through the oracle — the jobs of the ``verinfer`` CLI, from Python. See docs/python.md for the API and its EZKL equivalents.

Every failure raises :class:`VerinferError` with the message the CLI prints.
"""

from ._native import (
    Chain,
    Claim,
    Keys,
    Model,
    Oracle,
    Proof,
    VerinferError,
    __version__,
    challenge,
    claim,
    compile,
    deploy_verifier,
    encode_calldata,
    export_verifier,
    generation_claim,
    load,
    load_keys,
    load_proof,
    optimistic_claim,
    prove,
    register,
    setup,
    verify,
    verify_evm,
    watch,
)

__all__ = [
    "Chain",
    "Claim",
    "Keys",
    "Model",
    "Oracle",
    "Proof",
    "VerinferError",
    "__version__",
    "challenge",
    "claim",
    "compile",
    "deploy_verifier",
    "encode_calldata",
    "export_verifier",
    "generation_claim",
    "load",
    "load_keys",
    "load_proof",
    "optimistic_claim",
    "prove",
    "register",
    "setup",
    "verify",
    "verify_evm",
    "watch",
]
