//! Typed generational handles and the lock-free-to-read slot table behind them.
//!
//! # Encoding
//!
//! A handle is the 32-bit `D3DKMT_HANDLE` of the C ABI, laid out as
//!
//! ```text
//!  31        24 23                                2 1  0
//! +------------+-----------------------------------+----+
//! | generation |            slot index             |kind|
//! +------------+-----------------------------------+----+
//! ```
//!
//! `kind` is 1 (adapter), 2 (device) or 3 (allocation), so no handle is zero
//! and no two kinds ever share a value. Each kind has its own [`Table`]; a
//! slot's generation is bumped every time the slot is reused, and a freed slot
//! waits in a FIFO quarantine of [`QUARANTINE`] slots before reuse. A handle
//! value therefore comes back only after its slot was reused 256 times, and
//! every reuse after the first needs at least `QUARANTINE` creations of that
//! kind in between: far more than the "4096 objects" abi.md §3 promises.

use core::fmt;
use core::num::NonZeroU32;
use std::collections::VecDeque;

use crate::mem::SlotArray;
use crate::sync::Mutex;

/// Bits of the slot index: 4,194,304 live objects of one kind.
pub(crate) const INDEX_BITS: u32 = 22;
/// Bits of the generation.
pub(crate) const GEN_BITS: u32 = 8;
pub(crate) const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
pub(crate) const GEN_MASK: u32 = (1 << GEN_BITS) - 1;
const KIND_BITS: u32 = 2;
const GEN_SHIFT: u32 = KIND_BITS + INDEX_BITS;

/// How many freed slots wait before one is reused.
pub(crate) const QUARANTINE: usize = 4096;

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
}

impl HandleKind {
    const fn tag(self) -> u32 {
        match self {
            HandleKind::Adapter => 1,
            HandleKind::Device => 2,
            HandleKind::Allocation => 3,
        }
    }
}

impl fmt::Display for HandleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandleKind::Adapter => "adapter",
            HandleKind::Device => "device",
            HandleKind::Allocation => "allocation",
        })
    }
}

/// A decoded handle: slot index and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) index: u32,
    pub(crate) gen: u32,
}

impl Key {
    /// Decodes a raw handle of `kind`; `None` for zero or another kind.
    #[inline(always)]
    pub(crate) const fn decode(raw: u32, kind: HandleKind) -> Option<Key> {
        if raw & ((1 << KIND_BITS) - 1) != kind.tag() {
            return None;
        }
        Some(Key { index: (raw >> KIND_BITS) & INDEX_MASK, gen: raw >> GEN_SHIFT })
    }

    /// Encodes as a raw handle of `kind`.
    pub(crate) const fn encode(self, kind: HandleKind) -> u32 {
        (self.gen << GEN_SHIFT) | (self.index << KIND_BITS) | kind.tag()
    }
}

