//! Adapter thunks: `D3DKMTEnumAdapters2`, `D3DKMTOpenAdapterFromLuid`,
//! `D3DKMTCloseAdapter`.

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;
use windows_sys::Win32::Foundation::LUID;

use super::args::{export, read_arg};
use super::current;
use super::types::NTSTATUS;
use crate::Luid;

export! {
    /// `D3DKMTEnumAdapters2`: with `pAdapters == NULL` writes the adapter
    /// count; with room for every adapter opens one handle each.
    fn D3DKMTEnumAdapters2(p: *mut D3DKMT_ENUMADAPTERS2) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        let engine = current().engine();
        if args.pAdapters.is_null() {
            // SAFETY: `p` was checked non-NULL by `read_arg`.
            unsafe { addr_of_mut!((*p).NumAdapters).write_unaligned(engine.adapter_count() as u32) };
            return Ok(());
        }
        let adapters = engine.enum_adapters(args.NumAdapters as usize)?;
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
        unsafe { addr_of_mut!((*p).NumAdapters).write_unaligned(adapters.len() as u32) };
        Ok(())
    }
}

export! {
    /// `D3DKMTOpenAdapterFromLuid`.
    fn D3DKMTOpenAdapterFromLuid(p: *mut D3DKMT_OPENADAPTERFROMLUID) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        let luid = Luid { low: args.AdapterLuid.LowPart, high: args.AdapterLuid.HighPart };
        let handle = current().engine().open_adapter(luid)?;
        // SAFETY: `p` is non-NULL.
        unsafe { addr_of_mut!((*p).hAdapter).write_unaligned(handle.raw()) };
        Ok(())
    }
}

export! {
    /// `D3DKMTCloseAdapter`.
    fn D3DKMTCloseAdapter(p: *const D3DKMT_CLOSEADAPTER) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        current().engine().close_adapter(args.hAdapter)
    }
}
