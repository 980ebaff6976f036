/*
 * guide_device_loss.c - docs/guide.md, section 3: losing a device three
 * ways (docs/contract.md §7) and recovering. SimKmtRemoveDevice removes one
 * device, SimKmtResetAdapter is a TDR of every device of an adapter,
 * SimKmtRemoveAdapter a surprise removal of the adapter itself. Each is
 * sticky, drops the device's locks and loses its content (0xDD through the
 * old pData); the way back is to destroy the device and create another.
 * tests/c_abi.rs runs it against the shared and the static library.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static D3DKMT_HANDLE create_device(D3DKMT_HANDLE adapter)
{
    D3DKMT_CREATEDEVICE create;
    memset(&create, 0, sizeof create);
    create.hAdapter = adapter;
    NTSTATUS s = D3DKMTCreateDevice(&create);
    return NT_SUCCESS(s) ? create.hDevice : 0;
}

static NTSTATUS destroy_device(D3DKMT_HANDLE device)
{
    D3DKMT_DESTROYDEVICE destroy = {device};
    return D3DKMTDestroyDevice(&destroy);
}

/* D3DKMTCreateAllocation2 of one allocation of `size` bytes into *out. */
static NTSTATUS try_create_allocation(D3DKMT_HANDLE device, UINT64 size, D3DKMT_HANDLE *out)
{
    SIMKMT_ALLOCATION_DESC desc = {SIMKMT_ALLOCATION_DESC_VERSION, 0, size};
    D3DDDI_ALLOCATIONINFO2 info;
    D3DKMT_CREATEALLOCATION create;
    memset(&info, 0, sizeof info);
    memset(&create, 0, sizeof create);
    info.pPrivateDriverData = &desc;
    info.PrivateDriverDataSize = sizeof desc;
    create.hDevice = device;
    create.NumAllocations = 1;
    create.pAllocationInfo2 = &info;
    NTSTATUS s = D3DKMTCreateAllocation2(&create);
    *out = info.hAllocation;
    return s;
}

static D3DKMT_HANDLE create_allocation(D3DKMT_HANDLE device, UINT64 size)
{
    D3DKMT_HANDLE alloc = 0;
    CHECK_EQ(try_create_allocation(device, size, &alloc), STATUS_SUCCESS);
    return alloc;
}

static UINT32 device_state(D3DKMT_HANDLE device)
{
    D3DKMT_GETDEVICESTATE state;
    memset(&state, 0, sizeof state);
    state.hDevice = device;
    state.StateType = D3DKMT_DEVICESTATE_EXECUTION;
    CHECK_EQ(D3DKMTGetDeviceState(&state), STATUS_SUCCESS);
    return (UINT32)state.ExecutionState;
}

static UINT32 lock_count(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    SIMKMT_ALLOCATION_INFO info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(SimKmtQueryAllocation(device, alloc, &info), STATUS_SUCCESS);
    return info.LockCount;
}

static UINT count_adapters(void)
{
    D3DKMT_ENUMADAPTERS2 enumerate = {0}; /* NULL pAdapters: a count */
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    return enumerate.NumAdapters;
}

/* A simulator of two adapters; their handles. */
static void begin(D3DKMT_HANDLE adapters[2])
{
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    config.AdapterCount = 2;
    CHECK_EQ(SimKmtReset(&config), STATUS_SUCCESS);
    D3DKMT_ADAPTERINFO info[2];
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 2;
    enumerate.pAdapters = info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    adapters[0] = info[0].hAdapter;
    adapters[1] = info[1].hAdapter;
}

