//! The `SIMKMT_` extension: simulator control from C, and the decoding of
//! its numberings (`SIMKMT_BUSY_*`, `SIMKMT_CALL_*`, `SIMKMT_FAULT_*`, the
//! zero-means-default fields of `SIMKMT_CONFIG` and `SIMKMT_FAULT`).

use core::ptr::addr_of_mut;
use std::time::Duration;

use super::allocation::{SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE, SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT};
use super::args::{export, read_arg, CArray};
use super::current;
use super::types::*;
use crate::error::{Error, Result};
use crate::status::NtStatus;
use crate::{BusyPolicy, CallId, ExecutionState, Fault, FaultAction, Placement, SimConfig};

/// `SIMKMT_BUSY_FAIL`.
pub const SIMKMT_BUSY_FAIL: u32 = 0;
/// `SIMKMT_BUSY_WAIT`.
pub const SIMKMT_BUSY_WAIT: u32 = 1;
/// `SIMKMT_BUSY_IGNORE`.
pub const SIMKMT_BUSY_IGNORE: u32 = 2;

/// The entry point of a `SIMKMT_CALL_*` value.
fn call_of(raw: u32) -> Option<CallId> {
    Some(match raw {
        1 => CallId::Lock2,
        2 => CallId::Unlock2,
        3 => CallId::Lock,
        4 => CallId::Unlock,
        5 => CallId::CreateAllocation,
        6 => CallId::DestroyAllocation,
        7 => CallId::CreateDevice,
        8 => CallId::DestroyDevice,
        9 => CallId::OpenAdapter,
        10 => CallId::GetDeviceState,
        _ => return None,
    })
}

/// The policy of a `SIMKMT_BUSY_*` value.
fn busy_policy_of(raw: u32) -> Option<BusyPolicy> {
    match raw {
        SIMKMT_BUSY_FAIL => Some(BusyPolicy::Fail),
        SIMKMT_BUSY_WAIT => Some(BusyPolicy::Wait),
        SIMKMT_BUSY_IGNORE => Some(BusyPolicy::Ignore),
        _ => None,
    }
}

/// A `SIMKMT_CONFIG`, with its zero-means-default fields filled in.
fn config_from_c(c: SIMKMT_CONFIG) -> Result<SimConfig> {
    let defaults = SimConfig::default();
    let or = |v: u32, d: u32| if v == 0 { d } else { v };
    let config = SimConfig::default()
        .adapters(or(c.AdapterCount, defaults.adapter_count))
        .page_size(or(c.PageSize, defaults.page_size))
        .max_lock_references(or(c.MaxLockReferences, defaults.max_lock_references))
        .busy_policy(busy_policy_of(c.BusyPolicy).ok_or(Error::InvalidParameter("unknown busy policy"))?)
        .wait_timeout(match c.WaitTimeoutMs {
            0 => defaults.wait_timeout,
            ms => Duration::from_millis(u64::from(ms)),
        })
        .adapter_memory(if c.AdapterMemoryBytes == 0 { defaults.adapter_memory } else { c.AdapterMemoryBytes })
        .seed(c.Seed);
    config.validate()?;
    Ok(config)
}

export! {
    /// `SimKmtReset`: replaces the process-wide simulator (NULL: built-in
    /// defaults), destroying every object. Validates first and keeps the
    /// old simulator on failure; atomic with respect to every other call.
    fn SimKmtReset(p: *const SIMKMT_CONFIG) {
        let config = if p.is_null() {
            SimConfig::default()
        } else {
            // `Size` first: a smaller struct must not be read past its end.
            // SAFETY: non-NULL; every SIMKMT_CONFIG starts with its Size.
            let size = unsafe { p.cast::<u32>().read_unaligned() };
            if (size as usize) < core::mem::size_of::<SIMKMT_CONFIG>() {
                return Err(Error::InvalidParameter("SIMKMT_CONFIG.Size is too small"));
            }
            // SAFETY: non-NULL and, by its Size, a whole SIMKMT_CONFIG.
            config_from_c(unsafe { read_arg(p) }?)?
        };
        super::reset_current(config)
    }
}

