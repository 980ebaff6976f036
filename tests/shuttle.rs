//! Randomized-schedule models of the lock engine, built only with
//! `--cfg shuttle` (the `sync` facade then hands out the `shuttle` crate's
//! primitives, and shuttle picks which thread runs at every atomic access
//! and lock operation).
//!
//! ```text
//! RUSTFLAGS="--cfg shuttle -C debug-assertions" \
//!     cargo test --release --no-default-features --test shuttle
//! ```
//!
//! The loom models (`tests/loom.rs`) are exhaustive but must stay tiny:
//! two or three threads, one or two calls each. These run the same kinds
//! of calls with more threads and longer sequences, where exhaustion is out
//! of reach: each model runs under shuttle's PCT scheduler (which finds any
//! bug of depth `d` with a known probability per run) and then its uniform
//! random scheduler. Both are seeded, so CI explores the same schedules
//! every time; the settings below change that.
//!
//! - `SHUTTLE_ITERATIONS` (default 1000): schedules per scheduler per model.
//! - `SHUTTLE_RANDOM_SEED`: replaces the fixed seeds (shuttle reads it).
//! - `SHUTTLE_SCHEDULE`: replays one schedule instead, as shuttle printed it
//!   on a failure (`failing schedule: "..."`): run the one failing model
//!   with it, e.g. `SHUTTLE_SCHEDULE=91020... cargo test ... --test shuttle
//!   removal_and_destroy_racing_lockers`.
//!
//! What these cannot find: shuttle runs every atomic access as `SeqCst`, so
//! a bug that only a weaker ordering allows is loom's to find, not theirs;
//! and a passing run is evidence, not proof.
#![cfg(shuttle)]

use std::sync::Arc;

use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::{thread, Config, Runner};

use d3dkmt_sim::{
    AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ErrorKind, ExecutionState, HandleKind, LockFlags,
    LockGuard, Pages, SimConfig, Simulator,
};

