//! Content loss on device removal: every page the caller wrote reads 0xDD.
//!
//! The simulator cannot see writes made through raw pointers, so it asks the
//! kernel which pages are backed: a page counts as written when it is
//! resident or, on a host with swap, swapped out. This uses `mincore` (POSIX)
//! and, for swap, Linux's `/proc/self/pagemap`; a host without them takes
//! every page as written (the contract allows untouched pages to read as
//! zero, not the other way round).
#![allow(unsafe_code)]

use super::{View, LOST_CONTENT_BYTE};

impl View<'_> {
    /// Device removal: every page the caller ever wrote now reads 0xDD.
    ///
    /// The simulator cannot see writes through raw pointers, so it asks the
    /// kernel which pages are backed: a page counts as written when it is
    /// resident or, on a host with swap, swapped out. Without swap `mincore`
    /// answers for a whole chunk in one call, and a chunk with no resident
    /// page is skipped with one compare; with swap `/proc/self/pagemap` is
    /// read a chunk at a time (bit 63 present, bit 62 swapped). Pages never
    /// touched stay unbacked and read as zero, so a huge, mostly untouched
    /// allocation is not committed by its removal. The mapping itself stays
    /// valid until the allocation is destroyed.
    ///
    /// A thread writing through a stale pointer at the same moment races
    /// with these stores, as it would race with a GPU reset; the simulator
    /// never reads the bytes, so the race can only decide which value lands.
    pub(crate) fn lose_content(&self) {
        use std::os::unix::fs::FileExt;
        const CHUNK: usize = 1 << 16;
        const PRESENT_OR_SWAPPED: u64 = 3 << 62;
        let page = host_page_size();
        let pages = self.len.div_ceil(page);
        let pagemap = if host_has_swap() { std::fs::File::open("/proc/self/pagemap").ok() } else { None };
        let mut resident = vec![0u8; CHUNK.min(pages)];
        let untouched = vec![0u8; resident.len()];
        let mut entries = vec![0u8; if pagemap.is_some() { 8 * resident.len() } else { 0 }];
        let fill = |index: usize| {
            let offset = index * page;
            let bytes = page.min(self.len - offset);
            // SAFETY: `offset..offset+bytes` is inside the memory (see
            // `read`), which is writable.
            unsafe { core::ptr::write_bytes(self.ptr().add(offset), LOST_CONTENT_BYTE, bytes) };
        };
        let mut first = 0;
        while first < pages {
            let n = CHUNK.min(pages - first);
            let start = self.base + first * page;
            if let Some(map) = &pagemap {
                let at = (start / page * 8) as u64;
                if map.read_exact_at(&mut entries[..8 * n], at).is_ok() {
                    for (i, entry) in entries[..8 * n].chunks_exact(8).enumerate() {
                        let mut e = [0u8; 8];
                        e.copy_from_slice(entry);
                        if u64::from_ne_bytes(e) & PRESENT_OR_SWAPPED != 0 {
                            fill(first + i);
                        }
                    }
                    first += n;
                    continue;
                }
            }
            let span = (n * page).min(self.len - first * page);
            // SAFETY: `start..start+span` lies inside the allocation's
            // memory (see `read`) and `resident` has one byte per page of it.
            let rc = unsafe { libc::mincore(start as *mut libc::c_void, span, resident.as_mut_ptr()) };
            if rc != 0 {
                // mincore refused (odd caller memory): take every page as written.
                (first..first + n).for_each(fill);
            } else if resident[..n] != untouched[..n] {
                for (i, &state) in resident[..n].iter().enumerate() {
                    if state & 1 == 1 {
                        fill(first + i);
                    }
                }
            }
            first += n;
        }
    }
}

/// The host's page size (what `mincore` counts in).
pub(super) fn host_page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

fn host_has_swap() -> bool {
    std::fs::read_to_string("/proc/swaps").is_ok_and(|s| s.lines().count() > 1)
}

/// Resident set size of this process in bytes (from Linux's
/// `/proc/self/statm`), for tests and tools that check lazy commitment.
///
/// ```
/// if let Some(bytes) = d3dkmt_sim::mem::resident_bytes() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * host_page_size() as u64)
}

#[cfg(test)]
mod tests {
    use crate::mem::{Backing, LOST_CONTENT_BYTE};

    #[test]
    fn lose_content_marks_written_pages_only() {
        let memory = Backing::anonymous(4 * 4096).unwrap();
        let b = memory.view().unwrap();
        assert!(b.write(4096 + 7, b"hello"));
        b.lose_content();
        let mut page = vec![0u8; 4096];
        assert!(b.read(4096, &mut page));
        assert!(page.iter().all(|&x| x == LOST_CONTENT_BYTE));
        assert!(b.read(3 * 4096, &mut page));
        assert!(page.iter().all(|&x| x == 0), "untouched pages stay zero");
    }
}
