"""Claims, challenges, the watcher, the oracle and generation claims from Python, the sumcheck
backend, progress callbacks, and the CLI's messages in Python's exceptions — against the
installed wheel (scripts/python_api.sh).

Two parties in one process play on one in-process chain from two threads: each pass over the
chain holds it briefly, so the submitter's `Claim.defend` and the challenger's `challenge`
take turns.
"""

import json
import pathlib
import struct
import threading

import numpy as np
import pytest

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"
PROMPT = [1, 378, 537]


def in_thread(f):
    """Runs `f` in a thread; returns a function that joins it and returns its result (or
    raises its exception)."""
    box = {}

    def run():
        try:
            box["value"] = f()
        except BaseException as e:  # noqa: BLE001 - re-raised in the joining thread
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()

    def join():
        t.join(timeout=300)
        assert not t.is_alive(), "the thread did not finish"
        if "error" in box:
            raise box["error"]
        return box["value"]

    return join


# ---------------------------------------------------------------- claim, challenge, watch

def test_an_honest_claim_is_not_challenged_and_finalizes(digits):
    chain = verinfer.Chain()
    lines = []
    c = verinfer.claim(digits, DIGITS / "input.json", chain, window=60, clock=30,
                       progress=lines.append)
    assert any(line.startswith("tx: ") for line in lines), lines
    assert c.status() == "pending"
    assert c.outputs == [digits.run(DIGITS / "input.json", quantized=True)[0].ravel().tolist()]
    assert c.model_id == digits.model_id and c.submitter == chain.accounts[0]
    r = verinfer.challenge(digits, c.id, chain, DIGITS / "input.json", sender=1)
    assert r == {"claim_id": c.id, "challenged": False, "game_id": None, "phase": None,
                 "claim_status": "pending"}
    assert c.defend(timeout=0) == "pending"          # its window is open
    chain.advance_time(61)
    assert c.defend(timeout=5) == "finalized"


def test_a_wrong_claim_is_challenged_and_rejected_from_two_threads(digits):
    chain = verinfer.Chain()
    c = verinfer.claim(digits, DIGITS / "input.json", chain, lie="wrong-output",
                       publish_input=True)
    defended = in_thread(lambda: c.defend(timeout=120, poll=0.01))
    lines = []
    r = verinfer.challenge(digits, c.id, chain, sender=1, timeout=120, poll=0.01,
                           progress=lines.append)
    assert r["challenged"] and r["game_id"] is not None
    assert r["phase"] == "challenger_won" and r["claim_status"] == "rejected"
    assert defended() == "rejected"
    assert any("opened" in line for line in lines), lines


def test_challenge_refuses_an_input_that_is_not_the_claimed_one(digits):
    chain = verinfer.Chain()
    c = verinfer.claim(digits, DIGITS / "input.json", chain, lie="wrong-node")
    with pytest.raises(verinfer.VerinferError, match="posted only its input roots"):
        verinfer.challenge(digits, c.id, chain, sender=1)
    with pytest.raises(verinfer.VerinferError, match="does not match claim"):
        verinfer.challenge(digits, c.id, chain, [np.zeros(64)], sender=1)


def test_the_watcher_challenges_only_the_wrong_claims(digits):
    chain = verinfer.Chain()
    honest = verinfer.claim(digits, DIGITS / "input.json", chain, publish_input=True)
    liar = verinfer.claim(digits, DIGITS / "input.json", chain, lie="wrong-node",
                          publish_input=True)
    roots_only = verinfer.claim(digits, DIGITS / "input.json", chain, lie="wrong-output")
    defended = in_thread(lambda: liar.defend(timeout=120, poll=0.01))
    lines = []
    seen = verinfer.watch(digits, chain, sender=1, max_claims=3, timeout=120, poll=0.01,
                          progress=lines.append)
    assert defended() == "rejected"
    by_id = {s["claim_id"]: s for s in seen}
    assert by_id[honest.id]["verdict"] == "agrees"
    assert by_id[liar.id]["verdict"] == "challenged"
    assert by_id[liar.id]["phase"] == "challenger_won"
    assert by_id[liar.id]["claim_status"] == "rejected"
    assert by_id[roots_only.id]["verdict"] == "skipped"
    assert "input roots" in by_id[roots_only.id]["reason"]
    assert len(lines) >= 3


