//! Contract tests: exactly one test per row of `docs/lock-states.md`, named
//! after the row's `id`. `table_and_tests_stay_in_sync` (at the end) fails if
//! a row has no test or a test has no row.
//!
//! Notation as in the table: `D` with `a`, `b` (4 pages each) and `h` (1 page,
//! not CPU-visible); `E` with `e` (1 page); both on adapter `A`.

use std::collections::HashSet;
use std::fmt::Debug;
use std::thread;
use std::time::{Duration, Instant};

use d3dkmt_sim::*;

const PAGE: u64 = 4096;
/// Pages the fixture allocates: `a` 4 + `b` 4 + `h` 1 + `e` 1.
const FIXTURE_PAGES: u64 = 10;
/// Pages of `D`'s allocations alone.
const D_PAGES: u64 = 9;

const INVALID: NtStatus = NtStatus::INVALID_PARAMETER;
const REMOVED: NtStatus = NtStatus::DEVICE_REMOVED;
const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
const TOO_MANY: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;
const NO_VIDEO_MEMORY: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

const STALE_DEVICE: Error = Error::InvalidHandle(HandleKind::Device);
const STALE_ALLOCATION: Error = Error::InvalidHandle(HandleKind::Allocation);
const STALE_ADAPTER: Error = Error::InvalidHandle(HandleKind::Adapter);

/// A wait that must end by a wake-up, never by its timeout.
const LONG_WAIT: Duration = Duration::from_secs(20);
/// A wait that must time out.
const SHORT_WAIT: Duration = Duration::from_millis(50);
/// How long the main thread lets a waiter block before waking it.
const LET_IT_BLOCK: Duration = Duration::from_millis(100);

// === fixture and helpers ===

struct Fx {
    sim: Simulator,
    adapter: AdapterHandle,
    d: DeviceHandle,
    a: AllocationHandle,
    b: AllocationHandle,
    h: AllocationHandle,
    dev_e: DeviceHandle,
    e: AllocationHandle,
}

/// Everything a failed call must leave alone, as far as the API can see it.
#[derive(Debug, PartialEq)]
struct Snapshot {
    device_states: Vec<Result<ExecutionState>>,
    last_fences: Vec<Result<u64>>,
    allocations: Vec<Result<AllocationInfo>>,
    adapters: usize,
}

fn fixture() -> Fx {
    fixture_with(SimConfig::default())
}

fn fixture_with(config: SimConfig) -> Fx {
    let sim = Simulator::new(config).unwrap();
    let adapter = sim.enum_adapters(16).unwrap()[0].handle;
    let d = sim.create_device(adapter).unwrap();
    let a = sim.create_allocation(d, AllocationDesc::new(4 * PAGE)).unwrap();
    let b = sim.create_allocation(d, AllocationDesc::new(4 * PAGE)).unwrap();
    let h = sim.create_allocation(d, AllocationDesc::new(PAGE).not_cpu_visible()).unwrap();
    let dev_e = sim.create_device(adapter).unwrap();
    let e = sim.create_allocation(dev_e, AllocationDesc::new(PAGE)).unwrap();
    Fx { sim, adapter, d, a, b, h, dev_e, e }
}

/// A budget of exactly what the fixture uses plus `extra` pages.
fn budget_plus(extra: u64) -> SimConfig {
    SimConfig::default().adapter_memory((FIXTURE_PAGES + extra) * PAGE)
}

impl Fx {
    fn owner(&self, alloc: AllocationHandle) -> DeviceHandle {
        if alloc == self.e {
            self.dev_e
        } else {
            self.d
        }
    }

    fn info(&self, alloc: AllocationHandle) -> AllocationInfo {
        self.sim.query_allocation(self.owner(alloc), alloc).unwrap()
    }

    /// The lock count.
    fn n(&self, alloc: AllocationHandle) -> u32 {
        self.info(alloc).lock_count
    }

    fn busy(&self, alloc: AllocationHandle) -> bool {
        self.info(alloc).busy
    }

    fn state(&self, device: DeviceHandle) -> ExecutionState {
        self.sim.device_state(device).unwrap()
    }

    fn snapshot(&self) -> Snapshot {
        let devices = [self.d, self.dev_e];
        Snapshot {
            device_states: devices.iter().map(|&d| self.sim.device_state(d)).collect(),
            last_fences: devices.iter().map(|&d| self.sim.last_fence(d)).collect(),
            allocations: [self.a, self.b, self.h, self.e]
                .iter()
                .map(|&x| self.sim.query_allocation(self.owner(x), x))
                .collect(),
            adapters: self.sim.adapter_count(),
        }
    }

    /// A device handle whose device was created on `A` and destroyed.
    fn stale_device(&self) -> DeviceHandle {
        let s = self.sim.create_device(self.adapter).unwrap();
        self.sim.destroy_device(s).unwrap();
        s
    }

    /// An allocation handle of `D` whose allocation was destroyed.
    fn stale_allocation(&self) -> AllocationHandle {
        let x = self.sim.create_allocation(self.d, AllocationDesc::new(PAGE)).unwrap();
        self.sim.destroy_allocations(self.d, &[x]).unwrap();
        x
    }

    fn remove(&self, device: DeviceHandle) {
        self.sim.remove_device(device, ExecutionState::Hung).unwrap();
    }

    fn lock_entire(&self, device: DeviceHandle, alloc: AllocationHandle, flags: LockFlags) -> Result<Mapping> {
        self.sim.lock(device, alloc, flags, Pages::Entire)
    }
}

/// Asserts the exact error and the status it maps to.
#[track_caller]
fn fails<T: Debug>(result: Result<T>, error: Error, status: NtStatus) {
    match result {
        Ok(value) => panic!("expected {error:?} ({status:?}), got Ok({value:?})"),
        Err(e) => {
            assert_eq!(e, error);
            assert_eq!(e.status(), status);
        }
    }
}

/// Asserts `Error::InvalidParameter(_)` (its text is free) and its status.
#[track_caller]
fn invalid_parameter<T: Debug>(result: Result<T>) {
    match result {
        Err(e @ Error::InvalidParameter(_)) => assert_eq!(e.status(), INVALID),
        other => panic!("expected Error::InvalidParameter, got {other:?}"),
    }
}

fn no_flags() -> LockFlags {
    LockFlags::default()
}

// === Lock2: the check order (abi.md §5) ===

#[test]
fn lock2_stale_device_is_invalid_parameter() {
    let fx = fixture();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.lock2(s, fx.e), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_removed_device_is_device_removed() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_removed_device_beats_bad_allocation() {
    let fx = fixture();
    let x = fx.stale_allocation();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, x), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.lock2(fx.d, fx.e), Error::DeviceRemoved, REMOVED);
    // It beats rule 5 as well.
    fails(fx.sim.lock2(fx.d, fx.h), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.e), 0);
}

#[test]
fn lock2_no_fast_path_skips_removal_of_locked_allocation() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.remove(fx.d);
    assert_eq!(fx.n(fx.a), 0);
    let before = fx.snapshot();
    for _ in 0..3 {
        fails(fx.sim.lock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    }
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_stale_allocation_is_invalid_parameter() {
    let fx = fixture();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_allocation_of_other_device_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.e), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_not_cpu_visible_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.h), Error::NotCpuVisible, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_not_cpu_visible_beats_busy() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.h]).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.h), Error::NotCpuVisible, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert!(fx.busy(fx.h));
}

#[test]
fn lock2_busy_beats_limit() {
    let fx = fixture_with(SimConfig::default().max_lock_references(2));
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::AllocationBusy, BUSY);
    assert_eq!(fx.snapshot(), before);
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (2, true));
}

#[test]
fn lock2_at_limit_is_too_many_references() {
    let fx = fixture_with(SimConfig::default().max_lock_references(2));
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::TooManyReferences, TOO_MANY);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 2);
}

#[test]
fn lock2_success_takes_one_reference_at_base() {
    let fx = fixture();
    let mapping = fx.sim.lock2(fx.d, fx.a).unwrap();
    assert!(!mapping.as_ptr().is_null());
    // The mapping runs to the allocation's end, so it starts at its base.
    assert_eq!(mapping.len() as u64, 4 * PAGE);
    assert_eq!(fx.n(fx.a), 1);
    // A page lock of page 1 lands one page above it.
    let page1 = fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[1])).unwrap();
    assert_eq!(page1.as_ptr() as usize, mapping.as_ptr() as usize + PAGE as usize);
}

