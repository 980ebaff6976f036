//! `SimKmtReset` under load, through the C exports (docs/contract.md §9: a reset may be
//! called while other threads are inside calls, is atomic with respect to
//! them, and nothing carries across it).
//!
//! Each test runs rounds of two phases:
//!
//! * the race: worker threads hammer creates and destroys (of devices, or of
//!   devices and allocations) while another thread calls `SimKmtReset` over
//!   and over with the same configuration;
//! * the checks: once every thread has stopped, exact checks of what the
//!   contract promises after one more, quiet, `SimKmtReset`; the allocation
//!   test first also checks the budget in the simulator the last racing
//!   reset started, once the workers have destroyed every device they hold
//!   (every device of that simulator was created by a worker, so none is
//!   left).
//!
//! Some defects only show when a create lands at one precise point inside a
//! reset, so each test repeats the rounds; a defect that leaves state behind
//! is then caught by every later round's checks. The loops are bounded by
//! iteration counts, and nothing here asserts how long anything took.
//!
//! The process-wide simulator is shared by every test in this file, so the
//! tests take a static mutex.

// Test bookkeeping uses std atomics and a std mutex directly; clippy.toml's
// sync-facade rule is for engine code, which loom will model.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::thread;

use d3dkmt_sim::ffi::{
    self, SIMKMT_ALLOCATION_DESC, SIMKMT_ALLOCATION_INFO, SIMKMT_CONFIG, SIMKMT_FAULT, SIMKMT_SUBMIT,
};
use d3dkmt_sim::NtStatus;
use windows_sys::Wdk::Graphics::Direct3D::*;

const OK: NtStatus = NtStatus::SUCCESS;
const IP: NtStatus = NtStatus::INVALID_PARAMETER;
const NO_VIDMEM: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

const PAGE: u64 = 4096;
/// Every adapter's budget in these tests: small, so that the checks can
/// spend it exactly.
const BUDGET_PAGES: u64 = 16;

/// Race-and-check rounds per test.
const ROUNDS: usize = 32;
/// Resets per race phase.
const RESETS_PER_ROUND: usize = 150;
/// Upper bound of one worker's iterations in a race phase (it stops earlier,
/// when the resetting thread is done).
const MAX_WORKER_ITERATIONS: usize = 1_000_000;
/// Devices the workers keep alive at once, each: the resets then have live
/// devices to destroy while the workers keep creating.
const WORKER_POOL: usize = 12;
/// Devices created on the other adapter by the isolation check. A device
/// wrongly left listed under an adapter shows only once a later device of
/// the other adapter takes its place in the simulator's tables; a racing
/// simulator holds and creates far fewer devices than this, so this many
/// new ones cover every place it handed out.
const BYSTANDERS: usize = 1024;

static SERIAL: Mutex<()> = Mutex::new(());

/// One test at a time; a test that failed (and so poisoned the mutex) does
/// not stop the next one from running.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn config(adapters: u32) -> SIMKMT_CONFIG {
    SIMKMT_CONFIG {
        Size: core::mem::size_of::<SIMKMT_CONFIG>() as u32,
        AdapterCount: adapters,
        AdapterMemoryBytes: BUDGET_PAGES * PAGE,
        Seed: 0x5EED,
        ..Default::default()
    }
}

// === thin safe wrappers over the C exports ===

fn reset(config: &SIMKMT_CONFIG) -> NtStatus {
    // SAFETY: `config` is a valid, fully initialised SIMKMT_CONFIG.
    NtStatus(unsafe { ffi::SimKmtReset(config) })
}

/// Opens one handle per present adapter (EnumAdapters2), in enumeration
/// order.
fn enum_adapters() -> Result<Vec<u32>, NtStatus> {
    let mut query = D3DKMT_ENUMADAPTERS2::default();
    // SAFETY: a valid struct; with pAdapters NULL only NumAdapters is written.
    let status = NtStatus(unsafe { ffi::D3DKMTEnumAdapters2(&mut query) });
    if status != OK {
        return Err(status);
    }
    let mut infos = vec![D3DKMT_ADAPTERINFO::default(); query.NumAdapters as usize];
    let mut args = D3DKMT_ENUMADAPTERS2 { NumAdapters: infos.len() as u32, pAdapters: infos.as_mut_ptr() };
    // SAFETY: `pAdapters` has room for `NumAdapters` entries.
    let status = NtStatus(unsafe { ffi::D3DKMTEnumAdapters2(&mut args) });
    if status != OK {
        return Err(status);
    }
    Ok(infos[..args.NumAdapters as usize].iter().map(|info| info.hAdapter).collect())
}

