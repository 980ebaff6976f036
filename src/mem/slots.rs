//! [`Slots`]: an array of slots that grows a chunk at a time and never moves
//! or frees a slot while it lives: the storage behind the handle table and
//! the device pool.
//!
//! Two levels: a directory of `TOP` chunk pointers, allocated zeroed (so the
//! host commits its pages only as they are touched), and chunks of
//! `1 << CHUNK_BITS` slots, each allocated and constructed the first time a
//! slot in it is handed out. Reading slot `i` is a shift, one load of a
//! directory entry (read-mostly and hot), a null check and an index: no
//! lock, no hashing, no search, whatever the number of live slots. An empty
//! array holds only its directory's address space (`TOP` pointers).
#![allow(unsafe_code)]

use core::ptr::{null_mut, NonNull};

use crate::sync::{AtomicPtr, Mutex, Ordering};

/// `TOP` chunks of `1 << CHUNK_BITS` slots of `T`.
pub(crate) struct Slots<T, const CHUNK_BITS: u32, const TOP: usize> {
    /// Chunk `c` holds slots `c << CHUNK_BITS ..`; null until allocated.
    /// Published with release, read with acquire.
    dir: NonNull<[AtomicPtr<T>; TOP]>,
    /// Serialises growth (a leaf lock).
    grow: Mutex<()>,
}

// SAFETY: the array owns its `T`s (as a Vec would) and hands out only shared
// references, so it may move to and be shared with other threads exactly
// when `T` may be.
unsafe impl<T: Send + Sync, const C: u32, const N: usize> Send for Slots<T, C, N> {}
// SAFETY: as above; growth is serialised by `grow` and publishes each chunk
// with a release store that readers acquire.
unsafe impl<T: Send + Sync, const C: u32, const N: usize> Sync for Slots<T, C, N> {}

impl<T: Default, const CHUNK_BITS: u32, const TOP: usize> Slots<T, CHUNK_BITS, TOP> {
    const CHUNK: usize = 1 << CHUNK_BITS;
    /// How many slots the array can hold.
    pub(crate) const CAPACITY: usize = TOP << CHUNK_BITS;

    /// An empty array; `None` when the host refuses the directory's memory.
    pub(crate) fn new() -> Option<Self> {
        const { assert!(TOP.is_power_of_two() && CHUNK_BITS < 20) };
        Some(Slots { dir: Self::new_dir()?, grow: Mutex::new(()) })
    }

    #[cfg(not(any(loom, shuttle)))]
    fn new_dir() -> Option<NonNull<[AtomicPtr<T>; TOP]>> {
        let layout = std::alloc::Layout::new::<[AtomicPtr<T>; TOP]>();
        // SAFETY: the layout is not zero-sized (TOP >= 1 pointers). A null
        // `AtomicPtr` is all zero bits (it has the layout of `*mut T`), so
        // zeroed memory is a valid directory of empty entries.
        let dir = unsafe { std::alloc::alloc_zeroed(layout) };
        NonNull::new(dir.cast())
    }

    #[cfg(any(loom, shuttle))]
    fn new_dir() -> Option<NonNull<[AtomicPtr<T>; TOP]>> {
        // loom's atomics are not plain memory: build each entry.
        let dir: Box<[AtomicPtr<T>; TOP]> = Box::new(core::array::from_fn(|_| AtomicPtr::new(null_mut())));
        Some(NonNull::from(Box::leak(dir)))
    }

    fn dir(&self) -> &[AtomicPtr<T>; TOP] {
        // SAFETY: `dir` was allocated (and initialised) in `new` and is
        // freed only in `drop`.
        unsafe { self.dir.as_ref() }
    }

