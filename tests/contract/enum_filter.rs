//! Enumerating with a filter (docs/contract.md §10, `D3DKMTEnumAdapters3`).
//!
//! The rows of the section "Enumerating with a filter" of
//! docs/lock-states.md, one test each.

use std::collections::HashSet;

use d3dkmt_sim::*;

use crate::fixture::*;

const KINDS: [AdapterKind; 4] =
    [AdapterKind::Render, AdapterKind::ComputeOnly, AdapterKind::DisplayOnly, AdapterKind::RenderAndDisplay];

/// The four filters: default, compute-only included, display-only
/// included, both.
fn filters() -> [AdapterFilter; 4] {
    let none = AdapterFilter::default();
    [none, none.include_compute_only(), none.include_display_only(), none.include_compute_only().include_display_only()]
}

/// "4 kinds": `A0` render, `A1` compute-only, `A2` display-only, `A3`
/// render and display; and the LUIDs of `A0`..`A3`.
fn four_kinds() -> (Simulator, [Luid; 4]) {
    let mut config = SimConfig::default().adapters(4);
    for (i, kind) in KINDS.into_iter().enumerate() {
        config = config.adapter_profile(i, AdapterProfile::default().kind(kind));
    }
    let sim = Simulator::new(config).unwrap();
    let all = sim.enum_adapters().unwrap();
    let luids = [0, 1, 2, 3].map(|i| all[i].luid);
    for info in all {
        sim.close_adapter(info.handle).unwrap();
    }
    (sim, luids)
}

/// The kind each listed adapter answers to `AdapterType`.
fn kinds(sim: &Simulator, list: &[AdapterInfo]) -> Vec<AdapterKind> {
    list.iter()
        .map(|info| match sim.query_adapter_info(info.handle, AdapterQuery::AdapterType).unwrap() {
            AdapterAnswer::AdapterType(kind) => kind,
            other => panic!("AdapterType answered {other:?}"),
        })
        .collect()
}

/// Asserts that `list` names exactly the adapters `want` (indices into
/// `luids`), in that order, each with a distinct open handle.
#[track_caller]
fn lists(sim: &Simulator, luids: &[Luid; 4], list: &[AdapterInfo], want: &[usize]) {
    let got: Vec<Luid> = list.iter().map(|i| i.luid).collect();
    let expected: Vec<Luid> = want.iter().map(|&i| luids[i]).collect();
    assert_eq!(got, expected, "listed LUIDs");
    assert_eq!(kinds(sim, list), want.iter().map(|&i| KINDS[i]).collect::<Vec<_>>());
    let handles: HashSet<AdapterHandle> = list.iter().map(|i| i.handle).collect();
    assert_eq!(handles.len(), list.len(), "the handles are distinct");
    for info in list {
        assert_eq!(sim.adapter_luid(info.handle).unwrap(), info.luid);
    }
}

