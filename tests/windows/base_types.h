/*
 * base_types.h - the Windows base types d3dkmt_sim.h uses, spelled as the
 * Windows SDK's headers spell them (basetsd.h, minwindef.h, winnt.h,
 * guiddef.h), for a program that includes d3dkmt_sim.h with
 * D3DKMT_SIM_NO_WINDOWS_H and brings its own.
 *
 * .ci/windows.sh uses it to check the header as C++ under clang's MSVC mode:
 * Wine's <winnt.h>, the only Windows headers Debian has that suit that mode,
 * does not compile as C++ there (it defines _InterlockedCompareExchange128,
 * a clang builtin).
 */
#ifndef D3DKMT_SIM_TEST_BASE_TYPES_H_
#define D3DKMT_SIM_TEST_BASE_TYPES_H_

#define VOID void
typedef unsigned int UINT;
typedef int INT;
typedef unsigned char UINT8;
typedef unsigned short UINT16;
typedef unsigned int UINT32;
typedef unsigned __int64 UINT64;
typedef signed int INT32;
typedef signed __int64 INT64;
typedef long LONG;
typedef unsigned long ULONG;
typedef unsigned long DWORD;
typedef __int64 LONGLONG;
typedef unsigned __int64 ULONGLONG;
typedef unsigned __int64 ULONG_PTR;
typedef ULONG_PTR SIZE_T;
typedef int BOOL;
typedef unsigned char BOOLEAN;
typedef void *HANDLE;
typedef void *PVOID;
typedef wchar_t WCHAR;
typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID, *PLUID;
typedef struct _GUID {
    unsigned long Data1;
    unsigned short Data2;
    unsigned short Data3;
    unsigned char Data4[8];
} GUID;
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    }; /* DUMMYSTRUCTNAME: nameless, as the SDK declares it for MSVC */
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER;

#endif
