//! Adapters, devices and allocations: the slots behind the handles, and the
//! plain value types the API takes and returns.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::{Error, Result};
use crate::mem::{Backing, SystemMemory};
use crate::sync::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering};

// === public value types ===

/// A locally unique adapter identifier (Windows `LUID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Luid {
    /// `LowPart`.
    pub low: u32,
    /// `HighPart`.
    pub high: i32,
}

/// One adapter returned by [`crate::Simulator::enum_adapters`], with a newly
/// opened handle the caller closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The opened handle.
    pub handle: crate::AdapterHandle,
    /// The adapter's LUID.
    pub luid: Luid,
}

/// A device's execution state (`D3DKMT_DEVICEEXECUTION_STATE`). Every state
/// but `Active` is a removal reason.
#[non_exhaustive]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionState {
    /// The device works.
    Active = 1,
    /// Removed by a reset (TDR); the default removal reason.
    Reset = 2,
    /// Removed: the device hung (also what an injected fault uses).
    Hung = 3,
    /// Removed: the adapter was stopped (surprise removal).
    Stopped = 4,
    /// Removed: out of memory.
    ErrorOutOfMemory = 5,
    /// Removed: DMA fault.
    ErrorDmaFault = 6,
    /// Removed: DMA page fault.
    ErrorDmaPageFault = 7,
}

impl ExecutionState {
    /// Parses a `D3DKMT_DEVICEEXECUTION_STATE` value (1..=7).
    ///
    /// ```
    /// use d3dkmt_sim::ExecutionState;
    /// assert_eq!(ExecutionState::from_raw(3), Some(ExecutionState::Hung));
    /// assert_eq!(ExecutionState::from_raw(8), None);
    /// ```
    pub const fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            1 => ExecutionState::Active,
            2 => ExecutionState::Reset,
            3 => ExecutionState::Hung,
            4 => ExecutionState::Stopped,
            5 => ExecutionState::ErrorOutOfMemory,
            6 => ExecutionState::ErrorDmaFault,
            7 => ExecutionState::ErrorDmaPageFault,
            _ => return None,
        })
    }

    /// The raw value.
    pub const fn to_raw(self) -> u32 {
        self as i32 as u32
    }
}

/// What to create: the parsed form of a `SIMKMT_ALLOCATION_DESC` plus the
/// optional caller memory of `pSystemMem`.
///
/// ```
/// use d3dkmt_sim::AllocationDesc;
/// let desc = AllocationDesc::new(10_000);
/// assert!(desc.cpu_visible);
/// let hidden = AllocationDesc::new(4096).not_cpu_visible();
/// assert!(!hidden.cpu_visible);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocationDesc {
    /// Size in bytes, > 0; rounded up to whole pages.
    pub size: u64,
    /// Whether the CPU can lock it.
    pub cpu_visible: bool,
    /// Caller memory to use as the backing store instead of simulator memory.
    pub system_memory: Option<SystemMemory>,
}

/// `SIMKMT_ALLOCATION_DESC_VERSION`.
pub const ALLOCATION_DESC_VERSION: u32 = 1;
/// `SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE`.
pub const ALLOCATION_FLAG_NOT_CPU_VISIBLE: u32 = 0x1;
/// Size of a `SIMKMT_ALLOCATION_DESC` in bytes.
pub const ALLOCATION_DESC_SIZE: usize = 16;

impl AllocationDesc {
    /// A CPU-visible allocation of `size` bytes backed by simulator memory.
    pub const fn new(size: u64) -> Self {
        AllocationDesc { size, cpu_visible: true, system_memory: None }
    }

    /// The same, not CPU-visible (locks fail with `STATUS_INVALID_PARAMETER`).
    pub const fn not_cpu_visible(mut self) -> Self {
        self.cpu_visible = false;
        self
    }

    /// The same, backed by caller memory.
    pub const fn with_system_memory(mut self, memory: SystemMemory) -> Self {
        self.system_memory = Some(memory);
        self
    }

    /// Parses the private driver data the simulated kernel-mode driver reads
    /// (a `SIMKMT_ALLOCATION_DESC`, abi.md §4): `None` (a NULL pointer), a
    /// short buffer, another version, unknown flags or size 0 are
    /// `InvalidParameter`.
    ///
    /// ```
    /// use d3dkmt_sim::AllocationDesc;
    /// let mut raw = [0u8; 16];
    /// raw[0] = 1; // Version
    /// raw[8..].copy_from_slice(&8192u64.to_le_bytes());
    /// assert_eq!(AllocationDesc::from_private_data(Some(&raw)).unwrap().size, 8192);
    /// assert!(AllocationDesc::from_private_data(Some(&raw[..12])).is_err());
    /// assert!(AllocationDesc::from_private_data(None).is_err());
    /// ```
    pub fn from_private_data(data: Option<&[u8]>) -> Result<Self> {
        let data = data.ok_or(Error::InvalidParameter("allocation private data is NULL"))?;
        if data.len() < ALLOCATION_DESC_SIZE {
            return Err(Error::InvalidParameter("allocation private data is too short"));
        }
        let u32_at = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        let version = u32_at(0);
        let flags = u32_at(4);
        let mut size = [0u8; 8];
        size.copy_from_slice(&data[8..16]);
        let size = u64::from_le_bytes(size);
        if version != ALLOCATION_DESC_VERSION {
            return Err(Error::InvalidParameter("unknown SIMKMT_ALLOCATION_DESC version"));
        }
        if flags & !ALLOCATION_FLAG_NOT_CPU_VISIBLE != 0 {
            return Err(Error::InvalidParameter("unknown SIMKMT_ALLOCATION_FLAG bits"));
        }
        if size == 0 {
            return Err(Error::InvalidParameter("allocation size is 0"));
        }
        Ok(AllocationDesc { size, cpu_visible: flags & ALLOCATION_FLAG_NOT_CPU_VISIBLE == 0, system_memory: None })
    }
}

