//! The fault plan: per-simulator fault injection (`SimKmtInjectFault`).
//!
//! A [`Fault`] names an entry point, fires on the Nth matching call from the
//! time it is armed and keeps firing for `count` consecutive matching calls.
//! Faults belong to one [`crate::Simulator`]; nothing is process-global, so
//! tests with faults run in parallel. The plan runs as a hook of the call
//! seam: it counts calls before they run and says what fired; the seam
//! applies it. Each armed fault counts as one armed hook in the gate's
//! control word, so with none armed a call pays nothing for the plan.

use crate::call::{Call, CallId};
use crate::error::{Error, ErrorKind, Result};
use crate::gate::Gate;
use crate::status::NtStatus;
use crate::sync::Mutex;

/// The entry point a fault targets: any [`CallId`]. A C program can aim at
/// the fourteen `SIMKMT_CALL_*` ones.
pub type FaultCall = CallId;

/// What a fault does when it fires.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Return this (failure) status instead; the call changes nothing. A
    /// Rust caller gets the [`crate::ErrorKind`] a real failure with this
    /// status has ([`crate::ErrorKind::from_status`]), with
    /// [`crate::Error::is_injected`] true; a C caller gets the status.
    ReturnStatus(NtStatus),
    /// Remove the call's device with reason `Hung`, then run the call.
    RemoveDevice,
    /// Reset the call's adapter (a TDR), then run the call.
    ResetAdapter,
    /// Panic inside the simulator (test builds only): proves that no panic
    /// crosses the C ABI.
    #[cfg(test)]
    #[doc(hidden)]
    Panic,
}

/// A fault to arm with [`crate::Simulator::inject_fault`].
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default()).unwrap();
/// let adapter = sim.enum_adapters().unwrap()[0].handle;
/// let device = sim.create_device(adapter).unwrap();
/// let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
/// // The second Lock2 from now fails with ALLOCATION_BUSY.
/// sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(NtStatus::GRAPHICS_ALLOCATION_BUSY)).nth(2)).unwrap();
/// assert!(sim.lock2(device, alloc).is_ok());
/// let err = sim.lock2(device, alloc).unwrap_err();
/// assert_eq!((err.kind(), err.is_injected()), (ErrorKind::AllocationBusy, true));
/// assert!(sim.lock2(device, alloc).is_ok());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The entry point.
    pub call: FaultCall,
    /// Fire on the Nth matching call from now (1 = the next one).
    pub nth: u32,
    /// Fire on this many consecutive matching calls.
    pub count: u32,
    /// What happens.
    pub action: FaultAction,
}

impl Fault {
    /// Fires once, on the next matching call.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// sim.inject_fault(Fault::new(FaultCall::CreateDevice, FaultAction::ReturnStatus(NtStatus::NO_MEMORY)))?;
    /// assert_eq!(sim.create_device(adapter).unwrap_err().status(), NtStatus::NO_MEMORY);
    /// assert!(sim.create_device(adapter).is_ok(), "it fired once");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn new(call: FaultCall, action: FaultAction) -> Self {
        Fault { call, nth: 1, count: 1, action }
    }
    /// Fire on the `nth` matching call from now (0 means 1).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let fault = Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(NtStatus::UNSUCCESSFUL));
    /// assert_eq!(fault.nth(3).nth, 3);
    /// assert_eq!(fault.nth(0).nth, 1, "0 means the next call");
    /// ```
    pub const fn nth(mut self, nth: u32) -> Self {
        self.nth = if nth == 0 { 1 } else { nth };
        self
    }
    /// Fire on `count` consecutive calls (0 means 1).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(NtStatus::UNSUCCESSFUL)).count(2))?;
    /// assert!(sim.lock2(device, alloc).is_err() && sim.lock2(device, alloc).is_err());
    /// assert!(sim.lock2(device, alloc).is_ok(), "two calls, then none");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn count(mut self, count: u32) -> Self {
        self.count = if count == 0 { 1 } else { count };
        self
    }

    /// The rules of a fault: a returned status must be a failure,
    /// removing a device needs a call that names one, resetting an adapter
    /// a call that names a device or an adapter.
    pub(crate) fn validate(&self) -> Result<()> {
        if !self.call.can_fault() {
            return Err(ErrorKind::InvalidParameter("faults cannot aim at queries or at fault calls").into());
        }
        match self.action {
            FaultAction::ReturnStatus(s) if s.is_ok() => {
                Err(ErrorKind::InvalidParameter("a RETURN_STATUS fault needs a failure status").into())
            }
            FaultAction::RemoveDevice if !self.call.names_device() => {
                Err(ErrorKind::InvalidParameter("REMOVE_DEVICE needs a call that names a device").into())
            }
            FaultAction::ResetAdapter if !self.call.names_device() && !self.call.names_adapter() => {
                Err(ErrorKind::InvalidParameter("RESET_ADAPTER needs a call that names a device or adapter").into())
            }
            _ => Ok(()),
        }
    }
}

struct Armed {
    fault: Fault,
    /// Matching calls seen since the fault was armed.
    seen: u64,
}

/// The faults armed on one simulator.
#[derive(Default)]
pub(crate) struct FaultPlan {
    faults: Mutex<Vec<Armed>>,
}

