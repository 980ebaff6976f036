//! [`Slot`]: what one handle value names, and every transition of its state
//! word.
//!
//! The handle table holds one `Slot` per value of `n`; the object in it is
//! of any kind (the kind is in the word). A slot is two 64-byte cache lines:
//!
//! * line 0: the state word ([`Word`]), the only thing the lock path
//!   writes, and the allocation's memory owner;
//! * line 1: [`Meta`], which the lock path only reads: the prediction of the
//!   word, the owning device, the mapping. Threads locking one allocation
//!   share this line read-only instead of pulling it back and forth with the
//!   word.
//!
//! Every write to the word and to the prediction is a method of `Slot`
//! below, named after the transition it makes; nothing else in the crate
//! writes either.

mod word;

use crate::handle::layout::{BUSY, COUNT, FROZEN, GEN, KIND, REASON, REMOVED};
use crate::handle::table::Table;
use crate::handle::HandleKind;
use crate::mem::{Backing, Mapping};
use crate::sync::{fence, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Mutex, MutexGuard, Ordering::*};

pub(crate) use self::word::{check_lock, check_unlock, unlockable, LockCheck, LockMask, UnlockCheck, Word};

/// The handle table: one [`Slot`] per handle value.
pub(crate) type Handles = Table<Slot>;

/// One handle value's slot.
#[repr(C, align(64))]
#[derive(Default)]
pub(crate) struct Slot {
    word: AtomicU64,
    /// Allocations: owns the memory (`Gone` once destroyed) and serialises
    /// every access to the bytes (guard reads and writes, content loss,
    /// destroy).
    memory: Mutex<Backing>,
    meta: Meta,
}

/// What the lock path reads about an object besides its word.
#[repr(C, align(64))]
#[derive(Default)]
pub(crate) struct Meta {
    /// The prediction: for a live allocation the exact word it has while
    /// unlocked and not removed (BUSY included while work references it);
    /// 0 while the slot holds no allocation or while its device's removal
    /// is under way; the word with REMOVED (count 0) once that removal is
    /// published. Stored (release) after the fields below and before the
    /// word is published, so a reader that acquires it reads the fields of
    /// the allocation whose generation it names.
    expected: AtomicU64,
    /// Allocations and contexts: the raw handle of the owning device.
    device: AtomicU32,
    /// Devices and adapter handles: the index of the object behind the
    /// handle (device pool index, adapter index).
    object: AtomicU32,
    /// Allocations: size in pages.
    pages: AtomicU32,
    /// Allocations: what a lock maps (base address and length in bytes).
    base: AtomicPtr<u8>,
    len: AtomicUsize,
}

#[cfg(not(any(loom, shuttle)))]
const _: () = assert!(core::mem::size_of::<Slot>() == 128);

impl Slot {
    // === reads ===

    /// The state word (acquire).
    #[inline(always)]
    pub(crate) fn word(&self) -> Word {
        Word(self.word.load(Acquire))
    }

    /// The prediction (acquire); see [`Meta::expected`].
    #[inline(always)]
    pub(crate) fn expected(&self) -> Word {
        Word(self.meta.expected.load(Acquire))
    }

    /// An allocation's or a context's owning device (raw handle).
    #[inline(always)]
    pub(crate) fn device(&self) -> u32 {
        self.meta.device.load(Relaxed)
    }

    /// A device's or adapter handle's object index.
    #[inline(always)]
    pub(crate) fn object(&self) -> u32 {
        self.meta.object.load(Relaxed)
    }

    /// An allocation's size in pages.
    pub(crate) fn pages(&self) -> u32 {
        self.meta.pages.load(Relaxed)
    }

    /// What a lock of the whole allocation maps.
    #[inline(always)]
    pub(crate) fn mapping(&self) -> Mapping {
        Mapping::new(self.meta.base.load(Relaxed), self.meta.len.load(Relaxed))
    }

