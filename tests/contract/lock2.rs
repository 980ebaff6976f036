//! Lock2: the check order (docs/contract.md §5).
//!
//! The rows of the section "Lock2 — the check order" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn lock2_stale_device_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.lock2(s, fx.e), STALE_DEVICE, INVALID));
    }

    fn lock2_removed_device_is_device_removed() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED));
    }

    fn lock2_removed_device_beats_bad_allocation() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, x), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.lock2(fx.d, fx.e), ErrorKind::DeviceRemoved, REMOVED);
            // It beats rule 5 as well.
            fails(fx.sim.lock2(fx.d, fx.h), ErrorKind::DeviceRemoved, REMOVED);
        });
        assert_eq!(fx.n(fx.e), 0);
    }

    fn lock2_no_fast_path_skips_removal_of_locked_allocation() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.remove(fx.d);
        assert_eq!(fx.n(fx.a), 0);
        fx.unchanged_by(|| {
            for _ in 0..3 {
                fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED);
            }
        });
    }

    fn lock2_stale_allocation_is_invalid_parameter() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID));
    }

    fn lock2_allocation_of_other_device_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.e), ErrorKind::WrongDevice, INVALID));
    }

    fn lock2_not_cpu_visible_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.h), ErrorKind::NotCpuVisible, INVALID));
    }

    fn lock2_not_cpu_visible_beats_busy() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.h]).unwrap();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.h), ErrorKind::NotCpuVisible, INVALID));
        assert!(fx.busy(fx.h));
    }

    fn lock2_busy_beats_limit() {
        let fx = fixture_with(SimConfig::default().max_lock_references(2));
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::AllocationBusy, BUSY));
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (2, true));
    }

    fn lock2_at_limit_is_too_many_references() {
        let fx = fixture_with(SimConfig::default().max_lock_references(2));
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::TooManyReferences, TOO_MANY));
        assert_eq!(fx.n(fx.a), 2);
    }

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

    fn lock2_nested_locks_return_same_address() {
        let fx = fixture();
        let first = fx.sim.lock2(fx.d, fx.a).unwrap();
        assert_eq!(fx.n(fx.a), 1);
        let second = fx.sim.lock2(fx.d, fx.a).unwrap();
        assert_eq!(second, first);
        assert_eq!(fx.n(fx.a), 2);
    }

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

    fn lock2_default_limit_is_1024_per_allocation() {
        let fx = fixture();
        assert_eq!(fx.sim.config().max_lock_references, 1024);
        for _ in 0..1024 {
            fx.sim.lock2(fx.d, fx.a).unwrap();
        }
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::TooManyReferences, TOO_MANY));
        fx.sim.lock2(fx.d, fx.b).unwrap();
        assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1024, 1));
    }
);