def test_a_chain_without_a_game_says_so(digits):
    with pytest.raises(verinfer.VerinferError):
        verinfer.watch(digits, verinfer.Chain(), timeout=0)
    with pytest.raises(verinfer.VerinferError, match="timeout"):
        verinfer.challenge(digits, 0, verinfer.Chain(), timeout=-1)


def test_deployments_travel_through_the_cli_format(digits, tmp_path):
    chain = verinfer.Chain()
    c = verinfer.claim(digits, DIGITS / "input.json", chain, publish_input=True)
    path = tmp_path / "deployments.json"
    chain.save_deployments(path)
    assert "InferenceGame" in path.read_text()
    state = tmp_path / "chain.json"
    chain.save(state)
    again = verinfer.Chain.load(state)
    again.use_deployments(path)
    r = verinfer.challenge(digits, c.id, again, sender=1)
    assert r["challenged"] is False


# ---------------------------------------------------------------- the oracle

def test_an_oracle_request_answered_optimistically_and_settled(digits):
    chain = verinfer.Chain()
    oracle = verinfer.Oracle.deploy(chain, window=60, clock=30)
    assert oracle.register(digits) == 2
    assert oracle.register(digits) == 0
    requester, node = chain.accounts[2], chain.accounts[1]
    rid = oracle.request(digits, DIGITS / "input.json", sender=requester)
    assert oracle.status(rid) == "open"
    c = oracle.answer(digits, rid, sender=node)
    assert oracle.status(rid) == "claimed"
    with pytest.raises(verinfer.VerinferError, match="NotFinal|not final"):
        oracle.settle(rid)
    chain.advance_time(61)
    assert c.defend(timeout=5) == "finalized"
    s = oracle.settle(rid)
    assert oracle.status(rid) == "fulfilled"
    assert s["answerer"] == node and s["callback"] == "no_callback"
    assert s["outputs"] == c.outputs
    assert int(s["answerer_share"]) > 0
    assert verinfer.Oracle.at(chain, oracle.address).status(rid) == "fulfilled"


def test_an_oracle_refuses_an_unregistered_model(digits):
    chain = verinfer.Chain()
    oracle = verinfer.Oracle.deploy(chain)
    with pytest.raises(verinfer.VerinferError):
        oracle.request(digits, DIGITS / "input.json")


# ---------------------------------------------------------------- generation claims

def test_an_honest_generation_claim_states_the_generated_tokens(llama):
    lines = []
    r = verinfer.generation_claim(llama, PROMPT, 4, progress=lines.append)
    assert r["tokens"] == llama.generate(PROMPT, 4, ignore_eos=True)["tokens"]
    assert r["winner"] == "none" and r["claim_status"] == "finalized"
    assert r["model_id"] == llama.model_id and r["steps"] == len(PROMPT) + 3
    assert lines


def test_a_wrong_generation_claim_loses(llama):
    r = verinfer.generation_claim(llama, PROMPT, 4, lie="wrong-token", at_step=3)
    assert r["winner"] == "challenger" and r["claim_status"] == "rejected"
    assert r["mode"] in ("bisect", "bind")
    with pytest.raises(verinfer.VerinferError, match="outside the generation"):
        verinfer.generation_claim(llama, PROMPT, 4, lie="wrong-token", at_step=99)
    with pytest.raises(verinfer.VerinferError, match="expected None"):
        verinfer.generation_claim(llama, PROMPT, 4, lie="nonsense")


def test_a_generation_claim_needs_a_language_model(digits):
    with pytest.raises(verinfer.VerinferError, match="language model"):
        verinfer.generation_claim(digits, [1, 2], 2)


# ---------------------------------------------------------------- the sumcheck backend

def _varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field, n):
    return _varint(field << 3) + _varint(n)


def _bytes(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _tensor(name, a):
    a = np.asarray(a, dtype=np.float32)
    return (b"".join(_int(1, d) for d in a.shape) + _int(2, 1) + _bytes(8, name)
            + _bytes(9, a.tobytes()))


def _value_info(name, shape):
    dims = b"".join(_bytes(1, _int(1, d)) for d in shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, 1) + _bytes(2, dims)))


