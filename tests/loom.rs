//! Loom models of the lock engine's races, built only with `--cfg loom`
//! (the `sync` facade then hands out loom's model-checked primitives, and
//! loom runs each model under every interleaving up to its preemption
//! bound).
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --no-default-features --test loom
//! ```
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

use d3dkmt_sim::{AllocationDesc, ErrorKind, ExecutionState, SimConfig, Simulator};

/// Lock2 racing `remove_device` (the contract's rule 3 and the removal
/// rules): whatever the interleaving, the Lock2 either took its reference
/// before the removal (which then dropped it) or fails with
/// `DEVICE_REMOVED`; afterwards the device reports the removal's reason,
/// the allocation holds no reference, a second Lock2 and an Unlock2 fail
/// with `DEVICE_REMOVED`, and a removal once reported is never undone.
#[test]
fn lock2_racing_remove_device() {
    loom::model(|| {
        let sim = Arc::new(Simulator::new(SimConfig::default()).unwrap());
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        let device = sim.create_device(adapter).unwrap();
        let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();

        let locker = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.lock2(device, alloc).map(|m| m.as_ptr() as usize))
        };
        sim.remove_device(device, ExecutionState::Hung).unwrap();
        let locked = locker.join().unwrap();

        match locked {
            Ok(base) => assert_ne!(base, 0, "a successful Lock2 maps the allocation"),
            Err(e) => assert_eq!(e, ErrorKind::DeviceRemoved, "the only way a racing Lock2 may fail"),
        }
        assert_eq!(sim.device_state(device), Ok(ExecutionState::Hung));
        assert_eq!(sim.query_allocation(device, alloc).unwrap().lock_count, 0, "removal drops every lock");
        assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::DeviceRemoved);
        assert_eq!(sim.unlock2(device, alloc).unwrap_err(), ErrorKind::DeviceRemoved);
    });
}
