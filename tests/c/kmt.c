/*
 * kmt.c - the C conformance tests of docs/contract.md section 10 (EnumAdapters3,
 * QueryAdapterInfo, CreateContextVirtual, DestroyContext) and of the
 * per-adapter profiles of SIMKMT_CONFIG_EX.  Each test quotes or names the
 * rule it checks and starts from its own SimKmtReset.  A failing call must
 * return the status the contract names and write no output field: outputs
 * are pre-filled with sentinels and checked afterwards.
 *
 * Usage: ./kmt   (exit status 0 when every check passed)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "d3dkmt_sim.h"
#include "check.h"

#define SENTINEL 0xA5A5A5A5u
#define FAULT_A ((NTSTATUS)0xC0000017L) /* STATUS_NO_MEMORY, a failure code */

/* --- helpers ------------------------------------------------------------ */

static SIMKMT_ADAPTER_DESC adapter_desc(UINT32 kind) {
    SIMKMT_ADAPTER_DESC d;
    memset(&d, 0, sizeof d);
    d.Size = sizeof d;
    d.Kind = kind;
    return d;
}

/* Resets to `count` adapters with the given profiles. */
static NTSTATUS reset_with(UINT32 count, const SIMKMT_ADAPTER_DESC *descs, UINT32 ndescs) {
    SIMKMT_CONFIG_EX c;
    memset(&c, 0, sizeof c);
    c.Base.Size = sizeof c;
    c.Base.AdapterCount = count;
    c.NumAdapterDescs = ndescs;
    c.pAdapterDescs = descs;
    return SimKmtReset(&c.Base);
}

static NTSTATUS enum3(UINT64 filter, UINT *num, D3DKMT_ADAPTERINFO *out) {
    D3DKMT_ENUMADAPTERS3 e;
    memset(&e, 0, sizeof e);
    e.Filter.Value = filter;
    e.NumAdapters = *num;
    e.pAdapters = out;
    NTSTATUS s = D3DKMTEnumAdapters3(&e);
    *num = e.NumAdapters;
    return s;
}

static D3DKMT_HANDLE first_adapter(void) {
    D3DKMT_ADAPTERINFO info[16];
    UINT n = 16;
    CHECK_EQ(enum3(0x3, &n, info), STATUS_SUCCESS);
    return n ? info[0].hAdapter : 0;
}

static D3DKMT_HANDLE create_device(D3DKMT_HANDLE adapter) {
    D3DKMT_CREATEDEVICE c;
    memset(&c, 0, sizeof c);
    c.hAdapter = adapter;
    CHECK_EQ(D3DKMTCreateDevice(&c), STATUS_SUCCESS);
    return c.hDevice;
}

static NTSTATUS create_context(D3DKMT_HANDLE device, UINT node, UINT affinity, UINT flags, D3DKMT_HANDLE *out) {
    D3DKMT_CREATECONTEXTVIRTUAL c;
    memset(&c, 0, sizeof c);
    c.hDevice = device;
    c.NodeOrdinal = node;
    c.EngineAffinity = affinity;
    c.Flags.Value = flags;
    c.ClientHint = D3DKMT_CLIENTHINT_VULKAN;
    c.hContext = SENTINEL;
    NTSTATUS s = D3DKMTCreateContextVirtual(&c);
    if (s != STATUS_SUCCESS)
        CHECK_EQ(c.hContext, SENTINEL);
    *out = c.hContext;
    return s;
}

static NTSTATUS destroy_context(D3DKMT_HANDLE context) {
    D3DKMT_DESTROYCONTEXT d = {context};
    return D3DKMTDestroyContext(&d);
}

static NTSTATUS inject(UINT32 call, UINT32 action, NTSTATUS status) {
    SIMKMT_FAULT f;
    memset(&f, 0, sizeof f);
    f.Call = call;
    f.Action = action;
    f.Status = status;
    return SimKmtInjectFault(&f);
}

/* --- EnumAdapters3 ------------------------------------------------------ */