#[test]
fn lock2_nested_locks_return_same_address() {
    let fx = fixture();
    let first = fx.sim.lock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 1);
    let second = fx.sim.lock2(fx.d, fx.a).unwrap();
    assert_eq!(second, first);
    assert_eq!(fx.n(fx.a), 2);
}

#[test]
fn lock2_address_is_stable_for_the_allocation_life() {
    let fx = fixture();
    let first = fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.destroy_allocations(fx.d, &[fx.b]).unwrap();
    for _ in 0..3 {
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        let other = fx.sim.create_allocation(fx.d, AllocationDesc::new(8 * PAGE)).unwrap();
        fx.sim.lock2(fx.d, other).unwrap();
        assert_eq!(fx.sim.lock2(fx.d, fx.a).unwrap(), first);
        fx.sim.destroy_allocations(fx.d, &[other]).unwrap();
    }
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn lock2_default_limit_is_1024_per_allocation() {
    let fx = fixture();
    assert_eq!(fx.sim.config().max_lock_references, 1024);
    for _ in 0..1024 {
        fx.sim.lock2(fx.d, fx.a).unwrap();
    }
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::TooManyReferences, TOO_MANY);
    assert_eq!(fx.snapshot(), before);
    fx.sim.lock2(fx.d, fx.b).unwrap();
    assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1024, 1));
}

// === Unlock2 (abi.md §5) ===

#[test]
fn unlock2_stale_device_is_invalid_parameter() {
    let fx = fixture();
    fx.sim.lock2(fx.dev_e, fx.e).unwrap();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(s, fx.e), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.e), 1);
}

#[test]
fn unlock2_removed_device_is_device_removed() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn unlock2_removed_device_beats_bad_allocation() {
    let fx = fixture();
    let x = fx.stale_allocation();
    fx.sim.lock2(fx.dev_e, fx.e).unwrap();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, x), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.unlock2(fx.d, fx.e), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.e), 1);
}

#[test]
fn unlock2_stale_allocation_is_invalid_parameter() {
    let fx = fixture();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, x), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn unlock2_allocation_of_other_device_is_invalid_parameter() {
    let fx = fixture();
    fx.sim.lock2(fx.dev_e, fx.e).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, fx.e), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.e), 1);
}

#[test]
fn unlock2_not_locked_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, fx.a), Error::NotLocked, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn unlock2_drops_one_reference() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 1);
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 0);
}

// === LockGuard (Rust API only) ===

#[test]
fn guard_drop_unlocks() {
    let fx = fixture();
    {
        let guard = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
        assert_eq!(guard.mapping().len() as u64, 4 * PAGE);
        assert_eq!((guard.device(), guard.allocation()), (fx.d, fx.a));
        assert_eq!(fx.n(fx.a), 1);
    }
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn guard_unlock_after_removal_reports_device_removed() {
    let fx = fixture();
    let g1 = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
    let g2 = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 2);
    fx.remove(fx.d);
    fails(LockGuard::unlock(g1), Error::DeviceRemoved, REMOVED);
    drop(g2); // must not panic
    assert_eq!(fx.n(fx.a), 0);
    assert_eq!(fx.state(fx.d), ExecutionState::Hung);
}

// === Legacy Lock: the check order (abi.md §6) ===

#[test]
fn lock_reserved_flag_bits_are_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    for bits in [0x800, 0x1000, 0x8000_0000, 0xFFFF_F800] {
        invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags(bits)));
    }
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_read_only_with_write_only_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::READ_ONLY | LockFlags::WRITE_ONLY));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_bad_flags_beat_removed_device() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags(0x800)));
    invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::READ_ONLY | LockFlags::WRITE_ONLY));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_stale_device_is_invalid_parameter() {
    let fx = fixture();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.lock_entire(s, fx.e, no_flags()), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_removed_device_is_device_removed() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_removed_device_beats_bad_allocation() {
    let fx = fixture();
    let x = fx.stale_allocation();
    fx.remove(fx.d);
    let before = fx.snapshot();
    for alloc in [x, fx.e, fx.h] {
        fails(fx.sim.lock(fx.d, alloc, no_flags(), Pages::List(&[99])), Error::DeviceRemoved, REMOVED);
    }
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_stale_allocation_is_invalid_parameter() {
    let fx = fixture();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, x, no_flags()), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_allocation_of_other_device_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.e, no_flags()), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_not_cpu_visible_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.h, no_flags()), Error::NotCpuVisible, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_not_cpu_visible_beats_bad_pages() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.sim.lock(fx.d, fx.h, no_flags(), Pages::List(&[99])), Error::NotCpuVisible, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_entire_maps_base() {
    let fx = fixture();
    let whole = fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    assert_eq!(whole.len() as u64, 4 * PAGE);
    assert_eq!(fx.n(fx.a), 1);
    assert_eq!(fx.sim.lock2(fx.d, fx.a).unwrap(), whole);
}

#[test]
fn lock_lock_entire_flag_ignores_page_list() {
    let fx = fixture();
    let base = fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    let whole = fx.sim.lock(fx.d, fx.a, LockFlags::LOCK_ENTIRE, Pages::List(&[99])).unwrap();
    assert_eq!(whole, base);
    assert_eq!(whole.len() as u64, 4 * PAGE);
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn lock_page_list_maps_first_listed_page() {
    let fx = fixture();
    let base = fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    let part = fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[2, 0, 3])).unwrap();
    assert_eq!(part.as_ptr() as usize, base.as_ptr() as usize + 2 * PAGE as usize);
    assert_eq!(part.len() as u64, 2 * PAGE);
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn lock_page_index_out_of_range_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[0, 4])));
    invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[u32::MAX])));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_empty_page_list_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[])));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_bad_pages_beat_busy() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.lock(fx.d, fx.a, LockFlags::DONOT_WAIT, Pages::List(&[9])));
    // Without DONOT_WAIT too: the pages are checked before any wait.
    invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[9])));
    assert_eq!(fx.snapshot(), before);
    assert!(fx.busy(fx.a));
}

#[test]
fn lock_busy_donot_wait_is_allocation_busy() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), Error::AllocationBusy, BUSY);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock_busy_ignore_sync_maps_without_waiting() {
    let fx = fixture_with(SimConfig::default().wait_timeout(LONG_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC).unwrap();
    assert!(start.elapsed() < LONG_WAIT / 2, "IGNORE_SYNC must not wait");
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
}

#[test]
fn lock_ignore_sync_beats_donot_wait() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC | LockFlags::DONOT_WAIT).unwrap();
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
}

#[test]
fn lock_busy_wait_succeeds_when_fence_completes() {
    let fx = fixture_with(SimConfig::default().wait_timeout(LONG_WAIT));
    let fence = fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let result = thread::scope(|s| {
        let waiter = s.spawn(|| fx.lock_entire(fx.d, fx.a, no_flags()));
        thread::sleep(LET_IT_BLOCK);
        // Busy and far from its timeout: the waiter cannot have returned.
        assert!(!waiter.is_finished());
        fx.sim.complete_fence(fx.d, fence).unwrap();
        waiter.join().unwrap()
    });
    assert_eq!(result.unwrap().len() as u64, 4 * PAGE);
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, false));
}

#[test]
fn lock_busy_wait_wakes_with_device_removed() {
    let fx = fixture_with(SimConfig::default().wait_timeout(LONG_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    let result = thread::scope(|s| {
        let waiter = s.spawn(|| fx.lock_entire(fx.d, fx.a, no_flags()));
        thread::sleep(LET_IT_BLOCK);
        assert!(!waiter.is_finished());
        fx.remove(fx.d);
        waiter.join().unwrap()
    });
    fails(result, Error::DeviceRemoved, REMOVED);
    assert!(start.elapsed() < LONG_WAIT / 2, "woken by the removal, not by the timeout");
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (0, false));
}

#[test]
fn lock_busy_wait_times_out_with_allocation_busy() {
    let fx = fixture_with(SimConfig::default().wait_timeout(SHORT_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    let start = Instant::now();
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::AllocationBusy, BUSY);
    assert!(start.elapsed() >= SHORT_WAIT, "returned after {:?}", start.elapsed());
    assert_eq!(fx.snapshot(), before);
    assert!(fx.busy(fx.a));
}

#[test]
fn lock_busy_follows_flags_not_busy_policy() {
    // Policy Ignore, no flags: the page lock still waits, then times out.
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Ignore).wait_timeout(SHORT_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::AllocationBusy, BUSY);
    assert!(start.elapsed() >= SHORT_WAIT);
    assert_eq!(fx.n(fx.a), 0);

    // Policy Wait, DONOT_WAIT: fails at once.
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(LONG_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), Error::AllocationBusy, BUSY);
    assert!(start.elapsed() < LONG_WAIT / 2);
    assert_eq!(fx.n(fx.a), 0);

    // Policy Fail, IGNORE_SYNC: maps.
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Fail));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC).unwrap();
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn lock_busy_beats_limit() {
    let fx = fixture_with(SimConfig::default().max_lock_references(1));
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), Error::AllocationBusy, BUSY);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn lock_at_limit_is_too_many_references() {
    let fx = fixture_with(SimConfig::default().max_lock_references(2));
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[1])).unwrap();
    let before = fx.snapshot();
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::TooManyReferences, TOO_MANY);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 2);
}

