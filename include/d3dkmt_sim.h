/*
 * d3dkmt_sim.h - C interface of d3dkmt-sim, a simulator of the WDDM D3DKMT
 * kernel-thunk lock contract (D3DKMTLock2 and friends).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * The library (libd3dkmt_sim.so / libd3dkmt_sim.a) exports the real,
 * undecorated D3DKMT* entry points plus the SimKmt* control functions.  The
 * behaviour is specified by the normative contract, docs/contract.md;
 * docs/c-library.md summarises it per function.
 *
 * ---------------------------------------------------------------------------
 * What this header declares, and how to combine it with other headers
 * ---------------------------------------------------------------------------
 *
 *   1. Windows base types (UINT, UINT32, UINT64, INT, LONG, ULONG, DWORD,
 *      BOOL, BOOLEAN, LONGLONG, ULONGLONG, ULONG_PTR, SIZE_T, HANDLE, PVOID,
 *      VOID, LUID, WCHAR, GUID, LARGE_INTEGER) - non-Windows hosts only.
 *      WCHAR is the host's wchar_t, as in the official headers built for
 *      non-Windows hosts: 4 bytes on Linux and macOS, so string-bearing
 *      query results (D3DKMT_DRIVER_DESCRIPTION) are UTF-32 there and
 *      UTF-16 on Windows.
 *   2. NTSTATUS, D3DKMT_HANDLE, D3DGPU_VIRTUAL_ADDRESS,
 *      D3DDDI_VIDEO_PRESENT_SOURCE_ID.
 *   3. The STATUS_* codes the simulator returns, and NT_SUCCESS().
 *   4. The D3DKMT subset the simulator implements, with Windows' own type,
 *      field and constant names and Windows x64 layouts (checked below with
 *      static assertions), and the D3DKMT* function declarations.
 *   5. The SIMKMT_ extension (simulator control).
 *
 * Type guard scheme.  C cannot ask "is this typedef already defined?", so
 * every type in parts 1 and 2 is wrapped in its own guard macro named
 *
 *        D3DKMT_SIM_HAVE_<TYPE>          e.g. D3DKMT_SIM_HAVE_UINT64,
 *                                             D3DKMT_SIM_HAVE_LUID,
 *                                             D3DKMT_SIM_HAVE_NTSTATUS
 *
 * The typedef is skipped when the macro is defined, and the header defines
 * the macro after it has made the typedef.  So:
 *
 *   - If some other header already gave you a type, define its
 *     D3DKMT_SIM_HAVE_<TYPE> before including this one.
 *   - Define D3DKMT_SIM_HAVE_WINDOWS_TYPES to skip all of part 1 at once
 *     (e.g. after DirectX-Headers' wsl/winadapter.h, Wine's or MinGW's
 *     windef.h).  It is implied on Windows (where <windows.h> is included
 *     unless D3DKMT_SIM_NO_WINDOWS_H is defined) and whenever _WINDEF_ or
 *     _MINWINDEF_ is already defined.  Part 2 is still guarded per type;
 *     NTSTATUS is also skipped when _NTDEF_ is defined.
 *   - Each STATUS_* code and NT_SUCCESS is #ifndef-guarded individually.
 *   - Define D3DKMT_SIM_EXTENSIONS_ONLY if the translation unit already
 *     included the official d3dkmthk.h (e.g. libdxg's MIT-licensed WDDM
 *     headers on WSL).  Then only part 5 is declared; it needs NTSTATUS,
 *     UINT32, UINT64 and D3DKMT_HANDLE from those headers.  Define
 *     D3DKMT_SIM_STATUS_CODES as well to also get part 3.
 *
 * The scalar base types use the same underlying fixed-width types as
 * DirectX-Headers' winadapter.h where Windows' widths allow it (UINT64 is
 * uint64_t, LONG is int32_t, ...).  BOOL is int and BOOLEAN unsigned char,
 * as on Windows.
 *
 * Pointer fields.  As in the official headers built for non-Windows hosts,
 * every pointer field is declared as an anonymous union of the pointer and an
 * 8-byte-aligned UINT64 (member name <field>_Align), so each struct has the
 * single Windows x64 layout.  Source code just uses the pointer member.
 *
 * Calling convention: D3DKMT_SIM_APIENTRY (__stdcall on Windows, like
 * APIENTRY; nothing elsewhere, i.e. the C convention).
 *
 * Works as C89 with GNU extensions, C11 and later, and C++98/C++11 and later.
 * Anonymous structs inside unions (the Windows bit-field flag types) are
 * standard C11 but an extension in C++; they are marked __extension__ for
 * GCC/Clang so -pedantic stays quiet.
 */
#ifndef D3DKMT_SIM_H_
#define D3DKMT_SIM_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(D3DKMT_SIM_NO_WINDOWS_H)
#if !defined(STATUS_WAIT_0) && !defined(WIN32_NO_STATUS)
/* winnt.h defines STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER and
 * STATUS_NO_MEMORY as DWORDs (exception codes), and ntstatus.h all of them as
 * NTSTATUS; the two clash unless windows.h is read under WIN32_NO_STATUS.
 * When no status code is defined yet (STATUS_WAIT_0 is winnt.h's first and
 * ntstatus.h's too), this header does the usual dance, so every STATUS_*
 * code is an NTSTATUS.  After a plain <windows.h> those three stay DWORDs:
 * equal values, but C's -Wsign-compare warns on NTSTATUS == DWORD. */
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#else
#include <windows.h>
#endif
#endif

/* ------------------------------------------------------------------------ */
/* Portability helpers (all prefixed D3DKMT_SIM_)                            */
/* ------------------------------------------------------------------------ */

#if defined(_WIN32)
#define D3DKMT_SIM_APIENTRY __stdcall
#else
#define D3DKMT_SIM_APIENTRY
#endif

/* Marks anonymous structs/unions where the language version makes them an
 * extension (C before C11, and anonymous structs in any C++). */
#if defined(__GNUC__) || defined(__clang__)
#if defined(__cplusplus) || !defined(__STDC_VERSION__) || (__STDC_VERSION__ < 201112L)
#define D3DKMT_SIM_ANON __extension__
#else
#define D3DKMT_SIM_ANON
#endif
#else
#define D3DKMT_SIM_ANON
#endif

/* 8-byte alignment for a member declaration (prefix position). */
#if defined(__GNUC__) || defined(__clang__)
#define D3DKMT_SIM_ALIGN8 __attribute__((aligned(8)))
#elif defined(_MSC_VER)
#define D3DKMT_SIM_ALIGN8 __declspec(align(8))
#elif defined(__cplusplus) && (__cplusplus >= 201103L)
#define D3DKMT_SIM_ALIGN8 alignas(8)
#elif defined(__STDC_VERSION__) && (__STDC_VERSION__ >= 201112L)
#define D3DKMT_SIM_ALIGN8 _Alignas(8)
#else
#define D3DKMT_SIM_ALIGN8
#endif

/* Compile-time assertion usable at file scope. */
#if defined(__cplusplus) && (__cplusplus >= 201103L || (defined(_MSC_VER) && _MSC_VER >= 1600))
#define D3DKMT_SIM_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && (__STDC_VERSION__ >= 201112L)
#define D3DKMT_SIM_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#else
#define D3DKMT_SIM_CAT2_(a, b) a##b
#define D3DKMT_SIM_CAT_(a, b) D3DKMT_SIM_CAT2_(a, b)
#define D3DKMT_SIM_STATIC_ASSERT(expr, msg) \
    typedef char D3DKMT_SIM_CAT_(d3dkmt_sim_static_assert_, __LINE__)[(expr) ? 1 : -1]
#endif

#if defined(_MSC_VER)
#pragma warning(push)
#pragma warning(disable : 4201) /* nameless struct/union */
#pragma warning(disable : 4214) /* bit-field types other than int */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* 1. Windows base types (non-Windows hosts)                                  */
/* ------------------------------------------------------------------------ */

#if !defined(D3DKMT_SIM_EXTENSIONS_ONLY)

#if defined(_WIN32) || defined(_WINDEF_) || defined(_MINWINDEF_)
#ifndef D3DKMT_SIM_HAVE_WINDOWS_TYPES
#define D3DKMT_SIM_HAVE_WINDOWS_TYPES 1
#endif
#endif

#if !defined(D3DKMT_SIM_HAVE_WINDOWS_TYPES)

