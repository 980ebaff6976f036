//! Caller-supplied counts, through the C exports (docs/contract.md §3): a count is
//! trusted only as far as the elements actually read. Validation goes
//! element by element and stops at the first bad one, no entry point
//! reserves memory or does work proportional to a count before reading the
//! elements, and a count of 0xFFFFFFFF whose first element is bad returns
//! `STATUS_INVALID_PARAMETER` at once; no count ever aborts the process.
//!
//! For every entry point that takes a count, the tests pass a count of
//! 0xFFFFFFFF, one of 2^28 and (on unix and Windows) one of 2, with a bad
//! first element, and check
//!
//! * the status, and that the call changed nothing (no output field
//!   written, no object destroyed, unlocked, submitted or created, no budget
//!   used);
//! * that the call asked the allocator for no more than [`MEMORY_LIMIT`],
//!   in one request or live at once: this test binary's `#[global_allocator]`
//!   counts what the calling thread requests during the call;
//! * on unix and Windows, that nothing past the first bad element is read:
//!   the elements end exactly at the end of a readable page that an
//!   inaccessible page follows (`PROT_NONE`, `PAGE_NOACCESS`), so reading one
//!   element more faults. (Elsewhere they sit in an ordinary buffer, and only
//!   the status, state and memory checks apply.)
//!
//! A wrong answer here can be an abort ("memory allocation of … bytes
//! failed") or a fault, which would end the whole test process. So every
//! test runs its body in a child process of this test binary (the same
//! executable, filtered to that one test) and reports how the child ended;
//! the other tests still report, and each child has the process-wide
//! simulator and the allocator's counters to itself.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::process::Command;
use std::ptr::null_mut;

use d3dkmt_sim::ffi::{self, SIMKMT_ALLOCATION_DESC, SIMKMT_ALLOCATION_INFO, SIMKMT_CONFIG, SIMKMT_SUBMIT};
use d3dkmt_sim::NtStatus;
use windows_sys::Wdk::Graphics::Direct3D::*;

const OK: NtStatus = NtStatus::SUCCESS;
const IP: NtStatus = NtStatus::INVALID_PARAMETER;
const NO_VIDMEM: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

/// The most one call may ask the allocator for, in one request or live at
/// once: far more than any call here needs, far less than any count of
/// 2^28 elements.
const MEMORY_LIMIT: usize = 1 << 20;

/// The counts every entry point is called with.
const U32_MAX: u32 = u32::MAX;
const TWO_POW_28: u32 = 1 << 28;

const PAGE: u64 = 4096;
const BUDGET_PAGES: u64 = 16;

/// Pre-filled into output fields that a failed call must not write.
const SENTINEL: u32 = 0xA5A5_A5A5;

// === the counting allocator ===

/// Wraps the system allocator; while [`measure`] runs a call on a thread,
/// it records that thread's largest single request and the high-water mark
/// of the bytes it has live beyond what it had when the call began.
struct Counting;

thread_local! {
    // Const-initialised cells without destructors: reading them never
    // allocates, so the allocator itself may use them.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        LARGEST.with(|l| l.set(l.get().max(size)));
        let live = LIVE.with(|l| {
            l.set(l.get() + size as isize);
            l.get()
        });
        PEAK.with(|p| p.set(p.get().max(live)));
    }
}

