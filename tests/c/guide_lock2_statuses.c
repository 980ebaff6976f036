/*
 * guide_lock2_statuses.c - docs/guide.md, section 1: every status of the
 * D3DKMTLock2 contract (docs/contract.md §5), first provoked by a real
 * state of the simulator, then injected with SimKmtInjectFault.
 * tests/c_abi.rs runs it against the shared and the static library.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static D3DKMT_HANDLE g_adapter;

static D3DKMT_HANDLE create_device(void)
{
    D3DKMT_CREATEDEVICE create;
    memset(&create, 0, sizeof create);
    create.hAdapter = g_adapter;
    CHECK_EQ(D3DKMTCreateDevice(&create), STATUS_SUCCESS);
    return create.hDevice;
}

static NTSTATUS destroy_device(D3DKMT_HANDLE device)
{
    D3DKMT_DESTROYDEVICE destroy = {device};
    return D3DKMTDestroyDevice(&destroy);
}

/* One allocation of `size` bytes, read by the default driver model. */
static D3DKMT_HANDLE create_allocation(D3DKMT_HANDLE device, UINT64 size, UINT32 flags)
{
    SIMKMT_ALLOCATION_DESC desc = {SIMKMT_ALLOCATION_DESC_VERSION, flags, size};
    D3DDDI_ALLOCATIONINFO2 info;
    D3DKMT_CREATEALLOCATION create;
    memset(&info, 0, sizeof info);
    memset(&create, 0, sizeof create);
    info.pPrivateDriverData = &desc;
    info.PrivateDriverDataSize = sizeof desc;
    create.hDevice = device;
    create.NumAllocations = 1;
    create.pAllocationInfo2 = &info;
    CHECK_EQ(D3DKMTCreateAllocation2(&create), STATUS_SUCCESS);
    return info.hAllocation;
}

static NTSTATUS lock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    D3DKMT_LOCK2 lock;
    memset(&lock, 0, sizeof lock);
    lock.hDevice = device;
    lock.hAllocation = alloc;
    return D3DKMTLock2(&lock);
}

static NTSTATUS unlock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    D3DKMT_UNLOCK2 unlock = {device, alloc};
    return D3DKMTUnlock2(&unlock);
}

/* A fresh simulator with a lock-reference limit of 2, and its adapter. */
static void begin(void)
{
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    config.MaxLockReferences = 2;
    CHECK_EQ(SimKmtReset(&config), STATUS_SUCCESS);
    D3DKMT_ADAPTERINFO info;
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 1;
    enumerate.pAdapters = &info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    g_adapter = info.hAdapter;
}

static void real_statuses(void)
{
    begin();
    D3DKMT_HANDLE device = create_device();
    D3DKMT_HANDLE other_device = create_device();
    D3DKMT_HANDLE alloc = create_allocation(device, 4096, 0);

    /* Rule 1: a NULL argument, or flags other than 0. */
    D3DKMT_LOCK2 lock = {0};
    lock.hDevice = device;
    lock.hAllocation = alloc;
    lock.Flags.Value = 1;                       /* rule 1: flags must be 0 */
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_INVALID_PARAMETER);
    CHECK_EQ(D3DKMTLock2(NULL), STATUS_INVALID_PARAMETER);
    CHECK(lock.pData == NULL);                  /* a failed call writes nothing */

    /* SUCCESS (rule 8): nested locks map the same address. */
    lock.Flags.Value = 0;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_SUCCESS);
    void *first = lock.pData;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_SUCCESS);
    CHECK(lock.pData == first);

    /* GRAPHICS_TOO_MANY_REFERENCES (rule 7): the limit is 2. */
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_TOO_MANY_REFERENCES);
    CHECK_EQ(unlock2(device, alloc), STATUS_SUCCESS);
    CHECK_EQ(unlock2(device, alloc), STATUS_SUCCESS);

    /* GRAPHICS_ALLOCATION_BUSY (rule 6): submitted work, the default FAIL policy. */
    SIMKMT_SUBMIT submit = {device, 1, &alloc, 0};
    CHECK_EQ(SimKmtSubmit(&submit), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_ALLOCATION_BUSY);
    CHECK_EQ(SimKmtCompleteFence(device, submit.FenceValue), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    CHECK_EQ(unlock2(device, alloc), STATUS_SUCCESS);

    /* INVALID_PARAMETER, rule 2: no live device (zero, destroyed, another kind). */
    CHECK_EQ(lock2(0, alloc), STATUS_INVALID_PARAMETER);
    D3DKMT_HANDLE gone_device = create_device();
    CHECK_EQ(destroy_device(gone_device), STATUS_SUCCESS);
    CHECK_EQ(lock2(gone_device, alloc), STATUS_INVALID_PARAMETER);
    CHECK_EQ(lock2(alloc, alloc), STATUS_INVALID_PARAMETER);
    /* Rule 4: no live allocation of that device (destroyed, another device's). */
    D3DKMT_HANDLE gone = create_allocation(device, 4096, 0);
    D3DKMT_DESTROYALLOCATION2 destroy;
    memset(&destroy, 0, sizeof destroy);
    destroy.hDevice = device;
    destroy.phAllocationList = &gone;
    destroy.AllocationCount = 1;
    CHECK_EQ(D3DKMTDestroyAllocation2(&destroy), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, gone), STATUS_INVALID_PARAMETER);
    CHECK_EQ(lock2(other_device, alloc), STATUS_INVALID_PARAMETER);
    /* Rule 5: not CPU-visible. */
    D3DKMT_HANDLE hidden = create_allocation(device, 4096, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    CHECK_EQ(lock2(device, hidden), STATUS_INVALID_PARAMETER);
    /* Unlock2 of an allocation that holds no lock. */
    CHECK_EQ(unlock2(device, alloc), STATUS_INVALID_PARAMETER);

    /* DEVICE_REMOVED (rule 3), checked before the allocation (rule 4). */
    CHECK_EQ(SimKmtRemoveDevice(other_device, D3DKMT_DEVICEEXECUTION_HUNG), STATUS_SUCCESS);
    CHECK_EQ(lock2(other_device, alloc), STATUS_DEVICE_REMOVED);
}

