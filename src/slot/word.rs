//! [`Word`]: a slot's state word as a value, and the pure rules over it.
//!
//! | field | meaning | set by | cleared by |
//! |---|---|---|---|
//! | count (payload) | an allocation's lock references (Lock2 and page Lock share it) | lock | unlock, removal (→ 0), destroy (→ 0) |
//! | reason (payload) | a device's removal reason, 0 while active | removal | destroy |
//! | LIVE | the slot holds a live object of `kind` and `gen` | create | destroy, close |
//! | REMOVED | the allocation's device was removed (sticky) | removal | never while live |
//! | BUSY | uncompleted submitted work references the allocation | submit | the last fence retiring it, removal |
//! | CPU_V | the allocation is CPU-visible (lockable) | create | never while live |
//! | FROZEN | a legacy Unlock is releasing references from several allocations at once; nothing else may change the word | Unlock (device lock held) | the same Unlock, with the count |
//! | kind | which kind of object the slot holds | create | — (kept while dead) |
//! | gen | bumped on every reuse of the slot, so a word never repeats | create | — (kept while dead) |
//!
//! Because lock count, liveness, removal and busy state share one word, a
//! successful lock is one compare-and-swap: it fails if the allocation was
//! destroyed, its slot reused, its device removed or work submitted since
//! the word was read. Device removal sets REMOVED in every allocation word
//! *before* it publishes the device's own reason, so no path that looks only
//! at the allocation word can skip the removal. The generation makes every
//! word of a slot's life unique: a reset or a reuse cannot bring back a word
//! a racing thread read before it.
//!
//! Every write of a word is in [`super::Slot`]'s transitions; this module
//! only reads.

use crate::handle::layout::{BUSY, COUNT, CPU_VISIBLE, FROZEN, GEN, KIND, LIVE, REASON, REMOVED};
use crate::handle::HandleKind;

/// A state word as read at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(pub(super) u64);

/// The bits that name one object: LIVE, kind and generation.
const IDENTITY: u64 = LIVE.mask() | KIND.mask() | GEN.mask();

impl Word {
    /// The word of an empty slot (never used).
    #[cfg(all(test, not(any(loom, shuttle))))]
    pub(crate) const EMPTY: Word = Word(0);

    /// The word of a new object of `kind` with generation `gen`.
    pub(crate) const fn created(kind: HandleKind, gen: u64, cpu_visible: bool) -> Word {
        Word(GEN.put(gen) | KIND.put(kind.code()) | LIVE.mask() | if cpu_visible { CPU_VISIBLE.mask() } else { 0 })
    }

    /// The word a slot keeps once its object is gone: the generation and
    /// kind survive, so the next occupant bumps the generation.
    pub(crate) const fn dead(self) -> Word {
        Word(self.0 & (GEN.mask() | KIND.mask()))
    }

    /// The generation.
    #[inline(always)]
    pub(crate) const fn gen(self) -> u64 {
        GEN.get(self.0)
    }

    /// The next generation for the slot's next occupant.
    pub(crate) const fn next_gen(self) -> u64 {
        (self.gen() + 1) & GEN.max()
    }

    /// The same word holding one more lock reference (what an unlock of
    /// a once-locked allocation expects).
    #[inline(always)]
    pub(crate) const fn locked_once(self) -> Word {
        Word(self.0 + 1)
    }

    /// An allocation's lock count.
    #[inline(always)]
    pub(crate) const fn count(self) -> u32 {
        COUNT.get(self.0) as u32
    }

    /// A device's removal reason (0 while active).
    #[inline(always)]
    pub(crate) const fn reason(self) -> u32 {
        REASON.get(self.0) as u32
    }

    /// True when the slot holds a live object of `kind`.
    #[inline(always)]
    pub(crate) const fn is(self, kind: HandleKind) -> bool {
        self.0 & (LIVE.mask() | KIND.mask()) == LIVE.mask() | KIND.put(kind.code())
    }

    /// True when this is the live object of `kind` and generation `gen`.
    #[inline(always)]
    pub(crate) const fn is_object(self, kind: HandleKind, gen: u64) -> bool {
        self.0 & IDENTITY == LIVE.mask() | KIND.put(kind.code()) | GEN.put(gen)
    }

    /// True when both words belong to one life of one object.
    #[inline(always)]
    pub(crate) const fn same_object(self, other: Word) -> bool {
        self.0 & IDENTITY == other.0 & IDENTITY
    }

