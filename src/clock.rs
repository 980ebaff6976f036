//! Time, read in one place.
//!
//! Every timeout the engine applies (busy waits, the deadline of taking a
//! device mutex while waiting) is a [`Deadline`] made by the simulator's
//! [`Clock`]; nothing else calls `Instant::now`. Today the clock is real
//! time; a virtual clock that tests advance by hand slots in here.

use std::time::{Duration, Instant};

/// The source of time of one simulator.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    _real: (),
}

impl Clock {
    /// Real (monotonic) time.
    pub(crate) const fn real() -> Self {
        Clock { _real: () }
    }

    /// The deadline `timeout` from now. A timeout too large to represent
    /// is cut to the largest representable instant's neighbourhood: now
    /// plus about 2^62 ns (far beyond any configurable wait).
    pub(crate) fn deadline(&self, timeout: Duration) -> Deadline {
        let now = Instant::now();
        Deadline(now.checked_add(timeout).or_else(|| now.checked_add(Duration::from_nanos(1 << 62))).unwrap_or(now))
    }
}

/// A point in time by which a wait gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Deadline(Instant);

impl Deadline {
    /// The instant, for the primitives in `sync`.
    #[cfg_attr(any(loom, shuttle), allow(dead_code))]
    pub(crate) fn instant(self) -> Instant {
        self.0
    }
}
