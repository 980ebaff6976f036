//! The C ABI: the real `D3DKMT*` entry points plus the `SIMKMT_` extension
//! (abi.md §1–§9), as a thin skin over [`crate::Simulator`].
//!
//! This layer only translates: it checks argument pointers for NULL, copies C
//! structs in and out, turns C arrays into slices and calls the matching
//! `*_raw` engine function, which owns every contract rule and the check
//! order (including fault counting). Outputs are written only on success.
//! Every export runs inside `catch_unwind`, so no panic crosses the ABI: a
//! caught panic returns `STATUS_INTERNAL_ERROR` and the simulator stays
//! usable.
//!
//! # The process-wide simulator
//!
//! C has no simulator instances, so the exports act on one process-wide
//! [`Simulator`] in a `OnceLock`: the lock path pays one load to reach it,
//! never a lock. It is created on first use from the environment variable
//! `D3DKMT_SIM_CONFIG` (syntax in [`SimConfig::parse`]; a malformed value is
//! reported once on stderr and the built-in defaults are used), and
//! `SimKmtReset` resets it in place (as [`Simulator::reset`]): its memory is
//! never freed, so a call racing a reset on another thread still reads
//! valid memory, and resetting a million times costs nothing that grows.
//!
//! # The hot exports
//!
//! `D3DKMTLock2` and `D3DKMTUnlock2` first try the engine's fast path
//! (`Simulator::lock2_fast`), which decides the success and the common
//! errors with loads, compares and one CAS and so cannot panic; anything
//! else goes to a cold function that runs the whole call inside
//! `catch_unwind`. The success path thus pays no landing pad and no
//! register spills for the slow path.
#![allow(unsafe_code, non_snake_case)]

pub mod types;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{addr_of_mut, null_mut};
use std::time::Duration;

use windows_sys::Wdk::Graphics::Direct3D::*;
use windows_sys::Win32::Foundation::LUID;

pub use self::types::*;
use crate::error::{Error, Result};
use crate::fault::{Fault, FaultAction, FaultCall};
use crate::mem::SystemMemory;
use crate::objects::{AllocationDesc, ExecutionState, Luid, Pages};
use crate::status::NtStatus;
use crate::sync::OnceLock;
use crate::{BusyPolicy, SimConfig, Simulator};

static SIM: OnceLock<Simulator> = OnceLock::new();

/// The process-wide simulator the C ABI acts on.
///
/// ```
/// let sim = d3dkmt_sim::ffi::current();
/// assert!(sim.adapter_count() >= 1);
/// ```
#[inline(always)]
pub fn current() -> &'static Simulator {
    SIM.get_or_init(first_use)
}

/// Builds the process-wide simulator from `D3DKMT_SIM_CONFIG`.
#[cold]
fn first_use() -> Simulator {
    let config = match std::env::var("D3DKMT_SIM_CONFIG") {
        Ok(text) => SimConfig::parse(&text).unwrap_or_else(|e| {
            report(&format!("{e}; using the built-in defaults"));
            SimConfig::default()
        }),
        Err(std::env::VarError::NotUnicode(_)) => {
            report("the value is not UTF-8; using the built-in defaults");
            SimConfig::default()
        }
        Err(std::env::VarError::NotPresent) => SimConfig::default(),
    };
    Simulator::new(config).unwrap_or_else(|_| default_simulator())
}

/// One line on stderr about `D3DKMT_SIM_CONFIG`; a failing stderr is ignored
/// (this runs once, when the simulator is created).
fn report(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "d3dkmt-sim: D3DKMT_SIM_CONFIG: {message}");
}

fn default_simulator() -> Simulator {
    match Simulator::new(SimConfig::default()) {
        Ok(sim) => sim,
        Err(_) => unreachable!("the built-in defaults are valid"),
    }
}

/// Resets the process-wide simulator to `config` (what `SimKmtReset` does).
///
/// ```
/// use d3dkmt_sim::{ffi, SimConfig};
/// ffi::reset_current(SimConfig::default().adapters(2)).unwrap();
/// assert_eq!(ffi::current().adapter_count(), 2);
/// ```
pub fn reset_current(config: SimConfig) -> Result<()> {
    current().reset_shared(config)
}