/* "as EnumAdapters2 (NULL array -> count; too small -> BUFFER_TOO_SMALL; each
 * entry an opened adapter handle), filtered by Filter: a compute-only adapter
 * is listed only with IncludeComputeOnly, a display-only one only with
 * IncludeDisplayOnly; reserved filter bits -> INVALID_PARAMETER.  NULL
 * argument -> INVALID_PARAMETER." */
static void t_enum3_filter(void) {
    SIMKMT_ADAPTER_DESC d[4] = {adapter_desc(SIMKMT_ADAPTER_KIND_RENDER),
                                adapter_desc(SIMKMT_ADAPTER_KIND_COMPUTE_ONLY),
                                adapter_desc(SIMKMT_ADAPTER_KIND_DISPLAY_ONLY),
                                adapter_desc(SIMKMT_ADAPTER_KIND_RENDER_DISPLAY)};
    CHECK_EQ(reset_with(4, d, 4), STATUS_SUCCESS);
    CHECK_EQ(D3DKMTEnumAdapters3(NULL), STATUS_INVALID_PARAMETER);
    static const struct {
        UINT64 filter;
        UINT count;
    } cases[] = {{0, 2}, {1, 3}, {2, 3}, {3, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        UINT n = 0;
        CHECK_EQ(enum3(cases[i].filter, &n, NULL), STATUS_SUCCESS);
        CHECK_EQ(n, cases[i].count);
        D3DKMT_ADAPTERINFO info[4];
        memset(info, 0xA5, sizeof info);
        n = 4;
        CHECK_EQ(enum3(cases[i].filter, &n, info), STATUS_SUCCESS);
        CHECK_EQ(n, cases[i].count);
        for (UINT k = 0; k < n; k++) {
            CHECK_EQ(info[k].hAdapter & 0xC000003Fu, 0x40000000u);
            D3DKMT_CLOSEADAPTER c = {info[k].hAdapter};
            CHECK_EQ(D3DKMTCloseAdapter(&c), STATUS_SUCCESS);
        }
    }
    /* NumOfSources: 1 for the adapters that display. */
    D3DKMT_ADAPTERINFO info[4];
    UINT n = 4;
    CHECK_EQ(enum3(3, &n, info), STATUS_SUCCESS);
    CHECK_EQ(info[0].NumOfSources + info[1].NumOfSources + info[2].NumOfSources + info[3].NumOfSources, 2);
    /* EnumAdapters2 lists every kind. */
    D3DKMT_ENUMADAPTERS2 e2;
    memset(&e2, 0, sizeof e2);
    CHECK_EQ(D3DKMTEnumAdapters2(&e2), STATUS_SUCCESS);
    CHECK_EQ(e2.NumAdapters, 4);
}

static void t_enum3_errors_write_nothing(void) {
    SIMKMT_ADAPTER_DESC d[2] = {adapter_desc(SIMKMT_ADAPTER_KIND_RENDER), adapter_desc(SIMKMT_ADAPTER_KIND_RENDER)};
    CHECK_EQ(reset_with(2, d, 2), STATUS_SUCCESS);
    D3DKMT_ADAPTERINFO info[2];
    memset(info, 0xA5, sizeof info);
    UINT n = 1;
    CHECK_EQ(enum3(0, &n, info), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(info[0].hAdapter, SENTINEL);
    n = 2;
    CHECK_EQ(enum3(0x4, &n, info), STATUS_INVALID_PARAMETER);
    CHECK_EQ(n, 2);
    n = 2;
    CHECK_EQ(enum3(0x8000000000000000ull, &n, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(n, 2);
    CHECK_EQ(info[0].hAdapter, SENTINEL);
    /* Nothing was opened: the next object gets the first handle. */
    CHECK_EQ(first_adapter(), 0x40000040u);
}

/* --- QueryAdapterInfo --------------------------------------------------- */

/* The defaults "describe a render-capable simulated adapter". */
static void t_query_defaults(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    D3DKMT_ADAPTERTYPE type;
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_SUCCESS);
    CHECK_EQ(type.Value, 0x1); /* RenderSupported alone */
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE_RENDER, &type, sizeof type), STATUS_SUCCESS);
    CHECK_EQ(type.Value, 0x1);
    D3DKMT_QUERY_DEVICE_IDS ids;
    memset(&ids, 0, sizeof ids);
    CHECK_EQ(query(a, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &ids, sizeof ids), STATUS_SUCCESS);
    CHECK_EQ(ids.DeviceIds.VendorID, 0xD3D5);
    CHECK_EQ(ids.DeviceIds.DeviceID, 0x0001);
    CHECK_EQ(ids.DeviceIds.RevisionID, 1);
    D3DKMT_WDDM_2_7_CAPS caps;
    memset(&caps, 0xFF, sizeof caps);
    CHECK_EQ(query(a, KMTQAITYPE_WDDM_2_7_CAPS, &caps, sizeof caps), STATUS_SUCCESS);
    CHECK_EQ(caps.Value, 0);
    static D3DKMT_DRIVER_DESCRIPTION desc;
    CHECK_EQ(query(a, KMTQAITYPE_DRIVER_DESCRIPTION, &desc, sizeof desc), STATUS_SUCCESS);
    CHECK(wcscmp(desc.DriverDescription, L"d3dkmt-sim simulated adapter") == 0);
    D3DKMT_DRIVERVERSION version = (D3DKMT_DRIVERVERSION)0;
    CHECK_EQ(query(a, KMTQAITYPE_DRIVERVERSION, &version, sizeof version), STATUS_SUCCESS);
    CHECK_EQ(version, KMT_DRIVERVERSION_WDDM_2_7);
    D3DKMT_PHYSICAL_ADAPTER_COUNT count = {0};
    CHECK_EQ(query(a, KMTQAITYPE_PHYSICALADAPTERCOUNT, &count, sizeof count), STATUS_SUCCESS);
    CHECK_EQ(count.Count, 1);
    D3DKMT_SEGMENTSIZEINFO seg;
    CHECK_EQ(query(a, KMTQAITYPE_GETSEGMENTSIZE, &seg, sizeof seg), STATUS_SUCCESS);
    CHECK_EQ(seg.DedicatedVideoMemorySize, 4ull << 30);
    CHECK_EQ(seg.SharedSystemMemorySize, 0);
    BOOL updating = 7;
    CHECK_EQ(query(a, KMTQAITYPE_CHECKDRIVERUPDATESTATUS, &updating, sizeof updating), STATUS_SUCCESS);
    CHECK_EQ(updating, 0);
    D3DKMT_ADAPTERADDRESS address;
    memset(&address, 0xFF, sizeof address);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERADDRESS, &address, sizeof address), STATUS_SUCCESS);
    CHECK_EQ(address.BusNumber, 0);
    CHECK_EQ(address.FunctionNumber, 0);
    GUID g1, g2;
    memset(&g1, 0, sizeof g1);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERGUID, &g1, sizeof g1), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERGUID_RENDER, &g2, sizeof g2), STATUS_SUCCESS);
    CHECK(memcmp(&g1, &g2, sizeof g1) == 0);
    static const GUID zero;
    CHECK(memcmp(&g1, &zero, sizeof g1) != 0);
    /* No UMD-private blob by default: size 0 with a buffer succeeds. */
    unsigned char blob[4];
    CHECK_EQ(query(a, KMTQAITYPE_UMDRIVERPRIVATE, blob, 0), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_UMDRIVERPRIVATE, blob, sizeof blob), STATUS_INVALID_PARAMETER);
}