fn note_dealloc(size: usize) {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        LIVE.with(|l| l.set(l.get() - size as isize));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// the GlobalAlloc contract holds as it does for `System`; the bookkeeping
// only touches allocation-free thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: the caller's promises about `layout`, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_dealloc(layout.size());
        // SAFETY: `ptr` came from `System` with this layout (every
        // allocation of this allocator does).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc(new_size);
        note_dealloc(layout.size());
        // SAFETY: as for `dealloc`, and the caller's promises about
        // `new_size`, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one call asked of the allocator.
#[derive(Debug, Clone, Copy)]
struct Usage {
    /// The largest single request, in bytes.
    largest: usize,
    /// The most bytes live at once beyond those live when the call began.
    peak: isize,
}

/// Runs `call`, counting what this thread asks of the allocator meanwhile.
fn measure<R>(call: impl FnOnce() -> R) -> (R, Usage) {
    LARGEST.with(|l| l.set(0));
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    MEASURING.with(|m| m.set(true));
    let result = call();
    MEASURING.with(|m| m.set(false));
    (result, Usage { largest: LARGEST.with(Cell::get), peak: PEAK.with(Cell::get) })
}

#[track_caller]
fn assert_small(usage: Usage, what: &str) {
    assert!(
        usage.largest <= MEMORY_LIMIT && usage.peak <= MEMORY_LIMIT as isize,
        "{what}: asked the allocator for {} bytes in one request and had {} bytes live at once \
         (limit {MEMORY_LIMIT}): memory proportional to the count",
        usage.largest,
        usage.peak
    );
}

// === each test in a child process ===

/// Set in a child to the name of the one test it runs.
const CHILD: &str = "D3DKMT_SIM_COUNTS_CHILD";

/// Runs `body` in a child process of this test binary filtered to `name`
/// (in the child: runs it), and fails with how the child ended unless it
/// passed.
fn isolated(name: &str, body: fn()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env_remove("D3DKMT_SIM_CONFIG")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("cannot run the test binary as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail = |s: &str| s[s.len().saturating_sub(3000)..].to_string();
    let ran = stdout.contains("test result: ok. 1 passed");
    if !out.status.success() || !ran {
        panic!(
            "`{name}` in a child process: {}\n--- child stderr (tail)\n{}\n--- child stdout (tail)\n{}",
            how_it_ended(&out.status, ran),
            tail(&stderr),
            tail(&stdout)
        );
    }
}

fn how_it_ended(status: &std::process::ExitStatus, ran: bool) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGABRT => "SIGABRT (the process aborted)",
                libc::SIGSEGV => "SIGSEGV (it read or wrote memory it must not touch)",
                libc::SIGBUS => "SIGBUS",
                libc::SIGKILL => "SIGKILL (out of memory?)",
                _ => "a signal",
            };
            return format!("killed by signal {signal}, {name}");
        }
    }
    match status.code() {
        Some(0) if !ran => "exited 0 without running the test".to_string(),
        // NTSTATUS exit codes of a crashed Windows process.
        Some(code) if cfg!(windows) && code as u32 == 0xC000_0005 => {
            "STATUS_ACCESS_VIOLATION (it read or wrote memory it must not touch)".to_string()
        }
        Some(code) if cfg!(windows) && code as u32 == 0xC000_0409 => {
            "STATUS_STACK_BUFFER_OVERRUN (the process aborted)".to_string()
        }
        Some(101) => "the test failed (exit status 101)".to_string(),
        Some(code) => format!("exited with status {code}"),
        None => "ended without an exit status".to_string(),
    }
}

macro_rules! isolated_tests {
    ($($(#[$attr:meta])* fn $name:ident() $body:block)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                isolated(stringify!($name), || $body)
            }
        )*
    };
}

// === elements at the end of a readable page ===

/// Caller elements placed so that the last one ends exactly where a
/// readable page ends; an inaccessible page follows (`PROT_NONE` on unix,
/// `PAGE_NOACCESS` on Windows), so reading past the elements faults.
/// (Elsewhere they sit in an ordinary buffer.)
struct Elements {
    #[cfg(any(unix, windows))]
    _guarded: GuardedPages,
    #[cfg(not(any(unix, windows)))]
    _buffer: Vec<u64>,
    start: *mut u8,
}

/// Two pages, the second inaccessible; released on drop.
#[cfg(any(unix, windows))]
struct GuardedPages {
    base: *mut u8,
    page: usize,
}

