//! The driver model (the simulated kernel-mode driver's reading of private
//! driver data).
//!
//! The rows of the section "Driver model" of docs/lock-states.md, one test
//! each.

// The recording model needs a lock; the loom facade is the crate's, not the tests'.
#![allow(clippy::disallowed_types)]

use std::sync::{Arc, Mutex};

use d3dkmt_sim::*;

use crate::creation::desc;
use crate::fixture::*;

/// A driver's own format: `b'T'`, a page count, and `b'S'` for system memory.
fn texture_model(request: &DriverRequest<'_>) -> Result<DriverAllocation> {
    match request.private_data {
        [b'T', pages] => Ok(DriverAllocation::new(u64::from(*pages) * PAGE)),
        [b'T', pages, b'S'] => Ok(DriverAllocation::new(u64::from(*pages) * PAGE).placement(Placement::System)),
        [b'T', pages, b'H'] => Ok(DriverAllocation::new(u64::from(*pages) * PAGE).not_cpu_visible()),
        _ => Err(ErrorKind::Driver(REFUSED).into()),
    }
}

const REFUSED: NtStatus = NtStatus::from_u32(0xE0AB_0001);

fn one(data: &[u8]) -> CreateRequest<'_> {
    CreateRequest::new().allocation(RawAllocation::new(data))
}

