//! The `SIMKMT_` extension: simulator control from C, and the decoding of
//! its numberings (`SIMKMT_BUSY_*`, `SIMKMT_CALL_*`, `SIMKMT_FAULT_*`, the
//! zero-means-default fields of `SIMKMT_CONFIG` and `SIMKMT_FAULT`).

use core::ptr::addr_of_mut;
use std::time::Duration;

use super::allocation::{SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE, SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT};
use super::args::{export, read_arg, required_bytes, CArray};
use super::try_current;
use super::types::*;
use crate::config::{AdapterKind, AdapterProfile, HwScheduling, MAX_NODES, MAX_UMD_PRIVATE_BYTES};
use crate::error::{Error, ErrorKind, Result};
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
        11 => CallId::CreateContext,
        12 => CallId::DestroyContext,
        13 => CallId::QueryAdapterInfo,
        14 => CallId::EnumAdapters,
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
        .busy_policy(busy_policy_of(c.BusyPolicy).ok_or(ErrorKind::InvalidParameter("unknown busy policy"))?)
        .wait_timeout(match c.WaitTimeoutMs {
            0 => defaults.wait_timeout,
            ms => Duration::from_millis(u64::from(ms)),
        })
        .adapter_memory(if c.AdapterMemoryBytes == 0 { defaults.adapter_memory } else { c.AdapterMemoryBytes })
        .seed(c.Seed);
    config.validate()?;
    Ok(config)
}

/// The profile a `SIMKMT_ADAPTER_DESC` describes, zero fields defaulted.
///
/// # Safety
///
/// Its description is NULL or a NUL-terminated string; its UMD-private
/// pointer is NULL or readable for its size.
unsafe fn profile_from_c(d: &SIMKMT_ADAPTER_DESC) -> Result<AdapterProfile> {
    let bad = |why| Error::from(ErrorKind::InvalidParameter(why));
    if (d.Size as usize) < core::mem::size_of::<SIMKMT_ADAPTER_DESC>() {
        return Err(bad("SIMKMT_ADAPTER_DESC.Size is too small"));
    }
    if d.Reserved != 0 {
        return Err(bad("SIMKMT_ADAPTER_DESC.Reserved must be 0"));
    }
    let defaults = AdapterProfile::default();
    let or = |v: u32, d: u32| if v == 0 { d } else { v };
    let kind = match d.Kind {
        0 => AdapterKind::Render,
        1 => AdapterKind::RenderAndDisplay,
        2 => AdapterKind::ComputeOnly,
        3 => AdapterKind::DisplayOnly,
        _ => return Err(bad("unknown SIMKMT_ADAPTER_KIND")),
    };
    let hw = match d.HwScheduling {
        0 => HwScheduling::Unsupported,
        1 => HwScheduling::Supported,
        2 => HwScheduling::Enabled,
        _ => return Err(bad("unknown SIMKMT_HWSCH value")),
    };
    let nodes = or(d.NodeCount, 1) as usize;
    if nodes > MAX_NODES {
        return Err(bad("an adapter has 1..=8 nodes"));
    }
    let engines: Vec<u32> = d.EnginesPerNode[..nodes].iter().map(|&e| or(e, 1)).collect();
    let mut profile = defaults
        .clone()
        .kind(kind)
        .hw_scheduling(hw)
        .engines_per_node(&engines)
        .ids(or(d.VendorId, defaults.vendor_id), or(d.DeviceId, defaults.device_id))
        .driver_version(or(d.DriverVersion, defaults.driver_version));
    profile.sub_vendor_id = d.SubVendorId;
    profile.sub_system_id = d.SubSystemId;
    profile.revision_id = or(d.RevisionId, defaults.revision_id);
    if !d.pDescription.is_null() {
        // SAFETY: the caller's promise: a NUL-terminated string.
        let text = unsafe { core::ffi::CStr::from_ptr(d.pDescription) };
        profile = profile.description(text.to_str().map_err(|_| bad("the description is not UTF-8"))?);
    }
    // Before the blob is read (`validate` checks it again, for Rust callers).
    if d.UmdPrivateDataSize as usize > MAX_UMD_PRIVATE_BYTES {
        return Err(bad("the UMD-private blob is at most 64 KiB"));
    }
    // SAFETY: the caller's promise: `UmdPrivateDataSize` readable bytes.
    let blob = unsafe {
        required_bytes(d.pUmdPrivateData, d.UmdPrivateDataSize, "pUmdPrivateData is NULL with a non-zero size")
    }?;
    profile = profile.umd_private(blob);
    profile.validate()?;
    Ok(profile)
}

