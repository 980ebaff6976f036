//! Adapter queries (docs/contract.md §10, `D3DKMTQueryAdapterInfo`).
//!
//! The rows of the section "Adapter queries" of docs/lock-states.md, one
//! test each.

use std::collections::HashSet;

use d3dkmt_sim::*;

use crate::fixture::*;

/// Every query the simulator models ("every query" in the table).
const EVERY_QUERY: [AdapterQuery; 11] = [
    AdapterQuery::AdapterType,
    AdapterQuery::DeviceIds { physical_adapter: 0 },
    AdapterQuery::Wddm27Caps,
    AdapterQuery::DriverDescription,
    AdapterQuery::DriverVersion,
    AdapterQuery::AdapterGuid,
    AdapterQuery::AdapterAddress,
    AdapterQuery::PhysicalAdapterCount,
    AdapterQuery::SegmentSize,
    AdapterQuery::CheckDriverUpdateStatus,
    AdapterQuery::UmDriverPrivate,
];

/// The answers of `adapter` to every query, in [`EVERY_QUERY`] order.
fn answers(sim: &Simulator, adapter: AdapterHandle) -> Vec<AdapterAnswer> {
    EVERY_QUERY.iter().map(|&q| sim.query_adapter_info(adapter, q).unwrap_or_else(|e| panic!("{q:?}: {e:?}"))).collect()
}

fn guid(sim: &Simulator, adapter: AdapterHandle) -> [u8; 16] {
    match sim.query_adapter_info(adapter, AdapterQuery::AdapterGuid).unwrap() {
        AdapterAnswer::AdapterGuid(g) => g,
        other => panic!("AdapterGuid answered {other:?}"),
    }
}

/// Every query of `adapter` fails with `error`.
#[track_caller]
fn every_query_fails(sim: &Simulator, adapter: AdapterHandle, error: Error, status: NtStatus) {
    for q in EVERY_QUERY {
        fails(sim.query_adapter_info(adapter, q), error, status);
    }
}

/// The answers an adapter with the default profile, at `index`, with
/// `budget`, gives (the GUID left out: it is seeded).
fn default_answers(index: u32, budget: u64) -> Vec<Option<AdapterAnswer>> {
    let mut ids = DeviceIds::default();
    ids.vendor_id = 0xD3D5;
    ids.device_id = 1;
    ids.revision_id = 1;
    vec![
        Some(AdapterAnswer::AdapterType(AdapterKind::Render)),
        Some(AdapterAnswer::DeviceIds(ids)),
        Some(AdapterAnswer::Wddm27Caps(HwScheduling::Unsupported)),
        Some(AdapterAnswer::DriverDescription("d3dkmt-sim simulated adapter".to_owned())),
        Some(AdapterAnswer::DriverVersion(2700)),
        None,
        Some(AdapterAnswer::AdapterAddress { bus: index, device: 0, function: 0 }),
        Some(AdapterAnswer::PhysicalAdapterCount(1)),
        Some(AdapterAnswer::SegmentSize { dedicated_video: budget, dedicated_system: 0, shared_system: 0 }),
        Some(AdapterAnswer::CheckDriverUpdateStatus(false)),
        Some(AdapterAnswer::UmDriverPrivate(Vec::new())),
    ]
}

/// Asserts `got` (every query's answer) matches `want`, skipping `None`s.
#[track_caller]
fn matches(got: &[AdapterAnswer], want: &[Option<AdapterAnswer>]) {
    assert_eq!(got.len(), want.len());
    for ((q, got), want) in EVERY_QUERY.iter().zip(got).zip(want) {
        if let Some(want) = want {
            assert_eq!(got, want, "{q:?}");
        }
    }
}

