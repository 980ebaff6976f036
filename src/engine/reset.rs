//! `SimKmtReset` ([`crate::Simulator::reset`]): a new simulator in place,
//! atomic with respect to every other call.

use super::Engine;
use crate::config::SimConfig;
use crate::error::Result;

impl Engine {
    /// Replaces this simulator by a new one built from `config`, in place.
    /// An invalid configuration is `InvalidParameter` and changes nothing.
    ///
    /// The reset closes the gate: from then on quiet calls go slow and slow
    /// calls wait, and the calls already inside finish first (a busy wait
    /// runs outside the gate; the destroy below wakes it and it returns
    /// `DeviceRemoved`). Then every fault is disarmed, every device (so
    /// every allocation and its memory) destroyed and every adapter handle
    /// closed, each allocation killed with one RMW of its word (so a quiet
    /// call that read it before fails its CAS); the handle sequence starts over
    /// (the next handles are a new simulator's, so a run from a reset
    /// replays) while every slot's generation keeps counting (no word ever
    /// comes back); and only then does the new configuration go in. Opening
    /// the gate ends the reset and moves its epoch on, so an error a quiet
    /// call decided across the reset is taken again.
    pub(crate) fn reset(&self, config: SimConfig) -> Result<()> {
        config.validate()?;
        let closed = self.stores.gate.close();
        self.hooks.clear_faults(&self.stores.gate);
        for dev in self.stores.devices.live(&self.stores.handles) {
            let _ = self.destroy_live(&dev);
        }
        self.stores.adapters.close_every(&self.stores.handles);
        self.stores.handles.restart();
        self.stores.adapters.configure(&config);
        self.stores.settings.apply(&config);
        // Nothing carries across a reset: the default driver model again.
        self.stores.driver.set(None);
        drop(closed);
        Ok(())
    }
}

/// The loom model of a Lock2 racing a reset (run by `.ci/run` with
/// `--cfg loom`, as the models of `tests/loom.rs`; it lives here because
/// only the C ABI's `SimKmtReset` races other calls, and the Rust facade's
/// reset takes `&mut`).
#[cfg(all(test, loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::thread;

    use crate::{AllocationDesc, ErrorKind, HandleKind, SimConfig, Simulator};

    /// Lock2 racing `SimKmtReset` and the re-creation of the same handles
    /// (docs/contract.md §9 "Under load"): the Lock2 lands wholly on one
    /// side. In the old simulator it maps the old allocation (one page) and
    /// its reference dies with it; in the new one it maps the new
    /// allocation (two pages) and holds its only reference; in between it
    /// finds the new simulator's handle stale (no device yet, or no
    /// allocation yet). Never the old mapping with the new reference.
    #[test]
    fn lock2_racing_reset() {
        let seen: std::sync::Arc<[std::sync::Mutex<bool>; 3]> = std::sync::Arc::default();
        let record = std::sync::Arc::clone(&seen);
        loom::model(move || {
            let sim = Arc::new(Simulator::new(SimConfig::default()).unwrap());
            let adapter = sim.enum_adapters().unwrap()[0].handle;
            let device = sim.create_device(adapter).unwrap();
            let old = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
            let locker = {
                let sim = Arc::clone(&sim);
                thread::spawn(move || sim.lock2(device, old).map(|m| m.len()))
            };
            sim.engine().reset(SimConfig::default()).unwrap();
            let adapter = sim.enum_adapters().unwrap()[0].handle;
            let again = sim.create_device(adapter).unwrap();
            let new = sim.create_allocation(again, AllocationDesc::new(8192)).unwrap();
            assert_eq!((again, new), (device, old), "a reset issues the same handles again");
            let locked = locker.join().unwrap();
            let count = sim.query_allocation(again, new).unwrap().lock_count;
            let side = match locked {
                Ok(4096) => 0,
                Ok(len) => {
                    assert_eq!(len, 8192);
                    1
                }
                // In the new simulator, before the device or the
                // allocation is made again.
                Err(e) => {
                    let (device, allocation) = (HandleKind::Device, HandleKind::Allocation);
                    assert!(
                        e == ErrorKind::InvalidHandle(device) || e == ErrorKind::InvalidHandle(allocation),
                        "{e:?}"
                    );
                    2
                }
            };
            assert_eq!(count, u32::from(side == 1), "the reference is the mapped allocation's");
            *record[side].lock().unwrap() = true;
        });
        let reached: Vec<bool> = seen.iter().map(|s| *s.lock().unwrap()).collect();
        assert_eq!(reached, [true; 3], "old side, new side, in between: every one reached");
    }
}
