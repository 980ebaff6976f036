//! Lock-path benchmarks: the simulated `D3DKMTLock2`/`D3DKMTUnlock2` against
//! hardware floors measured in the same run (targets and results in
//! `docs/performance.md`).
//!
//! Run: `cargo bench --bench lock_path`, then `python3 benches/report.py`
//! turns `target/criterion/**/new/estimates.json` into the ratio tables.
//!
//! # Conventions
//!
//! * One iteration is one lock plus one unlock (a "pair"), except in
//!   `errors/*` (one failing Lock2, nothing to undo) and `churn/*` (one
//!   create plus one destroy). Criterion reports ns per iteration; the
//!   report uses the median.
//! * Handle-based paths look the handle up on both calls, as Lock2 and
//!   Unlock2 each take `hAllocation`.
//! * Each call's outcome (`is_ok()`, or the C status) goes through
//!   `black_box`, as a caller's check would, never unwrapped in the loop;
//!   every case checks once, before it is timed, that its call returns what
//!   it should. (Black-boxing the whole `Result` would time a store and a
//!   reload of it that no caller does.)
//! * `threads/*` use `iter_custom`: each call spawns the threads, they meet
//!   at a `Barrier`, and each thread times its own loop of `iters` pairs.
//!   The `threads/baseline_*` twins run the same harness over the idealized
//!   generational-handle table with 64-byte slots.
//!   The duration handed to criterion is the wall time of the parallel
//!   section, from the first thread's start to the last thread's end, so
//!   spawning and joining are not timed. The reported "ns per iteration" is
//!   therefore the latency of one thread's pair, and total throughput is
//!   `threads × iters / wall`: scaling of N threads versus 1 is
//!   `N × t(1 thread) / t(N threads)`.
//! * `scale/*` cycle through a precomputed random permutation (seeded
//!   xorshift64*, Fisher-Yates) of every live allocation, so consecutive
//!   pairs hit unrelated slots. The `scale/baseline_*` twins do the same
//!   over the idealized table with 64-byte slots, the floor a table of that
//!   size sets on this machine's memory hierarchy.
//! * Every group shares one config (warm-up 0.5 s, 2 s, 30 samples): the
//!   whole file runs in about two minutes.

// The baselines need raw `std` atomics and `parking_lot::Mutex`, which
// clippy.toml keeps out of the crate's engine code (crate::sync is the seam
// there); a bench is not engine code.
#![allow(clippy::disallowed_types)]

#[path = "support/gen_handle.rs"]
mod gen_handle;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::AcqRel};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use d3dkmt_sim::{
    ffi, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ErrorKind, ExecutionState, HandleKind, LockFlags,
    Pages, SimConfig, Simulator,
};
use gen_handle::{GenTable, PaddedSlot, Slot};
use windows_sys::Wdk::Graphics::Direct3D::{D3DKMT_LOCK2, D3DKMT_UNLOCK2};

const PAGE: u64 = 4096;

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

/// A simulator with one device (on the first adapter).
fn device(config: SimConfig) -> (Simulator, DeviceHandle) {
    let sim = Simulator::new(config).expect("valid config");
    let adapter = sim.enum_adapters().expect("one adapter")[0].handle;
    let device = sim.create_device(adapter).expect("device");
    (sim, device)
}

/// A simulator, a device and one allocation of `pages` pages.
fn one_allocation(config: SimConfig, pages: u64) -> (Simulator, DeviceHandle, AllocationHandle) {
    let (sim, dev) = device(config);
    let alloc = sim.create_allocation(dev, AllocationDesc::new(pages * PAGE)).expect("allocation");
    (sim, dev, alloc)
}

/// xorshift64* (Vigna): a seeded generator written here so the permutation
/// is the same on every run and needs no dependency.
struct XorShift64Star(u64);

impl XorShift64Star {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is < n / 2^64).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// `items` in a seeded random order (Fisher-Yates).
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut rng = XorShift64Star(seed | 1);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
    items
}

