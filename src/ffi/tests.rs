//! Unit tests of the C ABI that need a test build (an injected panic, the
//! seam's probe, pause points). They share the process-wide simulator, so
//! they take a lock.

use std::sync::mpsc::channel;
use std::thread;

use windows_sys::Wdk::Graphics::Direct3D::{
    D3DKMT_ADAPTERINFO, D3DKMT_CLOSEADAPTER, D3DKMT_CREATEALLOCATION, D3DKMT_CREATECONTEXTVIRTUAL, D3DKMT_CREATEDEVICE,
    D3DKMT_DESTROYALLOCATION2, D3DKMT_DESTROYCONTEXT, D3DKMT_DESTROYDEVICE, D3DKMT_ENUMADAPTERS2, D3DKMT_ENUMADAPTERS3,
    D3DKMT_GETDEVICESTATE, D3DKMT_LOCK, D3DKMT_LOCK2, D3DKMT_OPENADAPTERFROMLUID, D3DKMT_QUERYADAPTERINFO,
    D3DKMT_UNLOCK, D3DKMT_UNLOCK2, KMTQAITYPE_ADAPTERTYPE,
};

use super::*;
use crate::call::CallId;
use crate::pause::{self, Point};
use crate::status::NtStatus;
use crate::sync::Mutex;
use crate::{AllocationDesc, AllocationHandle, DeviceHandle, ExecutionState, Fault, FaultAction};

static SERIAL: Mutex<()> = Mutex::new(());

/// Lock2 through the export: its status and `pData`.
fn lock2(device: u32, alloc: u32) -> (NTSTATUS, usize) {
    let mut args = D3DKMT_LOCK2 { hDevice: device, hAllocation: alloc, ..Default::default() };
    // SAFETY: `args` is a valid D3DKMT_LOCK2.
    let status = unsafe { D3DKMTLock2(&mut args) };
    (status, args.pData as usize)
}

/// One adapter, a device and a one-page allocation on the current simulator.
fn script() -> (DeviceHandle, AllocationHandle) {
    let sim = current();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    (device, alloc)
}

#[test]
fn a_panic_never_crosses_the_abi_and_the_simulator_stays_usable() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let (device, alloc) = script();
    current().inject_fault(Fault::new(CallId::Lock2, FaultAction::Panic)).unwrap();

    let (status, data) = lock2(device.raw(), alloc.raw());
    assert_eq!(status, NtStatus::INTERNAL_ERROR.0);
    assert_eq!(data, 0, "a failed call writes no output");

    let (status, data) = lock2(device.raw(), alloc.raw());
    assert_eq!(status, NtStatus::SUCCESS.0);
    assert_ne!(data, 0);
    assert_eq!(current().query_allocation(device, alloc).unwrap().lock_count, 1);
}

#[test]
fn reset_validates_first_and_keeps_the_old_simulator() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let sim = current();
    let (device, _) = script();
    // A caller with an older, smaller struct: only its Size is read.
    let short: u32 = 4;
    // SAFETY: the simulator reads the 4-byte Size and stops there.
    assert_eq!(unsafe { SimKmtReset((&short as *const u32).cast()) }, NtStatus::INVALID_PARAMETER.0);
    for bad in [
        SIMKMT_CONFIG { Size: 39, ..Default::default() },
        SIMKMT_CONFIG { Size: 40, AdapterCount: 17, ..Default::default() },
        SIMKMT_CONFIG { Size: 40, PageSize: 6000, ..Default::default() },
        SIMKMT_CONFIG { Size: 40, PageSize: 2048, ..Default::default() },
        SIMKMT_CONFIG { Size: 40, BusyPolicy: 3, ..Default::default() },
    ] {
        // SAFETY: `bad` is a valid SIMKMT_CONFIG.
        assert_eq!(unsafe { SimKmtReset(&bad) }, NtStatus::INVALID_PARAMETER.0, "{bad:?}");
        assert_eq!(sim.device_state(device), Ok(ExecutionState::Active), "the old simulator is kept");
    }
    let good = SIMKMT_CONFIG { Size: 40, AdapterCount: 3, MaxLockReferences: 2, ..Default::default() };
    // SAFETY: `good` is a valid SIMKMT_CONFIG.
    assert_eq!(unsafe { SimKmtReset(&good) }, 0);
    assert_eq!(current().adapter_count(), 3);
    assert_eq!(current().config().max_lock_references, 2);
    assert_eq!(current().config().page_size, 4096);
    assert!(sim.device_state(device).is_err(), "a reset destroys every object");
}

