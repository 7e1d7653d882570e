"""Type stubs of the verinfer Python API (docs/python.md)."""

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypedDict, Union

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
ArrayLike = Union[npt.ArrayLike, Sequence[float], Sequence[int], Sequence[bool]]
Inputs = Union[PathLike, Dict[str, Any], npt.NDArray[Any], Sequence[ArrayLike]]
"""A list with one array-like per model input (floats, integers or booleans), one array for a
one-input model, an EZKL ``input.json`` path, or that file's dict."""

class TensorSpec(TypedDict):
    name: str
    shape: List[int]
    scale: int
    """Values are ``quantized / 2**scale``."""
    bits: int
    """Bit bound of the quantized values."""

class Generation(TypedDict):
    prompt_ids: List[int]
    tokens: List[int]
    text: Optional[str]

class OutputError(TypedDict):
    name: str
    scale: int
    max_abs_err: float
    mean_abs_err: float
    float_max_abs: float
    argmax_agree: Optional[int]
    argmax_total: Optional[int]

class Accuracy(TypedDict):
    quantized: int
    float: int
    total: int

class Evaluation(TypedDict, total=False):
    reference: str
    samples: int
    outputs: List[OutputError]
    accuracy: Accuracy
    """Only when the data set has a ``labels`` list as long as its samples."""

class RegisteredTx(TypedDict):
    label: str
    tx_hash: str
    gas_used: int
    block: int

class Registration(TypedDict):
    chain: str
    registry: str
    model_id: str
    already_registered: bool
    owner: str
    registered_at: int
    uri: str
    transactions: List[RegisteredTx]

class EvmVerdict(TypedDict):
    valid: bool
    gas_used: int
    """Gas of the ``verifyProof`` transaction (21 000 intrinsic and calldata included)."""
    verifier: str
    """Address of the ``Groth16Verifier`` used."""
    deploy_gas: int
    """Gas of its deployment; 0 when an earlier one was reused."""

class ClaimReport(TypedDict):
    winner: str
    """``"none"`` (nobody challenged), ``"submitter"`` or ``"challenger"``."""
    reason: str
    claim_status: str
    """``"finalized"`` or ``"rejected"``."""
    moves: int
    rounds: int
    total_gas: int
    max_step_gas: int
    claim_gas: int
    transactions: List[Tuple[str, int]]
    wall_ms: int
    claim_id: int
    model_id: str
    claimed_outputs: List[List[int]]
    """The quantized outputs the claim states."""

class VerinferError(Exception):
    """A verinfer operation failed; the message is the one the ``verinfer`` CLI prints."""

class Model:
    """A compiled fixed-point model (``.vmodel``), with its tokenizer for a language model."""

    def save(self, path: PathLike) -> None:
        """Write the ``.vmodel`` (and ``M.tokenizer.json`` beside it for a language model)."""
    def run(self, inputs: Inputs, *, quantized: bool = False) -> List[npt.NDArray[Any]]:
        """Run one sample; outputs as arrays of the output shapes, dequantized float64 (or the
        int32 values with ``quantized=True``)."""
    @property
    def inputs(self) -> List[TensorSpec]:
        """Model inputs: name, shape, scale, bits."""
    @property
    def outputs(self) -> List[TensorSpec]:
        """Model outputs: name, shape, scale, bits."""
    @property
    def node_count(self) -> int:
        """Nodes of the integer graph."""
    @property
    def param_count(self) -> int:
        """Parameter elements (weights, biases, tables)."""
    @property
    def model_id(self) -> str:
        """The model id (Keccak-Merkle root; what ``verinfer commit`` prints), 0x-hex."""
    @property
    def is_language_model(self) -> bool:
        """Whether the model has a tokenizer and ``generate`` works."""
    @property
    def report(self) -> Optional[Dict[str, Any]]:
        """Accuracy of the compile against float inference (ONNX models compiled in this
        process), as ``verinfer compile --report-json`` writes it."""
    def inspect(self) -> Dict[str, Any]:
        """Name, nodes, parameter elements, inputs, outputs, model id, nodes per op."""
    def evaluate(self, data: PathLike, *, onnx: Optional[PathLike] = None) -> Evaluation:
        """Compare with float inference on a data set (``verinfer eval --json``): every sample
        of ``data`` (an EZKL ``input.json``; a ``"labels"`` list adds accuracy) through the
        integer executor and through ``onnx`` in float. ``onnx`` defaults to the file
        ``compile`` read in this process; a loaded model needs it."""
    def generate(
        self,
        prompt: Union[str, Sequence[int]],
        max_new_tokens: int = 32,
        *,
        ignore_eos: bool = False,
    ) -> Generation:
        """Greedy generation with a compiled language model (``verinfer generate --json``)."""

