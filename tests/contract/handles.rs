//! Handles (docs/contract.md §3): Windows' local-handle shape, one sequence for every
//! kind, stale and foreign values refused.
//!
//! The rows of the section "Handles" of docs/lock-states.md, one test each.

use std::collections::HashSet;

use d3dkmt_sim::*;

use crate::fixture::*;

/// Every call that takes a device, an allocation or an adapter handle
/// refuses each of the given ones with `InvalidHandle` of the kind it
/// expects (`STATUS_INVALID_PARAMETER`).
fn every_call_refuses(fx: &Fx, devices: &[DeviceHandle], allocations: &[AllocationHandle], adapters: &[AdapterHandle]) {
    for &device in devices {
        fails(fx.sim.lock2(device, fx.a), STALE_DEVICE, INVALID);
        fails(fx.sim.unlock2(device, fx.a), STALE_DEVICE, INVALID);
        fails(fx.sim.device_state(device), STALE_DEVICE, INVALID);
        fails(fx.sim.destroy_device(device), STALE_DEVICE, INVALID);
        fails(fx.sim.create_allocation(device, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID);
    }
    for &alloc in allocations {
        fails(fx.sim.lock2(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.sim.unlock2(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.lock_entire(fx.d, alloc, no_flags()), STALE_ALLOCATION, INVALID);
        fails(fx.sim.unlock(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
        fails(fx.sim.query_allocation(fx.d, alloc), STALE_ALLOCATION, INVALID);
        fails(fx.sim.submit(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
        fails(fx.sim.destroy_allocations(fx.d, &[alloc]), STALE_ALLOCATION, INVALID);
    }
    for &adapter in adapters {
        fails(fx.sim.create_device(adapter), STALE_ADAPTER, INVALID);
        fails(fx.sim.adapter_luid(adapter), STALE_ADAPTER, INVALID);
        fails(fx.sim.reset_adapter(adapter), STALE_ADAPTER, INVALID);
        fails(fx.sim.close_adapter(adapter), STALE_ADAPTER, INVALID);
    }
}

rows!(
    fn handle_zero_and_bad_shape_are_unrepresentable() {
        let fx = fixture();
        fx.unchanged_by(|| {
            // 0, n = 0, low bits set, bit 31 set, bit 30 clear.
            for raw in [0, 0x4000_0000, 0x4000_0041, 0x4000_0042, 0xC000_0040, 0x0000_0040, 0xFFFF_FFFF] {
                assert_eq!(AdapterHandle::from_raw(raw), None, "{raw:#x}");
                assert_eq!(DeviceHandle::from_raw(raw), None, "{raw:#x}");
                assert_eq!(AllocationHandle::from_raw(raw), None, "{raw:#x}");
            }
            // Issued values round-trip.
            assert_eq!(DeviceHandle::from_raw(fx.d.raw()), Some(fx.d));
            assert_eq!(AllocationHandle::from_raw(fx.a.raw()), Some(fx.a));
            assert_eq!(AdapterHandle::from_raw(fx.adapter.raw()), Some(fx.adapter));
        });
    }

    fn handle_of_wrong_kind_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        // The kind is not in the value: a handle of another kind has the
        // shape and is refused by the call.
        let a_as_device = DeviceHandle::from_raw(fx.a.raw()).unwrap();
        let adapter_as_device = DeviceHandle::from_raw(fx.adapter.raw()).unwrap();
        let d_as_alloc = AllocationHandle::from_raw(fx.d.raw()).unwrap();
        let adapter_as_alloc = AllocationHandle::from_raw(fx.adapter.raw()).unwrap();
        let d_as_adapter = AdapterHandle::from_raw(fx.d.raw()).unwrap();
        let a_as_adapter = AdapterHandle::from_raw(fx.a.raw()).unwrap();
        fx.unchanged_by(|| {
            every_call_refuses(
                &fx,
                &[a_as_device, adapter_as_device],
                &[d_as_alloc, adapter_as_alloc],
                &[d_as_adapter, a_as_adapter],
            )
        });
        assert_eq!(fx.n(fx.a), 1);
    }

    fn handle_never_issued_is_invalid_parameter() {
        let fx = fixture();
        // Windows-shaped values (0x40000000 | n << 6) this simulator never
        // issued: n = 1000, 5000 and the largest n.
        let raw = [0x4000_0000 | (1000 << 6), 0x4000_0000 | (5000 << 6), 0x7FFF_FFC0];
        let devices = raw.map(|r| DeviceHandle::from_raw(r).unwrap());
        let allocations = raw.map(|r| AllocationHandle::from_raw(r).unwrap());
        let adapters = raw.map(|r| AdapterHandle::from_raw(r).unwrap());
        fx.unchanged_by(|| every_call_refuses(&fx, &devices, &allocations, &adapters));
    }

    fn handle_values_follow_one_windows_shaped_sequence() {
        let sim = Simulator::new(SimConfig::default().adapters(2)).unwrap();
        let adapters = sim.enum_adapters().unwrap();
        let device = sim.create_device(adapters[1].handle).unwrap();
        let allocs = sim.create_allocations(device, &[AllocationDesc::new(PAGE); 2]).unwrap();
        let reopened = sim.open_adapter_from_luid(adapters[0].luid).unwrap();
        let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE)).unwrap();
        let second = sim.create_device(reopened).unwrap();
        // Creation order, whatever the kinds: 0x40000040, 0x40000080, ...
        let raw = [
            adapters[0].handle.raw(),
            adapters[1].handle.raw(),
            device.raw(),
            allocs[0].raw(),
            allocs[1].raw(),
            reopened.raw(),
            alloc.raw(),
            second.raw(),
        ];
        let expected: Vec<u32> = (1..=8).map(|n| 0x4000_0000 | (n << 6)).collect();
        assert_eq!(raw.to_vec(), expected, "{raw:#x?}");
        assert!(raw.iter().all(|r| r & 0xC000_003F == 0x4000_0000));
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
            fails(fx.sim.lock2(fx.d, fx.e), ErrorKind::WrongDevice, INVALID);
            fails(fx.sim.unlock2(fx.d, fx.e), ErrorKind::WrongDevice, INVALID);
            fails(fx.lock_entire(fx.d, fx.e, LockFlags::IGNORE_SYNC), ErrorKind::WrongDevice, INVALID);
            fails(fx.sim.unlock(fx.d, &[fx.e]), ErrorKind::WrongDevice, INVALID);
            fails(fx.sim.destroy_allocations(fx.d, &[fx.e]), ErrorKind::WrongDevice, INVALID);
            fails(fx.sim.query_allocation(fx.d, fx.e), ErrorKind::WrongDevice, INVALID);
            fails(fx.sim.submit(fx.d, &[fx.e]), ErrorKind::WrongDevice, INVALID);
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
        // Many values destroyed at once wait as long: none of 5000 comes
        // back within the next 4096 creations.
        let batch = fx.sim.create_allocations(fx.d, &[AllocationDesc::new(PAGE); 5000]).unwrap();
        fx.sim.destroy_allocations(fx.d, &batch).unwrap();
        let batch: HashSet<_> = batch.into_iter().collect();
        for _ in 0..4096 {
            let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
            assert!(!batch.contains(&alloc), "{alloc:?} was handed out again");
            fx.sim.destroy_allocations(fx.d, &[alloc]).unwrap();
        }
    }

    fn handle_values_unique_across_kinds() {
        let fx = fixture_with(SimConfig::default().adapters(3));
        let mut raw: Vec<u32> = vec![fx.adapter.raw(), fx.d.raw(), fx.dev_e.raw()];
        raw.extend([fx.a, fx.b, fx.h, fx.e].map(|x| x.raw()));
        raw.extend(fx.sim.enum_adapters().unwrap().iter().map(|i| i.handle.raw()));
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
