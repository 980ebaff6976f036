//! The facade of the lock path: `D3DKMTLock2`/`D3DKMTUnlock2`, the RAII
//! guard, the legacy page-list `D3DKMTLock`/`D3DKMTUnlock`, and `peek`.

use super::{Raw, Simulator};
use crate::allocation::in_range;
use crate::error::Result;
use crate::guard::LockGuard;
use crate::handle::{AllocationHandle, DeviceHandle};
use crate::lock::{LockFlags, PageList, Pages};
use crate::mem::Mapping;

impl Simulator {
    /// `D3DKMTLock2`: maps the whole allocation and takes one lock
    /// reference. Nested locks return the same address.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default().max_lock_references(2))?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let a = sim.lock2(device, alloc)?;
    /// let b = sim.lock2(device, alloc)?;
    /// assert_eq!(a.as_ptr(), b.as_ptr());
    /// assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::TooManyReferences);
    /// sim.unlock2(device, alloc)?;
    /// sim.unlock2(device, alloc)?;
    /// assert_eq!(sim.unlock2(device, alloc).unwrap_err(), ErrorKind::NotLocked);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// In the contract's order (docs/lock-states.md):
    ///
    /// - an injected error when a fault armed for `CallId::Lock2` fires (before any
    ///   check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's;
    /// - `NotCpuVisible` when the allocation was created not CPU-visible;
    /// - `AllocationBusy` when submitted work references the allocation: at
    ///   once under [`crate::BusyPolicy::Fail`], after the configured timeout
    ///   under `Wait`, never under `Ignore` (a removal during the wait is
    ///   `DeviceRemoved`);
    /// - `TooManyReferences` when the lock count is at the configured limit.
    #[inline]
    pub fn lock2(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<Mapping> {
        self.engine.lock2(device.raw(), allocation.raw(), 0)
    }

    /// `D3DKMTUnlock2`: drops one lock reference.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock2(device, alloc)?;
    /// sim.unlock2(device, alloc)?;
    /// assert_eq!(sim.unlock2(device, alloc).unwrap_err(), ErrorKind::NotLocked);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// In the contract's order:
    ///
    /// - an injected error when a fault armed for `CallId::Unlock2` fires (before any
    ///   check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's;
    /// - `NotLocked` when the allocation holds no lock reference.
    #[inline]
    pub fn unlock2(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<()> {
        self.engine.unlock2(device.raw(), allocation.raw(), None)
    }

    /// Lock2 returning a guard that unlocks on drop.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// assert_eq!(sim.query_allocation(device, alloc)?.lock_count, 1);
    /// LockGuard::unlock(guard)?;
    /// assert_eq!(sim.query_allocation(device, alloc)?.lock_count, 0);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Simulator::lock2`].
    #[inline]
    pub fn lock2_guard(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<LockGuard<'_>> {
        let locked = self.engine.lock2_life(device.raw(), allocation.raw())?;
        Ok(LockGuard::new(&self.engine, device, allocation, locked))
    }

    /// `D3DKMTLock`, the legacy page-list lock: the mapping starts at the
    /// first listed page. Each successful lock is one reference, counted
    /// with Lock2's against one limit.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4 * 4096))?;
    /// let whole = sim.lock(device, alloc, LockFlags::default(), Pages::Entire)?;
    /// let part = sim.lock(device, alloc, LockFlags::READ_ONLY, Pages::List(&[2, 3]))?;
    /// assert_eq!(part.as_ptr() as usize - whole.as_ptr() as usize, 2 * 4096);
    /// sim.unlock(device, &[alloc, alloc])?;
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// In the contract's order (docs/lock-states.md):
    ///
    /// - an injected error when a fault armed for `CallId::Lock` fires (before any
    ///   check);
    /// - `InvalidParameter` for reserved flag bits, or `READ_ONLY` with
    ///   `WRITE_ONLY`;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's;
    /// - `NotCpuVisible` when the allocation was created not CPU-visible;
    /// - `InvalidParameter` for an empty page list or a page index past the
    ///   page count (`LOCK_ENTIRE` or [`Pages::Entire`] lists none);
    /// - `AllocationBusy` when submitted work references the allocation: at
    ///   once with `DONOT_WAIT`, after the configured timeout otherwise, never
    ///   with `IGNORE_SYNC` (a removal during the wait is `DeviceRemoved`);
    /// - `TooManyReferences` when the lock count (Lock2's and Lock's) is at the
    ///   configured limit.
    pub fn lock(
        &self,
        device: DeviceHandle,
        allocation: AllocationHandle,
        flags: LockFlags,
        pages: Pages<'_>,
    ) -> Result<Mapping> {
        let list;
        let pages = match pages {
            Pages::Entire => PageList::Entire,
            Pages::List(pages) => {
                list = Raw(pages);
                PageList::List(&list)
            }
        };
        self.engine.lock(device.raw(), allocation.raw(), flags.bits(), pages).map(|locked| locked.mapping)
    }

    /// `D3DKMTUnlock`: releases one reference from each listed allocation
    /// (a handle listed twice releases two). All or nothing.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock(device, alloc, LockFlags::empty(), Pages::Entire)?;
    /// assert_eq!(sim.unlock(device, &[alloc, alloc]).unwrap_err(), ErrorKind::NotLocked, "one reference, listed twice");
    /// sim.unlock(device, &[alloc])?;
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// In order, and nothing is unlocked on any of them:
    ///
    /// - an injected error when a fault armed for `CallId::Unlock` fires;
    /// - `InvalidParameter` when `allocations` is empty;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - handle by handle: `InvalidHandle(HandleKind::Allocation)` for one that
    ///   names no live allocation, `WrongDevice` for another device's;
    /// - `NotLocked` when an allocation holds fewer references than it is
    ///   listed times.
    pub fn unlock(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<()> {
        self.engine.unlock(device.raw(), &Raw(allocations))
    }

    /// Reads an allocation's memory without taking a lock reference, like a
    /// debugger would: for tests and tools that inspect content. Works on a
    /// removed device (showing lost content as 0xDD).
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock2_guard(device, alloc)?.write_at(0, b"abc")?;
    /// sim.remove_device(device, ExecutionState::Reset)?;
    /// let mut buf = [0u8; 4];
    /// sim.peek(device, alloc, 0, &mut buf)?;
    /// assert_eq!(buf, [0xDD; 4]);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::Memory` fires (before any
    ///   check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `InvalidHandle(HandleKind::Allocation)` when `allocation` names no
    ///   live allocation, and `WrongDevice` when it is another device's;
    /// - `InvalidParameter` when `offset..offset + buf.len()` is not inside the
    ///   allocation.
    pub fn peek(
        &self,
        device: DeviceHandle,
        allocation: AllocationHandle,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<()> {
        self.engine.peek(device.raw(), allocation.raw(), |view| in_range(view.read(offset, buf)))
    }
}
