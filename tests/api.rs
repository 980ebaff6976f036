//! The Rust API as a test author meets it: one test per promise the API
//! makes beyond the contract (docs/contract.md "The Rust API"): errors that
//! say whether they were injected, enumeration without a capacity, safe
//! byte copies under a lock, readable lock flags, a prelude that shadows
//! nothing.

// The prelude only, as a test would import it.
use d3dkmt_sim::prelude::*;

/// A test's own error type, named as the crate's is.
#[derive(Debug, PartialEq)]
enum Error {
    Sim(ErrorKind),
}

fn fixture(config: SimConfig) -> (Simulator, DeviceHandle, AllocationHandle) {
    let sim = Simulator::new(config).unwrap();
    let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    (sim, device, alloc)
}

fn inject(sim: &Simulator, call: FaultCall, status: NtStatus) {
    sim.inject_fault(Fault::new(call, FaultAction::ReturnStatus(status))).unwrap();
}

/// Compiles only while the prelude exports neither `Result` nor `Error`:
/// two glob imports of one name make every use of it ambiguous (E0659),
/// and `Result` and `Error` below are used as types and as values.
mod the_prelude_exports_no_result_or_error {
    mod theirs {
        pub struct Result;
        pub struct Error;
    }
    #[allow(unused_imports)]
    use d3dkmt_sim::prelude::*;
    use theirs::*;

    #[test]
    fn the_names_are_the_users() {
        let both: (Result, Error) = (Result, Error);
        let _ = both;
    }
}

#[test]
fn the_prelude_leaves_result_and_error_to_the_user() {
    let std_result: Result<u8, String> = Ok(1);
    assert_eq!(std_result, Ok(1));
    let (sim, device, alloc) = fixture(SimConfig::default());
    let mine: Result<(), Error> = sim.unlock2(device, alloc).map_err(|e| Error::Sim(e.kind()));
    assert_eq!(mine, Err(Error::Sim(ErrorKind::NotLocked)));
}

/// Each Lock2 failure a test can provoke for real, then injected: the same
/// kind both times, told apart by `is_injected`, and the same status.
#[test]
fn an_injected_failure_has_the_kind_of_the_real_one() {
    type Provoke = fn(&Simulator, DeviceHandle, AllocationHandle);
    let cases: [(NtStatus, SimConfig, Provoke); 4] = [
        (NtStatus::GRAPHICS_ALLOCATION_BUSY, SimConfig::default().busy_policy(BusyPolicy::Fail), |s, d, a| {
            s.submit(d, &[a]).map(drop).unwrap()
        }),
        (NtStatus::GRAPHICS_TOO_MANY_REFERENCES, SimConfig::default().max_lock_references(1), |s, d, a| {
            s.lock2(d, a).map(drop).unwrap()
        }),
        (NtStatus::DEVICE_REMOVED, SimConfig::default(), |s, d, _| s.remove_device(d, ExecutionState::Hung).unwrap()),
        (NtStatus::INVALID_PARAMETER, SimConfig::default(), |s, d, a| s.destroy_allocations(d, &[a]).unwrap()),
    ];
    for (status, config, provoke) in cases {
        let (sim, device, alloc) = fixture(config.clone());
        inject(&sim, FaultCall::Lock2, status);
        let injected = sim.lock2(device, alloc).unwrap_err();

        let (sim, device, alloc) = fixture(config);
        provoke(&sim, device, alloc);
        let real = sim.lock2(device, alloc).unwrap_err();

        assert_eq!((real.status(), injected.status()), (status, status));
        assert!(injected.is_injected() && !real.is_injected(), "{status}");
        assert_ne!(real, injected, "equality between errors sees the origin");
        if status == NtStatus::INVALID_PARAMETER {
            // The real one says which rule (a stale allocation handle); an
            // injected INVALID_PARAMETER is the generic kind.
            assert_eq!(real, ErrorKind::InvalidHandle(HandleKind::Allocation));
            assert!(matches!(injected.kind(), ErrorKind::InvalidParameter(_)));
        } else {
            assert_eq!(real.kind(), injected.kind(), "{status}");
        }
    }
}

#[test]
fn an_injected_status_without_a_kind_of_its_own_is_other() {
    let (sim, device, alloc) = fixture(SimConfig::default());
    inject(&sim, FaultCall::CreateAllocation, NtStatus::UNSUCCESSFUL);
    let e = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap_err();
    assert_eq!(e, ErrorKind::Other(NtStatus::UNSUCCESSFUL));
    assert!(e.is_injected());
    assert_eq!(e.status(), NtStatus::UNSUCCESSFUL);
    assert_eq!(sim.query_allocation(device, alloc).unwrap().lock_count, 0);
}