#[test]
fn lock_and_lock2_share_one_limit() {
    let fx = fixture_with(SimConfig::default().max_lock_references(2));
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    assert_eq!(fx.n(fx.a), 2);
    fails(fx.sim.lock2(fx.d, fx.a), Error::TooManyReferences, TOO_MANY);
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::TooManyReferences, TOO_MANY);
    assert_eq!(fx.n(fx.a), 2);
}

// === Legacy Unlock (abi.md §6) ===

#[test]
fn unlock_empty_list_is_invalid_parameter() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.unlock(fx.d, &[]));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn unlock_empty_list_beats_removed_device() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    invalid_parameter(fx.sim.unlock(fx.d, &[]));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn unlock_stale_device_is_invalid_parameter() {
    let fx = fixture();
    fx.lock_entire(fx.dev_e, fx.e, no_flags()).unwrap();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.unlock(s, &[fx.e]), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.e), 1);
}

#[test]
fn unlock_removed_device_is_device_removed() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.unlock(fx.d, &[fx.a]), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn unlock_removed_device_beats_bad_allocation() {
    let fx = fixture();
    let x = fx.stale_allocation();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.unlock(fx.d, &[x]), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.unlock(fx.d, &[fx.e]), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn unlock_bad_handle_unlocks_nothing() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.sim.unlock(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID);
    fails(fx.sim.unlock(fx.d, &[x, fx.a]), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn unlock_other_device_allocation_unlocks_nothing() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.lock_entire(fx.dev_e, fx.e, no_flags()).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.unlock(fx.d, &[fx.a, fx.e]), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!((fx.n(fx.a), fx.n(fx.e)), (1, 1));
}

#[test]
fn unlock_more_than_held_unlocks_nothing() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.unlock(fx.d, &[fx.b, fx.a, fx.a]), Error::NotLocked, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1, 1));
}

#[test]
fn unlock_releases_one_reference_per_listed_handle() {
    let fx = fixture();
    for _ in 0..3 {
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    }
    fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
    fx.sim.unlock(fx.d, &[fx.a, fx.b, fx.a]).unwrap();
    assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1, 0));
}

#[test]
fn unlock_and_unlock2_release_either_kind_of_reference() {
    let fx = fixture();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 2);
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 1);
    fx.sim.unlock(fx.d, &[fx.a]).unwrap();
    assert_eq!(fx.n(fx.a), 0);
    // And the other way round: a Lock2 reference released by Unlock.
    fx.sim.lock2(fx.d, fx.b).unwrap();
    fx.sim.unlock(fx.d, &[fx.b]).unwrap();
    assert_eq!(fx.n(fx.b), 0);
}

// === Busy policies for Lock2 (abi.md §8) ===

#[test]
fn lock2_busy_fail_policy_is_allocation_busy() {
    let fx = fixture();
    assert_eq!(fx.sim.config().busy_policy, BusyPolicy::Fail);
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::AllocationBusy, BUSY);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_busy_wait_policy_succeeds_when_fence_completes() {
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(LONG_WAIT));
    let fence = fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let result = thread::scope(|s| {
        let waiter = s.spawn(|| fx.sim.lock2(fx.d, fx.a));
        thread::sleep(LET_IT_BLOCK);
        assert!(!waiter.is_finished());
        fx.sim.complete_fence(fx.d, fence).unwrap();
        waiter.join().unwrap()
    });
    assert_eq!(result.unwrap().len() as u64, 4 * PAGE);
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, false));
}

#[test]
fn lock2_busy_wait_policy_wakes_with_device_removed() {
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(LONG_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    let result = thread::scope(|s| {
        let waiter = s.spawn(|| fx.sim.lock2(fx.d, fx.a));
        thread::sleep(LET_IT_BLOCK);
        assert!(!waiter.is_finished());
        fx.remove(fx.d);
        waiter.join().unwrap()
    });
    fails(result, Error::DeviceRemoved, REMOVED);
    assert!(start.elapsed() < LONG_WAIT / 2, "woken by the removal, not by the timeout");
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (0, false));
}

#[test]
fn lock2_busy_wait_policy_times_out_with_allocation_busy() {
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(SHORT_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    let start = Instant::now();
    fails(fx.sim.lock2(fx.d, fx.a), Error::AllocationBusy, BUSY);
    assert!(start.elapsed() >= SHORT_WAIT, "returned after {:?}", start.elapsed());
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn lock2_busy_wait_policy_wakes_with_invalid_parameter_on_destroy() {
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(LONG_WAIT));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let start = Instant::now();
    let result = thread::scope(|s| {
        let waiter = s.spawn(|| fx.sim.lock2(fx.d, fx.a));
        thread::sleep(LET_IT_BLOCK);
        assert!(!waiter.is_finished());
        fx.sim.destroy_allocations(fx.d, &[fx.a]).unwrap();
        waiter.join().unwrap()
    });
    fails(result, STALE_ALLOCATION, INVALID);
    assert!(start.elapsed() < LONG_WAIT / 2, "woken by the destroy, not by the timeout");
    fails(fx.sim.query_allocation(fx.d, fx.a), STALE_ALLOCATION, INVALID);
}

#[test]
fn lock2_busy_ignore_policy_maps_busy_allocation() {
    let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Ignore));
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
}

// === GPU work and fences (abi.md §8, §9) ===

#[test]
fn fence_values_count_from_1_per_device() {
    let fx = fixture();
    assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
    assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
    assert_eq!(fx.sim.submit(fx.dev_e, &[fx.e]).unwrap(), 1);
    assert_eq!(fx.sim.submit(fx.d, &[fx.b]).unwrap(), 2);
    assert_eq!((fx.sim.last_fence(fx.d).unwrap(), fx.sim.last_fence(fx.dev_e).unwrap()), (2, 1));
    assert!(fx.busy(fx.a) && fx.busy(fx.b) && fx.busy(fx.e));
}

#[test]
fn submit_makes_allocation_busy_until_its_fence_completes() {
    let fx = fixture();
    assert!(!fx.busy(fx.a));
    let fence = fx.sim.submit(fx.d, &[fx.a]).unwrap();
    assert!(fx.busy(fx.a));
    assert!(!fx.busy(fx.b));
    fx.sim.complete_fence(fx.d, fence).unwrap();
    assert!(!fx.busy(fx.a));
}

#[test]
fn complete_fence_retires_work_up_to_value() {
    let fx = fixture();
    assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
    assert_eq!(fx.sim.submit(fx.d, &[fx.b]).unwrap(), 2);
    fx.sim.complete_fence(fx.d, 1).unwrap();
    assert_eq!((fx.busy(fx.a), fx.busy(fx.b)), (false, true));
}

#[test]
fn busy_until_last_referencing_fence_completes() {
    let fx = fixture();
    assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
    assert_eq!(fx.sim.submit(fx.d, &[fx.a, fx.a]).unwrap(), 2);
    fx.sim.complete_fence(fx.d, 1).unwrap();
    assert!(fx.busy(fx.a));
    fx.sim.complete_fence(fx.d, 2).unwrap();
    assert!(!fx.busy(fx.a));
}

#[test]
fn complete_fence_zero_does_nothing() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    let before = fx.snapshot();
    fx.sim.complete_fence(fx.d, 0).unwrap();
    assert_eq!(fx.snapshot(), before);
    assert!(fx.busy(fx.a));
}

