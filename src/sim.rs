//! [`Simulator`]: one simulated machine — adapters, devices, allocations,
//! GPU work and faults. No global state: every simulator is independent.

use std::collections::{HashSet, VecDeque};

use std::time::Duration;

use crate::config::{BusyPolicy, SimConfig, MAX_ADAPTERS};
use crate::error::{Error, Result};
use crate::fault::{Fault, FaultCall, FaultPlan, Fired};
use crate::handle::{AdapterHandle, AllocationHandle, DeviceHandle, HandleKind, Key, Table, GEN_MASK};
use crate::lock::state::{self, BUSY, COUNT_MASK, LIVE, REMOVED};
use crate::mem::{self, Backing};
use crate::objects::*;
use crate::sync::{AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering::*};

/// A simulated machine: its adapters, their devices and allocations, the
/// lock engine and the fault plan.
///
/// Every method takes `&self` and is thread-safe; share a simulator between
/// threads with `Arc` or scoped threads. Handles are plain `Copy` values; a
/// stale, zero, foreign or wrong-kind handle is answered with
/// `STATUS_INVALID_PARAMETER` and never reaches another object.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters(1)?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(64 << 10))?;
///
/// let guard = sim.lock2_guard(device, alloc)?;
/// guard.write_at(0, b"hello")?;
/// drop(guard); // Unlock2
///
/// let mut buf = [0u8; 5];
/// sim.lock2_guard(device, alloc)?.read_at(0, &mut buf)?;
/// assert_eq!(&buf, b"hello");
///
/// sim.remove_device(device, ExecutionState::Reset)?;
/// assert_eq!(sim.lock2(device, alloc).unwrap_err().status(), NtStatus::DEVICE_REMOVED);
/// # Ok::<(), Error>(())
/// ```
pub struct Simulator {
    /// The lock-reference limit. Read by every lock; written only by
    /// [`Simulator::reset`].
    pub(crate) limit: AtomicU32,
    /// `state::fast_lock_mask` under the busy policy: what Lock2's fast path
    /// compares the allocation word with (BUSY is in it unless the policy
    /// is Ignore).
    pub(crate) lock2_mask: AtomicU64,
    /// The adapters' page size in bytes.
    pub(crate) page_size: AtomicU64,
    busy_policy: AtomicU32,
    wait_timeout_ns: AtomicU64,
    /// How many of `adapters` are configured.
    adapter_count: AtomicU32,
    /// The configuration in force; its mutex also serialises resets.
    config: Mutex<SimConfig>,
    /// [`MAX_ADAPTERS`] adapters, the first `adapter_count` configured.
    pub(crate) adapters: Box<[Adapter]>,
    pub(crate) adapter_handles: Table<AdapterHandleSlot>,
    pub(crate) devices: Table<DeviceSlot>,
    pub(crate) allocations: Table<AllocSlot>,
    pub(crate) faults: FaultPlan,
}

/// Live allocations one simulator holds at most (128 B of address space
/// each is reserved up front; 512 MiB in all, committed as used).
pub const MAX_ALLOCATIONS: usize = 1 << 22;
/// Live devices one simulator holds at most.
pub const MAX_DEVICES: usize = 1 << 16;
/// Open adapter handles one simulator holds at most.
pub const MAX_ADAPTER_HANDLES: usize = 1 << 20;

/// `D3DKMT_DEVICESTATE_EXECUTION`.
pub(crate) const DEVICE_STATE_EXECUTION: u32 = 1;