// === baselines ===

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");

    let word = AtomicU64::new(0);
    g.bench_function("atomic_pair", |b| {
        b.iter(|| {
            black_box(&word).fetch_add(1, AcqRel);
            black_box(&word).fetch_sub(1, AcqRel);
        })
    });

    // Two pairs: the difference to `atomic_pair` is what two more locked
    // RMWs cost on this machine, the price of any design that takes one
    // more RMW in Lock2 and in Unlock2.
    g.bench_function("atomic_two_pairs", |b| {
        b.iter(|| {
            black_box(&word).fetch_add(1, AcqRel);
            black_box(&word).fetch_add(1, AcqRel);
            black_box(&word).fetch_sub(1, AcqRel);
            black_box(&word).fetch_sub(1, AcqRel);
        })
    });

    let mutex = parking_lot::Mutex::new(0u32);
    g.bench_function("parking_lot_mutex", |b| {
        b.iter(|| {
            let mut guard = black_box(&mutex).lock();
            *guard = guard.wrapping_add(1);
        })
    });

    // A raw system call through libc, a Unix-only dependency: Windows has no
    // stable system-call interface to time.
    #[cfg(unix)]
    g.bench_function("syscall_getpid", |b| {
        // SAFETY: getpid has no arguments and no preconditions; the raw
        // syscall bypasses any libc-side caching.
        b.iter(|| black_box(unsafe { libc::syscall(libc::SYS_getpid) }))
    });

    // The idealized table of the hardware-floor measurements: 1024 slots,
    // the same hot handle 517 throughout.
    let table = GenTable::<Slot>::new(1024);
    let hot = table.handle(517);
    assert_eq!((table.lock(hot), table.unlock(hot)), (Ok(()), Ok(())));
    g.bench_function("gen_handle_cas", |b| {
        b.iter(|| {
            let h = black_box(hot);
            black_box(table.lock(h).is_ok());
            black_box(table.unlock(h).is_ok());
        })
    });
    g.finish();
}

// === uncontended success paths ===

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended");

    let (sim, dev, alloc) = one_allocation(SimConfig::default(), 1);
    assert!(sim.lock2(dev, alloc).is_ok() && sim.unlock2(dev, alloc).is_ok());
    g.bench_function("rust_raw", |b| {
        b.iter(|| {
            let (d, a) = black_box((dev, alloc));
            black_box(sim.lock2(d, a).is_ok());
            black_box(sim.unlock2(d, a).is_ok());
        })
    });
    g.bench_function("rust_guard", |b| {
        b.iter(|| {
            let (d, a) = black_box((dev, alloc));
            black_box(sim.lock2_guard(d, a).is_ok());
        })
    });
    assert_eq!(sim.query_allocation(dev, alloc).expect("query").lock_count, 0);

    // The C ABI acts on the process-wide simulator.
    ffi::reset_current(SimConfig::default()).expect("replace the process-wide simulator");
    let global = ffi::current();
    let adapter = global.enum_adapters().expect("adapter")[0].handle;
    let gdev = global.create_device(adapter).expect("device");
    let galloc = global.create_allocation(gdev, AllocationDesc::new(PAGE)).expect("allocation");
    let mut lock = D3DKMT_LOCK2 { hDevice: gdev.raw(), hAllocation: galloc.raw(), ..Default::default() };
    let unlock = D3DKMT_UNLOCK2 { hDevice: gdev.raw(), hAllocation: galloc.raw() };
    // SAFETY: both argument structs are valid and live across the calls.
    unsafe {
        assert_eq!(ffi::D3DKMTLock2(&mut lock), 0);
        assert!(!lock.pData.is_null());
        assert_eq!(ffi::D3DKMTUnlock2(&unlock), 0);
    }
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            // SAFETY: as above.
            unsafe {
                black_box(ffi::D3DKMTLock2(black_box(&mut lock)));
                black_box(ffi::D3DKMTUnlock2(black_box(&unlock)));
            }
        })
    });
    g.finish();
}

// === error paths: one failing Lock2 per iteration ===

