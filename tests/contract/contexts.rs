//! Contexts (docs/contract.md §10, `D3DKMTCreateContextVirtual` /
//! `D3DKMTDestroyContext`).
//!
//! The rows of the section "Contexts" of docs/lock-states.md, one test each.

use std::collections::HashSet;

use d3dkmt_sim::*;

use crate::fixture::*;

const STALE_CONTEXT: Error = Error::new(ErrorKind::InvalidHandle(HandleKind::Context));

/// A fixture whose adapter has the nodes `engines` lists.
fn fixture_engines(engines: &[u32]) -> Fx {
    fixture_with(SimConfig::default().adapter_profile(0, AdapterProfile::default().engines_per_node(engines)))
}

/// A fixture whose adapter's hardware scheduling is `hw`.
fn fixture_hw(hw: HwScheduling) -> Fx {
    fixture_with(SimConfig::default().adapter_profile(0, AdapterProfile::default().hw_scheduling(hw)))
}

/// `c`: a default context of `D`.
fn context(fx: &Fx) -> ContextHandle {
    fx.sim.create_context(fx.d, &ContextDesc::default()).unwrap()
}

/// Asserts that `context` is refused as a context.
#[track_caller]
fn refused(fx: &Fx, context: ContextHandle) {
    fails(fx.sim.context_info(context), STALE_CONTEXT, INVALID);
    fails(fx.sim.destroy_context(context), STALE_CONTEXT, INVALID);
}

/// Asserts that each of `descs` is refused on `D` with `InvalidParameter`
/// and that together they created nothing.
#[track_caller]
fn each_refused(fx: &Fx, descs: &[ContextDesc]) {
    sequence_unmoved_by(&fx.sim, fx.adapter, || {
        fx.unchanged_by(|| {
            for desc in descs {
                match fx.sim.create_context(fx.d, desc) {
                    Err(e) if matches!(e.kind(), ErrorKind::InvalidParameter(_)) => assert_eq!(e.status(), INVALID),
                    other => panic!("{desc:?}: expected ErrorKind::InvalidParameter, got {other:?}"),
                }
            }
        })
    });
}

/// Asserts that each of `descs` is accepted on `D` and recorded as passed.
#[track_caller]
fn each_accepted(fx: &Fx, descs: &[ContextDesc]) {
    for desc in descs {
        let c = fx.sim.create_context(fx.d, desc).unwrap_or_else(|e| panic!("{desc:?}: {e:?}"));
        let info = fx.sim.context_info(c).unwrap();
        assert_eq!((info.device, &info.desc), (fx.d, desc));
    }
}