fn close_adapter(adapter: u32) -> NtStatus {
    let args = D3DKMT_CLOSEADAPTER { hAdapter: adapter };
    // SAFETY: a valid argument struct.
    NtStatus(unsafe { ffi::D3DKMTCloseAdapter(&args) })
}

fn create_device(adapter: u32) -> Result<u32, NtStatus> {
    let mut args = D3DKMT_CREATEDEVICE { Anonymous: D3DKMT_CREATEDEVICE_0 { hAdapter: adapter }, ..Default::default() };
    // SAFETY: a valid argument struct.
    let status = NtStatus(unsafe { ffi::D3DKMTCreateDevice(&mut args) });
    if status == OK {
        Ok(args.hDevice)
    } else {
        Err(status)
    }
}

fn destroy_device(device: u32) -> NtStatus {
    let args = D3DKMT_DESTROYDEVICE { hDevice: device };
    // SAFETY: a valid argument struct.
    NtStatus(unsafe { ffi::D3DKMTDestroyDevice(&args) })
}

fn device_state(device: u32) -> Result<i32, NtStatus> {
    let mut args =
        D3DKMT_GETDEVICESTATE { hDevice: device, StateType: D3DKMT_DEVICESTATE_EXECUTION, ..Default::default() };
    // SAFETY: a valid argument struct.
    let status = NtStatus(unsafe { ffi::D3DKMTGetDeviceState(&mut args) });
    if status == OK {
        // SAFETY: every bit pattern of the union is a valid i32.
        Ok(unsafe { args.Anonymous.ExecutionState })
    } else {
        Err(status)
    }
}

fn reset_adapter(adapter: u32) -> NtStatus {
    // SAFETY: takes a plain handle value.
    NtStatus(unsafe { ffi::SimKmtResetAdapter(adapter) })
}

/// Creates `count` CPU-visible allocations of `pages` pages each in one
/// CreateAllocation2 call (all or nothing).
fn create_allocations(device: u32, pages: u64, count: usize) -> Result<Vec<u32>, NtStatus> {
    let desc = SIMKMT_ALLOCATION_DESC { Version: 1, Flags: 0, SizeInBytes: pages * PAGE };
    let mut infos: Vec<D3DDDI_ALLOCATIONINFO2> = (0..count)
        .map(|_| D3DDDI_ALLOCATIONINFO2 {
            pPrivateDriverData: (&desc as *const SIMKMT_ALLOCATION_DESC).cast_mut().cast(),
            PrivateDriverDataSize: core::mem::size_of::<SIMKMT_ALLOCATION_DESC>() as u32,
            ..Default::default()
        })
        .collect();
    let mut args = D3DKMT_CREATEALLOCATION {
        hDevice: device,
        NumAllocations: count as u32,
        Anonymous2: D3DKMT_CREATEALLOCATION_1 { pAllocationInfo2: infos.as_mut_ptr() },
        ..Default::default()
    };
    // SAFETY: `infos` holds `NumAllocations` entries, each pointing at a
    // live 16-byte desc; the simulator only reads the desc.
    let status = NtStatus(unsafe { ffi::D3DKMTCreateAllocation2(&mut args) });
    if status == OK {
        Ok(infos.iter().map(|info| info.hAllocation).collect())
    } else {
        Err(status)
    }
}

fn create_allocation(device: u32, pages: u64) -> Result<u32, NtStatus> {
    create_allocations(device, pages, 1).map(|handles| handles[0])
}

fn destroy_allocations(device: u32, allocations: &[u32]) -> NtStatus {
    let args = D3DKMT_DESTROYALLOCATION2 {
        hDevice: device,
        phAllocationList: allocations.as_ptr(),
        AllocationCount: allocations.len() as u32,
        ..Default::default()
    };
    // SAFETY: the list holds `AllocationCount` handles.
    NtStatus(unsafe { ffi::D3DKMTDestroyAllocation2(&args) })
}

