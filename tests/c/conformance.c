/*
 * conformance.c - C11 conformance suite of the d3dkmt-sim C ABI.
 *
 * Derived from the normative contract (docs/contract.md)
 * alone: every check below asserts a sentence of docs/contract.md, and the section a
 * test group covers is named in its banner comment.  When the library and
 * docs/contract.md disagree, the check asserts docs/contract.md.
 *
 * Build and run (tests/c_abi.rs does this against both libraries, which it
 * builds into <target dir>/c-libs/<profile>/), e.g. against an install:
 *
 *     gcc -std=c11 -Wall -Wextra -Werror -O1 -g -pthread -Iinclude \
 *         tests/c/conformance.c $(pkg-config --cflags --libs d3dkmt_sim)
 *
 * Structure
 * ---------
 *   - A tiny test framework: CHECK_ST (expected vs actual NTSTATUS, in hex
 *     and by name), CHECK_EQ (integers, in hex), CHECK_PTR and CHECK.  Every
 *     check records file and line, prints a FAIL line on mismatch and carries
 *     on, so one run lists every disagreement.
 *   - Helpers that wrap each entry point with the struct set-up (create a
 *     device, an allocation, lock, submit, query, ...), pre-filling output
 *     fields with sentinels so "a failed call writes no output field" is
 *     checked wherever a call is expected to fail.
 *   - One small test function per rule.  Each starts from SimKmtReset(NULL)
 *     or from a specific SIMKMT_CONFIG, so tests are independent.
 *   - A table of all tests; main() runs them in order, prints "ok"/"FAIL"
 *     per test and then the summary line "<N> passed, <M> failed"; the exit
 *     status is 0 only if nothing failed.
 *
 * Groups (docs/contract.md sections):
 *   §2   layouts (compile-time asserts)
 *   §3   EnumAdapters2, OpenAdapterFromLuid, CloseAdapter, CreateDevice,
 *        DestroyDevice, DestroyAllocation2, GetDeviceState; handle rules
 *   §4   CreateAllocation2 / CreateAllocation: descs, budget, lazy commit,
 *        pSystemMem, standard allocations, content across lock cycles
 *   §5   Lock2 / Unlock2 and the exact check order; busy policies
 *   §6   legacy Lock / Unlock (pages, flags, shared limit) and check order
 *   §7   device removal, adapter reset and surprise removal
 *   §8   submission and fences
 *   §9   SimKmtReset, SimKmtSubmit, SimKmtQueryAllocation, SimKmtInjectFault
 *   §1   thread safety: two threads hammering Lock2/Unlock2 (distinct and
 *        shared allocations)
 *   +    additional edge cases: 64-bit size overflow against the budget,
 *        content loss for every way of removal, whole-allocation legacy locks
 *        ignoring the page list, removal of every adapter, fault counting
 *        details, races (limit, removal, concurrent creation), handle churn,
 *        partial fence completion while waiting, budget after removal.
 *
 * Each test's banner comment quotes the docs/contract.md sentence it checks.
 *
 * Timing: waits use small WaitTimeoutMs values (and helper threads that act
 * after ~100 ms); the whole run takes about 3.5 seconds.  Timing assertions
 * only use generous bounds: a wait must last at least ~95% of its timeout,
 * and "does not wait" means well under the configured timeout.
 *
 * Usage: ./conformance [substring]  runs only the tests whose name contains
 * the substring (all tests without an argument).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "d3dkmt_sim.h"

/* ======================================================================== */
/* §2 Layouts (x86-64)                                                       */
/* ======================================================================== */

_Static_assert(sizeof(D3DKMT_LOCK2) == 24, "D3DKMT_LOCK2");
_Static_assert(offsetof(D3DKMT_LOCK2, Flags) == 8 && offsetof(D3DKMT_LOCK2, pData) == 16, "D3DKMT_LOCK2 fields");
_Static_assert(sizeof(D3DKMT_UNLOCK2) == 8, "D3DKMT_UNLOCK2");
_Static_assert(sizeof(D3DKMT_LOCK) == 48, "D3DKMT_LOCK");
_Static_assert(offsetof(D3DKMT_LOCK, NumPages) == 12 && offsetof(D3DKMT_LOCK, pPages) == 16 &&
                   offsetof(D3DKMT_LOCK, pData) == 24 && offsetof(D3DKMT_LOCK, Flags) == 32 &&
                   offsetof(D3DKMT_LOCK, GpuVirtualAddress) == 40,
               "D3DKMT_LOCK fields");
_Static_assert(sizeof(D3DKMT_UNLOCK) == 16 && offsetof(D3DKMT_UNLOCK, phAllocations) == 8, "D3DKMT_UNLOCK");
_Static_assert(sizeof(D3DKMT_ADAPTERINFO) == 20 && offsetof(D3DKMT_ADAPTERINFO, AdapterLuid) == 4, "ADAPTERINFO");
_Static_assert(sizeof(D3DKMT_ENUMADAPTERS2) == 16 && offsetof(D3DKMT_ENUMADAPTERS2, pAdapters) == 8, "ENUM2");
_Static_assert(sizeof(D3DKMT_OPENADAPTERFROMLUID) == 12, "OPENADAPTERFROMLUID");
_Static_assert(sizeof(D3DKMT_CLOSEADAPTER) == 4, "CLOSEADAPTER");
_Static_assert(sizeof(D3DKMT_CREATEDEVICE) == 64 && offsetof(D3DKMT_CREATEDEVICE, hDevice) == 12, "CREATEDEVICE");
_Static_assert(sizeof(D3DKMT_DESTROYDEVICE) == 4, "DESTROYDEVICE");
_Static_assert(sizeof(D3DKMT_CREATEALLOCATION) == 72 && offsetof(D3DKMT_CREATEALLOCATION, NumAllocations) == 44 &&
                   offsetof(D3DKMT_CREATEALLOCATION, pAllocationInfo2) == 48,
               "CREATEALLOCATION");
_Static_assert(sizeof(D3DDDI_ALLOCATIONINFO) == 40, "ALLOCATIONINFO");
_Static_assert(sizeof(D3DDDI_ALLOCATIONINFO2) == 96, "ALLOCATIONINFO2");
_Static_assert(sizeof(D3DKMT_DESTROYALLOCATION2) == 24 && offsetof(D3DKMT_DESTROYALLOCATION2, AllocationCount) == 16,
               "DESTROYALLOCATION2");
_Static_assert(sizeof(D3DKMT_GETDEVICESTATE) == 56 && offsetof(D3DKMT_GETDEVICESTATE, ExecutionState) == 8,
               "GETDEVICESTATE");
_Static_assert(sizeof(SIMKMT_CONFIG) == 40 && sizeof(SIMKMT_SUBMIT) == 24 && sizeof(SIMKMT_ALLOCATION_INFO) == 24 &&
                   sizeof(SIMKMT_FAULT) == 24 && sizeof(SIMKMT_ALLOCATION_DESC) == 16,
               "SIMKMT structs");

/* ======================================================================== */
/* Test framework                                                            */
/* ======================================================================== */

static atomic_int g_passed;
static atomic_int g_failed;
static const char *g_test = "(none)";

static const char *status_name(NTSTATUS s) {
    switch ((uint32_t)s) {
    case 0x00000000u: return "STATUS_SUCCESS";
    case 0xC0000008u: return "STATUS_INVALID_HANDLE";
    case 0xC000000Du: return "STATUS_INVALID_PARAMETER";
    case 0xC0000017u: return "STATUS_NO_MEMORY";
    case 0xC0000023u: return "STATUS_BUFFER_TOO_SMALL";
    case 0xC00000BBu: return "STATUS_NOT_SUPPORTED";
    case 0xC00000E5u: return "STATUS_INTERNAL_ERROR";
    case 0xC00002B6u: return "STATUS_DEVICE_REMOVED";
    case 0xC01E0100u: return "STATUS_GRAPHICS_NO_VIDEO_MEMORY";
    case 0xC01E0102u: return "STATUS_GRAPHICS_ALLOCATION_BUSY";
    case 0xC01E0103u: return "STATUS_GRAPHICS_TOO_MANY_REFERENCES";
    case 0xE0010001u: return "FAULT_STATUS_B (test code)";
    default: return "?";
    }
}

static void check_status(NTSTATUS got, NTSTATUS want, const char *expr, const char *file, int line) {
    if (got == want) {
        atomic_fetch_add(&g_passed, 1);
        return;
    }
    atomic_fetch_add(&g_failed, 1);
    printf("  FAIL [%s] %s:%d: %s\n        expected 0x%08X %s, got 0x%08X %s\n", g_test, file, line, expr,
           (unsigned)want, status_name(want), (unsigned)got, status_name(got));
}

static void check_u64(uint64_t got, uint64_t want, const char *expr, const char *file, int line) {
    if (got == want) {
        atomic_fetch_add(&g_passed, 1);
        return;
    }
    atomic_fetch_add(&g_failed, 1);
    printf("  FAIL [%s] %s:%d: %s\n        expected 0x%llX (%llu), got 0x%llX (%llu)\n", g_test, file, line, expr,
           (unsigned long long)want, (unsigned long long)want, (unsigned long long)got, (unsigned long long)got);
}

static void check_true(int ok, const char *expr, const char *file, int line) {
    if (ok) {
        atomic_fetch_add(&g_passed, 1);
        return;
    }
    atomic_fetch_add(&g_failed, 1);
    printf("  FAIL [%s] %s:%d: %s is false\n", g_test, file, line, expr);
}

/* Expected vs actual NTSTATUS. */
#define CHECK_ST(expr, want) check_status((expr), (want), #expr, __FILE__, __LINE__)
#define CHECK_OK(expr) CHECK_ST(expr, STATUS_SUCCESS)
#define CHECK_INV(expr) CHECK_ST(expr, STATUS_INVALID_PARAMETER)
#define CHECK_REMOVED(expr) CHECK_ST(expr, STATUS_DEVICE_REMOVED)
/* Integers (printed in hex and decimal). */
#define CHECK_EQ(got, want) check_u64((uint64_t)(got), (uint64_t)(want), #got " == " #want, __FILE__, __LINE__)
#define CHECK_PTR(got, want) \
    check_u64((uint64_t)(uintptr_t)(got), (uint64_t)(uintptr_t)(want), #got " == " #want, __FILE__, __LINE__)
#define CHECK(cond) check_true(!!(cond), #cond, __FILE__, __LINE__)

/* Sentinels pre-filled into output fields of calls expected to fail. */
#define SENT_H ((D3DKMT_HANDLE)0xA5A5A5A5u)
#define SENT_U32 0xA5A5A5A5u
#define SENT_U64 0xA5A5A5A5A5A5A5A5ull
#define SENT_PTR ((void *)(uintptr_t)0x5EB7100D5EB7100Dull)
#define SENT_BYTE 0xA5

#define INV STATUS_INVALID_PARAMETER
#define REMOVED STATUS_DEVICE_REMOVED
#define BUSY STATUS_GRAPHICS_ALLOCATION_BUSY
#define TOO_MANY STATUS_GRAPHICS_TOO_MANY_REFERENCES
#define NO_VIDMEM STATUS_GRAPHICS_NO_VIDEO_MEMORY

/* Statuses returned by RETURN_STATUS faults. */
#define FAULT_A STATUS_NO_MEMORY
#define FAULT_B ((NTSTATUS)0xE0010001L)

#define PAGE 4096u
#define KiB(n) ((UINT64)(n) << 10)
#define MiB(n) ((UINT64)(n) << 20)
#define GiB(n) ((UINT64)(n) << 30)
#define TiB(n) ((UINT64)(n) << 40)

/* Lock flag bits (D3DDDICB_LOCKFLAGS.Value). */
#define LF_READONLY 0x001u
#define LF_WRITEONLY 0x002u
#define LF_DONOTWAIT 0x004u
#define LF_IGNORESYNC 0x008u
#define LF_LOCKENTIRE 0x010u
#define LF_DONOTEVICT 0x020u
#define LF_DISCARD 0x080u
#define LF_IGNOREREADSYNC 0x400u

/* ======================================================================== */
/* Small utilities                                                           */
/* ======================================================================== */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* C11's aligned_alloc, and the free that matches it: the Windows C runtimes
 * (msvcrt under MinGW, the UCRT) have no aligned_alloc, and memory from their
 * _aligned_malloc must be released with _aligned_free. */
#if defined(_WIN32)
#include <malloc.h>
#define page_alloc(align, size) _aligned_malloc((size), (align))
#define page_free(p) _aligned_free(p)
#else
#define page_alloc(align, size) aligned_alloc((align), (size))
#define page_free(p) free(p)
#endif

/* Number of bytes in [p, p+n) that differ from v. */
static size_t count_not(const volatile unsigned char *p, size_t n, unsigned char v) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += p[i] != v;
    return bad;
}

static int all_bytes(const void *p, size_t n, unsigned char v) {
    return count_not((const volatile unsigned char *)p, n, v) == 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* 1 if all n handles are non-zero and pairwise distinct (sorts a copy). */
static int handles_distinct(const D3DKMT_HANDLE *h, size_t n) {
    D3DKMT_HANDLE *c = malloc(n * sizeof *c);
    if (!c) return 0;
    memcpy(c, h, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_u32);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (c[i] == 0 || (i && c[i] == c[i - 1])) ok = 0;
    }
    free(c);
    return ok;
}

/* ======================================================================== */
/* Entry-point helpers                                                       */
/* ======================================================================== */

static SIMKMT_CONFIG cfg(void) {
    SIMKMT_CONFIG c;
    memset(&c, 0, sizeof c);
    c.Size = sizeof c;
    return c;
}

static void reset_to(const SIMKMT_CONFIG *c) {
    NTSTATUS st = SimKmtReset(c);
    CHECK_OK(st);
}

static void reset_default(void) {
    reset_to(NULL);
}

/* Enumerates into info[cap]; returns the status; *count = NumAdapters. */
static NTSTATUS enum_adapters(D3DKMT_ADAPTERINFO *info, ULONG cap, ULONG *count) {
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    e.NumAdapters = cap;
    e.pAdapters = info;
    NTSTATUS st = D3DKMTEnumAdapters2(&e);
    if (count) *count = e.NumAdapters;
    return st;
}

static NTSTATUS close_adapter(D3DKMT_HANDLE h) {
    D3DKMT_CLOSEADAPTER c = {h};
    return D3DKMTCloseAdapter(&c);
}

/* The number of enumerable adapters (count-only query). */
static ULONG adapter_count(void) {
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    NTSTATUS st = D3DKMTEnumAdapters2(&e);
    CHECK_OK(st);
    return e.NumAdapters;
}

/* Enumerates all adapters, returns their LUIDs (closing the handles). */
static ULONG adapter_luids(LUID *out, ULONG cap) {
    D3DKMT_ADAPTERINFO info[16];
    ULONG n = 0;
    NTSTATUS st = enum_adapters(info, 16, &n);
    CHECK_OK(st);
    if (st != STATUS_SUCCESS) return 0;
    for (ULONG i = 0; i < n && i < 16; i++) {
        if (i < cap) out[i] = info[i].AdapterLuid;
        CHECK_OK(close_adapter(info[i].hAdapter));
    }
    return n;
}

static int luid_eq(LUID a, LUID b) {
    return a.LowPart == b.LowPart && a.HighPart == b.HighPart;
}

static NTSTATUS open_luid(LUID l, D3DKMT_HANDLE *out) {
    D3DKMT_OPENADAPTERFROMLUID o;
    memset(&o, 0, sizeof o);
    o.AdapterLuid = l;
    o.hAdapter = SENT_H;
    NTSTATUS st = D3DKMTOpenAdapterFromLuid(&o);
    if (out) *out = o.hAdapter;
    return st;
}

/* Opens the idx-th enumerated adapter by LUID. */
static D3DKMT_HANDLE open_adapter(unsigned idx) {
    LUID l[16];
    ULONG n = adapter_luids(l, 16);
    CHECK(idx < n);
    if (idx >= n) return 0;
    D3DKMT_HANDLE h = 0;
    NTSTATUS st = open_luid(l[idx], &h);
    CHECK_OK(st);
    return h;
}

static NTSTATUS create_device_st(D3DKMT_HANDLE adapter, D3DKMT_HANDLE *out) {
    D3DKMT_CREATEDEVICE cd;
    memset(&cd, 0, sizeof cd);
    cd.hAdapter = adapter;
    cd.hDevice = SENT_H;
    NTSTATUS st = D3DKMTCreateDevice(&cd);
    if (out) *out = cd.hDevice;
    return st;
}

static D3DKMT_HANDLE create_device(D3DKMT_HANDLE adapter) {
    D3DKMT_HANDLE d = 0;
    NTSTATUS st = create_device_st(adapter, &d);
    CHECK_OK(st);
    return d;
}

static NTSTATUS destroy_device(D3DKMT_HANDLE d) {
    D3DKMT_DESTROYDEVICE dd = {d};
    return D3DKMTDestroyDevice(&dd);
}

static void desc_init(SIMKMT_ALLOCATION_DESC *d, UINT64 size, UINT32 flags) {
    memset(d, 0, sizeof *d);
    d->Version = SIMKMT_ALLOCATION_DESC_VERSION;
    d->Flags = flags;
    d->SizeInBytes = size;
}

static void info2_init(D3DDDI_ALLOCATIONINFO2 *i, SIMKMT_ALLOCATION_DESC *d) {
    memset(i, 0, sizeof *i);
    i->hAllocation = SENT_H;
    i->pPrivateDriverData = d;
    i->PrivateDriverDataSize = sizeof *d;
}

static void info1_init(D3DDDI_ALLOCATIONINFO *i, SIMKMT_ALLOCATION_DESC *d) {
    memset(i, 0, sizeof *i);
    i->hAllocation = SENT_H;
    i->pPrivateDriverData = d;
    i->PrivateDriverDataSize = sizeof *d;
}

static NTSTATUS create2(D3DKMT_HANDLE dev, UINT n, D3DDDI_ALLOCATIONINFO2 *infos) {
    D3DKMT_CREATEALLOCATION ca;
    memset(&ca, 0, sizeof ca);
    ca.hDevice = dev;
    ca.NumAllocations = n;
    ca.pAllocationInfo2 = infos;
    return D3DKMTCreateAllocation2(&ca);
}

static NTSTATUS create1(D3DKMT_HANDLE dev, UINT n, D3DDDI_ALLOCATIONINFO *infos) {
    D3DKMT_CREATEALLOCATION ca;
    memset(&ca, 0, sizeof ca);
    ca.hDevice = dev;
    ca.NumAllocations = n;
    ca.pAllocationInfo = infos;
    return D3DKMTCreateAllocation(&ca);
}

/* One allocation through CreateAllocation2; *out = hAllocation as written. */
static NTSTATUS create_alloc_st(D3DKMT_HANDLE dev, UINT64 size, UINT32 flags, D3DKMT_HANDLE *out) {
    SIMKMT_ALLOCATION_DESC d;
    D3DDDI_ALLOCATIONINFO2 i;
    desc_init(&d, size, flags);
    info2_init(&i, &d);
    NTSTATUS st = create2(dev, 1, &i);
    if (out) *out = i.hAllocation;
    return st;
}

static D3DKMT_HANDLE create_alloc_f(D3DKMT_HANDLE dev, UINT64 size, UINT32 flags) {
    D3DKMT_HANDLE h = 0;
    NTSTATUS st = create_alloc_st(dev, size, flags, &h);
    CHECK_OK(st);
    return h;
}

static D3DKMT_HANDLE create_alloc(D3DKMT_HANDLE dev, UINT64 size) {
    return create_alloc_f(dev, size, 0);
}

static NTSTATUS destroy_allocs(D3DKMT_HANDLE dev, UINT n, const D3DKMT_HANDLE *list) {
    D3DKMT_DESTROYALLOCATION2 da;
    memset(&da, 0, sizeof da);
    da.hDevice = dev;
    da.phAllocationList = list;
    da.AllocationCount = n;
    return D3DKMTDestroyAllocation2(&da);
}

static NTSTATUS destroy_alloc(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    return destroy_allocs(dev, 1, &a);
}

/* Lock2 with pData pre-filled with a sentinel; *p receives pData. */
static NTSTATUS lock2_fl(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, UINT flags, void **p) {
    D3DKMT_LOCK2 l;
    memset(&l, 0, sizeof l);
    l.hDevice = dev;
    l.hAllocation = a;
    l.Flags.Value = flags;
    l.pData = SENT_PTR;
    NTSTATUS st = D3DKMTLock2(&l);
    if (p) *p = l.pData;
    return st;
}

static NTSTATUS lock2(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, void **p) {
    return lock2_fl(dev, a, 0, p);
}

static NTSTATUS unlock2(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    D3DKMT_UNLOCK2 u = {dev, a};
    return D3DKMTUnlock2(&u);
}

/* Lock2 expected to fail with `want`; checks pData was not written. */
#define LOCK2_FAILS(dev, a, want) lock2_fails((dev), (a), 0, (want), __FILE__, __LINE__)
#define LOCK2_FAILS_FL(dev, a, fl, want) lock2_fails((dev), (a), (fl), (want), __FILE__, __LINE__)
static void lock2_fails(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, UINT flags, NTSTATUS want, const char *file, int line) {
    void *p = NULL;
    NTSTATUS st = lock2_fl(dev, a, flags, &p);
    check_status(st, want, "D3DKMTLock2(...)", file, line);
    check_u64((uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)SENT_PTR, "failed Lock2 leaves pData untouched", file,
              line);
}

/* Legacy Lock with pData pre-filled with a sentinel. */
static NTSTATUS lock1(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, UINT flags, UINT npages, const UINT *pages, void **p) {
    D3DKMT_LOCK l;
    memset(&l, 0, sizeof l);
    l.hDevice = dev;
    l.hAllocation = a;
    l.NumPages = npages;
    l.pPages = pages;
    l.Flags.Value = flags;
    l.pData = SENT_PTR;
    NTSTATUS st = D3DKMTLock(&l);
    if (p) *p = l.pData;
    return st;
}

#define LOCK1_FAILS(dev, a, fl, n, pages, want) lock1_fails((dev), (a), (fl), (n), (pages), (want), __FILE__, __LINE__)
static void lock1_fails(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, UINT flags, UINT npages, const UINT *pages, NTSTATUS want,
                        const char *file, int line) {
    void *p = NULL;
    NTSTATUS st = lock1(dev, a, flags, npages, pages, &p);
    check_status(st, want, "D3DKMTLock(...)", file, line);
    check_u64((uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)SENT_PTR, "failed Lock leaves pData untouched", file,
              line);
}

static NTSTATUS unlock1(D3DKMT_HANDLE dev, UINT n, const D3DKMT_HANDLE *list) {
    D3DKMT_UNLOCK u;
    memset(&u, 0, sizeof u);
    u.hDevice = dev;
    u.NumAllocations = n;
    u.phAllocations = list;
    return D3DKMTUnlock(&u);
}