class Keys:
    """Proving and verifying keys of one model with their manifest (a key directory)."""

    def save(self, path: PathLike) -> None:
        """Write ``proving.key``, ``verifying.key`` and ``keys.json`` into directory ``path``."""
    @property
    def backend(self) -> str:
        """The proof backend (``"groth16"``)."""
    @property
    def model_id(self) -> str:
        """The model id the keys are for."""
    @property
    def visibility(self) -> str:
        """The visibility in verinfer's words (``input=public,params=public,output=public``)."""
    @property
    def constraints(self) -> int:
        """Constraints of the circuit."""
    @property
    def public_inputs(self) -> int:
        """Number of public inputs of the verifying key."""
    def manifest(self) -> Dict[str, Any]:
        """``keys.json`` as a dict."""

class Proof:
    """A proof and the public values it attests (a proof file)."""

    def save(self, path: PathLike) -> None:
        """Write the proof file (JSON), readable by ``verinfer verify``."""
    @property
    def model_id(self) -> str:
        """The model id the proof is about."""
    @property
    def outputs(self) -> List[List[int]]:
        """The quantized outputs the proof attests (empty when not public)."""
    def to_dict(self) -> Dict[str, Any]:
        """The proof file's JSON as a dict."""
    @staticmethod
    def from_dict(d: Dict[str, Any]) -> "Proof":
        """A proof from ``to_dict``'s dict or a parsed proof file."""

def compile(
    model_path: PathLike,
    calibration: Optional[PathLike] = None,
    bits: Optional[int] = None,
    table_bits: Optional[int] = None,
    ctx: Optional[int] = None,
    *,
    headroom_bits: int = 1,
    input_shapes: Optional[Dict[str, Sequence[int]]] = None,
    calibration_samples: int = 8,
    tokenizer: Optional[PathLike] = None,
    progress: Optional[Callable[[str], Any]] = None,
) -> Model:
    """Compile an ONNX model (with EZKL ``input.json`` calibration data), a GGUF file or a
    Hugging Face LLaMA checkpoint into a calibrated fixed-point model (``verinfer compile``).
    ``progress`` gets one line per stage."""

def load(path: PathLike) -> Model:
    """Load a ``.vmodel`` (and the tokenizer beside it, if any)."""

def setup(
    model: Model,
    backend: str = "groth16",
    visibility: Optional[Union[str, Dict[str, str]]] = None,
    *,
    input_visibility: Optional[str] = None,
    param_visibility: Optional[str] = None,
    output_visibility: Optional[str] = None,
    progress: Optional[Callable[[str], Any]] = None,
) -> Keys:
    """Generate proof keys (a local single-party dev setup; ``verinfer setup``). Visibility
    words: ``public``, ``private``, ``hashed``, and EZKL's ``fixed`` (params) and
    ``hashed/public``. ``backend``: ``"groth16"`` or ``"sumcheck"`` (a single matrix-product
    model, every class public; any other model raises the backend's reason). ``progress``
    gets one line per stage."""

def prove(
    model: Model,
    keys: Keys,
    inputs: Inputs,
    *,
    chain_id: int = 0,
    contract: Optional[str] = None,
    tag: Optional[Union[int, str]] = None,
    answerer: Optional[str] = None,
    progress: Optional[Callable[[str], Any]] = None,
) -> Proof:
    """Prove one inference (``verinfer prove``), optionally bound to a chain, contract, request
    tag and answering account. ``progress`` gets one line per stage."""

