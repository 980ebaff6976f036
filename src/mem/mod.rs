//! Memory: the backing store of allocations (real, lazily committed, with a
//! stable base), what a lock hands out ([`Mapping`]), and the chunked slot
//! storage behind the handle tables (`Slots`). Public for one helper,
//! [`resident_bytes`]; everything else in it is the engine's.
//!
//! Each simulator-owned allocation is one region of the host's virtual
//! memory: zeroed, at a stable address, committed lazily, from one backend
//! per OS (`os`, whose table says which; `docs/memory.md` says what "lazy"
//! costs on each).
//! Caller-provided memory (`pSystemMem`) is borrowed, never freed here.
//!
//! This module and `ffi` are the only ones allowed `unsafe`.
#![allow(unsafe_code)]

mod loss;
mod os;
mod shared;
mod slots;

use std::io;

use self::os::Region;

pub(crate) use self::slots::Slots;

pub use self::loss::resident_bytes;

/// Byte written over content lost to device removal.
pub(crate) const LOST_CONTENT_BYTE: u8 = 0xDD;

/// Who owns an allocation's memory, and where it is. The lock path reads
/// the base address from the allocation's slot without a lock; everything
/// that touches the bytes goes through [`Backing::view`], whose address and
/// length come from the owner itself, so no stale or racing slot field can
/// make an access leave the memory.
#[derive(Default)]
pub(crate) enum Backing {
    /// The allocation is destroyed (or not created yet).
    #[default]
    Gone,
    /// Simulator memory: a lazily committed region, released on drop.
    Mapped(Region),
    /// Caller memory (`pSystemMem`), borrowed; the simulator reads and
    /// writes only its first `len` bytes (the size the caller asked for,
    /// which may be less than the page-rounded allocation).
    Caller {
        /// Start of the caller's memory.
        base: *mut u8,
        /// Bytes of caller memory the simulator may touch.
        len: usize,
    },
}

impl Backing {
    /// Reserves `len` bytes of zeroed, lazily committed memory.
    pub(crate) fn anonymous(len: usize) -> io::Result<Backing> {
        Ok(Backing::Mapped(Region::new(len)?))
    }

    /// The address a lock hands out for this memory (null once gone).
    pub(crate) fn base(&self) -> *mut u8 {
        match self {
            Backing::Gone => core::ptr::null_mut(),
            Backing::Mapped(region) => region.as_ptr(),
            Backing::Caller { base, .. } => *base,
        }
    }

    /// The memory of a live backing, for as long as the borrow of `self`
    /// (the caller holds the slot's memory lock). `None` once gone.
    pub(crate) fn view(&self) -> Option<View<'_>> {
        let (base, len, region) = match self {
            Backing::Gone => return None,
            Backing::Mapped(region) => (region.as_ptr(), region.len(), Some(region)),
            Backing::Caller { base, len } => (*base, *len, None),
        };
        Some(View { base, len, region })
    }
}

// SAFETY: a Backing is the owner of its memory (a Region, itself Send and
// Sync) or the description of caller memory that `SystemMemory::new`'s
// contract keeps valid for any thread; every access to the bytes goes
// through `View` and `shared`'s atomic accesses, so sharing it races nothing.
unsafe impl Send for Backing {}
// SAFETY: as for Send.
unsafe impl Sync for Backing {}

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
    base: *mut u8,
    len: usize,
    /// The simulator's own region, `None` for caller memory.
    region: Option<&'a Region>,
}

impl View<'_> {
    fn ptr(&self) -> *mut u8 {
        self.base
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`; `false` if out of range.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> bool {
        if offset.checked_add(buf.len()).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: the range is inside the allocation's memory, which stays
        // valid while the Backing borrowed by this view is alive (a mapping
        // it owns, or caller memory under `SystemMemory::new`'s contract);
        // Rust touches it only through `shared`'s atomic accesses.
        unsafe { shared::read(self.ptr().add(offset), buf) };
        true
    }

    /// Sets `len` bytes at `offset` to `byte`; `false` if out of range.
    pub(crate) fn fill(&self, offset: usize, len: usize, byte: u8) -> bool {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: as in `write`.
        unsafe { shared::fill(self.ptr().add(offset), byte, len) };
        true
    }

    /// The allocation's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies `data` to `offset`; `false` if out of range.
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> bool {
        if offset.checked_add(data.len()).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: as in `read`; the memory is writable and `data`, a Rust
        // buffer, is not part of it.
        unsafe { shared::write(self.ptr().add(offset), data) };
        true
    }
}

/// A CPU mapping returned by a successful lock: the address the thunk writes
/// to `pData` and how many bytes from it belong to the allocation.
///
/// The address stays valid (readable and writable) until the allocation is
/// destroyed, even after unlock or device removal, exactly as a C caller
/// sees it; dereferencing it is up to `unsafe` caller code. Safe code uses
/// [`crate::LockGuard::read_at`] and [`crate::LockGuard::write_at`].
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(5000))?;
/// let mapping = sim.lock2(device, alloc)?;
/// assert_eq!(mapping.len(), 8192, "rounded up to whole pages");
/// assert!(!mapping.as_ptr().is_null());
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    addr: *mut u8,
    len: usize,
}

// SAFETY: a Mapping is an address and a length, as a C caller's pData is:
// it owns nothing and dereferences nothing itself (safe code reaches the
// bytes only through a LockGuard), so moving or sharing it between threads
// is as sound as sharing the integer it once was.
unsafe impl Send for Mapping {}
// SAFETY: as for Send.
unsafe impl Sync for Mapping {}

impl Mapping {
    #[inline(always)]
    pub(crate) const fn new(addr: *mut u8, len: usize) -> Self {
        Mapping { addr, len }
    }
    /// The address (`pData`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let ptr = sim.lock2(device, alloc)?.as_ptr();
    /// sim.unlock2(device, alloc)?;
    /// assert_eq!(sim.lock2(device, alloc)?.as_ptr(), ptr, "the same memory at each lock");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn as_ptr(&self) -> *mut u8 {
        self.addr
    }
    /// The bytes from [`Mapping::as_ptr`] to the end of the allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(3 * 4096))?;
    /// assert_eq!(sim.lock2(device, alloc)?.len(), 3 * 4096);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }
    /// Always false: allocations are never empty.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(1))?;
    /// assert!(!sim.lock2(device, alloc)?.is_empty());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The mapping `offset` bytes further on (a page lock's first page).
    pub(crate) const fn offset(self, offset: usize) -> Self {
        Mapping { addr: self.addr.wrapping_add(offset), len: self.len.saturating_sub(offset) }
    }
}

/// A copy of caller bytes (private driver data), or `None` when the host
/// cannot provide the memory: a caller's size never aborts the process.
pub(crate) fn copy_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len()).ok()?;
    copy.extend_from_slice(bytes);
    Some(copy)
}

/// True when a caller pointer is aligned to `align` (a power of two).
pub(crate) fn is_aligned(ptr: *const u8, align: usize) -> bool {
    (ptr as usize) & (align - 1) == 0
}

/// Caller memory that backs an allocation instead of simulator memory
/// (`pSystemMem` in `D3DDDI_ALLOCATIONINFO2`).
///
/// ```
/// use d3dkmt_sim::{AllocationDesc, SimConfig, Simulator, SystemMemory};
/// let sim = Simulator::new(SimConfig::default()).unwrap();
/// let adapter = sim.enum_adapters().unwrap()[0].handle;
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
    addr: *mut u8,
    len: usize,
}

