//! The C face, tested from C: the header compiles as C11 and C++17 with
//! warnings as errors, its sizes and offsets equal the Rust (windows-sys)
//! layouts, and the C conformance suites (`tests/c/conformance.c`,
//! `tests/c/kmt.c`) pass linked against both `libd3dkmt_sim.so` and
//! `libd3dkmt_sim.a`; libdxgtest's call sequence
//! (`tests/c/libdxgtest_sequence.c`) runs as an unmodified program; and the
//! C recipes of `docs/guide.md` (`tests/c/guide_*.c`, and the CTest cases of
//! `tests/cmake/CMakeLists.txt`) run as the guide says.
//!
//! The crate's `[lib]` is an rlib only (Rust users do not build the C
//! libraries), so this test builds the cdylib and staticlib itself, from the
//! sources under test and with this build's profile, into a target directory
//! of its own (`lib_dir`): `cargo test` alone runs every C suite.
//!
//! Not built for Windows: these tests drive a host `gcc` from inside the test
//! process and link ELF `.so`/`.a` files with Unix flags (`-Wl,-rpath`,
//! `LD_LIBRARY_PATH`, glibc's native libraries), and under Wine, where CI
//! runs the Windows build, a test process cannot start Linux compilers.
//! `.ci/windows.sh` builds the same C programs with MinGW against
//! `d3dkmt_sim.dll` and its import library and runs them under Wine.
#![cfg(not(windows))]
#![allow(clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use core::mem::{align_of, offset_of, size_of};
use d3dkmt_sim::ffi::{
    SIMKMT_ADAPTER_DESC, SIMKMT_ALLOCATION_DESC, SIMKMT_ALLOCATION_INFO, SIMKMT_CONFIG, SIMKMT_CONFIG_EX, SIMKMT_FAULT,
    SIMKMT_SUBMIT,
};
use d3dkmt_sim::ffi::{SIMKMT_ALLOCATION_ANSWER, SIMKMT_ALLOCATION_REQUEST};
use windows_sys::Wdk::Graphics::Direct3D::*;

/// Native libraries the Rust staticlib needs (`--print native-static-libs`).
const STATIC_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the `libd3dkmt_sim.so` and `libd3dkmt_sim.a` under
/// test, built on first use by `cargo rustc --lib --crate-type cdylib
/// --crate-type staticlib` (the cargo that built this test, `env!("CARGO")`)
/// with this test binary's profile, into `c-libs/` beside the outer build's
/// `tmp/` (`CARGO_TARGET_TMPDIR`: `<target dir>/tmp`, or
/// `<target dir>/<triple>/tmp` under `--target`), so `CARGO_TARGET_DIR` is
/// honoured. A directory of its own: the outer build's rlib and
/// fingerprints are left alone and its lock is not needed. The libraries
/// are built for the host, as the C compiler these tests run (`gcc`) is the
/// host's.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(build_c_libraries)
}

/// The sanitizer the C suites are built with, from
/// `D3DKMT_SIM_C_SANITIZER` (`.ci/asan.sh` sets `address`; nightly only):
/// the libraries are then built with `-Zsanitizer=<name>` for the host
/// triple given as `--target` (so build scripts are not instrumented), and
/// the C programs are compiled and linked with `-fsanitize=<name>`. Unset,
/// nothing changes.
fn sanitizer() -> Option<String> {
    std::env::var("D3DKMT_SIM_C_SANITIZER").ok().filter(|s| !s.is_empty())
}

fn build_c_libraries() -> PathBuf {
    let own_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("c-libs");
    let own_dir = match sanitizer() {
        Some(san) => own_dir.join(format!("sanitizer-{san}")),
        None => own_dir,
    };
    // This binary is <...>/<profile dir>/deps/c_abi-<hash>.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let profile_dir_name = profile_dir.file_name().unwrap().to_str().unwrap();
    let profile = match profile_dir_name {
        "debug" => "dev",
        other => other,
    };
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("rustc")
        .arg("--manifest-path")
        .arg(root().join("Cargo.toml"))
        .args(["--lib", "--crate-type", "cdylib", "--crate-type", "staticlib"])
        .args(["--no-default-features", "--features", "c-abi", "--profile", profile])
        .arg("--target-dir")
        .arg(&own_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    let mut dir = own_dir.clone();
    if let Some(san) = sanitizer() {
        let host = host();
        cmd.args(["--target", host]).env("RUSTFLAGS", format!("-Zsanitizer={san}"));
        dir = dir.join(host);
    }
    run(&mut cmd);
    let dir = dir.join(profile_dir_name);
    for lib in ["libd3dkmt_sim.so", "libd3dkmt_sim.a"] {
        assert!(dir.join(lib).exists(), "{lib} is not in {} after {cmd:?}", dir.display());
    }
    dir
}

fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "c_abi-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Runs a C program linked against the shared library. `cargo test` sets
/// `LD_LIBRARY_PATH` to directories that may hold another copy of the
/// library (left by an earlier `cargo rustc --crate-type cdylib`), and the loader searches it
/// before the program's run path; without it, the program loads exactly the
/// library it was linked against.
fn c_program(exe: &Path) -> Command {
    c_program_via(exe.as_os_str())
}

/// [`c_program`]'s environment for any launcher (a shell that sets a limit
/// and `exec`s the program, say).
fn c_program_via(launcher: &std::ffi::OsStr) -> Command {
    let mut cmd = Command::new(launcher);
    cmd.env_remove("LD_LIBRARY_PATH").env_remove("D3DKMT_SIM_CONFIG");
    cmd
}

/// A command running the C (or, with `cpp`, the C++) compiler, found the
/// way cargo's build scripts find it: the `cc` crate's rules (`CC`/`CXX`,
/// `TARGET_CC`, `CC_<triple>`, …, else the platform's `cc`/`c++`), for the
/// host this test runs on. A machine with only clang works; so does a
/// compiler chosen by `CC`.
fn compiler(cpp: bool) -> Command {
    let host = host();
    let tool = cc::Build::new()
        .cpp(cpp)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .warnings(false)
        .target(host)
        .host(host)
        .opt_level(0)
        .debug(false)
        .get_compiler();
    // The compiler alone: these tests pass every flag themselves.
    Command::new(tool.path())
}

/// The host's target triple, as `rustc -vV` names it.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let out = run(Command::new(rustc).arg("-vV"));
        let text = String::from_utf8(out.stdout).unwrap();
        let host = text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host");
        host.to_owned()
    })
}

