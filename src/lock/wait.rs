//! Busy waits: a lock that must wait for GPU work (busy policy `Wait`, or
//! a legacy Lock without `DonotWait`/`IgnoreSync`) blocks here.
//!
//! The wait runs outside the gate (a reset can go ahead meanwhile) and on
//! the device's condition variable, bounded by a deadline from the
//! simulator's clock; no wait is unbounded. Every event that can end it —
//! fence completion, removal, destroy (a reset destroys too) — changes the
//! allocation's word while holding the device's lock and notifies after,
//! and the waiter re-checks under the same lock, so no wake-up is lost.
//! Taking that lock is bounded by the same deadline.

use crate::allocation::LiveAllocation;
use crate::clock::Deadline;
use crate::device::LiveDevice;
use crate::gate::Gate;
use crate::handle::HandleKind;

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The allocation is no longer busy, or no longer that allocation, or
    /// its device was removed, or a reset began: the caller looks again.
    Changed,
    /// The deadline passed with the allocation still busy.
    TimedOut,
}

/// Blocks while allocation `a` of `dev` is busy (see [`End`]); `epoch` is
/// the gate's reset count when the call entered.
pub(crate) fn while_busy(
    dev: &LiveDevice<'_>,
    a: &LiveAllocation<'_>,
    gate: &Gate,
    epoch: u64,
    deadline: Deadline,
) -> End {
    let still_busy = || {
        let word = a.slot.word();
        word.is_object(HandleKind::Allocation, a.gen()) && word.busy() && !word.removed() && !gate.reset_since(epoch)
    };
    let Some(mut inner) = dev.mutex().lock_until(deadline) else {
        return End::TimedOut;
    };
    while still_busy() {
        if dev.wake().wait_until(&mut inner, deadline) {
            return if still_busy() { End::TimedOut } else { End::Changed };
        }
    }
    End::Changed
}
