//! Allocation thunks: `D3DKMTCreateAllocation(2)` and
//! `D3DKMTDestroyAllocation2`. The create calls decode the C structs into
//! the engine's create inputs (the call's fields, then each allocation's raw
//! private data and caller memory, read one element at a time); the driver
//! model, the rules and their order are the engine's.

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;

use super::args::{caller_bytes, export, read_arg, CArray};
use super::try_current;
use super::types::NTSTATUS;
use crate::allocation::{CreateCall, Element, RawAllocation, Standard};
use crate::call::Elements;
use crate::driver::{CreateFlags, DescModel};
use crate::error::Result;
use crate::SystemMemory;

/// `SIMKMT_ALLOCATION_DESC_VERSION`.
pub const SIMKMT_ALLOCATION_DESC_VERSION: u32 = DescModel::VERSION;
/// `SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE`.
pub const SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE: u32 = DescModel::FLAG_NOT_CPU_VISIBLE;
/// `SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT`: reported in
/// `SIMKMT_ALLOCATION_INFO.Flags` for an allocation in system memory (not
/// accepted in a `SIMKMT_ALLOCATION_DESC`).
pub const SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT: u32 = 0x2;

/// The fields of `D3DDDI_ALLOCATIONINFO` and `D3DDDI_ALLOCATIONINFO2` the
/// simulated kernel-mode driver reads and writes.
trait AllocationInfo: Copy {
    fn system_memory(&self) -> *const core::ffi::c_void;
    fn private_data(&self) -> (*const core::ffi::c_void, u32);
    /// Writes `hAllocation` of the element at `this`.
    ///
    /// # Safety
    ///
    /// `this` points to a writable element of the caller's array.
    unsafe fn set_handle(this: *mut Self, handle: u32);
}

impl AllocationInfo for D3DDDI_ALLOCATIONINFO2 {
    fn system_memory(&self) -> *const core::ffi::c_void {
        // SAFETY: both union members are plain pointer-sized values.
        unsafe { self.Anonymous1.pSystemMem }
    }
    fn private_data(&self) -> (*const core::ffi::c_void, u32) {
        (self.pPrivateDriverData, self.PrivateDriverDataSize)
    }
    unsafe fn set_handle(this: *mut Self, handle: u32) {
        // SAFETY: the function's contract: `this` is a writable element.
        unsafe { addr_of_mut!((*this).hAllocation).write_unaligned(handle) }
    }
}

impl AllocationInfo for D3DDDI_ALLOCATIONINFO {
    fn system_memory(&self) -> *const core::ffi::c_void {
        self.pSystemMem
    }
    fn private_data(&self) -> (*const core::ffi::c_void, u32) {
        (self.pPrivateDriverData, self.PrivateDriverDataSize)
    }
    unsafe fn set_handle(this: *mut Self, handle: u32) {
        // SAFETY: the function's contract: `this` is a writable element.
        unsafe { addr_of_mut!((*this).hAllocation).write_unaligned(handle) }
    }
}

/// Decodes one allocation's raw inputs. Called by the engine only after
/// the call's own checks, in order.
///
/// # Safety
///
/// `info`'s private data pointer, if non-NULL, is readable for
/// `PrivateDriverDataSize` bytes for `'a`, and its `pSystemMem`, if
/// non-NULL, is valid for the size the allocation will have until it is
/// destroyed.
unsafe fn decode_allocation<'a, I: AllocationInfo>(info: &I) -> Element<'a> {
    let (data, size) = info.private_data();
    // SAFETY: the caller's promise about the private data.
    let mut raw = RawAllocation::new(unsafe { caller_bytes(data, size) });
    let memory = info.system_memory();
    if !memory.is_null() {
        // SAFETY: caller memory backs the allocation and stays valid until
        // destroy, for the size the allocation gets (the engine clamps it to
        // that size before anything touches it).
        raw = raw.with_system_memory(unsafe { SystemMemory::sized_by_allocation(memory as *mut u8) });
    }
    Element::Raw(raw)
}

