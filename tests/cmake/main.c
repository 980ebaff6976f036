/* A consumer of the installed library (tests/cmake/CMakeLists.txt): one
 * D3DKMT call and one SimKmt call on the process-wide simulator. */
#include <stdio.h>

#include <d3dkmt_sim.h>

int main(void)
{
    D3DKMT_ENUMADAPTERS2 enumerate = {0};
    NTSTATUS s = D3DKMTEnumAdapters2(&enumerate);
    if (s != STATUS_SUCCESS || enumerate.NumAdapters != 1) {
        fprintf(stderr, "D3DKMTEnumAdapters2: 0x%08X, %u adapters (want success, 1)\n", (unsigned)s,
                enumerate.NumAdapters);
        return 1;
    }
    s = SimKmtReset(NULL);
    if (s != STATUS_SUCCESS) {
        fprintf(stderr, "SimKmtReset(NULL): 0x%08X (want success)\n", (unsigned)s);
        return 1;
    }
    printf("ok: %u adapter, reset to the defaults\n", enumerate.NumAdapters);
    return 0;
}
