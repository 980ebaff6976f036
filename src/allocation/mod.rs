//! Allocations: resolving a handle into a live allocation of a device,
//! creation (all or nothing), destruction, queries and the guarded access to
//! their memory.
//!
//! An allocation is a slot of kind `Allocation`; its state word is the lock
//! engine's, its metadata line says where its memory is, and its memory
//! owner sits beside the word.

mod desc;
mod request;

use std::collections::HashSet;

pub use self::desc::{AllocationDesc, AllocationInfo};
pub(crate) use self::request::{CreateCall, Element, Standard};
pub use self::request::{CreateRequest, RawAllocation, StandardAllocation};
use crate::adapter::Adapter;
use crate::call::Elements;
use crate::device::{life_key, AllocationRecord, DeviceInner, LiveDevice};
use crate::driver::{CreateFlags, Driver, DriverRequest, Placement};
use crate::error::{Error, ErrorKind, Result};
use crate::handle::{AllocationHandle, HandleKind};
use crate::mem::{self, Backing, View};
use crate::slot::{Slot, Word};
use crate::stores::view;

/// An allocation handle checked once: the live allocation of the device
/// the call named, as its word was at that moment.
#[derive(Clone, Copy)]
pub(crate) struct LiveAllocation<'e> {
    /// The handle's sequence number (its slot).
    pub(crate) n: u32,
    pub(crate) slot: &'e Slot,
    pub(crate) word: Word,
}

impl LiveAllocation<'_> {
    /// The generation of this life of the slot.
    pub(crate) fn gen(self) -> u64 {
        self.word.gen()
    }
}

view!(
    /// The allocation operations.
    Allocations
);

