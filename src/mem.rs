//! Backing memory of allocations: real, lazily committed, with a stable base.
//!
//! Each simulator-owned allocation is one anonymous private mapping made with
//! `MAP_NORESERVE` (through `memmap2`): creating it reserves address space
//! only, and the kernel commits a page the first time it is touched, so a
//! 1 TiB allocation costs a few page-table entries until it is written.
//! Adjacent anonymous mappings merge into one kernel VMA, so even 10^6 live
//! allocations stay far below `vm.max_map_count`.
//!
//! Caller-provided memory (`pSystemMem`) is borrowed, never freed here.
//!
//! The handle tables' slots live in the same kind of mapping
//! (`SlotArray`): a fixed reservation whose slots never move, so a lookup
//! is a bounds check and an index.
//!
//! This module and `ffi` are the only ones allowed `unsafe`.
#![allow(unsafe_code)]

use std::io;

use memmap2::{MmapMut, MmapOptions};

/// Byte written over content lost to device removal (abi.md §7).
pub(crate) const LOST_CONTENT_BYTE: u8 = 0xDD;

/// Who owns an allocation's memory, and where it is. The lock path reads
/// the base address from the allocation slot without a lock; everything
/// that touches the bytes goes through [`Backing::view`], whose address and
/// length come from the owner itself, so no stale or racing slot field can
/// make an access leave the memory.
#[derive(Default)]
pub(crate) enum Backing {
    /// The allocation is destroyed (or not created yet).
    #[default]
    Gone,
    /// Simulator memory: an anonymous mapping, unmapped on drop.
    Mapped(MmapMut),
    /// Caller memory (`pSystemMem`), borrowed; the simulator reads and
    /// writes only its first `len` bytes (the size the caller asked for,
    /// which may be less than the page-rounded allocation).
    Caller {
        /// Start of the caller's memory.
        base: usize,
        /// Bytes of caller memory the simulator may touch.
        len: usize,
    },
}

impl Backing {
    /// Reserves `len` bytes of zeroed, lazily committed memory; returns the
    /// owner and the base address.
    pub(crate) fn anonymous(len: usize) -> io::Result<(Backing, usize)> {
        let map = MmapOptions::new().len(len).no_reserve_swap().map_anon()?;
        let base = map.as_ptr() as usize;
        Ok((Backing::Mapped(map), base))
    }

    /// The memory of a live backing, for as long as the borrow of `self`
    /// (the caller holds the slot's backing lock). `None` once the
    /// allocation is gone.
    pub(crate) fn view(&self) -> Option<View<'_>> {
        let (base, len) = match self {
            Backing::Gone => return None,
            Backing::Mapped(map) => (map.as_ptr() as usize, map.len()),
            Backing::Caller { base, len } => (*base, *len),
        };
        Some(View { base, len, _owner: core::marker::PhantomData })
    }
}

impl std::fmt::Debug for Backing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backing::Gone => "Gone",
            Backing::Mapped(_) => "Mapped",
            Backing::Caller { .. } => "Caller",
        })
    }
}

/// A live allocation's memory, valid while the borrowed [`Backing`] is.
pub(crate) struct View<'a> {
    base: usize,
    len: usize,
    _owner: core::marker::PhantomData<&'a Backing>,
}

