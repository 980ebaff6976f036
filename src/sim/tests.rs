//! Tests of the facade: every method passes the seam; a Lock2 straddling a
//! reset.

use std::sync::mpsc::channel;
use std::thread;

use super::*;
use crate::call::CallId;
use crate::error::Error;
use crate::pause::{self, Point};
use crate::status::NtStatus;
use crate::{status_of, AdapterHandle, AllocationHandle, FaultAction};
use crate::{AllocationDesc, DeviceHandle, ExecutionState, Fault, LockFlags, Pages, SimConfig};

fn setup(sim: &Simulator) -> (AdapterHandle, DeviceHandle, AllocationHandle) {
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    (adapter, device, alloc)
}

/// Every method of the facade passes the one seam, with its entry
/// point and the status it returned.
#[test]
fn every_rust_entry_point_passes_the_seam_with_its_outcome() {
    let sim = Simulator::new(SimConfig::default()).unwrap();
    let (adapter, d, a) = setup(&sim);
    let (probe, gate) = sim.engine.probe();
    probe.start(gate);
    let mut expected = Vec::new();
    let mut saw = |id: CallId, status: NtStatus| expected.push((id, status));
    saw(CallId::EnumAdapters, status_of(&sim.enum_adapters()));
    saw(CallId::Query, status_of(&Ok::<_, Error>(sim.adapter_count())));
    let luid = sim.adapter_luid(adapter);
    saw(CallId::Query, status_of(&luid));
    let opened = sim.open_adapter_from_luid(luid.unwrap());
    saw(CallId::OpenAdapter, status_of(&opened));
    saw(CallId::CloseAdapter, status_of(&sim.close_adapter(opened.unwrap())));
    let e = sim.create_device(adapter);
    saw(CallId::CreateDevice, status_of(&e));
    saw(CallId::DestroyDevice, status_of(&sim.destroy_device(e.unwrap())));
    saw(CallId::GetDeviceState, status_of(&sim.device_state(d)));
    let b = sim.create_allocation(d, AllocationDesc::new(4096));
    saw(CallId::CreateAllocation, status_of(&b));
    saw(CallId::DestroyAllocation, status_of(&sim.destroy_allocations(d, &[b.unwrap()])));
    saw(CallId::QueryAllocation, status_of(&sim.query_allocation(d, a)));
    saw(CallId::QueryAllocationPrivateData, status_of(&sim.allocation_private_data(d, a)));
    let raw = crate::CreateRequest::new().allocation(crate::RawAllocation::new(b"?"));
    saw(CallId::CreateAllocation, status_of(&sim.create_allocations_from(d, &raw)));
    saw(CallId::SetDriverModel, status_of(&sim.use_default_driver_model()));
    saw(CallId::Lock2, status_of(&sim.lock2(d, a)));
    saw(CallId::Unlock2, status_of(&sim.unlock2(d, a)));
    let guard = sim.lock2_guard(d, a).unwrap();
    saw(CallId::Lock2, NtStatus::SUCCESS);
    saw(CallId::Memory, status_of(&guard.write_at(0, b"x")));
    drop(guard);
    saw(CallId::Unlock2, NtStatus::SUCCESS);
    saw(CallId::Lock, status_of(&sim.lock(d, a, LockFlags::default(), Pages::List(&[0]))));
    saw(CallId::Unlock, status_of(&sim.unlock(d, &[a])));
    let fence = sim.submit(d, &[a]);
    saw(CallId::Submit, status_of(&fence));
    saw(CallId::CompleteFence, status_of(&sim.complete_fence(d, fence.unwrap())));
    saw(CallId::Query, status_of(&sim.last_fence(d)));
    let mut byte = [0u8; 1];
    saw(CallId::Memory, status_of(&sim.peek(d, a, 0, &mut byte)));
    saw(CallId::Query, status_of(&Ok::<_, Error>(sim.config())));
    let fault = Fault::new(CallId::Lock2, FaultAction::ReturnStatus(NtStatus::UNSUCCESSFUL));
    saw(CallId::InjectFault, status_of(&sim.inject_fault(fault)));
    saw(CallId::Lock2, status_of(&sim.lock2(d, a)));
    sim.clear_faults();
    saw(CallId::InjectFault, NtStatus::SUCCESS);
    saw(CallId::RemoveDevice, status_of(&sim.remove_device(d, ExecutionState::Hung)));
    saw(CallId::ResetAdapter, status_of(&sim.reset_adapter(adapter)));
    saw(CallId::RemoveAdapter, status_of(&sim.remove_adapter(adapter)));
    let recorded = probe.stop(gate);
    assert_eq!(recorded, expected);
    assert!(expected.contains(&(CallId::Lock2, NtStatus::UNSUCCESSFUL)), "the fault answered through the seam");
}

/// A Lock2 paused between reading an allocation's metadata and its CAS
/// while another thread resets the engine and re-creates the same
/// objects: the reference and the mapping are the new allocation's.
///
/// The old allocation's address is held by another mapping during the
/// re-creation, and the new allocation is larger, so its base differs
/// from the old one (checked): otherwise a stale base would equal the
/// new one by accident and hide the defect.
#[test]
fn a_lock2_straddling_a_reset_locks_and_maps_one_allocation() {
    let sim = Simulator::new(SimConfig::default()).unwrap();
    let (_, device, alloc) = setup(&sim);
    let old_base = sim.lock2(device, alloc).unwrap().as_ptr();
    sim.unlock2(device, alloc).unwrap();
    let sim = &sim;
    let (got, fresh) = thread::scope(|s| {
        // Inside the scope: a failing assertion drops `resume`, which
        // lets the paused thread go instead of hanging the scope.
        let (arrived_tx, arrived) = channel();
        let (resume, resume_rx) = channel::<()>();
        let locker = s.spawn(move || {
            pause::at(Point::Lock2BeforeCas, arrived_tx, resume_rx);
            sim.lock2(device, alloc)
        });
        arrived.recv().expect("the locker reaches the pause point");
        sim.engine.reset(SimConfig::default()).unwrap();
        let _hole = crate::mem::Backing::anonymous(4096).unwrap();
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        let again = sim.create_device(adapter).unwrap();
        let bigger = sim.create_allocation(again, AllocationDesc::new(2 * 4096)).unwrap();
        assert_eq!((again, bigger), (device, alloc), "the same handles again");
        let fresh = sim.lock2(device, alloc).unwrap();
        sim.unlock2(device, alloc).unwrap();
        assert_ne!(fresh.as_ptr(), old_base, "the new allocation must not sit at the old address");
        resume.send(()).unwrap();
        (locker.join().unwrap(), fresh)
    });
    assert_eq!(got, Ok(fresh), "the mapping is the allocation whose reference was taken");
    assert_eq!(sim.query_allocation(device, alloc).unwrap().lock_count, 1);
    assert_eq!(setup(sim).1.raw(), 0x4000_0140, "the sequence goes on after the re-created objects");
}
