//! Devices: the pool of device objects, the proof that a device handle is
//! live ([`LiveDevice`]), creation and the last step of destruction.
//!
//! A device handle is a slot of kind `Device` (its word carries the removal
//! reason) whose object index names a [`DeviceObject`] in the pool: the
//! device's mutex-guarded state (its allocations, contexts, fences, pending
//! work) and
//! the condition variable its blocked locks wait on.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::adapter::LiveAdapter;
use crate::driver::Placement;
use crate::error::{Error, ErrorKind, Result};
use crate::handle::{DeviceHandle, HandleKind};
use crate::mem::Slots;
use crate::slot::{Handles, Slot, Word};
use crate::sync::{AtomicU32, Condvar, Mutex, MutexGuard, Ordering::*};

/// A device's execution state (`D3DKMT_DEVICEEXECUTION_STATE`). Every state
/// but `Active` is a removal reason.
///
/// ```
/// use d3dkmt_sim::ExecutionState;
/// assert_eq!(ExecutionState::from_raw(3), Some(ExecutionState::Hung));
/// assert_eq!(ExecutionState::Hung.to_raw(), 3);
/// assert!(ExecutionState::Reset.is_removal_reason());
/// assert!(!ExecutionState::Active.is_removal_reason());
/// ```
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
    /// The state of a `D3DKMT_DEVICEEXECUTION_STATE` value (1..=7).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(ExecutionState::from_raw(1), Some(ExecutionState::Active));
    /// assert_eq!(ExecutionState::from_raw(0), None);
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

    /// The `D3DKMT_DEVICEEXECUTION_STATE` value.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(ExecutionState::Active.to_raw(), 1);
    /// assert_eq!(ExecutionState::ErrorDmaPageFault.to_raw(), 7);
    /// ```
    pub const fn to_raw(self) -> u32 {
        self as i32 as u32
    }

    /// Whether a device can be removed for this reason (every state but
    /// `Active`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert!(!ExecutionState::Active.is_removal_reason());
    /// assert!(sim.remove_device(device, ExecutionState::Active).is_err());
    /// sim.remove_device(device, ExecutionState::Stopped)?;
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn is_removal_reason(self) -> bool {
        !matches!(self, ExecutionState::Active)
    }
}

/// What to create a context with (`D3DKMT_CREATECONTEXTVIRTUAL`'s inputs).
/// `Default` is what libdxgtest asks for: node 0, engine 0, no flags.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let desc = ContextDesc::default().client_hint(2).private_data(b"umd");
/// let context = sim.create_context(device, &desc)?;
/// assert_eq!(sim.context_info(context)?.desc, desc);
/// assert!(sim.create_context(device, &ContextDesc::default().node(1)).is_err(), "one node");
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextDesc {
    /// `NodeOrdinal`: below the adapter's node count.
    pub node: u32,
    /// `EngineAffinity`: a mask of engines of the node (bit `i`, engine
    /// `i`); 0 leaves the choice to the scheduler (engine 0).
    pub engine_affinity: u32,
    /// `D3DDDI_CREATECONTEXTFLAGS` as its `Value`: only
    /// [`CONTEXT_FLAGS_KNOWN`](crate::context::CONTEXT_FLAGS_KNOWN) bits.
    pub flags: u32,
    /// `ClientHint` (`D3DKMT_CLIENTHINT`), recorded, not checked.
    pub client_hint: i32,
    /// The driver's private data for the context, kept as passed.
    pub private_data: Vec<u8>,
}

impl Default for ContextDesc {
    fn default() -> Self {
        ContextDesc { node: 0, engine_affinity: 1, flags: 0, client_hint: 0, private_data: Vec::new() }
    }
}

impl ContextDesc {
    /// Sets [`ContextDesc::node`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert_eq!(ContextDesc::default().node(1).node, 1);
    /// let err = sim.create_context(device, &ContextDesc::default().node(1)).unwrap_err();
    /// assert_eq!(err.status(), NtStatus::INVALID_PARAMETER, "the default adapter has one node");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn node(mut self, node: u32) -> Self {
        self.node = node;
        self
    }
    /// Sets [`ContextDesc::engine_affinity`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let context = sim.create_context(device, &ContextDesc::default().engine_affinity(0))?;
    /// assert_eq!(sim.context_info(context)?.desc.engine_affinity, 0);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn engine_affinity(mut self, mask: u32) -> Self {
        self.engine_affinity = mask;
        self
    }
    /// Sets [`ContextDesc::flags`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let hw_queue = ContextDesc::default().flags(d3dkmt_sim::CONTEXT_FLAG_HW_QUEUE_SUPPORTED);
    /// let err = sim.create_context(device, &hw_queue).unwrap_err();
    /// assert_eq!(err.status(), NtStatus::INVALID_PARAMETER, "no hardware scheduling by default");
    /// assert!(sim.create_context(device, &ContextDesc::default().flags(0x8000_0000)).is_err(), "an unknown bit");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }
    /// Sets [`ContextDesc::client_hint`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(ContextDesc::default().client_hint(-1).client_hint, -1);
    /// ```
    pub fn client_hint(mut self, hint: i32) -> Self {
        self.client_hint = hint;
        self
    }
    /// Sets [`ContextDesc::private_data`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let context = sim.create_context(device, &ContextDesc::default().private_data(&[1, 2, 3]))?;
    /// assert_eq!(sim.context_info(context)?.desc.private_data, [1, 2, 3]);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn private_data(mut self, data: &[u8]) -> Self {
        self.private_data = data.to_vec();
        self
    }
}