/* The answers come from the per-adapter configuration. */
static void t_query_profile(void) {
    static const unsigned char umd[5] = {1, 2, 3, 4, 5};
    SIMKMT_ADAPTER_DESC d = adapter_desc(SIMKMT_ADAPTER_KIND_COMPUTE_ONLY);
    d.VendorId = 0x8086;
    d.DeviceId = 0x56A0;
    d.SubVendorId = 0x1234;
    d.RevisionId = 8;
    d.HwScheduling = SIMKMT_HWSCH_ENABLED;
    d.DriverVersion = KMT_DRIVERVERSION_WDDM_3_0;
    d.pDescription = "Simul\xC3\xA9 GPU \xE2\x9C\x93"; /* "Simulé GPU ✓" in UTF-8 */
    d.pUmdPrivateData = umd;
    d.UmdPrivateDataSize = sizeof umd;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    D3DKMT_ADAPTERTYPE type;
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE_RENDER, &type, sizeof type), STATUS_SUCCESS);
    CHECK(type.ComputeOnly && !type.RenderSupported && !type.DisplaySupported);
    D3DKMT_QUERY_DEVICE_IDS ids;
    memset(&ids, 0, sizeof ids);
    CHECK_EQ(query(a, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &ids, sizeof ids), STATUS_SUCCESS);
    CHECK_EQ(ids.DeviceIds.VendorID, 0x8086);
    CHECK_EQ(ids.DeviceIds.DeviceID, 0x56A0);
    CHECK_EQ(ids.DeviceIds.SubVendorID, 0x1234);
    CHECK_EQ(ids.DeviceIds.RevisionID, 8);
    D3DKMT_WDDM_2_7_CAPS caps;
    CHECK_EQ(query(a, KMTQAITYPE_WDDM_2_7_CAPS, &caps, sizeof caps), STATUS_SUCCESS);
    CHECK(caps.HwSchSupported && caps.HwSchEnabled && caps.HwSchEnabledByDefault);
    static D3DKMT_DRIVER_DESCRIPTION desc;
    CHECK_EQ(query(a, KMTQAITYPE_DRIVER_DESCRIPTION_RENDER, &desc, sizeof desc), STATUS_SUCCESS);
    /* The host's WCHAR: one code unit per character where it is 4 bytes. */
    if (sizeof(WCHAR) == 4)
        CHECK(desc.DriverDescription[5] == 0xE9 && desc.DriverDescription[11] == 0x2713 &&
              desc.DriverDescription[12] == 0);
    D3DKMT_DRIVERVERSION version;
    CHECK_EQ(query(a, KMTQAITYPE_DRIVERVERSION_RENDER, &version, sizeof version), STATUS_SUCCESS);
    CHECK_EQ(version, KMT_DRIVERVERSION_WDDM_3_0);
    unsigned char blob[5];
    CHECK_EQ(query(a, KMTQAITYPE_UMDRIVERPRIVATE, blob, sizeof blob), STATUS_SUCCESS);
    CHECK(memcmp(blob, umd, sizeof umd) == 0);
}

