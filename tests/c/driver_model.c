/*
 * A pluggable kernel-mode driver model, from C (docs/c-library.md, "The driver
 * model"): this program is "driver code" with its own private-data format,
 * which the simulator's default SIMKMT_ALLOCATION_DESC reader rejects. It
 * registers its own interpreter with SimKmtSetDriverModel, creates
 * allocations in that format, locks them with D3DKMTLock2, checks that the
 * mapping covers the size its interpreter chose (writes the last byte,
 * unlocks, locks again and reads it back), reads the private data back with
 * SimKmtQueryAllocationPrivateData, and checks a failing interpreter's status
 * reaches the caller with nothing created.
 *
 * Built and run by tests/c_abi.rs against libd3dkmt_sim.so and .a.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "d3dkmt_sim.h"

static int g_passed, g_failed;

static void check(int ok, const char *expr, int line) {
    if (ok) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL line %d: %s\n", line, expr);
    }
}
#define CHECK(cond) check(!!(cond), #cond, __LINE__)
#define CHECK_ST(expr, want) check((expr) == (want), #expr " == " #want, __LINE__)

#define PAGE 4096u
#define SENT_H ((D3DKMT_HANDLE)0xA5A5A5A5u)

/* The driver's own private data: a magic, a width and a height in texels
 * of 4 bytes, and whether the surface is "staging" (system memory). */
typedef struct {
    UINT32 Magic; /* 'TEXD' */
    UINT32 Width;
    UINT32 Height;
    UINT32 Staging;
} TEX_DESC;
#define TEX_MAGIC 0x44584554u /* "TEXD" */
#define STATUS_DRIVER_REFUSED ((NTSTATUS)0xE0AB0001L)

typedef struct {
    int calls;
    UINT32 last_index;
} interp_state;

/* The interpreter: a row pitch rounded to 256 bytes, times the height. */
static NTSTATUS D3DKMT_SIM_APIENTRY interpret(void *ctx, const SIMKMT_ALLOCATION_REQUEST *req,
                                              SIMKMT_ALLOCATION_ANSWER *ans) {
    interp_state *st = ctx;
    st->calls++;
    st->last_index = req->AllocationIndex;
    if (req->PrivateDriverDataSize != sizeof(TEX_DESC) || req->pPrivateDriverData == NULL) return STATUS_DRIVER_REFUSED;
    const TEX_DESC *d = req->pPrivateDriverData;
    if (d->Magic != TEX_MAGIC || d->Width == 0 || d->Height == 0) return STATUS_DRIVER_REFUSED;
    UINT64 pitch = ((UINT64)d->Width * 4 + 255) & ~(UINT64)255;
    ans->SizeInBytes = pitch * d->Height;
    ans->Flags = 0;
    ans->Placement = d->Staging ? SIMKMT_PLACEMENT_SYSTEM : SIMKMT_PLACEMENT_VIDEO;
    return STATUS_SUCCESS;
}

static UINT64 expected_size(const TEX_DESC *d) {
    return (((UINT64)d->Width * 4 + 255) & ~(UINT64)255) * d->Height;
}

static D3DKMT_HANDLE setup_device(const SIMKMT_CONFIG *c) {
    if (SimKmtReset(c) != STATUS_SUCCESS) return 0;
    D3DKMT_ADAPTERINFO info;
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    e.NumAdapters = 1;
    e.pAdapters = &info;
    if (D3DKMTEnumAdapters2(&e) != STATUS_SUCCESS) return 0;
    D3DKMT_CREATEDEVICE cd;
    memset(&cd, 0, sizeof cd);
    cd.hAdapter = info.hAdapter;
    if (D3DKMTCreateDevice(&cd) != STATUS_SUCCESS) return 0;
    return cd.hDevice;
}

static NTSTATUS create(D3DKMT_HANDLE dev, UINT n, D3DDDI_ALLOCATIONINFO2 *infos, D3DKMT_CREATEALLOCATION *out) {
    D3DKMT_CREATEALLOCATION ca;
    memset(&ca, 0, sizeof ca);
    ca.hDevice = dev;
    ca.hGlobalShare = SENT_H;
    ca.NumAllocations = n;
    ca.pAllocationInfo2 = infos;
    NTSTATUS st = D3DKMTCreateAllocation2(&ca);
    if (out) *out = ca;
    return st;
}

static void info_init(D3DDDI_ALLOCATIONINFO2 *i, TEX_DESC *d) {
    memset(i, 0, sizeof *i);
    i->hAllocation = SENT_H;
    i->pPrivateDriverData = d;
    i->PrivateDriverDataSize = sizeof *d;
}

static NTSTATUS lock2(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, unsigned char **p) {
    D3DKMT_LOCK2 l;
    memset(&l, 0, sizeof l);
    l.hDevice = dev;
    l.hAllocation = a;
    NTSTATUS st = D3DKMTLock2(&l);
    *p = l.pData;
    return st;
}