    /// The allocation's memory, locked (leaf lock, after the device's).
    pub(crate) fn memory(&self) -> MutexGuard<'_, Backing> {
        self.memory.lock()
    }

    // === life: creation and death ===

    /// Publishes a new allocation in this (issued, empty) slot and returns
    /// its generation. The metadata first, then the prediction, then the
    /// word, each release: whoever sees the word or the prediction sees the
    /// rest.
    pub(crate) fn revive_allocation(
        &self,
        device: u32,
        memory: Backing,
        len: usize,
        pages: u32,
        cpu_visible: bool,
    ) -> u64 {
        // Orders these metadata stores after the previous life's kill for
        // the readers that validate them with `still` (seqlock writer).
        fence(Release);
        let gen = Word(self.word.load(Relaxed)).next_gen();
        let word = Word::created(HandleKind::Allocation, gen, cpu_visible);
        self.meta.device.store(device, Relaxed);
        self.meta.base.store(memory.base(), Relaxed);
        self.meta.len.store(len, Relaxed);
        self.meta.pages.store(pages, Relaxed);
        *self.memory.lock() = memory;
        self.meta.expected.store(word.0, Release);
        self.word.store(word.0, Release);
        gen
    }

    /// Publishes a new object of another kind (a device, an adapter handle)
    /// whose data is object `object` of its pool; returns its generation.
    pub(crate) fn revive(&self, kind: HandleKind, object: u32) -> u64 {
        fence(Release);
        let gen = Word(self.word.load(Relaxed)).next_gen();
        self.meta.object.store(object, Relaxed);
        self.word.store(Word::created(kind, gen, false).0, Release);
        gen
    }

    /// Publishes a new object owned by device `device` that has no state
    /// of its own in the slot (a context); returns its generation.
    pub(crate) fn revive_owned(&self, kind: HandleKind, device: u32) -> u64 {
        fence(Release);
        let gen = Word(self.word.load(Relaxed)).next_gen();
        self.meta.device.store(device, Relaxed);
        self.word.store(Word::created(kind, gen, false).0, Release);
        gen
    }

    /// Destroys the allocation in the slot: one RMW takes LIVE, REMOVED,
    /// BUSY and the count (every racing lock or unlock fails its CAS from
    /// here), then the prediction and the mapping go and the memory is
    /// handed back for the caller to drop outside the slot's lock. Returns
    /// the word the allocation had.
    pub(crate) fn kill_allocation(&self) -> (Word, Backing) {
        let word = Word(self.word.fetch_and(GEN.mask() | KIND.mask(), AcqRel));
        let memory = core::mem::take(&mut *self.memory.lock());
        self.meta.expected.store(0, Release);
        self.meta.base.store(core::ptr::null_mut(), Relaxed);
        self.meta.len.store(0, Relaxed);
        (word, memory)
    }

    /// Retires the object in the slot (a device, a context), leaving only
    /// its generation and kind.
    pub(crate) fn kill(&self) {
        let word = Word(self.word.load(Relaxed));
        self.word.store(word.dead().0, Release);
    }

    /// Retires the object if the word is still `seen` (an adapter handle
    /// closed by one of two racing closes); false when it was not.
    pub(crate) fn kill_if(&self, seen: Word) -> bool {
        self.word.compare_exchange(seen.0, seen.dead().0, AcqRel, Acquire).is_ok()
    }

    // === locks ===

    /// Takes one reference if the word is `from`; else returns the word.
    #[inline(always)]
    pub(crate) fn try_lock(&self, from: Word) -> Result<(), Word> {
        self.word.compare_exchange(from.0, from.0 + 1, AcqRel, Acquire).map(drop).map_err(Word)
    }

    /// [`Slot::try_lock`] in a retry loop (may fail spuriously).
    #[inline]
    pub(crate) fn try_lock_weak(&self, from: Word) -> Result<(), Word> {
        self.word.compare_exchange_weak(from.0, from.0 + 1, AcqRel, Acquire).map(drop).map_err(Word)
    }

    /// Drops one reference if the word is `from` (which holds one); else
    /// returns the word.
    #[inline(always)]
    pub(crate) fn try_unlock(&self, from: Word) -> Result<(), Word> {
        self.word.compare_exchange(from.0, from.0 - 1, AcqRel, Acquire).map(drop).map_err(Word)
    }

    /// [`Slot::try_unlock`] in a retry loop (may fail spuriously).
    #[inline]
    pub(crate) fn try_unlock_weak(&self, from: Word) -> Result<(), Word> {
        self.word.compare_exchange_weak(from.0, from.0 - 1, AcqRel, Acquire).map(drop).map_err(Word)
    }

    /// A legacy Unlock's first step: sets FROZEN if the word is the
    /// allocation of `gen` holding at least `n` references and not removed
    /// or frozen. From here until [`Slot::thaw`] or
    /// [`Slot::release_frozen`] no other lock or unlock changes the word.
    pub(crate) fn freeze(&self, gen: u64, n: u32) -> bool {
        self.word
            .fetch_update(AcqRel, Acquire, |w| {
                (check_unlock(Word(w), gen, n) == UnlockCheck::Ok).then_some(w | FROZEN.mask())
            })
            .is_ok()
    }

    /// Undoes [`Slot::freeze`]: nothing was released.
    pub(crate) fn thaw(&self) {
        self.word.fetch_and(!FROZEN.mask(), AcqRel);
    }

    /// Releases `n` references from a frozen word and thaws it, in one step
    /// (the word holds at least `n` references and FROZEN, so the
    /// subtraction borrows from nothing).
    pub(crate) fn release_frozen(&self, n: u32) {
        self.word.fetch_sub(FROZEN.mask() + u64::from(n), AcqRel);
    }

    // === GPU work and removal (the caller holds the device's lock) ===

    /// Sets or clears BUSY in the word of the allocation of `gen` (nothing
    /// if the slot holds another one now) and mirrors it into the
    /// prediction, so the lock path expects it: under the Ignore policy a
    /// busy allocation still locks with one CAS, under the others the lock
    /// path sees it is busy without an RMW. Every writer of the prediction
    /// holds the device lock; a reader that sees it a moment out of date
    /// only takes a slower path.
    pub(crate) fn set_busy(&self, gen: u64, busy: bool) {
        let changed = self.word.fetch_update(AcqRel, Acquire, |w| {
            let w = Word(w);
            w.is_object(HandleKind::Allocation, gen).then_some(if busy {
                w.0 | BUSY.mask()
            } else {
                w.0 & !BUSY.mask()
            })
        });
        if changed.is_err() {
            return;
        }
        let expected = self.meta.expected.load(Relaxed);
        if expected != 0 {
            let expected = if busy { expected | BUSY.mask() } else { expected & !BUSY.mask() };
            self.meta.expected.store(expected, Release);
        }
    }

    /// Removal's first step for one allocation: REMOVED set, every lock
    /// dropped (count 0) and BUSY cleared, in one RMW, so every lock, fast
    /// or slow, fails from here on. Until [`Slot::publish_removal`] the
    /// prediction is empty and the fast paths go to the word.
    pub(crate) fn mark_removed(&self) {
        let _ = self.word.fetch_update(AcqRel, Acquire, |w| {
            Word(w).is(HandleKind::Allocation).then_some((w & !(COUNT.mask() | BUSY.mask())) | REMOVED.mask())
        });
        self.meta.expected.store(0, Release);
    }

    /// Removal's last step, once the device's reason is published: the
    /// prediction says REMOVED, so a lock or unlock on the removed device is
    /// answered from the metadata line alone.
    pub(crate) fn publish_removal(&self) {
        let word = Word(self.word.load(Acquire));
        if word.is(HandleKind::Allocation) {
            self.meta.expected.store(word.0, Release);
        }
    }

    /// A device's removal, published: its reason goes into its word.
    pub(crate) fn set_reason(&self, reason: u32) {
        self.word.fetch_or(REASON.put(u64::from(reason)), AcqRel);
    }

    /// True when the slot still holds the object of the (live) word `seen`:
    /// validates the relaxed reads of its metadata made since `seen` was
    /// read (the fence keeps them before this load).
    #[inline]
    pub(crate) fn still(&self, seen: Word) -> bool {
        fence(Acquire);
        Word(self.word.load(Relaxed)).same_object(seen)
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    /// An address no test dereferences: caller memory only described.
    fn fake_base() -> *mut u8 {
        core::ptr::null_mut::<u8>().wrapping_add(4096)
    }

    #[test]
    fn a_reused_slot_never_repeats_a_word() {
        let slot = Slot::default();
        let memory = || Backing::Caller { base: fake_base(), len: 4096 };
        let g1 = slot.revive_allocation(0x4000_0040, memory(), 4096, 1, true);
        let first = slot.word();
        assert!(first.is_object(HandleKind::Allocation, g1));
        assert_eq!(slot.expected(), first);
        slot.kill_allocation();
        let g2 = slot.revive_allocation(0x4000_0040, memory(), 4096, 1, true);
        assert_ne!(g1, g2);
        assert_ne!(slot.word(), first, "a thread holding the old word fails its CAS");
        assert_eq!(slot.try_lock(first), Err(slot.word()));
    }

    #[test]
    fn lock_unlock_freeze_and_removal_transitions() {
        let slot = Slot::default();
        let gen = slot.revive_allocation(0x4000_0040, Backing::Caller { base: fake_base(), len: 4096 }, 4096, 1, true);
        let w0 = slot.word();
        slot.try_lock(w0).unwrap();
        assert_eq!(slot.word().count(), 1);
        assert!(!slot.freeze(gen, 2), "only 1 reference held");
        assert!(slot.freeze(gen, 1));
        assert!(slot.word().frozen() && !unlockable(slot.word()));
        slot.thaw();
        assert!(!slot.word().frozen() && slot.word().count() == 1);
        assert!(slot.freeze(gen, 1));
        slot.release_frozen(1);
        assert!(!slot.word().frozen() && slot.word().count() == 0);
        slot.set_busy(gen, true);
        assert!(slot.word().busy() && slot.expected().busy());
        slot.mark_removed();
        let w = slot.word();
        assert!(w.removed() && !w.busy() && w.count() == 0);
        assert_eq!(slot.expected(), Word::EMPTY);
        slot.publish_removal();
        assert!(slot.expected().removal_published());
    }
}