fn errors(c: &mut Criterion) {
    let mut g = c.benchmark_group("errors");

    fn fail_with(
        g: &mut BenchmarkGroup<'_, WallTime>,
        name: &str,
        (sim, dev, alloc): (&Simulator, DeviceHandle, AllocationHandle),
        expected: ErrorKind,
    ) {
        assert_eq!(sim.lock2(dev, alloc), Err(expected.into()), "{name}");
        g.bench_function(name, |b| {
            b.iter(|| {
                let (d, a) = black_box((dev, alloc));
                black_box(sim.lock2(d, a).is_ok());
            })
        });
    }

    let (sim, dev, alloc) = one_allocation(SimConfig::default(), 1);
    sim.destroy_allocations(dev, &[alloc]).expect("destroy");
    fail_with(&mut g, "bad_handle", (&sim, dev, alloc), ErrorKind::InvalidHandle(HandleKind::Allocation));

    let (sim, dev, alloc) = one_allocation(SimConfig::default(), 1);
    sim.remove_device(dev, ExecutionState::Reset).expect("remove");
    fail_with(&mut g, "device_removed", (&sim, dev, alloc), ErrorKind::DeviceRemoved);

    let (sim, dev, alloc) = one_allocation(SimConfig::default().busy_policy(BusyPolicy::Fail), 1);
    sim.submit(dev, &[alloc]).expect("submit");
    fail_with(&mut g, "busy", (&sim, dev, alloc), ErrorKind::AllocationBusy);

    let (sim, dev, alloc) = one_allocation(SimConfig::default().max_lock_references(1), 1);
    sim.lock2(dev, alloc).expect("the one reference allowed");
    fail_with(&mut g, "at_limit", (&sim, dev, alloc), ErrorKind::TooManyReferences);

    g.finish();
}

// === legacy page-list lock ===

fn pages(c: &mut Criterion) {
    let mut g = c.benchmark_group("pages");
    let (sim, dev, alloc) = one_allocation(SimConfig::default(), 256);
    for n in [1u32, 16, 256] {
        let list: Vec<u32> = (0..n).collect();
        assert!(sim.lock(dev, alloc, LockFlags::default(), Pages::List(&list)).is_ok());
        assert!(sim.unlock(dev, &[alloc]).is_ok());
        g.bench_function(n.to_string(), |b| {
            b.iter(|| {
                let (d, a) = black_box((dev, alloc));
                black_box(sim.lock(d, a, LockFlags::default(), Pages::List(black_box(&list)))).ok();
                black_box(sim.unlock(d, &[a])).ok();
            })
        });
    }
    assert_eq!(sim.query_allocation(dev, alloc).expect("query").lock_count, 0);
    g.finish();
}

// === threads ===

/// Runs `work(t, iters)` on `threads` threads at once (`t` is the thread's
/// index) and returns the wall time of the parallel section, from the first
/// thread's start to the last thread's end (see the conventions at the top
/// of the file). `work` returns how many of its calls failed; any failure
/// fails the bench.
fn parallel(threads: usize, iters: u64, work: impl Fn(usize, u64) -> u64 + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let failed = work(t, iters);
                    let end = Instant::now();
                    assert_eq!(failed, 0, "a lock or unlock failed under contention");
                    (start, end)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).collect()
    });
    let first = spans.iter().map(|s| s.0).min().expect("one thread");
    let last = spans.iter().map(|s| s.1).max().expect("one thread");
    last - first
}

/// One thread per entry of `allocs`, each doing `iters` Lock2+Unlock2 pairs
/// on its allocation.
fn parallel_pairs(sim: &Simulator, dev: DeviceHandle, allocs: &[AllocationHandle], iters: u64) -> Duration {
    parallel(allocs.len(), iters, |t, iters| {
        let alloc = allocs[t];
        let mut failed = 0u64;
        for _ in 0..iters {
            let (d, a) = black_box((dev, alloc));
            failed += u64::from(sim.lock2(d, a).is_err());
            failed += u64::from(sim.unlock2(d, a).is_err());
        }
        failed
    })
}

/// The same over the idealized table (one slot per cache line, like the
/// simulator's `AllocSlot`): the hardware's own scaling and same-line cost
/// in this run, the denominators of T5 and T6.
fn parallel_baseline_pairs(table: &GenTable<PaddedSlot>, handles: &[u32], iters: u64) -> Duration {
    parallel(handles.len(), iters, |t, iters| {
        let handle = handles[t];
        let mut failed = 0u64;
        for _ in 0..iters {
            let h = black_box(handle);
            failed += u64::from(table.lock(h).is_err());
            failed += u64::from(table.unlock(h).is_err());
        }
        failed
    })
}

