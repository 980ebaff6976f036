//! Per-simulator fault injection (abi.md §9, `SimKmtInjectFault`).
//!
//! A [`Fault`] names an entry point, fires on the Nth matching call from the
//! time it is armed and keeps firing for `count` consecutive matching calls.
//! Faults belong to one [`crate::Simulator`]; nothing is process-global, so
//! tests with faults run in parallel. When no fault is armed, an entry point
//! pays one relaxed load of a read-mostly word.

use crate::error::{Error, Result};
use crate::status::NtStatus;
use crate::sync::{AtomicU32, Mutex, Ordering};

/// The entry points a fault can target (`SIMKMT_CALL_*`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCall {
    /// `D3DKMTLock2` (1).
    Lock2,
    /// `D3DKMTUnlock2` (2).
    Unlock2,
    /// `D3DKMTLock` (3).
    Lock,
    /// `D3DKMTUnlock` (4).
    Unlock,
    /// `D3DKMTCreateAllocation(2)` (5).
    CreateAllocation,
    /// `D3DKMTDestroyAllocation2` (6).
    DestroyAllocation,
    /// `D3DKMTCreateDevice` (7).
    CreateDevice,
    /// `D3DKMTDestroyDevice` (8).
    DestroyDevice,
    /// `D3DKMTOpenAdapterFromLuid` (9).
    OpenAdapter,
    /// `D3DKMTGetDeviceState` (10).
    GetDeviceState,
}

impl FaultCall {
    /// Parses a `SIMKMT_CALL_*` value.
    ///
    /// ```
    /// use d3dkmt_sim::FaultCall;
    /// assert_eq!(FaultCall::from_raw(1), Some(FaultCall::Lock2));
    /// assert_eq!(FaultCall::from_raw(11), None);
    /// ```
    pub const fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            1 => FaultCall::Lock2,
            2 => FaultCall::Unlock2,
            3 => FaultCall::Lock,
            4 => FaultCall::Unlock,
            5 => FaultCall::CreateAllocation,
            6 => FaultCall::DestroyAllocation,
            7 => FaultCall::CreateDevice,
            8 => FaultCall::DestroyDevice,
            9 => FaultCall::OpenAdapter,
            10 => FaultCall::GetDeviceState,
            _ => return None,
        })
    }

    /// Whether the call names a device (so `RemoveDevice` can act on it).
    pub const fn names_device(self) -> bool {
        !matches!(self, FaultCall::OpenAdapter | FaultCall::CreateDevice)
    }
}

