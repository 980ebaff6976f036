//! Loom models of the lock engine's races, built only with `--cfg loom`
//! (the `sync` facade then hands out loom's model-checked primitives, and
//! loom runs each model under every interleaving up to its preemption
//! bound).
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --no-default-features --test loom
//! ```
//!
//! Each model's comment names the rule of `docs/contract.md` it proves.
//! Each is exhaustive under the bound (loom explores every interleaving
//! with at most two preemptions); a deadlock, a lost wake-up or a leaked
//! reference in any of them fails the model. Timed waits are untimed under
//! loom (`src/sync.rs`), so a busy wait that nothing wakes is a deadlock
//! loom reports, not a timeout that hides it.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

use d3dkmt_sim::{
    AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ErrorKind, ExecutionState, HandleKind, SimConfig,
    Simulator,
};

/// A simulator of `config` with one device and one allocation of a page.
fn setup(config: SimConfig) -> (Arc<Simulator>, DeviceHandle, AllocationHandle) {
    let sim = Arc::new(Simulator::new(config).unwrap());
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    (sim, device, alloc)
}

/// Runs `model` under loom, then checks that its interleavings produced
/// every one of the outcomes `names` lists (the model reports each with
/// `seen(i)`): a model that never reaches one of the orders it claims to
/// race proves nothing about it.
#[allow(clippy::disallowed_types)] // recording outside the model, not engine state
fn explore<const N: usize>(names: [&'static str; N], model: impl Fn(&dyn Fn(usize)) + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let seen: std::sync::Arc<[AtomicBool; N]> = std::sync::Arc::new(std::array::from_fn(|_| AtomicBool::new(false)));
    let record = std::sync::Arc::clone(&seen);
    loom::model(move || model(&|i| record[i].store(true, Relaxed)));
    let missed: Vec<_> = names.iter().zip(seen.iter()).filter(|(_, s)| !s.load(Relaxed)).map(|(n, _)| *n).collect();
    assert!(missed.is_empty(), "no interleaving reached: {missed:?}");
}

/// The lock count a query reports, or `None` when the allocation is gone.
fn count(sim: &Simulator, device: DeviceHandle, alloc: AllocationHandle) -> Option<u32> {
    sim.query_allocation(device, alloc).ok().map(|info| info.lock_count)
}

/// Lock2 racing `remove_device` (the contract's rule 3 and the removal
/// rules): whatever the interleaving, the Lock2 either took its reference
/// before the removal (which then dropped it) or fails with
/// `DEVICE_REMOVED`; afterwards the device reports the removal's reason,
/// the allocation holds no reference, a second Lock2 and an Unlock2 fail
/// with `DEVICE_REMOVED`, and a removal once reported is never undone.
#[test]
fn lock2_racing_remove_device() {
    explore(["locked first", "removed first"], |seen| {
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
            Ok(base) => {
                assert_ne!(base, 0, "a successful Lock2 maps the allocation");
                seen(0);
            }
            Err(e) => {
                assert_eq!(e, ErrorKind::DeviceRemoved, "the only way a racing Lock2 may fail");
                seen(1);
            }
        }
        assert_eq!(sim.device_state(device), Ok(ExecutionState::Hung));
        assert_eq!(sim.query_allocation(device, alloc).unwrap().lock_count, 0, "removal drops every lock");
        assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::DeviceRemoved);
        assert_eq!(sim.unlock2(device, alloc).unwrap_err(), ErrorKind::DeviceRemoved);
    });
}

