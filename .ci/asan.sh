#!/usr/bin/env bash
# AddressSanitizer for d3dkmt-sim (docs/testing.md, "Sanitizers and Miri"):
#   1. the Rust tests (library unit tests, every integration test, the
#      doctests, a 10 s soak) built with -Zsanitizer=address on nightly;
#   2. the C suites of tests/c_abi.rs compiled with gcc -fsanitize=address
#      and linked against an instrumented libd3dkmt_sim.a and .so
#      (D3DKMT_SIM_C_SANITIZER=address: tests/c_abi.rs builds the libraries
#      with -Zsanitizer=address for the host triple, and adds
#      -fsanitize=address to the C compile and link).
# Fails if a test fails or if any process, a C child included, wrote an
# ASan or LeakSanitizer report.
#
# Needs a nightly toolchain (installed with --profile minimal if missing);
# no -Zbuild-std: ASan, unlike ThreadSanitizer, works with the prebuilt
# standard library (uninstrumented std code is only not checked inside).
# About 2 to 3 minutes on two cores from a clean target/asan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TERM_COLOR=never
start=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - start))" "$*"; }

step "nightly toolchain"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustc +nightly --version
command -v gcc >/dev/null || { apt-get update -qq && apt-get install -y -qq gcc; }

host=$(rustc +nightly -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR=$root/target/asan
# --target (below) keeps these flags off build scripts and proc macros,
# which run on the host and cannot be instrumented without the runtime.
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export D3DKMT_SIM_C_SANITIZER=address
# Reports go to files, one per reporting process, rather than to stderr:
# the tests capture their C children's stderr, and a child whose failure is
# expected (an exit status checked to be non-zero) would otherwise hide a
# report. Leak checking is ASan's default on x86_64 Linux; it is named so an
# inherited ASAN_OPTIONS cannot turn it off. Stack use after return is off
# by default and cheap enough here.
reports=$CARGO_TARGET_DIR/asan-reports
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:log_path=$reports/asan"

check_reports() {
    if compgen -G "$reports/asan*" >/dev/null; then
        echo "asan.sh: AddressSanitizer reports:" >&2
        cat "$reports"/asan* >&2
        exit 1
    fi
}
trap check_reports EXIT

# Skipped, each for a reason (the tests' doc comments say it too):
# - address_space's under_a_real_ulimit_… and c_abi's
#   c_program_under_a_memory_limit_…: they run a child under
#   `ulimit -v 300000`, and an ASan process reserves about 14 TiB of
#   address space for its shadow at start-up, so the child cannot start.
# - c_abi's memcheck test (#[ignore]: valgrind, run by .ci/run; valgrind and
#   ASan cannot run one process together) and address_space's ulimit child
#   (#[ignore], run only by the skipped test above).
# - the loom models (a --cfg loom build of their own, run by .ci/run; they
#   explore interleavings, not memory) and the benches.
skips=(
    --skip under_a_real_ulimit_creation_fails_with_no_memory_and_the_simulator_stays_usable
    --skip c_program_under_a_memory_limit_gets_no_memory_and_carries_on
)

step "build: the library and every test, instrumented"
nice -n 5 cargo +nightly test --quiet --target "$host" --lib --tests --no-run

step "Rust tests and the C suites (static and shared) under ASan"
nice -n 5 cargo +nightly test --target "$host" --lib --tests -- "${skips[@]}"

step "doctests under ASan"
nice -n 5 cargo +nightly test --target "$host" --doc

step "a 10 s soak under ASan (tests/soak.rs, 4 threads on the C ABI)"
SOAK_SECONDS=10 nice -n 5 cargo +nightly test --target "$host" --test soak -- --ignored soak

step "clean: no ASan report from any process"
check_reports
echo "asan.sh: done in $((SECONDS - start)) s"