static NTSTATUS unlock2(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    D3DKMT_UNLOCK2 u = {dev, a};
    return D3DKMTUnlock2(&u);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A budget of 4 pages: the staging surface is far larger and must not
     * count against it. */
    SIMKMT_CONFIG c;
    memset(&c, 0, sizeof c);
    c.Size = sizeof c;
    c.AdapterMemoryBytes = 4 * PAGE;
    D3DKMT_HANDLE dev = setup_device(&c);
    CHECK(dev != 0);

    TEX_DESC tex[2] = {{TEX_MAGIC, 100, 30, 0}, {TEX_MAGIC, 1000, 300, 1}};
    D3DDDI_ALLOCATIONINFO2 infos[2];
    info_init(&infos[0], &tex[0]);
    info_init(&infos[1], &tex[1]);

    /* 1. The default model rejects the driver's format, writes nothing. */
    D3DKMT_CREATEALLOCATION ca;
    CHECK_ST(create(dev, 2, infos, &ca), STATUS_INVALID_PARAMETER);
    CHECK(infos[0].hAllocation == SENT_H && infos[1].hAllocation == SENT_H);
    CHECK(ca.hGlobalShare == SENT_H);

    /* 2. With the driver's interpreter registered, the same call works. */
    interp_state st = {0, 0};
    CHECK_ST(SimKmtSetDriverModel(interpret, &st), STATUS_SUCCESS);
    CHECK_ST(create(dev, 2, infos, &ca), STATUS_SUCCESS);
    CHECK(st.calls == 2 && st.last_index == 1);
    CHECK(ca.hGlobalShare == 0);
    CHECK(ca.hResource == 0);
    for (int k = 0; k < 2; k++) {
        D3DKMT_HANDLE h = infos[k].hAllocation;
        CHECK(h != SENT_H && h != 0);
        UINT64 size = expected_size(&tex[k]);
        SIMKMT_ALLOCATION_INFO q;
        CHECK_ST(SimKmtQueryAllocation(dev, h, &q), STATUS_SUCCESS);
        CHECK(q.SizeInBytes == ((size + PAGE - 1) / PAGE) * PAGE);
        CHECK(!!(q.Flags & SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT) == (k == 1));

        /* The mapping covers the size the interpreter chose: write its last
         * byte, unlock, lock again, read it back. */
        unsigned char *p = NULL;
        CHECK_ST(lock2(dev, h, &p), STATUS_SUCCESS);
        CHECK(p != NULL);
        if (!p) continue;
        p[size - 1] = (unsigned char)(0x5A + k);
        CHECK_ST(unlock2(dev, h), STATUS_SUCCESS);
        unsigned char *p2 = NULL;
        CHECK_ST(lock2(dev, h, &p2), STATUS_SUCCESS);
        CHECK(p2 == p);
        if (p2) CHECK(p2[size - 1] == (unsigned char)(0x5A + k));
        CHECK_ST(unlock2(dev, h), STATUS_SUCCESS);

        /* 3. The private data reads back: size first, then too small, then whole. */
        UINT32 n = 0;
        CHECK_ST(SimKmtQueryAllocationPrivateData(dev, h, NULL, &n), STATUS_SUCCESS);
        CHECK(n == sizeof(TEX_DESC));
        TEX_DESC back;
        memset(&back, 0xA5, sizeof back);
        n = 3;
        CHECK_ST(SimKmtQueryAllocationPrivateData(dev, h, &back, &n), STATUS_BUFFER_TOO_SMALL);
        CHECK(n == sizeof(TEX_DESC));
        CHECK(((unsigned char *)&back)[0] == 0xA5);
        n = sizeof back;
        CHECK_ST(SimKmtQueryAllocationPrivateData(dev, h, &back, &n), STATUS_SUCCESS);
        CHECK(memcmp(&back, &tex[k], sizeof back) == 0);
        CHECK_ST(SimKmtQueryAllocationPrivateData(dev, h, &back, NULL), STATUS_INVALID_PARAMETER);
    }
    /* It still works on a removed device. */
    CHECK_ST(SimKmtRemoveDevice(dev, 0), STATUS_SUCCESS);
    UINT32 n = 0;
    CHECK_ST(SimKmtQueryAllocationPrivateData(dev, infos[1].hAllocation, NULL, &n), STATUS_SUCCESS);
    CHECK(n == sizeof(TEX_DESC));

    /* 4. A failing interpreter's status is the call's, and nothing is created. */
    dev = setup_device(&c);
    CHECK_ST(SimKmtSetDriverModel(interpret, &st), STATUS_SUCCESS);
    TEX_DESC bad = {0, 1, 1, 0};
    info_init(&infos[0], &tex[0]);
    info_init(&infos[1], &bad);
    CHECK_ST(create(dev, 2, infos, &ca), STATUS_DRIVER_REFUSED);
    CHECK(infos[0].hAllocation == SENT_H && infos[1].hAllocation == SENT_H);
    CHECK(ca.hGlobalShare == SENT_H);
    /* Nothing was charged: the whole budget is still there. */
    TEX_DESC whole = {TEX_MAGIC, 1024, 4, 0}; /* 4 pages of video memory */
    info_init(&infos[0], &whole);
    CHECK_ST(create(dev, 1, infos, NULL), STATUS_SUCCESS);

    /* 5. NULL restores the default; so does SimKmtReset. */
    CHECK_ST(SimKmtSetDriverModel(NULL, NULL), STATUS_SUCCESS);
    info_init(&infos[0], &tex[0]);
    CHECK_ST(create(dev, 1, infos, NULL), STATUS_INVALID_PARAMETER);
    CHECK_ST(SimKmtSetDriverModel(interpret, &st), STATUS_SUCCESS);
    dev = setup_device(NULL);
    info_init(&infos[0], &tex[0]);
    CHECK_ST(create(dev, 1, infos, NULL), STATUS_INVALID_PARAMETER);

    SimKmtReset(NULL);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