fn include() -> String {
    format!("-I{}", root().join("include").display())
}

/// Compiles C sources into an executable linked against the library.
fn build_c(sources: &[&str], out: &Path, link: Link) -> PathBuf {
    let mut cmd = compiler(false);
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-pthread"]).arg(include());
    for s in sources {
        cmd.arg(root().join(s));
    }
    cmd.arg("-o").arg(out);
    if let Some(san) = sanitizer() {
        cmd.arg(format!("-fsanitize={san}")).arg("-fno-omit-frame-pointer");
    }
    match link {
        Link::Shared => {
            cmd.arg(format!("-L{}", lib_dir().display()))
                .arg(format!("-Wl,-rpath,{}", lib_dir().display()))
                .arg("-ld3dkmt_sim");
        }
        Link::Static => {
            cmd.arg(lib_dir().join("libd3dkmt_sim.a")).args(STATIC_LIBS);
        }
    }
    run(&mut cmd);
    out.to_path_buf()
}

#[derive(Clone, Copy)]
enum Link {
    Shared,
    Static,
}

fn header_compiles(cpp: bool, std: &str, lang: &str, defines: &[&str]) {
    let dir = scratch("hdr");
    let src = dir.join(if lang == "c" { "t.c" } else { "t.cpp" });
    let prelude = if defines.contains(&"-DD3DKMT_SIM_EXTENSIONS_ONLY") {
        // What a translation unit that already has the official headers
        // provides before including ours.
        "#include <stdint.h>\ntypedef int32_t NTSTATUS;\ntypedef uint32_t UINT32;\ntypedef uint64_t UINT64;\n\
         typedef uint32_t UINT;\ntypedef UINT D3DKMT_HANDLE;\n"
    } else {
        ""
    };
    std::fs::write(&src, format!("{prelude}#include \"d3dkmt_sim.h\"\nint main(void) {{ return 0; }}\n")).unwrap();
    run(compiler(cpp)
        .args([std, "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .args(defines)
        .arg(include())
        .arg(&src));
}

#[test]
fn header_compiles_as_c11_with_warnings_as_errors() {
    header_compiles(false, "-std=c11", "c", &[]);
}

/// The C builds take the compiler cargo's build scripts would: here `CC`
/// names a wrapper that logs each call and runs the real compiler, and a
/// child run of this binary, filtered to one header test, goes through it.
#[test]
fn c_builds_use_the_compiler_cargo_would_choose() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("cc");
    let log = dir.join("calls.log");
    let wrapper = dir.join("logging-cc");
    let real = compiler(false).get_program().to_owned();
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), Path::new(&real).display()),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "header_compiles_as_c11_with_warnings_as_errors", "--test-threads=1"])
        .env("CC", &wrapper)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("1 passed"), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(calls.contains("-fsyntax-only"), "the header test did not call $CC: {calls:?}");
}

#[test]
fn header_compiles_as_cxx17_with_warnings_as_errors() {
    header_compiles(true, "-std=c++17", "c++", &[]);
}

#[test]
fn header_extensions_only_mode_compiles_in_c_and_cxx() {
    header_compiles(false, "-std=c11", "c", &["-DD3DKMT_SIM_EXTENSIONS_ONLY"]);
    header_compiles(true, "-std=c++17", "c++", &["-DD3DKMT_SIM_EXTENSIONS_ONLY"]);
}