static void remove_one_device(void)
{
    D3DKMT_HANDLE adapters[2];
    begin(adapters);
    D3DKMT_HANDLE device = create_device(adapters[0]);
    D3DKMT_HANDLE alloc = create_allocation(device, 4096);
    D3DKMT_LOCK2 lock = {0};
    lock.hDevice = device;
    lock.hAllocation = alloc;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_SUCCESS);
    memcpy(lock.pData, "vertex data", 11);

    CHECK_EQ(SimKmtRemoveDevice(device, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT), STATUS_SUCCESS);
    CHECK_EQ(device_state(device), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
    /* Sticky: the calls on it are DEVICE_REMOVED, and a second removal keeps the first reason. */
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_DEVICE_REMOVED);
    D3DKMT_UNLOCK2 unlock = {device, alloc};
    CHECK_EQ(D3DKMTUnlock2(&unlock), STATUS_DEVICE_REMOVED);
    D3DKMT_HANDLE none = 0;
    CHECK_EQ(try_create_allocation(device, 4096, &none), STATUS_DEVICE_REMOVED);
    CHECK(none == 0); /* a failed call writes nothing */
    CHECK_EQ(SimKmtRemoveDevice(device, D3DKMT_DEVICEEXECUTION_HUNG), STATUS_DEVICE_REMOVED);
    CHECK_EQ(device_state(device), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
    /* The lock was dropped; the memory stays mapped, its content lost. */
    CHECK_EQ(lock_count(device, alloc), 0);
    const unsigned char *bytes = lock.pData;
    for (int i = 0; i < 11; i++)
        CHECK_EQ(bytes[i], 0xDD);

    /* Recovery: destroy it (the handle goes stale), create another. */
    CHECK_EQ(destroy_device(device), STATUS_SUCCESS);
    D3DKMT_GETDEVICESTATE state;
    memset(&state, 0, sizeof state);
    state.hDevice = device;
    state.StateType = D3DKMT_DEVICESTATE_EXECUTION;
    CHECK_EQ(D3DKMTGetDeviceState(&state), STATUS_INVALID_PARAMETER);
    D3DKMT_HANDLE again = create_device(adapters[0]);
    CHECK(again != 0);
    CHECK_EQ(device_state(again), D3DKMT_DEVICEEXECUTION_ACTIVE);
}

static void tdr(void)
{
    D3DKMT_HANDLE adapters[2];
    begin(adapters);
    D3DKMT_HANDLE adapter = adapters[0];
    D3DKMT_HANDLE device = create_device(adapter);
    D3DKMT_HANDLE bystander = create_device(adapters[1]);
    D3DKMT_HANDLE alloc = create_allocation(device, 4096);
    D3DKMT_LOCK2 lock = {0};
    lock.hDevice = device;
    lock.hAllocation = alloc;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_SUCCESS);
    void *data = lock.pData;
    memset(data, 0x42, 64);

    CHECK_EQ(SimKmtResetAdapter(adapter), STATUS_SUCCESS);           /* a TDR */
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_DEVICE_REMOVED);
    CHECK_EQ(device_state(device), D3DKMT_DEVICEEXECUTION_RESET);
    CHECK_EQ(((const unsigned char *)data)[0], 0xDD);                /* content lost */
    CHECK_EQ(destroy_device(device), STATUS_SUCCESS);
    /* The other adapter's device is untouched; the reset adapter stays and takes new devices. */
    CHECK_EQ(device_state(bystander), D3DKMT_DEVICEEXECUTION_ACTIVE);
    CHECK_EQ(count_adapters(), 2);
    device = create_device(adapter);
    CHECK(device != 0);
    alloc = create_allocation(device, 4096);
    lock.hDevice = device;
    lock.hAllocation = alloc;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_SUCCESS);
}

static void surprise_removal(void)
{
    D3DKMT_HANDLE adapters[2];
    begin(adapters);
    D3DKMT_HANDLE device = create_device(adapters[1]);
    D3DKMT_HANDLE survivor = create_device(adapters[0]);

    CHECK_EQ(SimKmtRemoveAdapter(adapters[1]), STATUS_SUCCESS);
    CHECK_EQ(device_state(device), D3DKMT_DEVICEEXECUTION_STOPPED);
    CHECK_EQ(device_state(survivor), D3DKMT_DEVICEEXECUTION_ACTIVE);
    /* The adapter is gone: not enumerated, no new devices, no second removal. */
    CHECK_EQ(count_adapters(), 1);
    D3DKMT_CREATEDEVICE create;
    memset(&create, 0, sizeof create);
    create.hAdapter = adapters[1];
    CHECK_EQ(D3DKMTCreateDevice(&create), STATUS_DEVICE_REMOVED);
    CHECK_EQ(SimKmtRemoveAdapter(adapters[1]), STATUS_DEVICE_REMOVED);
    /* What is left can be destroyed and closed; a reset brings the adapter back. */
    CHECK_EQ(destroy_device(device), STATUS_SUCCESS);
    D3DKMT_CLOSEADAPTER close = {adapters[1]};
    CHECK_EQ(D3DKMTCloseAdapter(&close), STATUS_SUCCESS);
    begin(adapters);
    CHECK_EQ(count_adapters(), 2);
}

int main(void)
{
    RUN(remove_one_device);
    RUN(tdr);
    RUN(surprise_removal);
    return check_summary();
}