impl<'e> Allocations<'e> {
    /// Checks a device handle (see [`Devices::resolve`]).
    #[inline]
    pub(crate) fn device(self, raw: u32) -> Result<LiveDevice<'e>> {
        self.0.devices.resolve(&self.0.handles, raw)
    }

    /// Checks an allocation handle of `dev` once (the contract's rule 4):
    /// a live allocation (`InvalidHandle` otherwise: zero, stale, never
    /// issued, another kind) owned by `dev` (`WrongDevice` otherwise).
    pub(crate) fn resolve(self, dev: &LiveDevice<'_>, raw: u32) -> Result<LiveAllocation<'e>> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Allocation));
        let (n, slot) = self.0.handles.get(raw).ok_or(stale)?;
        let word = slot.word();
        if !word.is(HandleKind::Allocation) {
            return Err(stale);
        }
        let owner = slot.device();
        // The owner read is this allocation's if the slot still holds it.
        if !slot.still(word) {
            return Err(stale);
        }
        if owner != dev.raw {
            return Err(ErrorKind::WrongDevice.into());
        }
        Ok(LiveAllocation { n, slot, word })
    }

    /// `D3DKMTCreateAllocation(2)`: all or nothing. `element(i)` yields
    /// the i-th allocation and is called only after the call's own checks,
    /// in order, stopping at the first bad one, so a C caller's array is
    /// validated as the contract orders it and no more is read.
    ///
    /// The check order (docs/contract.md §4; `docs/c-library.md` lists it for C):
    ///
    /// 1. the device: live (`InvalidHandle`), then active (`DeviceRemoved`);
    /// 2. `hResource`: non-zero names no resource (`InvalidResourceHandle`,
    ///    `STATUS_INVALID_HANDLE`; none exist yet);
    /// 3. the flags: `CreateResource`/`CreateShared` are `NotSupported`;
    ///    `StandardAllocation` and `ExistingSysMem` only together
    ///    (`InvalidParameter`);
    /// 4. the count: 0 (or a NULL array) is `InvalidParameter`;
    /// 5. the standard path: exactly one allocation, no resource-level
    ///    private data, an existing-heap description whose size is a
    ///    non-zero multiple of 4096, and caller memory (`InvalidParameter`);
    /// 6. each allocation in order: the driver model's answer (any error it
    ///    returns), size 0, caller memory misaligned or shorter than the
    ///    size (`InvalidParameter`);
    /// 7. the budget: the total page-rounded size of the video-memory
    ///    allocations (sizes too large to represent, or of more than
    ///    `u32::MAX` pages, are past any budget: `NoVideoMemory`);
    /// 8. what the host may refuse (address space, handle slots:
    ///    `NoMemory`).
    ///
    /// The driver model runs in step 6, outside every lock but the gate.
    /// Nothing is published until all of it succeeded, and a failure gives
    /// back what was taken.
    pub(crate) fn create<'a>(
        self,
        device: u32,
        call: &CreateCall<'a>,
        mut element: impl FnMut(u32) -> Result<Element<'a>>,
    ) -> Result<Vec<AllocationHandle>> {
        let dev = self.device(device)?.active()?;
        check_call(call)?;
        let page_size = self.0.settings.page_size();
        let model = self.0.driver.get();
        let mut plans = Vec::new();
        let mut total = Some(0u64);
        let mut too_big = false;
        for i in 0..call.count {
            let (desc, private_data) = match (element(i)?, call.standard) {
                (element, Some(Standard::ExistingHeap(size))) => standard_desc(element, size)?,
                (Element::Decided(desc), _) => (desc, Box::default()),
                (Element::Raw(raw), _) => {
                    let request = DriverRequest {
                        resource_data: call.resource_data,
                        private_data: raw.private_data(),
                        index: i,
                        flags: call.flags,
                        has_system_memory: raw.system_memory().is_some(),
                    };
                    let answer = Driver::interpret(model.as_ref(), &request)?;
                    let mut desc = AllocationDesc::new(answer.size).placement(answer.placement);
                    desc.cpu_visible = answer.cpu_visible;
                    desc.system_memory = raw.system_memory();
                    (desc, mem::copy_bytes(raw.private_data()).ok_or(ErrorKind::NoMemory)?.into())
                }
            };
            if desc.size == 0 {
                return Err(ErrorKind::InvalidParameter("allocation size is 0").into());
            }
            if let Some(memory) = desc.system_memory {
                if !mem::is_aligned(memory.as_ptr(), page_size as usize) {
                    return Err(ErrorKind::InvalidParameter("pSystemMem is not aligned to the page size").into());
                }
                if (memory.len() as u64) < desc.size {
                    return Err(ErrorKind::InvalidParameter("pSystemMem is smaller than the allocation").into());
                }
            }
            // `None`: too large to round or to address by page (past any budget).
            let size = desc.size.checked_next_multiple_of(page_size).filter(|&s| s / page_size <= u64::from(u32::MAX));
            if desc.placement == Placement::Video {
                total = size.and_then(|s| total?.checked_add(s));
            } else {
                // Outside the budget, but no host can map it either.
                too_big |= size.is_none();
            }
            plans.push((desc, size.unwrap_or(0), private_data));
        }
        let adapter = self.0.adapters.get(dev.adapter());
        let total = total.filter(|&t| adapter.fits(t)).ok_or(ErrorKind::NoVideoMemory)?;
        if too_big {
            return Err(ErrorKind::NoMemory.into());
        }
        // Memory first, outside every lock: a failure here has changed
        // nothing (the mappings made so far are unmapped on drop).
        let mut memories = Vec::with_capacity(plans.len());
        for (desc, size, _) in &plans {
            memories.push(match desc.system_memory {
                // The simulator touches caller memory only up to the size asked for.
                Some(memory) => memory.clamped(usize::try_from(desc.size).unwrap_or(usize::MAX)).backing(),
                None => usize::try_from(*size)
                    .ok()
                    .filter(|&s| s <= isize::MAX as usize)
                    .and_then(|s| Backing::anonymous(s).ok())
                    .ok_or(ErrorKind::NoMemory)?,
            });
        }

        let mut inner = dev.lock_active()?;
        // Room for the records before anything is taken: an insert below
        // must not abort the process when the host is out of memory.
        inner.allocations.try_reserve(plans.len()).map_err(|_| ErrorKind::NoMemory)?;
        adapter.charge(total)?;
        let Some(slots) = self.0.handles.issue(plans.len()) else {
            adapter.refund(total);
            return Err(ErrorKind::NoMemory.into());
        };
        let mut handles = Vec::with_capacity(plans.len());
        for (((desc, size, private_data), memory), (n, slot)) in plans.into_iter().zip(memories).zip(slots) {
            slot.revive_allocation(dev.raw, memory, size as usize, (size / page_size) as u32, desc.cpu_visible);
            inner.allocations.insert(n, AllocationRecord { placement: desc.placement, private_data });
            handles.push(AllocationHandle::from_index(n));
        }
        Ok(handles)
    }

    /// `D3DKMTDestroyAllocation2`: all or nothing, on a live (possibly
    /// removed) device. A locked or busy allocation is unlocked and
    /// destroyed at once. `resource` is the caller's `hResource` (no
    /// resource exists, so any non-zero value names none); `None` stands for
    /// a NULL list with a non-zero count. An empty list succeeds and does
    /// nothing; a bad or repeated handle is `InvalidParameter` and nothing
    /// is destroyed. Handles are checked one by one, up to the first bad
    /// one, and nothing proportional to the caller's count is reserved.
    pub(crate) fn destroy(self, device: u32, resource: u32, list: Option<&dyn Elements<u32>>) -> Result<()> {
        let dev = self.device(device)?;
        if resource != 0 {
            return Err(ErrorKind::InvalidParameter("hResource names no resource").into());
        }
        let list = list.ok_or(ErrorKind::InvalidParameter("the allocation list is NULL"))?;
        if list.count() == 0 {
            return Ok(());
        }
        let mut inner = dev.lock()?;
        // Both grow with the elements read, never with the count claimed.
        let (mut seen, mut doomed) = (HashSet::new(), Vec::new());
        for i in 0..list.count() {
            let a = self.resolve(&dev, list.get(i))?;
            if !seen.insert(a.n) {
                return Err(ErrorKind::InvalidParameter("an allocation is listed twice").into());
            }
            doomed.push(a.n);
        }
        let adapter = self.0.adapters.get(dev.adapter());
        // In the caller's order: retirement order decides later reuse, and
        // runs must replay.
        for n in doomed {
            self.destroy_locked(adapter, &mut inner, n);
        }
        drop(inner);
        dev.wake().notify_all();
        Ok(())
    }

    /// Destroys allocation `n` of the device whose lock is held (`inner`).
    pub(crate) fn destroy_locked(self, adapter: &Adapter, inner: &mut DeviceInner, n: u32) {
        let Some(slot) = self.0.handles.at(n) else { return };
        let size = slot.mapping().len() as u64;
        let (word, memory) = slot.kill_allocation();
        inner.busy.remove(&life_key(n, word.gen()));
        // System placement never took budget.
        if inner.allocations.remove(&n).is_none_or(|r| r.placement == Placement::Video) {
            adapter.refund(size);
        }
        drop(memory);
        self.0.handles.retire(n);
    }

    /// Destroys every allocation of the device whose lock is held.
    pub(crate) fn destroy_all(self, adapter: &Adapter, inner: &mut DeviceInner) {
        // In slot order: retirement order decides later reuse, and runs
        // must replay.
        let mut all: Vec<u32> = inner.allocations.keys().copied().collect();
        all.sort_unstable();
        for n in all {
            self.destroy_locked(adapter, inner, n);
        }
    }

    /// `SimKmtQueryAllocation`: works on a removed device (whose
    /// allocations show lock count 0).
    pub(crate) fn query(self, device: u32, raw: u32) -> Result<AllocationInfo> {
        let dev = self.device(device)?;
        let a = self.resolve(&dev, raw)?;
        let (len, pages) = (a.slot.mapping().len() as u64, a.slot.pages());
        // Under the device lock, which creation and destruction hold.
        let placement = dev.lock()?.allocations.get(&a.n).map(|r| r.placement);
        let (true, Some(placement)) = (a.slot.still(a.word), placement) else {
            return Err(ErrorKind::InvalidHandle(HandleKind::Allocation).into());
        };
        Ok(AllocationInfo {
            placement,
            size: len,
            page_count: u64::from(pages),
            lock_count: a.word.count(),
            busy: a.word.busy(),
            cpu_visible: a.word.cpu_visible(),
        })
    }

    /// `SimKmtQueryAllocationPrivateData`: a copy of the private driver data
    /// the allocation was created with. Works on a removed device.
    pub(crate) fn private_data(self, device: u32, raw: u32) -> Result<Vec<u8>> {
        let dev = self.device(device)?;
        let inner = dev.lock()?;
        let a = self.resolve(&dev, raw)?;
        let record = inner.allocations.get(&a.n).ok_or(ErrorKind::InvalidHandle(HandleKind::Allocation))?;
        Ok(record.private_data.to_vec())
    }

    /// Runs `f` on the memory of allocation `raw` while it is the life of
    /// generation `gen` (a lock guard's), or any life when `gen` is `None`
    /// (a peek, whose caller checked the allocation just before). Under the
    /// slot's memory lock, so the memory cannot go while `f` runs. `f`
    /// returns false for a range outside the allocation.
    pub(crate) fn with_memory<R>(
        self,
        raw: u32,
        gen: Option<u64>,
        f: impl FnOnce(&View<'_>) -> Result<R>,
    ) -> Result<R> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Allocation));
        let (_, slot) = self.0.handles.get(raw).ok_or(stale)?;
        let memory = slot.memory();
        let word = slot.word();
        let live = word.is(HandleKind::Allocation) && gen.is_none_or(|g| word.gen() == g);
        match memory.view() {
            Some(view) if live => f(&view),
            _ => Err(stale),
        }
    }
}

