//! The soak: threads doing random operations of every kind on the C ABI's
//! process-wide simulator, phase after phase, with the contract's
//! invariants checked after every phase.
//!
//! ```text
//! cargo test --release --test soak -- --ignored soak              # 10 s
//! SOAK_SECONDS=600 SOAK_THREADS=8 SOAK_SEED=7 cargo test --release --test soak -- --ignored soak
//! ```
//!
//! Each thread owns a device on adapter 0 and a few allocations, and keeps
//! its own account of what the contract says they hold: lock references,
//! and the bytes it last wrote under a lock. It locks, unlocks, writes and
//! reads back under a guard, submits work and completes it, waits for busy
//! allocations (the Wait policy, with a short timeout: every wait is
//! bounded), destroys and re-creates allocations, removes its own device,
//! and now and then resets adapter 0 (a TDR, which removes every thread's
//! device). On `DEVICE_REMOVED` a thread checks what removal promises (no
//! reference left, a removal reason, the content lost) and builds a new
//! device. After each phase, with every thread stopped, the checks:
//! every lock count is the references its thread holds, every allocation
//! still holds the bytes last written into it unless a removal came
//! between, a device on adapter 1, locked and written before the phase,
//! is untouched (no effect on another adapter), and once everything is
//! destroyed each adapter's whole budget can be allocated again. Every
//! other phase ends by removing adapter 0 (surprise removal), and every
//! phase with `SimKmtReset` (`ffi::reset_current`), after which the
//! handles start over.
//!
//! A watchdog aborts the process with the phase and seed if a phase takes
//! more than a minute (a wait that is not bounded, a deadlock). The run is
//! bounded by time (`SOAK_SECONDS`) and by operations (`SOAK_MAX_OPS` per
//! thread and phase). It prints its figures at the end.

#![cfg(feature = "c-abi")]
#![allow(clippy::disallowed_types)] // test bookkeeping, not engine state

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use d3dkmt_sim::ffi;
use d3dkmt_sim::prelude::*;

const PAGE: u64 = 4096;
const BUDGET: u64 = 64 * PAGE;
const ALLOCS_PER_THREAD: usize = 3;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn config() -> SimConfig {
    SimConfig::default()
        .adapters(2)
        .adapter_memory(BUDGET)
        .busy_policy(BusyPolicy::Wait)
        .wait_timeout(Duration::from_millis(5))
        .max_lock_references(4)
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// One allocation as its thread accounts for it.
struct Owned {
    handle: AllocationHandle,
    refs: u32,
    /// The bytes at offset 0, as last written (zeros when new); `None`
    /// when a removal may have come between the write and its unlock, so
    /// that the write may have landed after the content was lost.
    content: Option<[u8; 8]>,
}

/// A thread's device and allocations, and what it knows of them.
struct Worker<'s> {
    sim: &'s Simulator,
    adapter: AdapterHandle,
    device: DeviceHandle,
    allocs: Vec<Owned>,
    rng: Rng,
    ops: u64,
    removals: u64,
}

impl<'s> Worker<'s> {
    fn new(sim: &'s Simulator, adapter: AdapterHandle, seed: u64) -> Self {
        let device = sim.create_device(adapter).unwrap();
        let mut w = Worker { sim, adapter, device, allocs: Vec::new(), rng: Rng(seed | 1), ops: 0, removals: 0 };
        w.refill().unwrap();
        w
    }

    /// Creates allocations up to the thread's share; `Err` when the device
    /// was removed meanwhile.
    fn refill(&mut self) -> Result<(), ErrorKind> {
        while self.allocs.len() < ALLOCS_PER_THREAD {
            let handle = match self.sim.create_allocation(self.device, AllocationDesc::new(PAGE)) {
                Ok(handle) => handle,
                Err(e) if e == ErrorKind::DeviceRemoved => return Err(e.kind()),
                Err(e) => panic!("create: {e}"),
            };
            self.allocs.push(Owned { handle, refs: 0, content: Some([0; 8]) });
        }
        Ok(())
    }

