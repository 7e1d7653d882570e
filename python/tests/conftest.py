"""Setup every Python test file shares: the `verinfer` CLI the bindings are compared with,
and the compiled models (compiled once per test session).

Environment: VERINFER_CLI names the CLI binary (default: target/release/verinfer of this
checkout). Under CI=true a missing binary fails the CLI comparisons instead of skipping them.
"""

import os
import pathlib
import subprocess

import pytest

import verinfer

REPO = pathlib.Path(__file__).resolve().parents[2]
DIGITS = REPO / "testdata" / "models" / "digits_mlp"
LLAMA = REPO / "testdata" / "gguf" / "llama_tiny.gguf"


def _cli_path():
    p = pathlib.Path(os.environ.get("VERINFER_CLI", REPO / "target" / "release" / "verinfer"))
    if not p.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the verinfer CLI is not at {p} (set VERINFER_CLI)")
        pytest.skip(f"the verinfer CLI is not at {p} (set VERINFER_CLI)")
    return p


def _run_cli(*args, check=True):
    """Runs `verinfer ARGS…`; with `check`, a failure raises with its stderr."""
    r = subprocess.run(
        [str(_cli_path()), *map(str, args)], capture_output=True, text=True, timeout=600
    )
    if check and r.returncode != 0:
        raise AssertionError(f"verinfer {' '.join(map(str, args))} failed:\n{r.stderr}")
    return r


@pytest.fixture
def cli():
    """`cli(*args, check=True)`: runs the CLI (skips the test when it is not built)."""
    return _run_cli


@pytest.fixture(scope="session")
def digits():
    """The bundled digits MLP compiled with its calibration data."""
    return verinfer.compile(DIGITS / "network.onnx", calibration=DIGITS / "calibration.json")


@pytest.fixture(scope="session")
def llama():
    """The tiny LLaMA (GGUF) compiled with a context of 32."""
    return verinfer.compile(LLAMA, ctx=32)
