//! The per-allocation state word and the pure rules over it.
//!
//! Every allocation slot has one `AtomicU64`, alone on its cache line with the
//! slot's read-mostly fields:
//!
//! ```text
//!  63      48 47   40 39  37  36     35    34    33     32   31              0
//! +----------+-------+------+------+-----+-----+-------+----+-----------------+
//! |  unused  |  gen  |unused|FROZEN|CPU_V|BUSY |REMOVED|LIVE|   lock count    |
//! +----------+-------+------+------+-----+-----+-------+----+-----------------+
//! ```
//!
//! | bits | meaning | set by | cleared by |
//! |---|---|---|---|
//! | count | lock references held (Lock2 and page Lock share it) | lock | unlock, removal (→ 0), destroy (→ 0) |
//! | LIVE | the slot holds the allocation whose generation is `gen` | create | destroy |
//! | REMOVED | the owning device was removed (sticky) | removal | never while live |
//! | BUSY | uncompleted submitted work references the allocation | submit | last fence retiring it, removal |
//! | CPU_V | the allocation is CPU-visible (lockable) | create | never while live |
//! | FROZEN | a legacy Unlock is releasing references from several allocations at once; nothing else may change the word | Unlock (device lock held) | the same Unlock, with the count |
//! | gen | generation of the handle occupying the slot | create | — (kept while dead) |
//!
//! Because lock count, liveness, removal and busy state share one word, a
//! successful Lock2 is one compare-and-swap: the CAS fails if the allocation
//! was destroyed, its device removed or work submitted since the word was
//! read, and the caller then re-derives the exact status on the slow path.
//! Device removal sets REMOVED in every allocation word *before* it publishes
//! the device's own removed state, so no path that looks only at the
//! allocation word can skip the removal (abi.md §5 rule 3).
//!
//! A legacy Unlock of several allocations must release all its references
//! or none. It holds the device lock (so removal, destroy, submit and fence
//! completion wait), first sets FROZEN on every word it will change,
//! checking each holds enough references, and then subtracts the counts and
//! clears FROZEN. The fast paths treat FROZEN as "not mine" and the slow
//! paths wait for the device lock, so no other lock or unlock lands between
//! the check and the release.

pub(crate) const COUNT_MASK: u64 = 0xFFFF_FFFF;
pub(crate) const LIVE: u64 = 1 << 32;
pub(crate) const REMOVED: u64 = 1 << 33;
pub(crate) const BUSY: u64 = 1 << 34;
pub(crate) const CPU_VISIBLE: u64 = 1 << 35;
pub(crate) const FROZEN: u64 = 1 << 36;
pub(crate) const GEN_SHIFT: u32 = 40;
pub(crate) const GEN_FIELD: u64 = 0xFF << GEN_SHIFT;

/// The lock count in a word.
#[inline(always)]
pub(crate) const fn count(word: u64) -> u32 {
    (word & COUNT_MASK) as u32
}

/// The generation in a word.
#[inline(always)]
pub(crate) const fn gen(word: u64) -> u32 {
    ((word & GEN_FIELD) >> GEN_SHIFT) as u32
}

/// The word of a freshly created allocation.
pub(crate) const fn fresh(gen: u32, cpu_visible: bool) -> u64 {
    ((gen as u64) << GEN_SHIFT) | LIVE | if cpu_visible { CPU_VISIBLE } else { 0 }
}

/// The word a slot keeps after its allocation is destroyed: only the
/// generation survives, so the next occupant can bump it.
pub(crate) const fn dead(word: u64) -> u64 {
    word & GEN_FIELD
}

/// True when `word` is the live allocation of generation `gen`.
#[inline(always)]
pub(crate) const fn is_live(word: u64, gen: u32) -> bool {
    word & (LIVE | GEN_FIELD) == LIVE | ((gen as u64) << GEN_SHIFT)
}

/// The bits that must read `LIVE | CPU_VISIBLE | gen` (and nothing else) for
/// the one-CAS fast path of a lock; BUSY is part of the mask unless busy
/// allocations are mapped anyway.
#[inline(always)]
pub(crate) const fn fast_lock_mask(check_busy: bool) -> u64 {
    LIVE | REMOVED | CPU_VISIBLE | FROZEN | GEN_FIELD | if check_busy { BUSY } else { 0 }
}

/// The bits that must read `LIVE | gen` for the one-CAS fast path of an
/// unlock (the count is checked separately).
pub(crate) const FAST_UNLOCK_MASK: u64 = LIVE | REMOVED | FROZEN | GEN_FIELD;

