//! Device thunks: `D3DKMTCreateDevice`, `D3DKMTDestroyDevice`,
//! `D3DKMTGetDeviceState`.

use core::ptr::{addr_of_mut, null_mut};

use windows_sys::Wdk::Graphics::Direct3D::*;

use super::args::{export, read_arg};
use super::try_current;
use super::types::NTSTATUS;
use crate::engine::StateQuery;

/// `D3DKMT_DEVICESTATE_EXECUTION`.
const DEVICE_STATE_EXECUTION: u32 = 1;

export! {
    /// `D3DKMTCreateDevice`. The legacy command buffer, allocation list and
    /// patch list outputs are NULL/0.
    fn D3DKMTCreateDevice(p: *mut D3DKMT_CREATEDEVICE) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: every bit pattern of the union is a valid u32.
        let adapter = unsafe { args.Anonymous.hAdapter };
        let device = try_current()?.engine().create_device(adapter)?;
        // SAFETY: `p` is non-NULL.
        unsafe {
            addr_of_mut!((*p).hDevice).write_unaligned(device.raw());
            addr_of_mut!((*p).pCommandBuffer).write_unaligned(null_mut());
            addr_of_mut!((*p).CommandBufferSize).write_unaligned(0);
            addr_of_mut!((*p).pAllocationList).write_unaligned(null_mut());
            addr_of_mut!((*p).AllocationListSize).write_unaligned(0);
            addr_of_mut!((*p).pPatchLocationList).write_unaligned(null_mut());
            addr_of_mut!((*p).PatchLocationListSize).write_unaligned(0);
        }
        Ok(())
    }
}

export! {
    /// `D3DKMTDestroyDevice`: destroys the device's allocations too.
    fn D3DKMTDestroyDevice(p: *const D3DKMT_DESTROYDEVICE) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        try_current()?.engine().destroy_device(args.hDevice)
    }
}

export! {
    /// `D3DKMTGetDeviceState` (the engine accepts only the EXECUTION state).
    fn D3DKMTGetDeviceState(p: *mut D3DKMT_GETDEVICESTATE) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        let query = if args.StateType as u32 == DEVICE_STATE_EXECUTION {
            StateQuery::Execution
        } else {
            StateQuery::Unsupported
        };
        let state = try_current()?.engine().device_state(args.hDevice, query)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).Anonymous.ExecutionState).write_unaligned(state.to_raw() as i32) };
        Ok(())
    }
}
