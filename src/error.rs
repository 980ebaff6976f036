//! [`Error`]: every way a simulator call can fail ([`ErrorKind`]), whether
//! a fault injected it, and its one mapping to [`NtStatus`].

use crate::handle::HandleKind;
use crate::status::NtStatus;

/// What went wrong: the failure a call reports, the same whether the real
/// check failed or a fault injected that status. [`ErrorKind::status`] is
/// the only place that turns a failure into the status the contract names
/// (`docs/contract.md`), so the Rust API and the C ABI can never disagree.
///
/// ```
/// use d3dkmt_sim::{ErrorKind, NtStatus};
/// assert_eq!(ErrorKind::DeviceRemoved.status(), NtStatus::DEVICE_REMOVED);
/// assert_eq!(ErrorKind::NotLocked.status(), NtStatus::INVALID_PARAMETER);
/// assert_eq!(ErrorKind::InvalidResourceHandle.status(), NtStatus::INVALID_HANDLE);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ErrorKind {
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
        /// How many entries (or bytes) the buffer must hold (0 when a fault
        /// injected the status: nothing was measured).
        needed: usize,
    },
    /// A feature the simulator does not model (for example shared
    /// resources); the text says which.
    #[error("not supported: {0}")]
    NotSupported(&'static str),
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
    /// A failure status no other kind stands for, such as an injected
    /// `STATUS_UNSUCCESSFUL`. Only faults produce it.
    #[error("failed with {0}")]
    Other(NtStatus),
}

/// The text of the kinds that carry one, when a fault injected the status.
const INJECTED: &str = "injected by a fault";

impl ErrorKind {
    /// The `NTSTATUS` the contract assigns to this failure. This match is the
    /// single mapping from failures to statuses in the crate.
    ///
    /// ```
    /// use d3dkmt_sim::{ErrorKind, NtStatus};
    /// assert_eq!(ErrorKind::AllocationBusy.status(), NtStatus::GRAPHICS_ALLOCATION_BUSY);
    /// ```
    pub const fn status(&self) -> NtStatus {
        match self {
            ErrorKind::InvalidHandle(_)
            | ErrorKind::WrongDevice
            | ErrorKind::InvalidParameter(_)
            | ErrorKind::NotCpuVisible
            | ErrorKind::NotLocked => NtStatus::INVALID_PARAMETER,
            ErrorKind::DeviceRemoved => NtStatus::DEVICE_REMOVED,
            ErrorKind::AllocationBusy => NtStatus::GRAPHICS_ALLOCATION_BUSY,
            ErrorKind::TooManyReferences => NtStatus::GRAPHICS_TOO_MANY_REFERENCES,
            ErrorKind::NoVideoMemory => NtStatus::GRAPHICS_NO_VIDEO_MEMORY,
            ErrorKind::NoMemory => NtStatus::NO_MEMORY,
            ErrorKind::BufferTooSmall { .. } => NtStatus::BUFFER_TOO_SMALL,
            ErrorKind::NotSupported(_) => NtStatus::NOT_SUPPORTED,
            ErrorKind::Internal(_) => NtStatus::INTERNAL_ERROR,
            ErrorKind::InvalidResourceHandle => NtStatus::INVALID_HANDLE,
            ErrorKind::Driver(status) | ErrorKind::Other(status) => *status,
        }
    }

