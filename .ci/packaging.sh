#!/usr/bin/env bash
# Packaging checks: the crate as a C library and as a crates.io package.
#
#   1. `cargo cinstall` (cargo-c) into a temporary prefix installs the
#      shared library with its SONAME and links, the static library, the
#      header, the pkg-config file and the CMake package, and the shared
#      library exports every function the header declares;
#   2. examples/c/demo.c builds with `pkg-config --cflags --libs d3dkmt_sim`
#      (and statically, with the .pc's Libs.private), and through
#      examples/c/Makefile, and runs;
#   3. tests/cmake/ configures against the install with CMAKE_PREFIX_PATH
#      (find_package: the crate's exact version, both components), links
#      d3dkmt_sim::d3dkmt_sim and d3dkmt_sim::static, and runs, and its CTest
#      tests (docs/guide.md's one-process-per-test recipe) pass under
#      `ctest`, each with the D3DKMT_SIM_CONFIG its ENVIRONMENT sets; the version
#      file's compatibility rule holds (tests/cmake/version.cmake); the
#      package still works after the prefix is moved (examples/c's
#      CMakeLists.txt against the moved copy) and with cargo-c's default
#      --libdir;
#   4. the Rust side: the [lib] is an rlib only, and a cdylib built with
#      --no-default-features exports no D3DKMT*/SimKmt* symbol;
#   5. `cargo package --list` holds only what belongs (no binaries, nothing
#      outside the shipped directories) and includes the licenses, the
#      changelog, the header, the CMake package and docs/contract.md;
#   6. `cargo publish --dry-run` passes without a warning (on a clean tree
#      without --allow-dirty; on a dirty one with it, said so).
#
# Installs what is missing: cargo-c 0.10.24 (`cargo install --locked`, into
# cargo's bin directory; 15-20 minutes on two cores), cmake and pkg-config
# (apt-get, as root or via sudo). Needs cargo, cc, python3, readelf and nm
# (binutils), and the crates.io registry for step 6. Honours
# CARGO_TARGET_DIR (the target directory comes from cargo metadata).
# Writes nothing into the working tree outside cargo's target directory.
# Runs in about 15 s with a warm target directory and 30 s from a cold one
# (two cores), once cargo-c is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
step() { printf '\n==> %s (%ds)\n' "$*" "$SECONDS"; }
fail() {
    echo "packaging.sh: FAIL: $*" >&2
    exit 1
}

CARGO_C_VERSION=0.10.24

