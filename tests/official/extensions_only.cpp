// A program that includes Microsoft's official d3dkmthk.h (on Linux, with
// DirectX-Headers' WSL stubs) and then this project's header in
// D3DKMT_SIM_EXTENSIONS_ONLY mode: the SIMKMT_ part must compile beside the
// official types, and the D3DKMT structs the simulator reads must have the
// layouts the simulator's own header gives them (checked here against the
// official definitions). Run by tests/official/run.sh.
#include <wsl/winadapter.h>
#include <dxg/d3dkmthk.h>

#define D3DKMT_SIM_EXTENSIONS_ONLY
#include "d3dkmt_sim.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <cwchar>

static_assert(sizeof(D3DKMT_ENUMADAPTERS3) == 24 && offsetof(D3DKMT_ENUMADAPTERS3, pAdapters) == 16, "ENUMADAPTERS3");
static_assert(sizeof(D3DKMT_QUERYADAPTERINFO) == 24, "QUERYADAPTERINFO");
static_assert(sizeof(D3DKMT_CREATECONTEXTVIRTUAL) == 40 && offsetof(D3DKMT_CREATECONTEXTVIRTUAL, hContext) == 32,
              "CREATECONTEXTVIRTUAL");
static_assert(sizeof(D3DKMT_DRIVER_DESCRIPTION) == 4096 * sizeof(wchar_t), "WCHAR is wchar_t");
static_assert(alignof(D3DKMT_WDDM_2_7_CAPS) == 1, "packed, as in d3dkmdt.h");

static int failures;
#define EXPECT(c)                                               \
    do {                                                        \
        if (!(c)) {                                             \
            std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                         \
        }                                                       \
    } while (0)

int main() {
    SIMKMT_ADAPTER_DESC desc = {};
    desc.Size = sizeof desc;
    desc.Kind = SIMKMT_ADAPTER_KIND_RENDER_DISPLAY;
    desc.VendorId = 0x10DE;
    desc.pDescription = "Official headers";
    SIMKMT_CONFIG_EX config = {};
    config.Base.Size = sizeof config;
    config.NumAdapterDescs = 1;
    config.pAdapterDescs = &desc;
    EXPECT(SimKmtReset(&config.Base) == 0);

    D3DKMT_ADAPTERINFO info[4] = {};
    D3DKMT_ENUMADAPTERS3 e = {};
    e.NumAdapters = 4;
    e.pAdapters = info;
    EXPECT(D3DKMTEnumAdapters3(&e) == 0 && e.NumAdapters == 1 && info[0].NumOfSources == 1);

    D3DKMT_ADAPTERTYPE type = {};
    D3DKMT_QUERYADAPTERINFO q = {};
    q.hAdapter = info[0].hAdapter;
    q.Type = KMTQAITYPE_ADAPTERTYPE;
    q.pPrivateDriverData = &type;
    q.PrivateDriverDataSize = sizeof type;
    EXPECT(D3DKMTQueryAdapterInfo(&q) == 0 && type.RenderSupported && type.DisplaySupported);

    static D3DKMT_DRIVER_DESCRIPTION text;
    q.Type = KMTQAITYPE_DRIVER_DESCRIPTION;
    q.pPrivateDriverData = &text;
    q.PrivateDriverDataSize = sizeof text;
    EXPECT(D3DKMTQueryAdapterInfo(&q) == 0 && std::wcscmp(text.DriverDescription, L"Official headers") == 0);

    D3DKMT_CREATEDEVICE cd = {};
    cd.hAdapter = info[0].hAdapter;
    EXPECT(D3DKMTCreateDevice(&cd) == 0);
    D3DKMT_CREATECONTEXTVIRTUAL cc = {};
    cc.hDevice = cd.hDevice;
    cc.EngineAffinity = 1;
    cc.ClientHint = D3DKMT_CLIENTHINT_VULKAN;
    EXPECT(D3DKMTCreateContextVirtual(&cc) == 0 && cc.hContext != 0);
    D3DKMT_DESTROYCONTEXT dc = {cc.hContext};
    EXPECT(D3DKMTDestroyContext(&dc) == 0);
    D3DKMT_DESTROYDEVICE dd = {cd.hDevice};
    EXPECT(D3DKMTDestroyDevice(&dd) == 0);
    std::printf("extensions_only: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
