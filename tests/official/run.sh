#!/usr/bin/env bash
# Builds programs written against Microsoft's official WDDM headers and links
# them against libd3dkmt_sim: Microsoft's libdxgtest (the D3DKMT smoke test
# WSL ships with) unmodified, and extensions_only.cpp, which mixes the
# official d3dkmthk.h with this project's header in D3DKMT_SIM_EXTENSIONS_ONLY
# mode. Neither set of headers is in this repository (they are Microsoft's),
# so this check is opt-in: CI cannot download them.
#
# Usage: tests/official/run.sh <libdxg checkout> <libdxgtest checkout>
#   <libdxg checkout>      github.com/microsoft/libdxg (include/d3dkmthk.h, ...)
#   <libdxgtest checkout>  github.com/microsoft/libdxgtest (src/main.cpp)
# DirectX-Headers' WSL stubs come from Debian's directx-headers-dev (installed
# if missing) or from DXHEADERS_INCLUDE=<dir holding wsl/winadapter.h>.
set -euo pipefail
cd "$(dirname "$0")/../.."
libdxg=${1:?usage: $0 <libdxg checkout> <libdxgtest checkout>}
libdxgtest=${2:?usage: $0 <libdxg checkout> <libdxgtest checkout>}
dx=${DXHEADERS_INCLUDE:-/usr/include}
if [ ! -f "$dx/wsl/winadapter.h" ]; then
    apt-get install -y -qq directx-headers-dev >/dev/null
fi
out=$(mktemp -d)
# libdxgtest includes <dxg/d3dkmthk.h>; the headers include each other flat.
mkdir -p "$out/inc/dxg"
cp "$libdxg"/include/*.h "$out/inc/dxg/"
flags=(-std=c++17 -w -D_LINUX_ -I"$dx" -I"$dx/wsl/stubs" -I"$out/inc" -I"$out/inc/dxg" -Iinclude -pthread)

# The crate's [lib] is an rlib only: ask for the cdylib.
cargo rustc --release --quiet --lib --crate-type cdylib
lib=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release

g++ "${flags[@]}" "$libdxgtest/src/main.cpp" -L"$lib" -ld3dkmt_sim -Wl,-rpath,"$lib" -o "$out/libdxgtest"
g++ "${flags[@]}" tests/official/extensions_only.cpp -L"$lib" -ld3dkmt_sim -Wl,-rpath,"$lib" -o "$out/extensions_only"

status=0
log=$("$out/libdxgtest" -tn TestAll -v 2) || status=$?
echo "$log"
for t in TestOpenAdapterFromLuid TestCreateDevice TestCreateThread TestCreateContext; do
    grep -q "^$t SUCCESS" <<<"$log" || { echo "libdxgtest: $t did not succeed" >&2; status=1; }
done
if grep -q FAILED <<<"$log"; then status=1; fi
env -u LD_LIBRARY_PATH "$out/extensions_only" || status=1
rm -rf "$out"
[ "$status" = 0 ] && echo "official headers: libdxgtest TestAll and extensions_only passed"
exit "$status"