    /// The device was removed under us (by us, by a TDR): check what
    /// removal promises, then start over on a new device (again, if a TDR
    /// takes that one too before it has its allocations).
    fn recover(&mut self) {
        loop {
            assert_ne!(self.sim.device_state(self.device).unwrap(), ExecutionState::Active);
            for a in &self.allocs {
                let info = self.sim.query_allocation(self.device, a.handle).unwrap();
                assert_eq!(info.lock_count, 0, "removal drops every lock");
                if let Some(written) = a.content.filter(|c| *c != [0; 8]) {
                    let mut now = [0; 8];
                    self.sim.peek(self.device, a.handle, 0, &mut now).unwrap();
                    assert_eq!(now, [0xDD; 8], "written content ({written:02X?}) is lost with the device");
                }
            }
            self.sim.destroy_device(self.device).unwrap();
            self.allocs.clear();
            self.device = self.sim.create_device(self.adapter).unwrap();
            self.removals += 1;
            if self.refill().is_ok() {
                return;
            }
        }
    }

    /// One random operation; `Err` only for `DEVICE_REMOVED`.
    fn step(&mut self) -> Result<(), ErrorKind> {
        self.ops += 1;
        let i = self.rng.below(ALLOCS_PER_THREAD as u64) as usize;
        let (sim, device) = (self.sim, self.device);
        let removed = |e: d3dkmt_sim::Error| {
            assert_eq!(e, ErrorKind::DeviceRemoved, "only a removal fails a call of this soak");
            e.kind()
        };
        match self.rng.below(100) {
            0..=29 => match sim.lock2(device, self.allocs[i].handle) {
                Ok(_) => self.allocs[i].refs += 1,
                Err(e) if e == ErrorKind::TooManyReferences => assert_eq!(self.allocs[i].refs, 4),
                // A bounded wait that timed out: the work is still queued.
                Err(e) if e == ErrorKind::AllocationBusy => {}
                Err(e) => return Err(removed(e)),
            },
            30..=54 if self.allocs[i].refs > 0 => {
                sim.unlock2(device, self.allocs[i].handle).map_err(removed)?;
                self.allocs[i].refs -= 1;
            }
            30..=64 => {
                let stamp = self.rng.below(u64::MAX).to_le_bytes();
                let guard = match sim.lock2_guard(device, self.allocs[i].handle) {
                    Ok(guard) => guard,
                    Err(e) if e == ErrorKind::TooManyReferences || e == ErrorKind::AllocationBusy => return Ok(()),
                    Err(e) => return Err(removed(e)),
                };
                let before: [u8; 8] = guard.read_array(0).map_err(removed)?;
                if Some(before) != self.allocs[i].content {
                    // Only a removal since the lock may change the bytes.
                    assert_eq!(before, [0xDD; 8], "content written under a lock is there at the next");
                    assert_ne!(sim.device_state(device).unwrap(), ExecutionState::Active);
                    return Err(ErrorKind::DeviceRemoved);
                }
                guard.write_at(0, &stamp).map_err(removed)?;
                // Until the unlock succeeds a removal may have come first
                // and lost the content before this write landed.
                self.allocs[i].content = None;
                LockGuard::unlock(guard).map_err(removed)?;
                self.allocs[i].content = Some(stamp);
            }
            65..=79 => {
                let fence = sim.submit(device, &[self.allocs[i].handle]).map_err(removed)?;
                if self.rng.below(2) == 0 {
                    sim.complete_fence(device, fence).map_err(removed)?;
                }
            }
            80..=89 => sim.complete_fence(device, u64::MAX).map_err(removed)?,
            90..=95 => {
                let gone = self.allocs.swap_remove(i);
                sim.destroy_allocations(device, &[gone.handle]).unwrap();
                self.refill()?;
            }
            96..=98 => {
                sim.remove_device(device, ExecutionState::Hung).map_err(removed)?;
                return Err(ErrorKind::DeviceRemoved);
            }
            // A TDR of the whole adapter, one call in 500: every thread's
            // device goes.
            _ if self.rng.below(5) == 0 => {
                sim.reset_adapter(self.adapter).unwrap();
                return Err(ErrorKind::DeviceRemoved);
            }
            _ => sim.complete_fence(device, u64::MAX).map_err(removed)?,
        }
        Ok(())
    }

    /// The checks of a quiet simulator: counts and contents as accounted.
    fn check(&self) {
        if self.sim.device_state(self.device).unwrap() != ExecutionState::Active {
            return; // removed by another thread's TDR after our last call
        }
        for a in &self.allocs {
            assert_eq!(self.sim.query_allocation(self.device, a.handle).unwrap().lock_count, a.refs);
            let mut now = [0; 8];
            self.sim.peek(self.device, a.handle, 0, &mut now).unwrap();
            assert_eq!(Some(now), a.content, "the bytes last written under a lock");
        }
    }
}