#ifndef VOID
#define VOID void
#endif
#ifndef D3DKMT_SIM_HAVE_UINT
#define D3DKMT_SIM_HAVE_UINT 1
typedef unsigned int UINT;
#endif
#ifndef D3DKMT_SIM_HAVE_INT
#define D3DKMT_SIM_HAVE_INT 1
typedef int INT;
#endif
#ifndef D3DKMT_SIM_HAVE_UINT8
#define D3DKMT_SIM_HAVE_UINT8 1
typedef uint8_t UINT8;
#endif
#ifndef D3DKMT_SIM_HAVE_UINT16
#define D3DKMT_SIM_HAVE_UINT16 1
typedef uint16_t UINT16;
#endif
#ifndef D3DKMT_SIM_HAVE_UINT32
#define D3DKMT_SIM_HAVE_UINT32 1
typedef uint32_t UINT32;
#endif
#ifndef D3DKMT_SIM_HAVE_UINT64
#define D3DKMT_SIM_HAVE_UINT64 1
typedef uint64_t UINT64;
#endif
#ifndef D3DKMT_SIM_HAVE_INT32
#define D3DKMT_SIM_HAVE_INT32 1
typedef int32_t INT32;
#endif
#ifndef D3DKMT_SIM_HAVE_INT64
#define D3DKMT_SIM_HAVE_INT64 1
typedef int64_t INT64;
#endif
#ifndef D3DKMT_SIM_HAVE_LONG
#define D3DKMT_SIM_HAVE_LONG 1
typedef int32_t LONG;
#endif
#ifndef D3DKMT_SIM_HAVE_ULONG
#define D3DKMT_SIM_HAVE_ULONG 1
typedef uint32_t ULONG;
#endif
#ifndef D3DKMT_SIM_HAVE_DWORD
#define D3DKMT_SIM_HAVE_DWORD 1
typedef uint32_t DWORD;
#endif
#ifndef D3DKMT_SIM_HAVE_LONGLONG
#define D3DKMT_SIM_HAVE_LONGLONG 1
typedef int64_t LONGLONG;
#endif
#ifndef D3DKMT_SIM_HAVE_ULONGLONG
#define D3DKMT_SIM_HAVE_ULONGLONG 1
typedef uint64_t ULONGLONG;
#endif
#ifndef D3DKMT_SIM_HAVE_ULONG_PTR
#define D3DKMT_SIM_HAVE_ULONG_PTR 1
typedef uintptr_t ULONG_PTR;
#endif
#ifndef D3DKMT_SIM_HAVE_SIZE_T
#define D3DKMT_SIM_HAVE_SIZE_T 1
typedef size_t SIZE_T;
#endif
#ifndef D3DKMT_SIM_HAVE_BOOL
#define D3DKMT_SIM_HAVE_BOOL 1
typedef int BOOL;
#endif
#ifndef D3DKMT_SIM_HAVE_BOOLEAN
#define D3DKMT_SIM_HAVE_BOOLEAN 1
typedef unsigned char BOOLEAN;
#endif
#ifndef D3DKMT_SIM_HAVE_HANDLE
#define D3DKMT_SIM_HAVE_HANDLE 1
typedef void *HANDLE;
#endif
#ifndef D3DKMT_SIM_HAVE_PVOID
#define D3DKMT_SIM_HAVE_PVOID 1
typedef void *PVOID;
#endif
#ifndef D3DKMT_SIM_HAVE_LUID
#define D3DKMT_SIM_HAVE_LUID 1
typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID, *PLUID;
#endif
#ifndef D3DKMT_SIM_HAVE_WCHAR
#define D3DKMT_SIM_HAVE_WCHAR 1
/* As in DirectX-Headers' WSL stubs: the host's wchar_t (4 bytes, UTF-32, on
 * Linux and macOS), so string query results are UTF-32 here. */
typedef wchar_t WCHAR;
#endif
#ifndef D3DKMT_SIM_HAVE_GUID
#define D3DKMT_SIM_HAVE_GUID 1
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
#endif
#ifndef D3DKMT_SIM_HAVE_LARGE_INTEGER
#define D3DKMT_SIM_HAVE_LARGE_INTEGER 1
typedef union _LARGE_INTEGER {
    D3DKMT_SIM_ANON struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    D3DKMT_SIM_ALIGN8 LONGLONG QuadPart;
} LARGE_INTEGER;
#endif

#endif /* !D3DKMT_SIM_HAVE_WINDOWS_TYPES */

#endif /* !D3DKMT_SIM_EXTENSIONS_ONLY */

/* ------------------------------------------------------------------------ */
/* 2. NTSTATUS and the D3D handle types                                       */
/* ------------------------------------------------------------------------ */

#if !defined(D3DKMT_SIM_EXTENSIONS_ONLY)

#if !defined(D3DKMT_SIM_HAVE_NTSTATUS) && !defined(_NTDEF_)
#define D3DKMT_SIM_HAVE_NTSTATUS 1
typedef LONG NTSTATUS;
#endif
#ifndef D3DKMT_SIM_HAVE_D3DKMT_HANDLE
#define D3DKMT_SIM_HAVE_D3DKMT_HANDLE 1
typedef UINT D3DKMT_HANDLE;
#endif
#ifndef D3DKMT_SIM_HAVE_D3DGPU_VIRTUAL_ADDRESS
#define D3DKMT_SIM_HAVE_D3DGPU_VIRTUAL_ADDRESS 1
typedef ULONGLONG D3DGPU_VIRTUAL_ADDRESS;
#endif
#ifndef D3DKMT_SIM_HAVE_D3DDDI_VIDEO_PRESENT_SOURCE_ID
#define D3DKMT_SIM_HAVE_D3DDDI_VIDEO_PRESENT_SOURCE_ID 1
typedef UINT D3DDDI_VIDEO_PRESENT_SOURCE_ID;
#endif

#endif /* !D3DKMT_SIM_EXTENSIONS_ONLY */

/* ------------------------------------------------------------------------ */
/* 3. Status codes                                                           */
/* ------------------------------------------------------------------------ */

#if !defined(D3DKMT_SIM_EXTENSIONS_ONLY) || defined(D3DKMT_SIM_STATUS_CODES)

#ifndef NT_SUCCESS
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#endif
#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif
#ifndef STATUS_INVALID_PARAMETER
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#endif
#ifndef STATUS_NO_MEMORY
#define STATUS_NO_MEMORY ((NTSTATUS)0xC0000017L)
#endif
#ifndef STATUS_BUFFER_TOO_SMALL
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#endif
#ifndef STATUS_NOT_SUPPORTED
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#endif
#ifndef STATUS_INTERNAL_ERROR
#define STATUS_INTERNAL_ERROR ((NTSTATUS)0xC00000E5L)
#endif
#ifndef STATUS_DEVICE_REMOVED
#define STATUS_DEVICE_REMOVED ((NTSTATUS)0xC00002B6L)
#endif
#ifndef STATUS_GRAPHICS_NO_VIDEO_MEMORY
#define STATUS_GRAPHICS_NO_VIDEO_MEMORY ((NTSTATUS)0xC01E0100L)
#endif
#ifndef STATUS_GRAPHICS_ALLOCATION_BUSY
#define STATUS_GRAPHICS_ALLOCATION_BUSY ((NTSTATUS)0xC01E0102L)
#endif
#ifndef STATUS_GRAPHICS_TOO_MANY_REFERENCES
#define STATUS_GRAPHICS_TOO_MANY_REFERENCES ((NTSTATUS)0xC01E0103L)
#endif
#ifndef STATUS_INVALID_HANDLE
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#endif

#endif /* status codes */

/* ------------------------------------------------------------------------ */
/* 4. The D3DKMT subset                                                      */
/* ------------------------------------------------------------------------ */

#if !defined(D3DKMT_SIM_EXTENSIONS_ONLY)

/* Pointer fields: fixed 8-byte slot on non-Windows hosts (see top). */
#if defined(_WIN32)
#define D3DKMT_SIM_PTR(Type, Name) Type Name
#define D3DKMT_SIM_PTR_SLOT(Name)
#else
#define D3DKMT_SIM_PTR_SLOT(Name) D3DKMT_SIM_ALIGN8 UINT64 Name;
#define D3DKMT_SIM_PTR(Type, Name) \
    D3DKMT_SIM_ANON union {        \
        D3DKMT_SIM_PTR_SLOT(Name##_Align) Type Name; \
    }
#endif

/* Opaque here: the simulator never uses the legacy DMA lists. */
typedef struct _D3DDDI_ALLOCATIONLIST D3DDDI_ALLOCATIONLIST;
typedef struct _D3DDDI_PATCHLOCATIONLIST D3DDDI_PATCHLOCATIONLIST;

/* --- Lock flags ------------------------------------------------------- */

typedef struct _D3DDDICB_LOCK2FLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT Reserved : 32;
        };
        UINT Value;
    };
} D3DDDICB_LOCK2FLAGS;

