"""verinfer: verifiable ML inference.

Compile an ONNX model (or a GGUF / Hugging Face language model) into a calibrated fixed-point
integer graph, run it, prove an inference with Groth16 and verify the proof natively or on an EVM,
claim an inference optimistically — the jobs of the ``verinfer`` CLI, from Python. See docs/python.md for the API and its EZKL equivalents.

Every failure raises :class:`VerinferError` with the message the CLI prints.
"""

from ._native import (
    Chain,
    Keys,
    Model,
    Proof,
    VerinferError,
    __version__,
    compile,
    deploy_verifier,
    encode_calldata,
    export_verifier,
    load,
    load_keys,
    load_proof,
    optimistic_claim,
    prove,
    setup,
    verify,
    verify_evm,
)

__all__ = [
    "Chain",
    "Keys",
    "Model",
    "Proof",
    "VerinferError",
    "__version__",
    "compile",
    "deploy_verifier",
    "encode_calldata",
    "export_verifier",
    "load",
    "load_keys",
    "load_proof",
    "optimistic_claim",
    "prove",
    "setup",
    "verify",
    "verify_evm",
]