#[cfg(unix)]
impl GuardedPages {
    fn new() -> Self {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        // SAFETY: a fresh private anonymous mapping of two pages; no
        // existing memory is affected.
        let base = unsafe {
            libc::mmap(
                null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap");
        let base = base.cast::<u8>();
        // SAFETY: the second page lies inside the mapping just made.
        assert_eq!(unsafe { libc::mprotect(base.add(page).cast(), page, libc::PROT_NONE) }, 0, "mprotect");
        GuardedPages { base, page }
    }
}

#[cfg(unix)]
impl Drop for GuardedPages {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; no reference into
        // it outlives `self`.
        unsafe { libc::munmap(self.base.cast(), 2 * self.page) };
    }
}

#[cfg(windows)]
impl GuardedPages {
    fn new() -> Self {
        use windows_sys::Win32::System::Memory::{
            VirtualAlloc, VirtualProtect, MEM_COMMIT, MEM_RESERVE, PAGE_NOACCESS, PAGE_READWRITE,
        };
        let page = 4096; // every Windows target's page size
                         // SAFETY: a fresh allocation of two pages at an address the system
                         // picks; no existing memory is affected.
        let base = unsafe { VirtualAlloc(core::ptr::null(), 2 * page, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE) };
        assert!(!base.is_null(), "VirtualAlloc");
        let base = base.cast::<u8>();
        let mut old = 0;
        // SAFETY: the second page lies inside the allocation just made.
        assert_ne!(
            unsafe { VirtualProtect(base.add(page).cast(), page, PAGE_NOACCESS, &mut old) },
            0,
            "VirtualProtect"
        );
        GuardedPages { base, page }
    }
}

#[cfg(windows)]
impl Drop for GuardedPages {
    fn drop(&mut self) {
        use windows_sys::Win32::System::Memory::{VirtualFree, MEM_RELEASE};
        // SAFETY: releases exactly the allocation `new` made; no reference
        // into it outlives `self`.
        unsafe { VirtualFree(self.base.cast(), 0, MEM_RELEASE) };
    }
}

impl Elements {
    fn new<T: Copy>(items: &[T]) -> Self {
        let bytes = core::mem::size_of_val(items);
        #[cfg(any(unix, windows))]
        let this = {
            let guarded = GuardedPages::new();
            assert!(bytes <= guarded.page);
            // SAFETY: `page - bytes` is inside the first page.
            let start = unsafe { guarded.base.add(guarded.page - bytes) };
            Elements { _guarded: guarded, start }
        };
        #[cfg(not(any(unix, windows)))]
        let this = {
            let mut buffer = vec![0u64; bytes.div_ceil(8) + 64];
            let start = buffer.as_mut_ptr().cast::<u8>();
            Elements { _buffer: buffer, start }
        };
        assert_eq!(this.start as usize % core::mem::align_of::<T>(), 0, "the elements are aligned");
        // SAFETY: `start` has room for `bytes` bytes (up to the end of the
        // readable page, or inside `buffer`) and is aligned for T.
        unsafe { core::ptr::copy_nonoverlapping(items.as_ptr(), this.start.cast::<T>(), items.len()) };
        this
    }

    fn ptr<T>(&self) -> *mut T {
        self.start.cast()
    }

    /// Reads element `i` back (it must be one of the placed elements).
    fn get<T: Copy>(&self, i: usize) -> T {
        // SAFETY: callers pass the index of a placed element.
        unsafe { self.ptr::<T>().add(i).read() }
    }
}

// === the simulator set-up and thin wrappers over the C exports ===

/// One adapter with a 16-page budget, two devices, three one-page
/// allocations on `device` and one on `other` (a handle that is bad for
/// `device`).
struct Fixture {
    adapter: u32,
    device: u32,
    other: u32,
    allocations: Vec<u32>,
    foreign: u32,
}

impl Fixture {
    fn new() -> Self {
        let config = SIMKMT_CONFIG {
            Size: core::mem::size_of::<SIMKMT_CONFIG>() as u32,
            AdapterCount: 1,
            AdapterMemoryBytes: BUDGET_PAGES * PAGE,
            ..Default::default()
        };
        // SAFETY: a valid SIMKMT_CONFIG.
        assert_eq!(NtStatus(unsafe { ffi::SimKmtReset(&config) }), OK);
        let mut info = [D3DKMT_ADAPTERINFO::default()];
        let mut args = D3DKMT_ENUMADAPTERS2 { NumAdapters: 1, pAdapters: info.as_mut_ptr() };
        // SAFETY: room for one entry.
        assert_eq!(NtStatus(unsafe { ffi::D3DKMTEnumAdapters2(&mut args) }), OK);
        let adapter = info[0].hAdapter;
        let device = create_device(adapter);
        let other = create_device(adapter);
        let allocations = (0..3).map(|_| create_allocation(device, 1).unwrap()).collect();
        let foreign = create_allocation(other, 1).unwrap();
        Fixture { adapter, device, other, allocations, foreign }
    }