rows!(
    fn query_defaults_describe_a_render_adapter() {
        let fx = fixture();
        fx.unchanged_by(|| matches(&answers(&fx.sim, fx.adapter), &default_answers(0, 4 << 30)));
        assert_eq!(DRIVER_VERSION_WDDM_2_7, 2700);
        assert_eq!((DEFAULT_VENDOR_ID, DEFAULT_DEVICE_ID), (0xD3D5, 1));
        // SegmentSize is the configured budget, not a constant.
        let small = fixture_with(budget_plus(0));
        matches(&answers(&small.sim, small.adapter), &default_answers(0, FIXTURE_PAGES * PAGE));
        // One node of one engine.
        fx.sim.create_context(fx.d, &ContextDesc::default()).unwrap();
        invalid_parameter(fx.sim.create_context(fx.d, &ContextDesc::default().node(1)));
        invalid_parameter(fx.sim.create_context(fx.d, &ContextDesc::default().engine_affinity(0b10)));
    }

    fn query_answers_come_from_the_profile() {
        let mut profile = AdapterProfile::default()
            .ids(0x10DE, 0x2684)
            .kind(AdapterKind::RenderAndDisplay)
            .hw_scheduling(HwScheduling::Enabled)
            .description("Simulated discrete GPU")
            .driver_version(3000)
            .umd_private(&[1, 2, 3, 0xFF]);
        profile.sub_vendor_id = 0x1458;
        profile.sub_system_id = 0x4104;
        profile.revision_id = 0xA1;
        let fx = fixture_with(SimConfig::default().adapters(2).adapter_profile(1, profile));
        let a2 = fx.sim.enum_adapters().unwrap()[1].handle;
        let mut ids = DeviceIds::default();
        ids.vendor_id = 0x10DE;
        ids.device_id = 0x2684;
        ids.sub_vendor_id = 0x1458;
        ids.sub_system_id = 0x4104;
        ids.revision_id = 0xA1;
        let want = vec![
            Some(AdapterAnswer::AdapterType(AdapterKind::RenderAndDisplay)),
            Some(AdapterAnswer::DeviceIds(ids)),
            Some(AdapterAnswer::Wddm27Caps(HwScheduling::Enabled)),
            Some(AdapterAnswer::DriverDescription("Simulated discrete GPU".to_owned())),
            Some(AdapterAnswer::DriverVersion(3000)),
            None,
            Some(AdapterAnswer::AdapterAddress { bus: 1, device: 0, function: 0 }),
            Some(AdapterAnswer::PhysicalAdapterCount(1)),
            Some(AdapterAnswer::SegmentSize { dedicated_video: 4 << 30, dedicated_system: 0, shared_system: 0 }),
            Some(AdapterAnswer::CheckDriverUpdateStatus(false)),
            Some(AdapterAnswer::UmDriverPrivate(vec![1, 2, 3, 0xFF])),
        ];
        fx.unchanged_by(|| {
            matches(&answers(&fx.sim, a2), &want);
            matches(&answers(&fx.sim, fx.adapter), &default_answers(0, 4 << 30));
        });
        // Supported (not enabled) scheduling is reported as such.
        let supported = AdapterProfile::default().hw_scheduling(HwScheduling::Supported);
        let sim = Simulator::new(SimConfig::default().adapter_profile(0, supported)).unwrap();
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        assert_eq!(
            sim.query_adapter_info(adapter, AdapterQuery::Wddm27Caps).unwrap(),
            AdapterAnswer::Wddm27Caps(HwScheduling::Supported)
        );
    }

    fn query_bad_adapter_handle_is_invalid_parameter() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        let closed = fx.sim.open_adapter_from_luid(luid).unwrap();
        fx.sim.close_adapter(closed).unwrap();
        let never = AdapterHandle::from_raw(0x4000_0000 | (5000 << 6)).unwrap();
        let d_as_adapter = AdapterHandle::from_raw(fx.d.raw()).unwrap();
        let a_as_adapter = AdapterHandle::from_raw(fx.a.raw()).unwrap();
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                for bad in [closed, never, d_as_adapter, a_as_adapter] {
                    every_query_fails(&fx.sim, bad, STALE_ADAPTER, INVALID);
                }
            })
        });
        assert_eq!(AdapterHandle::from_raw(0), None);
        assert_eq!(fx.n(fx.a), 1);
        // The adapter itself still answers.
        answers(&fx.sim, fx.adapter);
    }

    fn query_removed_adapter_is_device_removed() {
        let fx = fixture_with(SimConfig::default().adapters(2));
        let list = fx.sim.enum_adapters().unwrap();
        let second_handle = list[0].handle;
        let a2 = list[1].handle;
        fx.sim.remove_adapter(fx.adapter).unwrap();
        fx.unchanged_by(|| {
            every_query_fails(&fx.sim, fx.adapter, ErrorKind::DeviceRemoved.into(), REMOVED);
            every_query_fails(&fx.sim, second_handle, ErrorKind::DeviceRemoved.into(), REMOVED);
            matches(&answers(&fx.sim, a2), &default_answers(1, 4 << 30));
        });
        assert_eq!(fx.state(fx.d), ExecutionState::Stopped);
    }

    fn query_reset_adapter_still_answers() {
        let fx = fixture();
        let before = answers(&fx.sim, fx.adapter);
        fx.sim.reset_adapter(fx.adapter).unwrap();
        assert_eq!((fx.state(fx.d), fx.state(fx.dev_e)), (ExecutionState::Reset, ExecutionState::Reset));
        fx.unchanged_by(|| assert_eq!(answers(&fx.sim, fx.adapter), before));
        matches(&before, &default_answers(0, 4 << 30));
    }

    fn query_device_ids_of_other_physical_adapter_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| {
            for physical_adapter in [1, 2, u32::MAX] {
                invalid_parameter(fx.sim.query_adapter_info(fx.adapter, AdapterQuery::DeviceIds { physical_adapter }));
            }
        });
        assert!(matches!(
            fx.sim.query_adapter_info(fx.adapter, AdapterQuery::DeviceIds { physical_adapter: 0 }),
            Ok(AdapterAnswer::DeviceIds(_))
        ));
    }

    fn query_guids_differ_between_adapters_and_follow_the_seed() {
        let guids = |seed: u64| -> Vec<[u8; 16]> {
            let sim = Simulator::new(SimConfig::default().adapters(3).seed(seed)).unwrap();
            sim.enum_adapters().unwrap().iter().map(|i| guid(&sim, i.handle)).collect()
        };
        let seven = guids(7);
        let distinct: HashSet<[u8; 16]> = seven.iter().copied().collect();
        assert_eq!(distinct.len(), 3, "{seven:x?}");
        assert!(seven.iter().all(|g| *g != [0; 16]));
        assert_eq!(guids(7), seven, "the same seed gives the same GUIDs");
        let eight = guids(8);
        assert!(eight.iter().all(|g| !distinct.contains(g)), "seed 8: {eight:x?}, seed 7: {seven:x?}");
        assert_eq!(eight.iter().copied().collect::<HashSet<_>>().len(), 3);
    }

    fn query_changes_nothing() {
        let fx = fixture_with(budget_plus(1));
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.submit(fx.d, &[fx.b]).unwrap();
        let mut first = Vec::new();
        sequence_unmoved_by(&fx.sim, fx.adapter, || {
            fx.unchanged_by(|| {
                first = answers(&fx.sim, fx.adapter);
                assert_eq!(answers(&fx.sim, fx.adapter), first);
            })
        });
        assert_eq!((fx.n(fx.a), fx.busy(fx.b)), (1, true));
        // The budget was not charged: its one free page is still free.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
        fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
    }

    fn query_fault_fires() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::QueryAdapterInfo, return_status(NtStatus::UNSUCCESSFUL))).unwrap();
        fx.unchanged_by(|| {
            fails(
                fx.sim.query_adapter_info(fx.adapter, AdapterQuery::AdapterType),
                Error::injected(NtStatus::UNSUCCESSFUL),
                NtStatus::UNSUCCESSFUL,
            );
            fx.sim.query_adapter_info(fx.adapter, AdapterQuery::AdapterType).unwrap();
        });
        fx.sim.inject_fault(Fault::new(FaultCall::QueryAdapterInfo, FaultAction::ResetAdapter)).unwrap();
        assert_eq!(
            fx.sim.query_adapter_info(fx.adapter, AdapterQuery::AdapterType).unwrap(),
            AdapterAnswer::AdapterType(AdapterKind::Render)
        );
        assert_eq!((fx.state(fx.d), fx.state(fx.dev_e)), (ExecutionState::Reset, ExecutionState::Reset));
    }
);
