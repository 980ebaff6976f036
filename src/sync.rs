//! The one door to synchronisation primitives.
//!
//! Every mutex, condition variable and atomic the engine uses is imported from
//! here, never from `parking_lot` or `std::sync` directly (clippy's
//! `disallowed-types` in `clippy.toml` enforces it). A later `cfg(loom)` build
//! swaps this module for loom's types so the lock races can be model-checked.
#![allow(clippy::disallowed_types)]

pub(crate) use parking_lot::{Condvar, Mutex, MutexGuard};
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
pub(crate) use std::sync::OnceLock;
