//! [`LockGuard`]: Lock2 as RAII.

use crate::allocation::in_range;
use crate::engine::Engine;
use crate::error::{ErrorKind, Result};
use crate::handle::{AllocationHandle, DeviceHandle};
use crate::lock::Locked;
use crate::mem::Mapping;

/// A Lock2 reference that is released (Unlock2) when dropped, and safe
/// access to the locked bytes.
///
/// # Bytes: copies, not slices
///
/// The guard reads and writes the allocation by copying:
/// [`read_at`](LockGuard::read_at), [`read_array`](LockGuard::read_array),
/// [`to_vec`](LockGuard::to_vec), [`write_at`](LockGuard::write_at) and
/// [`fill`](LockGuard::fill). It never lends a `&[u8]` or `&mut [u8]`,
/// because no such borrow would be sound: Lock2 is reference counted, so
/// other guards (on other threads), a C caller holding `pData`, and the
/// content loss of a device removal may write the same bytes while this
/// guard lives, and a Rust slice promises that nobody does. The copies use
/// relaxed atomic accesses, so copies through two guards at once are not a
/// data race; what a read returns may then mix both writers' bytes, as a
/// mapping shared with a GPU would. The copies stay memory-safe when
/// another thread destroys the allocation meanwhile: they then fail. The
/// raw address ([`LockGuard::mapping`]) is there for `unsafe` code that
/// does what a C caller does with `pData`.
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
/// let adapter = sim.enum_adapters()?[0].handle;
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
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// assert_eq!(guard.mapping(), sim.lock2(device, alloc)?, "a second lock maps the same memory");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn mapping(&self) -> Mapping {
        self.locked.mapping
    }

    /// The device the lock was taken on.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// assert_eq!(sim.lock2_guard(device, alloc)?.device(), device);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn device(&self) -> DeviceHandle {
        self.device
    }

    /// The locked allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// assert_eq!(sim.lock2_guard(device, alloc)?.allocation(), alloc);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn allocation(&self) -> AllocationHandle {
        self.allocation
    }

    /// The bytes the lock maps: the allocation's size, rounded up to whole
    /// pages.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(5000))?;
    /// assert_eq!(sim.lock2_guard(device, alloc)?.len(), 8192);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.locked.mapping.len()
    }

    /// Always false: allocations are never empty.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(1))?;
    /// assert!(!sim.lock2_guard(device, alloc)?.is_empty());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.locked.mapping.is_empty()
    }

    /// Runs `f` on the memory of the life this guard locked.
    fn memory<R>(&self, f: impl FnOnce(&crate::mem::View<'_>) -> Result<R>) -> Result<R> {
        self.engine.with_memory(self.device.raw(), self.allocation.raw(), self.locked.gen, f)
    }

    /// The `N` bytes at `offset`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// guard.write_at(8, &7u32.to_le_bytes())?;
    /// assert_eq!(u32::from_le_bytes(guard.read_array(8)?), 7);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`LockGuard::read_at`].
    pub fn read_array<const N: usize>(&self, offset: usize) -> Result<[u8; N]> {
        let mut bytes = [0; N];
        self.read_at(offset, &mut bytes)?;
        Ok(bytes)
    }

    /// A copy of every mapped byte ([`LockGuard::len`] of them).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// guard.fill(0, 4096, 0xAB)?;
    /// assert!(guard.to_vec()?.iter().all(|&b| b == 0xAB));
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::Memory` fires;
    /// - `InvalidHandle(HandleKind::Allocation)` when the locked allocation was
    ///   destroyed meanwhile;
    /// - `NoMemory` when the host cannot provide the copy.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        self.memory(|m| {
            let mut copy = Vec::new();
            copy.try_reserve_exact(m.len()).map_err(|_| ErrorKind::NoMemory)?;
            copy.resize(m.len(), 0);
            in_range(m.read(0, &mut copy))?;
            Ok(copy)
        })
    }

    /// Sets `len` bytes from `offset` to `byte`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// guard.fill(1, 2, 0xFF)?;
    /// assert_eq!(guard.read_array(0)?, [0, 0xFF, 0xFF, 0]);
    /// assert!(guard.fill(4095, 2, 0).is_err(), "past the end");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`LockGuard::write_at`], for `offset..offset + len`.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) -> Result<()> {
        self.memory(|m| in_range(m.fill(offset, len, byte)))
    }

    /// Copies `buf.len()` bytes from `offset` in the allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let guard = sim.lock2_guard(device, alloc)?;
    /// let mut buf = [0xFF; 4];
    /// guard.read_at(0, &mut buf)?;
    /// assert_eq!(buf, [0; 4], "new allocations are zeroed");
    /// assert_eq!(guard.read_at(4094, &mut buf).unwrap_err().status(), NtStatus::INVALID_PARAMETER);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::Memory` fires;
    /// - `InvalidHandle(HandleKind::Allocation)` when the locked allocation was
    ///   destroyed meanwhile (its handle may name another one now);
    /// - `InvalidParameter` when `offset..offset + buf.len()` is not inside the
    ///   allocation.
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.memory(|m| in_range(m.read(offset, buf)))
    }

    /// Copies `data` to `offset` in the allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock2_guard(device, alloc)?.write_at(100, b"kept")?;
    /// assert_eq!(sim.lock2_guard(device, alloc)?.read_array(100)?, *b"kept", "bytes outlive the lock");
    /// assert!(sim.lock2_guard(device, alloc)?.write_at(4093, b"kept").is_err(), "past the end");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::Memory` fires;
    /// - `InvalidHandle(HandleKind::Allocation)` when the locked allocation was
    ///   destroyed meanwhile (its handle may name another one now);
    /// - `InvalidParameter` when `offset..offset + data.len()` is not inside
    ///   the allocation.
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.memory(|m| in_range(m.write(offset, data)))
    }

    /// Unlocks now and returns the Unlock2 status.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// LockGuard::unlock(sim.lock2_guard(device, alloc)?)?;
    /// assert_eq!(sim.unlock2(device, alloc).unwrap_err(), ErrorKind::NotLocked, "unlocked once, not twice");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let (d, a, mapping) = LockGuard::into_raw(sim.lock2_guard(device, alloc)?);
    /// assert_eq!((d, a, mapping.len()), (device, alloc, 4096));
    /// sim.unlock2(d, a)?; // still locked: the caller's unlock
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
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