static NTSTATUS submit_st(D3DKMT_HANDLE dev, UINT n, const D3DKMT_HANDLE *list, UINT64 *fence) {
    SIMKMT_SUBMIT s;
    memset(&s, 0, sizeof s);
    s.hDevice = dev;
    s.NumAllocations = n;
    s.phAllocations = list;
    s.FenceValue = SENT_U64;
    NTSTATUS st = SimKmtSubmit(&s);
    if (fence) *fence = s.FenceValue;
    return st;
}

/* Submits work referencing one allocation; returns the fence (0 on error). */
static UINT64 submit1(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    UINT64 f = 0;
    NTSTATUS st = submit_st(dev, 1, &a, &f);
    CHECK_OK(st);
    return st == STATUS_SUCCESS ? f : 0;
}

static NTSTATUS query_st(D3DKMT_HANDLE dev, D3DKMT_HANDLE a, SIMKMT_ALLOCATION_INFO *info) {
    memset(info, SENT_BYTE, sizeof *info);
    return SimKmtQueryAllocation(dev, a, info);
}

static SIMKMT_ALLOCATION_INFO query(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    SIMKMT_ALLOCATION_INFO info;
    NTSTATUS st = query_st(dev, a, &info);
    CHECK_OK(st);
    return info;
}

static UINT32 lock_count(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    return query(dev, a).LockCount;
}

static UINT32 busy(D3DKMT_HANDLE dev, D3DKMT_HANDLE a) {
    return query(dev, a).Busy;
}

static NTSTATUS get_state_st(D3DKMT_HANDLE dev, UINT state_type, UINT32 *out) {
    D3DKMT_GETDEVICESTATE g;
    memset(&g, SENT_BYTE, sizeof g);
    g.hDevice = dev;
    g.StateType = (D3DKMT_DEVICESTATE_TYPE)state_type;
    NTSTATUS st = D3DKMTGetDeviceState(&g);
    UINT32 v;
    memcpy(&v, (const unsigned char *)&g + offsetof(D3DKMT_GETDEVICESTATE, ExecutionState), sizeof v);
    if (out) *out = v;
    return st;
}

/* The execution state of a device (checks GetDeviceState succeeds). */
static UINT32 exec_state(D3DKMT_HANDLE dev) {
    UINT32 v = 0;
    NTSTATUS st = get_state_st(dev, D3DKMT_DEVICESTATE_EXECUTION, &v);
    CHECK_OK(st);
    return v;
}

static NTSTATUS inject(UINT32 call, UINT32 nth, UINT32 count, UINT32 action, NTSTATUS status) {
    SIMKMT_FAULT f;
    memset(&f, 0, sizeof f);
    f.Call = call;
    f.Nth = nth;
    f.Count = count;
    f.Action = action;
    f.Status = status;
    return SimKmtInjectFault(&f);
}

#define ACTIVE D3DKMT_DEVICEEXECUTION_ACTIVE
#define RESET D3DKMT_DEVICEEXECUTION_RESET
#define HUNG D3DKMT_DEVICEEXECUTION_HUNG
#define STOPPED D3DKMT_DEVICEEXECUTION_STOPPED

/* A typical starting point: adapter 0, one device, one allocation. */
typedef struct {
    D3DKMT_HANDLE adapter, device, alloc;
} fixture;

static fixture setup(const SIMKMT_CONFIG *c, UINT64 size) {
    fixture f;
    reset_to(c);
    f.adapter = open_adapter(0);
    f.device = create_device(f.adapter);
    f.alloc = create_alloc(f.device, size);
    return f;
}

/* A helper thread that performs one action after a delay. */
enum { ACT_COMPLETE_FENCE, ACT_REMOVE_DEVICE, ACT_RESET_ADAPTER, ACT_REMOVE_ADAPTER };
typedef struct {
    unsigned delay_ms;
    int action;
    D3DKMT_HANDLE handle;
    UINT64 value;
    NTSTATUS result;
    pthread_t thread;
} delayed;

static void *delayed_main(void *arg) {
    delayed *d = arg;
    sleep_ms(d->delay_ms);
    switch (d->action) {
    case ACT_COMPLETE_FENCE: d->result = SimKmtCompleteFence(d->handle, d->value); break;
    case ACT_REMOVE_DEVICE: d->result = SimKmtRemoveDevice(d->handle, (UINT32)d->value); break;
    case ACT_RESET_ADAPTER: d->result = SimKmtResetAdapter(d->handle); break;
    default: d->result = SimKmtRemoveAdapter(d->handle); break;
    }
    return NULL;
}

static void delayed_start(delayed *d, unsigned delay_ms, int action, D3DKMT_HANDLE h, UINT64 value) {
    d->delay_ms = delay_ms;
    d->action = action;
    d->handle = h;
    d->value = value;
    d->result = (NTSTATUS)0xDEADBEEF;
    int rc = pthread_create(&d->thread, NULL, delayed_main, d);
    CHECK(rc == 0);
}

static NTSTATUS delayed_join(delayed *d) {
    pthread_join(d->thread, NULL);
    return d->result;
}

/* ======================================================================== */
/* §3 EnumAdapters2                                                          */
/* ======================================================================== */

/* "A NULL argument pointer returns STATUS_INVALID_PARAMETER." */
static void t_enum_null_argument(void) {
    reset_default();
    CHECK_INV(D3DKMTEnumAdapters2(NULL));
}

/* "pAdapters == NULL: writes the number of adapters to NumAdapters, success." */
static void t_enum_count_only(void) {
    reset_default();
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    e.NumAdapters = 0x5A5A;
    e.pAdapters = NULL;
    CHECK_OK(D3DKMTEnumAdapters2(&e));
    CHECK_EQ(e.NumAdapters, 1);

    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 3;
    reset_to(&c);
    e.NumAdapters = 0;
    e.pAdapters = NULL;
    CHECK_OK(D3DKMTEnumAdapters2(&e));
    CHECK_EQ(e.NumAdapters, 3);
}

/* "Too small: STATUS_BUFFER_TOO_SMALL" + "A failed call ... writes no output field". */
static void t_enum_too_small_writes_nothing(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 3;
    reset_to(&c);
    D3DKMT_ADAPTERINFO info[3];
    memset(info, SENT_BYTE, sizeof info);
    ULONG n = 0;
    CHECK_ST(enum_adapters(info, 2, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 2); /* NumAdapters not written */
    CHECK(all_bytes(info, sizeof info, SENT_BYTE));
    CHECK_ST(enum_adapters(info, 0, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 0);
    CHECK(all_bytes(info, sizeof info, SENT_BYTE));
    /* Default simulator (1 adapter): capacity 0 with an array is too small. */
    reset_default();
    CHECK_ST(enum_adapters(info, 0, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK(all_bytes(info, sizeof info, SENT_BYTE));
}

/* "Otherwise fills NumAdapters entries, each with an opened hAdapter the caller
 * must close." */
static void t_enum_fills_and_handles_must_be_closed(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 3;
    reset_to(&c);
    D3DKMT_ADAPTERINFO a[5], b[3];
    memset(a, 0, sizeof a);
    ULONG n = 0;
    CHECK_OK(enum_adapters(a, 5, &n));
    CHECK_EQ(n, 3);
    CHECK_OK(enum_adapters(b, 3, &n)); /* exact capacity */
    CHECK_EQ(n, 3);
    D3DKMT_HANDLE all[6];
    for (int i = 0; i < 3; i++) {
        all[i] = a[i].hAdapter;
        all[3 + i] = b[i].hAdapter;
        CHECK(luid_eq(a[i].AdapterLuid, b[i].AdapterLuid)); /* same adapters, same order */
    }
    CHECK(handles_distinct(all, 6)); /* every enumeration opens new handles */
    CHECK(!luid_eq(a[0].AdapterLuid, a[1].AdapterLuid));
    CHECK(!luid_eq(a[0].AdapterLuid, a[2].AdapterLuid));
    CHECK(!luid_eq(a[1].AdapterLuid, a[2].AdapterLuid));
    /* The handles are opened adapters: devices can be created on them. */
    for (int i = 0; i < 3; i++) {
        D3DKMT_HANDLE d = create_device(a[i].hAdapter);
        CHECK_EQ(exec_state(d), ACTIVE);
    }
    for (int i = 0; i < 6; i++) CHECK_OK(close_adapter(all[i]));
    for (int i = 0; i < 6; i++) CHECK_INV(close_adapter(all[i]));
}

/* §9 "AdapterCount; 0 → 1; at most 16" */
static void t_enum_adapter_count_config(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 0;
    reset_to(&c);
    CHECK_EQ(adapter_count(), 1);
    c.AdapterCount = 16;
    reset_to(&c);
    CHECK_EQ(adapter_count(), 16);
    LUID l[16];
    CHECK_EQ(adapter_luids(l, 16), 16);
    int distinct = 1;
    for (int i = 0; i < 16; i++)
        for (int j = i + 1; j < 16; j++) distinct &= !luid_eq(l[i], l[j]);
    CHECK(distinct);
}

/* ======================================================================== */
/* §3 OpenAdapterFromLuid / CloseAdapter                                     */
/* ======================================================================== */

static void t_open_adapter_from_luid(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    CHECK_INV(D3DKMTOpenAdapterFromLuid(NULL));
    LUID l[2];
    CHECK_EQ(adapter_luids(l, 2), 2);
    D3DKMT_HANDLE h1 = 0, h2 = 0, h3 = 0;
    CHECK_OK(open_luid(l[0], &h1));
    CHECK_OK(open_luid(l[0], &h2));
    CHECK_OK(open_luid(l[1], &h3));
    D3DKMT_HANDLE hs[3] = {h1, h2, h3};
    CHECK(handles_distinct(hs, 3));
    D3DKMT_HANDLE d = create_device(h3);
    CHECK_EQ(exec_state(d), ACTIVE);
    CHECK_OK(close_adapter(h1));
    CHECK_OK(close_adapter(h2));
    CHECK_OK(close_adapter(h3));
}

/* "unknown or removed LUID: STATUS_INVALID_PARAMETER" (no output written). */
static void t_open_adapter_unknown_luid(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    LUID l[2];
    CHECK_EQ(adapter_luids(l, 2), 2);
    LUID bogus[3] = {{0, 0}, {0xFFFFFFFFu, -1}, {l[0].LowPart ^ l[1].LowPart ^ 0x5A5A5A5Au, 0x7ABCDEF0}};
    for (int i = 0; i < 3; i++) {
        if (luid_eq(bogus[i], l[0]) || luid_eq(bogus[i], l[1])) continue;
        D3DKMT_HANDLE h = 0;
        CHECK_INV(open_luid(bogus[i], &h));
        CHECK_EQ(h, SENT_H);
    }
}

/* "bad handle: STATUS_INVALID_PARAMETER." */
static void t_close_adapter_bad_handles(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTCloseAdapter(NULL));
    CHECK_INV(close_adapter(0));
    CHECK_INV(close_adapter(f.device)); /* wrong kind */
    CHECK_INV(close_adapter(f.alloc));  /* wrong kind */
    CHECK_INV(close_adapter(0xFFFFFFFFu));
    CHECK_OK(close_adapter(f.adapter));
    CHECK_INV(close_adapter(f.adapter)); /* stale */
    /* The device and allocation were not affected by the failed calls. */
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_EQ(query(f.device, f.alloc).PageCount, 1);
}

/* "Devices created from it live on." */
static void t_close_adapter_devices_live_on(void) {
    fixture f = setup(NULL, PAGE);
    void *p = NULL;
    CHECK_OK(close_adapter(f.adapter));
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK(p != NULL && p != SENT_PTR);
    CHECK_OK(unlock2(f.device, f.alloc));
    D3DKMT_HANDLE x = create_alloc(f.device, 3 * PAGE);
    CHECK_EQ(query(f.device, x).PageCount, 3);
    /* The closed adapter handle cannot create devices ... */
    D3DKMT_HANDLE d2 = 0;
    CHECK_INV(create_device_st(f.adapter, &d2));
    CHECK_EQ(d2, SENT_H);
    /* ... but the adapter itself lives on: a reset through a new handle
     * removes the device created from the closed one. */
    D3DKMT_HANDLE a2 = open_adapter(0);
    CHECK_OK(SimKmtResetAdapter(a2));
    CHECK_EQ(exec_state(f.device), RESET);
    CHECK_OK(destroy_device(f.device));
}

/* ======================================================================== */
/* §3 CreateDevice / DestroyDevice / GetDeviceState                          */
/* ======================================================================== */

/* "Command buffer, allocation list and patch list outputs are NULL/0." */
static void t_create_device_outputs(void) {
    reset_default();
    D3DKMT_HANDLE a = open_adapter(0);
    D3DKMT_CREATEDEVICE cd;
    memset(&cd, SENT_BYTE, sizeof cd);
    memset(&cd.Flags, 0, sizeof cd.Flags);
    cd.pAdapter = NULL;
    cd.hAdapter = a;
    CHECK_OK(D3DKMTCreateDevice(&cd));
    CHECK(cd.hDevice != 0 && cd.hDevice != SENT_H);
    CHECK_PTR(cd.pCommandBuffer, NULL);
    CHECK_EQ(cd.CommandBufferSize, 0);
    CHECK_PTR(cd.pAllocationList, NULL);
    CHECK_EQ(cd.AllocationListSize, 0);
    CHECK_PTR(cd.pPatchLocationList, NULL);
    CHECK_EQ(cd.PatchLocationListSize, 0);
    CHECK_EQ(exec_state(cd.hDevice), ACTIVE);
    D3DKMT_HANDLE d2 = create_device(a);
    D3DKMT_HANDLE hs[3] = {a, cd.hDevice, d2};
    CHECK(handles_distinct(hs, 3));
}

/* "bad adapter: STATUS_INVALID_PARAMETER"; failed calls write no output. */
static void t_create_device_bad_adapter(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTCreateDevice(NULL));
    D3DKMT_HANDLE bad[4] = {0, f.device, f.alloc, 0xFFFFFFF0u};
    for (int i = 0; i < 4; i++) {
        D3DKMT_CREATEDEVICE cd;
        memset(&cd, SENT_BYTE, sizeof cd);
        memset(&cd.Flags, 0, sizeof cd.Flags);
        cd.pAdapter = NULL;
        cd.hAdapter = bad[i];
        CHECK_INV(D3DKMTCreateDevice(&cd));
        CHECK_EQ(cd.hDevice, SENT_H);
        CHECK_PTR(cd.pCommandBuffer, (void *)(uintptr_t)SENT_U64);
        CHECK_EQ(cd.CommandBufferSize, SENT_U32);
    }
    D3DKMT_HANDLE extra = open_adapter(0);
    CHECK_OK(close_adapter(extra));
    D3DKMT_HANDLE d = 0;
    CHECK_INV(create_device_st(extra, &d)); /* closed adapter handle */
    CHECK_EQ(d, SENT_H);
}

static void t_destroy_device_bad_handles(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTDestroyDevice(NULL));
    CHECK_INV(destroy_device(0));
    CHECK_INV(destroy_device(f.alloc));
    CHECK_INV(destroy_device(f.adapter));
    CHECK_EQ(query(f.device, f.alloc).PageCount, 1); /* nothing destroyed */
    CHECK_OK(destroy_device(f.device));
    CHECK_INV(destroy_device(f.device)); /* stale */
    CHECK_INV(lock2(f.device, f.alloc, NULL));
    SIMKMT_ALLOCATION_INFO info;
    CHECK_INV(query_st(f.device, f.alloc, &info));
}

/* "destroys every allocation of the device (locked or not)" */
static void t_destroy_device_destroys_allocations(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 6 * PAGE;
    fixture f = setup(&c, 2 * PAGE);
    D3DKMT_HANDLE locked = create_alloc(f.device, 2 * PAGE);
    D3DKMT_HANDLE busy_a = create_alloc(f.device, 2 * PAGE);
    CHECK_OK(lock2(f.device, locked, NULL));
    CHECK_OK(lock2(f.device, locked, NULL));
    CHECK_OK(lock1(f.device, locked, 0, 0, NULL, NULL));
    UINT64 fence = submit1(f.device, busy_a);
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(f.device, PAGE, 0, &x), NO_VIDMEM); /* budget full */
    CHECK_OK(destroy_device(f.device));
    SIMKMT_ALLOCATION_INFO info;
    CHECK_INV(query_st(f.device, locked, &info));
    CHECK_INV(SimKmtCompleteFence(f.device, fence));
    /* The whole budget is available again. */
    D3DKMT_HANDLE d2 = create_device(f.adapter);
    CHECK_OK(create_alloc_st(d2, 6 * PAGE, 0, &x));
    /* The old allocation handles do not name anything on the new device. */
    CHECK_INV(lock2(d2, locked, NULL));
    CHECK_INV(lock2(d2, busy_a, NULL));
}

/* "StateType must be D3DKMT_DEVICESTATE_EXECUTION (1), else
 * STATUS_INVALID_PARAMETER. Reports ACTIVE (1) for a live device" */
static void t_get_device_state(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTGetDeviceState(NULL));
    UINT32 v = 0;
    CHECK_OK(get_state_st(f.device, D3DKMT_DEVICESTATE_EXECUTION, &v));
    CHECK_EQ(v, ACTIVE);
    UINT types[5] = {0, D3DKMT_DEVICESTATE_PRESENT, D3DKMT_DEVICESTATE_RESET, D3DKMT_DEVICESTATE_PAGE_FAULT, 99};
    for (int i = 0; i < 5; i++) {
        v = 0;
        CHECK_INV(get_state_st(f.device, types[i], &v));
        CHECK_EQ(v, SENT_U32);
    }
    D3DKMT_HANDLE bad[3] = {0, f.alloc, f.adapter};
    for (int i = 0; i < 3; i++) {
        v = 0;
        CHECK_INV(get_state_st(bad[i], D3DKMT_DEVICESTATE_EXECUTION, &v));
        CHECK_EQ(v, SENT_U32);
    }
}

/* ======================================================================== */
/* §3 DestroyAllocation2                                                     */
/* ======================================================================== */

static void t_destroy_allocation2_basic(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE), c2 = create_alloc(f.device, PAGE);
    CHECK_INV(D3DKMTDestroyAllocation2(NULL));
    /* "AllocationCount == 0 (and hResource == 0): success, nothing happens." */
    CHECK_OK(destroy_allocs(f.device, 0, NULL));
    CHECK_OK(destroy_allocs(f.device, 0, &b));
    CHECK_EQ(query(f.device, b).PageCount, 1);
    D3DKMT_HANDLE two[2] = {f.alloc, b};
    CHECK_OK(destroy_allocs(f.device, 2, two));
    SIMKMT_ALLOCATION_INFO info;
    CHECK_INV(query_st(f.device, f.alloc, &info));
    CHECK_INV(query_st(f.device, b, &info));
    CHECK_EQ(query(f.device, c2).PageCount, 1);
    CHECK_INV(destroy_alloc(f.device, b)); /* stale */
    CHECK_OK(destroy_alloc(f.device, c2));
}

/* "AllocationCount > 0 with a NULL list, a bad handle, or a handle listed
 * twice: STATUS_INVALID_PARAMETER and nothing is destroyed." */
static void t_destroy_allocation2_errors_destroy_nothing(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE d2 = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(d2, PAGE);
    D3DKMT_HANDLE gone = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, gone));

    CHECK_INV(destroy_allocs(f.device, 1, NULL));
    CHECK_INV(destroy_allocs(f.device, 2, NULL));
    D3DKMT_HANDLE l1[3] = {f.alloc, b, 0};
    CHECK_INV(destroy_allocs(f.device, 3, l1));
    D3DKMT_HANDLE l2[2] = {f.alloc, gone};
    CHECK_INV(destroy_allocs(f.device, 2, l2));
    D3DKMT_HANDLE l3[3] = {f.alloc, b, f.alloc};
    CHECK_INV(destroy_allocs(f.device, 3, l3));
    D3DKMT_HANDLE l4[2] = {f.alloc, foreign}; /* allocation of another device */
    CHECK_INV(destroy_allocs(f.device, 2, l4));
    D3DKMT_HANDLE l5[2] = {b, f.device}; /* wrong kind */
    CHECK_INV(destroy_allocs(f.device, 2, l5));
    D3DKMT_HANDLE l6[1] = {f.alloc};
    CHECK_INV(destroy_allocs(0, 1, l6));  /* bad device */
    CHECK_INV(destroy_allocs(d2, 1, l6)); /* right handle, wrong device */

    CHECK_EQ(query(f.device, f.alloc).PageCount, 1);
    CHECK_EQ(query(f.device, b).PageCount, 1);
    CHECK_EQ(query(d2, foreign).PageCount, 1);
    CHECK_OK(destroy_allocs(f.device, 2, l1));
}

/* "a locked or busy allocation is unlocked and destroyed at once" */
static void t_destroy_allocation2_locked_or_busy(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 2 * PAGE;
    fixture f = setup(&c, PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    UINT64 fence = submit1(f.device, b);
    CHECK_EQ(busy(f.device, b), 1);
    D3DKMT_HANDLE both[2] = {f.alloc, b};
    CHECK_OK(destroy_allocs(f.device, 2, both));
    SIMKMT_ALLOCATION_INFO info;
    CHECK_INV(query_st(f.device, f.alloc, &info));
    CHECK_INV(query_st(f.device, b, &info));
    CHECK_INV(unlock2(f.device, f.alloc));
    /* Destroyed "at once": the budget is free even before the fence completes. */
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(f.device, 2 * PAGE, 0, &x));
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
}

/* ======================================================================== */
/* §3 Handles                                                                */
/* ======================================================================== */

/* Handles have Windows' local-handle shape, 0x40000000 | (n << 6), with one
 * sequence of n for every kind: a new simulator's handles are 0x40000040,
 * 0x40000080, 0x400000C0, ... in creation order, whatever their kinds; a
 * value without the shape is a bad handle. */
static void t_handles_windows_shaped_sequence(void) {
    reset_to(NULL);
    D3DKMT_ADAPTERINFO info[1];
    ULONG n = 0;
    CHECK_OK(enum_adapters(info, 1, &n));
    CHECK_EQ(n, 1u);
    CHECK_EQ(info[0].hAdapter, 0x40000040u);
    D3DKMT_HANDLE device = create_device(info[0].hAdapter);
    CHECK_EQ(device, 0x40000080u);
    D3DKMT_HANDLE alloc = create_alloc(device, PAGE);
    CHECK_EQ(alloc, 0x400000C0u);
    D3DKMT_HANDLE second = create_alloc(device, PAGE);
    CHECK_EQ(second, 0x40000100u);
    CHECK_OK(close_adapter(info[0].hAdapter));
    CHECK_EQ(open_adapter(0), 0x40000180u); /* adapter_luids opened and closed 0x40000140 */
    D3DKMT_HANDLE shapeless[5] = {0x40000000u, alloc | 1u, alloc | 2u, alloc | 0x80000000u, alloc & ~0x40000000u};
    for (int i = 0; i < 5; i++) {
        LOCK2_FAILS(device, shapeless[i], INV);
        LOCK2_FAILS(shapeless[i], alloc, INV);
    }
    /* a reset repeats the sequence */
    reset_to(NULL);
    CHECK_OK(enum_adapters(info, 1, &n));
    CHECK_EQ(info[0].hAdapter, 0x40000040u);
}

