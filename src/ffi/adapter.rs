//! Adapter thunks: `D3DKMTEnumAdapters2`, `D3DKMTEnumAdapters3`,
//! `D3DKMTOpenAdapterFromLuid`, `D3DKMTCloseAdapter`,
//! `D3DKMTQueryAdapterInfo`, and the encoding of query answers into the
//! caller's buffer.

use core::ptr::addr_of_mut;

use windows_sys::Wdk::Graphics::Direct3D::*;
use windows_sys::Win32::Foundation::LUID;

use super::args::{export, read_arg};
use super::try_current;
use super::types::{NTSTATUS, WCHAR};
use crate::config::{AdapterKind, HwScheduling};
use crate::error::{ErrorKind, Result};
use crate::{AdapterAnswer, AdapterFilter, AdapterQuery, Luid};

/// Both enumerations: with `adapters == NULL` writes the count to
/// `*num`; with room for every adapter listed opens one handle each.
///
/// # Safety
///
/// `num` is writable; a non-NULL `adapters` has room for `capacity`
/// entries.
unsafe fn enumerate(
    num: *mut u32,
    capacity: u32,
    adapters: *mut D3DKMT_ADAPTERINFO,
    filter: impl FnOnce() -> Result<AdapterFilter>,
) -> Result<()> {
    let engine = try_current()?.engine();
    if adapters.is_null() {
        let count = engine.enum_adapters_count(filter)?;
        // SAFETY: the caller's promise.
        unsafe { num.write_unaligned(count as u32) };
        return Ok(());
    }
    let listed = engine.enum_adapters(capacity as usize, filter)?;
    for (i, info) in listed.iter().enumerate() {
        let entry = D3DKMT_ADAPTERINFO {
            hAdapter: info.handle.raw(),
            AdapterLuid: LUID { LowPart: info.luid.low, HighPart: info.luid.high },
            NumOfSources: info.sources,
            bPrecisePresentRegionsPreferred: 0,
        };
        // SAFETY: the caller gave room for `capacity` >= len entries.
        unsafe { adapters.add(i).write_unaligned(entry) };
    }
    // SAFETY: the caller's promise.
    unsafe { num.write_unaligned(listed.len() as u32) };
    Ok(())
}

export! {
    /// `D3DKMTEnumAdapters2`: every adapter, compute-only and display-only
    /// ones included.
    fn D3DKMTEnumAdapters2(p: *mut D3DKMT_ENUMADAPTERS2) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: `p` is non-NULL; the array is the caller's.
        unsafe { enumerate(addr_of_mut!((*p).NumAdapters), args.NumAdapters, args.pAdapters, || Ok(AdapterFilter::ALL)) }
    }
}

/// `D3DKMT_ENUMADAPTERS_FILTER` bits: IncludeComputeOnly, IncludeDisplayOnly.
const FILTER_COMPUTE_ONLY: u64 = 0x1;
const FILTER_DISPLAY_ONLY: u64 = 0x2;

export! {
    /// `D3DKMTEnumAdapters3`: as EnumAdapters2, filtered; reserved filter
    /// bits are `STATUS_INVALID_PARAMETER`.
    fn D3DKMTEnumAdapters3(p: *mut D3DKMT_ENUMADAPTERS3) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        // SAFETY: the union's members are the same 64 bits.
        let bits = unsafe { args.Filter.Value };
        let filter = || {
            if bits & !(FILTER_COMPUTE_ONLY | FILTER_DISPLAY_ONLY) != 0 {
                return Err(ErrorKind::InvalidParameter("reserved D3DKMT_ENUMADAPTERS_FILTER bits are set").into());
            }
            Ok(AdapterFilter { compute_only: bits & FILTER_COMPUTE_ONLY != 0, display_only: bits & FILTER_DISPLAY_ONLY != 0 })
        };
        // SAFETY: `p` is non-NULL; the array is the caller's.
        unsafe { enumerate(addr_of_mut!((*p).NumAdapters), args.NumAdapters, args.pAdapters, filter) }
    }
}

export! {
    /// `D3DKMTOpenAdapterFromLuid`.
    fn D3DKMTOpenAdapterFromLuid(p: *mut D3DKMT_OPENADAPTERFROMLUID) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        let luid = Luid { low: args.AdapterLuid.LowPart, high: args.AdapterLuid.HighPart };
        let handle = try_current()?.engine().open_adapter(luid)?;
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
        try_current()?.engine().close_adapter(args.hAdapter)
    }
}