typedef struct _D3DDDICB_LOCKFLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT ReadOnly : 1;            /* 0x00000001 */
            UINT WriteOnly : 1;           /* 0x00000002 */
            UINT DonotWait : 1;           /* 0x00000004 */
            UINT IgnoreSync : 1;          /* 0x00000008 */
            UINT LockEntire : 1;          /* 0x00000010 */
            UINT DonotEvict : 1;          /* 0x00000020 */
            UINT AcquireAperture : 1;     /* 0x00000040 */
            UINT Discard : 1;             /* 0x00000080 */
            UINT NoExistingReference : 1; /* 0x00000100 */
            UINT UseAlternateVA : 1;      /* 0x00000200 */
            UINT IgnoreReadSync : 1;      /* 0x00000400 */
            UINT Reserved : 21;           /* 0xFFFFF800 */
        };
        UINT Value;
    };
} D3DDDICB_LOCKFLAGS;

/* --- Lock2 / Unlock2 -------------------------------------------------- */

typedef struct _D3DKMT_LOCK2 {
    D3DKMT_HANDLE hDevice;     /* in */
    D3DKMT_HANDLE hAllocation; /* in */
    D3DDDICB_LOCK2FLAGS Flags; /* in: must be 0 */
    D3DKMT_SIM_PTR(PVOID, pData); /* out: base address of the allocation */
} D3DKMT_LOCK2;

typedef struct _D3DKMT_UNLOCK2 {
    D3DKMT_HANDLE hDevice;
    D3DKMT_HANDLE hAllocation;
} D3DKMT_UNLOCK2;

/* --- Legacy Lock / Unlock --------------------------------------------- */

typedef struct _D3DKMT_LOCK {
    D3DKMT_HANDLE hDevice;                  /* in */
    D3DKMT_HANDLE hAllocation;              /* in */
    UINT PrivateDriverData;                 /* in: ignored */
    UINT NumPages;                          /* in: entries in pPages */
    D3DKMT_SIM_PTR(const UINT *, pPages);   /* in: page indices */
    D3DKMT_SIM_PTR(VOID *, pData);          /* out */
    D3DDDICB_LOCKFLAGS Flags;               /* in */
    D3DGPU_VIRTUAL_ADDRESS GpuVirtualAddress; /* reserved */
} D3DKMT_LOCK;

typedef struct _D3DKMT_UNLOCK {
    D3DKMT_HANDLE hDevice;
    UINT NumAllocations;
    D3DKMT_SIM_PTR(const D3DKMT_HANDLE *, phAllocations);
} D3DKMT_UNLOCK;

/* --- Adapters --------------------------------------------------------- */

typedef struct _D3DKMT_ADAPTERINFO {
    D3DKMT_HANDLE hAdapter;
    LUID AdapterLuid;
    ULONG NumOfSources;
    BOOL bPrecisePresentRegionsPreferred;
} D3DKMT_ADAPTERINFO;

typedef struct _D3DKMT_ENUMADAPTERS2 {
    ULONG NumAdapters; /* in: capacity of pAdapters; out: count */
    D3DKMT_SIM_PTR(D3DKMT_ADAPTERINFO *, pAdapters);
} D3DKMT_ENUMADAPTERS2;

typedef struct _D3DKMT_OPENADAPTERFROMLUID {
    LUID AdapterLuid;       /* in */
    D3DKMT_HANDLE hAdapter; /* out */
} D3DKMT_OPENADAPTERFROMLUID;

typedef struct _D3DKMT_CLOSEADAPTER {
    D3DKMT_HANDLE hAdapter;
} D3DKMT_CLOSEADAPTER;

/* --- Devices ---------------------------------------------------------- */

typedef struct _D3DKMT_CREATEDEVICEFLAGS {
    UINT LegacyMode : 1;        /* 0x00000001 */
    UINT RequestVSync : 1;      /* 0x00000002 */
    UINT DisableGpuTimeout : 1; /* 0x00000004 */
    UINT TestDevice : 1;        /* 0x00000008 */
    UINT Reserved : 28;         /* 0xFFFFFFF0 */
} D3DKMT_CREATEDEVICEFLAGS;

typedef struct _D3DKMT_CREATEDEVICE {
    D3DKMT_SIM_ANON union {
        D3DKMT_HANDLE hAdapter; /* in */
        VOID *pAdapter;         /* kernel-mode form; unused */
        D3DKMT_SIM_PTR_SLOT(pAdapter_Align)
    };
    D3DKMT_CREATEDEVICEFLAGS Flags; /* in */
    D3DKMT_HANDLE hDevice;          /* out */
    D3DKMT_SIM_PTR(VOID *, pCommandBuffer);                         /* out: NULL */
    UINT CommandBufferSize;                                         /* out: 0 */
    D3DKMT_SIM_PTR(D3DDDI_ALLOCATIONLIST *, pAllocationList);       /* out: NULL */
    UINT AllocationListSize;                                        /* out: 0 */
    D3DKMT_SIM_PTR(D3DDDI_PATCHLOCATIONLIST *, pPatchLocationList); /* out: NULL */
    UINT PatchLocationListSize;                                     /* out: 0 */
} D3DKMT_CREATEDEVICE;

typedef struct _D3DKMT_DESTROYDEVICE {
    D3DKMT_HANDLE hDevice;
} D3DKMT_DESTROYDEVICE;

typedef enum _D3DKMT_DEVICESTATE_TYPE {
    D3DKMT_DEVICESTATE_EXECUTION = 1,
    D3DKMT_DEVICESTATE_PRESENT = 2,
    D3DKMT_DEVICESTATE_RESET = 3,
    D3DKMT_DEVICESTATE_PRESENT_DWM = 4,
    D3DKMT_DEVICESTATE_PAGE_FAULT = 5,
    D3DKMT_DEVICESTATE_PRESENT_QUEUE = 6
} D3DKMT_DEVICESTATE_TYPE;

typedef enum _D3DKMT_DEVICEEXECUTION_STATE {
    D3DKMT_DEVICEEXECUTION_ACTIVE = 1,
    D3DKMT_DEVICEEXECUTION_RESET = 2,
    D3DKMT_DEVICEEXECUTION_HUNG = 3,
    D3DKMT_DEVICEEXECUTION_STOPPED = 4,
    D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY = 5,
    D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT = 6,
    D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT = 7
} D3DKMT_DEVICEEXECUTION_STATE;

/* The other D3DKMT_GETDEVICESTATE union members.  The simulator only
 * answers D3DKMT_DEVICESTATE_EXECUTION; these are declared so the union
 * has Windows' size and so code that names them compiles. */

typedef struct _D3DKMT_PRESENT_STATS {
    UINT PresentCount;
    UINT PresentRefreshCount;
    UINT SyncRefreshCount;
    D3DKMT_SIM_ALIGN8 LARGE_INTEGER SyncQPCTime;
    D3DKMT_SIM_ALIGN8 LARGE_INTEGER SyncGPUTime;
} D3DKMT_PRESENT_STATS;

typedef struct _D3DKMT_DEVICEPRESENT_STATE {
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;
    D3DKMT_PRESENT_STATS PresentStats;
} D3DKMT_DEVICEPRESENT_STATE;

typedef struct _D3DKMT_DEVICERESET_STATE {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT DesktopSwitched : 1;
            UINT Reserved : 31;
        };
        UINT Value;
    };
} D3DKMT_DEVICERESET_STATE;

typedef struct _D3DKMT_PRESENT_STATS_DWM {
    UINT PresentCount;
    UINT PresentRefreshCount;
    D3DKMT_SIM_ALIGN8 LARGE_INTEGER PresentQPCTime;
    UINT SyncRefreshCount;
    D3DKMT_SIM_ALIGN8 LARGE_INTEGER SyncQPCTime;
    UINT CustomPresentDuration;
} D3DKMT_PRESENT_STATS_DWM;

typedef struct _D3DKMT_DEVICEPRESENT_STATE_DWM {
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;
    D3DKMT_PRESENT_STATS_DWM PresentStatsDWM;
} D3DKMT_DEVICEPRESENT_STATE_DWM;

typedef enum _DXGK_RENDER_PIPELINE_STAGE {
    DXGK_RENDER_PIPELINE_STAGE_UNKNOWN = 0,
    DXGK_RENDER_PIPELINE_STAGE_INPUT_ASSEMBLER = 1,
    DXGK_RENDER_PIPELINE_STAGE_VERTEX_SHADER = 2,
    DXGK_RENDER_PIPELINE_STAGE_GEOMETRY_SHADER = 3,
    DXGK_RENDER_PIPELINE_STAGE_STREAM_OUTPUT = 4,
    DXGK_RENDER_PIPELINE_STAGE_RASTERIZER = 5,
    DXGK_RENDER_PIPELINE_STAGE_PIXEL_SHADER = 6,
    DXGK_RENDER_PIPELINE_STAGE_OUTPUT_MERGER = 7
} DXGK_RENDER_PIPELINE_STAGE;

