#!/usr/bin/env bash
# Windows CI for d3dkmt-sim, on Linux: builds d3dkmt_sim.dll (with its import
# library libd3dkmt_sim.dll.a) and libd3dkmt_sim.a for x86_64-pc-windows-gnu
# with MinGW-w64 and checks the DLL's exports; runs clippy for that target
# and the Rust tests under Wine; builds the C suites with MinGW against the
# DLL and against the static library and runs them under Wine; and checks
# include/d3dkmt_sim.h with MinGW gcc/g++ and with clang in MSVC mode.
#
# Installs what it lacks with apt-get (MinGW-w64, Wine 8, Wine's headers,
# clang). Needs the Rust target x86_64-pc-windows-gnu (rustup target add).
# Wine 8 has no bcryptprimitives.dll, whose ProcessPrng every Rust-built
# Windows binary imports: tests/windows/bcryptprimitives.c stands in for it.
# Everything Wine writes goes to a throwaway WINEPREFIX, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TERM_COLOR=never
start=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - start))" "$*"; }
fail() { echo "windows.sh: $*" >&2; exit 1; }

target=x86_64-pc-windows-gnu
cc=x86_64-w64-mingw32-gcc
cxx=x86_64-w64-mingw32-g++
export CARGO_TARGET_DIR=$root/target/windows
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=$cc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
release=$CARGO_TARGET_DIR/$target/release
out=$CARGO_TARGET_DIR/ci-c # C programs, each run beside the DLLs it needs
wine_h=/usr/include/wine/wine/windows # Wine's Windows headers (libwine-dev)
# Every program here starts from the built-in defaults unless a step sets it.
unset D3DKMT_SIM_CONFIG

step "tools (apt-get only for what is missing)"
need=()
command -v $cc >/dev/null || need+=(gcc-mingw-w64-x86-64)
command -v $cxx >/dev/null || need+=(g++-mingw-w64-x86-64)
[ -f /usr/share/mingw-w64/include/windows.h ] || need+=(mingw-w64-x86-64-dev)
[ -x /usr/lib/wine/wine64 ] || need+=(wine64)
command -v wine >/dev/null || need+=(wine)
# mingw-w64 10 (Debian 12) ships no d3dkmthk.h; Wine's stands in for the
# Windows SDK's, and Wine's headers serve clang's MSVC mode.
[ -f $wine_h/ddk/d3dkmthk.h ] || need+=(libwine-dev)
command -v clang >/dev/null || need+=(clang)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
grep -qx $target <<<"$(rustup target list --installed 2>/dev/null)" ||
    fail "the Rust target $target is missing: rustup target add $target"
wine --version

step "Wine prefix (wineboot -i, in the background while Cargo builds)"
mkdir -p "$out"
export WINEDEBUG=-all
export WINEPREFIX
WINEPREFIX=$(mktemp -d /tmp/d3dkmt-sim-wine.XXXXXX)
# No Mono or Gecko: nothing here needs .NET or a browser engine.
export WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
    wineserver -k 2>/dev/null || true
    rm -rf "$WINEPREFIX"
}
trap cleanup EXIT
# Wine starts its services (services.exe, winedevice.exe, ...) with the stdio
# of the program that needs them first, and they outlive it: one started
# from a pipeline would hold the pipe open, and its reader would wait for
# EOF forever. So a persistent wineserver keeps the services that wineboot
# starts, with their output in a file, for the whole run; and every Windows
# program below writes to files (run_wine), never to a pipe.
wine_log=$out/wine.log
: >"$wine_log"
wineserver -p </dev/null >>"$wine_log" 2>&1
boot_start=$SECONDS
wineboot -i </dev/null >>"$wine_log" 2>&1 &
boot_pid=$!
# run_wine DIR STDOUT STDERR PROGRAM [ARGS...]: runs PROGRAM under Wine in
# DIR (where its DLLs are), with no stdin and its output in files, CR LF
# turned into LF in STDOUT.
run_wine() {
    local dir=$1 stdout=$2 stderr=$3 rc=0
    shift 3
    (cd "$dir" && wine "$@") </dev/null >"$stdout.raw" 2>"$stderr" || rc=$?
    tr -d '\r' <"$stdout.raw" >"$stdout"
    rm -f "$stdout.raw"
    return $rc
}

