//! Creation as Windows checks it (docs/contract.md §4, the rules after the list).
//!
//! The rows of the section "Creation as Windows checks it" of
//! docs/lock-states.md, one test each.

use d3dkmt_sim::*;

use crate::fixture::*;

const INVALID_HANDLE: NtStatus = NtStatus::INVALID_HANDLE;
/// A Windows-shaped value that names no resource.
const NO_RESOURCE: u32 = 0x4000_1000;

/// Page-aligned caller memory of `len` bytes, freed on drop.
pub(crate) struct Heap {
    ptr: *mut u8,
    layout: std::alloc::Layout,
}

impl Heap {
    pub(crate) fn new(len: usize) -> Heap {
        let layout = std::alloc::Layout::from_size_align(len, PAGE as usize).unwrap();
        // SAFETY: a non-zero-sized layout.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        Heap { ptr, layout }
    }

    /// The memory for a create call; the heap outlives every simulator of
    /// the test that uses it (each test drops its fixture first).
    pub(crate) fn memory(&self) -> SystemMemory {
        // SAFETY: `layout.size()` writable bytes, freed only on drop.
        unsafe { SystemMemory::new(self.ptr, self.layout.size()) }
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) };
    }
}

/// A valid `SIMKMT_ALLOCATION_DESC` of `size` bytes.
pub(crate) fn desc(size: u64) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[0] = 1;
    d[8..].copy_from_slice(&size.to_le_bytes());
    d
}

/// The existing-heap request with one change made by `f`; fails with
/// `InvalidParameter`, changing nothing (the budget's `extra` pages stay free).
fn standard_fails(extra: u64, f: impl FnOnce(CreateRequest<'static>, SystemMemory) -> CreateRequest<'static>) {
    let heap = Heap::new(2 * PAGE as usize);
    {
        let fx = fixture_with(budget_plus(extra));
        fx.unchanged_by(|| {
            invalid_parameter(fx.sim.create_allocations_from(fx.d, &f(CreateRequest::new(), heap.memory())))
        });
        fx.sim.create_allocation(fx.d, AllocationDesc::new(extra * PAGE)).unwrap();
    }
}

fn heap_size(memory: SystemMemory) -> StandardAllocation {
    StandardAllocation::ExistingHeap { size: memory.len() as u64 }
}

rows!(
    fn create_unknown_resource_is_invalid_handle() {
        let fx = fixture_with(budget_plus(1));
        let d = desc(PAGE);
        let request = CreateRequest::new().resource(NO_RESOURCE).allocation(RawAllocation::new(&d));
        fx.unchanged_by(|| {
            fails(fx.sim.create_allocations_from(fx.d, &request), ErrorKind::InvalidResourceHandle, INVALID_HANDLE)
        });
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    }

    fn create_removed_device_beats_unknown_resource() {
        let fx = fixture();
        fx.remove(fx.d);
        let d = desc(PAGE);
        let request = CreateRequest::new().resource(NO_RESOURCE).allocation(RawAllocation::new(&d));
        fx.unchanged_by(|| fails(fx.sim.create_allocations_from(fx.d, &request), ErrorKind::DeviceRemoved, REMOVED));
        let s = fx.stale_device();
        fx.unchanged_by(|| fails(fx.sim.create_allocations_from(s, &request), STALE_DEVICE, INVALID));
    }

    fn create_unknown_resource_beats_flags_and_empty_list() {
        let fx = fixture();
        for request in [
            CreateRequest::new().resource(NO_RESOURCE),
            CreateRequest::new().resource(NO_RESOURCE).flags(CreateFlags::CREATE_RESOURCE),
            CreateRequest::new().resource(NO_RESOURCE).flags(CreateFlags::EXISTING_SYS_MEM),
        ] {
            fx.unchanged_by(|| {
                fails(fx.sim.create_allocations_from(fx.d, &request), ErrorKind::InvalidResourceHandle, INVALID_HANDLE)
            });
        }
    }

    fn create_resource_flags_are_not_supported() {
        let fx = fixture();
        let d = desc(PAGE);
        for flags in [CreateFlags::CREATE_RESOURCE, CreateFlags::CREATE_SHARED] {
            let request = CreateRequest::new().flags(flags).allocation(RawAllocation::new(&d));
            let got = fx.sim.create_allocations_from(fx.d, &request);
            fx.unchanged_by(|| assert_eq!(status_of(&got), NtStatus::NOT_SUPPORTED));
            assert!(matches!(got.map_err(|e| e.kind()), Err(ErrorKind::NotSupported(_))));
        }
    }

    fn create_existing_sys_mem_without_standard_is_invalid_parameter() {
        let heap = Heap::new(PAGE as usize);
        let fx = fixture_with(budget_plus(1));
        let d = desc(PAGE);
        let request = CreateRequest::new()
            .flags(CreateFlags::EXISTING_SYS_MEM)
            .allocation(RawAllocation::new(&d).with_system_memory(heap.memory()));
        fx.unchanged_by(|| invalid_parameter(fx.sim.create_allocations_from(fx.d, &request)));
        fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)).unwrap();
    }

    fn create_standard_without_existing_sys_mem_is_invalid_parameter() {
        standard_fails(2, |r, m| r.standard(heap_size(m)).allocation(RawAllocation::new(&[]).with_system_memory(m)));
    }

    fn create_standard_two_allocations_is_invalid_parameter() {
        standard_fails(2, |_, m| {
            CreateRequest::existing_heap(m).allocation(RawAllocation::new(&[]).with_system_memory(m))
        });
    }

    fn create_standard_heap_size_not_page_multiple_is_invalid_parameter() {
        for size in [0x1100, 0, 4095] {
            standard_fails(2, |r, m| {
                r.standard(StandardAllocation::ExistingHeap { size })
                    .flags(CreateFlags::EXISTING_SYS_MEM)
                    .allocation(RawAllocation::new(&[]).with_system_memory(m))
            });
        }
    }

    fn create_standard_with_resource_data_is_invalid_parameter() {
        static DATA: [u8; 64] = [0; 64];
        standard_fails(2, |_, m| CreateRequest::existing_heap(m).resource_data(&DATA));
    }

    fn create_standard_without_system_memory_is_invalid_parameter() {
        standard_fails(2, |r, m| {
            r.standard(heap_size(m)).flags(CreateFlags::EXISTING_SYS_MEM).allocation(RawAllocation::new(&[]))
        });
    }

    fn create_standard_flag_without_description_is_invalid_parameter() {
        standard_fails(2, |r, m| {
            r.flags(CreateFlags::STANDARD_ALLOCATION | CreateFlags::EXISTING_SYS_MEM)
                .allocation(RawAllocation::new(&[]).with_system_memory(m))
        });
    }

    fn create_standard_existing_heap_maps_the_caller_heap() {
        let heap = Heap::new(2 * PAGE as usize);
        let fx = fixture_with(budget_plus(2));
        let made = fx.sim.create_allocations_from(fx.d, &CreateRequest::existing_heap(heap.memory())).unwrap();
        assert_eq!(made.len(), 1);
        let info = fx.info(made[0]);
        assert_eq!((info.size, info.placement, info.cpu_visible), (2 * PAGE, Placement::Video, true));
        assert_eq!(fx.sim.lock2(fx.d, made[0]).unwrap().as_ptr(), heap.ptr);
        fails(fx.sim.create_allocation(fx.d, AllocationDesc::new(PAGE)), ErrorKind::NoVideoMemory, NO_VIDEO_MEMORY);
        fx.sim.destroy_allocations(fx.d, &made).unwrap();
    }
);