/* Handles of the wrong kind are bad handles. */
static void t_handles_wrong_kind(void) {
    fixture f = setup(NULL, PAGE);
    SIMKMT_ALLOCATION_INFO info;
    UINT64 fence = 0;
    /* adapter or allocation passed as a device */
    LOCK2_FAILS(f.adapter, f.alloc, INV);
    LOCK2_FAILS(f.alloc, f.alloc, INV);
    CHECK_INV(unlock2(f.adapter, f.alloc));
    LOCK1_FAILS(f.alloc, f.alloc, 0, 0, NULL, INV);
    CHECK_INV(query_st(f.adapter, f.alloc, &info));
    CHECK_INV(submit_st(f.alloc, 1, &f.alloc, &fence));
    CHECK_EQ(fence, SENT_U64);
    CHECK_INV(SimKmtCompleteFence(f.adapter, 1));
    CHECK_INV(SimKmtCompleteFence(f.alloc, 1));
    CHECK_INV(SimKmtRemoveDevice(f.adapter, 0));
    CHECK_INV(SimKmtRemoveDevice(f.alloc, 0));
    D3DKMT_HANDLE x = 0;
    CHECK_INV(create_alloc_st(f.adapter, PAGE, 0, &x));
    CHECK_EQ(x, SENT_H);
    CHECK_INV(create_alloc_st(f.alloc, PAGE, 0, &x));
    CHECK_EQ(x, SENT_H);
    /* device or adapter passed as an allocation */
    LOCK2_FAILS(f.device, f.device, INV);
    LOCK2_FAILS(f.device, f.adapter, INV);
    LOCK1_FAILS(f.device, f.device, 0, 0, NULL, INV);
    CHECK_INV(query_st(f.device, f.device, &info));
    CHECK_INV(query_st(f.device, f.adapter, &info));
    CHECK_INV(submit_st(f.device, 1, &f.device, &fence));
    CHECK_INV(destroy_alloc(f.device, f.device));
    CHECK_INV(destroy_alloc(f.device, f.adapter));
    /* device or allocation passed as an adapter */
    CHECK_INV(SimKmtResetAdapter(f.device));
    CHECK_INV(SimKmtResetAdapter(f.alloc));
    CHECK_INV(SimKmtRemoveAdapter(f.device));
    CHECK_INV(SimKmtRemoveAdapter(f.alloc));
    CHECK_INV(SimKmtResetAdapter(0));
    CHECK_INV(SimKmtRemoveAdapter(0));
    /* nothing happened to the real objects */
    CHECK_EQ(exec_state(f.device), ACTIVE);
    info = query(f.device, f.alloc);
    CHECK_EQ(info.LockCount, 0);
    CHECK_EQ(info.Busy, 0);
}

/* "A handle from another device (an allocation of device A passed with
 * device B) is STATUS_INVALID_PARAMETER." */
static void t_handles_foreign_device(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE b = create_device(f.adapter);
    D3DKMT_HANDLE xb = create_alloc(b, PAGE);
    SIMKMT_ALLOCATION_INFO info;
    UINT64 fence = 0;
    CHECK_OK(lock2(b, xb, NULL)); /* give it a reference to steal */
    LOCK2_FAILS(f.device, xb, INV);
    CHECK_INV(unlock2(f.device, xb));
    LOCK1_FAILS(f.device, xb, 0, 0, NULL, INV);
    CHECK_INV(unlock1(f.device, 1, &xb));
    CHECK_INV(query_st(f.device, xb, &info));
    CHECK(all_bytes(&info, sizeof info, SENT_BYTE));
    CHECK_INV(submit_st(f.device, 1, &xb, &fence));
    CHECK_EQ(fence, SENT_U64);
    CHECK_INV(destroy_alloc(f.device, xb));
    info = query(b, xb);
    CHECK_EQ(info.LockCount, 1);
    CHECK_EQ(info.Busy, 0);
    /* The other direction, on another adapter. */
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    D3DKMT_HANDLE d0 = create_device(open_adapter(0)), d1 = create_device(open_adapter(1));
    D3DKMT_HANDLE x0 = create_alloc(d0, PAGE);
    LOCK2_FAILS(d1, x0, INV);
    CHECK_EQ(lock_count(d0, x0), 0);
}

/* "at any moment no two live objects of one simulator (of any kind) share a
 * value. A destroyed object's handle is not handed out again for at least the
 * next 4096 objects created; using it returns STATUS_INVALID_PARAMETER, never
 * another object." */
static void t_handles_unique_and_not_reissued(void) {
    enum { BATCH = 256, TOTAL = 4096 };
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    fixture f = setup(&c, PAGE);
    D3DKMT_HANDLE a1 = open_adapter(1);
    D3DKMT_HANDLE dead_dev = create_device(a1);
    D3DKMT_HANDLE dead_alloc = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE dead_dev_alloc = create_alloc(dead_dev, PAGE);
    D3DKMT_HANDLE dead_adapter = open_adapter(0);
    CHECK_OK(destroy_alloc(f.device, dead_alloc));
    CHECK_OK(destroy_device(dead_dev));
    CHECK_OK(close_adapter(dead_adapter));

    D3DKMT_HANDLE *live = calloc(TOTAL + 16, sizeof *live);
    SIMKMT_ALLOCATION_DESC *descs = calloc(BATCH, sizeof *descs);
    D3DDDI_ALLOCATIONINFO2 *infos = calloc(BATCH, sizeof *infos);
    CHECK(live && descs && infos);
    if (!live || !descs || !infos) goto out;
    size_t n = 0;
    live[n++] = f.adapter;
    live[n++] = f.device;
    live[n++] = f.alloc;
    live[n++] = a1;
    /* 4096 new objects: devices and allocations. */
    for (int i = 0; i < 8; i++) live[n++] = create_device(a1);
    size_t created = 8;
    int batch_ok = 1;
    while (created < TOTAL) {
        UINT m = (UINT)(TOTAL - created < BATCH ? TOTAL - created : BATCH);
        for (UINT i = 0; i < m; i++) {
            desc_init(&descs[i], PAGE, 0);
            info2_init(&infos[i], &descs[i]);
        }
        NTSTATUS st = create2(f.device, m, infos);
        if (st != STATUS_SUCCESS) {
            batch_ok = 0;
            CHECK_OK(st);
            break;
        }
        for (UINT i = 0; i < m; i++) live[n++] = infos[i].hAllocation;
        created += m;
    }
    CHECK(batch_ok);
    CHECK(handles_distinct(live, n));
    int reissued = 0;
    for (size_t i = 0; i < n; i++)
        reissued += live[i] == dead_alloc || live[i] == dead_dev || live[i] == dead_dev_alloc ||
                    live[i] == dead_adapter;
    CHECK_EQ(reissued, 0);
    /* The stale handles still name nothing. */
    LOCK2_FAILS(f.device, dead_alloc, INV);
    CHECK_INV(destroy_alloc(f.device, dead_alloc));
    CHECK_INV(destroy_device(dead_dev));
    UINT32 v = 0;
    CHECK_INV(get_state_st(dead_dev, D3DKMT_DEVICESTATE_EXECUTION, &v));
    CHECK_INV(close_adapter(dead_adapter));
    D3DKMT_HANDLE d = 0;
    CHECK_INV(create_device_st(dead_adapter, &d));
out:
    free(live);
    free(descs);
    free(infos);
}
/* ======================================================================== */
/* §4 Allocations                                                            */
/* ======================================================================== */

/* Success: each hAllocation written; sizes rounded up to whole pages. */
static void t_create_allocation2_basics(void) {
    reset_default();
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    SIMKMT_ALLOCATION_DESC d[4];
    D3DDDI_ALLOCATIONINFO2 i[4];
    UINT64 sizes[4] = {1, PAGE, PAGE + 1, 10 * PAGE - 1};
    UINT32 flags[4] = {0, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE, 0, 0};
    UINT64 want_size[4] = {PAGE, PAGE, 2 * PAGE, 10 * PAGE};
    for (int k = 0; k < 4; k++) {
        desc_init(&d[k], sizes[k], flags[k]);
        info2_init(&i[k], &d[k]);
    }
    CHECK_OK(create2(dev, 4, i));
    D3DKMT_HANDLE hs[5] = {i[0].hAllocation, i[1].hAllocation, i[2].hAllocation, i[3].hAllocation, dev};
    CHECK(handles_distinct(hs, 5));
    for (int k = 0; k < 4; k++) {
        CHECK(i[k].hAllocation != SENT_H);
        SIMKMT_ALLOCATION_INFO q = query(dev, i[k].hAllocation);
        CHECK_EQ(q.SizeInBytes, want_size[k]);
        CHECK_EQ(q.PageCount, want_size[k] / PAGE);
        CHECK_EQ(q.LockCount, 0);
        CHECK_EQ(q.Busy, 0);
        CHECK_EQ(q.Flags, flags[k]);
    }
    /* A private-data buffer longer than the desc is fine ("too short" is the
     * only size error). */
    struct {
        SIMKMT_ALLOCATION_DESC desc;
        UINT64 tail[2];
    } longer;
    memset(&longer, 0, sizeof longer);
    desc_init(&longer.desc, PAGE, 0);
    D3DDDI_ALLOCATIONINFO2 li;
    info2_init(&li, &longer.desc);
    li.PrivateDriverDataSize = sizeof longer;
    CHECK_OK(create2(dev, 1, &li));
    CHECK(li.hAllocation != SENT_H && li.hAllocation != 0);
}

/* "hDevice bad: STATUS_INVALID_PARAMETER; NumAllocations == 0 or
 * pAllocationInfo2 == NULL: STATUS_INVALID_PARAMETER" */
static void t_create_allocation2_bad_device_and_arrays(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTCreateAllocation2(NULL));
    D3DKMT_HANDLE x = 0;
    D3DKMT_HANDLE bad[3] = {0, f.alloc, f.adapter};
    for (int k = 0; k < 3; k++) {
        CHECK_INV(create_alloc_st(bad[k], PAGE, 0, &x));
        CHECK_EQ(x, SENT_H);
    }
    D3DKMT_HANDLE gone = create_device(f.adapter);
    CHECK_OK(destroy_device(gone));
    CHECK_INV(create_alloc_st(gone, PAGE, 0, &x));
    CHECK_EQ(x, SENT_H);

    SIMKMT_ALLOCATION_DESC d;
    D3DDDI_ALLOCATIONINFO2 i;
    desc_init(&d, PAGE, 0);
    info2_init(&i, &d);
    CHECK_INV(create2(f.device, 0, &i));
    CHECK_EQ(i.hAllocation, SENT_H);
    CHECK_INV(create2(f.device, 1, NULL));
    CHECK_INV(create2(f.device, 0, NULL));
}

/* "a desc that is NULL, too short, of another version, with unknown flags or
 * size 0: STATUS_INVALID_PARAMETER" */
static void t_create_allocation2_bad_descs(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = PAGE;
    fixture f = setup(&c, PAGE); /* budget: exactly one page */
    CHECK_OK(destroy_alloc(f.device, f.alloc)); /* the page is free again */
    SIMKMT_ALLOCATION_DESC d;
    D3DDDI_ALLOCATIONINFO2 i;
    /* NULL desc */
    desc_init(&d, PAGE, 0);
    info2_init(&i, &d);
    i.pPrivateDriverData = NULL;
    CHECK_INV(create2(f.device, 1, &i));
    CHECK_EQ(i.hAllocation, SENT_H);
    /* too short */
    UINT shorts[3] = {0, 8, 15};
    for (int k = 0; k < 3; k++) {
        info2_init(&i, &d);
        i.PrivateDriverDataSize = shorts[k];
        CHECK_INV(create2(f.device, 1, &i));
        CHECK_EQ(i.hAllocation, SENT_H);
    }
    /* other versions */
    UINT32 versions[3] = {0, 2, 0xFFFFFFFFu};
    for (int k = 0; k < 3; k++) {
        desc_init(&d, PAGE, 0);
        d.Version = versions[k];
        info2_init(&i, &d);
        CHECK_INV(create2(f.device, 1, &i));
        CHECK_EQ(i.hAllocation, SENT_H);
    }
    /* unknown flags */
    UINT32 flags[3] = {0x2, 0x3, 0x80000000u};
    for (int k = 0; k < 3; k++) {
        desc_init(&d, PAGE, flags[k]);
        info2_init(&i, &d);
        CHECK_INV(create2(f.device, 1, &i));
        CHECK_EQ(i.hAllocation, SENT_H);
    }
    /* size 0 */
    desc_init(&d, 0, 0);
    info2_init(&i, &d);
    CHECK_INV(create2(f.device, 1, &i));
    CHECK_EQ(i.hAllocation, SENT_H);
    /* none of the failures consumed budget */
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(f.device, PAGE, 0, &x));
}

/* "On success each hAllocation is written; on any failure none is created." */
static void t_create_allocation2_all_or_nothing(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 3 * PAGE;
    reset_to(&c);
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    SIMKMT_ALLOCATION_DESC d[3];
    D3DDDI_ALLOCATIONINFO2 i[3];
    for (int bad = 0; bad < 3; bad++) {
        for (int k = 0; k < 3; k++) {
            desc_init(&d[k], PAGE, 0);
            info2_init(&i[k], &d[k]);
        }
        d[bad].Version = 7;
        CHECK_INV(create2(dev, 3, i));
        for (int k = 0; k < 3; k++) CHECK_EQ(i[k].hAllocation, SENT_H);
    }
    /* The last one overflows the budget: NO_VIDEO_MEMORY, none created. */
    for (int k = 0; k < 3; k++) {
        desc_init(&d[k], k == 2 ? 2 * PAGE : PAGE, 0);
        info2_init(&i[k], &d[k]);
    }
    CHECK_ST(create2(dev, 3, i), NO_VIDMEM);
    for (int k = 0; k < 3; k++) CHECK_EQ(i[k].hAllocation, SENT_H);
    /* The budget is intact: exactly three pages fit. */
    for (int k = 0; k < 3; k++) {
        desc_init(&d[k], PAGE, 0);
        info2_init(&i[k], &d[k]);
    }
    CHECK_OK(create2(dev, 3, i));
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(dev, 1, 0, &x), NO_VIDMEM);
    CHECK_EQ(x, SENT_H);
}

/* "Memory is committed lazily: creating a 1 TiB allocation must not touch 1 TiB." */
static void t_create_allocation_lazy_commit_1tib(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = TiB(2);
    reset_to(&c);
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(dev, TiB(1), 0, &x));
    if (x == SENT_H) return;
    SIMKMT_ALLOCATION_INFO q = query(dev, x);
    CHECK_EQ(q.SizeInBytes, TiB(1));
    CHECK_EQ(q.PageCount, TiB(1) / PAGE);
    void *p = NULL;
    CHECK_OK(lock2(dev, x, &p));
    if (p && p != SENT_PTR) {
        volatile unsigned char *b = p;
        b[0] = 0x11;
        b[TiB(1) - 1] = 0x22;
        CHECK_EQ(b[0], 0x11);
        CHECK_EQ(b[TiB(1) - 1], 0x22);
    }
    CHECK_OK(unlock2(dev, x));
    CHECK_OK(destroy_alloc(dev, x));
}

/* "Each adapter has a memory budget; creating past it returns
 * STATUS_GRAPHICS_NO_VIDEO_MEMORY (0xC01E0100)." */
static void t_budget_per_adapter(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    c.AdapterMemoryBytes = 8 * PAGE;
    reset_to(&c);
    D3DKMT_HANDLE a0 = open_adapter(0), a1 = open_adapter(1);
    D3DKMT_HANDLE d0 = create_device(a0), d0b = create_device(a0), d1 = create_device(a1);
    D3DKMT_HANDLE big = create_alloc(d0, 8 * PAGE);
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(d0, 1, 0, &x), NO_VIDMEM);
    CHECK_EQ(x, SENT_H);
    CHECK_ST(create_alloc_st(d0b, 1, 0, &x), NO_VIDMEM); /* per adapter, not per device */
    CHECK_EQ(x, SENT_H);
    CHECK_OK(create_alloc_st(d1, 8 * PAGE, 0, &x)); /* the other adapter's own budget */
    CHECK_OK(destroy_alloc(d0, big));
    CHECK_OK(create_alloc_st(d0b, PAGE + 1, 0, &x)); /* rounded: 2 pages */
    CHECK_OK(create_alloc_st(d0, 6 * PAGE, 0, &x));
    CHECK_ST(create_alloc_st(d0, 1, 0, &x), NO_VIDMEM);
    /* Not-CPU-visible allocations count too. */
    CHECK_ST(create_alloc_st(d1, 1, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE, &x), NO_VIDMEM);
}

/* §9 "AdapterMemoryBytes; budget per adapter; 0 → 4 GiB" */
static void t_budget_default_4gib(void) {
    for (int pass = 0; pass < 2; pass++) {
        SIMKMT_CONFIG c = cfg();
        if (pass == 0)
            reset_default();
        else
            reset_to(&c);
        D3DKMT_HANDLE dev = create_device(open_adapter(0));
        D3DKMT_HANDLE x = 0, y = 0;
        CHECK_OK(create_alloc_st(dev, GiB(4), 0, &x));
        CHECK_ST(create_alloc_st(dev, PAGE, 0, &y), NO_VIDMEM);
        CHECK_OK(destroy_alloc(dev, x));
        CHECK_OK(create_alloc_st(dev, GiB(4) - PAGE, 0, &x));
        CHECK_OK(create_alloc_st(dev, PAGE, 0, &y));
        CHECK_ST(create_alloc_st(dev, 1, 0, &y), NO_VIDMEM);
    }
    reset_default();
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(create_device(open_adapter(0)), TiB(1), 0, &x), NO_VIDMEM);
}

/* §4 "a run of pages (adapter page size, default 4096 bytes)" + §9 PageSize. */
static void t_page_size_config(void) {
    SIMKMT_CONFIG c = cfg();
    c.PageSize = 65536;
    c.AdapterMemoryBytes = 3 * 65536;
    reset_to(&c);
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    D3DKMT_HANDLE a = create_alloc(dev, 1), b = create_alloc(dev, 65537);
    CHECK_EQ(query(dev, a).SizeInBytes, 65536);
    CHECK_EQ(query(dev, a).PageCount, 1);
    CHECK_EQ(query(dev, b).SizeInBytes, 131072);
    CHECK_EQ(query(dev, b).PageCount, 2);
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(dev, 1, 0, &x), NO_VIDMEM); /* budget counted in whole pages */
    c.PageSize = 8192;
    c.AdapterMemoryBytes = 0;
    reset_to(&c);
    dev = create_device(open_adapter(0));
    a = create_alloc(dev, 1);
    CHECK_EQ(query(dev, a).SizeInBytes, 8192);
}

/* "If pSystemMem is non-NULL the caller's memory backs the allocation: it must
 * be aligned to the adapter page size (else STATUS_INVALID_PARAMETER) ... it
 * counts against the budget and is treated like any other allocation
 * (including content loss on removal)." */
static void t_system_mem_backing(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 4 * PAGE;
    reset_to(&c);
    D3DKMT_HANDLE a = open_adapter(0);
    D3DKMT_HANDLE dev = create_device(a);
    unsigned char *mem = page_alloc(PAGE, 4 * PAGE);
    CHECK(mem != NULL);
    if (!mem) return;
    memset(mem, 0x3C, 4 * PAGE);
    SIMKMT_ALLOCATION_DESC d;
    D3DDDI_ALLOCATIONINFO2 i;
    size_t offs[3] = {1, 64, PAGE / 2};
    for (int k = 0; k < 3; k++) {
        desc_init(&d, 2 * PAGE, 0);
        info2_init(&i, &d);
        i.pSystemMem = mem + offs[k];
        CHECK_INV(create2(dev, 1, &i));
        CHECK_EQ(i.hAllocation, SENT_H);
    }
    desc_init(&d, 4 * PAGE, 0);
    info2_init(&i, &d);
    i.pSystemMem = mem;
    CHECK_OK(create2(dev, 1, &i));
    D3DKMT_HANDLE x = i.hAllocation;
    CHECK(x != SENT_H && x != 0);
    CHECK_EQ(query(dev, x).SizeInBytes, 4 * PAGE);
    /* counts against the budget */
    D3DKMT_HANDLE y = 0;
    CHECK_ST(create_alloc_st(dev, 1, 0, &y), NO_VIDMEM);
    /* Lock2 returns the caller's memory. */
    void *p = NULL;
    CHECK_OK(lock2(dev, x, &p));
    CHECK_PTR(p, mem);
    if (p == mem) {
        CHECK_EQ(((unsigned char *)p)[3 * PAGE + 5], 0x3C);
        memset(mem + 100, 0x77, 50);
    }
    CHECK_OK(unlock2(dev, x));
    void *p2 = NULL;
    CHECK_OK(lock1(dev, x, 0, 0, NULL, &p2));
    CHECK_PTR(p2, mem);
    /* content loss on removal */
    CHECK_OK(SimKmtRemoveDevice(dev, 0));
    CHECK_EQ(count_not(mem + 100, 50, 0xDD), 0);
    CHECK_OK(destroy_device(dev));
    page_free(mem);

    /* With a 64 KiB page size, 4 KiB alignment is not enough. */
    c = cfg();
    c.PageSize = 65536;
    reset_to(&c);
    dev = create_device(open_adapter(0));
    mem = page_alloc(65536, 2 * 65536);
    CHECK(mem != NULL);
    if (!mem) return;
    desc_init(&d, 65536, 0);
    info2_init(&i, &d);
    i.pSystemMem = mem + PAGE;
    CHECK_INV(create2(dev, 1, &i));
    CHECK_EQ(i.hAllocation, SENT_H);
    i.pSystemMem = mem;
    CHECK_OK(create2(dev, 1, &i));
    p = NULL;
    CHECK_OK(lock2(dev, i.hAllocation, &p));
    CHECK_PTR(p, mem);
    CHECK_OK(destroy_device(dev));
    page_free(mem);
}

/* "D3DKMTCreateAllocation: the same D3DKMT_CREATEALLOCATION, but reads
 * pAllocationInfo (D3DDDI_ALLOCATIONINFO, 40 bytes); otherwise as §4." */
