//! Faults (docs/contract.md §9).
//!
//! The rows of the section "Faults" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn fault_return_status_changes_nothing() {
        let fx = fixture_with(budget_plus(1));
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(REMOVED))).unwrap();
        // Lock2: not locked, device not removed.
        fx.unchanged_by(|| fails(fx.sim.lock2(fx.d, fx.a), Error::injected(REMOVED), REMOVED));

        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, return_status(NtStatus::UNSUCCESSFUL))).unwrap();
        // Unlock2: still locked.
        fx.unchanged_by(|| {
            fails(fx.sim.unlock2(fx.d, fx.a), Error::injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL)
        });

        fx.sim.inject_fault(Fault::new(FaultCall::CreateAllocation, return_status(NtStatus::NO_MEMORY))).unwrap();
        fx.unchanged_by(|| {
            fails(
                fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)),
                Error::injected(NtStatus::NO_MEMORY),
                NtStatus::NO_MEMORY,
            )
        });

        // Nothing destroyed.
        fx.unchanged_by(|| {
            fx.sim.inject_fault(Fault::new(FaultCall::DestroyAllocation, return_status(BUSY))).unwrap();
            fails(fx.sim.destroy_allocations(fx.d, &[fx.b]), Error::injected(BUSY), BUSY);
            fx.sim.inject_fault(Fault::new(FaultCall::DestroyDevice, return_status(BUSY))).unwrap();
            fails(fx.sim.destroy_device(fx.dev_e), Error::injected(BUSY), BUSY);
        });

        // The budget was not charged by the failed creation: one page is left.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
        fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
    }

    fn fault_fires_on_nth_for_count_calls() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY)).nth(2).count(2)).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        // Calls of other entry points do not count.
        fx.lock_entire(fx.d, fx.b, no_flags()).unwrap();
        fx.sim.unlock2(fx.d, fx.b).unwrap();
        fails(fx.sim.lock2(fx.d, fx.a), Error::injected(BUSY), BUSY);
        fails(fx.sim.lock2(fx.d, fx.a), Error::injected(BUSY), BUSY);
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        assert_eq!(fx.n(fx.a), 3);
    }

    fn fault_counts_calls_with_bad_handles() {
        let fx = fixture();
        let x = fx.stale_allocation();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::UNSUCCESSFUL)).nth(2)).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, x), STALE_ALLOCATION, INVALID);
            fails(fx.sim.lock2(fx.d, fx.a), Error::injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL);
        });
    }

    fn fault_remove_device_sets_hung_then_call_sees_removal() {
        let fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
        fails(fx.sim.lock2(fx.d, fx.a), ErrorKind::DeviceRemoved, REMOVED);
        assert_eq!(fx.state(fx.d), ExecutionState::Hung);
        assert_eq!(fx.n(fx.a), 0);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Active);
    }

    fn fault_remove_device_with_bad_handle_removes_nothing() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, FaultAction::RemoveDevice)).unwrap();
        fx.unchanged_by(|| fails(fx.sim.unlock2(s, fx.a), STALE_DEVICE, INVALID));
        // The fault is spent: the next Unlock2 fails as usual, on an active device.
        fails(fx.sim.unlock2(fx.d, fx.a), ErrorKind::NotLocked, INVALID);
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }

    fn fault_reset_adapter_then_call_sees_removal() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock, FaultAction::ResetAdapter)).unwrap();
        fails(fx.lock_entire(fx.d, fx.a, no_flags()), ErrorKind::DeviceRemoved, REMOVED);
        assert_eq!(fx.state(fx.d), ExecutionState::Reset);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
        assert_eq!(fx.n(fx.a), 0);
    }

    fn fault_reset_adapter_on_create_device_creates_on_reset_adapter() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, FaultAction::ResetAdapter)).unwrap();
        let fresh = fx.sim.create_device(fx.adapter).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Reset);
        assert_eq!(fx.state(fx.dev_e), ExecutionState::Reset);
        assert_eq!(fx.state(fresh), ExecutionState::Active);
    }

    fn fault_return_status_beats_side_effects_on_same_call() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice)).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::UNSUCCESSFUL))).unwrap();
        fx.unchanged_by(|| {
            fails(fx.sim.lock2(fx.d, fx.a), Error::injected(NtStatus::UNSUCCESSFUL), NtStatus::UNSUCCESSFUL)
        });
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }

    fn fault_validation_rejects_success_status() {
        let fx = fixture();
        invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::SUCCESS))));
        invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(NtStatus::TIMEOUT))));
        // Nothing was armed.
        fx.sim.lock2(fx.d, fx.a).unwrap();
    }

    fn fault_validation_remove_device_needs_a_device_call() {
        let fx = fixture();
        invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::OpenAdapter, FaultAction::RemoveDevice)));
        invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, FaultAction::RemoveDevice)));
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        fx.sim.open_adapter_from_luid(luid).unwrap();
        let fresh = fx.sim.create_device(fx.adapter).unwrap();
        assert_eq!(fx.state(fresh), ExecutionState::Active);
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }

    fn fault_validation_reset_adapter_needs_a_device_or_adapter_call() {
        let fx = fixture();
        invalid_parameter(fx.sim.inject_fault(Fault::new(FaultCall::OpenAdapter, FaultAction::ResetAdapter)));
        let luid = fx.sim.adapter_luid(fx.adapter).unwrap();
        fx.sim.open_adapter_from_luid(luid).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }

    fn fault_belongs_to_one_simulator() {
        let first = fixture();
        let second = fixture();
        first.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
        second.sim.lock2(second.d, second.a).unwrap();
        fails(first.sim.lock2(first.d, first.a), Error::injected(BUSY), BUSY);
    }

    fn fault_clear_disarms_every_fault() {
        let fx = fixture();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::Unlock2, FaultAction::RemoveDevice)).unwrap();
        fx.sim.clear_faults();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.unlock2(fx.d, fx.a).unwrap();
        assert_eq!(fx.state(fx.d), ExecutionState::Active);
    }
);
