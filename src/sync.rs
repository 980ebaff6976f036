//! The one door to synchronisation primitives.
//!
//! Every mutex, condition variable, reader-writer lock and atomic the engine
//! uses is a type of this module; clippy's `disallowed-types` (`clippy.toml`)
//! rejects the `parking_lot` and `std::sync` ones anywhere else. This module
//! hands out its own guards and its own timed API (waits take a
//! [`Deadline`]), so nothing of `parking_lot` leaks past it and a
//! `cfg(loom)` build swaps every primitive for loom's model-checked one here
//! alone. Atomics deref to the wrapped atomic: `std` and loom spell their
//! methods the same way.
//!
//! `cfg(shuttle)` swaps them for the `shuttle` crate's instead: its
//! randomized and PCT schedulers run models too big for loom to exhaust
//! (`tests/shuttle.rs`). Both are *model builds*: the rest of the crate
//! tests `cfg(any(loom, shuttle))` where model checkers need something else
//! (atomics that are not plain memory, smaller tables, no C ABI).
//!
//! In a model build there is no time: a timed lock or wait never times out
//! (the checker explores the interleavings instead), so models must not
//! rely on a timeout to make progress.
#![allow(clippy::disallowed_types)]

use core::ops::{Deref, DerefMut};

use crate::clock::Deadline;

#[cfg(all(loom, shuttle))]
compile_error!("--cfg loom and --cfg shuttle select two model checkers: give one");

#[cfg(not(any(loom, shuttle)))]
use parking_lot as imp;

#[cfg(loom)]
mod imp {
    pub(super) use loom::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

#[cfg(shuttle)]
mod imp {
    pub(super) use shuttle::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

#[cfg(not(any(loom, shuttle)))]
pub(crate) use std::sync::atomic::{fence, Ordering};
#[cfg(all(not(any(loom, shuttle)), feature = "c-abi"))]
pub(crate) use std::sync::OnceLock;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, Ordering};
#[cfg(shuttle)]
pub(crate) use shuttle::sync::atomic::{fence, Ordering};

#[cfg(not(any(loom, shuttle)))]
use std::sync::atomic as atomic_imp;

#[cfg(loom)]
use loom::sync::atomic as atomic_imp;
#[cfg(shuttle)]
use shuttle::sync::atomic as atomic_imp;

macro_rules! atomic {
    ($(#[$doc:meta])* $name:ident<$($g:ident),*> => $inner:ident, $arg:ty) => {
        $(#[$doc])*
        #[derive(Default)]
        #[repr(transparent)]
        pub(crate) struct $name<$($g),*>(atomic_imp::$inner<$($g),*>);

        impl<$($g),*> $name<$($g),*> {
            #[cfg(not(any(loom, shuttle)))]
            #[allow(dead_code)]
            pub(crate) const fn new(value: $arg) -> Self {
                $name(atomic_imp::$inner::new(value))
            }

            #[cfg(any(loom, shuttle))]
            #[allow(dead_code)]
            pub(crate) fn new(value: $arg) -> Self {
                $name(atomic_imp::$inner::new(value))
            }
        }

        impl<$($g),*> Deref for $name<$($g),*> {
            type Target = atomic_imp::$inner<$($g),*>;
            #[inline(always)]
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}

atomic!(/// `AtomicBool`.
    AtomicBool<> => AtomicBool, bool);
atomic!(/// `AtomicU32`.
    AtomicU32<> => AtomicU32, u32);
atomic!(/// `AtomicU64`.
    AtomicU64<> => AtomicU64, u64);
atomic!(/// `AtomicUsize`.
    AtomicUsize<> => AtomicUsize, usize);
atomic!(/// `AtomicPtr`.
    AtomicPtr<T> => AtomicPtr, *mut T);

// === Mutex ===

/// A mutex without poisoning: a panic inside releases it.
#[derive(Default)]
pub(crate) struct Mutex<T>(imp::Mutex<T>);

/// Proof that a [`Mutex`] is held; releases it on drop.
#[must_use = "dropping the guard releases the mutex at once"]
#[clippy::has_significant_drop]
pub(crate) struct MutexGuard<'a, T> {
    // An `Option` only in model builds, whose condition variables take the
    // guard by value; it is `Some` whenever user code can see the guard.
    #[cfg(not(any(loom, shuttle)))]
    inner: imp::MutexGuard<'a, T>,
    #[cfg(any(loom, shuttle))]
    inner: Option<imp::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) const fn new(value: T) -> Self {
        Mutex(imp::Mutex::new(value))
    }

    #[cfg(any(loom, shuttle))]
    pub(crate) fn new(value: T) -> Self {
        Mutex(imp::Mutex::new(value))
    }

    /// Blocks until the mutex is free and takes it.
    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(any(loom, shuttle)))]
        return MutexGuard { inner: self.0.lock() };
        #[cfg(any(loom, shuttle))]
        return MutexGuard { inner: Some(self.0.lock().unwrap_or_else(|e| e.into_inner())) };
    }

