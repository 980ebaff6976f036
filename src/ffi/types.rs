//! `#[repr(C)]` types of the `SIMKMT_` extension and compile-time checks of
//! every layout of the contract (`docs/c-library.md`). The D3DKMT structs come
//! from `windows-sys`, so their layout is Microsoft's metadata; the asserts
//! prove it matches.
#![allow(non_camel_case_types, non_snake_case)]

use core::mem::{offset_of, size_of};

use windows_sys::Wdk::Graphics::Direct3D::*;

/// `D3DKMT_HANDLE`.
pub type D3DKMT_HANDLE = u32;
/// `NTSTATUS`.
pub type NTSTATUS = i32;
/// `WCHAR` as a C program on this host sees it: UTF-16 on Windows; on
/// other hosts the official headers (DirectX-Headers' WSL stubs) make it
/// `wchar_t`, 4 bytes, holding UTF-32. `windows-sys` knows only the
/// Windows layout, so string-bearing query results use this instead.
#[cfg(windows)]
pub type WCHAR = u16;
/// `WCHAR` as a C program on this host sees it: UTF-16 on Windows; on
/// other hosts the official headers (DirectX-Headers' WSL stubs) make it
/// `wchar_t`, 4 bytes, holding UTF-32. `windows-sys` knows only the
/// Windows layout, so string-bearing query results use this instead.
#[cfg(not(windows))]
pub type WCHAR = u32;

/// `SIMKMT_CONFIG` (40 bytes): the argument of `SimKmtReset` and `SimKmtQueryConfig`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SIMKMT_CONFIG {
    /// `sizeof(SIMKMT_CONFIG)`; smaller is `STATUS_INVALID_PARAMETER`.
    pub Size: u32,
    /// 0 → 1; at most 16.
    pub AdapterCount: u32,
    /// 0 → 4096; a power of two >= 4096.
    pub PageSize: u32,
    /// 0 → 1024.
    pub MaxLockReferences: u32,
    /// `SIMKMT_BUSY_FAIL` 0, `_WAIT` 1, `_IGNORE` 2.
    pub BusyPolicy: u32,
    /// 0 → 1000.
    pub WaitTimeoutMs: u32,
    /// Budget per adapter; 0 → 4 GiB.
    pub AdapterMemoryBytes: u64,
    /// Seeds every random choice.
    pub Seed: u64,
}

/// `SIMKMT_ADAPTER_DESC` (96 bytes): one adapter's profile in a
/// `SIMKMT_CONFIG_EX`. Every zero field means its default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SIMKMT_ADAPTER_DESC {
    /// `sizeof(SIMKMT_ADAPTER_DESC)`; smaller is `STATUS_INVALID_PARAMETER`.
    pub Size: u32,
    /// `SIMKMT_ADAPTER_KIND_*`: RENDER 0 (default), RENDER_DISPLAY 1,
    /// COMPUTE_ONLY 2, DISPLAY_ONLY 3.
    pub Kind: u32,
    /// PCI vendor id; 0 → 0xD3D5.
    pub VendorId: u32,
    /// PCI device id; 0 → 0x0001.
    pub DeviceId: u32,
    /// PCI subsystem vendor id (default 0).
    pub SubVendorId: u32,
    /// PCI subsystem id (default 0).
    pub SubSystemId: u32,
    /// PCI revision id; 0 → 1.
    pub RevisionId: u32,
    /// `SIMKMT_HWSCH_*`: UNSUPPORTED 0 (default), SUPPORTED 1, ENABLED 2.
    pub HwScheduling: u32,
    /// A `KMT_DRIVERVERSION_*` value; 0 → 2700 (WDDM 2.7).
    pub DriverVersion: u32,
    /// Nodes; 0 → 1, at most 8.
    pub NodeCount: u32,
    /// Engines of each of the first `NodeCount` nodes; 0 → 1, at most 32.
    pub EnginesPerNode: [u32; 8],
    /// The driver description, UTF-8, NUL-terminated; NULL → the default.
    pub pDescription: *const core::ffi::c_char,
    /// What `KMTQAITYPE_UMDRIVERPRIVATE` returns (copied); may be NULL
    /// when the size is 0.
    pub pUmdPrivateData: *const core::ffi::c_void,
    /// Bytes at `pUmdPrivateData`, at most 64 KiB.
    pub UmdPrivateDataSize: u32,
    /// Must be 0.
    pub Reserved: u32,
}

