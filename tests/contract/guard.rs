//! LockGuard: Lock2 as RAII (Rust API only).
//!
//! The rows of the section "LockGuard — Lock2 as RAII" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
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

    fn guard_unlock_after_removal_reports_device_removed() {
        let fx = fixture();
        let g1 = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
        let g2 = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
        assert_eq!(fx.n(fx.a), 2);
        fx.remove(fx.d);
        fails(LockGuard::unlock(g1), ErrorKind::DeviceRemoved, REMOVED);
        drop(g2); // must not panic
        assert_eq!(fx.n(fx.a), 0);
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
    }
);
