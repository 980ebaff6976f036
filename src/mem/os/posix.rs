//! POSIX backend: Linux, Android, the BSDs, macOS and other Unix hosts.
//!
//! A region is one private anonymous mapping. On Linux and Android it
//! carries `MAP_NORESERVE`, so with the default overcommit policy creating
//! it reserves address space only: no commit charge, and no physical page
//! until a page is first touched. (With `vm.overcommit_memory = 2` the
//! kernel ignores the flag and charges the whole size; a mapping past the
//! commit limit is then refused, which creation reports as out of memory.)
//! macOS and the BSDs overcommit anonymous memory without a flag.
//!
//! Written pages are found with `mincore` (a written page of an anonymous
//! mapping is resident unless the host paged it out). Linux reads
//! `/proc/self/pagemap` instead when swap is configured, which also reports
//! swapped pages; macOS's `mincore` reports paged-out (and compressed)
//! pages itself. The other BSDs report resident pages only, so there a
//! written page that was swapped out under memory pressure is missed and
//! reads as zero after device removal instead of 0xDD (docs/memory.md).
#![allow(unsafe_code)]

use core::ptr::NonNull;
use std::io;

#[cfg(any(target_os = "linux", target_os = "android"))]
const NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NORESERVE: libc::c_int = 0;

/// A private anonymous mapping of `len` (> 0) bytes.
pub(super) fn reserve(len: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: a new anonymous mapping at an address the kernel picks
    // touches no existing memory.
    let base = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANON | NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(base.cast::<u8>()).ok_or_else(|| io::ErrorKind::OutOfMemory.into())
}

/// Unmaps what [`reserve`] mapped.
///
/// # Safety
///
/// `base` and `len` are a mapping [`reserve`] returned, released once.
pub(super) unsafe fn release(base: NonNull<u8>, len: usize) {
    // SAFETY: the caller's promise.
    unsafe { libc::munmap(base.as_ptr().cast(), len) };
}

pub(super) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// Pages per `mincore` / pagemap call.
const CHUNK: usize = 1 << 16;

pub(super) fn written_pages(
    _region: Option<&super::Region>,
    base: usize,
    len: usize,
    visit: &mut dyn FnMut(usize, usize),
) {
    let page = super::page_size();
    let pages = len.div_ceil(page);
    if pages == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    if host_has_swap() && pagemap::visit(base, pages, page, visit) {
        return;
    }
    let mut resident = vec![0u8; CHUNK.min(pages)];
    let mut first = 0;
    while first < pages {
        let n = CHUNK.min(pages - first);
        let span = (n * page).min(len - first * page);
        // SAFETY: `base + first * page .. + span` lies inside the memory the
        // caller names (`len` bytes at `base`), and `resident` has one byte
        // per page of it. mincore only writes `resident`.
        let rc =
            unsafe { libc::mincore((base + first * page) as *mut libc::c_void, span, resident.as_mut_ptr().cast()) };
        if rc != 0 {
            // Refused (memory mincore does not know): take every page.
            visit(first, n);
        } else if resident[..n].iter().any(|&s| s & BACKED != 0) {
            for (i, &state) in resident[..n].iter().enumerate() {
                if state & BACKED != 0 {
                    visit(first + i, 1);
                }
            }
        }
        first += n;
    }
}

/// The bits of a `mincore` entry that mean "backed": resident, and on
/// macOS also paged out (`MINCORE_PAGED_OUT`, which covers the compressor).
#[cfg(any(target_os = "macos", target_os = "ios"))]
const BACKED: u8 = 0x1 | 0x20;
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const BACKED: u8 = 0x1;

#[cfg(target_os = "linux")]
fn host_has_swap() -> bool {
    use std::sync::OnceLock;
    static SWAP: OnceLock<bool> = OnceLock::new();
    *SWAP.get_or_init(|| std::fs::read_to_string("/proc/swaps").map_or(true, |s| s.lines().count() > 1))
}

/// Linux's page map: present or swapped, one 64-bit entry per page.
#[cfg(target_os = "linux")]
mod pagemap {
    use std::os::unix::fs::FileExt;

    const PRESENT_OR_SWAPPED: u64 = 3 << 62;

    /// Visits the present or swapped pages; `false` (nothing visited) when
    /// the page map cannot be read.
    pub(super) fn visit(base: usize, pages: usize, page: usize, visit: &mut dyn FnMut(usize, usize)) -> bool {
        let Ok(map) = std::fs::File::open("/proc/self/pagemap") else { return false };
        let mut entries = vec![0u8; 8 * super::CHUNK.min(pages)];
        let mut found = Vec::new();
        let mut first = 0;
        while first < pages {
            let n = super::CHUNK.min(pages - first);
            let at = ((base / page + first) * 8) as u64;
            if map.read_exact_at(&mut entries[..8 * n], at).is_err() {
                return false;
            }
            for (i, entry) in entries[..8 * n].chunks_exact(8).enumerate() {
                let mut e = [0u8; 8];
                e.copy_from_slice(entry);
                if u64::from_ne_bytes(e) & PRESENT_OR_SWAPPED != 0 {
                    found.push(first + i);
                }
            }
            first += n;
        }
        found.into_iter().for_each(|i| visit(i, 1));
        true
    }
}

pub(super) fn resident_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * super::page_size() as u64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}
