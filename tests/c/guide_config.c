/*
 * guide_config.c - docs/guide.md, section 7: a program configured from
 * outside. It makes no SimKmt* control call: the process-wide simulator is
 * what D3DKMT_SIM_CONFIG (or the defaults) made it, and SimKmtQueryConfig
 * reads that back (docs/contract.md §9). It prints the configuration in one
 * line, and checks that the adapters it can enumerate and the lock limit it
 * meets are the ones reported.
 *
 * tests/c_abi.rs runs it with a configuration, with a malformed one (the
 * defaults, one line on stderr), and with the malformed one under
 * D3DKMT_SIM_STRICT=1 (exit status 2 in the first call, before any output).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

int main(void)
{
    /* The first call builds the simulator from the environment. */
    D3DKMT_ENUMADAPTERS2 count = {0};
    CHECK_EQ(D3DKMTEnumAdapters2(&count), STATUS_SUCCESS);

    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;               /* the caller sets Size */
    CHECK_EQ(SimKmtQueryConfig(&config), STATUS_SUCCESS);
    printf("adapters %u refs %u busy %u memory %llu\n", config.AdapterCount, config.MaxLockReferences,
           config.BusyPolicy, (unsigned long long)config.AdapterMemoryBytes);
    CHECK_EQ(count.NumAdapters, config.AdapterCount);

    /* Lock up to the reported limit, and one past it. */
    D3DKMT_ADAPTERINFO info[16];
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 16;
    enumerate.pAdapters = info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    D3DKMT_CREATEDEVICE create_device;
    memset(&create_device, 0, sizeof create_device);
    create_device.hAdapter = info[0].hAdapter;
    CHECK_EQ(D3DKMTCreateDevice(&create_device), STATUS_SUCCESS);
    SIMKMT_ALLOCATION_DESC desc = {SIMKMT_ALLOCATION_DESC_VERSION, 0, 4096};
    D3DDDI_ALLOCATIONINFO2 alloc_info;
    D3DKMT_CREATEALLOCATION create;
    memset(&alloc_info, 0, sizeof alloc_info);
    memset(&create, 0, sizeof create);
    alloc_info.pPrivateDriverData = &desc;
    alloc_info.PrivateDriverDataSize = sizeof desc;
    create.hDevice = create_device.hDevice;
    create.NumAllocations = 1;
    create.pAllocationInfo2 = &alloc_info;
    CHECK_EQ(D3DKMTCreateAllocation2(&create), STATUS_SUCCESS);
    D3DKMT_LOCK2 lock = {0};
    lock.hDevice = create_device.hDevice;
    lock.hAllocation = alloc_info.hAllocation;
    UINT32 locked = 0;
    while (locked < config.MaxLockReferences && D3DKMTLock2(&lock) == STATUS_SUCCESS)
        locked++;
    CHECK_EQ(locked, config.MaxLockReferences);
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_GRAPHICS_TOO_MANY_REFERENCES);
    return check_summary();
}
