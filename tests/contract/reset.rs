//! Reset: `Simulator::reset`, the Rust form of `SimKmtReset` (docs/contract.md §9).
//!
//! The rows of the section "Reset" of docs/lock-states.md, one test each.

use std::time::Duration;

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn reset_destroys_every_object_and_disarms_faults() {
        let mut fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.submit(fx.d, &[fx.b]).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::CreateDevice, return_status(BUSY))).unwrap();
        fx.sim.reset(SimConfig::default().adapters(2).max_lock_references(1)).unwrap();
        // The old objects are gone (the new simulator has no device yet).
        fails(fx.sim.device_state(fx.d), STALE_DEVICE, INVALID);
        fails(fx.sim.lock2(fx.dev_e, fx.e), STALE_DEVICE, INVALID);
        fails(fx.sim.create_device(fx.adapter), STALE_ADAPTER, INVALID);
        // The new configuration is in force, and the fault is gone.
        assert_eq!(fx.sim.adapter_count(), 2);
        let adapter = fx.sim.enum_adapters().unwrap()[0].handle;
        let d = fx.sim.create_device(adapter).unwrap();
        let a = fx.sim.create_allocation(d, AllocationDesc::new(PAGE)).unwrap();
        fx.sim.lock2(d, a).unwrap();
        fails(fx.sim.lock2(d, a), ErrorKind::TooManyReferences, TOO_MANY);
    }

    fn reset_issues_the_handles_of_a_new_simulator() {
        let config = SimConfig::default().adapters(3).seed(99);
        let script = |sim: &Simulator| {
            let adapters = sim.enum_adapters().unwrap();
            let d = sim.create_device(adapters[1].handle).unwrap();
            let allocs = sim.create_allocations(d, &[AllocationDesc::new(PAGE); 4]).unwrap();
            sim.destroy_allocations(d, &allocs[1..2]).unwrap();
            let again = sim.create_allocation(d, AllocationDesc::new(PAGE)).unwrap();
            (adapters, d, allocs, again)
        };
        let expected = script(&Simulator::new(config.clone()).unwrap());
        let mut fx = fixture();
        fx.sim.reset(config).unwrap();
        assert_eq!(script(&fx.sim), expected, "handles and LUIDs equal a new simulator's");
    }

    fn reset_invalid_config_changes_nothing() {
        let mut fx = fixture();
        fx.sim.lock2(fx.d, fx.a).unwrap();
        fx.sim.inject_fault(Fault::new(FaultCall::Lock2, return_status(BUSY))).unwrap();
        // `reset` takes the simulator mutably, so the calls get `fx` as an argument.
        fx.unchanged_by_mut(|fx| {
            for bad in [
                SimConfig::default().adapters(0),
                SimConfig::default().adapters(17),
                SimConfig::default().page_size(6000),
                SimConfig::default().max_lock_references(0),
                SimConfig::default().wait_timeout(Duration::MAX),
            ] {
                invalid_parameter(fx.sim.reset(bad));
            }
        });
        assert_eq!(fx.sim.config(), SimConfig::default());
        fails(fx.sim.lock2(fx.d, fx.a), Error::injected(BUSY), BUSY);
    }
);
