//! Real-thread tests of the lock engine's concurrency promises (docs/contract.md §1
//! "every entry point is thread-safe", §5–§8): reference counts stay exact
//! under contention, removal is sticky and wins every race, destroy races
//! are memory-safe, the reference limit holds, blocked waits wake for the
//! right reason, and the two unlock flavours never lose or double-release a
//! reference.
//!
//! Timeouts are generous (seconds) wherever a wait is expected to end early,
//! so the tests do not flake on a loaded two-core machine.

// Test bookkeeping uses std atomics directly; clippy.toml's sync-facade rule
// is for engine code, which loom will model.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use d3dkmt_sim::{
    status_of, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ErrorKind, ExecutionState, LockFlags,
    LockGuard, NtStatus, Pages, SimConfig, Simulator,
};

const PAGE: usize = 4096;
const OK: NtStatus = NtStatus::SUCCESS;
const IP: NtStatus = NtStatus::INVALID_PARAMETER;
const DR: NtStatus = NtStatus::DEVICE_REMOVED;
const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
const TMR: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;

fn sim_with(config: SimConfig) -> (Simulator, DeviceHandle) {
    let sim = Simulator::new(config).unwrap();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    (sim, device)
}

fn lock_count(sim: &Simulator, device: DeviceHandle, alloc: AllocationHandle) -> u32 {
    sim.query_allocation(device, alloc).unwrap().lock_count
}

/// The 16 bytes thread `t` writes in iteration `i`.
fn pattern(t: usize, i: usize) -> [u8; 16] {
    core::array::from_fn(|k| (t * 31 + i * 7 + k) as u8 | 1)
}

/// Reads one byte of a mapping that is still mapped.
fn peek(base: *const u8, offset: usize) -> u8 {
    // SAFETY: every caller passes the base of an allocation that is not
    // destroyed yet and an offset inside it; docs/contract.md §7 keeps the memory
    // mapped (and readable) until destroy, even after removal.
    unsafe { base.add(offset).read_volatile() }
}

/// (a) Every thread locks its own allocation and one shared allocation in a
/// loop, writing and checking its own pattern through the guard. Afterwards
/// every count is 0 and the content is each thread's last pattern.
#[test]
fn own_and_shared_allocations_under_contention() {
    const THREADS: usize = 4;
    const ITERS: usize = 3000;
    let (sim, device) = sim_with(SimConfig::default());
    let own: Vec<AllocationHandle> =
        (0..THREADS).map(|_| sim.create_allocation(device, AllocationDesc::new(16 * PAGE as u64)).unwrap()).collect();
    let shared = sim.create_allocation(device, AllocationDesc::new((THREADS * PAGE) as u64)).unwrap();
    let shared_base = sim.lock2(device, shared).unwrap().as_ptr() as usize;
    sim.unlock2(device, shared).unwrap();

    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        for (t, &mine) in own.iter().enumerate() {
            let (sim, start) = (&sim, &start);
            s.spawn(move || {
                start.wait();
                let mut buf = [0u8; 16];
                for i in 0..ITERS {
                    {
                        let guard = sim.lock2_guard(device, mine).unwrap();
                        let at = (i % 16) * PAGE + t;
                        guard.write_at(at, &pattern(t, i)).unwrap();
                        guard.read_at(at, &mut buf).unwrap();
                        assert_eq!(buf, pattern(t, i));
                    }
                    // Nested: a guard on the shared allocation plus a raw
                    // Lock2/Unlock2 pair inside it.
                    let guard = sim.lock2_guard(device, shared).unwrap();
                    assert_eq!(guard.mapping().as_ptr() as usize, shared_base, "nested locks share one address");
                    let inner = sim.lock2(device, shared).unwrap();
                    assert_eq!(inner.as_ptr() as usize, shared_base);
                    guard.write_at(t * PAGE + 100, &pattern(t, i)).unwrap();
                    sim.unlock2(device, shared).unwrap();
                    guard.read_at(t * PAGE + 100, &mut buf).unwrap();
                    assert_eq!(buf, pattern(t, i), "another thread wrote into thread {t}'s region");
                    LockGuard::unlock(guard).unwrap();
                }
            });
        }
    });

    assert_eq!(lock_count(&sim, device, shared), 0);
    let mut buf = [0u8; 16];
    for (t, &mine) in own.iter().enumerate() {
        assert_eq!(lock_count(&sim, device, mine), 0);
        let guard = sim.lock2_guard(device, mine).unwrap();
        for i in ITERS - 16..ITERS {
            guard.read_at((i % 16) * PAGE + t, &mut buf).unwrap();
            assert_eq!(buf, pattern(t, i));
        }
        drop(guard);
        let guard = sim.lock2_guard(device, shared).unwrap();
        guard.read_at(t * PAGE + 100, &mut buf).unwrap();
        assert_eq!(buf, pattern(t, ITERS - 1));
    }
    assert_eq!(lock_count(&sim, device, shared), 0);
}