static void t_create_allocation_v1(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 16 * PAGE;
    reset_to(&c);
    D3DKMT_HANDLE a = open_adapter(0);
    D3DKMT_HANDLE dev = create_device(a);
    SIMKMT_ALLOCATION_DESC d[3];
    D3DDDI_ALLOCATIONINFO i[3];
    desc_init(&d[0], PAGE, 0);
    desc_init(&d[1], 3 * PAGE + 1, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    desc_init(&d[2], 2 * PAGE, 0);
    for (int k = 0; k < 3; k++) info1_init(&i[k], &d[k]);
    CHECK_OK(create1(dev, 3, i)); /* 40-byte stride */
    D3DKMT_HANDLE hs[3] = {i[0].hAllocation, i[1].hAllocation, i[2].hAllocation};
    CHECK(handles_distinct(hs, 3));
    CHECK_EQ(query(dev, hs[0]).PageCount, 1);
    CHECK_EQ(query(dev, hs[1]).PageCount, 4);
    CHECK_EQ(query(dev, hs[1]).Flags, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    CHECK_EQ(query(dev, hs[2]).PageCount, 2);
    CHECK_EQ(query(dev, hs[2]).Flags, 0);
    void *p = NULL;
    CHECK_OK(lock2(dev, hs[2], &p));
    LOCK2_FAILS(dev, hs[1], INV);

    /* errors */
    CHECK_INV(D3DKMTCreateAllocation(NULL));
    info1_init(&i[0], &d[0]);
    CHECK_INV(create1(dev, 0, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    CHECK_INV(create1(dev, 1, NULL));
    CHECK_INV(create1(0, 1, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    CHECK_INV(create1(hs[0], 1, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    info1_init(&i[0], &d[0]);
    i[0].pPrivateDriverData = NULL;
    CHECK_INV(create1(dev, 1, i));
    info1_init(&i[0], &d[0]);
    i[0].PrivateDriverDataSize = 12;
    CHECK_INV(create1(dev, 1, i));
    SIMKMT_ALLOCATION_DESC bad;
    desc_init(&bad, PAGE, 0);
    bad.Version = 2;
    info1_init(&i[0], &bad);
    CHECK_INV(create1(dev, 1, i));
    desc_init(&bad, PAGE, 0x10);
    info1_init(&i[0], &bad);
    CHECK_INV(create1(dev, 1, i));
    desc_init(&bad, 0, 0);
    info1_init(&i[0], &bad);
    CHECK_INV(create1(dev, 1, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    /* all or nothing: second of two bad */
    info1_init(&i[0], &d[0]);
    info1_init(&i[1], &bad);
    CHECK_INV(create1(dev, 2, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    CHECK_EQ(i[1].hAllocation, SENT_H);
    /* budget: 7 pages used, 9 left */
    desc_init(&bad, 10 * PAGE, 0);
    info1_init(&i[0], &bad);
    CHECK_ST(create1(dev, 1, i), NO_VIDMEM);
    CHECK_EQ(i[0].hAllocation, SENT_H);

    /* pSystemMem through the 40-byte info */
    unsigned char *mem = page_alloc(PAGE, 2 * PAGE);
    CHECK(mem != NULL);
    if (!mem) return;
    desc_init(&d[0], 2 * PAGE, 0);
    info1_init(&i[0], &d[0]);
    i[0].pSystemMem = mem + 8;
    CHECK_INV(create1(dev, 1, i));
    CHECK_EQ(i[0].hAllocation, SENT_H);
    i[0].pSystemMem = mem;
    CHECK_OK(create1(dev, 1, i));
    p = NULL;
    CHECK_OK(lock2(dev, i[0].hAllocation, &p));
    CHECK_PTR(p, mem);
    CHECK_OK(destroy_device(dev));
    page_free(mem);
}

/* "The standard-allocation path (Flags.StandardAllocation with an existing-heap
 * D3DKMT_CREATESTANDARDALLOCATION) should work too." */
static void t_standard_allocation_existing_heap(void) {
    reset_default();
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    size_t size = 16 * PAGE;
    unsigned char *heap = page_alloc(PAGE, size);
    CHECK(heap != NULL);
    if (!heap) return;
    memset(heap, 0x42, size);
    D3DKMT_CREATESTANDARDALLOCATION sa;
    memset(&sa, 0, sizeof sa);
    sa.Type = D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP;
    sa.ExistingHeapData.Size = size;
    D3DDDI_ALLOCATIONINFO2 i;
    memset(&i, 0, sizeof i);
    i.hAllocation = SENT_H;
    i.pSystemMem = heap;
    D3DKMT_CREATEALLOCATION ca;
    memset(&ca, 0, sizeof ca);
    ca.hDevice = dev;
    ca.Flags.StandardAllocation = 1;
    ca.Flags.ExistingSysMem = 1;
    ca.pStandardAllocation = &sa;
    ca.NumAllocations = 1;
    ca.pAllocationInfo2 = &i;
    CHECK_OK(D3DKMTCreateAllocation2(&ca));
    if (i.hAllocation != SENT_H && i.hAllocation != 0) {
        SIMKMT_ALLOCATION_INFO q = query(dev, i.hAllocation);
        CHECK_EQ(q.SizeInBytes, size);
        void *p = NULL;
        CHECK_OK(lock2(dev, i.hAllocation, &p));
        CHECK_PTR(p, heap);
        CHECK_OK(unlock2(dev, i.hAllocation));
        CHECK_OK(destroy_alloc(dev, i.hAllocation));
    } else {
        CHECK(!"standard allocation created no handle");
    }
    page_free(heap);
}

/* "On success hGlobalShare is written 0 (nothing is shared yet) and hResource
 * keeps 0. A non-zero hResource that names no live resource ->
 * STATUS_INVALID_HANDLE" -- for both flavours; device checks come first. */
static void t_create_allocation_global_share_and_resource(void) {
    reset_default();
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    SIMKMT_ALLOCATION_DESC d;
    desc_init(&d, PAGE, 0);
    for (int v2 = 0; v2 < 2; v2++) {
        D3DDDI_ALLOCATIONINFO2 i2;
        D3DDDI_ALLOCATIONINFO i1;
        info2_init(&i2, &d);
        info1_init(&i1, &d);
        D3DKMT_CREATEALLOCATION ca;
        memset(&ca, 0, sizeof ca);
        ca.hDevice = dev;
        ca.NumAllocations = 1;
        if (v2) ca.pAllocationInfo2 = &i2;
        else ca.pAllocationInfo = &i1;
        D3DKMT_HANDLE *out = v2 ? &i2.hAllocation : &i1.hAllocation;
#define CREATE() (v2 ? D3DKMTCreateAllocation2(&ca) : D3DKMTCreateAllocation(&ca))
        /* Unknown hResource: INVALID_HANDLE, nothing written. */
        ca.hResource = 0x40001000u;
        ca.hGlobalShare = SENT_H;
        CHECK_ST(CREATE(), STATUS_INVALID_HANDLE);
        CHECK_EQ(*out, SENT_H);
        CHECK_EQ(ca.hGlobalShare, SENT_H);
        CHECK_EQ(ca.hResource, 0x40001000u);
        /* ... also with no allocations or resource flags: it is checked first. */
        ca.NumAllocations = 0;
        CHECK_ST(CREATE(), STATUS_INVALID_HANDLE);
        ca.NumAllocations = 1;
        ca.Flags.CreateResource = 1;
        CHECK_ST(CREATE(), STATUS_INVALID_HANDLE);
        ca.Flags.CreateResource = 0;
        /* A bad device beats it. */
        ca.hDevice = 0;
        CHECK_INV(CREATE());
        ca.hDevice = dev;
        /* Success: hGlobalShare written 0, hResource kept 0. */
        ca.hResource = 0;
        CHECK_OK(CREATE());
        CHECK(*out != SENT_H && *out != 0);
        CHECK_EQ(ca.hGlobalShare, 0);
        CHECK_EQ(ca.hResource, 0);
#undef CREATE
    }
    /* A removed device beats an unknown hResource. */
    CHECK_OK(SimKmtRemoveDevice(dev, HUNG));
    D3DDDI_ALLOCATIONINFO2 i2;
    info2_init(&i2, &d);
    D3DKMT_CREATEALLOCATION ca;
    memset(&ca, 0, sizeof ca);
    ca.hDevice = dev;
    ca.hResource = 0x40001000u;
    ca.hGlobalShare = SENT_H;
    ca.NumAllocations = 1;
    ca.pAllocationInfo2 = &i2;
    CHECK_REMOVED(D3DKMTCreateAllocation2(&ca));
    CHECK_EQ(i2.hAllocation, SENT_H);
    CHECK_EQ(ca.hGlobalShare, SENT_H);
    /* DestroyAllocation2 with a non-zero unknown hResource stays
     * INVALID_PARAMETER (Windows: destroying a destroyed resource). */
    D3DKMT_DESTROYALLOCATION2 da;
    memset(&da, 0, sizeof da);
    da.hDevice = dev;
    da.hResource = 0x40001000u;
    CHECK_INV(D3DKMTDestroyAllocation2(&da));
    CHECK_OK(destroy_device(dev));
}

/* "it requires Flags.ExistingSysMem, exactly one allocation, a heap size that
 * is a non-zero multiple of 4096, no resource-level private driver data, and a
 * non-NULL pSystemMem; any other combination -> STATUS_INVALID_PARAMETER.
 * Flags.ExistingSysMem without StandardAllocation -> STATUS_INVALID_PARAMETER."
 * Each is tried alone from a valid call, which must then still succeed; a
 * failed call writes no output and takes no budget. */
/* The valid existing-heap call of t_standard_allocation_rules: one
 * allocation of 4 pages over `heap`, with sentinel outputs. */
static void valid_standard_call(D3DKMT_CREATESTANDARDALLOCATION *sa, D3DDDI_ALLOCATIONINFO2 i[2],
                                D3DKMT_CREATEALLOCATION *ca, D3DKMT_HANDLE dev, void *heap) {
    memset(sa, 0, sizeof *sa);
    sa->Type = D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP;
    sa->ExistingHeapData.Size = 4 * PAGE;
    memset(i, 0, 2 * sizeof i[0]);
    i[0].hAllocation = i[1].hAllocation = SENT_H;
    i[0].pSystemMem = i[1].pSystemMem = heap;
    memset(ca, 0, sizeof *ca);
    ca->hDevice = dev;
    ca->hGlobalShare = SENT_H;
    ca->Flags.StandardAllocation = 1;
    ca->Flags.ExistingSysMem = 1;
    ca->pStandardAllocation = sa;
    ca->NumAllocations = 1;
    ca->pAllocationInfo2 = i;
}

static void t_standard_allocation_rules(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 4 * PAGE;
    reset_to(&c);
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    unsigned char *heap = page_alloc(PAGE, 4 * PAGE);
    CHECK(heap != NULL);
    if (!heap) return;
    memset(heap, 0x42, 4 * PAGE);
    D3DKMT_CREATESTANDARDALLOCATION sa;
    D3DDDI_ALLOCATIONINFO2 i[2];
    D3DKMT_CREATEALLOCATION ca;
    for (int rule = 0; rule <= 8; rule++) {
        valid_standard_call(&sa, i, &ca, dev, heap);
        switch (rule) {
        case 0: ca.Flags.ExistingSysMem = 0; break;                  /* StandardAllocation alone */
        case 1: ca.NumAllocations = 2; break;                        /* two allocations */
        case 2: sa.ExistingHeapData.Size = 0x1100; break;            /* not a multiple of 4096 */
        case 3: sa.ExistingHeapData.Size = 0; break;                 /* zero */
        case 4: ca.PrivateDriverDataSize = 64; break;                /* resource-level private data */
        case 5: i[0].pSystemMem = NULL; break;                       /* no heap */
        case 6: ca.pStandardAllocation = NULL; break;                /* no description */
        case 7: sa.Type = (D3DKMT_STANDARDALLOCATIONTYPE)0; break;   /* another type */
        case 8: ca.Flags.StandardAllocation = 0; ca.pPrivateDriverData = NULL; break; /* ExistingSysMem alone */
        }
        CHECK_INV(D3DKMTCreateAllocation2(&ca));
        CHECK_EQ(i[0].hAllocation, SENT_H);
        CHECK_EQ(i[1].hAllocation, SENT_H);
        CHECK_EQ(ca.hGlobalShare, SENT_H);
        CHECK_EQ(((volatile unsigned char *)heap)[0], 0x42);
    }
    /* The valid call still works, with the whole budget free, and writes
     * hGlobalShare 0. */
    valid_standard_call(&sa, i, &ca, dev, heap);
    CHECK_OK(D3DKMTCreateAllocation2(&ca));
    CHECK_EQ(ca.hGlobalShare, 0);
    CHECK_EQ(ca.hResource, 0);
    CHECK(i[0].hAllocation != SENT_H);
    CHECK_EQ(query(dev, i[0].hAllocation).SizeInBytes, 4 * PAGE);
    CHECK_OK(destroy_device(dev));
    page_free(heap);
}

/* "real backing memory that keeps its content across lock cycles for as long
 * as the device lives" */
static void t_content_survives_lock_cycles(void) {
    fixture f = setup(NULL, 3 * PAGE);
    void *p = NULL, *p2 = NULL, *p3 = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    if (!p || p == SENT_PTR) return;
    unsigned char *b = p;
    for (size_t k = 0; k < 3 * PAGE; k++) b[k] = (unsigned char)(k * 7 + 3);
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* other work in between */
    D3DKMT_HANDLE other = create_alloc(f.device, 5 * PAGE);
    void *q = NULL;
    CHECK_OK(lock2(f.device, other, &q));
    if (q && q != SENT_PTR) memset(q, 0xEE, 5 * PAGE);
    CHECK_OK(unlock2(f.device, other));
    CHECK_OK(destroy_alloc(f.device, other));
    CHECK_OK(lock2(f.device, f.alloc, &p2));
    CHECK_PTR(p2, p); /* "The address is stable for the allocation's life." */
    size_t bad = 0;
    for (size_t k = 0; k < 3 * PAGE; k++) bad += ((unsigned char *)p2)[k] != (unsigned char)(k * 7 + 3);
    CHECK_EQ(bad, 0);
    CHECK_OK(unlock2(f.device, f.alloc));
    UINT page = 2;
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &page, &p3));
    CHECK_PTR(p3, b + 2 * PAGE);
    if (p3 == b + 2 * PAGE) CHECK_EQ(((unsigned char *)p3)[1], (unsigned char)((2 * PAGE + 1) * 7 + 3));
    CHECK_OK(unlock1(f.device, 1, &f.alloc));
}
/* ======================================================================== */
/* §5 Lock2 / Unlock2                                                        */
/* ======================================================================== */

/* Rule 1: "argument NULL, or Flags.Value != 0 → STATUS_INVALID_PARAMETER" */
static void t_lock2_null_and_flags(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTLock2(NULL));
    CHECK_INV(D3DKMTUnlock2(NULL));
    UINT flags[4] = {1, 2, 0x80000000u, 0xFFFFFFFFu};
    for (int k = 0; k < 4; k++) LOCK2_FAILS_FL(f.device, f.alloc, flags[k], INV);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
}

/* Rule 2: "hDevice not a live device → STATUS_INVALID_PARAMETER" */
static void t_lock2_bad_device(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE gone = create_device(f.adapter);
    CHECK_OK(destroy_device(gone));
    D3DKMT_HANDLE bad[5] = {0, gone, f.adapter, f.alloc, 0xFFFFFFFFu};
    for (int k = 0; k < 5; k++) LOCK2_FAILS(bad[k], f.alloc, INV);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
}

/* Rule 4: "hAllocation not a live allocation of that device → INVALID_PARAMETER" */
static void t_lock2_bad_allocation(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE gone = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, gone));
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE bad[6] = {0, gone, f.device, f.adapter, foreign, 0xFFFFFFFFu};
    for (int k = 0; k < 6; k++) LOCK2_FAILS(f.device, bad[k], INV);
    CHECK_EQ(lock_count(other, foreign), 0);
}

/* Rule 5: "allocation not CPU-visible → STATUS_INVALID_PARAMETER" */
static void t_lock2_not_cpu_visible(void) {
    reset_default();
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    D3DKMT_HANDLE x = create_alloc_f(dev, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    LOCK2_FAILS(dev, x, INV);
    SIMKMT_ALLOCATION_INFO q = query(dev, x);
    CHECK_EQ(q.LockCount, 0);
    CHECK_EQ(q.Flags, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    CHECK_INV(unlock2(dev, x)); /* lock count 0 */
}

/* Rule 8: "success: lock count + 1, pData = base address of the allocation.
 * Nested locks return the same address. The address is stable for the
 * allocation's life." */
static void t_lock2_nested_same_pointer_stable(void) {
    fixture f = setup(NULL, 4 * PAGE);
    void *p[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(lock2(f.device, f.alloc, &p[k]));
        CHECK_EQ(lock_count(f.device, f.alloc), (unsigned)k + 1);
    }
    CHECK(p[0] != NULL && p[0] != SENT_PTR);
    CHECK_PTR(p[1], p[0]);
    CHECK_PTR(p[2], p[0]);
    for (int k = 3; k > 0; k--) {
        CHECK_OK(unlock2(f.device, f.alloc));
        CHECK_EQ(lock_count(f.device, f.alloc), (unsigned)k - 1);
    }
    CHECK_INV(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* Another allocation is a different, non-overlapping range. */
    D3DKMT_HANDLE y = create_alloc(f.device, 4 * PAGE);
    void *q = NULL, *again = NULL;
    CHECK_OK(lock2(f.device, y, &q));
    uintptr_t a = (uintptr_t)p[0], b = (uintptr_t)q;
    CHECK(b + 4 * PAGE <= a || a + 4 * PAGE <= b);
    /* Stable across full unlock, other allocations and legacy locks. */
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, &again));
    CHECK_PTR(again, p[0]);
    CHECK_OK(unlock1(f.device, 1, &f.alloc));
    CHECK_OK(lock2(f.device, f.alloc, &again));
    CHECK_PTR(again, p[0]);
    CHECK_OK(unlock2(f.device, f.alloc));
}

/* Rule 7 + "The lock-reference limit is per allocation, configurable" */
static void t_lock2_limit_configured(void) {
    SIMKMT_CONFIG c = cfg();
    c.MaxLockReferences = 4;
    fixture f = setup(&c, PAGE);
    for (int k = 0; k < 4; k++) CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    CHECK_EQ(lock_count(f.device, f.alloc), 4);
    /* per allocation */
    D3DKMT_HANDLE y = create_alloc(f.device, PAGE);
    for (int k = 0; k < 4; k++) CHECK_OK(lock2(f.device, y, NULL));
    LOCK2_FAILS(f.device, y, TOO_MANY);
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    for (int k = 0; k < 4; k++) CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_INV(unlock2(f.device, f.alloc));

    c.MaxLockReferences = 1;
    f = setup(&c, PAGE);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
}

/* "default 1024" / "MaxLockReferences; 0 → 1024" */
static void t_lock2_limit_default_1024(void) {
    for (int pass = 0; pass < 2; pass++) {
        SIMKMT_CONFIG c = cfg();
        fixture f = setup(pass ? &c : NULL, PAGE);
        int failures = 0;
        for (int k = 0; k < 1024; k++) failures += lock2(f.device, f.alloc, NULL) != STATUS_SUCCESS;
        CHECK_EQ(failures, 0);
        CHECK_EQ(lock_count(f.device, f.alloc), 1024);
        LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
        CHECK_EQ(lock_count(f.device, f.alloc), 1024);
        failures = 0;
        for (int k = 0; k < 1024; k++) failures += unlock2(f.device, f.alloc) != STATUS_SUCCESS;
        CHECK_EQ(failures, 0);
        CHECK_EQ(lock_count(f.device, f.alloc), 0);
    }
}

/* The check order of §5 under the FAIL policy: for adjacent rules, a state
 * where both fail, and the earlier one must win. */
static void t_lock2_order_fail_policy(void) {
    SIMKMT_CONFIG c = cfg();
    c.MaxLockReferences = 2;
    fixture f = setup(&c, PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE hidden = create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));

    /* 1 before 2: Flags != 0 with a bad device. */
    LOCK2_FAILS_FL(0, f.alloc, 1, INV);
    /* 4 before 5: a not-CPU-visible allocation of another device (both INV). */
    D3DKMT_HANDLE hidden_other = create_alloc_f(other, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    LOCK2_FAILS(f.device, hidden_other, INV);
    /* 5 before 6: not CPU-visible and busy → INVALID_PARAMETER, not BUSY. */
    submit1(f.device, hidden);
    CHECK_EQ(busy(f.device, hidden), 1);
    LOCK2_FAILS(f.device, hidden, INV);
    /* 6 before 7: busy and at the limit → ALLOCATION_BUSY. */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY); /* at the limit, not busy */
    UINT64 fence = submit1(f.device, f.alloc);
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    CHECK_EQ(lock_count(f.device, f.alloc), 2);
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    submit1(f.device, f.alloc);

    /* Now remove the device: the allocation is busy, was at the limit, and
     * stale/foreign handles are around. */
    CHECK_OK(SimKmtRemoveDevice(f.device, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT));
    /* 1 before 3: Flags != 0 with a removed device. */
    LOCK2_FAILS_FL(f.device, f.alloc, 0x10, INV);
    /* 3 before 4: removed device with a stale / foreign / zero / wrong-kind allocation. */
    LOCK2_FAILS(f.device, stale, REMOVED);
    LOCK2_FAILS(f.device, foreign, REMOVED);
    LOCK2_FAILS(f.device, 0, REMOVED);
    LOCK2_FAILS(f.device, other, REMOVED);
    /* 3 before 5, 6 and 7: not CPU-visible, busy, previously locked. */
    LOCK2_FAILS(f.device, hidden, REMOVED);
    LOCK2_FAILS(f.device, f.alloc, REMOVED);
    /* 2 before 3: the removed device, once destroyed, is a bad device. */
    CHECK_OK(destroy_device(f.device));
    LOCK2_FAILS(f.device, f.alloc, INV);
    /* The other device is unaffected. */
    CHECK_OK(lock2(other, foreign, NULL));
}

/* "no fast path skips this check": an allocation locked before the removal. */
static void t_lock2_removed_no_fast_path(void) {
    fixture f = setup(NULL, PAGE);
    void *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    LOCK2_FAILS(f.device, f.alloc, REMOVED);
    CHECK_REMOVED(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
}

/* The order under the WAIT policy: earlier failures must not wait. */
static void t_lock2_order_wait_policy(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_WAIT;
    c.WaitTimeoutMs = 2000;
    c.MaxLockReferences = 1;
    fixture f = setup(&c, PAGE);
    D3DKMT_HANDLE hidden = create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    submit1(f.device, hidden);
    UINT64 fence = submit1(f.device, f.alloc);
    double t0 = now_ms();
    LOCK2_FAILS(f.device, hidden, INV);     /* 5 before 6 */
    LOCK2_FAILS_FL(f.device, f.alloc, 1, INV); /* 1 before 6 */
    CHECK(now_ms() - t0 < 1000);
    /* 6 before 7: busy and at the limit waits; once the work completes, the
     * limit decides. */
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    fence = submit1(f.device, f.alloc);
    delayed d;
    delayed_start(&d, 100, ACT_COMPLETE_FENCE, f.device, fence);
    t0 = now_ms();
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    double waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited >= 80);
    CHECK(waited < 1900);
    /* 3 before 6: removed and busy does not wait. */
    submit1(f.device, f.alloc);
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    t0 = now_ms();
    LOCK2_FAILS(f.device, f.alloc, REMOVED);
    CHECK(now_ms() - t0 < 1000);
}

/* Under IGNORE, busy is not checked, so the limit decides. */
static void t_lock2_order_ignore_policy(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_IGNORE;
    c.MaxLockReferences = 1;
    fixture f = setup(&c, PAGE);
    submit1(f.device, f.alloc);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    D3DKMT_HANDLE hidden = create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    submit1(f.device, hidden);
    LOCK2_FAILS(f.device, hidden, INV);
}

/* "D3DKMTUnlock2: NULL → INVALID_PARAMETER; bad device → INVALID_PARAMETER;
 * removed device → DEVICE_REMOVED; bad allocation → INVALID_PARAMETER; lock
 * count 0 → INVALID_PARAMETER; else lock count − 1." */
static void t_unlock2_rules_and_order(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE unlocked = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));
    D3DKMT_HANDLE gone_dev = create_device(f.adapter);
    CHECK_OK(destroy_device(gone_dev));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock2(other, foreign, NULL));
    CHECK_INV(D3DKMTUnlock2(NULL));
    D3DKMT_HANDLE bad_dev[4] = {0, gone_dev, f.adapter, f.alloc};
    for (int k = 0; k < 4; k++) CHECK_INV(unlock2(bad_dev[k], f.alloc));
    D3DKMT_HANDLE bad_alloc[5] = {0, stale, foreign, f.device, f.adapter};
    for (int k = 0; k < 5; k++) CHECK_INV(unlock2(f.device, bad_alloc[k]));
    CHECK_INV(unlock2(f.device, unlocked)); /* lock count 0 */
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    CHECK_EQ(lock_count(other, foreign), 1);
    /* Busy does not matter for Unlock2. */
    UINT64 fence = submit1(f.device, f.alloc);
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_INV(unlock2(f.device, f.alloc));
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    /* removed device before bad allocation and before lock count 0 */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    CHECK_REMOVED(unlock2(f.device, f.alloc));
    CHECK_REMOVED(unlock2(f.device, unlocked));
    CHECK_REMOVED(unlock2(f.device, stale));
    CHECK_REMOVED(unlock2(f.device, foreign));
    CHECK_REMOVED(unlock2(f.device, 0));
    /* bad device before removed: once destroyed it is a bad device */
    CHECK_OK(destroy_device(f.device));
    CHECK_INV(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(other, foreign), 1);
}

/* ======================================================================== */
/* §5/§8 Busy policies for Lock2                                             */
/* ======================================================================== */

/* "FAIL (default) returns STATUS_GRAPHICS_ALLOCATION_BUSY" */
static void t_busy_fail_policy(void) {
    fixture f = setup(NULL, PAGE);
    void *base = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    CHECK_OK(unlock2(f.device, f.alloc));
    UINT64 fence = submit1(f.device, f.alloc);
    CHECK_EQ(busy(f.device, f.alloc), 1);
    double t0 = now_ms();
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    CHECK(now_ms() - t0 < 500); /* does not wait */
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_EQ(busy(f.device, f.alloc), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    CHECK_EQ(busy(f.device, f.alloc), 0);
    void *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_PTR(p, base);
    /* A locked allocation that becomes busy cannot be locked again. */
    fence = submit1(f.device, f.alloc);
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    CHECK_OK(unlock2(f.device, f.alloc));
}

/* "WAIT blocks until the work completes or the wait timeout passes (then
 * STATUS_GRAPHICS_ALLOCATION_BUSY)" */
static void t_busy_wait_policy_timeout(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_WAIT;
    c.WaitTimeoutMs = 150;
    fixture f = setup(&c, PAGE);
    submit1(f.device, f.alloc);
    double t0 = now_ms();
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    double waited = now_ms() - t0;
    CHECK(waited >= 135);
    CHECK(waited < 3000);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_EQ(busy(f.device, f.alloc), 1);
}

/* WAIT: blocks until another thread completes the fence. */
static void t_busy_wait_policy_wakes_on_fence(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_WAIT;
    c.WaitTimeoutMs = 3000;
    fixture f = setup(&c, PAGE);
    void *base = NULL, *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    CHECK_OK(unlock2(f.device, f.alloc));
    UINT64 fence = submit1(f.device, f.alloc);
    delayed d;
    delayed_start(&d, 100, ACT_COMPLETE_FENCE, f.device, fence);
    double t0 = now_ms();
    CHECK_OK(lock2(f.device, f.alloc, &p));
    double waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK_PTR(p, base);
    CHECK(waited >= 80);
    CHECK(waited < 2500);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    CHECK_EQ(busy(f.device, f.alloc), 0);
}

/* §7 "A thread blocked waiting on a busy allocation wakes with
 * STATUS_DEVICE_REMOVED." (all three ways in) */
static void t_busy_wait_policy_wakes_on_removal(void) {
    int actions[3] = {ACT_REMOVE_DEVICE, ACT_RESET_ADAPTER, ACT_REMOVE_ADAPTER};
    UINT32 reasons[3] = {HUNG, RESET, STOPPED};
    for (int k = 0; k < 3; k++) {
        SIMKMT_CONFIG c = cfg();
        c.BusyPolicy = SIMKMT_BUSY_WAIT;
        c.WaitTimeoutMs = 3000;
        fixture f = setup(&c, PAGE);
        submit1(f.device, f.alloc);
        delayed d;
        delayed_start(&d, 100, actions[k], actions[k] == ACT_REMOVE_DEVICE ? f.device : f.adapter, HUNG);
        double t0 = now_ms();
        LOCK2_FAILS(f.device, f.alloc, REMOVED);
        double waited = now_ms() - t0;
        CHECK_OK(delayed_join(&d));
        CHECK(waited >= 80);
        CHECK(waited < 2500);
        CHECK_EQ(exec_state(f.device), reasons[k]);
        CHECK_EQ(lock_count(f.device, f.alloc), 0);
    }
}

/* "WaitTimeoutMs; 0 → 1000": a zero timeout is not an immediate failure. */
static void t_busy_wait_default_timeout_not_zero(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_WAIT;
    c.WaitTimeoutMs = 0;
    fixture f = setup(&c, PAGE);
    UINT64 fence = submit1(f.device, f.alloc);
    delayed d;
    delayed_start(&d, 300, ACT_COMPLETE_FENCE, f.device, fence);
    double t0 = now_ms();
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    double waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited >= 250);
    CHECK(waited < 990);
}

/* "IGNORE maps without waiting, as WDDM 2 kernels do." */
static void t_busy_ignore_policy(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_IGNORE;
    c.WaitTimeoutMs = 2000;
    fixture f = setup(&c, PAGE);
    void *base = NULL, *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    CHECK_OK(unlock2(f.device, f.alloc));
    submit1(f.device, f.alloc);
    double t0 = now_ms();
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK(now_ms() - t0 < 1000);
    CHECK_PTR(p, base);
    SIMKMT_ALLOCATION_INFO q = query(f.device, f.alloc);
    CHECK_EQ(q.Busy, 1);
    CHECK_EQ(q.LockCount, 1);
}

/* ======================================================================== */
/* §6 Legacy Lock / Unlock                                                   */
/* ======================================================================== */

/* Rule 1: "argument NULL, reserved flag bits (0xFFFFF800) set, or ReadOnly
 * with WriteOnly → STATUS_INVALID_PARAMETER" */
static void t_lock_null_and_flags(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTLock(NULL));
    CHECK_INV(D3DKMTUnlock(NULL));
    UINT bad[5] = {0x800u, 0x1000u, 0x80000000u, 0xFFFFF800u, LF_READONLY | LF_WRITEONLY};
    for (int k = 0; k < 5; k++) LOCK1_FAILS(f.device, f.alloc, bad[k], 0, NULL, INV);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* Defined, non-reserved flags are accepted. */
    UINT good[4] = {LF_READONLY, LF_WRITEONLY, LF_LOCKENTIRE, LF_DONOTEVICT | LF_DISCARD | LF_IGNOREREADSYNC};
    for (int k = 0; k < 4; k++) CHECK_OK(lock1(f.device, f.alloc, good[k], 0, NULL, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 4);
}

/* Rule 6: pages. */
static void t_lock_pages(void) {
    fixture f = setup(NULL, 4 * PAGE);
    void *base = NULL, *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    CHECK_OK(unlock2(f.device, f.alloc));
    unsigned char *b = base;
    UINT two = 2, three_zero[2] = {3, 0}, zero = 0;
    int ok = 0;
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, &p)); /* NumPages == 0 */
    CHECK_PTR(p, b);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, LF_LOCKENTIRE, 0, NULL, &p));
    CHECK_PTR(p, b);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, LF_LOCKENTIRE, 1, &two, &p)); /* LockEntire wins */
    CHECK_PTR(p, b);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, LF_LOCKENTIRE, 3, NULL, &p)); /* pages not read */
    CHECK_PTR(p, b);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &two, &p));
    CHECK_PTR(p, b + 2 * PAGE);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, 0, 2, three_zero, &p)); /* first listed page */
    CHECK_PTR(p, b + 3 * PAGE);
    ok++;
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &zero, &p));
    CHECK_PTR(p, b);
    ok++;
    CHECK_EQ(lock_count(f.device, f.alloc), ok);
    /* out of range / NULL list */
    UINT four = 4, big = 0xFFFFFFFFu, zero_four[2] = {0, 4}, one_big[3] = {1, 2, 0x80000000u};
    LOCK1_FAILS(f.device, f.alloc, 0, 1, &four, INV);
    LOCK1_FAILS(f.device, f.alloc, 0, 1, &big, INV);
    LOCK1_FAILS(f.device, f.alloc, 0, 2, zero_four, INV);
    LOCK1_FAILS(f.device, f.alloc, 0, 3, one_big, INV);
    LOCK1_FAILS(f.device, f.alloc, 0, 1, NULL, INV);
    LOCK1_FAILS(f.device, f.alloc, LF_READONLY, 2, NULL, INV);
    CHECK_EQ(lock_count(f.device, f.alloc), ok);

    /* With a 64 KiB page, the page list is in 64 KiB pages. */
    SIMKMT_CONFIG c = cfg();
    c.PageSize = 65536;
    f = setup(&c, 3 * 65536);
    CHECK_OK(lock2(f.device, f.alloc, &base));
    UINT one = 1, three = 3;
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &one, &p));
    CHECK_PTR(p, (unsigned char *)base + 65536);
    LOCK1_FAILS(f.device, f.alloc, 0, 1, &three, INV);
}

