//! Legacy Lock: the check order (docs/contract.md §6).
//!
//! The rows of the section "Legacy Lock — the check order" of docs/lock-states.md, one test each.

use std::thread;
use std::time::Instant;

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn lock_reserved_flag_bits_are_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| {
            for bits in [0x800, 0x1000, 0x8000_0000, 0xFFFF_F800] {
                invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::from_bits_retain(bits)));
            }
        });
    }

    fn lock_read_only_with_write_only_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::READ_ONLY | LockFlags::WRITE_ONLY)));
    }

    fn lock_bad_flags_beat_removed_device() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::from_bits_retain(0x800)));
            invalid_parameter(fx.lock_entire(fx.d, fx.a, LockFlags::READ_ONLY | LockFlags::WRITE_ONLY));
        });
    }

    fn lock_stale_device_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.lock_entire(s, fx.e, no_flags()), STALE_DEVICE, INVALID));
    }

    fn lock_removed_device_is_device_removed() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::DeviceRemoved, REMOVED));
    }

    fn lock_removed_device_beats_bad_allocation() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            for alloc in [x, fx.e, fx.h] {
                fails(fx.sim.lock(fx.d, alloc, no_flags(), Pages::List(&[99])), ErrorKind::DeviceRemoved, REMOVED);
            }
        });
    }

    fn lock_stale_allocation_is_invalid_parameter() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, x, no_flags()), STALE_ALLOCATION, INVALID));
    }

    fn lock_allocation_of_other_device_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.e, no_flags()), ErrorKind::WrongDevice, INVALID));
    }

    fn lock_not_cpu_visible_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.h, no_flags()), ErrorKind::NotCpuVisible, INVALID));
    }

    fn lock_not_cpu_visible_beats_bad_pages() {
        let fx = fixture();
        fx.unchanged_by(|| {
            fails(fx.sim.lock(fx.d, fx.h, no_flags(), Pages::List(&[99])), ErrorKind::NotCpuVisible, INVALID)
        });
    }

    fn lock_entire_maps_base() {
        let fx = fixture();
        let whole = fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        assert_eq!(whole.len() as u64, 4 * PAGE);
        assert_eq!(fx.n(fx.a), 1);
        assert_eq!(fx.sim.lock2(fx.d, fx.a).unwrap(), whole);
    }

    fn lock_lock_entire_flag_ignores_page_list() {
        let fx = fixture();
        let base = fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        let whole = fx.sim.lock(fx.d, fx.a, LockFlags::LOCK_ENTIRE, Pages::List(&[99])).unwrap();
        assert_eq!(whole, base);
        assert_eq!(whole.len() as u64, 4 * PAGE);
        assert_eq!(fx.n(fx.a), 1);
    }

    fn lock_page_list_maps_first_listed_page() {
        let fx = fixture();
        let base = fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        let part = fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[2, 0, 3])).unwrap();
        assert_eq!(part.as_ptr() as usize, base.as_ptr() as usize + 2 * PAGE as usize);
        assert_eq!(part.len() as u64, 2 * PAGE);
        assert_eq!(fx.n(fx.a), 1);
    }

    fn lock_page_index_out_of_range_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| {
            invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[0, 4])));
            invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[u32::MAX])));
        });
    }

    fn lock_empty_page_list_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[]))));
    }

    fn lock_bad_pages_beat_busy() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| {
            invalid_parameter(fx.sim.lock(fx.d, fx.a, LockFlags::DONOT_WAIT, Pages::List(&[9])));
            // Without DONOT_WAIT too: the pages are checked before any wait.
            invalid_parameter(fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[9])));
        });
        assert!(fx.busy(fx.a));
    }

    fn lock_busy_donot_wait_is_allocation_busy() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), ErrorKind::AllocationBusy, BUSY));
    }

    fn lock_busy_ignore_sync_maps_without_waiting() {
        let fx = fixture_with(SimConfig::default().wait_timeout(LONG_WAIT));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        let start = Instant::now();
        fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC).unwrap();
        assert!(start.elapsed() < LONG_WAIT / 2, "IGNORE_SYNC must not wait");
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
    }

    fn lock_ignore_sync_beats_donot_wait() {
        let fx = fixture();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC | LockFlags::DONOT_WAIT).unwrap();
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (1, true));
    }

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
        fails(result, ErrorKind::DeviceRemoved, REMOVED);
        assert!(start.elapsed() < LONG_WAIT / 2, "woken by the removal, not by the timeout");
        assert_eq!((fx.n(fx.a), fx.busy(fx.a)), (0, false));
    }

    fn lock_busy_wait_times_out_with_allocation_busy() {
        let fx = fixture_with(SimConfig::default().wait_timeout(SHORT_WAIT));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| {
            let start = Instant::now();
            fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::AllocationBusy, BUSY);
            assert!(start.elapsed() >= SHORT_WAIT, "returned after {:?}", start.elapsed());
        });
        assert!(fx.busy(fx.a));
    }

    fn lock_busy_follows_flags_not_busy_policy() {
        // Policy Ignore, no flags: the page lock still waits, then times out.
        let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Ignore).wait_timeout(SHORT_WAIT));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        let start = Instant::now();
        fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::AllocationBusy, BUSY);
        assert!(start.elapsed() >= SHORT_WAIT);
        assert_eq!(fx.n(fx.a), 0);

        // Policy Wait, DONOT_WAIT: fails at once.
        let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(LONG_WAIT));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        let start = Instant::now();
        fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), ErrorKind::AllocationBusy, BUSY);
        assert!(start.elapsed() < LONG_WAIT / 2);
        assert_eq!(fx.n(fx.a), 0);

        // Policy Fail, IGNORE_SYNC: maps.
        let fx = fixture_with(SimConfig::default().busy_policy(BusyPolicy::Fail));
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.lock_entire(fx.d, fx.a, LockFlags::IGNORE_SYNC).unwrap();
        assert_eq!(fx.n(fx.a), 1);
    }

    fn lock_busy_beats_limit() {
        let fx = fixture_with(SimConfig::default().max_lock_references(1));
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.sim.submit(fx.d, &[fx.a]).unwrap();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.a, LockFlags::DONOT_WAIT), ErrorKind::AllocationBusy, BUSY));
        assert_eq!(fx.n(fx.a), 1);
    }

    fn lock_at_limit_is_too_many_references() {
        let fx = fixture_with(SimConfig::default().max_lock_references(2));
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        fx.sim.lock(fx.d, fx.a, no_flags(), Pages::List(&[1])).unwrap();
        fx.unchanged_by(|| fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::TooManyReferences, TOO_MANY));
        assert_eq!(fx.n(fx.a), 2);
    }

    fn lock_and_lock2_share_one_limit() {
        let fx = fixture_with(SimConfig::default().max_lock_references(2));
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
        assert_eq!(fx.n(fx.a), 2);
        fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::TooManyReferences, TOO_MANY);
        fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::TooManyReferences, TOO_MANY);
        assert_eq!(fx.n(fx.a), 2);
    }
);