/// Lock2 racing `DestroyAllocation` (§3: destroy is immediate, locked or
/// not; §5 rule 4): the Lock2 either took its reference first (and the
/// destroy then took the allocation with it) or finds the handle stale;
/// afterwards the handle is stale for Lock2 and Unlock2 alike.
#[test]
fn lock2_racing_destroy_allocation() {
    explore(["locked first", "destroyed first"], |seen| {
        let (sim, device, alloc) = setup(SimConfig::default());
        let locker = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.lock2(device, alloc).map(drop))
        };
        sim.destroy_allocations(device, &[alloc]).unwrap();
        match locker.join().unwrap() {
            Ok(()) => seen(0),
            Err(e) => {
                assert_eq!(e, ErrorKind::InvalidHandle(HandleKind::Allocation));
                seen(1);
            }
        }
        let stale = ErrorKind::InvalidHandle(HandleKind::Allocation);
        assert_eq!(sim.lock2(device, alloc).unwrap_err(), stale);
        assert_eq!(sim.unlock2(device, alloc).unwrap_err(), stale);
        assert_eq!(count(&sim, device, alloc), None);
    });
}

/// Lock2 racing `DestroyDevice` (§3: the device's allocations go first,
/// then the device; §5 rules 2 and 4): the Lock2 succeeds, or finds the
/// allocation gone while the device still stands, or the device gone;
/// afterwards the device handle is stale first.
#[test]
fn lock2_racing_destroy_device() {
    explore(["locked first", "allocation gone, device standing", "device gone"], |seen| {
        let (sim, device, alloc) = setup(SimConfig::default());
        let locker = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.lock2(device, alloc).map(drop))
        };
        sim.destroy_device(device).unwrap();
        match locker.join().unwrap() {
            Ok(()) => seen(0),
            Err(e) if e == ErrorKind::InvalidHandle(HandleKind::Allocation) => seen(1),
            Err(e) => {
                assert_eq!(e, ErrorKind::InvalidHandle(HandleKind::Device));
                seen(2);
            }
        }
        assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Device));
        assert_eq!(sim.device_state(device).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Device));
    });
}

/// Two Lock2s for the last reference below the limit (§5 rule 7): exactly
/// one gets it, the other fails with `TOO_MANY_REFERENCES`, and the count
/// stops at the limit.
#[test]
fn two_lockers_at_the_reference_limit() {
    explore(["this thread got it", "the other thread got it"], |seen| {
        let (sim, device, alloc) = setup(SimConfig::default().max_lock_references(2));
        sim.lock2(device, alloc).unwrap();
        let other = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.lock2(device, alloc).map(drop))
        };
        let mine = sim.lock2(device, alloc).map(drop);
        let theirs = other.join().unwrap();
        let results = [mine, theirs];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        let failed = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!(*failed, ErrorKind::TooManyReferences);
        assert_eq!(count(&sim, device, alloc), Some(2));
        seen(if results[0].is_ok() { 0 } else { 1 });
    });
}

/// Legacy `Unlock` of two allocations racing `Unlock2` of one of them (§6:
/// a legacy Unlock is all or none, the FROZEN rule): exactly one call
/// releases the shared allocation's only reference; when the legacy Unlock
/// loses, it releases nothing at all, so the other allocation stays locked.
#[test]
fn legacy_unlock_racing_unlock2() {
    explore(["Unlock2 first", "legacy Unlock first"], |seen| {
        let (sim, device, a) = setup(SimConfig::default());
        let b = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
        sim.lock2(device, a).unwrap();
        sim.lock2(device, b).unwrap();
        let legacy = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.unlock(device, &[a, b]))
        };
        let single = sim.unlock2(device, a);
        let legacy = legacy.join().unwrap();
        assert_ne!(single.is_ok(), legacy.is_ok(), "exactly one takes a's reference: {single:?} {legacy:?}");
        let loser = single.as_ref().err().or(legacy.as_ref().err()).unwrap();
        assert_eq!(*loser, ErrorKind::NotLocked);
        assert_eq!(count(&sim, device, a), Some(0));
        assert_eq!(count(&sim, device, b), Some(if legacy.is_ok() { 0 } else { 1 }), "all or none");
        seen(if single.is_ok() { 0 } else { 1 });
    });
}