step "release DLL, import library and static library"
cargo rustc --release --lib --target $target --crate-type cdylib --crate-type staticlib
dll=$release/d3dkmt_sim.dll
implib=$release/libd3dkmt_sim.dll.a
staticlib=$release/libd3dkmt_sim.a
for f in "$dll" "$implib" "$staticlib"; do [ -f "$f" ] || fail "$f was not built"; done

step "exports: exactly the header's D3DKMT*/SimKmt* functions, undecorated"
declared=$(grep -o 'D3DKMT_SIM_APIENTRY \(D3DKMT\|SimKmt\)[A-Za-z0-9]*(' include/d3dkmt_sim.h |
    sed 's/.* //; s/($//' | sort)
exported=$(x86_64-w64-mingw32-objdump -p "$dll" |
    sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed -n 's/^\s*\[ *[0-9]*\] //p' | sort)
imported=$(x86_64-w64-mingw32-nm "$implib" | sed -n 's/^[0-9a-f]* T //p' | sort)
[ "$(wc -l <<<"$declared")" -ge 27 ] || fail "read only $(wc -l <<<"$declared") declarations from the header"
diff <(echo "$declared") <(echo "$exported") || fail "the DLL's exports differ from the header's functions"
diff <(echo "$declared") <(echo "$imported") || fail "the import library's symbols differ from the header's functions"
echo "$(wc -l <<<"$exported") exports, all undecorated: $(tr '\n' ' ' <<<"$exported")"

step "ProcessPrng shim (bcryptprimitives.dll) into the prefix's system32"
$cc -shared -O2 -Wall -Wextra -Werror -o "$out/bcryptprimitives.dll" tests/windows/bcryptprimitives.c -ladvapi32
wait $boot_pid || { cat "$wine_log"; fail "wineboot -i failed"; }
echo "wineboot -i: done $((SECONDS - boot_start))s after it started"
cp "$out/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

step "clippy for $target (code under cfg(windows) that Linux CI never compiles)"
cargo clippy --target $target --all-targets -- -D warnings

step "Rust tests under Wine (cargo test --target $target)"
cargo test --target $target --no-run
# Output to a file, not a pipe (see run_wine); shown when done.
rust_rc=0
cargo test --target $target --no-fail-fast </dev/null >"$out/cargo-test.log" 2>&1 || rust_rc=$?
grep -v -E '^test .* \.\.\. ok$' "$out/cargo-test.log"
read -r rust_passed rust_failed < <(awk '/^test result:/ {
    for (i = 1; i < NF; i++) { if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i } }
    END { print p + 0, f + 0 }' "$out/cargo-test.log")
echo "Rust under Wine: $rust_passed passed, $rust_failed failed"
[ $rust_rc = 0 ] && [ "$rust_failed" = 0 ] && [ "$rust_passed" -gt 0 ] || fail "Rust tests under Wine failed (exit $rust_rc)"

