#!/usr/bin/env bash
# Runs every fuzz target (docs/testing.md, "Fuzzing") for SECONDS seconds
# each (default 60), from the repository root:
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Installs the nightly toolchain and cargo-fuzz when they are missing. New
# inputs go to tests/fuzz/corpus-growth/<target> (ignored by git); the
# committed seeds in tests/fuzz/corpus/<target> are read, never written.
# Exits non-zero on the first crash (libFuzzer leaves the input in
# tests/fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(config model c_abi)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
    growth=tests/fuzz/corpus-growth/$t
    mkdir -p "$growth" "tests/fuzz/corpus/$t"
    extra=()
    [[ -f tests/fuzz/$t.dict ]] && extra+=("-dict=tests/fuzz/$t.dict")
    echo "==> fuzz $t for ${seconds}s"
    cargo +nightly fuzz run --fuzz-dir tests/fuzz "$t" "$growth" "tests/fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "${extra[@]}"
done