/// (b) Lockers race a device removal. Every status is SUCCESS or
/// DEVICE_REMOVED; once a thread has seen DEVICE_REMOVED it never sees a
/// success again, and no call that starts after `remove_device` returned
/// succeeds. Afterwards every call on the device returns DEVICE_REMOVED,
/// every count is 0 and bytes written before the removal read 0xDD.
#[test]
fn removal_is_sticky_under_contention() {
    const LOCKERS: usize = 3;
    for round in 0..20 {
        let (sim, device) = sim_with(SimConfig::default());
        let own: Vec<AllocationHandle> = (0..LOCKERS)
            .map(|_| sim.create_allocation(device, AllocationDesc::new(4 * PAGE as u64)).unwrap())
            .collect();
        let shared = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
        let bases: Vec<usize> = own
            .iter()
            .map(|&a| {
                let base = sim.lock2(device, a).unwrap().as_ptr() as usize;
                sim.unlock2(device, a).unwrap();
                base
            })
            .collect();
        let removed = AtomicBool::new(false);
        let progress = AtomicUsize::new(0);
        let ready = Barrier::new(LOCKERS + 1);

        thread::scope(|s| {
            for (t, &mine) in own.iter().enumerate() {
                let (sim, removed, progress, ready) = (&sim, &removed, &progress, &ready);
                s.spawn(move || {
                    // Before the race: page 0 gets the pattern for certain.
                    {
                        let guard = sim.lock2_guard(device, mine).unwrap();
                        guard.write_at(0, &pattern(t, 0)).unwrap();
                    }
                    ready.wait();
                    let mut seen_removed = false;
                    let mut after = 0;
                    let mut i = 0usize;
                    while after < 200 {
                        i += 1;
                        let started_after_removal = removed.load(SeqCst);
                        let status = match i % 3 {
                            0 => match sim.lock2_guard(device, mine) {
                                Ok(guard) => {
                                    // Page 1 may be written after the removal
                                    // through a guard taken before it.
                                    guard.write_at(PAGE, &pattern(t, i)).unwrap();
                                    let unlock = LockGuard::unlock(guard);
                                    assert!(
                                        matches!(unlock.map_err(|e| e.kind()), Ok(()) | Err(ErrorKind::DeviceRemoved)),
                                        "{unlock:?}"
                                    );
                                    OK
                                }
                                Err(e) => e.status(),
                            },
                            1 => {
                                let r = sim.lock2(device, shared);
                                if r.is_ok() {
                                    let u = status_of(&sim.unlock2(device, shared));
                                    assert!(u == OK || u == DR, "{u:?}");
                                }
                                status_of(&r)
                            }
                            _ => {
                                let r = sim.lock(device, mine, LockFlags::IGNORE_SYNC, Pages::List(&[2]));
                                if r.is_ok() {
                                    let u = status_of(&sim.unlock(device, &[mine]));
                                    assert!(u == OK || u == DR, "{u:?}");
                                }
                                status_of(&r)
                            }
                        };
                        assert!(status == OK || status == DR, "round {round}: unexpected {status:?}");
                        if status == DR {
                            seen_removed = true;
                        } else {
                            assert!(!seen_removed, "round {round}: a lock succeeded after DEVICE_REMOVED was seen");
                            assert!(
                                !started_after_removal,
                                "round {round}: a lock that started after removal succeeded"
                            );
                        }
                        if seen_removed {
                            after += 1;
                        }
                        progress.fetch_add(1, SeqCst);
                    }
                });
            }
            // The remover: let the lockers get going, then remove.
            ready.wait();
            let deadline = Instant::now() + Duration::from_secs(10);
            while progress.load(SeqCst) < 50 * LOCKERS && Instant::now() < deadline {
                thread::yield_now();
            }
            sim.remove_device(device, ExecutionState::Hung).unwrap();
            removed.store(true, SeqCst);
        });

        // Sticky: every call on the device says DEVICE_REMOVED.
        let a = own[0];
        assert_eq!(status_of(&sim.lock2(device, a)), DR);
        assert_eq!(status_of(&sim.unlock2(device, a)), DR);
        assert_eq!(status_of(&sim.lock(device, a, LockFlags::IGNORE_SYNC, Pages::Entire)), DR);
        assert_eq!(status_of(&sim.unlock(device, &[a])), DR);
        assert_eq!(status_of(&sim.submit(device, &[a])), DR);
        assert_eq!(status_of(&sim.complete_fence(device, 1)), DR);
        assert_eq!(status_of(&sim.create_allocation(device, AllocationDesc::new(1))), DR);
        assert_eq!(status_of(&sim.remove_device(device, ExecutionState::Reset)), DR);
        assert_eq!(sim.device_state(device), Ok(ExecutionState::Hung), "the first reason stays");
        for &alloc in own.iter().chain([&shared]) {
            assert_eq!(lock_count(&sim, device, alloc), 0);
        }
        for (t, &base) in bases.iter().enumerate() {
            let base = base as *const u8;
            for k in 0..16 {
                assert_eq!(peek(base, k), 0xDD, "round {round}: thread {t}'s pre-removal byte {k}");
            }
            // Page 1: lost (0xDD), written again after the removal through a
            // guard taken before it (a whole pattern: guard writes and the
            // content loss do not interleave), or never written (0).
            let page1: [u8; 16] = core::array::from_fn(|k| peek(base, PAGE + k));
            assert!(
                page1 == [0xDD; 16] || page1 == [0; 16] || (0..256).any(|i| page1 == pattern(t, i)),
                "round {round}: thread {t}'s page 1 reads {page1:x?}"
            );
        }
        sim.destroy_device(device).unwrap();
    }
}