fn submit(device: u32, allocations: &[u32]) -> Result<u64, NtStatus> {
    let mut args = SIMKMT_SUBMIT {
        hDevice: device,
        NumAllocations: allocations.len() as u32,
        phAllocations: allocations.as_ptr(),
        FenceValue: 0,
    };
    // SAFETY: the list holds `NumAllocations` handles.
    let status = NtStatus(unsafe { ffi::SimKmtSubmit(&mut args) });
    if status == OK {
        Ok(args.FenceValue)
    } else {
        Err(status)
    }
}

fn query(device: u32, allocation: u32) -> Result<SIMKMT_ALLOCATION_INFO, NtStatus> {
    let mut info = SIMKMT_ALLOCATION_INFO::default();
    // SAFETY: `info` is a writable SIMKMT_ALLOCATION_INFO.
    let status = NtStatus(unsafe { ffi::SimKmtQueryAllocation(device, allocation, &mut info) });
    if status == OK {
        Ok(info)
    } else {
        Err(status)
    }
}

fn lock2(device: u32, allocation: u32) -> NtStatus {
    let mut args = D3DKMT_LOCK2 { hDevice: device, hAllocation: allocation, ..Default::default() };
    // SAFETY: a valid argument struct.
    NtStatus(unsafe { ffi::D3DKMTLock2(&mut args) })
}

// === the race phase ===

/// Runs `workers` threads of `work` while this thread resets the simulator
/// [`RESETS_PER_ROUND`] times; returns when every thread is done. Each
/// worker gets its index and the stop flag, and must destroy every device
/// it still holds before it returns.
fn race(config: &SIMKMT_CONFIG, workers: usize, work: fn(usize, &AtomicBool)) {
    let stop = AtomicBool::new(false);
    // Every worker is running before the first reset.
    let start = Barrier::new(workers + 1);
    thread::scope(|s| {
        let (stop, start) = (&stop, &start);
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    start.wait();
                    work(w, stop)
                })
            })
            .collect();
        start.wait();
        for _ in 0..RESETS_PER_ROUND {
            assert_eq!(reset(config), OK, "SimKmtReset with a valid configuration");
        }
        stop.store(true, SeqCst);
        for h in handles {
            h.join().expect("a worker panicked");
        }
    });
}

/// A worker's adapter handle, re-opened whenever a call says it is stale (a
/// reset closes every adapter handle).
struct AdapterPick {
    which: usize,
    handle: Option<u32>,
}

impl AdapterPick {
    fn get(&mut self) -> Option<u32> {
        if self.handle.is_none() {
            let adapters = enum_adapters().ok()?;
            let keep = self.which % adapters.len().max(1);
            for (i, &h) in adapters.iter().enumerate() {
                if i == keep {
                    self.handle = Some(h);
                } else {
                    let _ = close_adapter(h);
                }
            }
        }
        self.handle
    }
}

/// Device churn on adapter 0 (workers 0 and 1) or adapter 1 (the others):
/// keeps up to [`WORKER_POOL`] devices alive, creating one and destroying
/// the oldest each iteration.
fn device_churn(worker: usize, stop: &AtomicBool) {
    let mut adapter = AdapterPick { which: usize::from(worker >= 2), handle: None };
    let mut live: Vec<u32> = Vec::new();
    for _ in 0..MAX_WORKER_ITERATIONS {
        if stop.load(SeqCst) {
            break;
        }
        let Some(h) = adapter.get() else { continue };
        match create_device(h) {
            Ok(device) => live.push(device),
            Err(_) => adapter.handle = None,
        }
        if live.len() > WORKER_POOL {
            let _ = destroy_device(live.remove(0));
        }
    }
    for device in live {
        let _ = destroy_device(device);
    }
}