#[test]
fn complete_fence_above_last_completes_all() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    fx.sim.submit(fx.d, &[fx.b]).unwrap();
    fx.sim.complete_fence(fx.d, 1000).unwrap();
    assert_eq!((fx.busy(fx.a), fx.busy(fx.b)), (false, false));
    assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 3, "completing does not move the fence counter");
}

#[test]
fn submit_empty_list_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.submit(fx.d, &[]));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
}

#[test]
fn submit_bad_allocation_submits_nothing() {
    let fx = fixture();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.sim.submit(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID);
    fails(fx.sim.submit(fx.d, &[fx.a, fx.e]), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert!(!fx.busy(fx.a));
    assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1, "no fence was used up");
}

#[test]
fn submit_on_removed_device_is_device_removed() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.submit(fx.d, &[fx.a]), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
}

#[test]
fn complete_fence_on_removed_device_is_device_removed() {
    let fx = fixture();
    fx.sim.submit(fx.d, &[fx.a]).unwrap();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.complete_fence(fx.d, 1), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.complete_fence(fx.d, 0), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn complete_fence_stale_device_is_invalid_parameter() {
    let fx = fixture();
    fx.sim.submit(fx.dev_e, &[fx.e]).unwrap();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.complete_fence(s, 1), STALE_DEVICE, INVALID);
    fails(fx.sim.submit(s, &[fx.e]), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert!(fx.busy(fx.e));
}

// === Device removal (abi.md §7) ===

#[test]
fn remove_device_reports_reason_in_device_state() {
    let fx = fixture();
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
    fx.sim.remove_device(fx.d, ExecutionState::ErrorDmaFault).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::ErrorDmaFault);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
    // Every reason round-trips.
    for reason in [
        ExecutionState::Reset,
        ExecutionState::Hung,
        ExecutionState::Stopped,
        ExecutionState::ErrorOutOfMemory,
        ExecutionState::ErrorDmaFault,
        ExecutionState::ErrorDmaPageFault,
    ] {
        let device = fx.sim.create_device(fx.adapter).unwrap();
        fx.sim.remove_device(device, reason).unwrap();
        assert_eq!(fx.state(device), reason);
    }
}

#[test]
fn remove_device_active_is_not_a_reason() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.remove_device(fx.d, ExecutionState::Active));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn remove_device_again_keeps_first_reason() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.remove_device(fx.d, ExecutionState::Reset), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.remove_device(fx.d, ExecutionState::Hung), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.d), ExecutionState::Hung);
}

#[test]
fn remove_device_drops_every_lock_to_zero() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    // A guard given up with into_raw still holds its reference.
    let _ = LockGuard::into_raw(fx.sim.lock2_guard(fx.d, fx.a).unwrap());
    fx.sim.lock2(fx.d, fx.b).unwrap();
    assert_eq!((fx.n(fx.a), fx.n(fx.b)), (3, 1));
    fx.remove(fx.d);
    assert_eq!((fx.n(fx.a), fx.n(fx.b)), (0, 0));
}

#[test]
fn remove_device_retires_pending_work() {
    let fx = fixture();
    assert_eq!(fx.sim.submit(fx.d, &[fx.a, fx.h]).unwrap(), 1);
    fx.remove(fx.d);
    assert_eq!((fx.busy(fx.a), fx.busy(fx.h)), (false, false));
    assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 1);
    // Other devices' work is not retired.
    fx.sim.submit(fx.dev_e, &[fx.e]).unwrap();
    let d2 = fx.sim.create_device(fx.adapter).unwrap();
    let x = fx.sim.create_allocation(d2, AllocationDesc::new(PAGE)).unwrap();
    fx.sim.submit(d2, &[x]).unwrap();
    fx.remove(d2);
    assert!(fx.busy(fx.e));
}

#[test]
fn remove_device_loses_content_as_0xdd() {
    let fx = fixture();
    let guard = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
    guard.write_at(10, b"hello").unwrap();
    guard.write_at(PAGE as usize, &[0x5A; PAGE as usize]).unwrap();
    fx.sim.remove_device(fx.d, ExecutionState::Reset).unwrap();

    let mut page = vec![0u8; PAGE as usize];
    guard.read_at(0, &mut page).unwrap();
    assert_eq!(&page[10..15], &[0xDD; 5], "written bytes read 0xDD");
    assert!(page.iter().all(|&x| x == 0xDD || x == 0), "page 0: {:?}", &page[..32]);
    guard.read_at(PAGE as usize, &mut page).unwrap();
    assert!(page.iter().all(|&x| x == 0xDD), "page 1 was written in full");
    guard.read_at(3 * PAGE as usize, &mut page).unwrap();
    assert!(page.iter().all(|&x| x == 0xDD || x == 0), "an untouched page reads 0 or 0xDD");
    drop(guard);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
#[allow(unsafe_code)]
fn remove_device_keeps_memory_mapped() {
    let fx = fixture();
    let mapping = fx.sim.lock2(fx.d, fx.a).unwrap();
    let p = mapping.as_ptr();
    // SAFETY: `a` is live and its mapping stays valid until it is destroyed
    // (Mapping's contract); offsets are inside its 4 pages; no other thread
    // touches it.
    unsafe { p.add(100).write(0x42) };
    fx.sim.remove_device(fx.d, ExecutionState::Reset).unwrap();
    // SAFETY: as above: removal keeps the memory mapped until destroy.
    let (written, far) = unsafe {
        assert_eq!(p.add(100).read(), 0xDD);
        p.add(100).write(0x17);
        (p.add(100).read(), p.add(3 * PAGE as usize + 5).read())
    };
    assert_eq!(written, 0x17);
    assert!(far == 0 || far == 0xDD);
    assert_eq!(fx.n(fx.a), 0);
    fx.sim.destroy_device(fx.d).unwrap();
}

#[test]
fn removed_device_refuses_every_other_call() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.unlock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    fails(fx.lock_entire(fx.d, fx.b, no_flags()), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.unlock(fx.d, &[fx.a]), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), Error::DeviceRemoved, REMOVED);
    fails(fx.sim.remove_device(fx.d, ExecutionState::Reset), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn removed_device_destroy_allocations_works() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.remove(fx.d);
    fx.sim.destroy_allocations(fx.d, &[fx.a]).unwrap();
    fails(fx.sim.query_allocation(fx.d, fx.a), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.n(fx.b), 0);
    assert_eq!(fx.state(fx.d), ExecutionState::Hung);
    // The removal of the rest is untouched.
    fails(fx.sim.lock2(fx.d, fx.b), Error::DeviceRemoved, REMOVED);
}

#[test]
fn removed_device_destroy_device_works() {
    let fx = fixture_with(budget_plus(0));
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.remove(fx.d);
    fx.sim.destroy_device(fx.d).unwrap();
    fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
    fails(fx.sim.query_allocation(fx.d, fx.a), STALE_DEVICE, INVALID);
    // The budget of D's allocations is free again.
    let d2 = fx.sim.create_device(fx.adapter).unwrap();
    fx.sim.create_allocation(d2, AllocationDesc::new(D_PAGES * PAGE)).unwrap();
    fails(fx.sim.create_allocation(d2, AllocationDesc::new(PAGE)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
}

#[test]
fn removed_device_query_shows_lock_count_zero() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    let live = fx.info(fx.a);
    fx.remove(fx.d);
    let before = fx.snapshot();
    let info = fx.sim.query_allocation(fx.d, fx.a).unwrap();
    assert_eq!((info.lock_count, info.busy), (0, false));
    assert_eq!((info.size, info.page_count, info.cpu_visible), (live.size, live.page_count, live.cpu_visible));
    assert_eq!(fx.sim.device_state(fx.d).unwrap(), ExecutionState::Hung);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn removed_device_destroyed_handle_is_invalid_parameter() {
    let fx = fixture();
    fx.remove(fx.d);
    fx.sim.destroy_device(fx.d).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), STALE_DEVICE, INVALID);
    fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
    fails(fx.sim.destroy_device(fx.d), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn reset_adapter_removes_every_device_with_reset() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.reset_adapter(fx.adapter).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Reset);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
    assert_eq!(fx.n(fx.a), 0);
    fails(fx.sim.lock2(fx.dev_e, fx.e), Error::DeviceRemoved, REMOVED);
}

#[test]
fn reset_adapter_keeps_first_reason_of_removed_device() {
    let fx = fixture();
    fx.sim.remove_device(fx.d, ExecutionState::ErrorDmaPageFault).unwrap();
    fx.sim.reset_adapter(fx.adapter).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::ErrorDmaPageFault);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
}

