/*
 * lock_pair.c - times D3DKMTLock2 + D3DKMTUnlock2 through the shared
 * library, as a C user links it, against a bare atomic pair and across two
 * threads, all in one process.
 *
 *     cargo cinstall --release --prefix "$PWD/dist" --libdir lib
 *     cc -O2 -std=c11 -pthread benches/c/lock_pair.c -Iinclude \
 *        -L"$PWD/dist/lib" -ld3dkmt_sim -Wl,-rpath,"$PWD/dist/lib" -o lock_pair
 *     ./lock_pair            # about 10 seconds
 *     ./lock_pair 0.1        # a quick run: the time budget scales by 0.1
 *
 * Single thread: chunks of the bare atomic pair (C11 fetch_add + fetch_sub,
 * acq_rel: two locked RMWs, the floor of any correct lock + unlock) and of
 * Lock2 + Unlock2 alternate, so both see the same machine state; each
 * round's ratio is the library's time over the atomic pair's, and the
 * median of the rounds is printed (a shared VM moves both by tens of per
 * cent between runs, much less within one).
 *
 * Two threads: each thread does its own pairs, after a barrier; the wall
 * time of the parallel section against one thread doing the same number of
 * pairs gives the throughput scaling, for two allocations and for one
 * shared allocation. Everything checks its statuses; the exit status is 1
 * if any call failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "d3dkmt_sim.h"

enum { CHUNK = 20000, ROUNDS = 9 };

static double scale = 1.0;
static atomic_ulong failures;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(const char *what, NTSTATUS s) {
    fprintf(stderr, "lock_pair: %s returned 0x%08X\n", what, (unsigned)s);
    exit(1);
}

/* Pairs on one allocation; counts failed calls. */
static void lock_pairs(D3DKMT_HANDLE device, D3DKMT_HANDLE alloc, long n) {
    D3DKMT_LOCK2 lock;
    memset(&lock, 0, sizeof lock);
    lock.hDevice = device;
    lock.hAllocation = alloc;
    D3DKMT_UNLOCK2 unlock = {device, alloc};
    unsigned long failed = 0;
    for (long i = 0; i < n; i++) {
        failed += D3DKMTLock2(&lock) != STATUS_SUCCESS;
        failed += D3DKMTUnlock2(&unlock) != STATUS_SUCCESS;
    }
    atomic_fetch_add(&failures, failed);
}

static void atomic_pairs(atomic_ulong *word, long n) {
    for (long i = 0; i < n; i++) {
        atomic_fetch_add_explicit(word, 1, memory_order_acq_rel);
        atomic_fetch_sub_explicit(word, 1, memory_order_acq_rel);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    D3DKMT_HANDLE device, alloc;
    long pairs;
    pthread_barrier_t *start;
    double begin, end;
    pthread_t thread;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(w->start);
    w->begin = now_s();
    lock_pairs(w->device, w->alloc, w->pairs);
    w->end = now_s();
    return NULL;
}

/* Wall time of the parallel section of n threads (n <= 2), thread k doing
 * `pairs` pairs on allocs[k]: from the first start to the last end. */
static double parallel(D3DKMT_HANDLE device, const D3DKMT_HANDLE *allocs, int n, long pairs) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    worker w[2];
    for (int k = 0; k < n; k++) {
        w[k] = (worker){.device = device, .alloc = allocs[k], .pairs = pairs, .start = &start};
        if (pthread_create(&w[k].thread, NULL, worker_main, &w[k]) != 0) {
            fprintf(stderr, "lock_pair: pthread_create failed\n");
            exit(1);
        }
    }
    for (int k = 0; k < n; k++) pthread_join(w[k].thread, NULL);
    pthread_barrier_destroy(&start);
    double begin = w[0].begin, end = w[0].end;
    for (int k = 1; k < n; k++) {
        if (w[k].begin < begin) begin = w[k].begin;
        if (w[k].end > end) end = w[k].end;
    }
    return end - begin;
}

/* Median over ROUNDS of 2 * t(1 thread) / t(n threads on `allocs`). */
static double scaling(D3DKMT_HANDLE device, const D3DKMT_HANDLE *allocs, long pairs) {
    double r[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        double one = parallel(device, allocs, 1, pairs);
        double two = parallel(device, allocs, 2, pairs);
        r[i] = 2.0 * one / two;
    }
    qsort(r, ROUNDS, sizeof r[0], cmp_double);
    return r[ROUNDS / 2];
}