/// One simulated GPU submission.
pub(crate) struct Work {
    pub(crate) fence: u64,
    /// The allocations it references, as (slot, generation) keys.
    pub(crate) allocations: Vec<u64>,
}

/// A device's state guarded by its mutex (the slow paths).
#[derive(Default)]
pub(crate) struct DeviceInner {
    /// Live allocations by slot index `n`, with what each keeps beside its
    /// slot.
    pub(crate) allocations: HashMap<u32, AllocationRecord>,
    /// Live contexts by slot index `n`, in order (destroyed in that
    /// order, so runs replay), with what they were created with.
    pub(crate) contexts: BTreeMap<u32, ContextDesc>,
    /// The fence the next submission gets (starts at 1).
    pub(crate) next_fence: u64,
    /// Submitted, uncompleted work in fence order.
    pub(crate) pending: VecDeque<Work>,
    /// Uncompleted submissions referencing each allocation, by
    /// (slot, generation) key: work that outlives its allocation never
    /// touches the slot's next occupant.
    pub(crate) busy: HashMap<u64, u32>,
}

/// What a device keeps of one live allocation beside its slot: where its
/// memory lives and a copy of the private driver data it was created with.
pub(crate) struct AllocationRecord {
    pub(crate) placement: Placement,
    pub(crate) private_data: Box<[u8]>,
}

/// The key of one allocation's life: its slot and its generation.
pub(crate) const fn life_key(n: u32, gen: u64) -> u64 {
    (gen << 32) | n as u64
}

/// The object behind one device handle.
#[derive(Default)]
pub(crate) struct DeviceObject {
    /// Index of the device's adapter; fixed while the device lives.
    adapter: AtomicU32,
    inner: Mutex<DeviceInner>,
    /// Woken when work completes, the device is removed or destroyed, or an
    /// allocation is destroyed: everything a blocked lock waits for.
    wake: Condvar,
}

/// A device handle checked live once, for the rest of the call: the slot,
/// the word read, the object. Everything that changes the device re-checks
/// the word under the device's lock ([`LiveDevice::lock`]).
#[derive(Clone, Copy)]
pub(crate) struct LiveDevice<'e> {
    /// The raw handle (what allocations record as their owner).
    pub(crate) raw: u32,
    /// The handle's sequence number (its slot).
    n: u32,
    /// The device object's index in the pool.
    index: u32,
    slot: &'e Slot,
    word: Word,
    obj: &'e DeviceObject,
}

impl<'e> LiveDevice<'e> {
    /// The removal reason the check saw, if the device was removed.
    pub(crate) fn removal(&self) -> Option<ExecutionState> {
        match self.word.reason() {
            0 => None,
            reason => Some(ExecutionState::from_raw(reason).unwrap_or(ExecutionState::Reset)),
        }
    }

    /// The device, which must not be removed (`DeviceRemoved` otherwise).
    pub(crate) fn active(self) -> Result<Self> {
        match self.removal() {
            None => Ok(self),
            Some(_) => Err(ErrorKind::DeviceRemoved.into()),
        }
    }

    /// The device's adapter index (fixed while it lives).
    pub(crate) fn adapter(&self) -> u32 {
        self.obj.adapter.load(Relaxed)
    }

    /// Whether the removal is published now (its word carries a reason).
    pub(crate) fn removal_published(&self) -> bool {
        self.slot.word().reason() != 0
    }

    /// Takes the device's lock, re-checking under it that the handle still
    /// names this device (`InvalidHandle` if it was destroyed meanwhile).
    pub(crate) fn lock(&self) -> Result<MutexGuard<'e, DeviceInner>> {
        let inner = self.obj.inner.lock();
        if !self.slot.still(self.word) {
            return Err(ErrorKind::InvalidHandle(HandleKind::Device).into());
        }
        Ok(inner)
    }

    /// [`LiveDevice::lock`] for a device that must also still be active.
    pub(crate) fn lock_active(&self) -> Result<MutexGuard<'e, DeviceInner>> {
        let inner = self.lock()?;
        if self.removal_published() {
            return Err(ErrorKind::DeviceRemoved.into());
        }
        Ok(inner)
    }

    /// The device's mutex, for a caller that takes it without re-checking
    /// (to wait for a holder, or within a deadline for a blocked lock).
    pub(crate) fn mutex(&self) -> &'e Mutex<DeviceInner> {
        &self.obj.inner
    }

    /// The condition variable blocked locks wait on.
    pub(crate) fn wake(&self) -> &'e Condvar {
        &self.obj.wake
    }

    /// The device's slot.
    pub(crate) fn slot(&self) -> &'e Slot {
        self.slot
    }

    /// True while the handle still names this device.
    pub(crate) fn is_current(&self) -> bool {
        self.slot.still(self.word)
    }
}

