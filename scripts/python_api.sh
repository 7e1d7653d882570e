#!/usr/bin/env bash
# The Python API as a user gets it: build the abi3 wheel with maturin, install it into a fresh
# virtualenv, and run python/tests against the installed package from outside the source tree
# (so `import verinfer` cannot pick up the sources), then the examples in examples/python. The tests compare with the CLI at
# $VERINFER_CLI (default target/release/verinfer; build it first).
# Usage: bash scripts/python_api.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/target/pyapi-tools"
req="$root/scripts/requirements-pyapi.txt"
wheels="$root/target/wheels"
venv="$root/target/pyapi-venv"

t0=$SECONDS
if [ ! -x "$tools/bin/python" ]; then
    python3 -m venv "$tools"
fi
if [ ! -f "$tools/.stamp" ] || ! cmp -s "$req" "$tools/.stamp"; then
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$tools/.stamp"
fi

# maturin builds verinfer-py alone, which resolves features for that crate alone: any
# dependency whose features differ from the workspace build's is compiled a second time (tract,
# alloy, arkworks: many minutes of a clean CI run). Refuse that here, naming the packages, so the
# fix (the dependency listed in crates/verinfer-py/Cargo.toml with those features) is made
# instead of paying the rebuild. Static (cargo tree, a few seconds), nothing is built.
features() {
    cargo tree --locked --manifest-path "$root/Cargo.toml" --prefix none -f '{p} {f}' "$@" \
        | sed 's/ (\*)$//' | sort -u
}
ws_features="$(features --workspace -e normal,build,dev)"
py_features="$(features -p verinfer-py -e normal,build)"
extra="$(comm -13 <(echo "$ws_features") <(echo "$py_features"))"
if [ -n "$extra" ]; then
    echo "verinfer-py alone resolves these packages with other features than the workspace" >&2
    echo "(maturin would compile them and everything above them again):" >&2
    echo "$extra" >&2
    exit 1
fi

rm -rf "$wheels"
"$tools/bin/maturin" build --release --locked -m "$root/crates/verinfer-py/Cargo.toml" \
    -o "$wheels" --quiet
wheel="$(ls "$wheels"/verinfer-*.whl)"
echo "wheel: $wheel ($(du -h "$wheel" | cut -f1)), built in $((SECONDS - t0)) s"

t1=$SECONDS
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" \
    "$(grep '^pytest' "$req")"
echo "installed into a fresh venv in $((SECONDS - t1)) s"

t2=$SECONDS
export VERINFER_CLI="${VERINFER_CLI:-$root/target/release/verinfer}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests")
echo "pytest against the installed wheel: $((SECONDS - t2)) s"

t3=$SECONDS
for example in "$root"/examples/python/*.py; do
    echo "example: ${example#"$root"/}"
    (cd "$work" && "$venv/bin/python" "$example")
done
echo "examples against the installed wheel: $((SECONDS - t3)) s"