// SAFETY: a description of caller memory (an address and a length); it
// touches nothing itself, and `SystemMemory::new`'s contract makes the
// memory valid for whichever thread the allocation over it is used from.
unsafe impl Send for SystemMemory {}
// SAFETY: as for Send.
unsafe impl Sync for SystemMemory {}

impl SystemMemory {
    /// Describes `len` bytes at `ptr`.
    ///
    /// ```
    /// use d3dkmt_sim::SystemMemory;
    /// let mut buf = [0u8; 64];
    /// // SAFETY: describing memory is safe; only an allocation over it needs the rules.
    /// let memory = unsafe { SystemMemory::new(buf.as_mut_ptr(), buf.len()) };
    /// assert_eq!((memory.as_ptr(), memory.len()), (buf.as_mut_ptr(), 64));
    /// ```
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
    /// creation). The allocation is page-rounded, so a lock's [`Mapping`]
    /// may extend past `len`: those bytes are not backed by this memory.
    pub unsafe fn new(ptr: *mut u8, len: usize) -> Self {
        SystemMemory { addr: ptr, len }
    }

    /// The start address.
    ///
    /// ```
    /// use d3dkmt_sim::SystemMemory;
    /// let mut buf = [0u8; 16];
    /// // SAFETY: never backs an allocation.
    /// let memory = unsafe { SystemMemory::new(buf.as_mut_ptr(), 16) };
    /// assert_eq!(memory.as_ptr(), buf.as_mut_ptr());
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.addr
    }

    /// The length in bytes.
    ///
    /// ```
    /// use d3dkmt_sim::SystemMemory;
    /// let mut buf = [0u8; 16];
    /// // SAFETY: never backs an allocation.
    /// let memory = unsafe { SystemMemory::new(buf.as_mut_ptr(), 16) };
    /// assert_eq!(memory.len(), 16);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the length is zero.
    ///
    /// ```
    /// use d3dkmt_sim::SystemMemory;
    /// let mut buf = [0u8; 16];
    /// // SAFETY: never backs an allocation.
    /// assert!(unsafe { SystemMemory::new(buf.as_mut_ptr(), 0) }.is_empty());
    /// assert!(!unsafe { SystemMemory::new(buf.as_mut_ptr(), 16) }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Caller memory at `ptr` whose length is the size of the allocation it
    /// will back, not known yet (a C caller's `pSystemMem`; the driver model
    /// decides the size). Creation clamps it to that size
    /// ([`SystemMemory::clamped`]) before anything touches it.
    ///
    /// # Safety
    ///
    /// As [`SystemMemory::new`], for the size the allocation will have.
    #[cfg_attr(not(all(feature = "c-abi", not(any(loom, shuttle)))), allow(dead_code))]
    pub(crate) unsafe fn sized_by_allocation(ptr: *mut u8) -> Self {
        SystemMemory { addr: ptr, len: usize::MAX }
    }

    /// The same memory, no longer than `len` bytes.
    pub(crate) fn clamped(self, len: usize) -> Self {
        SystemMemory { addr: self.addr, len: self.len.min(len) }
    }

    /// The owner of an allocation's memory over this caller memory.
    pub(crate) fn backing(&self) -> Backing {
        Backing::Caller { base: self.addr, len: self.len }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_memory_is_zeroed_and_round_trips() {
        let memory = Backing::anonymous(3 * 4096).unwrap();
        let b = memory.view().unwrap();
        assert_eq!(b.base, memory.base());
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
    fn a_gone_backing_has_no_view() {
        assert!(Backing::Gone.view().is_none());
        assert!(Backing::Gone.base().is_null());
    }
}
