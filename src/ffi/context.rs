//! Context thunks: `D3DKMTCreateContextVirtual`, `D3DKMTDestroyContext`.

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;

use super::args::{export, read_arg, required_bytes};
use super::try_current;
use super::types::NTSTATUS;
use crate::error::{ErrorKind, Result};
use crate::ContextDesc;

/// The description a `D3DKMT_CREATECONTEXTVIRTUAL` asks for; its private
/// data is copied (a NULL pointer with a non-zero size is
/// `InvalidParameter`; memory the host refuses for the copy, `NoMemory`).
///
/// # Safety
///
/// A non-NULL `pPrivateDriverData` is readable for `PrivateDriverDataSize`
/// bytes.
unsafe fn decode(args: &D3DKMT_CREATECONTEXTVIRTUAL) -> Result<ContextDesc> {
    // SAFETY: the caller's promise about the private data.
    let bytes = unsafe {
        required_bytes(
            args.pPrivateDriverData,
            args.PrivateDriverDataSize,
            "pPrivateDriverData is NULL with a non-zero size",
        )
    }?;
    let private_data = crate::mem::copy_bytes(bytes).ok_or(ErrorKind::NoMemory)?;
    // SAFETY: both union members are the same 32 bits.
    let flags = unsafe { args.Flags.Anonymous.Value };
    let mut desc = ContextDesc::default()
        .node(args.NodeOrdinal)
        .engine_affinity(args.EngineAffinity)
        .flags(flags)
        .client_hint(args.ClientHint);
    desc.private_data = private_data;
    Ok(desc)
}

export! {
    /// `D3DKMTCreateContextVirtual`: writes `hContext` on success.
    fn D3DKMTCreateContextVirtual(p: *mut D3DKMT_CREATECONTEXTVIRTUAL) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: the caller's promise about the private data, forwarded.
        let context = try_current()?.engine().create_context(args.hDevice, || unsafe { decode(&args) })?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).hContext).write_unaligned(context.raw()) };
        Ok(())
    }
}

export! {
    /// `D3DKMTDestroyContext`: works on a removed device.
    fn D3DKMTDestroyContext(p: *const D3DKMT_DESTROYCONTEXT) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        try_current()?.engine().destroy_context(args.hContext)
    }
}