/// `SimKmtQueryConfig` reports what the last reset set, every field filled
/// in (zero fields of the reset's struct come back as their defaults), and
/// refuses NULL and a short `Size` without writing.
#[test]
fn query_config_reports_the_effective_configuration() {
    let _serial = SERIAL.lock();
    let set = SIMKMT_CONFIG {
        Size: 40,
        AdapterCount: 2,
        BusyPolicy: SIMKMT_BUSY_WAIT,
        WaitTimeoutMs: 250,
        AdapterMemoryBytes: 64 << 20,
        Seed: 9,
        ..Default::default()
    };
    // SAFETY: `set` is a valid SIMKMT_CONFIG.
    assert_eq!(unsafe { SimKmtReset(&set) }, 0);
    let mut got = SIMKMT_CONFIG { Size: 40, ..Default::default() };
    // SAFETY: `got` is a valid, writable SIMKMT_CONFIG.
    assert_eq!(unsafe { SimKmtQueryConfig(&mut got) }, 0);
    let want = SIMKMT_CONFIG { PageSize: 4096, MaxLockReferences: 1024, ..set };
    assert_eq!(got, want);

    // SAFETY: NULL is refused before anything is read.
    assert_eq!(unsafe { SimKmtQueryConfig(core::ptr::null_mut()) }, NtStatus::INVALID_PARAMETER.0);
    let mut short = SIMKMT_CONFIG { Size: 39, Seed: 1, ..Default::default() };
    // SAFETY: a writable SIMKMT_CONFIG; only its Size is read.
    assert_eq!(unsafe { SimKmtQueryConfig(&mut short) }, NtStatus::INVALID_PARAMETER.0);
    assert_eq!(short, SIMKMT_CONFIG { Size: 39, Seed: 1, ..Default::default() }, "nothing written");
    reset_current(SimConfig::default()).unwrap();
}

#[test]
fn reset_reissues_the_handles_of_a_new_simulator() {
    let _serial = SERIAL.lock();
    let fresh = Simulator::new(SimConfig::default().seed(7)).unwrap();
    let script = |sim: &Simulator| {
        let adapter = sim.enum_adapters().unwrap()[0];
        let device = sim.create_device(adapter.handle).unwrap();
        let allocs = sim.create_allocations(device, &[AllocationDesc::new(4096); 3]).unwrap();
        (adapter, device, allocs)
    };
    let expected = script(&fresh);
    assert_eq!(expected.1.raw(), 0x4000_0080);
    for _ in 0..3 {
        reset_current(SimConfig::default().seed(7)).unwrap();
        // Objects of the previous round are gone; the handles repeat.
        assert_eq!(script(current()), expected);
    }
}

