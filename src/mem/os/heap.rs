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

const PAGE: usize = 4096;

/// A zeroed, page-aligned heap block of `len` (> 0) bytes.
pub(super) fn reserve(len: usize) -> io::Result<NonNull<u8>> {
    let layout = Layout::from_size_align(len, PAGE).map_err(|_| io::ErrorKind::OutOfMemory)?;
    // SAFETY: the layout has a non-zero size (Region::new refuses 0).
    let base = unsafe { std::alloc::alloc_zeroed(layout) };
    NonNull::new(base).ok_or_else(|| io::ErrorKind::OutOfMemory.into())
}

/// Frees what [`reserve`] allocated.
///
/// # Safety
///
/// `base` and `len` are a block [`reserve`] returned, freed once.
pub(super) unsafe fn release(base: NonNull<u8>, len: usize) {
    // SAFETY: the caller's promise: the layout `reserve` used, which it
    // could build, so it is valid.
    unsafe { std::alloc::dealloc(base.as_ptr(), Layout::from_size_align_unchecked(len, PAGE)) };
}

pub(super) fn page_size() -> usize {
    PAGE
}

pub(super) fn written_pages(
    _region: Option<&super::Region>,
    _base: usize,
    len: usize,
    visit: &mut dyn FnMut(usize, usize),
) {
    let pages = len.div_ceil(super::page_size());
    if pages > 0 {
        visit(0, pages);
    }
}

pub(super) fn resident_bytes() -> Option<u64> {
    None
}