/// The query a `KMTQUERYADAPTERINFOTYPE` asks, and the size of the
/// structure it fills (`None`: the UMD-private blob, whose size is the
/// blob's). Unknown types are `NotSupported`.
fn query_of(kind: KMTQUERYADAPTERINFOTYPE) -> Result<(AdapterQuery, Option<usize>)> {
    use core::mem::size_of;
    Ok(match kind {
        KMTQAITYPE_ADAPTERTYPE | KMTQAITYPE_ADAPTERTYPE_RENDER => (AdapterQuery::AdapterType, Some(4)),
        KMTQAITYPE_PHYSICALADAPTERDEVICEIDS => {
            (AdapterQuery::DeviceIds { physical_adapter: 0 }, Some(size_of::<D3DKMT_QUERY_DEVICE_IDS>()))
        }
        KMTQAITYPE_WDDM_2_7_CAPS => (AdapterQuery::Wddm27Caps, Some(4)),
        KMTQAITYPE_DRIVER_DESCRIPTION | KMTQAITYPE_DRIVER_DESCRIPTION_RENDER => {
            (AdapterQuery::DriverDescription, Some(DESCRIPTION_CHARS * size_of::<WCHAR>()))
        }
        KMTQAITYPE_DRIVERVERSION | KMTQAITYPE_DRIVERVERSION_RENDER => (AdapterQuery::DriverVersion, Some(4)),
        KMTQAITYPE_ADAPTERGUID | KMTQAITYPE_ADAPTERGUID_RENDER => (AdapterQuery::AdapterGuid, Some(16)),
        KMTQAITYPE_ADAPTERADDRESS | KMTQAITYPE_ADAPTERADDRESS_RENDER => {
            (AdapterQuery::AdapterAddress, Some(size_of::<D3DKMT_ADAPTERADDRESS>()))
        }
        KMTQAITYPE_PHYSICALADAPTERCOUNT => (AdapterQuery::PhysicalAdapterCount, Some(4)),
        KMTQAITYPE_GETSEGMENTSIZE => (AdapterQuery::SegmentSize, Some(size_of::<D3DKMT_SEGMENTSIZEINFO>())),
        KMTQAITYPE_CHECKDRIVERUPDATESTATUS | KMTQAITYPE_CHECKDRIVERUPDATESTATUS_RENDER => {
            (AdapterQuery::CheckDriverUpdateStatus, Some(4))
        }
        KMTQAITYPE_UMDRIVERPRIVATE => (AdapterQuery::UmDriverPrivate, None),
        _ => return Err(ErrorKind::NotSupported("this KMTQUERYADAPTERINFOTYPE is not simulated").into()),
    })
}

/// `D3DKMT_DRIVER_DESCRIPTION` holds this many `WCHAR`s.
const DESCRIPTION_CHARS: usize = 4096;

/// `D3DKMT_ADAPTERTYPE` bits.
const RENDER_SUPPORTED: u32 = 1 << 0;
const DISPLAY_SUPPORTED: u32 = 1 << 1;
const COMPUTE_ONLY: u32 = 1 << 11;

/// `D3DKMT_WDDM_2_7_CAPS` bits.
const HW_SCH_SUPPORTED: u32 = 1 << 0;
const HW_SCH_ENABLED: u32 = 1 << 1;
const HW_SCH_ENABLED_BY_DEFAULT: u32 = 1 << 2;

