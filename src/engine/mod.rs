//! [`Engine`]: the composition root of one simulated machine, and its raw
//! layer.
//!
//! The engine owns every store (the handle table, the device pool, the
//! adapters, the settings), the gate and the hooks, and composes the
//! operations each object kind owns into entry points. Its raw layer
//! ([`raw`]) has one method per thunk, taking raw 32-bit handles and raw
//! flag words; the typed [`crate::Simulator`] facade, the C skin and (later)
//! replay and loom models all drive it. Every entry point passes the one
//! seam ([`seam`]): gate, hooks before, the operation, hooks after.

mod raw;
mod reset;
mod seam;

pub(crate) use self::raw::StateQuery;
pub(crate) use crate::allocation::{CreateCall, Element};

use crate::allocation::Allocations;
use crate::config::SimConfig;
use crate::context::Contexts;
use crate::error::Result;
#[cfg(test)]
use crate::gate::Gate;
use crate::hooks::Hooks;
use crate::lock::Locker;
use crate::stores::Stores;

/// One simulated machine: its adapters, their devices and allocations, the
/// lock engine and the hooks.
pub(crate) struct Engine {
    stores: Stores,
    hooks: Hooks,
}

impl Engine {
    /// A machine built from `config`: `InvalidParameter` when it is out of
    /// range, `NoMemory` when the host refuses the tables' directories.
    pub(crate) fn new(config: SimConfig) -> Result<Self> {
        config.validate()?;
        Ok(Engine { stores: Stores::new(&config)?, hooks: Hooks::default() })
    }

    /// The allocation operations over this engine's stores.
    #[inline(always)]
    fn allocations(&self) -> Allocations<'_> {
        Allocations(&self.stores)
    }

    /// The context operations over this engine's stores.
    #[inline(always)]
    fn contexts(&self) -> Contexts<'_> {
        Contexts(&self.stores)
    }

    /// The lock operations over this engine's stores.
    #[inline(always)]
    fn locker(&self) -> Locker<'_> {
        Locker(&self.stores)
    }

    /// The configuration in force, or `None` while a reset replaces it.
    pub(crate) fn try_config(&self) -> Option<SimConfig> {
        self.stores.settings.try_config()
    }

    /// The test probe (records every call that crosses the seam).
    #[cfg(test)]
    pub(crate) fn probe(&self) -> (&crate::hooks::probe::Probe, &Gate) {
        (&self.hooks.probe, &self.stores.gate)
    }
}