impl View<'_> {
    fn ptr(&self) -> *mut u8 {
        self.base as *mut u8
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`; `false` if out of range.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> bool {
        if offset.checked_add(buf.len()).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: the range is inside the allocation's memory, which stays
        // valid while the Backing borrowed by this view is alive (a mapping
        // it owns, or caller memory under `SystemMemory::new`'s contract);
        // `buf` is a distinct Rust buffer, so the ranges do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(self.ptr().add(offset), buf.as_mut_ptr(), buf.len()) };
        true
    }

    /// Copies `data` to `offset`; `false` if out of range.
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> bool {
        if offset.checked_add(data.len()).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: as in `read`; the memory is writable.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr().add(offset), data.len()) };
        true
    }

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

/// A fixed-capacity array of slots in one anonymous no-reserve mapping: the
/// storage behind a handle table.
///
/// The whole capacity is reserved at once (address space only: the kernel
/// commits a page when a slot on it is first written), so a slot never
/// moves and reading slot `i` is one bounds check against the number of
/// slots constructed so far plus an index, with no lock and no per-segment
/// indirection. Slots are constructed (`T::default()`) a page's worth at a
/// time as the table grows, are never dropped or reused for another type
/// while the array lives, and are dropped with it.
pub(crate) struct SlotArray<T> {
    /// Start of the mapping, aligned to the host page (>= `align_of::<T>()`).
    base: core::ptr::NonNull<T>,
    /// Slots `0..len` are constructed `T`s; only grows.
    len: crate::sync::AtomicUsize,
    capacity: usize,
    /// Serialises growth (a leaf lock).
    grow: crate::sync::Mutex<()>,
    /// Owns the reservation; unmapped on drop, after the slots are dropped.
    _map: MmapMut,
}

// SAFETY: a SlotArray owns its `T`s (as a Vec would) and hands out only
// shared references, so it may move to and be shared with other threads
// exactly when `T` may.
unsafe impl<T: Send + Sync> Send for SlotArray<T> {}
// SAFETY: as above; growth is serialised by `grow` and publishes new slots
// with a release store of `len` that readers acquire.
unsafe impl<T: Send + Sync> Sync for SlotArray<T> {}

impl<T: Default> SlotArray<T> {
    /// Reserves room for `capacity` slots.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        let bytes = capacity
            .checked_mul(core::mem::size_of::<T>())
            .filter(|&b| b > 0 && core::mem::align_of::<T>() <= host_page_size())
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let mut map = MmapOptions::new().len(bytes).no_reserve_swap().map_anon()?;
        let base = core::ptr::NonNull::new(map.as_mut_ptr().cast::<T>())
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        Ok(SlotArray {
            base,
            len: crate::sync::AtomicUsize::new(0),
            capacity,
            grow: crate::sync::Mutex::new(()),
            _map: map,
        })
    }

    /// The slot at `index`, if it has been constructed.
    #[inline(always)]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        if index < self.len.load(crate::sync::Ordering::Acquire) {
            // SAFETY: slots below `len` were constructed before `len` was
            // published (release/acquire), are never dropped while `self`
            // lives, and are only ever shared.
            Some(unsafe { &*self.base.as_ptr().add(index) })
        } else {
            None
        }
    }

    /// How many slots the array can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Constructs slots so that `0..end` exist; false if `end` exceeds the
    /// capacity (nothing is constructed then).
    pub(crate) fn grow_to(&self, end: usize) -> bool {
        use crate::sync::Ordering::{Relaxed, Release};
        if end > self.capacity {
            return false;
        }
        let _grow = self.grow.lock();
        let len = self.len.load(Relaxed);
        if end <= len {
            return true;
        }
        // A page of slots at a time, so `len` (read by every lookup) is
        // written rarely.
        let step = (host_page_size() / core::mem::size_of::<T>()).max(1);
        let new_len = end.next_multiple_of(step).min(self.capacity);
        for index in len..new_len {
            // SAFETY: `index < capacity`, so the slot lies inside the
            // mapping, suitably aligned (page-aligned base, `size_of` a
            // multiple of `align_of`); it was never constructed (>= len) and
            // no reader looks at it before `len` is published below.
            unsafe { self.base.as_ptr().add(index).write(T::default()) };
        }
        self.len.store(new_len, Release);
        true
    }
}

impl<T> Drop for SlotArray<T> {
    fn drop(&mut self) {
        let len = self.len.load(crate::sync::Ordering::Acquire);
        for index in 0..len {
            // SAFETY: slots below `len` are constructed and dropped once,
            // here; `&mut self` means no reference to them is alive.
            unsafe { core::ptr::drop_in_place(self.base.as_ptr().add(index)) };
        }
    }
}

/// True when a caller pointer is aligned to `align` (a power of two).
pub(crate) fn is_aligned(ptr: *const u8, align: usize) -> bool {
    (ptr as usize) & (align - 1) == 0
}

fn host_page_size() -> usize {
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

/// Resident set size of this process in bytes (from `/proc/self/statm`), for
/// tests and tools that check lazy commitment. `None` off Linux.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * host_page_size() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_memory_is_zeroed_and_round_trips() {
        let (owner, base) = Backing::anonymous(3 * 4096).unwrap();
        let b = owner.view().unwrap();
        assert_eq!(b.base, base);
        let mut buf = [1u8; 16];
        assert!(b.read(4090, &mut buf));
        assert_eq!(buf, [0; 16]);
        assert!(b.write(4090, b"0123456789abcdef"));
        assert!(b.read(4090, &mut buf));
        assert_eq!(&buf, b"0123456789abcdef");
        assert!(!b.write(3 * 4096 - 1, b"xy"));
        assert!(!b.read(usize::MAX, &mut buf));
    }

    #[test]
    fn lose_content_marks_written_pages_only() {
        let (owner, base) = Backing::anonymous(4 * 4096).unwrap();
        let b = owner.view().unwrap();
        assert_eq!(b.base, base);
        assert!(b.write(4096 + 7, b"hello"));
        b.lose_content();
        let mut page = vec![0u8; 4096];
        assert!(b.read(4096, &mut page));
        assert!(page.iter().all(|&x| x == LOST_CONTENT_BYTE));
        assert!(b.read(3 * 4096, &mut page));
        assert!(page.iter().all(|&x| x == 0), "untouched pages stay zero");
    }
}

/// Caller memory that backs an allocation instead of simulator memory
/// (`pSystemMem` in `D3DDDI_ALLOCATIONINFO2`).
///
/// ```
/// use d3dkmt_sim::{AllocationDesc, SimConfig, Simulator, SystemMemory};
/// let sim = Simulator::new(SimConfig::default()).unwrap();
/// let adapter = sim.enum_adapters(1).unwrap()[0].handle;
/// let device = sim.create_device(adapter).unwrap();
/// // One page-aligned page that outlives the allocation.
/// let layout = std::alloc::Layout::from_size_align(4096, 4096).unwrap();
/// let buf = unsafe { std::alloc::alloc_zeroed(layout) };
/// // SAFETY: `buf` is 4096 writable bytes, freed only after the destroy below.
/// let memory = unsafe { SystemMemory::new(buf, 4096) };
/// let alloc = sim.create_allocation(device, AllocationDesc::new(4096).with_system_memory(memory)).unwrap();
/// assert_eq!(sim.lock2(device, alloc).unwrap().as_ptr(), buf);
/// sim.destroy_allocations(device, &[alloc]).unwrap();
/// unsafe { std::alloc::dealloc(buf, layout) };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemMemory {
    addr: usize,
    len: usize,
}

impl SystemMemory {
    /// Describes `len` bytes at `ptr`.
    ///
    /// # Safety
    ///
    /// From the moment an allocation is created over it until that allocation
    /// is destroyed (directly, with its device, by a reset, or by dropping
    /// the simulator), `ptr..ptr + len` must be valid for reads and writes
    /// and must not be freed: the simulator writes to it (for example,
    /// content loss on device removal). The simulator itself never touches
    /// memory past `len`; the allocation's size must not exceed `len` and
    /// `ptr` must be aligned to the adapter page size (both checked at
    /// creation). The allocation is page-rounded, so a lock's [`crate::Mapping`]
    /// may extend past `len`: those bytes are not backed by this memory.
    pub unsafe fn new(ptr: *mut u8, len: usize) -> Self {
        SystemMemory { addr: ptr as usize, len }
    }

    /// The start address.
    pub fn as_ptr(&self) -> *mut u8 {
        self.addr as *mut u8
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The owner and base address of an allocation over this memory.
    pub(crate) fn backing(&self) -> (Backing, usize) {
        (Backing::Caller { base: self.addr, len: self.len }, self.addr)
    }
}