    /// Slot `i`, if its chunk exists (slots of an allocated chunk that were
    /// never handed out are default-constructed and harmless to read).
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i >= Self::CAPACITY {
            return None;
        }
        let chunk = self.dir()[(i >> CHUNK_BITS) % TOP].load(Ordering::Acquire);
        if chunk.is_null() {
            return None;
        }
        // SAFETY: a non-null entry points to a chunk of CHUNK constructed
        // slots, published (release) after construction and acquired above;
        // chunks are freed only in `drop`, and only shared references to
        // their slots are ever handed out. `i % CHUNK < CHUNK`.
        Some(unsafe { &*chunk.add(i & (Self::CHUNK - 1)) })
    }

    /// Slot `i & (CAPACITY - 1)`, if its chunk exists: `i` may carry bits
    /// above the capacity, which are ignored. The chunk and the offset are
    /// two masks of `i`, with no bounds check, so a caller that has `i` as a
    /// shifted handle gets both straight from the handle's bits (the
    /// handle table's lookup, on the lock path).
    #[inline(always)]
    pub(crate) fn get_wrapping(&self, i: usize) -> Option<&T> {
        let chunk = self.dir()[(i >> CHUNK_BITS) & (TOP - 1)].load(Ordering::Acquire);
        if chunk.is_null() {
            return None;
        }
        // SAFETY: as in `get`; `i & (CHUNK - 1) < CHUNK`.
        Some(unsafe { &*chunk.add(i & (Self::CHUNK - 1)) })
    }

    /// Makes sure the chunk holding slot `i` exists; false when `i` is
    /// beyond the capacity or the host refuses memory.
    pub(crate) fn ensure(&self, i: usize) -> bool {
        if i >= Self::CAPACITY {
            return false;
        }
        let entry = &self.dir()[(i >> CHUNK_BITS) % TOP];
        if !entry.load(Ordering::Acquire).is_null() {
            return true;
        }
        let _grow = self.grow.lock();
        if !entry.load(Ordering::Relaxed).is_null() {
            return true;
        }
        let mut chunk = Vec::new();
        if chunk.try_reserve_exact(Self::CHUNK).is_err() {
            return false;
        }
        chunk.extend((0..Self::CHUNK).map(|_| T::default()));
        let chunk = Box::into_raw(chunk.into_boxed_slice()).cast::<T>();
        entry.store(chunk, Ordering::Release);
        true
    }
}

impl<T, const CHUNK_BITS: u32, const TOP: usize> Drop for Slots<T, CHUNK_BITS, TOP> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reference into the array is alive.
        let dir = unsafe { self.dir.as_ref() };
        for entry in dir {
            let chunk = entry.load(Ordering::Relaxed);
            if !chunk.is_null() {
                let slice = core::ptr::slice_from_raw_parts_mut(chunk, 1 << CHUNK_BITS);
                // SAFETY: the chunk came from `Box::into_raw` of a boxed
                // slice of exactly this length, and is dropped once, here.
                drop(unsafe { Box::from_raw(slice) });
                entry.store(null_mut(), Ordering::Relaxed);
            }
        }
        #[cfg(not(any(loom, shuttle)))]
        // SAFETY: allocated in `new_dir` with this layout; its entries are
        // plain pointers with nothing to drop.
        unsafe {
            std::alloc::dealloc(self.dir.as_ptr().cast(), std::alloc::Layout::new::<[AtomicPtr<T>; TOP]>())
        };
        #[cfg(any(loom, shuttle))]
        // SAFETY: allocated in `new_dir` by `Box::leak`, released once.
        drop(unsafe { Box::from_raw(self.dir.as_ptr()) });
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::sync::AtomicU32;

    #[test]
    fn slots_appear_a_chunk_at_a_time_and_stay_put() {
        let slots = Slots::<AtomicU32, 2, 4>::new().unwrap();
        assert_eq!(Slots::<AtomicU32, 2, 4>::CAPACITY, 16);
        assert!(slots.get(0).is_none());
        assert!(slots.ensure(5));
        let five = slots.get(5).unwrap() as *const AtomicU32;
        assert!(slots.get(7).is_some(), "the whole second chunk exists");
        assert!(slots.get(0).is_none() && slots.get(8).is_none(), "no other chunk does");
        assert!(slots.ensure(15) && slots.ensure(0));
        assert_eq!(slots.get(5).unwrap() as *const AtomicU32, five, "slots never move");
        assert!(!slots.ensure(16));
        assert!(slots.get(16).is_none());
        // The wrapping lookup ignores bits above the capacity.
        assert_eq!(slots.get_wrapping(5 | 16 | 64).unwrap() as *const AtomicU32, five);
    }
}
