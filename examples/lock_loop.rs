//! A bare lock+unlock loop for instruction counting (`benches/callgrind.sh`)
//! and for the per-allocation memory figure of `docs/performance.md`.
//!
//! ```text
//! cargo run --release --example lock_loop -- <mode> <iterations>
//! ```
//!
//! Modes, each one lock + one unlock per iteration on one hot allocation:
//!
//! * `rust_raw`: `Simulator::lock2` + `Simulator::unlock2` (the engine's
//!   quiet paths, inlined);
//! * `c_abi`: `D3DKMTLock2` + `D3DKMTUnlock2` on the process-wide simulator;
//! * `gen_handle`: the idealized generational-handle + CAS lock of
//!   the hardware-floor measurements (the same code as the `baseline/gen_handle_cas` bench,
//!   `benches/support/gen_handle.rs`): the denominator of the callgrind gate;
//! * `atomic_pair`, `parking_lot_mutex`: the other floors, for reference;
//! * `err_bad_handle`, `err_device_removed`, `err_busy`, `err_at_limit`:
//!   one *failing* Lock2 per iteration, set up as the `errors/*` benches
//!   are (T7's deterministic companion: an error should cost no more
//!   instructions, and no more locked RMWs, than a successful pair).
//!
//! Every mode does the same setup whatever the iteration count, so the
//! difference of two runs' instruction totals divided by the difference of
//! their iteration counts is the cost of one pair, setup cancelled out. Each
//! loop is its own `#[inline(never)]` function named `loop_<mode>`, so its
//! machine code can be found (and its locked instructions counted) with
//! `objdump`. A loop that sees any failure (for the `err_*` modes: a
//! success; their error is checked once before the loop) exits with
//! status 1.
//!
//! `footprint <n>` instead creates `n` one-page allocations on one device
//! and prints the resident memory and the mappings they added, per
//! allocation.
//!
//! `paired <ms>` prints each success loop's time as a ratio to the bare
//! atomic pair, measured in alternating chunks so that both share the
//! machine's state of the moment: on a noisy VM this ratio is steadier than
//! one taken from two benchmarks run a minute apart.

// The baselines need raw std atomics and parking_lot::Mutex (clippy.toml
// keeps them out of the engine, not out of measuring tools).
#![allow(clippy::disallowed_types)]

#[path = "../benches/support/gen_handle.rs"]
mod gen_handle;

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::AcqRel};

use d3dkmt_sim::{
    ffi, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ErrorKind, ExecutionState, HandleKind, SimConfig,
    Simulator,
};
use gen_handle::{GenTable, Slot};
use windows_sys::Wdk::Graphics::Direct3D::{D3DKMT_LOCK2, D3DKMT_UNLOCK2};

const PAGE: u64 = 4096;

#[inline(never)]
fn loop_rust_raw(sim: &Simulator, dev: DeviceHandle, alloc: AllocationHandle, iters: u64) -> u64 {
    let mut failed = 0;
    for _ in 0..iters {
        let (d, a) = black_box((dev, alloc));
        failed += u64::from(sim.lock2(d, a).is_err());
        failed += u64::from(sim.unlock2(d, a).is_err());
    }
    failed
}

/// One failing Lock2 per iteration (the caller checked the error once);
/// counts the calls that unexpectedly succeeded.
#[inline(never)]
fn loop_lock2_error(sim: &Simulator, dev: DeviceHandle, alloc: AllocationHandle, iters: u64) -> u64 {
    let mut succeeded = 0;
    for _ in 0..iters {
        let (d, a) = black_box((dev, alloc));
        succeeded += u64::from(sim.lock2(d, a).is_ok());
    }
    succeeded
}

#[inline(never)]
fn loop_c_abi(lock: &mut D3DKMT_LOCK2, unlock: &D3DKMT_UNLOCK2, iters: u64) -> u64 {
    let mut failed = 0;
    for _ in 0..iters {
        // SAFETY: both argument structs are valid for the whole loop.
        unsafe {
            failed += u64::from(ffi::D3DKMTLock2(black_box(&mut *lock)) != 0);
            failed += u64::from(ffi::D3DKMTUnlock2(black_box(unlock)) != 0);
        }
    }
    failed
}

#[inline(never)]
fn loop_gen_handle(table: &GenTable<Slot>, handle: u32, iters: u64) -> u64 {
    let mut failed = 0;
    for _ in 0..iters {
        let h = black_box(handle);
        failed += u64::from(table.lock(h).is_err());
        failed += u64::from(table.unlock(h).is_err());
    }
    failed
}