/// What a fault does when it fires.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Return this (failure) status instead; the call changes nothing.
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
/// let adapter = sim.enum_adapters(1).unwrap()[0].handle;
/// let device = sim.create_device(adapter).unwrap();
/// let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
/// // The second Lock2 from now fails with ALLOCATION_BUSY.
/// sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(NtStatus::GRAPHICS_ALLOCATION_BUSY)).nth(2)).unwrap();
/// assert!(sim.lock2(device, alloc).is_ok());
/// assert_eq!(sim.lock2(device, alloc).unwrap_err(), Error::Injected(NtStatus::GRAPHICS_ALLOCATION_BUSY));
/// assert!(sim.lock2(device, alloc).is_ok());
/// ```
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
    pub const fn new(call: FaultCall, action: FaultAction) -> Self {
        Fault { call, nth: 1, count: 1, action }
    }
    /// Fire on the `nth` matching call from now (0 means 1).
    pub const fn nth(mut self, nth: u32) -> Self {
        self.nth = if nth == 0 { 1 } else { nth };
        self
    }
    /// Fire on `count` consecutive calls (0 means 1).
    pub const fn count(mut self, count: u32) -> Self {
        self.count = if count == 0 { 1 } else { count };
        self
    }

    /// The validation of abi.md §9.
    pub(crate) fn validate(&self) -> Result<()> {
        match self.action {
            FaultAction::ReturnStatus(s) if s.is_ok() => {
                Err(Error::InvalidParameter("a RETURN_STATUS fault needs a failure status"))
            }
            FaultAction::RemoveDevice if !self.call.names_device() => {
                Err(Error::InvalidParameter("REMOVE_DEVICE needs a call that names a device"))
            }
            FaultAction::ResetAdapter if self.call == FaultCall::OpenAdapter => {
                Err(Error::InvalidParameter("RESET_ADAPTER needs a call that names a device or adapter"))
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
    /// Number of armed faults; the only thing a call reads when it is 0.
    armed: AtomicU32,
    faults: Mutex<Vec<Armed>>,
}

/// The side effects of the faults that fired on one call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fired {
    pub(crate) remove_device: bool,
    pub(crate) reset_adapter: bool,
}

impl FaultPlan {
    /// True when at least one fault is armed.
    #[inline(always)]
    pub(crate) fn any_armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed) != 0
    }

    pub(crate) fn arm(&self, fault: Fault) -> Result<()> {
        fault.validate()?;
        let fault = fault.nth(fault.nth).count(fault.count);
        let mut faults = self.faults.lock();
        faults.push(Armed { fault, seen: 0 });
        self.armed.store(faults.len() as u32, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn clear(&self) {
        let mut faults = self.faults.lock();
        faults.clear();
        self.armed.store(0, Ordering::Relaxed);
    }

    /// Counts one call of `call` against every armed fault. The first
    /// `ReturnStatus` fault that fires decides the call's status (and the
    /// other actions that fired with it are dropped: that call changes
    /// nothing); otherwise the side effects of every fired fault are
    /// returned for the caller to apply. Exhausted faults are disarmed.
    pub(crate) fn on_call(&self, call: FaultCall) -> Result<Fired> {
        let mut faults = self.faults.lock();
        let mut fired = Fired::default();
        let mut status = None;
        #[cfg(test)]
        let mut panic = false;
        for armed in faults.iter_mut().filter(|a| a.fault.call == call) {
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
        faults.retain(|a| a.seen + 1 < u64::from(a.fault.nth) + u64::from(a.fault.count));
        self.armed.store(faults.len() as u32, Ordering::Relaxed);
        drop(faults);
        #[cfg(test)]
        if panic {
            panic!("injected panic");
        }
        match status {
            Some(s) => Err(Error::Injected(s)),
            None => Ok(fired),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> FaultAction {
        FaultAction::ReturnStatus(NtStatus::GRAPHICS_ALLOCATION_BUSY)
    }

    #[test]
    fn fires_on_nth_for_count_then_disarms() {
        let plan = FaultPlan::default();
        plan.arm(Fault::new(FaultCall::Lock2, busy()).nth(2).count(2)).unwrap();
        assert!(plan.on_call(FaultCall::Unlock2).is_ok(), "other calls do not count");
        assert!(plan.on_call(FaultCall::Lock2).is_ok());
        assert!(plan.on_call(FaultCall::Lock2).is_err());
        assert!(plan.on_call(FaultCall::Lock2).is_err());
        assert!(!plan.any_armed());
        assert!(plan.on_call(FaultCall::Lock2).is_ok());
    }

    #[test]
    fn validation() {
        let ok = NtStatus::SUCCESS;
        assert!(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(ok)).validate().is_err());
        assert!(Fault::new(FaultCall::CreateDevice, FaultAction::RemoveDevice).validate().is_err());
        assert!(Fault::new(FaultCall::OpenAdapter, FaultAction::RemoveDevice).validate().is_err());
        assert!(Fault::new(FaultCall::OpenAdapter, FaultAction::ResetAdapter).validate().is_err());
        assert!(Fault::new(FaultCall::CreateDevice, FaultAction::ResetAdapter).validate().is_ok());
        assert!(Fault::new(FaultCall::Unlock, FaultAction::RemoveDevice).validate().is_ok());
    }

    #[test]
    fn return_status_wins_over_side_effects() {
        let plan = FaultPlan::default();
        plan.arm(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
        plan.arm(Fault::new(FaultCall::Lock2, busy())).unwrap();
        assert_eq!(plan.on_call(FaultCall::Lock2), Err(Error::Injected(NtStatus::GRAPHICS_ALLOCATION_BUSY)));
        plan.arm(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
        assert_eq!(plan.on_call(FaultCall::Lock2).unwrap(), Fired { remove_device: true, reset_adapter: false });
    }
}