macro_rules! define_handle {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $short:literal) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(NonZeroU32);

        impl $name {
            /// The kind of object this handle type names.
            pub const KIND: HandleKind = $kind;

            /// Wraps a raw `D3DKMT_HANDLE`. Returns `None` for zero or for a
            /// value whose kind bits name another kind of object; a value
            /// that passes may still be stale, and the simulator then rejects
            /// it with `STATUS_INVALID_PARAMETER`.
            pub const fn from_raw(raw: u32) -> Option<Self> {
                match (Key::decode(raw, $kind), NonZeroU32::new(raw)) {
                    (Some(_), Some(nz)) => Some($name(nz)),
                    _ => None,
                }
            }

            /// The raw `D3DKMT_HANDLE` value.
            pub const fn raw(self) -> u32 {
                self.0.get()
            }

            pub(crate) const fn from_key(key: Key) -> Self {
                match NonZeroU32::new(key.encode($kind)) {
                    Some(nz) => $name(nz),
                    // The kind tag is never zero.
                    None => unreachable!(),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let k = Key::decode(self.raw(), $kind).unwrap_or(Key { index: 0, gen: 0 });
                write!(f, concat!($short, "{}v{}(0x{:08X})"), k.index, k.gen, self.raw())
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
    /// use d3dkmt_sim::{AdapterHandle, DeviceHandle};
    /// assert!(AdapterHandle::from_raw(0).is_none());
    /// let raw = 0x0000_0005; // index 1, kind "adapter"
    /// assert!(AdapterHandle::from_raw(raw).is_some());
    /// assert!(DeviceHandle::from_raw(raw).is_none()); // wrong kind
    /// ```
    AdapterHandle,
    HandleKind::Adapter,
    "adapter#"
);
define_handle!(
    /// A device handle (`hDevice`).
    DeviceHandle,
    HandleKind::Device,
    "device#"
);
define_handle!(
    /// An allocation handle (`hAllocation`).
    AllocationHandle,
    HandleKind::Allocation,
    "alloc#"
);

/// A table of slots addressed by index, in one reserved mapping
/// ([`SlotArray`]) that grows without ever moving a slot, so a reader
/// reaches a slot with a bounds check and an index: no lock, no hashing, no
/// indirection through segments. Slots are never freed while the table
/// lives: a stale handle always reads a real slot, whose generation then
/// rejects it. Capacity is fixed when the table is made (address space
/// only; pages are committed as slots are first used).
pub(crate) struct Table<T> {
    slots: SlotArray<T>,
    free: Mutex<FreeList>,
}

struct FreeList {
    next_fresh: u32,
    quarantine: VecDeque<u32>,
}

impl<T: Default> Table<T> {
    /// A table of at most `capacity` slots (at most `INDEX_MASK + 1`);
    /// fails when the host refuses the address space.
    pub(crate) fn new(capacity: usize) -> std::io::Result<Self> {
        Ok(Table {
            slots: SlotArray::new(capacity.min(INDEX_MASK as usize + 1))?,
            free: Mutex::new(FreeList { next_fresh: 0, quarantine: VecDeque::new() }),
        })
    }

    /// The slot at `index`, if it was ever handed out (or shares a page
    /// with one that was).
    #[inline(always)]
    pub(crate) fn get(&self, index: u32) -> Option<&T> {
        self.slots.get(index as usize)
    }

    /// Reserves `n` slot indices for new objects, all or none: `None` (and
    /// nothing changed) when fewer than `n` are free. The caller initialises
    /// each slot and publishes it; it reserves only once nothing else can
    /// fail.
    ///
    /// A freed index is reused only while more than [`QUARANTINE`] freed
    /// indices wait, also once fresh indices run out: the table then reports
    /// itself full rather than reissue a handle early.
    pub(crate) fn acquire_n(&self, n: usize) -> Option<Vec<(u32, &T)>> {
        let mut free = self.free.lock();
        let reusable = free.quarantine.len().saturating_sub(QUARANTINE);
        let fresh = self.slots.capacity() - free.next_fresh as usize;
        if n > reusable + fresh {
            return None;
        }
        let from_quarantine = n.min(reusable);
        let end = free.next_fresh as usize + (n - from_quarantine);
        if !self.slots.grow_to(end) {
            return None;
        }
        let mut indices: Vec<u32> = free.quarantine.drain(..from_quarantine).collect();
        let start = free.next_fresh;
        free.next_fresh = end as u32;
        indices.extend(start..free.next_fresh);
        drop(free);
        // Every index is below `end` or was handed out before: constructed.
        indices.into_iter().map(|index| Some((index, self.get(index)?))).collect()
    }

    /// Reserves one slot index; see [`Table::acquire_n`].
    pub(crate) fn acquire(&self) -> Option<(u32, &T)> {
        self.acquire_n(1)?.pop()
    }

    /// Forgets every object: the free list starts over from index 0 and
    /// `clear` is called on every slot handed out so far, so the table hands
    /// out the same handles as a new one. Slots stay allocated
    /// (a racing reader still reads valid memory) and are reused.
    pub(crate) fn reset(&self, mut clear: impl FnMut(&T)) {
        let mut free = self.free.lock();
        for index in 0..free.next_fresh {
            if let Some(slot) = self.get(index) {
                clear(slot);
            }
        }
        free.next_fresh = 0;
        free.quarantine.clear();
    }

    /// Returns a slot index to the quarantine (after its object died).
    pub(crate) fn release(&self, index: u32) {
        self.free.lock().quarantine.push_back(index);
    }

    /// Calls `f` on every slot that has been handed out so far.
    pub(crate) fn for_each_slot(&self, mut f: impl FnMut(u32, &T)) {
        let end = self.free.lock().next_fresh;
        for index in 0..end {
            if let Some(slot) = self.get(index) {
                f(index, slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn encode_decode_round_trip(index in 0..=INDEX_MASK, gen in 0..=GEN_MASK) {
            for kind in [HandleKind::Adapter, HandleKind::Device, HandleKind::Allocation] {
                let raw = Key { index, gen }.encode(kind);
                prop_assert_ne!(raw, 0);
                prop_assert_eq!(Key::decode(raw, kind), Some(Key { index, gen }));
            }
        }

        #[test]
        fn kinds_never_share_a_value(raw in any::<u32>()) {
            let kinds = [HandleKind::Adapter, HandleKind::Device, HandleKind::Allocation];
            let matching = kinds.iter().filter(|k| Key::decode(raw, **k).is_some()).count();
            prop_assert!(matching <= 1);
        }
    }

    #[test]
    fn acquire_n_is_all_or_nothing() {
        let table = Table::<u8>::new(INDEX_MASK as usize + 1).unwrap();
        let taken = table.acquire_n(3).unwrap();
        assert_eq!(taken.iter().map(|t| t.0).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(table.acquire_n(INDEX_MASK as usize).is_none());
        assert_eq!(table.acquire().unwrap().0, 3, "a refused request took nothing");
    }

    #[test]
    fn a_full_table_does_not_reuse_early() {
        let table = Table::<u8>::new(INDEX_MASK as usize + 1).unwrap();
        // Use up every fresh index but one, free one slot, take the last.
        let all = table.acquire_n(INDEX_MASK as usize).unwrap();
        table.release(all[7].0);
        assert_eq!(table.acquire().unwrap().0, INDEX_MASK);
        // The freed slot waits alone in quarantine: the table is full.
        assert!(table.acquire().is_none());
    }

    #[test]
    fn reset_starts_over() {
        let table = Table::<u8>::new(INDEX_MASK as usize + 1).unwrap();
        let (a, _) = table.acquire().unwrap();
        table.release(a);
        table.acquire_n(5).unwrap();
        let mut cleared = 0;
        table.reset(|_| cleared += 1);
        assert_eq!(cleared, 6);
        assert_eq!(table.acquire().unwrap().0, 0);
    }

    #[test]
    fn freed_slots_wait_in_quarantine() {
        let table = Table::<u8>::new(INDEX_MASK as usize + 1).unwrap();
        let (first, _) = table.acquire().unwrap();
        table.release(first);
        for n in 1..=QUARANTINE as u32 {
            let (i, _) = table.acquire().unwrap();
            assert_ne!(i, first, "reused after {n} creations");
            table.release(i);
        }
        // The quarantine now holds more than QUARANTINE slots: the oldest
        // index comes back first.
        assert_eq!(table.acquire().unwrap().0, first);
    }
}