/// Runs an export's body: maps its result to a status and turns a panic
/// into `STATUS_INTERNAL_ERROR`.
#[inline(always)]
fn guarded(body: impl FnOnce() -> Result<()>) -> NTSTATUS {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => NtStatus::SUCCESS.0,
        Ok(Err(e)) => error_status(e),
        Err(_) => NtStatus::INTERNAL_ERROR.0,
    }
}

#[cold]
fn error_status(error: Error) -> NTSTATUS {
    error.status().0
}

/// Reads a C argument struct; NULL is `STATUS_INVALID_PARAMETER`.
///
/// # Safety
///
/// A non-NULL `p` must point to a readable `T`.
#[inline(always)]
unsafe fn read_arg<T: Copy>(p: *const T) -> Result<T> {
    if p.is_null() {
        return Err(Error::InvalidParameter("NULL argument"));
    }
    // SAFETY: non-NULL, and the caller promises a readable T.
    Ok(unsafe { p.read_unaligned() })
}

/// A C array as a slice: `None` for NULL with a non-zero count; an empty
/// slice for a zero count.
///
/// # Safety
///
/// A non-NULL `p` must point to `n` readable `T`s that stay unchanged for
/// the call.
unsafe fn c_array<'a, T>(p: *const T, n: u32) -> Option<&'a [T]> {
    if n == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        // SAFETY: the caller's promise; `n` > 0 and `p` non-NULL.
        Some(unsafe { core::slice::from_raw_parts(p, n as usize) })
    }
}

macro_rules! export {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// Every non-NULL pointer argument, and every pointer inside a
        /// struct argument that the contract reads or writes, must be valid
        /// for that access for the duration of the call, as with the
        /// Windows thunk of the same name.
        #[no_mangle]
        pub unsafe extern "system" fn $name($($arg: $ty),*) -> NTSTATUS {
            guarded(|| $body)
        }
    };
}

// === adapters ===

export! {
    /// `D3DKMTEnumAdapters2`: with `pAdapters == NULL` writes the adapter
    /// count; with room for every adapter opens one handle each.
    fn D3DKMTEnumAdapters2(p: *mut D3DKMT_ENUMADAPTERS2) {
        let args = unsafe { read_arg(p) }?;
        let sim = current();
        if args.pAdapters.is_null() {
            // SAFETY: `p` was checked non-NULL by `read_arg`.
            unsafe { addr_of_mut!((*p).NumAdapters).write(sim.adapter_count() as u32) };
            return Ok(());
        }
        let adapters = sim.enum_adapters(args.NumAdapters as usize)?;
        for (i, info) in adapters.iter().enumerate() {
            let entry = D3DKMT_ADAPTERINFO {
                hAdapter: info.handle.raw(),
                AdapterLuid: LUID { LowPart: info.luid.low, HighPart: info.luid.high },
                NumOfSources: 0,
                bPrecisePresentRegionsPreferred: 0,
            };
            // SAFETY: the caller gave room for `NumAdapters` >= len entries.
            unsafe { args.pAdapters.add(i).write_unaligned(entry) };
        }
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).NumAdapters).write(adapters.len() as u32) };
        Ok(())
    }
}

export! {
    /// `D3DKMTOpenAdapterFromLuid`.
    fn D3DKMTOpenAdapterFromLuid(p: *mut D3DKMT_OPENADAPTERFROMLUID) {
        let args = unsafe { read_arg(p) }?;
        let luid = Luid { low: args.AdapterLuid.LowPart, high: args.AdapterLuid.HighPart };
        let handle = current().open_adapter_from_luid(luid)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).hAdapter).write(handle.raw()) };
        Ok(())
    }
}

export! {
    /// `D3DKMTCloseAdapter`.
    fn D3DKMTCloseAdapter(p: *const D3DKMT_CLOSEADAPTER) {
        let args = unsafe { read_arg(p) }?;
        current().close_adapter_raw(args.hAdapter)
    }
}

// === devices ===