/// What the next lock on `word` meets, in abi.md §5 order from rule 4 on
/// (rules 1–3 are about the arguments and the device and are checked before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockCheck {
    /// A legacy Unlock holds the word: wait for the device lock, re-read.
    Frozen,
    /// Rule 4: not the allocation the handle names any more.
    Stale,
    /// Rule 3 seen through the allocation word: its device was removed.
    Removed,
    /// Rule 5.
    NotCpuVisible,
    /// Rule 6: busy; the caller applies its busy rule.
    Busy,
    /// Rule 7.
    AtLimit,
    /// Rule 8: a CAS to `word + 1` takes the reference.
    Ok,
}

/// The pure lock rule. `check_busy` is false when the busy state is ignored
/// (busy policy Ignore, or the page lock's IgnoreSync flag).
pub(crate) const fn check_lock(word: u64, gen: u32, limit: u32, check_busy: bool) -> LockCheck {
    if word & FROZEN != 0 {
        LockCheck::Frozen
    } else if !is_live(word, gen) {
        LockCheck::Stale
    } else if word & REMOVED != 0 {
        LockCheck::Removed
    } else if word & CPU_VISIBLE == 0 {
        LockCheck::NotCpuVisible
    } else if check_busy && word & BUSY != 0 {
        LockCheck::Busy
    } else if count(word) >= limit {
        LockCheck::AtLimit
    } else {
        LockCheck::Ok
    }
}

/// What an unlock of `n` references from `word` meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnlockCheck {
    Frozen,
    Stale,
    Removed,
    NotLocked,
    Ok,
}

/// The pure unlock rule.
pub(crate) const fn check_unlock(word: u64, gen: u32, n: u32) -> UnlockCheck {
    if word & FROZEN != 0 {
        UnlockCheck::Frozen
    } else if !is_live(word, gen) {
        UnlockCheck::Stale
    } else if word & REMOVED != 0 {
        UnlockCheck::Removed
    } else if count(word) < n || n == 0 {
        UnlockCheck::NotLocked
    } else {
        UnlockCheck::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_rules_in_contract_order() {
        let live = fresh(7, true);
        assert_eq!(check_lock(live, 7, 4, true), LockCheck::Ok);
        assert_eq!(check_lock(live, 6, 4, true), LockCheck::Stale);
        assert_eq!(check_lock(dead(live), 7, 4, true), LockCheck::Stale);
        // Removal wins over not-CPU-visible, busy and the limit.
        let all = (live & !CPU_VISIBLE) | REMOVED | BUSY | 4;
        assert_eq!(check_lock(all, 7, 4, true), LockCheck::Removed);
        assert_eq!(check_lock(all & !REMOVED, 7, 4, true), LockCheck::NotCpuVisible);
        assert_eq!(check_lock(live | BUSY | 4, 7, 4, true), LockCheck::Busy);
        assert_eq!(check_lock(live | BUSY | 4, 7, 4, false), LockCheck::AtLimit);
        assert_eq!(check_lock(live | BUSY | 3, 7, 4, false), LockCheck::Ok);
    }

    #[test]
    fn fast_mask_agrees_with_the_rule() {
        let gen = 9;
        for extra in [0, REMOVED, BUSY, CPU_VISIBLE, LIVE, FROZEN, REMOVED | BUSY] {
            for cpu in [false, true] {
                let w = fresh(gen, cpu) ^ extra;
                for check_busy in [false, true] {
                    let fast = w & fast_lock_mask(check_busy) == fresh(gen, true) & fast_lock_mask(check_busy);
                    let rule = check_lock(w, gen, u32::MAX, check_busy) == LockCheck::Ok;
                    assert_eq!(fast, rule, "word {w:#x} check_busy {check_busy}");
                }
            }
        }
    }

    #[test]
    fn unlock_rules() {
        let live = fresh(1, true);
        assert_eq!(check_unlock(live, 1, 1), UnlockCheck::NotLocked);
        assert_eq!(check_unlock(live | 2, 1, 2), UnlockCheck::Ok);
        assert_eq!(check_unlock(live | 2, 1, 3), UnlockCheck::NotLocked);
        assert_eq!(check_unlock(live | REMOVED | 2, 1, 1), UnlockCheck::Removed);
        assert_eq!(check_unlock(dead(live | 2), 1, 1), UnlockCheck::Stale);
        assert_eq!(check_unlock(live | FROZEN | 2, 1, 1), UnlockCheck::Frozen);
        assert_eq!(check_lock(live | FROZEN, 1, 4, true), LockCheck::Frozen);
    }
}
