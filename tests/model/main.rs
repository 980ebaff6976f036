//! Model-based test of the lock contract (docs/contract.md §3–§8).
//!
//! proptest generates random sequences of up to 60 operations — allocation
//! create/destroy, Lock2/Unlock2, the legacy page Lock/Unlock, GPU submit and
//! fence completion, device and adapter removal, device create/destroy and the
//! queries — with handles picked from live objects, destroyed ones, another
//! device's and garbage values. Each operation runs against the simulator and
//! against `Model`, a deliberately naive reference written from docs/contract.md alone
//! (plain maps, no engine helpers, the contract's check order spelled out
//! rule by rule). Every returned status must match, and after every step the
//! observable state must match too: each live allocation's lock count, busy
//! bit, size and visibility, each device's execution state and last fence.
//! At the end, destroyed handles must still be rejected and the bytes written
//! through lock guards must read back as written (or as 0xDD on a removed
//! device).
//!
//! The parts: `ops` (the operations and their strategies), `reference` (the
//! naive model), `harness` (runs each operation on both and compares),
//! `common` (the constants they share). The fuzz target `model`
//! (tests/fuzz/fuzz_targets/model.rs) includes the same four files and
//! feeds them operations decoded from fuzz input.

use d3dkmt_sim::{
    status_of, AdapterHandle, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, LockFlags, Pages, SimConfig,
    Simulator,
};
use proptest::prelude::*;

mod common;
mod harness;
mod ops;
mod reference;

use common::*;
use harness::{ah, dh, run};
use ops::{op, params, setup};

// proptest keeps the seeds of failing cases (its default persistence,
// `SourceParallel("proptest-regressions")`) in
// `tests/proptest-regressions/main.txt`: this file's name, in a
// `proptest-regressions` directory beside `tests/model/`, the nearest
// directory with a `main.rs`. Commit that file when it appears.
proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The default busy policy: a busy Lock2 fails at once.
    #[test]
    fn model_busy_fail(p in params(&[BusyPolicy::Fail]), setup in setup(), ops in prop::collection::vec(op(), 1..=60)) {
        run(p, setup, ops)?;
    }

    /// A raw `D3DKMT_HANDLE` becomes a typed handle only with the
    /// local-handle shape; with it, a value that names no object of the
    /// kind is rejected by every call (the sequences above also pass such
    /// values, mixed with real ones).
    #[test]
    fn garbage_handles(raw in any::<u32>(), dev_raw in any::<u32>()) {
        let shape = raw & 0xC000_003F == 0x4000_0000 && raw != 0x4000_0000;
        prop_assert_eq!(AllocationHandle::from_raw(raw).is_some(), shape);
        prop_assert_eq!(DeviceHandle::from_raw(raw).is_some(), shape);
        prop_assert_eq!(AdapterHandle::from_raw(raw).is_some(), shape);
        let sim = Simulator::new(SimConfig::default()).unwrap();
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        let device = sim.create_device(adapter).unwrap();
        let real = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
        let garbage = ah(shaped(raw));
        prop_assume!(garbage != real);
        prop_assert_eq!(status_of(&sim.lock2(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.unlock2(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.lock(device, garbage, LockFlags::default(), Pages::Entire)), IP);
        prop_assert_eq!(status_of(&sim.unlock(device, &[garbage])), IP);
        prop_assert_eq!(status_of(&sim.submit(device, &[garbage])), IP);
        prop_assert_eq!(status_of(&sim.query_allocation(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.destroy_allocations(device, &[garbage, real])), IP);
        let garbage_device = dh(shaped(dev_raw));
        prop_assume!(garbage_device != device);
        prop_assert_eq!(status_of(&sim.lock2(garbage_device, real)), IP);
        prop_assert_eq!(status_of(&sim.device_state(garbage_device)), IP);
        prop_assert_eq!(status_of(&sim.destroy_device(garbage_device)), IP);
        prop_assert!(sim.query_allocation(device, real).is_ok(), "the real allocation survived");
    }

    /// The other two policies: Ignore maps busy allocations, Wait times out
    /// (1 ms) because nothing completes the work while it waits.
    #[test]
    fn model_busy_ignore_or_wait(
        p in params(&[BusyPolicy::Ignore, BusyPolicy::Wait]),
        setup in setup(),
        ops in prop::collection::vec(op(), 1..=60),
    ) {
        run(p, setup, ops)?;
    }
}
