//! Adapters and devices (docs/contract.md §3).
//!
//! The rows of the section "Adapters and devices" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn enum_adapters_too_small_is_buffer_too_small() {
        let fx = fixture_with(SimConfig::default().adapters(2));
        fx.unchanged_by(|| {
            fails(
                fx.sim.enum_adapters_with_capacity(1, AdapterFilter::ALL),
                ErrorKind::BufferTooSmall { needed: 2 },
                NtStatus::BUFFER_TOO_SMALL,
            )
        });
        let list = fx.sim.enum_adapters().unwrap();
        assert_eq!(list.len(), 2);
        assert_ne!(list[0].luid, list[1].luid);
        assert_ne!(list[0].handle, list[1].handle);
        for info in &list {
            assert_eq!(fx.sim.adapter_luid(info.handle).unwrap(), info.luid);
        }
    }

    fn open_adapter_unknown_luid_is_invalid_parameter() {
        let fx = fixture();
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        let unknown = Luid { low: luid.low ^ 0xFFFF_0000, high: luid.high };
        fx.unchanged_by(|| invalid_parameter(fx.sim.open_adapter_from_luid(unknown)));
        assert_eq!(fx.sim.adapter_luid(fx.sim.open_adapter_from_luid(luid).unwrap()).unwrap(), luid);
    }

    fn close_adapter_keeps_its_devices() {
        let fx = fixture();
        fx.sim.close_adapter(fx.adapter).unwrap();
        fails(fx.sim.adapter_luid(fx.adapter), STALE_ADAPTER, INVALID);
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
        assert_eq!(fx.n(fx.a), 1);
    }

    fn close_adapter_stale_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.close_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| fails(fx.sim.close_adapter(fx.adapter), STALE_ADAPTER, INVALID));
    }

    fn create_device_stale_adapter_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.close_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| fails(fx.sim.create_device(fx.adapter), STALE_ADAPTER, INVALID));
    }
);