/// The side effects of the faults that fired on one call, for the seam to
/// apply before the call runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fired {
    pub(crate) remove_device: bool,
    pub(crate) reset_adapter: bool,
}

impl FaultPlan {
    pub(crate) fn arm(&self, gate: &Gate, fault: Fault) -> Result<()> {
        fault.validate()?;
        let fault = fault.nth(fault.nth).count(fault.count);
        let mut faults = self.faults.lock();
        faults.push(Armed { fault, seen: 0 });
        gate.count_hook(true);
        Ok(())
    }

    pub(crate) fn clear(&self, gate: &Gate) {
        let mut faults = self.faults.lock();
        for _ in faults.drain(..) {
            gate.count_hook(false);
        }
    }

    /// Counts `call` against every armed fault. The first `ReturnStatus`
    /// fault that fires decides the call's status (and the other actions
    /// that fired with it are dropped: that call changes nothing);
    /// otherwise the side effects of every fired fault are returned for the
    /// seam to apply. Exhausted faults are disarmed.
    pub(crate) fn on_call(&self, gate: &Gate, call: &Call) -> Result<Fired> {
        let mut faults = self.faults.lock();
        if faults.is_empty() {
            return Ok(Fired::default());
        }
        let mut fired = Fired::default();
        let mut status = None;
        #[cfg(test)]
        let mut panic = false;
        for armed in faults.iter_mut().filter(|a| a.fault.call == call.id) {
            armed.seen += 1;
            let first = u64::from(armed.fault.nth);
            if armed.seen < first || armed.seen >= first + u64::from(armed.fault.count) {
                continue;
            }
            match armed.fault.action {
                FaultAction::ReturnStatus(s) => {
                    status.get_or_insert(s);
                }
                FaultAction::RemoveDevice => fired.remove_device = true,
                FaultAction::ResetAdapter => fired.reset_adapter = true,
                #[cfg(test)]
                FaultAction::Panic => panic = true,
            }
        }
        let before = faults.len();
        faults.retain(|a| a.seen + 1 < u64::from(a.fault.nth) + u64::from(a.fault.count));
        for _ in faults.len()..before {
            gate.count_hook(false);
        }
        drop(faults);
        #[cfg(test)]
        if panic {
            panic!("injected panic");
        }
        match status {
            Some(s) => Err(Error::injected(s)),
            None => Ok(fired),
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn busy() -> FaultAction {
        FaultAction::ReturnStatus(NtStatus::GRAPHICS_ALLOCATION_BUSY)
    }

    fn call(id: CallId) -> Call {
        Call::new(id)
    }

    #[test]
    fn fires_on_nth_for_count_then_disarms() {
        let (gate, plan) = (Gate::default(), FaultPlan::default());
        plan.arm(&gate, Fault::new(CallId::Lock2, busy()).nth(2).count(2)).unwrap();
        assert!(!gate.quiet());
        assert!(plan.on_call(&gate, &call(CallId::Unlock2)).is_ok(), "other calls do not count");
        assert!(plan.on_call(&gate, &call(CallId::Lock2)).is_ok());
        assert!(plan.on_call(&gate, &call(CallId::Lock2)).is_err());
        assert!(plan.on_call(&gate, &call(CallId::Lock2)).is_err());
        assert!(gate.quiet(), "an exhausted fault is no longer an armed hook");
        assert!(plan.on_call(&gate, &call(CallId::Lock2)).is_ok());
    }

    #[test]
    fn validation() {
        let ok = NtStatus::SUCCESS;
        assert!(Fault::new(CallId::Lock2, FaultAction::ReturnStatus(ok)).validate().is_err());
        assert!(Fault::new(CallId::CreateDevice, FaultAction::RemoveDevice).validate().is_err());
        assert!(Fault::new(CallId::OpenAdapter, FaultAction::RemoveDevice).validate().is_err());
        assert!(Fault::new(CallId::OpenAdapter, FaultAction::ResetAdapter).validate().is_err());
        assert!(Fault::new(CallId::CreateDevice, FaultAction::ResetAdapter).validate().is_ok());
        assert!(Fault::new(CallId::Unlock, FaultAction::RemoveDevice).validate().is_ok());
    }

    #[test]
    fn return_status_wins_over_side_effects() {
        let (gate, plan) = (Gate::default(), FaultPlan::default());
        plan.arm(&gate, Fault::new(CallId::Lock2, FaultAction::RemoveDevice)).unwrap();
        plan.arm(&gate, Fault::new(CallId::Lock2, busy())).unwrap();
        let lock2 = call(CallId::Lock2);
        assert_eq!(plan.on_call(&gate, &lock2), Err(Error::injected(NtStatus::GRAPHICS_ALLOCATION_BUSY)));
        plan.arm(&gate, Fault::new(CallId::Lock2, FaultAction::RemoveDevice)).unwrap();
        assert_eq!(plan.on_call(&gate, &lock2).unwrap(), Fired { remove_device: true, reset_adapter: false });
        plan.arm(&gate, Fault::new(CallId::Lock2, busy()).count(5)).unwrap();
        plan.clear(&gate);
        assert!(gate.quiet());
    }
}
