//! [`Simulator`]: the typed Rust facade over one [`Engine`]. Every
//! `impl Simulator` block of the crate is in this module (this file,
//! `lock.rs` for the lock path, and `kmt.rs` for adapter queries and
//! contexts); each method turns typed
//! handles into raw ones and calls the engine's raw layer, which owns every
//! rule.

mod kmt;
mod lock;

use std::sync::Arc;

use crate::adapter::{AdapterFilter, AdapterInfo, Luid};
use crate::allocation::{AllocationDesc, AllocationInfo, CreateRequest};
use crate::call::Elements;
use crate::config::{SimConfig, MAX_ADAPTERS};
use crate::device::ExecutionState;
use crate::driver::DriverModel;
use crate::engine::{CreateCall, Element, Engine, StateQuery};
use crate::error::{ErrorKind, Result};
use crate::handle::{AdapterHandle, AllocationHandle, DeviceHandle};
use crate::hooks::fault::Fault;

/// A simulated machine: its adapters, their devices and allocations, the
/// lock engine and the fault plan.
///
/// Every method takes `&self` (but [`Simulator::reset`]) and is
/// thread-safe; share a simulator between threads with `Arc` or scoped
/// threads. Handles are plain `Copy` values; a zero, stale, foreign or
/// wrong-kind handle is answered with `STATUS_INVALID_PARAMETER` and never
/// reaches another object.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
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
#[repr(transparent)]
pub struct Simulator {
    engine: Engine,
}

/// The raw values of a typed handle list, read one at a time.
struct Raw<'a, T>(&'a [T]);

