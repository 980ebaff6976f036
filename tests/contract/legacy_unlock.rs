//! Legacy Unlock (docs/contract.md §6).
//!
//! The rows of the section "Legacy Unlock" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn unlock_empty_list_is_invalid_parameter() {
        let fx = fixture();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.unchanged_by(|| invalid_parameter(fx.sim.unlock(fx.d, &[])));
        assert_eq!(fx.n(fx.a), 1);
    }

    fn unlock_empty_list_beats_removed_device() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| invalid_parameter(fx.sim.unlock(fx.d, &[])));
    }

    fn unlock_stale_device_is_invalid_parameter() {
        let fx = fixture();
        fx.lock_entire(fx.dev_e, fx.e, no_flags()).unwrap();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.unlock(s, &[fx.e]), STALE_DEVICE, INVALID));
        assert_eq!(fx.n(fx.e), 1);
    }

    fn unlock_removed_device_is_device_removed() {
        let fx = fixture();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.sim.unlock(fx.d, &[fx.a]), ErrorKind::DeviceRemoved, REMOVED));
        assert_eq!(fx.n(fx.a), 0);
    }

    fn unlock_removed_device_beats_bad_allocation() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.unlock(fx.d, &[x]), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.unlock(fx.d, &[fx.e]), ErrorKind::DeviceRemoved, REMOVED);
        });
    }

    fn unlock_bad_handle_unlocks_nothing() {
        let fx = fixture();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| {
            fails(fx.sim.unlock(fx.d, &[fx.a, x]), STALE_ALLOCATION, INVALID);
            fails(fx.sim.unlock(fx.d, &[x, fx.a]), STALE_ALLOCATION, INVALID);
        });
        assert_eq!(fx.n(fx.a), 1);
    }

    fn unlock_other_device_allocation_unlocks_nothing() {
        let fx = fixture();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.lock_entire(fx.dev_e, fx.e, no_flags()).unwrap();
        fx.unchanged_by(|| fails(fx.sim.unlock(fx.d, &[fx.a, fx.e]), ErrorKind::WrongDevice, INVALID));
        assert_eq!((fx.n(fx.a), fx.n(fx.e)), (1, 1));
    }

    fn unlock_more_than_held_unlocks_nothing() {
        let fx = fixture();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
        fx.unchanged_by(|| fails(fx.sim.unlock(fx.d, &[fx.b, fx.a, fx.a]), ErrorKind::NotLocked, INVALID));
        assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1, 1));
    }

    fn unlock_releases_one_reference_per_listed_handle() {
        let fx = fixture();
        for _ in 0..3 {
            fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        }
        fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
        fx.sim.unlock(fx.d, &[fx.a, fx.b, fx.a]).unwrap();
        assert_eq!((fx.n(fx.a), fx.n(fx.b)), (1, 0));
    }

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
);
