/*
 * libdxgtest_sequence.c - the calls Microsoft's libdxgtest (its src/main.cpp,
 * the smoke test of the D3DKMT path on Linux) makes, in its order, as an
 * unmodified user program makes them: only D3DKMT* entry points, no SimKmt*
 * call, the process-wide simulator as D3DKMT_SIM_CONFIG (or the defaults)
 * made it.  Written here from the documented behaviour (docs/contract.md
 * section 10, which also lists the sequence), not from libdxgtest's code.
 *
 * The sequence: enumerate with EnumAdapters3 and IncludeComputeOnly; query
 * each adapter for KMTQAITYPE_ADAPTERTYPE_RENDER, _PHYSICALADAPTERDEVICEIDS,
 * _WDDM_2_7_CAPS and _DRIVER_DESCRIPTION; open and close the first adapter
 * by LUID from a second thread; five CreateDevice/DestroyDevice cycles; a
 * context (node 0, engine 0, ClientHint CDD, a hardware queue when hardware
 * scheduling is enabled) created and destroyed on a new device; every
 * enumerated adapter closed.
 *
 * Usage: libdxgtest_sequence <adapters expected> [<description expected>]
 * Exit status 0 when every check passed.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "d3dkmt_sim.h"
#include "check.h"

#define MAX_ADAPTERS 16

static D3DKMT_ADAPTERINFO g_adapters[MAX_ADAPTERS];
static UINT g_count;
static BOOL g_hw_sched_enabled;

static const char *g_expected_description;
static UINT g_expected_adapters;

static void enum_and_query(void) {
    D3DKMT_ENUMADAPTERS3 e;
    memset(&e, 0, sizeof e);
    e.Filter.IncludeComputeOnly = 1;
    e.NumAdapters = MAX_ADAPTERS;
    e.pAdapters = g_adapters;
    CHECK_EQ(D3DKMTEnumAdapters3(&e), STATUS_SUCCESS);
    CHECK_EQ(e.NumAdapters, g_expected_adapters);
    g_count = e.NumAdapters;
    for (UINT i = 0; i < g_count; i++) {
        D3DKMT_HANDLE h = g_adapters[i].hAdapter;
        CHECK_EQ(h & 0xC000003Fu, 0x40000000u);

        D3DKMT_ADAPTERTYPE type;
        memset(&type, 0xFF, sizeof type);
        CHECK_EQ(query(h, KMTQAITYPE_ADAPTERTYPE_RENDER, &type, sizeof type), STATUS_SUCCESS);
        CHECK(type.RenderSupported || type.ComputeOnly);
        CHECK(!type.Paravirtualized && !type.SoftwareDevice && type.Reserved == 0);

        D3DKMT_QUERY_DEVICE_IDS ids;
        memset(&ids, 0, sizeof ids);
        CHECK_EQ(query(h, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &ids, sizeof ids), STATUS_SUCCESS);
        CHECK(ids.DeviceIds.VendorID != 0);
        CHECK_EQ(ids.PhysicalAdapterIndex, 0);

        D3DKMT_WDDM_2_7_CAPS caps;
        memset(&caps, 0xFF, sizeof caps);
        CHECK_EQ(query(h, KMTQAITYPE_WDDM_2_7_CAPS, &caps, sizeof caps), STATUS_SUCCESS);
        CHECK(!caps.HwSchEnabled || caps.HwSchSupported);
        if (i == 0)
            g_hw_sched_enabled = caps.HwSchEnabled;

        static D3DKMT_DRIVER_DESCRIPTION desc;
        memset(&desc, 0xFF, sizeof desc);
        CHECK_EQ(query(h, KMTQAITYPE_DRIVER_DESCRIPTION, &desc, sizeof desc), STATUS_SUCCESS);
        /* A NUL-terminated wide string the program prints as libdxgtest
         * does, one WCHAR at a time. */
        size_t n = 0;
        char narrow[256];
        while (n < 4096 && desc.DriverDescription[n] != 0) {
            if (n + 1 < sizeof narrow)
                narrow[n] = (char)desc.DriverDescription[n];
            n++;
        }
        CHECK(n > 0 && n < 4096);
        narrow[n < sizeof narrow ? n : sizeof narrow - 1] = 0;
        CHECK(desc.DriverDescription[4095] == 0);
        if (g_expected_description)
            CHECK(strcmp(narrow, g_expected_description) == 0);
        printf("  adapter %u: handle 0x%X, LUID 0x%X-%X, ids %04X:%04X, '%s'%s%s%s%s\n", i, h,
               (unsigned)g_adapters[i].AdapterLuid.HighPart, (unsigned)g_adapters[i].AdapterLuid.LowPart,
               ids.DeviceIds.VendorID, ids.DeviceIds.DeviceID, narrow, type.RenderSupported ? " render" : "",
               type.DisplaySupported ? " display" : "", type.ComputeOnly ? " compute_only" : "",
               caps.HwSchEnabled ? " hwsch_enabled" : (caps.HwSchSupported ? " hwsch_supported" : ""));
    }
}