typedef enum _DXGK_PAGE_FAULT_FLAGS {
    DXGK_PAGE_FAULT_WRITE = 0x1,
    DXGK_PAGE_FAULT_FENCE_INVALID = 0x2,
    DXGK_PAGE_FAULT_ADAPTER_RESET_REQUIRED = 0x4,
    DXGK_PAGE_FAULT_ENGINE_RESET_REQUIRED = 0x8,
    DXGK_PAGE_FAULT_FATAL_HARDWARE_ERROR = 0x10,
    DXGK_PAGE_FAULT_IOMMU = 0x20,
    DXGK_PAGE_FAULT_HW_CONTEXT_VALID = 0x40,
    DXGK_PAGE_FAULT_PROCESS_HANDLE_VALID = 0x80
} DXGK_PAGE_FAULT_FLAGS;

typedef enum _DXGK_GENERAL_ERROR_CODE {
    DXGK_GENERAL_ERROR_PAGE_FAULT = 0,
    DXGK_GENERAL_ERROR_INVALID_INSTRUCTION = 1
} DXGK_GENERAL_ERROR_CODE;

/* Windows declares GeneralErrorCode with the enum type, which is a compiler
 * extension for bit-fields; it is a UINT here (same bits). */
typedef struct _DXGK_FAULT_ERROR_CODE {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT IsDeviceSpecificCode : 1;
            UINT GeneralErrorCode : 31; /* DXGK_GENERAL_ERROR_CODE */
        };
        D3DKMT_SIM_ANON struct {
            UINT IsDeviceSpecificCodeReservedBit : 1;
            UINT DeviceSpecificCode : 31;
        };
    };
} DXGK_FAULT_ERROR_CODE;

typedef struct _D3DKMT_DEVICEPAGEFAULT_STATE {
    UINT64 FaultedPrimitiveAPISequenceNumber;
    DXGK_RENDER_PIPELINE_STAGE FaultedPipelineStage;
    UINT FaultedBindTableEntry;
    DXGK_PAGE_FAULT_FLAGS PageFaultFlags;
    DXGK_FAULT_ERROR_CODE FaultErrorCode;
    D3DGPU_VIRTUAL_ADDRESS FaultedVirtualAddress;
} D3DKMT_DEVICEPAGEFAULT_STATE;

typedef struct _D3DKMT_DEVICEPRESENT_QUEUE_STATE {
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;
    BOOLEAN bQueuedPresentLimitReached;
} D3DKMT_DEVICEPRESENT_QUEUE_STATE;

typedef struct _D3DKMT_GETDEVICESTATE {
    D3DKMT_HANDLE hDevice;             /* in */
    D3DKMT_DEVICESTATE_TYPE StateType; /* in: must be D3DKMT_DEVICESTATE_EXECUTION */
    D3DKMT_SIM_ANON union {
        D3DKMT_DEVICEEXECUTION_STATE ExecutionState; /* out */
        D3DKMT_DEVICEPRESENT_STATE PresentState;
        D3DKMT_DEVICERESET_STATE ResetState;
        D3DKMT_DEVICEPRESENT_STATE_DWM PresentStateDWM;
        D3DKMT_DEVICEPAGEFAULT_STATE PageFaultState;
        D3DKMT_DEVICEPRESENT_QUEUE_STATE PresentQueueState;
    };
} D3DKMT_GETDEVICESTATE;

/* --- Allocations ------------------------------------------------------ */

/* Windows declares this as a plain bit-field struct; the union adds Value
 * without changing the layout or the names. */
typedef struct _D3DKMT_CREATEALLOCATIONFLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT CreateResource : 1;        /* 0x00000001 */
            UINT CreateShared : 1;          /* 0x00000002 */
            UINT NonSecure : 1;             /* 0x00000004 */
            UINT CreateProtected : 1;       /* 0x00000008 */
            UINT RestrictSharedAccess : 1;  /* 0x00000010 */
            UINT ExistingSysMem : 1;        /* 0x00000020 */
            UINT NtSecuritySharing : 1;     /* 0x00000040 */
            UINT ReadOnly : 1;              /* 0x00000080 */
            UINT CreateWriteCombined : 1;   /* 0x00000100 */
            UINT CreateCached : 1;          /* 0x00000200 */
            UINT SwapChainBackBuffer : 1;   /* 0x00000400 */
            UINT CrossAdapter : 1;          /* 0x00000800 */
            UINT OpenCrossAdapter : 1;      /* 0x00001000 */
            UINT PartialSharedCreation : 1; /* 0x00002000 */
            UINT Zeroed : 1;                /* 0x00004000 */
            UINT WriteWatch : 1;            /* 0x00008000 */
            UINT StandardAllocation : 1;    /* 0x00010000 */
            UINT ExistingSection : 1;       /* 0x00020000 */
            UINT AllowNotZeroed : 1;        /* 0x00040000 */
            UINT PhysicallyContiguous : 1;  /* 0x00080000 */
            UINT NoKmdAccess : 1;           /* 0x00100000 */
            UINT SharedDisplayable : 1;     /* 0x00200000 */
            UINT Reserved : 10;             /* 0xFFC00000 */
        };
        UINT Value;
    };
} D3DKMT_CREATEALLOCATIONFLAGS;

typedef struct _D3DDDI_ALLOCATIONINFO {
    D3DKMT_HANDLE hAllocation;                      /* out */
    D3DKMT_SIM_PTR(const VOID *, pSystemMem);       /* in: caller memory or NULL */
    D3DKMT_SIM_PTR(VOID *, pPrivateDriverData);     /* in: SIMKMT_ALLOCATION_DESC */
    UINT PrivateDriverDataSize;                     /* in */
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;
    union {
        D3DKMT_SIM_ANON struct {
            UINT Primary : 1;   /* 0x00000001 */
            UINT Stereo : 1;    /* 0x00000002 */
            UINT Reserved : 30; /* 0xFFFFFFFC */
        };
        UINT Value;
    } Flags;
} D3DDDI_ALLOCATIONINFO;

typedef struct _D3DDDI_ALLOCATIONINFO2 {
    D3DKMT_HANDLE hAllocation; /* out */
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_PTR_SLOT(pSystemMem_Align)
        HANDLE hSection;        /* with Flags.ExistingSection; unsupported */
        const VOID *pSystemMem; /* in: caller memory or NULL */
    };
    D3DKMT_SIM_PTR(VOID *, pPrivateDriverData); /* in: SIMKMT_ALLOCATION_DESC */
    UINT PrivateDriverDataSize;                 /* in */
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;
    union {
        D3DKMT_SIM_ANON struct {
            UINT Primary : 1;          /* 0x00000001 */
            UINT Stereo : 1;           /* 0x00000002 */
            UINT OverridePriority : 1; /* 0x00000004 */
            UINT Reserved : 29;        /* 0xFFFFFFF8 */
        };
        UINT Value;
    } Flags;
    D3DGPU_VIRTUAL_ADDRESS GpuVirtualAddress; /* out */
    D3DKMT_SIM_ANON union {
        UINT Priority;
        ULONG_PTR Unused;
        D3DKMT_SIM_PTR_SLOT(Priority_Align)
    };
    ULONG_PTR Reserved[5];
} D3DDDI_ALLOCATIONINFO2;

typedef enum _D3DKMT_STANDARDALLOCATIONTYPE {
    D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP = 1,
    D3DKMT_STANDARDALLOCATIONTYPE_INTERNALBACKINGSTORE = 2,
    D3DKMT_STANDARDALLOCATIONTYPE_MAX = 3
} D3DKMT_STANDARDALLOCATIONTYPE;

typedef struct _D3DKMT_STANDARDALLOCATION_EXISTINGHEAP {
    D3DKMT_SIM_ALIGN8 SIZE_T Size; /* in: bytes of the existing heap */
} D3DKMT_STANDARDALLOCATION_EXISTINGHEAP;

typedef struct _D3DKMT_CREATESTANDARDALLOCATIONFLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT Reserved : 32;
        };
        UINT Value;
    };
} D3DKMT_CREATESTANDARDALLOCATIONFLAGS;

typedef struct _D3DKMT_CREATESTANDARDALLOCATION {
    D3DKMT_STANDARDALLOCATIONTYPE Type;
    D3DKMT_SIM_ANON union {
        D3DKMT_STANDARDALLOCATION_EXISTINGHEAP ExistingHeapData;
    };
    D3DKMT_CREATESTANDARDALLOCATIONFLAGS Flags;
} D3DKMT_CREATESTANDARDALLOCATION;

