//! The lock engine: `D3DKMTLock2`/`D3DKMTUnlock2` and the legacy page-list
//! `D3DKMTLock`/`D3DKMTUnlock` (abi.md §5, §6).
//!
//! Each call has a fast path and a slow path. The fast path reads the
//! allocation's slot (no lock), checks the state word against everything a
//! success needs in one mask compare, and takes or drops the reference with
//! one compare-and-swap: one locked read-modify-write per call. Anything else
//! (an error, a busy allocation, a lost race) falls to the slow path, which
//! re-derives the status in exactly the contract's order and does the
//! waiting. The rules themselves live, pure, in [`state`].

pub(crate) mod state;

mod guard;

pub use guard::LockGuard;

use std::time::Instant;

use self::state::{LockCheck, UnlockCheck};
use crate::error::{Error, Result};
use crate::fault::FaultCall;
use crate::handle::{AllocationHandle, DeviceHandle, HandleKind, Key};
use crate::objects::{AllocSlot, DeviceSlot, LockFlags, Mapping, Pages, DEVICE_REASON_MASK};
use crate::sim::Simulator;
use crate::sync::Ordering::*;
use crate::BusyPolicy;

/// What a lock does with a busy allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BusyRule {
    Fail,
    Wait,
    Ignore,
}

impl Simulator {
    /// `D3DKMTLock2`: maps the whole allocation and takes one lock
    /// reference. Checks, in order: device live, device not removed,
    /// allocation live and of that device, CPU-visible, busy (per the busy
    /// policy), reference limit. Nested locks return the same address.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default().max_lock_references(2))?;
    /// let adapter = sim.enum_adapters(1)?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let a = sim.lock2(device, alloc)?;
    /// let b = sim.lock2(device, alloc)?;
    /// assert_eq!(a.as_ptr(), b.as_ptr());
    /// assert_eq!(sim.lock2(device, alloc), Err(Error::TooManyReferences));
    /// sim.unlock2(device, alloc)?;
    /// sim.unlock2(device, alloc)?;
    /// assert_eq!(sim.unlock2(device, alloc), Err(Error::NotLocked));
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    pub fn lock2(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<Mapping> {
        self.lock2_raw(device.raw(), allocation.raw(), 0)
    }

    /// Lock2 on raw handles and raw `Flags.Value`.
    #[inline(always)]
    pub(crate) fn lock2_raw(&self, device: u32, allocation: u32, flags: u32) -> Result<Mapping> {
        match self.lock2_fast(device, allocation, flags) {
            Some(result) => result,
            None => self.lock2_slow(device, allocation, flags),
        }
    }

    /// Lock2 when no fault is armed: the success path (a load, compares and
    /// one CAS) and every error that the allocation word and a device lookup
    /// decide. `None` leaves the call to [`Simulator::lock2_slow`] (a fault
    /// is armed, flags are set, the allocation is busy under the Wait
    /// policy, or another call holds the word for a moment); the call has
    /// then taken nothing and counted no fault. With no fault armed the
    /// fault point would do nothing, so deciding here is the same call.
    ///
    /// It cannot panic (loads, compares, a CAS, a mutex taken and released
    /// at most once), so the C ABI runs it outside `catch_unwind`.
    #[inline(always)]
    pub(crate) fn lock2_fast(&self, device: u32, allocation: u32, flags: u32) -> Option<Result<Mapping>> {
        if self.faults.any_armed() || flags != 0 {
            return None;
        }
        let Some((key, slot)) = self.allocation_slot(allocation) else {
            return Some(Err(self.not_an_allocation_of(device, false)));
        };
        let meta = &slot.meta;
        let expected = meta.fresh.load(Acquire);
        // BUSY is in the mask unless the policy maps busy allocations, so a
        // busy allocation that may not be locked takes the `else` branch
        // and costs no RMW.
        let mask = self.lock2_mask.load(Relaxed);
        if expected & mask == state::fresh(key.gen, true) && meta.owner.load(Relaxed) == device {
            // The allocation the handle names is live, CPU-visible and
            // `device`'s (its metadata, read after `fresh` with acquire, is
            // that allocation's until it dies, which changes the word).
            let mapping = Mapping::new(meta.base.load(Relaxed), self.allocation_size(slot) as usize);
            // Expect the usual case, unlocked (and idle, or busy as the
            // metadata says): one CAS and no load of the word.
            match slot.word.compare_exchange(expected, expected + 1, AcqRel, Acquire) {
                Ok(_) => Some(Ok(mapping)),
                Err(word) => self.lock2_retry(device, key, slot, word, mapping),
            }
        } else {
            self.lock2_miss(device, key, slot, expected)
        }
    }

    /// Lock2 when the prediction does not allow a lock: a published removal
    /// is answered from it, anything else from the word.
    #[cold]
    #[inline(never)]
    fn lock2_miss(&self, device: u32, key: Key, slot: &AllocSlot, expected: u64) -> Option<Result<Mapping>> {
        if Self::removal_predicted(slot, key, expected, device) {
            return Some(Err(Error::DeviceRemoved));
        }
        self.lock2_verdict(device, key, slot, slot.word.load(Acquire)).map(Err)
    }

    /// Whether the prediction says the allocation the handle names belongs
    /// to `device` and that device's removal is published (removal stores
    /// that prediction only after the device's reason). Rule 3 then decides
    /// the call, whatever the allocation's state: at the moment the
    /// prediction was read the device was not destroyed either, since a
    /// device dies only after each of its allocations' predictions was
    /// cleared.
    #[inline]
    fn removal_predicted(slot: &AllocSlot, key: Key, expected: u64, device: u32) -> bool {
        expected & (state::LIVE | state::REMOVED | state::GEN_FIELD) == state::fresh(key.gen, false) | state::REMOVED
            && slot.meta.owner.load(Relaxed) == device
    }

    /// Lock2 after the expected word was not there: while the word the CAS
    /// returned still allows a lock (a nested lock, a lost race, a busy
    /// allocation under the Ignore policy), CAS again from it; otherwise
    /// the verdict on it. Out of line, so the common path stays short.
    #[cold]
    #[inline(never)]
    fn lock2_retry(
        &self,
        device: u32,
        key: Key,
        slot: &AllocSlot,
        mut word: u64,
        mapping: Mapping,
    ) -> Option<Result<Mapping>> {
        let mask = self.lock2_mask.load(Relaxed);
        let limit = self.limit.load(Relaxed);
        let fresh = state::fresh(key.gen, true);
        while word & mask == fresh & mask {
            if state::count(word) >= limit {
                // Everything before rule 7 holds (owner checked, live, not
                // removed, CPU-visible, not busy or busy ignored).
                return Some(Err(Error::TooManyReferences));
            }
            match slot.word.compare_exchange_weak(word, word + 1, AcqRel, Acquire) {
                Ok(_) => return Some(Ok(mapping)),
                Err(now) => word = now,
            }
        }
        // `word` is the allocation's state at a moment the call saw it.
        self.lock2_verdict(device, key, slot, word).map(Err)
    }

    /// Why a Lock2 cannot take `word`, in abi.md §5 order, or `None` when
    /// the slow path must decide. When the word is the live allocation the
    /// handle names and `device` owns it, the device is live (rule 2: a
    /// device dies only after its allocations) and REMOVED in the word is
    /// rule 3; otherwise the device decides first.
    #[cold]
    #[inline(never)]
    fn lock2_verdict(&self, device: u32, key: Key, slot: &AllocSlot, word: u64) -> Option<Error> {
        if let Some(error) = self.handle_mismatch(device, key, slot, word) {
            return Some(error);
        }
        let policy = self.busy_policy();
        match state::check_lock(word, key.gen, self.limit.load(Relaxed), policy != BusyPolicy::Ignore) {
            LockCheck::Removed => self.removal_published(device).then_some(Error::DeviceRemoved),
            LockCheck::NotCpuVisible => Some(Error::NotCpuVisible),
            LockCheck::Busy if policy == BusyPolicy::Fail => Some(Error::AllocationBusy),
            LockCheck::AtLimit => Some(Error::TooManyReferences),
            LockCheck::Frozen | LockCheck::Stale | LockCheck::Busy | LockCheck::Ok => None,
        }
    }

    /// Everything [`Simulator::lock2_fast`] leaves, in abi.md §5 order.
    #[cold]
    #[inline(never)]
    pub(crate) fn lock2_slow(&self, device: u32, allocation: u32, flags: u32) -> Result<Mapping> {
        self.fault_point(FaultCall::Lock2, device, 0)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("Lock2 flags must be 0"));
        }
        let rule = match self.busy_policy() {
            BusyPolicy::Fail => BusyRule::Fail,
            BusyPolicy::Wait => BusyRule::Wait,
            BusyPolicy::Ignore => BusyRule::Ignore,
        };
        self.lock_engine(device, allocation, Pages::Entire, rule)
    }

    /// The slot an allocation handle points at (live or not).
    #[inline(always)]
    pub(crate) fn allocation_slot(&self, allocation: u32) -> Option<(Key, &AllocSlot)> {
        let key = Key::decode(allocation, HandleKind::Allocation)?;
        Some((key, self.allocations.get(key.index)?))
    }

    /// The error for a handle whose allocation `word` is not (stale, never
    /// issued) or is another device's; `None` when it is `device`'s live
    /// allocation, which then also proves `device` live.
    #[inline]
    fn handle_mismatch(&self, device: u32, key: Key, slot: &AllocSlot, word: u64) -> Option<Error> {
        if !state::is_live(word, key.gen) {
            Some(self.not_an_allocation_of(device, false))
        } else if slot.meta.owner.load(Relaxed) != device {
            Some(self.not_an_allocation_of(device, true))
        } else {
            None
        }
    }

    /// Rules 2–4 for an allocation handle that names no live allocation of
    /// `device` (stale, never issued, of another kind, or `wrong_device`:
    /// another device's): the device's own errors come first.
    #[cold]
    fn not_an_allocation_of(&self, device: u32, wrong_device: bool) -> Error {
        match self.active_device(device) {
            Err(e) => e,
            Ok(_) if wrong_device => Error::WrongDevice,
            Ok(_) => Error::InvalidHandle(HandleKind::Allocation),
        }
    }

    /// Whether `device`'s removal is published (its word carries a reason).
    /// An allocation word shows REMOVED slightly earlier; until the device
    /// word follows, the slow path waits for the remover.
    fn removal_published(&self, device: u32) -> bool {
        self.device_slot(device).is_ok_and(|(_, _, word)| word & DEVICE_REASON_MASK != 0)
    }

    /// `D3DKMTUnlock2`: drops one lock reference. Checks, in order: device
    /// live, not removed, allocation live and of that device, locked.
    #[inline]
    pub fn unlock2(&self, device: DeviceHandle, allocation: AllocationHandle) -> Result<()> {
        self.unlock2_raw(device.raw(), allocation.raw())
    }

    #[inline(always)]
    pub(crate) fn unlock2_raw(&self, device: u32, allocation: u32) -> Result<()> {
        match self.unlock2_fast(device, allocation) {
            Some(result) => result,
            None => self.unlock2_slow(device, allocation),
        }
    }

    /// Unlock2 when no fault is armed, with the guarantees of
    /// [`Simulator::lock2_fast`].
    #[inline(always)]
    pub(crate) fn unlock2_fast(&self, device: u32, allocation: u32) -> Option<Result<()>> {
        if self.faults.any_armed() {
            return None;
        }
        let Some((key, slot)) = self.allocation_slot(allocation) else {
            return Some(Err(self.not_an_allocation_of(device, false)));
        };
        let meta = &slot.meta;
        let fresh = meta.fresh.load(Acquire);
        if fresh & (state::LIVE | state::REMOVED | state::GEN_FIELD) == state::fresh(key.gen, false)
            && meta.owner.load(Relaxed) == device
        {
            // Expect the usual case, one reference held: one CAS and no
            // load of the word.
            match slot.word.compare_exchange(fresh + 1, fresh, AcqRel, Acquire) {
                Ok(_) => Some(Ok(())),
                Err(word) => self.unlock2_retry(device, key, slot, word),
            }
        } else if Self::removal_predicted(slot, key, fresh, device) {
            Some(Err(Error::DeviceRemoved))
        } else {
            self.unlock2_verdict(device, key, slot, slot.word.load(Acquire)).map(Err)
        }
    }

    /// Unlock2 after the expected word was not there: retry from the word
    /// the CAS returned while it holds a reference, else the verdict.
    #[cold]
    #[inline(never)]
    fn unlock2_retry(&self, device: u32, key: Key, slot: &AllocSlot, mut word: u64) -> Option<Result<()>> {
        let live = state::fresh(key.gen, false);
        while word & state::FAST_UNLOCK_MASK == live && state::count(word) > 0 {
            match slot.word.compare_exchange_weak(word, word - 1, AcqRel, Acquire) {
                Ok(_) => return Some(Ok(())),
                Err(now) => word = now,
            }
        }
        self.unlock2_verdict(device, key, slot, word).map(Err)
    }

    /// Why an Unlock2 cannot take `word` (see [`Simulator::lock2_verdict`]).
    #[cold]
    #[inline(never)]
    fn unlock2_verdict(&self, device: u32, key: Key, slot: &AllocSlot, word: u64) -> Option<Error> {
        if let Some(error) = self.handle_mismatch(device, key, slot, word) {
            return Some(error);
        }
        match state::check_unlock(word, key.gen, 1) {
            UnlockCheck::Removed => self.removal_published(device).then_some(Error::DeviceRemoved),
            UnlockCheck::NotLocked => Some(Error::NotLocked),
            UnlockCheck::Frozen | UnlockCheck::Stale | UnlockCheck::Ok => None,
        }
    }

    /// Everything [`Simulator::unlock2_fast`] leaves, in abi.md §5 order.
    #[cold]
    #[inline(never)]
    pub(crate) fn unlock2_slow(&self, device: u32, allocation: u32) -> Result<()> {
        self.fault_point(FaultCall::Unlock2, device, 0)?;
        loop {
            let (dev, _) = self.active_device(device)?;
            let (slot, key, word) = self.device_allocation(device, allocation)?;
            match state::check_unlock(word, key.gen, 1) {
                UnlockCheck::Frozen => drop(dev.inner.lock()),
                UnlockCheck::Stale => return Err(Error::InvalidHandle(HandleKind::Allocation)),
                UnlockCheck::Removed => return Err(Self::removed(dev)),
                UnlockCheck::NotLocked => return Err(Error::NotLocked),
                UnlockCheck::Ok => {
                    if slot.word.compare_exchange(word, word - 1, AcqRel, Relaxed).is_ok() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// `D3DKMTLock`, the legacy page-list lock. Flag rules first (reserved
    /// bits, `READ_ONLY` with `WRITE_ONLY`), then as Lock2, then the pages
    /// (the mapping starts at the first listed page), then busy decided by
    /// the flags: `IGNORE_SYNC` skips it, `DONOT_WAIT` fails, otherwise the
    /// call waits (bounded by the configured timeout). Each successful lock
    /// is one reference, counted with Lock2's against one limit.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters(1)?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4 * 4096))?;
    /// let whole = sim.lock(device, alloc, LockFlags::default(), Pages::Entire)?;
    /// let part = sim.lock(device, alloc, LockFlags::READ_ONLY, Pages::List(&[2, 3]))?;
    /// assert_eq!(part.as_ptr() as usize - whole.as_ptr() as usize, 2 * 4096);
    /// sim.unlock(device, &[alloc, alloc])?;
    /// # Ok::<(), Error>(())
    /// ```
    pub fn lock(
        &self,
        device: DeviceHandle,
        allocation: AllocationHandle,
        flags: LockFlags,
        pages: Pages<'_>,
    ) -> Result<Mapping> {
        self.lock_raw(device.raw(), allocation.raw(), flags.bits(), pages)
    }

    pub(crate) fn lock_raw(&self, device: u32, allocation: u32, flags: u32, pages: Pages<'_>) -> Result<Mapping> {
        self.fault_point(FaultCall::Lock, device, 0)?;
        let flags = LockFlags(flags);
        if flags.intersects(LockFlags::RESERVED) {
            return Err(Error::InvalidParameter("reserved lock flag bits are set"));
        }
        if flags.contains(LockFlags::READ_ONLY | LockFlags::WRITE_ONLY) {
            return Err(Error::InvalidParameter("ReadOnly and WriteOnly together"));
        }
        let pages = if flags.contains(LockFlags::LOCK_ENTIRE) { Pages::Entire } else { pages };
        let rule = if flags.contains(LockFlags::IGNORE_SYNC) {
            BusyRule::Ignore
        } else if flags.contains(LockFlags::DONOT_WAIT) {
            BusyRule::Fail
        } else {
            BusyRule::Wait
        };
        self.lock_engine(device, allocation, pages, rule)
    }

    /// Rules 2–8 of a lock, in order, for both lock flavours.
    fn lock_engine(&self, device: u32, allocation: u32, pages: Pages<'_>, rule: BusyRule) -> Result<Mapping> {
        let mut deadline = None;
        loop {
            let (dev, _) = self.active_device(device)?;
            let (slot, key, word) = self.device_allocation(device, allocation)?;
            let check = state::check_lock(word, key.gen, self.limit.load(Relaxed), rule != BusyRule::Ignore);
            match check {
                LockCheck::Frozen => {
                    // A legacy Unlock holds the word; it holds the device
                    // lock until it is done.
                    drop(dev.inner.lock());
                    continue;
                }
                LockCheck::Stale => return Err(Error::InvalidHandle(HandleKind::Allocation)),
                LockCheck::Removed => return Err(Self::removed(dev)),
                LockCheck::NotCpuVisible => return Err(Error::NotCpuVisible),
                _ => {}
            }
            let size = self.allocation_size(slot);
            let offset = match pages {
                Pages::Entire => 0,
                Pages::List([]) => return Err(Error::InvalidParameter("the page list is empty or NULL")),
                Pages::List(list) => {
                    let page_count = slot.meta.pages.load(Relaxed);
                    if list.iter().any(|&p| p >= page_count) {
                        return Err(Error::InvalidParameter("a page index is out of range"));
                    }
                    u64::from(list[0]) * self.page_size.load(Relaxed)
                }
            };
            match check {
                LockCheck::Busy => match rule {
                    BusyRule::Wait => {
                        self.wait_not_busy(dev, slot, key, &mut deadline)?;
                        continue;
                    }
                    _ => return Err(Error::AllocationBusy),
                },
                LockCheck::AtLimit => return Err(Error::TooManyReferences),
                _ => {}
            }
            let mapping = Mapping::new(slot.meta.base.load(Relaxed) + offset as usize, (size - offset) as usize);
            if slot.word.compare_exchange(word, word + 1, AcqRel, Relaxed).is_ok() {
                return Ok(mapping);
            }
        }
    }

    /// Blocks until the allocation is no longer busy, its device is removed
    /// or it is destroyed (the caller then re-runs the checks), or until the
    /// deadline: `AllocationBusy`. Every wake-up source (fence completion,
    /// removal, destroy) changes the word under the device lock held here
    /// and notifies afterwards, so no wake-up is lost; taking that lock is
    /// bounded by the deadline too, so no wait is unbounded (abi.md §8).
    #[cold]
    fn wait_not_busy(
        &self,
        dev: &DeviceSlot,
        slot: &AllocSlot,
        key: Key,
        deadline: &mut Option<Instant>,
    ) -> Result<()> {
        let deadline = *deadline.get_or_insert_with(|| {
            let now = Instant::now();
            now.checked_add(self.wait_timeout()).unwrap_or(now)
        });
        let still_busy = || {
            let word = slot.word.load(Acquire);
            state::is_live(word, key.gen) && word & (state::REMOVED | state::BUSY) == state::BUSY
        };
        let Some(mut inner) = dev.inner.try_lock_until(deadline) else {
            return Err(Error::AllocationBusy);
        };
        while still_busy() {
            if dev.wake.wait_until(&mut inner, deadline).timed_out() {
                return if still_busy() { Err(Error::AllocationBusy) } else { Ok(()) };
            }
        }
        Ok(())
    }

    /// `D3DKMTUnlock`: releases one reference from each listed allocation
    /// (a handle listed twice releases two). All or nothing: an empty list,
    /// a bad handle, or more releases than references held is
    /// `InvalidParameter` and nothing is unlocked.
    pub fn unlock(&self, device: DeviceHandle, allocations: &[AllocationHandle]) -> Result<()> {
        if let [one] = allocations {
            return self.unlock_raw(device.raw(), &[one.raw()]);
        }
        let raw: Vec<u32> = allocations.iter().map(|a| a.raw()).collect();
        self.unlock_raw(device.raw(), &raw)
    }

    pub(crate) fn unlock_raw(&self, device: u32, allocations: &[u32]) -> Result<()> {
        // One handle: the same rules in the same order as Unlock2, so its
        // fast path (which declines when a fault is armed) answers.
        if let [one] = allocations {
            if let Some(result) = self.unlock2_fast(device, *one) {
                return result;
            }
        }
        self.unlock_slow(device, allocations)
    }

    #[cold]
    fn unlock_slow(&self, device: u32, allocations: &[u32]) -> Result<()> {
        self.fault_point(FaultCall::Unlock, device, 0)?;
        if allocations.is_empty() {
            return Err(Error::InvalidParameter("no allocations to unlock"));
        }
        let (dev, dev_key) = self.active_device(device)?;
        // The device lock keeps removal, destroy and other legacy Unlocks
        // out for the whole call, and slow paths that meet a FROZEN word
        // wait for it.
        let _inner = self.lock_active(dev, dev_key)?;
        let mut sorted = allocations.to_vec();
        sorted.sort_unstable();
        let mut asked: Vec<(&AllocSlot, Key, u32)> = Vec::with_capacity(sorted.len());
        for group in sorted.chunk_by(|a, b| a == b) {
            let (slot, key, _) = self.device_allocation(device, group[0])?;
            asked.push((slot, key, group.len() as u32));
        }
        // Freeze every word that holds enough references; a Lock2 or Unlock2
        // racing on its fast path can no longer change it. If one falls
        // short, thaw the others: nothing was released.
        for (i, &(slot, key, n)) in asked.iter().enumerate() {
            let frozen = slot.word.fetch_update(AcqRel, Acquire, |w| {
                (state::check_unlock(w, key.gen, n) == UnlockCheck::Ok).then_some(w | state::FROZEN)
            });
            if frozen.is_err() {
                for &(slot, _, _) in &asked[..i] {
                    slot.word.fetch_and(!state::FROZEN, AcqRel);
                }
                return Err(Error::NotLocked);
            }
        }
        // Release and thaw in one step per word (it holds >= n references
        // and FROZEN, so the subtraction borrows from nothing).
        for &(slot, _, n) in &asked {
            slot.word.fetch_sub(state::FROZEN + u64::from(n), AcqRel);
        }
        Ok(())
    }

    /// Reads an allocation's memory without taking a lock reference, like a
    /// debugger would: for tests and tools that inspect content. Works on a
    /// removed device (showing lost content as 0xDD).
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters(1)?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock2_guard(device, alloc)?.write_at(0, b"abc")?;
    /// sim.remove_device(device, ExecutionState::Reset)?;
    /// let mut buf = [0u8; 4];
    /// sim.peek(device, alloc, 0, &mut buf)?;
    /// assert_eq!(buf, [0xDD; 4]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn peek(
        &self,
        device: DeviceHandle,
        allocation: AllocationHandle,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<()> {
        self.device_slot(device.raw())?;
        self.device_allocation(device.raw(), allocation.raw())?;
        self.with_backing(allocation, |b| b.read(offset, buf))
    }

    /// Copies out of / into an allocation's memory for a guard, safely:
    /// under the slot's backing lock, and only while the allocation is the
    /// one `allocation` names.
    pub(crate) fn with_backing(
        &self,
        allocation: AllocationHandle,
        f: impl FnOnce(&crate::mem::View<'_>) -> bool,
    ) -> Result<()> {
        let stale = Error::InvalidHandle(HandleKind::Allocation);
        let key = Key::decode(allocation.raw(), HandleKind::Allocation).ok_or(stale)?;
        let slot = self.allocations.get(key.index).ok_or(stale)?;
        let backing = slot.backing.lock();
        match backing.view() {
            Some(view) if state::is_live(slot.word.load(Acquire), key.gen) => {
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
