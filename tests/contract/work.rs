//! GPU work and fences (docs/contract.md §8, §9).
//!
//! The rows of the section "GPU work and fences" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn fence_values_count_from_1_per_device() {
        let fx = fixture();
        assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
        assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
        assert_eq!(fx.sim.submit(fx.dev_e, &[fx.e]).unwrap(), 1);
        assert_eq!(fx.sim.submit(fx.d, &[fx.b]).unwrap(), 2);
        assert_eq!((fx.sim.last_fence(fx.d).unwrap(), fx.sim.last_fence(fx.dev_e).unwrap()), (2, 1));
        assert!(fx.busy(fx.a) && fx.busy(fx.b) && fx.busy(fx.e));
    }

    fn submit_makes_allocation_busy_until_its_fence_completes() {
        let fx = fixture();
        assert!(!fx.busy(fx.a));
        let fence = fx.sim.submit(fx.d, &[fx.a]).unwrap();
        assert!(fx.busy(fx.a));
        assert!(!fx.busy(fx.b));
        fx.sim.complete_fence(fx.d, fence).unwrap();
        assert!(!fx.busy(fx.a));
    }

    fn complete_fence_retires_work_up_to_value() {
        let fx = fixture();
        assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
        assert_eq!(fx.sim.submit(fx.d, &[fx.b]).unwrap(), 2);
        fx.sim.complete_fence(fx.d, 1).unwrap();
        assert_eq!((fx.busy(fx.a), fx.busy(fx.b)), (false, true));
    }

    fn busy_until_last_referencing_fence_completes() {
        let fx = fixture();
        assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1);
        assert_eq!(fx.sim.submit(fx.d, &[fx.a, fx.a]).unwrap(), 2);
        fx.sim.complete_fence(fx.d, 1).unwrap();
        assert!(fx.busy(fx.a));
        fx.sim.complete_fence(fx.d, 2).unwrap();
        assert!(!fx.busy(fx.a));
    }

    fn complete_fence_zero_does_nothing() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| fx.sim.complete_fence(fx.d, 0).unwrap());
        assert!(fx.busy(fx.a));
    }

    fn complete_fence_above_last_completes_all() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.sim.submit(fx.d, &[fx.b]).unwrap();
        fx.sim.complete_fence(fx.d, 1000).unwrap();
        assert_eq!((fx.busy(fx.a), fx.busy(fx.b)), (false, false));
        assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 3, "completing does not move the fence counter");
    }

    fn submit_empty_list_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.sim.submit(fx.d, &[])));
        assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
    }

    fn submit_bad_allocation_submits_nothing() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| {
            fails(fx.sim.submit(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID);
            fails(fx.sim.submit(fx.d, &[fx.a, fx.e]), ErrorKind::WrongDevice, INVALID);
        });
        assert!(!fx.busy(fx.a));
        assert_eq!(fx.sim.submit(fx.d, &[fx.a]).unwrap(), 1, "no fence was used up");
    }

    fn submit_on_removed_device_is_device_removed() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.sim.submit(fx.d, &[fx.a]), ErrorKind::DeviceRemoved, REMOVED));
        assert_eq!(fx.sim.last_fence(fx.d).unwrap(), 0);
    }

    fn complete_fence_on_removed_device_is_device_removed() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.complete_fence(fx.d, 1), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.complete_fence(fx.d, 0), ErrorKind::DeviceRemoved, REMOVED);
        });
    }

    fn complete_fence_stale_device_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.submit(fx.dev_e, &[fx.e]).unwrap();
        let s = fx.stale_device();
        fx.unchanged_by(|| {
            fails(fx.sim.complete_fence(s, 1), STALE_DEVICE, INVALID);
            fails(fx.sim.submit(s, &[fx.e]), STALE_DEVICE, INVALID);
        });
        assert!(fx.busy(fx.e));
    }
);