/// `(struct, C field name, offset)` of every docs/contract.md §2 and §9 layout, from
/// the Rust types the ABI uses (windows-sys names its unions `Anonymous*`;
/// the second column is the C member name).
fn rust_layouts() -> Vec<(&'static str, &'static str, usize)> {
    macro_rules! s {
        ($v:ident, $ty:ident, $($c:literal = $f:ident),*) => {
            $v.push((stringify!($ty), "size", size_of::<$ty>()));
            $v.push((stringify!($ty), "align", align_of::<$ty>()));
            $($v.push((stringify!($ty), $c, offset_of!($ty, $f)));)*
        };
    }
    let mut v = Vec::new();
    s!(v, D3DKMT_LOCK2, "hDevice" = hDevice, "hAllocation" = hAllocation, "Flags" = Flags, "pData" = pData);
    s!(v, D3DKMT_UNLOCK2, "hDevice" = hDevice, "hAllocation" = hAllocation);
    s!(
        v,
        D3DKMT_LOCK,
        "hDevice" = hDevice,
        "hAllocation" = hAllocation,
        "PrivateDriverData" = PrivateDriverData,
        "NumPages" = NumPages,
        "pPages" = pPages,
        "pData" = pData,
        "Flags" = Flags,
        "GpuVirtualAddress" = GpuVirtualAddress
    );
    s!(v, D3DKMT_UNLOCK, "hDevice" = hDevice, "NumAllocations" = NumAllocations, "phAllocations" = phAllocations);
    s!(
        v,
        D3DKMT_ADAPTERINFO,
        "hAdapter" = hAdapter,
        "AdapterLuid" = AdapterLuid,
        "NumOfSources" = NumOfSources,
        "bPrecisePresentRegionsPreferred" = bPrecisePresentRegionsPreferred
    );
    s!(v, D3DKMT_ENUMADAPTERS2, "NumAdapters" = NumAdapters, "pAdapters" = pAdapters);
    s!(v, D3DKMT_OPENADAPTERFROMLUID, "AdapterLuid" = AdapterLuid, "hAdapter" = hAdapter);
    s!(v, D3DKMT_CLOSEADAPTER, "hAdapter" = hAdapter);
    s!(
        v,
        D3DKMT_CREATEDEVICE,
        "hAdapter" = Anonymous,
        "Flags" = Flags,
        "hDevice" = hDevice,
        "pCommandBuffer" = pCommandBuffer,
        "CommandBufferSize" = CommandBufferSize,
        "pAllocationList" = pAllocationList,
        "AllocationListSize" = AllocationListSize,
        "pPatchLocationList" = pPatchLocationList,
        "PatchLocationListSize" = PatchLocationListSize
    );
    s!(v, D3DKMT_DESTROYDEVICE, "hDevice" = hDevice);
    s!(
        v,
        D3DKMT_CREATEALLOCATION,
        "hDevice" = hDevice,
        "hResource" = hResource,
        "hGlobalShare" = hGlobalShare,
        "pPrivateRuntimeData" = pPrivateRuntimeData,
        "PrivateRuntimeDataSize" = PrivateRuntimeDataSize,
        "pPrivateDriverData" = Anonymous1,
        "PrivateDriverDataSize" = PrivateDriverDataSize,
        "NumAllocations" = NumAllocations,
        "pAllocationInfo2" = Anonymous2,
        "Flags" = Flags,
        "hPrivateRuntimeResourceHandle" = hPrivateRuntimeResourceHandle
    );
    s!(
        v,
        D3DDDI_ALLOCATIONINFO,
        "hAllocation" = hAllocation,
        "pSystemMem" = pSystemMem,
        "pPrivateDriverData" = pPrivateDriverData,
        "PrivateDriverDataSize" = PrivateDriverDataSize,
        "VidPnSourceId" = VidPnSourceId,
        "Flags" = Flags
    );
    s!(
        v,
        D3DDDI_ALLOCATIONINFO2,
        "hAllocation" = hAllocation,
        "pSystemMem" = Anonymous1,
        "pPrivateDriverData" = pPrivateDriverData,
        "PrivateDriverDataSize" = PrivateDriverDataSize,
        "VidPnSourceId" = VidPnSourceId,
        "Flags" = Flags,
        "GpuVirtualAddress" = GpuVirtualAddress,
        "Priority" = Anonymous2,
        "Reserved" = Reserved
    );
    s!(
        v,
        D3DKMT_DESTROYALLOCATION2,
        "hDevice" = hDevice,
        "hResource" = hResource,
        "phAllocationList" = phAllocationList,
        "AllocationCount" = AllocationCount,
        "Flags" = Flags
    );
    s!(v, D3DKMT_GETDEVICESTATE, "hDevice" = hDevice, "StateType" = StateType, "ExecutionState" = Anonymous);
    s!(
        v,
        SIMKMT_CONFIG,
        "Size" = Size,
        "AdapterCount" = AdapterCount,
        "PageSize" = PageSize,
        "MaxLockReferences" = MaxLockReferences,
        "BusyPolicy" = BusyPolicy,
        "WaitTimeoutMs" = WaitTimeoutMs,
        "AdapterMemoryBytes" = AdapterMemoryBytes,
        "Seed" = Seed
    );
    s!(
        v,
        SIMKMT_SUBMIT,
        "hDevice" = hDevice,
        "NumAllocations" = NumAllocations,
        "phAllocations" = phAllocations,
        "FenceValue" = FenceValue
    );
    s!(
        v,
        SIMKMT_ALLOCATION_INFO,
        "SizeInBytes" = SizeInBytes,
        "PageCount" = PageCount,
        "LockCount" = LockCount,
        "Busy" = Busy,
        "Flags" = Flags
    );
    s!(
        v,
        SIMKMT_FAULT,
        "Call" = Call,
        "Nth" = Nth,
        "Count" = Count,
        "Action" = Action,
        "Status" = Status,
        "Reserved" = Reserved
    );
    s!(v, SIMKMT_ALLOCATION_DESC, "Version" = Version, "Flags" = Flags, "SizeInBytes" = SizeInBytes);
    // docs/contract.md §10: adapter queries and contexts.
    s!(v, D3DKMT_ENUMADAPTERS3, "Filter" = Filter, "NumAdapters" = NumAdapters, "pAdapters" = pAdapters);
    s!(
        v,
        D3DKMT_QUERYADAPTERINFO,
        "hAdapter" = hAdapter,
        "Type" = Type,
        "pPrivateDriverData" = pPrivateDriverData,
        "PrivateDriverDataSize" = PrivateDriverDataSize
    );
    s!(v, D3DKMT_QUERY_DEVICE_IDS, "PhysicalAdapterIndex" = PhysicalAdapterIndex, "DeviceIds" = DeviceIds);
    s!(
        v,
        D3DKMT_DEVICE_IDS,
        "VendorID" = VendorID,
        "DeviceID" = DeviceID,
        "SubVendorID" = SubVendorID,
        "SubSystemID" = SubSystemID,
        "RevisionID" = RevisionID,
        "BusType" = BusType
    );
    s!(v, D3DKMT_ADAPTERTYPE,);
    s!(v, D3DKMT_WDDM_2_7_CAPS,);
    s!(
        v,
        D3DKMT_ADAPTERADDRESS,
        "BusNumber" = BusNumber,
        "DeviceNumber" = DeviceNumber,
        "FunctionNumber" = FunctionNumber
    );
    s!(
        v,
        D3DKMT_SEGMENTSIZEINFO,
        "DedicatedVideoMemorySize" = DedicatedVideoMemorySize,
        "DedicatedSystemMemorySize" = DedicatedSystemMemorySize,
        "SharedSystemMemorySize" = SharedSystemMemorySize
    );
    s!(v, D3DKMT_PHYSICAL_ADAPTER_COUNT, "Count" = Count);
    s!(v, D3DDDI_CREATECONTEXTFLAGS,);
    s!(
        v,
        D3DKMT_CREATECONTEXTVIRTUAL,
        "hDevice" = hDevice,
        "NodeOrdinal" = NodeOrdinal,
        "EngineAffinity" = EngineAffinity,
        "Flags" = Flags,
        "pPrivateDriverData" = pPrivateDriverData,
        "PrivateDriverDataSize" = PrivateDriverDataSize,
        "ClientHint" = ClientHint,
        "hContext" = hContext
    );
    s!(v, D3DKMT_DESTROYCONTEXT, "hContext" = hContext);
    s!(
        v,
        SIMKMT_ADAPTER_DESC,
        "Size" = Size,
        "Kind" = Kind,
        "VendorId" = VendorId,
        "DeviceId" = DeviceId,
        "SubVendorId" = SubVendorId,
        "SubSystemId" = SubSystemId,
        "RevisionId" = RevisionId,
        "HwScheduling" = HwScheduling,
        "DriverVersion" = DriverVersion,
        "NodeCount" = NodeCount,
        "EnginesPerNode" = EnginesPerNode,
        "pDescription" = pDescription,
        "pUmdPrivateData" = pUmdPrivateData,
        "UmdPrivateDataSize" = UmdPrivateDataSize,
        "Reserved" = Reserved
    );
    s!(
        v,
        SIMKMT_CONFIG_EX,
        "Base" = Base,
        "NumAdapterDescs" = NumAdapterDescs,
        "Reserved" = Reserved,
        "pAdapterDescs" = pAdapterDescs
    );
    // The driver description holds the host's WCHAR (UTF-32 off Windows).
    v.push(("D3DKMT_DRIVER_DESCRIPTION", "size", 4096 * size_of::<d3dkmt_sim::ffi::WCHAR>()));
    s!(
        v,
        SIMKMT_ALLOCATION_REQUEST,
        "pResourcePrivateDriverData" = pResourcePrivateDriverData,
        "ResourcePrivateDriverDataSize" = ResourcePrivateDriverDataSize,
        "AllocationIndex" = AllocationIndex,
        "pPrivateDriverData" = pPrivateDriverData,
        "PrivateDriverDataSize" = PrivateDriverDataSize,
        "Flags" = Flags,
        "HasSystemMemory" = HasSystemMemory,
        "Reserved" = Reserved
    );
    s!(v, SIMKMT_ALLOCATION_ANSWER, "SizeInBytes" = SizeInBytes, "Flags" = Flags, "Placement" = Placement);
    v
}