#[test]
fn reset_adapter_leaves_other_adapters_alone() {
    let fx = fixture_with(SimConfig::default().adapters(2));
    let other = fx.sim.enum_adapters(16).unwrap()[1].handle;
    assert_ne!(fx.sim.adapter_luid(other).unwrap(), fx.sim.adapter_luid(fx.adapter).unwrap());
    let f = fx.sim.create_device(other).unwrap();
    let alloc = fx.sim.create_allocation(f, AllocationDesc::new(PAGE)).unwrap();
    fx.sim.reset_adapter(fx.adapter).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Reset);
    assert_eq!(fx.state(f), ExecutionState::Active);
    fx.sim.lock2(f, alloc).unwrap();
    assert_eq!(fx.sim.query_allocation(f, alloc).unwrap().lock_count, 1);
}

#[test]
fn reset_adapter_allows_new_devices() {
    let fx = fixture();
    fx.sim.reset_adapter(fx.adapter).unwrap();
    let fresh = fx.sim.create_device(fx.adapter).unwrap();
    assert_eq!(fx.state(fresh), ExecutionState::Active);
    let alloc = fx.sim.create_allocation(fresh, AllocationDesc::new(PAGE)).unwrap();
    fx.sim.lock2(fresh, alloc).unwrap();
    fx.sim.unlock2(fresh, alloc).unwrap();
    // A second reset works too: the adapter itself is not removed.
    fx.sim.reset_adapter(fx.adapter).unwrap();
    assert_eq!(fx.state(fresh), ExecutionState::Reset);
}

#[test]
fn remove_adapter_removes_every_device_with_stopped() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.remove_adapter(fx.adapter).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Stopped);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Stopped);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn remove_adapter_luid_disappears_from_enumeration() {
    let fx = fixture_with(SimConfig::default().adapters(2));
    let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
    let other = fx.sim.enum_adapters(16).unwrap()[1].luid;
    assert_eq!(fx.sim.adapter_count(), 2);
    fx.sim.remove_adapter(fx.adapter).unwrap();
    assert_eq!(fx.sim.adapter_count(), 1);
    let listed: Vec<Luid> = fx.sim.enum_adapters(16).unwrap().iter().map(|i| i.luid).collect();
    assert_eq!(listed, vec![other]);
    invalid_parameter(fx.sim.open_adapter_from_luid(luid));
    fx.sim.open_adapter_from_luid(other).unwrap();
    assert_eq!(fx.sim.adapter_luid(fx.adapter).unwrap(), luid, "the open handle still names it");
}

#[test]
fn remove_adapter_create_device_is_device_removed() {
    let fx = fixture();
    fx.sim.remove_adapter(fx.adapter).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.create_device(fx.adapter), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn remove_adapter_then_reset_adapter_is_device_removed() {
    let fx = fixture();
    fx.sim.remove_adapter(fx.adapter).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.reset_adapter(fx.adapter), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.d), ExecutionState::Stopped);
}

#[test]
fn remove_adapter_then_remove_adapter_is_device_removed() {
    let fx = fixture();
    fx.sim.remove_adapter(fx.adapter).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.remove_adapter(fx.adapter), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Stopped);
}

// === Destroying (abi.md §3) ===

#[test]
fn destroy_allocations_locked_allocation_is_destroyed() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
    fx.sim.lock2(fx.d, fx.b).unwrap();
    let b_before = fx.info(fx.b);
    fx.sim.destroy_allocations(fx.d, &[fx.a]).unwrap();
    fails(fx.sim.query_allocation(fx.d, fx.a), STALE_ALLOCATION, INVALID);
    fails(fx.sim.lock2(fx.d, fx.a), STALE_ALLOCATION, INVALID);
    fails(fx.sim.unlock2(fx.d, fx.a), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.info(fx.b), b_before);
}

#[test]
fn destroy_allocations_busy_allocation_is_destroyed() {
    let fx = fixture_with(budget_plus(0));
    assert_eq!(fx.sim.submit(fx.d, &[fx.a, fx.b]).unwrap(), 1);
    fx.sim.destroy_allocations(fx.d, &[fx.a]).unwrap();
    fails(fx.sim.query_allocation(fx.d, fx.a), STALE_ALLOCATION, INVALID);
    assert!(fx.busy(fx.b));
    fx.sim.complete_fence(fx.d, 1).unwrap();
    assert!(!fx.busy(fx.b));
    // Its pages went back to the budget.
    fx.sim.create_allocation(fx.d, AllocationDesc::new(4 * PAGE)).unwrap();
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
}

