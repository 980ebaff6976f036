/*
 * guide_ctest.c - docs/guide.md, section 6: C tests one process each.
 *
 * The C ABI has one simulator per process, built on the first call from
 * D3DKMT_SIM_CONFIG (docs/contract.md §9), so each test runs in a process of
 * its own and gets its configuration from the environment:
 *
 *     guide_ctest <case>
 *
 * runs one case and exits 0 if every check passed. tests/cmake/CMakeLists.txt
 * declares one CTest test per case, with its ENVIRONMENT; .ci/packaging.sh
 * runs them with ctest, and tests/c_abi.rs runs the same cases with the
 * same environments. Each case first checks, with SimKmtQueryConfig, that
 * it runs on the configuration its test declares. Nothing here calls
 * SimKmtReset: a fresh process needs none.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static SIMKMT_CONFIG query_config(void)
{
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    CHECK_EQ(SimKmtQueryConfig(&config), STATUS_SUCCESS);
    return config;
}

/* The first adapter, a device on it and a 4 KiB allocation. */
static void setup(D3DKMT_HANDLE *device, D3DKMT_HANDLE *alloc)
{
    D3DKMT_ADAPTERINFO info[16];
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 16;
    enumerate.pAdapters = info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    D3DKMT_CREATEDEVICE create_device;
    memset(&create_device, 0, sizeof create_device);
    create_device.hAdapter = info[0].hAdapter;
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

static NTSTATUS lock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc)
{
    D3DKMT_LOCK2 lock;
    memset(&lock, 0, sizeof lock);
    lock.hDevice = device;
    lock.hAllocation = alloc;
    return D3DKMTLock2(&lock);
}

/* No D3DKMT_SIM_CONFIG: the built-in defaults, and the FAIL busy policy. */
static void defaults(void)
{
    SIMKMT_CONFIG config = query_config();
    CHECK_EQ(config.AdapterCount, 1);
    CHECK_EQ(config.MaxLockReferences, 1024);
    CHECK_EQ(config.BusyPolicy, SIMKMT_BUSY_FAIL);
    D3DKMT_HANDLE device, alloc;
    setup(&device, &alloc);
    CHECK_EQ(device, 0x40000080); /* a fresh process's handles */
    SIMKMT_SUBMIT submit = {device, 1, &alloc, 0};
    CHECK_EQ(SimKmtSubmit(&submit), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_ALLOCATION_BUSY);
}

/* max_lock_refs=4: the fifth reference is refused. */
static void lock_limit(void)
{
    CHECK_EQ(query_config().MaxLockReferences, 4);
    D3DKMT_HANDLE device, alloc;
    setup(&device, &alloc);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_TOO_MANY_REFERENCES);
}

/* adapters=2: a surprise removal of the second leaves the first alone. */
static void two_adapters(void)
{
    CHECK_EQ(query_config().AdapterCount, 2);
    D3DKMT_ADAPTERINFO info[2];
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    enumerate.NumAdapters = 2;
    enumerate.pAdapters = info;
    CHECK_EQ(D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    CHECK_EQ(enumerate.NumAdapters, 2);
    D3DKMT_HANDLE device, alloc;
    setup(&device, &alloc); /* on the first adapter */
    CHECK_EQ(SimKmtRemoveAdapter(info[1].hAdapter), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
    D3DKMT_ENUMADAPTERS2 count = {0};
    CHECK_EQ(D3DKMTEnumAdapters2(&count), STATUS_SUCCESS);
    CHECK_EQ(count.NumAdapters, 1);
}

/* busy=wait,wait_timeout_ms=10: Lock2 of busy work waits, then gives up. */
static void busy_waits(void)
{
    SIMKMT_CONFIG config = query_config();
    CHECK_EQ(config.BusyPolicy, SIMKMT_BUSY_WAIT);
    CHECK_EQ(config.WaitTimeoutMs, 10);
    D3DKMT_HANDLE device, alloc;
    setup(&device, &alloc);
    SIMKMT_SUBMIT submit = {device, 1, &alloc, 0};
    CHECK_EQ(SimKmtSubmit(&submit), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_GRAPHICS_ALLOCATION_BUSY); /* nobody completes the fence */
    CHECK_EQ(SimKmtCompleteFence(device, submit.FenceValue), STATUS_SUCCESS);
    CHECK_EQ(lock2(device, alloc), STATUS_SUCCESS);
}

static const struct {
    const char *name;
    void (*run)(void);
} cases[] = {
    {"defaults", defaults},
    {"lock_limit", lock_limit},
    {"two_adapters", two_adapters},
    {"busy_waits", busy_waits},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <case>\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            check_test_ = cases[i].name;
            cases[i].run();
            return check_summary();
        }
    }
    fprintf(stderr, "no case named %s\n", argv[1]);
    return 2;
}
