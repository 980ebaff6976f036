//! [`Simulator`]: the typed Rust facade over one [`Engine`]. Every
//! `impl Simulator` block of the crate is in this module, one file per
//! family of entry points: this file (building, configuration, reset,
//! faults), `devices.rs` (adapters and devices), `allocations.rs`
//! (allocations, the driver model, simulated work), `lock.rs` (the lock
//! path) and `kmt.rs` (adapter queries and contexts). Each method turns
//! typed handles into raw ones and calls the engine's raw layer, which
//! owns every rule.

mod allocations;
mod devices;
mod kmt;
mod lock;

use crate::call::Elements;
use crate::config::SimConfig;
use crate::engine::Engine;
use crate::error::Result;
use crate::hooks::fault::Fault;

/// A simulated machine: its adapters, their devices and allocations, the
/// lock engine and the fault plan.
///
/// Every method takes `&self` (but [`Simulator::reset`]) and is
/// thread-safe; share a simulator between threads with `Arc` or scoped
/// threads. Handles are plain `Copy` values; a zero, stale, foreign or
/// wrong-kind handle is answered with `STATUS_INVALID_PARAMETER` and never
/// reaches another object.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(64 << 10))?;
///
/// let guard = sim.lock2_guard(device, alloc)?;
/// guard.write_at(0, b"hello")?;
/// drop(guard); // Unlock2
///
/// let mut buf = [0u8; 5];
/// sim.lock2_guard(device, alloc)?.read_at(0, &mut buf)?;
/// assert_eq!(&buf, b"hello");
///
/// sim.remove_device(device, ExecutionState::Reset)?;
/// assert_eq!(sim.lock2(device, alloc).unwrap_err().status(), NtStatus::DEVICE_REMOVED);
/// # Ok::<(), Error>(())
/// ```
#[repr(transparent)]
pub struct Simulator {
    engine: Engine,
}

/// The raw values of a typed handle list, read one at a time.
struct Raw<'a, T>(&'a [T]);

impl<T: Copy + Into<u32>> Elements<u32> for Raw<'_, T> {
    fn count(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
    fn get(&self, i: u32) -> u32 {
        self.0[i as usize].into()
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never blocks: a reset in progress prints a placeholder.
        let mut d = f.debug_struct("Simulator");
        match self.engine.try_config() {
            Some(config) => d.field("config", &config),
            None => d.field("config", &format_args!("<resetting>")),
        };
        d.finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds a simulator.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(2))?;
    /// assert_eq!(sim.adapter_count(), 2);
    /// let refused = Simulator::new(SimConfig::default().adapters(0)).unwrap_err();
    /// assert!(matches!(refused.kind(), ErrorKind::InvalidParameter(_)), "1 to 16 adapters");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - `InvalidParameter` when `config` is out of range
    ///   ([`SimConfig::validate`]);
    /// - `NoMemory` when the host refuses the few pages of the tables'
    ///   directories (the tables grow with use).
    pub fn new(config: SimConfig) -> Result<Self> {
        Ok(Simulator { engine: Engine::new(config)? })
    }

    /// The engine, for the C skin.
    #[cfg_attr(not(all(feature = "c-abi", not(any(loom, shuttle)))), allow(dead_code))]
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configuration in force.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().seed(9).max_lock_references(8))?;
    /// let config = sim.config();
    /// assert_eq!((config.seed, config.max_lock_references), (9, 8));
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn config(&self) -> SimConfig {
        self.engine.config()
    }

    /// `SimKmtReset`: replaces this simulator by a new one built from
    /// `config`, in place. Every object is destroyed (devices, allocations
    /// and their memory, adapter handles) and every fault disarmed; the
    /// handles issued afterwards are the ones a new simulator would issue, so
    /// a replay from a reset is deterministic.
    ///
    /// It takes `&mut self`, so no [`LockGuard`](crate::LockGuard) or other borrow of the old
    /// simulator can outlive the reset (an old handle may name an object of
    /// the new simulator: handles repeat across a reset). The C ABI's
    /// `SimKmtReset` does the same under load, atomically with respect to
    /// every other call.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let mut sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// assert!(sim.reset(SimConfig::default().adapters(17)).is_err());
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active, "a failed reset changes nothing");
    ///
    /// sim.reset(SimConfig::default().adapters(2))?;
    /// assert_eq!(sim.adapter_count(), 2);
    /// assert_eq!(sim.enum_adapters()?[0].handle, adapter, "the same handles as a new simulator");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidParameter` when `config` is out of range
    /// ([`SimConfig::validate`]);
    /// nothing changes then. No fault applies to a reset.
    pub fn reset(&mut self, config: SimConfig) -> Result<()> {
        self.engine.reset(config)
    }

    // === faults ===

    /// Arms a fault (`SimKmtInjectFault`). Several faults may be armed at
    /// once; they belong to this simulator.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// // The 2nd and 3rd Lock2 from now fail as if out of memory.
    /// let no_memory = FaultAction::ReturnStatus(NtStatus::NO_MEMORY);
    /// sim.inject_fault(Fault::new(FaultCall::Lock2, no_memory).nth(2).count(2))?;
    /// let results: Vec<_> = (0..4).map(|_| sim.lock2(device, alloc).map(drop)).collect();
    /// assert!(results[0].is_ok() && results[3].is_ok());
    /// assert!(results[1..3].iter().all(|r| r.unwrap_err().is_injected()));
    /// // A fault must fail: a success status is refused.
    /// let success = FaultAction::ReturnStatus(NtStatus::SUCCESS);
    /// assert!(sim.inject_fault(Fault::new(FaultCall::Lock2, success)).is_err());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidParameter` when the fault breaks a rule of [`Fault`]: it aims at
    /// [`crate::CallId::Query`] or [`crate::CallId::InjectFault`], returns a
    /// success status, removes the device of a call that names none, or resets
    /// the adapter of a call that names neither a device nor an adapter.
    pub fn inject_fault(&self, fault: Fault) -> Result<()> {
        self.engine.inject_fault(fault)
    }

    /// Disarms every fault.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// sim.inject_fault(Fault::new(FaultCall::GetDeviceState, FaultAction::ReturnStatus(NtStatus::UNSUCCESSFUL)))?;
    /// sim.clear_faults();
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn clear_faults(&self) {
        self.engine.clear_faults()
    }
}

#[cfg(test)]
mod tests;
