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
