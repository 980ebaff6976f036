/*
 * bcryptprimitives.c - a stand-in bcryptprimitives.dll for Wine 8, for CI.
 *
 * Rust's standard library on Windows takes its random bytes (HashMap
 * seeds) from ProcessPrng in bcryptprimitives.dll, which Windows 10 and
 * later have but Wine 8 (Debian 12's) does not: without it every
 * Rust-built exe and DLL, d3dkmt_sim.dll included, fails to load under
 * Wine 8 (c0000135).  This exports that one function on top of
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 *
 * Built and installed by .ci/windows.sh; never shipped.
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *       bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID RandomBuffer, ULONG RandomBufferLength);

/* Windows documents it as always returning TRUE. */
BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData)
{
    while (cbData > 0) {
        ULONG n = cbData > 0x10000000 ? 0x10000000 : (ULONG)cbData;
        if (!SystemFunction036(pbData, n))
            return FALSE;
        pbData += n;
        cbData -= n;
    }
    return TRUE;
}