#[inline(never)]
fn loop_atomic_pair(word: &AtomicU64, iters: u64) -> u64 {
    for _ in 0..iters {
        black_box(word).fetch_add(1, AcqRel);
        black_box(word).fetch_sub(1, AcqRel);
    }
    0
}

#[inline(never)]
fn loop_parking_lot_mutex(mutex: &parking_lot::Mutex<u32>, iters: u64) -> u64 {
    for _ in 0..iters {
        let mut guard = black_box(mutex).lock();
        *guard = guard.wrapping_add(1);
    }
    0
}

fn device(sim: &Simulator) -> DeviceHandle {
    let adapter = sim.enum_adapters().expect("one adapter")[0].handle;
    sim.create_device(adapter).expect("device")
}

fn run(mode: &str, iters: u64) -> Result<u64, String> {
    Ok(match mode {
        "rust_raw" => {
            let sim = Simulator::new(SimConfig::default()).map_err(|e| e.to_string())?;
            let dev = device(&sim);
            let alloc = sim.create_allocation(dev, AllocationDesc::new(PAGE)).map_err(|e| e.to_string())?;
            loop_rust_raw(&sim, dev, alloc, iters)
        }
        "c_abi" => {
            ffi::reset_current(SimConfig::default()).map_err(|e| e.to_string())?;
            let sim = ffi::current();
            let dev = device(sim);
            let alloc = sim.create_allocation(dev, AllocationDesc::new(PAGE)).map_err(|e| e.to_string())?;
            let mut lock = D3DKMT_LOCK2 { hDevice: dev.raw(), hAllocation: alloc.raw(), ..Default::default() };
            let unlock = D3DKMT_UNLOCK2 { hDevice: dev.raw(), hAllocation: alloc.raw() };
            loop_c_abi(&mut lock, &unlock, iters)
        }
        "gen_handle" => {
            // As in the floor measurements: 1024 slots, hot handle 517.
            let table = GenTable::<Slot>::new(1024);
            loop_gen_handle(&table, table.handle(517), iters)
        }
        "atomic_pair" => loop_atomic_pair(&AtomicU64::new(0), iters),
        "err_bad_handle" | "err_device_removed" | "err_busy" | "err_at_limit" => {
            let config = match mode {
                "err_busy" => SimConfig::default().busy_policy(BusyPolicy::Fail),
                "err_at_limit" => SimConfig::default().max_lock_references(1),
                _ => SimConfig::default(),
            };
            let sim = Simulator::new(config).map_err(|e| e.to_string())?;
            let dev = device(&sim);
            let alloc = sim.create_allocation(dev, AllocationDesc::new(PAGE)).map_err(|e| e.to_string())?;
            let expected = match mode {
                "err_bad_handle" => {
                    sim.destroy_allocations(dev, &[alloc]).map_err(|e| e.to_string())?;
                    ErrorKind::InvalidHandle(HandleKind::Allocation)
                }
                "err_device_removed" => {
                    sim.remove_device(dev, ExecutionState::Reset).map_err(|e| e.to_string())?;
                    ErrorKind::DeviceRemoved
                }
                "err_busy" => {
                    sim.submit(dev, &[alloc]).map_err(|e| e.to_string())?;
                    ErrorKind::AllocationBusy
                }
                _ => {
                    sim.lock2(dev, alloc).map_err(|e| e.to_string())?;
                    ErrorKind::TooManyReferences
                }
            };
            let got = sim.lock2(dev, alloc);
            if got != Err(expected.into()) {
                return Err(format!("{mode}: Lock2 returned {got:?}, expected Err({expected:?})"));
            }
            loop_lock2_error(&sim, dev, alloc, iters)
        }
        "parking_lot_mutex" => loop_parking_lot_mutex(&parking_lot::Mutex::new(0), iters),
        _ => return Err(format!("unknown mode `{mode}`")),
    })
}

/// Number of lines of /proc/self/maps: the process's mappings (VMAs).
fn mapping_count() -> usize {
    std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count()).unwrap_or(0)
}