/* Rules 2-5 of §6 ("as §5"). */
static void t_lock_bad_handles(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE gone_dev = create_device(f.adapter);
    CHECK_OK(destroy_device(gone_dev));
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));
    D3DKMT_HANDLE hidden = create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    D3DKMT_HANDLE bad_dev[4] = {0, gone_dev, f.adapter, f.alloc};
    for (int k = 0; k < 4; k++) LOCK1_FAILS(bad_dev[k], f.alloc, 0, 0, NULL, INV);
    D3DKMT_HANDLE bad_alloc[5] = {0, stale, foreign, f.device, f.adapter};
    for (int k = 0; k < 5; k++) LOCK1_FAILS(f.device, bad_alloc[k], 0, 0, NULL, INV);
    LOCK1_FAILS(f.device, hidden, 0, 0, NULL, INV);
    LOCK1_FAILS(f.device, hidden, LF_LOCKENTIRE | LF_IGNORESYNC, 0, NULL, INV);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_EQ(lock_count(other, foreign), 0);
    CHECK_EQ(lock_count(f.device, hidden), 0);
}

/* The check order of §6 Lock. */
static void t_lock_order(void) {
    SIMKMT_CONFIG c = cfg();
    c.MaxLockReferences = 2;
    c.WaitTimeoutMs = 2000;
    fixture f = setup(&c, 2 * PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE hidden = create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE);
    UINT out_of_range = 2;

    /* 1 before 2 */
    LOCK1_FAILS(0, f.alloc, 0x800u, 0, NULL, INV);
    LOCK1_FAILS(0, f.alloc, LF_READONLY | LF_WRITEONLY, 0, NULL, INV);
    /* 5 before 7: not CPU-visible and busy */
    submit1(f.device, hidden);
    LOCK1_FAILS(f.device, hidden, LF_DONOTWAIT, 0, NULL, INV);
    double t0 = now_ms();
    LOCK1_FAILS(f.device, hidden, 0, 0, NULL, INV); /* and no wait */
    CHECK(now_ms() - t0 < 1000);
    /* 6 before 7: bad pages and busy */
    UINT64 fence = submit1(f.device, f.alloc);
    LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 1, &out_of_range, INV);
    LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 1, NULL, INV);
    t0 = now_ms();
    LOCK1_FAILS(f.device, f.alloc, 0, 1, &out_of_range, INV); /* and no wait */
    CHECK(now_ms() - t0 < 1000);
    /* IgnoreSync wins over DonotWait */
    CHECK_OK(lock1(f.device, f.alloc, LF_IGNORESYNC | LF_DONOTWAIT, 0, NULL, NULL));
    CHECK_OK(lock1(f.device, f.alloc, LF_IGNORESYNC, 0, NULL, NULL));
    /* 7 before 8: busy at the limit */
    LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 0, NULL, BUSY);
    LOCK1_FAILS(f.device, f.alloc, LF_IGNORESYNC, 0, NULL, TOO_MANY);
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 0, NULL, TOO_MANY);
    CHECK_EQ(lock_count(f.device, f.alloc), 2);
    submit1(f.device, f.alloc);

    CHECK_OK(SimKmtRemoveDevice(f.device, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT));
    /* 1 before 3 */
    LOCK1_FAILS(f.device, f.alloc, 0x800u, 0, NULL, INV);
    LOCK1_FAILS(f.device, f.alloc, LF_READONLY | LF_WRITEONLY, 0, NULL, INV);
    /* 3 before 4, 5, 6, 7 */
    LOCK1_FAILS(f.device, foreign, 0, 0, NULL, REMOVED);
    LOCK1_FAILS(f.device, 0, 0, 0, NULL, REMOVED);
    LOCK1_FAILS(f.device, hidden, 0, 0, NULL, REMOVED);
    LOCK1_FAILS(f.device, f.alloc, 0, 1, &out_of_range, REMOVED);
    LOCK1_FAILS(f.device, f.alloc, 0, 1, NULL, REMOVED);
    LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 0, NULL, REMOVED);
    t0 = now_ms();
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, REMOVED);
    CHECK(now_ms() - t0 < 1000);
    /* 2 before 3 */
    CHECK_OK(destroy_device(f.device));
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, INV);
}

/* Rule 7: "busy, decided by the flags, not by the busy policy" */
static void t_lock_busy_flags(void) {
    UINT32 policies[3] = {SIMKMT_BUSY_FAIL, SIMKMT_BUSY_WAIT, SIMKMT_BUSY_IGNORE};
    for (int k = 0; k < 3; k++) {
        SIMKMT_CONFIG c = cfg();
        c.BusyPolicy = policies[k];
        c.WaitTimeoutMs = 300;
        fixture f = setup(&c, PAGE);
        void *base = NULL, *p = NULL;
        CHECK_OK(lock2(f.device, f.alloc, &base));
        CHECK_OK(unlock2(f.device, f.alloc));
        submit1(f.device, f.alloc);
        /* IgnoreSync: not checked */
        CHECK_OK(lock1(f.device, f.alloc, LF_IGNORESYNC, 0, NULL, &p));
        CHECK_PTR(p, base);
        CHECK_OK(unlock1(f.device, 1, &f.alloc));
        /* DonotWait: BUSY without waiting */
        double t0 = now_ms();
        LOCK1_FAILS(f.device, f.alloc, LF_DONOTWAIT, 0, NULL, BUSY);
        CHECK(now_ms() - t0 < 280); /* under the 300 ms timeout */
        /* neither: waits for the timeout, then BUSY */
        t0 = now_ms();
        LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, BUSY);
        double waited = now_ms() - t0;
        CHECK(waited >= 285);
        CHECK(waited < 3000);
        CHECK_EQ(lock_count(f.device, f.alloc), 0);
    }
}

/* Rule 7 "neither → wait until the work completes (then go on), the device is
 * removed (STATUS_DEVICE_REMOVED)" */
static void t_lock_wait_wakes(void) {
    SIMKMT_CONFIG c = cfg();
    c.WaitTimeoutMs = 3000;
    fixture f = setup(&c, 2 * PAGE);
    void *base = NULL, *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    CHECK_OK(unlock2(f.device, f.alloc));
    UINT64 fence = submit1(f.device, f.alloc);
    delayed d;
    delayed_start(&d, 100, ACT_COMPLETE_FENCE, f.device, fence);
    UINT one = 1;
    double t0 = now_ms();
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &one, &p));
    double waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK_PTR(p, (unsigned char *)base + PAGE);
    CHECK(waited >= 80);
    CHECK(waited < 2500);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);

    submit1(f.device, f.alloc);
    delayed_start(&d, 100, ACT_REMOVE_DEVICE, f.device, D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY);
    t0 = now_ms();
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, REMOVED);
    waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited >= 80);
    CHECK(waited < 2500);
    CHECK_EQ(exec_state(f.device), D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY);
}

/* Rule 8: "each successful Lock is one reference on the allocation, counted
 * with Lock2's against one limit." */
static void t_lock_shared_limit(void) {
    SIMKMT_CONFIG c = cfg();
    c.MaxLockReferences = 4;
    fixture f = setup(&c, 2 * PAGE);
    UINT one = 1;
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &one, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 4);
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, TOO_MANY);
    LOCK1_FAILS(f.device, f.alloc, LF_IGNORESYNC, 1, &one, TOO_MANY);
    CHECK_EQ(lock_count(f.device, f.alloc), 4);
    CHECK_OK(unlock1(f.device, 1, &f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 3);
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY);
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    /* One count: any mix of Unlock and Unlock2 releases the four references. */
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_OK(unlock1(f.device, 1, &f.alloc));
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_INV(unlock2(f.device, f.alloc));
    CHECK_INV(unlock1(f.device, 1, &f.alloc));
}

/* "D3DKMTUnlock releases one reference from each of NumAllocations handles of
 * hDevice. ... a bad handle, or one listed more times than it holds references
 * → STATUS_INVALID_PARAMETER, and nothing is unlocked." */
static void t_unlock_rules(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));
    D3DKMT_HANDLE gone_dev = create_device(f.adapter);
    CHECK_OK(destroy_device(gone_dev));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    CHECK_OK(lock1(f.device, b, 0, 0, NULL, NULL));
    CHECK_OK(lock1(other, foreign, 0, 0, NULL, NULL));

    D3DKMT_HANDLE one[1] = {f.alloc};
    CHECK_INV(unlock1(f.device, 0, one));
    CHECK_INV(unlock1(f.device, 1, NULL));
    CHECK_INV(unlock1(f.device, 2, NULL));
    D3DKMT_HANDLE bad_dev[4] = {0, gone_dev, f.adapter, f.alloc};
    for (int k = 0; k < 4; k++) CHECK_INV(unlock1(bad_dev[k], 1, one));
    D3DKMT_HANDLE l1[2] = {f.alloc, 0};
    CHECK_INV(unlock1(f.device, 2, l1));
    D3DKMT_HANDLE l2[2] = {f.alloc, stale};
    CHECK_INV(unlock1(f.device, 2, l2));
    D3DKMT_HANDLE l3[3] = {f.alloc, b, foreign};
    CHECK_INV(unlock1(f.device, 3, l3));
    D3DKMT_HANDLE l4[2] = {b, f.device};
    CHECK_INV(unlock1(f.device, 2, l4));
    D3DKMT_HANDLE l5[3] = {f.alloc, b, f.alloc}; /* f.alloc holds one reference */
    CHECK_INV(unlock1(f.device, 3, l5));
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    CHECK_EQ(lock_count(f.device, b), 1);
    CHECK_EQ(lock_count(other, foreign), 1);
    /* now give f.alloc a second reference (through Lock2): the list is valid */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(unlock1(f.device, 3, l5));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_EQ(lock_count(f.device, b), 0);
    CHECK_INV(unlock1(f.device, 1, one)); /* no references left */
    /* busy does not matter for Unlock */
    CHECK_OK(lock1(f.device, b, 0, 0, NULL, NULL));
    submit1(f.device, b);
    CHECK_OK(unlock1(f.device, 1, &b));
    CHECK_EQ(lock_count(f.device, b), 0);
}

/* Order of §6 Unlock: NULL argument, NumAllocations == 0 or a NULL list; bad
 * device; removed device; bad handle / over-listed. */
static void t_unlock_order(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    D3DKMT_HANDLE one[1] = {f.alloc};
    CHECK_INV(unlock1(0, 0, one));  /* count 0 + bad device */
    CHECK_INV(unlock1(0, 1, NULL)); /* NULL list + bad device */
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    CHECK_INV(unlock1(f.device, 0, one));  /* count 0 before removed */
    CHECK_INV(unlock1(f.device, 1, NULL)); /* NULL list before removed */
    D3DKMT_HANDLE l1[2] = {f.alloc, foreign};
    CHECK_REMOVED(unlock1(f.device, 2, l1)); /* removed before bad handle */
    D3DKMT_HANDLE l2[2] = {f.alloc, f.alloc};
    CHECK_REMOVED(unlock1(f.device, 2, l2)); /* removed before over-listed */
    CHECK_REMOVED(unlock1(f.device, 1, one));
    CHECK_OK(destroy_device(f.device));
    CHECK_INV(unlock1(f.device, 1, one)); /* bad device before removed */
}
/* ======================================================================== */
/* §7 Device removal                                                         */
/* ======================================================================== */

/* "SimKmtRemoveDevice: bad device → INVALID_PARAMETER; an ExecutionState
 * outside 0 and 2..7 → INVALID_PARAMETER"; "0 → RESET (2)" */
static void t_remove_device_states(void) {
    reset_default();
    D3DKMT_HANDLE a = open_adapter(0);
    for (UINT32 s = 0; s <= 7; s++) {
        if (s == 1) continue;
        D3DKMT_HANDLE d = create_device(a);
        CHECK_OK(SimKmtRemoveDevice(d, s));
        CHECK_EQ(exec_state(d), s == 0 ? RESET : s);
        CHECK_OK(destroy_device(d));
    }
    D3DKMT_HANDLE d = create_device(a);
    D3DKMT_HANDLE x = create_alloc(d, PAGE);
    UINT32 bad[4] = {1, 8, 100, 0xFFFFFFFFu};
    for (int k = 0; k < 4; k++) CHECK_INV(SimKmtRemoveDevice(d, bad[k]));
    CHECK_EQ(exec_state(d), ACTIVE);
    D3DKMT_HANDLE gone = create_device(a);
    CHECK_OK(destroy_device(gone));
    D3DKMT_HANDLE bad_dev[4] = {0, gone, a, x};
    for (int k = 0; k < 4; k++) CHECK_INV(SimKmtRemoveDevice(bad_dev[k], HUNG));
    CHECK_INV(SimKmtRemoveDevice(0, 1));
    CHECK_EQ(exec_state(d), ACTIVE);
    CHECK_OK(lock2(d, x, NULL));
}

/* "once a device is removed, every call on it returns STATUS_DEVICE_REMOVED
 * except DestroyDevice, DestroyAllocation2, GetDeviceState and
 * SimKmtQueryAllocation (which shows lock count 0), until the device is
 * destroyed." */