def verify(proof: Proof, keys: Keys, *, raise_on_invalid: bool = False) -> bool:
    """Verify natively (``verinfer verify``): ``True`` if valid, ``False`` otherwise (or raise
    ``VerinferError`` with the reason when ``raise_on_invalid``)."""

def export_verifier(keys: Keys, path: PathLike) -> None:
    """Write a standalone Solidity verifier (``verinfer export-verifier``)."""

def load_keys(path: PathLike) -> Keys:
    """Load a key directory written by ``Keys.save`` or ``verinfer setup``."""

def load_proof(path: PathLike) -> Proof:
    """Load a proof file written by ``Proof.save`` or ``verinfer prove``."""

class Chain:
    """An EVM chain: ``Chain()`` is an in-process EVM (revm; funded dev accounts, every
    transaction mined at once); ``Chain.connect(url)`` a node at a URL. Contracts deployed
    through it (verifiers, the dispute game) are remembered and reused."""

    def __init__(self) -> None: ...
    @staticmethod
    def connect(url: str, private_keys: Optional[Sequence[str]] = None) -> "Chain":
        """A node at ``url``, sending with ``private_keys`` (default: anvil's dev keys)."""
    @staticmethod
    def load(path: PathLike) -> "Chain":
        """An in-process EVM saved by ``save`` (or the CLI's ``--chain-state``)."""
    def save(self, path: PathLike) -> None:
        """Save an in-process EVM's whole state."""
    @property
    def chain_id(self) -> int:
        """The EIP-155 chain id."""
    @property
    def accounts(self) -> List[str]:
        """Accounts that can send; the first is the default sender."""
    def balance(self, address: str) -> int:
        """Balance in wei."""
    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward."""
    def deploy(self, code: bytes, *, sender: Optional["Sender"] = None) -> str:
        """Deploy creation code (e.g. the compiled ``Verifier.sol``); the new address."""
    def call(self, to: str, data: bytes, *, sender: Optional["Sender"] = None) -> bytes:
        """Call without a transaction; what the contract returned (a revert raises)."""
    def send(
        self, to: str, data: bytes, *, value: int = 0, sender: Optional["Sender"] = None
    ) -> Dict[str, Any]:
        """Send a transaction; ``{"tx_hash", "gas_used", "block_number"}`` (a revert raises)."""
    def use_deployments(self, path: PathLike) -> None:
        """Use the contracts recorded in a CLI deployments file (``--deployments``, default
        ``.verinfer/deployments.json``): ``claim``, ``challenge``, ``watch`` and ``Oracle``
        then find what ``verinfer`` deployed on this chain."""
    def save_deployments(self, path: PathLike) -> None:
        """Write the contracts deployed through this ``Chain`` in the CLI's deployments
        format."""

Sender = Union[int, str]
"""An account index of the chain or an 0x address."""

def deploy_verifier(keys: Keys, chain: Chain, *, sender: Optional[Sender] = None) -> str:
    """Deploy the generic ``Groth16Verifier`` for ``keys`` (no Solidity compiler needed);
    returns its address (``verinfer deploy-verifier``)."""

def register(
    model: Model,
    chain: Chain,
    *,
    uri: str = "verinfer",
    registry: Optional[str] = None,
    sender: Optional[Sender] = None,
) -> Registration:
    """Put the model id into the chain's ``ModelRegistry`` (``verinfer register --json``),
    deploying the registry first when the chain has none (or using ``registry``); nothing is
    sent for a model registered already."""

def verify_evm(
    proof: Proof,
    keys: Keys,
    chain: Optional[Chain] = None,
    *,
    verifier: Optional[str] = None,
    sender: Optional[Sender] = None,
) -> EvmVerdict:
    """Verify on an EVM (``verinfer verify --evm``): deploy (or reuse) the verifier for the
    keys and send ``verifyProof``. Default chain: a fresh in-process EVM."""

def encode_calldata(proof: Proof, keys: Keys, *, compressed: bool = False) -> bytes:
    """Calldata of the exported ``Verifier.sol``'s ``verifyProof(uint256[8], uint256[n])``
    (``verifyCompressedProof(uint256[4], uint256[n])`` with ``compressed``)."""

def optimistic_claim(
    model: Model,
    inputs: Inputs,
    chain: Optional[Chain] = None,
    *,
    lie: Optional[str] = None,
    submitter: Optional[Sender] = None,
    challenger: Optional[Sender] = None,
    window: int = 3600,
    clock: int = 600,
    progress: Optional[Callable[[str], Any]] = None,
) -> ClaimReport:
    """Claim an inference optimistically (opML) while an honest node watches: a wrong claim
    (``lie="wrong-output"`` or ``"wrong-node"``) is challenged and loses the dispute game; an
    honest one is finalized after its window. ``progress`` gets one line per stage."""

class ChallengeResult(TypedDict):
    claim_id: int
    challenged: bool
    """Whether a game was opened (or continued): ``False`` when the claim is honest."""
    game_id: Optional[int]
    phase: Optional[str]
    """``"challenger_won"``, ``"submitter_won"``, or the phase the game waits in."""
    claim_status: str
    """``"pending"``, ``"finalized"`` or ``"rejected"``."""

class WatchedClaim(TypedDict, total=False):
    claim_id: int
    submitter: str
    verdict: str
    """``"agrees"``, ``"challenged"`` or ``"skipped"`` (then ``reason``)."""
    reason: str
    game_id: Optional[int]
    phase: Optional[str]
    claim_status: str

class GenerationReport(TypedDict):
    winner: str
    """``"none"`` (nobody challenged), ``"submitter"`` or ``"challenger"``."""
    reason: str
    claim_status: str
    """``"finalized"`` or ``"rejected"``."""
    mode: str
    """``"bisect"``, ``"bind"`` or ``"none"``."""
    step: Optional[int]
    moves: int
    rounds: int
    total_gas: int
    max_step_gas: int
    claim_gas: int
    sub: Optional[Dict[str, Any]]
    """The single-step game's report when the disputed step's trace was contested."""
    transactions: List[Tuple[str, int]]
    wall_ms: int
    model_id: str
    prompt_ids: List[int]
    tokens: List[int]
    """The generated tokens the claim states."""
    text: Optional[str]
    steps: int

class Settlement(TypedDict):
    answerer: str
    model_owner: str
    answerer_share: str
    """Wei, as a decimal string."""
    owner_share: str
    callback: str
    """``"no_callback"``, ``"delivered"`` or ``"failed"``."""
    gas_used: int
    outputs: List[List[int]]

class Claim:
    """An optimistic claim posted by this process (``claim``, ``Oracle.answer``), holding the
    execution that answers every game against it."""

    @property
    def id(self) -> int:
        """The claim id on the game."""
    @property
    def model_id(self) -> str:
        """The model id the claim is about."""
    @property
    def outputs(self) -> List[List[int]]:
        """The quantized outputs the claim states."""
    @property
    def submitter(self) -> str:
        """The account that posted it."""
    @property
    def game(self) -> str:
        """The game contract's address."""
    def status(self) -> str:
        """``"pending"``, ``"finalized"`` or ``"rejected"``, as the chain says now."""
    def defend(
        self,
        *,
        timeout: Optional[float] = None,
        poll: float = 0.2,
        progress: Optional[Callable[[str], Any]] = None,
    ) -> str:
        """Answer every game against the claim and finalize it once its window has passed
        (``verinfer defend``), polling until it is final or rejected or ``timeout`` seconds
        pass; returns the status then."""

