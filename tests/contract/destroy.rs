//! Destroying allocations and devices (docs/contract.md §3).
//!
//! The rows of the section "Destroying" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
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
        fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
    }

    fn destroy_allocations_empty_list_does_nothing() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.unchanged_by(|| fx.sim.destroy_allocations(fx.d, &[]).unwrap());
    }

    fn destroy_allocations_duplicate_destroys_nothing() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.sim.destroy_allocations(fx.d, &[fx.a, fx.b, fx.a])));
    }

    fn destroy_allocations_stale_handle_destroys_nothing() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| fails(fx.sim.destroy_allocations(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID));
    }

    fn destroy_allocations_other_device_destroys_nothing() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.sim.destroy_allocations(fx.d, &[fx.a, fx.e]), ErrorKind::WrongDevice, INVALID));
    }

    fn destroy_allocations_empty_list_on_stale_device_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.destroy_allocations(s, &[]), STALE_DEVICE, INVALID));
    }

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

    fn destroy_device_stale_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.destroy_device(s), STALE_DEVICE, INVALID));
    }
);