#[test]
fn destroy_allocations_empty_list_does_nothing() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    let before = fx.snapshot();
    fx.sim.destroy_allocations(fx.d, &[]).unwrap();
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn destroy_allocations_duplicate_destroys_nothing() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.destroy_allocations(fx.d, &[fx.a, fx.b, fx.a]));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn destroy_allocations_stale_handle_destroys_nothing() {
    let fx = fixture();
    let x = fx.stale_allocation();
    let before = fx.snapshot();
    fails(fx.sim.destroy_allocations(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn destroy_allocations_other_device_destroys_nothing() {
    let fx = fixture();
    let before = fx.snapshot();
    fails(fx.sim.destroy_allocations(fx.d, &[fx.a, fx.e]), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn destroy_allocations_empty_list_on_stale_device_is_invalid_parameter() {
    let fx = fixture();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.destroy_allocations(s, &[]), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn destroy_device_destroys_locked_and_busy_allocations() {
    let fx = fixture_with(budget_plus(0));
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.submit(fx.d, &[fx.b]).unwrap();
    fx.sim.destroy_device(fx.d).unwrap();
    fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
    fails(fx.sim.lock2(fx.d, fx.a), STALE_DEVICE, INVALID);
    let d2 = fx.sim.create_device(fx.adapter).unwrap();
    fails(fx.sim.query_allocation(d2, fx.b), STALE_ALLOCATION, INVALID);
    // All of D's pages are free again; E is untouched.
    fx.sim.create_allocation(d2, AllocationDesc::new(D_PAGES * PAGE)).unwrap();
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
    assert_eq!(fx.n(fx.e), 0);
}

#[test]
fn destroy_device_stale_is_invalid_parameter() {
    let fx = fixture();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.destroy_device(s), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

// === Adapters and devices (abi.md §3) ===

#[test]
fn enum_adapters_too_small_is_buffer_too_small() {
    let fx = fixture_with(SimConfig::default().adapters(2));
    let before = fx.snapshot();
    fails(fx.sim.enum_adapters(1), Error::BufferTooSmall { needed: 2 }, NtStatus::BUFFER_TOO_SMALL);
    assert_eq!(fx.snapshot(), before);
    let list = fx.sim.enum_adapters(2).unwrap();
    assert_eq!(list.len(), 2);
    assert_ne!(list[0].luid, list[1].luid);
    assert_ne!(list[0].handle, list[1].handle);
    for info in &list {
        assert_eq!(fx.sim.adapter_luid(info.handle).unwrap(), info.luid);
    }
}

#[test]
fn open_adapter_unknown_luid_is_invalid_parameter() {
    let fx = fixture();
    let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
    let unknown = Luid { low: luid.low ^ 0xFFFF_0000, high: luid.high };
    let before = fx.snapshot();
    invalid_parameter(fx.sim.open_adapter_from_luid(unknown));
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.sim.adapter_luid(fx.sim.open_adapter_from_luid(luid).unwrap()).unwrap(), luid);
}

#[test]
fn close_adapter_keeps_its_devices() {
    let fx = fixture();
    fx.sim.close_adapter(fx.adapter).unwrap();
    fails(fx.sim.adapter_luid(fx.adapter), STALE_ADAPTER, INVALID);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    assert_eq!(fx.n(fx.a), 1);
}

#[test]
fn close_adapter_stale_is_invalid_parameter() {
    let fx = fixture();
    fx.sim.close_adapter(fx.adapter).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.close_adapter(fx.adapter), STALE_ADAPTER, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn create_device_stale_adapter_is_invalid_parameter() {
    let fx = fixture();
    fx.sim.close_adapter(fx.adapter).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.create_device(fx.adapter), STALE_ADAPTER, INVALID);
    assert_eq!(fx.snapshot(), before);
}

// === Allocations (abi.md §4) ===

#[test]
fn create_allocation_past_budget_is_no_video_memory() {
    let fx = fixture_with(budget_plus(8));
    let before = fx.snapshot();
    let descs = [AllocationDesc::new(4 * PAGE), AllocationDesc::new(8 * PAGE)];
    fails(fx.sim.create_allocations(fx.d, &descs), Error::NoVideoMemory, NO_VIDEO_MEMORY);
    assert_eq!(fx.snapshot(), before);
    // Nothing was charged: all 8 pages are still there, and no more.
    fx.sim.create_allocation(fx.d, AllocationDesc::new(8 * PAGE)).unwrap();
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
}

#[test]
fn create_allocation_size_zero_is_invalid_parameter() {
    let fx = fixture_with(budget_plus(1));
    let before = fx.snapshot();
    invalid_parameter(fx.sim.create_allocations(fx.d, &[AllocationDesc::new(PAGE), AllocationDesc::new(0)]));
    invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(0)));
    assert_eq!(fx.snapshot(), before);
    fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
}

#[test]
fn create_allocations_empty_list_is_invalid_parameter() {
    let fx = fixture();
    let before = fx.snapshot();
    invalid_parameter(fx.sim.create_allocations(fx.d, &[]));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn create_allocations_removed_device_beats_empty_list() {
    let fx = fixture();
    fx.remove(fx.d);
    let before = fx.snapshot();
    fails(fx.sim.create_allocations(fx.d, &[]), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn create_allocation_stale_device_is_invalid_parameter() {
    let fx = fixture();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.create_allocation(s, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
#[allow(unsafe_code)]
fn create_allocation_misaligned_system_memory_is_invalid_parameter() {
    let fx = fixture_with(budget_plus(1));
    let mut buffer = vec![0xABu8; 3 * PAGE as usize];
    let base = buffer.as_mut_ptr();
    let aligned = (PAGE as usize - base as usize % PAGE as usize) % PAGE as usize;
    // SAFETY: `aligned + 1 + PAGE` bytes fit in the buffer, which outlives
    // the simulator's use of it: creation fails, so nothing keeps it.
    let memory = unsafe { SystemMemory::new(base.add(aligned + 1), PAGE as usize) };
    let before = fx.snapshot();
    invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE).with_system_memory(memory)));
    assert_eq!(fx.snapshot(), before);
    assert!(buffer.iter().all(|&x| x == 0xAB), "the caller's memory was not touched");
    // Nothing was charged against the budget.
    fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
}

#[test]
fn create_allocation_system_memory_is_touched_only_up_to_its_size() {
    let fx = fixture();
    // Two pages of caller memory, page-aligned; the allocation asks for 100
    // bytes of it, so it is one page and only bytes 0..100 are the caller's.
    let layout = std::alloc::Layout::from_size_align(2 * PAGE as usize, PAGE as usize).unwrap();
    // SAFETY: a non-zero-sized layout.
    let buffer = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!buffer.is_null());
    // SAFETY: the buffer is 2 pages, freed at the end of the test after the
    // allocation is destroyed.
    unsafe { core::ptr::write_bytes(buffer, 0x5A, 2 * PAGE as usize) };
    let memory = unsafe { SystemMemory::new(buffer, 100) };
    let short = unsafe { SystemMemory::new(buffer, 99) };
    invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(100).with_system_memory(short)));

    let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(100).with_system_memory(memory)).unwrap();
    assert_eq!(fx.info(alloc).size, PAGE, "the allocation is page-rounded");
    let guard = fx.sim.lock2_guard(fx.d, alloc).unwrap();
    assert_eq!(guard.mapping().as_ptr(), buffer, "the caller's memory backs it");
    guard.write_at(0, &[7; 100]).unwrap();
    invalid_parameter(guard.write_at(100, &[7]));
    drop(guard);
    fx.remove(fx.d);
    // SAFETY: the buffer is live and 2 pages long.
    let bytes = unsafe { std::slice::from_raw_parts(buffer, 2 * PAGE as usize) };
    assert!(bytes[..100].iter().all(|&x| x == 0xDD), "the caller's 100 bytes are lost");
    assert!(bytes[100..].iter().all(|&x| x == 0x5A), "nothing past them was touched");
    fx.sim.destroy_allocations(fx.d, &[alloc]).unwrap();
    // SAFETY: allocated above with this layout; the simulator no longer uses it.
    unsafe { std::alloc::dealloc(buffer, layout) };
}

#[test]
fn create_allocation_too_large_to_represent_is_no_video_memory() {
    let fx = fixture_with(SimConfig::default().adapter_memory(u64::MAX));
    let before = fx.snapshot();
    // Rounding u64::MAX up to a page overflows; 2^32 pages cannot be
    // addressed by a page list: both are past any budget, and a bad
    // description after them still wins (descriptions are checked first).
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(u64::MAX)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE << 32)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
    invalid_parameter(fx.sim.create_allocations(fx.d, &[AllocationDesc::new(u64::MAX), AllocationDesc::new(0)]));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn create_allocation_rounds_size_to_pages() {
    let fx = fixture();
    let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE + 1)).unwrap();
    let info = fx.sim.query_allocation(fx.d, alloc).unwrap();
    assert_eq!((info.size, info.page_count, info.lock_count, info.busy), (2 * PAGE, 2, 0, false));
    assert!(info.cpu_visible);
    assert_eq!(fx.sim.lock2(fx.d, alloc).unwrap().len() as u64, 2 * PAGE);
    assert!(!fx.info(fx.h).cpu_visible);
}

#[test]
fn allocation_content_survives_lock_cycles() {
    let fx = fixture();
    fx.sim.lock2_guard(fx.d, fx.a).unwrap().write_at(5000, b"texels").unwrap();
    for _ in 0..3 {
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.sim.unlock(fx.d, &[fx.a]).unwrap();
    }
    let guard = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
    let mut buf = [0u8; 6];
    guard.read_at(5000, &mut buf).unwrap();
    assert_eq!(&buf, b"texels");
    assert_eq!(fx.n(fx.a), 1);
}

// === Handles (abi.md §3) ===