static void t_removed_device_sticky(void) {
    fixture f = setup(NULL, 2 * PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE sibling = create_device(f.adapter);
    D3DKMT_HANDLE sx = create_alloc(sibling, PAGE);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    CHECK_OK(SimKmtRemoveDevice(f.device, HUNG));
    for (int round = 0; round < 2; round++) { /* sticky: same answers twice */
        LOCK2_FAILS(f.device, f.alloc, REMOVED);
        CHECK_REMOVED(unlock2(f.device, f.alloc));
        LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, REMOVED);
        LOCK1_FAILS(f.device, f.alloc, LF_IGNORESYNC, 0, NULL, REMOVED);
        CHECK_REMOVED(unlock1(f.device, 1, &f.alloc));
        D3DKMT_HANDLE x = 0;
        CHECK_REMOVED(create_alloc_st(f.device, PAGE, 0, &x));
        CHECK_EQ(x, SENT_H);
        CHECK_REMOVED(create_alloc_st(f.device, 0, 0, &x)); /* even with a bad desc */
        CHECK_EQ(x, SENT_H);
        SIMKMT_ALLOCATION_DESC d;
        D3DDDI_ALLOCATIONINFO i1;
        desc_init(&d, PAGE, 0);
        info1_init(&i1, &d);
        CHECK_REMOVED(create1(f.device, 1, &i1));
        CHECK_EQ(i1.hAllocation, SENT_H);
        UINT64 fence = 0;
        CHECK_REMOVED(submit_st(f.device, 1, &b, &fence));
        CHECK_EQ(fence, SENT_U64);
        CHECK_REMOVED(SimKmtCompleteFence(f.device, 1));
        CHECK_REMOVED(SimKmtRemoveDevice(f.device, 0));
        CHECK_REMOVED(SimKmtRemoveDevice(f.device, HUNG));
        /* the exceptions */
        CHECK_EQ(exec_state(f.device), HUNG);
        SIMKMT_ALLOCATION_INFO q = query(f.device, f.alloc);
        CHECK_EQ(q.LockCount, 0);
        CHECK_EQ(q.SizeInBytes, 2 * PAGE);
        CHECK_EQ(q.PageCount, 2);
    }
    CHECK_OK(destroy_alloc(f.device, b));
    SIMKMT_ALLOCATION_INFO q;
    CHECK_INV(query_st(f.device, b, &q));
    /* the sibling device lives on */
    CHECK_EQ(exec_state(sibling), ACTIVE);
    CHECK_OK(lock2(sibling, sx, NULL));
    CHECK_OK(destroy_device(f.device));
    UINT32 v = 0;
    CHECK_INV(get_state_st(f.device, D3DKMT_DEVICESTATE_EXECUTION, &v));
    CHECK_INV(query_st(f.device, f.alloc, &q));
}

/* "Removal drops every lock on the device's allocations (counts go to 0); the
 * memory stays mapped (a stale pointer reads and writes without crashing)
 * until the allocation is destroyed, but its content is lost: every byte the
 * caller had written reads back as 0xDD (pages never touched may read as
 * zero ...)." */
static void t_removal_drops_locks_and_content(void) {
    fixture f = setup(NULL, 3 * PAGE);
    D3DKMT_HANDLE earlier = create_alloc(f.device, PAGE);
    void *p = NULL, *pe = NULL;
    CHECK_OK(lock2(f.device, earlier, &pe));
    if (pe && pe != SENT_PTR) memset(pe, 0x5A, 300); /* written in an earlier lock cycle */
    CHECK_OK(unlock2(f.device, earlier));
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    UINT two = 2;
    CHECK_OK(lock1(f.device, f.alloc, 0, 1, &two, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 3);
    if (!p || p == SENT_PTR || !pe || pe == SENT_PTR) return;
    volatile unsigned char *b = p;
    for (int k = 0; k < 256; k++) b[k] = (unsigned char)(k ^ 0x5A);
    for (int k = 100; k < 200; k++) b[2 * PAGE + k] = 0x11;
    /* page 1 never touched */
    CHECK_OK(SimKmtRemoveDevice(f.device, D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY));
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_EQ(lock_count(f.device, earlier), 0);
    CHECK_EQ(count_not(b, 256, 0xDD), 0);
    CHECK_EQ(count_not(b + 2 * PAGE + 100, 100, 0xDD), 0);
    CHECK_EQ(count_not((volatile unsigned char *)pe, 300, 0xDD), 0);
    size_t odd = 0;
    for (size_t k = 0; k < PAGE; k++) odd += b[PAGE + k] != 0 && b[PAGE + k] != 0xDD;
    CHECK_EQ(odd, 0);
    /* the stale pointer can still be written and read */
    b[PAGE + 7] = 0x99;
    b[3 * PAGE - 1] = 0x98;
    (void)b[PAGE + 7];
    CHECK_OK(destroy_alloc(f.device, f.alloc));
    CHECK_OK(destroy_device(f.device));
}

/* "The first removal reason stays: removing a removed device again returns
 * STATUS_DEVICE_REMOVED and changes nothing." */
static void t_first_removal_reason_stays(void) {
    reset_default();
    D3DKMT_HANDLE a = open_adapter(0);
    D3DKMT_HANDLE d1 = create_device(a), d2 = create_device(a);
    CHECK_OK(SimKmtRemoveDevice(d1, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT));
    CHECK_REMOVED(SimKmtRemoveDevice(d1, HUNG));
    CHECK_EQ(exec_state(d1), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
    CHECK_OK(SimKmtResetAdapter(a));
    CHECK_EQ(exec_state(d1), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
    CHECK_EQ(exec_state(d2), RESET);
    CHECK_OK(SimKmtRemoveAdapter(a));
    CHECK_EQ(exec_state(d1), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
    CHECK_EQ(exec_state(d2), RESET);
    CHECK_REMOVED(SimKmtRemoveDevice(d2, STOPPED));
    CHECK_EQ(exec_state(d2), RESET);
}

/* "SimKmtResetAdapter (a TDR: every live device of the adapter is removed with
 * reason RESET; new devices can be created afterwards)" */
static void t_reset_adapter(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    D3DKMT_HANDLE a0 = open_adapter(0), a1 = open_adapter(1);
    D3DKMT_HANDLE d1 = create_device(a0), d2 = create_device(a0), d3 = create_device(a1);
    D3DKMT_HANDLE x1 = create_alloc(d1, PAGE), x3 = create_alloc(d3, PAGE);
    CHECK_OK(lock2(d1, x1, NULL));
    CHECK_OK(lock2(d3, x3, NULL));
    CHECK_OK(SimKmtResetAdapter(a0));
    CHECK_EQ(exec_state(d1), RESET);
    CHECK_EQ(exec_state(d2), RESET);
    CHECK_EQ(exec_state(d3), ACTIVE);
    LOCK2_FAILS(d1, x1, REMOVED);
    CHECK_EQ(lock_count(d1, x1), 0);
    CHECK_EQ(lock_count(d3, x3), 1);
    /* new devices work */
    D3DKMT_HANDLE d4 = create_device(a0);
    CHECK_EQ(exec_state(d4), ACTIVE);
    D3DKMT_HANDLE x4 = create_alloc(d4, PAGE);
    CHECK_OK(lock2(d4, x4, NULL));
    CHECK_EQ(adapter_count(), 2); /* the adapter is still enumerated */
    /* bad adapter handles */
    D3DKMT_HANDLE closed = open_adapter(0);
    CHECK_OK(close_adapter(closed));
    CHECK_INV(SimKmtResetAdapter(0));
    CHECK_INV(SimKmtResetAdapter(closed));
    CHECK_INV(SimKmtResetAdapter(d3));
    CHECK_INV(SimKmtResetAdapter(x3));
    CHECK_EQ(exec_state(d4), ACTIVE);
    /* again */
    CHECK_OK(SimKmtResetAdapter(a0));
    CHECK_EQ(exec_state(d4), RESET);
    CHECK_EQ(exec_state(d3), ACTIVE);
    /* destroying removed devices works */
    CHECK_OK(destroy_device(d1));
    CHECK_OK(destroy_device(d2));
    CHECK_OK(destroy_device(d4));
}

/* "SimKmtRemoveAdapter (surprise removal: every device removed with reason
 * STOPPED, the LUID disappears from enumeration, CreateDevice on an open handle
 * to it returns STATUS_DEVICE_REMOVED; SimKmtResetAdapter and
 * SimKmtRemoveAdapter on it return STATUS_DEVICE_REMOVED)" + §3 "unknown or
 * removed LUID: STATUS_INVALID_PARAMETER" */
static void t_remove_adapter(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 3;
    reset_to(&c);
    LUID l[3];
    CHECK_EQ(adapter_luids(l, 3), 3);
    D3DKMT_HANDLE a0 = 0, a1 = 0, a1b = 0;
    CHECK_OK(open_luid(l[0], &a0));
    CHECK_OK(open_luid(l[1], &a1));
    CHECK_OK(open_luid(l[1], &a1b));
    D3DKMT_HANDLE d0 = create_device(a0), d1 = create_device(a1), d1b = create_device(a1b);
    D3DKMT_HANDLE x1 = create_alloc(d1, PAGE);
    CHECK_OK(lock2(d1, x1, NULL));
    CHECK_OK(SimKmtRemoveAdapter(a1));
    CHECK_EQ(exec_state(d1), STOPPED);
    CHECK_EQ(exec_state(d1b), STOPPED);
    CHECK_EQ(exec_state(d0), ACTIVE);
    LOCK2_FAILS(d1, x1, REMOVED);
    CHECK_EQ(lock_count(d1, x1), 0);
    /* enumeration */
    CHECK_EQ(adapter_count(), 2);
    LUID now[3];
    ULONG n = adapter_luids(now, 3);
    CHECK_EQ(n, 2);
    int seen1 = 0, seen0 = 0, seen2 = 0;
    for (ULONG k = 0; k < n && k < 3; k++) {
        seen0 += luid_eq(now[k], l[0]);
        seen1 += luid_eq(now[k], l[1]);
        seen2 += luid_eq(now[k], l[2]);
    }
    CHECK_EQ(seen1, 0);
    CHECK_EQ(seen0, 1);
    CHECK_EQ(seen2, 1);
    D3DKMT_HANDLE h = 0;
    CHECK_INV(open_luid(l[1], &h));
    CHECK_EQ(h, SENT_H);
    /* open handles to the removed adapter */
    D3DKMT_HANDLE d = 0;
    CHECK_REMOVED(create_device_st(a1b, &d));
    CHECK_EQ(d, SENT_H);
    CHECK_REMOVED(create_device_st(a1, &d));
    CHECK_EQ(d, SENT_H);
    CHECK_REMOVED(SimKmtResetAdapter(a1b));
    CHECK_REMOVED(SimKmtRemoveAdapter(a1));
    CHECK_REMOVED(SimKmtRemoveAdapter(a1b));
    CHECK_EQ(exec_state(d1), STOPPED);
    /* the other adapters are unaffected */
    D3DKMT_HANDLE y = create_alloc(d0, PAGE);
    CHECK_OK(lock2(d0, y, NULL));
    D3DKMT_HANDLE a2 = 0;
    CHECK_OK(open_luid(l[2], &a2));
    CHECK_EQ(exec_state(create_device(a2)), ACTIVE);
    /* cleanup on a removed adapter still works */
    CHECK_OK(destroy_alloc(d1, x1));
    CHECK_OK(destroy_device(d1));
    CHECK_OK(destroy_device(d1b));
    CHECK_OK(close_adapter(a1));
    CHECK_OK(close_adapter(a1b));
}

/* ======================================================================== */
/* §8 Busy state and fences; §9 SimKmtSubmit / SimKmtCompleteFence           */
/* ======================================================================== */

/* "Each device has its own fence counter: its first submission gets fence 1,
 * the next 2, and so on, independent of other devices." */
static void t_fences_per_device(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    D3DKMT_HANDLE a0 = open_adapter(0), a1 = open_adapter(1);
    D3DKMT_HANDLE d1 = create_device(a0), d2 = create_device(a0), d3 = create_device(a1);
    D3DKMT_HANDLE x1 = create_alloc(d1, PAGE), x2 = create_alloc(d2, PAGE), x3 = create_alloc(d3, PAGE);
    CHECK_EQ(submit1(d1, x1), 1);
    CHECK_EQ(submit1(d1, x1), 2);
    CHECK_EQ(submit1(d2, x2), 1);
    CHECK_EQ(submit1(d1, x1), 3);
    CHECK_EQ(submit1(d3, x3), 1);
    CHECK_EQ(submit1(d2, x2), 2);
    /* a new device starts at 1 again */
    D3DKMT_HANDLE d4 = create_device(a0);
    CHECK_EQ(submit1(d4, create_alloc(d4, PAGE)), 1);
}

/* "Completing a fence retires all the device's work up to it; a value above
 * the last issued fence completes everything issued so far; 0 does nothing." */
static void t_fence_completion_rules(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE x[4] = {f.alloc, create_alloc(f.device, PAGE), create_alloc(f.device, PAGE),
                          create_alloc_f(f.device, PAGE, SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE)};
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE ox = create_alloc(other, PAGE);
    CHECK_EQ(submit1(f.device, x[0]), 1);
    CHECK_EQ(submit1(f.device, x[1]), 2);
    UINT64 f3 = 0;
    D3DKMT_HANDLE pair[2] = {x[2], x[3]};
    CHECK_OK(submit_st(f.device, 2, pair, &f3));
    CHECK_EQ(f3, 3);
    CHECK_EQ(submit1(other, ox), 1);
    for (int k = 0; k < 4; k++) CHECK_EQ(busy(f.device, x[k]), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 0)); /* nothing */
    for (int k = 0; k < 4; k++) CHECK_EQ(busy(f.device, x[k]), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 1));
    CHECK_EQ(busy(f.device, x[0]), 0);
    CHECK_EQ(busy(f.device, x[1]), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 1)); /* again: fine, nothing new */
    CHECK_EQ(busy(f.device, x[1]), 1);
    CHECK_OK(SimKmtCompleteFence(other, 1000)); /* another device's counter */
    CHECK_EQ(busy(other, ox), 0);
    CHECK_EQ(busy(f.device, x[1]), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 2));
    CHECK_EQ(busy(f.device, x[1]), 0);
    CHECK_EQ(busy(f.device, x[2]), 1);
    CHECK_EQ(busy(f.device, x[3]), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 100)); /* above the last issued */
    for (int k = 0; k < 4; k++) CHECK_EQ(busy(f.device, x[k]), 0);
    CHECK_OK(SimKmtCompleteFence(f.device, UINT64_MAX));
    /* the counter goes on from the last issued fence */
    CHECK_EQ(submit1(f.device, x[0]), 4);
    CHECK_EQ(submit1(f.device, x[0]), 5);
    CHECK_OK(SimKmtCompleteFence(f.device, 4));
    CHECK_EQ(busy(f.device, x[0]), 1); /* still referenced by fence 5 */
    CHECK_OK(SimKmtCompleteFence(f.device, 5));
    CHECK_EQ(busy(f.device, x[0]), 0);
    /* errors */
    D3DKMT_HANDLE gone = create_device(f.adapter);
    CHECK_OK(destroy_device(gone));
    D3DKMT_HANDLE bad[4] = {0, gone, f.adapter, f.alloc};
    for (int k = 0; k < 4; k++) CHECK_INV(SimKmtCompleteFence(bad[k], 1));
    submit1(f.device, x[1]);
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    CHECK_REMOVED(SimKmtCompleteFence(f.device, 6));
}

/* "SimKmtSubmit: NULL, NumAllocations == 0 or a NULL list →
 * INVALID_PARAMETER; bad device → INVALID_PARAMETER; removed device →
 * DEVICE_REMOVED; a handle that is not an allocation of hDevice →
 * INVALID_PARAMETER and nothing is submitted." */
static void t_submit_errors_and_order(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, PAGE);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));
    D3DKMT_HANDLE gone = create_device(f.adapter);
    CHECK_OK(destroy_device(gone));
    UINT64 fence = 0;
    CHECK_INV(SimKmtSubmit(NULL));
    CHECK_INV(submit_st(f.device, 0, &f.alloc, &fence));
    CHECK_EQ(fence, SENT_U64);
    CHECK_INV(submit_st(f.device, 1, NULL, &fence));
    CHECK_EQ(fence, SENT_U64);
    D3DKMT_HANDLE bad_dev[4] = {0, gone, f.adapter, f.alloc};
    for (int k = 0; k < 4; k++) {
        CHECK_INV(submit_st(bad_dev[k], 1, &f.alloc, &fence));
        CHECK_EQ(fence, SENT_U64);
    }
    D3DKMT_HANDLE lists[5][2] = {{f.alloc, foreign}, {f.alloc, stale}, {f.alloc, 0}, {b, f.device}, {b, f.adapter}};
    for (int k = 0; k < 5; k++) {
        CHECK_INV(submit_st(f.device, 2, lists[k], &fence));
        CHECK_EQ(fence, SENT_U64);
    }
    /* nothing was submitted: not busy, and the counter was not consumed */
    CHECK_EQ(busy(f.device, f.alloc), 0);
    CHECK_EQ(busy(f.device, b), 0);
    CHECK_EQ(busy(other, foreign), 0);
    CHECK_EQ(submit1(f.device, b), 1);
    /* order: count / list before bad device and before removed device */
    CHECK_INV(submit_st(0, 0, &f.alloc, &fence));
    CHECK_INV(submit_st(0, 1, NULL, &fence));
    CHECK_OK(SimKmtRemoveDevice(f.device, 0));
    CHECK_INV(submit_st(f.device, 0, &f.alloc, &fence));
    CHECK_INV(submit_st(f.device, 1, NULL, &fence));
    CHECK_REMOVED(submit_st(f.device, 2, lists[0], &fence)); /* removed before foreign */
    CHECK_REMOVED(submit_st(f.device, 1, &f.alloc, &fence));
    CHECK_EQ(fence, SENT_U64);
    CHECK_OK(destroy_device(f.device));
    CHECK_INV(submit_st(f.device, 1, &f.alloc, &fence)); /* bad device before removed */
}
/* ======================================================================== */
/* §9 SimKmtReset                                                            */
/* ======================================================================== */

/* "SimKmtReset validates first and keeps the old simulator on failure:
 * Size < 40, AdapterCount > 16, a PageSize that is not 0 or a power of two >=
 * 4096, or BusyPolicy > 2 → STATUS_INVALID_PARAMETER." */
static void t_reset_validation_keeps_old(void) {
    SIMKMT_CONFIG good = cfg();
    good.AdapterCount = 2;
    good.MaxLockReferences = 2;
    good.AdapterMemoryBytes = 4 * PAGE;
    fixture f = setup(&good, PAGE);
    void *base = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    SIMKMT_CONFIG bad[12];
    for (int k = 0; k < 12; k++) bad[k] = cfg();
    bad[0].Size = 0;
    bad[1].Size = 39;
    bad[2].Size = 24;
    bad[3].AdapterCount = 17;
    bad[4].AdapterCount = 0xFFFFFFFFu;
    bad[5].PageSize = 2048;
    bad[6].PageSize = 4097;
    bad[7].PageSize = 3 * 4096;
    bad[8].PageSize = 1;
    bad[9].PageSize = 0xFFFFFFFFu;
    bad[10].BusyPolicy = 3;
    bad[11].BusyPolicy = 0xFFFFFFFFu;
    for (int k = 0; k < 12; k++) CHECK_INV(SimKmtReset(&bad[k]));
    /* the old simulator, its objects and its configuration are intact */
    CHECK_EQ(adapter_count(), 2);
    CHECK_EQ(exec_state(f.device), ACTIVE);
    void *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_PTR(p, base);
    LOCK2_FAILS(f.device, f.alloc, TOO_MANY); /* MaxLockReferences 2 */
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(f.device, 3 * PAGE, 0, &x));
    CHECK_ST(create_alloc_st(f.device, 1, 0, &x), NO_VIDMEM); /* budget 4 pages */
    CHECK_EQ(query(f.device, f.alloc).LockCount, 2);
    /* valid edge values are accepted */
    SIMKMT_CONFIG ok = cfg();
    ok.AdapterCount = 16;
    ok.PageSize = 1u << 20;
    ok.BusyPolicy = SIMKMT_BUSY_IGNORE;
    CHECK_OK(SimKmtReset(&ok));
    CHECK_EQ(adapter_count(), 16);
}

/* "NULL → built-in defaults; destroys every object" and the 0 → default
 * fields (one adapter, 4096-byte pages, FAIL policy). */
static void t_reset_defaults(void) {
    for (int pass = 0; pass < 2; pass++) {
        SIMKMT_CONFIG c = cfg();
        c.Seed = 12345;
        reset_to(pass ? &c : NULL);
        CHECK_EQ(adapter_count(), 1);
        D3DKMT_HANDLE dev = create_device(open_adapter(0));
        D3DKMT_HANDLE x = create_alloc(dev, 1);
        CHECK_EQ(query(dev, x).SizeInBytes, PAGE);
        submit1(dev, x);
        double t0 = now_ms();
        LOCK2_FAILS(dev, x, BUSY); /* FAIL policy: immediately */
        CHECK(now_ms() - t0 < 500);
    }
}

/* "Size; sizeof(SIMKMT_CONFIG); smaller → INVALID_PARAMETER": a larger Size
 * (a newer caller's struct) is accepted. */
static void t_reset_larger_size_ok(void) {
    struct {
        SIMKMT_CONFIG c;
        UINT64 extra[2];
    } big;
    memset(&big, 0, sizeof big);
    big.c.Size = sizeof big;
    big.c.AdapterCount = 3;
    CHECK_OK(SimKmtReset(&big.c));
    CHECK_EQ(adapter_count(), 3);
}

/* "destroys every object" of the old simulator: its budget is all free. */
static void t_reset_destroys_everything(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 2 * PAGE;
    fixture f = setup(&c, 2 * PAGE);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    submit1(f.device, f.alloc);
    reset_to(&c);
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(dev, 2 * PAGE, 0, &x));
    CHECK_EQ(exec_state(dev), ACTIVE);
    CHECK_EQ(submit1(dev, x), 1);
}

/* ======================================================================== */
/* §9 SimKmtQueryAllocation                                                  */
/* ======================================================================== */

static void t_query_allocation(void) {
    fixture f = setup(NULL, 3 * PAGE - 5);
    D3DKMT_HANDLE other = create_device(f.adapter);
    D3DKMT_HANDLE foreign = create_alloc(other, PAGE);
    D3DKMT_HANDLE stale = create_alloc(f.device, PAGE);
    CHECK_OK(destroy_alloc(f.device, stale));
    CHECK_INV(SimKmtQueryAllocation(f.device, f.alloc, NULL));
    SIMKMT_ALLOCATION_INFO q;
    D3DKMT_HANDLE bad_dev[3] = {0, f.adapter, f.alloc};
    for (int k = 0; k < 3; k++) {
        CHECK_INV(query_st(bad_dev[k], f.alloc, &q));
        CHECK(all_bytes(&q, sizeof q, SENT_BYTE));
    }
    D3DKMT_HANDLE bad_alloc[5] = {0, stale, foreign, f.device, f.adapter};
    for (int k = 0; k < 5; k++) {
        CHECK_INV(query_st(f.device, bad_alloc[k], &q));
        CHECK(all_bytes(&q, sizeof q, SENT_BYTE));
    }
    q = query(f.device, f.alloc);
    CHECK_EQ(q.SizeInBytes, 3 * PAGE);
    CHECK_EQ(q.PageCount, 3);
    CHECK_EQ(q.LockCount, 0);
    CHECK_EQ(q.Busy, 0);
    CHECK_EQ(q.Flags, 0);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    UINT64 fence = submit1(f.device, f.alloc);
    q = query(f.device, f.alloc);
    CHECK_EQ(q.LockCount, 2);
    CHECK_EQ(q.Busy, 1);
    CHECK_OK(SimKmtCompleteFence(f.device, fence));
    CHECK_EQ(busy(f.device, f.alloc), 0);
}