fn footprint(n: usize) -> Result<(), String> {
    let sim = Simulator::new(SimConfig::default().adapter_memory(1 << 40)).map_err(|e| e.to_string())?;
    let dev = device(&sim);
    // Room for every handle, touched now so it is not counted below.
    let mut handles = vec![0u32; n];
    let batch = vec![AllocationDesc::new(PAGE); 4096];
    let rss_before = d3dkmt_sim::mem::resident_bytes().ok_or("no /proc/self/statm")?;
    let maps_before = mapping_count();
    let mut made = 0;
    while made < n {
        let k = batch.len().min(n - made);
        for (slot, h) in
            handles[made..].iter_mut().zip(sim.create_allocations(dev, &batch[..k]).map_err(|e| e.to_string())?)
        {
            *slot = h.raw();
        }
        made += k;
    }
    let rss_after = d3dkmt_sim::mem::resident_bytes().ok_or("no /proc/self/statm")?;
    let maps_after = mapping_count();
    let grown = rss_after.saturating_sub(rss_before);
    println!(
        "allocations {n}  resident +{grown} B ({:.1} B per allocation)  mappings {maps_before} -> {maps_after} (+{})",
        grown as f64 / n as f64,
        maps_after as i64 - maps_before as i64
    );
    black_box(&handles);
    Ok(())
}

/// A loop of `CHUNK` pairs that returns how many calls failed.
type Candidate<'a> = Box<dyn FnMut() -> u64 + 'a>;

/// Paired ratios: for each candidate loop, chunks of the candidate and of
/// the bare atomic pair alternate (so both see the same machine state, which
/// drifts on a shared VM), and the candidate's time over the atomic pair's
/// is one round's ratio. Prints the median, lowest and highest of `ROUNDS`.
fn paired(millis: u64) -> Result<(), String> {
    const CHUNK: u64 = 20_000;
    const ROUNDS: usize = 9;
    let sim = Simulator::new(SimConfig::default()).map_err(|e| e.to_string())?;
    let dev = device(&sim);
    let alloc = sim.create_allocation(dev, AllocationDesc::new(PAGE)).map_err(|e| e.to_string())?;
    ffi::reset_current(SimConfig::default()).map_err(|e| e.to_string())?;
    let global = ffi::current();
    let gdev = device(global);
    let galloc = global.create_allocation(gdev, AllocationDesc::new(PAGE)).map_err(|e| e.to_string())?;
    let mut lock = D3DKMT_LOCK2 { hDevice: gdev.raw(), hAllocation: galloc.raw(), ..Default::default() };
    let unlock = D3DKMT_UNLOCK2 { hDevice: gdev.raw(), hAllocation: galloc.raw() };
    let table = GenTable::<Slot>::new(1024);
    let word = AtomicU64::new(0);
    let mut candidates: Vec<(&str, Candidate<'_>)> = vec![
        ("rust_raw", Box::new(|| loop_rust_raw(&sim, dev, alloc, CHUNK))),
        ("c_abi", Box::new(|| loop_c_abi(&mut lock, &unlock, CHUNK))),
        ("gen_handle", Box::new(|| loop_gen_handle(&table, table.handle(517), CHUNK))),
    ];
    let per_round = std::time::Duration::from_millis(millis) / (ROUNDS * candidates.len()) as u32;
    println!("paired ratios to the atomic pair ({ROUNDS} rounds of {per_round:?} per candidate, chunks of {CHUNK})");
    for (name, candidate) in &mut candidates {
        let mut ratios = Vec::with_capacity(ROUNDS);
        let mut failed = 0;
        for _ in 0..ROUNDS {
            let (mut t_candidate, mut t_atomic) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
            while t_candidate + t_atomic < per_round {
                let start = std::time::Instant::now();
                loop_atomic_pair(&word, CHUNK);
                let mid = std::time::Instant::now();
                failed += candidate();
                t_atomic += mid - start;
                t_candidate += mid.elapsed();
            }
            ratios.push(t_candidate.as_secs_f64() / t_atomic.as_secs_f64());
        }
        if failed != 0 {
            return Err(format!("{name}: {failed} calls failed"));
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name:<11} median {:.2}x  (lowest {:.2}x, highest {:.2}x)",
            ratios[ROUNDS / 2],
            ratios[0],
            ratios[ROUNDS - 1]
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: lock_loop <rust_raw|c_abi|gen_handle|atomic_pair|parking_lot_mutex> <iterations>\n       \
                 lock_loop <err_bad_handle|err_device_removed|err_busy|err_at_limit> <iterations>\n       \
                 lock_loop footprint <allocations>\n       \
                 lock_loop paired <milliseconds>";
    let (Some(mode), Some(Ok(n))) = (args.get(1), args.get(2).map(|s| s.parse::<u64>())) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    if mode == "footprint" || mode == "paired" {
        let result = if mode == "footprint" { footprint(n as usize) } else { paired(n) };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lock_loop: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(mode, n) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(failed) => {
            eprintln!("lock_loop: {mode}: {failed} calls failed");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("lock_loop: {e}\n{usage}");
            ExitCode::from(2)
        }
    }
}
