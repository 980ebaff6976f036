/*
 * demo.c - a C program driving the simulated D3DKMT thunks, to copy from.
 *
 * Build and run from the repository root, against the library installed
 * with cargo-c (`cargo install cargo-c`) into dist/:
 *
 *     cargo cinstall --release --prefix "$PWD/dist" --libdir lib
 *     export PKG_CONFIG_PATH="$PWD/dist/lib/pkgconfig"
 *     cc examples/c/demo.c $(pkg-config --cflags --libs d3dkmt_sim) \
 *        -Wl,-rpath,"$PWD/dist/lib" -o demo
 *     ./demo
 *
 * (or `make -C examples/c run`, or with CMake: examples/c/CMakeLists.txt).
 * It walks through the lock contract the way
 * a user-mode driver meets it: open an adapter, create a device and an
 * allocation, Lock2/Unlock2 it, see it busy while simulated GPU work runs,
 * hit the lock-reference limit, and survive a TDR.  Each call's NTSTATUS is
 * printed next to the status the contract promises; the program exits 1 if
 * any differs.
 */
#include <stdio.h>
#include <string.h>

#include "d3dkmt_sim.h"

static int g_mismatches;

static const char *status_name(NTSTATUS s)
{
    switch ((UINT32)s) {
    case 0x00000000u: return "STATUS_SUCCESS";
    case 0xC000000Du: return "STATUS_INVALID_PARAMETER";
    case 0xC00002B6u: return "STATUS_DEVICE_REMOVED";
    case 0xC01E0100u: return "STATUS_GRAPHICS_NO_VIDEO_MEMORY";
    case 0xC01E0102u: return "STATUS_GRAPHICS_ALLOCATION_BUSY";
    case 0xC01E0103u: return "STATUS_GRAPHICS_TOO_MANY_REFERENCES";
    default: return "(other)";
    }
}

/* Prints one step and compares its status with the expected one. */
static void step(const char *what, NTSTATUS got, NTSTATUS want)
{
    int ok = got == want;
    printf("%-52s -> 0x%08X %s%s\n", what, (unsigned)got, status_name(got), ok ? "" : "  <-- UNEXPECTED");
    if (!ok)
        g_mismatches++;
}

static D3DKMT_HANDLE create_allocation(D3DKMT_HANDLE device, UINT64 size)
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
    step("D3DKMTCreateAllocation2 (64 KiB)", D3DKMTCreateAllocation2(&create), STATUS_SUCCESS);
    return info.hAllocation;
}