#[test]
#[ignore = "a soak; run it with: cargo test --release --test soak -- --ignored soak"]
fn soak() {
    let seconds = env("SOAK_SECONDS", 10);
    let threads = env("SOAK_THREADS", 4) as usize;
    let seed = env("SOAK_SEED", 1);
    let max_ops = env("SOAK_MAX_OPS", 20_000);
    let phase_time = Duration::from_millis(500);
    let deadline = Instant::now() + Duration::from_secs(seconds);

    // The watchdog: a phase that does not end within a minute is a hang.
    static PHASE: AtomicU64 = AtomicU64::new(0);
    static DONE: AtomicBool = AtomicBool::new(false);
    std::thread::spawn(move || {
        let (mut last, mut since) = (u64::MAX, Instant::now());
        while !DONE.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
            let now = PHASE.load(SeqCst);
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > Duration::from_secs(60) {
                eprintln!("soak watchdog: phase {now} (seed {seed}) made no progress for a minute");
                std::process::abort();
            }
        }
    });

    ffi::reset_current(config()).unwrap();
    let sim = ffi::current();
    let (mut phases, mut total_ops, mut removals) = (0u64, 0u64, 0u64);
    while phases == 0 || Instant::now() < deadline {
        PHASE.store(phases, SeqCst);
        let adapters = sim.enum_adapters().unwrap();
        assert_eq!(adapters[0].handle.raw(), 0x4000_0040, "a reset restarts the handles");
        let (a0, a1) = (adapters[0].handle, adapters[1].handle);
        // The bystander on adapter 1: locked and written, never touched.
        let bystander = sim.create_device(a1).unwrap();
        let witness = sim.create_allocation(bystander, AllocationDesc::new(PAGE)).unwrap();
        let guard = sim.lock2_guard(bystander, witness).unwrap();
        guard.write_at(0, b"adapter1").unwrap();
        let held = LockGuard::into_raw(guard);

        let start = Barrier::new(threads);
        let end = Instant::now() + phase_time;
        let workers: Vec<Worker<'_>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let start = &start;
                    let worker_seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(phases * 64 + t as u64);
                    s.spawn(move || {
                        let mut w = Worker::new(sim, a0, worker_seed);
                        start.wait();
                        for _ in 0..max_ops {
                            if Instant::now() >= end {
                                break;
                            }
                            if w.step().is_err() {
                                w.recover();
                            }
                        }
                        w
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

        // The checks, with every thread stopped.
        for w in &workers {
            w.check();
        }
        assert_eq!(sim.device_state(bystander).unwrap(), ExecutionState::Active, "another adapter's TDR");
        assert_eq!(sim.query_allocation(bystander, witness).unwrap().lock_count, 1);
        let mut seen = [0; 8];
        sim.peek(bystander, witness, 0, &mut seen).unwrap();
        assert_eq!(&seen, b"adapter1");
        sim.unlock2(held.0, held.1).unwrap();
        for w in &workers {
            sim.destroy_device(w.device).unwrap();
        }
        sim.destroy_device(bystander).unwrap();
        // Budgets return to zero: each adapter's whole budget fits again.
        for adapter in [a0, a1] {
            let device = sim.create_device(adapter).unwrap();
            sim.create_allocation(device, AllocationDesc::new(BUDGET)).unwrap();
            sim.destroy_device(device).unwrap();
        }
        if phases % 2 == 1 {
            sim.remove_adapter(a0).unwrap();
            assert_eq!(sim.enum_adapters().unwrap().len(), 1);
            assert_eq!(sim.create_device(a0).unwrap_err(), ErrorKind::DeviceRemoved);
        }
        ffi::reset_current(config()).unwrap();

        phases += 1;
        total_ops += workers.iter().map(|w| w.ops).sum::<u64>();
        removals += workers.iter().map(|w| w.removals).sum::<u64>();
    }
    DONE.store(true, SeqCst);
    println!("soak: {phases} phases, {total_ops} operations, {removals} device losses, {threads} threads, seed {seed}");
    assert!(removals > 0 && total_ops > 0);
}
