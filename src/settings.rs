//! [`Settings`]: the configuration in force, in the form the engine reads.
//!
//! The lock path reads a few values on every call (the lock-reference
//! limit, the busy policy's lock mask); they sit in atomics that only a
//! reset writes, so reading them costs a plain load and no lock. The whole
//! [`SimConfig`] is kept beside them for whoever asks for it.

use std::time::Duration;

use crate::config::{BusyPolicy, SimConfig};
use crate::slot::LockMask;
use crate::sync::{AtomicU32, AtomicU64, Mutex, Ordering::*};

/// The configuration in force.
pub(crate) struct Settings {
    limit: AtomicU32,
    lock2_mask: AtomicU64,
    page_size: AtomicU32,
    busy: AtomicU32,
    wait_timeout_ns: AtomicU64,
    config: Mutex<SimConfig>,
}

impl Settings {
    /// The settings of a validated configuration.
    pub(crate) fn new(config: &SimConfig) -> Self {
        let settings = Settings {
            limit: AtomicU32::new(0),
            lock2_mask: AtomicU64::new(0),
            page_size: AtomicU32::new(0),
            busy: AtomicU32::new(0),
            wait_timeout_ns: AtomicU64::new(0),
            config: Mutex::new(config.clone()),
        };
        settings.apply(config);
        settings
    }

    /// Puts a validated configuration in force. Only a reset calls this,
    /// after every object of the old configuration is gone. The values a
    /// lock decides with (limit, busy policy, its mask) are stored with
    /// release: a reader that sees a new value and then fences (acquire)
    /// sees the old objects gone, which is how a lock's error decision
    /// validates the settings it read with the allocation's word.
    pub(crate) fn apply(&self, config: &SimConfig) {
        self.limit.store(config.max_lock_references, Release);
        self.lock2_mask.store(LockMask::new(config.busy_policy != BusyPolicy::Ignore).bits(), Release);
        self.page_size.store(config.page_size, Relaxed);
        self.busy.store(
            match config.busy_policy {
                BusyPolicy::Fail => 0,
                BusyPolicy::Wait => 1,
                BusyPolicy::Ignore => 2,
            },
            Release,
        );
        self.wait_timeout_ns.store(u64::try_from(config.wait_timeout.as_nanos()).unwrap_or(u64::MAX), Relaxed);
        *self.config.lock() = config.clone();
    }

    /// The lock-reference limit per allocation.
    #[inline(always)]
    pub(crate) fn limit(&self) -> u32 {
        self.limit.load(Relaxed)
    }

    /// What Lock2's fast path requires of an allocation word.
    #[inline(always)]
    pub(crate) fn lock2_mask(&self) -> LockMask {
        LockMask::from_bits(self.lock2_mask.load(Relaxed))
    }

    /// The adapters' page size in bytes.
    pub(crate) fn page_size(&self) -> u64 {
        u64::from(self.page_size.load(Relaxed))
    }

    /// What Lock2 does with a busy allocation.
    pub(crate) fn busy_policy(&self) -> BusyPolicy {
        match self.busy.load(Relaxed) {
            1 => BusyPolicy::Wait,
            2 => BusyPolicy::Ignore,
            _ => BusyPolicy::Fail,
        }
    }

    /// The bound of every wait on busy work.
    pub(crate) fn wait_timeout(&self) -> Duration {
        Duration::from_nanos(self.wait_timeout_ns.load(Relaxed))
    }

    /// The whole configuration; `None` only while a reset replaces it
    /// (for `Debug`, which must not block).
    pub(crate) fn try_config(&self) -> Option<SimConfig> {
        self.config.try_lock().map(|c| c.clone())
    }

    /// The whole configuration.
    pub(crate) fn config(&self) -> SimConfig {
        self.config.lock().clone()
    }
}
