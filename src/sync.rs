//! The one door to synchronisation primitives.
//!
//! Every mutex, condition variable and atomic the engine uses is one of the
//! newtypes below, never a `parking_lot` or `std::sync` type named directly
//! (clippy's `disallowed-types` in `clippy.toml` enforces it). Each newtype
//! derefs to the primitive it wraps, so call sites use the usual methods at
//! no cost, and a `cfg(loom)` build can change what they wrap in this one
//! file to model-check the lock races.
#![allow(clippy::disallowed_types)]

use core::ops::Deref;

pub(crate) use parking_lot::MutexGuard;
pub(crate) use std::sync::atomic::Ordering;
pub(crate) use std::sync::OnceLock;

macro_rules! wrap {
    ($(#[$doc:meta])* $name:ident<$($g:ident),*> => $inner:ty, $arg:ty) => {
        $(#[$doc])*
        #[derive(Default)]
        #[repr(transparent)]
        pub(crate) struct $name<$($g),*>($inner);

        impl<$($g),*> $name<$($g),*> {
            #[allow(dead_code)]
            pub(crate) const fn new(value: $arg) -> Self {
                $name(<$inner>::new(value))
            }
        }

        impl<$($g),*> Deref for $name<$($g),*> {
            type Target = $inner;
            #[inline(always)]
            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
}

wrap!(/// `AtomicBool`.
    AtomicBool<> => std::sync::atomic::AtomicBool, bool);
wrap!(/// `AtomicU32`.
    AtomicU32<> => std::sync::atomic::AtomicU32, u32);
wrap!(/// `AtomicU64`.
    AtomicU64<> => std::sync::atomic::AtomicU64, u64);
wrap!(/// `AtomicUsize`.
    AtomicUsize<> => std::sync::atomic::AtomicUsize, usize);
wrap!(/// `AtomicPtr`.
    AtomicPtr<T> => std::sync::atomic::AtomicPtr<T>, *mut T);
wrap!(/// A mutex (no poisoning: a panic inside releases it).
    Mutex<T> => parking_lot::Mutex<T>, T);

/// A condition variable for [`Mutex`].
#[derive(Default)]
pub(crate) struct Condvar(parking_lot::Condvar);

impl Deref for Condvar {
    type Target = parking_lot::Condvar;
    #[inline(always)]
    fn deref(&self) -> &parking_lot::Condvar {
        &self.0
    }
}