rows!(
    fn enum3_default_filter_lists_render_adapters_only() {
        let (sim, luids) = four_kinds();
        let list = sim.enum_adapters3(AdapterFilter::default()).unwrap();
        lists(&sim, &luids, &list, &[0, 3]);
    }

    fn enum3_include_compute_only_lists_compute_only_adapters() {
        let (sim, luids) = four_kinds();
        let list = sim.enum_adapters3(AdapterFilter::default().include_compute_only()).unwrap();
        lists(&sim, &luids, &list, &[0, 1, 3]);
    }

    fn enum3_include_display_only_lists_display_only_adapters() {
        let (sim, luids) = four_kinds();
        let list = sim.enum_adapters3(AdapterFilter::default().include_display_only()).unwrap();
        lists(&sim, &luids, &list, &[0, 2, 3]);
    }

    fn enum3_both_flags_list_every_adapter() {
        let (sim, luids) = four_kinds();
        let both = AdapterFilter::default().include_compute_only().include_display_only();
        assert_eq!(both, AdapterFilter::ALL);
        let first = sim.enum_adapters3(both).unwrap();
        lists(&sim, &luids, &first, &[0, 1, 2, 3]);
        let second = sim.enum_adapters3(AdapterFilter::ALL).unwrap();
        lists(&sim, &luids, &second, &[0, 1, 2, 3]);
    }

    fn adapter_count_with_agrees_with_the_filter() {
        let (sim, _) = four_kinds();
        let probe = sim.enum_adapters().unwrap()[0].handle;
        for (filter, want) in filters().into_iter().zip([2, 3, 3, 4]) {
            // The count opens nothing.
            sequence_unmoved_by(&sim, probe, || assert_eq!(sim.adapter_count_with(filter), want, "{filter:?}"));
            assert_eq!(sim.enum_adapters3(filter).unwrap().len(), want, "{filter:?}");
        }
        assert_eq!(sim.adapter_count(), 4);
    }

    fn enum3_too_small_is_buffer_too_small_and_opens_nothing() {
        let (sim, luids) = four_kinds();
        let adapter = sim.open_adapter_from_luid(luids[0]).unwrap();
        sequence_unmoved_by(&sim, adapter, || {
            fails(
                sim.enum_adapters_with_capacity(1, AdapterFilter::default()),
                ErrorKind::BufferTooSmall { needed: 2 },
                NtStatus::BUFFER_TOO_SMALL,
            );
            fails(
                sim.enum_adapters_with_capacity(3, AdapterFilter::ALL),
                ErrorKind::BufferTooSmall { needed: 4 },
                NtStatus::BUFFER_TOO_SMALL,
            );
            fails(
                sim.enum_adapters_with_capacity(0, AdapterFilter::ALL),
                ErrorKind::BufferTooSmall { needed: 4 },
                NtStatus::BUFFER_TOO_SMALL,
            );
        });
        // Room for the listed adapters is enough, whatever else is present.
        let list = sim.enum_adapters_with_capacity(2, AdapterFilter::default()).unwrap();
        lists(&sim, &luids, &list, &[0, 3]);
    }

    fn enum2_lists_every_kind() {
        let (sim, luids) = four_kinds();
        fails(
            sim.enum_adapters_with_capacity(3, AdapterFilter::ALL),
            ErrorKind::BufferTooSmall { needed: 4 },
            NtStatus::BUFFER_TOO_SMALL,
        );
        let list = sim.enum_adapters().unwrap();
        lists(&sim, &luids, &list, &[0, 1, 2, 3]);
    }

    fn enum3_each_entry_is_a_new_open_handle() {
        let (sim, luids) = four_kinds();
        let adapter = sim.open_adapter_from_luid(luids[0]).unwrap();
        let last = probe_handle(&sim, adapter);
        let first = sim.enum_adapters3(AdapterFilter::default()).unwrap();
        let second = sim.enum_adapters3(AdapterFilter::default().include_compute_only()).unwrap();
        // The next values of the sequence, one per entry, in order.
        let raw: Vec<u32> = first.iter().chain(&second).map(|i| i.handle.raw()).collect();
        let expected: Vec<u32> = (1..=5).map(|k| last + k * HANDLE_STEP).collect();
        assert_eq!(raw, expected, "{raw:#x?}");
        for info in first.iter().chain(&second) {
            assert_eq!(sim.adapter_luid(info.handle).unwrap(), info.luid);
            let device = sim.create_device(info.handle).unwrap();
            assert_eq!(sim.device_state(device).unwrap(), ExecutionState::Active);
        }
        // A3 is in both lists: closing one of its handles leaves the other open.
        assert_eq!((first[1].luid, second[2].luid), (luids[3], luids[3]));
        sim.close_adapter(first[1].handle).unwrap();
        fails(sim.adapter_luid(first[1].handle), STALE_ADAPTER, INVALID);
        assert_eq!(sim.adapter_luid(second[2].handle).unwrap(), luids[3]);
        sim.create_device(second[2].handle).unwrap();
    }

    fn enum3_sources_is_one_for_display_capable_adapters() {
        let (sim, luids) = four_kinds();
        for list in [sim.enum_adapters().unwrap(), sim.enum_adapters3(AdapterFilter::ALL).unwrap()] {
            lists(&sim, &luids, &list, &[0, 1, 2, 3]);
            let sources: Vec<u32> = list.iter().map(|i| i.sources).collect();
            assert_eq!(sources, [0, 0, 1, 1]);
        }
    }

    fn enum3_removed_adapter_vanishes() {
        let (sim, luids) = four_kinds();
        let open = sim.enum_adapters().unwrap();
        sim.remove_adapter(open[1].handle).unwrap();
        sim.remove_adapter(open[3].handle).unwrap();
        for (filter, want) in filters().into_iter().zip([&[0][..], &[0], &[0, 2], &[0, 2]]) {
            assert_eq!(sim.adapter_count_with(filter), want.len(), "{filter:?}");
            let list = sim.enum_adapters3(filter).unwrap();
            lists(&sim, &luids, &list, want);
        }
        lists(&sim, &luids, &sim.enum_adapters().unwrap(), &[0, 2]);
        assert_eq!(sim.adapter_count(), 2);
        // Their open handles still name their LUIDs.
        assert_eq!(sim.adapter_luid(open[1].handle).unwrap(), luids[1]);
        assert_eq!(sim.adapter_luid(open[3].handle).unwrap(), luids[3]);
    }

    fn enum3_fault_fires() {
        let (sim, luids) = four_kinds();
        let adapter = sim.open_adapter_from_luid(luids[0]).unwrap();
        sim.inject_fault(Fault::new(FaultCall::EnumAdapters, return_status(NtStatus::UNSUCCESSFUL)).nth(2)).unwrap();
        // The count without a thunk is not an EnumAdapters call.
        assert_eq!(sim.adapter_count_with(AdapterFilter::ALL), 4);
        lists(&sim, &luids, &sim.enum_adapters().unwrap(), &[0, 1, 2, 3]);
        sequence_unmoved_by(&sim, adapter, || {
            fails(
                sim.enum_adapters3(AdapterFilter::ALL),
                Error::injected(NtStatus::UNSUCCESSFUL),
                NtStatus::UNSUCCESSFUL,
            )
        });
        lists(&sim, &luids, &sim.enum_adapters3(AdapterFilter::ALL).unwrap(), &[0, 1, 2, 3]);
    }
);