/// The standard allocation `p` names (`Flags.StandardAllocation`).
///
/// # Safety
///
/// `p` is NULL or readable.
unsafe fn decode_standard(p: *const D3DKMT_CREATESTANDARDALLOCATION) -> Standard {
    // SAFETY: the caller's promise.
    let Ok(standard) = (unsafe { read_arg(p) }) else { return Standard::Missing };
    if standard.Type != D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP {
        return Standard::OtherType;
    }
    // SAFETY: the union has a single member.
    Standard::ExistingHeap(unsafe { standard.Anonymous.ExistingHeapData.Size } as u64)
}

/// Both CreateAllocation flavours: `infos` is the array of `I` the flavour
/// reads, one element at a time. On success each `hAllocation` and
/// `hGlobalShare` (0: nothing is shared) are written; `hResource` stays 0.
///
/// # Safety
///
/// As the exports: `p` is non-NULL and valid, and the arrays it points to
/// hold what the contract says for the elements read.
unsafe fn create_allocation<I: AllocationInfo>(p: *mut D3DKMT_CREATEALLOCATION, infos: *mut I) -> Result<()> {
    // SAFETY: the caller checked `p` non-NULL through read_arg.
    let args = unsafe { p.read_unaligned() };
    let flags = CreateFlags::from_bits(args.Flags._bitfield);
    // SAFETY: both union members are pointers.
    let union = unsafe { args.Anonymous1.pPrivateDriverData };
    let (resource_data, standard) = if flags.contains(CreateFlags::STANDARD_ALLOCATION) {
        // SAFETY: with the flag, the union is `pStandardAllocation`.
        (&[][..], Some(unsafe { decode_standard(union.cast()) }))
    } else {
        // SAFETY: the caller's promise: the resource data is readable.
        (unsafe { caller_bytes(union, args.PrivateDriverDataSize) }, None)
    };
    // SAFETY: the elements the engine reads are the caller's; a NULL array
    // counts as empty (the engine then refuses the call).
    let list = unsafe { CArray::or_empty(infos.cast_const(), args.NumAllocations) };
    let call = CreateCall {
        resource: args.hResource,
        flags,
        resource_data,
        resource_data_size: args.PrivateDriverDataSize,
        standard,
        count: list.count(),
    };
    let handles = try_current()?.engine().create_allocations(args.hDevice, &call, |i| {
        // SAFETY: forwarded caller promises about the element's pointers.
        Ok(unsafe { decode_allocation(&list.get(i)) })
    })?;
    for (i, handle) in handles.iter().enumerate() {
        // SAFETY: i < NumAllocations elements of the caller's array, which
        // the contract makes writable.
        unsafe { I::set_handle(infos.add(i), handle.raw()) };
    }
    // SAFETY: `p` is valid and writable (the contract's output fields).
    unsafe { addr_of_mut!((*p).hGlobalShare).write_unaligned(0) };
    Ok(())
}

export! {
    /// `D3DKMTCreateAllocation2` (reads `pAllocationInfo2`).
    fn D3DKMTCreateAllocation2(p: *mut D3DKMT_CREATEALLOCATION) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: both union members are pointers.
        let infos = unsafe { args.Anonymous2.pAllocationInfo2 };
        // SAFETY: the caller's promise, forwarded.
        unsafe { create_allocation(p, infos) }
    }
}

export! {
    /// `D3DKMTCreateAllocation` (reads `pAllocationInfo`, 40-byte entries).
    fn D3DKMTCreateAllocation(p: *mut D3DKMT_CREATEALLOCATION) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: both union members are pointers.
        let infos = unsafe { args.Anonymous2.pAllocationInfo };
        // SAFETY: the caller's promise, forwarded.
        unsafe { create_allocation(p, infos) }
    }
}

export! {
    /// `D3DKMTDestroyAllocation2`: all or nothing; works on a removed device.
    fn D3DKMTDestroyAllocation2(p: *const D3DKMT_DESTROYALLOCATION2) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: the elements the engine reads are the caller's.
        let list = unsafe { CArray::new(args.phAllocationList, args.AllocationCount) };
        try_current()?.engine().destroy_allocations(args.hDevice, args.hResource, list.as_ref().map(|l| l as &dyn Elements<u32>))
    }
}