def single_matmul_onnx(path, m=2, k=8, n=4, seed=3):
    """An ONNX file with one Gemm `y = x·W + b` (protobuf written by hand: no onnx package)."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.5, 0.5, (k, n))
    b = rng.uniform(-0.1, 0.1, (n,))
    node = (_bytes(1, "x") + _bytes(1, "W") + _bytes(1, "b") + _bytes(2, "y")
            + _bytes(3, "gemm") + _bytes(4, "Gemm"))
    graph = (_bytes(1, node) + _bytes(2, "single_matmul") + _bytes(5, _tensor("W", w))
             + _bytes(5, _tensor("b", b)) + _bytes(11, _value_info("x", [m, k]))
             + _bytes(12, _value_info("y", [m, n])))
    model = _int(1, 8) + _bytes(2, "verinfer-test") + _bytes(7, graph) + _bytes(8, _int(2, 17))
    path.write_bytes(model)
    return w, b


def test_the_sumcheck_backend_proves_a_single_matmul(tmp_path):
    onnx = tmp_path / "matmul.onnx"
    w, b = single_matmul_onnx(onnx)
    m = verinfer.compile(onnx, bits=8)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 8))
    np.testing.assert_allclose(m.run([x])[0], x @ w + b, atol=0.1)
    lines = []
    keys = verinfer.setup(m, backend="sumcheck", progress=lines.append)
    assert keys.backend == "sumcheck"
    assert any("sumcheck" in line for line in lines), lines
    proof = verinfer.prove(m, keys, [x])
    assert verinfer.verify(proof, keys)
    d = proof.to_dict()
    d["public"]["outputs"][0][0] += 1
    assert not verinfer.verify(verinfer.Proof.from_dict(d), keys)
    keys.save(tmp_path / "keys")
    assert verinfer.load_keys(tmp_path / "keys").backend == "sumcheck"


def test_the_sumcheck_backend_refuses_other_models_with_its_reason():
    # The digits MLP, the MNIST CNN and the transformer block (its softmax's `Div` included)
    # are layered-sumcheck models now; the gated verifier is not (its `Sub` reads a parameter
    # as its first operand), and the backend names the node and op it stops at.
    tb_dir = REPO / "testdata" / "models" / "transformer_block"
    tb = verinfer.compile(tb_dir / "network.onnx", calibration=tb_dir / "calibration.json")
    assert verinfer.setup(tb, backend="sumcheck").backend == "sumcheck"
    gv_dir = REPO / "testdata" / "models" / "gated_verifier"
    gv = verinfer.compile(gv_dir / "network.onnx", calibration=gv_dir / "calibration.json")
    with pytest.raises(verinfer.VerinferError, match=r"node 6 \(GreaterOrEqual_5, Sub\)"):
        verinfer.setup(gv, backend="sumcheck")


# ---------------------------------------------------------------- progress and messages

def test_long_work_reports_progress(digits):
    lines = []
    m = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json",
                         progress=lines.append)
    assert any("calibrating" in line for line in lines), lines
    lines.clear()
    keys = verinfer.setup(m, progress=lines.append)
    assert any("constraints" in line for line in lines), lines
    lines.clear()
    verinfer.prove(m, keys, DIGITS / "input.json", progress=lines.append)
    assert [line.split(" ")[0] for line in lines] == ["running", "proving", "proved:"]

    def fail(_line):
        raise RuntimeError("stop here")

    with pytest.raises(verinfer.VerinferError, match="progress callback raised.*stop here"):
        verinfer.setup(m, progress=fail)


def test_a_wrong_input_shape_raises_the_cli_message(digits, tmp_path, cli):
    bad = tmp_path / "input.json"
    bad.write_text(json.dumps({"input_data": [[0.5] * 63]}))
    model = tmp_path / "digits.vmodel"
    digits.save(model)
    with pytest.raises(verinfer.VerinferError) as e:
        digits.run(bad)
    r = cli("run", model, "--input", bad, check=False)
    assert r.returncode != 0
    assert r.stderr.strip() == f"error: {e.value}"


def test_a_bad_proof_raises_the_cli_message(digits, tmp_path, cli):
    keys = verinfer.setup(digits)
    proof = verinfer.prove(digits, keys, DIGITS / "input.json")
    d = proof.to_dict()
    d["public"]["outputs"][0][0] += 1
    bad = verinfer.Proof.from_dict(d)
    with pytest.raises(verinfer.VerinferError) as e:
        verinfer.verify(bad, keys, raise_on_invalid=True)
    keys.save(tmp_path / "keys")
    bad.save(tmp_path / "proof.json")
    r = cli("verify", tmp_path / "proof.json", "--keys", tmp_path / "keys", check=False)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines()[-1] == f"error: {e.value}"