def claim(
    model: Model,
    inputs: Inputs,
    chain: Chain,
    *,
    sender: Optional[Sender] = None,
    lie: Optional[str] = None,
    publish_input: bool = False,
    window: int = 3600,
    clock: int = 600,
    progress: Optional[Callable[[str], Any]] = None,
) -> Claim:
    """Post an optimistic claim of ``model``'s output on ``inputs`` (``verinfer claim``),
    deploying and registering what is missing; ``publish_input`` posts the input so that any
    watcher can re-execute it."""

def challenge(
    model: Model,
    claim_id: int,
    chain: Chain,
    inputs: Optional[Inputs] = None,
    *,
    sender: Optional[Sender] = None,
    force: bool = False,
    game: Optional[int] = None,
    timeout: Optional[float] = None,
    poll: float = 0.2,
    progress: Optional[Callable[[str], Any]] = None,
) -> ChallengeResult:
    """Re-execute claim ``claim_id`` and, when its trace is wrong (or ``force``), open a game
    and play it until it ends or ``timeout`` seconds pass (``verinfer challenge``)."""

def watch(
    model: Model,
    chain: Chain,
    *,
    sender: Optional[Sender] = None,
    from_claim: int = 0,
    max_claims: Optional[int] = None,
    timeout: Optional[float] = None,
    poll: float = 0.2,
    progress: Optional[Callable[[str], Any]] = None,
) -> List[WatchedClaim]:
    """Follow the claims about ``model`` (from claim ``from_claim``), re-execute each on the
    input it posted and challenge the wrong ones, until ``timeout`` or ``max_claims`` claims
    are seen and their games ended."""

