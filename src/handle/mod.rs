//! Handles: Windows' local-handle shape, the typed handles of the Rust API,
//! and the table that issues them.
//!
//! A handle is the 32-bit `D3DKMT_HANDLE` of the C ABI, shaped as Windows
//! shapes local handles: `0x40000000 | (n << 6)` (bit 30 set, bit 31 and the
//! low 6 bits clear, `n` in 1..2^24; the fields are in [`layout`]). `n` is
//! the handle's place in the simulator's one sequence, shared by every kind
//! of object, so a new simulator's handles are `0x40000040`, `0x40000080`,
//! `0x400000C0`, … in creation order whatever their kinds. The kind is not in
//! the value: it is in the state word of the slot `n` names, so a handle of
//! the wrong kind is found out by one look at that word. How values are
//! reused is [`table`]'s business.

pub(crate) mod layout;
pub(crate) mod table;

use core::fmt;
use core::num::NonZeroU32;

use self::layout::{HANDLE_HIGH, HANDLE_INDEX, HANDLE_INSTANCE, HANDLE_LOCAL};

/// The kind of object a handle names.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandleKind {
    /// An opened adapter handle (from enumeration or open-by-LUID).
    Adapter,
    /// A device.
    Device,
    /// An allocation.
    Allocation,
    /// A GPU context (`D3DKMTCreateContextVirtual`).
    Context,
}

impl HandleKind {
    /// The code of the kind in a slot's state word (0 is no object).
    pub(crate) const fn code(self) -> u64 {
        match self {
            HandleKind::Adapter => 1,
            HandleKind::Device => 2,
            HandleKind::Allocation => 3,
            HandleKind::Context => 4,
        }
    }
}

impl fmt::Display for HandleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandleKind::Adapter => "adapter",
            HandleKind::Device => "device",
            HandleKind::Allocation => "allocation",
            HandleKind::Context => "context",
        })
    }
}

/// The largest `n` a handle can carry.
pub(crate) const MAX_INDEX: u32 = HANDLE_INDEX.max() as u32;

/// `n` of a raw handle with the local-handle shape; `None` for 0, for
/// `0x40000000` (n = 0) and for any value without the shape.
#[inline(always)]
pub(crate) const fn index_of(raw: u32) -> Option<u32> {
    match index_of_shaped(raw) {
        Some(0) | None => None,
        n => n,
    }
}

/// `n` of a raw handle with the local-handle shape, 0 included (for the
/// table's lookup, whose slot 0 is never issued).
#[inline(always)]
pub(crate) const fn index_of_shaped(raw: u32) -> Option<u32> {
    let shape = (HANDLE_INSTANCE.mask() | HANDLE_LOCAL.mask() | HANDLE_HIGH.mask()) as u32;
    if raw & shape == HANDLE_LOCAL.mask() as u32 {
        Some(HANDLE_INDEX.get(raw as u64) as u32)
    } else {
        None
    }
}

/// The raw handle of sequence number `n` (1..=[`MAX_INDEX`]).
pub(crate) const fn handle_of(n: u32) -> u32 {
    (HANDLE_LOCAL.mask() | HANDLE_INDEX.put(n as u64)) as u32
}

