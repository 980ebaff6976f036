//! The contract tests' fixture and helpers.
//!
//! Notation as in docs/lock-states.md: `D` with `a`, `b` (4 pages each) and
//! `h` (1 page, not CPU-visible); `E` with `e` (1 page); both on adapter `A`.

use std::fmt::Debug;
use std::time::Duration;

use d3dkmt_sim::*;

pub(crate) const PAGE: u64 = 4096;
/// Pages the fixture allocates: `a` 4 + `b` 4 + `h` 1 + `e` 1.
pub(crate) const FIXTURE_PAGES: u64 = 10;
/// Pages of `D`'s allocations alone.
pub(crate) const D_PAGES: u64 = 9;

pub(crate) const INVALID: NtStatus = NtStatus::INVALID_PARAMETER;
pub(crate) const REMOVED: NtStatus = NtStatus::DEVICE_REMOVED;
pub(crate) const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
pub(crate) const TOO_MANY: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;
pub(crate) const NO_VIDEO_MEMORY: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

pub(crate) const STALE_DEVICE: Error = Error::new(ErrorKind::InvalidHandle(HandleKind::Device));
pub(crate) const STALE_ALLOCATION: Error = Error::new(ErrorKind::InvalidHandle(HandleKind::Allocation));
pub(crate) const STALE_ADAPTER: Error = Error::new(ErrorKind::InvalidHandle(HandleKind::Adapter));

/// A wait that must end by a wake-up, never by its timeout.
pub(crate) const LONG_WAIT: Duration = Duration::from_secs(20);
/// A wait that must time out.
pub(crate) const SHORT_WAIT: Duration = Duration::from_millis(50);
/// How long the main thread lets a waiter block before waking it.
pub(crate) const LET_IT_BLOCK: Duration = Duration::from_millis(100);

pub(crate) struct Fx {
    pub(crate) sim: Simulator,
    pub(crate) adapter: AdapterHandle,
    pub(crate) d: DeviceHandle,
    pub(crate) a: AllocationHandle,
    pub(crate) b: AllocationHandle,
    pub(crate) h: AllocationHandle,
    pub(crate) dev_e: DeviceHandle,
    pub(crate) e: AllocationHandle,
}

/// Everything a failed call must leave alone, as far as the API can see it.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    device_states: Vec<Result<ExecutionState>>,
    last_fences: Vec<Result<u64>>,
    allocations: Vec<Result<AllocationInfo>>,
    adapters: usize,
}

pub(crate) fn fixture() -> Fx {
    fixture_with(SimConfig::default())
}

pub(crate) fn fixture_with(config: SimConfig) -> Fx {
    let sim = Simulator::new(config).unwrap();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let d = sim.create_device(adapter).unwrap();
    let a = sim.create_allocation(d, AllocationDesc::new(4 * PAGE)).unwrap();
    let b = sim.create_allocation(d, AllocationDesc::new(4 * PAGE)).unwrap();
    let h = sim.create_allocation(d, AllocationDesc::new(PAGE).not_cpu_visible()).unwrap();
    let dev_e = sim.create_device(adapter).unwrap();
    let e = sim.create_allocation(dev_e, AllocationDesc::new(PAGE)).unwrap();
    Fx { sim, adapter, d, a, b, h, dev_e, e }
}

/// A budget of exactly what the fixture uses plus `extra` pages.
pub(crate) fn budget_plus(extra: u64) -> SimConfig {
    SimConfig::default().adapter_memory((FIXTURE_PAGES + extra) * PAGE)
}

impl Fx {
    pub(crate) fn owner(&self, alloc: AllocationHandle) -> DeviceHandle {
        if alloc == self.e {
            self.dev_e
        } else {
            self.d
        }
    }

    pub(crate) fn info(&self, alloc: AllocationHandle) -> AllocationInfo {
        self.sim.query_allocation(self.owner(alloc), alloc).unwrap()
    }

    /// The lock count.
    pub(crate) fn n(&self, alloc: AllocationHandle) -> u32 {
        self.info(alloc).lock_count
    }

    pub(crate) fn busy(&self, alloc: AllocationHandle) -> bool {
        self.info(alloc).busy
    }

    pub(crate) fn state(&self, device: DeviceHandle) -> ExecutionState {
        self.sim.device_state(device).unwrap()
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let devices = [self.d, self.dev_e];
        Snapshot {
            device_states: devices.iter().map(|&d| self.sim.device_state(d)).collect(),
            last_fences: devices.iter().map(|&d| self.sim.last_fence(d)).collect(),
            allocations: [self.a, self.b, self.h, self.e]
                .iter()
                .map(|&x| self.sim.query_allocation(self.owner(x), x))
                .collect(),
            adapters: self.sim.adapter_count(),
        }
    }

