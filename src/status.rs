//! [`NtStatus`]: the Windows status code every thunk returns.

use core::fmt;

/// A Windows `NTSTATUS`: a signed 32-bit code, success when `>= 0`.
///
/// This is the value the C ABI returns and the value [`crate::Error::status`]
/// maps every error to. The named constants carry the real Windows values.
///
/// ```
/// use d3dkmt_sim::NtStatus;
/// assert!(NtStatus::SUCCESS.is_ok());
/// assert!(NtStatus::DEVICE_REMOVED.is_err());
/// assert_eq!(NtStatus::DEVICE_REMOVED.to_string(), "0xC00002B6");
/// assert_eq!(NtStatus::from_u32(0xC000_000D), NtStatus::INVALID_PARAMETER);
/// ```
#[repr(transparent)]
#[must_use = "an NtStatus may be an error"]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtStatus(pub i32);

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        impl NtStatus {
            $($(#[$doc])* pub const $name: NtStatus = NtStatus($value as u32 as i32);)*

            /// The Windows name of a status this crate knows, e.g.
            /// `"STATUS_DEVICE_REMOVED"`.
            ///
            /// ```
            /// use d3dkmt_sim::NtStatus;
            /// assert_eq!(NtStatus::SUCCESS.name(), Some("STATUS_SUCCESS"));
            /// assert_eq!(NtStatus(0x1234).name(), None);
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $(NtStatus::$name => Some(concat!("STATUS_", stringify!($name))),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    /// `STATUS_SUCCESS`.
    SUCCESS = 0x0000_0000,
    /// `STATUS_TIMEOUT` (a success code).
    TIMEOUT = 0x0000_0102,
    /// `STATUS_UNSUCCESSFUL`.
    UNSUCCESSFUL = 0xC000_0001,
    /// `STATUS_INVALID_HANDLE`.
    INVALID_HANDLE = 0xC000_0008,
    /// `STATUS_INVALID_PARAMETER`: bad handles, bad arguments, misuse.
    INVALID_PARAMETER = 0xC000_000D,
    /// `STATUS_NO_MEMORY`: the host could not provide memory.
    NO_MEMORY = 0xC000_0017,
    /// `STATUS_BUFFER_TOO_SMALL`.
    BUFFER_TOO_SMALL = 0xC000_0023,
    /// `STATUS_NOT_SUPPORTED`.
    NOT_SUPPORTED = 0xC000_00BB,
    /// `STATUS_INTERNAL_ERROR`: a bug in the simulator (a caught panic).
    INTERNAL_ERROR = 0xC000_00E5,
    /// `STATUS_DEVICE_REMOVED`: sticky device removal (TDR, surprise removal).
    DEVICE_REMOVED = 0xC000_02B6,
    /// `STATUS_GRAPHICS_NO_VIDEO_MEMORY`: the adapter's memory budget is spent.
    GRAPHICS_NO_VIDEO_MEMORY = 0xC01E_0100,
    /// `STATUS_GRAPHICS_ALLOCATION_BUSY`: the GPU still uses the allocation.
    GRAPHICS_ALLOCATION_BUSY = 0xC01E_0102,
    /// `STATUS_GRAPHICS_TOO_MANY_REFERENCES`: the lock-reference limit is reached.
    GRAPHICS_TOO_MANY_REFERENCES = 0xC01E_0103,
}

impl NtStatus {
    /// Builds a status from its unsigned spelling (`0xC000_000D`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(NtStatus::from_u32(0xC000_02B6), NtStatus::DEVICE_REMOVED);
    /// assert_eq!(NtStatus::from_u32(0xC000_000D).0, -1_073_741_811);
    /// ```
    pub const fn from_u32(value: u32) -> Self {
        NtStatus(value as i32)
    }

    /// The unsigned spelling of the status.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(NtStatus::GRAPHICS_ALLOCATION_BUSY.to_u32(), 0xC01E_0102);
    /// ```
    pub const fn to_u32(self) -> u32 {
        self.0 as u32
    }

    /// `NT_SUCCESS`: true for every value `>= 0` (warnings and informational
    /// codes such as `STATUS_TIMEOUT` count as success).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(NtStatus::SUCCESS.is_ok());
    /// assert!(NtStatus::TIMEOUT.is_ok(), "an informational code is a success");
    /// assert!(!NtStatus::INVALID_PARAMETER.is_ok());
    /// ```
    pub const fn is_ok(self) -> bool {
        self.0 >= 0
    }

    /// The negation of [`NtStatus::is_ok`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(NtStatus::DEVICE_REMOVED.is_err());
    /// assert!(!NtStatus::TIMEOUT.is_err());
    /// ```
    pub const fn is_err(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0 as u32)
    }
}

impl fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "NtStatus({name})"),
            None => write!(f, "NtStatus({self})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_rule_matches_nt_success() {
        assert!(NtStatus::SUCCESS.is_ok());
        assert!(NtStatus::TIMEOUT.is_ok());
        assert!(NtStatus::from_u32(0x7FFF_FFFF).is_ok());
        assert!(NtStatus::from_u32(0x8000_0000).is_err());
        assert!(NtStatus::GRAPHICS_ALLOCATION_BUSY.is_err());
    }

    #[test]
    fn values_are_the_windows_values() {
        assert_eq!(NtStatus::INVALID_PARAMETER.to_u32(), 0xC000_000D);
        assert_eq!(NtStatus::DEVICE_REMOVED.to_u32(), 0xC000_02B6);
        assert_eq!(NtStatus::INTERNAL_ERROR.to_u32(), 0xC000_00E5);
        assert_eq!(NtStatus::GRAPHICS_NO_VIDEO_MEMORY.to_u32(), 0xC01E_0100);
        assert_eq!(NtStatus::GRAPHICS_TOO_MANY_REFERENCES.to_u32(), 0xC01E_0103);
    }

    #[test]
    fn formatting() {
        assert_eq!(NtStatus::INVALID_PARAMETER.to_string(), "0xC000000D");
        assert_eq!(format!("{:?}", NtStatus::INVALID_PARAMETER), "NtStatus(STATUS_INVALID_PARAMETER)");
        assert_eq!(format!("{:?}", NtStatus(5)), "NtStatus(0x00000005)");
    }
}