/// A memory copy's outcome: `in_range` false is `InvalidParameter`.
pub(crate) fn in_range(in_range: bool) -> Result<()> {
    if in_range {
        Ok(())
    } else {
        Err(ErrorKind::InvalidParameter("the range is outside the allocation").into())
    }
}

/// The checks of a create call before any allocation is read (steps 2 to 5
/// of [`Allocations::create`], the last but the caller memory of the one
/// standard allocation).
fn check_call(call: &CreateCall<'_>) -> Result<()> {
    if call.resource != 0 {
        return Err(ErrorKind::InvalidResourceHandle.into());
    }
    if call.flags.intersects(CreateFlags::CREATE_RESOURCE | CreateFlags::CREATE_SHARED) {
        return Err(ErrorKind::NotSupported("resources and shared allocations are not simulated").into());
    }
    let standard = call.flags.contains(CreateFlags::STANDARD_ALLOCATION);
    if standard != call.flags.contains(CreateFlags::EXISTING_SYS_MEM) {
        return Err(ErrorKind::InvalidParameter("StandardAllocation and ExistingSysMem go together").into());
    }
    if call.count == 0 {
        return Err(ErrorKind::InvalidParameter("no allocations requested").into());
    }
    let Some(standard) = call.standard else { return Ok(()) };
    if call.count != 1 {
        return Err(ErrorKind::InvalidParameter("a standard allocation is created alone").into());
    }
    if call.resource_data_size != 0 {
        return Err(ErrorKind::InvalidParameter("a standard allocation takes no resource private data").into());
    }
    match standard {
        Standard::Missing => Err(ErrorKind::InvalidParameter("pStandardAllocation is NULL").into()),
        Standard::OtherType => {
            Err(ErrorKind::InvalidParameter("only existing-heap standard allocations are supported").into())
        }
        Standard::ExistingHeap(size) if size == 0 || size % 4096 != 0 => {
            Err(ErrorKind::InvalidParameter("ExistingHeapData.Size is not a non-zero multiple of 4096").into())
        }
        Standard::ExistingHeap(_) => Ok(()),
    }
}

/// The one allocation of an existing-heap standard call: `size` bytes over
/// the caller's memory, which it requires; no driver model reads it.
fn standard_desc(element: Element<'_>, size: u64) -> Result<(AllocationDesc, Box<[u8]>)> {
    let (memory, private_data) = match element {
        Element::Decided(desc) => (desc.system_memory, Box::default()),
        Element::Raw(raw) => {
            (raw.system_memory(), mem::copy_bytes(raw.private_data()).ok_or(ErrorKind::NoMemory)?.into())
        }
    };
    let memory = memory.ok_or(ErrorKind::InvalidParameter("an existing-heap allocation needs pSystemMem"))?;
    Ok((AllocationDesc::new(size).with_system_memory(memory), private_data))
}
