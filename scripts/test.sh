#!/usr/bin/env bash
# The test command: everything CI runs, on a fresh machine. Installs what it needs itself
# (cargo fetches crates; Python peers go into .venv from PyPI; `npm ci` installs solc-js and anvil).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "python peers (onnx, onnxruntime) in .venv"
bash scripts/venv.sh

step "contracts: npm toolchain (solc-js, anvil) and artifact freshness"
npm ci --prefix contracts --no-audit --no-fund
node contracts/scripts/compile.js --check

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --release --workspace --all-targets --locked -- -D warnings

step "fuzz project's lock file matches the workspace (scripts/fuzz.sh builds it --locked)"
cargo metadata --manifest-path fuzz/Cargo.toml --locked --format-version 1 >/dev/null

step "unit, property and integration tests"
if cargo nextest --version >/dev/null 2>&1; then
    # Profile `ci` (.config/nextest.toml): CPU-bound tests take three of the 3 × CPUs + 2 slots,
    # tests that mostly wait on anvil's blocks one, so the waits overlap the computing.
    cargo nextest run --release --workspace --locked --no-fail-fast --profile ci \
        --test-threads "$((3 * $(nproc) + 2))"
else
    cargo test --release --workspace --locked --no-fail-fast
fi

step "fuzz corpus replay under a 4 GiB address-space limit (docs/fuzzing.md)"
# Already run above; again here so that an input making a parser reserve gigabytes aborts
# instead of passing on an overcommitting machine.
(
    ulimit -v 4194304
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --release --workspace --locked -E 'package(verinfer-fuzz)'
    else
        cargo test --release --workspace --locked --test replay
    fi
)

step "ONNX backend node tests through compile + run (allowlist)"
# The integration tests above already built target/release/verinfer (same features as the
# test build); building `-p verinfer-cli` alone would resolve features anew and rebuild tract.
[ -x target/release/verinfer ] || cargo build --release --locked -p verinfer-cli
cases=target/onnx-node-tests
.venv/bin/python scripts/conformance/gen_node_tests.py "$cases" >/dev/null
.venv/bin/python scripts/conformance/run_node_tests.py --cases "$cases" \
    --verinfer target/release/verinfer --jobs 2 --freeze-int-inputs \
    --allowlist scripts/conformance/allowlist.txt --check \
    --report target/conformance.md

step "Python API: abi3 wheel (maturin), installed into a fresh venv, pytest against it"
# After the conformance step: the tests compare with target/release/verinfer, built above.
VERINFER_CLI="$PWD/target/release/verinfer" bash scripts/python_api.sh

step "all green"