/// The configuration a `SimKmtReset` argument describes: a 40-byte
/// `SIMKMT_CONFIG`, or a `SIMKMT_CONFIG_EX` when its `Size` covers one.
///
/// # Safety
///
/// `p` is non-NULL and readable for `Size` bytes (at least its `Size`
/// field); the pointers of a `SIMKMT_CONFIG_EX` are valid as documented.
unsafe fn reset_config(p: *const SIMKMT_CONFIG) -> Result<SimConfig> {
    // `Size` first: a smaller struct must not be read past its end.
    // SAFETY: non-NULL; every SIMKMT_CONFIG starts with its Size.
    let size = unsafe { p.cast::<u32>().read_unaligned() } as usize;
    if size < core::mem::size_of::<SIMKMT_CONFIG>() {
        return Err(ErrorKind::InvalidParameter("SIMKMT_CONFIG.Size is too small").into());
    }
    // SAFETY: non-NULL and, by its Size, a whole SIMKMT_CONFIG.
    let mut config = config_from_c(unsafe { read_arg(p) }?)?;
    if size >= core::mem::size_of::<SIMKMT_CONFIG_EX>() {
        // SAFETY: by its Size, a whole SIMKMT_CONFIG_EX.
        let ex = unsafe { read_arg(p.cast::<SIMKMT_CONFIG_EX>()) }?;
        if ex.Reserved != 0 {
            return Err(ErrorKind::InvalidParameter("SIMKMT_CONFIG_EX.Reserved must be 0").into());
        }
        if ex.NumAdapterDescs > config.adapter_count {
            return Err(ErrorKind::InvalidParameter("more adapter descriptions than adapters").into());
        }
        if ex.NumAdapterDescs > 0 && ex.pAdapterDescs.is_null() {
            return Err(ErrorKind::InvalidParameter("pAdapterDescs is NULL").into());
        }
        for i in 0..ex.NumAdapterDescs as usize {
            // SAFETY: `NumAdapterDescs` readable entries, the caller's promise.
            let desc = unsafe { ex.pAdapterDescs.add(i).read_unaligned() };
            // SAFETY: the entry's pointers, the caller's promise.
            config = config.adapter_profile(i, unsafe { profile_from_c(&desc) }?);
        }
    }
    config.validate()?;
    Ok(config)
}

export! {
    /// `SimKmtReset`: replaces the process-wide simulator (NULL: built-in
    /// defaults), destroying every object. Validates first and keeps the
    /// old simulator on failure; atomic with respect to every other call.
    /// A `SIMKMT_CONFIG_EX` (by its `Size`) also sets adapter profiles.
    fn SimKmtReset(p: *const SIMKMT_CONFIG) {
        let config = if p.is_null() {
            SimConfig::default()
        } else {
            // SAFETY: the caller's promise, forwarded.
            unsafe { reset_config(p) }?
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
        let fence = try_current()?.engine().submit(args.hDevice, &list)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).FenceValue).write_unaligned(fence) };
        Ok(())
    }
}

export! {
    /// `SimKmtCompleteFence`: completes the device's work up to the value.
    fn SimKmtCompleteFence(hDevice: D3DKMT_HANDLE, FenceValue: u64) {
        try_current()?.engine().complete_fence(hDevice, FenceValue)
    }
}

export! {
    /// `SimKmtRemoveDevice`: `ExecutionState` 0 means RESET; 2..=7 remove.
    fn SimKmtRemoveDevice(hDevice: D3DKMT_HANDLE, ExecutionState: u32) {
        let reason = match ExecutionState {
            0 => ExecutionState::Reset,
            raw => ExecutionState::from_raw(raw).ok_or(ErrorKind::InvalidParameter("not an execution state"))?,
        };
        try_current()?.engine().remove_device(hDevice, reason)
    }
}