export! {
    /// `SimKmtSubmit`: queues work referencing the listed allocations.
    fn SimKmtSubmit(p: *mut SIMKMT_SUBMIT) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: the handles the engine reads are the caller's; a NULL list
        // is an empty one, which the engine rejects.
        let list = unsafe { CArray::or_empty(args.phAllocations, args.NumAllocations) };
        let fence = current().engine().submit(args.hDevice, &list)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).FenceValue).write_unaligned(fence) };
        Ok(())
    }
}

export! {
    /// `SimKmtCompleteFence`: completes the device's work up to the value.
    fn SimKmtCompleteFence(hDevice: D3DKMT_HANDLE, FenceValue: u64) {
        current().engine().complete_fence(hDevice, FenceValue)
    }
}

export! {
    /// `SimKmtRemoveDevice`: `ExecutionState` 0 means RESET; 2..=7 remove.
    fn SimKmtRemoveDevice(hDevice: D3DKMT_HANDLE, ExecutionState: u32) {
        let reason = match ExecutionState {
            0 => ExecutionState::Reset,
            raw => ExecutionState::from_raw(raw).ok_or(Error::InvalidParameter("not an execution state"))?,
        };
        current().engine().remove_device(hDevice, reason)
    }
}

export! {
    /// `SimKmtResetAdapter`: a TDR on the adapter.
    fn SimKmtResetAdapter(hAdapter: D3DKMT_HANDLE) {
        current().engine().reset_adapter(hAdapter)
    }
}

export! {
    /// `SimKmtRemoveAdapter`: surprise removal of the adapter.
    fn SimKmtRemoveAdapter(hAdapter: D3DKMT_HANDLE) {
        current().engine().remove_adapter(hAdapter)
    }
}

export! {
    /// `SimKmtQueryAllocation`: an allocation's size, lock count and busy
    /// state.
    fn SimKmtQueryAllocation(hDevice: D3DKMT_HANDLE, hAllocation: D3DKMT_HANDLE, pInfo: *mut SIMKMT_ALLOCATION_INFO) {
        if pInfo.is_null() {
            return Err(Error::InvalidParameter("NULL argument"));
        }
        let info = current().engine().query_allocation(hDevice, hAllocation)?;
        let out = SIMKMT_ALLOCATION_INFO {
            SizeInBytes: info.size,
            PageCount: info.page_count as u32,
            LockCount: info.lock_count,
            Busy: u32::from(info.busy),
            Flags: if info.cpu_visible { 0 } else { SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE }
                | if info.placement == Placement::System { SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT } else { 0 },
        };
        // SAFETY: `pInfo` is non-NULL and, by contract, writable.
        unsafe { pInfo.write_unaligned(out) };
        Ok(())
    }
}

export! {
    /// `SimKmtInjectFault`: arms a fault on the process-wide simulator.
    fn SimKmtInjectFault(p: *const SIMKMT_FAULT) {
        // SAFETY: the caller's promise; NULL is rejected.
        let f = unsafe { read_arg(p) }?;
        let call = call_of(f.Call).ok_or(Error::InvalidParameter("unknown SIMKMT_CALL"))?;
        let action = match f.Action {
            SIMKMT_FAULT_RETURN_STATUS => FaultAction::ReturnStatus(NtStatus(f.Status)),
            SIMKMT_FAULT_REMOVE_DEVICE => FaultAction::RemoveDevice,
            SIMKMT_FAULT_RESET_ADAPTER => FaultAction::ResetAdapter,
            _ => return Err(Error::InvalidParameter("unknown SIMKMT_FAULT action")),
        };
        if f.Reserved != 0 {
            return Err(Error::InvalidParameter("SIMKMT_FAULT.Reserved must be 0"));
        }
        current().engine().inject_fault(Fault::new(call, action).nth(f.Nth).count(f.Count))
    }
}