export! {
    /// `D3DKMTCreateDevice`. The legacy command buffer, allocation list and
    /// patch list outputs are NULL/0.
    fn D3DKMTCreateDevice(p: *mut D3DKMT_CREATEDEVICE) {
        let args = unsafe { read_arg(p) }?;
        // SAFETY: every bit pattern of the union is a valid u32.
        let adapter = unsafe { args.Anonymous.hAdapter };
        let device = current().create_device_raw(adapter)?;
        // SAFETY: `p` is non-NULL.
        unsafe {
            addr_of_mut!((*p).hDevice).write(device.raw());
            addr_of_mut!((*p).pCommandBuffer).write(null_mut());
            addr_of_mut!((*p).CommandBufferSize).write(0);
            addr_of_mut!((*p).pAllocationList).write(null_mut());
            addr_of_mut!((*p).AllocationListSize).write(0);
            addr_of_mut!((*p).pPatchLocationList).write(null_mut());
            addr_of_mut!((*p).PatchLocationListSize).write(0);
        }
        Ok(())
    }
}

export! {
    /// `D3DKMTDestroyDevice`: destroys the device's allocations too.
    fn D3DKMTDestroyDevice(p: *const D3DKMT_DESTROYDEVICE) {
        let args = unsafe { read_arg(p) }?;
        current().destroy_device_raw(args.hDevice)
    }
}

export! {
    /// `D3DKMTGetDeviceState` (`StateType` must be EXECUTION).
    fn D3DKMTGetDeviceState(p: *mut D3DKMT_GETDEVICESTATE) {
        let args = unsafe { read_arg(p) }?;
        let state = current().device_state_raw(args.hDevice, args.StateType as u32)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).Anonymous.ExecutionState).write(state.to_raw() as i32) };
        Ok(())
    }
}

// === allocations ===

/// `D3DKMT_CREATEALLOCATIONFLAGS` bits this layer looks at.
const CREATE_RESOURCE: u32 = 0x1;
const CREATE_SHARED: u32 = 0x2;
const STANDARD_ALLOCATION: u32 = 0x1_0000;

/// The fields of `D3DDDI_ALLOCATIONINFO` and `D3DDDI_ALLOCATIONINFO2` the
/// simulated kernel-mode driver reads and writes.
trait AllocationInfo {
    fn system_memory(&self) -> *const core::ffi::c_void;
    fn private_data(&self) -> (*const core::ffi::c_void, u32);
    fn set_handle(this: *mut Self, handle: u32);
}

impl AllocationInfo for D3DDDI_ALLOCATIONINFO2 {
    fn system_memory(&self) -> *const core::ffi::c_void {
        // SAFETY: both union members are plain pointer-sized values.
        unsafe { self.Anonymous1.pSystemMem }
    }
    fn private_data(&self) -> (*const core::ffi::c_void, u32) {
        (self.pPrivateDriverData, self.PrivateDriverDataSize)
    }
    fn set_handle(this: *mut Self, handle: u32) {
        // SAFETY: `this` is an element of the caller's array (see caller).
        unsafe { addr_of_mut!((*this).hAllocation).write(handle) }
    }
}

impl AllocationInfo for D3DDDI_ALLOCATIONINFO {
    fn system_memory(&self) -> *const core::ffi::c_void {
        self.pSystemMem
    }
    fn private_data(&self) -> (*const core::ffi::c_void, u32) {
        (self.pPrivateDriverData, self.PrivateDriverDataSize)
    }
    fn set_handle(this: *mut Self, handle: u32) {
        // SAFETY: as for D3DDDI_ALLOCATIONINFO2.
        unsafe { addr_of_mut!((*this).hAllocation).write(handle) }
    }
}

/// Decodes one allocation description. Called by the engine only after the
/// device checks (abi.md §4 order).
///
/// # Safety
///
/// `info` points into the caller's array; its private data pointer, if
/// non-NULL, is readable for `PrivateDriverDataSize` bytes, and for the
/// standard-allocation path `standard` is NULL or readable.
unsafe fn decode_allocation<I: AllocationInfo>(
    info: &I,
    flags: u32,
    standard: *const D3DKMT_CREATESTANDARDALLOCATION,
) -> Result<AllocationDesc> {
    if flags & (CREATE_RESOURCE | CREATE_SHARED) != 0 {
        return Err(Error::NotSupported("resources and shared allocations are not simulated"));
    }
    let mut desc = if flags & STANDARD_ALLOCATION != 0 {
        // SAFETY: the caller's promise about `standard`.
        let standard = unsafe { read_arg(standard) }?;
        if standard.Type != D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP {
            return Err(Error::InvalidParameter("only existing-heap standard allocations are supported"));
        }
        if info.system_memory().is_null() {
            return Err(Error::InvalidParameter("an existing-heap allocation needs pSystemMem"));
        }
        // SAFETY: the union has a single member.
        AllocationDesc::new(unsafe { standard.Anonymous.ExistingHeapData.Size } as u64)
    } else {
        let (data, size) = info.private_data();
        let bytes = if data.is_null() {
            None
        } else {
            // SAFETY: the caller's promise: `size` readable bytes at `data`.
            Some(unsafe { core::slice::from_raw_parts(data as *const u8, size as usize) })
        };
        AllocationDesc::from_private_data(bytes)?
    };
    let memory = info.system_memory();
    if !memory.is_null() {
        // SAFETY: abi.md §4: caller memory backs the allocation and stays
        // valid until destroy; C callers promise it for the size they asked
        // for, and the simulator touches no byte past that size.
        desc = desc.with_system_memory(unsafe { SystemMemory::new(memory as *mut u8, desc.size as usize) });
    }
    Ok(desc)
}