/* "bad or removed adapter -> INVALID_PARAMETER / DEVICE_REMOVED; NULL
 * pPrivateDriverData, or a PrivateDriverDataSize different from the type's
 * structure size -> INVALID_PARAMETER (one byte short fails); a type the
 * simulator does not model -> NOT_SUPPORTED." */
static void t_query_errors_write_nothing(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    CHECK_EQ(D3DKMTQueryAdapterInfo(NULL), STATUS_INVALID_PARAMETER);
    D3DKMT_ADAPTERTYPE type;
    type.Value = SENTINEL;
    CHECK_EQ(query(0, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(a + 0x40, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, NULL, sizeof type), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type - 1), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type + 1), STATUS_INVALID_PARAMETER);
    CHECK_EQ(type.Value, SENTINEL);
    static D3DKMT_DRIVER_DESCRIPTION desc;
    desc.DriverDescription[0] = 7;
    CHECK_EQ(query(a, KMTQAITYPE_DRIVER_DESCRIPTION, &desc, sizeof desc - 1), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(a, KMTQAITYPE_DRIVER_DESCRIPTION, &desc, 8192 + (sizeof(WCHAR) == 2 ? 2 : 0)),
             STATUS_INVALID_PARAMETER);
    CHECK_EQ(desc.DriverDescription[0], 7);
    /* KMTQAITYPE_CURRENTDISPLAYMODE (9), _NODEMETADATA (25): not simulated. */
    unsigned char any[64];
    CHECK_EQ(query(a, (KMTQUERYADAPTERINFOTYPE)9, any, sizeof any), STATUS_NOT_SUPPORTED);
    CHECK_EQ(query(a, (KMTQUERYADAPTERINFOTYPE)25, any, sizeof any), STATUS_NOT_SUPPORTED);
    CHECK_EQ(query(a, (KMTQUERYADAPTERINFOTYPE)-1, any, sizeof any), STATUS_NOT_SUPPORTED);
    /* One physical adapter: index 1 is not there. */
    D3DKMT_QUERY_DEVICE_IDS ids;
    memset(&ids, 0, sizeof ids);
    ids.PhysicalAdapterIndex = 1;
    ids.DeviceIds.VendorID = SENTINEL;
    CHECK_EQ(query(a, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &ids, sizeof ids), STATUS_INVALID_PARAMETER);
    CHECK_EQ(ids.DeviceIds.VendorID, SENTINEL);
    /* A device handle is not an adapter handle. */
    D3DKMT_HANDLE device = create_device(a);
    CHECK_EQ(query(device, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_INVALID_PARAMETER);
    /* A TDR leaves the adapter answering; a surprise removal does not. */
    CHECK_EQ(SimKmtResetAdapter(a), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_SUCCESS);
    type.Value = SENTINEL;
    CHECK_EQ(SimKmtRemoveAdapter(a), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_DEVICE_REMOVED);
    CHECK_EQ(type.Value, SENTINEL);
    /* Closed: invalid. */
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    a = first_adapter();
    D3DKMT_CLOSEADAPTER c = {a};
    CHECK_EQ(D3DKMTCloseAdapter(&c), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_INVALID_PARAMETER);
}