/// Allocation and device churn on one adapter (workers alternate between
/// the two): each iteration creates a device, or allocations of one page
/// (one, or a batch of two) on a held device, destroys allocations (one, or
/// all of a device's as one list) or a whole device with its allocations,
/// locks an allocation with Lock2, submits work on one, or (rarely) arms a
/// fault on GetDeviceState, which no worker calls: lock counts, busy state,
/// fences and faults then exist for a reset to clear. Failures are ignored:
/// every handle may be stale.
fn allocation_churn(worker: usize, stop: &AtomicBool) {
    let mut adapter = AdapterPick { which: worker, handle: None };
    // (device, its allocations as this worker knows them)
    let mut live: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut rng = 0x9E37_79B9_u32.wrapping_mul(worker as u32 + 1);
    for _ in 0..MAX_WORKER_ITERATIONS {
        if stop.load(SeqCst) {
            break;
        }
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        let action = rng % 16;
        let pick = (rng >> 4) as usize;
        if live.is_empty() || (action < 2 && live.len() < WORKER_POOL / 2) {
            let Some(h) = adapter.get() else { continue };
            match create_device(h) {
                Ok(device) => live.push((device, Vec::new())),
                Err(_) => adapter.handle = None,
            }
            continue;
        }
        let d = pick % live.len();
        let (device, allocations) = &mut live[d];
        let device = *device;
        let one = (!allocations.is_empty()).then(|| (pick >> 8) % allocations.len());
        match (action, one) {
            (7 | 8, Some(i)) => {
                let _ = destroy_allocations(device, &[allocations.swap_remove(i)]);
            }
            (9, _) => {
                let _ = destroy_allocations(device, allocations);
                allocations.clear();
            }
            (10, _) => {
                let _ = destroy_device(live.swap_remove(d).0);
            }
            (11, Some(i)) => {
                let _ = lock2(device, allocations[i]);
            }
            (12, Some(i)) => {
                let _ = submit(device, &[allocations[i]]);
            }
            (13, _) if pick % 64 == 0 => {
                let _ = arm_get_device_state_fault();
            }
            _ => {
                if let Ok(handles) = create_allocations(device, 1, 1 + usize::from(action % 2 == 1)) {
                    allocations.extend(handles);
                }
            }
        }
    }
    for (device, _) in live {
        let _ = destroy_device(device);
    }
}

/// The status an armed fault makes GetDeviceState return.
const FAULT_STATUS: NtStatus = NtStatus::NO_MEMORY;

/// Arms a fault that makes the next GetDeviceState return [`FAULT_STATUS`].
fn arm_get_device_state_fault() -> NtStatus {
    let fault = SIMKMT_FAULT {
        Call: 10, // SIMKMT_CALL_GETDEVICESTATE
        Nth: 1,
        Count: 1,
        Action: ffi::SIMKMT_FAULT_RETURN_STATUS,
        Status: FAULT_STATUS.0,
        Reserved: 0,
    };
    // SAFETY: a valid SIMKMT_FAULT.
    NtStatus(unsafe { ffi::SimKmtInjectFault(&fault) })
}

// === the checks ===

/// The budget is exact on every adapter of a simulator that has no device
/// (docs/contract.md §4, §9 "no budget used"): allocations totaling exactly the budget
/// succeed, one more page is `STATUS_GRAPHICS_NO_VIDEO_MEMORY`, and once
/// they are destroyed (as a list, then with their device) the whole budget
/// is available again.
fn check_budget_exact(context: &str) {
    let adapters = enum_adapters().unwrap_or_else(|s| panic!("{context}: EnumAdapters2 failed: {s:?}"));
    for (a, &adapter) in adapters.iter().enumerate() {
        let device = create_device(adapter).unwrap_or_else(|s| panic!("{context}: CreateDevice on adapter {a}: {s:?}"));
        let pages = create_allocations(device, 1, BUDGET_PAGES as usize).unwrap_or_else(|s| {
            panic!(
                "{context}: adapter {a}: {BUDGET_PAGES} one-page allocations (exactly the budget) refused with {s:?}; \
                 {} of the {BUDGET_PAGES} pages can be allocated one by one",
                available_pages(device)
            )
        });
        assert_eq!(
            create_allocation(device, 1),
            Err(NO_VIDMEM),
            "{context}: adapter {a}: one page past the budget must be refused"
        );
        assert_eq!(destroy_allocations(device, &pages), OK, "{context}: adapter {a}: destroy the budget's allocations");
        create_allocation(device, BUDGET_PAGES).unwrap_or_else(|s| {
            panic!("{context}: adapter {a}: after destroying them, the whole budget in one allocation refused: {s:?}")
        });
        assert_eq!(create_allocation(device, 1), Err(NO_VIDMEM), "{context}: adapter {a}: past the budget again");
        assert_eq!(destroy_device(device), OK, "{context}: adapter {a}: destroy the device");
        let device = create_device(adapter).unwrap();
        create_allocation(device, BUDGET_PAGES).unwrap_or_else(|s| {
            panic!("{context}: adapter {a}: after destroying the device, the whole budget refused: {s:?}")
        });
        assert_eq!(destroy_device(device), OK);
        assert_eq!(close_adapter(adapter), OK);
    }
}