fn threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("threads");
    let (sim, dev) = device(SimConfig::default());
    let a = sim.create_allocation(dev, AllocationDesc::new(PAGE)).expect("allocation");
    let b2 = sim.create_allocation(dev, AllocationDesc::new(PAGE)).expect("allocation");
    let cases: [(&str, Vec<AllocationHandle>); 3] =
        [("1_thread", vec![a]), ("2_threads_distinct", vec![a, b2]), ("2_threads_same", vec![a, a])];
    for (name, allocs) in cases {
        g.bench_function(name, |b| b.iter_custom(|iters| parallel_pairs(&sim, dev, &allocs, iters)));
    }
    assert_eq!(sim.query_allocation(dev, a).expect("query").lock_count, 0);

    let table = GenTable::<PaddedSlot>::new(1024);
    let (h, h2) = (table.handle(517), table.handle(518));
    let cases: [(&str, Vec<u32>); 3] = [
        ("baseline_1_thread", vec![h]),
        ("baseline_2_threads_distinct", vec![h, h2]),
        ("baseline_2_threads_same", vec![h, h]),
    ];
    for (name, handles) in cases {
        g.bench_function(name, |b| b.iter_custom(|iters| parallel_baseline_pairs(&table, &handles, iters)));
    }
    g.finish();
}

// === lookups over large tables ===

const SCALES: [(&str, usize); 3] = [("1e3", 1_000), ("1e5", 100_000), ("1e6", 1_000_000)];

/// `n` live one-page allocations, in a seeded random order.
fn many_allocations(n: usize) -> (Simulator, DeviceHandle, Vec<AllocationHandle>) {
    let (sim, dev) = device(SimConfig::default().adapter_memory(1 << 40));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(n);
    let batch = vec![AllocationDesc::new(PAGE); 4096];
    while handles.len() < n {
        let k = batch.len().min(n - handles.len());
        handles.extend(sim.create_allocations(dev, &batch[..k]).expect("allocations"));
    }
    eprintln!("scale: created {n} allocations in {:.2} s", started.elapsed().as_secs_f64());
    (sim, dev, shuffled(handles, 0x5EED_0000 ^ n as u64))
}

fn scale(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    for (label, n) in SCALES {
        // Built lazily, so a filtered run skips the setup of unselected cases.
        let mut setup = None;
        g.bench_function(format!("lookup_{label}"), |b| {
            let (sim, dev, order) = setup.get_or_insert_with(|| {
                let s = many_allocations(n);
                assert!(s.2.iter().all(|&a| s.0.lock2(s.1, a).is_ok() && s.0.unlock2(s.1, a).is_ok()));
                s
            });
            let (sim, dev, order) = (&*sim, *dev, &order[..]);
            let mut i = 0;
            b.iter(|| {
                let a = order[i];
                i = if i + 1 == order.len() { 0 } else { i + 1 };
                let d = black_box(dev);
                black_box(sim.lock2(d, a).is_ok());
                black_box(sim.unlock2(d, a).is_ok());
            })
        });
        drop(setup);

        let mut setup = None;
        g.bench_function(format!("baseline_{label}"), |b| {
            let (table, order) = setup.get_or_insert_with(|| {
                let table = GenTable::<PaddedSlot>::new(n);
                let order = shuffled((0..n as u32).map(|i| table.handle(i)).collect(), 0x5EED_0000 ^ n as u64);
                (table, order)
            });
            let (table, order) = (&*table, &order[..]);
            let mut i = 0;
            b.iter(|| {
                let h = order[i];
                i = if i + 1 == order.len() { 0 } else { i + 1 };
                black_box(table.lock(h).is_ok());
                black_box(table.unlock(h).is_ok());
            })
        });
    }
    g.finish();
}

// === create + destroy ===

fn churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("churn");
    let (sim, dev) = device(SimConfig::default());
    g.bench_function("create_destroy", |b| {
        b.iter(|| {
            let alloc = sim.create_allocation(black_box(dev), AllocationDesc::new(PAGE));
            if let Ok(alloc) = black_box(alloc) {
                black_box(sim.destroy_allocations(dev, &[alloc])).ok();
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = lock_path;
    config = config();
    targets = baseline, uncontended, errors, pages, threads, scale, churn
}
criterion_main!(lock_path);
