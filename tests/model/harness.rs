//! Drives the simulator and the reference model with the same operations and
//! checks that statuses and every observable state agree.

use std::time::Duration;

use d3dkmt_sim::{
    status_of, AdapterHandle, AllocationDesc, AllocationHandle, CreateFlags, CreateRequest, DeviceHandle,
    ExecutionState, LockFlags, Mapping, NtStatus, Pages, RawAllocation, SimConfig, Simulator,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::ops::{CreateShape, FencePick, Op, PageSel, PagesPick, Params};
use crate::reference::{Content, Expect, Model};
use crate::{ADAPTERS, IP, LOST, OK, PROBE};

struct Harness {
    sim: Simulator,
    adapters: Vec<AdapterHandle>,
    model: Model,
}

pub(crate) fn dh(raw: u32) -> DeviceHandle {
    DeviceHandle::from_raw(raw).expect("picks have the handle shape")
}

pub(crate) fn ah(raw: u32) -> AllocationHandle {
    AllocationHandle::from_raw(raw).expect("picks have the handle shape")
}

fn ahs(raw: &[u32]) -> Vec<AllocationHandle> {
    raw.iter().map(|&r| ah(r)).collect()
}

/// A `SIMKMT_ALLOCATION_DESC` for the default driver model.
fn desc_bytes(size: u64, cpu_visible: bool) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[0] = 1;
    d[4] = u8::from(!cpu_visible);
    d[8..].copy_from_slice(&size.to_le_bytes());
    d
}

fn status<T>(expected: &Expect<T>) -> NtStatus {
    match expected {
        Ok(_) => OK,
        Err(s) => *s,
    }
}

impl Harness {
    fn new(p: &Params) -> Result<Self, TestCaseError> {
        let config = SimConfig::default()
            .adapters(ADAPTERS as u32)
            .page_size(p.page_size)
            .max_lock_references(p.limit)
            .busy_policy(p.policy)
            .wait_timeout(Duration::from_millis(1))
            .adapter_memory(p.budget_pages * u64::from(p.page_size));
        let sim = Simulator::new(config).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let adapters: Vec<AdapterHandle> = sim.enum_adapters().unwrap().iter().map(|a| a.handle).collect();
        prop_assert_eq!(adapters.len(), ADAPTERS);
        let mut h = Harness { sim, adapters, model: Model::new(p) };
        for adapter in [0, 0, 1] {
            h.step(&Op::CreateDevice { adapter })?;
        }
        Ok(h)
    }

    /// A handle the simulator just issued must be new: no live or earlier
    /// object of this simulator ever had it (fewer than 4096 objects exist).
    fn check_fresh(&self, raw: u32) -> Result<(), TestCaseError> {
        prop_assert!(raw != 0);
        prop_assert!(!self.model.allocs.contains_key(&raw), "handle {:#x} reissued", raw);
        prop_assert!(!self.model.devices.contains_key(&raw), "handle {:#x} reissued", raw);
        prop_assert!(!self.adapters.iter().any(|a| a.raw() == raw));
        Ok(())
    }

    /// A successful lock's mapping: base stable for the allocation's life,
    /// `offset` into it, running to the allocation's end.
    fn check_mapping(model: &mut Model, alloc: u32, offset: u64, mapping: Mapping) -> Result<(), TestCaseError> {
        let a = model.allocs.get_mut(&alloc).unwrap();
        let base = (mapping.as_ptr() as usize).wrapping_sub(offset as usize);
        prop_assert!(!mapping.as_ptr().is_null());
        prop_assert_eq!(base % 4096, 0, "base not page aligned");
        match a.base {
            Some(b) => prop_assert_eq!(b, base, "lock address moved"),
            None => a.base = Some(base),
        }
        prop_assert_eq!(mapping.len() as u64, a.size - offset);
        Ok(())
    }