/// (c) Lockers race `destroy_allocations`: nothing panics, every status is
/// SUCCESS or INVALID_PARAMETER, guard access after the destroy fails
/// cleanly, and afterwards the handle is stale for good.
#[test]
fn lock_races_destroy() {
    let (sim, device) = sim_with(SimConfig::default());
    for round in 0..200 {
        let alloc = sim.create_allocation(device, AllocationDesc::new(2 * PAGE as u64)).unwrap();
        let progress = AtomicUsize::new(0);
        thread::scope(|s| {
            for t in 0..2 {
                let (sim, progress) = (&sim, &progress);
                s.spawn(move || loop {
                    let status = if t == 0 {
                        match sim.lock2_guard(device, alloc) {
                            Ok(guard) => {
                                // May run after the destroy: must fail, not crash.
                                let w = guard.write_at(PAGE + 3, b"racing");
                                assert!(w.is_ok() || w.unwrap_err().status() == IP);
                                let u = LockGuard::unlock(guard);
                                assert!(u.is_ok() || u.unwrap_err().status() == IP);
                                OK
                            }
                            Err(e) => e.status(),
                        }
                    } else {
                        let r = sim.lock(device, alloc, LockFlags::default(), Pages::List(&[1]));
                        if r.is_ok() {
                            let u = status_of(&sim.unlock(device, &[alloc]));
                            assert!(u == OK || u == IP, "{u:?}");
                        }
                        status_of(&r)
                    };
                    assert!(status == OK || status == IP, "round {round}: {status:?}");
                    progress.fetch_add(1, SeqCst);
                    if status == IP {
                        break;
                    }
                });
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while progress.load(SeqCst) < 20 && Instant::now() < deadline {
                thread::yield_now();
            }
            sim.destroy_allocations(device, &[alloc]).unwrap();
        });
        assert_eq!(status_of(&sim.query_allocation(device, alloc)), IP);
        assert_eq!(status_of(&sim.lock2(device, alloc)), IP);
        assert_eq!(status_of(&sim.unlock2(device, alloc)), IP);
        assert_eq!(status_of(&sim.destroy_allocations(device, &[alloc])), IP);
    }
    // A new allocation never takes over a stale handle.
    let fresh = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    let _ = sim.lock2(device, fresh).unwrap();
    assert_eq!(lock_count(&sim, device, fresh), 1);
}

/// (d) Two lockers race to the reference limit: exactly `LIMIT` attempts
/// succeed (Lock2 and page Lock count against one limit), the rest get
/// TOO_MANY_REFERENCES, and an observer never sees a count above the limit.
#[test]
fn reference_limit_is_exact_under_contention() {
    const LIMIT: u32 = 5;
    let (sim, device) = sim_with(SimConfig::default().max_lock_references(LIMIT));
    let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let (sim_ref, done_ref) = (&sim, &done);
        s.spawn(move || {
            while !done_ref.load(SeqCst) {
                let count = lock_count(sim_ref, device, alloc);
                assert!(count <= LIMIT, "lock count {count} above the limit");
            }
        });
        for round in 0..300 {
            let start = Barrier::new(2);
            let successes: usize = thread::scope(|s| {
                let workers: Vec<_> = (0..2)
                    .map(|t| {
                        let (sim, start) = (&sim, &start);
                        s.spawn(move || {
                            start.wait();
                            let mut ok = 0;
                            for i in 0..LIMIT {
                                let r = if (t + i as usize) % 2 == 0 {
                                    sim.lock2(device, alloc)
                                } else {
                                    sim.lock(device, alloc, LockFlags::DONOT_WAIT, Pages::Entire)
                                };
                                match status_of(&r) {
                                    OK => ok += 1,
                                    TMR => {}
                                    other => panic!("round {round}: {other:?}"),
                                }
                            }
                            ok
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap()).sum()
            });
            assert_eq!(successes, LIMIT as usize, "round {round}");
            assert_eq!(lock_count(&sim, device, alloc), LIMIT);
            assert_eq!(status_of(&sim.lock2(device, alloc)), TMR);
            sim.unlock(device, &[alloc; LIMIT as usize]).unwrap();
            assert_eq!(lock_count(&sim, device, alloc), 0);
        }
        done.store(true, SeqCst);
    });
}

/// Spawns `f` on a scoped thread after marking `started`, so the caller can
/// wait until the thread is (about to be) blocked.
fn blocked_call<'s, 'e, T: Send + 's>(
    s: &'s thread::Scope<'s, 'e>,
    started: &'s AtomicUsize,
    f: impl FnOnce() -> T + Send + 's,
) -> thread::ScopedJoinHandle<'s, (T, Duration)> {
    s.spawn(move || {
        started.fetch_add(1, SeqCst);
        let t0 = Instant::now();
        let r = f();
        (r, t0.elapsed())
    })
}