    /// Takes the mutex if it is free right now.
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        #[cfg(not(any(loom, shuttle)))]
        return self.0.try_lock().map(|inner| MutexGuard { inner });
        #[cfg(any(loom, shuttle))]
        return self.0.try_lock().ok().map(|g| MutexGuard { inner: Some(g) });
    }

    /// Takes the mutex, waiting at most until `deadline`.
    pub(crate) fn lock_until(&self, deadline: Deadline) -> Option<MutexGuard<'_, T>> {
        #[cfg(not(any(loom, shuttle)))]
        return self.0.try_lock_until(deadline.instant()).map(|inner| MutexGuard { inner });
        #[cfg(any(loom, shuttle))]
        {
            let _ = deadline;
            Some(self.lock())
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        #[cfg(not(any(loom, shuttle)))]
        return &self.inner;
        #[cfg(any(loom, shuttle))]
        return self.inner.as_ref().expect("guard present");
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        #[cfg(not(any(loom, shuttle)))]
        return &mut self.inner;
        #[cfg(any(loom, shuttle))]
        return self.inner.as_mut().expect("guard present");
    }
}

// === Condvar ===

/// A condition variable for [`Mutex`].
#[derive(Default)]
pub(crate) struct Condvar(imp::Condvar);

impl Condvar {
    /// Wakes every thread waiting on it.
    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }

    /// Releases `guard`'s mutex, sleeps until notified (or spuriously) or
    /// until `deadline`, and takes the mutex again. True when it woke
    /// because the deadline passed.
    pub(crate) fn wait_until<T>(&self, guard: &mut MutexGuard<'_, T>, deadline: Deadline) -> bool {
        #[cfg(not(any(loom, shuttle)))]
        return self.0.wait_until(&mut guard.inner, deadline.instant()).timed_out();
        #[cfg(any(loom, shuttle))]
        {
            let _ = deadline;
            let inner = guard.inner.take().expect("guard present");
            guard.inner = Some(self.0.wait(inner).unwrap_or_else(|e| e.into_inner()));
            false
        }
    }
}

// === RwLock ===

/// A reader-writer lock (task-fair: a waiting writer holds back new readers).
#[derive(Default)]
pub(crate) struct RwLock<T>(imp::RwLock<T>);

/// Shared access to an [`RwLock`]; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
#[clippy::has_significant_drop]
pub(crate) struct ReadGuard<'a, T>(imp::RwLockReadGuard<'a, T>);

/// Exclusive access to an [`RwLock`]; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
#[clippy::has_significant_drop]
pub(crate) struct WriteGuard<'a, T>(imp::RwLockWriteGuard<'a, T>);

impl<T> RwLock<T> {
    #[cfg(not(any(loom, shuttle)))]
    #[allow(dead_code)]
    pub(crate) const fn new(value: T) -> Self {
        RwLock(imp::RwLock::new(value))
    }

    #[cfg(any(loom, shuttle))]
    #[allow(dead_code)]
    pub(crate) fn new(value: T) -> Self {
        RwLock(imp::RwLock::new(value))
    }

    /// Blocks until no writer holds or waits for the lock, then shares it.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        #[cfg(not(any(loom, shuttle)))]
        return ReadGuard(self.0.read());
        #[cfg(any(loom, shuttle))]
        return ReadGuard(self.0.read().unwrap_or_else(|e| e.into_inner()));
    }

    /// Blocks until nobody holds the lock, then holds it alone.
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        #[cfg(not(any(loom, shuttle)))]
        return WriteGuard(self.0.write());
        #[cfg(any(loom, shuttle))]
        return WriteGuard(self.0.write().unwrap_or_else(|e| e.into_inner()));
    }
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use std::time::Duration;

    #[test]
    fn timed_lock_and_wait_give_up_at_the_deadline() {
        let clock = Clock::real();
        let mutex = Mutex::new(0u32);
        let held = mutex.lock();
        assert!(mutex.lock_until(clock.deadline(Duration::from_millis(1))).is_none());
        drop(held);
        let mut guard = mutex.lock_until(clock.deadline(Duration::from_millis(1))).expect("free");
        *guard += 1;
        let cv = Condvar::default();
        // Nobody notifies: the wait ends by its deadline (or spuriously,
        // which the caller's loop absorbs).
        let deadline = clock.deadline(Duration::from_millis(1));
        while !cv.wait_until(&mut guard, deadline) {}
        assert_eq!(*guard, 1, "the mutex is held again after the wait");
    }

    #[test]
    fn rwlock_shares_and_excludes() {
        let lock = RwLock::new(());
        let a = lock.read();
        let b = lock.read();
        drop((a, b));
        let _w = lock.write();
    }
}
