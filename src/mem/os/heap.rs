//! Heap backend: Miri (which interprets Rust and has no `mmap` or
//! `VirtualAlloc` to offer the simulator's unsafe code), and any host that
//! is neither Unix nor Windows. A region is a zeroed, page-aligned heap
//! block from the global allocator; whether it is committed lazily is the
//! allocator's business. Nothing tracks writes, so content loss takes every
//! page as written.
#![allow(unsafe_code)]

use core::ptr::NonNull;
use std::alloc::Layout;
use std::io;

/// A zeroed heap block, freed on drop.
pub(crate) struct Region {
    base: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the region owns its block and exposes it only through raw
// addresses; moving or sharing the owner across threads is sound.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

const PAGE: usize = 4096;

impl Region {
    /// Allocates `len` (> 0) zeroed bytes aligned to a page.
    pub(crate) fn new(len: usize) -> io::Result<Region> {
        let layout = Layout::from_size_align(len, PAGE).map_err(|_| io::ErrorKind::OutOfMemory)?;
        if len == 0 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { std::alloc::alloc_zeroed(layout) };
        let base = NonNull::new(base).ok_or(io::ErrorKind::OutOfMemory)?;
        Ok(Region { base, layout })
    }

    /// The first byte.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The length given to [`Region::new`].
    pub(crate) fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.base.as_ptr(), self.layout) };
    }
}

pub(super) fn page_size() -> usize {
    PAGE
}

pub(super) fn written_pages(_region: Option<&Region>, _base: usize, len: usize, visit: &mut dyn FnMut(usize, usize)) {
    let pages = len.div_ceil(super::page_size());
    if pages > 0 {
        visit(0, pages);
    }
}

pub(super) fn resident_bytes() -> Option<u64> {
    None
}