/* --- contexts ----------------------------------------------------------- */

/* "on success writes hContext, a handle of its own kind in the section 3
 * sequence"; "bad device -> INVALID_PARAMETER; removed device ->
 * DEVICE_REMOVED"; DestroyContext "bad handle -> INVALID_PARAMETER; works on
 * a removed device". */
static void t_context_lifecycle(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();     /* 0x40000040 */
    D3DKMT_HANDLE device = create_device(a); /* 0x40000080 */
    D3DKMT_HANDLE ctx = 0;
    CHECK_EQ(create_context(device, 0, 1, 0, &ctx), STATUS_SUCCESS);
    CHECK_EQ(ctx, 0x400000C0u);
    CHECK_EQ(D3DKMTCreateContextVirtual(NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(D3DKMTDestroyContext(NULL), STATUS_INVALID_PARAMETER);
    D3DKMT_HANDLE bad;
    CHECK_EQ(create_context(0, 0, 1, 0, &bad), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(a, 0, 1, 0, &bad), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(ctx, 0, 1, 0, &bad), STATUS_INVALID_PARAMETER);
    /* A context handle is no allocation. */
    D3DKMT_LOCK2 lock;
    memset(&lock, 0, sizeof lock);
    lock.hDevice = device;
    lock.hAllocation = ctx;
    CHECK_EQ(D3DKMTLock2(&lock), STATUS_INVALID_PARAMETER);
    CHECK_EQ(destroy_context(device), STATUS_INVALID_PARAMETER);
    CHECK_EQ(destroy_context(0), STATUS_INVALID_PARAMETER);
    /* Removed device: no new context, the old one can still be destroyed. */
    CHECK_EQ(SimKmtRemoveDevice(device, 0), STATUS_SUCCESS);
    CHECK_EQ(create_context(device, 0, 1, 0, &bad), STATUS_DEVICE_REMOVED);
    CHECK_EQ(destroy_context(ctx), STATUS_SUCCESS);
    CHECK_EQ(destroy_context(ctx), STATUS_INVALID_PARAMETER);
    /* Nothing failed took a handle: the next object is 0x40000100. */
    D3DKMT_HANDLE device2 = create_device(a);
    CHECK_EQ(device2, 0x40000100u);
}

/* "Destroying a device destroys its contexts." */
static void t_context_destroyed_with_device(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    D3DKMT_HANDLE device = create_device(a);
    D3DKMT_HANDLE c1 = 0, c2 = 0;
    CHECK_EQ(create_context(device, 0, 1, 0, &c1), STATUS_SUCCESS);
    CHECK_EQ(create_context(device, 0, 0, 0, &c2), STATUS_SUCCESS);
    D3DKMT_DESTROYDEVICE d = {device};
    CHECK_EQ(D3DKMTDestroyDevice(&d), STATUS_SUCCESS);
    CHECK_EQ(destroy_context(c1), STATUS_INVALID_PARAMETER);
    CHECK_EQ(destroy_context(c2), STATUS_INVALID_PARAMETER);
    /* And a reset destroys every context. */
    device = create_device(a);
    CHECK_EQ(create_context(device, 0, 1, 0, &c1), STATUS_SUCCESS);
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    CHECK_EQ(destroy_context(c1), STATUS_INVALID_PARAMETER);
}

/* "a NodeOrdinal or EngineAffinity naming an engine the adapter lacks, or
 * reserved flag bits -> INVALID_PARAMETER". */
static void t_context_nodes_engines_flags(void) {
    SIMKMT_ADAPTER_DESC d[2] = {adapter_desc(SIMKMT_ADAPTER_KIND_RENDER), adapter_desc(SIMKMT_ADAPTER_KIND_RENDER)};
    d[0].NodeCount = 2;
    d[0].EnginesPerNode[0] = 1;
    d[0].EnginesPerNode[1] = 3;
    d[1].HwScheduling = SIMKMT_HWSCH_ENABLED;
    CHECK_EQ(reset_with(2, d, 2), STATUS_SUCCESS);
    D3DKMT_ADAPTERINFO info[2];
    UINT n = 2;
    CHECK_EQ(enum3(0, &n, info), STATUS_SUCCESS);
    D3DKMT_HANDLE dev0 = create_device(info[0].hAdapter), dev1 = create_device(info[1].hAdapter);
    D3DKMT_HANDLE ctx;
    CHECK_EQ(create_context(dev0, 1, 0x7, 0, &ctx), STATUS_SUCCESS);
    CHECK_EQ(create_context(dev0, 1, 0x8, 0, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 0, 0x2, 0, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 2, 0x1, 0, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 0xFFFFFFFFu, 0x1, 0, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 0, 0x1, 0x40, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 0, 0x1, 0x80000000u, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev0, 0, 0x1, 0x2F, &ctx), STATUS_SUCCESS); /* every known bit but the queue */
    /* HwQueueSupported needs hardware scheduling enabled. */
    CHECK_EQ(create_context(dev0, 0, 0x1, 0x10, &ctx), STATUS_INVALID_PARAMETER);
    CHECK_EQ(create_context(dev1, 0, 0x1, 0x10, &ctx), STATUS_SUCCESS);
    /* Private data NULL with a size is refused. */
    D3DKMT_CREATECONTEXTVIRTUAL c;
    memset(&c, 0, sizeof c);
    c.hDevice = dev0;
    c.EngineAffinity = 1;
    c.PrivateDriverDataSize = 16;
    c.hContext = SENTINEL;
    CHECK_EQ(D3DKMTCreateContextVirtual(&c), STATUS_INVALID_PARAMETER);
    CHECK_EQ(c.hContext, SENTINEL);
    unsigned char priv[16] = {0};
    c.pPrivateDriverData = priv;
    CHECK_EQ(D3DKMTCreateContextVirtual(&c), STATUS_SUCCESS);
}

/* Faults cover the new calls like every other call (SIMKMT_CALL_*). */
static void t_faults_on_new_calls(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    D3DKMT_HANDLE device = create_device(a);
    D3DKMT_HANDLE ctx;
    CHECK_EQ(inject(SIMKMT_CALL_CREATECONTEXT, SIMKMT_FAULT_RETURN_STATUS, FAULT_A), STATUS_SUCCESS);
    CHECK_EQ(create_context(device, 0, 1, 0, &ctx), FAULT_A);
    CHECK_EQ(create_context(device, 0, 1, 0, &ctx), STATUS_SUCCESS);
    CHECK_EQ(inject(SIMKMT_CALL_DESTROYCONTEXT, SIMKMT_FAULT_RETURN_STATUS, FAULT_A), STATUS_SUCCESS);
    CHECK_EQ(destroy_context(ctx), FAULT_A);
    CHECK_EQ(destroy_context(ctx), STATUS_SUCCESS);
    D3DKMT_ADAPTERTYPE type;
    CHECK_EQ(inject(SIMKMT_CALL_QUERYADAPTERINFO, SIMKMT_FAULT_RETURN_STATUS, FAULT_A), STATUS_SUCCESS);
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), FAULT_A);
    UINT n = 0;
    CHECK_EQ(inject(SIMKMT_CALL_ENUMADAPTERS, SIMKMT_FAULT_RETURN_STATUS, FAULT_A), STATUS_SUCCESS);
    CHECK_EQ(enum3(0, &n, NULL), FAULT_A);
    /* REMOVE_DEVICE on CreateContext removes the device first. */
    CHECK_EQ(inject(SIMKMT_CALL_CREATECONTEXT, SIMKMT_FAULT_REMOVE_DEVICE, 0), STATUS_SUCCESS);
    CHECK_EQ(create_context(device, 0, 1, 0, &ctx), STATUS_DEVICE_REMOVED);
    /* DestroyContext names no device; QueryAdapterInfo names an adapter. */
    CHECK_EQ(inject(SIMKMT_CALL_DESTROYCONTEXT, SIMKMT_FAULT_REMOVE_DEVICE, 0), STATUS_INVALID_PARAMETER);
    CHECK_EQ(inject(SIMKMT_CALL_QUERYADAPTERINFO, SIMKMT_FAULT_RESET_ADAPTER, 0), STATUS_SUCCESS);
}