/// `SIMKMT_CONFIG_EX` (56 bytes): a `SIMKMT_CONFIG` whose `Size` is
/// `sizeof(SIMKMT_CONFIG_EX)`, followed by per-adapter profiles.
/// `SimKmtReset` reads the tail only when `Base.Size` covers it, so a
/// program built against the 40-byte `SIMKMT_CONFIG` works unchanged.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SIMKMT_CONFIG_EX {
    /// The base configuration; `Base.Size = sizeof(SIMKMT_CONFIG_EX)`.
    pub Base: SIMKMT_CONFIG,
    /// Entries at `pAdapterDescs`: adapter `i` gets entry `i`; at most the
    /// adapter count.
    pub NumAdapterDescs: u32,
    /// Must be 0.
    pub Reserved: u32,
    /// The profiles; NULL only when `NumAdapterDescs` is 0.
    pub pAdapterDescs: *const SIMKMT_ADAPTER_DESC,
}

/// `SIMKMT_SUBMIT` (24 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SIMKMT_SUBMIT {
    /// In: the device.
    pub hDevice: D3DKMT_HANDLE,
    /// In: >= 1.
    pub NumAllocations: u32,
    /// In: allocations of `hDevice`.
    pub phAllocations: *const D3DKMT_HANDLE,
    /// Out: completes this work.
    pub FenceValue: u64,
}

/// `SIMKMT_ALLOCATION_INFO` (24 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SIMKMT_ALLOCATION_INFO {
    /// Rounded to pages.
    pub SizeInBytes: u64,
    /// Number of pages.
    pub PageCount: u32,
    /// Lock references held.
    pub LockCount: u32,
    /// 1 while referenced by uncompleted work.
    pub Busy: u32,
    /// `SIMKMT_ALLOCATION_FLAG_*`.
    pub Flags: u32,
}

/// `SIMKMT_FAULT` (24 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SIMKMT_FAULT {
    /// `SIMKMT_CALL_*`.
    pub Call: u32,
    /// Fire on the Nth matching call from now; 0 → 1.
    pub Nth: u32,
    /// Consecutive calls it fires on; 0 → 1.
    pub Count: u32,
    /// `SIMKMT_FAULT_RETURN_STATUS` 0, `_REMOVE_DEVICE` 1, `_RESET_ADAPTER` 2.
    pub Action: u32,
    /// For `RETURN_STATUS`: the failure status returned instead.
    pub Status: NTSTATUS,
    /// Must be 0.
    pub Reserved: u32,
}

/// `SIMKMT_ALLOCATION_DESC` (16 bytes): the private driver data the
/// simulated kernel-mode driver reads.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SIMKMT_ALLOCATION_DESC {
    /// `SIMKMT_ALLOCATION_DESC_VERSION` (1).
    pub Version: u32,
    /// `SIMKMT_ALLOCATION_FLAG_*`.
    pub Flags: u32,
    /// > 0; rounded up to whole pages.
    pub SizeInBytes: u64,
}

/// `SIMKMT_FAULT_RETURN_STATUS`.
pub const SIMKMT_FAULT_RETURN_STATUS: u32 = 0;
/// `SIMKMT_FAULT_REMOVE_DEVICE`.
pub const SIMKMT_FAULT_REMOVE_DEVICE: u32 = 1;
/// `SIMKMT_FAULT_RESET_ADAPTER`.
pub const SIMKMT_FAULT_RESET_ADAPTER: u32 = 2;

macro_rules! layout {
    ($ty:ty, $size:expr $(, $field:ident @ $off:expr)*) => {
        const _: () = assert!(size_of::<$ty>() == $size);
        $(const _: () = assert!(offset_of!($ty, $field) == $off);)*
    };
}

// The D3DKMT structs, row by row.
layout!(D3DKMT_LOCK2, 24, hDevice @ 0, hAllocation @ 4, Flags @ 8, pData @ 16);
layout!(D3DKMT_UNLOCK2, 8, hDevice @ 0, hAllocation @ 4);
layout!(D3DKMT_LOCK, 48, hDevice @ 0, hAllocation @ 4, PrivateDriverData @ 8, NumPages @ 12, pPages @ 16,
    pData @ 24, Flags @ 32, GpuVirtualAddress @ 40);