/// A guard unlocking while the device is removed (§5: a guard's unlock
/// after a removal reports `DEVICE_REMOVED`; §7: removal drops every
/// lock): whatever the order, no reference survives and the guard's
/// unlock reports success or the removal, never a wrong status.
#[test]
fn guard_unlock_racing_removal() {
    explore(["unlocked first", "removed while locked or first"], |seen| {
        let (sim, device, alloc) = setup(SimConfig::default());
        let holder = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || {
                let guard = sim.lock2_guard(device, alloc)?;
                d3dkmt_sim::LockGuard::unlock(guard)
            })
        };
        sim.remove_device(device, ExecutionState::Reset).unwrap();
        match holder.join().unwrap() {
            Ok(()) => seen(0),
            Err(e) => {
                assert_eq!(e, ErrorKind::DeviceRemoved);
                seen(1);
            }
        }
        assert_eq!(count(&sim, device, alloc), Some(0));
        assert_eq!(sim.device_state(device).unwrap(), ExecutionState::Reset);
    });
}

/// A Lock2 waiting on a busy allocation under the Wait policy, woken by
/// the fence's completion or by a removal, whichever comes (§8 "Waits",
/// §5 rule 6 under WAIT): it never hangs (a lost wake-up is a deadlock
/// loom reports), never reports busy (nothing timed out), and ends with
/// success or `DEVICE_REMOVED`; the removal leaves no reference.
#[test]
fn busy_wait_woken_by_completion_or_removal() {
    explore(["woken by the completion", "ended by the removal"], |seen| {
        let (sim, device, alloc) = setup(SimConfig::default().busy_policy(BusyPolicy::Wait));
        let fence = sim.submit(device, &[alloc]).unwrap();
        let waiter = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.lock2(device, alloc).map(drop))
        };
        let completer = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.complete_fence(device, fence))
        };
        sim.remove_device(device, ExecutionState::Hung).unwrap();
        match waiter.join().unwrap() {
            Ok(()) => seen(0),
            Err(e) => {
                assert_eq!(e, ErrorKind::DeviceRemoved);
                seen(1);
            }
        }
        match completer.join().unwrap() {
            Ok(()) => {}
            Err(e) => assert_eq!(e, ErrorKind::DeviceRemoved),
        }
        assert_eq!(count(&sim, device, alloc), Some(0));
    });
}

/// Submit, then complete, on one thread, racing a Lock2 on another, under
/// each busy policy (§8): `Fail` locks or reports busy; `Wait` always
/// locks (the completion wakes it); `Ignore` always locks. The reference
/// taken is the only one, and the allocation ends idle.
#[test]
fn submit_and_complete_racing_lock2_under_each_policy() {
    for policy in [BusyPolicy::Fail, BusyPolicy::Wait, BusyPolicy::Ignore] {
        // Fail must be seen both ways; Wait and Ignore only ever lock.
        let outcomes = if policy == BusyPolicy::Fail { ["locked", "busy"] } else { ["locked", "locked"] };
        explore(outcomes, move |seen| {
            let (sim, device, alloc) = setup(SimConfig::default().busy_policy(policy));
            let gpu = {
                let sim = Arc::clone(&sim);
                thread::spawn(move || {
                    let fence = sim.submit(device, &[alloc]).unwrap();
                    sim.complete_fence(device, fence).unwrap();
                })
            };
            let locked = sim.lock2(device, alloc).map(drop);
            gpu.join().unwrap();
            match (&locked, policy) {
                (Ok(()), _) => {
                    assert_eq!(count(&sim, device, alloc), Some(1));
                    seen(0);
                    seen(if policy == BusyPolicy::Fail { 0 } else { 1 });
                }
                (Err(e), BusyPolicy::Fail) => {
                    assert_eq!(*e, ErrorKind::AllocationBusy);
                    assert_eq!(count(&sim, device, alloc), Some(0));
                    seen(1);
                }
                (Err(e), _) => panic!("{policy:?}: {e:?}"),
            }
            assert!(!sim.query_allocation(device, alloc).unwrap().busy, "the work completed");
        });
    }
}
