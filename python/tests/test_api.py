"""The Python API, against the installed wheel (scripts/test.sh builds it with maturin,
installs it into a fresh virtualenv and runs this file from outside the source tree).

Outputs, model ids, proofs and generations are compared with the `verinfer` CLI's on the same
files: the bindings call the same library functions, so they must agree exactly.

Environment: VERINFER_CLI names the CLI binary (default: target/release/verinfer of this
checkout). Under CI=true a missing binary fails the CLI comparisons instead of skipping them.
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"
LLAMA = REPO / "testdata" / "gguf" / "llama_tiny.gguf"


@pytest.fixture(scope="module")
def digits_keys(digits):
    return verinfer.setup(digits)


@pytest.fixture(scope="module")
def digits_proof(digits, digits_keys):
    return verinfer.prove(digits, digits_keys, DIGITS / "input.json")


def digits_input():
    with open(DIGITS / "input.json") as f:
        return np.array(json.load(f)["input_data"][0], dtype=np.float64)


def test_the_installed_wheel_is_under_test():
    assert "site-packages" in verinfer.__file__, verinfer.__file__
    assert verinfer.__version__


def test_compile_digits_mlp(digits):
    assert digits.inputs == [{"name": "input", "shape": [1, 64], "scale": 13, "bits": 16}]
    assert [o["shape"] for o in digits.outputs] == [[1, 10]]
    assert digits.node_count > 0 and digits.param_count > 0
    assert not digits.is_language_model
    report = digits.report
    assert report["reference"].startswith("tract")
    out = report["outputs"][0]
    assert out["argmax_agree"] == out["argmax_total"] == report["samples"] > 0
    info = digits.inspect()
    assert info["nodes"] == digits.node_count
    assert sum(info["ops"].values()) == digits.node_count
    assert info["model_id"] == digits.model_id


def test_compile_matches_the_cli(digits, tmp_path, cli):
    out = tmp_path / "cli.vmodel"
    cli("compile", DIGITS / "network.onnx", "--calibration", DIGITS / "calibration.json", "-o", out)
    assert cli("commit", out).stdout.strip() == digits.model_id


def test_run_matches_the_cli(digits, tmp_path, cli):
    path = tmp_path / "digits.vmodel"
    digits.save(path)
    cli_out = json.loads(cli("run", path, "--input", DIGITS / "input.json").stdout)["outputs"]
    for inputs in [DIGITS / "input.json", str(DIGITS / "input.json"), [digits_input()],
                   digits_input().reshape(1, 64), [digits_input().tolist()],
                   digits_input().tolist()]:
        outs = digits.run(inputs)
        assert len(outs) == len(cli_out) == 1
        assert isinstance(outs[0], np.ndarray)
        assert list(outs[0].shape) == cli_out[0]["shape"]
        assert outs[0].ravel().tolist() == cli_out[0]["data"]
    q = digits.run([digits_input()], quantized=True)[0]
    assert q.dtype == np.int32
    assert q.ravel().tolist() == cli_out[0]["quantized"]


def test_run_takes_integers_and_booleans(digits):
    zeros = digits.run([np.zeros(64)])[0]
    assert np.array_equal(digits.run([np.zeros(64, dtype=np.int64)])[0], zeros)
    assert np.array_equal(digits.run([np.zeros(64, dtype=bool)])[0], zeros)
    ones = digits.run([np.ones(64)])[0]
    assert np.array_equal(digits.run([np.ones(64, dtype=bool)])[0], ones)
    as_dict = {"input_data": [[True] * 64]}
    assert np.array_equal(digits.run(as_dict)[0], ones)


def test_save_and_load(digits, tmp_path):
    path = tmp_path / "m.vmodel"
    digits.save(path)
    m = verinfer.load(path)
    assert m.model_id == digits.model_id
    assert np.array_equal(m.run([digits_input()])[0], digits.run([digits_input()])[0])
    assert m.report is None


def test_bad_inputs_raise(digits):
    with pytest.raises(verinfer.VerinferError, match="needs a multiple of 64 values"):
        digits.run([np.zeros(63)])
    with pytest.raises(verinfer.VerinferError, match="not finite"):
        digits.run([np.full(64, np.nan)])
    with pytest.raises(verinfer.VerinferError, match="holds 2 samples"):
        digits.run([np.zeros(128)])


def test_a_bad_model_path_raises_the_cli_message(tmp_path, cli):
    missing = tmp_path / "missing.onnx"
    with pytest.raises(verinfer.VerinferError) as e:
        verinfer.compile(missing)
    assert str(missing) in str(e.value)
    r = cli("compile", missing, check=False)
    assert r.returncode != 0
    assert r.stderr.strip() == f"error: {e.value}"
    with pytest.raises(verinfer.VerinferError):
        verinfer.load(tmp_path / "missing.vmodel")


def test_setup_prove_verify(digits, digits_keys, digits_proof):
    assert digits_keys.backend == "groth16"
    assert digits_keys.model_id == digits.model_id
    assert digits_keys.visibility == "input=public,params=public,output=public"
    assert digits_keys.constraints > 0
    assert verinfer.verify(digits_proof, digits_keys) is True
    assert digits_proof.outputs == [digits.run([digits_input()], quantized=True)[0].ravel().tolist()]


def test_files_interoperate_with_the_cli(digits, digits_keys, digits_proof, tmp_path, cli):
    keys, proof = tmp_path / "keys", tmp_path / "proof.json"
    digits_keys.save(keys)
    digits_proof.save(proof)
    assert "native: proof valid" in cli("verify", proof, "--keys", keys).stdout
    assert verinfer.verify(verinfer.load_proof(proof), verinfer.load_keys(keys))
    # and a CLI proof verifies in Python
    model, cli_proof = tmp_path / "digits.vmodel", tmp_path / "cli_proof.json"
    digits.save(model)
    cli("prove", model, "--input", DIGITS / "input.json", "--keys", keys, "-o", cli_proof)
    assert verinfer.verify(verinfer.load_proof(cli_proof), digits_keys)
    sol = tmp_path / "Verifier.sol"
    verinfer.export_verifier(digits_keys, sol)
    assert "contract Verifier" in sol.read_text()


def test_a_tampered_proof_does_not_verify(digits_keys, digits_proof):
    d = digits_proof.to_dict()
    # another valid-looking proof: flip one hex digit of the proof points
    hexes = d["proof"]
    i = len(hexes) // 2
    d["proof"] = hexes[:i] + ("1" if hexes[i] != "1" else "2") + hexes[i + 1:]
    bad = verinfer.Proof.from_dict(d)
    assert verinfer.verify(bad, digits_keys) is False
    with pytest.raises(verinfer.VerinferError):
        verinfer.verify(bad, digits_keys, raise_on_invalid=True)
    # the right proof, a wrong output claimed
    d = digits_proof.to_dict()
    d["public"]["outputs"][0][0] += 1
    assert verinfer.verify(verinfer.Proof.from_dict(d), digits_keys) is False


def test_ezkl_visibility_words(digits):
    keys = verinfer.setup(digits, input_visibility="private", param_visibility="fixed",
                          output_visibility="public")
    assert keys.visibility == "input=private,params=public,output=public"
    proof = verinfer.prove(digits, keys, [digits_input()])
    assert verinfer.verify(proof, keys)
    same = verinfer.setup(digits, visibility={"input": "private", "params": "fixed"})
    assert same.visibility == keys.visibility
    assert verinfer.setup(digits, visibility="input=private").visibility == keys.visibility
    with pytest.raises(verinfer.VerinferError, match="params only"):
        verinfer.setup(digits, input_visibility="fixed")
    with pytest.raises(verinfer.VerinferError, match="not supported"):
        verinfer.setup(digits, param_visibility="polycommit")
    with pytest.raises(verinfer.VerinferError, match="unknown"):
        verinfer.setup(digits, backend="plonk")


def test_keys_of_another_model_are_refused(digits_keys):
    other = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json",
                             bits=14)
    with pytest.raises(verinfer.VerinferError, match="the keys are for model"):
        verinfer.prove(other, digits_keys, [digits_input()])


def test_generate_is_deterministic_and_matches_the_cli(llama, tmp_path, cli):
    assert llama.is_language_model
    a = llama.generate("Be not afeard", 8, ignore_eos=True)
    b = llama.generate("Be not afeard", max_new_tokens=8, ignore_eos=True)
    assert a == b
    assert len(a["tokens"]) == 8
    assert isinstance(a["text"], str)
    assert llama.generate(a["prompt_ids"], 8, ignore_eos=True) == a
    path = tmp_path / "llama.vmodel"
    llama.save(path)
    assert (tmp_path / "llama.tokenizer.json").is_file()
    r = cli("generate", path, "--prompt", "Be not afeard", "--max-new-tokens", 8,
            "--ignore-eos", "--json")
    assert json.loads(r.stdout) == a
    loaded = verinfer.load(path)
    assert loaded.is_language_model and loaded.model_id == llama.model_id
    assert loaded.generate("Be not afeard", 8, ignore_eos=True) == a


def test_llm_compile_matches_the_cli(llama, tmp_path, cli):
    out = tmp_path / "cli.vmodel"
    cli("compile", LLAMA, "--ctx", 32, "-o", out)
    assert cli("commit", out).stdout.strip() == llama.model_id


def test_generation_past_the_context_raises(llama):
    with pytest.raises(verinfer.VerinferError, match="context of 32"):
        llama.generate([1] * 30, 8)


def test_long_work_releases_the_gil(digits):
    import threading
    import time

    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t0 = time.perf_counter()
    t.start()
    verinfer.setup(digits)
    t1 = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if t0 < x < t1]
    # Holding the GIL, the ticker would not run until setup returned.
    assert len(during) >= min(20, (t1 - t0) / 0.01), (len(during), t1 - t0)


def test_verify_on_the_in_process_evm(digits_keys, digits_proof):
    chain = verinfer.Chain()
    assert chain.chain_id > 0 and len(chain.accounts) >= 2
    v = verinfer.verify_evm(digits_proof, digits_keys, chain)
    assert v["valid"] is True and v["gas_used"] > 21_000 and v["deploy_gas"] > 0
    # the verifier deployed for these keys is reused, and deploy_verifier finds it
    again = verinfer.verify_evm(digits_proof, digits_keys, chain)
    assert again["verifier"] == v["verifier"] and again["deploy_gas"] == 0
    assert verinfer.deploy_verifier(digits_keys, chain) == v["verifier"]
    # a wrong output claimed: the EVM verifier rejects it
    d = digits_proof.to_dict()
    d["public"]["outputs"][0][0] += 1
    bad = verinfer.verify_evm(verinfer.Proof.from_dict(d), digits_keys, chain)
    assert bad["valid"] is False
    # another account may send, and a bad verifier address is refused
    assert verinfer.verify_evm(digits_proof, digits_keys, chain, sender=1)["valid"]
    with pytest.raises(verinfer.VerinferError, match="not a Groth16Verifier"):
        verinfer.verify_evm(digits_proof, digits_keys, chain, verifier=chain.accounts[0])
    with pytest.raises(verinfer.VerinferError, match="10 accounts|accounts to send from"):
        verinfer.verify_evm(digits_proof, digits_keys, chain, sender=99)


def test_the_cli_agrees_on_the_evm_verdict(digits_keys, digits_proof, tmp_path, cli):
    keys, proof = tmp_path / "keys", tmp_path / "proof.json"
    digits_keys.save(keys)
    digits_proof.save(proof)
    assert "evm: proof valid" in cli("verify", proof, "--keys", keys, "--evm").stdout


def test_encode_calldata(digits_keys, digits_proof):
    n = digits_keys.public_inputs
    data = verinfer.encode_calldata(digits_proof, digits_keys)
    assert isinstance(data, bytes) and len(data) == 4 + 32 * (8 + n)
    small = verinfer.encode_calldata(digits_proof, digits_keys, compressed=True)
    assert len(small) == 4 + 32 * (4 + n)
    assert data[:4] != small[:4]
    # the public inputs are the same words in both
    assert data[4 + 32 * 8:] == small[4 + 32 * 4:]
    other = verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json",
                             bits=14)
    other_keys = verinfer.setup(other)
    with pytest.raises(verinfer.VerinferError, match="the proof is about model"):
        verinfer.encode_calldata(digits_proof, other_keys)


def compile_exported_verifier(sol):
    """The exported verifier compiled by the pinned solc-js (contracts/node_modules)."""
    script = REPO / "contracts" / "scripts" / "compile-one.js"
    if not (REPO / "contracts" / "node_modules" / "solc").is_dir():
        if os.environ.get("CI"):
            pytest.fail("contracts/node_modules/solc is missing (npm ci --prefix contracts)")
        pytest.skip("contracts/node_modules/solc is missing (npm ci --prefix contracts)")
    r = subprocess.run(["node", str(script), str(sol)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return bytes.fromhex(json.loads(r.stdout)["bytecode"].removeprefix("0x"))


def test_the_exported_verifier_accepts_the_encoded_calldata(digits_keys, digits_proof,
                                                            tmp_path):
    sol = tmp_path / "Verifier.sol"
    verinfer.export_verifier(digits_keys, sol)
    chain = verinfer.Chain()
    verifier = chain.deploy(compile_exported_verifier(sol))
    for compressed in (False, True):
        data = verinfer.encode_calldata(digits_proof, digits_keys, compressed=compressed)
        assert chain.call(verifier, data) == b""
        assert chain.send(verifier, data)["gas_used"] > 21_000
    d = digits_proof.to_dict()
    d["public"]["outputs"][0][0] += 1
    wrong = verinfer.encode_calldata(verinfer.Proof.from_dict(d), digits_keys)
    with pytest.raises(verinfer.VerinferError):
        chain.send(verifier, wrong)
    with pytest.raises(verinfer.VerinferError, match="not an address"):
        chain.call("0x12", data)


def test_optimistic_claims(digits):
    chain = verinfer.Chain()
    stages = []
    honest = verinfer.optimistic_claim(digits, DIGITS / "input.json", chain,
                                       progress=stages.append)
    assert honest["winner"] == "none" and honest["claim_status"] == "finalized"
    assert honest["model_id"] == digits.model_id
    assert honest["claimed_outputs"] == [
        digits.run(DIGITS / "input.json", quantized=True)[0].ravel().tolist()]
    assert len(stages) == 4 and "finalized" in stages[-1]
    liar = verinfer.optimistic_claim(digits, DIGITS / "input.json", chain, lie="wrong-output")
    assert liar["winner"] == "challenger" and liar["claim_status"] == "rejected"
    assert liar["claim_id"] != honest["claim_id"]
    assert liar["claimed_outputs"] != honest["claimed_outputs"]
    with pytest.raises(verinfer.VerinferError, match="lie"):
        verinfer.optimistic_claim(digits, DIGITS / "input.json", chain, lie="sometimes")
    with pytest.raises(verinfer.VerinferError, match="same account"):
        verinfer.optimistic_claim(digits, DIGITS / "input.json", chain, challenger=0)

    def boom(line):
        raise RuntimeError("stop here")

    with pytest.raises(verinfer.VerinferError, match="stop here"):
        verinfer.optimistic_claim(digits, DIGITS / "input.json", chain, progress=boom)