int main(int argc, char **argv) {
    if (argc > 1) scale = atof(argv[1]);
    if (!(scale > 0)) scale = 1.0;

    NTSTATUS s = SimKmtReset(NULL);
    if (s != STATUS_SUCCESS) fail("SimKmtReset", s);
    D3DKMT_ADAPTERINFO info;
    D3DKMT_ENUMADAPTERS2 e;
    memset(&e, 0, sizeof e);
    e.NumAdapters = 1;
    e.pAdapters = &info;
    if ((s = D3DKMTEnumAdapters2(&e)) != STATUS_SUCCESS) fail("D3DKMTEnumAdapters2", s);
    D3DKMT_CREATEDEVICE cd;
    memset(&cd, 0, sizeof cd);
    cd.hAdapter = info.hAdapter;
    if ((s = D3DKMTCreateDevice(&cd)) != STATUS_SUCCESS) fail("D3DKMTCreateDevice", s);
    D3DKMT_HANDLE allocs[2];
    for (int k = 0; k < 2; k++) {
        SIMKMT_ALLOCATION_DESC desc = {SIMKMT_ALLOCATION_DESC_VERSION, 0, 4096};
        D3DDDI_ALLOCATIONINFO2 ai;
        memset(&ai, 0, sizeof ai);
        ai.pPrivateDriverData = &desc;
        ai.PrivateDriverDataSize = sizeof desc;
        D3DKMT_CREATEALLOCATION ca;
        memset(&ca, 0, sizeof ca);
        ca.hDevice = cd.hDevice;
        ca.NumAllocations = 1;
        ca.pAllocationInfo2 = &ai;
        if ((s = D3DKMTCreateAllocation2(&ca)) != STATUS_SUCCESS) fail("D3DKMTCreateAllocation2", s);
        allocs[k] = ai.hAllocation;
    }

    /* Single thread, paired chunks. */
    static atomic_ulong word;
    double budget = 3.0 * scale / ROUNDS, ratios[ROUNDS], per_pair[ROUNDS], atomic_ns[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        double t_lock = 0, t_atomic = 0;
        long chunks = 0;
        while (t_lock + t_atomic < budget || chunks == 0) {
            double a = now_s();
            atomic_pairs(&word, CHUNK);
            double b = now_s();
            lock_pairs(cd.hDevice, allocs[0], CHUNK);
            double c = now_s();
            t_atomic += b - a;
            t_lock += c - b;
            chunks++;
        }
        ratios[i] = t_lock / t_atomic;
        per_pair[i] = t_lock / (double)(chunks * CHUNK) * 1e9;
        atomic_ns[i] = t_atomic / (double)(chunks * CHUNK) * 1e9;
    }
    qsort(ratios, ROUNDS, sizeof ratios[0], cmp_double);
    qsort(per_pair, ROUNDS, sizeof per_pair[0], cmp_double);
    qsort(atomic_ns, ROUNDS, sizeof atomic_ns[0], cmp_double);
    printf("D3DKMTLock2+D3DKMTUnlock2 through the shared library: %.2f ns per pair; atomic pair %.2f ns\n",
           per_pair[ROUNDS / 2], atomic_ns[ROUNDS / 2]);
    printf("  ratio to the atomic pair (paired chunks): median %.2fx (lowest %.2fx, highest %.2fx)\n",
           ratios[ROUNDS / 2], ratios[0], ratios[ROUNDS - 1]);

    /* Two threads. */
    long pairs = (long)(2e6 * scale) + 1;
    D3DKMT_HANDLE same[2] = {allocs[0], allocs[0]};
    printf("  2 threads, distinct allocations: total throughput %.2fx one thread\n",
           scaling(cd.hDevice, allocs, pairs));
    printf("  2 threads, the same allocation:  total throughput %.2fx one thread\n",
           scaling(cd.hDevice, same, pairs / 4 + 1));

    SIMKMT_ALLOCATION_INFO q;
    for (int k = 0; k < 2; k++) {
        if ((s = SimKmtQueryAllocation(cd.hDevice, allocs[k], &q)) != STATUS_SUCCESS) fail("SimKmtQueryAllocation", s);
        if (q.LockCount != 0) {
            fprintf(stderr, "lock_pair: lock count %u left on allocation %d\n", q.LockCount, k);
            return 1;
        }
    }
    unsigned long failed = atomic_load(&failures);
    if (failed) {
        fprintf(stderr, "lock_pair: %lu calls failed\n", failed);
        return 1;
    }
    return 0;
}