def generation_claim(
    model: Model,
    prompt: Union[str, Sequence[int]],
    max_new_tokens: int = 16,
    chain: Optional[Chain] = None,
    *,
    lie: Optional[str] = None,
    at_step: Optional[int] = None,
    submitter: Optional[Sender] = None,
    challenger: Optional[Sender] = None,
    window: int = 3600,
    clock: int = 600,
    progress: Optional[Callable[[str], Any]] = None,
) -> GenerationReport:
    """Claim a greedy generation as one ``GenerationGame`` claim while an honest node
    regenerates and challenges a wrong one (``lie``: ``"wrong-token"``, ``"wrong-kv-row"``,
    ``"wrong-node"`` at ``at_step``); an honest claim is finalized after its window."""

class Oracle:
    """An ``InferenceOracle``: requests of registered models, answered by optimistic claims
    and settled when the answer is final."""

    @staticmethod
    def deploy(
        chain: Chain,
        *,
        fee_wei: int = 10**16,
        owner_share_bps: int = 1000,
        cancel_delay: int = 86400,
        max_callback_gas: int = 2_000_000,
        window: int = 3600,
        clock: int = 600,
        sender: Optional[Sender] = None,
    ) -> "Oracle":
        """Deploy the registry, game and oracle (``verinfer oracle deploy``)."""
    @staticmethod
    def at(chain: Chain, address: str) -> "Oracle":
        """The oracle at ``address`` (its code checked)."""
    @property
    def address(self) -> str:
        """The contract's address."""
    def register(
        self, model: Model, *, uri: str = "verinfer", sender: Optional[Sender] = None
    ) -> int:
        """Register the model and teach it to the game; the number of transactions sent."""
    def request(
        self,
        model: Model,
        inputs: Inputs,
        *,
        fee_wei: Optional[int] = None,
        callback: Optional[str] = None,
        callback_gas: int = 500_000,
        sender: Optional[Sender] = None,
    ) -> int:
        """Request an inference (pays the fee); the request id."""
    def answer(
        self,
        model: Model,
        request_id: int,
        *,
        sender: Optional[Sender] = None,
        progress: Optional[Callable[[str], Any]] = None,
    ) -> Claim:
        """Answer a request optimistically: run the model on the request's input from the
        chain and post a claim bound to the request."""
    def settle(
        self,
        request_id: int,
        *,
        outputs: Optional[Sequence[Sequence[int]]] = None,
        sender: Optional[Sender] = None,
    ) -> Settlement:
        """Settle a request whose answering claim is final: pay and call back. ``outputs``:
        default, those of the final answering claim read from the chain."""
    def status(self, request_id: int) -> str:
        """``"open"``, ``"claimed"``, ``"fulfilled"`` or ``"cancelled"``."""
