//! Unlock2 (docs/contract.md §5).
//!
//! The rows of the section "Unlock2" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn unlock2_stale_device_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.lock2(fx.dev_e, fx.e).unwrap();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.unlock2(s, fx.e), STALE_DEVICE, INVALID));
        assert_eq!(fx.n(fx.e), 1);
    }

    fn unlock2_removed_device_is_device_removed() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.sim.unlock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED));
        assert_eq!(fx.n(fx.a), 0);
    }

    fn unlock2_removed_device_beats_bad_allocation() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.sim.lock2(fx.dev_e, fx.e).unwrap();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.unlock2(fx.d, x), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.unlock2(fx.d, fx.e), ErrorKind::DeviceRemoved, REMOVED);
        });
        assert_eq!(fx.n(fx.e), 1);
    }

    fn unlock2_stale_allocation_is_invalid_parameter() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| fails(fx.sim.unlock2(fx.d, x), STALE_ALLOCATION, INVALID));
    }

    fn unlock2_allocation_of_other_device_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.lock2(fx.dev_e, fx.e).unwrap();
        fx.unchanged_by(|| fails(fx.sim.unlock2(fx.d, fx.e), ErrorKind::WrongDevice, INVALID));
        assert_eq!(fx.n(fx.e), 1);
    }

    fn unlock2_not_locked_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.sim.unlock2(fx.d, fx.a), ErrorKind::NotLocked, INVALID));
        assert_eq!(fx.n(fx.a), 0);
    }

    fn unlock2_drops_one_reference() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        assert_eq!(fx.n(fx.a), 1);
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        assert_eq!(fx.n(fx.a), 0);
    }
);
