#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser: libFuzzer (through libfuzzer-sys) driving the target
# bodies of crates/verinfer-fuzz, on a stable toolchain (coverage instrumentation uses only
# stable -C flags; no sanitizer, the code is safe Rust). See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   fuzz each target (default: 60 s, all)
#   scripts/fuzz.sh --merge [TARGET...]                 minimize fuzz/corpus/<t> into
#                                                       testdata/fuzz/<t> (small files only)
#
# Working corpora grow in fuzz/corpus/<t>, crashes land in fuzz/artifacts/<t>/ (both ignored).
# Each run is capped at 4 GiB of address space and 2 GiB of RSS, so an input that makes a
# parser allocate gigabytes is reported as a crash with its input saved.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

merge=0
if [ "${1:-}" = "--merge" ]; then
    merge=1
    shift
    secs=0
else
    secs=${1:-60}
    shift || true
fi

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros (they run on the host
# without libFuzzer's coverage callbacks).
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --locked --manifest-path fuzz/Cargo.toml --target "$host"
bin=fuzz/target/$host/release/verinfer-fuzz

if [ $# -eq 0 ]; then
    set -- $(ls testdata/fuzz)
fi

for t in "$@"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    if [ $merge -eq 1 ]; then
        # Keep a minimal set that covers what the working corpus covers; commit its small files.
        tmp=$(mktemp -d)
        cp "testdata/fuzz/$t"/* "$tmp/"
        VERINFER_FUZZ_TARGET=$t "$bin" -merge=1 -rss_limit_mb=2048 "$tmp" "fuzz/corpus/$t" 2>&1 |
            grep -E "MERGE-OUTER: [0-9]+ new files" || true
        # New files are named by their SHA-1; seeds and earlier finds keep their names.
        find "$tmp" -type f -size -4k -regextype posix-extended -regex '.*/[0-9a-f]{40}' \
            -exec sh -c 'for f; do cp "$f" "$0/found-$(basename "$f" | cut -c1-16)"; done' \
            "testdata/fuzz/$t" {} +
        rm -rf "$tmp"
        continue
    fi
    echo "== $t (${secs}s)"
    (
        ulimit -v 4194304
        VERINFER_FUZZ_TARGET=$t "$bin" "fuzz/corpus/$t" "testdata/fuzz/$t" \
            -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
            -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 2>&1 |
            grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|.*panicked at|Done [0-9]+ runs)" || true
    )
done
