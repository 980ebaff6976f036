//! [`Stores`]: everything one simulated machine holds, in one place, and
//! nothing it does. The engine owns it; each object kind's operations are a
//! view over it (a single pointer, passed by value), so a hot path carries
//! one register for all of it.

use crate::adapter::Adapters;
use crate::clock::Clock;
use crate::config::SimConfig;
use crate::device::Devices;
use crate::driver::Driver;
use crate::error::{ErrorKind, Result};
use crate::gate::Gate;
use crate::settings::Settings;
use crate::slot::Handles;

/// The stores of one simulated machine.
pub(crate) struct Stores {
    /// The seam's control word and the reset gate.
    pub(crate) gate: Gate,
    /// Where waits read time.
    pub(crate) clock: Clock,
    /// The configuration in force.
    pub(crate) settings: Settings,
    /// The adapters.
    pub(crate) adapters: Adapters,
    /// The device pool.
    pub(crate) devices: Devices,
    /// The handle table: one slot per handle value, of every kind.
    pub(crate) handles: Handles,
    /// The driver model reading private driver data.
    pub(crate) driver: Driver,
}

impl Stores {
    /// The stores of a machine built from a validated `config`; `NoMemory`
    /// when the host refuses the tables' directories.
    pub(crate) fn new(config: &SimConfig) -> Result<Self> {
        Ok(Stores {
            gate: Gate::default(),
            clock: Clock::real(),
            settings: Settings::new(config),
            adapters: Adapters::new(config),
            devices: Devices::new().ok_or(ErrorKind::NoMemory)?,
            handles: Handles::new().ok_or(ErrorKind::NoMemory)?,
            driver: Driver::new(),
        })
    }
}

/// Defines an operations view over [`Stores`]: a `Copy` newtype of one
/// reference, passed by value.
macro_rules! view {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub(crate) struct $name<'e>(pub(crate) &'e $crate::stores::Stores);
    };
}
pub(crate) use view;
