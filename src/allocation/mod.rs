//! Allocations: resolving a handle into a live allocation of a device,
//! creation (all or nothing), destruction, queries and the guarded access to
//! their memory.
//!
//! An allocation is a slot of kind `Allocation`; its state word is the lock
//! engine's, its metadata line says where its memory is, and its memory
//! owner sits beside the word.

mod desc;

use std::collections::HashSet;

pub use self::desc::{AllocationDesc, AllocationInfo};
use crate::adapter::Adapter;
use crate::call::Elements;
use crate::device::{life_key, DeviceInner, LiveDevice};
use crate::error::{Error, Result};
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
        let stale = Error::InvalidHandle(HandleKind::Allocation);
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
            return Err(Error::WrongDevice);
        }
        Ok(LiveAllocation { n, slot, word })
    }

    /// `D3DKMTCreateAllocation2`: all or nothing. `decode(i)` yields the
    /// i-th description and is called only after the device checks, in
    /// order, stopping at the first bad one, so a C caller's descriptions
    /// are validated as the contract orders it and no more are read.
    ///
    /// In this order: the device (live, then active), the count, every
    /// description, the budget (the total page-rounded size; sizes too
    /// large to represent, or of more than `u32::MAX` pages, are past any
    /// budget), then what the host may refuse (address space for the
    /// memory, handle slots: `NoMemory`). Nothing is published until all of
    /// it succeeded, and a failure gives back what was taken.
    pub(crate) fn create(
        self,
        device: u32,
        count: u32,
        mut decode: impl FnMut(u32) -> Result<AllocationDesc>,
    ) -> Result<Vec<AllocationHandle>> {
        let dev = self.device(device)?.active()?;
        if count == 0 {
            return Err(Error::InvalidParameter("no allocations requested"));
        }
        let page_size = self.0.settings.page_size();
        let mut plans = Vec::new();
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
        let adapter = self.0.adapters.get(dev.adapter());
        let total = total.filter(|&t| adapter.fits(t)).ok_or(Error::NoVideoMemory)?;
        // Memory first, outside every lock: a failure here has changed
        // nothing (the mappings made so far are unmapped on drop).
        let mut memories = Vec::with_capacity(plans.len());
        for (desc, size) in &plans {
            memories.push(match desc.system_memory {
                Some(memory) => memory.backing(),
                None => usize::try_from(*size)
                    .ok()
                    .filter(|&s| s <= isize::MAX as usize)
                    .and_then(|s| Backing::anonymous(s).ok())
                    .ok_or(Error::NoMemory)?,
            });
        }

        let mut inner = dev.lock_active()?;
        adapter.charge(total)?;
        let Some(slots) = self.0.handles.issue(plans.len()) else {
            adapter.refund(total);
            return Err(Error::NoMemory);
        };
        let mut handles = Vec::with_capacity(plans.len());
        for (((desc, size), memory), (n, slot)) in plans.into_iter().zip(memories).zip(slots) {
            slot.revive_allocation(dev.raw, memory, size as usize, (size / page_size) as u32, desc.cpu_visible);
            inner.allocations.insert(n);
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
            return Err(Error::InvalidParameter("hResource names no resource"));
        }
        let list = list.ok_or(Error::InvalidParameter("the allocation list is NULL"))?;
        if list.count() == 0 {
            return Ok(());
        }
        let mut inner = dev.lock()?;
        // Both grow with the elements read, never with the count claimed.
        let (mut seen, mut doomed) = (HashSet::new(), Vec::new());
        for i in 0..list.count() {
            let a = self.resolve(&dev, list.get(i))?;
            if !seen.insert(a.n) {
                return Err(Error::InvalidParameter("an allocation is listed twice"));
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
        inner.allocations.remove(&n);
        inner.busy.remove(&life_key(n, word.gen()));
        adapter.refund(size);
        drop(memory);
        self.0.handles.retire(n);
    }

    /// Destroys every allocation of the device whose lock is held.
    pub(crate) fn destroy_all(self, adapter: &Adapter, inner: &mut DeviceInner) {
        // In slot order: retirement order decides later reuse, and runs
        // must replay.
        let mut all: Vec<u32> = inner.allocations.iter().copied().collect();
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
        if !a.slot.still(a.word) {
            return Err(Error::InvalidHandle(HandleKind::Allocation));
        }
        Ok(AllocationInfo {
            size: len,
            page_count: u64::from(pages),
            lock_count: a.word.count(),
            busy: a.word.busy(),
            cpu_visible: a.word.cpu_visible(),
        })
    }

    /// Runs `f` on the memory of allocation `raw` while it is the life of
    /// generation `gen` (a lock guard's), or any life when `gen` is `None`
    /// (a peek, whose caller checked the allocation just before). Under the
    /// slot's memory lock, so the memory cannot go while `f` runs. `f`
    /// returns false for a range outside the allocation.
    pub(crate) fn with_memory(self, raw: u32, gen: Option<u64>, f: impl FnOnce(&View<'_>) -> bool) -> Result<()> {
        let stale = Error::InvalidHandle(HandleKind::Allocation);
        let (_, slot) = self.0.handles.get(raw).ok_or(stale)?;
        let memory = slot.memory();
        let word = slot.word();
        let live = word.is(HandleKind::Allocation) && gen.is_none_or(|g| word.gen() == g);
        match memory.view() {
            Some(view) if live => {
                if f(&view) {
                    Ok(())
                } else {
                    Err(Error::InvalidParameter("the range is outside the allocation"))
                }
            }
            _ => Err(stale),
        }
    }
}
