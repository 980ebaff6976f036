//! The hooks of the call seam: what runs around every call that is not
//! quiet. Today that is the fault plan (before a call) and, in test builds,
//! a probe that records every call and its outcome; call traces and replay
//! will hang here too. Hooks see the call's raw arguments and say what
//! should happen; they never call into the objects.

pub(crate) mod fault;

use crate::call::Call;
use crate::error::Result;
use crate::gate::Gate;
use crate::status::NtStatus;

pub(crate) use self::fault::Fired;
use self::fault::{Fault, FaultPlan};

/// Every hook of one simulator.
#[derive(Default)]
pub(crate) struct Hooks {
    faults: FaultPlan,
    #[cfg(test)]
    pub(crate) probe: probe::Probe,
}

impl Hooks {
    /// Runs before a call: counts it against the fault plan. An error is the
    /// call's status (it then runs no further); otherwise the side effects
    /// that fired, for the seam to apply.
    pub(crate) fn before(&self, gate: &Gate, call: &Call) -> Result<Fired> {
        self.faults.on_call(gate, call)
    }

    /// Runs after a call with its outcome.
    pub(crate) fn after(&self, call: &Call, status: NtStatus) {
        #[cfg(test)]
        self.probe.record(call, status);
        #[cfg(not(test))]
        let _ = (call, status);
    }

    /// Arms a fault.
    pub(crate) fn arm_fault(&self, gate: &Gate, fault: Fault) -> Result<()> {
        self.faults.arm(gate, fault)
    }

    /// Disarms every fault.
    pub(crate) fn clear_faults(&self, gate: &Gate) {
        self.faults.clear(gate)
    }
}

/// A test-only hook that records what crosses the seam, to prove that
/// every entry point, Rust and C, passes through it.
#[cfg(test)]
pub(crate) mod probe {
    use crate::call::{Call, CallId};
    use crate::gate::Gate;
    use crate::status::NtStatus;
    use crate::sync::{AtomicBool, Mutex, Ordering::*};

    #[derive(Default)]
    pub(crate) struct Probe {
        on: AtomicBool,
        log: Mutex<Vec<(CallId, NtStatus)>>,
    }

    impl Probe {
        /// Starts recording; counts as an armed hook, so no call is quiet.
        pub(crate) fn start(&self, gate: &Gate) {
            if !self.on.swap(true, AcqRel) {
                gate.count_hook(true);
            }
        }

        /// Stops recording and returns what was recorded.
        pub(crate) fn stop(&self, gate: &Gate) -> Vec<(CallId, NtStatus)> {
            if self.on.swap(false, AcqRel) {
                gate.count_hook(false);
            }
            core::mem::take(&mut *self.log.lock())
        }

        pub(super) fn record(&self, call: &Call, status: NtStatus) {
            if self.on.load(Acquire) {
                self.log.lock().push((call.id, status));
            }
        }
    }
}
