//! Windows backend (also what runs under Wine).
//!
//! A region is reserved with `VirtualAlloc(MEM_RESERVE | MEM_WRITE_WATCH)`
//! and then committed whole with `MEM_COMMIT`. Windows hands out no
//! physical page until a page is first touched, so the memory is lazy in
//! physical terms; but committing charges the whole size against the
//! system's commit limit (RAM plus page files) at creation, so an
//! allocation larger than what the limit has left is refused (creation
//! reports it as out of memory) even if it would never be touched. A
//! simulator cannot commit on first touch instead: C callers write through
//! `pData` directly, and only an exception handler could catch that.
//!
//! `MEM_WRITE_WATCH` makes the kernel record which pages of the region were
//! written; `GetWriteWatch` reads that record for content loss. Memory the
//! simulator does not own (a caller's `pSystemMem`) has no record, so every
//! page of it counts as written.
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::ptr::NonNull;
use std::io;

use windows_sys::Win32::System::Memory::{
    GetWriteWatch, VirtualAlloc, VirtualFree, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READWRITE,
    VIRTUAL_ALLOCATION_TYPE,
};

/// `MEM_WRITE_WATCH` (winnt.h). windows-sys files it under the large
/// `Win32_System_SystemServices` feature; one constant is not worth it.
const MEM_WRITE_WATCH: VIRTUAL_ALLOCATION_TYPE = 0x0020_0000;

/// Reserves `len` (> 0) bytes, write-watched, and commits them.
pub(super) fn reserve(len: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: a new reservation at an address the system picks touches no
    // existing memory.
    let reserved = unsafe { VirtualAlloc(core::ptr::null(), len, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE) };
    let Some(base) = NonNull::new(reserved.cast::<u8>()) else {
        return Err(io::Error::last_os_error());
    };
    // SAFETY: commits exactly the range reserved above.
    let committed = unsafe { VirtualAlloc(reserved, len, MEM_COMMIT, PAGE_READWRITE) };
    if committed.is_null() {
        let error = io::Error::last_os_error();
        // SAFETY: the reservation made above, released once.
        unsafe { release(base, len) };
        return Err(error);
    }
    Ok(base)
}

/// Releases what [`reserve`] reserved.
///
/// # Safety
///
/// `base` is a reservation [`reserve`] returned, released once.
pub(super) unsafe fn release(base: NonNull<u8>, _len: usize) {
    // SAFETY: the caller's promise.
    unsafe { VirtualFree(base.as_ptr().cast(), 0, MEM_RELEASE) };
}

pub(super) fn page_size() -> usize {
    use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
    // SAFETY: SYSTEM_INFO is plain data; all zero bits is a valid value.
    let mut info: SYSTEM_INFO = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is a valid, writable SYSTEM_INFO.
    unsafe { GetSystemInfo(&mut info) };
    info.dwPageSize as usize
}

/// Addresses per `GetWriteWatch` call.
const BATCH: usize = 4096;

pub(super) fn written_pages(
    region: Option<&super::Region>,
    base: usize,
    len: usize,
    visit: &mut dyn FnMut(usize, usize),
) {
    let page = super::page_size();
    let pages = len.div_ceil(page);
    let owned = region.filter(|r| r.as_ptr() as usize == base && r.len() >= len);
    if pages == 0 {
        return;
    }
    if owned.is_none() {
        visit(0, pages);
        return;
    }
    let mut addresses = vec![core::ptr::null_mut::<c_void>(); BATCH];
    let mut from = base;
    let end = base + pages * page;
    while from < end {
        let mut count = BATCH;
        let mut granularity = 0u32;
        // SAFETY: `from..end` lies inside the write-watched region; the
        // call writes at most `count` entries to `addresses`, and `count`
        // and `granularity`.
        let rc = unsafe {
            GetWriteWatch(0, from as *const c_void, end - from, addresses.as_mut_ptr(), &mut count, &mut granularity)
        };
        if rc != 0 {
            // The record cannot be read: take the rest as written.
            visit((from - base) / page, (end - from) / page);
            return;
        }
        for &address in &addresses[..count] {
            visit((address as usize - base) / page, 1);
        }
        if count < BATCH {
            return;
        }
        from = addresses[count - 1] as usize + page;
    }
}

pub(super) fn resident_bytes() -> Option<u64> {
    use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
    use windows_sys::Win32::System::Threading::GetCurrentProcess;
    // SAFETY: plain data; all zero bits is a valid value.
    let mut counters: PROCESS_MEMORY_COUNTERS = unsafe { core::mem::zeroed() };
    let size = core::mem::size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
    // SAFETY: the pseudo-handle of this process and a writable struct of
    // the size given.
    let ok = unsafe { K32GetProcessMemoryInfo(GetCurrentProcess(), &mut counters, size) };
    (ok != 0).then_some(counters.WorkingSetSize as u64)
}