    /// The bad first elements of a handle list for `device`: an allocation
    /// of another device, and 0.
    fn bad_handles(&self) -> [u32; 2] {
        [self.foreign, 0]
    }

    /// Every allocation of the fixture still exists, with these lock
    /// counts and not busy.
    #[track_caller]
    fn assert_unchanged(&self, own_locks: u32, foreign_locks: u32, what: &str) {
        for &a in &self.allocations {
            let info = query(self.device, a).unwrap_or_else(|s| panic!("{what}: an allocation is gone: {s:?}"));
            assert_eq!((info.LockCount, info.Busy), (own_locks, 0), "{what}: lock count and busy of an own allocation");
        }
        let info =
            query(self.other, self.foreign).unwrap_or_else(|s| panic!("{what}: the other device's is gone: {s:?}"));
        assert_eq!((info.LockCount, info.Busy), (foreign_locks, 0), "{what}: the other device's allocation");
    }

    /// The whole budget is still free: exactly the 16 pages less the four
    /// allocations the fixture holds.
    #[track_caller]
    fn assert_budget_unused(&self, what: &str) {
        let rest = create_allocation(self.device, BUDGET_PAGES - 4)
            .unwrap_or_else(|s| panic!("{what}: the budget's remaining 12 pages are refused: {s:?}"));
        assert_eq!(create_allocation(self.device, 1), Err(NO_VIDMEM), "{what}: one page past the budget");
        assert_eq!(destroy_allocations(self.device, &[rest]), OK);
    }
}

fn create_device(adapter: u32) -> u32 {
    let mut args = D3DKMT_CREATEDEVICE { Anonymous: D3DKMT_CREATEDEVICE_0 { hAdapter: adapter }, ..Default::default() };
    // SAFETY: a valid argument struct.
    assert_eq!(NtStatus(unsafe { ffi::D3DKMTCreateDevice(&mut args) }), OK);
    args.hDevice
}

fn alloc_desc(pages: u64) -> SIMKMT_ALLOCATION_DESC {
    SIMKMT_ALLOCATION_DESC { Version: 1, Flags: 0, SizeInBytes: pages * PAGE }
}

fn create_allocation(device: u32, pages: u64) -> Result<u32, NtStatus> {
    let desc = alloc_desc(pages);
    let mut info = D3DDDI_ALLOCATIONINFO2 {
        pPrivateDriverData: (&desc as *const SIMKMT_ALLOCATION_DESC).cast_mut().cast(),
        PrivateDriverDataSize: core::mem::size_of::<SIMKMT_ALLOCATION_DESC>() as u32,
        ..Default::default()
    };
    let mut args = D3DKMT_CREATEALLOCATION {
        hDevice: device,
        NumAllocations: 1,
        Anonymous2: D3DKMT_CREATEALLOCATION_1 { pAllocationInfo2: &mut info },
        ..Default::default()
    };
    // SAFETY: one entry, pointing at a live 16-byte desc.
    let status = NtStatus(unsafe { ffi::D3DKMTCreateAllocation2(&mut args) });
    if status == OK {
        Ok(info.hAllocation)
    } else {
        Err(status)
    }
}

fn destroy_allocations(device: u32, list: &[u32]) -> NtStatus {
    let args = D3DKMT_DESTROYALLOCATION2 {
        hDevice: device,
        phAllocationList: list.as_ptr(),
        AllocationCount: list.len() as u32,
        ..Default::default()
    };
    // SAFETY: the list holds `AllocationCount` handles.
    NtStatus(unsafe { ffi::D3DKMTDestroyAllocation2(&args) })
}

fn query(device: u32, allocation: u32) -> Result<SIMKMT_ALLOCATION_INFO, NtStatus> {
    let mut info = SIMKMT_ALLOCATION_INFO::default();
    // SAFETY: `info` is writable.
    let status = NtStatus(unsafe { ffi::SimKmtQueryAllocation(device, allocation, &mut info) });
    if status == OK {
        Ok(info)
    } else {
        Err(status)
    }
}

fn lock2(device: u32, allocation: u32) {
    let mut args = D3DKMT_LOCK2 { hDevice: device, hAllocation: allocation, ..Default::default() };
    // SAFETY: a valid argument struct.
    assert_eq!(NtStatus(unsafe { ffi::D3DKMTLock2(&mut args) }), OK);
}

fn submit(device: u32, list: &[u32]) -> Result<u64, NtStatus> {
    let mut args = SIMKMT_SUBMIT {
        hDevice: device,
        NumAllocations: list.len() as u32,
        phAllocations: list.as_ptr(),
        FenceValue: 0,
    };
    // SAFETY: the list holds `NumAllocations` handles.
    let status = NtStatus(unsafe { ffi::SimKmtSubmit(&mut args) });
    if status == OK {
        Ok(args.FenceValue)
    } else {
        Err(status)
    }
}

// === one checker per entry point ===
//
// Each calls its entry point with `count` and a bad first element placed by
// `Elements` (so on unix the element after it is unreadable), asserts the
// status, that nothing changed and that the call stayed within the memory
// limit.

/// `D3DKMTDestroyAllocation2` (`AllocationCount`): a bad first handle is
/// `STATUS_INVALID_PARAMETER` and nothing is destroyed.
fn destroy_allocation2_with_count(count: u32) {
    let f = Fixture::new();
    for bad in f.bad_handles() {
        let list = Elements::new(&[bad]);
        let args = D3DKMT_DESTROYALLOCATION2 {
            hDevice: f.device,
            phAllocationList: list.ptr(),
            AllocationCount: count,
            ..Default::default()
        };
        // SAFETY: docs/contract.md §3: only the elements up to the first bad one are
        // read, and the list holds that one.
        let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTDestroyAllocation2(&args) }));
        let what = format!("DestroyAllocation2(AllocationCount {count:#x}, first handle {bad:#x})");
        assert_eq!(status, IP, "{what}");
        assert_small(usage, &what);
        f.assert_unchanged(0, 0, &what);
    }
    f.assert_budget_unused("after the DestroyAllocation2 calls");
}