/// `splitmix64`: the simulator's one source of seeded choices.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never blocks: a reset in progress prints a placeholder.
        let mut d = f.debug_struct("Simulator");
        match self.config.try_lock() {
            Some(config) => d.field("config", &*config),
            None => d.field("config", &format_args!("<resetting>")),
        };
        d.finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds a simulator. Fails with `InvalidParameter` when the
    /// configuration is out of range ([`SimConfig::validate`]), and with
    /// `NoMemory` when the host refuses the address space of the handle
    /// tables (about 550 MiB, reserved, not committed).
    pub fn new(config: SimConfig) -> Result<Self> {
        config.validate()?;
        let sim = Simulator {
            limit: AtomicU32::new(0),
            lock2_mask: AtomicU64::new(0),
            page_size: AtomicU64::new(0),
            busy_policy: AtomicU32::new(0),
            wait_timeout_ns: AtomicU64::new(0),
            adapter_count: AtomicU32::new(0),
            config: Mutex::new(config.clone()),
            adapters: (0..MAX_ADAPTERS).map(|_| Adapter::default()).collect(),
            adapter_handles: Table::new(MAX_ADAPTER_HANDLES).map_err(|_| Error::NoMemory)?,
            devices: Table::new(MAX_DEVICES).map_err(|_| Error::NoMemory)?,
            allocations: Table::new(MAX_ALLOCATIONS).map_err(|_| Error::NoMemory)?,
            faults: FaultPlan::default(),
        };
        sim.configure(&config);
        Ok(sim)
    }

    /// Applies a validated configuration to an empty simulator.
    fn configure(&self, config: &SimConfig) {
        let r = splitmix64(config.seed);
        for (i, adapter) in self.adapters.iter().enumerate() {
            // Seeded, unique within the simulator, never zero.
            adapter.set_luid(Luid {
                low: ((r as u32) & 0xFFFF_0000) | 0x100 | i as u32,
                high: ((r >> 32) as i32) & 0x7FFF,
            });
            adapter.budget.store(config.adapter_memory, Relaxed);
            adapter.used.store(0, Relaxed);
            adapter.removed.store(false, Relaxed);
        }
        self.page_size.store(u64::from(config.page_size), Relaxed);
        self.limit.store(config.max_lock_references, Relaxed);
        let check_busy = config.busy_policy != BusyPolicy::Ignore;
        self.lock2_mask.store(state::fast_lock_mask(check_busy), Relaxed);
        self.busy_policy.store(config.busy_policy.to_raw(), Relaxed);
        self.wait_timeout_ns.store(config.wait_timeout.as_nanos() as u64, Relaxed);
        self.adapter_count.store(config.adapter_count, Release);
    }

    /// The configuration in force.
    pub fn config(&self) -> SimConfig {
        self.config.lock().clone()
    }

    /// `SimKmtReset`: replaces this simulator by a new one built from
    /// `config`, in place. Every object is destroyed (devices, allocations
    /// and their memory, adapter handles) and every fault disarmed; the
    /// handles issued afterwards are the ones a new simulator would issue, so
    /// a replay from a reset is deterministic. An invalid configuration is
    /// `InvalidParameter` and changes nothing.
    ///
    /// It takes `&mut self`, so no [`crate::LockGuard`] or other borrow of
    /// the old simulator can outlive the reset (an old handle may name an
    /// object of the new simulator: abi.md §3 lets handles repeat across a
    /// reset). A simulator shared through `Arc` is replaced by a new one
    /// instead.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let mut sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters(1)?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// assert!(sim.reset(SimConfig::default().adapters(17)).is_err());
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active, "a failed reset changes nothing");
    ///
    /// sim.reset(SimConfig::default().adapters(2))?;
    /// assert_eq!(sim.adapter_count(), 2);
    /// assert_eq!(sim.enum_adapters(2)?[0].handle, adapter, "the same handles as a new simulator");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn reset(&mut self, config: SimConfig) -> Result<()> {
        self.reset_shared(config)
    }

    /// [`Simulator::reset`] through a shared reference, for the C ABI's
    /// process-wide simulator. Calls racing it on other threads stay
    /// memory-safe (slots are reused, never freed) but may act
    /// on either simulator's objects.
    pub(crate) fn reset_shared(&self, config: SimConfig) -> Result<()> {
        config.validate()?;
        let mut current = self.config.lock();
        self.faults.clear();
        self.destroy_all();
        self.allocations.reset(|slot| slot.word.store(0, Release));
        self.devices.reset(|slot| slot.word.store(0, Release));
        self.adapter_handles.reset(|slot| slot.word.store(0, Release));
        self.configure(&config);
        *current = config;
        Ok(())
    }

    /// The busy policy in force.
    pub(crate) fn busy_policy(&self) -> BusyPolicy {
        BusyPolicy::from_raw(self.busy_policy.load(Relaxed)).unwrap_or_default()
    }

    /// The bound of every wait on busy work.
    pub(crate) fn wait_timeout(&self) -> Duration {
        Duration::from_nanos(self.wait_timeout_ns.load(Relaxed))
    }

    /// The configured adapters (removed ones included).
    fn configured_adapters(&self) -> &[Adapter] {
        &self.adapters[..self.adapter_count.load(Acquire) as usize]
    }

    // === handle resolution (shared by every entry point) ===

    /// Resolves a device handle to its live slot (abi.md §5 rule 2),
    /// returning the device word it checked.
    #[inline]
    pub(crate) fn device_slot(&self, raw: u32) -> Result<(&DeviceSlot, Key, u64)> {
        let key = Key::decode(raw, HandleKind::Device).ok_or(Error::InvalidHandle(HandleKind::Device))?;
        let slot = self.devices.get(key.index).ok_or(Error::InvalidHandle(HandleKind::Device))?;
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device));
        }
        Ok((slot, key, word))
    }

    /// Resolves a device that must also not be removed (rules 2 and 3),
    /// both decided on one load of its word.
    #[inline]
    pub(crate) fn active_device(&self, raw: u32) -> Result<(&DeviceSlot, Key)> {
        let (slot, key, word) = self.device_slot(raw)?;
        if word & DEVICE_REASON_MASK != 0 {
            return Err(Error::DeviceRemoved);
        }
        Ok((slot, key))
    }

    /// `DeviceRemoved` for a call that found REMOVED in an allocation word of
    /// `dev`. Removal marks the allocation words before it publishes the
    /// device's reason, under the device lock; waiting for that lock here
    /// means no call can see the device active after this one reported it
    /// removed.
    #[cold]
    pub(crate) fn removed(dev: &DeviceSlot) -> Error {
        drop(dev.inner.lock());
        Error::DeviceRemoved
    }

    /// Resolves an allocation handle that must belong to `device`
    /// (rule 4), returning its slot, key and the word read.
    #[inline]
    pub(crate) fn device_allocation(&self, device: u32, raw: u32) -> Result<(&AllocSlot, Key, u64)> {
        let key = Key::decode(raw, HandleKind::Allocation).ok_or(Error::InvalidHandle(HandleKind::Allocation))?;
        let slot = self.allocations.get(key.index).ok_or(Error::InvalidHandle(HandleKind::Allocation))?;
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Allocation));
        }
        if slot.meta.owner.load(Relaxed) != device {
            return Err(Error::WrongDevice);
        }
        Ok((slot, key, word))
    }

    fn adapter_of_handle(&self, raw: u32) -> Result<(&Adapter, u32)> {
        let err = Error::InvalidHandle(HandleKind::Adapter);
        let key = Key::decode(raw, HandleKind::Adapter).ok_or(err)?;
        let slot = self.adapter_handles.get(key.index).ok_or(err)?;
        if !state::is_live(slot.word.load(Acquire), key.gen) {
            return Err(err);
        }
        let index = slot.adapter.load(Relaxed);
        Ok((self.adapter(index), index))
    }

    /// The adapter at `index` (any index: out of range reads the last one,
    /// which only a call racing a reset to fewer adapters can ask for).
    pub(crate) fn adapter(&self, index: u32) -> &Adapter {
        &self.adapters[(index as usize).min(self.adapters.len() - 1)]
    }

    // === faults ===

    /// The fault point at the top of every entry point in abi.md's
    /// `SIMKMT_CALL_*` list: one relaxed load when nothing is armed.
    #[inline(always)]
    pub(crate) fn fault_point(&self, call: FaultCall, device: u32, adapter: u32) -> Result<()> {
        if self.faults.any_armed() {
            self.fault_point_slow(call, device, adapter)?;
        }
        Ok(())
    }

    #[cold]
    fn fault_point_slow(&self, call: FaultCall, device: u32, adapter: u32) -> Result<()> {
        let Fired { remove_device, reset_adapter } = self.faults.on_call(call)?;
        let adapter = if call.names_device() {
            self.device_slot(device).ok().map(|(slot, _, _)| slot.adapter.load(Relaxed))
        } else {
            self.adapter_of_handle(adapter).ok().map(|(_, index)| index)
        };
        if remove_device {
            // A bad handle removes nothing; the call then fails as usual.
            let _ = self.remove_device_raw(device, ExecutionState::Hung);
        }
        if reset_adapter {
            if let Some(index) = adapter {
                let _ = self.reset_adapter_index(index);
            }
        }
        Ok(())
    }

    /// Arms a fault (abi.md §9, `SimKmtInjectFault`). Several faults may be
    /// armed at once; they belong to this simulator.
    pub fn inject_fault(&self, fault: Fault) -> Result<()> {
        self.faults.arm(fault)
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.faults.clear()
    }

    // === adapters ===

    /// Number of adapters enumeration reports (removed ones disappear).
    pub fn adapter_count(&self) -> usize {
        self.configured_adapters().iter().filter(|a| !a.removed.load(Acquire)).count()
    }

    /// `D3DKMTEnumAdapters2`: opens one new handle per present adapter. With
    /// room for fewer than [`Simulator::adapter_count`] entries it fails with
    /// `BufferTooSmall` and opens nothing.
    pub fn enum_adapters(&self, capacity: usize) -> Result<Vec<AdapterInfo>> {
        let present: Vec<u32> = (0..self.configured_adapters().len() as u32)
            .filter(|&i| !self.adapters[i as usize].removed.load(Acquire))
            .collect();
        if present.len() > capacity {
            return Err(Error::BufferTooSmall { needed: present.len() });
        }
        let slots = self.adapter_handles.acquire_n(present.len()).ok_or(Error::NoMemory)?;
        Ok(present
            .into_iter()
            .zip(slots)
            .map(|(index, (slot_index, slot))| AdapterInfo {
                handle: Self::open_adapter_slot(slot_index, slot, index),
                luid: self.adapters[index as usize].luid(),
            })
            .collect())
    }

    /// Publishes an adapter handle in a reserved slot.
    fn open_adapter_slot(slot_index: u32, slot: &AdapterHandleSlot, adapter: u32) -> AdapterHandle {
        let gen = (state::gen(slot.word.load(Relaxed)) + 1) & GEN_MASK;
        slot.adapter.store(adapter, Relaxed);
        slot.word.store(state::fresh(gen, false), Release);
        AdapterHandle::from_key(Key { index: slot_index, gen })
    }

    /// `D3DKMTOpenAdapterFromLuid`: unknown or removed LUID is
    /// `InvalidParameter`.
    pub fn open_adapter_from_luid(&self, luid: Luid) -> Result<AdapterHandle> {
        self.fault_point(FaultCall::OpenAdapter, 0, 0)?;
        let index = self
            .configured_adapters()
            .iter()
            .position(|a| a.luid() == luid && !a.removed.load(Acquire))
            .ok_or(Error::InvalidParameter("no present adapter has this LUID"))?;
        let (slot_index, slot) = self.adapter_handles.acquire().ok_or(Error::NoMemory)?;
        Ok(Self::open_adapter_slot(slot_index, slot, index as u32))
    }

    /// `D3DKMTCloseAdapter`. Devices created through the handle live on.
    pub fn close_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.close_adapter_raw(adapter.raw())
    }

    pub(crate) fn close_adapter_raw(&self, raw: u32) -> Result<()> {
        let err = Error::InvalidHandle(HandleKind::Adapter);
        let key = Key::decode(raw, HandleKind::Adapter).ok_or(err)?;
        let slot = self.adapter_handles.get(key.index).ok_or(err)?;
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen)
            || slot.word.compare_exchange(word, state::dead(word), AcqRel, Acquire).is_err()
        {
            return Err(err);
        }
        self.adapter_handles.release(key.index);
        Ok(())
    }

    /// The LUID of an open adapter handle.
    pub fn adapter_luid(&self, adapter: AdapterHandle) -> Result<Luid> {
        Ok(self.adapter_of_handle(adapter.raw())?.0.luid())
    }

    /// `SimKmtResetAdapter`: a TDR. Every live device of the adapter is
    /// removed with reason `Reset`; new devices can be created afterwards.
    /// On a removed adapter: `DeviceRemoved`.
    pub fn reset_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.reset_adapter_raw(adapter.raw())
    }

    pub(crate) fn reset_adapter_raw(&self, raw: u32) -> Result<()> {
        let (_, index) = self.adapter_of_handle(raw)?;
        self.reset_adapter_index(index)
    }

    fn reset_adapter_index(&self, index: u32) -> Result<()> {
        let adapter = self.adapter(index);
        let devices = adapter.devices.lock();
        if adapter.removed.load(Acquire) {
            return Err(Error::DeviceRemoved);
        }
        self.remove_devices_of(&devices, ExecutionState::Reset);
        Ok(())
    }

    /// `SimKmtRemoveAdapter`: surprise removal. Every device is removed with
    /// reason `Stopped`, the LUID disappears from enumeration and creating a
    /// device on a still-open handle fails with `DeviceRemoved`.
    pub fn remove_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.remove_adapter_raw(adapter.raw())
    }

    pub(crate) fn remove_adapter_raw(&self, raw: u32) -> Result<()> {
        let (adapter, _) = self.adapter_of_handle(raw)?;
        let devices = adapter.devices.lock();
        if adapter.removed.load(Acquire) {
            return Err(Error::DeviceRemoved);
        }
        adapter.removed.store(true, Release);
        self.remove_devices_of(&devices, ExecutionState::Stopped);
        Ok(())
    }

    fn remove_devices_of(&self, devices: &HashSet<u32>, reason: ExecutionState) {
        for &index in devices {
            let Some(slot) = self.devices.get(index) else { continue };
            let mut inner = slot.inner.lock();
            let word = slot.word.load(Acquire);
            if word & LIVE != 0 && word & DEVICE_REASON_MASK == 0 {
                self.remove_device_locked(slot, &mut inner, reason);
            }
        }
    }

    // === devices ===

    /// `D3DKMTCreateDevice`. Bad adapter handle: `InvalidParameter`; removed
    /// adapter: `DeviceRemoved`.
    pub fn create_device(&self, adapter: AdapterHandle) -> Result<DeviceHandle> {
        self.create_device_raw(adapter.raw())
    }

    pub(crate) fn create_device_raw(&self, raw: u32) -> Result<DeviceHandle> {
        self.fault_point(FaultCall::CreateDevice, 0, raw)?;
        let (adapter, adapter_index) = self.adapter_of_handle(raw)?;
        let mut devices = adapter.devices.lock();
        if adapter.removed.load(Acquire) {
            return Err(Error::DeviceRemoved);
        }
        let (index, slot) = self.devices.acquire().ok_or(Error::NoMemory)?;
        let gen = (state::gen(slot.word.load(Relaxed)) + 1) & GEN_MASK;
        {
            let mut inner = slot.inner.lock();
            *inner = DeviceInner { next_fence: 1, ..DeviceInner::default() };
        }
        slot.adapter.store(adapter_index, Relaxed);
        slot.word.store(state::fresh(gen, false), Release);
        devices.insert(index);
        Ok(DeviceHandle::from_key(Key { index, gen }))
    }

    /// `D3DKMTDestroyDevice`: destroys every allocation of the device,
    /// locked, busy or not. Works on a removed device.
    pub fn destroy_device(&self, device: DeviceHandle) -> Result<()> {
        self.destroy_device_raw(device.raw())
    }

    pub(crate) fn destroy_device_raw(&self, raw: u32) -> Result<()> {
        self.fault_point(FaultCall::DestroyDevice, raw, 0)?;
        self.destroy_device_body(raw)
    }

    fn destroy_device_body(&self, raw: u32) -> Result<()> {
        let (slot, key, _) = self.device_slot(raw)?;
        let adapter = self.adapter(slot.adapter.load(Relaxed));
        let mut devices = adapter.devices.lock();
        let mut inner = slot.inner.lock();
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device)); // lost a race with another destroy
        }
        let allocations: Vec<u32> = inner.allocations.iter().copied().collect();
        for index in allocations {
            self.destroy_allocation_locked(adapter, &mut inner, index);
        }
        *inner = DeviceInner::default();
        slot.word.store(state::dead(word), Release);
        devices.remove(&key.index);
        drop(inner);
        drop(devices);
        slot.wake.notify_all();
        self.devices.release(key.index);
        Ok(())
    }

    /// `D3DKMTGetDeviceState` (execution state): `Active`, or the first
    /// removal reason of a removed device.
    pub fn device_state(&self, device: DeviceHandle) -> Result<ExecutionState> {
        self.device_state_raw(device.raw(), DEVICE_STATE_EXECUTION)
    }

    /// The engine; `state_type` is the C caller's `StateType`.
    pub(crate) fn device_state_raw(&self, raw: u32, state_type: u32) -> Result<ExecutionState> {
        self.fault_point(FaultCall::GetDeviceState, raw, 0)?;
        if state_type != DEVICE_STATE_EXECUTION {
            return Err(Error::InvalidParameter("only D3DKMT_DEVICESTATE_EXECUTION is supported"));
        }
        let (_, _, word) = self.device_slot(raw)?;
        let reason = (word & DEVICE_REASON_MASK) as u32;
        Ok(if reason == 0 {
            ExecutionState::Active
        } else {
            ExecutionState::from_raw(reason).ok_or(Error::Internal("corrupt device state"))?
        })
    }

    /// `SimKmtRemoveDevice`: removes the device with `reason` (anything but
    /// `Active`). Sticky: removing a removed device again returns
    /// `DeviceRemoved` and keeps the first reason.
    pub fn remove_device(&self, device: DeviceHandle, reason: ExecutionState) -> Result<()> {
        self.remove_device_raw(device.raw(), reason)
    }

    pub(crate) fn remove_device_raw(&self, raw: u32, reason: ExecutionState) -> Result<()> {
        if reason == ExecutionState::Active {
            return Err(Error::InvalidParameter("ACTIVE is not a removal reason"));
        }
        let (slot, key) = self.active_device(raw)?;
        let mut inner = slot.inner.lock();
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device));
        }
        if word & DEVICE_REASON_MASK != 0 {
            return Err(Error::DeviceRemoved);
        }
        self.remove_device_locked(slot, &mut inner, reason);
        Ok(())
    }

    /// Removal proper; the caller holds the device's inner lock and has
    /// checked it is live and active.
    ///
    /// Order matters: first every allocation word gets REMOVED with its lock
    /// count dropped to 0 (so every lock, fast or slow, fails from here on);
    /// then pending work is retired and content is lost; last the device's
    /// own state is published and waiters are woken. Whoever sees the device
    /// removed therefore also sees every allocation removed.
    fn remove_device_locked(&self, slot: &DeviceSlot, inner: &mut DeviceInner, reason: ExecutionState) {
        for &index in &inner.allocations {
            if let Some(alloc) = self.allocations.get(index) {
                let _ = alloc.word.fetch_update(AcqRel, Acquire, |w| Some((w & !(COUNT_MASK | BUSY)) | REMOVED));
                // Until the removal is published below, the fast paths find
                // no prediction and go to the word (no failed CAS).
                alloc.meta.fresh.store(0, Release);
            }
        }
        inner.pending.clear();
        inner.busy.clear();
        for &index in &inner.allocations {
            if let Some(alloc) = self.allocations.get(index) {
                let backing = alloc.backing.lock();
                if let Some(view) = backing.view() {
                    view.lose_content();
                }
            }
        }
        slot.word.fetch_or(u64::from(reason.to_raw()), AcqRel);
        // Published: from now on the prediction says REMOVED, so a lock or
        // unlock on the removed device answers from the metadata line alone.
        for &index in &inner.allocations {
            if let Some(alloc) = self.allocations.get(index) {
                let word = alloc.word.load(Acquire);
                alloc.meta.fresh.store(word & (state::GEN_FIELD | state::CPU_VISIBLE) | LIVE | REMOVED, Release);
            }
        }
        slot.wake.notify_all();
    }

    // === allocations ===

    /// `D3DKMTCreateAllocation2` for one allocation.
    pub fn create_allocation(&self, device: DeviceHandle, desc: AllocationDesc) -> Result<AllocationHandle> {
        Ok(self.create_allocations(device, &[desc])?[0])
    }

    /// `D3DKMTCreateAllocation2`: all or nothing. Bad device:
    /// `InvalidParameter`; removed: `DeviceRemoved`; empty list, size 0 or
    /// misaligned caller memory: `InvalidParameter`; past the adapter
    /// budget: `NoVideoMemory`.
    pub fn create_allocations(&self, device: DeviceHandle, descs: &[AllocationDesc]) -> Result<Vec<AllocationHandle>> {
        self.create_allocations_with(device.raw(), descs.len(), |i| Ok(descs[i]))
    }

    /// The creation engine. `decode(i)` yields the i-th description and is
    /// called only after the device checks, so a C caller's descriptions are
    /// validated in abi.md §4's order.
    ///
    /// All or nothing, in this order: the device (live, then active), the
    /// count, every description, the budget (the total page-rounded size;
    /// sizes too large to represent, or of more than `u32::MAX` pages, are
    /// past any budget), then resources the host may refuse (address space
    /// for the mappings, handle slots: `NoMemory`). Nothing is published
    /// until all of it succeeded, and a failure gives back what was taken.
    pub(crate) fn create_allocations_with(
        &self,
        device: u32,
        count: usize,
        mut decode: impl FnMut(usize) -> Result<AllocationDesc>,
    ) -> Result<Vec<AllocationHandle>> {
        self.fault_point(FaultCall::CreateAllocation, device, 0)?;
        let (slot, key) = self.active_device(device)?;
        if count == 0 {
            return Err(Error::InvalidParameter("no allocations requested"));
        }
        let page_size = self.page_size.load(Relaxed);
        // `count` comes from the caller: do not trust it for a reservation.
        let mut plans = Vec::with_capacity(count.min(64));
        let mut total = Some(0u64);
        for i in 0..count {
            let desc = decode(i)?;
            if desc.size == 0 {
                return Err(Error::InvalidParameter("allocation size is 0"));
            }
            if let Some(memory) = desc.system_memory {
                if !mem::is_aligned(memory.as_ptr(), page_size as usize) {
                    return Err(Error::InvalidParameter("pSystemMem is not aligned to the page size"));
                }
                if (memory.len() as u64) < desc.size {
                    return Err(Error::InvalidParameter("pSystemMem is smaller than the allocation"));
                }
            }
            // `None`: too large to round or to address by page (past any budget).
            let size = desc.size.checked_next_multiple_of(page_size).filter(|&s| s / page_size <= u64::from(u32::MAX));
            total = size.and_then(|s| total?.checked_add(s));
            plans.push((desc, size.unwrap_or(0)));
        }
        let adapter = self.adapter(slot.adapter.load(Relaxed));
        let total = total.filter(|&t| t <= adapter.budget.load(Relaxed)).ok_or(Error::NoVideoMemory)?;
        // Address space first, outside every lock (a failure here has
        // changed nothing; the mappings are unmapped on drop).
        let mut backings = Vec::with_capacity(plans.len());
        for (desc, size) in &plans {
            backings.push(match desc.system_memory {
                Some(memory) => memory.backing(),
                None => usize::try_from(*size)
                    .ok()
                    .filter(|&s| s <= isize::MAX as usize)
                    .and_then(|s| Backing::anonymous(s).ok())
                    .ok_or(Error::NoMemory)?,
            });
        }

        let mut inner = slot.inner.lock();
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device));
        }
        if word & DEVICE_REASON_MASK != 0 {
            return Err(Error::DeviceRemoved);
        }
        let budget = adapter.budget.load(Relaxed);
        adapter
            .used
            .fetch_update(AcqRel, Acquire, |used| used.checked_add(total).filter(|&u| u <= budget))
            .map_err(|_| Error::NoVideoMemory)?;
        let Some(slots) = self.allocations.acquire_n(count) else {
            adapter.used.fetch_sub(total, AcqRel);
            return Err(Error::NoMemory);
        };
        let mut handles = Vec::with_capacity(count);
        for (((desc, size), (owner, base)), (index, alloc)) in plans.into_iter().zip(backings).zip(slots) {
            let gen = (state::gen(alloc.word.load(Relaxed)) + 1) & GEN_MASK;
            let fresh = state::fresh(gen, desc.cpu_visible);
            alloc.meta.owner.store(device, Relaxed);
            alloc.meta.base.store(base, Relaxed);
            alloc.meta.pages.store((size / page_size) as u32, Relaxed);
            alloc.meta.fresh.store(fresh, Release);
            *alloc.backing.lock() = owner;
            alloc.word.store(fresh, Release);
            inner.allocations.insert(index);
            handles.push(AllocationHandle::from_key(Key { index, gen }));
        }
        Ok(handles)
    }

    /// `D3DKMTDestroyAllocation2`: all or nothing. A locked or busy
    /// allocation is unlocked and destroyed at once. An empty list succeeds
    /// and does nothing; a bad or repeated handle is `InvalidParameter` and
    /// nothing is destroyed. Works on a removed device.
    pub fn destroy_allocations(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<()> {
        let raw: Vec<u32> = allocations.iter().map(|a| a.raw()).collect();
        self.destroy_allocations_raw(device.raw(), 0, Some(&raw))
    }

    /// The destroy engine. `resource` is the C caller's `hResource` (no
    /// resource is ever created, so any non-zero value is a bad handle);
    /// `None` stands for a NULL list with a non-zero count.
    pub(crate) fn destroy_allocations_raw(
        &self,
        device: u32,
        resource: u32,
        allocations: Option<&[u32]>,
    ) -> Result<()> {
        self.fault_point(FaultCall::DestroyAllocation, device, 0)?;
        let (slot, key, _) = self.device_slot(device)?;
        if resource != 0 {
            return Err(Error::InvalidParameter("hResource names no resource"));
        }
        let allocations = allocations.ok_or(Error::InvalidParameter("the allocation list is NULL"))?;
        if allocations.is_empty() {
            return Ok(());
        }
        let mut inner = slot.inner.lock();
        if !state::is_live(slot.word.load(Acquire), key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device));
        }
        let mut seen = HashSet::with_capacity(allocations.len());
        for &raw in allocations {
            let (_, key, _) = self.device_allocation(device, raw)?;
            if !seen.insert(key.index) {
                return Err(Error::InvalidParameter("an allocation is listed twice"));
            }
        }
        let adapter = self.adapter(slot.adapter.load(Relaxed));
        for &raw in allocations {
            if let Some(key) = Key::decode(raw, HandleKind::Allocation) {
                self.destroy_allocation_locked(adapter, &mut inner, key.index);
            }
        }
        drop(inner);
        slot.wake.notify_all();
        Ok(())
    }

    /// Destroys one allocation of the device whose inner lock is held.
    fn destroy_allocation_locked(&self, adapter: &Adapter, inner: &mut DeviceInner, index: u32) {
        let Some(alloc) = self.allocations.get(index) else { return };
        // One RMW kills it: LIVE, REMOVED, BUSY and the count go, the
        // generation stays for the slot's next occupant.
        let word = alloc.word.fetch_and(state::GEN_FIELD, AcqRel);
        inner.allocations.remove(&index);
        inner.busy.remove(&Key { index, gen: state::gen(word) }.encode(HandleKind::Allocation));
        let backing = core::mem::take(&mut *alloc.backing.lock());
        alloc.meta.fresh.store(0, Release);
        alloc.meta.base.store(0, Relaxed);
        adapter.used.fetch_sub(self.allocation_size(alloc), AcqRel);
        drop(backing);
        self.allocations.release(index);
    }

    /// An allocation's page-rounded size in bytes.
    #[inline]
    pub(crate) fn allocation_size(&self, slot: &AllocSlot) -> u64 {
        u64::from(slot.meta.pages.load(Relaxed)) * self.page_size.load(Relaxed)
    }

    /// `SimKmtQueryAllocation`. Works on a removed device (whose allocations
    /// show lock count 0).
    pub fn query_allocation(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<AllocationInfo> {
        self.query_allocation_raw(device.raw(), allocation.raw())
    }

    pub(crate) fn query_allocation_raw(&self, device: u32, allocation: u32) -> Result<AllocationInfo> {
        self.device_slot(device)?;
        let (slot, _, word) = self.device_allocation(device, allocation)?;
        Ok(AllocationInfo {
            size: self.allocation_size(slot),
            page_count: u64::from(slot.meta.pages.load(Relaxed)),
            lock_count: state::count(word),
            busy: word & BUSY != 0,
            cpu_visible: word & state::CPU_VISIBLE != 0,
        })
    }

    // === simulated GPU work ===

    /// `SimKmtSubmit`: queues work that references `allocations` (all of
    /// `device`) and returns its fence; they are busy until it completes.
    /// Fences count from 1 per device.
    pub fn submit(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<u64> {
        let raw: Vec<u32> = allocations.iter().map(|a| a.raw()).collect();
        self.submit_raw(device.raw(), &raw)
    }

    pub(crate) fn submit_raw(&self, device: u32, allocations: &[u32]) -> Result<u64> {
        if allocations.is_empty() {
            return Err(Error::InvalidParameter("work must reference an allocation"));
        }
        let (slot, key) = self.active_device(device)?;
        let mut inner = self.lock_active(slot, key)?;
        for &raw in allocations {
            self.device_allocation(device, raw)?;
        }
        // A handle listed twice is one reference of this work.
        let mut distinct = allocations.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let fence = inner.next_fence;
        inner.next_fence += 1;
        for &raw in &distinct {
            let count = inner.busy.entry(raw).or_insert(0);
            *count += 1;
            if *count == 1 {
                self.set_busy(raw, true);
            }
        }
        inner.pending.push_back(Work { fence, allocations: distinct });
        Ok(fence)
    }

    /// `SimKmtCompleteFence`: retires all the device's work with a fence
    /// `<= value` (a value above the last issued fence completes everything;
    /// 0 does nothing) and wakes blocked locks.
    pub fn complete_fence(&self, device: DeviceHandle, value: u64) -> Result<()> {
        self.complete_fence_raw(device.raw(), value)
    }

    pub(crate) fn complete_fence_raw(&self, device: u32, value: u64) -> Result<()> {
        let (slot, key) = self.active_device(device)?;
        if value == 0 {
            return Ok(());
        }
        let mut inner = self.lock_active(slot, key)?;
        let mut retired: VecDeque<Work> = VecDeque::new();
        while inner.pending.front().is_some_and(|w| w.fence <= value) {
            retired.extend(inner.pending.pop_front());
        }
        for work in retired {
            for raw in work.allocations {
                let Some(count) = inner.busy.get_mut(&raw) else { continue };
                *count -= 1;
                if *count == 0 {
                    inner.busy.remove(&raw);
                    self.set_busy(raw, false);
                }
            }
        }
        drop(inner);
        slot.wake.notify_all();
        Ok(())
    }

    /// Sets or clears BUSY in the word of the allocation `raw` names, and
    /// mirrors it into its prediction (`meta.fresh`) so the lock path
    /// expects it: under the Ignore policy a busy allocation still locks with
    /// one CAS, under the others the lock path sees it is busy without an
    /// RMW. The caller holds the device lock, which every writer of
    /// `meta.fresh` holds; a reader that sees the prediction a moment out of
    /// date only takes a slower path.
    fn set_busy(&self, raw: u32, busy: bool) {
        let Some((_, alloc)) = self.allocation_slot(raw) else { return };
        if busy {
            alloc.word.fetch_or(BUSY, AcqRel);
        } else {
            alloc.word.fetch_and(!BUSY, AcqRel);
        }
        let fresh = alloc.meta.fresh.load(Relaxed);
        if fresh != 0 {
            alloc.meta.fresh.store(if busy { fresh | BUSY } else { fresh & !BUSY }, Release);
        }
    }

    /// The last fence issued on the device (0 before the first submission).
    pub fn last_fence(&self, device: DeviceHandle) -> Result<u64> {
        let (slot, _, _) = self.device_slot(device.raw())?;
        Ok(slot.inner.lock().next_fence.saturating_sub(1))
    }

    /// Locks a device's inner state after re-checking, under the lock, that
    /// it is still the live, active device `key`.
    pub(crate) fn lock_active<'a>(&self, slot: &'a DeviceSlot, key: Key) -> Result<MutexGuard<'a, DeviceInner>> {
        let inner = slot.inner.lock();
        let word = slot.word.load(Acquire);
        if !state::is_live(word, key.gen) {
            return Err(Error::InvalidHandle(HandleKind::Device));
        }
        if word & DEVICE_REASON_MASK != 0 {
            return Err(Error::DeviceRemoved);
        }
        Ok(inner)
    }

    // === whole-simulator operations ===

    /// Destroys every device (and so every allocation) and closes every
    /// adapter handle; adapters stay as configured. Faults stay armed.
    pub fn destroy_all(&self) {
        let mut devices = Vec::new();
        self.devices.for_each_slot(|index, slot| {
            let word = slot.word.load(Acquire);
            if word & LIVE != 0 {
                devices.push(Key { index, gen: state::gen(word) }.encode(HandleKind::Device));
            }
        });
        for raw in devices {
            // Not a user call: faults do not count it.
            let _ = self.destroy_device_body(raw);
        }
        let mut handles = Vec::new();
        self.adapter_handles.for_each_slot(|index, slot| {
            let word = slot.word.load(Acquire);
            if word & LIVE != 0 {
                handles.push(Key { index, gen: state::gen(word) }.encode(HandleKind::Adapter));
            }
        });
        for raw in handles {
            let _ = self.close_adapter_raw(raw);
        }
    }
}