macro_rules! define_handle {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(NonZeroU32);

        impl $name {
            /// The kind of object this handle type names.
            pub const KIND: HandleKind = $kind;

            /// Wraps a raw `D3DKMT_HANDLE`. Returns `None` for a value
            /// without the local-handle shape (0 among them). A value with
            /// the shape may still name nothing, or an object of another
            /// kind: the simulator then answers `STATUS_INVALID_PARAMETER`.
            ///
            /// ```
            /// use d3dkmt_sim::prelude::*;
            /// let h = DeviceHandle::from_raw(0x4000_0080).expect("the local-handle shape");
            /// assert_eq!(h.raw(), 0x4000_0080);
            /// assert_eq!(DeviceHandle::from_raw(0x8000_0080), None, "bit 31 set");
            /// ```
            pub const fn from_raw(raw: u32) -> Option<Self> {
                match (index_of(raw), NonZeroU32::new(raw)) {
                    (Some(_), Some(nz)) => Some($name(nz)),
                    _ => None,
                }
            }

            /// The raw `D3DKMT_HANDLE` value.
            ///
            /// ```
            /// use d3dkmt_sim::prelude::*;
            /// let sim = Simulator::new(SimConfig::default())?;
            /// let adapter = sim.enum_adapters()?[0].handle;
            /// assert_eq!(adapter.raw(), 0x4000_0040);
            /// assert_eq!(AdapterHandle::from_raw(adapter.raw()), Some(adapter));
            /// # Ok::<(), d3dkmt_sim::Error>(())
            /// ```
            pub const fn raw(self) -> u32 {
                self.0.get()
            }

            /// The handle of sequence number `n` (issued by the table).
            pub(crate) const fn from_index(n: u32) -> Self {
                match NonZeroU32::new(handle_of(n)) {
                    Some(nz) => $name(nz),
                    // Bit 30 is always set.
                    None => unreachable!(),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(0x{:08X})"), self.raw())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "0x{:08X}", self.raw())
            }
        }

        impl From<$name> for u32 {
            fn from(h: $name) -> u32 {
                h.raw()
            }
        }
    };
}

define_handle!(
    /// An opened adapter handle (`hAdapter`). Each enumeration or open hands
    /// out a new one; close it with [`crate::Simulator::close_adapter`].
    ///
    /// ```
    /// use d3dkmt_sim::AdapterHandle;
    /// assert!(AdapterHandle::from_raw(0).is_none());
    /// assert!(AdapterHandle::from_raw(0x4000_0000).is_none()); // n = 0
    /// assert!(AdapterHandle::from_raw(0x4000_0041).is_none()); // low bits set
    /// let h = AdapterHandle::from_raw(0x4000_0040).unwrap();
    /// assert_eq!(format!("{h:?}"), "AdapterHandle(0x40000040)");
    /// ```
    AdapterHandle,
    HandleKind::Adapter
);
define_handle!(
    /// A device handle (`hDevice`).
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle; // 0x40000040
    /// let device = sim.create_device(adapter)?;
    /// assert_eq!(device.raw(), 0x4000_0080, "one sequence for every kind");
    /// # Ok::<(), Error>(())
    /// ```
    DeviceHandle,
    HandleKind::Device
);
define_handle!(
    /// An allocation handle (`hAllocation`).
    ///
    /// ```
    /// use d3dkmt_sim::AllocationHandle;
    /// let h = AllocationHandle::from_raw(0x4000_00C0).unwrap();
    /// assert_eq!(u32::from(h), 0x4000_00C0);
    /// ```
    AllocationHandle,
    HandleKind::Allocation
);
define_handle!(
    /// A GPU context handle (`hContext`), from
    /// [`crate::Simulator::create_context`]. It lives until destroyed, or
    /// until its device is.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle; // 0x40000040
    /// let device = sim.create_device(adapter)?; // 0x40000080
    /// let context = sim.create_context(device, &ContextDesc::default())?;
    /// assert_eq!(context.raw(), 0x4000_00C0, "contexts share the one sequence");
    /// # Ok::<(), Error>(())
    /// ```
    ContextHandle,
    HandleKind::Context
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn shape_round_trips(n in 1..=MAX_INDEX) {
            let raw = handle_of(n);
            prop_assert_eq!(raw & 0xC000_003F, 0x4000_0000);
            prop_assert_eq!(index_of(raw), Some(n));
        }

        #[test]
        fn only_the_shape_decodes(raw in any::<u32>()) {
            let shaped = raw & 0xC000_003F == 0x4000_0000 && raw != 0x4000_0000;
            prop_assert_eq!(index_of(raw).is_some(), shaped);
        }
    }

    #[test]
    fn first_handles_are_windows_shaped() {
        assert_eq!(handle_of(1), 0x4000_0040);
        assert_eq!(handle_of(2), 0x4000_0080);
        assert_eq!(handle_of(3), 0x4000_00C0);
        assert_eq!(handle_of(MAX_INDEX), 0x7FFF_FFC0);
        assert_eq!(index_of(0), None);
    }
}
