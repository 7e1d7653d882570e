#!/usr/bin/env python3
"""Side-by-side zkML benchmark: verinfer (Groth16/BN254) vs EZKL (halo2/KZG, BN254).

Same ONNX models, same inputs: testdata/models/{digits_mlp,mnist_cnn,transformer_block}.

Install (once; EZKL lives in its own venv so that scripts/requirements.txt, which CI installs,
stays small):

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -r scripts/requirements-bench.txt
    npm ci --prefix contracts        # pinned solc-js + anvil, for the EVM gas column
    cargo build --release -p verinfer-cli

Run (the script re-executes itself inside .venv-bench, creating it if missing):

    python3 scripts/bench_zk.py                                   # everything
    python3 scripts/bench_zk.py --models digits_mlp --scenario public --skip-verinfer

Every measured step runs in a fresh subprocess under `nice -n 10`; its wall time and peak RSS
(ru_maxrss of that child, from wait4) are recorded. EZKL steps run through the Python API in a
worker subprocess (this same file, `--_worker STEP`); verinfer steps run its CLI.

Scenarios (input and output are public in both):
    public   EZKL param_visibility="fixed" (weights baked into the circuit),
             verinfer --visibility params=public
    private  EZKL param_visibility="private" (or "hashed" with --ezkl-private-visibility hashed),
             verinfer --visibility params=hashed (weights private, Poseidon hash public)

EZKL pipeline per model and scenario: gen_settings, calibrate_settings (target "resources",
calibration.json), compile_circuit, gen_srs (local, UNSAFE test SRS for the settings' logrows;
cached per logrows under the work dir), gen_witness, setup, prove, verify, then
create_evm_verifier + encode_evm_calldata; the Solidity verifier is compiled with the pinned
solc-js (contracts/scripts/compile-one.js, or scripts/bench_solc_one.js if that is absent),
deployed on a local anvil and called with the proof's calldata; gasUsed comes from that
transaction's receipt (whole transaction: includes the 21000 base cost and calldata).

Outputs: docs/bench/zk_vs_ezkl.json (merged with earlier results unless --fresh: entries are
keyed by model, scenario and system) and docs/bench/zk_vs_ezkl.md (rendered from the JSON).
Work files go to target/bench_zk/ (proving keys are deleted after each run unless
--keep-artifacts).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"
VENV_PY = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "scripts" / "requirements-bench.txt"
MODELS_DIR = ROOT / "testdata" / "models"
DEFAULT_MODELS = ["digits_mlp", "mnist_cnn", "transformer_block"]
WORK = ROOT / "target" / "bench_zk"
OUT_JSON = ROOT / "docs" / "bench" / "zk_vs_ezkl.json"
OUT_MD = ROOT / "docs" / "bench" / "zk_vs_ezkl.md"
VERINFER = ROOT / "target" / "release" / "verinfer"
SOLC_ONE = ROOT / "scripts" / "bench_solc_one.js"
CONTRACTS = ROOT / "contracts"
COMPILE_ONE = CONTRACTS / "scripts" / "compile-one.js"
EIP170_LIMIT = 24576  # bytes of deployed code

EZKL_STEPS = ["gen_settings", "calibrate", "compile", "gen_srs", "gen_witness", "setup", "prove", "verify"]
EZKL_EVM_STEPS = ["create_evm_verifier", "encode_calldata"]
VERINFER_STEPS = ["compile", "setup", "prove", "verify", "verify_evm"]


# --------------------------------------------------------------------------------------------
# venv
# --------------------------------------------------------------------------------------------

def ensure_venv() -> None:
    """Re-exec inside .venv-bench (creating it and installing requirements-bench.txt if needed)."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    stamp = VENV / ".requirements.stamp"
    if not VENV_PY.exists():
        print(f"creating {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_bytes() != REQUIREMENTS.read_bytes():
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} into {VENV.name} ...", flush=True)
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(REQUIREMENTS)], check=True)
        shutil.copyfile(REQUIREMENTS, stamp)
    os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve())] + sys.argv[1:])


# --------------------------------------------------------------------------------------------
# measured subprocess
# --------------------------------------------------------------------------------------------

def _tree_rss_kib(pid: int) -> int:
    """Current RSS (KiB) of pid and all its descendants, from /proc."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return total


def run_measured(cmd: list[str], log: Path, timeout: float, mem_cap_gib: float, cwd: Path = ROOT) -> dict:
    """Run cmd under `nice -n 10` in a new session; return status, wall seconds and peak RSS.

    Peak RSS is ru_maxrss of the child from wait4 (Linux: max over the child and the descendants
    it waited for). A watchdog kills the process group on timeout or when the tree's RSS exceeds
    mem_cap_gib (so that a runaway prover does not take the shared machine down with it).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    full = ["nice", "-n", "10"] + [str(c) for c in cmd]
    with open(log, "w") as logf:
        logf.write("$ " + " ".join(full) + "\n")
        logf.flush()
        start = time.monotonic()
        proc = subprocess.Popen(full, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, start_new_session=True)
        done: dict = {}

        def reap() -> None:
            _, status, ru = os.wait4(proc.pid, 0)
            done.update(end=time.monotonic(), status=status, ru=ru)

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        killed_for = None
        watch_peak = 0
        while waiter.is_alive():
            waiter.join(0.25)
            if not waiter.is_alive():
                break
            rss = _tree_rss_kib(proc.pid)
            watch_peak = max(watch_peak, rss)
            if time.monotonic() - start > timeout:
                killed_for = "timeout"
            elif rss > mem_cap_gib * 1024 * 1024:
                killed_for = "oom"
            if killed_for:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                waiter.join()
                break
        proc.returncode = 0  # reaped by wait4 above; keep Popen from trying again
    status = done["status"]
    wall = done["end"] - start
    peak_mib = max(done["ru"].ru_maxrss, watch_peak) / 1024.0
    res = {"seconds": round(wall, 3), "peak_rss_mib": round(peak_mib, 1), "log": str(log.relative_to(ROOT))}
    if killed_for == "timeout":
        res.update(status="timeout", error=f"killed after {timeout:.0f} s (--timeout/--budget)")
    elif killed_for == "oom":
        res.update(status="oom", error=f"killed: RSS exceeded the {mem_cap_gib:g} GiB cap (--mem-cap-gib)")
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        why = " (likely the kernel OOM killer)" if sig == signal.SIGKILL else ""
        res.update(status="failed", error=f"killed by signal {sig}{why}")
    else:
        rc = os.WEXITSTATUS(status)
        res["status"] = "ok" if rc == 0 else "failed"
        if rc != 0:
            res["error"] = f"exit code {rc}: {last_error_line(log)}"
    return res