/// A Lock2 that read an allocation's metadata and is about to take its
/// reference while another thread resets the simulator and re-creates the
/// same objects (same handles) must not take the reference on the new
/// allocation and hand out the old one's base. The pause point holds the
/// window open; before the fix the CAS succeeded on the new allocation's
/// identical word and `pData` was the destroyed allocation's base. The new
/// allocation is backed by caller memory that exists while the old one
/// does, so the two bases always differ (a new mapping could otherwise take
/// the old address and hide the defect).
#[test]
fn a_lock2_straddling_a_reset_maps_the_allocation_it_locked() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let (device, alloc) = script();
    let layout = std::alloc::Layout::from_size_align(4096, 4096).unwrap();
    // SAFETY: a non-zero-sized layout.
    let page = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!page.is_null());
    let (arrived_tx, arrived) = channel();
    let (resume, resume_rx) = channel::<()>();
    let locker = thread::spawn(move || {
        pause::at(Point::Lock2BeforeCas, arrived_tx, resume_rx);
        lock2(device.raw(), alloc.raw())
    });
    arrived.recv().expect("the locker reaches the pause point");

    reset_current(SimConfig::default()).unwrap();
    let sim = current();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let again = sim.create_device(adapter).unwrap();
    // SAFETY: `page` is 4096 writable bytes, freed only after the device
    // (and with it the allocation) is destroyed below.
    let memory = unsafe { crate::SystemMemory::new(page, 4096) };
    let over = sim.create_allocation(again, AllocationDesc::new(4096).with_system_memory(memory)).unwrap();
    assert_eq!((again, over), (device, alloc), "the new simulator issues the same handles");

    resume.send(()).unwrap();
    let (status, data) = locker.join().unwrap();
    let count = current().query_allocation(device, alloc).unwrap().lock_count;
    current().destroy_device(device).unwrap();
    // SAFETY: allocated above with this layout; no allocation uses it now.
    unsafe { std::alloc::dealloc(page, layout) };
    assert_eq!(status, NtStatus::SUCCESS.0);
    assert_eq!(data, page as usize, "pData is the base of the allocation whose reference was taken");
    assert_eq!(count, 1);
}

