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
//! naive model), `harness` (runs each operation on both and compares).

use d3dkmt_sim::{
    status_of, AdapterHandle, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, LockFlags, NtStatus, Pages,
    SimConfig, Simulator,
};
use proptest::prelude::*;

mod harness;
mod ops;
mod reference;

use harness::{ah, dh, run};
use ops::{op, params, setup};

const OK: NtStatus = NtStatus::SUCCESS;
const IP: NtStatus = NtStatus::INVALID_PARAMETER;
const DR: NtStatus = NtStatus::DEVICE_REMOVED;
const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
const TMR: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;
const NVM: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

/// docs/contract.md §6 rule 1: the legacy lock's reserved flag bits.
const RESERVED_LOCK_BITS: u32 = 0xFFFF_F800;
const FLAG_READ_ONLY: u32 = 0x1;
const FLAG_WRITE_ONLY: u32 = 0x2;
const FLAG_DONOT_WAIT: u32 = 0x4;
const FLAG_IGNORE_SYNC: u32 = 0x8;
const FLAG_LOCK_ENTIRE: u32 = 0x10;

/// The byte of each page that the test writes and probes.
const PROBE: u64 = 17;
const LOST: u8 = 0xDD;

/// Handles that (with 2 adapters and a few dozen objects) are never issued:
/// the last two values of the sequence (n = 2^24 - 1 and 2^24 - 2). Used
/// when a pick has nothing to pick.
const NEVER_ALLOCATION: u32 = 0x7FFF_FFC0;
const NEVER_DEVICE: u32 = 0x7FFF_FF80;

/// Random bits made into a value with the local-handle shape
/// (`0x40000000 | n << 6`, n >= 1), so the typed API accepts it. It may
/// name nothing, an object of another kind, or (rarely) a live object: the
/// model keys its objects by raw value, so it predicts all three.
fn shaped(bits: u32) -> u32 {
    0x4000_0000 | (((bits >> 6) & 0xFF_FFFF).max(1) << 6)
}

/// The adapters of every simulator the model tests build.
const ADAPTERS: usize = 2;

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
