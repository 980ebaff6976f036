/*
 * layout.c - print the size, alignment and field offsets of every struct in
 * include/d3dkmt_sim.h, for comparison with the Rust side (windows-sys types
 * and the crate's own SIMKMT types).
 *
 * Output (stdout), one record per line, in a stable order:
 *
 *     <TYPE> size <bytes>
 *     <TYPE> align <bytes>
 *     <TYPE>.<field> <offset>
 *
 * All numbers are decimal.  A field inside an anonymous union is printed
 * under each of its names (e.g. D3DKMT_CREATEALLOCATION.pPrivateDriverData
 * and D3DKMT_CREATEALLOCATION.pStandardAllocation, both 32).  Array fields
 * are printed without the brackets (D3DDDI_ALLOCATIONINFO2.Reserved 56).
 * The structs of the contract's layout table (docs/contract.md section 2) and the
 * SIMKMT structs come first; a few helper types follow.
 *
 * Before printing, the program also checks the flag bit-fields against the
 * bit positions the contract names (by setting each member and reading
 * Value); a mismatch is reported on stderr and the exit status is 1.
 *
 * Build: cc -std=c11 -Wall -Wextra -Iinclude tests/c/layout.c -o layout
 * (no library needed).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "d3dkmt_sim.h"

#define ALIGNOF(T) offsetof(struct { char c_; T t_; }, t_)

#define SIZE(T)                                                   \
    do {                                                          \
        printf("%s size %zu\n", #T, sizeof(T));                   \
        printf("%s align %zu\n", #T, (size_t)ALIGNOF(T));         \
    } while (0)

#define FIELD(T, f) printf("%s.%s %zu\n", #T, #f, (size_t)offsetof(T, f))

static int g_bit_failures;

static void check_bit(const char *name, unsigned value, unsigned expected)
{
    if (value != expected) {
        fprintf(stderr, "bit-field %s: Value 0x%08X, expected 0x%08X\n", name, value, expected);
        g_bit_failures++;
    }
}

/* Set one bit-field member of a zeroed flags union and compare Value. */
#define BIT(T, member, mask)                             \
    do {                                                 \
        T v_;                                            \
        memset(&v_, 0, sizeof v_);                       \
        v_.member = 1;                                   \
        check_bit(#T "." #member, (unsigned)v_.Value, (unsigned)(mask)); \
    } while (0)

/* Same for a named flags union member of a struct (e.g. ALLOCATIONINFO.Flags). */
#define BIT_IN(T, flags, member, mask)                   \
    do {                                                 \
        T v_;                                            \
        memset(&v_, 0, sizeof v_);                       \
        v_.flags.member = 1;                             \
        check_bit(#T "." #flags "." #member, (unsigned)v_.flags.Value, (unsigned)(mask)); \
    } while (0)

static void check_bits(void)
{
    BIT(D3DDDICB_LOCKFLAGS, ReadOnly, 0x1);
    BIT(D3DDDICB_LOCKFLAGS, WriteOnly, 0x2);
    BIT(D3DDDICB_LOCKFLAGS, DonotWait, 0x4);
    BIT(D3DDDICB_LOCKFLAGS, IgnoreSync, 0x8);
    BIT(D3DDDICB_LOCKFLAGS, LockEntire, 0x10);
    BIT(D3DDDICB_LOCKFLAGS, DonotEvict, 0x20);
    BIT(D3DDDICB_LOCKFLAGS, AcquireAperture, 0x40);
    BIT(D3DDDICB_LOCKFLAGS, Discard, 0x80);
    BIT(D3DDDICB_LOCKFLAGS, NoExistingReference, 0x100);
    BIT(D3DDDICB_LOCKFLAGS, UseAlternateVA, 0x200);
    BIT(D3DDDICB_LOCKFLAGS, IgnoreReadSync, 0x400);
    BIT(D3DDDICB_LOCKFLAGS, Reserved, 0x800);

    BIT(D3DDDICB_LOCK2FLAGS, Reserved, 0x1);

    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CreateResource, 0x1);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CreateShared, 0x2);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, NonSecure, 0x4);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CreateProtected, 0x8);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, RestrictSharedAccess, 0x10);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, ExistingSysMem, 0x20);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, NtSecuritySharing, 0x40);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, ReadOnly, 0x80);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CreateWriteCombined, 0x100);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CreateCached, 0x200);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, SwapChainBackBuffer, 0x400);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, CrossAdapter, 0x800);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, OpenCrossAdapter, 0x1000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, PartialSharedCreation, 0x2000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, Zeroed, 0x4000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, WriteWatch, 0x8000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, StandardAllocation, 0x10000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, ExistingSection, 0x20000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, AllowNotZeroed, 0x40000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, PhysicallyContiguous, 0x80000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, NoKmdAccess, 0x100000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, SharedDisplayable, 0x200000);
    BIT(D3DKMT_CREATEALLOCATIONFLAGS, Reserved, 0x400000);

    BIT(D3DDDICB_DESTROYALLOCATION2FLAGS, AssumeNotInUse, 0x1);
    BIT(D3DDDICB_DESTROYALLOCATION2FLAGS, SynchronousDestroy, 0x2);
    BIT(D3DDDICB_DESTROYALLOCATION2FLAGS, Reserved, 0x4);
    BIT(D3DDDICB_DESTROYALLOCATION2FLAGS, SystemUseOnly, 0x80000000u);

    BIT(D3DKMT_CREATESTANDARDALLOCATIONFLAGS, Reserved, 0x1);
    BIT(D3DKMT_DEVICERESET_STATE, DesktopSwitched, 0x1);
    BIT(D3DKMT_ENUMADAPTERS_FILTER, IncludeComputeOnly, 0x1);
    BIT(D3DKMT_ENUMADAPTERS_FILTER, IncludeDisplayOnly, 0x2);
    BIT(D3DKMT_ADAPTERTYPE, RenderSupported, 0x1);
    BIT(D3DKMT_ADAPTERTYPE, DisplaySupported, 0x2);
    BIT(D3DKMT_ADAPTERTYPE, Paravirtualized, 0x80);
    BIT(D3DKMT_ADAPTERTYPE, ComputeOnly, 0x800);
    BIT(D3DKMT_ADAPTERTYPE, RuntimePowerManagement, 0x2000);
    BIT(D3DKMT_WDDM_2_7_CAPS, HwSchSupported, 0x1);
    BIT(D3DKMT_WDDM_2_7_CAPS, HwSchEnabled, 0x2);
    BIT(D3DKMT_WDDM_2_7_CAPS, HwSchEnabledByDefault, 0x4);
    BIT(D3DKMT_WDDM_2_7_CAPS, IndependentVidPnVSyncControl, 0x8);
    BIT(D3DDDI_CREATECONTEXTFLAGS, NullRendering, 0x1);
    BIT(D3DDDI_CREATECONTEXTFLAGS, DisableGpuTimeout, 0x4);
    BIT(D3DDDI_CREATECONTEXTFLAGS, HwQueueSupported, 0x10);
    BIT(D3DDDI_CREATECONTEXTFLAGS, NoKmdAccess, 0x20);

    BIT_IN(D3DDDI_ALLOCATIONINFO, Flags, Primary, 0x1);
    BIT_IN(D3DDDI_ALLOCATIONINFO, Flags, Stereo, 0x2);
    BIT_IN(D3DDDI_ALLOCATIONINFO2, Flags, Primary, 0x1);
    BIT_IN(D3DDDI_ALLOCATIONINFO2, Flags, Stereo, 0x2);
    BIT_IN(D3DDDI_ALLOCATIONINFO2, Flags, OverridePriority, 0x4);

    {
        /* D3DKMT_CREATEDEVICEFLAGS has no Value member: compare raw bits. */
        D3DKMT_CREATEDEVICEFLAGS f;
        unsigned raw;
        memset(&f, 0, sizeof f);
        f.DisableGpuTimeout = 1;
        memcpy(&raw, &f, sizeof raw);
        check_bit("D3DKMT_CREATEDEVICEFLAGS.DisableGpuTimeout", raw, 0x4);
    }
}