/// The bytes of an answer, laid out as the type's structure (a
/// `D3DKMT_QUERY_DEVICE_IDS` starts with its input index, which only 0
/// passes).
fn encode(answer: AdapterAnswer) -> Vec<u8> {
    let words = |w: &[u32]| w.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    match answer {
        AdapterAnswer::AdapterType(kind) => {
            let mut bits = 0;
            if kind.renders() {
                bits |= RENDER_SUPPORTED;
            }
            if kind.displays() {
                bits |= DISPLAY_SUPPORTED;
            }
            if kind == AdapterKind::ComputeOnly {
                bits |= COMPUTE_ONLY;
            }
            words(&[bits])
        }
        AdapterAnswer::DeviceIds(ids) => words(&[
            0,
            ids.vendor_id,
            ids.device_id,
            ids.sub_vendor_id,
            ids.sub_system_id,
            ids.revision_id,
            ids.bus_type,
        ]),
        AdapterAnswer::Wddm27Caps(hw) => words(&[match hw {
            HwScheduling::Enabled => HW_SCH_SUPPORTED | HW_SCH_ENABLED | HW_SCH_ENABLED_BY_DEFAULT,
            HwScheduling::Supported => HW_SCH_SUPPORTED,
            _ => 0,
        }]),
        AdapterAnswer::DriverDescription(text) => {
            // NUL-terminated and NUL-filled, in the host's WCHAR: UTF-16 on
            // Windows, UTF-32 where `wchar_t` is 4 bytes (the official headers
            // on Linux and macOS make WCHAR `wchar_t`).
            let mut out = Vec::with_capacity(DESCRIPTION_CHARS * core::mem::size_of::<WCHAR>());
            for unit in wide(&text).take(DESCRIPTION_CHARS - 1) {
                out.extend_from_slice(&unit.to_le_bytes());
            }
            out.resize(DESCRIPTION_CHARS * core::mem::size_of::<WCHAR>(), 0);
            out
        }
        AdapterAnswer::DriverVersion(v) => words(&[v]),
        AdapterAnswer::AdapterGuid(bytes) => bytes.to_vec(),
        AdapterAnswer::AdapterAddress { bus, device, function } => words(&[bus, device, function]),
        AdapterAnswer::PhysicalAdapterCount(n) => words(&[n]),
        AdapterAnswer::SegmentSize { dedicated_video, dedicated_system, shared_system } => {
            [dedicated_video, dedicated_system, shared_system].iter().flat_map(|v| v.to_le_bytes()).collect()
        }
        AdapterAnswer::CheckDriverUpdateStatus(updating) => words(&[u32::from(updating)]),
        AdapterAnswer::UmDriverPrivate(blob) => blob,
    }
}

/// `text` in the host's `WCHAR` code units.
#[cfg(windows)]
fn wide(text: &str) -> impl Iterator<Item = WCHAR> + '_ {
    text.encode_utf16()
}

/// `text` in the host's `WCHAR` code units.
#[cfg(not(windows))]
fn wide(text: &str) -> impl Iterator<Item = WCHAR> + '_ {
    text.chars().map(|c| c as WCHAR)
}

export! {
    /// `D3DKMTQueryAdapterInfo`. In this order: the adapter (closed or
    /// never issued: `STATUS_INVALID_PARAMETER`; surprise-removed:
    /// `STATUS_DEVICE_REMOVED`), a NULL `pPrivateDriverData`
    /// (`STATUS_INVALID_PARAMETER`), the type (not simulated:
    /// `STATUS_NOT_SUPPORTED`), then `PrivateDriverDataSize`, which must be
    /// exactly the type's structure size (`STATUS_INVALID_PARAMETER`). On
    /// success the whole structure is written; on failure nothing is.
    fn D3DKMTQueryAdapterInfo(p: *const D3DKMT_QUERYADAPTERINFO) {
        // SAFETY: the caller's promise; NULL is rejected.
        let args = unsafe { read_arg(p) }?;
        let (data, size) = (args.pPrivateDriverData.cast::<u8>(), args.PrivateDriverDataSize as usize);
        try_current()?.engine().query_adapter_info(args.hAdapter, |ask| {
            if data.is_null() {
                return Err(ErrorKind::InvalidParameter("pPrivateDriverData is NULL").into());
            }
            let (mut query, expected) = query_of(args.Type)?;
            if expected.is_some_and(|e| e != size) {
                return Err(ErrorKind::InvalidParameter("PrivateDriverDataSize is not the size of the type's structure").into());
            }
            if let AdapterQuery::DeviceIds { physical_adapter } = &mut query {
                // SAFETY: the buffer holds a D3DKMT_QUERY_DEVICE_IDS (size
                // checked), whose first field is the input index.
                *physical_adapter = unsafe { data.cast::<u32>().read_unaligned() };
            }
            let bytes = encode(ask(query)?);
            // The blob's size is known only now; for the fixed-size types
            // (checked above) this is also what bounds the copy below.
            if bytes.len() != size {
                return Err(ErrorKind::InvalidParameter("PrivateDriverDataSize is not the size of the UMD-private data").into());
            }
            // SAFETY: `size` writable bytes at `data`, the caller's promise.
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), data, size) };
            Ok(())
        })
    }
}