/// The state of one allocation (`SIMKMT_ALLOCATION_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocationInfo {
    /// Size in bytes, rounded to pages.
    pub size: u64,
    /// Number of pages.
    pub page_count: u64,
    /// Lock references held (0 once the device was removed).
    pub lock_count: u32,
    /// True while uncompleted submitted work references it.
    pub busy: bool,
    /// Whether it is CPU-visible.
    pub cpu_visible: bool,
}

/// A CPU mapping returned by a successful lock: the address the thunk writes
/// to `pData` and how many bytes from it belong to the allocation.
///
/// The address stays valid (readable and writable) until the allocation is
/// destroyed, even after unlock or device removal, exactly as a C caller
/// sees it; dereferencing it is up to `unsafe` caller code. Safe code uses
/// [`crate::LockGuard::read_at`] and [`crate::LockGuard::write_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    addr: usize,
    len: usize,
}

impl Mapping {
    pub(crate) const fn new(addr: usize, len: usize) -> Self {
        Mapping { addr, len }
    }
    /// The address (`pData`).
    pub const fn as_ptr(&self) -> *mut u8 {
        self.addr as *mut u8
    }
    /// The bytes from [`Mapping::as_ptr`] to the end of the allocation.
    pub const fn len(&self) -> usize {
        self.len
    }
    /// Always false: allocations are never empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `D3DDDICB_LOCKFLAGS` for the legacy page lock.
///
/// ```
/// use d3dkmt_sim::LockFlags;
/// let flags = LockFlags::READ_ONLY | LockFlags::DONOT_WAIT;
/// assert!(flags.contains(LockFlags::DONOT_WAIT));
/// assert_eq!(flags.bits(), 0x5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LockFlags(pub u32);

impl LockFlags {
    /// The CPU only reads.
    pub const READ_ONLY: LockFlags = LockFlags(0x1);
    /// The CPU only writes (not together with `READ_ONLY`).
    pub const WRITE_ONLY: LockFlags = LockFlags(0x2);
    /// Fail with `ALLOCATION_BUSY` instead of waiting for the GPU.
    pub const DONOT_WAIT: LockFlags = LockFlags(0x4);
    /// Skip the busy check altogether (wins over `DONOT_WAIT`).
    pub const IGNORE_SYNC: LockFlags = LockFlags(0x8);
    /// Lock the whole allocation, ignoring any page list.
    pub const LOCK_ENTIRE: LockFlags = LockFlags(0x10);
    /// Accepted, no effect in the simulator.
    pub const DONOT_EVICT: LockFlags = LockFlags(0x20);
    /// Accepted, no effect in the simulator.
    pub const ACQUIRE_APERTURE: LockFlags = LockFlags(0x40);
    /// Accepted; the simulator never renames, so the handle stays the same.
    pub const DISCARD: LockFlags = LockFlags(0x80);
    /// Accepted, no effect in the simulator.
    pub const NO_EXISTING_REFERENCE: LockFlags = LockFlags(0x100);
    /// Accepted, no effect in the simulator.
    pub const USE_ALTERNATE_VA: LockFlags = LockFlags(0x200);
    /// Accepted; waits as a plain lock does (the simulator does not tell
    /// GPU reads from writes).
    pub const IGNORE_READ_SYNC: LockFlags = LockFlags(0x400);
    /// Bits that must be zero.
    pub const RESERVED: LockFlags = LockFlags(0xFFFF_F800);

