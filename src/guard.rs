//! [`LockGuard`]: Lock2 as RAII.

use crate::engine::Engine;
use crate::error::Result;
use crate::handle::{AllocationHandle, DeviceHandle};
use crate::lock::Locked;
use crate::mem::Mapping;

/// A Lock2 reference that is released (Unlock2) when dropped.
///
/// Lock2 is reference counted, so several guards may map one allocation at
/// once; the guard therefore never hands out `&mut [u8]`. Safe access goes
/// through [`LockGuard::read_at`] and [`LockGuard::write_at`], which stay
/// memory-safe even if another thread destroys the allocation meanwhile
/// (they then fail). The raw address is there for `unsafe` code that mirrors
/// what a C caller does with `pData`.
///
/// The guard remembers which life of the allocation it locked: should the
/// allocation be destroyed and its handle value reused while the guard
/// lives, the guard touches and unlocks nothing of the newcomer.
///
/// Dropping never panics: if the unlock fails (for example because the
/// device was removed, which already dropped every lock) the status is
/// discarded; use [`LockGuard::unlock`] to see it.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters(1)?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
/// {
///     let guard = sim.lock2_guard(device, alloc)?;
///     guard.write_at(100, &[1, 2, 3])?;
///     assert_eq!(sim.query_allocation(device, alloc)?.lock_count, 1);
/// }
/// assert_eq!(sim.query_allocation(device, alloc)?.lock_count, 0);
/// # Ok::<(), Error>(())
/// ```
#[must_use = "dropping the guard unlocks immediately"]
#[clippy::has_significant_drop]
pub struct LockGuard<'a> {
    engine: &'a Engine,
    device: DeviceHandle,
    allocation: AllocationHandle,
    locked: Locked,
}

impl<'a> LockGuard<'a> {
    pub(crate) fn new(engine: &'a Engine, device: DeviceHandle, allocation: AllocationHandle, locked: Locked) -> Self {
        LockGuard { engine, device, allocation, locked }
    }

    /// The mapping Lock2 returned.
    pub fn mapping(&self) -> Mapping {
        self.locked.mapping
    }

    /// The device the lock was taken on.
    pub fn device(&self) -> DeviceHandle {
        self.device
    }

    /// The locked allocation.
    pub fn allocation(&self) -> AllocationHandle {
        self.allocation
    }

    /// Copies `buf.len()` bytes from `offset` in the allocation.
    ///
    /// # Errors
    ///
    /// - `Injected` when a fault armed for `CallId::Memory` fires;
    /// - `InvalidHandle(HandleKind::Allocation)` when the locked allocation was
    ///   destroyed meanwhile (its handle may name another one now);
    /// - `InvalidParameter` when `offset..offset + buf.len()` is not inside the
    ///   allocation.
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.engine.with_memory(self.device.raw(), self.allocation.raw(), self.locked.gen, |m| m.read(offset, buf))
    }

    /// Copies `data` to `offset` in the allocation.
    ///
    /// # Errors
    ///
    /// - `Injected` when a fault armed for `CallId::Memory` fires;
    /// - `InvalidHandle(HandleKind::Allocation)` when the locked allocation was
    ///   destroyed meanwhile (its handle may name another one now);
    /// - `InvalidParameter` when `offset..offset + data.len()` is not inside
    ///   the allocation.
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.engine.with_memory(self.device.raw(), self.allocation.raw(), self.locked.gen, |m| m.write(offset, data))
    }

    /// Unlocks now and returns the Unlock2 status.
    ///
    /// # Errors
    ///
    /// The Unlock2 errors of [`crate::Simulator::unlock2`];
    /// `InvalidHandle(HandleKind::Allocation)`
    /// when the locked allocation was destroyed meanwhile (a newcomer with its
    /// handle is not unlocked).
    pub fn unlock(guard: Self) -> Result<()> {
        let guard = core::mem::ManuallyDrop::new(guard);
        guard.engine.unlock2(guard.device.raw(), guard.allocation.raw(), Some(guard.locked.gen))
    }

    /// Gives up the guard without unlocking; the caller owes one
    /// [`crate::Simulator::unlock2`] for the returned pair.
    pub fn into_raw(guard: Self) -> (DeviceHandle, AllocationHandle, Mapping) {
        let guard = core::mem::ManuallyDrop::new(guard);
        (guard.device, guard.allocation, guard.locked.mapping)
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.engine.unlock2(self.device.raw(), self.allocation.raw(), Some(self.locked.gen));
    }
}

impl core::fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LockGuard")
            .field("device", &self.device)
            .field("allocation", &self.allocation)
            .field("mapping", &self.locked.mapping)
            .finish()
    }
}