fn wait_started(started: &AtomicUsize, n: usize) {
    while started.load(SeqCst) < n {
        thread::yield_now();
    }
    // Give the threads time to get into the wait; if one is late it meets
    // the state change right away, which the tests accept too.
    thread::sleep(Duration::from_millis(100));
}

/// (e) BusyPolicy::Wait: a Lock2 (and a flag-less page Lock) blocked on a
/// busy allocation wakes with success when the fence completes, with
/// DEVICE_REMOVED when the device is removed, with INVALID_PARAMETER when
/// the allocation is destroyed, and with ALLOCATION_BUSY after the timeout.
#[test]
fn wait_policy_wakes_for_the_right_reason() {
    let generous = Duration::from_secs(30);
    let config = SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(generous);

    // Completion wakes both waiters with success.
    let (sim, device) = sim_with(config.clone());
    let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    let other = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    sim.submit(device, &[other]).unwrap();
    let fence = sim.submit(device, &[alloc]).unwrap();
    let started = AtomicUsize::new(0);
    thread::scope(|s| {
        let a = blocked_call(s, &started, || sim.lock2(device, alloc));
        let b = blocked_call(s, &started, || sim.lock(device, alloc, LockFlags::default(), Pages::Entire));
        wait_started(&started, 2);
        // Completing an unrelated earlier fence leaves `alloc` busy.
        sim.complete_fence(device, fence - 1).unwrap();
        thread::sleep(Duration::from_millis(20));
        assert!(!a.is_finished() && !b.is_finished(), "woke while still busy");
        sim.complete_fence(device, fence).unwrap();
        for h in [a, b] {
            let (r, waited) = h.join().unwrap();
            assert!(r.is_ok(), "{r:?}");
            assert!(waited < generous);
        }
    });
    assert_eq!(lock_count(&sim, device, alloc), 2);

    // Removal wakes them with DEVICE_REMOVED.
    let (sim, device) = sim_with(config.clone());
    let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    sim.submit(device, &[alloc]).unwrap();
    let started = AtomicUsize::new(0);
    thread::scope(|s| {
        let a = blocked_call(s, &started, || sim.lock2(device, alloc));
        let b = blocked_call(s, &started, || sim.lock(device, alloc, LockFlags::default(), Pages::List(&[0])));
        wait_started(&started, 2);
        sim.remove_device(device, ExecutionState::ErrorDmaFault).unwrap();
        for h in [a, b] {
            let (r, waited) = h.join().unwrap();
            assert_eq!(r, Err(ErrorKind::DeviceRemoved.into()));
            assert!(waited < generous);
        }
    });
    assert_eq!(lock_count(&sim, device, alloc), 0);

    // Destroying the allocation wakes them with INVALID_PARAMETER.
    let (sim, device) = sim_with(config.clone());
    let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    sim.submit(device, &[alloc]).unwrap();
    let started = AtomicUsize::new(0);
    thread::scope(|s| {
        let a = blocked_call(s, &started, || sim.lock2(device, alloc));
        wait_started(&started, 1);
        sim.destroy_allocations(device, &[alloc]).unwrap();
        let (r, waited) = a.join().unwrap();
        assert_eq!(status_of(&r), IP);
        assert!(waited < generous);
    });

    // Nobody completes the work: ALLOCATION_BUSY after the timeout; the
    // flags decide for the page lock.
    let timeout = Duration::from_millis(200);
    let (sim, device) = sim_with(config.wait_timeout(timeout));
    let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    sim.submit(device, &[alloc]).unwrap();
    let started = AtomicUsize::new(0);
    thread::scope(|s| {
        let a = blocked_call(s, &started, || sim.lock2(device, alloc));
        let b = blocked_call(s, &started, || sim.lock(device, alloc, LockFlags::default(), Pages::Entire));
        for h in [a, b] {
            let (r, waited) = h.join().unwrap();
            assert_eq!(status_of(&r), BUSY);
            assert!(waited >= timeout, "gave up after {waited:?}");
            assert!(waited < Duration::from_secs(20));
        }
    });
    let t0 = Instant::now();
    assert_eq!(status_of(&sim.lock(device, alloc, LockFlags::DONOT_WAIT, Pages::Entire)), BUSY);
    assert!(t0.elapsed() < timeout, "DONOT_WAIT waited");
    assert!(sim.lock(device, alloc, LockFlags::IGNORE_SYNC | LockFlags::DONOT_WAIT, Pages::Entire).is_ok());
    assert_eq!(lock_count(&sim, device, alloc), 1);
}

