//! The driver model from C: `SimKmtSetDriverModel` registers an
//! interpreter of private driver data (a function pointer and a context),
//! and `SimKmtQueryAllocationPrivateData` reads back the private data an
//! allocation was created with.

use super::args::export;
use super::try_current;
use super::types::*;
use crate::driver::{DriverAllocation, DriverModel, DriverRequest, Placement};
use crate::error::{ErrorKind, Result};
use crate::status::NtStatus;

/// A C interpreter: the function and the context it is called with.
struct CInterpreter {
    interpret: unsafe extern "system" fn(
        *mut core::ffi::c_void,
        *const SIMKMT_ALLOCATION_REQUEST,
        *mut SIMKMT_ALLOCATION_ANSWER,
    ) -> NTSTATUS,
    /// The caller's `pContext`, passed back unchanged.
    context: usize,
}

/// A slice as a C pointer (NULL when empty).
fn c_ptr(data: &[u8]) -> *const core::ffi::c_void {
    if data.is_empty() {
        core::ptr::null()
    } else {
        data.as_ptr().cast()
    }
}

impl DriverModel for CInterpreter {
    fn interpret(&self, request: &DriverRequest<'_>) -> Result<DriverAllocation> {
        let c = SIMKMT_ALLOCATION_REQUEST {
            pResourcePrivateDriverData: c_ptr(request.resource_data),
            ResourcePrivateDriverDataSize: request.resource_data.len() as u32,
            AllocationIndex: request.index,
            pPrivateDriverData: c_ptr(request.private_data),
            PrivateDriverDataSize: request.private_data.len() as u32,
            Flags: request.flags.bits(),
            HasSystemMemory: u32::from(request.has_system_memory),
            Reserved: 0,
        };
        let mut answer = SIMKMT_ALLOCATION_ANSWER::default();
        // SAFETY: the registrant promised (`SimKmtSetDriverModel`) that the
        // function may be called from any thread with its context, a
        // readable request and a writable answer, all valid for the call.
        let status = unsafe { (self.interpret)(self.context as *mut _, &c, &mut answer) };
        if status < 0 {
            return Err(ErrorKind::Driver(NtStatus(status)).into());
        }
        let placement = match answer.Placement {
            SIMKMT_PLACEMENT_VIDEO => Placement::Video,
            SIMKMT_PLACEMENT_SYSTEM => Placement::System,
            _ => return Err(ErrorKind::InvalidParameter("unknown SIMKMT_PLACEMENT in the interpreter's answer").into()),
        };
        DriverAllocation::new(answer.SizeInBytes).with_desc_flags(answer.Flags).map(|a| a.placement(placement))
    }
}

export! {
    /// `SimKmtSetDriverModel`: `pfnInterpret` reads each allocation's private
    /// driver data from now on (NULL: the default `SIMKMT_ALLOCATION_DESC`
    /// reader). `SimKmtReset` restores the default. The function is called
    /// from the creating thread, possibly concurrently, outside every
    /// simulator lock, and must not call into the simulator.
    fn SimKmtSetDriverModel(pfnInterpret: PFN_SIMKMT_INTERPRET_ALLOCATION, pContext: *mut core::ffi::c_void) {
        let model = pfnInterpret.map(|interpret| {
            std::sync::Arc::new(CInterpreter { interpret, context: pContext as usize }) as std::sync::Arc<dyn DriverModel>
        });
        try_current()?.engine().set_driver_model(model)
    }
}

export! {
    /// `SimKmtQueryAllocationPrivateData`: copies the private driver data
    /// the allocation was created with. `*pSize` is the buffer's size in;
    /// out, the data's size. A NULL `pBuffer` only writes the size; a
    /// buffer too small is `STATUS_BUFFER_TOO_SMALL` and writes the size
    /// needed (the one output a failure writes, so a caller can retry).
    /// Works on a removed device.
    fn SimKmtQueryAllocationPrivateData(
        hDevice: D3DKMT_HANDLE,
        hAllocation: D3DKMT_HANDLE,
        pBuffer: *mut core::ffi::c_void,
        pSize: *mut u32,
    ) {
        if pSize.is_null() {
            return Err(ErrorKind::InvalidParameter("NULL argument").into());
        }
        let data = try_current()?.engine().allocation_private_data(hDevice, hAllocation)?;
        // The data came from a u32-sized C buffer or a Rust slice a create
        // call refused above u32::MAX.
        let needed = u32::try_from(data.len()).map_err(|_| ErrorKind::Internal("private data above 4 GiB"))?;
        // SAFETY: `pSize` is non-NULL and, by contract, readable and writable.
        let capacity = unsafe { pSize.read_unaligned() };
        let result = if pBuffer.is_null() {
            Ok(())
        } else if capacity < needed {
            Err(ErrorKind::BufferTooSmall { needed: data.len() }.into())
        } else {
            // SAFETY: the caller's buffer holds `capacity >= needed` writable
            // bytes, distinct from the simulator's copy.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), pBuffer.cast::<u8>(), data.len()) };
            Ok(())
        };
        // SAFETY: as above.
        unsafe { pSize.write_unaligned(needed) };
        result
    }
}