static void injected_statuses(void)
{
    begin();
    D3DKMT_HANDLE device = create_device();
    D3DKMT_HANDLE alloc = create_allocation(device, 4096, 0);
    const NTSTATUS statuses[] = {STATUS_INVALID_PARAMETER, STATUS_DEVICE_REMOVED, STATUS_GRAPHICS_ALLOCATION_BUSY,
                                 STATUS_GRAPHICS_TOO_MANY_REFERENCES};

    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        SIMKMT_FAULT fault = {0};
        fault.Call = SIMKMT_CALL_LOCK2;
        fault.Nth = 2;                              /* the second Lock2 from now */
        fault.Count = 1;
        fault.Action = SIMKMT_FAULT_RETURN_STATUS;
        fault.Status = statuses[i];
        CHECK_EQ(SimKmtInjectFault(&fault), STATUS_SUCCESS);
        CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
        CHECK_EQ(lock2(device, alloc), statuses[i]);
        CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS); /* Count 1: spent */
        /* The injected failure took no lock: two references, not three. */
        SIMKMT_ALLOCATION_INFO info;
        CHECK_EQ(SimKmtQueryAllocation(device, alloc, &info), STATUS_SUCCESS);
        CHECK_EQ(info.LockCount, 2);
        CHECK_EQ(unlock2(device, alloc), STATUS_SUCCESS);
        CHECK_EQ(unlock2(device, alloc), STATUS_SUCCESS);
    }

    /* A REMOVE_DEVICE fault removes the device (HUNG), then the call runs. */
    SIMKMT_FAULT remove = {0};
    remove.Call = SIMKMT_CALL_LOCK2;
    remove.Action = SIMKMT_FAULT_REMOVE_DEVICE; /* Nth and Count 0 mean 1 */
    CHECK_EQ(SimKmtInjectFault(&remove), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_DEVICE_REMOVED);
    D3DKMT_GETDEVICESTATE state;
    memset(&state, 0, sizeof state);
    state.hDevice = device;
    state.StateType = D3DKMT_DEVICESTATE_EXECUTION;
    CHECK_EQ(D3DKMTGetDeviceState(&state), STATUS_SUCCESS);
    CHECK_EQ(state.ExecutionState, D3DKMT_DEVICEEXECUTION_HUNG);

    /* A fault must inject a failure: a success status is refused. */
    SIMKMT_FAULT success = {0};
    success.Call = SIMKMT_CALL_LOCK2;
    success.Action = SIMKMT_FAULT_RETURN_STATUS;
    success.Status = STATUS_SUCCESS;
    CHECK_EQ(SimKmtInjectFault(&success), STATUS_INVALID_PARAMETER);
}

int main(void)
{
    RUN(real_statuses);
    RUN(injected_statuses);
    return check_summary();
}
