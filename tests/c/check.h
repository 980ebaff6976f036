/*
 * check.h - what the smaller C test programs share (kmt.c,
 * libdxgtest_sequence.c): checks that print a FAIL line with file and line
 * and carry on; check_summary(), which prints "<N> passed, <M> failed" and
 * returns the exit status; and query(), one D3DKMTQueryAdapterInfo.
 */
#ifndef D3DKMT_SIM_TEST_CHECK_H_
#define D3DKMT_SIM_TEST_CHECK_H_

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "d3dkmt_sim.h"

static atomic_int check_passed_;
static atomic_int check_failed_;
static const char *check_test_ = "(none)";

static void check_u64_(uint64_t got, uint64_t want, const char *expr, const char *file, int line) {
    if (got == want) {
        atomic_fetch_add(&check_passed_, 1);
        return;
    }
    atomic_fetch_add(&check_failed_, 1);
    printf("  FAIL [%s] %s:%d: %s\n        expected 0x%llX, got 0x%llX\n", check_test_, file, line, expr,
           (unsigned long long)want, (unsigned long long)got);
}

/* An NTSTATUS (or any integer) equals the expected value. */
#define CHECK_EQ(got, want) check_u64_((uint64_t)(int64_t)(got), (uint64_t)(int64_t)(want), #got, __FILE__, __LINE__)
/* A condition holds. */
#define CHECK(cond) check_u64_((cond) ? 1 : 0, 1, #cond, __FILE__, __LINE__)

/* Runs one test function under its name. */
#define RUN(t)                                                      \
    do {                                                            \
        int failed_before_ = atomic_load(&check_failed_);           \
        check_test_ = #t;                                           \
        t();                                                        \
        printf("%s %s\n", atomic_load(&check_failed_) == failed_before_ ? "ok  " : "FAIL", #t); \
    } while (0)

static int check_summary(void) {
    printf("%d passed, %d failed\n", atomic_load(&check_passed_), atomic_load(&check_failed_));
    return atomic_load(&check_failed_) == 0 && atomic_load(&check_passed_) > 0 ? 0 : 1;
}

/* D3DKMTQueryAdapterInfo of `type` into `size` bytes at `data`. */
static inline NTSTATUS query(D3DKMT_HANDLE adapter, KMTQUERYADAPTERINFOTYPE type, void *data, UINT size) {
    D3DKMT_QUERYADAPTERINFO q;
    memset(&q, 0, sizeof q);
    q.hAdapter = adapter;
    q.Type = type;
    q.pPrivateDriverData = data;
    q.PrivateDriverDataSize = size;
    return D3DKMTQueryAdapterInfo(&q);
}

#endif /* D3DKMT_SIM_TEST_CHECK_H_ */