/* ======================================================================== */
/* §9 SimKmtInjectFault                                                      */
/* ======================================================================== */

/* "SimKmtInjectFault: NULL, an unknown Call or Action, Reserved != 0, or
 * RETURN_STATUS with a success status (>= 0) → STATUS_INVALID_PARAMETER;
 * _REMOVE_DEVICE needs a call that names a device (not OPENADAPTER or
 * CREATEDEVICE), _RESET_ADAPTER one that names a device or an adapter (not
 * OPENADAPTER), else STATUS_INVALID_PARAMETER." */
static void t_fault_validation(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(SimKmtInjectFault(NULL));
    CHECK_INV(inject(0, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_INV(inject(SIMKMT_CALL_ENUMADAPTERS + 1, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_INV(inject(0xFFFFFFFFu, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_INV(inject(SIMKMT_CALL_LOCK2, 1, 1, 3, FAULT_A));
    CHECK_INV(inject(SIMKMT_CALL_LOCK2, 1, 1, 0xFFFFFFFFu, FAULT_A));
    SIMKMT_FAULT r;
    memset(&r, 0, sizeof r);
    r.Call = SIMKMT_CALL_LOCK2;
    r.Action = SIMKMT_FAULT_RETURN_STATUS;
    r.Status = FAULT_A;
    r.Reserved = 1;
    CHECK_INV(SimKmtInjectFault(&r));
    CHECK_INV(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, STATUS_SUCCESS));
    CHECK_INV(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, (NTSTATUS)0x103));
    CHECK_INV(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, (NTSTATUS)0x7FFFFFFF));
    CHECK_INV(inject(SIMKMT_CALL_OPENADAPTER, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_INV(inject(SIMKMT_CALL_CREATEDEVICE, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_INV(inject(SIMKMT_CALL_OPENADAPTER, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    /* none of the rejected faults was armed */
    void *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    CHECK_OK(unlock2(f.device, f.alloc));
    LUID l;
    CHECK_EQ(adapter_luids(&l, 1), 1);
    D3DKMT_HANDLE h = 0;
    CHECK_OK(open_luid(l, &h));
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_EQ(exec_state(create_device(f.adapter)), ACTIVE);
    /* every valid combination is accepted (each on a fresh simulator) */
    for (UINT32 call = 1; call <= 10; call++) {
        reset_default();
        CHECK_OK(inject(call, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
        CHECK_OK(inject(call, 0, 0, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
        if (call != SIMKMT_CALL_OPENADAPTER && call != SIMKMT_CALL_CREATEDEVICE)
            CHECK_OK(inject(call, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
        if (call != SIMKMT_CALL_OPENADAPTER) CHECK_OK(inject(call, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    }
}

/* "Nth: fire on the Nth matching call from now; 0 → 1. Count: consecutive
 * calls it fires on; 0 → 1." + "A call on which a RETURN_STATUS fault fires
 * returns that status and changes nothing." */
static void t_fault_nth_count(void) {
    fixture f = setup(NULL, PAGE);
    /* calls before the injection do not count */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 3, 2, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 6);
    /* Nth 0 → 1, Count 0 → 1 */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 0, 0, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    LOCK2_FAILS(f.device, f.alloc, FAULT_B);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 7);
    /* Nth 1, Count 3 */
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 3, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    for (int k = 0; k < 3; k++) CHECK_ST(unlock2(f.device, f.alloc), FAULT_A);
    CHECK_EQ(lock_count(f.device, f.alloc), 7);
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 6);
}

/* "A fault counts the matching calls whose argument pointer is non-NULL,
 * before any other check (a call with bad handles still counts)." */
static void t_fault_counting_rules(void) {
    fixture f = setup(NULL, PAGE);
    /* NULL-pointer calls are not counted */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_INV(D3DKMTLock2(NULL));
    CHECK_INV(D3DKMTLock2(NULL));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    /* bad-handle calls are counted ... */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 2, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    LOCK2_FAILS(0, f.alloc, INV);
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    /* ... and the fault fires before any other check */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    LOCK2_FAILS(0, 0, FAULT_B);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    LOCK2_FAILS_FL(f.device, f.alloc, 1, FAULT_B); /* even before the Flags check */
    /* only the matching entry point counts */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_OK(unlock1(f.device, 1, &f.alloc));
    CHECK_EQ(exec_state(f.device), ACTIVE);
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_OK(inject(SIMKMT_CALL_LOCK, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, FAULT_A);
    /* NULL-pointer calls of other entry points are not counted either */
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    CHECK_INV(D3DKMTUnlock(NULL));
    CHECK_ST(unlock1(f.device, 1, &f.alloc), FAULT_B);
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    CHECK_INV(D3DKMTGetDeviceState(NULL));
    UINT32 v = 0;
    CHECK_ST(get_state_st(0, 42, &v), FAULT_B); /* bad everything: counted, fires */
    CHECK_EQ(v, SENT_U32);
}

/* "A call on which a RETURN_STATUS fault fires returns that status and
 * changes nothing." — one check per call kind. */
static void t_fault_return_status_changes_nothing(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 4 * PAGE;
    fixture f = setup(&c, PAGE);
    LUID l;
    CHECK_EQ(adapter_luids(&l, 1), 1);
    /* LOCK2 */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* UNLOCK2 */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_ST(unlock2(f.device, f.alloc), FAULT_A);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    /* LOCK */
    CHECK_OK(inject(SIMKMT_CALL_LOCK, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, FAULT_A);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    /* UNLOCK */
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_ST(unlock1(f.device, 1, &f.alloc), FAULT_A);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    /* CREATEALLOCATION (CreateAllocation2 and CreateAllocation) */
    CHECK_OK(inject(SIMKMT_CALL_CREATEALLOCATION, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    SIMKMT_ALLOCATION_DESC d[2];
    D3DDDI_ALLOCATIONINFO2 i2[2];
    for (int k = 0; k < 2; k++) {
        desc_init(&d[k], PAGE, 0);
        info2_init(&i2[k], &d[k]);
    }
    CHECK_ST(create2(f.device, 2, i2), FAULT_A);
    CHECK_EQ(i2[0].hAllocation, SENT_H);
    CHECK_EQ(i2[1].hAllocation, SENT_H);
    CHECK_OK(inject(SIMKMT_CALL_CREATEALLOCATION, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    D3DDDI_ALLOCATIONINFO i1;
    info1_init(&i1, &d[0]);
    CHECK_ST(create1(f.device, 1, &i1), FAULT_B);
    CHECK_EQ(i1.hAllocation, SENT_H);
    D3DKMT_HANDLE x = 0;
    CHECK_OK(create_alloc_st(f.device, 3 * PAGE, 0, &x)); /* budget untouched */
    /* DESTROYALLOCATION */
    CHECK_OK(inject(SIMKMT_CALL_DESTROYALLOCATION, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_ST(destroy_alloc(f.device, x), FAULT_A);
    CHECK_EQ(query(f.device, x).PageCount, 3);
    /* GETDEVICESTATE */
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    UINT32 v = 0;
    CHECK_ST(get_state_st(f.device, D3DKMT_DEVICESTATE_EXECUTION, &v), FAULT_A);
    CHECK_EQ(v, SENT_U32);
    /* OPENADAPTER */
    CHECK_OK(inject(SIMKMT_CALL_OPENADAPTER, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    D3DKMT_HANDLE h = 0;
    CHECK_ST(open_luid(l, &h), FAULT_A);
    CHECK_EQ(h, SENT_H);
    /* CREATEDEVICE */
    CHECK_OK(inject(SIMKMT_CALL_CREATEDEVICE, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    D3DKMT_HANDLE dv = 0;
    CHECK_ST(create_device_st(f.adapter, &dv), FAULT_A);
    CHECK_EQ(dv, SENT_H);
    /* DESTROYDEVICE */
    CHECK_OK(inject(SIMKMT_CALL_DESTROYDEVICE, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_ST(destroy_device(f.device), FAULT_A);
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(destroy_device(f.device));
}

/* "_REMOVE_DEVICE removes the call's device with reason HUNG (3) ...; then the
 * call proceeds and sees the removal (if its handle was bad, nothing is
 * removed and the call fails as usual)." */
static void t_fault_remove_device(void) {
    fixture f = setup(NULL, PAGE);
    /* LOCK2 */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    LOCK2_FAILS(f.device, f.alloc, REMOVED);
    CHECK_EQ(exec_state(f.device), HUNG);
    /* bad device handle: nothing removed, usual failure */
    f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    LOCK2_FAILS(0, f.alloc, INV);
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_OK(lock2(f.device, f.alloc, NULL)); /* the fault has fired */
    /* good device, bad allocation: removed, and rule 3 beats rule 4 */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    LOCK2_FAILS(f.device, 0, REMOVED);
    CHECK_EQ(exec_state(f.device), HUNG);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* UNLOCK2 */
    f = setup(NULL, PAGE);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_REMOVED(unlock2(f.device, f.alloc));
    CHECK_EQ(exec_state(f.device), HUNG);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* LOCK, UNLOCK */
    f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, REMOVED);
    CHECK_EQ(exec_state(f.device), HUNG);
    f = setup(NULL, PAGE);
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, NULL, NULL));
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_REMOVED(unlock1(f.device, 1, &f.alloc));
    CHECK_EQ(exec_state(f.device), HUNG);
    /* CREATEALLOCATION */
    f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_CREATEALLOCATION, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    D3DKMT_HANDLE x = 0;
    CHECK_REMOVED(create_alloc_st(f.device, PAGE, 0, &x));
    CHECK_EQ(x, SENT_H);
    CHECK_EQ(exec_state(f.device), HUNG);
    /* DESTROYALLOCATION proceeds: it works on a removed device */
    f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_DESTROYALLOCATION, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_OK(destroy_alloc(f.device, f.alloc));
    CHECK_EQ(exec_state(f.device), HUNG);
    SIMKMT_ALLOCATION_INFO q;
    CHECK_INV(query_st(f.device, f.alloc, &q));
    /* GETDEVICESTATE proceeds and reports the removal */
    f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_EQ(exec_state(f.device), HUNG);
    /* DESTROYDEVICE proceeds */
    f = setup(NULL, PAGE);
    D3DKMT_HANDLE sibling = create_device(f.adapter);
    CHECK_OK(inject(SIMKMT_CALL_DESTROYDEVICE, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_OK(destroy_device(f.device));
    CHECK_EQ(exec_state(sibling), ACTIVE);
    /* the first removal reason stays */
    f = setup(NULL, PAGE);
    CHECK_OK(SimKmtRemoveDevice(f.device, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT));
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_EQ(exec_state(f.device), D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
}

/* "_RESET_ADAPTER resets the call's adapter (as SimKmtResetAdapter); then the
 * call proceeds and sees the removal" */
static void t_fault_reset_adapter(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    fixture f = setup(&c, PAGE);
    D3DKMT_HANDLE sibling = create_device(f.adapter);
    D3DKMT_HANDLE elsewhere = create_device(open_adapter(1));
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    LOCK2_FAILS(f.device, f.alloc, REMOVED);
    CHECK_EQ(exec_state(f.device), RESET);
    CHECK_EQ(exec_state(sibling), RESET);
    CHECK_EQ(exec_state(elsewhere), ACTIVE);
    /* CREATEDEVICE names an adapter: reset, then the new device is created */
    f = setup(&c, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_CREATEDEVICE, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    D3DKMT_HANDLE d = 0;
    CHECK_OK(create_device_st(f.adapter, &d));
    CHECK(d != SENT_H && d != 0);
    CHECK_EQ(exec_state(d), ACTIVE);
    CHECK_EQ(exec_state(f.device), RESET);
    /* with a bad adapter handle nothing is reset */
    f = setup(&c, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_CREATEDEVICE, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    CHECK_INV(create_device_st(0, &d));
    CHECK_EQ(exec_state(f.device), ACTIVE);
    /* a call naming a device: bad device handle → nothing reset */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    LOCK2_FAILS(0, f.alloc, INV);
    CHECK_EQ(exec_state(f.device), ACTIVE);
    /* good device, bad allocation → reset, then rule 3 decides */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    LOCK2_FAILS(f.device, 0, REMOVED);
    CHECK_EQ(exec_state(f.device), RESET);
    /* GETDEVICESTATE sees the reset */
    f = setup(&c, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    CHECK_EQ(exec_state(f.device), RESET);
}

/* "Several faults may be armed at once" */
static void t_fault_several_armed(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 2, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 4, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    CHECK_OK(inject(SIMKMT_CALL_GETDEVICESTATE, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
    CHECK_OK(lock2(f.device, f.alloc, NULL));   /* LOCK2 #1 */
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);     /* LOCK2 #2 */
    CHECK_ST(unlock2(f.device, f.alloc), FAULT_B); /* UNLOCK2 #1 */
    CHECK_OK(lock2(f.device, f.alloc, NULL));   /* LOCK2 #3 */
    LOCK2_FAILS(f.device, f.alloc, FAULT_B);     /* LOCK2 #4 */
    CHECK_OK(lock2(f.device, f.alloc, NULL));   /* LOCK2 #5 */
    CHECK_OK(unlock2(f.device, f.alloc));
    CHECK_EQ(lock_count(f.device, f.alloc), 2);
    CHECK_EQ(exec_state(f.device), HUNG); /* GETDEVICESTATE #1 */
}

/* "they belong to the simulator instance and are cleared by SimKmtReset" (and
 * a failed SimKmtReset keeps the old simulator, faults included). */
static void t_fault_cleared_by_reset(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    SIMKMT_CONFIG bad = cfg();
    bad.BusyPolicy = 9;
    CHECK_INV(SimKmtReset(&bad));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(inject(SIMKMT_CALL_CREATEDEVICE, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(inject(SIMKMT_CALL_OPENADAPTER, 1, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    f = setup(NULL, PAGE); /* SimKmtReset(NULL), open, create, ... all succeed */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
}

/* §3 "A NULL argument pointer returns STATUS_INVALID_PARAMETER." (all at once) */
static void t_null_arguments_everywhere(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_INV(D3DKMTEnumAdapters2(NULL));
    CHECK_INV(D3DKMTOpenAdapterFromLuid(NULL));
    CHECK_INV(D3DKMTCloseAdapter(NULL));
    CHECK_INV(D3DKMTCreateDevice(NULL));
    CHECK_INV(D3DKMTDestroyDevice(NULL));
    CHECK_INV(D3DKMTCreateAllocation2(NULL));
    CHECK_INV(D3DKMTCreateAllocation(NULL));
    CHECK_INV(D3DKMTDestroyAllocation2(NULL));
    CHECK_INV(D3DKMTLock2(NULL));
    CHECK_INV(D3DKMTUnlock2(NULL));
    CHECK_INV(D3DKMTLock(NULL));
    CHECK_INV(D3DKMTUnlock(NULL));
    CHECK_INV(D3DKMTGetDeviceState(NULL));
    CHECK_INV(SimKmtSubmit(NULL));
    CHECK_INV(SimKmtQueryAllocation(f.device, f.alloc, NULL));
    CHECK_INV(SimKmtInjectFault(NULL));
    /* nothing happened */
    CHECK_EQ(exec_state(f.device), ACTIVE);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    CHECK_OK(close_adapter(f.adapter));
}

/* ======================================================================== */
/* §1 Thread safety                                                          */
/* ======================================================================== */

typedef struct {
    D3DKMT_HANDLE dev, alloc;
    void *base;
    size_t offset;
    unsigned iterations;
    unsigned errors;
    pthread_t thread;
} hammer;

static void *hammer_main(void *arg) {
    hammer *h = arg;
    for (unsigned i = 0; i < h->iterations; i++) {
        D3DKMT_LOCK2 l;
        memset(&l, 0, sizeof l);
        l.hDevice = h->dev;
        l.hAllocation = h->alloc;
        if (D3DKMTLock2(&l) != STATUS_SUCCESS) {
            h->errors++;
            continue;
        }
        if (l.pData != h->base) {
            h->errors++;
        } else {
            volatile uint32_t *w = (volatile uint32_t *)((unsigned char *)l.pData + h->offset);
            if (*w != i) h->errors++;
            *w = i + 1;
        }
        D3DKMT_UNLOCK2 u = {h->dev, h->alloc};
        if (D3DKMTUnlock2(&u) != STATUS_SUCCESS) h->errors++;
    }
    return NULL;
}

static void run_hammers(hammer *h, int n) {
    for (int k = 0; k < n; k++) {
        int rc = pthread_create(&h[k].thread, NULL, hammer_main, &h[k]);
        CHECK(rc == 0);
    }
    for (int k = 0; k < n; k++) pthread_join(h[k].thread, NULL);
}

#define HAMMER_ITERATIONS 200000u

/* "Every entry point is thread-safe": two threads, distinct allocations. */
static void t_threads_distinct_allocations(void) {
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE y = create_alloc(f.device, PAGE);
    hammer h[2];
    memset(h, 0, sizeof h);
    D3DKMT_HANDLE allocs[2] = {f.alloc, y};
    for (int k = 0; k < 2; k++) {
        void *p = NULL;
        CHECK_OK(lock2(f.device, allocs[k], &p));
        if (p && p != SENT_PTR) {
            memset(p, 0x6B, PAGE);
            memset(p, 0, 4);
        }
        CHECK_OK(unlock2(f.device, allocs[k]));
        h[k].dev = f.device;
        h[k].alloc = allocs[k];
        h[k].base = p;
        h[k].offset = 0;
        h[k].iterations = HAMMER_ITERATIONS;
    }
    run_hammers(h, 2);
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(h[k].errors, 0);
        CHECK_EQ(lock_count(f.device, allocs[k]), 0);
        void *p = NULL;
        CHECK_OK(lock2(f.device, allocs[k], &p));
        if (p == h[k].base && p) {
            uint32_t last;
            memcpy(&last, p, 4);
            CHECK_EQ(last, HAMMER_ITERATIONS);
            CHECK(all_bytes((unsigned char *)p + 4, PAGE - 4, 0x6B));
        }
        CHECK_OK(unlock2(f.device, allocs[k]));
    }
}

/* Two threads on the same allocation: same pointer, count back to 0. */
static void t_threads_same_allocation(void) {
    fixture f = setup(NULL, PAGE);
    void *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &p));
    if (p && p != SENT_PTR) {
        memset(p, 0x3D, PAGE);
        memset(p, 0, 4);
        memset((unsigned char *)p + 64, 0, 4);
    }
    CHECK_OK(unlock2(f.device, f.alloc));
    hammer h[2];
    memset(h, 0, sizeof h);
    for (int k = 0; k < 2; k++) {
        h[k].dev = f.device;
        h[k].alloc = f.alloc;
        h[k].base = p;
        h[k].offset = (size_t)k * 64;
        h[k].iterations = HAMMER_ITERATIONS;
    }
    run_hammers(h, 2);
    CHECK_EQ(h[0].errors, 0);
    CHECK_EQ(h[1].errors, 0);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    void *q = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &q));
    CHECK_PTR(q, p);
    if (q == p && p) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, (unsigned char *)p + 64, 4);
        CHECK_EQ(a, HAMMER_ITERATIONS);
        CHECK_EQ(b, HAMMER_ITERATIONS);
        CHECK(all_bytes((unsigned char *)p + 4, 60, 0x3D));
        CHECK(all_bytes((unsigned char *)p + 68, PAGE - 68, 0x3D));
    }
    CHECK_OK(unlock2(f.device, f.alloc));
}

/* ======================================================================== */
/* Additional edge cases                                                     */
/* ======================================================================== */

/* §4 budget with huge sizes: docs/contract.md's only desc errors are "NULL, too short,
 * of another version, with unknown flags or size 0", so any other size that
 * does not fit is "creating past it" → STATUS_GRAPHICS_NO_VIDEO_MEMORY, also
 * when page rounding or the sum over several descs overflows 64 bits. */
static void t_create_allocation_size_overflow(void) {
    reset_default();
    D3DKMT_HANDLE dev = create_device(open_adapter(0));
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(dev, (1ull << 63) - PAGE, 0, &x), NO_VIDMEM);
    CHECK_EQ(x, SENT_H);
    CHECK_ST(create_alloc_st(dev, 1ull << 63, 0, &x), NO_VIDMEM);
    CHECK_EQ(x, SENT_H);
    CHECK_ST(create_alloc_st(dev, UINT64_MAX - PAGE + 2, 0, &x), NO_VIDMEM); /* rounding overflows */
    CHECK_EQ(x, SENT_H);
    D3DDDI_ALLOCATIONINFO i1;
    SIMKMT_ALLOCATION_DESC d1;
    desc_init(&d1, UINT64_MAX, 0);
    info1_init(&i1, &d1);
    CHECK_ST(create1(dev, 1, &i1), NO_VIDMEM);
    CHECK_EQ(i1.hAllocation, SENT_H);
    /* each size < 2^63, but the page total is exactly 2^64 (wraps to 0) */
    SIMKMT_ALLOCATION_DESC d[3];
    D3DDDI_ALLOCATIONINFO2 i[3];
    desc_init(&d[0], (1ull << 63) - PAGE, 0);
    desc_init(&d[1], (1ull << 63) - PAGE, 0);
    desc_init(&d[2], 2 * PAGE, 0);
    for (int k = 0; k < 3; k++) info2_init(&i[k], &d[k]);
    CHECK_ST(create2(dev, 3, i), NO_VIDMEM);
    for (int k = 0; k < 3; k++) CHECK_EQ(i[k].hAllocation, SENT_H);
    /* the budget is intact */
    CHECK_OK(create_alloc_st(dev, GiB(4), 0, &x));
}

/* §7 content loss ("every byte the caller had written reads back as 0xDD")
 * and lock drop, for every way in: SimKmtRemoveDevice, SimKmtResetAdapter,
 * SimKmtRemoveAdapter, and the two fault actions. */
static void t_removal_content_all_ways(void) {
    for (int way = 0; way < 5; way++) {
        fixture f = setup(NULL, 2 * PAGE);
        void *p = NULL;
        CHECK_OK(lock2(f.device, f.alloc, &p));
        if (!p || p == SENT_PTR) continue;
        memset(p, 0x5A, 128);
        memset((unsigned char *)p + PAGE + 17, 0xA7, 64);
        switch (way) {
        case 0: CHECK_OK(SimKmtRemoveDevice(f.device, HUNG)); break;
        case 1: CHECK_OK(SimKmtResetAdapter(f.adapter)); break;
        case 2: CHECK_OK(SimKmtRemoveAdapter(f.adapter)); break;
        case 3:
            CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 1, SIMKMT_FAULT_REMOVE_DEVICE, 0));
            CHECK_REMOVED(unlock2(f.device, f.alloc));
            break;
        default:
            CHECK_OK(inject(SIMKMT_CALL_UNLOCK2, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
            CHECK_REMOVED(unlock2(f.device, f.alloc));
            break;
        }
        CHECK_EQ(lock_count(f.device, f.alloc), 0);
        CHECK_EQ(count_not((volatile unsigned char *)p, 128, 0xDD), 0);
        CHECK_EQ(count_not((volatile unsigned char *)p + PAGE + 17, 64, 0xDD), 0);
        CHECK_EQ(exec_state(f.device), way == 0 || way == 3 ? HUNG : way == 2 ? STOPPED : RESET);
    }
}

/* §6 rule 6: "NumPages == 0 or LockEntire locks the whole allocation and pData
 * is its base; otherwise pPages must be ..." — the list is not consulted. */
static void t_lock_pages_whole_ignores_list(void) {
    fixture f = setup(NULL, 2 * PAGE);
    void *base = NULL, *p = NULL;
    CHECK_OK(lock2(f.device, f.alloc, &base));
    UINT one = 1, huge = 99;
    CHECK_OK(lock1(f.device, f.alloc, 0, 0, &one, &p)); /* NumPages 0, list present */
    CHECK_PTR(p, base);
    CHECK_OK(lock1(f.device, f.alloc, LF_LOCKENTIRE, 1, &huge, &p)); /* LockEntire, bad index */
    CHECK_PTR(p, base);
    CHECK_EQ(lock_count(f.device, f.alloc), 3);
}

/* §7 surprise removal of every adapter: enumeration is empty, not an error. */
static void t_remove_all_adapters(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterCount = 2;
    reset_to(&c);
    D3DKMT_HANDLE a0 = open_adapter(0), a1 = open_adapter(1);
    D3DKMT_HANDLE closed = open_adapter(0);
    CHECK_OK(close_adapter(closed));
    CHECK_INV(SimKmtRemoveAdapter(closed));
    CHECK_OK(SimKmtRemoveAdapter(a0));
    CHECK_OK(SimKmtRemoveAdapter(a1));
    CHECK_EQ(adapter_count(), 0);
    D3DKMT_ADAPTERINFO info[2];
    memset(info, SENT_BYTE, sizeof info);
    ULONG n = 5;
    CHECK_OK(enum_adapters(info, 0, &n));
    CHECK_EQ(n, 0);
    CHECK_OK(enum_adapters(info, 2, &n));
    CHECK_EQ(n, 0);
    D3DKMT_HANDLE d = 0;
    CHECK_REMOVED(create_device_st(a0, &d));
    CHECK_REMOVED(create_device_st(a1, &d));
    CHECK_EQ(d, SENT_H);
    CHECK_OK(close_adapter(a0));
    CHECK_OK(close_adapter(a1));
    /* a reset brings the adapters back */
    reset_to(&c);
    CHECK_EQ(adapter_count(), 2);
}

/* §9 Count: "consecutive calls it fires on" — NULL-pointer calls are not
 * matching calls, so they neither consume nor interrupt the count. */
static void t_fault_count_skips_null_calls(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 1, 2, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_INV(D3DKMTLock2(NULL));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A);
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 1);
    /* DESTROYDEVICE with RESET_ADAPTER: the adapter is reset, then the device
     * is destroyed (DestroyDevice works on a removed device). */
    D3DKMT_HANDLE sibling = create_device(f.adapter);
    CHECK_OK(inject(SIMKMT_CALL_DESTROYDEVICE, 1, 1, SIMKMT_FAULT_RESET_ADAPTER, 0));
    CHECK_OK(destroy_device(f.device));
    CHECK_EQ(exec_state(sibling), RESET);
}

/* §5 rule 7 under contention: with MaxLockReferences 1, two threads never
 * hold the allocation at the same time. */
typedef struct {
    D3DKMT_HANDLE dev, alloc;
    atomic_int *holders;
    unsigned iterations, errors, successes;
    pthread_t thread;
} limit_racer;

static void *limit_racer_main(void *arg) {
    limit_racer *r = arg;
    for (unsigned i = 0; i < r->iterations; i++) {
        D3DKMT_LOCK2 l;
        memset(&l, 0, sizeof l);
        l.hDevice = r->dev;
        l.hAllocation = r->alloc;
        NTSTATUS st = D3DKMTLock2(&l);
        if (st == STATUS_GRAPHICS_TOO_MANY_REFERENCES) continue;
        if (st != STATUS_SUCCESS) {
            r->errors++;
            continue;
        }
        r->successes++;
        if (atomic_fetch_add(r->holders, 1) != 0) r->errors++;
        atomic_fetch_sub(r->holders, 1);
        D3DKMT_UNLOCK2 u = {r->dev, r->alloc};
        if (D3DKMTUnlock2(&u) != STATUS_SUCCESS) r->errors++;
    }
    return NULL;
}

static void t_threads_limit_race(void) {
    SIMKMT_CONFIG c = cfg();
    c.MaxLockReferences = 1;
    fixture f = setup(&c, PAGE);
    atomic_int holders = 0;
    limit_racer r[2];
    memset(r, 0, sizeof r);
    for (int k = 0; k < 2; k++) {
        r[k].dev = f.device;
        r[k].alloc = f.alloc;
        r[k].holders = &holders;
        r[k].iterations = 100000;
        CHECK(pthread_create(&r[k].thread, NULL, limit_racer_main, &r[k]) == 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(r[k].thread, NULL);
    CHECK_EQ(r[0].errors, 0);
    CHECK_EQ(r[1].errors, 0);
    /* Which thread wins how often is up to the scheduler (one may even run
     * to completion before the other starts); that some lock succeeded and
     * none ever overlapped is the rule. */
    CHECK(r[0].successes + r[1].successes > 0);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
}

/* §7 under contention: once SimKmtRemoveDevice has returned, no Lock2 on the
 * device succeeds, and the lock count shows 0. */
typedef struct {
    D3DKMT_HANDLE dev, alloc;
    atomic_int *removed;
    unsigned late_successes, other_errors, calls, late_calls;
    pthread_t thread;
} removal_racer;

static void *removal_racer_main(void *arg) {
    removal_racer *r = arg;
    /* Ends 1000 calls after the removal; the time bound only stops a hang
     * (it is generous because under valgrind the main thread may wait
     * seconds for its turn). */
    double t0 = now_ms();
    while (now_ms() - t0 < 60000) {
        int was_removed = atomic_load(r->removed);
        D3DKMT_LOCK2 l;
        memset(&l, 0, sizeof l);
        l.hDevice = r->dev;
        l.hAllocation = r->alloc;
        NTSTATUS st = D3DKMTLock2(&l);
        r->calls++;
        if (st == STATUS_SUCCESS) {
            if (was_removed) r->late_successes++;
            D3DKMT_UNLOCK2 u = {r->dev, r->alloc};
            NTSTATUS su = D3DKMTUnlock2(&u);
            if (su != STATUS_SUCCESS && su != STATUS_DEVICE_REMOVED) r->other_errors++;
        } else if (st != STATUS_DEVICE_REMOVED) {
            r->other_errors++;
        }
        if (was_removed && ++r->late_calls >= 1000) break;
    }
    return NULL;
}

static void t_threads_removal_race(void) {
    fixture f = setup(NULL, PAGE);
    atomic_int removed = 0;
    removal_racer r;
    memset(&r, 0, sizeof r);
    r.dev = f.device;
    r.alloc = f.alloc;
    r.removed = &removed;
    CHECK(pthread_create(&r.thread, NULL, removal_racer_main, &r) == 0);
    sleep_ms(20);
    CHECK_OK(SimKmtRemoveDevice(f.device, HUNG));
    atomic_store(&removed, 1);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.late_calls, 1000);
    CHECK_EQ(r.late_successes, 0);
    CHECK_EQ(r.other_errors, 0);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    sleep_ms(1);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
}

/* §3 handles under contention: allocations created concurrently by two
 * threads never share a value. */
typedef struct {
    D3DKMT_HANDLE dev;
    D3DKMT_HANDLE *out;
    unsigned count, errors;
    pthread_t thread;
} creator;

static void *creator_main(void *arg) {
    creator *c = arg;
    for (unsigned k = 0; k < c->count; k++) {
        SIMKMT_ALLOCATION_DESC d;
        D3DDDI_ALLOCATIONINFO2 i;
        desc_init(&d, PAGE, 0);
        memset(&i, 0, sizeof i);
        i.pPrivateDriverData = &d;
        i.PrivateDriverDataSize = sizeof d;
        D3DKMT_CREATEALLOCATION ca;
        memset(&ca, 0, sizeof ca);
        ca.hDevice = c->dev;
        ca.NumAllocations = 1;
        ca.pAllocationInfo2 = &i;
        if (D3DKMTCreateAllocation2(&ca) != STATUS_SUCCESS) c->errors++;
        c->out[k] = i.hAllocation;
    }
    return NULL;
}

static void t_threads_create_distinct_handles(void) {
    enum { EACH = 2000 };
    reset_default();
    D3DKMT_HANDLE a = open_adapter(0);
    D3DKMT_HANDLE d0 = create_device(a), d1 = create_device(a);
    D3DKMT_HANDLE *all = calloc(2 * EACH, sizeof *all);
    CHECK(all != NULL);
    if (!all) return;
    creator c[2] = {{d0, all, EACH, 0, 0}, {d1, all + EACH, EACH, 0, 0}};
    for (int k = 0; k < 2; k++) CHECK(pthread_create(&c[k].thread, NULL, creator_main, &c[k]) == 0);
    for (int k = 0; k < 2; k++) pthread_join(c[k].thread, NULL);
    CHECK_EQ(c[0].errors, 0);
    CHECK_EQ(c[1].errors, 0);
    CHECK(handles_distinct(all, 2 * EACH));
    free(all);
}

/* §3 "A destroyed object's handle is not handed out again for at least the
 * next 4096 objects created" under churn: one object alive at a time, so a
 * slot allocator reuses the same slot over and over. */
static int reissued_within(const D3DKMT_HANDLE *h, size_t n, size_t window) {
    int bad = 0;
    for (size_t j = 1; j < n; j++) {
        size_t from = j > window ? j - window : 0;
        for (size_t i = from; i < j; i++) bad += h[i] == h[j];
    }
    return bad;
}

static void t_handles_churn_not_reissued(void) {
    enum { N = 3 * 4096 + 64 };
    fixture f = setup(NULL, PAGE);
    D3DKMT_HANDLE *h = calloc(N, sizeof *h);
    CHECK(h != NULL);
    if (!h) return;
    /* allocations */
    int errors = 0;
    for (size_t k = 0; k < N; k++) {
        D3DKMT_HANDLE x = 0;
        errors += create_alloc_st(f.device, PAGE, 0, &x) != STATUS_SUCCESS;
        h[k] = x;
        errors += destroy_alloc(f.device, x) != STATUS_SUCCESS;
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(reissued_within(h, N, 4096), 0);
    LOCK2_FAILS(f.device, h[0], INV);
    /* devices */
    errors = 0;
    for (size_t k = 0; k < N; k++) {
        D3DKMT_HANDLE d = 0;
        errors += create_device_st(f.adapter, &d) != STATUS_SUCCESS;
        h[k] = d;
        errors += destroy_device(d) != STATUS_SUCCESS;
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(reissued_within(h, N, 4096), 0);
    /* adapter handles */
    LUID l;
    CHECK_EQ(adapter_luids(&l, 1), 1);
    errors = 0;
    for (size_t k = 0; k < N; k++) {
        D3DKMT_HANDLE a = 0;
        errors += open_luid(l, &a) != STATUS_SUCCESS;
        h[k] = a;
        errors += close_adapter(a) != STATUS_SUCCESS;
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(reissued_within(h, N, 4096), 0);
    /* mixed kinds: the window counts objects of any kind */
    errors = 0;
    for (size_t k = 0; k < N; k++) {
        D3DKMT_HANDLE x = 0;
        switch (k % 3) {
        case 0:
            errors += create_alloc_st(f.device, PAGE, 0, &x) != STATUS_SUCCESS;
            errors += destroy_alloc(f.device, x) != STATUS_SUCCESS;
            break;
        case 1:
            errors += create_device_st(f.adapter, &x) != STATUS_SUCCESS;
            errors += destroy_device(x) != STATUS_SUCCESS;
            break;
        default:
            errors += open_luid(l, &x) != STATUS_SUCCESS;
            errors += close_adapter(x) != STATUS_SUCCESS;
            break;
        }
        h[k] = x;
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(reissued_within(h, N, 4096), 0);
    free(h);
}

/* §8/§5: a waiter is not released by completing only part of the work that
 * makes the allocation busy. */
static void t_busy_wait_partial_completion_keeps_waiting(void) {
    SIMKMT_CONFIG c = cfg();
    c.BusyPolicy = SIMKMT_BUSY_WAIT;
    c.WaitTimeoutMs = 300;
    fixture f = setup(&c, PAGE);
    UINT64 f1 = submit1(f.device, f.alloc);
    UINT64 f2 = submit1(f.device, f.alloc);
    CHECK_EQ(f2, f1 + 1);
    delayed d;
    delayed_start(&d, 50, ACT_COMPLETE_FENCE, f.device, f1);
    double t0 = now_ms();
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    double waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited >= 285);
    CHECK_EQ(busy(f.device, f.alloc), 1);
    CHECK_EQ(lock_count(f.device, f.alloc), 0);
    /* legacy Lock likewise */
    delayed_start(&d, 50, ACT_COMPLETE_FENCE, f.device, 0); /* 0 does nothing */
    t0 = now_ms();
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, BUSY);
    waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited >= 285);
    /* a legacy waiter wakes on surprise removal of the adapter */
    c.WaitTimeoutMs = 3000;
    f = setup(&c, PAGE);
    submit1(f.device, f.alloc);
    delayed_start(&d, 100, ACT_REMOVE_ADAPTER, f.adapter, 0);
    t0 = now_ms();
    LOCK1_FAILS(f.device, f.alloc, 0, 0, NULL, REMOVED);
    waited = now_ms() - t0;
    CHECK_OK(delayed_join(&d));
    CHECK(waited < 2500);
    CHECK_EQ(exec_state(f.device), STOPPED);
}

/* §8 completing above the last issued fence does not pre-complete later work. */
static void t_fence_above_last_does_not_complete_future_work(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_EQ(submit1(f.device, f.alloc), 1);
    CHECK_OK(SimKmtCompleteFence(f.device, 50));
    CHECK_EQ(busy(f.device, f.alloc), 0);
    CHECK_EQ(submit1(f.device, f.alloc), 2);
    CHECK_EQ(busy(f.device, f.alloc), 1);
    LOCK2_FAILS(f.device, f.alloc, BUSY);
    CHECK_OK(SimKmtCompleteFence(f.device, 2));
    CHECK_EQ(busy(f.device, f.alloc), 0);
}

/* §9 "Nth: fire on the Nth matching call from now" — each fault counts from
 * its own injection. */
static void t_fault_nth_counts_from_injection(void) {
    fixture f = setup(NULL, PAGE);
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 2, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_A));
    CHECK_OK(lock2(f.device, f.alloc, NULL)); /* A: 1 */
    CHECK_OK(inject(SIMKMT_CALL_LOCK2, 2, 1, SIMKMT_FAULT_RETURN_STATUS, FAULT_B));
    LOCK2_FAILS(f.device, f.alloc, FAULT_A); /* A: 2, B: 1 */
    LOCK2_FAILS(f.device, f.alloc, FAULT_B); /* B: 2 */
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_EQ(lock_count(f.device, f.alloc), 2);
    /* Reserved must be 0 for every action */
    SIMKMT_FAULT r;
    memset(&r, 0, sizeof r);
    r.Call = SIMKMT_CALL_LOCK2;
    r.Action = SIMKMT_FAULT_REMOVE_DEVICE;
    r.Reserved = 0x80000000u;
    CHECK_INV(SimKmtInjectFault(&r));
    r.Action = SIMKMT_FAULT_RESET_ADAPTER;
    CHECK_INV(SimKmtInjectFault(&r));
    CHECK_OK(lock2(f.device, f.alloc, NULL));
    CHECK_EQ(exec_state(f.device), ACTIVE);
}

/* §4 budget: destroying allocations of a removed device (DestroyAllocation2
 * and DestroyDevice work on it) gives their memory back. */
static void t_budget_released_on_removed_device(void) {
    SIMKMT_CONFIG c = cfg();
    c.AdapterMemoryBytes = 4 * PAGE;
    fixture f = setup(&c, 2 * PAGE);
    D3DKMT_HANDLE b = create_alloc(f.device, 2 * PAGE);
    D3DKMT_HANDLE d2 = create_device(f.adapter);
    D3DKMT_HANDLE x = 0;
    CHECK_ST(create_alloc_st(d2, PAGE, 0, &x), NO_VIDMEM);
    CHECK_OK(SimKmtRemoveDevice(f.device, HUNG));
    CHECK_OK(destroy_alloc(f.device, f.alloc));
    CHECK_OK(create_alloc_st(d2, 2 * PAGE, 0, &x));
    CHECK_ST(create_alloc_st(d2, PAGE, 0, &x), NO_VIDMEM);
    CHECK_OK(destroy_device(f.device)); /* destroys b */
    CHECK_OK(create_alloc_st(d2, 2 * PAGE, 0, &x));
    (void)b;
}

/* ======================================================================== */
/* Runner                                                                    */
/* ======================================================================== */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_case;

#define T(fn) {#fn, fn}
static const test_case TESTS[] = {
    /* §3 adapters, devices */
    T(t_enum_null_argument),
    T(t_enum_count_only),
    T(t_enum_too_small_writes_nothing),
    T(t_enum_fills_and_handles_must_be_closed),
    T(t_enum_adapter_count_config),
    T(t_open_adapter_from_luid),
    T(t_open_adapter_unknown_luid),
    T(t_close_adapter_bad_handles),
    T(t_close_adapter_devices_live_on),
    T(t_create_device_outputs),
    T(t_create_device_bad_adapter),
    T(t_destroy_device_bad_handles),
    T(t_destroy_device_destroys_allocations),
    T(t_get_device_state),
    T(t_destroy_allocation2_basic),
    T(t_destroy_allocation2_errors_destroy_nothing),
    T(t_destroy_allocation2_locked_or_busy),
    T(t_null_arguments_everywhere),
    /* §3 handles */
    T(t_handles_windows_shaped_sequence),
    T(t_handles_wrong_kind),
    T(t_handles_foreign_device),
    T(t_handles_unique_and_not_reissued),
    /* §4 allocations */
    T(t_create_allocation2_basics),
    T(t_create_allocation2_bad_device_and_arrays),
    T(t_create_allocation2_bad_descs),
    T(t_create_allocation2_all_or_nothing),
    T(t_create_allocation_lazy_commit_1tib),
    T(t_budget_per_adapter),
    T(t_budget_default_4gib),
    T(t_page_size_config),
    T(t_system_mem_backing),
    T(t_create_allocation_v1),
    T(t_standard_allocation_existing_heap),
    T(t_create_allocation_global_share_and_resource),
    T(t_standard_allocation_rules),
    T(t_content_survives_lock_cycles),
    /* §5 Lock2 / Unlock2 */
    T(t_lock2_null_and_flags),
    T(t_lock2_bad_device),
    T(t_lock2_bad_allocation),
    T(t_lock2_not_cpu_visible),
    T(t_lock2_nested_same_pointer_stable),
    T(t_lock2_limit_configured),
    T(t_lock2_limit_default_1024),
    T(t_lock2_order_fail_policy),
    T(t_lock2_removed_no_fast_path),
    T(t_lock2_order_wait_policy),
    T(t_lock2_order_ignore_policy),
    T(t_unlock2_rules_and_order),
    T(t_busy_fail_policy),
    T(t_busy_wait_policy_timeout),
    T(t_busy_wait_policy_wakes_on_fence),
    T(t_busy_wait_policy_wakes_on_removal),
    T(t_busy_wait_default_timeout_not_zero),
    T(t_busy_ignore_policy),
    /* §6 Lock / Unlock */
    T(t_lock_null_and_flags),
    T(t_lock_pages),
    T(t_lock_bad_handles),
    T(t_lock_order),
    T(t_lock_busy_flags),
    T(t_lock_wait_wakes),
    T(t_lock_shared_limit),
    T(t_unlock_rules),
    T(t_unlock_order),
    /* §7 removal */
    T(t_remove_device_states),
    T(t_removed_device_sticky),
    T(t_removal_drops_locks_and_content),
    T(t_first_removal_reason_stays),
    T(t_reset_adapter),
    T(t_remove_adapter),
    /* §8 fences, §9 Submit */
    T(t_fences_per_device),
    T(t_fence_completion_rules),
    T(t_submit_errors_and_order),
    /* §9 Reset, Query, faults */
    T(t_reset_validation_keeps_old),
    T(t_reset_defaults),
    T(t_reset_larger_size_ok),
    T(t_reset_destroys_everything),
    T(t_query_allocation),
    T(t_fault_validation),
    T(t_fault_nth_count),
    T(t_fault_counting_rules),
    T(t_fault_return_status_changes_nothing),
    T(t_fault_remove_device),
    T(t_fault_reset_adapter),
    T(t_fault_several_armed),
    T(t_fault_cleared_by_reset),
    /* §1 threads */
    T(t_threads_distinct_allocations),
    T(t_threads_same_allocation),
    /* additional edge cases */
    T(t_create_allocation_size_overflow),
    T(t_removal_content_all_ways),
    T(t_lock_pages_whole_ignores_list),
    T(t_remove_all_adapters),
    T(t_fault_count_skips_null_calls),
    T(t_threads_limit_race),
    T(t_threads_removal_race),
    T(t_threads_create_distinct_handles),
    T(t_handles_churn_not_reissued),
    T(t_busy_wait_partial_completion_keeps_waiting),
    T(t_fence_above_last_does_not_complete_future_work),
    T(t_fault_nth_counts_from_injection),
    T(t_budget_released_on_removed_device),
};

int main(int argc, char **argv) {
    /* Optional: run only the tests whose name contains argv[1], or, when it
       starts with '-', every test but those whose name contains the rest. */
    const char *filter = argc > 1 ? argv[1] : NULL;
    int exclude = filter && filter[0] == '-';
    if (exclude) filter++;
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now_ms();
    for (size_t k = 0; k < sizeof TESTS / sizeof TESTS[0]; k++) {
        if (filter && (strstr(TESTS[k].name, filter) == NULL) != exclude) continue;
        g_test = TESTS[k].name;
        int before = atomic_load(&g_failed);
        double s = now_ms();
        TESTS[k].fn();
        int failed = atomic_load(&g_failed) - before;
        printf("%s %s (%.0f ms)\n", failed ? "FAIL" : "ok  ", TESTS[k].name, now_ms() - s);
    }
    SimKmtReset(NULL);
    printf("total time %.0f ms\n", now_ms() - t0);
    int passed = atomic_load(&g_passed), failed = atomic_load(&g_failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