/// Runs `model` under PCT (depth 3) and then under the random scheduler,
/// `SHUTTLE_ITERATIONS` schedules each, from `seed`; or replays
/// `SHUTTLE_SCHEDULE` when it is set. The model reports each outcome of
/// `names` it reaches with `seen(i)`; unless replaying, every one must have
/// been reached: a model whose schedules never hit a race it claims to
/// test proves nothing about it.
#[allow(clippy::disallowed_types)] // recording outside the model, not engine state
fn check<const N: usize>(seed: u64, names: [&'static str; N], model: impl Fn(&dyn Fn(usize)) + Send + Sync + 'static) {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let seen: Arc<[AtomicBool; N]> = Arc::new(std::array::from_fn(|_| AtomicBool::new(false)));
    let model = Arc::new(model);
    let run = || {
        let (model, seen) = (Arc::clone(&model), Arc::clone(&seen));
        move || model(&|i| seen[i].store(true, Relaxed))
    };
    if let Ok(schedule) = std::env::var("SHUTTLE_SCHEDULE") {
        shuttle::replay(run(), &schedule);
        return;
    }
    let iterations = std::env::var("SHUTTLE_ITERATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let config = || {
        let mut config = Config::new();
        // The engine's frames are deeper than shuttle's 60 KiB default
        // allows in a debug build.
        config.stack_size = 1 << 20;
        // Every model here knows shuttle treats orderings as SeqCst (the
        // module comment); the warning would repeat it per test.
        config.silence_warnings = true;
        config
    };
    Runner::new(PctScheduler::new_from_seed(seed, 3, iterations), config()).run(run());
    Runner::new(RandomScheduler::new_from_seed(seed, iterations), config()).run(run());
    let missed: Vec<_> = names.iter().zip(seen.iter()).filter(|(_, s)| !s.load(Relaxed)).map(|(n, _)| *n).collect();
    assert!(missed.is_empty(), "no schedule reached: {missed:?}");
}

/// A simulator of `config` with one device and `n` one-page allocations.
fn setup(config: SimConfig, n: usize) -> (Arc<Simulator>, DeviceHandle, Vec<AllocationHandle>) {
    let sim = Arc::new(Simulator::new(config).unwrap());
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let allocs = (0..n).map(|_| sim.create_allocation(device, AllocationDesc::new(4096)).unwrap()).collect();
    (sim, device, allocs)
}

/// The lock count a query reports, or `None` when the allocation is gone.
fn count(sim: &Simulator, device: DeviceHandle, alloc: AllocationHandle) -> Option<u32> {
    sim.query_allocation(device, alloc).ok().map(|info| info.lock_count)
}

/// Three threads, four rounds each, locking two allocations under a limit
/// of two references (docs/contract.md §5 rule 7 and "content"): a Lock2
/// or legacy Lock fails only with `TOO_MANY_REFERENCES`; bytes a thread
/// wrote under a lock are there at its next lock of that allocation (each
/// Lock2 thread owns eight bytes of each allocation and nobody else writes
/// them); an unlock of a reference the thread holds never fails; and at the
/// end each allocation's lock count is exactly the references the threads
/// kept from their last round.
#[test]
fn lockers_at_the_limit_keep_counts_and_content() {
    check(0x5EED_0001, ["a Lock2 at the limit", "a legacy Lock at the limit"], |seen| {
        let (sim, device, allocs) = setup(SimConfig::default().max_lock_references(2), 2);
        let threads: Vec<_> = (0..3u8)
            .map(|t| {
                let (sim, allocs) = (Arc::clone(&sim), allocs.clone());
                thread::spawn(move || {
                    let offset = usize::from(t) * 8;
                    let mut written = [[0u8; 8]; 2];
                    let mut kept = [0u32; 2];
                    let mut refused = false;
                    for round in 0..4u8 {
                        let i = usize::from((t + round) % 2);
                        let alloc = allocs[i];
                        let last = round == 3;
                        if t == 2 {
                            // The legacy path: Lock, then Unlock.
                            match sim.lock(device, alloc, LockFlags::empty(), Pages::Entire) {
                                Err(e) => {
                                    assert_eq!(e, ErrorKind::TooManyReferences, "round {round}");
                                    refused = true;
                                }
                                Ok(_) if last => kept[i] += 1,
                                Ok(_) => sim.unlock(device, &[alloc]).unwrap(),
                            }
                            continue;
                        }
                        match sim.lock2_guard(device, alloc) {
                            Err(e) => {
                                assert_eq!(e, ErrorKind::TooManyReferences, "thread {t} round {round}");
                                refused = true;
                            }
                            Ok(guard) => {
                                let seen = guard.read_array::<8>(offset).unwrap();
                                assert_eq!(seen, written[i], "thread {t} lost its bytes of allocation {i}");
                                written[i] = [t, round, 0xA5, 0, 0, 0, 0, 0x5A];
                                guard.write_at(offset, &written[i]).unwrap();
                                if last {
                                    let _ = LockGuard::into_raw(guard);
                                    kept[i] += 1;
                                } else {
                                    LockGuard::unlock(guard).unwrap();
                                }
                            }
                        }
                    }
                    (kept, refused)
                })
            })
            .collect();
        let mut kept = [0u32; 2];
        for (t, thread) in threads.into_iter().enumerate() {
            let (k, refused) = thread.join().unwrap();
            kept[0] += k[0];
            kept[1] += k[1];
            if refused {
                seen(if t == 2 { 1 } else { 0 });
            }
        }
        for (i, &alloc) in allocs.iter().enumerate() {
            assert_eq!(count(&sim, device, alloc), Some(kept[i]), "allocation {i}: lock count = references kept");
        }
    });
}

/// Two lockers looping over two allocations while a third thread destroys
/// one of them and the main thread removes the device (§3 destroy, §7
/// removal, §5 check order): every failure is one the order allows at that
/// moment (`DEVICE_REMOVED`; a stale allocation handle only for the
/// destroyed one); once a thread has seen `DEVICE_REMOVED` it sees nothing
/// else (a removal is never undone, and the device check comes before the
/// allocation's); at the end the device reports the removal, the kept
/// allocation holds no reference and the destroyed one is stale.
#[test]
fn removal_and_destroy_racing_lockers() {
    check(
        0x5EED_0002,
        ["a locker saw the removal", "a locker saw the destroyed handle", "a locker locked the doomed allocation"],
        |seen| {
            let (sim, device, allocs) = setup(SimConfig::default(), 2);
            let (kept, doomed) = (allocs[0], allocs[1]);
            let lockers: Vec<_> = (0..2)
                .map(|t| {
                    let sim = Arc::clone(&sim);
                    thread::spawn(move || {
                        let (mut removed, mut stale, mut doomed_locked) = (false, false, false);
                        for round in 0..3 {
                            let alloc = if (t + round) % 2 == 0 { kept } else { doomed };
                            let results = match sim.lock2(device, alloc) {
                                Ok(_) => {
                                    doomed_locked |= alloc == doomed;
                                    [Ok(()), sim.unlock2(device, alloc)]
                                }
                                Err(e) => [Err(e), Ok(())],
                            };
                            for r in results {
                                let Err(e) = r else { continue };
                                if removed || e == ErrorKind::DeviceRemoved {
                                    assert_eq!(e, ErrorKind::DeviceRemoved, "after a removal, only the removal");
                                    removed = true;
                                } else {
                                    assert_eq!(alloc, doomed, "the kept allocation fails only by the removal: {e:?}");
                                    assert_eq!(e, ErrorKind::InvalidHandle(HandleKind::Allocation));
                                    stale = true;
                                }
                            }
                        }
                        (removed, stale, doomed_locked)
                    })
                })
                .collect();
            let destroyer = {
                let sim = Arc::clone(&sim);
                // Destroying works on a removed device too (abi.md §5).
                thread::spawn(move || sim.destroy_allocations(device, &[doomed]).unwrap())
            };
            sim.remove_device(device, ExecutionState::Hung).unwrap();
            for t in lockers {
                let (removed, stale, doomed_locked) = t.join().unwrap();
                if doomed_locked {
                    seen(2);
                }
                if removed {
                    seen(0);
                }
                if stale {
                    seen(1);
                }
            }
            destroyer.join().unwrap();
            assert_eq!(sim.device_state(device), Ok(ExecutionState::Hung));
            assert_eq!(count(&sim, device, kept), Some(0), "removal drops every lock");
            assert_eq!(sim.lock2(device, kept).unwrap_err(), ErrorKind::DeviceRemoved);
        },
    );
}

/// Three Lock2s waiting on an allocation that two fences keep busy, one
/// thread completing the fences in order, under the Wait policy (§8
/// "Waits"): no waiter hangs (a lost wake-up is a deadlock shuttle
/// reports), none reports busy, a waiter that locks finds the allocation
/// idle and both fences done, and the three hold exactly three references.
#[test]
fn waiters_woken_by_two_completions() {
    check(0x5EED_0003, [], |_| {
        let (sim, device, allocs) = setup(SimConfig::default().busy_policy(BusyPolicy::Wait), 1);
        let alloc = allocs[0];
        let first = sim.submit(device, &[alloc]).unwrap();
        let second = sim.submit(device, &[alloc]).unwrap();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let sim = Arc::clone(&sim);
                thread::spawn(move || {
                    sim.lock2(device, alloc).unwrap();
                    let info = sim.query_allocation(device, alloc).unwrap();
                    assert!(!info.busy, "a lock waits out all the work");
                })
            })
            .collect();
        let gpu = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || {
                sim.complete_fence(device, first).unwrap();
                sim.complete_fence(device, second).unwrap();
            })
        };
        gpu.join().unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(count(&sim, device, alloc), Some(3));
    });
}