    /// Runs `calls` (the calls under test with their own checks: calls that
    /// must fail, or calls that must do nothing) and asserts that together
    /// they changed nothing a [`Snapshot`] sees: lock counts, busy bits,
    /// device states, last fences, which handles are valid, the adapter count
    /// (docs/contract.md §3: a failed call changes no state).
    #[track_caller]
    pub(crate) fn unchanged_by(&self, calls: impl FnOnce()) {
        let before = self.snapshot();
        calls();
        assert_eq!(self.snapshot(), before, "the calls changed observable state");
    }

    /// [`Fx::unchanged_by`] for calls that need `&mut Fx` (`Simulator::reset`).
    #[track_caller]
    pub(crate) fn unchanged_by_mut(&mut self, calls: impl FnOnce(&mut Fx)) {
        let before = self.snapshot();
        calls(self);
        assert_eq!(self.snapshot(), before, "the calls changed observable state");
    }

    /// A device handle whose device was created on `A` and destroyed.
    pub(crate) fn stale_device(&self) -> DeviceHandle {
        let s = self.sim.create_device(self.adapter).unwrap();
        self.sim.destroy_device(s).unwrap();
        s
    }

    /// An allocation handle of `D` whose allocation was destroyed.
    pub(crate) fn stale_allocation(&self) -> AllocationHandle {
        let x = self.sim.create_allocation(self.d, AllocationDesc::new(PAGE)).unwrap();
        self.sim.destroy_allocations(self.d, &[x]).unwrap();
        x
    }

    pub(crate) fn remove(&self, device: DeviceHandle) {
        self.sim.remove_device(device, ExecutionState::Hung).unwrap();
    }

    pub(crate) fn lock_entire(
        &self,
        device: DeviceHandle,
        alloc: AllocationHandle,
        flags: LockFlags,
    ) -> Result<Mapping> {
        self.sim.lock(device, alloc, flags, Pages::Entire)
    }
}

/// Asserts the exact error (a kind is a real, not injected, failure) and
/// the status it maps to.
#[track_caller]
pub(crate) fn fails<T: Debug>(result: Result<T>, error: impl Into<Error>, status: NtStatus) {
    let error = error.into();
    match result {
        Ok(value) => panic!("expected {error:?} ({status:?}), got Ok({value:?})"),
        Err(e) => {
            assert_eq!(e, error);
            assert_eq!(e.status(), status);
        }
    }
}

/// Asserts `ErrorKind::InvalidParameter(_)` (its text is free) and its status.
#[track_caller]
pub(crate) fn invalid_parameter<T: Debug>(result: Result<T>) {
    match result {
        Err(e) if matches!(e.kind(), ErrorKind::InvalidParameter(_)) && !e.is_injected() => {
            assert_eq!(e.status(), INVALID)
        }
        other => panic!("expected ErrorKind::InvalidParameter, got {other:?}"),
    }
}

pub(crate) fn no_flags() -> LockFlags {
    LockFlags::default()
}

pub(crate) fn return_status(status: NtStatus) -> FaultAction {
    FaultAction::ReturnStatus(status)
}

/// How far apart consecutive values of the §3 handle sequence are
/// (`0x40000000 | n << 6`).
pub(crate) const HANDLE_STEP: u32 = 1 << 6;

/// The value of a new object: creates a device on `adapter` and destroys it
/// again (its value is retired, and the sequence moves on by one).
pub(crate) fn probe_handle(sim: &Simulator, adapter: AdapterHandle) -> u32 {
    let device = sim.create_device(adapter).unwrap();
    sim.destroy_device(device).unwrap();
    device.raw()
}

/// Runs `calls` and asserts that they created no object of any kind: the
/// object created after them gets the value right after the one created
/// before them (docs/contract.md §3: one sequence for every kind, and a failed call
/// changes nothing). `adapter` must take a device before and after.
#[track_caller]
pub(crate) fn sequence_unmoved_by(sim: &Simulator, adapter: AdapterHandle, calls: impl FnOnce()) {
    let before = probe_handle(sim, adapter);
    calls();
    let after = probe_handle(sim, adapter);
    assert_eq!(after, before + HANDLE_STEP, "the calls took handles: {before:#x} then {after:#x}");
}
