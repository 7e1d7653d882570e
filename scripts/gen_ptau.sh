#!/usr/bin/env bash
# Regenerates testdata/ptau/pot8_beacon_final.ptau: a small *prepared* powers-of-tau file made
# by snarkjs itself (material verinfer did not write), for the `.ptau` reader's conformance
# tests (crates/verinfer-zk/tests/it/ptau.rs) and the CLI test of `ceremony new --ptau`.
#
#   scripts/gen_ptau.sh [POWER]      (default 8; needs node and npm)
#
# snarkjs is installed at a pinned version into a scratch directory (never into
# contracts/node_modules). The phase-1 randomness is a public beacon rather than
# `powersoftau contribute`, which mixes OS randomness into its entropy: with a beacon the
# output is byte-for-byte reproducible, and testdata/ptau/README.md records its sha256.
# Being public, this τ is known to everyone: the file is for tests only.
set -euo pipefail

SNARKJS_VERSION=0.7.6
POWER=${1:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/testdata/ptau/pot${POWER}_beacon_final.ptau"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

cd "$SCRATCH"
echo '{"name":"gen-ptau","private":true}' > package.json
npm install --silent --no-audit --no-fund "snarkjs@$SNARKJS_VERSION" >/dev/null
S=node_modules/.bin/snarkjs

"$S" powersoftau new bn128 "$POWER" pot_0.ptau >/dev/null
"$S" powersoftau beacon pot_0.ptau pot_1.ptau \
    0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 10 \
    -n="verinfer test beacon" >/dev/null
"$S" powersoftau prepare phase2 pot_1.ptau final.ptau >/dev/null
"$S" powersoftau verify final.ptau >/dev/null

cp final.ptau "$OUT"
echo "written $OUT"
sha256sum "$OUT"
b2sum "$OUT"