/// Every export passes the one seam: with the test probe armed (which
/// makes no call quiet), each call is recorded with its entry point and
/// the status it returned.
#[test]
fn every_export_passes_the_seam_with_its_outcome() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let (device, alloc) = script();
    let (d, a) = (device.raw(), alloc.raw());
    let (probe, gate) = current().engine().probe();
    probe.start(gate);
    let ok = NtStatus::SUCCESS.0;
    let bad = NtStatus::INVALID_PARAMETER.0;
    let mut expected = Vec::new();
    let mut check = |id: CallId, status: NTSTATUS, want: NTSTATUS| {
        assert_eq!(status, want, "{id:?}");
        expected.push((id, NtStatus(want)));
    };
    // SAFETY: every call below gets valid argument structs (and arrays
    // that outlive the call), or NULL where the contract allows it.
    unsafe {
        let mut enum2 = D3DKMT_ENUMADAPTERS2::default();
        let mut info = [D3DKMT_ADAPTERINFO::default(); 1];
        enum2.NumAdapters = 1;
        enum2.pAdapters = info.as_mut_ptr();
        check(CallId::EnumAdapters, D3DKMTEnumAdapters2(&mut enum2), ok);
        let mut open = D3DKMT_OPENADAPTERFROMLUID { AdapterLuid: info[0].AdapterLuid, hAdapter: 0 };
        check(CallId::OpenAdapter, D3DKMTOpenAdapterFromLuid(&mut open), ok);
        check(CallId::CloseAdapter, D3DKMTCloseAdapter(&D3DKMT_CLOSEADAPTER { hAdapter: open.hAdapter }), ok);
        let mut create = D3DKMT_CREATEDEVICE::default();
        create.Anonymous.hAdapter = info[0].hAdapter;
        check(CallId::CreateDevice, D3DKMTCreateDevice(&mut create), ok);
        check(CallId::DestroyDevice, D3DKMTDestroyDevice(&D3DKMT_DESTROYDEVICE { hDevice: create.hDevice }), ok);
        let mut enum3 = D3DKMT_ENUMADAPTERS3::default();
        check(CallId::EnumAdapters, D3DKMTEnumAdapters3(&mut enum3), ok);
        assert_eq!(enum3.NumAdapters, 1, "a NULL array asks for the count");
        let mut kind = 0u32;
        let mut query = D3DKMT_QUERYADAPTERINFO {
            hAdapter: info[0].hAdapter,
            Type: KMTQAITYPE_ADAPTERTYPE,
            pPrivateDriverData: (&mut kind as *mut u32).cast(),
            PrivateDriverDataSize: 4,
        };
        check(CallId::QueryAdapterInfo, D3DKMTQueryAdapterInfo(&query), ok);
        query.PrivateDriverDataSize = 3;
        check(CallId::QueryAdapterInfo, D3DKMTQueryAdapterInfo(&query), bad);
        let mut context = D3DKMT_CREATECONTEXTVIRTUAL { hDevice: d, EngineAffinity: 1, ..Default::default() };
        check(CallId::CreateContext, D3DKMTCreateContextVirtual(&mut context), ok);
        let destroy = D3DKMT_DESTROYCONTEXT { hContext: context.hContext };
        check(CallId::DestroyContext, D3DKMTDestroyContext(&destroy), ok);
        check(CallId::DestroyContext, D3DKMTDestroyContext(&destroy), bad);
        let mut state = D3DKMT_GETDEVICESTATE { hDevice: d, StateType: 1, ..Default::default() };
        check(CallId::GetDeviceState, D3DKMTGetDeviceState(&mut state), ok);
        let mut ca = D3DKMT_CREATEALLOCATION { hDevice: d, ..Default::default() };
        check(CallId::CreateAllocation, D3DKMTCreateAllocation2(&mut ca), bad);
        check(CallId::CreateAllocation, D3DKMTCreateAllocation(&mut ca), bad);
        let da = D3DKMT_DESTROYALLOCATION2 { hDevice: d, ..Default::default() };
        check(CallId::DestroyAllocation, D3DKMTDestroyAllocation2(&da), ok);
        check(CallId::Lock2, lock2(d, a).0, ok);
        check(CallId::Unlock2, D3DKMTUnlock2(&D3DKMT_UNLOCK2 { hDevice: d, hAllocation: a }), ok);
        let mut lock = D3DKMT_LOCK { hDevice: d, hAllocation: a, ..Default::default() };
        check(CallId::Lock, D3DKMTLock(&mut lock), ok);
        let unlock = D3DKMT_UNLOCK { hDevice: d, NumAllocations: 1, phAllocations: &a };
        check(CallId::Unlock, D3DKMTUnlock(&unlock), ok);
        let mut submit = SIMKMT_SUBMIT { hDevice: d, NumAllocations: 1, phAllocations: &a, FenceValue: 0 };
        check(CallId::Submit, SimKmtSubmit(&mut submit), ok);
        check(CallId::CompleteFence, SimKmtCompleteFence(d, submit.FenceValue), ok);
        let mut q = SIMKMT_ALLOCATION_INFO::default();
        check(CallId::QueryAllocation, SimKmtQueryAllocation(d, a, &mut q), ok);
        let mut size = 0u32;
        let query = SimKmtQueryAllocationPrivateData(d, a, core::ptr::null_mut(), &mut size);
        check(CallId::QueryAllocationPrivateData, query, ok);
        check(CallId::SetDriverModel, SimKmtSetDriverModel(None, core::ptr::null_mut()), ok);
        check(CallId::ResetAdapter, SimKmtResetAdapter(info[0].hAdapter), ok);
        check(CallId::RemoveDevice, SimKmtRemoveDevice(d, 3), NtStatus::DEVICE_REMOVED.0);
        check(CallId::RemoveAdapter, SimKmtRemoveAdapter(info[0].hAdapter), ok);
        let fault = SIMKMT_FAULT { Call: 1, Action: 0, Status: NtStatus::UNSUCCESSFUL.0, ..Default::default() };
        check(CallId::InjectFault, SimKmtInjectFault(&fault), ok);
    }
    let recorded = probe.stop(gate);
    current().clear_faults();
    assert_eq!(recorded, expected);
}
