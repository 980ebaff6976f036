//! The C ABI (the `c-abi` feature): the real `D3DKMT*` entry points plus
//! the `SIMKMT_` extension, as a thin skin over the engine's raw layer.
//!
//! This layer only translates. It checks argument pointers for NULL, copies
//! C structs in and out, reads C arrays one element at a time
//! (`args::CArray`) and decodes every C numbering (`SIMKMT_*` values,
//! `StateType`, zero-means-default, `SIMKMT_ALLOCATION_DESC` private data)
//! into Rust values; then it calls the engine, which owns every contract
//! rule and the check order (fault counting included). Outputs are written
//! only on success. Every export runs inside `catch_unwind`, so no panic
//! crosses the ABI: a caught panic returns `STATUS_INTERNAL_ERROR` and the
//! simulator stays usable.
//!
//! One file per family of thunks: `adapter`, `device`, `context`,
//! `allocation`, `lock` and `simkmt` (the extension); the shared argument helpers are in `args`,
//! the `#[repr(C)]` types of the extension in [`types`].
//!
//! # The process-wide simulator
//!
//! C has no simulator instances, so the exports act on one process-wide
//! [`Simulator`] in a `OnceLock`: the lock path pays one load to reach it,
//! never a lock. It is created on first use from the environment variable
//! `D3DKMT_SIM_CONFIG` (syntax in [`SimConfig::parse`]; a malformed value is
//! reported once on stderr and the built-in defaults are used), and
//! `SimKmtReset` resets it in place, atomically with respect to every other
//! call: its memory is never freed, so a call racing a reset on another
//! thread still reads valid memory, and resetting a million times costs
//! nothing that grows.
//!
//! # The hot exports
//!
//! `D3DKMTLock2` and `D3DKMTUnlock2` first try the engine's quiet path,
//! which decides the success and the common errors with loads, compares and
//! one CAS and so cannot panic; anything else goes to a cold function that
//! runs the call through the seam inside `catch_unwind`. The success path
//! thus pays no landing pad and no register spills for the slow path.
#![allow(unsafe_code, non_snake_case)]

mod adapter;
mod allocation;
mod args;
mod context;
mod device;
mod driver;
mod lock;
mod simkmt;
pub mod types;

pub use self::adapter::*;
pub use self::allocation::*;
pub use self::context::*;
pub use self::device::*;
pub use self::driver::*;
pub use self::lock::*;
pub use self::simkmt::*;
pub use self::types::*;

use crate::error::{ErrorKind, Result};
use crate::sync::OnceLock;
use crate::{SimConfig, Simulator};

static SIM: OnceLock<Simulator> = OnceLock::new();

/// The process-wide simulator the C ABI acts on.
///
/// ```
/// let sim = d3dkmt_sim::ffi::current();
/// assert!(sim.adapter_count() >= 1);
/// ```
///
/// # Panics
///
/// If the simulator does not exist yet and the host refuses the memory to
/// build it (a few pages; [`try_current`] reports that as an error
/// instead, which is what every C entry point does).
#[inline(always)]
pub fn current() -> &'static Simulator {
    match try_current() {
        Ok(sim) => sim,
        Err(e) => panic!("d3dkmt-sim: the process-wide simulator cannot be built: {e}"),
    }
}

/// The process-wide simulator, built on first use from `D3DKMT_SIM_CONFIG`;
/// [`ErrorKind::NoMemory`] (and nothing built) when the host refuses the memory
/// for it, so a C call made under a tight memory limit fails with
/// `STATUS_NO_MEMORY` and a later call tries again.
///
/// ```
/// let sim = d3dkmt_sim::ffi::try_current()?;
/// assert!(sim.adapter_count() >= 1);
/// # Ok::<(), d3dkmt_sim::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::NoMemory`] as above; a malformed `D3DKMT_SIM_CONFIG` is not an
/// error (it is reported on stderr and the built-in defaults are used).
#[inline(always)]
pub fn try_current() -> Result<&'static Simulator> {
    match SIM.get() {
        Some(sim) => Ok(sim),
        None => first_use(),
    }
}

/// Builds the process-wide simulator from `D3DKMT_SIM_CONFIG`. Two threads
/// may build one each; the first to publish wins and the other's is
/// dropped.
#[cold]
fn first_use() -> Result<&'static Simulator> {
    let config = SimConfig::from_env().unwrap_or_else(|e| malformed(&e.to_string()));
    let sim = match Simulator::new(config) {
        Ok(sim) => sim,
        Err(e) if e.kind() == ErrorKind::NoMemory => return Err(e),
        Err(e) => {
            report(&format!("{e}; using the built-in defaults"));
            Simulator::new(SimConfig::default())?
        }
    };
    Ok(SIM.get_or_init(|| sim))
}

/// A malformed `D3DKMT_SIM_CONFIG`: reported once, then the built-in
/// defaults, or, with `D3DKMT_SIM_STRICT=1`, the process exits with status 2
/// (so a CI job never runs on a configuration it did not ask for).
#[cold]
fn malformed(message: &str) -> SimConfig {
    if std::env::var_os(STRICT_VAR).is_some_and(|v| v == "1") {
        report(&format!("{message}; exiting ({STRICT_VAR}=1)"));
        std::process::exit(2);
    }
    report(&format!("{message}; using the built-in defaults"));
    SimConfig::default()
}

/// The environment variable that makes a malformed `D3DKMT_SIM_CONFIG` end
/// the process (status 2) instead of falling back to the defaults.
pub const STRICT_VAR: &str = "D3DKMT_SIM_STRICT";

/// One line on stderr about `D3DKMT_SIM_CONFIG`, at most once per process
/// (a first use that ran out of memory is retried); a failing stderr is
/// ignored.
fn report(message: &str) {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(std::io::stderr(), "d3dkmt-sim: D3DKMT_SIM_CONFIG: {message}");
    });
}

/// Resets the process-wide simulator to `config` (what `SimKmtReset` does):
/// safe to call while other threads are inside calls.
///
/// ```
/// use d3dkmt_sim::{ffi, SimConfig};
/// ffi::reset_current(SimConfig::default().adapters(2)).unwrap();
/// assert_eq!(ffi::current().adapter_count(), 2);
/// ```
///
/// # Errors
///
/// - `NoMemory` when the process-wide simulator does not exist yet and the host
///   refuses the memory for it ([`try_current`]);
/// - `InvalidParameter` when `config` is out of range
///   ([`SimConfig::validate`]); nothing changes then.
pub fn reset_current(config: SimConfig) -> Result<()> {
    try_current()?.engine().reset(config)
}

#[cfg(test)]
mod tests;
