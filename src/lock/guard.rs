//! [`LockGuard`]: Lock2 as RAII.

use crate::error::Result;
use crate::handle::{AllocationHandle, DeviceHandle};
use crate::objects::Mapping;
use crate::sim::Simulator;

/// A Lock2 reference that is released (Unlock2) when dropped.
///
/// Lock2 is reference counted, so several guards may map one allocation at
/// once; the guard therefore never hands out `&mut [u8]`. Safe access goes
/// through [`LockGuard::read_at`] and [`LockGuard::write_at`], which stay
/// memory-safe even if another thread destroys the allocation meanwhile
/// (they then fail). The raw address is there for `unsafe` code that mirrors
/// what a C caller does with `pData`.
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
    sim: &'a Simulator,
    device: DeviceHandle,
    allocation: AllocationHandle,
    mapping: Mapping,
}

impl Simulator {
    /// Lock2 returning a guard that unlocks on drop.
    pub fn lock2_guard(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<LockGuard<'_>> {
        let mapping = self.lock2(device, allocation)?;
        Ok(LockGuard { sim: self, device, allocation, mapping })
    }
}

impl<'a> LockGuard<'a> {
    /// The mapping Lock2 returned.
    pub fn mapping(&self) -> Mapping {
        self.mapping
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
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.sim.with_backing(self.allocation, |b| b.read(offset, buf))
    }

    /// Copies `data` to `offset` in the allocation.
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.sim.with_backing(self.allocation, |b| b.write(offset, data))
    }

    /// Unlocks now and returns the Unlock2 status.
    pub fn unlock(guard: Self) -> Result<()> {
        let (sim, device, allocation, _) = LockGuard::into_raw(guard);
        sim.unlock2(device, allocation)
    }

    /// Gives up the guard without unlocking; the caller owes one
    /// [`Simulator::unlock2`] for the returned pair.
    pub fn into_raw(guard: Self) -> (&'a Simulator, DeviceHandle, AllocationHandle, Mapping) {
        let guard = core::mem::ManuallyDrop::new(guard);
        (guard.sim, guard.device, guard.allocation, guard.mapping)
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.sim.unlock2(self.device, self.allocation);
    }
}

impl core::fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LockGuard")
            .field("device", &self.device)
            .field("allocation", &self.allocation)
            .field("mapping", &self.mapping)
            .finish()
    }
}