#[test]
fn handle_zero_and_wrong_kind_are_unrepresentable() {
    let fx = fixture();
    let before = fx.snapshot();
    assert_eq!(AdapterHandle::from_raw(0), None);
    assert_eq!(DeviceHandle::from_raw(0), None);
    assert_eq!(AllocationHandle::from_raw(0), None);
    assert_eq!(DeviceHandle::from_raw(fx.a.raw()), None);
    assert_eq!(DeviceHandle::from_raw(fx.adapter.raw()), None);
    assert_eq!(AllocationHandle::from_raw(fx.d.raw()), None);
    assert_eq!(AllocationHandle::from_raw(fx.adapter.raw()), None);
    assert_eq!(AdapterHandle::from_raw(fx.d.raw()), None);
    assert_eq!(AdapterHandle::from_raw(fx.a.raw()), None);
    // The right kind round-trips.
    assert_eq!(DeviceHandle::from_raw(fx.d.raw()), Some(fx.d));
    assert_eq!(AllocationHandle::from_raw(fx.a.raw()), Some(fx.a));
    assert_eq!(AdapterHandle::from_raw(fx.adapter.raw()), Some(fx.adapter));
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn handle_never_issued_is_invalid_parameter() {
    let fx = fixture();
    // Raw layout: generation in bits 24..32, slot index in 2..24, kind in 0..2.
    let devices = [(200 << 24) | 2, (1000 << 2) | 2].map(|raw| DeviceHandle::from_raw(raw).unwrap());
    let allocations = [(200 << 24) | 3, (5000 << 2) | 3].map(|raw| AllocationHandle::from_raw(raw).unwrap());
    let adapters = [(200 << 24) | 1, (1000 << 2) | 1].map(|raw| AdapterHandle::from_raw(raw).unwrap());
    let before = fx.snapshot();
    for device in devices {
        fails(fx.sim.lock2(device, fx.a), STALE_DEVICE, INVALID);
        fails(fx.sim.unlock2(device, fx.a), STALE_DEVICE, INVALID);
        fails(fx.sim.device_state(device), STALE_DEVICE, INVALID);
        fails(fx.sim.destroy_device(device), STALE_DEVICE, INVALID);
        fails(fx.sim.create_allocation(device, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID);
    }
    for alloc in allocations {
        fails(fx.sim.lock2(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.sim.unlock2(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.lock_entire(fx.d, alloc, no_flags()), STALE_ALLOCATION, INVALID);
        fails(fx.sim.unlock(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
        fails(fx.sim.query_allocation(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.sim.submit(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
        fails(fx.sim.destroy_allocations(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
    }
    for adapter in adapters {
        fails(fx.sim.create_device(adapter), STALE_ADAPTER, INVALID);
        fails(fx.sim.adapter_luid(adapter), STALE_ADAPTER, INVALID);
        fails(fx.sim.close_adapter(adapter), STALE_ADAPTER, INVALID);
    }
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn handle_stale_device_is_invalid_parameter_everywhere() {
    let fx = fixture();
    fx.sim.lock2(fx.dev_e, fx.e).unwrap();
    let s = fx.stale_device();
    let before = fx.snapshot();
    fails(fx.sim.lock2(s, fx.e), STALE_DEVICE, INVALID);
    fails(fx.sim.unlock2(s, fx.e), STALE_DEVICE, INVALID);
    fails(fx.lock_entire(s, fx.e, no_flags()), STALE_DEVICE, INVALID);
    fails(fx.sim.unlock(s, &[fx.e]), STALE_DEVICE, INVALID);
    fails(fx.sim.create_allocation(s, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID);
    fails(fx.sim.destroy_allocations(s, &[fx.e]), STALE_DEVICE, INVALID);
    fails(fx.sim.destroy_device(s), STALE_DEVICE, INVALID);
    fails(fx.sim.device_state(s), STALE_DEVICE, INVALID);
    fails(fx.sim.query_allocation(s, fx.e), STALE_DEVICE, INVALID);
    fails(fx.sim.submit(s, &[fx.e]), STALE_DEVICE, INVALID);
    fails(fx.sim.complete_fence(s, 1), STALE_DEVICE, INVALID);
    fails(fx.sim.remove_device(s, ExecutionState::Hung), STALE_DEVICE, INVALID);
    fails(fx.sim.last_fence(s), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn handle_stale_allocation_is_invalid_parameter_everywhere() {
    let fx = fixture();
    let x = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    fx.sim.lock2(fx.d, x).unwrap();
    fx.sim.submit(fx.d, &[x]).unwrap();
    fx.sim.destroy_allocations(fx.d, &[x]).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
    fails(fx.sim.unlock2(fx.d, x), STALE_ALLOCATION, INVALID);
    fails(fx.lock_entire(fx.d, x, no_flags()), STALE_ALLOCATION, INVALID);
    fails(fx.sim.unlock(fx.d, &[x]), STALE_ALLOCATION, INVALID);
    fails(fx.sim.destroy_allocations(fx.d, &[x]), STALE_ALLOCATION, INVALID);
    fails(fx.sim.query_allocation(fx.d, x), STALE_ALLOCATION, INVALID);
    fails(fx.sim.submit(fx.d, &[x]), STALE_ALLOCATION, INVALID);
    assert_eq!(fx.snapshot(), before);
    // The work that referenced it still completes normally.
    fx.sim.complete_fence(fx.d, 1).unwrap();
}

#[test]
fn handle_stale_adapter_is_invalid_parameter_everywhere() {
    let fx = fixture();
    let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
    let closed = fx.sim.open_adapter_from_luid(luid).unwrap();
    fx.sim.close_adapter(closed).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.create_device(closed), STALE_ADAPTER, INVALID);
    fails(fx.sim.reset_adapter(closed), STALE_ADAPTER, INVALID);
    fails(fx.sim.remove_adapter(closed), STALE_ADAPTER, INVALID);
    fails(fx.sim.adapter_luid(closed), STALE_ADAPTER, INVALID);
    fails(fx.sim.close_adapter(closed), STALE_ADAPTER, INVALID);
    // Neither reset nor removed: devices active, LUID still enumerated.
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
    assert_eq!(fx.sim.adapter_count(), 1);
}

#[test]
fn handle_of_other_device_is_invalid_parameter_everywhere() {
    let fx = fixture();
    fx.sim.lock2(fx.dev_e, fx.e).unwrap();
    fx.sim.submit(fx.dev_e, &[fx.e]).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.e), Error::WrongDevice, INVALID);
    fails(fx.sim.unlock2(fx.d, fx.e), Error::WrongDevice, INVALID);
    fails(fx.lock_entire(fx.d, fx.e, LockFlags::IGNORE_SYNC), Error::WrongDevice, INVALID);
    fails(fx.sim.unlock(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
    fails(fx.sim.destroy_allocations(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
    fails(fx.sim.query_allocation(fx.d, fx.e), Error::WrongDevice, INVALID);
    fails(fx.sim.submit(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
    assert_eq!(fx.snapshot(), before);
    assert_eq!((fx.n(fx.e), fx.busy(fx.e)), (1, true));
}

#[test]
fn handle_not_reissued_within_4096_creations() {
    let fx = fixture();
    let mut dead_allocations = HashSet::new();
    let mut dead_devices = HashSet::new();
    let x = fx.stale_allocation();
    let s = fx.stale_device();
    dead_allocations.insert(x);
    dead_devices.insert(s);
    for _ in 0..4096 {
        let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
        assert!(dead_allocations.insert(alloc), "{alloc:?} was handed out again");
        fx.sim.destroy_allocations(fx.d, &[alloc]).unwrap();
        let device = fx.sim.create_device(fx.adapter).unwrap();
        assert!(dead_devices.insert(device), "{device:?} was handed out again");
        fx.sim.destroy_device(device).unwrap();
    }
    fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
    fails(fx.sim.device_state(s), STALE_DEVICE, INVALID);
}

#[test]
fn handle_values_unique_across_kinds() {
    let fx = fixture_with(SimConfig::default().adapters(3));
    let mut raw: Vec<u32> = vec![fx.adapter.raw(), fx.d.raw(), fx.dev_e.raw()];
    raw.extend([fx.a, fx.b, fx.h, fx.e].map(|x| x.raw()));
    raw.extend(fx.sim.enum_adapters(16).unwrap().iter().map(|i| i.handle.raw()));
    for _ in 0..3 {
        let device = fx.sim.create_device(fx.adapter).unwrap();
        raw.push(device.raw());
        for _ in 0..3 {
            raw.push(fx.sim.create_allocation(device, AllocationDesc::new(PAGE)).unwrap().raw());
        }
    }
    assert!(raw.iter().all(|&r| r != 0));
    let distinct: HashSet<u32> = raw.iter().copied().collect();
    assert_eq!(distinct.len(), raw.len(), "handles {raw:x?}");
}

// === Faults (abi.md §9) ===

fn return_status(status: NtStatus) -> FaultAction {
    FaultAction::ReturnStatus(status)
}

#[test]
fn fault_return_status_changes_nothing() {
    let fx = fixture_with(budget_plus(1));
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(REMOVED))).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(REMOVED), REMOVED);
    assert_eq!(fx.snapshot(), before, "Lock2: not locked, device not removed");

    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, return_status(NtStatus::UNSUCCESSFUL))).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(fx.d, fx.a), Error::Injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL);
    assert_eq!(fx.snapshot(), before, "Unlock2: still locked");

    fx.sim.inject_fault(Fault::new(FaultCall::CreateAllocation, return_status(NtStatus::NO_MEMORY))).unwrap();
    let before = fx.snapshot();
    fails(
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)),
        Error::Injected(NtStatus::NO_MEMORY),
        NtStatus::NO_MEMORY,
    );
    assert_eq!(fx.snapshot(), before);

    fx.sim.inject_fault(Fault::new(FaultCall::DestroyAllocation, return_status(BUSY))).unwrap();
    fails(fx.sim.destroy_allocations(fx.d, &[fx.b]), Error::Injected(BUSY), BUSY);
    fx.sim.inject_fault(Fault::new(FaultCall::DestroyDevice, return_status(BUSY))).unwrap();
    fails(fx.sim.destroy_device(fx.dev_e), Error::Injected(BUSY), BUSY);
    assert_eq!(fx.snapshot(), before, "nothing destroyed");

    // The budget was not charged by the failed creation: one page is left.
    fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), Error::NoVideoMemory, NO_VIDEO_MEMORY);
}

#[test]
fn fault_fires_on_nth_for_count_calls() {
    let fx = fixture();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY)).nth(2).count(2)).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    // Calls of other entry points do not count.
    fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
    fx.sim.unlock2(fx.d, fx.b).unwrap();
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(BUSY), BUSY);
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(BUSY), BUSY);
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.n(fx.a), 3);
}

#[test]
fn fault_counts_calls_with_bad_handles() {
    let fx = fixture();
    let x = fx.stale_allocation();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::UNSUCCESSFUL)).nth(2)).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL);
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn fault_remove_device_sets_hung_then_call_sees_removal() {
    let fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
    fails(fx.sim.lock2(fx.d, fx.a), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.state(fx.d), ExecutionState::Hung);
    assert_eq!(fx.n(fx.a), 0);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
}