/// Both CreateAllocation flavours.
///
/// # Safety
///
/// As the exports: `p` and the arrays it points to are valid.
unsafe fn create_allocation<I: AllocationInfo>(p: *mut D3DKMT_CREATEALLOCATION, infos: *mut I) -> Result<()> {
    // SAFETY: the caller checked `p` non-NULL through read_arg.
    let args = unsafe { p.read_unaligned() };
    let flags = args.Flags._bitfield;
    // SAFETY: both union members are pointers.
    let standard = unsafe { args.Anonymous1.pStandardAllocation } as *const D3DKMT_CREATESTANDARDALLOCATION;
    let count = if infos.is_null() { 0 } else { args.NumAllocations as usize };
    let handles = current().create_allocations_with(args.hDevice, count, |i| {
        // SAFETY: i < NumAllocations elements of the caller's array.
        let info = unsafe { &*infos.add(i) };
        // SAFETY: forwarded caller promises.
        unsafe { decode_allocation(info, flags, standard) }
    })?;
    for (i, handle) in handles.iter().enumerate() {
        // SAFETY: i < NumAllocations elements of the caller's array.
        I::set_handle(unsafe { infos.add(i) }, handle.raw());
    }
    Ok(())
}

export! {
    /// `D3DKMTCreateAllocation2` (reads `pAllocationInfo2`).
    fn D3DKMTCreateAllocation2(p: *mut D3DKMT_CREATEALLOCATION) {
        let args = unsafe { read_arg(p) }?;
        // SAFETY: both union members are pointers.
        let infos = unsafe { args.Anonymous2.pAllocationInfo2 };
        unsafe { create_allocation(p, infos) }
    }
}

export! {
    /// `D3DKMTCreateAllocation` (reads `pAllocationInfo`, 40-byte entries).
    fn D3DKMTCreateAllocation(p: *mut D3DKMT_CREATEALLOCATION) {
        let args = unsafe { read_arg(p) }?;
        // SAFETY: both union members are pointers.
        let infos = unsafe { args.Anonymous2.pAllocationInfo };
        unsafe { create_allocation(p, infos) }
    }
}

export! {
    /// `D3DKMTDestroyAllocation2`: all or nothing; works on a removed device.
    fn D3DKMTDestroyAllocation2(p: *const D3DKMT_DESTROYALLOCATION2) {
        let args = unsafe { read_arg(p) }?;
        let list = unsafe { c_array(args.phAllocationList, args.AllocationCount) };
        current().destroy_allocations_raw(args.hDevice, args.hResource, list)
    }
}

// === locks ===

/// `D3DKMTLock2`.
///
/// # Safety
///
/// A non-NULL `p` must point to a `D3DKMT_LOCK2` valid for reads and writes
/// for the duration of the call, as with the Windows thunk.
#[no_mangle]
pub unsafe extern "system" fn D3DKMTLock2(p: *mut D3DKMT_LOCK2) -> NTSTATUS {
    if let (false, Some(sim)) = (p.is_null(), SIM.get()) {
        // SAFETY: non-NULL, and the caller promises a valid struct.
        let args = unsafe { p.read_unaligned() };
        // SAFETY: every bit pattern of the flags union is a valid u32.
        let flags = unsafe { args.Flags.Anonymous.Value };
        match sim.lock2_fast(args.hDevice, args.hAllocation, flags) {
            Some(Ok(mapping)) => {
                // SAFETY: as above; only the output field is written.
                unsafe { addr_of_mut!((*p).pData).write_unaligned(mapping.as_ptr().cast()) };
                return NtStatus::SUCCESS.0;
            }
            Some(Err(e)) => return error_status(e),
            None => {}
        }
    }
    // SAFETY: the caller's promise, forwarded.
    unsafe { lock2_cold(p) }
}