step "C suites under Wine, against d3dkmt_sim.dll and against libd3dkmt_sim.a"
cp "$dll" "$($cc -print-file-name=libwinpthread-1.dll)" "$out/"
cflags=(-std=c11 -Wall -Wextra -Werror -O1 -g -pthread -Iinclude)
# What `cargo rustc --crate-type staticlib -- --print native-static-libs`
# prints for this target.
static_libs=(-lkernel32 -lntdll -luserenv -lws2_32 -ldbghelp)
# build NAME shared|static SOURCE...: links the import library (the program
# then loads d3dkmt_sim.dll from its own directory) or the static library.
build() {
    local name=$1 link=$2
    shift 2
    if [ "$link" = shared ]; then
        $cc "${cflags[@]}" "$@" -o "$out/$name.exe" -L"$release" -ld3dkmt_sim
    else
        $cc "${cflags[@]}" "$@" -o "$out/$name.exe" "$staticlib" "${static_libs[@]}"
    fi
    # (Not `objdump | grep -q`: grep's early exit would fail the pipeline.)
    local dlls
    dlls=$(x86_64-w64-mingw32-objdump -p "$out/$name.exe" | sed -n 's/^\s*DLL Name: //p')
    if grep -qx d3dkmt_sim.dll <<<"$dlls"; then
        [ "$link" = shared ] || fail "$name.exe imports d3dkmt_sim.dll though linked statically"
    else
        [ "$link" = static ] || fail "$name.exe does not import d3dkmt_sim.dll"
    fi
}
c_passed=0
# checks NAME [ARGS...]: runs a program of tests/c/check.h's kind; it must
# exit 0 with a last summary line "N passed, 0 failed", N > 0.
checks() {
    local name=$1 rc=0
    shift
    run_wine "$out" "$out/$name.log" "$out/$name.err" "./$name.exe" "$@" || rc=$?
    local summary
    summary=$(grep ' passed, ' "$out/$name.log" | tail -1)
    echo "$name $*: $summary"
    if [ $rc -ne 0 ] || ! grep -Eq '^[1-9][0-9]* passed, 0 failed$' <<<"$summary"; then
        cat "$out/$name.log" "$out/$name.err"
        fail "$name $* failed (exit $rc)"
    fi
    c_passed=$((c_passed + 1))
}
for link in shared static; do
    build conformance-$link $link tests/c/conformance.c
    checks conformance-$link
    build kmt-$link $link tests/c/kmt.c
    checks kmt-$link
    build driver_model-$link $link tests/c/driver_model.c
    checks driver_model-$link
    # The guide's recipes that need no environment (docs/guide.md).
    for recipe in lock2_statuses device_loss reset; do
        build guide_$recipe-$link $link tests/c/guide_$recipe.c
        checks guide_$recipe-$link
    done
done
build libdxgtest_sequence-shared shared tests/c/libdxgtest_sequence.c
checks libdxgtest_sequence-shared 1 "d3dkmt-sim simulated adapter"
grep -q 'ids D3D5:0001' "$out/libdxgtest_sequence-shared.log" && grep -q ' render' "$out/libdxgtest_sequence-shared.log" ||
    fail "libdxgtest_sequence: no default adapter ids or render type"
build libdxgtest_sequence-static static tests/c/libdxgtest_sequence.c
D3DKMT_SIM_CONFIG="adapters=2,hw_sched=enabled,a1.kind=compute,description=Sim GPU" \
    checks libdxgtest_sequence-static 2 "Sim GPU"
grep -q compute_only "$out/libdxgtest_sequence-static.log" && grep -q hwsch_enabled "$out/libdxgtest_sequence-static.log" ||
    fail "libdxgtest_sequence: D3DKMT_SIM_CONFIG's compute adapter or hardware scheduling not seen"

build demo shared examples/c/demo.c
run_wine "$out" "$out/demo.log" "$out/demo.err" ./demo.exe
[ "$(tail -1 "$out/demo.log")" = 'every status as the contract says' ] || fail "examples/c/demo.c: some status differs"
echo "demo: every status as the contract says"
build lock_pair shared benches/c/lock_pair.c
run_wine "$out" "$out/lock_pair.log" "$out/lock_pair.err" ./lock_pair.exe 0.01
grep -q 'ratio to the atomic pair' "$out/lock_pair.log" || fail "benches/c/lock_pair.c did not finish"
echo "lock_pair 0.01: ran to the end"