/// (f) Legacy Unlock (one reference from each listed handle, all or
/// nothing) races Unlock2 on the same allocations: every reference is
/// released exactly once, so the successes add up to what was locked.
#[test]
fn legacy_unlock_races_unlock2() {
    const N: usize = 40_000;
    let (sim, device) = sim_with(SimConfig::default().max_lock_references(N as u32));
    for round in 0..5 {
        let a = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
        let b = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
        for _ in 0..N {
            sim.lock2(device, a).unwrap();
            sim.lock(device, b, LockFlags::READ_ONLY, Pages::Entire).unwrap();
        }
        let start = Barrier::new(3);
        let ((s1a, s1b), s2, s3) = thread::scope(|s| {
            let (sim, start) = (&sim, &start);
            // Unlock2, alternating, until both allocations report "not locked".
            let t1 = s.spawn(move || {
                start.wait();
                let (mut sa, mut sb, mut a_done, mut b_done) = (0, 0, false, false);
                while !(a_done && b_done) {
                    for (h, n, done) in [(a, &mut sa, &mut a_done), (b, &mut sb, &mut b_done)] {
                        if *done {
                            continue;
                        }
                        match status_of(&sim.unlock2(device, h)) {
                            OK => *n += 1,
                            IP => *done = true,
                            other => panic!("{other:?}"),
                        }
                    }
                }
                (sa, sb)
            });
            // Legacy Unlock of both at once, and of `a` twice at once.
            let multi = |list: [AllocationHandle; 2]| {
                move || {
                    start.wait();
                    let mut n = 0;
                    loop {
                        match status_of(&sim.unlock(device, &list)) {
                            OK => n += 1,
                            IP => return n,
                            other => panic!("{other:?}"),
                        }
                    }
                }
            };
            let t2 = s.spawn(multi([a, b]));
            let t3 = s.spawn(multi([a, a]));
            (t1.join().unwrap(), t2.join().unwrap(), t3.join().unwrap())
        });
        let left_a = lock_count(&sim, device, a) as usize;
        let left_b = lock_count(&sim, device, b) as usize;
        assert_eq!(left_a, 0, "round {round}: Unlock2 stopped only at zero");
        assert_eq!(left_b, 0, "round {round}");
        assert_eq!(s1a + s2 + 2 * s3, N, "round {round}: references of a released {s1a}+{s2}+2*{s3}");
        assert_eq!(s1b + s2, N, "round {round}: references of b released {s1b}+{s2}");
        sim.destroy_allocations(device, &[a, b]).unwrap();
    }
}