/// Every `D3DKMTLock2` the success path did not finish.
///
/// # Safety
///
/// As [`D3DKMTLock2`].
#[cold]
#[inline(never)]
unsafe fn lock2_cold(p: *mut D3DKMT_LOCK2) -> NTSTATUS {
    guarded(|| {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: every bit pattern of the flags union is a valid u32.
        let flags = unsafe { args.Flags.Anonymous.Value };
        let mapping = current().lock2_raw(args.hDevice, args.hAllocation, flags)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).pData).write_unaligned(mapping.as_ptr().cast()) };
        Ok(())
    })
}

/// `D3DKMTUnlock2`.
///
/// # Safety
///
/// A non-NULL `p` must point to a readable `D3DKMT_UNLOCK2`.
#[no_mangle]
pub unsafe extern "system" fn D3DKMTUnlock2(p: *const D3DKMT_UNLOCK2) -> NTSTATUS {
    if let (false, Some(sim)) = (p.is_null(), SIM.get()) {
        // SAFETY: non-NULL, and the caller promises a readable struct.
        let args = unsafe { p.read_unaligned() };
        match sim.unlock2_fast(args.hDevice, args.hAllocation) {
            Some(Ok(())) => return NtStatus::SUCCESS.0,
            Some(Err(e)) => return error_status(e),
            None => {}
        }
    }
    // SAFETY: the caller's promise, forwarded.
    unsafe { unlock2_cold(p) }
}

/// Every `D3DKMTUnlock2` the success path did not finish.
///
/// # Safety
///
/// As [`D3DKMTUnlock2`].
#[cold]
#[inline(never)]
unsafe fn unlock2_cold(p: *const D3DKMT_UNLOCK2) -> NTSTATUS {
    guarded(|| {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        current().unlock2_raw(args.hDevice, args.hAllocation)
    })
}

export! {
    /// `D3DKMTLock`, the legacy page-list lock.
    fn D3DKMTLock(p: *mut D3DKMT_LOCK) {
        let args = unsafe { read_arg(p) }?;
        // SAFETY: every bit pattern of the union is a valid u32.
        let flags = unsafe { args.Flags.Anonymous.Value };
        // With LockEntire (or no pages) the page list is not looked at, not
        // even turned into a slice.
        let pages = if flags & crate::LockFlags::LOCK_ENTIRE.bits() != 0 || args.NumPages == 0 {
            Pages::Entire
        } else {
            match unsafe { c_array(args.pPages, args.NumPages) } {
                Some(list) => Pages::List(list),
                None => Pages::List(&[]), // NULL list: the engine rejects it in order
            }
        };
        let mapping = current().lock_raw(args.hDevice, args.hAllocation, flags, pages)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).pData).write(mapping.as_ptr().cast()) };
        Ok(())
    }
}

export! {
    /// `D3DKMTUnlock`: one reference from each listed allocation.
    fn D3DKMTUnlock(p: *const D3DKMT_UNLOCK) {
        let args = unsafe { read_arg(p) }?;
        let list = unsafe { c_array(args.phAllocations, args.NumAllocations) }.unwrap_or(&[]);
        current().unlock_raw(args.hDevice, list)
    }
}

// === the SIMKMT extension ===

export! {
    /// `SimKmtReset`: replaces the process-wide simulator (NULL: built-in
    /// defaults), destroying every object. Validates first and keeps the
    /// old simulator on failure.
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
            config_from_c(unsafe { read_arg(p) }?)?
        };
        reset_current(config)
    }
}

/// Applies the `SIMKMT_CONFIG` zero-means-default rules.
fn config_from_c(c: SIMKMT_CONFIG) -> Result<SimConfig> {
    let or = |v: u32, d: u32| if v == 0 { d } else { v };
    let defaults = SimConfig::default();
    let config = SimConfig::default()
        .adapters(or(c.AdapterCount, defaults.adapter_count))
        .page_size(or(c.PageSize, defaults.page_size))
        .max_lock_references(or(c.MaxLockReferences, defaults.max_lock_references))
        .busy_policy(BusyPolicy::from_raw(c.BusyPolicy).ok_or(Error::InvalidParameter("unknown busy policy"))?)
        .wait_timeout(Duration::from_millis(u64::from(or(c.WaitTimeoutMs, 1000))))
        .adapter_memory(if c.AdapterMemoryBytes == 0 { defaults.adapter_memory } else { c.AdapterMemoryBytes })
        .seed(c.Seed);
    config.validate()?;
    Ok(config)
}