    /// The kind a real call reports with `status`: what an injected status
    /// becomes. Statuses the contract names map to their kind (for
    /// `STATUS_INVALID_PARAMETER` the generic [`ErrorKind::InvalidParameter`],
    /// for `STATUS_INVALID_HANDLE` [`ErrorKind::InvalidResourceHandle`]);
    /// any other failure status to [`ErrorKind::Other`]. Always
    /// `ErrorKind::from_status(s).status() == s`.
    ///
    /// ```
    /// use d3dkmt_sim::{ErrorKind, NtStatus};
    /// assert_eq!(ErrorKind::from_status(NtStatus::NO_MEMORY), ErrorKind::NoMemory);
    /// assert_eq!(ErrorKind::from_status(NtStatus::UNSUCCESSFUL), ErrorKind::Other(NtStatus::UNSUCCESSFUL));
    /// ```
    pub const fn from_status(status: NtStatus) -> ErrorKind {
        match status {
            NtStatus::INVALID_PARAMETER => ErrorKind::InvalidParameter(INJECTED),
            NtStatus::DEVICE_REMOVED => ErrorKind::DeviceRemoved,
            NtStatus::GRAPHICS_ALLOCATION_BUSY => ErrorKind::AllocationBusy,
            NtStatus::GRAPHICS_TOO_MANY_REFERENCES => ErrorKind::TooManyReferences,
            NtStatus::GRAPHICS_NO_VIDEO_MEMORY => ErrorKind::NoVideoMemory,
            NtStatus::NO_MEMORY => ErrorKind::NoMemory,
            NtStatus::BUFFER_TOO_SMALL => ErrorKind::BufferTooSmall { needed: 0 },
            NtStatus::NOT_SUPPORTED => ErrorKind::NotSupported(INJECTED),
            NtStatus::INTERNAL_ERROR => ErrorKind::Internal(INJECTED),
            NtStatus::INVALID_HANDLE => ErrorKind::InvalidResourceHandle,
            other => ErrorKind::Other(other),
        }
    }
}

/// Why a call failed: its [`ErrorKind`], and whether a fault armed with
/// [`crate::Simulator::inject_fault`] produced it.
///
/// An injected failure has the kind the real failure would have, so a test
/// of an error path checks the kind and passes whichever way the failure
/// came; [`Error::is_injected`] tells the two apart when it matters. Two
/// errors are equal when kind and origin are; an `Error` also compares
/// with an [`ErrorKind`] by kind alone.
///
/// ```
/// use d3dkmt_sim::prelude::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
///
/// // A real failure: Unlock2 of an allocation nobody locked.
/// let real = sim.unlock2(device, alloc).unwrap_err();
/// assert_eq!(real, ErrorKind::NotLocked);
/// assert!(!real.is_injected());
///
/// // An injected one has the kind the real failure would have.
/// sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(NtStatus::GRAPHICS_ALLOCATION_BUSY)))?;
/// let injected = sim.lock2(device, alloc).unwrap_err();
/// assert_eq!(injected.kind(), ErrorKind::AllocationBusy);
/// assert!(injected.is_injected());
/// assert_eq!(injected.status(), NtStatus::GRAPHICS_ALLOCATION_BUSY);
/// assert_eq!(injected.to_string(), "the allocation is busy (injected by a fault)");
/// # Ok::<(), d3dkmt_sim::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    injected: bool,
}

impl Error {
    /// A real (not injected) failure of `kind`; `Error::from(kind)` in a
    /// `const`.
    ///
    /// ```
    /// use d3dkmt_sim::{Error, ErrorKind, HandleKind};
    /// const STALE: Error = Error::new(ErrorKind::InvalidHandle(HandleKind::Device));
    /// assert!(!STALE.is_injected());
    /// ```
    pub const fn new(kind: ErrorKind) -> Error {
        Error { kind, injected: false }
    }

    /// The failure a fault injected: `status` as a real call would report
    /// it ([`ErrorKind::from_status`]), marked injected.
    ///
    /// ```
    /// use d3dkmt_sim::{Error, ErrorKind, NtStatus};
    /// let e = Error::injected(NtStatus::NO_MEMORY);
    /// assert_eq!((e.kind(), e.is_injected()), (ErrorKind::NoMemory, true));
    /// ```
    pub const fn injected(status: NtStatus) -> Error {
        Error { kind: ErrorKind::from_status(status), injected: true }
    }

    /// What went wrong.
    ///
    /// ```
    /// use d3dkmt_sim::{Error, ErrorKind};
    /// assert_eq!(Error::from(ErrorKind::NotLocked).kind(), ErrorKind::NotLocked);
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// True when a fault produced this failure, false when a check of the
    /// simulator did.
    ///
    /// ```
    /// use d3dkmt_sim::{Error, ErrorKind, NtStatus};
    /// assert!(!Error::from(ErrorKind::NoMemory).is_injected());
    /// assert!(Error::injected(NtStatus::NO_MEMORY).is_injected());
    /// ```
    pub const fn is_injected(&self) -> bool {
        self.injected
    }

