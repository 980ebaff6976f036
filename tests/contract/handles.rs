//! Handles (abi.md §3).
//!
//! The rows of the section "Handles" of docs/lock-states.md, one test each.

use std::collections::HashSet;

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn handle_zero_and_wrong_kind_are_unrepresentable() {
        let fx = fixture();
        fx.unchanged_by(|| {
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
        });
    }

    fn handle_never_issued_is_invalid_parameter() {
        let fx = fixture();
        // Raw layout: generation in bits 24..32, slot index in 2..24, kind in 0..2.
        let devices = [(200 << 24) | 2, (1000 << 2) | 2].map(|raw| DeviceHandle::from_raw(raw).unwrap());
        let allocations = [(200 << 24) | 3, (5000 << 2) | 3].map(|raw| AllocationHandle::from_raw(raw).unwrap());
        let adapters = [(200 << 24) | 1, (1000 << 2) | 1].map(|raw| AdapterHandle::from_raw(raw).unwrap());
        fx.unchanged_by(|| {
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
        });
    }

    fn handle_stale_device_is_invalid_parameter_everywhere() {
        let fx = fixture();
        fx.sim.lock2(fx.dev_e, fx.e).unwrap();
        let s = fx.stale_device();
        fx.unchanged_by(|| {
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
        });
    }

    fn handle_stale_allocation_is_invalid_parameter_everywhere() {
        let fx = fixture();
        let x = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
        fx.sim.lock2(fx.d, x).unwrap();
        fx.sim.submit(fx.d, &[x]).unwrap();
        fx.sim.destroy_allocations(fx.d, &[x]).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
            fails(fx.sim.unlock2(fx.d, x), STALE_ALLOCATION, INVALID);
            fails(fx.lock_entire(fx.d, x, no_flags()), STALE_ALLOCATION, INVALID);
            fails(fx.sim.unlock(fx.d, &[x]), STALE_ALLOCATION, INVALID);
            fails(fx.sim.destroy_allocations(fx.d, &[x]), STALE_ALLOCATION, INVALID);
            fails(fx.sim.query_allocation(fx.d, x), STALE_ALLOCATION, INVALID);
            fails(fx.sim.submit(fx.d, &[x]), STALE_ALLOCATION, INVALID);
        });
        // The work that referenced it still completes normally.
        fx.sim.complete_fence(fx.d, 1).unwrap();
    }

    fn handle_stale_adapter_is_invalid_parameter_everywhere() {
        let fx = fixture();
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        let closed = fx.sim.open_adapter_from_luid(luid).unwrap();
        fx.sim.close_adapter(closed).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.create_device(closed), STALE_ADAPTER, INVALID);
            fails(fx.sim.reset_adapter(closed), STALE_ADAPTER, INVALID);
            fails(fx.sim.remove_adapter(closed), STALE_ADAPTER, INVALID);
            fails(fx.sim.adapter_luid(closed), STALE_ADAPTER, INVALID);
            fails(fx.sim.close_adapter(closed), STALE_ADAPTER, INVALID);
            // Neither reset nor removed: devices active, LUID still enumerated.
        });
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
        assert_eq!(fx.sim.adapter_count(), 1);
    }

    fn handle_of_other_device_is_invalid_parameter_everywhere() {
        let fx = fixture();
        fx.sim.lock2(fx.dev_e, fx.e).unwrap();
        fx.sim.submit(fx.dev_e, &[fx.e]).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, fx.e), Error::WrongDevice, INVALID);
            fails(fx.sim.unlock2(fx.d, fx.e), Error::WrongDevice, INVALID);
            fails(fx.lock_entire(fx.d, fx.e, LockFlags::IGNORE_SYNC), Error::WrongDevice, INVALID);
            fails(fx.sim.unlock(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
            fails(fx.sim.destroy_allocations(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
            fails(fx.sim.query_allocation(fx.d, fx.e), Error::WrongDevice, INVALID);
            fails(fx.sim.submit(fx.d, &[fx.e]), Error::WrongDevice, INVALID);
        });
        assert_eq!((fx.n(fx.e), fx.busy(fx.e)), (1, true));
    }

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
);
