//! Allocation thunks: `D3DKMTCreateAllocation(2)`,
//! `D3DKMTDestroyAllocation2`, and the decoding of the private driver data
//! the simulated kernel-mode driver reads (`SIMKMT_ALLOCATION_DESC`).

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;

use super::args::{export, read_arg, CArray};
use super::current;
use super::types::{NTSTATUS, SIMKMT_ALLOCATION_DESC};
use crate::call::Elements;
use crate::error::{Error, Result};
use crate::{AllocationDesc, SystemMemory};

/// `SIMKMT_ALLOCATION_DESC_VERSION`.
pub const SIMKMT_ALLOCATION_DESC_VERSION: u32 = 1;
/// `SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE`.
pub const SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE: u32 = 0x1;

/// `D3DKMT_CREATEALLOCATIONFLAGS` bits this layer looks at.
const CREATE_RESOURCE: u32 = 0x1;
const CREATE_SHARED: u32 = 0x2;
const STANDARD_ALLOCATION: u32 = 0x1_0000;

/// Decodes the private driver data of one allocation: a
/// `SIMKMT_ALLOCATION_DESC` (16 bytes). `None` (a NULL pointer), a short
/// buffer, another version, unknown flags or size 0 are `InvalidParameter`.
fn decode_desc(data: Option<&[u8]>) -> Result<AllocationDesc> {
    let data = data.ok_or(Error::InvalidParameter("allocation private data is NULL"))?;
    let Some(bytes) = data.get(..core::mem::size_of::<SIMKMT_ALLOCATION_DESC>()) else {
        return Err(Error::InvalidParameter("allocation private data is too short"));
    };
    let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let (version, flags) = (u32_at(0), u32_at(4));
    let mut size = [0u8; 8];
    size.copy_from_slice(&bytes[8..16]);
    let size = u64::from_le_bytes(size);
    if version != SIMKMT_ALLOCATION_DESC_VERSION {
        return Err(Error::InvalidParameter("unknown SIMKMT_ALLOCATION_DESC version"));
    }
    if flags & !SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE != 0 {
        return Err(Error::InvalidParameter("unknown SIMKMT_ALLOCATION_FLAG bits"));
    }
    if size == 0 {
        return Err(Error::InvalidParameter("allocation size is 0"));
    }
    let desc = AllocationDesc::new(size);
    Ok(if flags & SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE != 0 { desc.not_cpu_visible() } else { desc })
}

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

/// Decodes one allocation description. Called by the engine only after the
/// device checks, in order.
///
/// # Safety
///
/// `info`'s private data pointer, if non-NULL, is readable for
/// `PrivateDriverDataSize` bytes, and for the standard-allocation path
/// `standard` is NULL or readable.
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
        decode_desc(bytes)?
    };
    let memory = info.system_memory();
    if !memory.is_null() {
        // SAFETY: caller memory backs the allocation and stays valid until
        // destroy; C callers promise it for the size they asked for, and the
        // simulator touches no byte past that size.
        desc = desc.with_system_memory(unsafe { SystemMemory::new(memory as *mut u8, desc.size as usize) });
    }
    Ok(desc)
}

/// Both CreateAllocation flavours: `infos` is the array of `I` the flavour
/// reads, one element at a time.
///
/// # Safety
///
/// As the exports: `p` is non-NULL and valid, and the arrays it points to
/// hold what the contract says for the elements read.
unsafe fn create_allocation<I: AllocationInfo>(p: *mut D3DKMT_CREATEALLOCATION, infos: *mut I) -> Result<()> {
    // SAFETY: the caller checked `p` non-NULL through read_arg.
    let args = unsafe { p.read_unaligned() };
    let flags = args.Flags._bitfield;
    // SAFETY: both union members are pointers.
    let standard = unsafe { args.Anonymous1.pStandardAllocation } as *const D3DKMT_CREATESTANDARDALLOCATION;
    // SAFETY: the elements the engine reads are the caller's; a NULL array
    // counts as empty (the engine then refuses the call).
    let list = unsafe { CArray::or_empty(infos.cast_const(), args.NumAllocations) };
    let handles = current().engine().create_allocations(args.hDevice, list.count(), |i| {
        // SAFETY: forwarded caller promises about the element's pointers.
        unsafe { decode_allocation(&list.get(i), flags, standard) }
    })?;
    for (i, handle) in handles.iter().enumerate() {
        // SAFETY: i < NumAllocations elements of the caller's array, which
        // the contract makes writable.
        unsafe { I::set_handle(infos.add(i), handle.raw()) };
    }
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
        current().engine().destroy_allocations(args.hDevice, args.hResource, list.as_ref().map(|l| l as &dyn Elements<u32>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_data_decodes_a_simkmt_allocation_desc() {
        let mut raw = [0u8; 16];
        raw[0] = 1; // Version
        raw[8..].copy_from_slice(&8192u64.to_le_bytes());
        assert_eq!(decode_desc(Some(&raw)).unwrap(), AllocationDesc::new(8192));
        raw[4] = 1; // NOT_CPU_VISIBLE
        assert!(!decode_desc(Some(&raw)).unwrap().cpu_visible);
        assert!(decode_desc(Some(&raw[..12])).is_err());
        assert!(decode_desc(None).is_err());
        raw[4] = 2;
        assert!(decode_desc(Some(&raw)).is_err(), "unknown flag");
        raw[4] = 0;
        raw[0] = 2;
        assert!(decode_desc(Some(&raw)).is_err(), "unknown version");
        raw[0] = 1;
        raw[8..].fill(0);
        assert!(decode_desc(Some(&raw)).is_err(), "size 0");
    }
}
