//! Busy policies for Lock2 (docs/contract.md §8).
//!
//! The rows of the section "Busy policies for Lock2" of docs/lock-states.md, one test each.

use std::thread;
use std::time::Instant;

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn lock2_busy_fail_policy_is_allocation_busy() {
        let fx = fixture();
        assert_eq!(fx.sim.config().busy_policy, BusyPolicy::Fail);
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::AllocationBusy, BUSY));
    }

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
        fails(result, ErrorKind::DeviceRemoved, REMOVED);
        assert!(start.elapsed() < LONG_WAIT / 2, "woken by the removal, not by the timeout");
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (0, false));
    }

    fn lock2_busy_wait_policy_times_out_with_allocation_busy() {
        let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(SHORT_WAIT));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| {
            let start = Instant::now();
            fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::AllocationBusy, BUSY);
            assert!(start.elapsed() >= SHORT_WAIT, "returned after {:?}", start.elapsed());
        });
    }

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

    fn lock2_busy_ignore_policy_maps_busy_allocation() {
        let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Ignore));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
    }
);