export! {
    /// `SimKmtSubmit`: queues work referencing the listed allocations.
    fn SimKmtSubmit(p: *mut SIMKMT_SUBMIT) {
        let args = unsafe { read_arg(p) }?;
        let list = unsafe { c_array(args.phAllocations, args.NumAllocations) }.unwrap_or(&[]);
        let fence = current().submit_raw(args.hDevice, list)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).FenceValue).write(fence) };
        Ok(())
    }
}

export! {
    /// `SimKmtCompleteFence`: completes the device's work up to the value.
    fn SimKmtCompleteFence(hDevice: D3DKMT_HANDLE, FenceValue: u64) {
        current().complete_fence_raw(hDevice, FenceValue)
    }
}

export! {
    /// `SimKmtRemoveDevice`: `ExecutionState` 0 means RESET; 2..=7 allowed.
    fn SimKmtRemoveDevice(hDevice: D3DKMT_HANDLE, ExecutionState: u32) {
        let reason = match ExecutionState {
            0 => ExecutionState::Reset,
            2..=7 => ExecutionState::from_raw(ExecutionState).ok_or(Error::Internal("state table"))?,
            _ => return Err(Error::InvalidParameter("not a removal reason")),
        };
        current().remove_device_raw(hDevice, reason)
    }
}

export! {
    /// `SimKmtResetAdapter`: a TDR on the adapter.
    fn SimKmtResetAdapter(hAdapter: D3DKMT_HANDLE) {
        current().reset_adapter_raw(hAdapter)
    }
}

export! {
    /// `SimKmtRemoveAdapter`: surprise removal of the adapter.
    fn SimKmtRemoveAdapter(hAdapter: D3DKMT_HANDLE) {
        current().remove_adapter_raw(hAdapter)
    }
}

export! {
    /// `SimKmtQueryAllocation`: an allocation's size, lock count and busy
    /// state.
    fn SimKmtQueryAllocation(hDevice: D3DKMT_HANDLE, hAllocation: D3DKMT_HANDLE, pInfo: *mut SIMKMT_ALLOCATION_INFO) {
        if pInfo.is_null() {
            return Err(Error::InvalidParameter("NULL argument"));
        }
        let info = current().query_allocation_raw(hDevice, hAllocation)?;
        let out = SIMKMT_ALLOCATION_INFO {
            SizeInBytes: info.size,
            PageCount: info.page_count as u32,
            LockCount: info.lock_count,
            Busy: u32::from(info.busy),
            Flags: if info.cpu_visible { 0 } else { crate::ALLOCATION_FLAG_NOT_CPU_VISIBLE },
        };
        // SAFETY: `pInfo` is non-NULL and, by contract, writable.
        unsafe { pInfo.write_unaligned(out) };
        Ok(())
    }
}

export! {
    /// `SimKmtInjectFault`: arms a fault on the process-wide simulator.
    fn SimKmtInjectFault(p: *const SIMKMT_FAULT) {
        let f = unsafe { read_arg(p) }?;
        let call = FaultCall::from_raw(f.Call).ok_or(Error::InvalidParameter("unknown SIMKMT_CALL"))?;
        let action = match f.Action {
            SIMKMT_FAULT_RETURN_STATUS => FaultAction::ReturnStatus(NtStatus(f.Status)),
            SIMKMT_FAULT_REMOVE_DEVICE => FaultAction::RemoveDevice,
            SIMKMT_FAULT_RESET_ADAPTER => FaultAction::ResetAdapter,
            _ => return Err(Error::InvalidParameter("unknown SIMKMT_FAULT action")),
        };
        if f.Reserved != 0 {
            return Err(Error::InvalidParameter("SIMKMT_FAULT.Reserved must be 0"));
        }
        current().inject_fault(Fault::new(call, action).nth(f.Nth).count(f.Count))
    }
}

#[cfg(test)]
mod tests;