layout!(D3DKMT_UNLOCK, 16, hDevice @ 0, NumAllocations @ 4, phAllocations @ 8);
layout!(D3DKMT_ADAPTERINFO, 20, hAdapter @ 0, AdapterLuid @ 4, NumOfSources @ 12, bPrecisePresentRegionsPreferred @ 16);
layout!(D3DKMT_ENUMADAPTERS2, 16, NumAdapters @ 0, pAdapters @ 8);
layout!(D3DKMT_OPENADAPTERFROMLUID, 12, AdapterLuid @ 0, hAdapter @ 8);
layout!(D3DKMT_CLOSEADAPTER, 4, hAdapter @ 0);
layout!(D3DKMT_CREATEDEVICE, 64, Anonymous @ 0, Flags @ 8, hDevice @ 12, pCommandBuffer @ 16, CommandBufferSize @ 24,
    pAllocationList @ 32, AllocationListSize @ 40, pPatchLocationList @ 48, PatchLocationListSize @ 56);
layout!(D3DKMT_DESTROYDEVICE, 4, hDevice @ 0);
layout!(D3DKMT_CREATEALLOCATION, 72, hDevice @ 0, hResource @ 4, hGlobalShare @ 8, pPrivateRuntimeData @ 16,
    PrivateRuntimeDataSize @ 24, Anonymous1 @ 32, PrivateDriverDataSize @ 40, NumAllocations @ 44, Anonymous2 @ 48,
    Flags @ 56, hPrivateRuntimeResourceHandle @ 64);
layout!(D3DDDI_ALLOCATIONINFO, 40, hAllocation @ 0, pSystemMem @ 8, pPrivateDriverData @ 16,
    PrivateDriverDataSize @ 24, VidPnSourceId @ 28, Flags @ 32);
layout!(D3DDDI_ALLOCATIONINFO2, 96, hAllocation @ 0, Anonymous1 @ 8, pPrivateDriverData @ 16,
    PrivateDriverDataSize @ 24, VidPnSourceId @ 28, Flags @ 32, GpuVirtualAddress @ 40, Anonymous2 @ 48,
    Reserved @ 56);
layout!(D3DKMT_DESTROYALLOCATION2, 24, hDevice @ 0, hResource @ 4, phAllocationList @ 8, AllocationCount @ 16,
    Flags @ 20);
layout!(D3DKMT_GETDEVICESTATE, 56, hDevice @ 0, StateType @ 4, Anonymous @ 8);
// docs/contract.md §10: adapter queries and contexts.
layout!(D3DKMT_ENUMADAPTERS3, 24, Filter @ 0, NumAdapters @ 8, pAdapters @ 16);
layout!(D3DKMT_QUERYADAPTERINFO, 24, hAdapter @ 0, Type @ 4, pPrivateDriverData @ 8, PrivateDriverDataSize @ 16);
layout!(D3DKMT_CREATECONTEXTVIRTUAL, 40, hDevice @ 0, NodeOrdinal @ 4, EngineAffinity @ 8, Flags @ 12,
    pPrivateDriverData @ 16, PrivateDriverDataSize @ 24, ClientHint @ 28, hContext @ 32);
layout!(D3DKMT_DESTROYCONTEXT, 4, hContext @ 0);
layout!(D3DKMT_QUERY_DEVICE_IDS, 28, PhysicalAdapterIndex @ 0, DeviceIds @ 4);
layout!(D3DKMT_ADAPTERADDRESS, 12, BusNumber @ 0, DeviceNumber @ 4, FunctionNumber @ 8);
layout!(D3DKMT_SEGMENTSIZEINFO, 24, DedicatedVideoMemorySize @ 0, DedicatedSystemMemorySize @ 8,
    SharedSystemMemorySize @ 16);
layout!(D3DKMT_ADAPTERTYPE, 4);
layout!(D3DKMT_WDDM_2_7_CAPS, 4);
// The SIMKMT_ extension.
layout!(SIMKMT_CONFIG, 40, Size @ 0, AdapterCount @ 4, PageSize @ 8, MaxLockReferences @ 12, BusyPolicy @ 16,
    WaitTimeoutMs @ 20, AdapterMemoryBytes @ 24, Seed @ 32);
