"""`watch` on a real chain URL: a lying claim posted from one account through one connection
to an anvil node, challenged by `watch` from another account through another connection,
and rejected on that chain (the npm toolchain's anvil: `npm ci --prefix contracts`)."""

import os
import pathlib
import shutil
import subprocess
import threading

import pytest

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"


def _unavailable(why):
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def anvil_url():
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (anvil comes from contracts/'s npm toolchain)")
    found = subprocess.run([node, str(REPO / "contracts" / "scripts" / "anvil-path.js")],
                           capture_output=True, text=True)
    if found.returncode != 0:
        _unavailable(f"no anvil: {found.stderr.strip()}")
    p = subprocess.Popen([found.stdout.strip(), "--host", "127.0.0.1", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, text=True)
    try:
        url = None
        for line in p.stdout:
            if line.strip().startswith("Listening on "):
                port = line.strip().rsplit(":", 1)[1]
                url = f"http://127.0.0.1:{port}"
                break
        assert url, "anvil printed no listening address"
        # Keep draining anvil's stdout so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
        yield url
    finally:
        p.kill()
        p.wait(timeout=10)


def test_watch_on_a_chain_url_challenges_a_lying_claim(digits, anvil_url, tmp_path):
    submitter_chain = verinfer.Chain.connect(anvil_url)
    assert submitter_chain.chain_id == 31337
    liar = verinfer.claim(digits, DIGITS / "input.json", submitter_chain, sender=0,
                          lie="wrong-output", publish_input=True, window=600, clock=300)
    assert liar.status() == "pending"
    assert liar.submitter == submitter_chain.accounts[0]
    deployments = tmp_path / "deployments.json"
    submitter_chain.save_deployments(deployments)

    # The watcher: another connection, another account, the contracts found through the
    # deployments file as the CLI would find them.
    watcher_chain = verinfer.Chain.connect(anvil_url)
    watcher_chain.use_deployments(deployments)
    box = {}

    def defend():
        try:
            box["status"] = liar.defend(timeout=240, poll=0.1)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            box["error"] = e

    t = threading.Thread(target=defend)
    t.start()
    lines = []
    seen = verinfer.watch(digits, watcher_chain, sender=1, max_claims=1, timeout=240,
                          poll=0.1, progress=lines.append)
    t.join(timeout=300)
    assert not t.is_alive(), "the submitter's defence did not finish"
    if "error" in box:
        raise box["error"]
    assert len(seen) == 1, seen
    w = seen[0]
    assert w["claim_id"] == liar.id
    assert w["verdict"] == "challenged", w
    assert w["phase"] == "challenger_won", w
    assert w["claim_status"] == "rejected", w
    assert box["status"] == "rejected"
    # The chain itself says so, read through a third connection.
    assert liar.status() == "rejected"
    assert any("opened" in line for line in lines), lines