/// `D3DKMTUnlock` (`NumAllocations`): a bad first handle is
/// `STATUS_INVALID_PARAMETER` and nothing is unlocked, neither the device's
/// locked allocations nor the other device's (whose handle is the bad one).
fn unlock_with_count(count: u32) {
    let f = Fixture::new();
    for &a in &f.allocations {
        lock2(f.device, a);
    }
    lock2(f.other, f.foreign);
    for bad in f.bad_handles() {
        let list = Elements::new(&[bad]);
        let args = D3DKMT_UNLOCK { hDevice: f.device, NumAllocations: count, phAllocations: list.ptr() };
        // SAFETY: as for DestroyAllocation2.
        let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTUnlock(&args) }));
        let what = format!("Unlock(NumAllocations {count:#x}, first handle {bad:#x})");
        assert_eq!(status, IP, "{what}");
        assert_small(usage, &what);
        f.assert_unchanged(1, 1, &what);
    }
}

/// `SimKmtSubmit` (`NumAllocations`): a bad first handle is
/// `STATUS_INVALID_PARAMETER`, the fence output is not written and nothing
/// is submitted: no allocation is busy, and the device's first real
/// submission still gets fence 1.
fn submit_with_count(count: u32) {
    let f = Fixture::new();
    for bad in f.bad_handles() {
        let list = Elements::new(&[bad]);
        let mut args =
            SIMKMT_SUBMIT { hDevice: f.device, NumAllocations: count, phAllocations: list.ptr(), FenceValue: 0xA5A5 };
        // SAFETY: as for DestroyAllocation2; `args` is writable.
        let (status, usage) = measure(|| NtStatus(unsafe { ffi::SimKmtSubmit(&mut args) }));
        let what = format!("SimKmtSubmit(NumAllocations {count:#x}, first handle {bad:#x})");
        assert_eq!(status, IP, "{what}");
        assert_small(usage, &what);
        assert_eq!(args.FenceValue, 0xA5A5, "{what}: a failed call writes no output field");
        f.assert_unchanged(0, 0, &what);
    }
    assert_eq!(submit(f.device, &f.allocations[..1]), Ok(1), "the device's first real submission");
}

