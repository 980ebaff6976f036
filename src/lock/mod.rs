//! The lock engine: `D3DKMTLock2`/`D3DKMTUnlock2` here, the legacy
//! page-list `D3DKMTLock`/`D3DKMTUnlock` in [`legacy`], busy waits in
//! [`wait`].
//!
//! Each call has a quiet path and a slow path. The quiet path (taken when
//! the seam has no hook armed and no reset is under way) reads the
//! allocation's metadata line, checks the prediction of its state word
//! against everything a success needs in one mask compare, and takes or
//! drops the reference with one compare-and-swap from the predicted word:
//! one locked read-modify-write per call, no load of the word itself. It
//! also answers the errors the allocation's slot decides; anything else (an
//! armed hook, a busy allocation under the Wait policy, a lost race it
//! cannot settle) goes to the slow path, which re-derives the status in
//! exactly the contract's order, under the gate, and does the waiting. The
//! pure rules are [`crate::slot::check_lock`] and
//! [`crate::slot::check_unlock`].

mod legacy;
mod wait;

pub(crate) use self::legacy::PageList;
pub use self::legacy::{LockFlags, Pages};

use crate::allocation::Allocations;
use crate::config::BusyPolicy;
use crate::device::LiveDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::gate::Pass;
use crate::handle::HandleKind;
use crate::mem::Mapping;
use crate::pause::{self, Point};
use crate::slot::{check_lock, check_unlock, unlockable, LockCheck, Slot, UnlockCheck, Word};
use crate::stores::view;

/// A lock taken: what it maps, and the life (generation) of the allocation
/// whose reference it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locked {
    pub(crate) mapping: Mapping,
    pub(crate) gen: u64,
}

view!(
    /// The lock operations.
    Locker
);

/// What a quiet path answers: `None` leaves the call to the slow path. Its
/// failures are never injected (faults run only on the slow path), so they
/// are bare kinds: the lock path's result stays as small as it was before
/// errors said whether they were injected.
pub(crate) type Quiet<T> = Option<core::result::Result<T, ErrorKind>>;

