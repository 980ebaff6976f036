//! Test-only pause points: a test holds a race window open on purpose.
//!
//! A thread arms a [`Point`] for itself with [`at`]; when it reaches that
//! point in the engine it reports through a channel and blocks until the
//! test lets it go. In builds other than `cfg(test)` every point is an
//! empty inline function.

/// The places a test can stop a thread at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Point {
    /// Lock2's quiet path, after it read the allocation's metadata and
    /// before its CAS.
    Lock2BeforeCas,
}

/// Stops the calling thread here if a test armed `point` for it.
#[inline(always)]
pub(crate) fn here(point: Point) {
    #[cfg(test)]
    armed::here(point);
    #[cfg(not(test))]
    let _ = point;
}

#[cfg(test)]
pub(crate) use armed::at;

#[cfg(test)]
mod armed {
    use super::Point;
    use std::cell::RefCell;
    use std::sync::mpsc::{Receiver, Sender};

    struct Armed {
        point: Point,
        arrived: Sender<()>,
        resume: Receiver<()>,
    }

    thread_local! {
        static ARMED: RefCell<Option<Armed>> = const { RefCell::new(None) };
    }

    /// Arms `point` for the calling thread, once: on arrival it sends on
    /// `arrived` and waits for a message (or a hang-up) on `resume`.
    pub(crate) fn at(point: Point, arrived: Sender<()>, resume: Receiver<()>) {
        ARMED.with(|a| *a.borrow_mut() = Some(Armed { point, arrived, resume }));
    }

    pub(super) fn here(point: Point) {
        let armed = ARMED.with(|a| {
            let mut a = a.borrow_mut();
            if a.as_ref().is_some_and(|x| x.point == point) {
                a.take()
            } else {
                None
            }
        });
        if let Some(armed) = armed {
            let _ = armed.arrived.send(());
            let _ = armed.resume.recv();
        }
    }
}