int main(void)
{
    check_bits();

    /* --- docs/contract.md section 2 --- */
    SIZE(D3DKMT_LOCK2);
    FIELD(D3DKMT_LOCK2, hDevice);
    FIELD(D3DKMT_LOCK2, hAllocation);
    FIELD(D3DKMT_LOCK2, Flags);
    FIELD(D3DKMT_LOCK2, pData);

    SIZE(D3DKMT_UNLOCK2);
    FIELD(D3DKMT_UNLOCK2, hDevice);
    FIELD(D3DKMT_UNLOCK2, hAllocation);

    SIZE(D3DKMT_LOCK);
    FIELD(D3DKMT_LOCK, hDevice);
    FIELD(D3DKMT_LOCK, hAllocation);
    FIELD(D3DKMT_LOCK, PrivateDriverData);
    FIELD(D3DKMT_LOCK, NumPages);
    FIELD(D3DKMT_LOCK, pPages);
    FIELD(D3DKMT_LOCK, pData);
    FIELD(D3DKMT_LOCK, Flags);
    FIELD(D3DKMT_LOCK, GpuVirtualAddress);

    SIZE(D3DKMT_UNLOCK);
    FIELD(D3DKMT_UNLOCK, hDevice);
    FIELD(D3DKMT_UNLOCK, NumAllocations);
    FIELD(D3DKMT_UNLOCK, phAllocations);

    SIZE(D3DKMT_ADAPTERINFO);
    FIELD(D3DKMT_ADAPTERINFO, hAdapter);
    FIELD(D3DKMT_ADAPTERINFO, AdapterLuid);
    FIELD(D3DKMT_ADAPTERINFO, NumOfSources);
    FIELD(D3DKMT_ADAPTERINFO, bPrecisePresentRegionsPreferred);

    SIZE(D3DKMT_ENUMADAPTERS2);
    FIELD(D3DKMT_ENUMADAPTERS2, NumAdapters);
    FIELD(D3DKMT_ENUMADAPTERS2, pAdapters);

    SIZE(D3DKMT_OPENADAPTERFROMLUID);
    FIELD(D3DKMT_OPENADAPTERFROMLUID, AdapterLuid);
    FIELD(D3DKMT_OPENADAPTERFROMLUID, hAdapter);

    SIZE(D3DKMT_CLOSEADAPTER);
    FIELD(D3DKMT_CLOSEADAPTER, hAdapter);

    SIZE(D3DKMT_CREATEDEVICE);
    FIELD(D3DKMT_CREATEDEVICE, hAdapter);
    FIELD(D3DKMT_CREATEDEVICE, pAdapter);
    FIELD(D3DKMT_CREATEDEVICE, Flags);
    FIELD(D3DKMT_CREATEDEVICE, hDevice);
    FIELD(D3DKMT_CREATEDEVICE, pCommandBuffer);
    FIELD(D3DKMT_CREATEDEVICE, CommandBufferSize);
    FIELD(D3DKMT_CREATEDEVICE, pAllocationList);
    FIELD(D3DKMT_CREATEDEVICE, AllocationListSize);
    FIELD(D3DKMT_CREATEDEVICE, pPatchLocationList);
    FIELD(D3DKMT_CREATEDEVICE, PatchLocationListSize);

    SIZE(D3DKMT_DESTROYDEVICE);
    FIELD(D3DKMT_DESTROYDEVICE, hDevice);

    SIZE(D3DKMT_CREATEALLOCATION);
    FIELD(D3DKMT_CREATEALLOCATION, hDevice);
    FIELD(D3DKMT_CREATEALLOCATION, hResource);
    FIELD(D3DKMT_CREATEALLOCATION, hGlobalShare);
    FIELD(D3DKMT_CREATEALLOCATION, pPrivateRuntimeData);
    FIELD(D3DKMT_CREATEALLOCATION, PrivateRuntimeDataSize);
    FIELD(D3DKMT_CREATEALLOCATION, pPrivateDriverData);
    FIELD(D3DKMT_CREATEALLOCATION, pStandardAllocation);
    FIELD(D3DKMT_CREATEALLOCATION, PrivateDriverDataSize);
    FIELD(D3DKMT_CREATEALLOCATION, NumAllocations);
    FIELD(D3DKMT_CREATEALLOCATION, pAllocationInfo);
    FIELD(D3DKMT_CREATEALLOCATION, pAllocationInfo2);
    FIELD(D3DKMT_CREATEALLOCATION, Flags);
    FIELD(D3DKMT_CREATEALLOCATION, hPrivateRuntimeResourceHandle);

    SIZE(D3DDDI_ALLOCATIONINFO);
    FIELD(D3DDDI_ALLOCATIONINFO, hAllocation);
    FIELD(D3DDDI_ALLOCATIONINFO, pSystemMem);
    FIELD(D3DDDI_ALLOCATIONINFO, pPrivateDriverData);
    FIELD(D3DDDI_ALLOCATIONINFO, PrivateDriverDataSize);
    FIELD(D3DDDI_ALLOCATIONINFO, VidPnSourceId);
    FIELD(D3DDDI_ALLOCATIONINFO, Flags);

    SIZE(D3DDDI_ALLOCATIONINFO2);
    FIELD(D3DDDI_ALLOCATIONINFO2, hAllocation);
    FIELD(D3DDDI_ALLOCATIONINFO2, pSystemMem);
    FIELD(D3DDDI_ALLOCATIONINFO2, hSection);
    FIELD(D3DDDI_ALLOCATIONINFO2, pPrivateDriverData);
    FIELD(D3DDDI_ALLOCATIONINFO2, PrivateDriverDataSize);
    FIELD(D3DDDI_ALLOCATIONINFO2, VidPnSourceId);
    FIELD(D3DDDI_ALLOCATIONINFO2, Flags);
    FIELD(D3DDDI_ALLOCATIONINFO2, GpuVirtualAddress);
    FIELD(D3DDDI_ALLOCATIONINFO2, Priority);
    FIELD(D3DDDI_ALLOCATIONINFO2, Unused);
    FIELD(D3DDDI_ALLOCATIONINFO2, Reserved);

    SIZE(D3DKMT_DESTROYALLOCATION2);
    FIELD(D3DKMT_DESTROYALLOCATION2, hDevice);
    FIELD(D3DKMT_DESTROYALLOCATION2, hResource);
    FIELD(D3DKMT_DESTROYALLOCATION2, phAllocationList);
    FIELD(D3DKMT_DESTROYALLOCATION2, AllocationCount);
    FIELD(D3DKMT_DESTROYALLOCATION2, Flags);

    SIZE(D3DKMT_GETDEVICESTATE);
    FIELD(D3DKMT_GETDEVICESTATE, hDevice);
    FIELD(D3DKMT_GETDEVICESTATE, StateType);
    FIELD(D3DKMT_GETDEVICESTATE, ExecutionState);
    FIELD(D3DKMT_GETDEVICESTATE, PresentState);
    FIELD(D3DKMT_GETDEVICESTATE, ResetState);
    FIELD(D3DKMT_GETDEVICESTATE, PresentStateDWM);
    FIELD(D3DKMT_GETDEVICESTATE, PageFaultState);
    FIELD(D3DKMT_GETDEVICESTATE, PresentQueueState);

    /* --- SIMKMT extension (docs/contract.md sections 4 and 9) --- */
    SIZE(SIMKMT_ALLOCATION_DESC);
    FIELD(SIMKMT_ALLOCATION_DESC, Version);
    FIELD(SIMKMT_ALLOCATION_DESC, Flags);
    FIELD(SIMKMT_ALLOCATION_DESC, SizeInBytes);

    SIZE(SIMKMT_CONFIG);
    FIELD(SIMKMT_CONFIG, Size);
    FIELD(SIMKMT_CONFIG, AdapterCount);
    FIELD(SIMKMT_CONFIG, PageSize);
    FIELD(SIMKMT_CONFIG, MaxLockReferences);
    FIELD(SIMKMT_CONFIG, BusyPolicy);
    FIELD(SIMKMT_CONFIG, WaitTimeoutMs);
    FIELD(SIMKMT_CONFIG, AdapterMemoryBytes);
    FIELD(SIMKMT_CONFIG, Seed);

    SIZE(SIMKMT_SUBMIT);
    FIELD(SIMKMT_SUBMIT, hDevice);
    FIELD(SIMKMT_SUBMIT, NumAllocations);
    FIELD(SIMKMT_SUBMIT, phAllocations);
    FIELD(SIMKMT_SUBMIT, FenceValue);

    SIZE(SIMKMT_ALLOCATION_INFO);
    FIELD(SIMKMT_ALLOCATION_INFO, SizeInBytes);
    FIELD(SIMKMT_ALLOCATION_INFO, PageCount);
    FIELD(SIMKMT_ALLOCATION_INFO, LockCount);
    FIELD(SIMKMT_ALLOCATION_INFO, Busy);
    FIELD(SIMKMT_ALLOCATION_INFO, Flags);

    SIZE(SIMKMT_FAULT);
    FIELD(SIMKMT_FAULT, Call);
    FIELD(SIMKMT_FAULT, Nth);
    FIELD(SIMKMT_FAULT, Count);
    FIELD(SIMKMT_FAULT, Action);
    FIELD(SIMKMT_FAULT, Status);
    FIELD(SIMKMT_FAULT, Reserved);

    SIZE(SIMKMT_ALLOCATION_REQUEST);
    FIELD(SIMKMT_ALLOCATION_REQUEST, pResourcePrivateDriverData);
    FIELD(SIMKMT_ALLOCATION_REQUEST, ResourcePrivateDriverDataSize);
    FIELD(SIMKMT_ALLOCATION_REQUEST, AllocationIndex);
    FIELD(SIMKMT_ALLOCATION_REQUEST, pPrivateDriverData);
    FIELD(SIMKMT_ALLOCATION_REQUEST, PrivateDriverDataSize);
    FIELD(SIMKMT_ALLOCATION_REQUEST, Flags);
    FIELD(SIMKMT_ALLOCATION_REQUEST, HasSystemMemory);
    FIELD(SIMKMT_ALLOCATION_REQUEST, Reserved);

    SIZE(SIMKMT_ALLOCATION_ANSWER);
    FIELD(SIMKMT_ALLOCATION_ANSWER, SizeInBytes);
    FIELD(SIMKMT_ALLOCATION_ANSWER, Flags);
    FIELD(SIMKMT_ALLOCATION_ANSWER, Placement);

    /* --- helper types --- */
    SIZE(LUID);
    FIELD(LUID, LowPart);
    FIELD(LUID, HighPart);

    SIZE(D3DDDICB_LOCK2FLAGS);
    SIZE(D3DDDICB_LOCKFLAGS);
    SIZE(D3DKMT_CREATEDEVICEFLAGS);
    SIZE(D3DKMT_CREATEALLOCATIONFLAGS);
    SIZE(D3DDDICB_DESTROYALLOCATION2FLAGS);
    SIZE(D3DKMT_CREATESTANDARDALLOCATIONFLAGS);

    SIZE(D3DKMT_STANDARDALLOCATION_EXISTINGHEAP);
    FIELD(D3DKMT_STANDARDALLOCATION_EXISTINGHEAP, Size);

    SIZE(D3DKMT_CREATESTANDARDALLOCATION);
    FIELD(D3DKMT_CREATESTANDARDALLOCATION, Type);
    FIELD(D3DKMT_CREATESTANDARDALLOCATION, ExistingHeapData);
    FIELD(D3DKMT_CREATESTANDARDALLOCATION, Flags);

    SIZE(D3DKMT_PRESENT_STATS);
    FIELD(D3DKMT_PRESENT_STATS, PresentCount);
    FIELD(D3DKMT_PRESENT_STATS, PresentRefreshCount);
    FIELD(D3DKMT_PRESENT_STATS, SyncRefreshCount);
    FIELD(D3DKMT_PRESENT_STATS, SyncQPCTime);
    FIELD(D3DKMT_PRESENT_STATS, SyncGPUTime);

    SIZE(D3DKMT_DEVICEPRESENT_STATE);
    FIELD(D3DKMT_DEVICEPRESENT_STATE, VidPnSourceId);
    FIELD(D3DKMT_DEVICEPRESENT_STATE, PresentStats);

    SIZE(D3DKMT_DEVICERESET_STATE);

    SIZE(D3DKMT_PRESENT_STATS_DWM);
    FIELD(D3DKMT_PRESENT_STATS_DWM, PresentCount);
    FIELD(D3DKMT_PRESENT_STATS_DWM, PresentRefreshCount);
    FIELD(D3DKMT_PRESENT_STATS_DWM, PresentQPCTime);
    FIELD(D3DKMT_PRESENT_STATS_DWM, SyncRefreshCount);
    FIELD(D3DKMT_PRESENT_STATS_DWM, SyncQPCTime);
    FIELD(D3DKMT_PRESENT_STATS_DWM, CustomPresentDuration);

    SIZE(D3DKMT_DEVICEPRESENT_STATE_DWM);
    FIELD(D3DKMT_DEVICEPRESENT_STATE_DWM, VidPnSourceId);
    FIELD(D3DKMT_DEVICEPRESENT_STATE_DWM, PresentStatsDWM);

    SIZE(D3DKMT_DEVICEPAGEFAULT_STATE);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, FaultedPrimitiveAPISequenceNumber);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, FaultedPipelineStage);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, FaultedBindTableEntry);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, PageFaultFlags);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, FaultErrorCode);
    FIELD(D3DKMT_DEVICEPAGEFAULT_STATE, FaultedVirtualAddress);

    SIZE(D3DKMT_DEVICEPRESENT_QUEUE_STATE);
    FIELD(D3DKMT_DEVICEPRESENT_QUEUE_STATE, VidPnSourceId);
    FIELD(D3DKMT_DEVICEPRESENT_QUEUE_STATE, bQueuedPresentLimitReached);

    /* docs/contract.md section 10: adapter queries and contexts. */
    SIZE(D3DKMT_ENUMADAPTERS3);
    FIELD(D3DKMT_ENUMADAPTERS3, Filter);
    FIELD(D3DKMT_ENUMADAPTERS3, NumAdapters);
    FIELD(D3DKMT_ENUMADAPTERS3, pAdapters);
    SIZE(D3DKMT_QUERYADAPTERINFO);
    FIELD(D3DKMT_QUERYADAPTERINFO, hAdapter);
    FIELD(D3DKMT_QUERYADAPTERINFO, Type);
    FIELD(D3DKMT_QUERYADAPTERINFO, pPrivateDriverData);
    FIELD(D3DKMT_QUERYADAPTERINFO, PrivateDriverDataSize);
    SIZE(D3DKMT_QUERY_DEVICE_IDS);
    FIELD(D3DKMT_QUERY_DEVICE_IDS, PhysicalAdapterIndex);
    FIELD(D3DKMT_QUERY_DEVICE_IDS, DeviceIds);
    SIZE(D3DKMT_DEVICE_IDS);
    FIELD(D3DKMT_DEVICE_IDS, VendorID);
    FIELD(D3DKMT_DEVICE_IDS, DeviceID);
    FIELD(D3DKMT_DEVICE_IDS, SubVendorID);
    FIELD(D3DKMT_DEVICE_IDS, SubSystemID);
    FIELD(D3DKMT_DEVICE_IDS, RevisionID);
    FIELD(D3DKMT_DEVICE_IDS, BusType);
    SIZE(D3DKMT_ADAPTERTYPE);
    SIZE(D3DKMT_WDDM_2_7_CAPS);
    SIZE(D3DKMT_DRIVER_DESCRIPTION);
    SIZE(D3DKMT_ADAPTERADDRESS);
    FIELD(D3DKMT_ADAPTERADDRESS, BusNumber);
    FIELD(D3DKMT_ADAPTERADDRESS, DeviceNumber);
    FIELD(D3DKMT_ADAPTERADDRESS, FunctionNumber);
    SIZE(D3DKMT_SEGMENTSIZEINFO);
    FIELD(D3DKMT_SEGMENTSIZEINFO, DedicatedVideoMemorySize);
    FIELD(D3DKMT_SEGMENTSIZEINFO, DedicatedSystemMemorySize);
    FIELD(D3DKMT_SEGMENTSIZEINFO, SharedSystemMemorySize);
    SIZE(D3DKMT_PHYSICAL_ADAPTER_COUNT);
    FIELD(D3DKMT_PHYSICAL_ADAPTER_COUNT, Count);
    SIZE(D3DDDI_CREATECONTEXTFLAGS);
    SIZE(D3DKMT_CREATECONTEXTVIRTUAL);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, hDevice);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, NodeOrdinal);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, EngineAffinity);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, Flags);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, pPrivateDriverData);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, PrivateDriverDataSize);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, ClientHint);
    FIELD(D3DKMT_CREATECONTEXTVIRTUAL, hContext);
    SIZE(D3DKMT_DESTROYCONTEXT);
    FIELD(D3DKMT_DESTROYCONTEXT, hContext);
    SIZE(SIMKMT_ADAPTER_DESC);
    FIELD(SIMKMT_ADAPTER_DESC, Size);
    FIELD(SIMKMT_ADAPTER_DESC, Kind);
    FIELD(SIMKMT_ADAPTER_DESC, VendorId);
    FIELD(SIMKMT_ADAPTER_DESC, DeviceId);
    FIELD(SIMKMT_ADAPTER_DESC, SubVendorId);
    FIELD(SIMKMT_ADAPTER_DESC, SubSystemId);
    FIELD(SIMKMT_ADAPTER_DESC, RevisionId);
    FIELD(SIMKMT_ADAPTER_DESC, HwScheduling);
    FIELD(SIMKMT_ADAPTER_DESC, DriverVersion);
    FIELD(SIMKMT_ADAPTER_DESC, NodeCount);
    FIELD(SIMKMT_ADAPTER_DESC, EnginesPerNode);
    FIELD(SIMKMT_ADAPTER_DESC, pDescription);
    FIELD(SIMKMT_ADAPTER_DESC, pUmdPrivateData);
    FIELD(SIMKMT_ADAPTER_DESC, UmdPrivateDataSize);
    FIELD(SIMKMT_ADAPTER_DESC, Reserved);
    SIZE(SIMKMT_CONFIG_EX);
    FIELD(SIMKMT_CONFIG_EX, Base);
    FIELD(SIMKMT_CONFIG_EX, NumAdapterDescs);
    FIELD(SIMKMT_CONFIG_EX, Reserved);
    FIELD(SIMKMT_CONFIG_EX, pAdapterDescs);

    if (fflush(stdout) != 0)
        return 1;
    return g_bit_failures ? 1 : 0;
}