def last_error_line(log: Path) -> str:
    try:
        lines = [l.strip() for l in log.read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return "?"
    for l in reversed(lines):
        if re.search(r"error|Error|panick|Exception", l):
            return l[:300]
    return lines[-1][:300] if lines else "?"


# --------------------------------------------------------------------------------------------
# EZKL worker side (runs inside a fresh subprocess; one function per step)
# --------------------------------------------------------------------------------------------

def _in_event_loop(fn, *args):
    """Call fn inside a running asyncio loop (some ezkl functions need one), awaiting its result
    if it returns an awaitable."""
    import asyncio

    async def run():
        r = fn(*args)
        return (await r) if hasattr(r, "__await__") else r

    return asyncio.run(run())


def ezkl_step(step: str, a: dict) -> dict:
    """Run one EZKL step; a holds the paths. Returns extra facts to record."""
    import ezkl

    w = Path(a["work"])
    onnx, settings, compiled = a["onnx"], str(w / "settings.json"), str(w / "model.compiled")
    witness, vk, pk, proof, srs = (str(w / n) for n in ("witness.json", "vk.key", "pk.key", "proof.json", "kzg.srs"))
    out: dict = {}
    t0 = time.perf_counter()
    if step == "gen_settings":
        ra = ezkl.PyRunArgs()
        ra.input_visibility = "public"
        ra.output_visibility = "public"
        ra.param_visibility = a["param_visibility"]
        ok = ezkl.gen_settings(onnx, settings, py_run_args=ra)
        assert ok, "gen_settings returned False"
    elif step == "calibrate":
        ok = ezkl.calibrate_settings(a["calibration"], onnx, settings, "resources")
        assert ok, "calibrate_settings returned False"
    elif step == "compile":
        assert ezkl.compile_circuit(onnx, compiled, settings), "compile_circuit returned False"
    elif step == "gen_srs":
        ezkl.gen_srs(a["srs"], int(a["logrows"]))
    elif step == "gen_witness":
        ezkl.gen_witness(a["input"], compiled, witness)
    elif step == "setup":
        assert ezkl.setup(compiled, vk, pk, srs), "setup returned False"
    elif step == "prove":
        p = ezkl.prove(witness, compiled, pk, proof, srs)
        assert p, "prove returned nothing"
    elif step == "verify":
        out["verified"] = bool(ezkl.verify(proof, settings, vk, srs))
        assert out["verified"], "verify returned False"
    elif step == "create_evm_verifier":
        sol = w / "Verifier.sol"
        try:
            _in_event_loop(ezkl.create_evm_verifier, vk, settings, str(sol), str(w / "abi.json"), srs)
        except Exception as e:  # noqa: BLE001
            # ezkl writes the .sol first, then compiles it with an svm-downloaded solc to emit the
            # ABI; without network access only that second part fails. We compile it ourselves.
            if not sol.exists():
                raise
            out["note"] = f"ezkl wrote Verifier.sol, then failed on its own ABI compile: {str(e)[:200]}"
    elif step == "encode_calldata":
        cd = ezkl.encode_evm_calldata(proof, str(w / "calldata.bin"))
        out["calldata_bytes"] = len(cd)
    else:
        raise SystemExit(f"unknown ezkl step {step}")
    out["call_seconds"] = round(time.perf_counter() - t0, 3)
    return out


def worker_main(step: str, args_json: str) -> None:
    a = json.loads(args_json)
    result_path = Path(a["result"])
    try:
        out = ezkl_step(step, a)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        sys.stdout.flush()
        sys.exit(1)
    result_path.write_text(json.dumps(out))


# --------------------------------------------------------------------------------------------
# EZKL driver side
# --------------------------------------------------------------------------------------------

def make_calibration(model_dir: Path, dest: Path, max_samples: int | None) -> dict:
    """calibration.json -> EZKL calibration data: {"input_data": [flat concatenation of samples]}."""
    inp = json.loads((model_dir / "input.json").read_text())["input_data"][0]
    raw = json.loads((model_dir / "calibration.json").read_text())["input_data"]
    flat = [x for row in raw for x in row] if raw and isinstance(raw[0], list) else list(raw)
    n = available = len(flat) // len(inp)
    if max_samples is not None and n > max_samples:
        n = max_samples
        flat = flat[: n * len(inp)]
    dest.write_text(json.dumps({"input_data": [flat]}))
    return {"samples": n, "available": available, "input_len": len(inp)}


def limits(opts) -> dict:
    return {"timeout_s": opts.timeout, "budget_s": opts.budget, "mem_cap_gib": opts.mem_cap_gib}


def step_timeout(opts, started: float) -> float:
    """--timeout per step, capped by what is left of --budget for this model and scenario."""
    if opts.budget is None:
        return opts.timeout
    return max(1.0, min(opts.timeout, opts.budget - (time.monotonic() - started)))


def run_ezkl_step(step: str, a: dict, opts, logs: Path) -> dict:
    a = dict(a, result=str(Path(a["work"]) / f".{step}.result.json"))
    Path(a["result"]).unlink(missing_ok=True)
    cmd = [str(VENV_PY), str(Path(__file__).resolve()), "--_worker", step, json.dumps(a)]
    res = run_measured(cmd, logs / f"ezkl_{step}.log", step_timeout(opts, a["started"]), opts.mem_cap_gib)
    if res["status"] == "ok" and Path(a["result"]).exists():
        res.update(json.loads(Path(a["result"]).read_text()))
    return res


def bench_ezkl(model: str, scenario: str, opts, anvil) -> dict:
    model_dir = MODELS_DIR / model
    work = WORK / model / scenario / "ezkl"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    vis = "fixed" if scenario == "public" else opts.ezkl_private_visibility
    entry: dict = {"system": "ezkl", "model": model, "scenario": scenario, "param_visibility": vis,
                   "input_visibility": "public", "output_visibility": "public",
                   "run_at": now(), "command": opts.command, "limits": limits(opts), "steps": {}, "failures": []}
    cal = make_calibration(model_dir, work / "calibration_data.json", opts.calib_samples)
    entry["calibration_samples"] = cal["samples"]
    if cal["samples"] < cal["available"]:
        entry.setdefault("notes", []).append(
            f"EZKL calibrated on the first {cal['samples']} of the {cal['available']} samples of calibration.json "
            f"(--calib-samples {opts.calib_samples})")
    a = {"work": str(work), "onnx": str(model_dir / "network.onnx"), "input": str(model_dir / "input.json"),
         "calibration": str(work / "calibration_data.json"), "param_visibility": vis, "started": time.monotonic()}
    print(f"[ezkl] {model}/{scenario} (param_visibility={vis}, {cal['samples']} calibration samples)", flush=True)

    def step(name: str) -> bool:
        if name == "gen_srs":
            res = gen_srs_cached(a, opts, work)
        else:
            res = run_ezkl_step(name, a, opts, work)
        entry["steps"][name] = res
        extra = f" (in-call {res['call_seconds']} s)" if "call_seconds" in res else ""
        extra += " (reused SRS)" if res.get("reused") else ""
        print(f"  {name:20s} {res['status']:8s} {res['seconds']:9.2f} s{extra}  peak {res['peak_rss_mib']:.0f} MiB"
              + (f"  {res.get('error', '')}" if res["status"] != "ok" else ""), flush=True)
        if res["status"] != "ok":
            entry["failures"].append(f"{name}: {res['status']}: {res.get('error', '')}")
            return False
        if name == "calibrate":
            s = json.loads((work / "settings.json").read_text())
            a["logrows"] = s["run_args"]["logrows"]
        return True

    ok = True
    for name in EZKL_STEPS:
        if not step(name):
            ok = False
            break
    entry["status"] = "ok" if ok else "failed"
    collect_ezkl_facts(entry, work)
    if ok and not opts.skip_evm:
        for name in EZKL_EVM_STEPS:
            if not step(name):
                break
        else:
            entry["evm"] = evm_gas_ezkl(work, anvil)
            if entry["evm"].get("error"):
                entry["failures"].append(f"evm: {entry['evm']['error']}")
    if not opts.keep_artifacts:
        for f in ("pk.key", "kzg.srs"):
            p = work / f
            if p.is_symlink() or p.exists():
                p.unlink()
    return entry


def gen_srs_cached(a: dict, opts, work: Path) -> dict:
    """Local (unsafe) SRS per logrows; generated once per logrows and reused (symlinked)."""
    k = int(a["logrows"])
    srs_dir = WORK / "srs"
    srs_dir.mkdir(parents=True, exist_ok=True)
    srs, meta = srs_dir / f"kzg{k}.srs", srs_dir / f"kzg{k}.json"
    if srs.exists() and meta.exists():
        res = dict(json.loads(meta.read_text()), reused=True)
    else:
        res = run_ezkl_step("gen_srs", dict(a, srs=str(srs)), opts, work)
        if res["status"] == "ok":
            meta.write_text(json.dumps(res))
    if res["status"] == "ok":
        link = work / "kzg.srs"
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(srs)
        res["srs_bytes"] = srs.stat().st_size
    res["logrows"] = k
    return res


def collect_ezkl_facts(entry: dict, work: Path) -> None:
    sp = work / "settings.json"
    if sp.exists():
        s = json.loads(sp.read_text())
        ra = s.get("run_args", {})
        entry["settings"] = {
            "logrows": ra.get("logrows"), "input_scale": ra.get("input_scale"), "param_scale": ra.get("param_scale"),
            "num_inner_cols": ra.get("num_inner_cols"), "lookup_range": ra.get("lookup_range"),
            "num_rows": s.get("num_rows"), "total_assignments": s.get("total_assignments"),
            "total_const_size": s.get("total_const_size"), "required_lookups": s.get("required_lookups"),
            "required_range_checks": s.get("required_range_checks"), "num_dynamic_lookups": s.get("num_dynamic_lookups"),
            "num_shuffles": s.get("num_shuffles"), "module_sizes": s.get("module_sizes"),
            "model_instance_shapes": s.get("model_instance_shapes"),
        }
    pp = work / "proof.json"
    if pp.exists():
        p = json.loads(pp.read_text())
        if isinstance(p.get("proof"), list):
            entry["proof_bytes"] = len(p["proof"])
        elif p.get("hex_proof"):
            entry["proof_bytes"] = len(bytes.fromhex(p["hex_proof"].removeprefix("0x")))
        entry["num_instances"] = sum(len(i) for i in p.get("instances") or [])
        entry["proof_json_bytes"] = pp.stat().st_size
    for name, f in (("pk_bytes", "pk.key"), ("vk_bytes", "vk.key"), ("compiled_bytes", "model.compiled")):
        if (work / f).exists():
            entry[name] = (work / f).stat().st_size
    v = entry["steps"].get("verify", {})
    entry["verified"] = bool(v.get("status") == "ok" and v.get("verified"))


# --------------------------------------------------------------------------------------------
# EVM gas (solc-js + anvil, raw JSON-RPC)
# --------------------------------------------------------------------------------------------

class Anvil:
    """A local anvil with a large code-size limit, started lazily."""

    def __init__(self, log: Path):
        self.log, self.proc, self.url, self.error, self.info = log, None, None, None, {}

    def start(self) -> bool:
        if self.proc or self.error:
            return self.proc is not None
        try:
            binary = subprocess.run(["node", str(CONTRACTS / "scripts" / "anvil-path.js")], capture_output=True,
                                    text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as e:
            self.error = f"no anvil ({getattr(e, 'stderr', e)}); run `npm ci --prefix contracts`"
            return False
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(["nice", "-n", "10", binary, "--port", str(port), "--code-size-limit", "10000000",
                                      "--gas-limit", "1000000000", "--silent"],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                self.info["version"] = self.rpc("web3_clientVersion")
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.error = "anvil did not start"
            self.stop()
            return False
        try:
            ni = self.rpc("anvil_nodeInfo")
            self.info["hardfork"] = ni.get("hardFork") or ni.get("hard_fork")
        except Exception:  # noqa: BLE001
            pass
        self.account = self.rpc("eth_accounts")[0]
        return True

    def rpc(self, method: str, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            resp = json.loads(r.read())
        if "error" in resp:
            raise RuntimeError(f"{method}: {resp['error']}")
        return resp["result"]

    def send(self, tx: dict) -> dict:
        h = self.rpc("eth_sendTransaction", dict({"from": self.account, "gas": hex(900_000_000)}, **tx))
        for _ in range(600):
            rec = self.rpc("eth_getTransactionReceipt", h)
            if rec:
                return rec
            time.sleep(0.1)
        raise RuntimeError("no receipt")

    def stop(self) -> None:
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None


def evm_gas_ezkl(work: Path, anvil: Anvil) -> dict:
    out: dict = {}
    try:
        # The repository's own single-file compiler when it exists (same settings as the
        # contracts' build), else ours; both print {"contractName", "abi", "bytecode"}.
        script = COMPILE_ONE if COMPILE_ONE.exists() else SOLC_ONE
        r = subprocess.run(["nice", "-n", "10", "node", str(script), str(work / "Verifier.sol")],
                           capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            return {"error": f"solc-js failed: {r.stderr.strip()[-300:]}"}
        c = json.loads(r.stdout)
        out["solc"] = f"solc-js {solc_version()} via {script.relative_to(ROOT)}"
        out["contract"] = c["contractName"]
        out["initcode_bytes"] = (len(c["bytecode"]) - 2) // 2
        if not anvil.start():
            return dict(out, error=anvil.error)
        out["anvil"] = anvil.info
        rec = anvil.send({"data": c["bytecode"]})
        if int(rec["status"], 16) != 1:
            return dict(out, error="deployment reverted")
        addr = rec["contractAddress"]
        out["deploy_gas"] = int(rec["gasUsed"], 16)
        out["deployed_code_bytes"] = (len(anvil.rpc("eth_getCode", addr, "latest")) - 2) // 2
        out["exceeds_eip170"] = out["deployed_code_bytes"] > EIP170_LIMIT
        calldata = "0x" + (work / "calldata.bin").read_bytes().hex()
        ret = anvil.rpc("eth_call", {"from": anvil.account, "to": addr, "data": calldata, "gas": hex(900_000_000)}, "latest")
        out["eth_call_returned_true"] = ret.endswith("1") and int(ret, 16) == 1
        rec = anvil.send({"to": addr, "data": calldata})
        out["tx_status"] = int(rec["status"], 16)
        out["verify_gas"] = int(rec["gasUsed"], 16)
        out["calldata_bytes"] = len(calldata) // 2 - 1
        if out["tx_status"] != 1 or not out["eth_call_returned_true"]:
            out["error"] = "verifier rejected the proof on chain"
        out["tampered_proof_rejected"] = tampered_rejected(anvil, addr, calldata)
    except Exception as e:  # noqa: BLE001
        out["error"] = f"{type(e).__name__}: {str(e)[:300]}"
    return out


def solc_version() -> str:
    try:
        return json.loads((CONTRACTS / "node_modules" / "solc" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def tampered_rejected(anvil: Anvil, addr: str, calldata: str) -> bool:
    """Sanity check that the deployed verifier really checks: flip one bit in the first proof
    word (ABI layout: selector, 2 offsets, proof length, proof bytes) and expect a revert or false."""
    b = bytearray.fromhex(calldata[2:])
    b[4 + 3 * 32 + 31] ^= 1
    try:
        ret = anvil.rpc("eth_call", {"from": anvil.account, "to": addr, "data": "0x" + b.hex(),
                                     "gas": hex(900_000_000)}, "latest")
    except RuntimeError:
        return True
    return ret in ("0x", "") or int(ret, 16) == 0


# --------------------------------------------------------------------------------------------
# verinfer side (its CLI)
# --------------------------------------------------------------------------------------------

def verinfer_available() -> tuple[bool, str]:
    if not VERINFER.exists():
        return False, f"{VERINFER} not built (cargo build --release -p verinfer-cli)"
    r = subprocess.run([str(VERINFER), "setup", "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"`verinfer setup --help` failed (rc {r.returncode}): the Groth16 CLI is not in this build"
    return True, ""


def proof_size_from_json(p) -> int | None:
    """Proof size in bytes from verinfer's proof.json: a size field, else a hex field."""
    if isinstance(p, dict):
        for k in ("proof_bytes", "proof_size", "size_bytes", "size"):
            if isinstance(p.get(k), int):
                return p[k]
        for k in ("proof", "proof_hex", "hex", "bytes"):
            v = p.get(k)
            if isinstance(v, str) and re.fullmatch(r"(0x)?[0-9a-fA-F]+", v):
                return len(v.removeprefix("0x")) // 2
            if isinstance(v, dict):
                n = proof_size_from_json(v)
                if n:
                    return n
    return None


def bench_verinfer(model: str, scenario: str, opts) -> dict:
    model_dir = MODELS_DIR / model
    work = WORK / model / scenario / "verinfer"
    if work.exists():
        shutil.rmtree(work)
    (work / "keys").mkdir(parents=True)
    params = "public" if scenario == "public" else "hashed"
    entry: dict = {"system": "verinfer", "model": model, "scenario": scenario, "params_visibility": params,
                   "run_at": now(), "command": opts.command, "limits": limits(opts), "steps": {}, "failures": []}
    vm, keys, proof = work / "M.vmodel", work / "keys", work / "proof.json"
    cmds = {
        "compile": [VERINFER, "compile", model_dir / "network.onnx", "--calibration", model_dir / "calibration.json",
                    "-o", vm],
        "setup": [VERINFER, "setup", vm, "--visibility", f"input=public,params={params},output=public", "-o", keys],
        "prove": [VERINFER, "prove", vm, "--input", model_dir / "input.json", "--keys", keys, "-o", proof],
        "verify": [VERINFER, "verify", proof, "--keys", keys],
        "verify_evm": [VERINFER, "verify", proof, "--keys", keys, "--evm"],
    }
    print(f"[verinfer] {model}/{scenario} (params={params})", flush=True)
    started = time.monotonic()
    ok = True
    for name in VERINFER_STEPS:
        if name == "verify_evm" and opts.skip_evm:
            continue
        res = run_measured(cmds[name], work / f"verinfer_{name}.log", step_timeout(opts, started), opts.mem_cap_gib)
        entry["steps"][name] = res
        print(f"  {name:20s} {res['status']:8s} {res['seconds']:9.2f} s  peak {res['peak_rss_mib']:.0f} MiB"
              + (f"  {res.get('error', '')}" if res["status"] != "ok" else ""), flush=True)
        if res["status"] != "ok":
            entry["failures"].append(f"{name}: {res['status']}: {res.get('error', '')}")
            if name != "verify_evm":
                ok = False
            break
        if name == "verify_evm":
            text = (work / f"verinfer_{name}.log").read_text(errors="replace")
            m = None
            for line in text.splitlines()[1:]:
                if "gas" in line.lower():
                    m = re.search(r"gas\D*?(\d[\d,_]*)", line, re.IGNORECASE)
                    if m:
                        break
            if m:
                entry["evm"] = {"verify_gas": int(re.sub(r"[,_]", "", m.group(1))), "line": line.strip()}
            else:
                entry["evm"] = {"error": "no line with `gas` and a number in the output"}
                entry["failures"].append("verify_evm: no gas figure in output")
    entry["status"] = "ok" if ok else "failed"
    entry["verified"] = entry["steps"].get("verify", {}).get("status") == "ok"
    setup_log = work / "verinfer_setup.log"
    if setup_log.exists():  # e.g. "... 123,456 constraints ..." if the CLI prints it
        m = re.search(r"(\d[\d,_]*)\s*(?:R1CS\s+)?constraints", setup_log.read_text(errors="replace"), re.IGNORECASE)
        if m:
            entry["circuit_size"] = f"{m.group(1)} constraints"
    if proof.exists():
        try:
            entry["proof_bytes"] = proof_size_from_json(json.loads(proof.read_text()))
        except ValueError:
            pass
        entry["proof_json_bytes"] = proof.stat().st_size
    if keys.exists():
        entry["keys_bytes"] = sum(f.stat().st_size for f in keys.rglob("*") if f.is_file())
    return entry


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------

def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def machine_info() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal:"))
    except (OSError, StopIteration):
        mem_kib = 0
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


def ezkl_version() -> str:
    r = subprocess.run([str(VENV_PY), "-c", "import ezkl; print(ezkl.__version__)"], capture_output=True, text=True)
    return r.stdout.strip() or "?"


def fmt_s(step: dict | None) -> str:
    if not step:
        return "—"
    if step.get("status") != "ok":
        return f"**{step.get('status')}** ({step.get('seconds', 0):.0f} s)"
    s = step["seconds"]
    txt = f"{s:.2f}" if s < 100 else f"{s:.0f}"
    return txt + (" (reused)" if step.get("reused") else "")


def fmt_mib(step: dict | None) -> str:
    if not step or "peak_rss_mib" not in step:
        return "—"
    m = step["peak_rss_mib"]
    txt = f"{m:.0f} MiB" if m < 10240 else f"{m / 1024:.1f} GiB"
    return ("> " + txt + " (killed)") if step.get("status") == "oom" else txt


def max_rss(steps: dict) -> str:
    if not steps:
        return "—"
    name, st = max(steps.items(), key=lambda kv: kv[1].get("peak_rss_mib", 0))
    txt = fmt_mib(st)
    return txt.replace(" (killed)", f" ({name}, killed)") if txt.endswith(" (killed)") else f"{txt} ({name})"


def fmt_int(n) -> str:
    return f"{n:,}" if isinstance(n, int) else "—"


def ratio(v: dict | None, e: dict | None, step: str) -> str:
    a, b = (v or {}).get("steps", {}).get(step), (e or {}).get("steps", {}).get(step)
    if not a or not b or a.get("status") != "ok" or not b.get("seconds"):
        return "—"
    if b.get("status") in ("oom", "timeout"):
        # EZKL was killed after b seconds: it would have needed at least that long.
        return f"< {a['seconds'] / b['seconds']:.3g}× (EZKL {b['status']} after {b['seconds']:.0f} s)"
    if b.get("status") != "ok":
        return "—"
    return f"{a['seconds'] / b['seconds']:.3g}×"


def evm_env(data: dict):
    for r in data["runs"].values():
        a = (r.get("evm") or {}).get("anvil")
        if a:
            return a.get("version"), a.get("hardfork")
    return None


def render_md(data: dict) -> str:
    m = data["machine"]
    L = ["# verinfer vs EZKL: proving the same ONNX models", "",
         f"Generated by `scripts/bench_zk.py` ({data['updated_at']}). Raw data: `zk_vs_ezkl.json`.", "",
         f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
         f"load average at start {' / '.join(m['loadavg_at_start'])}.",
         "- **The machine was shared during the run** (others were compiling); every benchmark process ran "
         "under `nice -n 10`. Timings are indicative, not precise; peak RSS is unaffected.",
         f"- EZKL {data.get('ezkl_version', '?')} (PyPI wheel, Python API, halo2/KZG on BN254); "
         "verinfer: Groth16 on BN254 (`target/release/verinfer`).",
         "- Each step ran in a fresh subprocess; *time* is that subprocess' wall time (for EZKL it includes "
         "Python start-up and `import ezkl`, ~0.1–0.3 s; the EZKL in-call time is in the JSON as `call_seconds`), "
         "*RSS* is its peak resident set (ru_maxrss).",
         "- EZKL SRS: generated locally with `ezkl.gen_srs` (an UNSAFE test SRS, no download), once per logrows "
         "and reused across scenarios; `gen_srs` is not counted as part of `setup` in the ratios.",
         "- EVM gas: `gasUsed` of one transaction calling the verifier on a local anvil (whole transaction: "
         "21000 base + calldata + verification). EZKL's verifier is compiled by our pinned solc-js "
         "(optimizer 200 runs, cancun) and anvil runs with `--code-size-limit` raised; contracts over the "
         "24,576-byte EIP-170 limit are flagged (they could not be deployed on mainnet as-is)."
         + (f" Node: {hf[0]}, hardfork {hf[1]}." if (hf := evm_env(data)) else ""),
         "- Scenarios (input and output public in both): **public** = EZKL `param_visibility=\"fixed\"` "
         "(weights are circuit constants) vs verinfer `params=public`; **private** = EZKL "
         "`param_visibility=\"private\"` vs verinfer `params=hashed` (weights private, their Poseidon hash public). "
         "Note EZKL \"private\" does not bind the weights to any public commitment (EZKL's equivalent of "
         "verinfer's hashed mode is `param_visibility=\"hashed\"`, which costs more), so this scenario "
         "favours EZKL.", ""]
    runs = data["runs"]
    keys = sorted({(r["model"], r["scenario"]) for r in runs.values()},
                  key=lambda k: (DEFAULT_MODELS.index(k[0]) if k[0] in DEFAULT_MODELS else 99, k[1] != "public", k))

    def get(model, scen, system):
        return runs.get(f"{model}/{scen}/{system}")

    L += ["Rerun the whole comparison (after the install steps at the top of `scripts/bench_zk.py`): "
          "`python3 scripts/bench_zk.py --fresh` (all models, both scenarios, all calibration samples); "
          "the exact command behind each run below is listed with it.", ""]
    L += ["## Summary", "",
          "| model | scenario | system | status | circuit size | setup s | prove s | verify s | peak RSS (largest step) "
          "| proof bytes | verified | EVM verify gas |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, scen in keys:
        for system in ("ezkl", "verinfer"):
            r = get(model, scen, system)
            if not r:
                continue
            st = r["steps"]
            if system == "ezkl":
                s = r.get("settings") or {}
                size = f"2^{s.get('logrows')} rows ({fmt_int(s.get('num_rows'))} used)" if s.get("logrows") else "—"
            else:
                size = r.get("circuit_size", "—")
            evm = r.get("evm") or {}
            gas = fmt_int(evm.get("verify_gas")) if evm.get("verify_gas") else (
                f"— ({evm['error'][:60]})" if evm.get("error") else "—")
            if evm.get("exceeds_eip170"):
                gas += f" (verifier {fmt_int(evm.get('deployed_code_bytes'))} B > EIP-170)"
            L.append(f"| {model} | {scen} | {system} | {r.get('status')} | {size} | {fmt_s(st.get('setup'))} | "
                     f"{fmt_s(st.get('prove'))} | {fmt_s(st.get('verify'))} | {max_rss(st)} | "
                     f"{fmt_int(r.get('proof_bytes'))} | {'yes' if r.get('verified') else 'no'} | {gas} |")
    L += ["", "## Ratios verinfer / EZKL (time; < 1 means verinfer is faster)", "",
          "| model | scenario | setup | prove | verify | prove peak RSS | EVM verify gas |", "|---|---|---|---|---|---|---|"]
    for model, scen in keys:
        e, v = get(model, scen, "ezkl"), get(model, scen, "verinfer")
        if not v or not e:
            why = "verinfer not run" if not v else "EZKL not run"
            L.append(f"| {model} | {scen} | — | — | — | — | — ({why}) |")
            continue
        rss = "—"
        pe, pv = e["steps"].get("prove"), v["steps"].get("prove")
        if pe and pv and pe.get("status") in ("ok", "oom", "timeout") and pv.get("status") == "ok":
            rss = ("" if pe["status"] == "ok" else "< ") + f"{pv['peak_rss_mib'] / pe['peak_rss_mib']:.3g}×"
        ge, gv = (e.get("evm") or {}).get("verify_gas"), (v.get("evm") or {}).get("verify_gas")
        gas = f"{gv / ge:.3g}×" if ge and gv else "—"
        L.append(f"| {model} | {scen} | {ratio(v, e, 'setup')} | {ratio(v, e, 'prove')} | {ratio(v, e, 'verify')} "
                 f"| {rss} | {gas} |")

    L += ["", "## Per step", ""]
    for model, scen in keys:
        L += [f"### {model} / {scen}", ""]
        for system, steps in (("ezkl", EZKL_STEPS + EZKL_EVM_STEPS), ("verinfer", VERINFER_STEPS)):
            r = get(model, scen, system)
            if not r:
                continue
            lim = r.get("limits") or {}
            lim_txt = (f"; limits: {lim.get('timeout_s'):.0f} s/step, "
                       + (f"{lim['budget_s']:.0f} s budget, " if lim.get("budget_s") else "")
                       + f"{lim.get('mem_cap_gib'):g} GiB RSS cap") if lim else ""
            cmd_txt = f"; `{r['command']}`" if r.get("command") else ""
            L += [f"**{system}** (run {r.get('run_at')}{lim_txt}{cmd_txt})", "", "| step | status | time s | peak RSS | note |",
                  "|---|---|---|---|---|"]
            for name in steps:
                st = r["steps"].get(name)
                if not st:
                    continue
                note = []
                if "call_seconds" in st:
                    note.append(f"in-call {st['call_seconds']} s")
                if name == "gen_srs":
                    note.append(f"k={st.get('logrows')}, {fmt_int(st.get('srs_bytes'))} B" +
                                (", generated once and reused" if st.get("reused") else ""))
                if st.get("error"):
                    note.append(st["error"][:150])
                if st.get("note"):
                    note.append(st["note"][:120])
                L.append(f"| {name} | {st['status']} | {fmt_s(st)} | {fmt_mib(st)} | {'; '.join(note)} |")
            facts = []
            if system == "ezkl" and r.get("settings"):
                s = r["settings"]
                facts.append(f"logrows {s['logrows']}, rows used {fmt_int(s.get('num_rows'))}, assignments "
                             f"{fmt_int(s.get('total_assignments'))}, constants {fmt_int(s.get('total_const_size'))}, "
                             f"scales in/param {s.get('input_scale')}/{s.get('param_scale')}, "
                             f"lookups {s.get('required_lookups')}, range checks {s.get('required_range_checks')}")
                facts.append(f"calibration samples {r.get('calibration_samples')}")
            for k, label in (("proof_bytes", "proof"), ("proof_json_bytes", "proof.json"), ("pk_bytes", "pk"),
                             ("vk_bytes", "vk"), ("keys_bytes", "keys dir"), ("num_instances", "public instances")):
                if r.get(k) is not None:
                    facts.append(f"{label} {fmt_int(r[k])}" + (" B" if k.endswith("bytes") else ""))
            evm = r.get("evm") or {}
            if evm.get("verify_gas"):
                facts.append(f"EVM verify gas {fmt_int(evm['verify_gas'])}" + (
                    f", verifier code {fmt_int(evm.get('deployed_code_bytes'))} B, deploy gas "
                    f"{fmt_int(evm.get('deploy_gas'))}, calldata {fmt_int(evm.get('calldata_bytes'))} B, "
                    f"proof with one flipped bit rejected on chain: "
                    f"{'yes' if evm.get('tampered_proof_rejected') else 'NO'}"
                    if system == "ezkl" else ""))
            elif evm.get("error"):
                facts.append(f"EVM gas not measured: {evm['error'][:200]}")
            if facts:
                L += ["", "- " + "\n- ".join(facts)]
            L.append("")
    fails = ([(k, f) for k, r in runs.items() for f in r.get("failures", []) + r.get("notes", [])]
             + [("run", n) for n in data.get("notes", []) + data.get("extra_notes", [])])
    L += ["## Failures and notes", "",
          "Each run's limits (`--timeout` per step, `--budget` per model × scenario × system, `--mem-cap-gib`: a step "
          "whose process tree exceeds it is killed and recorded as `oom`) are listed with it above.", ""]
    L += [f"- `{k}`: {f}" for k, f in fails] or ["- none"]
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated (default: all three)")
    p.add_argument("--scenario", choices=["public", "private", "both"], default="both")
    p.add_argument("--skip-ezkl", action="store_true")
    p.add_argument("--skip-verinfer", action="store_true")
    p.add_argument("--skip-evm", action="store_true", help="no EVM verifier / gas measurement")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per step before it is killed (default 1800)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds for all steps of one model and scenario (per system); default no limit")
    p.add_argument("--mem-cap-gib", type=float, default=18,
                   help="kill a step whose process tree exceeds this RSS, recorded as oom (default 18)")
    p.add_argument("--calib-samples", type=int, default=None, help="use at most N calibration samples (default all)")
    p.add_argument("--ezkl-private-visibility", choices=["private", "hashed"], default="private",
                   help="EZKL param_visibility for the private scenario (default private)")
    p.add_argument("--verinfer", type=Path, default=VERINFER,
                   help=f"verinfer binary (default {VERINFER.relative_to(ROOT)})")
    p.add_argument("--keep-artifacts", action="store_true", help="keep proving keys and SRS links in target/bench_zk")
    p.add_argument("--note", action="append", default=[],
                   help="a note to keep in the report (persists across merged runs; repeatable)")
    p.add_argument("--fresh", action="store_true", help="discard earlier results in the JSON instead of merging")
    p.add_argument("--out-dir", type=Path, default=OUT_JSON.parent,
                   help=f"where zk_vs_ezkl.json/.md go (default {OUT_JSON.parent.relative_to(ROOT)})")
    p.add_argument("--render-only", action="store_true", help="only re-render the markdown from the JSON")
    return p.parse_args(argv)


def main(argv) -> int:
    if len(argv) >= 3 and argv[0] == "--_worker":
        worker_main(argv[1], argv[2])
        return 0
    opts = parse_args(argv)
    opts.command = "python3 scripts/bench_zk.py " + shlex.join(argv)
    global VERINFER, OUT_JSON, OUT_MD
    VERINFER = opts.verinfer.resolve()
    OUT_JSON, OUT_MD = opts.out_dir.resolve() / OUT_JSON.name, opts.out_dir.resolve() / OUT_MD.name
    if opts.render_only:
        OUT_MD.write_text(render_md(json.loads(OUT_JSON.read_text())))
        print(f"wrote {OUT_MD}")
        return 0
    if not opts.skip_ezkl:
        ensure_venv()
    models = [m.strip() for m in opts.models.split(",") if m.strip()]
    for m in models:
        if not (MODELS_DIR / m / "network.onnx").exists():
            raise SystemExit(f"no such model: {MODELS_DIR / m}")
    scenarios = ["public", "private"] if opts.scenario == "both" else [opts.scenario]

    data = {"runs": {}, "notes": []}
    if OUT_JSON.exists() and not opts.fresh:
        data = json.loads(OUT_JSON.read_text())
        data.setdefault("notes", [])
    data["machine"] = machine_info()
    notes = []
    if not opts.skip_ezkl:
        data["ezkl_version"] = ezkl_version()
    run_verinfer = not opts.skip_verinfer
    if run_verinfer:
        ok, why = verinfer_available()
        if not ok:
            notes.append(f"verinfer side skipped: {why}")
            print(f"NOTE: {notes[-1]}", flush=True)
            run_verinfer = False
    if opts.skip_verinfer:
        notes.append("verinfer side not run in the latest invocation (--skip-verinfer)")
    # Notes describe the latest invocation only.
    data["notes"] = notes
    data["extra_notes"] = data.get("extra_notes", []) + [n for n in opts.note if n not in data.get("extra_notes", [])]
    data["settings"] = {"timeout_s": opts.timeout, "budget_s": opts.budget, "mem_cap_gib": opts.mem_cap_gib, "nice": 10,
                        "calib_samples": opts.calib_samples, "ezkl_private_visibility": opts.ezkl_private_visibility}

    anvil = Anvil(WORK / "anvil.log")
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)

    def save():
        data["updated_at"] = now()
        data["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
        OUT_JSON.write_text(json.dumps(data, indent=1) + "\n")
        OUT_MD.write_text(render_md(data))

    t_all = time.monotonic()
    try:
        for model in models:
            for scen in scenarios:
                if not opts.skip_ezkl:
                    data["runs"][f"{model}/{scen}/ezkl"] = bench_ezkl(model, scen, opts, anvil)
                    save()
                if run_verinfer:
                    data["runs"][f"{model}/{scen}/verinfer"] = bench_verinfer(model, scen, opts)
                    save()
    finally:
        anvil.stop()
        save()
    print(f"done in {time.monotonic() - t_all:.0f} s; wrote {OUT_JSON} and {OUT_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