/// `D3DKMTLock` (`NumPages` with `pPages`): a first page index out of range
/// (the page count, or 0xFFFFFFFF) is `STATUS_INVALID_PARAMETER`, `pData` is
/// not written and no reference is taken.
fn lock_with_count(count: u32) {
    let f = Fixture::new();
    for bad in [1, u32::MAX] {
        let pages = Elements::new(&[bad]);
        let sentinel = SENTINEL as usize as *mut core::ffi::c_void;
        let mut args = D3DKMT_LOCK {
            hDevice: f.device,
            hAllocation: f.allocations[0],
            NumPages: count,
            pPages: pages.ptr(),
            pData: sentinel,
            ..Default::default()
        };
        // SAFETY: as for DestroyAllocation2; `args` is writable.
        let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTLock(&mut args) }));
        let what = format!("Lock(NumPages {count:#x}, first page {bad:#x} of a one-page allocation)");
        assert_eq!(status, IP, "{what}");
        assert_small(usage, &what);
        assert_eq!(args.pData, sentinel, "{what}: a failed call writes no output field");
        f.assert_unchanged(0, 0, &what);
    }
}

/// `D3DKMTCreateAllocation2` (`NumAllocations` with `pAllocationInfo2`): a
/// first element whose private driver data is NULL is
/// `STATUS_INVALID_PARAMETER`; no handle or other output is written and no
/// budget is used.
fn create_allocation2_with_count(count: u32) {
    let f = Fixture::new();
    let first = D3DDDI_ALLOCATIONINFO2 {
        hAllocation: SENTINEL,
        pPrivateDriverData: null_mut(),
        PrivateDriverDataSize: core::mem::size_of::<SIMKMT_ALLOCATION_DESC>() as u32,
        ..Default::default()
    };
    let infos = Elements::new(&[first]);
    let mut args = D3DKMT_CREATEALLOCATION {
        hDevice: f.device,
        hGlobalShare: SENTINEL,
        NumAllocations: count,
        Anonymous2: D3DKMT_CREATEALLOCATION_1 { pAllocationInfo2: infos.ptr() },
        ..Default::default()
    };
    // SAFETY: as for DestroyAllocation2; `args` and the first element are
    // writable.
    let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTCreateAllocation2(&mut args) }));
    let what = format!("CreateAllocation2(NumAllocations {count:#x}, first private data NULL)");
    assert_eq!(status, IP, "{what}");
    assert_small(usage, &what);
    assert_eq!(infos.get::<D3DDDI_ALLOCATIONINFO2>(0).hAllocation, SENTINEL, "{what}: hAllocation written");
    assert_eq!(args.hGlobalShare, SENTINEL, "{what}: hGlobalShare written");
    f.assert_unchanged(0, 0, &what);
    f.assert_budget_unused(&what);
}