    /// The device was removed (allocation words).
    #[inline(always)]
    pub(crate) const fn removed(self) -> bool {
        self.0 & REMOVED.mask() != 0
    }

    /// Submitted work references the allocation.
    #[inline(always)]
    pub(crate) const fn busy(self) -> bool {
        self.0 & BUSY.mask() != 0
    }

    /// The allocation is lockable at all.
    #[inline(always)]
    pub(crate) const fn cpu_visible(self) -> bool {
        self.0 & CPU_VISIBLE.mask() != 0
    }

    /// A legacy Unlock holds the word.
    #[inline(always)]
    pub(crate) const fn frozen(self) -> bool {
        self.0 & FROZEN.mask() != 0
    }

    /// True when the word is that of a live allocation whose device's
    /// removal is published (what removal leaves in the prediction).
    #[inline(always)]
    pub(crate) const fn removal_published(self) -> bool {
        self.0 & (LIVE.mask() | KIND.mask() | REMOVED.mask())
            == LIVE.mask() | KIND.put(HandleKind::Allocation.code()) | REMOVED.mask()
    }
}

impl core::fmt::Debug for Word {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Word({:#018x})", self.0)
    }
}

/// What a lock's one-CAS fast path needs to see in an allocation's word
/// (under a busy policy): live, an allocation, CPU-visible, not removed, not
/// frozen, and not busy unless busy allocations are mapped anyway. The
/// count and the generation are free.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct LockMask(u64);

const LOCKABLE: u64 = LIVE.mask() | CPU_VISIBLE.mask() | KIND.put(HandleKind::Allocation.code());

impl LockMask {
    /// The mask for a policy that does (`check_busy`) or does not look at
    /// BUSY.
    pub(crate) const fn new(check_busy: bool) -> Self {
        LockMask(
            LIVE.mask()
                | REMOVED.mask()
                | CPU_VISIBLE.mask()
                | FROZEN.mask()
                | KIND.mask()
                | if check_busy { BUSY.mask() } else { 0 },
        )
    }

    /// The raw mask, for storing in an atomic.
    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    /// The mask stored by [`LockMask::bits`].
    pub(crate) const fn from_bits(bits: u64) -> Self {
        LockMask(bits)
    }

    /// True when a lock may take a reference from `word` (the count aside).
    #[inline(always)]
    pub(crate) const fn admits(self, word: Word) -> bool {
        word.0 & self.0 == LOCKABLE
    }
}

/// True when an unlock's one-CAS fast path may drop a reference from
/// `word` (the count aside): a live allocation, not removed, not frozen.
#[inline(always)]
pub(crate) const fn unlockable(word: Word) -> bool {
    word.0 & (LIVE.mask() | KIND.mask() | REMOVED.mask() | FROZEN.mask())
        == LIVE.mask() | KIND.put(HandleKind::Allocation.code())
}

/// What the next lock on a word meets, in the contract's order from its
/// rule 4 on (the arguments and the device are checked before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockCheck {
    /// A legacy Unlock holds the word: wait for the device lock, re-read.
    Frozen,
    /// Rule 4: not the allocation the call resolved any more.
    Stale,
    /// Rule 3 seen through the allocation word: its device was removed.
    Removed,
    /// Rule 5.
    NotCpuVisible,
    /// Rule 6: busy; the caller applies its busy policy.
    Busy,
    /// Rule 7.
    AtLimit,
    /// Rule 8: a CAS to `word + 1` takes the reference.
    Ok,
}

/// The pure lock rule for the allocation of generation `gen`. `check_busy`
/// is false when the busy state is ignored (busy policy Ignore, or the page
/// lock's IgnoreSync flag).
pub(crate) const fn check_lock(word: Word, gen: u64, limit: u32, check_busy: bool) -> LockCheck {
    if word.frozen() {
        LockCheck::Frozen
    } else if !word.is_object(HandleKind::Allocation, gen) {
        LockCheck::Stale
    } else if word.removed() {
        LockCheck::Removed
    } else if !word.cpu_visible() {
        LockCheck::NotCpuVisible
    } else if check_busy && word.busy() {
        LockCheck::Busy
    } else if word.count() >= limit {
        LockCheck::AtLimit
    } else {
        LockCheck::Ok
    }
}

/// What an unlock of `n` references from a word meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnlockCheck {
    Frozen,
    Stale,
    Removed,
    NotLocked,
    Ok,
}