/// (g) A legacy Unlock of several allocations that must fail (one of them
/// holds no reference) races Lock2 on an allocation held at the limit:
/// the Unlock is all or nothing at one instant, so the Lock2 never finds a
/// free reference and the count never leaves the limit.
#[test]
fn failing_legacy_unlock_never_frees_a_reference_for_a_moment() {
    const ROUNDS: usize = 200_000;
    let (sim, device) = sim_with(SimConfig::default().max_lock_references(1));
    let held = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    let unlocked = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
    sim.lock2(device, held).unwrap();
    let start = Barrier::new(3);
    let done = AtomicBool::new(false);
    let attempts = AtomicUsize::new(0);
    thread::scope(|s| {
        let (sim, start, done, attempts) = (&sim, &start, &done, &attempts);
        s.spawn(move || {
            start.wait();
            for _ in 0..ROUNDS {
                assert_eq!(status_of(&sim.unlock(device, &[held, unlocked])), IP);
            }
            done.store(true, SeqCst);
        });
        for _ in 0..2 {
            s.spawn(move || {
                start.wait();
                while !done.load(SeqCst) {
                    let status = status_of(&sim.lock2(device, held));
                    assert_eq!(status, TMR, "a Lock2 got a reference the failing Unlock never released");
                    let count = lock_count(sim, device, held);
                    assert_eq!(count, 1, "the count left the limit");
                    attempts.fetch_add(1, SeqCst);
                }
            });
        }
    });
    assert!(attempts.load(SeqCst) > 0);
    assert_eq!(lock_count(&sim, device, held), 1);
    assert_eq!(lock_count(&sim, device, unlocked), 0);
}

/// (h) Whoever is told DEVICE_REMOVED finds the device removed from then
/// on: removal marks every allocation before it publishes the device's
/// state (and loses their content in between, which takes a while here), so
/// a call that sees the mark must not answer before the publication.
#[test]
fn device_removed_is_never_reported_before_the_device_state_says_so() {
    const ALLOCS: usize = 16;
    const SIZE: usize = 1 << 20;
    for round in 0..10 {
        let (sim, device) = sim_with(SimConfig::default());
        let allocs = sim.create_allocations(device, &[AllocationDesc::new(SIZE as u64); ALLOCS]).unwrap();
        for &a in &allocs {
            // Every page written, so the content loss has work to do.
            sim.lock2_guard(device, a).unwrap().write_at(0, &[1; SIZE]).unwrap();
        }
        let watched = allocs[ALLOCS - 1];
        let start = Barrier::new(3);
        thread::scope(|s| {
            let (sim, start) = (&sim, &start);
            let observe = move |locking: bool| {
                start.wait();
                loop {
                    let status = if locking {
                        let r = sim.lock2(device, watched);
                        if r.is_ok() {
                            // The other observer may have taken this
                            // reference away already (INVALID_PARAMETER).
                            let u = status_of(&sim.unlock2(device, watched));
                            assert!(u == OK || u == DR || u == IP, "{u:?}");
                        }
                        status_of(&r)
                    } else {
                        status_of(&sim.unlock2(device, watched))
                    };
                    if status == DR {
                        let state = sim.device_state(device).unwrap();
                        assert_ne!(state, ExecutionState::Active, "round {round}: DEVICE_REMOVED before removal");
                        assert_eq!(status_of(&sim.complete_fence(device, 0)), DR, "round {round}");
                        return;
                    }
                    assert!(status == OK || status == IP, "round {round}: {status:?}");
                }
            };
            s.spawn(move || observe(true));
            s.spawn(move || observe(false));
            start.wait();
            sim.remove_device(device, ExecutionState::Hung).unwrap();
        });
    }
}