typedef struct _D3DKMT_CREATEALLOCATION {
    D3DKMT_HANDLE hDevice;      /* in */
    D3DKMT_HANDLE hResource;    /* in/out */
    D3DKMT_HANDLE hGlobalShare; /* out */
    D3DKMT_SIM_PTR(const VOID *, pPrivateRuntimeData);
    UINT PrivateRuntimeDataSize;
    D3DKMT_SIM_ANON union {
        D3DKMT_CREATESTANDARDALLOCATION *pStandardAllocation; /* with Flags.StandardAllocation */
        const VOID *pPrivateDriverData;
        D3DKMT_SIM_PTR_SLOT(pPrivateDriverData_Align)
    };
    UINT PrivateDriverDataSize;
    UINT NumAllocations; /* in: >= 1 */
    D3DKMT_SIM_ANON union {
        D3DDDI_ALLOCATIONINFO *pAllocationInfo;   /* D3DKMTCreateAllocation */
        D3DDDI_ALLOCATIONINFO2 *pAllocationInfo2; /* D3DKMTCreateAllocation2 */
        D3DKMT_SIM_PTR_SLOT(pAllocationInfo_Align)
    };
    D3DKMT_CREATEALLOCATIONFLAGS Flags;
    D3DKMT_SIM_PTR(HANDLE, hPrivateRuntimeResourceHandle);
} D3DKMT_CREATEALLOCATION;

typedef struct _D3DDDICB_DESTROYALLOCATION2FLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT AssumeNotInUse : 1;     /* 0x00000001 */
            UINT SynchronousDestroy : 1; /* 0x00000002 */
            UINT Reserved : 29;          /* 0x7FFFFFFC */
            UINT SystemUseOnly : 1;      /* 0x80000000 */
        };
        UINT Value;
    };
} D3DDDICB_DESTROYALLOCATION2FLAGS;

typedef struct _D3DKMT_DESTROYALLOCATION2 {
    D3DKMT_HANDLE hDevice;
    D3DKMT_HANDLE hResource;
    D3DKMT_SIM_PTR(const D3DKMT_HANDLE *, phAllocationList);
    UINT AllocationCount;
    D3DDDICB_DESTROYALLOCATION2FLAGS Flags;
} D3DKMT_DESTROYALLOCATION2;

/* --- Adapter queries and contexts (docs/contract.md section 10) ---------------- */

typedef union _D3DKMT_ENUMADAPTERS_FILTER {
    D3DKMT_SIM_ANON struct {
        ULONGLONG IncludeComputeOnly : 1; /* 0x1 */
        ULONGLONG IncludeDisplayOnly : 1; /* 0x2 */
        ULONGLONG Reserved : 62;          /* must be 0 */
    };
    D3DKMT_SIM_ALIGN8 ULONGLONG Value;
} D3DKMT_ENUMADAPTERS_FILTER;

typedef struct _D3DKMT_ENUMADAPTERS3 {
    D3DKMT_ENUMADAPTERS_FILTER Filter;                 /* in */
    ULONG NumAdapters;                                 /* in: capacity; out: count */
    D3DKMT_SIM_PTR(D3DKMT_ADAPTERINFO *, pAdapters);   /* out; NULL: count only */
} D3DKMT_ENUMADAPTERS3;

/* The KMTQUERYADAPTERINFOTYPE values the simulator answers; any other
 * value is STATUS_NOT_SUPPORTED. */
typedef enum _KMTQUERYADAPTERINFOTYPE {
    KMTQAITYPE_UMDRIVERPRIVATE = 0,
    KMTQAITYPE_GETSEGMENTSIZE = 3,
    KMTQAITYPE_ADAPTERGUID = 4,
    KMTQAITYPE_ADAPTERADDRESS = 6,
    KMTQAITYPE_CHECKDRIVERUPDATESTATUS = 11,
    KMTQAITYPE_DRIVERVERSION = 13,
    KMTQAITYPE_ADAPTERTYPE = 15,
    KMTQAITYPE_PHYSICALADAPTERCOUNT = 30,
    KMTQAITYPE_PHYSICALADAPTERDEVICEIDS = 31,
    KMTQAITYPE_ADAPTERGUID_RENDER = 52,
    KMTQAITYPE_ADAPTERADDRESS_RENDER = 53,
    KMTQAITYPE_CHECKDRIVERUPDATESTATUS_RENDER = 55,
    KMTQAITYPE_DRIVERVERSION_RENDER = 56,
    KMTQAITYPE_ADAPTERTYPE_RENDER = 57,
    KMTQAITYPE_DRIVER_DESCRIPTION = 65,
    KMTQAITYPE_DRIVER_DESCRIPTION_RENDER = 66,
    KMTQAITYPE_WDDM_2_7_CAPS = 70
} KMTQUERYADAPTERINFOTYPE;

typedef struct _D3DKMT_QUERYADAPTERINFO {
    D3DKMT_HANDLE hAdapter;                            /* in */
    KMTQUERYADAPTERINFOTYPE Type;                      /* in */
    D3DKMT_SIM_PTR(VOID *, pPrivateDriverData);        /* in/out: the type's structure */
    UINT PrivateDriverDataSize;                        /* in: exactly its size */
} D3DKMT_QUERYADAPTERINFO;

typedef struct _D3DKMT_ADAPTERTYPE {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT RenderSupported : 1;            /* 0x00000001 */
            UINT DisplaySupported : 1;           /* 0x00000002 */
            UINT SoftwareDevice : 1;             /* 0x00000004 */
            UINT PostDevice : 1;                 /* 0x00000008 */
            UINT HybridDiscrete : 1;             /* 0x00000010 */
            UINT HybridIntegrated : 1;           /* 0x00000020 */
            UINT IndirectDisplayDevice : 1;      /* 0x00000040 */
            UINT Paravirtualized : 1;            /* 0x00000080 */
            UINT ACGSupported : 1;               /* 0x00000100 */
            UINT SupportSetTimingsFromVidPn : 1; /* 0x00000200 */
            UINT Detachable : 1;                 /* 0x00000400 */
            UINT ComputeOnly : 1;                /* 0x00000800 */
            UINT Prototype : 1;                  /* 0x00001000 */
            UINT RuntimePowerManagement : 1;     /* 0x00002000 */
            UINT Reserved : 18;
        };
        UINT Value;
    };
} D3DKMT_ADAPTERTYPE;

typedef struct _D3DKMT_DEVICE_IDS {
    UINT VendorID;
    UINT DeviceID;
    UINT SubVendorID;
    UINT SubSystemID;
    UINT RevisionID;
    UINT BusType;
} D3DKMT_DEVICE_IDS;

typedef struct _D3DKMT_QUERY_DEVICE_IDS {
    UINT PhysicalAdapterIndex;   /* in: 0 (one physical adapter) */
    D3DKMT_DEVICE_IDS DeviceIds; /* out */
} D3DKMT_QUERY_DEVICE_IDS;

/* Packed to 1, as Windows declares it (d3dkmdt.h packs this part). */
#pragma pack(push, 1)
typedef struct _D3DKMT_WDDM_2_7_CAPS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT HwSchSupported : 1;               /* 0x1 */
            UINT HwSchEnabled : 1;                 /* 0x2 */
            UINT HwSchEnabledByDefault : 1;        /* 0x4 */
            UINT IndependentVidPnVSyncControl : 1; /* 0x8 */
            UINT Reserved : 28;
        };
        UINT Value;
    };
} D3DKMT_WDDM_2_7_CAPS;
#pragma pack(pop)

typedef struct _D3DKMT_DRIVER_DESCRIPTION {
    WCHAR DriverDescription[4096]; /* out: NUL-terminated */
} D3DKMT_DRIVER_DESCRIPTION;

typedef enum _D3DKMT_DRIVERVERSION {
    KMT_DRIVERVERSION_WDDM_1_0 = 1000,
    KMT_DRIVERVERSION_WDDM_1_1_PRERELEASE = 1102,
    KMT_DRIVERVERSION_WDDM_1_1 = 1105,
    KMT_DRIVERVERSION_WDDM_1_2 = 1200,
    KMT_DRIVERVERSION_WDDM_1_3 = 1300,
    KMT_DRIVERVERSION_WDDM_2_0 = 2000,
    KMT_DRIVERVERSION_WDDM_2_1 = 2100,
    KMT_DRIVERVERSION_WDDM_2_2 = 2200,
    KMT_DRIVERVERSION_WDDM_2_3 = 2300,
    KMT_DRIVERVERSION_WDDM_2_4 = 2400,
    KMT_DRIVERVERSION_WDDM_2_5 = 2500,
    KMT_DRIVERVERSION_WDDM_2_6 = 2600,
    KMT_DRIVERVERSION_WDDM_2_7 = 2700,
    KMT_DRIVERVERSION_WDDM_2_8 = 2800,
    KMT_DRIVERVERSION_WDDM_2_9 = 2900,
    KMT_DRIVERVERSION_WDDM_3_0 = 3000
} D3DKMT_DRIVERVERSION;

typedef struct _D3DKMT_ADAPTERADDRESS {
    UINT BusNumber;
    UINT DeviceNumber;
    UINT FunctionNumber;
} D3DKMT_ADAPTERADDRESS;

typedef struct _D3DKMT_SEGMENTSIZEINFO {
    D3DKMT_SIM_ALIGN8 ULONGLONG DedicatedVideoMemorySize;
    D3DKMT_SIM_ALIGN8 ULONGLONG DedicatedSystemMemorySize;
    D3DKMT_SIM_ALIGN8 ULONGLONG SharedSystemMemorySize;
} D3DKMT_SEGMENTSIZEINFO;