/// The same three waiters, woken instead by a removal racing the
/// completions (§8 "Waits", §7): each ends with success or
/// `DEVICE_REMOVED`, never busy and never hung, and the removal leaves no
/// reference behind.
#[test]
fn waiters_ended_by_a_removal() {
    check(0x5EED_0004, ["a waiter locked", "a waiter saw the removal", "the removal refused a completion"], |seen| {
        let (sim, device, allocs) = setup(SimConfig::default().busy_policy(BusyPolicy::Wait), 1);
        let alloc = allocs[0];
        let first = sim.submit(device, &[alloc]).unwrap();
        let second = sim.submit(device, &[alloc]).unwrap();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let sim = Arc::clone(&sim);
                thread::spawn(move || match sim.lock2(device, alloc) {
                    Ok(_) => 0,
                    Err(e) => {
                        assert_eq!(e, ErrorKind::DeviceRemoved);
                        1
                    }
                })
            })
            .collect();
        let gpu = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || {
                let mut refused = false;
                for fence in [first, second] {
                    match sim.complete_fence(device, fence) {
                        Ok(()) => {}
                        Err(e) => {
                            assert_eq!(e, ErrorKind::DeviceRemoved);
                            refused = true;
                        }
                    }
                }
                refused
            })
        };
        sim.remove_device(device, ExecutionState::Reset).unwrap();
        if gpu.join().unwrap() {
            seen(2);
        }
        for w in waiters {
            seen(w.join().unwrap());
        }
        assert_eq!(count(&sim, device, alloc), Some(0));
    });
}

