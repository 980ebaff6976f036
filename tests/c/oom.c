/*
 * oom.c - an unmodified C program that uses the default simulator while
 * the host refuses memory (docs/memory.md, "When the host says no").
 *
 * tests/c_abi.rs runs it under `ulimit -v 300000` (about 293 MiB of
 * address space). It opens the adapter, creates a device and then 8 MiB
 * allocations, each locked and written, until creation fails, which must
 * be STATUS_NO_MEMORY (the host refused) or STATUS_GRAPHICS_NO_VIDEO_MEMORY
 * (the 4 GiB default budget, if the limit were larger), never a crash and
 * never STATUS_INTERNAL_ERROR. Then the simulator must still work: every
 * allocation keeps what was written, and destroying one makes room for
 * another. Prints "refused after N allocations: 0x..." for the test to see.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"

#define MIB (1024u * 1024u)
#define MAX_LIVE 4096

static D3DKMT_HANDLE create(D3DKMT_HANDLE device, UINT64 size, NTSTATUS *status) {
    SIMKMT_ALLOCATION_DESC desc;
    memset(&desc, 0, sizeof desc);
    desc.Version = SIMKMT_ALLOCATION_DESC_VERSION;
    desc.SizeInBytes = size;
    D3DDDI_ALLOCATIONINFO2 info;
    memset(&info, 0, sizeof info);
    info.pPrivateDriverData = &desc;
    info.PrivateDriverDataSize = sizeof desc;
    D3DKMT_CREATEALLOCATION c;
    memset(&c, 0, sizeof c);
    c.hDevice = device;
    c.NumAllocations = 1;
    c.pAllocationInfo2 = &info;
    *status = D3DKMTCreateAllocation2(&c);
    return *status == 0 ? info.hAllocation : 0;
}

static void *lock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc, NTSTATUS *status) {
    D3DKMT_LOCK2 l;
    memset(&l, 0, sizeof l);
    l.hDevice = device;
    l.hAllocation = alloc;
    *status = D3DKMTLock2(&l);
    return l.pData;
}

static NTSTATUS unlock2(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc) {
    D3DKMT_UNLOCK2 u;
    memset(&u, 0, sizeof u);
    u.hDevice = device;
    u.hAllocation = alloc;
    return D3DKMTUnlock2(&u);
}

static D3DKMT_HANDLE live[MAX_LIVE];

static void fill_the_address_space(void) {
    D3DKMT_ADAPTERINFO adapters[1];
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    e.NumAdapters = 1;
    e.pAdapters = adapters;
    CHECK_EQ(D3DKMTEnumAdapters2(&e), 0);
    D3DKMT_CREATEDEVICE cd;
    memset(&cd, 0, sizeof cd);
    cd.hAdapter = adapters[0].hAdapter;
    CHECK_EQ(D3DKMTCreateDevice(&cd), 0);
    D3DKMT_HANDLE device = cd.hDevice;

    NTSTATUS status = 0;
    int n = 0;
    while (n < MAX_LIVE) {
        D3DKMT_HANDLE a = create(device, 8 * MIB, &status);
        if (status != 0) {
            break;
        }
        NTSTATUS ls;
        uint32_t *p = lock2(device, a, &ls);
        CHECK_EQ(ls, 0);
        if (ls == 0) {
            p[0] = 0xC0DE0000u + (uint32_t)n;
            CHECK_EQ(unlock2(device, a), 0);
        }
        live[n++] = a;
    }
    printf("refused after %d allocations: 0x%08X\n", n, (unsigned)status);
    CHECK(n > 0);
    CHECK(n < MAX_LIVE);
    CHECK(status == (NTSTATUS)0xC0000017 /* NO_MEMORY */ || status == (NTSTATUS)0xC01E0100 /* NO_VIDEO_MEMORY */);

    /* Still usable: content is there, and freeing makes room. */
    for (int i = 0; i < n; i++) {
        NTSTATUS ls;
        uint32_t *p = lock2(device, live[i], &ls);
        CHECK_EQ(ls, 0);
        if (ls == 0) {
            CHECK_EQ(p[0], 0xC0DE0000u + (uint32_t)i);
            CHECK_EQ(unlock2(device, live[i]), 0);
        }
    }
    if (n > 0) {
        D3DKMT_DESTROYALLOCATION2 d;
        memset(&d, 0, sizeof d);
        d.hDevice = device;
        d.phAllocationList = &live[n - 1];
        d.AllocationCount = 1;
        CHECK_EQ(D3DKMTDestroyAllocation2(&d), 0);
        D3DKMT_HANDLE again = create(device, 8 * MIB, &status);
        CHECK_EQ(status, 0);
        NTSTATUS ls;
        uint8_t *p = lock2(device, again, &ls);
        CHECK_EQ(ls, 0);
        if (ls == 0) {
            p[8 * MIB - 1] = 7;
            CHECK_EQ(unlock2(device, again), 0);
        }
    }
    D3DKMT_DESTROYDEVICE dd;
    memset(&dd, 0, sizeof dd);
    dd.hDevice = device;
    CHECK_EQ(D3DKMTDestroyDevice(&dd), 0);
}

int main(void) {
    RUN(fill_the_address_space);
    return check_summary();
}