/// `D3DKMTCreateAllocation` (`NumAllocations` with 40-byte
/// `D3DDDI_ALLOCATIONINFO` elements): as CreateAllocation2.
fn create_allocation_with_count(count: u32) {
    let f = Fixture::new();
    let first = D3DDDI_ALLOCATIONINFO {
        hAllocation: SENTINEL,
        pPrivateDriverData: null_mut(),
        PrivateDriverDataSize: core::mem::size_of::<SIMKMT_ALLOCATION_DESC>() as u32,
        ..Default::default()
    };
    let infos = Elements::new(&[first]);
    let mut args = D3DKMT_CREATEALLOCATION {
        hDevice: f.device,
        hGlobalShare: SENTINEL,
        NumAllocations: count,
        Anonymous2: D3DKMT_CREATEALLOCATION_1 { pAllocationInfo: infos.ptr() },
        ..Default::default()
    };
    // SAFETY: as for CreateAllocation2.
    let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTCreateAllocation(&mut args) }));
    let what = format!("CreateAllocation(NumAllocations {count:#x}, first private data NULL)");
    assert_eq!(status, IP, "{what}");
    assert_small(usage, &what);
    assert_eq!(infos.get::<D3DDDI_ALLOCATIONINFO>(0).hAllocation, SENTINEL, "{what}: hAllocation written");
    assert_eq!(args.hGlobalShare, SENTINEL, "{what}: hGlobalShare written");
    f.assert_unchanged(0, 0, &what);
    f.assert_budget_unused(&what);
}

/// `D3DKMTEnumAdapters2` (`NumAdapters`): a huge `NumAdapters` is only the
/// capacity of `pAdapters`. With room for exactly the one adapter before the
/// unreadable page, the call succeeds, writes `NumAdapters` = 1 and one
/// entry whose handle is open (CloseAdapter accepts it once).
fn enum_adapters2_with_count(count: u32) {
    let f = Fixture::new();
    let entry = D3DKMT_ADAPTERINFO { hAdapter: SENTINEL, ..Default::default() };
    let infos = Elements::new(&[entry]);
    let mut args = D3DKMT_ENUMADAPTERS2 { NumAdapters: count, pAdapters: infos.ptr() };
    // SAFETY: docs/contract.md §3: the simulator writes one entry per adapter (one),
    // and `pAdapters` has room for it.
    let (status, usage) = measure(|| NtStatus(unsafe { ffi::D3DKMTEnumAdapters2(&mut args) }));
    let what = format!("EnumAdapters2(NumAdapters {count:#x}) with one adapter");
    assert_eq!(status, OK, "{what}");
    assert_small(usage, &what);
    assert_eq!(args.NumAdapters, 1, "{what}: NumAdapters is written with the number of entries filled");
    let adapter = infos.get::<D3DKMT_ADAPTERINFO>(0).hAdapter;
    assert_ne!(adapter, SENTINEL, "{what}: the entry is filled");
    assert_ne!(adapter, f.adapter, "{what}: a newly opened handle");
    let close = D3DKMT_CLOSEADAPTER { hAdapter: adapter };
    // SAFETY: a valid argument struct.
    assert_eq!(NtStatus(unsafe { ffi::D3DKMTCloseAdapter(&close) }), OK, "{what}: the handle is open");
    // SAFETY: as above.
    assert_eq!(NtStatus(unsafe { ffi::D3DKMTCloseAdapter(&close) }), IP, "{what}: and was opened once");
}

// === the tests ===