    /// The raw value.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// True when every bit of `other` is set.
    pub const fn contains(self, other: LockFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// True when any bit of `other` is set.
    pub const fn intersects(self, other: LockFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl core::ops::BitOr for LockFlags {
    type Output = LockFlags;
    fn bitor(self, rhs: LockFlags) -> LockFlags {
        LockFlags(self.0 | rhs.0)
    }
}

/// Which pages a legacy lock names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pages<'a> {
    /// The whole allocation (`NumPages == 0` or `LockEntire`).
    Entire,
    /// Zero-based page indices; the mapping starts at the first. Every index
    /// must be below the page count, and the list must not be empty.
    List(&'a [u32]),
}

// === slots ===

/// A physical adapter. A simulator has [`crate::MAX_ADAPTERS`] of them, of
/// which the configured count are present; a reset reconfigures them in
/// place.
#[derive(Default)]
pub(crate) struct Adapter {
    /// The LUID, packed as `HighPart << 32 | LowPart`.
    luid: AtomicU64,
    pub(crate) budget: AtomicU64,
    pub(crate) used: AtomicU64,
    pub(crate) removed: AtomicBool,
    /// Live devices (slot indices). Lock order: this, then a device's inner.
    pub(crate) devices: Mutex<HashSet<u32>>,
}

impl Adapter {
    pub(crate) fn luid(&self) -> Luid {
        let packed = self.luid.load(Ordering::Relaxed);
        Luid { low: packed as u32, high: (packed >> 32) as i32 }
    }

    pub(crate) fn set_luid(&self, luid: Luid) {
        self.luid.store(u64::from(luid.low) | (u64::from(luid.high as u32) << 32), Ordering::Relaxed);
    }
}

/// An opened adapter handle.
#[derive(Default)]
pub(crate) struct AdapterHandleSlot {
    /// `LIVE | gen` in the allocation-word layout (no count).
    pub(crate) word: AtomicU64,
    pub(crate) adapter: AtomicU32,
}

/// One device.
#[derive(Default)]
pub(crate) struct DeviceSlot {
    /// `LIVE | gen | reason` where reason (bits 0..8) is 0 while active and
    /// the `ExecutionState` of the removal afterwards.
    pub(crate) word: AtomicU64,
    pub(crate) adapter: AtomicU32,
    pub(crate) inner: Mutex<DeviceInner>,
    /// Woken when work completes, the device is removed or an allocation is
    /// destroyed: everything a blocked lock waits for.
    pub(crate) wake: Condvar,
}

/// Device state guarded by its mutex (the slow paths).
#[derive(Default)]
pub(crate) struct DeviceInner {
    /// Live allocations (slot indices).
    pub(crate) allocations: HashSet<u32>,
    /// The fence the next submission gets (starts at 1).
    pub(crate) next_fence: u64,
    /// Submitted, uncompleted work in fence order.
    pub(crate) pending: VecDeque<Work>,
    /// Uncompleted submissions referencing each allocation (by raw handle,
    /// so work that outlives its allocation can never touch a successor).
    pub(crate) busy: HashMap<u32, u32>,
}

/// One simulated GPU submission.
pub(crate) struct Work {
    pub(crate) fence: u64,
    pub(crate) allocations: Vec<u32>,
}

/// One allocation: two cache lines, 64-byte aligned, so lockers of
/// different allocations never share a line.
///
/// The lock path writes only `word` (line 0); it reads `meta` (line 1) and
/// then CASes the word with the value it expects (see
/// `lock::Simulator::lock2_fast`) without loading the word first: on CPUs
/// where a load of a word that a locked instruction just wrote waits for
/// that instruction, this saves the wait. `meta` has a line of its own so
/// that threads locking the same allocation share it read-only instead of
/// pulling it back and forth with the word (measured: 2 threads on one
/// allocation 130 ns per pair instead of 150-180 ns).
#[repr(C, align(64))]
#[derive(Default)]
pub(crate) struct AllocSlot {
    /// The state word: see `lock::state`.
    pub(crate) word: AtomicU64,
    /// Written only while the allocation is dead or being created, except
    /// the prediction's BUSY and REMOVED marks.
    /// Owns the backing memory (`Gone` once destroyed) and knows where it
    /// is; serialises guard reads and writes with destroy and content loss.
    pub(crate) backing: Mutex<Backing>,
    pub(crate) meta: AllocMeta,
}

/// What the lock path reads about an allocation besides its word.
#[repr(C, align(64))]
#[derive(Default)]
pub(crate) struct AllocMeta {
    /// The prediction: `state::fresh(gen, cpu_visible)` of the allocation
    /// in the slot, plus BUSY while submitted work references it, i.e. the
    /// exact word it has while unlocked and not removed; 0 while no
    /// allocation is there or while its device's removal is under way;
    /// `LIVE | REMOVED | gen` (and CPU_VISIBLE) once that removal is
    /// published. Stored (release) after the fields below and before the
    /// word is published, so a reader that loads it (acquire) and finds its
    /// handle's generation reads the fields of that allocation.
    pub(crate) fresh: AtomicU64,
    /// Raw handle of the owning device.
    pub(crate) owner: AtomicU32,
    /// Size in pages (at most `u32::MAX`, enforced at creation).
    pub(crate) pages: AtomicU32,
    /// Base address of the backing memory (what Lock2 returns).
    pub(crate) base: AtomicUsize,
}

pub(crate) const DEVICE_REASON_MASK: u64 = 0xFF;

/// Per-allocation bookkeeping is two cache lines (issue: <= 256 bytes).
const _: () = assert!(core::mem::size_of::<AllocSlot>() == 128);