typedef struct _D3DKMT_PHYSICAL_ADAPTER_COUNT {
    UINT Count;
} D3DKMT_PHYSICAL_ADAPTER_COUNT;

typedef enum _D3DKMT_CLIENTHINT {
    D3DKMT_CLIENTHINT_UNKNOWN = 0,
    D3DKMT_CLIENTHINT_OPENGL = 1,
    D3DKMT_CLIENTHINT_CDD = 2,
    D3DKMT_CLIENTHINT_OPENCL = 3,
    D3DKMT_CLIENTHINT_VULKAN = 4,
    D3DKMT_CLIENTHINT_CUDA = 5,
    D3DKMT_CLIENTHINT_RESERVED = 6,
    D3DKMT_CLIENTHINT_DX7 = 7,
    D3DKMT_CLIENTHINT_DX8 = 8,
    D3DKMT_CLIENTHINT_DX9 = 9,
    D3DKMT_CLIENTHINT_DX10 = 10,
    D3DKMT_CLIENTHINT_DX11 = 11,
    D3DKMT_CLIENTHINT_DX12 = 12,
    D3DKMT_CLIENTHINT_9ON12 = 13,
    D3DKMT_CLIENTHINT_11ON12 = 14,
    D3DKMT_CLIENTHINT_MFT_ENCODE = 15,
    D3DKMT_CLIENTHINT_GLON12 = 16,
    D3DKMT_CLIENTHINT_CLON12 = 17,
    D3DKMT_CLIENTHINT_DML_TENSORFLOW = 18,
    D3DKMT_CLIENTHINT_ONEAPI_LEVEL0 = 19,
    D3DKMT_CLIENTHINT_MAX
} D3DKMT_CLIENTHINT;

typedef struct _D3DDDI_CREATECONTEXTFLAGS {
    D3DKMT_SIM_ANON union {
        D3DKMT_SIM_ANON struct {
            UINT NullRendering : 1;       /* 0x00000001 */
            UINT InitialData : 1;         /* 0x00000002 */
            UINT DisableGpuTimeout : 1;   /* 0x00000004 */
            UINT SynchronizationOnly : 1; /* 0x00000008 */
            UINT HwQueueSupported : 1;    /* 0x00000010: needs HW scheduling enabled */
            UINT NoKmdAccess : 1;         /* 0x00000020 */
            UINT Reserved : 26;           /* must be 0 */
        };
        UINT Value;
    };
} D3DDDI_CREATECONTEXTFLAGS;

typedef struct _D3DKMT_CREATECONTEXTVIRTUAL {
    D3DKMT_HANDLE hDevice;                         /* in */
    UINT NodeOrdinal;                              /* in: below the adapter's node count */
    UINT EngineAffinity;                           /* in: mask of the node's engines */
    D3DDDI_CREATECONTEXTFLAGS Flags;               /* in */
    D3DKMT_SIM_PTR(VOID *, pPrivateDriverData);    /* in: kept with the context */
    UINT PrivateDriverDataSize;                    /* in */
    D3DKMT_CLIENTHINT ClientHint;                  /* in */
    D3DKMT_HANDLE hContext;                        /* out */
} D3DKMT_CREATECONTEXTVIRTUAL;

typedef struct _D3DKMT_DESTROYCONTEXT {
    D3DKMT_HANDLE hContext; /* in */
} D3DKMT_DESTROYCONTEXT;

/* --- Entry points ----------------------------------------------------- */

NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTEnumAdapters2(D3DKMT_ENUMADAPTERS2 *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTOpenAdapterFromLuid(D3DKMT_OPENADAPTERFROMLUID *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTCloseAdapter(const D3DKMT_CLOSEADAPTER *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTCreateDevice(D3DKMT_CREATEDEVICE *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTDestroyDevice(const D3DKMT_DESTROYDEVICE *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTCreateAllocation2(D3DKMT_CREATEALLOCATION *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTCreateAllocation(D3DKMT_CREATEALLOCATION *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTDestroyAllocation2(const D3DKMT_DESTROYALLOCATION2 *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTLock2(D3DKMT_LOCK2 *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTUnlock2(const D3DKMT_UNLOCK2 *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTLock(D3DKMT_LOCK *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTUnlock(const D3DKMT_UNLOCK *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTGetDeviceState(D3DKMT_GETDEVICESTATE *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTEnumAdapters3(D3DKMT_ENUMADAPTERS3 *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTQueryAdapterInfo(const D3DKMT_QUERYADAPTERINFO *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTCreateContextVirtual(D3DKMT_CREATECONTEXTVIRTUAL *pData);
NTSTATUS D3DKMT_SIM_APIENTRY D3DKMTDestroyContext(const D3DKMT_DESTROYCONTEXT *pData);

/* --- Layout checks (Windows x64 layout; 64-bit targets) ---------------- */

#if (defined(UINTPTR_MAX) && (UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu)) || defined(_WIN64)

#define D3DKMT_SIM_CHECK_SIZE(T, n) D3DKMT_SIM_STATIC_ASSERT(sizeof(T) == (n), "sizeof(" #T ")")
#define D3DKMT_SIM_CHECK_OFFSET(T, f, n) \
    D3DKMT_SIM_STATIC_ASSERT(offsetof(T, f) == (n), "offsetof(" #T ", " #f ")")

D3DKMT_SIM_CHECK_SIZE(D3DDDICB_LOCK2FLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DDDICB_LOCKFLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATEDEVICEFLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATEALLOCATIONFLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DDDICB_DESTROYALLOCATION2FLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATESTANDARDALLOCATIONFLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(LUID, 8);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_LOCK2, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK2, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK2, hAllocation, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK2, Flags, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK2, pData, 16);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_UNLOCK2, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_UNLOCK2, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_UNLOCK2, hAllocation, 4);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_LOCK, 48);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, hAllocation, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, PrivateDriverData, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, NumPages, 12);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, pPages, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, pData, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, Flags, 32);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_LOCK, GpuVirtualAddress, 40);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_UNLOCK, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_UNLOCK, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_UNLOCK, NumAllocations, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_UNLOCK, phAllocations, 8);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_ADAPTERINFO, 20);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ADAPTERINFO, hAdapter, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ADAPTERINFO, AdapterLuid, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ADAPTERINFO, NumOfSources, 12);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ADAPTERINFO, bPrecisePresentRegionsPreferred, 16);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_ENUMADAPTERS2, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ENUMADAPTERS2, NumAdapters, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ENUMADAPTERS2, pAdapters, 8);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_OPENADAPTERFROMLUID, 12);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_OPENADAPTERFROMLUID, AdapterLuid, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_OPENADAPTERFROMLUID, hAdapter, 8);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_CLOSEADAPTER, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CLOSEADAPTER, hAdapter, 0);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATEDEVICE, 64);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, hAdapter, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, pAdapter, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, Flags, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, hDevice, 12);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, pCommandBuffer, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, CommandBufferSize, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, pAllocationList, 32);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, AllocationListSize, 40);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, pPatchLocationList, 48);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEDEVICE, PatchLocationListSize, 56);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_DESTROYDEVICE, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYDEVICE, hDevice, 0);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATEALLOCATION, 72);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, hResource, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, hGlobalShare, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, pPrivateRuntimeData, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, PrivateRuntimeDataSize, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, pPrivateDriverData, 32);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, pStandardAllocation, 32);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, PrivateDriverDataSize, 40);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, NumAllocations, 44);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, pAllocationInfo, 48);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, pAllocationInfo2, 48);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, Flags, 56);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATEALLOCATION, hPrivateRuntimeResourceHandle, 64);

D3DKMT_SIM_CHECK_SIZE(D3DDDI_ALLOCATIONINFO, 40);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, hAllocation, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, pSystemMem, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, pPrivateDriverData, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, PrivateDriverDataSize, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, VidPnSourceId, 28);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO, Flags, 32);

D3DKMT_SIM_CHECK_SIZE(D3DDDI_ALLOCATIONINFO2, 96);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, hAllocation, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, pSystemMem, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, hSection, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, pPrivateDriverData, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, PrivateDriverDataSize, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, VidPnSourceId, 28);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, Flags, 32);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, GpuVirtualAddress, 40);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, Priority, 48);
D3DKMT_SIM_CHECK_OFFSET(D3DDDI_ALLOCATIONINFO2, Reserved, 56);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_STANDARDALLOCATION_EXISTINGHEAP, 8);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATESTANDARDALLOCATION, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATESTANDARDALLOCATION, Type, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATESTANDARDALLOCATION, ExistingHeapData, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATESTANDARDALLOCATION, Flags, 16);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_DESTROYALLOCATION2, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYALLOCATION2, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYALLOCATION2, hResource, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYALLOCATION2, phAllocationList, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYALLOCATION2, AllocationCount, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_DESTROYALLOCATION2, Flags, 20);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_PRESENT_STATS, 32);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DEVICEPRESENT_STATE, 40);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DEVICERESET_STATE, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_PRESENT_STATS_DWM, 40);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DEVICEPRESENT_STATE_DWM, 48);
D3DKMT_SIM_CHECK_SIZE(DXGK_FAULT_ERROR_CODE, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DEVICEPAGEFAULT_STATE, 32);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DEVICEPRESENT_QUEUE_STATE, 8);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_GETDEVICESTATE, 56);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_GETDEVICESTATE, hDevice, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_GETDEVICESTATE, StateType, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_GETDEVICESTATE, ExecutionState, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_GETDEVICESTATE, PresentStateDWM, 8);