#[test]
fn header_layouts_equal_the_rust_layouts() {
    let dir = scratch("layout");
    let exe = dir.join("layout");
    run(compiler(false)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .arg(include())
        .arg(root().join("tests/c/layout.c"))
        .arg("-o")
        .arg(&exe));
    let out = String::from_utf8(run(&mut Command::new(&exe)).stdout).unwrap();
    // Lines: `NAME size N`, `NAME align N` and `NAME.field N`.
    let mut c = std::collections::HashMap::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [name, what @ ("size" | "align"), n] => {
                c.insert((name.to_string(), what.to_string()), n.parse::<usize>().unwrap())
            }
            [path, n] => {
                let (name, field) = path.split_once('.').unwrap_or_else(|| panic!("bad line {line:?}"));
                c.insert((name.to_string(), field.to_string()), n.parse::<usize>().unwrap())
            }
            _ => panic!("unexpected line from layout.c: {line:?}"),
        };
    }
    let mut mismatches = Vec::new();
    for (name, field, rust) in rust_layouts() {
        match c.get(&(name.to_string(), field.to_string())) {
            Some(&cv) if cv == rust => {}
            other => mismatches.push(format!("{name}.{field}: Rust {rust}, C {other:?}")),
        }
    }
    assert!(mismatches.is_empty(), "header and Rust layouts differ:\n{}", mismatches.join("\n"));
}

