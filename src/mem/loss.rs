//! Content loss on device removal: every page the caller wrote reads 0xDD.
#![allow(unsafe_code)]

use super::{os, View, LOST_CONTENT_BYTE};

impl View<'_> {
    /// Device removal: every page the caller ever wrote now reads 0xDD.
    ///
    /// The simulator cannot see writes through raw pointers, so it asks the
    /// host which pages may hold written data ([`os::written_pages`]: the
    /// write record of the simulator's own memory where the host keeps one,
    /// else the pages it reports as backed). Pages never touched stay
    /// unbacked and read as zero, so a huge, mostly untouched allocation is
    /// not committed by its removal. The memory itself stays valid until
    /// the allocation is destroyed.
    ///
    /// A thread writing through a stale pointer at the same moment races
    /// with these stores, as it would race with a GPU reset; the simulator
    /// never reads the bytes, so the race can only decide which value lands.
    pub(crate) fn lose_content(&self) {
        let page = os::page_size();
        os::written_pages(self.region, self.base as usize, self.len, &mut |first, count| {
            let offset = first * page;
            let bytes = (count * page).min(self.len.saturating_sub(offset));
            if bytes > 0 {
                // SAFETY: `offset..offset + bytes` is inside the memory (its
                // end is clamped to `len`), which is writable while the
                // backing this view borrows is alive; a guard copying at the
                // same time uses atomic accesses too.
                unsafe { super::shared::fill(self.ptr().add(offset), LOST_CONTENT_BYTE, bytes) };
            }
        });
    }
}

/// Resident set size of this process in bytes, for tests and tools that
/// check lazy commitment: Linux and Windows report it; `None` on hosts that
/// do not tell it cheaply (macOS, the BSDs, Miri).
///
/// ```
/// if let Some(bytes) = d3dkmt_sim::mem::resident_bytes() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn resident_bytes() -> Option<u64> {
    os::resident_bytes()
}

#[cfg(test)]
mod tests {
    use crate::mem::{os, Backing, LOST_CONTENT_BYTE};

    #[test]
    fn lose_content_marks_written_pages_only() {
        let page = os::page_size();
        let memory = Backing::anonymous(4 * page).unwrap();
        let b = memory.view().unwrap();
        assert!(b.write(page + 7, b"hello"));
        b.lose_content();
        let mut bytes = vec![0u8; page];
        assert!(b.read(page, &mut bytes));
        assert!(bytes.iter().all(|&x| x == LOST_CONTENT_BYTE), "the written page is lost");
        assert!(b.read(3 * page, &mut bytes));
        // Where the host keeps no write record (the heap backend under
        // Miri), every page counts as written.
        let tracked = !cfg!(any(miri, not(any(unix, windows))));
        if tracked {
            assert!(bytes.iter().all(|&x| x == 0), "untouched pages stay zero");
        }
    }

    #[test]
    fn caller_memory_loses_only_its_own_bytes() {
        let page = os::page_size();
        let owner = Backing::anonymous(2 * page).unwrap();
        // Caller memory: the first page and a half of the owner's region.
        let caller = Backing::Caller { base: owner.base(), len: page + page / 2 };
        let view = caller.view().unwrap();
        assert!(view.write(page, b"x"));
        view.lose_content();
        let mut tail = vec![0u8; page / 2];
        assert!(owner.view().unwrap().read(page + page / 2, &mut tail));
        assert!(tail.iter().all(|&x| x == 0), "nothing past the caller's length is written");
        let mut head = [0u8; 1];
        assert!(view.read(page, &mut head));
        assert_eq!(head, [LOST_CONTENT_BYTE]);
    }
}