D3DKMT_SIM_CHECK_SIZE(D3DKMT_ENUMADAPTERS_FILTER, 8);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_ENUMADAPTERS3, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ENUMADAPTERS3, Filter, 0);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ENUMADAPTERS3, NumAdapters, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_ENUMADAPTERS3, pAdapters, 16);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_QUERYADAPTERINFO, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_QUERYADAPTERINFO, Type, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_QUERYADAPTERINFO, pPrivateDriverData, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_QUERYADAPTERINFO, PrivateDriverDataSize, 16);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_ADAPTERTYPE, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_QUERY_DEVICE_IDS, 28);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_QUERY_DEVICE_IDS, DeviceIds, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_WDDM_2_7_CAPS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DRIVER_DESCRIPTION, 4096 * sizeof(WCHAR));
D3DKMT_SIM_CHECK_SIZE(D3DKMT_ADAPTERADDRESS, 12);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_SEGMENTSIZEINFO, 24);
D3DKMT_SIM_CHECK_SIZE(GUID, 16);
D3DKMT_SIM_CHECK_SIZE(D3DDDI_CREATECONTEXTFLAGS, 4);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_CREATECONTEXTVIRTUAL, 40);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, NodeOrdinal, 4);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, EngineAffinity, 8);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, Flags, 12);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, pPrivateDriverData, 16);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, PrivateDriverDataSize, 24);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, ClientHint, 28);
D3DKMT_SIM_CHECK_OFFSET(D3DKMT_CREATECONTEXTVIRTUAL, hContext, 32);
D3DKMT_SIM_CHECK_SIZE(D3DKMT_DESTROYCONTEXT, 4);

#endif /* 64-bit layout checks */

#endif /* !D3DKMT_SIM_EXTENSIONS_ONLY */

/* ------------------------------------------------------------------------ */
/* 5. The SIMKMT extension (simulator control)                               */
/* ------------------------------------------------------------------------ */

#ifndef D3DKMT_SIM_SIMKMT_DECLARED_
#define D3DKMT_SIM_SIMKMT_DECLARED_ 1

/* Private driver data of each D3DDDI_ALLOCATIONINFO(2). */
typedef struct _SIMKMT_ALLOCATION_DESC {
    UINT32 Version;     /* SIMKMT_ALLOCATION_DESC_VERSION */
    UINT32 Flags;       /* SIMKMT_ALLOCATION_FLAG_* */
    UINT64 SizeInBytes; /* > 0; rounded up to whole pages */
} SIMKMT_ALLOCATION_DESC; /* 16 bytes */

#define SIMKMT_ALLOCATION_DESC_VERSION 1
#define SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE 0x1

/* SIMKMT_CONFIG.BusyPolicy */
#define SIMKMT_BUSY_FAIL 0
#define SIMKMT_BUSY_WAIT 1
#define SIMKMT_BUSY_IGNORE 2

typedef struct _SIMKMT_CONFIG {
    UINT32 Size;               /* sizeof(SIMKMT_CONFIG); smaller -> INVALID_PARAMETER */
    UINT32 AdapterCount;       /* 0 -> 1; at most 16 */
    UINT32 PageSize;           /* 0 -> 4096; a power of two >= 4096 */
    UINT32 MaxLockReferences;  /* 0 -> 1024 */
    UINT32 BusyPolicy;         /* SIMKMT_BUSY_FAIL (default), _WAIT, _IGNORE */
    UINT32 WaitTimeoutMs;      /* 0 -> 1000 */
    UINT64 AdapterMemoryBytes; /* budget per adapter; 0 -> 4 GiB */
    UINT64 Seed;               /* seeds every random choice of the simulator */
} SIMKMT_CONFIG; /* 40 bytes */

/* SIMKMT_ADAPTER_DESC.Kind */
#define SIMKMT_ADAPTER_KIND_RENDER 0         /* renders (default) */
#define SIMKMT_ADAPTER_KIND_RENDER_DISPLAY 1 /* renders and displays */
#define SIMKMT_ADAPTER_KIND_COMPUTE_ONLY 2   /* EnumAdapters3 lists it with IncludeComputeOnly */
#define SIMKMT_ADAPTER_KIND_DISPLAY_ONLY 3   /* EnumAdapters3 lists it with IncludeDisplayOnly */

/* SIMKMT_ADAPTER_DESC.HwScheduling */
#define SIMKMT_HWSCH_UNSUPPORTED 0
#define SIMKMT_HWSCH_SUPPORTED 1
#define SIMKMT_HWSCH_ENABLED 2

/* One adapter's profile: what D3DKMTQueryAdapterInfo answers and which
 * nodes and engines contexts may name.  Every zero field means its default
 * (docs/c-library.md lists them). */
typedef struct _SIMKMT_ADAPTER_DESC {
    UINT32 Size;               /* sizeof(SIMKMT_ADAPTER_DESC); smaller -> INVALID_PARAMETER */
    UINT32 Kind;               /* SIMKMT_ADAPTER_KIND_* */
    UINT32 VendorId;           /* 0 -> 0xD3D5 */
    UINT32 DeviceId;           /* 0 -> 0x0001 */
    UINT32 SubVendorId;
    UINT32 SubSystemId;
    UINT32 RevisionId;         /* 0 -> 1 */
    UINT32 HwScheduling;       /* SIMKMT_HWSCH_* */
    UINT32 DriverVersion;      /* a KMT_DRIVERVERSION_* value; 0 -> 2700 (WDDM 2.7) */
    UINT32 NodeCount;          /* 0 -> 1; at most 8 */
    UINT32 EnginesPerNode[8];  /* of the first NodeCount nodes; 0 -> 1; at most 32 */
    const char *pDescription;  /* UTF-8, NUL-terminated, <= 4095 characters; NULL -> default */
    const void *pUmdPrivateData; /* KMTQAITYPE_UMDRIVERPRIVATE's answer (copied) */
    UINT32 UmdPrivateDataSize; /* <= 65536 */
    UINT32 Reserved;           /* 0 */
} SIMKMT_ADAPTER_DESC; /* 96 bytes */

/* A SIMKMT_CONFIG followed by adapter profiles: pass &ConfigEx.Base to
 * SimKmtReset with Base.Size = sizeof(SIMKMT_CONFIG_EX).  A 40-byte
 * SIMKMT_CONFIG still works unchanged. */
typedef struct _SIMKMT_CONFIG_EX {
    SIMKMT_CONFIG Base;
    UINT32 NumAdapterDescs;                   /* <= the adapter count; adapter i gets entry i */
    UINT32 Reserved;                          /* 0 */
    const SIMKMT_ADAPTER_DESC *pAdapterDescs; /* NULL only when NumAdapterDescs is 0 */
} SIMKMT_CONFIG_EX; /* 56 bytes */

typedef struct _SIMKMT_SUBMIT {
    D3DKMT_HANDLE hDevice;              /* in */
    UINT32 NumAllocations;              /* in: >= 1 */
    const D3DKMT_HANDLE *phAllocations; /* in: allocations of hDevice */
    UINT64 FenceValue;                  /* out: completes this work */
} SIMKMT_SUBMIT; /* 24 bytes */

typedef struct _SIMKMT_ALLOCATION_INFO {
    UINT64 SizeInBytes; /* rounded to pages */
    UINT32 PageCount;
    UINT32 LockCount;
    UINT32 Busy;  /* 1 while referenced by uncompleted work */
    UINT32 Flags; /* SIMKMT_ALLOCATION_FLAG_* */
} SIMKMT_ALLOCATION_INFO; /* 24 bytes */

/* SIMKMT_FAULT.Call: which entry point a fault matches */
#define SIMKMT_CALL_LOCK2 1
#define SIMKMT_CALL_UNLOCK2 2
#define SIMKMT_CALL_LOCK 3
#define SIMKMT_CALL_UNLOCK 4
#define SIMKMT_CALL_CREATEALLOCATION 5
#define SIMKMT_CALL_DESTROYALLOCATION 6
#define SIMKMT_CALL_CREATEDEVICE 7
#define SIMKMT_CALL_DESTROYDEVICE 8
#define SIMKMT_CALL_OPENADAPTER 9
#define SIMKMT_CALL_GETDEVICESTATE 10
#define SIMKMT_CALL_CREATECONTEXT 11    /* D3DKMTCreateContextVirtual */
#define SIMKMT_CALL_DESTROYCONTEXT 12   /* D3DKMTDestroyContext */
#define SIMKMT_CALL_QUERYADAPTERINFO 13 /* D3DKMTQueryAdapterInfo */
#define SIMKMT_CALL_ENUMADAPTERS 14     /* D3DKMTEnumAdapters2 and 3 */

