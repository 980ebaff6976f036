/*
 * guide_reset.c - docs/guide.md, section 4: several tests in one process,
 * each beginning with SimKmtReset (docs/contract.md §9), so none sees what
 * the one before it left (objects, faults, removed adapters, the
 * configuration) and each gets the handles a fresh process gets:
 * 0x40000040, 0x40000080, 0x400000C0, ...
 * tests/c_abi.rs runs it against the shared and the static library.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

/* What each test begins with: a new simulator in place of the old one. */
static void begin_test(UINT32 max_lock_refs)
{
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    config.MaxLockReferences = max_lock_refs; /* 0: the default */
    CHECK_EQ(SimKmtReset(&config), STATUS_SUCCESS);
}

/* Enumerates (opening the one adapter), creates a device and an allocation. */
static void setup(D3DKMT_HANDLE *adapter, D3DKMT_HANDLE *device, D3DKMT_HANDLE *alloc)
{
    D3DKMT_ADAPTERINFO info;
    memset(&info, 0, sizeof info);
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 1;
    enumerate.pAdapters = &info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    *adapter = info.hAdapter;
    D3DKMT_CREATEDEVICE create_device;
    memset(&create_device, 0, sizeof create_device);
    create_device.hAdapter = *adapter;
    CHECK_EQ(D3DKMTCreateDevice(&create_device), STATUS_SUCCESS);
    *device = create_device.hDevice;
    SIMKMT_ALLOCATION_DESC desc = {SIMKMT_ALLOCATION_DESC_VERSION, 0, 4096};
    D3DDDI_ALLOCATIONINFO2 alloc_info;
    D3DKMT_CREATEALLOCATION create;
    memset(&alloc_info, 0, sizeof alloc_info);
    memset(&create, 0, sizeof create);
    alloc_info.pPrivateDriverData = &desc;
    alloc_info.PrivateDriverDataSize = sizeof desc;
    create.hDevice = *device;
    create.NumAllocations = 1;
    create.pAllocationInfo2 = &alloc_info;
    CHECK_EQ(D3DKMTCreateAllocation2(&create), STATUS_SUCCESS);
    *alloc = alloc_info.hAllocation;
}

/* Every test gets the handles of a fresh process. */
static void check_fresh_handles(D3DKMT_HANDLE adapter, D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    CHECK_EQ(adapter, 0x40000040);
    CHECK_EQ(device, 0x40000080);
    CHECK_EQ(alloc, 0x400000C0);
}

static NTSTATUS lock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    D3DKMT_LOCK2 lock;
    memset(&lock, 0, sizeof lock);
    lock.hDevice = device;
    lock.hAllocation = alloc;
    return D3DKMTLock2(&lock);
}

/* Leaves a mess behind: a removed adapter, an armed fault, a held lock. */
static void test_that_leaves_a_mess(void)
{
    begin_test(0);
    D3DKMT_HANDLE adapter, device, alloc;
    setup(&adapter, &device, &alloc);
    check_fresh_handles(adapter, device, alloc);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    SIMKMT_FAULT fault = {0};
    fault.Call = SIMKMT_CALL_CREATEDEVICE;
    fault.Action = SIMKMT_FAULT_RETURN_STATUS;
    fault.Status = STATUS_NO_MEMORY;
    CHECK_EQ(SimKmtInjectFault(&fault), STATUS_SUCCESS);
    CHECK_EQ(SimKmtRemoveAdapter(adapter), STATUS_SUCCESS);
}

/* Sees none of it, and runs on its own configuration (a limit of 1). */
static void test_with_a_lock_limit_of_one(void)
{
    begin_test(1);
    D3DKMT_HANDLE adapter, device, alloc;
    setup(&adapter, &device, &alloc); /* the fault is gone: the device is created */
    check_fresh_handles(adapter, device, alloc);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_TOO_MANY_REFERENCES);
}

/* Back on the defaults: the previous test's limit is gone too. */
static void test_on_the_defaults(void)
{
    begin_test(0);
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    CHECK_EQ(SimKmtQueryConfig(&config), STATUS_SUCCESS);
    CHECK_EQ(config.MaxLockReferences, 1024);
    D3DKMT_HANDLE adapter, device, alloc;
    setup(&adapter, &device, &alloc);
    check_fresh_handles(adapter, device, alloc);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
}

int main(void)
{
    RUN(test_that_leaves_a_mess);
    RUN(test_with_a_lock_limit_of_one);
    RUN(test_on_the_defaults);
    return check_summary();
}