/// The pure unlock rule for the allocation of generation `gen`.
pub(crate) const fn check_unlock(word: Word, gen: u64, n: u32) -> UnlockCheck {
    if word.frozen() {
        UnlockCheck::Frozen
    } else if !word.is_object(HandleKind::Allocation, gen) {
        UnlockCheck::Stale
    } else if word.removed() {
        UnlockCheck::Removed
    } else if word.count() < n || n == 0 {
        UnlockCheck::NotLocked
    } else {
        UnlockCheck::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: HandleKind = HandleKind::Allocation;

    fn with(w: Word, bits: u64) -> Word {
        Word(w.0 | bits)
    }

    #[test]
    fn lock_rules_in_contract_order() {
        let live = Word::created(A, 7, true);
        assert_eq!(check_lock(live, 7, 4, true), LockCheck::Ok);
        assert_eq!(check_lock(live, 6, 4, true), LockCheck::Stale);
        assert_eq!(check_lock(live.dead(), 7, 4, true), LockCheck::Stale);
        assert_eq!(check_lock(Word::created(HandleKind::Device, 7, true), 7, 4, true), LockCheck::Stale);
        // Removal wins over not-CPU-visible, busy and the limit.
        let all = Word((live.0 & !CPU_VISIBLE.mask()) | REMOVED.mask() | BUSY.mask() | 4);
        assert_eq!(check_lock(all, 7, 4, true), LockCheck::Removed);
        assert_eq!(check_lock(Word(all.0 & !REMOVED.mask()), 7, 4, true), LockCheck::NotCpuVisible);
        assert_eq!(check_lock(with(live, BUSY.mask() | 4), 7, 4, true), LockCheck::Busy);
        assert_eq!(check_lock(with(live, BUSY.mask() | 4), 7, 4, false), LockCheck::AtLimit);
        assert_eq!(check_lock(with(live, BUSY.mask() | 3), 7, 4, false), LockCheck::Ok);
    }

    #[test]
    fn the_fast_masks_agree_with_the_rules() {
        let gen = 9;
        let flips = [0, REMOVED.mask(), BUSY.mask(), CPU_VISIBLE.mask(), LIVE.mask(), FROZEN.mask(), KIND.put(1)];
        for extra in flips.iter().flat_map(|a| flips.iter().map(move |b| a | b)) {
            for cpu in [false, true] {
                let w = Word(Word::created(A, gen, cpu).0 ^ extra);
                for check_busy in [false, true] {
                    let fast = LockMask::new(check_busy).admits(w);
                    let rule = check_lock(w, gen, u32::MAX, check_busy) == LockCheck::Ok;
                    assert_eq!(fast, rule, "word {w:?} check_busy {check_busy}");
                }
                let fast = unlockable(w);
                let rule = check_unlock(with(w, 1), gen, 1) == UnlockCheck::Ok;
                assert_eq!(fast, rule, "unlock of {w:?}");
            }
        }
    }

    #[test]
    fn unlock_rules() {
        let live = Word::created(A, 1, true);
        assert_eq!(check_unlock(live, 1, 1), UnlockCheck::NotLocked);
        assert_eq!(check_unlock(with(live, 2), 1, 2), UnlockCheck::Ok);
        assert_eq!(check_unlock(with(live, 2), 1, 3), UnlockCheck::NotLocked);
        assert_eq!(check_unlock(with(live, REMOVED.mask() | 2), 1, 1), UnlockCheck::Removed);
        assert_eq!(check_unlock(with(live, 2).dead(), 1, 1), UnlockCheck::Stale);
        assert_eq!(check_unlock(with(live, FROZEN.mask() | 2), 1, 1), UnlockCheck::Frozen);
        assert_eq!(check_lock(with(live, FROZEN.mask()), 1, 4, true), LockCheck::Frozen);
    }

    #[test]
    fn identity_is_live_kind_and_generation() {
        let a = Word::created(A, 3, true);
        assert!(a.is(A) && a.is_object(A, 3) && !a.is_object(A, 4));
        assert!(a.same_object(with(a, BUSY.mask() | 5)));
        assert!(!a.same_object(Word::created(A, 4, true)));
        assert!(!a.same_object(a.dead()));
        assert_eq!(a.dead().next_gen(), 4);
        assert_eq!(Word(GEN.mask()).next_gen(), 0, "the generation wraps within its field");
    }
}