/* SIMKMT_FAULT.Action */
#define SIMKMT_FAULT_RETURN_STATUS 0
#define SIMKMT_FAULT_REMOVE_DEVICE 1
#define SIMKMT_FAULT_RESET_ADAPTER 2

typedef struct _SIMKMT_FAULT {
    UINT32 Call;     /* SIMKMT_CALL_* */
    UINT32 Nth;      /* fire on the Nth matching call from now; 0 -> 1 */
    UINT32 Count;    /* consecutive calls it fires on; 0 -> 1 */
    UINT32 Action;   /* SIMKMT_FAULT_* */
    NTSTATUS Status; /* RETURN_STATUS: returned instead (a failure code) */
    UINT32 Reserved; /* 0 */
} SIMKMT_FAULT; /* 24 bytes */

/* NULL -> built-in defaults.  Destroys every object of the old simulator. */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtReset(const SIMKMT_CONFIG *pConfig);
/* The configuration the process-wide simulator runs with (the defaults,
 * D3DKMT_SIM_CONFIG, or the last SimKmtReset), every field filled in.
 * In: pConfig->Size (>= sizeof(SIMKMT_CONFIG)); NULL or smaller ->
 * STATUS_INVALID_PARAMETER.  Writes the 40 SIMKMT_CONFIG bytes and keeps
 * Size; adapter profiles are not reported. */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtQueryConfig(SIMKMT_CONFIG *pConfig);
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtSubmit(SIMKMT_SUBMIT *pSubmit);
/* Completes all of hDevice's work with fence <= FenceValue. */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtCompleteFence(D3DKMT_HANDLE hDevice, UINT64 FenceValue);
/* ExecutionState: 0 (-> RESET) or 2..7 (D3DKMT_DEVICEEXECUTION_*). */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtRemoveDevice(D3DKMT_HANDLE hDevice, UINT32 ExecutionState);
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtResetAdapter(D3DKMT_HANDLE hAdapter);
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtRemoveAdapter(D3DKMT_HANDLE hAdapter);
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtQueryAllocation(D3DKMT_HANDLE hDevice, D3DKMT_HANDLE hAllocation,
                                                   SIMKMT_ALLOCATION_INFO *pInfo);
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtInjectFault(const SIMKMT_FAULT *pFault);

#if (defined(UINTPTR_MAX) && (UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu)) || defined(_WIN64)
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_ALLOCATION_DESC) == 16, "sizeof(SIMKMT_ALLOCATION_DESC)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ALLOCATION_DESC, SizeInBytes) == 8, "SIMKMT_ALLOCATION_DESC.SizeInBytes");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_CONFIG) == 40, "sizeof(SIMKMT_CONFIG)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_CONFIG, WaitTimeoutMs) == 20, "SIMKMT_CONFIG.WaitTimeoutMs");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_CONFIG, AdapterMemoryBytes) == 24, "SIMKMT_CONFIG.AdapterMemoryBytes");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_CONFIG, Seed) == 32, "SIMKMT_CONFIG.Seed");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_SUBMIT) == 24, "sizeof(SIMKMT_SUBMIT)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_SUBMIT, phAllocations) == 8, "SIMKMT_SUBMIT.phAllocations");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_SUBMIT, FenceValue) == 16, "SIMKMT_SUBMIT.FenceValue");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_ALLOCATION_INFO) == 24, "sizeof(SIMKMT_ALLOCATION_INFO)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ALLOCATION_INFO, Flags) == 20, "SIMKMT_ALLOCATION_INFO.Flags");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_FAULT) == 24, "sizeof(SIMKMT_FAULT)");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_ADAPTER_DESC) == 96, "sizeof(SIMKMT_ADAPTER_DESC)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ADAPTER_DESC, pDescription) == 72, "SIMKMT_ADAPTER_DESC.pDescription");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ADAPTER_DESC, Reserved) == 92, "SIMKMT_ADAPTER_DESC.Reserved");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_CONFIG_EX) == 56, "sizeof(SIMKMT_CONFIG_EX)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_CONFIG_EX, pAdapterDescs) == 48, "SIMKMT_CONFIG_EX.pAdapterDescs");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_FAULT, Status) == 16, "SIMKMT_FAULT.Status");
#endif

/* --- The driver model: who reads the private driver data ---------------- */

/* SIMKMT_ALLOCATION_INFO.Flags: the allocation lives in system memory
 * (outside the adapter budget).  Not accepted in a SIMKMT_ALLOCATION_DESC. */
#define SIMKMT_ALLOCATION_FLAG_SYSTEM_PLACEMENT 0x2

/* SIMKMT_ALLOCATION_ANSWER.Placement */
#define SIMKMT_PLACEMENT_VIDEO 0  /* video memory, against the adapter budget */
#define SIMKMT_PLACEMENT_SYSTEM 1 /* host memory outside the budget */

/* What an interpreter is shown of one allocation of a create call. */
typedef struct _SIMKMT_ALLOCATION_REQUEST {
    const void *pResourcePrivateDriverData; /* the call's pPrivateDriverData, or NULL */
    UINT32 ResourcePrivateDriverDataSize;
    UINT32 AllocationIndex;          /* 0-based index in the call */
    const void *pPrivateDriverData;  /* this allocation's private data, or NULL */
    UINT32 PrivateDriverDataSize;
    UINT32 Flags;                    /* D3DKMT_CREATEALLOCATIONFLAGS value */
    UINT32 HasSystemMemory;          /* 1 when pSystemMem was given */
    UINT32 Reserved;                 /* 0 */
} SIMKMT_ALLOCATION_REQUEST; /* 40 bytes */

/* What the interpreter decides. */
typedef struct _SIMKMT_ALLOCATION_ANSWER {
    UINT64 SizeInBytes; /* > 0; rounded up to whole pages */
    UINT32 Flags;       /* 0 or SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE */
    UINT32 Placement;   /* SIMKMT_PLACEMENT_* */
} SIMKMT_ALLOCATION_ANSWER; /* 16 bytes */

/* Returns a failure status (< 0) to fail the create call with it (nothing is
 * created).  Called on the creating thread, possibly concurrently, outside
 * every simulator lock; it must not call into the simulator. */
typedef NTSTATUS (D3DKMT_SIM_APIENTRY *PFN_SIMKMT_INTERPRET_ALLOCATION)(void *pContext,
                                                                      const SIMKMT_ALLOCATION_REQUEST *pRequest,
                                                                      SIMKMT_ALLOCATION_ANSWER *pAnswer);

/* NULL -> the default SIMKMT_ALLOCATION_DESC reader.  SimKmtReset restores it. */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtSetDriverModel(PFN_SIMKMT_INTERPRET_ALLOCATION pfnInterpret, void *pContext);
/* *pSize: in, the buffer's size; out, the data's size.  NULL pBuffer -> the
 * size only; too small -> STATUS_BUFFER_TOO_SMALL with the size needed.
 * Works on a removed device. */
NTSTATUS D3DKMT_SIM_APIENTRY SimKmtQueryAllocationPrivateData(D3DKMT_HANDLE hDevice, D3DKMT_HANDLE hAllocation,
                                                              void *pBuffer, UINT32 *pSize);

#if (defined(UINTPTR_MAX) && (UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu)) || defined(_WIN64)
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_ALLOCATION_REQUEST) == 40, "sizeof(SIMKMT_ALLOCATION_REQUEST)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ALLOCATION_REQUEST, pPrivateDriverData) == 16,
                         "SIMKMT_ALLOCATION_REQUEST.pPrivateDriverData");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ALLOCATION_REQUEST, Reserved) == 36, "SIMKMT_ALLOCATION_REQUEST.Reserved");
D3DKMT_SIM_STATIC_ASSERT(sizeof(SIMKMT_ALLOCATION_ANSWER) == 16, "sizeof(SIMKMT_ALLOCATION_ANSWER)");
D3DKMT_SIM_STATIC_ASSERT(offsetof(SIMKMT_ALLOCATION_ANSWER, Placement) == 12, "SIMKMT_ALLOCATION_ANSWER.Placement");
#endif

#endif /* D3DKMT_SIM_SIMKMT_DECLARED_ */

#ifdef __cplusplus
} /* extern "C" */
#endif

#if defined(_MSC_VER)
#pragma warning(pop)
#endif

#endif /* D3DKMT_SIM_H_ */