/// (i) Lockers race a thread that creates and destroys allocations on two
/// devices fast enough that slots are reused (more than the 4096 quarantined
/// ones): whatever handle and device a locker passes — live, destroyed, of
/// the other device — a successful Lock2 maps exactly the allocation that
/// handle was issued for, on the device it belongs to, and every failure is
/// INVALID_PARAMETER. (The lock path reads an allocation's metadata and then
/// CASes the word it predicts; this checks the metadata it used was that
/// allocation's.)
#[test]
fn lock_never_maps_another_allocation_while_slots_are_reused() {
    use std::collections::HashMap;
    use std::sync::Mutex;
    const CREATIONS: usize = 12_000;
    const LIVE: usize = 32;
    let sim = Simulator::new(SimConfig::default()).unwrap();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let devices = [sim.create_device(adapter).unwrap(), sim.create_device(adapter).unwrap()];
    // Every allocation ever issued: its device and base address.
    let issued: Mutex<HashMap<AllocationHandle, (DeviceHandle, usize)>> = Mutex::new(HashMap::new());
    let recent: Mutex<Vec<AllocationHandle>> = Mutex::new(Vec::new());
    let done = AtomicBool::new(false);
    let successes = AtomicUsize::new(0);
    thread::scope(|s| {
        let (sim, issued, recent, done, successes) = (&sim, &issued, &recent, &done, &successes);
        s.spawn(move || {
            let mut live = std::collections::VecDeque::new();
            for i in 0..CREATIONS {
                let device = devices[i % 2];
                let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE as u64)).unwrap();
                let base = sim.lock2(device, alloc).unwrap().as_ptr() as usize;
                sim.unlock2(device, alloc).unwrap();
                issued.lock().unwrap().insert(alloc, (device, base));
                {
                    let mut r = recent.lock().unwrap();
                    r.push(alloc);
                    if r.len() > 4 * LIVE {
                        r.remove(0);
                    }
                }
                live.push_back((device, alloc));
                if live.len() > LIVE {
                    let (d, a) = live.pop_front().unwrap();
                    sim.destroy_allocations(d, &[a]).unwrap();
                }
            }
            done.store(true, SeqCst);
        });
        for t in 0..2usize {
            s.spawn(move || {
                let mut i = t;
                while !done.load(SeqCst) {
                    i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let Some(alloc) = ({
                        let r = recent.lock().unwrap();
                        (!r.is_empty()).then(|| r[(i >> 33) % r.len()])
                    }) else {
                        continue;
                    };
                    let device = devices[(i >> 7) & 1];
                    match sim.lock2(device, alloc) {
                        Ok(mapping) => {
                            let (owner, base) = issued.lock().unwrap()[&alloc];
                            assert_eq!(owner, device, "locked another device's allocation");
                            assert_eq!(mapping.as_ptr() as usize, base, "mapped another allocation's memory");
                            successes.fetch_add(1, SeqCst);
                            let u = status_of(&sim.unlock2(device, alloc));
                            assert!(u == OK || u == IP, "{u:?}");
                        }
                        Err(e) => assert_eq!(e.status(), IP, "{e:?}"),
                    }
                }
            });
        }
    });
    assert!(successes.load(SeqCst) > 0, "no lock ever succeeded: the test checked nothing");
}