#[test]
fn enum_adapters_lists_every_adapter_without_a_capacity() {
    let sim = Simulator::new(SimConfig::default().adapters(16)).unwrap();
    let all = sim.enum_adapters().unwrap();
    assert_eq!(all.len(), 16);
    sim.remove_adapter(all[3].handle).unwrap();
    assert_eq!(sim.enum_adapters().unwrap().len(), 15, "a removed adapter is not listed");
    assert_eq!(sim.enum_adapters3(AdapterFilter::ALL).unwrap().len(), 15);
    // The C form keeps its short-array failure.
    let short = sim.enum_adapters_with_capacity(14, AdapterFilter::ALL).unwrap_err();
    assert_eq!(short, ErrorKind::BufferTooSmall { needed: 15 });
}

#[test]
fn a_guard_copies_in_and_out_without_unsafe() {
    let (sim, device, alloc) = fixture(SimConfig::default());
    let guard = sim.lock2_guard(device, alloc).unwrap();
    assert_eq!(guard.len(), 4096);
    guard.fill(0, 4096, 0x11).unwrap();
    guard.write_at(4093, b"end").unwrap();
    assert_eq!(&guard.read_array::<3>(4093).unwrap(), b"end");
    let all = guard.to_vec().unwrap();
    assert_eq!(all.len(), 4096);
    assert!(all[..4093].iter().all(|&b| b == 0x11));
    // Out of range is an error and writes nothing.
    assert!(matches!(guard.write_at(4094, b"xyz").unwrap_err().kind(), ErrorKind::InvalidParameter(_)));
    assert!(matches!(guard.fill(usize::MAX, 2, 0).unwrap_err().kind(), ErrorKind::InvalidParameter(_)));
    assert_eq!(guard.to_vec().unwrap(), all);
    drop(guard);
    // The content is there at the next lock.
    assert_eq!(&sim.lock2_guard(device, alloc).unwrap().read_array::<3>(4093).unwrap(), b"end");
}

/// Two guards on one allocation copy the same bytes from two threads while
/// a third reads: every aligned word a reader sees is one writer's, whole
/// (the copies are atomic per word; under Miri the same run is checked for
/// data races).
#[test]
fn guards_copying_at_once_never_tear_a_word() {
    let (sim, device, alloc) = fixture(SimConfig::default());
    const WORD: usize = core::mem::size_of::<usize>();
    let rounds = if cfg!(miri) { 4 } else { 2_000 };
    std::thread::scope(|s| {
        for byte in [0xAAu8, 0x55] {
            let sim = &sim;
            s.spawn(move || {
                let guard = sim.lock2_guard(device, alloc).unwrap();
                let data = [byte; 256];
                for _ in 0..rounds {
                    guard.write_at(0, &data).unwrap();
                }
            });
        }
        let guard = sim.lock2_guard(device, alloc).unwrap();
        for _ in 0..rounds {
            let seen: [u8; 256] = guard.read_array(0).unwrap();
            for word in seen.chunks(WORD) {
                assert!(word.iter().all(|&b| b == word[0]), "a torn word: {word:02X?}");
            }
        }
    });
}

#[test]
fn lock_flags_debug_names_the_flags() {
    assert_eq!(format!("{:?}", LockFlags::READ_ONLY | LockFlags::LOCK_ENTIRE), "LockFlags(READ_ONLY | LOCK_ENTIRE)");
    assert_eq!(format!("{:?}", LockFlags::empty()), "LockFlags(0x0)");
    assert_eq!(format!("{:?}", LockFlags::from_bits_retain(0x8000_0004)), "LockFlags(DONOT_WAIT | 0x80000000)");
    assert_eq!(LockFlags::RESERVED.bits(), 0xFFFF_F800);
    assert!(!LockFlags::all().intersects(LockFlags::RESERVED));
    // The legacy lock still refuses reserved bits.
    let (sim, device, alloc) = fixture(SimConfig::default());
    let refused = sim.lock(device, alloc, LockFlags::from_bits_retain(0x800), Pages::Entire).unwrap_err();
    assert!(matches!(refused.kind(), ErrorKind::InvalidParameter(_)));
}
