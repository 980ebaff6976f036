//! The idealized generational-handle lock, the floor the simulator's Lock2 is
//! measured against (docs/performance.md, "The floors"). Shared, through `#[path]`,
//! by `benches/lock_path.rs` and `examples/lock_loop.rs`, so the criterion
//! baseline and the callgrind baseline are the same code.
//!
//! It keeps only what a lock path cannot do without: a device-removed flag,
//! a bounds-checked slot table, a generation compare, and one state word per
//! slot (bit 63 BUSY, bit 62 REMOVED, bits 0..32 the lock count, limit
//! 0xFFFF). Lock is a load, the flag and limit checks and a
//! `compare_exchange_weak` loop; unlock is one `fetch_sub`, undone if the
//! count was already 0. Both take the handle, so both do the lookup, as
//! Lock2 and Unlock2 each take `hAllocation`. Success costs exactly two
//! locked read-modify-writes per lock+unlock pair; no error path has one.
//!
//! This file lives under `benches/support/` (not `benches/`) so cargo does
//! not take it for a bench target of its own.
#![allow(dead_code)]

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};

const BUSY: u64 = 1 << 63;
const REMOVED: u64 = 1 << 62;
const COUNT: u64 = 0xFFFF_FFFF;
const LIMIT: u64 = 0xFFFF;
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// Why an idealized lock or unlock failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenError {
    DeviceRemoved,
    BadHandle,
    Busy,
    Removed,
    AtLimit,
    NotLocked,
}

/// One slot: 16 bytes, four to a cache line (as in the floor measurements).
#[derive(Default)]
pub struct Slot {
    state: AtomicU64,
    gen: AtomicU32,
}

/// The same slot alone on its cache line, like the simulator's `AllocSlot`:
/// the baseline for lookups over tables larger than the caches.
#[derive(Default)]
#[repr(align(64))]
pub struct PaddedSlot(Slot);

impl AsRef<Slot> for Slot {
    #[inline(always)]
    fn as_ref(&self) -> &Slot {
        self
    }
}

impl AsRef<Slot> for PaddedSlot {
    #[inline(always)]
    fn as_ref(&self) -> &Slot {
        &self.0
    }
}

/// A fixed table of `len` live slots, all of generation 1.
pub struct GenTable<S = Slot> {
    device_removed: AtomicBool,
    slots: Box<[S]>,
}

impl<S: AsRef<Slot> + Default> GenTable<S> {
    pub fn new(len: usize) -> Self {
        assert!(len <= INDEX_MASK as usize + 1);
        let slots: Box<[S]> = (0..len).map(|_| S::default()).collect();
        for s in slots.iter() {
            s.as_ref().gen.store(1, Relaxed);
        }
        GenTable { device_removed: AtomicBool::new(false), slots }
    }

    /// The handle of slot `index` (generation 1).
    pub fn handle(&self, index: u32) -> u32 {
        (1 << INDEX_BITS) | index
    }

    #[inline(always)]
    fn slot(&self, handle: u32) -> Result<&Slot, GenError> {
        if self.device_removed.load(Relaxed) {
            return Err(GenError::DeviceRemoved);
        }
        let slot = self.slots.get((handle & INDEX_MASK) as usize).ok_or(GenError::BadHandle)?.as_ref();
        if slot.gen.load(Acquire) != handle >> INDEX_BITS {
            return Err(GenError::BadHandle);
        }
        Ok(slot)
    }

    /// Takes one lock reference: one CAS on success, none on failure.
    #[inline(always)]
    pub fn lock(&self, handle: u32) -> Result<(), GenError> {
        let slot = self.slot(handle)?;
        let mut cur = slot.state.load(Relaxed);
        loop {
            if cur & BUSY != 0 {
                return Err(GenError::Busy);
            }
            if cur & REMOVED != 0 {
                return Err(GenError::Removed);
            }
            if cur & COUNT >= LIMIT {
                return Err(GenError::AtLimit);
            }
            match slot.state.compare_exchange_weak(cur, cur + 1, Acquire, Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// Drops one lock reference: one `fetch_sub`.
    #[inline(always)]
    pub fn unlock(&self, handle: u32) -> Result<(), GenError> {
        let slot = self.slot(handle)?;
        let prev = slot.state.fetch_sub(1, Release);
        if prev & COUNT == 0 {
            slot.state.fetch_add(1, Relaxed);
            return Err(GenError::NotLocked);
        }
        Ok(())
    }
}
