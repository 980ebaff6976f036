//! The facade of allocations and simulated work:
//! `D3DKMTCreateAllocation`/`2`, `DestroyAllocation2`,
//! `QueryAllocationPrivateData`, the driver model, and `SimKmtSubmit`,
//! `SimKmtCompleteFence`, `SimKmtQueryAllocation`.

use std::sync::Arc;

use super::{Raw, Simulator};
use crate::allocation::{AllocationDesc, AllocationInfo, CreateRequest};
use crate::driver::DriverModel;
use crate::engine::{CreateCall, Element};
use crate::error::{ErrorKind, Result};
use crate::handle::{AllocationHandle, DeviceHandle};

impl Simulator {
    // === allocations ===

    /// `D3DKMTCreateAllocation2` for one allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(5000))?;
    /// let info = sim.query_allocation(device, alloc)?;
    /// assert_eq!((info.size, info.lock_count, info.busy), (8192, 0, false), "page-rounded, idle");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Simulator::create_allocations`] for a list of one.
    pub fn create_allocation(&self, device: DeviceHandle, desc: AllocationDesc) -> Result<AllocationHandle> {
        Ok(self.create_allocations(device, &[desc])?[0])
    }

    /// `D3DKMTCreateAllocation2`: all or nothing.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapter_memory(3 * 4096))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let two = sim.create_allocations(device, &[AllocationDesc::new(4096), AllocationDesc::new(4096)])?;
    /// assert_eq!(two.len(), 2);
    /// // Two more pages do not fit the budget's one left: neither is made.
    /// let more = [AllocationDesc::new(4096), AllocationDesc::new(4096)];
    /// assert_eq!(sim.create_allocations(device, &more).unwrap_err(), ErrorKind::NoVideoMemory);
    /// assert!(sim.create_allocation(device, AllocationDesc::new(4096)).is_ok(), "the page is still there");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateRequest, DriverAllocation, DriverRequest, RawAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let one_page = CreateRequest::new().allocation(RawAllocation::new(b"x"));
    /// sim.set_driver_model(|_: &DriverRequest<'_>| Ok(DriverAllocation::new(4096)))?;
    /// assert!(sim.create_allocations_from(device, &one_page).is_ok());
    /// sim.use_default_driver_model()?;
    /// // The default model reads a SIMKMT_ALLOCATION_DESC, which b"x" is not.
    /// assert_eq!(sim.create_allocations_from(device, &one_page).unwrap_err().status(), NtStatus::INVALID_PARAMETER);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let [a, b] = [0; 2].map(|_| sim.create_allocation(device, AllocationDesc::new(4096)).unwrap());
    /// sim.lock2(device, a)?;
    /// sim.destroy_allocations(device, &[a, b])?;
    /// assert_eq!(sim.lock2(device, a).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Allocation));
    /// // A handle listed twice, or a stale one, destroys nothing.
    /// let c = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// assert!(sim.destroy_allocations(device, &[c, a]).is_err());
    /// assert!(sim.query_allocation(device, c).is_ok());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096).not_cpu_visible())?;
    /// let info = sim.query_allocation(device, alloc)?;
    /// assert!(!info.cpu_visible && !info.busy);
    /// assert_eq!(info.lock_count, 0);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// assert_eq!(sim.submit(device, &[alloc])?, 1);
    /// assert_eq!(sim.submit(device, &[alloc])?, 2);
    /// assert!(sim.query_allocation(device, alloc)?.busy);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let first = sim.submit(device, &[alloc])?;
    /// let second = sim.submit(device, &[alloc])?;
    /// sim.complete_fence(device, first)?;
    /// assert!(sim.query_allocation(device, alloc)?.busy, "the second submission still uses it");
    /// sim.complete_fence(device, second)?;
    /// assert!(!sim.query_allocation(device, alloc)?.busy);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// assert_eq!(sim.last_fence(device)?, 0);
    /// let fence = sim.submit(device, &[alloc])?;
    /// assert_eq!(sim.last_fence(device)?, fence);
    /// # Ok::<(), d3dkmt_sim::Error>(())
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