/// A legacy Unlock of two allocations racing two Unlock2s of the first,
/// which holds two references (§6: a legacy Unlock is all or none, the
/// FROZEN rule): three calls want three of its two references, so exactly
/// one fails, with `NOT_LOCKED`; the first allocation ends unlocked, and
/// the second keeps its reference exactly when the legacy Unlock lost.
#[test]
fn legacy_unlock_racing_two_unlock2s() {
    check(0x5EED_0005, ["the legacy Unlock lost", "an Unlock2 lost"], |seen| {
        let (sim, device, allocs) = setup(SimConfig::default(), 2);
        let (a, b) = (allocs[0], allocs[1]);
        sim.lock2(device, a).unwrap();
        sim.lock2(device, a).unwrap();
        sim.lock2(device, b).unwrap();
        let legacy = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.unlock(device, &[a, b]))
        };
        let single = {
            let sim = Arc::clone(&sim);
            thread::spawn(move || sim.unlock2(device, a))
        };
        let mine = sim.unlock2(device, a);
        let legacy = legacy.join().unwrap();
        let results = [legacy, single.join().unwrap(), mine];
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failed.len(), 1, "{results:?}");
        assert_eq!(*failed[0], ErrorKind::NotLocked);
        assert_eq!(count(&sim, device, a), Some(0));
        assert_eq!(count(&sim, device, b), Some(if results[0].is_err() { 1 } else { 0 }), "all or none");
        seen(if results[0].is_err() { 0 } else { 1 });
    });
}

/// Lockers on two adapters while one adapter is reset (TDR) and the other
/// is left alone (§7 adapter reset; "no effect on another adapter"): the
/// untouched adapter's Lock2s and Unlock2s never fail and its content
/// stays; the reset adapter's calls fail only with `DEVICE_REMOVED`, and
/// its device ends removed with no reference held.
#[test]
fn adapter_reset_leaves_the_other_adapter_alone() {
    check(0x5EED_0006, ["the reset adapter locked first", "the reset refused its lock"], |seen| {
        let sim = Arc::new(Simulator::new(SimConfig::default().adapters(2)).unwrap());
        let adapters: Vec<_> = sim.enum_adapters().unwrap().iter().map(|a| a.handle).collect();
        let mut pairs = Vec::new();
        for &adapter in &adapters {
            let device = sim.create_device(adapter).unwrap();
            let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
            pairs.push((device, alloc));
        }
        let lockers: Vec<_> = pairs
            .iter()
            .enumerate()
            .map(|(i, &(device, alloc))| {
                let sim = Arc::clone(&sim);
                thread::spawn(move || {
                    let (mut locked, mut refused) = (false, false);
                    for round in 0..3u8 {
                        match sim.lock2_guard(device, alloc) {
                            Ok(guard) => {
                                assert!(!refused, "a removal is never undone");
                                locked = true;
                                let before = guard.read_array::<1>(0).unwrap()[0];
                                if i == 1 {
                                    assert_eq!(before, round, "the other adapter's content stays");
                                }
                                guard.write_at(0, &[round + 1]).unwrap();
                                match LockGuard::unlock(guard) {
                                    Ok(()) => {}
                                    Err(e) => {
                                        assert_eq!(i, 0, "the untouched adapter never fails: {e:?}");
                                        assert_eq!(e, ErrorKind::DeviceRemoved);
                                    }
                                }
                            }
                            Err(e) => {
                                assert_eq!(i, 0, "the untouched adapter never fails: {e:?}");
                                assert_eq!(e, ErrorKind::DeviceRemoved);
                                refused = true;
                            }
                        }
                    }
                    (locked, refused)
                })
            })
            .collect();
        sim.reset_adapter(adapters[0]).unwrap();
        let outcomes: Vec<_> = lockers.into_iter().map(|t| t.join().unwrap()).collect();
        if outcomes[0].0 {
            seen(0);
        }
        if outcomes[0].1 {
            seen(1);
        }
        let (reset_device, reset_alloc) = pairs[0];
        assert_eq!(sim.device_state(reset_device), Ok(ExecutionState::Reset));
        assert_eq!(count(&sim, reset_device, reset_alloc), Some(0));
        let (device, alloc) = pairs[1];
        assert_eq!(sim.device_state(device), Ok(ExecutionState::Active));
        assert_eq!(count(&sim, device, alloc), Some(0));
        let mut byte = [0u8];
        sim.peek(device, alloc, 0, &mut byte).unwrap();
        assert_eq!(byte, [3], "the untouched adapter's last write");
    });
}