    /// The handles of a successful create: one per description, each fresh
    /// and distinct; then the model records them.
    fn accept_created(
        &mut self,
        device: u32,
        descs: &[(u64, bool)],
        handles: &[AllocationHandle],
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(handles.len(), descs.len());
        let raw: Vec<u32> = handles.iter().map(|h| h.raw()).collect();
        for (i, &r) in raw.iter().enumerate() {
            self.check_fresh(r)?;
            prop_assert!(!raw[..i].contains(&r));
        }
        self.model.record_allocations(device, descs, &raw);
        Ok(())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let sim = &self.sim;
        match op {
            Op::CreateAllocations { dev, descs } => {
                let d = self.model.pick_device(dev);
                let expected = self.model.create_allocations(d, descs);
                let engine_descs: Vec<AllocationDesc> = descs
                    .iter()
                    .map(|&(size, visible)| {
                        let desc = AllocationDesc::new(size);
                        if visible {
                            desc
                        } else {
                            desc.not_cpu_visible()
                        }
                    })
                    .collect();
                let got = sim.create_allocations(dh(d), &engine_descs);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let Ok(handles) = got {
                    self.accept_created(d, descs, &handles)?;
                }
            }
            Op::CreateRaw { dev, shape, descs } => {
                let d = self.model.pick_device(dev);
                let expected = self.model.create_raw(d, *shape, descs);
                let bytes: Vec<[u8; 16]> = descs.iter().map(|&(size, visible)| desc_bytes(size, visible)).collect();
                let mut request = match shape {
                    CreateShape::Plain => CreateRequest::new(),
                    CreateShape::UnknownResource => CreateRequest::new().resource(0x4000_1000),
                    CreateShape::ResourceFlag(shared) => CreateRequest::new().flags(if *shared {
                        CreateFlags::CREATE_SHARED
                    } else {
                        CreateFlags::CREATE_RESOURCE
                    }),
                    CreateShape::ExistingSysMemAlone => CreateRequest::new().flags(CreateFlags::EXISTING_SYS_MEM),
                    CreateShape::StandardAlone => CreateRequest::new().flags(CreateFlags::STANDARD_ALLOCATION),
                };
                for b in &bytes {
                    request = request.allocation(RawAllocation::new(b));
                }
                let got = sim.create_allocations_from(dh(d), &request);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let Ok(handles) = got {
                    for (handle, sent) in handles.iter().zip(&bytes) {
                        let kept = sim.allocation_private_data(dh(d), *handle);
                        prop_assert_eq!(kept.as_deref(), Ok(&sent[..]), "the private data is kept");
                    }
                    self.accept_created(d, descs, &handles)?;
                }
            }
            Op::DestroyAllocations { dev, allocs } => {
                let d = self.model.pick_device(dev);
                let list = self.model.pick_allocs(d, allocs);
                let expected = self.model.destroy_allocations(d, &list);
                let got = sim.destroy_allocations(dh(d), &ahs(&list));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?} {:x?}", op, list);
            }
            Op::Lock2 { dev, alloc } => {
                let d = self.model.pick_device(dev);
                let a = self.model.pick_allocs(d, std::slice::from_ref(alloc))[0];
                let expected = self.model.lock2(d, a);
                let got = sim.lock2(dh(d), ah(a));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let (Ok(mapping), Ok(offset)) = (got, expected) {
                    Self::check_mapping(&mut self.model, a, offset, mapping)?;
                }
            }
            Op::Unlock2 { dev, alloc } => {
                let d = self.model.pick_device(dev);
                let a = self.model.pick_allocs(d, std::slice::from_ref(alloc))[0];
                let expected = self.model.unlock2(d, a);
                let got = sim.unlock2(dh(d), ah(a));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
            }
            Op::Lock { dev, alloc, flags, pages } => {
                let d = self.model.pick_device(dev);
                let a = self.model.pick_allocs(d, std::slice::from_ref(alloc))[0];
                let page_count = self.model.allocs.get(&a).map_or(1, |m| m.pages.max(1));
                let list: Option<Vec<u32>> = match pages {
                    PagesPick::Entire => None,
                    PagesPick::List(sels) => Some(
                        sels.iter()
                            .map(|s| match s {
                                PageSel::In(i) => i.index(page_count as usize) as u32,
                                PageSel::Out(n) => page_count as u32 + n,
                            })
                            .collect(),
                    ),
                };
                let expected = self.model.lock(d, a, *flags, list.as_deref());
                let engine_pages = match &list {
                    None => Pages::Entire,
                    Some(l) => Pages::List(l),
                };
                let got = sim.lock(dh(d), ah(a), LockFlags::from_bits_retain(*flags), engine_pages);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?} pages {:?}", op, list);
                if let (Ok(mapping), Ok(offset)) = (got, expected) {
                    Self::check_mapping(&mut self.model, a, offset, mapping)?;
                }
            }
            Op::Unlock { dev, allocs } => {
                let d = self.model.pick_device(dev);
                let list = self.model.pick_allocs(d, allocs);
                let expected = self.model.unlock(d, &list);
                let got = sim.unlock(dh(d), &ahs(&list));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?} {:x?}", op, list);
            }
            Op::Submit { dev, allocs } => {
                let d = self.model.pick_device(dev);
                let list = self.model.pick_allocs(d, allocs);
                let expected = self.model.submit(d, &list);
                let got = sim.submit(dh(d), &ahs(&list));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?} {:x?}", op, list);
                if let (Ok(fence), Ok(model_fence)) = (got, expected) {
                    prop_assert_eq!(fence, model_fence, "fences count from 1 per device");
                }
            }
            Op::CompleteFence { dev, fence } => {
                let d = self.model.pick_device(dev);
                let last = self.model.devices.get(&d).map_or(0, |m| m.next_fence - 1);
                let value = match fence {
                    FencePick::Zero => 0,
                    FencePick::Issued(i) => 1 + i.index(last.max(1) as usize) as u64,
                    FencePick::AboveLast(n) => last + n,
                    FencePick::Any(v) => *v,
                };
                let expected = self.model.complete_fence(d, value);
                let got = sim.complete_fence(dh(d), value);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?} value {}", op, value);
            }
            Op::RemoveDevice { dev, reason } => {
                let d = self.model.pick_device(dev);
                let expected = self.model.remove_device(d, *reason);
                let got = sim.remove_device(dh(d), ExecutionState::from_raw(*reason).unwrap());
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
            }
            Op::ResetAdapter { adapter } => {
                let expected = self.model.reset_adapter(*adapter);
                let got = sim.reset_adapter(self.adapters[*adapter]);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
            }
            Op::RemoveAdapter { adapter } => {
                let expected = self.model.remove_adapter(*adapter);
                let got = sim.remove_adapter(self.adapters[*adapter]);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                let present = self.model.adapters.iter().filter(|a| !a.removed).count();
                prop_assert_eq!(sim.adapter_count(), present, "removed adapters leave enumeration");
            }
            Op::CreateDevice { adapter } => {
                let expected = self.model.create_device(*adapter);
                let got = sim.create_device(self.adapters[*adapter]);
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let Ok(device) = got {
                    self.check_fresh(device.raw())?;
                    self.model.record_device(*adapter, device.raw());
                }
            }
            Op::DestroyDevice { dev } => {
                let d = self.model.pick_device(dev);
                let expected = self.model.destroy_device(d);
                let got = sim.destroy_device(dh(d));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
            }
            Op::Query { dev, alloc } => {
                let d = self.model.pick_device(dev);
                let a = self.model.pick_allocs(d, std::slice::from_ref(alloc))[0];
                let expected = self.model.query(d, a);
                let got = sim.query_allocation(dh(d), ah(a));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
            }
            Op::DeviceState { dev } => {
                let d = self.model.pick_device(dev);
                let expected = self.model.device_state(d);
                let got = sim.device_state(dh(d));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let (Ok(state), Ok(reason)) = (got, expected) {
                    prop_assert_eq!(state.to_raw(), reason);
                }
            }
            Op::Touch { dev, alloc, page, value } => {
                let d = self.model.pick_device(dev);
                let a = self.model.pick_allocs(d, std::slice::from_ref(alloc))[0];
                // The guard's Lock2 and its drop's Unlock2 leave the count as
                // it was, so the model only checks the Lock2 status.
                let expected = self.model.lock2(d, a);
                let got = sim.lock2_guard(dh(d), ah(a));
                prop_assert_eq!(status_of(&got), status(&expected), "{:?}", op);
                if let Ok(guard) = got {
                    self.model.allocs.get_mut(&a).unwrap().lock_count -= 1;
                    let mapping = guard.mapping();
                    let (pages, size) = {
                        let m = &self.model.allocs[&a];
                        (m.pages, m.size)
                    };
                    let p = page.index(pages as usize) as u64;
                    let offset = (p * self.model.page_size + PROBE) as usize;
                    let before = match self.model.allocs[&a].content.get(&p) {
                        Some(Content::Written(v)) => *v,
                        _ => 0, // a live device: never written reads 0
                    };
                    let mut byte = [0xAAu8];
                    prop_assert!(guard.read_at(offset, &mut byte).is_ok());
                    prop_assert_eq!(byte[0], before, "content of page {} changed between locks", p);
                    prop_assert!(guard.write_at(offset, &[*value]).is_ok());
                    prop_assert!(guard.read_at(size as usize, &mut byte).is_err(), "read past the end");
                    prop_assert!(guard.write_at(size as usize - 1, &[0, 0]).is_err(), "write past the end");
                    drop(guard);
                    Self::check_mapping(&mut self.model, a, 0, mapping)?;
                    self.model.allocs.get_mut(&a).unwrap().content.insert(p, Content::Written(*value));
                }
            }
        }
        self.check_state()
    }

    /// Everything observable must match the model after every step.
    fn check_state(&self) -> Result<(), TestCaseError> {
        let m = &self.model;
        for &raw in &m.alloc_order {
            let a = &m.allocs[&raw];
            if a.destroyed {
                continue;
            }
            let info = self.sim.query_allocation(dh(a.device), ah(raw));
            prop_assert!(info.is_ok(), "query of live allocation {:#x}: {:?}", raw, info);
            let info = info.unwrap();
            prop_assert_eq!(info.lock_count, a.lock_count, "lock count of {:#x}", raw);
            prop_assert_eq!(info.busy, a.busy_count > 0, "busy bit of {:#x}", raw);
            prop_assert_eq!(info.size, a.size);
            prop_assert_eq!(info.page_count, a.pages);
            prop_assert_eq!(info.cpu_visible, a.cpu_visible);
        }
        for &raw in &m.device_order {
            let d = &m.devices[&raw];
            let state = self.sim.device_state(dh(raw));
            let fence = self.sim.last_fence(dh(raw));
            if d.destroyed {
                prop_assert_eq!(status_of(&state), IP);
                prop_assert_eq!(status_of(&fence), IP);
            } else {
                prop_assert_eq!(state.map(|s| s.to_raw()), Ok(d.removed.unwrap_or(1)), "state of {:#x}", raw);
                prop_assert_eq!(fence, Ok(d.next_fence - 1), "last fence of {:#x}", raw);
            }
        }
        Ok(())
    }

    /// After the sequence: stale handles stay dead, content is as written.
    fn check_end(&self) -> Result<(), TestCaseError> {
        let m = &self.model;
        let live_devices = m.live_devices();
        for &raw in &m.alloc_order {
            let a = &m.allocs[&raw];
            if a.destroyed {
                for &d in m.device_order.iter().chain([&a.device]) {
                    prop_assert_eq!(status_of(&self.sim.query_allocation(dh(d), ah(raw))), IP);
                    if m.active_device(d).is_ok() {
                        prop_assert_eq!(status_of(&self.sim.lock2(dh(d), ah(raw))), IP, "stale handle locked");
                        prop_assert_eq!(status_of(&self.sim.unlock2(dh(d), ah(raw))), IP);
                        let lock = self.sim.lock(dh(d), ah(raw), LockFlags::IGNORE_SYNC, Pages::Entire);
                        prop_assert_eq!(status_of(&lock), IP);
                    }
                }
                continue;
            }
            let Some(base) = a.base else { continue };
            let removed = m.devices[&a.device].removed.is_some();
            for p in 0..a.pages {
                let ptr = (base + (p * m.page_size + PROBE) as usize) as *const u8;
                // SAFETY: `base` is the mapping a successful lock returned for
                // this allocation, which is still live, so its whole size
                // stays mapped (docs/contract.md §5 rule 8, §7); the probe offset is
                // inside page `p < pages`. Nothing else runs concurrently.
                let byte = unsafe { ptr.read_volatile() };
                let ok = match a.content.get(&p) {
                    Some(Content::Written(v)) => byte == *v,
                    Some(Content::Lost) => byte == LOST,
                    // docs/contract.md §7: pages never written "may read as zero".
                    None if removed => byte == 0 || byte == LOST,
                    None => byte == 0,
                };
                prop_assert!(ok, "alloc {:#x} page {}: read {:#x}, model {:?}", raw, p, byte, a.content.get(&p));
            }
        }
        for &d in &m.device_order {
            if m.devices[&d].destroyed {
                prop_assert_eq!(status_of(&self.sim.device_state(dh(d))), IP);
                prop_assert_eq!(status_of(&self.sim.create_allocation(dh(d), AllocationDesc::new(1))), IP);
                prop_assert!(!live_devices.contains(&d));
            }
        }
        Ok(())
    }
}

pub(crate) fn run(p: Params, setup: Vec<Op>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut h = Harness::new(&p)?;
    for op in setup.iter().chain(&ops) {
        h.step(op)?;
    }
    h.check_end()
}