static void *open_close(void *arg) {
    NTSTATUS *status = arg;
    D3DKMT_OPENADAPTERFROMLUID open;
    memset(&open, 0, sizeof open);
    open.AdapterLuid = g_adapters[0].AdapterLuid;
    *status = D3DKMTOpenAdapterFromLuid(&open);
    if (*status == STATUS_SUCCESS) {
        D3DKMT_CLOSEADAPTER close = {open.hAdapter};
        *status = D3DKMTCloseAdapter(&close);
    }
    return NULL;
}

static void open_from_second_thread(void) {
    NTSTATUS status = (NTSTATUS)0xDEADBEEF;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, open_close, &status), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(status, STATUS_SUCCESS);
}

static D3DKMT_HANDLE create_device(void) {
    D3DKMT_CREATEDEVICE c;
    memset(&c, 0, sizeof c);
    c.hAdapter = g_adapters[0].hAdapter;
    CHECK_EQ(D3DKMTCreateDevice(&c), STATUS_SUCCESS);
    return c.hDevice;
}

static void destroy_device(D3DKMT_HANDLE device) {
    D3DKMT_DESTROYDEVICE d = {device};
    CHECK_EQ(D3DKMTDestroyDevice(&d), STATUS_SUCCESS);
}

static void five_device_cycles(void) {
    for (int i = 0; i < 5; i++) {
        D3DKMT_HANDLE device = create_device();
        CHECK(device != 0);
        destroy_device(device);
    }
}

static void context_on_a_device(void) {
    D3DKMT_HANDLE device = create_device();
    D3DKMT_CREATECONTEXTVIRTUAL c;
    memset(&c, 0, sizeof c);
    c.hDevice = device;
    c.NodeOrdinal = 0;
    c.EngineAffinity = 1u << 0;
    c.ClientHint = D3DKMT_CLIENTHINT_CDD;
    if (g_hw_sched_enabled)
        c.Flags.HwQueueSupported = 1;
    CHECK_EQ(D3DKMTCreateContextVirtual(&c), STATUS_SUCCESS);
    CHECK(c.hContext != 0 && c.hContext != device);
    D3DKMT_DESTROYCONTEXT d = {c.hContext};
    CHECK_EQ(D3DKMTDestroyContext(&d), STATUS_SUCCESS);
    destroy_device(device);
}

static void close_every_adapter(void) {
    for (UINT i = 0; i < g_count; i++) {
        D3DKMT_CLOSEADAPTER close = {g_adapters[i].hAdapter};
        CHECK_EQ(D3DKMTCloseAdapter(&close), STATUS_SUCCESS);
    }
}

int main(int argc, char **argv) {
    g_expected_adapters = argc > 1 ? (UINT)atoi(argv[1]) : 1;
    g_expected_description = argc > 2 ? argv[2] : NULL;
    RUN(enum_and_query);
    if (g_count == 0)
        return check_summary() | 1;
    RUN(open_from_second_thread);
    RUN(five_device_cycles);
    RUN(context_on_a_device);
    RUN(close_every_adapter);
    return check_summary();
}