/* --- SIMKMT_CONFIG_EX --------------------------------------------------- */

/* SimKmtReset "validates first and keeps the old simulator on failure". */
static void t_config_ex_validation(void) {
    CHECK_EQ(SimKmtReset(NULL), STATUS_SUCCESS);
    D3DKMT_HANDLE a = first_adapter();
    SIMKMT_ADAPTER_DESC d = adapter_desc(0);
    d.Size = sizeof d - 1;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(4);
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.Reserved = 1;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.NodeCount = 9;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.EnginesPerNode[0] = 33;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.DriverVersion = 2750;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.HwScheduling = 3;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.UmdPrivateDataSize = 4;
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    d.pDescription = "\xFF not UTF-8";
    CHECK_EQ(reset_with(1, &d, 1), STATUS_INVALID_PARAMETER);
    d = adapter_desc(0);
    CHECK_EQ(reset_with(1, &d, 2), STATUS_INVALID_PARAMETER); /* more descs than adapters */
    CHECK_EQ(reset_with(1, NULL, 1), STATUS_INVALID_PARAMETER);
    SIMKMT_CONFIG_EX c;
    memset(&c, 0, sizeof c);
    c.Base.Size = sizeof c;
    c.Reserved = 1;
    CHECK_EQ(SimKmtReset(&c.Base), STATUS_INVALID_PARAMETER);
    /* The old simulator is still there: its adapter handle answers. */
    D3DKMT_ADAPTERTYPE type;
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_SUCCESS);
    /* A 40-byte SIMKMT_CONFIG still works, and a reset with no profiles
     * restores the default one. */
    d = adapter_desc(SIMKMT_ADAPTER_KIND_COMPUTE_ONLY);
    CHECK_EQ(reset_with(1, &d, 1), STATUS_SUCCESS);
    SIMKMT_CONFIG base;
    memset(&base, 0, sizeof base);
    base.Size = sizeof base;
    CHECK_EQ(SimKmtReset(&base), STATUS_SUCCESS);
    a = first_adapter();
    CHECK_EQ(query(a, KMTQAITYPE_ADAPTERTYPE, &type, sizeof type), STATUS_SUCCESS);
    CHECK_EQ(type.Value, 0x1);
}

int main(void) {
    RUN(t_enum3_filter);
    RUN(t_enum3_errors_write_nothing);
    RUN(t_query_defaults);
    RUN(t_query_profile);
    RUN(t_query_errors_write_nothing);
    RUN(t_context_lifecycle);
    RUN(t_context_destroyed_with_device);
    RUN(t_context_nodes_engines_flags);
    RUN(t_faults_on_new_calls);
    RUN(t_config_ex_validation);
    return check_summary();
}