#[test]
fn fault_remove_device_with_bad_handle_removes_nothing() {
    let fx = fixture();
    let s = fx.stale_device();
    fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, FaultAction::RemoveDevice)).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.unlock2(s, fx.a), STALE_DEVICE, INVALID);
    assert_eq!(fx.snapshot(), before);
    // The fault is spent: the next Unlock2 fails as usual, on an active device.
    fails(fx.sim.unlock2(fx.d, fx.a), Error::NotLocked, INVALID);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn fault_reset_adapter_then_call_sees_removal() {
    let fx = fixture();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock, FaultAction::ResetAdapter)).unwrap();
    fails(fx.lock_entire(fx.d, fx.a, no_flags()), Error::DeviceRemoved, REMOVED);
    assert_eq!(fx.state(fx.d), ExecutionState::Reset);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
    assert_eq!(fx.n(fx.a), 0);
}

#[test]
fn fault_reset_adapter_on_create_device_creates_on_reset_adapter() {
    let fx = fixture();
    fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, FaultAction::ResetAdapter)).unwrap();
    let fresh = fx.sim.create_device(fx.adapter).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Reset);
    assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
    assert_eq!(fx.state(fresh), ExecutionState::Active);
}

#[test]
fn fault_return_status_beats_side_effects_on_same_call() {
    let fx = fixture();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::UNSUCCESSFUL))).unwrap();
    let before = fx.snapshot();
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL);
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn fault_validation_rejects_success_status() {
    let fx = fixture();
    invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::SUCCESS))));
    invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::TIMEOUT))));
    // Nothing was armed.
    fx.sim.lock2(fx.d, fx.a).unwrap();
}

#[test]
fn fault_validation_remove_device_needs_a_device_call() {
    let fx = fixture();
    invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::OpenAdapter, FaultAction::RemoveDevice)));
    invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, FaultAction::RemoveDevice)));
    let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
    fx.sim.open_adapter_from_luid(luid).unwrap();
    let fresh = fx.sim.create_device(fx.adapter).unwrap();
    assert_eq!(fx.state(fresh), ExecutionState::Active);
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn fault_validation_reset_adapter_needs_a_device_or_adapter_call() {
    let fx = fixture();
    invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::OpenAdapter, FaultAction::ResetAdapter)));
    let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
    fx.sim.open_adapter_from_luid(luid).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn fault_belongs_to_one_simulator() {
    let first = fixture();
    let second = fixture();
    first.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
    second.sim.lock2(second.d, second.a).unwrap();
    fails(first.sim.lock2(first.d, first.a), Error::Injected(BUSY), BUSY);
}

#[test]
fn fault_clear_disarms_every_fault() {
    let fx = fixture();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, FaultAction::RemoveDevice)).unwrap();
    fx.sim.clear_faults();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.unlock2(fx.d, fx.a).unwrap();
    assert_eq!(fx.state(fx.d), ExecutionState::Active);
}

#[test]
fn reset_destroys_every_object_and_disarms_faults() {
    let mut fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.submit(fx.d, &[fx.b]).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, return_status(BUSY))).unwrap();
    fx.sim.reset(SimConfig::default().adapters(2).max_lock_references(1)).unwrap();
    // The old objects are gone (the new simulator has no device yet).
    fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
    fails(fx.sim.lock2(fx.dev_e, fx.e), STALE_DEVICE, INVALID);
    fails(fx.sim.create_device(fx.adapter), STALE_ADAPTER, INVALID);
    // The new configuration is in force, and the fault is gone.
    assert_eq!(fx.sim.adapter_count(), 2);
    let adapter = fx.sim.enum_adapters(2).unwrap()[0].handle;
    let d = fx.sim.create_device(adapter).unwrap();
    let a = fx.sim.create_allocation(d, AllocationDesc::new(PAGE)).unwrap();
    fx.sim.lock2(d, a).unwrap();
    fails(fx.sim.lock2(d, a), Error::TooManyReferences, TOO_MANY);
}

#[test]
fn reset_issues_the_handles_of_a_new_simulator() {
    let config = SimConfig::default().adapters(3).seed(99);
    let script = |sim: &Simulator| {
        let adapters = sim.enum_adapters(3).unwrap();
        let d = sim.create_device(adapters[1].handle).unwrap();
        let allocs = sim.create_allocations(d, &[AllocationDesc::new(PAGE); 4]).unwrap();
        sim.destroy_allocations(d, &allocs[1..2]).unwrap();
        let again = sim.create_allocation(d, AllocationDesc::new(PAGE)).unwrap();
        (adapters, d, allocs, again)
    };
    let expected = script(&Simulator::new(config.clone()).unwrap());
    let mut fx = fixture();
    fx.sim.reset(config).unwrap();
    assert_eq!(script(&fx.sim), expected, "handles and LUIDs equal a new simulator's");
}

#[test]
fn reset_invalid_config_changes_nothing() {
    let mut fx = fixture();
    fx.sim.lock2(fx.d, fx.a).unwrap();
    fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
    let before = fx.snapshot();
    for bad in [
        SimConfig::default().adapters(0),
        SimConfig::default().adapters(17),
        SimConfig::default().page_size(6000),
        SimConfig::default().max_lock_references(0),
        SimConfig::default().wait_timeout(Duration::MAX),
    ] {
        invalid_parameter(fx.sim.reset(bad));
    }
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.sim.config(), SimConfig::default());
    fails(fx.sim.lock2(fx.d, fx.a), Error::Injected(BUSY), BUSY);
}

// === the table and this file stay in sync ===

/// The `id` column of every table row in `docs/lock-states.md`.
fn table_ids() -> Vec<String> {
    let table = include_str!("../docs/lock-states.md");
    let mut ids = Vec::new();
    let mut in_table_with_id = false;
    for line in table.lines().map(str::trim) {
        if !line.starts_with('|') {
            in_table_with_id = false;
            continue;
        }
        let first = line.trim_matches('|').split('|').next().unwrap_or("").trim();
        if first == "id" {
            in_table_with_id = true;
            continue;
        }
        if !in_table_with_id || first.starts_with("---") {
            continue;
        }
        ids.push(first.trim_matches('`').to_owned());
    }
    ids
}

/// The names of the `#[test]` functions in this file.
fn test_names() -> Vec<String> {
    let source = include_str!("contract.rs");
    source
        .split("#[test]")
        .skip(1)
        .filter_map(|after| {
            // Attributes such as `#[allow(..)]` may sit between `#[test]` and `fn`.
            let rest = after.trim_start();
            let rest = rest.lines().map(str::trim).find(|l| !l.starts_with("#["))?;
            let name = rest.strip_prefix("fn ")?;
            Some(name.split('(').next()?.trim().to_owned())
        })
        .collect()
}

#[test]
fn table_and_tests_stay_in_sync() {
    let ids = table_ids();
    let tests: Vec<String> = test_names().into_iter().filter(|n| n != "table_and_tests_stay_in_sync").collect();
    assert!(ids.len() >= 100, "only {} rows parsed", ids.len());

    let mut seen = HashSet::new();
    for id in &ids {
        assert!(seen.insert(id), "row id `{id}` appears twice in docs/lock-states.md");
        assert!(
            !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "row id `{id}` is not snake_case"
        );
    }
    let mut seen = HashSet::new();
    for name in &tests {
        assert!(seen.insert(name), "test `{name}` is defined twice");
    }

    let rows: HashSet<&String> = ids.iter().collect();
    let fns: HashSet<&String> = tests.iter().collect();
    let mut untested: Vec<_> = rows.difference(&fns).collect();
    let mut unlisted: Vec<_> = fns.difference(&rows).collect();
    untested.sort();
    unlisted.sort();
    assert!(
        untested.is_empty() && unlisted.is_empty(),
        "rows without a test: {untested:?}\ntests without a row: {unlisted:?}"
    );
}