rows!(
    fn create_context_issues_a_context_handle_in_the_one_sequence() {
        let sim = Simulator::new(SimConfig::default()).unwrap();
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        let device = sim.create_device(adapter).unwrap();
        let c = sim.create_context(device, &ContextDesc::default()).unwrap();
        let alloc = sim.create_allocation(device, AllocationDesc::new(PAGE)).unwrap();
        assert_eq!(
            [adapter.raw(), device.raw(), c.raw(), alloc.raw()],
            [0x4000_0040, 0x4000_0080, 0x4000_00C0, 0x4000_0100]
        );
        assert_eq!(ContextHandle::from_raw(0x4000_00C0), Some(c));
        let info = sim.context_info(c).unwrap();
        assert_eq!((info.device, info.desc), (device, ContextDesc::default()));
    }

    fn create_context_bad_device_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        let never = DeviceHandle::from_raw(0x4000_0000 | (5000 << 6)).unwrap();
        let a_as_device = DeviceHandle::from_raw(fx.a.raw()).unwrap();
        let adapter_as_device = DeviceHandle::from_raw(fx.adapter.raw()).unwrap();
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                for bad in [s, never, a_as_device, adapter_as_device] {
                    fails(fx.sim.create_context(bad, &ContextDesc::default()), STALE_DEVICE, INVALID);
                }
            })
        });
    }

    fn create_context_removed_device_is_device_removed() {
        let fx = fixture();
        fx.remove(fx.d);
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                fails(fx.sim.create_context(fx.d, &ContextDesc::default()), ErrorKind::DeviceRemoved, REMOVED)
            })
        });
        // E is not removed and takes a context.
        fx.sim.create_context(fx.dev_e, &ContextDesc::default()).unwrap();
    }

    fn create_context_removed_device_beats_bad_desc() {
        let fx = fixture();
        fx.remove(fx.d);
        let bad = ContextDesc::default().node(5).flags(0x8000_0000).engine_affinity(u32::MAX);
        invalid_parameter(fx.sim.create_context(fx.dev_e, &bad));
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| fails(fx.sim.create_context(fx.d, &bad), ErrorKind::DeviceRemoved, REMOVED))
        });
    }

    fn create_context_node_past_node_count_is_invalid_parameter() {
        let fx = fixture_engines(&[2, 1]);
        each_refused(&fx, &[ContextDesc::default().node(2), ContextDesc::default().node(u32::MAX)]);
        each_accepted(&fx, &[ContextDesc::default().node(0), ContextDesc::default().node(1)]);
    }

    fn create_context_engine_past_node_engines_is_invalid_parameter() {
        let fx = fixture_engines(&[2, 1]);
        each_refused(
            &fx,
            &[
                ContextDesc::default().engine_affinity(0b100),
                ContextDesc::default().engine_affinity(0b101),
                ContextDesc::default().node(1).engine_affinity(0b10),
                ContextDesc::default().node(1).engine_affinity(u32::MAX),
            ],
        );
        each_accepted(
            &fx,
            &[
                ContextDesc::default().engine_affinity(0b11),
                ContextDesc::default().engine_affinity(0b10),
                ContextDesc::default().node(1).engine_affinity(0b1),
            ],
        );
        // A node of 32 engines: every bit of the mask names one.
        let wide = fixture_engines(&[1, MAX_ENGINES_PER_NODE]);
        each_accepted(&wide, &[ContextDesc::default().node(1).engine_affinity(u32::MAX)]);
        each_refused(&wide, &[ContextDesc::default().node(0).engine_affinity(u32::MAX)]);
    }

    fn create_context_reserved_flag_bits_are_invalid_parameter() {
        let fx = fixture();
        assert_eq!(CONTEXT_FLAGS_KNOWN, 0x3F);
        let reserved: Vec<ContextDesc> = (6..32).map(|bit| ContextDesc::default().flags(1 << bit)).collect();
        each_refused(&fx, &reserved);
        each_refused(&fx, &[ContextDesc::default().flags(!CONTEXT_FLAGS_KNOWN), ContextDesc::default().flags(0x41)]);
        let known: Vec<ContextDesc> =
            [0x1, 0x2, 0x4, 0x8, 0x20, 0x2F].into_iter().map(|f| ContextDesc::default().flags(f)).collect();
        each_accepted(&fx, &known);
        each_accepted(&fixture_hw(HwScheduling::Enabled), &[ContextDesc::default().flags(CONTEXT_FLAGS_KNOWN)]);
    }

    fn create_context_hw_queue_needs_hw_scheduling_enabled() {
        assert_eq!(CONTEXT_FLAG_HW_QUEUE_SUPPORTED, 0x10);
        let hw_queue = ContextDesc::default().flags(CONTEXT_FLAG_HW_QUEUE_SUPPORTED);
        each_refused(&fixture_hw(HwScheduling::Unsupported), std::slice::from_ref(&hw_queue));
        each_refused(&fixture_hw(HwScheduling::Supported), std::slice::from_ref(&hw_queue));
        each_accepted(&fixture_hw(HwScheduling::Enabled), &[hw_queue]);
    }

    fn create_context_engine_affinity_zero_is_accepted() {
        let fx = fixture_engines(&[1, 4]);
        each_accepted(
            &fx,
            &[ContextDesc::default().engine_affinity(0), ContextDesc::default().node(1).engine_affinity(0)],
        );
    }

    fn context_info_returns_desc_and_owner() {
        let fx = fixture_engines(&[1, 2]);
        let desc =
            ContextDesc::default().node(1).engine_affinity(0b10).flags(0x1).client_hint(2).private_data(b"umd private");
        let on_d = fx.sim.create_context(fx.d, &desc).unwrap();
        let on_e = fx.sim.create_context(fx.dev_e, &ContextDesc::default().client_hint(-3)).unwrap();
        let info = fx.sim.context_info(on_d).unwrap();
        assert_eq!((info.device, &info.desc), (fx.d, &desc));
        assert_eq!(info.desc.private_data, b"umd private");
        let info = fx.sim.context_info(on_e).unwrap();
        assert_eq!((info.device, info.desc), (fx.dev_e, ContextDesc::default().client_hint(-3)));
        fx.sim.destroy_context(on_d).unwrap();
        fails(fx.sim.context_info(on_d), STALE_CONTEXT, INVALID);
        assert_eq!(fx.sim.context_info(on_e).unwrap().device, fx.dev_e);
    }

    fn destroy_context_works_on_removed_device() {
        let fx = fixture();
        let c = context(&fx);
        fx.remove(fx.d);
        fx.sim.destroy_context(c).unwrap();
        refused(&fx, c);
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
    }

    fn destroy_context_twice_is_invalid_parameter() {
        let fx = fixture();
        let c = context(&fx);
        let other = context(&fx);
        fx.sim.destroy_context(c).unwrap();
        fx.unchanged_by(|| refused(&fx, c));
        // The other context is untouched.
        assert_eq!(fx.sim.context_info(other).unwrap().device, fx.d);
    }

    fn context_handle_of_wrong_kind_is_invalid_parameter() {
        let fx = fixture();
        let c = context(&fx);
        fx.sim.lock2(fx.d, fx.a).unwrap();
        let as_alloc = AllocationHandle::from_raw(c.raw()).unwrap();
        let as_device = DeviceHandle::from_raw(c.raw()).unwrap();
        let as_adapter = AdapterHandle::from_raw(c.raw()).unwrap();
        let not_contexts = [fx.d.raw(), fx.a.raw(), fx.adapter.raw()].map(|r| ContextHandle::from_raw(r).unwrap());
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                fails(fx.sim.lock2(fx.d, as_alloc), STALE_ALLOCATION, INVALID);
                fails(fx.sim.unlock2(fx.d, as_alloc), STALE_ALLOCATION, INVALID);
                fails(fx.sim.query_allocation(fx.d, as_alloc), STALE_ALLOCATION, INVALID);
                fails(fx.sim.destroy_allocations(fx.d, &[as_alloc]), STALE_ALLOCATION, INVALID);
                fails(fx.sim.destroy_device(as_device), STALE_DEVICE, INVALID);
                fails(fx.sim.device_state(as_device), STALE_DEVICE, INVALID);
                fails(fx.sim.create_allocation(as_device, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID);
                fails(fx.sim.create_context(as_device, &ContextDesc::default()), STALE_DEVICE, INVALID);
                fails(fx.sim.query_adapter_info(as_adapter, AdapterQuery::AdapterType), STALE_ADAPTER, INVALID);
                fails(fx.sim.create_device(as_adapter), STALE_ADAPTER, INVALID);
                for &not_context in &not_contexts {
                    refused(&fx, not_context);
                }
            })
        });
        assert_eq!(fx.n(fx.a), 1);
        assert_eq!(fx.sim.context_info(c).unwrap().device, fx.d);
    }

    fn destroy_device_destroys_its_contexts() {
        let fx = fixture();
        let c1 = context(&fx);
        let c2 = context(&fx);
        let c3 = fx.sim.create_context(fx.dev_e, &ContextDesc::default()).unwrap();
        fx.sim.destroy_device(fx.d).unwrap();
        refused(&fx, c1);
        refused(&fx, c2);
        assert_eq!(fx.sim.context_info(c3).unwrap().device, fx.dev_e);
        fx.sim.destroy_context(c3).unwrap();
    }

    fn reset_destroys_every_context() {
        let mut fx = fixture();
        let c = context(&fx);
        let c3 = fx.sim.create_context(fx.dev_e, &ContextDesc::default()).unwrap();
        fx.sim.reset(SimConfig::default()).unwrap();
        refused(&fx, c);
        refused(&fx, c3);
    }

    fn context_handle_not_reissued_within_4096_creations() {
        let fx = fixture();
        // A context destroyed with its device, and one destroyed alone, with
        // no creation after either: the 4096 creations below are the next
        // ones after both.
        let device = fx.sim.create_device(fx.adapter).unwrap();
        let with_device = fx.sim.create_context(device, &ContextDesc::default()).unwrap();
        let c = context(&fx);
        fx.sim.destroy_context(c).unwrap();
        fx.sim.destroy_device(device).unwrap();
        let mut seen: HashSet<u32> = [c.raw(), with_device.raw(), device.raw()].into();
        for _ in 0..4096 {
            let fresh = context(&fx);
            assert!(seen.insert(fresh.raw()), "{fresh:?} was handed out again");
            fx.sim.destroy_context(fresh).unwrap();
        }
        refused(&fx, c);
        refused(&fx, with_device);
        fails(fx.sim.device_state(device), STALE_DEVICE, INVALID);
        // docs/design.md's reuse policy: from the 4097th creation on, the
        // value retired longest ago comes back, so the destroyed values were
        // retired (in the order destroyed: the context, then the device's
        // context before the device), not leaked.
        let next: Vec<u32> = (0..3).map(|_| context(&fx).raw()).collect();
        assert_eq!(next, [c.raw(), with_device.raw(), device.raw()], "{next:#x?}");
    }

    fn create_context_fault_return_status_creates_nothing() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::CreateContext, return_status(NtStatus::NO_MEMORY))).unwrap();
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                fails(
                    fx.sim.create_context(fx.d, &ContextDesc::default()),
                    Error::injected(NtStatus::NO_MEMORY),
                    NtStatus::NO_MEMORY,
                )
            })
        });
        let c = context(&fx);
        assert_eq!(fx.sim.context_info(c).unwrap().device, fx.d);
    }

    fn create_context_fault_remove_device_then_call_sees_removal() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::CreateContext, FaultAction::RemoveDevice)).unwrap();
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fails(fx.sim.create_context(fx.d, &ContextDesc::default()), ErrorKind::DeviceRemoved, REMOVED)
        });
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
    }

    fn destroy_context_fault_fires() {
        let fx = fixture();
        let c = context(&fx);
        fx.sim.inject_fault(Fault::new(FaultCall::DestroyContext, return_status(BUSY))).unwrap();
        fails(fx.sim.destroy_context(c), Error::injected(BUSY), BUSY);
        assert_eq!(fx.sim.context_info(c).unwrap().device, fx.d);
        fx.sim.destroy_context(c).unwrap();
        refused(&fx, c);
    }
);