/// How many one-page allocations `device` can still get (up to one past
/// the budget), for failure messages; destroys what it created.
fn available_pages(device: u32) -> usize {
    let got: Vec<u32> = (0..=BUDGET_PAGES).map_while(|_| create_allocation(device, 1).ok()).collect();
    let _ = destroy_allocations(device, &got);
    got.len()
}

/// `SimKmtResetAdapter` of `victim` removes exactly the devices created on
/// it (reason RESET) and none of the [`BYSTANDERS`] devices created on
/// `other` before them, which stay ACTIVE (docs/contract.md §7; §9: no device is
/// listed under an adapter after a reset). Destroys what it created.
fn check_reset_adapter_isolation(context: &str, victim: usize, other: usize) {
    let adapters = enum_adapters().unwrap();
    let (victim_h, other_h) = (adapters[victim], adapters[other]);
    let bystanders: Vec<u32> = (0..BYSTANDERS)
        .map(|i| create_device(other_h).unwrap_or_else(|s| panic!("{context}: bystander device {i}: {s:?}")))
        .collect();
    let own: Vec<u32> = (0..4).map(|_| create_device(victim_h).unwrap()).collect();
    assert_eq!(reset_adapter(victim_h), OK, "{context}: SimKmtResetAdapter(adapter {victim})");
    let removed: Vec<usize> = bystanders
        .iter()
        .enumerate()
        .filter(|&(_, &d)| device_state(d) != Ok(D3DKMT_DEVICEEXECUTION_ACTIVE))
        .map(|(i, _)| i)
        .collect();
    assert!(
        removed.is_empty(),
        "{context}: SimKmtResetAdapter(adapter {victim}) removed {} device(s) of adapter {other} \
         (creation order {:?}; first state {:?}): they must stay ACTIVE",
        removed.len(),
        &removed[..removed.len().min(8)],
        device_state(bystanders[removed.first().copied().unwrap_or(0)]),
    );
    for &d in &own {
        assert_eq!(
            device_state(d),
            Ok(D3DKMT_DEVICEEXECUTION_RESET),
            "{context}: adapter {victim}'s own device after SimKmtResetAdapter"
        );
    }
    for d in bystanders.into_iter().chain(own) {
        assert_eq!(destroy_device(d), OK, "{context}: destroy");
    }
    for h in adapters {
        assert_eq!(close_adapter(h), OK);
    }
}