fn driver_model(link: Link) {
    let dir = scratch("driver");
    let exe = build_c(&["tests/c/driver_model.c"], &dir.join("driver_model"), link);
    let out = c_program(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "C driver-model test failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn c_driver_model_test_passes_against_the_shared_library() {
    driver_model(Link::Shared);
}

#[test]
fn c_driver_model_test_passes_against_the_static_library() {
    driver_model(Link::Static);
}

fn conformance(link: Link) {
    c_checks("tests/c/conformance.c", link, &[], &[]);
}

#[test]
fn c_conformance_suite_passes_against_the_shared_library() {
    conformance(Link::Shared);
}

#[test]
fn c_conformance_suite_passes_against_the_static_library() {
    conformance(Link::Static);
}

/// The conformance suite under valgrind's memcheck, against the static
/// library (so the Rust code is checked too): no invalid read or write, no
/// use of uninitialised memory, no definite leak. Ignored by `cargo test`
/// (it needs valgrind); `.ci/run` runs it
/// (`cargo test --test c_abi -- --ignored memcheck`). One test is left
/// out: it reserves 1 TiB of address space, more than valgrind gives a
/// program.
#[test]
#[ignore = "needs valgrind; .ci/run runs it"]
fn c_conformance_suite_is_memcheck_clean() {
    let dir = scratch("memcheck");
    let exe = build_c(&["tests/c/conformance.c"], &dir.join("conformance"), Link::Static);
    let out = c_program_via("valgrind".as_ref())
        .args(["--tool=memcheck", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite"])
        .args(["--track-origins=yes", "--fair-sched=yes", "-q"])
        .arg(&exe)
        .arg("-lazy_commit_1tib")
        .output()
        .unwrap_or_else(|e| panic!("cannot run valgrind (is it installed?): {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "memcheck found errors ({}):\n{stderr}\n{stdout}", out.status);
    let last = stdout.lines().rev().find(|l| l.contains(" passed, ")).expect("a summary line");
    assert!(last.ends_with(" 0 failed"), "summary: {last}");
}

/// Builds and runs a C test program (the conformance suite, or one of the
/// smaller ones sharing `tests/c/check.h`): it exits 0 and its summary line
/// says every check passed.
fn c_checks(source: &str, link: Link, args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = scratch("checks");
    let exe = build_c(&[source], &dir.join("checks"), link);
    let out = c_program(&exe).args(args).envs(env.iter().copied()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(out.status.success(), "{source} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().rev().find(|l| l.contains(" passed, ")).expect("a summary line");
    assert!(last.ends_with(" 0 failed") && !last.starts_with("0 passed"), "summary: {last}");
    stdout
}

/// An unmodified C program that uses the default simulator under a real
/// `ulimit -v 300000` (docs/memory.md): creation fails with
/// `STATUS_NO_MEMORY`, never a crash or `STATUS_INTERNAL_ERROR`, and the
/// simulator stays usable. Against both libraries.
///
/// Skipped under AddressSanitizer (`.ci/asan.sh` passes `--skip`): an ASan
/// program reserves about 14 TiB for its shadow memory at start-up, which
/// `ulimit -v 300000` refuses, so it cannot start at all.
#[test]
#[cfg(unix)] // `ulimit -v` is a POSIX shell's; Windows has no per-process address-space limit to set.
fn c_program_under_a_memory_limit_gets_no_memory_and_carries_on() {
    for link in [Link::Shared, Link::Static] {
        let dir = scratch("oom");
        let exe = build_c(&["tests/c/oom.c"], &dir.join("oom"), link);
        let out =
            c_program_via("sh".as_ref()).arg("-c").arg("ulimit -v 300000 && exec \"$0\"").arg(&exe).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        println!("{stdout}");
        assert!(
            out.status.success(),
            "oom.c failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("allocations: 0xC0000017"), "the limit, not the budget, refused: {stdout}");
    }
}

#[test]
fn c_adapter_queries_and_contexts_pass_against_both_libraries() {
    c_checks("tests/c/kmt.c", Link::Shared, &[], &[]);
    c_checks("tests/c/kmt.c", Link::Static, &[], &[]);
}

/// libdxgtest's sequence as an unmodified program runs it: on the built-in
/// default adapter, and on a configuration (from `D3DKMT_SIM_CONFIG`, as an
/// unmodified program is configured) with a compute-only second adapter,
/// which `IncludeComputeOnly` lists, and hardware scheduling enabled, so the
/// context asks for a hardware queue.
#[test]
fn c_libdxgtest_sequence_runs_unmodified() {
    let out = c_checks("tests/c/libdxgtest_sequence.c", Link::Shared, &["1", "d3dkmt-sim simulated adapter"], &[]);
    assert!(out.contains("ids D3D5:0001") && out.contains(" render"), "{out}");
    let config = [("D3DKMT_SIM_CONFIG", "adapters=2,hw_sched=enabled,a1.kind=compute,description=Sim GPU")];
    let out = c_checks("tests/c/libdxgtest_sequence.c", Link::Static, &["2", "Sim GPU"], &config);
    assert!(out.contains("compute_only") && out.contains("hwsch_enabled"), "{out}");
}

#[test]
fn c_example_builds_and_runs() {
    let dir = scratch("example");
    let exe = build_c(&["examples/c/demo.c"], &dir.join("demo"), Link::Shared);
    let out = run(&mut c_program(&exe));
    assert!(!out.stdout.is_empty());
}

/// The C timing harness (`benches/c/lock_pair.c`) builds against the shared
/// library and runs to the end with every call succeeding. Its timings are
/// printed, never asserted: performance is measured in benches.
#[test]
fn c_timing_harness_builds_and_runs() {
    let dir = scratch("lock_pair");
    let exe = build_c(&["benches/c/lock_pair.c"], &dir.join("lock_pair"), Link::Shared);
    let out = run(c_program(&exe).arg("0.01"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ratio to the atomic pair"), "{stdout}");
}

/// A C program that prints how many adapters the process-wide simulator
/// has, and the configuration `SimKmtQueryConfig` reports, as an unmodified
/// program would see them through `D3DKMT_SIM_CONFIG`.
const ENV_PROBE: &str = r#"
#include <stdio.h>
#include "d3dkmt_sim.h"
int main(void) {
    D3DKMT_ENUMADAPTERS2 e = {0};
    NTSTATUS s = D3DKMTEnumAdapters2(&e);
    printf("status %d adapters %u\n", (int)s, e.NumAdapters);
    SIMKMT_CONFIG c = {0};
    c.Size = sizeof c;
    s = SimKmtQueryConfig(&c);
    printf("query %d adapters %u page %u refs %u busy %u wait %u memory %llu seed %llu\n", (int)s,
           c.AdapterCount, c.PageSize, c.MaxLockReferences, c.BusyPolicy, c.WaitTimeoutMs,
           (unsigned long long)c.AdapterMemoryBytes, (unsigned long long)c.Seed);
    return 0;
}
"#;

/// Runs [`ENV_PROBE`] with `D3DKMT_SIM_CONFIG` (and more) set: its exit
/// code, stdout and stderr.
fn env_probe_with(env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let exe = EXE.get_or_init(|| {
        let dir = scratch("env");
        let src = dir.join("probe.c");
        std::fs::write(&src, ENV_PROBE).unwrap();
        build_c(&[src.to_str().unwrap()], &dir.join("probe"), Link::Shared)
    });
    let out = c_program(exe).env_remove("D3DKMT_SIM_STRICT").envs(env.iter().copied()).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn env_probe(config: Option<&str>) -> (String, String) {
    let env: Vec<(&str, &str)> = config.map(|c| ("D3DKMT_SIM_CONFIG", c)).into_iter().collect();
    let (code, out, err) = env_probe_with(&env);
    assert_eq!(code, Some(0), "the probe failed:\n{out}\n{err}");
    (out, err)
}

#[test]
fn unmodified_programs_are_configured_through_the_environment() {
    let (out, _) = env_probe(None);
    assert_eq!(out.lines().next(), Some("status 0 adapters 1"));
    let (out, _) = env_probe(Some("adapters=3,max_lock_refs=8,busy=wait,adapter_memory=64M,seed=5"));
    assert_eq!(out.lines().next(), Some("status 0 adapters 3"));
}

/// `SimKmtQueryConfig` returns what the variable set, defaults filled in.
#[test]
fn query_config_returns_what_the_environment_set() {
    let (out, _) = env_probe(Some("adapters=3,max_lock_refs=8,busy=wait,adapter_memory=64M,seed=5"));
    assert_eq!(
        out.lines().nth(1),
        Some("query 0 adapters 3 page 4096 refs 8 busy 1 wait 1000 memory 67108864 seed 5"),
        "{out}"
    );
    let (out, _) = env_probe(None);
    assert_eq!(
        out.lines().nth(1),
        Some("query 0 adapters 1 page 4096 refs 1024 busy 0 wait 1000 memory 4294967296 seed 0"),
        "{out}"
    );
}

#[test]
fn a_malformed_environment_config_is_reported_once_and_defaults_are_used() {
    let (out, err) = env_probe(Some("adapters=3,busy=sometimes"));
    assert_eq!(out.lines().next(), Some("status 0 adapters 1"));
    assert_eq!(err.matches("D3DKMT_SIM_CONFIG").count(), 1, "stderr: {err}");
    assert!(err.contains("busy=sometimes"), "the message names the bad pair: {err}");
    assert!(err.contains("fail, wait or ignore"), "the message says what is allowed: {err}");
}

/// An out-of-range value: one line naming the key, the value and the range;
/// with `D3DKMT_SIM_STRICT=1` the process exits with status 2 after it.
#[test]
fn an_out_of_range_value_names_its_range_and_strict_mode_exits_2() {
    let (code, out, err) = env_probe_with(&[("D3DKMT_SIM_CONFIG", "adapters=99")]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().next(), Some("status 0 adapters 1"), "the defaults are used");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("adapters=99") && err.contains("1 to 16"), "{err}");

    let (code, out, err) = env_probe_with(&[("D3DKMT_SIM_CONFIG", "adapters=99"), ("D3DKMT_SIM_STRICT", "1")]);
    assert_eq!(code, Some(2), "strict mode ends the process: {out}{err}");
    assert!(out.is_empty(), "nothing ran on the wrong configuration: {out}");
    assert!(err.contains("adapters=99") && err.contains("1 to 16") && err.contains("D3DKMT_SIM_STRICT"), "{err}");

    // A key given twice is malformed too.
    let (code, _, err) = env_probe_with(&[("D3DKMT_SIM_CONFIG", "seed=1,seed=2"), ("D3DKMT_SIM_STRICT", "1")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("seed=2") && err.contains("twice"), "{err}");
    // And a good configuration runs under strict mode.
    let (code, out, _) = env_probe_with(&[("D3DKMT_SIM_CONFIG", "adapters=2"), ("D3DKMT_SIM_STRICT", "1")]);
    assert_eq!((code, out.lines().next()), (Some(0), Some("status 0 adapters 2")));
}

// === docs/guide.md's C recipes ===
//
// Each C recipe of the guide is a file `tests/c/guide_*.c`, built with
// warnings as errors against both libraries and run here. `GUIDE_C_FILES`
// is the list; `the_guide_names_only_c_files_that_run` keeps it and the
// guide in step, so a recipe the guide shows cannot go unrun.

/// Every C file of docs/guide.md, and the test below that runs it.
const GUIDE_C_FILES: &[&str] = &[
    "tests/c/guide_lock2_statuses.c", // guide_c_lock2_statuses_pass_against_both_libraries
    "tests/c/guide_device_loss.c",    // guide_c_device_loss_passes_against_both_libraries
    "tests/c/guide_reset.c",          // guide_c_reset_passes_against_both_libraries
    "tests/c/guide_ctest.c",          // guide_c_ctest_cases_run_one_process_each_as_tests_cmake_declares
    "tests/c/guide_config.c",         // guide_c_config_is_read_from_the_environment
];

#[test]
fn the_guide_names_only_c_files_that_run() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    let mut named: Vec<String> = Vec::new();
    let mut rest = guide.as_str();
    while let Some(at) = rest.find("guide_") {
        let tail = &rest[at..];
        let len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(tail.len());
        let word = tail[..len].trim_end_matches('.');
        if let Some(stem) = word.strip_suffix(".c") {
            let path = format!("tests/c/{stem}.c");
            if !named.contains(&path) {
                named.push(path);
            }
        }
        rest = &tail[len.max(1)..];
    }
    assert!(!named.is_empty(), "docs/guide.md names no guide_*.c file");
    for path in &named {
        assert!(root().join(path).is_file(), "docs/guide.md names {path}, which does not exist");
        assert!(GUIDE_C_FILES.contains(&path.as_str()), "docs/guide.md names {path}, which no test runs");
    }
    for path in GUIDE_C_FILES {
        assert!(named.iter().any(|n| n == path), "{path} is run but docs/guide.md does not name it");
    }
    // What the guide shows of them is what they hold: every line of each
    // ```c block is a line of one of the files (leading spaces aside).
    let sources: Vec<String> = GUIDE_C_FILES.iter().map(|p| std::fs::read_to_string(root().join(p)).unwrap()).collect();
    let mut shown = 0;
    for block in guide.split("```c\n").skip(1) {
        for line in block[..block.find("```").unwrap()].lines().filter(|l| !l.trim().is_empty()) {
            let found = sources.iter().any(|s| s.lines().any(|l| l.trim_start() == line.trim_start()));
            assert!(found, "docs/guide.md shows a C line no guide_*.c file has: {line}");
            shown += 1;
        }
    }
    assert!(shown > 0, "docs/guide.md shows no C");
}

#[test]
fn guide_c_lock2_statuses_pass_against_both_libraries() {
    c_checks("tests/c/guide_lock2_statuses.c", Link::Shared, &[], &[]);
    c_checks("tests/c/guide_lock2_statuses.c", Link::Static, &[], &[]);
}

#[test]
fn guide_c_device_loss_passes_against_both_libraries() {
    c_checks("tests/c/guide_device_loss.c", Link::Shared, &[], &[]);
    c_checks("tests/c/guide_device_loss.c", Link::Static, &[], &[]);
}

#[test]
fn guide_c_reset_passes_against_both_libraries() {
    c_checks("tests/c/guide_reset.c", Link::Shared, &[], &[]);
    c_checks("tests/c/guide_reset.c", Link::Static, &[], &[]);
}

/// One CTest test of `tests/cmake/CMakeLists.txt`'s guide part.
#[derive(Debug)]
struct CtestTest {
    /// `add_test(NAME <name> ...)`.
    name: String,
    /// The argument of `COMMAND guide_ctest <case>`.
    case: String,
    /// What its `ENVIRONMENT` property sets.
    env: Vec<(String, String)>,
}

/// The lines of `tests/cmake/CMakeLists.txt` between its `# guide: begin`
/// and `# guide: end` markers, and the tests they declare: each
/// `add_test(NAME <test> COMMAND guide_ctest <case>)` with the variables its
/// `set_tests_properties(<test> PROPERTIES ENVIRONMENT "<A=a;B=b>")` sets.
fn guide_ctest_tests() -> (Vec<String>, Vec<CtestTest>) {
    let text = std::fs::read_to_string(root().join("tests/cmake/CMakeLists.txt")).unwrap();
    let begin = text.find("# guide: begin\n").expect("tests/cmake/CMakeLists.txt has a '# guide: begin' marker");
    let end = text.find("# guide: end\n").expect("and a '# guide: end' marker");
    let region: Vec<String> = text[begin..end].lines().skip(1).map(str::to_owned).collect();
    let mut tests: Vec<CtestTest> = Vec::new();
    for line in &region {
        if let Some(rest) = line.strip_prefix("add_test(NAME ") {
            let words: Vec<&str> = rest.trim_end_matches(')').split_whitespace().collect();
            assert!(words.len() == 4 && words[1] == "COMMAND" && words[2] == "guide_ctest", "unexpected: {line}");
            tests.push(CtestTest { name: words[0].to_owned(), case: words[3].to_owned(), env: Vec::new() });
        } else if let Some(rest) = line.strip_prefix("set_tests_properties(") {
            let (name, props) = rest.split_once(' ').unwrap();
            let list = props
                .strip_prefix("PROPERTIES ENVIRONMENT \"")
                .and_then(|p| p.strip_suffix("\")"))
                .unwrap_or_else(|| panic!("unexpected: {line}"));
            let test = tests.iter_mut().find(|t| t.name == name).unwrap_or_else(|| panic!("no add_test for {name}"));
            for pair in list.split(';') {
                let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("not NAME=value: {pair}"));
                test.env.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    (region, tests)
}

/// docs/guide.md's CTest recipe, without CMake: every test the marked part
/// of `tests/cmake/CMakeLists.txt` declares runs as a process of its own,
/// with its ENVIRONMENT, against both libraries, as `ctest` runs it
/// (`.ci/packaging.sh` runs it with `ctest` itself). The guide's cmake block
/// is that part, plus the find_package line above it.
#[test]
fn guide_c_ctest_cases_run_one_process_each_as_tests_cmake_declares() {
    let (region, tests) = guide_ctest_tests();
    assert!(tests.len() >= 4, "{tests:?}");
    for link in [Link::Shared, Link::Static] {
        let dir = scratch("ctest");
        let exe = build_c(&["tests/c/guide_ctest.c"], &dir.join("guide_ctest"), link);
        for CtestTest { name, case, env } in &tests {
            let out = c_program(&exe)
                .env_remove("D3DKMT_SIM_STRICT")
                .arg(case)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{name} ({case}, {env:?}) failed ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.trim_end().ends_with(" 0 failed") && !stdout.starts_with("0 passed"), "{name}: {stdout}");
        }
    }
    // An unknown case is a failure, not a silent pass.
    let dir = scratch("ctest");
    let exe = build_c(&["tests/c/guide_ctest.c"], &dir.join("guide_ctest"), Link::Shared);
    assert_eq!(c_program(&exe).arg("no_such_case").output().unwrap().status.code(), Some(2));

    // The guide shows the marked part as it is.
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    let start = guide.find("```cmake\n").expect("docs/guide.md has a cmake block") + "```cmake\n".len();
    let block: Vec<&str> = guide[start..][..guide[start..].find("```").unwrap()].lines().collect();
    assert!(block[0].starts_with("find_package(d3dkmt_sim "), "the block begins with find_package: {block:?}");
    assert_eq!(block[1..], region.iter().map(String::as_str).collect::<Vec<_>>()[..], "docs/guide.md's cmake block");
}

/// Runs `tests/c/guide_config.c` (built once) with `env`: exit code,
/// stdout, stderr.
fn guide_config_with(env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let exe = EXE.get_or_init(|| {
        let dir = scratch("guide_config");
        build_c(&["tests/c/guide_config.c"], &dir.join("guide_config"), Link::Shared)
    });
    let out = c_program(exe).env_remove("D3DKMT_SIM_STRICT").envs(env.iter().copied()).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// docs/guide.md, section 7, as the guide says it runs.
#[test]
fn guide_c_config_is_read_from_the_environment() {
    let config = ("D3DKMT_SIM_CONFIG", "adapters=2,max_lock_refs=8,busy=wait,adapter_memory=64M");
    let (code, out, err) = guide_config_with(&[config]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out.lines().next(), Some("adapters 2 refs 8 busy 1 memory 67108864"), "{out}");

    let malformed = ("D3DKMT_SIM_CONFIG", "adapters=2,max_lock_refs=lots");
    let (code, out, err) = guide_config_with(&[malformed]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out.lines().next(), Some("adapters 1 refs 1024 busy 0 memory 4294967296"), "the defaults: {out}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("max_lock_refs=lots"), "{err}");

    let (code, out, err) = guide_config_with(&[malformed, ("D3DKMT_SIM_STRICT", "1")]);
    assert_eq!(code, Some(2), "strict mode exits 2: {out}\n{err}");
    assert!(out.is_empty(), "nothing ran past the first call: {out}");
    assert!(err.contains("max_lock_refs=lots"), "{err}");

    // Against the static library too, on the configuration.
    let dir = scratch("guide_config");
    let exe = build_c(&["tests/c/guide_config.c"], &dir.join("guide_config"), Link::Static);
    let out = c_program(&exe).env_remove("D3DKMT_SIM_STRICT").env(config.0, config.1).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("adapters 2 refs 8 busy 1 memory 67108864\n"));
}