export! {
    /// `SimKmtResetAdapter`: a TDR on the adapter.
    fn SimKmtResetAdapter(hAdapter: D3DKMT_HANDLE) {
        try_current()?.engine().reset_adapter(hAdapter)
    }
}

export! {
    /// `SimKmtRemoveAdapter`: surprise removal of the adapter.
    fn SimKmtRemoveAdapter(hAdapter: D3DKMT_HANDLE) {
        try_current()?.engine().remove_adapter(hAdapter)
    }
}

/// The `SIMKMT_CONFIG` of a configuration (every field filled in, never 0
/// for "default"), with the caller's `Size`.
fn config_to_c(c: &SimConfig, size: u32) -> SIMKMT_CONFIG {
    SIMKMT_CONFIG {
        Size: size,
        AdapterCount: c.adapter_count,
        PageSize: c.page_size,
        MaxLockReferences: c.max_lock_references,
        BusyPolicy: match c.busy_policy {
            BusyPolicy::Fail => SIMKMT_BUSY_FAIL,
            BusyPolicy::Wait => SIMKMT_BUSY_WAIT,
            BusyPolicy::Ignore => SIMKMT_BUSY_IGNORE,
        },
        // At most u32::MAX ms (validated), so the conversion is exact.
        WaitTimeoutMs: u32::try_from(c.wait_timeout.as_millis()).unwrap_or(u32::MAX),
        AdapterMemoryBytes: c.adapter_memory,
        Seed: c.seed,
    }
}

export! {
    /// `SimKmtQueryConfig`: the configuration the process-wide simulator
    /// runs with (the defaults, `D3DKMT_SIM_CONFIG`, or the last
    /// `SimKmtReset`), as a `SIMKMT_CONFIG` with every field filled in.
    /// NULL or a `Size` below 40 is `INVALID_PARAMETER`; a larger `Size`
    /// (a `SIMKMT_CONFIG_EX`) gets its first 40 bytes written and keeps
    /// its `Size`: adapter profiles are not reported.
    fn SimKmtQueryConfig(pConfig: *mut SIMKMT_CONFIG) {
        if pConfig.is_null() {
            return Err(ErrorKind::InvalidParameter("NULL argument").into());
        }
        // SAFETY: non-NULL; every SIMKMT_CONFIG starts with its Size.
        let size = unsafe { pConfig.cast::<u32>().read_unaligned() };
        if (size as usize) < core::mem::size_of::<SIMKMT_CONFIG>() {
            return Err(ErrorKind::InvalidParameter("SIMKMT_CONFIG.Size is too small").into());
        }
        let out = config_to_c(&try_current()?.config(), size);
        // SAFETY: non-NULL and, by its Size, a whole writable SIMKMT_CONFIG.
        unsafe { pConfig.write_unaligned(out) };
        Ok(())
    }
}

export! {
    /// `SimKmtQueryAllocation`: an allocation's size, lock count and busy
    /// state.
    fn SimKmtQueryAllocation(hDevice: D3DKMT_HANDLE, hAllocation: D3DKMT_HANDLE, pInfo: *mut SIMKMT_ALLOCATION_INFO) {
        if pInfo.is_null() {
            return Err(ErrorKind::InvalidParameter("NULL argument").into());
        }
        let info = try_current()?.engine().query_allocation(hDevice, hAllocation)?;
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
        let call = call_of(f.Call).ok_or(ErrorKind::InvalidParameter("unknown SIMKMT_CALL"))?;
        let action = match f.Action {
            SIMKMT_FAULT_RETURN_STATUS => FaultAction::ReturnStatus(NtStatus(f.Status)),
            SIMKMT_FAULT_REMOVE_DEVICE => FaultAction::RemoveDevice,
            SIMKMT_FAULT_RESET_ADAPTER => FaultAction::ResetAdapter,
            _ => return Err(ErrorKind::InvalidParameter("unknown SIMKMT_FAULT action").into()),
        };
        if f.Reserved != 0 {
            return Err(ErrorKind::InvalidParameter("SIMKMT_FAULT.Reserved must be 0").into());
        }
        try_current()?.engine().inject_fault(Fault::new(call, action).nth(f.Nth).count(f.Count))
    }
}