/// A new device's state starts from nothing (docs/contract.md §9: no lock count,
/// fence, fault or busy state carries across a reset): GetDeviceState
/// answers ACTIVE (no fault armed before the reset fires), a new allocation
/// has lock count 0 and is not busy, the device's first submission gets
/// fence 1, and one Lock2 makes the count exactly 1.
fn check_fresh_device(context: &str) {
    let adapters = enum_adapters().unwrap();
    for (a, &adapter) in adapters.iter().enumerate() {
        let device = create_device(adapter).unwrap();
        assert_eq!(
            device_state(device),
            Ok(D3DKMT_DEVICEEXECUTION_ACTIVE),
            "{context}: adapter {a}: GetDeviceState of a new device (a fault armed before the reset must not fire)"
        );
        let allocation = create_allocation(device, 1).unwrap();
        let info = query(device, allocation).unwrap();
        assert_eq!(
            (info.LockCount, info.Busy),
            (0, 0),
            "{context}: adapter {a}: a new allocation's lock count and busy"
        );
        assert_eq!(info.PageCount, 1);
        assert_eq!(submit(device, &[allocation]), Ok(1), "{context}: adapter {a}: a new device's first fence");
        assert_eq!(submit(device, &[allocation]), Ok(2), "{context}: adapter {a}: its second fence");
        assert_eq!(query(device, allocation).unwrap().Busy, 1);
        assert_eq!(complete_fence(device, 2), OK);
        assert_eq!(lock2(device, allocation), OK);
        assert_eq!(query(device, allocation).unwrap().LockCount, 1, "{context}: adapter {a}: one Lock2, count 1");
        assert_eq!(destroy_device(device), OK);
        assert_eq!(query(device, allocation).map(|i| i.LockCount), Err(IP), "{context}: destroyed with its device");
        assert_eq!(close_adapter(adapter), OK);
    }
}

fn complete_fence(device: u32, fence: u64) -> NtStatus {
    // SAFETY: takes plain values.
    NtStatus(unsafe { ffi::SimKmtCompleteFence(device, fence) })
}

/// Everything the contract promises after a quiet reset, on a two-adapter
/// configuration: the budget is whole and exact, a new device starts from
/// nothing, and (with `isolation`) a reset of either adapter touches only
/// its own devices. A quiet reset comes before each isolation check, so
/// each starts from a new simulator.
fn check_after_quiet_reset(config: &SIMKMT_CONFIG, context: &str, isolation: bool) {
    assert_eq!(reset(config), OK);
    let adapters = enum_adapters().unwrap();
    assert_eq!(adapters.len(), config.AdapterCount as usize);
    for h in adapters {
        assert_eq!(close_adapter(h), OK);
    }
    check_budget_exact(&format!("{context}, after a quiet reset"));
    check_fresh_device(&format!("{context}, after a quiet reset"));
    if isolation {
        assert_eq!(reset(config), OK);
        check_reset_adapter_isolation(&format!("{context}, after a second quiet reset"), 0, 1);
        assert_eq!(reset(config), OK);
        check_reset_adapter_isolation(&format!("{context}, after a third quiet reset"), 1, 0);
    }
}

// === the tests ===

/// A reset that races `D3DKMTCreateDevice` on adapter 0 (and device
/// destroys) must not leave any device listed under adapter 0 in a later
/// simulator: after the race and a quiet reset, `SimKmtResetAdapter(adapter
/// 0)` removes adapter 0's own devices (RESET) and none of adapter 1's, which
/// stay ACTIVE (and the same the other way round). Budgets, fences and lock
/// counts start from nothing too.
#[test]
fn reset_racing_device_creation_leaves_no_device_listed_under_an_adapter() {
    let _serial = serial();
    let config = config(2);
    for round in 0..ROUNDS {
        assert_eq!(reset(&config), OK);
        // Two workers on adapter 0, one on adapter 1.
        race(&config, 3, device_churn);
        check_after_quiet_reset(&config, &format!("round {round}"), true);
    }
}

/// A reset that races allocation and device churn must leave every
/// adapter's budget exact. In the simulator the last racing reset started,
/// once every device is destroyed, allocations totaling exactly the budget
/// succeed, one more page is `STATUS_GRAPHICS_NO_VIDEO_MEMORY` (not earlier:
/// a used counter that wrapped or leaked refuses what is free; not later: an
/// allocation that was never counted), and after destroying them the whole
/// budget is available again. After a quiet reset the same holds, and a new
/// device starts from nothing; after the last round no device is listed
/// under either adapter.
#[test]
fn reset_racing_allocation_churn_leaves_every_budget_exact() {
    let _serial = serial();
    let config = config(2);
    for round in 0..ROUNDS {
        assert_eq!(reset(&config), OK);
        race(&config, 3, allocation_churn);
        let context = format!("round {round}");
        check_budget_exact(&format!("{context}, in the last racing simulator with every device destroyed"));
        check_after_quiet_reset(&config, &context, round == ROUNDS - 1);
    }
}
