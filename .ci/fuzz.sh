#!/usr/bin/env bash
# The fuzz targets (docs/testing.md, "Fuzzing"): config, model and c_abi,
# each for FUZZ_SECONDS seconds (default 60), through tests/fuzz/run.sh,
# from the committed seed corpora in tests/fuzz/corpus/<target>; new inputs
# go to tests/fuzz/corpus-growth/<target> (git-ignored).
#
# Installs what it needs when missing: a nightly toolchain (rustup,
# --profile minimal) and cargo-fuzz (cargo install --locked). Fails on the
# first crash, panic, leak or timeout a target reports; libFuzzer leaves the
# input in tests/fuzz/artifacts/<target>/, and this script prints its path
# and base64 so a CI log is enough to reproduce it:
#   cargo +nightly fuzz run --fuzz-dir tests/fuzz <target> <file>
#
# Uses its own build directory (tests/fuzz/target), so it may run beside
# other steps that use target/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
seconds=${FUZZ_SECONDS:-60}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
status=0
for t in config model c_abi; do
    if ! tests/fuzz/run.sh "$seconds" "$t"; then
        echo "fuzz.sh: target $t failed" >&2
        for f in tests/fuzz/artifacts/"$t"/*; do
            [[ -f $f ]] || continue
            echo "fuzz.sh: artifact $f (base64: $(base64 -w0 "$f"))" >&2
        done
        status=1
        break
    fi
done
exit "$status"
