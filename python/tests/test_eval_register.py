"""`Model.evaluate` (the CLI's `eval`) and `register` (the CLI's `register`): the same figures
and messages as the CLI."""

import json
import pathlib

import pytest

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"


def test_evaluate_gives_the_cli_eval_figures(digits, tmp_path, cli):
    data = DIGITS / "calibration.json"
    r = digits.evaluate(data)
    assert r["samples"] > 1
    [out] = r["outputs"]
    assert out["argmax_total"] == r["samples"]
    assert 0 <= out["argmax_agree"] <= out["argmax_total"]
    assert 0 < out["max_abs_err"] < out["float_max_abs"]
    path = tmp_path / "digits.vmodel"
    digits.save(path)
    o = cli("eval", path, "--onnx", DIGITS / "network.onnx", "--data", data, "--json")
    assert o.returncode == 0, o.stderr
    assert json.loads(o.stdout) == r
    # A loaded model does not know its ONNX file: it is asked for.
    loaded = verinfer.load(path)
    with pytest.raises(verinfer.VerinferError, match="pass onnx=PATH"):
        loaded.evaluate(data)
    assert loaded.evaluate(data, onnx=DIGITS / "network.onnx") == r


def test_evaluate_counts_labels(digits, tmp_path):
    d = json.loads((DIGITS / "calibration.json").read_text())
    flat = d["input_data"][0]
    n = len(flat) // 64
    # Labels: what the integer model predicts, so its accuracy is n of n and the float
    # model's is the argmax agreement.
    d["labels"] = [int(digits.run([flat[64 * i:64 * (i + 1)]])[0].argmax()) for i in range(n)]
    p = tmp_path / "labelled.json"
    p.write_text(json.dumps(d))
    r = digits.evaluate(p)
    assert r["accuracy"] == {"quantized": n, "float": r["outputs"][0]["argmax_agree"],
                             "total": n}
    # Labels of another length are ignored, as the CLI ignores them.
    d["labels"] = d["labels"][:-1]
    p.write_text(json.dumps(d))
    assert "accuracy" not in digits.evaluate(p)


def test_evaluate_raises_the_cli_message(digits, tmp_path, cli):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input_data": [[0.5] * 63]}))
    with pytest.raises(verinfer.VerinferError) as e:
        digits.evaluate(bad)
    path = tmp_path / "digits.vmodel"
    digits.save(path)
    o = cli("eval", path, "--onnx", DIGITS / "network.onnx", "--data", bad, "--json", check=False)
    assert o.returncode != 0 and o.stdout == ""
    assert o.stderr.strip() == f"error: {e.value}"


def test_register_puts_the_model_id_in_the_registry_once(digits):
    chain = verinfer.Chain()
    r = verinfer.register(digits, chain, uri="ipfs://digits")
    assert r["model_id"] == digits.model_id
    assert r["already_registered"] is False
    assert [t["label"] for t in r["transactions"]] and len(r["transactions"]) == 2
    assert all(t["gas_used"] > 0 for t in r["transactions"])
    assert r["owner"] == chain.accounts[0] and r["uri"] == "ipfs://digits"
    again = verinfer.register(digits, chain, sender=1)
    assert again["already_registered"] is True and again["transactions"] == []
    assert again["registry"] == r["registry"] and again["owner"] == chain.accounts[0]
    # The opML contracts use that registry: a claim of the registered model goes through.
    c = verinfer.claim(digits, DIGITS / "input.json", chain)
    assert c.status() == "pending"


def test_register_refuses_an_address_without_a_registry(digits):
    chain = verinfer.Chain()
    with pytest.raises(verinfer.VerinferError):
        verinfer.register(digits, chain, registry="0x" + "11" * 20)