layout!(SIMKMT_ADAPTER_DESC, 96, Size @ 0, Kind @ 4, VendorId @ 8, DeviceId @ 12, SubVendorId @ 16,
    SubSystemId @ 20, RevisionId @ 24, HwScheduling @ 28, DriverVersion @ 32, NodeCount @ 36, EnginesPerNode @ 40,
    pDescription @ 72, pUmdPrivateData @ 80, UmdPrivateDataSize @ 88, Reserved @ 92);
layout!(SIMKMT_CONFIG_EX, 56, Base @ 0, NumAdapterDescs @ 40, Reserved @ 44, pAdapterDescs @ 48);
layout!(SIMKMT_SUBMIT, 24, hDevice @ 0, NumAllocations @ 4, phAllocations @ 8, FenceValue @ 16);
layout!(SIMKMT_ALLOCATION_INFO, 24, SizeInBytes @ 0, PageCount @ 8, LockCount @ 12, Busy @ 16, Flags @ 20);
layout!(SIMKMT_FAULT, 24, Call @ 0, Nth @ 4, Count @ 8, Action @ 12, Status @ 16, Reserved @ 20);
layout!(SIMKMT_ALLOCATION_DESC, 16, Version @ 0, Flags @ 4, SizeInBytes @ 8);

// === the driver model (SimKmtSetDriverModel) ===

/// `SIMKMT_ALLOCATION_REQUEST` (40 bytes): what an interpreter registered
/// with `SimKmtSetDriverModel` is shown of one allocation.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SIMKMT_ALLOCATION_REQUEST {
    /// The resource-level private driver data of the create call (NULL when none).
    pub pResourcePrivateDriverData: *const core::ffi::c_void,
    /// Its size in bytes.
    pub ResourcePrivateDriverDataSize: u32,
    /// The allocation's index in the call.
    pub AllocationIndex: u32,
    /// This allocation's private driver data (NULL when none).
    pub pPrivateDriverData: *const core::ffi::c_void,
    /// Its size in bytes.
    pub PrivateDriverDataSize: u32,
    /// The call's `D3DKMT_CREATEALLOCATIONFLAGS` value.
    pub Flags: u32,
    /// 1 when the caller gave `pSystemMem`.
    pub HasSystemMemory: u32,
    /// 0.
    pub Reserved: u32,
}

/// `SIMKMT_ALLOCATION_ANSWER` (16 bytes): what the interpreter decides.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SIMKMT_ALLOCATION_ANSWER {
    /// > 0; rounded up to whole pages.
    pub SizeInBytes: u64,
    /// `SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE` or 0.
    pub Flags: u32,
    /// `SIMKMT_PLACEMENT_VIDEO` 0 or `SIMKMT_PLACEMENT_SYSTEM` 1.
    pub Placement: u32,
}

/// `PFN_SIMKMT_INTERPRET_ALLOCATION`: an interpreter of private driver
/// data; a failure status (< 0) fails the create call with that status.
pub type PFN_SIMKMT_INTERPRET_ALLOCATION = Option<
    unsafe extern "system" fn(
        pContext: *mut core::ffi::c_void,
        pRequest: *const SIMKMT_ALLOCATION_REQUEST,
        pAnswer: *mut SIMKMT_ALLOCATION_ANSWER,
    ) -> NTSTATUS,
>;

/// `SIMKMT_PLACEMENT_VIDEO`: video memory, against the adapter budget.
pub const SIMKMT_PLACEMENT_VIDEO: u32 = 0;
/// `SIMKMT_PLACEMENT_SYSTEM`: host memory outside the budget.
pub const SIMKMT_PLACEMENT_SYSTEM: u32 = 1;

layout!(SIMKMT_ALLOCATION_REQUEST, 40, pResourcePrivateDriverData @ 0, ResourcePrivateDriverDataSize @ 8,
    AllocationIndex @ 12, pPrivateDriverData @ 16, PrivateDriverDataSize @ 24, Flags @ 28, HasSystemMemory @ 32,
    Reserved @ 36);
layout!(SIMKMT_ALLOCATION_ANSWER, 16, SizeInBytes @ 0, Flags @ 8, Placement @ 12);
