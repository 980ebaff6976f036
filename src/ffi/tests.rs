//! Unit tests of the C ABI that need a test build (the injected panic).
//! They share the process-wide simulator, so they take a lock.

use super::*;
use crate::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

unsafe fn lock2(device: u32, alloc: u32) -> (NTSTATUS, *mut core::ffi::c_void) {
    let mut args = D3DKMT_LOCK2 { hDevice: device, hAllocation: alloc, ..Default::default() };
    // SAFETY: `args` is a valid D3DKMT_LOCK2.
    let status = unsafe { D3DKMTLock2(&mut args) };
    (status, args.pData)
}

#[test]
fn a_panic_never_crosses_the_abi_and_the_simulator_stays_usable() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let sim = current();
    let adapter = sim.enum_adapters(1).unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::Panic)).unwrap();

    // SAFETY: valid handles and argument struct.
    let (status, data) = unsafe { lock2(device.raw(), alloc.raw()) };
    assert_eq!(status, NtStatus::INTERNAL_ERROR.0);
    assert!(data.is_null(), "a failed call writes no output");

    // SAFETY: as above.
    let (status, data) = unsafe { lock2(device.raw(), alloc.raw()) };
    assert_eq!(status, NtStatus::SUCCESS.0);
    assert!(!data.is_null());
    assert_eq!(sim.query_allocation(device, alloc).unwrap().lock_count, 1);
}

#[test]
fn reset_validates_first_and_keeps_the_old_simulator() {
    let _serial = SERIAL.lock();
    reset_current(SimConfig::default()).unwrap();
    let sim = current();
    let adapter = sim.enum_adapters(1).unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
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

#[test]
fn reset_reissues_the_handles_of_a_new_simulator() {
    let _serial = SERIAL.lock();
    let fresh = Simulator::new(SimConfig::default().seed(7)).unwrap();
    let script = |sim: &Simulator| {
        let adapter = sim.enum_adapters(1).unwrap()[0];
        let device = sim.create_device(adapter.handle).unwrap();
        let allocs = sim.create_allocations(device, &[AllocationDesc::new(4096); 3]).unwrap();
        (adapter, device, allocs)
    };
    let expected = script(&fresh);
    for _ in 0..3 {
        reset_current(SimConfig::default().seed(7)).unwrap();
        // Objects of the previous round are gone; the handles repeat.
        assert_eq!(script(current()), expected);
    }
}
