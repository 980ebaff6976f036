//! [`Error`]: every way a simulator call can fail, and its one mapping to
//! [`NtStatus`].

use crate::handle::HandleKind;
use crate::status::NtStatus;

/// Why a call failed. [`Error::status`] is the only place that turns an error
/// into the status the contract names (`docs/c-library.md`), so the Rust API and the C ABI
/// can never disagree.
///
/// ```
/// use d3dkmt_sim::{Error, NtStatus};
/// assert_eq!(Error::DeviceRemoved.status(), NtStatus::DEVICE_REMOVED);
/// assert_eq!(Error::NotLocked.status(), NtStatus::INVALID_PARAMETER);
/// assert_eq!(Error::InvalidResourceHandle.status(), NtStatus::INVALID_HANDLE);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A handle is zero, of the wrong kind, stale (its object was destroyed)
    /// or was never issued by this simulator.
    #[error("invalid {0} handle")]
    InvalidHandle(HandleKind),
    /// The allocation exists but belongs to another device than the one named.
    #[error("the allocation belongs to another device")]
    WrongDevice,
    /// An argument breaks the contract; the text says which.
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    /// The allocation was created not CPU-visible, so it cannot be locked.
    #[error("the allocation is not CPU-visible")]
    NotCpuVisible,
    /// Unlock of an allocation that holds no lock reference (or fewer than the
    /// number asked to release).
    #[error("the allocation is not locked")]
    NotLocked,
    /// The device (or its adapter) was removed; sticky until destroyed.
    #[error("the device was removed")]
    DeviceRemoved,
    /// Submitted GPU work still references the allocation.
    #[error("the allocation is busy")]
    AllocationBusy,
    /// The allocation's lock count is at the configured limit.
    #[error("too many lock references")]
    TooManyReferences,
    /// The adapter's memory budget cannot hold the requested allocations.
    #[error("adapter memory budget exhausted")]
    NoVideoMemory,
    /// The host refused to reserve address space for the backing memory.
    #[error("the host could not reserve memory")]
    NoMemory,
    /// A caller's buffer cannot hold the result; `needed` entries (bytes,
    /// for private data) are required.
    #[error("buffer too small: {needed} needed")]
    BufferTooSmall {
        /// How many entries (or bytes) the buffer must hold.
        needed: usize,
    },
    /// A feature the simulator does not model (for example shared
    /// resources); the text says which.
    #[error("not supported: {0}")]
    NotSupported(&'static str),
    /// A fault armed with [`crate::FaultAction::ReturnStatus`] fired.
    #[error("injected fault {0}")]
    Injected(NtStatus),
    /// A bug inside the simulator (for example a caught panic).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A create call's `hResource` is non-zero and names no live resource
    /// (`STATUS_INVALID_HANDLE`, as Windows answers).
    #[error("hResource names no live resource")]
    InvalidResourceHandle,
    /// The [`crate::DriverModel`] refused an allocation with this failure
    /// status (the create call returns it and creates nothing).
    #[error("the driver model failed with {0}")]
    Driver(NtStatus),
}

impl Error {
    /// The `NTSTATUS` the contract assigns to this error. This match is the
    /// single mapping from errors to statuses in the crate.
    pub const fn status(&self) -> NtStatus {
        match self {
            Error::InvalidHandle(_)
            | Error::WrongDevice
            | Error::InvalidParameter(_)
            | Error::NotCpuVisible
            | Error::NotLocked => NtStatus::INVALID_PARAMETER,
            Error::DeviceRemoved => NtStatus::DEVICE_REMOVED,
            Error::AllocationBusy => NtStatus::GRAPHICS_ALLOCATION_BUSY,
            Error::TooManyReferences => NtStatus::GRAPHICS_TOO_MANY_REFERENCES,
            Error::NoVideoMemory => NtStatus::GRAPHICS_NO_VIDEO_MEMORY,
            Error::NoMemory => NtStatus::NO_MEMORY,
            Error::BufferTooSmall { .. } => NtStatus::BUFFER_TOO_SMALL,
            Error::NotSupported(_) => NtStatus::NOT_SUPPORTED,
            Error::Injected(status) => *status,
            Error::Internal(_) => NtStatus::INTERNAL_ERROR,
            Error::InvalidResourceHandle => NtStatus::INVALID_HANDLE,
            Error::Driver(status) => *status,
        }
    }
}

impl From<Error> for NtStatus {
    fn from(error: Error) -> Self {
        error.status()
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Turns a `Result` into the status a thunk returns.
///
/// ```
/// use d3dkmt_sim::{status_of, Error, NtStatus};
/// assert_eq!(status_of(&Ok::<(), Error>(())), NtStatus::SUCCESS);
/// assert_eq!(status_of(&Err::<(), _>(Error::AllocationBusy)), NtStatus::GRAPHICS_ALLOCATION_BUSY);
/// ```
pub fn status_of<T>(result: &Result<T>) -> NtStatus {
    match result {
        Ok(_) => NtStatus::SUCCESS,
        Err(e) => e.status(),
    }
}
