//! Allocations (docs/contract.md §4).
//!
//! The rows of the section "Allocations" of docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

rows!(
    fn create_allocation_past_budget_is_no_video_memory() {
        let fx = fixture_with(budget_plus(8));
        fx.unchanged_by(|| {
            let descs = [AllocationDesc::new(4 * PAGE), AllocationDesc::new(8 * PAGE)];
            fails(fx.sim.create_allocations(fx.d, &descs), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
        });
        // Nothing was charged: all 8 pages are still there, and no more.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(8 * PAGE)).unwrap();
        fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
    }

    fn create_allocation_size_zero_is_invalid_parameter() {
        let fx = fixture_with(budget_plus(1));
        fx.unchanged_by(|| {
            invalid_parameter(fx.sim.create_allocations(fx.d, &[AllocationDesc::new(PAGE), AllocationDesc::new(0)]));
            invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(0)));
        });
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    }

    fn create_allocations_empty_list_is_invalid_parameter() {
        let fx = fixture();
        fx.unchanged_by(|| invalid_parameter(fx.sim.create_allocations(fx.d, &[])));
    }

    fn create_allocations_removed_device_beats_empty_list() {
        let fx = fixture();
        fx.remove(fx.d);
        fx.unchanged_by(|| fails(fx.sim.create_allocations(fx.d, &[]), ErrorKind::DeviceRemoved, REMOVED));
    }

    fn create_allocation_stale_device_is_invalid_parameter() {
        let fx = fixture();
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.create_allocation(s, AllocationDesc::new(PAGE)), STALE_DEVICE, INVALID));
    }

    #[allow(unsafe_code)]
    fn create_allocation_misaligned_system_memory_is_invalid_parameter() {
        let fx = fixture_with(budget_plus(1));
        let mut buffer = vec![0xABu8; 3 * PAGE as usize];
        let base = buffer.as_mut_ptr();
        let aligned = (PAGE as usize - base as usize % PAGE as usize) % PAGE as usize;
        // SAFETY: `aligned + 1 + PAGE` bytes fit in the buffer, which outlives
        // the simulator's use of it: creation fails, so nothing keeps it.
        let memory = unsafe { SystemMemory::new(base.add(aligned + 1), PAGE as usize) };
        fx.unchanged_by(|| {
            invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE).with_system_memory(memory)))
        });
        assert!(buffer.iter().all(|&x| x == 0xAB), "the caller's memory was not touched");
        // Nothing was charged against the budget.
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    }

    fn create_allocation_system_memory_is_touched_only_up_to_its_size() {
        let fx = fixture();
        // Two pages of caller memory, page-aligned; the allocation asks for 100
        // bytes of it, so it is one page and only bytes 0..100 are the caller's.
        let layout = std::alloc::Layout::from_size_align(2 * PAGE as usize, PAGE as usize).unwrap();
        // SAFETY: a non-zero-sized layout.
        let buffer = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!buffer.is_null());
        // SAFETY: the buffer is 2 pages, freed at the end of the test after the
        // allocation is destroyed.
        unsafe { core::ptr::write_bytes(buffer, 0x5A, 2 * PAGE as usize) };
        let memory = unsafe { SystemMemory::new(buffer, 100) };
        let short = unsafe { SystemMemory::new(buffer, 99) };
        invalid_parameter(fx.sim.create_allocation(fx.d, AllocationDesc::new(100).with_system_memory(short)));

        let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(100).with_system_memory(memory)).unwrap();
        assert_eq!(fx.info(alloc).size, PAGE, "the allocation is page-rounded");
        let guard = fx.sim.lock2_guard(fx.d, alloc).unwrap();
        assert_eq!(guard.mapping().as_ptr(), buffer, "the caller's memory backs it");
        guard.write_at(0, &[7; 100]).unwrap();
        invalid_parameter(guard.write_at(100, &[7]));
        drop(guard);
        fx.remove(fx.d);
        // SAFETY: the buffer is live and 2 pages long.
        let bytes = unsafe { std::slice::from_raw_parts(buffer, 2 * PAGE as usize) };
        assert!(bytes[..100].iter().all(|&x| x == 0xDD), "the caller's 100 bytes are lost");
        assert!(bytes[100..].iter().all(|&x| x == 0x5A), "nothing past them was touched");
        fx.sim.destroy_allocations(fx.d, &[alloc]).unwrap();
        // SAFETY: allocated above with this layout; the simulator no longer uses it.
        unsafe { std::alloc::dealloc(buffer, layout) };
    }

    fn create_allocation_too_large_to_represent_is_no_video_memory() {
        let fx = fixture_with(SimConfig::default().adapter_memory(u64::MAX));
        fx.unchanged_by(|| {
            // Rounding u64::MAX up to a page overflows; 2^32 pages cannot be
            // addressed by a page list: both are past any budget, and a bad
            // description after them still wins (descriptions are checked first).
            fails(
                fx.sim.create_allocation(fx.d, AllocationDesc::new(u64::MAX)),
                ErrorKind::NoVideoMemory,
                NO_VIDEO_MEMORY,
            );
            fails(
                fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE << 32)),
                ErrorKind::NoVideoMemory,
                NO_VIDEO_MEMORY,
            );
            invalid_parameter(
                fx.sim.create_allocations(fx.d, &[AllocationDesc::new(u64::MAX), AllocationDesc::new(0)]),
            );
        });
    }

    fn create_allocation_rounds_size_to_pages() {
        let fx = fixture();
        let alloc = fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE + 1)).unwrap();
        let info = fx.sim.query_allocation(fx.d, alloc).unwrap();
        assert_eq!((info.size, info.page_count, info.lock_count, info.busy), (2 * PAGE, 2, 0, false));
        assert!(info.cpu_visible);
        assert_eq!(fx.sim.lock2(fx.d, alloc).unwrap().len() as u64, 2 * PAGE);
        assert!(!fx.info(fx.h).cpu_visible);
    }

    fn allocation_content_survives_lock_cycles() {
        let fx = fixture();
        fx.sim.lock2_guard(fx.d, fx.a).unwrap().write_at(5000, b"texels").unwrap();
        for _ in 0..3 {
            fx.lock_entire(fx.d, fx.a, no_flags()).unwrap();
            fx.sim.unlock(fx.d, &[fx.a]).unwrap();
        }
        let guard = fx.sim.lock2_guard(fx.d, fx.a).unwrap();
        let mut buf = [0u8; 6];
        guard.read_at(5000, &mut buf).unwrap();
        assert_eq!(&buf, b"texels");
        assert_eq!(fx.n(fx.a), 1);
    }
);