impl<T: Copy + Into<u32>> Elements<u32> for Raw<'_, T> {
    fn count(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
    fn get(&self, i: u32) -> u32 {
        self.0[i as usize].into()
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never blocks: a reset in progress prints a placeholder.
        let mut d = f.debug_struct("Simulator");
        match self.engine.try_config() {
            Some(config) => d.field("config", &config),
            None => d.field("config", &format_args!("<resetting>")),
        };
        d.finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds a simulator.
    ///
    /// ```
    /// assert!(d3dkmt_sim::Simulator::new(d3dkmt_sim::SimConfig::default().adapters(0)).is_err(), "out of range");
    /// ```
    ///
    /// # Errors
    ///
    /// - `InvalidParameter` when `config` is out of range
    ///   ([`SimConfig::validate`]);
    /// - `NoMemory` when the host refuses the few pages of the tables'
    ///   directories (the tables grow with use).
    pub fn new(config: SimConfig) -> Result<Self> {
        Ok(Simulator { engine: Engine::new(config)? })
    }

    /// The engine, for the C skin.
    #[cfg_attr(not(all(feature = "c-abi", not(loom))), allow(dead_code))]
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configuration in force.
    ///
    /// ```
    /// assert_eq!(d3dkmt_sim::Simulator::new(d3dkmt_sim::SimConfig::default().seed(9)).unwrap().config().seed, 9);
    /// ```
    pub fn config(&self) -> SimConfig {
        self.engine.config()
    }

    /// `SimKmtReset`: replaces this simulator by a new one built from
    /// `config`, in place. Every object is destroyed (devices, allocations
    /// and their memory, adapter handles) and every fault disarmed; the
    /// handles issued afterwards are the ones a new simulator would issue, so
    /// a replay from a reset is deterministic.
    ///
    /// It takes `&mut self`, so no [`LockGuard`](crate::LockGuard) or other borrow of the old
    /// simulator can outlive the reset (an old handle may name an object of
    /// the new simulator: handles repeat across a reset). The C ABI's
    /// `SimKmtReset` does the same under load, atomically with respect to
    /// every other call.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let mut sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// assert!(sim.reset(SimConfig::default().adapters(17)).is_err());
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active, "a failed reset changes nothing");
    ///
    /// sim.reset(SimConfig::default().adapters(2))?;
    /// assert_eq!(sim.adapter_count(), 2);
    /// assert_eq!(sim.enum_adapters()?[0].handle, adapter, "the same handles as a new simulator");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidParameter` when `config` is out of range
    /// ([`SimConfig::validate`]);
    /// nothing changes then. No fault applies to a reset.
    pub fn reset(&mut self, config: SimConfig) -> Result<()> {
        self.engine.reset(config)
    }

    // === faults ===

    /// Arms a fault (`SimKmtInjectFault`). Several faults may be armed at
    /// once; they belong to this simulator.
    ///
    /// # Errors
    ///
    /// `InvalidParameter` when the fault breaks a rule of [`Fault`]: it aims at
    /// [`crate::CallId::Query`] or [`crate::CallId::InjectFault`], returns a
    /// success status, removes the device of a call that names none, or resets
    /// the adapter of a call that names neither a device nor an adapter.
    pub fn inject_fault(&self, fault: Fault) -> Result<()> {
        self.engine.inject_fault(fault)
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.engine.clear_faults()
    }

    // === adapters ===

    /// Number of adapters enumeration reports (removed ones disappear).
    ///
    /// ```
    /// assert_eq!(d3dkmt_sim::Simulator::new(d3dkmt_sim::SimConfig::default().adapters(4)).unwrap().adapter_count(), 4);
    /// ```
    pub fn adapter_count(&self) -> usize {
        self.engine.adapter_count(AdapterFilter::ALL)
    }

    /// `D3DKMTEnumAdapters2`: every present adapter, each with a new open
    /// handle, all or none. (The C call's short-array failure is
    /// [`Simulator::enum_adapters_with_capacity`].)
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(3))?;
    /// let adapters = sim.enum_adapters()?;
    /// assert_eq!(adapters.len(), 3);
    /// assert_ne!(adapters[0].luid, adapters[1].luid);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::EnumAdapters` fires (before
    ///   any check);
    /// - `NoMemory` when the handle table cannot hold the new handles.
    pub fn enum_adapters(&self) -> Result<Vec<AdapterInfo>> {
        self.engine.enum_adapters(MAX_ADAPTERS as usize, || Ok(AdapterFilter::ALL))
    }

    /// `D3DKMTOpenAdapterFromLuid`: a new handle to the present adapter
    /// with `luid`.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::OpenAdapter` fires (before
    ///   any check);
    /// - `InvalidParameter` when no present adapter has `luid` (unknown, or its
    ///   adapter was removed);
    /// - `NoMemory` when the handle table is full.
    pub fn open_adapter_from_luid(&self, luid: Luid) -> Result<AdapterHandle> {
        self.engine.open_adapter(luid)
    }

    /// `D3DKMTCloseAdapter`. Devices created through the handle live on.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CloseAdapter` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind).
    pub fn close_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.close_adapter(adapter.raw())
    }

    /// The LUID of an open adapter handle.
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let info = sim.enum_adapters().unwrap().remove(0);
    /// assert_eq!(sim.adapter_luid(info.handle).unwrap(), info.luid);
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    /// adapter handle (closed, never issued, another kind). No fault applies.
    pub fn adapter_luid(&self, adapter: AdapterHandle) -> Result<Luid> {
        self.engine.adapter_luid(adapter.raw())
    }

    /// `SimKmtResetAdapter`: a TDR. Every live device of the adapter is
    /// removed with reason `Reset`; new devices can be created afterwards.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::ResetAdapter` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was removed
    ///   ([`Simulator::remove_adapter`]).
    pub fn reset_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.reset_adapter(adapter.raw())
    }

    /// `SimKmtRemoveAdapter`: surprise removal. Every device is removed with
    /// reason `Stopped`, the LUID disappears from enumeration and creating a
    /// device on a still-open handle fails with `DeviceRemoved`.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::RemoveAdapter` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was already removed.
    pub fn remove_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.remove_adapter(adapter.raw())
    }

    // === devices ===

    /// `D3DKMTCreateDevice`: a new device on the adapter.
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let adapter = sim.enum_adapters().unwrap()[0].handle;
    /// assert_eq!(sim.device_state(sim.create_device(adapter).unwrap()).unwrap(), ExecutionState::Active);
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CreateDevice` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was removed;
    /// - `NoMemory` when the device pool ([`crate::MAX_DEVICES`]) or the handle
    ///   table is full.
    pub fn create_device(&self, adapter: AdapterHandle) -> Result<DeviceHandle> {
        self.engine.create_device(adapter.raw())
    }

    /// `D3DKMTDestroyDevice`: destroys every allocation of the device,
    /// locked, busy or not. Works on a removed device.
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    /// sim.destroy_device(device).unwrap();
    /// assert_eq!(sim.device_state(device).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Device));
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::DestroyDevice` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind; also the loser of two
    ///   racing destroys).
    pub fn destroy_device(&self, device: DeviceHandle) -> Result<()> {
        self.engine.destroy_device(device.raw())
    }

    /// `D3DKMTGetDeviceState` (execution state): `Active`, or the first
    /// removal reason of a removed device.
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    /// assert_eq!(sim.device_state(device).unwrap(), ExecutionState::Active);
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::GetDeviceState` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind).
    pub fn device_state(&self, device: DeviceHandle) -> Result<ExecutionState> {
        self.engine.device_state(device.raw(), StateQuery::Execution)
    }

    /// `SimKmtRemoveDevice`: removes the device with `reason` (anything but
    /// `Active`). Sticky: the first reason stays.
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    /// sim.remove_device(device, ExecutionState::ErrorDmaFault).unwrap();
    /// assert_eq!(sim.remove_device(device, ExecutionState::Hung).unwrap_err(), ErrorKind::DeviceRemoved, "sticky");
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::RemoveDevice` fires (before
    ///   any check);
    /// - `InvalidParameter` when `reason` is `Active`;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was already removed (the first reason
    ///   stays).
    pub fn remove_device(&self, device: DeviceHandle, reason: ExecutionState) -> Result<()> {
        self.engine.remove_device(device.raw(), reason)
    }

    // === allocations ===

    /// `D3DKMTCreateAllocation2` for one allocation.
    ///
    /// # Errors
    ///
    /// As [`Simulator::create_allocations`] for a list of one.
    pub fn create_allocation(&self, device: DeviceHandle, desc: AllocationDesc) -> Result<AllocationHandle> {
        Ok(self.create_allocations(device, &[desc])?[0])
    }

    /// `D3DKMTCreateAllocation2`: all or nothing.
    ///
    /// # Errors
    ///
    /// In order, and nothing is created on any of them:
    ///
    /// - `InvalidParameter` when `descs` has more than `u32::MAX` entries;
    /// - an injected error when a fault armed for `CallId::CreateAllocation` fires;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidParameter` for an empty list, then, description by
    ///   description, a size of 0 or caller memory that is not page-aligned or
    ///   shorter than the size;
    /// - `NoVideoMemory` when the page-rounded video-memory allocations do not
    ///   fit the adapter's budget (a size too large to represent is past any
    ///   budget);
    /// - `NoMemory` when the host refuses the memory or the handle table is
    ///   full (also for a system-memory allocation too large to map).
    pub fn create_allocations(&self, device: DeviceHandle, descs: &[AllocationDesc]) -> Result<Vec<AllocationHandle>> {
        let count = u32::try_from(descs.len()).map_err(|_| ErrorKind::InvalidParameter("too many allocations"))?;
        self.engine
            .create_allocations(device.raw(), &CreateCall::plain(count), |i| Ok(Element::Decided(descs[i as usize])))
    }

    /// `D3DKMTCreateAllocation2` from raw inputs: the simulator's
    /// [`DriverModel`] reads each allocation's private data (the default
    /// model, [`crate::DescModel`], a `SIMKMT_ALLOCATION_DESC`), and the
    /// call-level fields are checked as Windows checks them (docs/contract.md §4). A
    /// copy of each allocation's private data is kept
    /// ([`Simulator::allocation_private_data`]).
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let bare = CreateRequest::new().flags(CreateFlags::EXISTING_SYS_MEM).allocation(RawAllocation::new(&[]));
    /// assert!(matches!(sim.create_allocations_from(device, &bare).map_err(|e| e.kind()), Err(ErrorKind::InvalidParameter(_))));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// In order (docs/contract.md §4), and nothing is created on any of them:
    ///
    /// - `InvalidParameter` when the request has more than `u32::MAX`
    ///   allocations or `u32::MAX` bytes of resource private data;
    /// - an injected error when a fault armed for `CallId::CreateAllocation` fires;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidResourceHandle` when `hResource` is non-zero;
    /// - `NotSupported` for `CreateResource` or `CreateShared`;
    /// - `InvalidParameter` when only one of `StandardAllocation` and
    ///   `ExistingSysMem` is set, when no allocation is given, and on the
    ///   standard path unless there is one allocation, no resource-level
    ///   private data, an existing-heap description whose size is a non-zero
    ///   multiple of 4096 and caller memory;
    /// - allocation by allocation: any error of the [`DriverModel`] (the
    ///   default, [`crate::DescModel`], answers `InvalidParameter`; a model may
    ///   return `Driver(status)`), then `InvalidParameter` for a size of 0 or
    ///   caller memory that is not page-aligned or shorter than the size;
    /// - `NoVideoMemory` when the page-rounded video-memory allocations do not
    ///   fit the adapter's budget (a size too large to represent is past any
    ///   budget);
    /// - `NoMemory` when the host refuses the memory or the handle table is
    ///   full (also for a system-memory allocation too large to map).
    pub fn create_allocations_from(
        &self,
        device: DeviceHandle,
        request: &CreateRequest<'_>,
    ) -> Result<Vec<AllocationHandle>> {
        let call =
            request.call().ok_or(ErrorKind::InvalidParameter("too many allocations or too much private data"))?;
        let raws = request.allocations();
        self.engine.create_allocations(device.raw(), &call, |i| Ok(Element::Raw(raws[i as usize])))
    }

    /// `SimKmtQueryAllocationPrivateData`: a copy of the private driver data
    /// the allocation was created with (empty for one created from an
    /// [`AllocationDesc`], which passes none). Works on a removed device.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// sim.set_driver_model(|r: &DriverRequest<'_>| Ok(DriverAllocation::new(r.private_data.len() as u64)))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let made = sim.create_allocations_from(device, &CreateRequest::new().allocation(RawAllocation::new(b"mine")))?;
    /// assert_eq!(sim.allocation_private_data(device, made[0])?, b"mine");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::QueryAllocationPrivateData`
    ///   fires (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's.
    pub fn allocation_private_data(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<Vec<u8>> {
        self.engine.allocation_private_data(device.raw(), allocation.raw())
    }

    // === the driver model ===

    /// Replaces this simulator's [`DriverModel`], the reading of private
    /// driver data by [`Simulator::create_allocations_from`] (and by the C
    /// ABI's create calls on the process-wide simulator). Creations already
    /// under way finish with the model they started with. A reset restores
    /// the default ([`crate::DescModel`]), as nothing carries across one.
    /// The model must not call back into the simulator.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default().adapter_memory(4096))?;
    /// // Allocations of the driver's own format, in system memory (no budget).
    /// sim.set_driver_model(|r: &DriverRequest<'_>| match r.private_data {
    ///     [b'S', pages] => Ok(DriverAllocation::new(u64::from(*pages) * 4096).placement(Placement::System)),
    ///     _ => Err(ErrorKind::Driver(NtStatus::NOT_SUPPORTED).into()),
    /// })?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let made = sim.create_allocations_from(device, &CreateRequest::new().allocation(RawAllocation::new(b"S\x08")))?;
    /// assert_eq!(sim.query_allocation(device, made[0])?.placement, Placement::System);
    /// let refused = sim.create_allocations_from(device, &CreateRequest::new().allocation(RawAllocation::new(b"?")));
    /// assert_eq!(refused.unwrap_err().status(), NtStatus::NOT_SUPPORTED);
    /// sim.use_default_driver_model()?;
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// an injected error when a fault armed for `CallId::SetDriverModel` fires (the
    /// model is not replaced).
    pub fn set_driver_model(&self, model: impl DriverModel + 'static) -> Result<()> {
        self.engine.set_driver_model(Some(Arc::new(model)))
    }

    /// Restores the default driver model ([`crate::DescModel`]).
    ///
    /// # Errors
    ///
    /// an injected error when a fault armed for `CallId::SetDriverModel` fires (the
    /// model is not replaced).
    pub fn use_default_driver_model(&self) -> Result<()> {
        self.engine.set_driver_model(None)
    }

    /// `D3DKMTDestroyAllocation2`: all or nothing. A locked or busy
    /// allocation is unlocked and destroyed at once. An empty list succeeds
    /// and does nothing. Works on a removed device.
    ///
    /// # Errors
    ///
    /// In order, and nothing is destroyed on any of them:
    ///
    /// - an injected error when a fault armed for `CallId::DestroyAllocation` fires;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - handle by handle: `InvalidHandle(HandleKind::Allocation)` for one that
    ///   names no live allocation, `WrongDevice` for another device's,
    ///   `InvalidParameter` for one listed twice.
    pub fn destroy_allocations(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<()> {
        self.engine.destroy_allocations(device.raw(), 0, Some(&Raw(allocations)))
    }

    /// `SimKmtQueryAllocation`. Works on a removed device (whose allocations
    /// show lock count 0).
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::QueryAllocation` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's.
    pub fn query_allocation(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<AllocationInfo> {
        self.engine.query_allocation(device.raw(), allocation.raw())
    }

    // === simulated GPU work ===

    /// `SimKmtSubmit`: queues work that references `allocations` (all of
    /// `device`) and returns its fence; they are busy until it completes.
    /// Fences count from 1 per device.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::Submit` fires (before any
    ///   check);
    /// - `InvalidParameter` when `allocations` is empty;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - handle by handle: `InvalidHandle(HandleKind::Allocation)` for one that
    ///   names no live allocation, `WrongDevice` for another device's.
    pub fn submit(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<u64> {
        self.engine.submit(device.raw(), &Raw(allocations))
    }

    /// `SimKmtCompleteFence`: retires all the device's work with a fence
    /// `<= value` (a value above the last issued fence completes everything;
    /// 0 does nothing) and wakes blocked locks.
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CompleteFence` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed.
    pub fn complete_fence(&self, device: DeviceHandle, value: u64) -> Result<()> {
        self.engine.complete_fence(device.raw(), value)
    }

    /// The last fence issued on the device (0 before the first submission).
    ///
    /// ```
    /// # use d3dkmt_sim::prelude::*; let sim = Simulator::new(SimConfig::default()).unwrap(); let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap(); let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    /// let fence = sim.submit(device, &[alloc]).unwrap();
    /// assert_eq!(sim.last_fence(device).unwrap(), fence);
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidHandle(HandleKind::Device)` when `device` names no live device
    /// (zero, destroyed, never issued, another kind). No fault applies.
    pub fn last_fence(&self, device: DeviceHandle) -> Result<u64> {
        self.engine.last_fence(device.raw())
    }
}

#[cfg(test)]
mod tests;