isolated_tests! {
    /// DestroyAllocation2 with `AllocationCount` 0xFFFFFFFF and a bad first
    /// handle answers INVALID_PARAMETER at once (no abort, no memory for the
    /// count) and destroys nothing.
    fn destroy_allocation2_count_u32_max_and_a_bad_first_handle() {
        destroy_allocation2_with_count(U32_MAX)
    }

    /// The same with `AllocationCount` 2^28.
    fn destroy_allocation2_count_2_pow_28_and_a_bad_first_handle() {
        destroy_allocation2_with_count(TWO_POW_28)
    }

    /// Unlock with `NumAllocations` 0xFFFFFFFF and a bad first handle
    /// answers INVALID_PARAMETER at once and unlocks nothing.
    fn unlock_count_u32_max_and_a_bad_first_handle() {
        unlock_with_count(U32_MAX)
    }

    /// The same with `NumAllocations` 2^28.
    fn unlock_count_2_pow_28_and_a_bad_first_handle() {
        unlock_with_count(TWO_POW_28)
    }

    /// SimKmtSubmit with `NumAllocations` 0xFFFFFFFF and a bad first handle
    /// answers INVALID_PARAMETER at once and submits nothing.
    fn submit_count_u32_max_and_a_bad_first_handle() {
        submit_with_count(U32_MAX)
    }

    /// The same with `NumAllocations` 2^28.
    fn submit_count_2_pow_28_and_a_bad_first_handle() {
        submit_with_count(TWO_POW_28)
    }

    /// Lock with `NumPages` 0xFFFFFFFF and an out-of-range first page
    /// answers INVALID_PARAMETER at once and takes no reference.
    fn lock_num_pages_u32_max_and_a_bad_first_page() {
        lock_with_count(U32_MAX)
    }

    /// The same with `NumPages` 2^28.
    fn lock_num_pages_2_pow_28_and_a_bad_first_page() {
        lock_with_count(TWO_POW_28)
    }

    /// CreateAllocation2 with `NumAllocations` 0xFFFFFFFF and a first
    /// element without private data answers INVALID_PARAMETER at once and
    /// creates nothing.
    fn create_allocation2_count_u32_max_and_a_bad_first_element() {
        create_allocation2_with_count(U32_MAX)
    }

    /// The same with `NumAllocations` 2^28.
    fn create_allocation2_count_2_pow_28_and_a_bad_first_element() {
        create_allocation2_with_count(TWO_POW_28)
    }

    /// CreateAllocation (40-byte elements) with `NumAllocations` 0xFFFFFFFF
    /// and a first element without private data answers INVALID_PARAMETER
    /// at once and creates nothing.
    fn create_allocation_count_u32_max_and_a_bad_first_element() {
        create_allocation_with_count(U32_MAX)
    }

    /// The same with `NumAllocations` 2^28.
    fn create_allocation_count_2_pow_28_and_a_bad_first_element() {
        create_allocation_with_count(TWO_POW_28)
    }

    /// EnumAdapters2 with `NumAdapters` 0xFFFFFFFF treats it as capacity
    /// only: it fills the one entry there is.
    fn enum_adapters2_num_adapters_u32_max_is_only_capacity() {
        enum_adapters2_with_count(U32_MAX)
    }

    /// The same with `NumAdapters` 2^28.
    fn enum_adapters2_num_adapters_2_pow_28_is_only_capacity() {
        enum_adapters2_with_count(TWO_POW_28)
    }

    // A count of 2 with the one element before the unreadable page proves
    // the "stops at the first bad one" half on its own, without a huge count.
    // These need the inaccessible page: unix and Windows.

    /// DestroyAllocation2 reads no handle after a bad first one.
    #[cfg(any(unix, windows))]
    fn destroy_allocation2_reads_nothing_past_a_bad_first_handle() {
        destroy_allocation2_with_count(2)
    }

    /// Unlock reads no handle after a bad first one.
    #[cfg(any(unix, windows))]
    fn unlock_reads_nothing_past_a_bad_first_handle() {
        unlock_with_count(2)
    }

    /// SimKmtSubmit reads no handle after a bad first one.
    #[cfg(any(unix, windows))]
    fn submit_reads_nothing_past_a_bad_first_handle() {
        submit_with_count(2)
    }

    /// Lock reads no page index after an out-of-range first one.
    #[cfg(any(unix, windows))]
    fn lock_reads_nothing_past_a_bad_first_page() {
        lock_with_count(2)
    }

    /// CreateAllocation2 reads no element after a bad first one.
    #[cfg(any(unix, windows))]
    fn create_allocation2_reads_nothing_past_a_bad_first_element() {
        create_allocation2_with_count(2)
    }

    /// CreateAllocation reads no element after a bad first one.
    #[cfg(any(unix, windows))]
    fn create_allocation_reads_nothing_past_a_bad_first_element() {
        create_allocation_with_count(2)
    }

    /// EnumAdapters2 writes no entry past the adapters there are.
    #[cfg(any(unix, windows))]
    fn enum_adapters2_writes_nothing_past_the_adapters_there_are() {
        enum_adapters2_with_count(2)
    }
}