rows!(
    fn driver_model_closure_reads_its_own_format() {
        let fx = fixture();
        invalid_parameter(fx.sim.create_allocations_from(fx.d, &one(b"T\x03")));
        fx.sim.set_driver_model(texture_model).unwrap();
        let request = one(b"T\x03").allocation(RawAllocation::new(b"T\x01H"));
        let made = fx.sim.create_allocations_from(fx.d, &request).unwrap();
        let (a, h) = (fx.info(made[0]), fx.info(made[1]));
        assert_eq!((a.size, a.cpu_visible, a.placement), (3 * PAGE, true, Placement::Video));
        assert_eq!((h.size, h.cpu_visible), (PAGE, false));
        let mapping = fx.sim.lock2(fx.d, made[0]).unwrap();
        assert_eq!(mapping.len() as u64, 3 * PAGE);
        fails(fx.sim.lock2(fx.d, made[1]), ErrorKind::NotCpuVisible, INVALID);
        // The default model's format is now refused by this model.
        let d = desc(PAGE);
        fails(fx.sim.create_allocations_from(fx.d, &one(&d)), ErrorKind::Driver(REFUSED), REFUSED);
    }

    fn driver_model_failure_status_is_returned_and_creates_nothing() {
        let fx = fixture_with(budget_plus(2));
        fx.sim.set_driver_model(texture_model).unwrap();
        let request = one(b"T\x02").allocation(RawAllocation::new(b"?"));
        fx.unchanged_by(|| fails(fx.sim.create_allocations_from(fx.d, &request), ErrorKind::Driver(REFUSED), REFUSED));
        // A model that fails with a success status is refused as InvalidParameter.
        fx.sim.set_driver_model(|_: &DriverRequest<'_>| Err(ErrorKind::Driver(NtStatus::SUCCESS).into())).unwrap();
        fx.unchanged_by(|| invalid_parameter(fx.sim.create_allocations_from(fx.d, &one(b"T\x01"))));
        // A zero size answered by the model is InvalidParameter too.
        fx.sim.set_driver_model(|_: &DriverRequest<'_>| Ok(DriverAllocation::new(0))).unwrap();
        fx.unchanged_by(|| invalid_parameter(fx.sim.create_allocations_from(fx.d, &one(b"T\x01"))));
        // Nothing was charged.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(2 * PAGE)).unwrap();
    }

    fn driver_model_system_placement_is_outside_the_budget() {
        let fx = fixture_with(budget_plus(0));
        fx.sim.set_driver_model(texture_model).unwrap();
        let made = fx.sim.create_allocations_from(fx.d, &one(b"T\xFFS")).unwrap();
        assert_eq!(fx.info(made[0]).placement, Placement::System);
        fails(fx.sim.create_allocations_from(fx.d, &one(b"T\x01")), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
        // Destroying it gives back nothing it did not take.
        fx.sim.destroy_allocations(fx.d, &made).unwrap();
        fails(fx.sim.create_allocations_from(fx.d, &one(b"T\x01")), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
        // The Rust AllocationDesc path can place in system memory too.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE).placement(Placement::System)).unwrap();
    }

    fn driver_model_private_data_reads_back() {
        let fx = fixture();
        let d = desc(5000);
        let made = fx.sim.create_allocations_from(fx.d, &one(&d)).unwrap();
        assert_eq!(fx.sim.allocation_private_data(fx.d, made[0]).unwrap(), d, "the default model's data is kept too");
        assert_eq!(
            fx.sim.allocation_private_data(fx.d, fx.a).unwrap(),
            Vec::<u8>::new(),
            "an AllocationDesc passes none"
        );
        fx.sim.set_driver_model(texture_model).unwrap();
        let mine = fx.sim.create_allocations_from(fx.d, &one(b"T\x01")).unwrap();
        let x = fx.stale_allocation();
        assert_eq!(fx.sim.allocation_private_data(fx.d, mine[0]).unwrap(), b"T\x01");
        fx.remove(fx.d);
        assert_eq!(fx.sim.allocation_private_data(fx.d, mine[0]).unwrap(), b"T\x01", "works on a removed device");
        fails(fx.sim.allocation_private_data(fx.d, fx.e), ErrorKind::WrongDevice, INVALID);
        fails(fx.sim.allocation_private_data(fx.d, x), STALE_ALLOCATION, INVALID);
    }

    fn driver_model_sees_resource_data_flags_and_index() {
        let fx = fixture();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        fx.sim
            .set_driver_model(move |r: &DriverRequest<'_>| {
                log.lock().unwrap().push((
                    r.resource_data.to_vec(),
                    r.private_data.to_vec(),
                    r.index,
                    r.flags,
                    r.has_system_memory,
                ));
                Ok(DriverAllocation::new(PAGE))
            })
            .unwrap();
        let flags = CreateFlags::from_bits(0x80); // ReadOnly: shown, not checked
        let request = CreateRequest::new()
            .resource_data(b"res")
            .flags(flags)
            .allocation(RawAllocation::new(b"a"))
            .allocation(RawAllocation::new(b"b"));
        fx.sim.create_allocations_from(fx.d, &request).unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            vec![(b"res".to_vec(), b"a".to_vec(), 0, flags, false), (b"res".to_vec(), b"b".to_vec(), 1, flags, false)]
        );
    }

    fn driver_model_reset_restores_the_default() {
        let mut fx = fixture();
        fx.sim.set_driver_model(texture_model).unwrap();
        fx.sim.reset(SimConfig::default()).unwrap();
        let adapter = fx.sim.enum_adapters().unwrap()[0].handle;
        let device = fx.sim.create_device(adapter).unwrap();
        invalid_parameter(fx.sim.create_allocations_from(device, &one(b"T\x01")));
        let d = desc(PAGE);
        fx.sim.create_allocations_from(device, &one(&d)).unwrap();
        // And the explicit way back.
        fx.sim.set_driver_model(texture_model).unwrap();
        fx.sim.use_default_driver_model().unwrap();
        fx.sim.create_allocations_from(device, &one(&d)).unwrap();
        fx.d = device;
    }

    fn driver_model_belongs_to_one_simulator() {
        let (one_sim, other) = (fixture(), fixture());
        one_sim.sim.set_driver_model(texture_model).unwrap();
        one_sim.sim.create_allocations_from(one_sim.d, &one(b"T\x01")).unwrap();
        invalid_parameter(other.sim.create_allocations_from(other.d, &one(b"T\x01")));
    }
);
