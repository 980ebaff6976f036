/*
 * sdk_header.c - a Windows program written against the platform's own
 * <d3dkmthk.h>, with this project's header in D3DKMT_SIM_EXTENSIONS_ONLY mode
 * for the SIMKMT_ part only, linked with d3dkmt_sim's import library *before*
 * gdi32 (which exports the real D3DKMT* thunks too).  It checks that the
 * D3DKMT* calls reach the simulator, not gdi32: a fault injected through
 * SimKmtInjectFault changes what D3DKMTOpenAdapterFromLuid returns, which
 * only the simulator's thunk can do.  gdi32 itself stays usable beside it.
 *
 * Built as C11 and as C++17 and run under Wine by .ci/windows.sh:
 *   x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -Iinclude \
 *       -idirafter <dir of d3dkmthk.h> tests/windows/sdk_header.c \
 *       -L<dir of libd3dkmt_sim.dll.a> -ld3dkmt_sim -lgdi32
 * mingw-w64 10 (Debian 12) ships no d3dkmthk.h, so CI takes Wine's
 * (libwine-dev: wine/windows/ddk/d3dkmthk.h); the Windows SDK's or a newer
 * mingw-w64's works the same way.
 */
#include <windows.h>
#include <winternl.h> /* NTSTATUS, which d3dkmthk.h uses */
#include <d3dkmthk.h>

#define D3DKMT_SIM_EXTENSIONS_ONLY
#include "d3dkmt_sim.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define EXPECT(c)                                                        \
    do {                                                                 \
        if (!(c)) {                                                      \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);          \
            failures++;                                                  \
        }                                                                \
    } while (0)

/* Returned by the injected fault: no real thunk answers this for a LUID. */
#define MARKER ((NTSTATUS)0xC0DE0001L)
#define INVALID_PARAMETER ((NTSTATUS)0xC000000DL)

int main(void) {
    EXPECT(SimKmtReset(NULL) == 0);

    /* A LUID no adapter has: the simulator says INVALID_PARAMETER. */
    D3DKMT_OPENADAPTERFROMLUID open;
    memset(&open, 0, sizeof open);
    open.AdapterLuid.LowPart = 0xDEADu;
    EXPECT(D3DKMTOpenAdapterFromLuid(&open) == INVALID_PARAMETER);

    SIMKMT_FAULT fault;
    memset(&fault, 0, sizeof fault);
    fault.Call = SIMKMT_CALL_OPENADAPTER;
    fault.Action = SIMKMT_FAULT_RETURN_STATUS;
    fault.Status = MARKER;
    EXPECT(SimKmtInjectFault(&fault) == 0);
    NTSTATUS got = D3DKMTOpenAdapterFromLuid(&open);
    EXPECT(got == MARKER);
    /* The fault fired once. */
    EXPECT(D3DKMTOpenAdapterFromLuid(&open) == INVALID_PARAMETER);

    /* gdi32 is linked and works beside the simulator. */
    EXPECT(GetStockObject(WHITE_BRUSH) != NULL);

    printf("sdk_header: D3DKMTOpenAdapterFromLuid -> 0x%08lX (%s)\n", (unsigned long)got,
           got == MARKER ? "the simulator's thunk" : "NOT the simulator");
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