impl<'e> Locker<'e> {
    /// The allocation operations over the same stores.
    #[inline(always)]
    fn allocations(self) -> Allocations<'e> {
        Allocations(self.0)
    }

    // === Lock2, quiet ===

    /// Lock2 on the quiet path (the caller saw the gate quiet): the success
    /// (a lookup, loads of the metadata line, one CAS) and every error the
    /// allocation's slot and a device check decide. `None` leaves the call
    /// to the slow path, having taken nothing: flags are set, the
    /// allocation is busy under the Wait policy, a legacy Unlock holds the
    /// word, a removal is not yet published, or a reset straddled the
    /// decision.
    ///
    /// It cannot panic (loads, compares, CASes, no lock taken), so the C ABI
    /// runs it outside `catch_unwind`.
    ///
    /// `done` makes the result from the mapping and the life locked (so a
    /// caller that needs only the mapping carries nothing else).
    #[inline(always)]
    pub(crate) fn lock2_quiet<R>(
        self,
        device: u32,
        allocation: u32,
        flags: u32,
        done: impl FnOnce(Mapping, u64) -> R,
    ) -> Quiet<R> {
        if flags != 0 {
            return None;
        }
        let Some((_, slot)) = self.0.handles.get(allocation) else {
            return self.lock2_unknown(device);
        };
        let expected = slot.expected();
        // BUSY is in the mask unless the policy maps busy allocations, so a
        // busy allocation that may not be locked costs no RMW either.
        if self.0.settings.lock2_mask().admits(expected) && slot.device() == device {
            // The allocation the prediction names is live, CPU-visible and
            // `device`'s; its metadata, read after the prediction (acquire),
            // is that allocation's until it dies, which changes the word.
            let mapping = slot.mapping();
            pause::here(Point::Lock2BeforeCas);
            // Expect the usual case, unlocked: one CAS, no load of the word.
            match slot.try_lock(expected) {
                Ok(()) => Some(Ok(done(mapping, expected.gen()))),
                Err(word) => self.lock2_retry(device, slot, expected, word, done),
            }
        } else {
            self.lock2_miss(device, slot, expected)
        }
    }

    /// Lock2 when the prediction does not allow a lock: a published removal
    /// is answered from it, anything else from the word.
    #[cold]
    #[inline(never)]
    fn lock2_miss<R>(self, device: u32, slot: &Slot, expected: Word) -> Quiet<R> {
        if removal_predicted(slot, expected, device) {
            return Some(Err(ErrorKind::DeviceRemoved));
        }
        self.lock2_verdict(device, Some(slot)).map(Err)
    }

    /// Lock2 of a handle that names no slot (beyond what was ever issued).
    #[cold]
    #[inline(never)]
    fn lock2_unknown<R>(self, device: u32) -> Quiet<R> {
        self.lock2_verdict(device, None).map(Err)
    }

    /// Lock2 after the word was not the predicted one: while the word the
    /// CAS returned is the same life of the allocation and still allows a
    /// lock (a nested lock, a lost race, a busy allocation under Ignore),
    /// CAS again from it; otherwise decide from the slot.
    #[cold]
    #[inline(never)]
    fn lock2_retry<R>(
        self,
        device: u32,
        slot: &Slot,
        expected: Word,
        mut word: Word,
        done: impl FnOnce(Mapping, u64) -> R,
    ) -> Quiet<R> {
        // Read again here (off the hot path's registers); a successful CAS
        // from a word of the same life validates it as the hot path's does.
        let mapping = slot.mapping();
        let mask = self.0.settings.lock2_mask();
        let limit = self.0.settings.limit();
        while mask.admits(word) && word.same_object(expected) {
            if word.count() >= limit {
                // One observation of the life whose owner was checked:
                // everything before rule 7 holds at that instant, if the
                // settings read since are that simulator's (a reset kills
                // the life before it changes them).
                if !slot.still(word) {
                    break;
                }
                return Some(Err(ErrorKind::TooManyReferences));
            }
            match slot.try_lock_weak(word) {
                Ok(()) => return Some(Ok(done(mapping, word.gen()))),
                Err(now) => word = now,
            }
        }
        self.lock2_verdict(device, Some(slot)).map(Err)
    }

    /// Why a Lock2 cannot take the allocation in `slot` (`None`: no slot),
    /// in the contract's order, or `None` when the slow path must decide.
    ///
    /// It re-reads the slot. An error that one observation of the
    /// allocation decides (not CPU-visible, busy, at the limit) stands on
    /// that observation: the reads of its owner and of the settings are
    /// validated by [`Slot::still`] (a reset kills every allocation before
    /// it touches the settings). An error the device decides is taken
    /// between two reads of the gate's control word, so that no reset
    /// straddles the two observations.
    #[inline(always)]
    fn lock2_verdict(self, device: u32, slot: Option<&Slot>) -> Option<ErrorKind> {
        let seen = self.0.gate.seen();
        let (word, limit, policy) = match self.mine(device, slot) {
            Mine::Word(word, limit, policy) => (word, limit, policy),
            Mine::Not(error) => return self.0.gate.unchanged(seen).then_some(error),
            Mine::Changed => return None,
        };
        match check_lock(word, word.gen(), limit, policy != BusyPolicy::Ignore) {
            LockCheck::NotCpuVisible => Some(ErrorKind::NotCpuVisible),
            LockCheck::Busy if policy == BusyPolicy::Fail => Some(ErrorKind::AllocationBusy),
            LockCheck::AtLimit => Some(ErrorKind::TooManyReferences),
            LockCheck::Removed => {
                (self.removal_published(device) && self.0.gate.unchanged(seen)).then_some(ErrorKind::DeviceRemoved)
            }
            _ => None,
        }
    }

    /// What the slot holds for a call on `device`: the word of a live
    /// allocation of `device` (which proves the device live: a device dies
    /// only after its allocations), or the error rules 2–4 give (the
    /// device's own errors first), or `Changed` when the slot changed under
    /// the reads. The settings the caller reads next are validated with the
    /// owner.
    #[inline(always)]
    fn mine(self, device: u32, slot: Option<&Slot>) -> Mine {
        let Some(slot) = slot else { return Mine::Not(self.not_an_allocation_of(device, false)) };
        let word = slot.word();
        if !word.is(HandleKind::Allocation) {
            return Mine::Not(self.not_an_allocation_of(device, false));
        }
        let owner = slot.device();
        let (limit, policy) = (self.0.settings.limit(), self.0.settings.busy_policy());
        if !slot.still(word) {
            Mine::Changed
        } else if owner != device {
            Mine::Not(self.not_an_allocation_of(device, true))
        } else {
            Mine::Word(word, limit, policy)
        }
    }

    /// Rules 2–4 for an allocation handle that names no live allocation of
    /// `device` (stale, never issued, another kind, or `wrong_device`:
    /// another device's): the device's own errors come first.
    #[inline(always)]
    fn not_an_allocation_of(self, device: u32, wrong_device: bool) -> ErrorKind {
        match self.0.devices.state(&self.0.handles, device) {
            Err(e) => e.kind(),
            Ok(word) if word.reason() != 0 => ErrorKind::DeviceRemoved,
            Ok(_) if wrong_device => ErrorKind::WrongDevice,
            Ok(_) => ErrorKind::InvalidHandle(HandleKind::Allocation),
        }
    }

    /// Whether `device`'s removal is published (its word carries a reason).
    /// An allocation word shows REMOVED slightly earlier; until the device
    /// word follows, the slow path waits for the remover.
    fn removal_published(self, device: u32) -> bool {
        self.0.devices.state(&self.0.handles, device).is_ok_and(|word| word.reason() != 0)
    }

    // === Unlock2, quiet ===

    /// Unlock2 on the quiet path, with the guarantees of
    /// [`Locker::lock2_quiet`]. `life`: the generation the reference was
    /// taken on, when the caller knows it (a lock guard), so that a handle
    /// reused meanwhile is never unlocked by mistake; other lives of the
    /// slot are then answered as stale by the slow path.
    #[inline(always)]
    pub(crate) fn unlock2_quiet(self, device: u32, allocation: u32, life: Option<u64>) -> Quiet<()> {
        let Some((_, slot)) = self.0.handles.get(allocation) else {
            return self.unlock2_unknown(device);
        };
        let expected = slot.expected();
        if life.is_some_and(|gen| gen != expected.gen()) {
            return None;
        }
        if unlockable(expected) && slot.device() == device {
            // Expect the usual case, one reference held: one CAS and no
            // load of the word.
            match slot.try_unlock(expected.locked_once()) {
                Ok(()) => Some(Ok(())),
                Err(word) => self.unlock2_retry(device, slot, expected, word, life),
            }
        } else {
            self.unlock2_miss(device, slot, expected, life)
        }
    }

    /// Unlock2 when the prediction does not allow an unlock (see
    /// [`Locker::lock2_miss`]).
    #[cold]
    #[inline(never)]
    fn unlock2_miss(self, device: u32, slot: &Slot, expected: Word, life: Option<u64>) -> Quiet<()> {
        if removal_predicted(slot, expected, device) {
            return Some(Err(ErrorKind::DeviceRemoved));
        }
        self.unlock2_verdict(device, Some(slot), life).map(Err)
    }

    /// Unlock2 of a handle that names no slot.
    #[cold]
    #[inline(never)]
    fn unlock2_unknown(self, device: u32) -> Quiet<()> {
        self.unlock2_verdict(device, None, None).map(Err)
    }

    /// Unlock2 after the word was not the predicted one: retry from the word
    /// the CAS returned while it is the same life and holds a reference.
    #[cold]
    #[inline(never)]
    fn unlock2_retry(self, device: u32, slot: &Slot, expected: Word, mut word: Word, life: Option<u64>) -> Quiet<()> {
        while unlockable(word) && word.same_object(expected) && word.count() > 0 {
            match slot.try_unlock_weak(word) {
                Ok(()) => return Some(Ok(())),
                Err(now) => word = now,
            }
        }
        self.unlock2_verdict(device, Some(slot), life).map(Err)
    }

    /// Why an Unlock2 cannot drop a reference (see
    /// [`Locker::lock2_verdict`]).
    #[inline(always)]
    /// `life` as in [`Locker::unlock2_quiet`]: another life of the slot is
    /// left to the slow path, which answers it as stale.
    fn unlock2_verdict(self, device: u32, slot: Option<&Slot>, life: Option<u64>) -> Option<ErrorKind> {
        let seen = self.0.gate.seen();
        let word = match self.mine(device, slot) {
            Mine::Word(word, ..) if life.is_some_and(|gen| gen != word.gen()) => return None,
            Mine::Word(word, ..) => word,
            Mine::Not(error) => return self.0.gate.unchanged(seen).then_some(error),
            Mine::Changed => return None,
        };
        match check_unlock(word, word.gen(), 1) {
            UnlockCheck::NotLocked => Some(ErrorKind::NotLocked),
            UnlockCheck::Removed => {
                (self.removal_published(device) && self.0.gate.unchanged(seen)).then_some(ErrorKind::DeviceRemoved)
            }
            _ => None,
        }
    }

    // === the slow paths (under the gate) ===

    /// Lock2 in the contract's order: flags, then as every lock.
    #[cold]
    #[inline(never)]
    pub(crate) fn lock2(self, pass: &mut Pass<'_>, device: u32, allocation: u32, flags: u32) -> Result<Locked> {
        if flags != 0 {
            return Err(ErrorKind::InvalidParameter("Lock2 flags must be 0").into());
        }
        let policy = self.0.settings.busy_policy();
        self.lock(pass, device, allocation, PageList::Entire, policy)
    }

    /// Rules 2–8 of a lock, in order, for both lock flavours: the device
    /// (live, active), the allocation (of the device, CPU-visible), the
    /// pages, busy (per `policy`: fail, wait or ignore), the limit. Each
    /// handle is resolved once; a retry re-reads the word only.
    pub(crate) fn lock(
        self,
        pass: &mut Pass<'_>,
        device: u32,
        allocation: u32,
        pages: PageList<'_>,
        policy: BusyPolicy,
    ) -> Result<Locked> {
        let dev = self.allocations().device(device)?.active()?;
        let a = self.allocations().resolve(&dev, allocation)?;
        let mut word = a.word;
        let mut deadline = None;
        loop {
            let limit = self.0.settings.limit();
            let check = check_lock(word, a.gen(), limit, policy != BusyPolicy::Ignore);
            match check {
                LockCheck::Frozen => {
                    // A legacy Unlock holds the word; it holds the device
                    // lock until it is done.
                    drop(dev.mutex().lock());
                    word = a.slot.word();
                    continue;
                }
                LockCheck::Stale => return Err(self.gone(&dev)),
                LockCheck::Removed => return Err(removed(&dev)),
                LockCheck::NotCpuVisible => return Err(ErrorKind::NotCpuVisible.into()),
                _ => {}
            }
            let offset = pages.offset(a.slot.pages(), self.0.settings.page_size())?;
            match check {
                LockCheck::Busy if policy == BusyPolicy::Wait => {
                    let deadline =
                        *deadline.get_or_insert_with(|| self.0.clock.deadline(self.0.settings.wait_timeout()));
                    let end = pass.outside(|gate, epoch| wait::while_busy(&dev, &a, gate, epoch, deadline));
                    if pass.reset_since_entry() {
                        // The simulator this call ran in is gone.
                        return Err(ErrorKind::DeviceRemoved.into());
                    }
                    match end {
                        wait::End::TimedOut => return Err(ErrorKind::AllocationBusy.into()),
                        wait::End::Changed => {}
                    }
                    word = a.slot.word();
                    continue;
                }
                LockCheck::Busy => return Err(ErrorKind::AllocationBusy.into()),
                LockCheck::AtLimit => return Err(ErrorKind::TooManyReferences.into()),
                _ => {}
            }
            let mapping = a.slot.mapping();
            match a.slot.try_lock(word) {
                Ok(()) => return Ok(Locked { mapping: mapping.offset(offset), gen: a.gen() }),
                Err(now) => word = now,
            }
        }
    }

    /// Unlock2 in the contract's order: the device (live, active), the
    /// allocation (of the device), a reference held.
    #[cold]
    #[inline(never)]
    pub(crate) fn unlock2(self, device: u32, allocation: u32, life: Option<u64>) -> Result<()> {
        let dev = self.allocations().device(device)?.active()?;
        let a = self.allocations().resolve(&dev, allocation)?;
        if life.is_some_and(|gen| gen != a.gen()) {
            return Err(ErrorKind::InvalidHandle(HandleKind::Allocation).into());
        }
        let mut word = a.word;
        loop {
            match check_unlock(word, a.gen(), 1) {
                UnlockCheck::Frozen => {
                    drop(dev.mutex().lock());
                    word = a.slot.word();
                }
                UnlockCheck::Stale => return Err(self.gone(&dev)),
                UnlockCheck::Removed => return Err(removed(&dev)),
                UnlockCheck::NotLocked => return Err(ErrorKind::NotLocked.into()),
                UnlockCheck::Ok => match a.slot.try_unlock(word) {
                    Ok(()) => return Ok(()),
                    Err(now) => word = now,
                },
            }
        }
    }

    /// The error for an allocation that died during the call: rules 2 and 3
    /// first (its device may have died or been removed with it).
    fn gone(self, dev: &LiveDevice<'_>) -> Error {
        if !dev.is_current() {
            ErrorKind::InvalidHandle(HandleKind::Device).into()
        } else if dev.removal_published() {
            ErrorKind::DeviceRemoved.into()
        } else {
            ErrorKind::InvalidHandle(HandleKind::Allocation).into()
        }
    }
}

/// What [`Locker::mine`] found in a slot.
enum Mine {
    /// The live allocation of the device, as this word, with the
    /// lock-reference limit and the busy policy of its simulator.
    Word(Word, u32, BusyPolicy),
    /// Not an allocation of the device: this error.
    Not(ErrorKind),
    /// The slot changed under the reads.
    Changed,
}

/// Whether the prediction says the allocation in `slot` belongs to
/// `device` and that device's removal is published (removal stores that
/// prediction only after the device's reason): rule 3 then decides the
/// call, whatever the allocation's state. At that moment the device was not
/// destroyed either: a device dies only after each of its allocations'
/// predictions was cleared.
#[inline]
fn removal_predicted(slot: &Slot, expected: Word, device: u32) -> bool {
    expected.removal_published() && slot.device() == device && slot.still(expected)
}

/// `DeviceRemoved` for a call that found REMOVED in an allocation word of
/// `dev`. Removal marks the allocation words before it publishes the
/// device's reason, under the device lock; waiting for that lock here means
/// no call can see the device active after this one reported it removed.
#[cold]
fn removed(dev: &LiveDevice<'_>) -> Error {
    drop(dev.mutex().lock());
    ErrorKind::DeviceRemoved.into()
}