int main(void)
{
    /* A small reference limit makes the limit easy to show. */
    SIMKMT_CONFIG config;
    memset(&config, 0, sizeof config);
    config.Size = sizeof config;
    config.MaxLockReferences = 4;
    step("SimKmtReset (limit 4, busy policy FAIL)", SimKmtReset(&config), STATUS_SUCCESS);

    D3DKMT_ADAPTERINFO adapters[16];
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    step("D3DKMTEnumAdapters2 (count only)", D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    enumerate.pAdapters = adapters;
    step("D3DKMTEnumAdapters2", D3DKMTEnumAdapters2(&enumerate), STATUS_SUCCESS);
    printf("    %u adapter(s); the first has LUID %08X:%08X\n", (unsigned)enumerate.NumAdapters,
           (unsigned)adapters[0].AdapterLuid.HighPart, (unsigned)adapters[0].AdapterLuid.LowPart);

    D3DKMT_CREATEDEVICE create_device;
    memset(&create_device, 0, sizeof create_device);
    create_device.hAdapter = adapters[0].hAdapter;
    step("D3DKMTCreateDevice", D3DKMTCreateDevice(&create_device), STATUS_SUCCESS);
    D3DKMT_HANDLE device = create_device.hDevice;
    D3DKMT_HANDLE alloc = create_allocation(device, 64 * 1024);

    /* Lock2 maps the allocation; nested locks return the same address. */
    D3DKMT_LOCK2 lock = {0};
    lock.hDevice = device;
    lock.hAllocation = alloc;
    step("D3DKMTLock2", D3DKMTLock2(&lock), STATUS_SUCCESS);
    void *first = lock.pData;
    memcpy(first, "texels", 7);
    step("D3DKMTLock2 again (nested)", D3DKMTLock2(&lock), STATUS_SUCCESS);
    printf("    same address: %s\n", lock.pData == first ? "yes" : "NO");
    if (lock.pData != first)
        g_mismatches++;
    D3DKMT_UNLOCK2 unlock = {device, alloc};
    step("D3DKMTUnlock2", D3DKMTUnlock2(&unlock), STATUS_SUCCESS);
    step("D3DKMTUnlock2", D3DKMTUnlock2(&unlock), STATUS_SUCCESS);
    step("D3DKMTUnlock2 of an unlocked allocation", D3DKMTUnlock2(&unlock), STATUS_INVALID_PARAMETER);

    /* Simulated GPU work keeps the allocation busy until its fence completes. */
    SIMKMT_SUBMIT submit = {device, 1, &alloc, 0};
    step("SimKmtSubmit", SimKmtSubmit(&submit), STATUS_SUCCESS);
    printf("    fence %llu\n", (unsigned long long)submit.FenceValue);
    step("D3DKMTLock2 while busy", D3DKMTLock2(&lock), STATUS_GRAPHICS_ALLOCATION_BUSY);
    step("SimKmtCompleteFence", SimKmtCompleteFence(device, submit.FenceValue), STATUS_SUCCESS);

    /* Content survives lock cycles. */
    step("D3DKMTLock2", D3DKMTLock2(&lock), STATUS_SUCCESS);
    printf("    content after relock: \"%s\"\n", (const char *)lock.pData);

    /* The per-allocation reference limit (4 here). */
    for (int i = 1; i < 4; i++)
        step("D3DKMTLock2 (up to the limit)", D3DKMTLock2(&lock), STATUS_SUCCESS);
    step("D3DKMTLock2 past the limit", D3DKMTLock2(&lock), STATUS_GRAPHICS_TOO_MANY_REFERENCES);

    /* A TDR removes the device: sticky, locks dropped, content lost. */
    D3DKMT_HANDLE adapter = adapters[0].hAdapter;
    step("SimKmtResetAdapter (a TDR)", SimKmtResetAdapter(adapter), STATUS_SUCCESS);
    step("D3DKMTLock2 on the removed device", D3DKMTLock2(&lock), STATUS_DEVICE_REMOVED);
    step("D3DKMTUnlock2 on the removed device", D3DKMTUnlock2(&unlock), STATUS_DEVICE_REMOVED);
    printf("    first byte through the stale pointer: 0x%02X (0xDD = content lost)\n",
           *(const unsigned char *)first);
    D3DKMT_GETDEVICESTATE state;
    memset(&state, 0, sizeof state);
    state.hDevice = device;
    state.StateType = D3DKMT_DEVICESTATE_EXECUTION;
    step("D3DKMTGetDeviceState", D3DKMTGetDeviceState(&state), STATUS_SUCCESS);
    printf("    execution state %d (2 = RESET)\n", (int)state.ExecutionState);

    /* Recover: destroy the removed device and start again on the adapter. */
    D3DKMT_DESTROYDEVICE destroy = {device};
    step("D3DKMTDestroyDevice (removed device)", D3DKMTDestroyDevice(&destroy), STATUS_SUCCESS);
    step("D3DKMTCreateDevice after the TDR", D3DKMTCreateDevice(&create_device), STATUS_SUCCESS);
    destroy.hDevice = create_device.hDevice;
    step("D3DKMTDestroyDevice", D3DKMTDestroyDevice(&destroy), STATUS_SUCCESS);
    for (UINT i = 0; i < enumerate.NumAdapters; i++) {
        D3DKMT_CLOSEADAPTER close = {adapters[i].hAdapter};
        step("D3DKMTCloseAdapter", D3DKMTCloseAdapter(&close), STATUS_SUCCESS);
    }

    printf("%s\n", g_mismatches ? "some statuses differ from the contract" : "every status as the contract says");
    return g_mismatches ? 1 : 0;
}
