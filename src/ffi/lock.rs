//! Lock thunks: `D3DKMTLock2`/`D3DKMTUnlock2` (with their quiet paths
//! outside `catch_unwind`) and the legacy `D3DKMTLock`/`D3DKMTUnlock`.

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;

use super::args::{error_status, export, guarded, read_arg, CArray};
use super::types::NTSTATUS;
use super::{try_current, SIM};
use crate::lock::PageList;
use crate::status::NtStatus;
use crate::LockFlags;

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
        match sim.engine().lock2_quiet(args.hDevice, args.hAllocation, flags) {
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

/// Every `D3DKMTLock2` the quiet path did not answer: through the seam.
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
        let locked = try_current()?.engine().lock2_entered(args.hDevice, args.hAllocation, flags)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).pData).write_unaligned(locked.mapping.as_ptr().cast()) };
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
        match sim.engine().unlock2_quiet(args.hDevice, args.hAllocation, None) {
            Some(Ok(())) => return NtStatus::SUCCESS.0,
            Some(Err(e)) => return error_status(e),
            None => {}
        }
    }
    // SAFETY: the caller's promise, forwarded.
    unsafe { unlock2_cold(p) }
}

/// Every `D3DKMTUnlock2` the quiet path did not answer: through the seam.
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
        try_current()?.engine().unlock2_entered(args.hDevice, args.hAllocation, None)
    })
}

export! {
    /// `D3DKMTLock`, the legacy page-list lock.
    fn D3DKMTLock(p: *mut D3DKMT_LOCK) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: every bit pattern of the union is a valid u32.
        let flags = unsafe { args.Flags.Anonymous.Value };
        // With LockEntire (or no pages) the page list is not looked at.
        let whole = flags & LockFlags::LOCK_ENTIRE.bits() != 0 || args.NumPages == 0;
        // SAFETY: the page indices the engine reads are the caller's; a NULL
        // list is an empty one, which the engine rejects in order.
        let list = unsafe { CArray::or_empty(args.pPages, args.NumPages) };
        let pages = if whole { PageList::Entire } else { PageList::List(&list) };
        let locked = try_current()?.engine().lock(args.hDevice, args.hAllocation, flags, pages)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).pData).write_unaligned(locked.mapping.as_ptr().cast()) };
        Ok(())
    }
}

export! {
    /// `D3DKMTUnlock`: one reference from each listed allocation.
    fn D3DKMTUnlock(p: *const D3DKMT_UNLOCK) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: the handles the engine reads are the caller's; a NULL list
        // is an empty one, which the engine rejects.
        let list = unsafe { CArray::or_empty(args.phAllocations, args.NumAllocations) };
        try_current()?.engine().unlock(args.hDevice, &list)
    }
}