    /// The `NTSTATUS` a thunk returns for this failure (its kind's:
    /// injected or not, the status is the same).
    ///
    /// ```
    /// use d3dkmt_sim::{Error, ErrorKind, NtStatus};
    /// assert_eq!(Error::from(ErrorKind::DeviceRemoved).status(), NtStatus::DEVICE_REMOVED);
    /// assert_eq!(Error::injected(NtStatus::UNSUCCESSFUL).status(), NtStatus::UNSUCCESSFUL);
    /// ```
    pub const fn status(&self) -> NtStatus {
        self.kind.status()
    }
}

impl From<ErrorKind> for Error {
    /// A real (not injected) failure of this kind.
    #[inline]
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl PartialEq<ErrorKind> for Error {
    fn eq(&self, kind: &ErrorKind) -> bool {
        self.kind == *kind
    }
}

impl PartialEq<Error> for ErrorKind {
    fn eq(&self, error: &Error) -> bool {
        *self == error.kind
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.injected {
            write!(f, "{} ({INJECTED})", self.kind)
        } else {
            write!(f, "{}", self.kind)
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for NtStatus {
    fn from(error: Error) -> Self {
        error.status()
    }
}

impl From<ErrorKind> for NtStatus {
    fn from(kind: ErrorKind) -> Self {
        kind.status()
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Turns a `Result` into the status a thunk returns.
///
/// ```
/// use d3dkmt_sim::{status_of, Error, ErrorKind, NtStatus};
/// assert_eq!(status_of(&Ok::<(), Error>(())), NtStatus::SUCCESS);
/// assert_eq!(status_of(&Err::<(), Error>(ErrorKind::AllocationBusy.into())), NtStatus::GRAPHICS_ALLOCATION_BUSY);
/// ```
pub fn status_of<T>(result: &Result<T>) -> NtStatus {
    match result {
        Ok(_) => NtStatus::SUCCESS,
        Err(e) => e.status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every failure status survives the trip through its kind, so an
    /// injected status reaches a C caller unchanged.
    #[test]
    #[cfg(not(any(loom, shuttle)))]
    fn from_status_keeps_every_failure_status() {
        let named = [
            NtStatus::UNSUCCESSFUL,
            NtStatus::INVALID_HANDLE,
            NtStatus::INVALID_PARAMETER,
            NtStatus::NO_MEMORY,
            NtStatus::BUFFER_TOO_SMALL,
            NtStatus::NOT_SUPPORTED,
            NtStatus::INTERNAL_ERROR,
            NtStatus::DEVICE_REMOVED,
            NtStatus::GRAPHICS_NO_VIDEO_MEMORY,
            NtStatus::GRAPHICS_ALLOCATION_BUSY,
            NtStatus::GRAPHICS_TOO_MANY_REFERENCES,
        ];
        let others = (0..4096u32).map(|i| NtStatus::from_u32(0xC000_0000 | i.wrapping_mul(0x9E37_79B9) >> 2));
        for status in named.into_iter().chain(others) {
            let e = Error::injected(status);
            assert_eq!(e.status(), status, "{status}");
            assert!(e.is_injected());
        }
        assert!(matches!(ErrorKind::from_status(NtStatus::UNSUCCESSFUL), ErrorKind::Other(_)));
    }

    #[test]
    fn equality_compares_origin_and_kind_compares_kind() {
        let real = Error::from(ErrorKind::NoMemory);
        let injected = Error::injected(NtStatus::NO_MEMORY);
        assert_ne!(real, injected);
        assert_eq!(real, ErrorKind::NoMemory);
        assert_eq!(injected, ErrorKind::NoMemory);
        assert_eq!(ErrorKind::NoMemory, injected);
        assert_eq!(real.to_string(), "the host could not reserve memory");
        assert_eq!(injected.to_string(), "the host could not reserve memory (injected by a fault)");
    }
}