# An unmodified program configured through D3DKMT_SIM_CONFIG (as
# tests/c_abi.rs's probe on Linux); Wine passes the environment through.
cat >"$out/env_probe.c" <<'EOF'
#include <stdio.h>
#include "d3dkmt_sim.h"
int main(void) {
    D3DKMT_ENUMADAPTERS2 e = {0};
    NTSTATUS s = D3DKMTEnumAdapters2(&e);
    printf("status %d adapters %u\n", (int)s, (unsigned)e.NumAdapters);
    s = D3DKMTEnumAdapters2(&e);
    return 0;
}
EOF
build env_probe shared "$out/env_probe.c"
# probe [CONFIG]: the program's stdout; its stderr goes to env_probe.err.
probe() {
    (
        [ $# = 0 ] || export D3DKMT_SIM_CONFIG=$1
        run_wine "$out" "$out/env_probe.log" "$out/env_probe.err" ./env_probe.exe
    )
    cat "$out/env_probe.log"
}
[ "$(probe)" = "status 0 adapters 1" ] || fail "env_probe: no config should give 1 adapter"
[ "$(probe adapters=3,max_lock_refs=8,busy=wait,adapter_memory=64M)" = "status 0 adapters 3" ] ||
    fail "env_probe: D3DKMT_SIM_CONFIG adapters=3 not applied"
[ "$(probe adapters=3,busy=sometimes)" = "status 0 adapters 1" ] ||
    fail "env_probe: a malformed config should leave the defaults"
[ "$(grep -c D3DKMT_SIM_CONFIG "$out/env_probe.err")" = 1 ] && grep -q busy=sometimes "$out/env_probe.err" ||
    fail "env_probe: the malformed config was not reported once: $(cat "$out/env_probe.err")"
echo "env_probe: D3DKMT_SIM_CONFIG applied, a malformed one reported once and ignored"

step "layouts: the header's on Windows equal its on Linux (which tests/c_abi.rs checks against Rust) but for WCHAR"
$cc -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/layout.c -o "$out/layout.exe"
gcc -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/layout.c -o "$out/layout-linux"
run_wine "$out" "$out/layout-windows.txt" "$out/layout.err" ./layout.exe
"$out/layout-linux" |
    sed 's/^D3DKMT_DRIVER_DESCRIPTION size 16384$/D3DKMT_DRIVER_DESCRIPTION size 8192/;
         s/^D3DKMT_DRIVER_DESCRIPTION align 4$/D3DKMT_DRIVER_DESCRIPTION align 2/' >"$out/layout-expected.txt"
[ "$(wc -l <"$out/layout-windows.txt")" -gt 200 ] || fail "layout.exe printed too little"
diff "$out/layout-expected.txt" "$out/layout-windows.txt" || fail "Windows layouts differ"
echo "$(wc -l <"$out/layout-windows.txt") sizes, alignments and offsets; D3DKMT_DRIVER_DESCRIPTION is 4096 UTF-16 units"

step "header: MinGW gcc (C11) and g++ (C++17), -Wall -Wextra -Werror -pedantic"
hdr=$out/hdr
mkdir -p "$hdr"
# Included first: every STATUS_* code is an NTSTATUS (negative), also beside
# winternl.h and a later windows.h.
cat >"$hdr/first.c" <<'EOF'
#include "d3dkmt_sim.h"
#include <winternl.h>
#include <windows.h>
D3DKMT_SIM_STATIC_ASSERT(STATUS_INVALID_PARAMETER < 0 && STATUS_NO_MEMORY < 0 && STATUS_INVALID_HANDLE < 0,
                         "NTSTATUS codes");
D3DKMT_SIM_STATIC_ASSERT(sizeof(WCHAR) == 2 && sizeof(D3DKMT_DRIVER_DESCRIPTION) == 8192, "UTF-16");
int main(void) { return D3DKMTLock2(0) == STATUS_INVALID_PARAMETER; }
EOF
# After a plain windows.h (its three DWORD codes stay).
cat >"$hdr/after_windows.c" <<'EOF'
#include <windows.h>
#include "d3dkmt_sim.h"
int main(void) { return D3DKMTLock2(0) == (NTSTATUS)STATUS_INVALID_PARAMETER; }
EOF
# After the usual WIN32_NO_STATUS / ntstatus.h pattern.
cat >"$hdr/after_ntstatus.c" <<'EOF'
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include "d3dkmt_sim.h"
D3DKMT_SIM_STATIC_ASSERT(STATUS_INVALID_PARAMETER < 0, "NTSTATUS codes");
int main(void) { return D3DKMTLock2(0) == STATUS_INVALID_PARAMETER; }
EOF
for t in first after_windows after_ntstatus; do
    $cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude "$hdr/$t.c"
    $cxx -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude -x c++ "$hdr/$t.c"
    echo "$t: C11 and C++17"
done

step "header: D3DKMT_SIM_EXTENSIONS_ONLY beside <windows.h> and <d3dkmthk.h>, linked before gdi32"
sdk=(-idirafter "$wine_h/ddk" -idirafter "$wine_h")
$cc -std=c11 -Wall -Wextra -Werror -Iinclude "${sdk[@]}" tests/windows/sdk_header.c \
    -o "$out/sdk_header.exe" -L"$release" -ld3dkmt_sim -lgdi32
$cxx -std=c++17 -Wall -Wextra -Werror -Iinclude "${sdk[@]}" -x c++ tests/windows/sdk_header.c \
    -static-libgcc -static-libstdc++ -o "$out/sdk_header_cxx.exe" -L"$release" -ld3dkmt_sim -lgdi32
for exe in sdk_header sdk_header_cxx; do
    # Which DLL each import binds to: D3DKMT* to ours, GetStockObject to gdi32.
    binds=$(x86_64-w64-mingw32-objdump -p "$out/$exe.exe" | awk '/DLL Name:/ {dll = $3} /D3DKMT|GetStockObject/ {print dll, $NF}')
    grep -qx 'd3dkmt_sim.dll D3DKMTOpenAdapterFromLuid' <<<"$binds" && grep -qix 'gdi32.dll GetStockObject' <<<"$binds" &&
        ! grep -qi '^gdi32.dll D3DKMT' <<<"$binds" || fail "$exe.exe binds: $binds"
    checks "$exe"
done

step "header: clang in MSVC mode (x86_64-pc-windows-msvc, Wine's Windows headers)"
msvc=(clang --target=x86_64-pc-windows-msvc -fms-extensions -fsyntax-only -Wall -Wextra -Werror -Iinclude)
for t in first after_windows after_ntstatus; do
    "${msvc[@]}" -std=c11 -isystem "$wine_h/../msvcrt" -isystem "$wine_h" "$hdr/$t.c"
    echo "$t: C11"
done
"${msvc[@]}" -std=c11 -isystem "$wine_h/../msvcrt" -isystem "$wine_h" -isystem "$wine_h/ddk" tests/windows/sdk_header.c
echo "sdk_header.c (D3DKMT_SIM_EXTENSIONS_ONLY): C11"
# C++: Wine's winnt.h is not C++ clang takes in this mode, so the base types
# come from tests/windows/base_types.h (D3DKMT_SIM_NO_WINDOWS_H).
cat >"$hdr/msvc.cpp" <<'EOF'
#include <stddef.h>
#include "tests/windows/base_types.h"
#define D3DKMT_SIM_NO_WINDOWS_H
#include "d3dkmt_sim.h"
static_assert(sizeof(D3DKMT_DRIVER_DESCRIPTION) == 8192 && alignof(D3DKMT_WDDM_2_7_CAPS) == 1, "MSVC layouts");
int main() { return D3DKMTLock2(nullptr) == STATUS_INVALID_PARAMETER; }
EOF
for std in c++11 c++17 c++20; do
    "${msvc[@]}" -std=$std -I"$root" "$hdr/msvc.cpp"
done
echo "D3DKMT_SIM_NO_WINDOWS_H with SDK-spelled base types: C++11, C++17, C++20"

step "summary"
# Every step above exits on its first failure: reaching here, all passed.
echo "Rust tests under Wine: $rust_passed passed; C check programs under Wine: $c_passed passed"
echo "windows.sh took $((SECONDS - start))s"
echo "windows: $((rust_passed + c_passed)) passed, 0 failed"
