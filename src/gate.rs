//! [`Gate`]: the call seam's control word and the reset gate.
//!
//! Every call passes the gate. A call that the lock path can answer alone
//! (Lock2, Unlock2, a one-handle Unlock, a legacy Lock's success) first reads the control word with
//! one load: when no hook is armed and no reset is under way it runs
//! without taking anything (the *quiet* path). Every other call takes the
//! gate shared for its whole run ([`Gate::enter`]); a reset takes it alone
//! ([`Gate::close`]). So a reset never interleaves with a slow call, and a
//! quiet call, which holds nothing, is made consistent differently:
//!
//! * its success is one CAS on a state word whose generation a reset never
//!   brings back, taken before the reset kills the object (and then undone
//!   by the kill) or failed and retried after it;
//! * its errors are decided between two reads of the control word, as in a
//!   seqlock: when a reset began or ended in between, the call is taken
//!   again on the slow path.
//!
//! The control word:
//!
//! ```text
//!  63                  32 31                  1    0
//! +----------------------+----------------------+---------+
//! |    resets completed  |     armed hooks      |RESETTING|
//! +----------------------+----------------------+---------+
//! ```
//!
//! A call is quiet when the low half is 0.

use crate::sync::{fence, AtomicU64, Ordering::*, ReadGuard, RwLock, WriteGuard};

const RESETTING: u64 = 1;
const HOOK: u64 = 1 << 1;
const HOOKS: u64 = 0xFFFF_FFFE;
const EPOCH: u64 = 1 << 32;

/// The seam's control word and the reset gate of one simulator.
#[derive(Default)]
pub(crate) struct Gate {
    ctl: AtomicU64,
    lock: RwLock<()>,
}

/// The control word as a quiet call saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen(u64);

impl Gate {
    /// True when no hook is armed and no reset is under way: one load.
    #[inline(always)]
    pub(crate) fn quiet(&self) -> bool {
        self.ctl.load(Acquire) as u32 == 0
    }

    /// The control word, at the start of a decision that [`Gate::unchanged`]
    /// validates.
    #[inline]
    pub(crate) fn seen(&self) -> Seen {
        Seen(self.ctl.load(Acquire))
    }

    /// True when the decision begun at `seen` saw no reset: none was under
    /// way then, none has begun since.
    #[inline]
    pub(crate) fn unchanged(&self, seen: Seen) -> bool {
        fence(Acquire);
        let now = self.ctl.load(Relaxed);
        seen.0 & RESETTING == 0 && now & !HOOKS == seen.0 & !HOOKS
    }

    /// True when at least one hook is armed.
    pub(crate) fn hooked(&self) -> bool {
        self.ctl.load(Acquire) & HOOKS != 0
    }

    /// Counts a hook armed (`true`) or disarmed (`false`).
    pub(crate) fn count_hook(&self, armed: bool) {
        if armed {
            self.ctl.fetch_add(HOOK, AcqRel);
        } else {
            self.ctl.fetch_sub(HOOK, AcqRel);
        }
    }

    /// Takes the gate shared, for one slow call.
    pub(crate) fn enter(&self) -> Pass<'_> {
        let guard = self.lock.read();
        Pass { gate: self, guard: Some(guard), epoch: self.ctl.load(Acquire) / EPOCH }
    }

    /// Takes the gate alone, for a reset: the slow calls inside finish
    /// first, new ones wait, and from then on quiet calls go slow. Dropping
    /// the result ends the reset.
    pub(crate) fn close(&self) -> Closed<'_> {
        // The bit is set only once this reset holds the gate alone, so a
        // second reset waiting behind it cannot find it cleared by the
        // first one's end while it runs.
        let guard = self.lock.write();
        self.ctl.fetch_or(RESETTING, AcqRel);
        fence(SeqCst);
        Closed { gate: self, _guard: guard }
    }

    /// True when a reset has begun since `epoch` was read.
    pub(crate) fn reset_since(&self, epoch: u64) -> bool {
        let now = self.ctl.load(Acquire);
        now & RESETTING != 0 || now / EPOCH != epoch
    }
}

/// A slow call's shared hold on the gate.
#[must_use = "the gate is held only while the pass lives"]
pub(crate) struct Pass<'g> {
    gate: &'g Gate,
    guard: Option<ReadGuard<'g, ()>>,
    epoch: u64,
}

impl Pass<'_> {
    /// Runs `f` without holding the gate (a wait that may outlast a reset),
    /// then takes it again. The caller checks [`Pass::reset_since_entry`].
    pub(crate) fn outside<R>(&mut self, f: impl FnOnce(&Gate, u64) -> R) -> R {
        self.guard = None;
        let result = f(self.gate, self.epoch);
        self.guard = Some(self.gate.lock.read());
        result
    }

    /// True when a reset has begun since the call entered.
    pub(crate) fn reset_since_entry(&self) -> bool {
        self.gate.reset_since(self.epoch)
    }
}

/// A reset's exclusive hold on the gate; dropping it ends the reset.
#[must_use = "the reset ends when this is dropped"]
pub(crate) struct Closed<'g> {
    gate: &'g Gate,
    _guard: WriteGuard<'g, ()>,
}

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        // One step: the reset is over and the epoch moves on. Release: the
        // new simulator's state is visible to whoever sees the new epoch.
        let _ = self.gate.ctl.fetch_update(Release, Relaxed, |c| Some((c & !RESETTING) + EPOCH));
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    #[test]
    fn quiet_until_a_hook_is_armed() {
        let gate = Gate::default();
        assert!(gate.quiet());
        gate.count_hook(true);
        assert!(!gate.quiet() && gate.hooked());
        gate.count_hook(false);
        assert!(gate.quiet() && !gate.hooked());
    }

    #[test]
    fn a_reset_invalidates_decisions_and_passes() {
        let gate = Gate::default();
        let seen = gate.seen();
        let pass = gate.enter();
        let epoch = pass.epoch;
        assert!(gate.unchanged(seen) && !pass.reset_since_entry());
        drop(pass);
        let closed = gate.close();
        assert!(!gate.quiet(), "quiet calls go slow during a reset");
        assert!(!gate.unchanged(seen));
        assert!(gate.reset_since(epoch));
        drop(closed);
        assert!(gate.quiet());
        assert!(!gate.unchanged(seen), "a decision that straddled a reset is retaken");
        assert!(gate.reset_since(epoch));
        assert!(gate.unchanged(gate.seen()));
    }

    #[test]
    fn overlapping_resets_each_hold_the_reset_bit() {
        let gate = Gate::default();
        let first = gate.close();
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                let closed = gate.close();
                let quiet = gate.quiet();
                drop(closed);
                quiet
            });
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(first);
            assert!(!second.join().unwrap(), "the second reset runs with quiet calls going slow");
        });
        assert!(gate.quiet());
    }

    #[test]
    fn hooks_do_not_invalidate_decisions() {
        let gate = Gate::default();
        let seen = gate.seen();
        gate.count_hook(true);
        assert!(gate.unchanged(seen));
    }
}