#[cfg(not(any(loom, shuttle)))]
type Pool = Slots<DeviceObject, 6, 1024>;
#[cfg(any(loom, shuttle))]
type Pool = Slots<DeviceObject, 1, 4>;

/// Live devices one simulator holds at most.
pub const MAX_DEVICES: usize = Pool::CAPACITY;

/// The device objects of one simulator.
pub(crate) struct Devices {
    pool: Pool,
    free: Mutex<Free>,
}

#[derive(Default)]
struct Free {
    /// The next pool index never used.
    next: u32,
    /// Indices of destroyed devices, reused first (a stale handle is
    /// rejected by its slot's word, not by the pool).
    reuse: Vec<u32>,
}

impl Devices {
    /// An empty pool; `None` when the host refuses its directory's memory.
    pub(crate) fn new() -> Option<Self> {
        Some(Devices { pool: Pool::new()?, free: Mutex::new(Free::default()) })
    }

    /// Checks a device handle once, for the rest of the call: live and of
    /// kind device (removed or not).
    #[inline]
    pub(crate) fn resolve<'e>(&'e self, handles: &'e Handles, raw: u32) -> Result<LiveDevice<'e>> {
        let (n, slot) = handles.get(raw).ok_or(ErrorKind::InvalidHandle(HandleKind::Device))?;
        self.check(n, raw, slot)
    }

    /// The word of the device `raw` names, checked live and of kind device,
    /// without reaching its object: what an error decision needs (is the
    /// device live, is it removed) at the cost of one slot read.
    #[inline]
    pub(crate) fn state(&self, handles: &Handles, raw: u32) -> Result<Word> {
        let (_, slot) = handles.get(raw).ok_or(ErrorKind::InvalidHandle(HandleKind::Device))?;
        let word = slot.word();
        if !word.is(HandleKind::Device) {
            return Err(ErrorKind::InvalidHandle(HandleKind::Device).into());
        }
        Ok(word)
    }

    /// [`Devices::resolve`] of the slot handle `raw` names.
    fn check<'e>(&'e self, n: u32, raw: u32, slot: &'e Slot) -> Result<LiveDevice<'e>> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Device));
        let word = slot.word();
        if !word.is(HandleKind::Device) {
            return Err(stale);
        }
        let index = slot.object();
        let obj = self.pool.get(index as usize).ok_or(stale)?;
        // The object index was the device's if the slot still holds it.
        if !slot.still(word) {
            return Err(stale);
        }
        Ok(LiveDevice { raw, n, index, slot, word, obj })
    }

    /// `D3DKMTCreateDevice` on a checked adapter handle: `DeviceRemoved`
    /// on a removed adapter, `NoMemory` when the pool or the handle table
    /// is full.
    pub(crate) fn create(&self, handles: &Handles, adapter: &LiveAdapter<'_>) -> Result<DeviceHandle> {
        let mut devices = adapter.adapter.devices();
        if adapter.adapter.is_removed() {
            return Err(ErrorKind::DeviceRemoved.into());
        }
        let index = self.take_index().ok_or(ErrorKind::NoMemory)?;
        let Some((n, slot)) = handles.issue(1).and_then(|mut s| s.pop()) else {
            self.free.lock().reuse.push(index);
            return Err(ErrorKind::NoMemory.into());
        };
        let obj = self.pool.get(index as usize).ok_or(ErrorKind::Internal("device pool"))?;
        *obj.inner.lock() = DeviceInner { next_fence: 1, ..DeviceInner::default() };
        obj.adapter.store(adapter.index, Relaxed);
        slot.revive(HandleKind::Device, index);
        let handle = DeviceHandle::from_index(n);
        devices.insert(handle.raw());
        Ok(handle)
    }

    fn take_index(&self) -> Option<u32> {
        let mut free = self.free.lock();
        if let Some(index) = free.reuse.pop() {
            return Some(index);
        }
        let index = free.next;
        if !self.pool.ensure(index as usize) {
            return None;
        }
        free.next += 1;
        Some(index)
    }

    /// The last step of destroying a device, whose allocations are gone:
    /// the handle dies, the object is emptied and returns to the pool. The
    /// caller holds the adapter's device list (and removes the device from
    /// it) and the device's lock (`inner`), and wakes waiters afterwards.
    pub(crate) fn retire(&self, handles: &Handles, dev: &LiveDevice<'_>, inner: &mut DeviceInner) {
        *inner = DeviceInner::default();
        dev.slot.kill();
        handles.retire(dev.n);
        self.free.lock().reuse.push(dev.index);
    }

    /// Every live device, for a reset (which holds the gate alone).
    pub(crate) fn live<'e>(&'e self, handles: &'e Handles) -> Vec<LiveDevice<'e>> {
        (1..handles.issued_end())
            .filter_map(|n| self.check(n, crate::handle::handle_of(n), handles.at(n)?).ok())
            .collect()
    }
}
