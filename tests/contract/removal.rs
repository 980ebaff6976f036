//! Device removal, adapter reset and adapter removal (docs/contract.md §7).
//!
//! The rows of the section "Device removal" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
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

    fn remove_device_active_is_not_a_reason() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.sim.remove_device(fx.d, ExecutionState::Active)));
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }

    fn remove_device_again_keeps_first_reason() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.remove_device(fx.d, ExecutionState::Reset), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.remove_device(fx.d, ExecutionState::Hung), ErrorKind::DeviceRemoved, REMOVED);
        });
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
    }

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

    fn removed_device_refuses_every_other_call() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.unlock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.lock_entire(fx.d, fx.b, no_flags()), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.unlock(fx.d, &[fx.a]), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::DeviceRemoved, REMOVED);
            fails(fx.sim.remove_device(fx.d, ExecutionState::Reset), ErrorKind::DeviceRemoved, REMOVED);
        });
    }

    fn removed_device_destroy_allocations_works() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.remove(fx.d);
        fx.sim.destroy_allocations(fx.d, &[fx.a]).unwrap();
        fails(fx.sim.query_allocation(fx.d, fx.a), STALE_ALLOCATION, INVALID);
        assert_eq!(fx.n(fx.b), 0);
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
        // The removal of the rest is untouched.
        fails(fx.sim.lock2(fx.d, fx.b), ErrorKind::DeviceRemoved, REMOVED);
    }

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
        fails(fx.sim.create_allocation(d2, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
    }

    fn removed_device_query_shows_lock_count_zero() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        let live = fx.info(fx.a);
        fx.remove(fx.d);
        fx.unchanged_by(|| {
            let info = fx.sim.query_allocation(fx.d, fx.a).unwrap();
            assert_eq!((info.lock_count, info.busy), (0, false));
            assert_eq!((info.size, info.page_count, info.cpu_visible), (live.size, live.page_count, live.cpu_visible));
            assert_eq!(fx.sim.device_state(fx.d).unwrap(), ExecutionState::Hung);
        });
    }

    fn removed_device_destroyed_handle_is_invalid_parameter() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.sim.destroy_device(fx.d).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, fx.a), STALE_DEVICE, INVALID);
            fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
            fails(fx.sim.destroy_device(fx.d), STALE_DEVICE, INVALID);
        });
    }

    fn reset_adapter_removes_every_device_with_reset() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.reset_adapter(fx.adapter).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Reset);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
        assert_eq!(fx.n(fx.a), 0);
        fails(fx.sim.lock2(fx.dev_e, fx.e), ErrorKind::DeviceRemoved, REMOVED);
    }

    fn reset_adapter_keeps_first_reason_of_removed_device() {
        let fx = fixture();
        fx.sim.remove_device(fx.d, ExecutionState::ErrorDmaPageFault).unwrap();
        fx.sim.reset_adapter(fx.adapter).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::ErrorDmaPageFault);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
    }

    fn reset_adapter_leaves_other_adapters_alone() {
        let fx = fixture_with(SimConfig::default().adapters(2));
        let other = fx.sim.enum_adapters().unwrap()[1].handle;
        assert_ne!(fx.sim.adapter_luid(other).unwrap(), fx.sim.adapter_luid(fx.adapter).unwrap());
        let f = fx.sim.create_device(other).unwrap();
        let alloc = fx.sim.create_allocation(f, AllocationDesc::new(PAGE)).unwrap();
        fx.sim.reset_adapter(fx.adapter).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Reset);
        assert_eq!(fx.state(f), ExecutionState::Active);
        fx.sim.lock2(f, alloc).unwrap();
        assert_eq!(fx.sim.query_allocation(f, alloc).unwrap().lock_count, 1);
    }

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

    fn remove_adapter_removes_every_device_with_stopped() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.remove_adapter(fx.adapter).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Stopped);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Stopped);
        assert_eq!(fx.n(fx.a), 0);
    }

    fn remove_adapter_luid_disappears_from_enumeration() {
        let fx = fixture_with(SimConfig::default().adapters(2));
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        let other = fx.sim.enum_adapters().unwrap()[1].luid;
        assert_eq!(fx.sim.adapter_count(), 2);
        fx.sim.remove_adapter(fx.adapter).unwrap();
        assert_eq!(fx.sim.adapter_count(), 1);
        let listed: Vec<Luid> = fx.sim.enum_adapters().unwrap().iter().map(|i| i.luid).collect();
        assert_eq!(listed, vec![other]);
        invalid_parameter(fx.sim.open_adapter_from_luid(luid));
        fx.sim.open_adapter_from_luid(other).unwrap();
        assert_eq!(fx.sim.adapter_luid(fx.adapter).unwrap(), luid, "the open handle still names it");
    }

    fn remove_adapter_create_device_is_device_removed() {
        let fx = fixture();
        fx.sim.remove_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| fails(fx.sim.create_device(fx.adapter), ErrorKind::DeviceRemoved, REMOVED));
    }

    fn remove_adapter_then_reset_adapter_is_device_removed() {
        let fx = fixture();
        fx.sim.remove_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| fails(fx.sim.reset_adapter(fx.adapter), ErrorKind::DeviceRemoved, REMOVED));
        assert_eq!(fx.state(fx.d), ExecutionState::Stopped);
    }

    fn remove_adapter_then_remove_adapter_is_device_removed() {
        let fx = fixture();
        fx.sim.remove_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| fails(fx.sim.remove_adapter(fx.adapter), ErrorKind::DeviceRemoved, REMOVED));
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Stopped);
    }
);