step "tools"
sudo=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    # A clean image may have no package lists yet: update only if needed.
    if ! "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update -qq >/dev/null
        "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
    fi
}
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v make >/dev/null 2>&1 || missing+=(make)
if ((${#missing[@]})); then
    echo "installing ${missing[*]} with apt-get"
    apt_install "${missing[@]}"
fi
if ! cargo cinstall --version 2>/dev/null | grep -q "^cargo-c 0\.10\."; then
    echo "cargo-c missing: cargo install cargo-c --version $CARGO_C_VERSION --locked"
    t0=$SECONDS
    cargo install cargo-c --version "$CARGO_C_VERSION" --locked
    echo "cargo-c installed in $((SECONDS - t0)) s"
fi
echo "$(cargo cinstall --version | head -n 1); $(cmake --version | head -n 1); pkg-config $(pkg-config --version)"

meta=$(cargo metadata --format-version 1 --no-deps)
field() { python3 -c "import json,sys; m=json.load(sys.stdin); print($1)" <<<"$meta"; }
target_dir=$(field 'm["target_directory"]')
version=$(field '[p for p in m["packages"] if p["name"] == "d3dkmt-sim"][0]["version"]')
lib_kinds=$(field '" ".join([t for p in m["packages"] if p["name"] == "d3dkmt-sim" for t in p["targets"] if "lib" in t["kind"]][0]["crate_types"])')
# cargo-c's SONAME suffix: 0.y for 0.y.z, x from 1.0 (0.0.z keeps all three).
IFS=. read -r major minor patch <<<"$version"
if ((major > 0)); then sover=$major; elif ((minor > 0)); then sover=0.$minor; else sover=0.0.$patch; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/d3dkmt-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
libdir=$prefix/lib

step "1. cargo cinstall --release --prefix <tmp> --libdir lib"
cargo cinstall --release --prefix "$prefix" --libdir lib
for f in lib/libd3dkmt_sim.so "lib/libd3dkmt_sim.so.$sover" "lib/libd3dkmt_sim.so.$version" lib/libd3dkmt_sim.a \
    lib/pkgconfig/d3dkmt_sim.pc include/d3dkmt_sim.h \
    share/d3dkmt_sim/cmake/d3dkmt_simConfig.cmake share/d3dkmt_sim/cmake/d3dkmt_simConfigVersion.cmake; do
    [[ -e $prefix/$f ]] || fail "cargo cinstall did not install $f"
done
cmp -s include/d3dkmt_sim.h "$prefix/include/d3dkmt_sim.h" || fail "the installed header is not include/d3dkmt_sim.h"
soname=$(readelf -d "$libdir/libd3dkmt_sim.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[[ $soname == "libd3dkmt_sim.so.$sover" ]] || fail "SONAME is '$soname', want libd3dkmt_sim.so.$sover"
echo "SONAME $soname; sizes: .so $(stat -c %s "$libdir/libd3dkmt_sim.so.$version") B, .a $(stat -c %s "$libdir/libd3dkmt_sim.a") B"
declared=$(grep -o 'D3DKMT_SIM_APIENTRY \(D3DKMT\|SimKmt\)[A-Za-z0-9]*(' include/d3dkmt_sim.h | sed 's/.* //; s/($//' | sort -u)
exported=$(nm -D --defined-only "$libdir/libd3dkmt_sim.so" | awk '$2 == "T" { print $3 }' | sort -u)
unexported=$(comm -23 <(echo "$declared") <(echo "$exported"))
[[ -z $unexported ]] || fail "declared in the header but not exported: $unexported"
echo "exports all $(wc -l <<<"$declared") functions the header declares"

step "2. examples/c/demo.c with pkg-config (shared, static, the Makefile)"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[[ $(pkg-config --modversion d3dkmt_sim) == "$version" ]] || fail "pkg-config version is not $version"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
cc -std=c11 -Wall -Wextra -Werror -O2 examples/c/demo.c $(pkg-config --cflags --libs d3dkmt_sim) \
    -Wl,-rpath,"$libdir" -o "$work/demo"
readelf -d "$work/demo" | grep -q "NEEDED.*\[$soname\]" || fail "demo does not record $soname"
env -u LD_LIBRARY_PATH "$work/demo" >"$work/demo.log" || { cat "$work/demo.log"; fail "demo (shared) failed"; }
tail -n 1 "$work/demo.log"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -O2 examples/c/demo.c $(pkg-config --cflags d3dkmt_sim) \
    "$(pkg-config --variable=libdir d3dkmt_sim)/libd3dkmt_sim.a" \
    $(pkg-config --static --libs-only-l d3dkmt_sim | sed 's/-ld3dkmt_sim//') -o "$work/demo-static"
if readelf -d "$work/demo-static" | grep -q 'NEEDED.*libd3dkmt_sim'; then fail "demo-static needs the shared library"; fi
env -u LD_LIBRARY_PATH "$work/demo-static" >"$work/demo.log" || { cat "$work/demo.log"; fail "demo (static) failed"; }
tail -n 1 "$work/demo.log"
# The Makefile, from a copy (it builds next to itself).
cp -r examples/c "$work/make-demo"
make -s -C "$work/make-demo" run run-static PREFIX="$prefix" | grep -c 'every status as the contract says' | grep -qx 2 ||
    fail "make -C examples/c run run-static did not run both demos"
echo "examples/c/Makefile: run and run-static pass"
unset PKG_CONFIG_PATH

step "3. CMake: tests/cmake (find_package, both imported targets), the version rule, a moved prefix, the default libdir"
cmake -DVERSION_FILE="$prefix/share/d3dkmt_sim/cmake/d3dkmt_simConfigVersion.cmake" -P tests/cmake/version.cmake
cmake_project() { # <source> <build dir> <prefix> [cmake args]
    local src=$1 build=$2 pfx=$3
    shift 3
    cmake -S "$src" -B "$build" -DCMAKE_PREFIX_PATH="$pfx" "$@" >"$build.log" 2>&1 || { cat "$build.log"; fail "cmake -S $src failed"; }
    grep 'd3dkmt_sim' "$build.log" || true
    cmake --build "$build" >>"$build.log" 2>&1 || { cat "$build.log"; fail "cmake --build $build failed"; }
}
cmake_project tests/cmake "$work/cmake-test" "$prefix" -DD3DKMT_SIM_VERSION="$version"
readelf -d "$work/cmake-test/smoke-shared" | grep -q "NEEDED.*\[$soname\]" || fail "smoke-shared does not record $soname"
if readelf -d "$work/cmake-test/smoke-static" | grep -q 'NEEDED.*libd3dkmt_sim'; then fail "smoke-static needs the shared library"; fi
env -u LD_LIBRARY_PATH "$work/cmake-test/smoke-shared"
env -u LD_LIBRARY_PATH "$work/cmake-test/smoke-static"
# docs/guide.md, section 6: one process per test under CTest. Run with none of
# the simulator's variables inherited, so each test has only the ones its
# ENVIRONMENT property gives it.
(cd "$work/cmake-test" && env -u LD_LIBRARY_PATH -u D3DKMT_SIM_CONFIG -u D3DKMT_SIM_STRICT ctest --output-on-failure) \
    >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log"; fail "ctest in tests/cmake failed"; }
grep -q '^100% tests passed, 0 tests failed out of [1-9]' "$work/ctest.log" || { cat "$work/ctest.log"; fail "ctest ran no test"; }
grep 'tests passed' "$work/ctest.log"
# Relocatable: the same files under another prefix, nothing re-installed.
mv "$prefix" "$work/moved"
cmake_project examples/c "$work/cmake-moved" "$work/moved"
env -u LD_LIBRARY_PATH "$work/cmake-moved/demo" | tail -n 1
env -u LD_LIBRARY_PATH "$work/cmake-moved/demo-static" | tail -n 1
# cargo-c's default libdir (lib/<multiarch triplet> on Debian-like systems).
cargo cinstall --release --prefix "$work/default-libdir" >/dev/null 2>&1 || fail "cargo cinstall without --libdir failed"
echo "default libdir: $(cd "$work/default-libdir" && dirname "$(find . -name libd3dkmt_sim.a)")"
cmake_project tests/cmake "$work/cmake-default-libdir" "$work/default-libdir" -DD3DKMT_SIM_VERSION="$version"
env -u LD_LIBRARY_PATH "$work/cmake-default-libdir/smoke-shared"

step "4. Rust users: an rlib only; --no-default-features has no C surface"
[[ $lib_kinds == lib || $lib_kinds == rlib ]] || fail "the [lib] crate types are '$lib_kinds', want lib only"
echo "[lib] crate types: $lib_kinds"
cargo rustc --quiet --release --no-default-features --lib --crate-type cdylib --target-dir "$target_dir/no-c-abi"
if nm -D --defined-only "$target_dir/no-c-abi/release/libd3dkmt_sim.so" | grep -E ' (D3DKMT|SimKmt)'; then
    fail "the library built without c-abi exports C entry points"
fi
echo "no D3DKMT*/SimKmt* symbol without the c-abi feature"

step "5. cargo package --list"
list=$(cargo package --list --allow-dirty)
for f in Cargo.toml Cargo.lock README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE src/lib.rs include/d3dkmt_sim.h \
    cmake/d3dkmt_simConfig.cmake cmake/d3dkmt_simConfigVersion.cmake docs/c-library.md examples/c/demo.c; do
    grep -qx "$f" <<<"$list" || fail "the package lacks $f"
done
# docs/contract.md (the normative contract, which README links) must ship. In
# a checkout that does not have it yet, check that the include rules would
# ship it: list a copy of the tracked files with a placeholder in its place.
if [[ -f docs/contract.md ]]; then
    grep -qx docs/contract.md <<<"$list" || fail "the package lacks docs/contract.md"
else
    echo "note: docs/contract.md is not in this checkout; checking the include rules with a placeholder"
    mkdir "$work/probe"
    git ls-files -z | xargs -0 cp --parents -t "$work/probe"
    echo placeholder >"$work/probe/docs/contract.md"
    (cd "$work/probe" && CARGO_TARGET_DIR="$work/probe-target" cargo package --list --allow-dirty) | grep -qx docs/contract.md ||
        fail "the include rules would not ship docs/contract.md"
fi
bad=""
while IFS= read -r f; do
    case $f in
        Cargo.toml | Cargo.toml.orig | Cargo.lock | .cargo_vcs_info.json | README.md | CHANGELOG.md | LICENSE-MIT | LICENSE-APACHE) ;;
        src/* | include/* | cmake/* | docs/* | examples/* | tests/* | benches/*) ;;
        *) bad+=" $f (outside the shipped directories)" ;;
    esac
    [[ -f $f ]] || continue # generated by cargo (normalized manifest, VCS info)
    magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
    case $magic in
        7f454c46 | 213c6172 | cffaedfe | cefaedfe | 4d5a*) bad+=" $f (a binary)" ;;
    esac
    case $f in
        *.o | *.a | *.so | *.so.* | *.dylib | *.dll | *.lib | *.exe | *.rlib | *.crate) bad+=" $f (a build output)" ;;
    esac
    (($(stat -c %s "$f") <= 512 * 1024)) || bad+=" $f (over 512 KiB)"
done <<<"$list"
[[ -z $bad ]] || fail "stray files in the package:$bad"
echo "$(wc -l <<<"$list") files, none stray"

step "6. cargo publish --dry-run"
dirty=()
if [[ -n $(git status --porcelain) ]]; then
    echo "note: the working tree has uncommitted changes: --allow-dirty (a clean tree is checked without it)"
    dirty=(--allow-dirty)
fi
# Its verification build gets a target directory of its own: built in the
# shared one, the packaged copy's lib takes the workspace lib's place in
# cargo's fingerprints, and later builds there skip real source changes.
CARGO_TARGET_DIR="$target_dir/publish-verify" cargo publish --dry-run "${dirty[@]}" 2>&1 | tee "$work/publish.log"
# The one warning a dry run always prints is its own.
if grep -i '^warning' "$work/publish.log" | grep -v 'aborting upload due to dry run'; then
    fail "cargo publish --dry-run warned"
fi

printf '\npackaging.sh: PASS in %d s\n' "$SECONDS"
