//! What every export shares: the panic guard, argument reads and C arrays
//! read one element at a time.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::call::Elements;
use crate::error::{ErrorKind, Result};
use crate::status::NtStatus;

use super::types::NTSTATUS;

/// Runs an export's body: maps its result to a status and turns a panic
/// into `STATUS_INTERNAL_ERROR`.
#[inline(always)]
pub(super) fn guarded(body: impl FnOnce() -> Result<()>) -> NTSTATUS {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => NtStatus::SUCCESS.0,
        Ok(Err(e)) => error_status(e),
        Err(_) => NtStatus::INTERNAL_ERROR.0,
    }
}

/// The status of an error, out of the hot paths' way.
#[cold]
pub(super) fn error_status(error: impl Into<NtStatus>) -> NTSTATUS {
    error.into().0
}

/// A caller's byte buffer for the duration of a call (empty for NULL).
///
/// # Safety
///
/// A non-NULL `data` is readable for `size` bytes, unchanged, for `'a`.
pub(super) unsafe fn caller_bytes<'a>(data: *const core::ffi::c_void, size: u32) -> &'a [u8] {
    if data.is_null() || size == 0 {
        &[]
    } else {
        // SAFETY: the function's contract.
        unsafe { core::slice::from_raw_parts(data.cast::<u8>(), size as usize) }
    }
}

/// [`caller_bytes`] for a buffer that must be there when its size is not 0:
/// NULL with a non-zero size is `InvalidParameter` (`what` names the
/// pointer).
///
/// # Safety
///
/// As [`caller_bytes`].
pub(super) unsafe fn required_bytes<'a>(
    data: *const core::ffi::c_void,
    size: u32,
    what: &'static str,
) -> Result<&'a [u8]> {
    if data.is_null() && size != 0 {
        return Err(ErrorKind::InvalidParameter(what).into());
    }
    // SAFETY: the caller's promise.
    Ok(unsafe { caller_bytes(data, size) })
}

/// Reads a C argument struct; NULL is `STATUS_INVALID_PARAMETER`.
///
/// # Safety
///
/// A non-NULL `p` must point to a readable `T`.
#[inline(always)]
pub(super) unsafe fn read_arg<T: Copy>(p: *const T) -> Result<T> {
    if p.is_null() {
        return Err(ErrorKind::InvalidParameter("NULL argument").into());
    }
    // SAFETY: non-NULL, and the caller promises a readable T.
    Ok(unsafe { p.read_unaligned() })
}

/// A caller's C array of `count` elements, read one element at a time and
/// only as far as the engine reads it: no slice over it is ever made, so a
/// count larger than the array is harmless until an element past the array
/// is actually reached (the caller's error, as on Windows), and nothing is
/// reserved for elements never read.
pub(super) struct CArray<T> {
    ptr: *const T,
    count: u32,
}

impl<T> CArray<T> {
    /// The array at `ptr`; `None` for NULL with a non-zero count.
    ///
    /// # Safety
    ///
    /// Every element the engine reads (index below `count`) must be
    /// readable, and stay unchanged, for the duration of the call.
    pub(super) unsafe fn new(ptr: *const T, count: u32) -> Option<Self> {
        (count == 0 || !ptr.is_null()).then_some(CArray { ptr, count })
    }

    /// The array at `ptr`, or an empty one for NULL (for the calls whose
    /// contract treats a NULL list like an empty one).
    ///
    /// # Safety
    ///
    /// As [`CArray::new`].
    pub(super) unsafe fn or_empty(ptr: *const T, count: u32) -> Self {
        // SAFETY: the caller's promise, forwarded.
        unsafe { CArray::new(ptr, count) }.unwrap_or(CArray { ptr, count: 0 })
    }
}

impl<T: Copy> Elements<T> for CArray<T> {
    fn count(&self) -> u32 {
        self.count
    }

    fn get(&self, i: u32) -> T {
        assert!(i < self.count, "element {i} of a {}-element C array", self.count);
        // SAFETY: `i < count` and the pointer is non-NULL (`new` refuses
        // NULL with a non-zero count); `CArray::new`'s caller promised the
        // element readable.
        unsafe { self.ptr.add(i as usize).read_unaligned() }
    }
}

/// Defines an export that runs its body under [`guarded`].
macro_rules! export {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// Every non-NULL pointer argument, and every pointer inside a
        /// struct argument that the contract reads or writes, must be valid
        /// for that access for the duration of the call, as with the
        /// Windows thunk of the same name.
        #[no_mangle]
        pub unsafe extern "system" fn $name($($arg: $ty),*) -> NTSTATUS {
            $crate::ffi::args::guarded(|| $body)
        }
    };
}
pub(super) use export;
