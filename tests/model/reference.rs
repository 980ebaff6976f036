//! The naive reference model: written from docs/contract.md alone, with plain maps and
//! the contract's check order spelled out rule by rule. It shares no code
//! with the engine; from d3dkmt_sim it takes only the value types
//! `NtStatus` and `BusyPolicy`.

use std::collections::{BTreeMap, HashMap};

use d3dkmt_sim::{BusyPolicy, NtStatus};
use proptest::sample::Index;

use crate::ops::{AllocPick, CreateShape, DevPick, Params};
use crate::{
    shaped, ADAPTERS, BUSY, DR, FLAG_IGNORE_SYNC, FLAG_LOCK_ENTIRE, FLAG_READ_ONLY, FLAG_WRITE_ONLY, IP,
    NEVER_ALLOCATION, NEVER_DEVICE, NVM, RESERVED_LOCK_BITS, TMR,
};

/// What the probe byte of a page holds, as far as the model knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    Written(u8),
    /// Written, then the device was removed: 0xDD.
    Lost,
}

#[derive(Debug)]
pub(crate) struct MAdapter {
    pub(crate) removed: bool,
    used: u64,
}

#[derive(Debug)]
pub(crate) struct MDevice {
    adapter: usize,
    pub(crate) destroyed: bool,
    /// Removal reason (2..=7) once removed.
    pub(crate) removed: Option<u32>,
    pub(crate) next_fence: u64,
    /// Uncompleted submissions: fence and the distinct allocations named.
    pending: Vec<(u64, Vec<u32>)>,
}

#[derive(Debug)]
pub(crate) struct MAlloc {
    pub(crate) device: u32,
    pub(crate) destroyed: bool,
    pub(crate) cpu_visible: bool,
    pub(crate) size: u64,
    pub(crate) pages: u64,
    pub(crate) lock_count: u32,
    /// Uncompleted submissions that reference it.
    pub(crate) busy_count: u32,
    /// Base address seen on the first successful lock; stable for life.
    pub(crate) base: Option<usize>,
    pub(crate) content: BTreeMap<u64, Content>,
}

#[derive(Debug)]
pub(crate) struct Model {
    policy: BusyPolicy,
    pub(crate) page_size: u64,
    limit: u32,
    budget: u64,
    pub(crate) adapters: Vec<MAdapter>,
    pub(crate) devices: HashMap<u32, MDevice>,
    pub(crate) device_order: Vec<u32>,
    pub(crate) allocs: HashMap<u32, MAlloc>,
    pub(crate) alloc_order: Vec<u32>,
}

pub(crate) type Expect<T = ()> = Result<T, NtStatus>;

impl Model {
    pub(crate) fn new(p: &Params) -> Self {
        let page_size = u64::from(p.page_size);
        Model {
            policy: p.policy,
            page_size,
            limit: p.limit,
            budget: p.budget_pages * page_size,
            adapters: (0..ADAPTERS).map(|_| MAdapter { removed: false, used: 0 }).collect(),
            devices: HashMap::new(),
            device_order: Vec::new(),
            allocs: HashMap::new(),
            alloc_order: Vec::new(),
        }
    }

    // --- handle picking ---

    pub(crate) fn live_devices(&self) -> Vec<u32> {
        self.device_order.iter().copied().filter(|d| !self.devices[d].destroyed).collect()
    }

    fn live_allocs(&self, pred: impl Fn(&MAlloc) -> bool) -> Vec<u32> {
        self.alloc_order.iter().copied().filter(|a| !self.allocs[a].destroyed && pred(&self.allocs[a])).collect()
    }

    pub(crate) fn pick_device(&self, pick: &DevPick) -> u32 {
        match pick {
            DevPick::WithAllocations(i) => {
                let owners: Vec<u32> = self
                    .live_devices()
                    .into_iter()
                    .filter(|&d| {
                        self.alloc_order.iter().any(|a| !self.allocs[a].destroyed && self.allocs[a].device == d)
                    })
                    .collect();
                if owners.is_empty() {
                    self.pick_device(&DevPick::Live(*i))
                } else {
                    owners[i.index(owners.len())]
                }
            }
            DevPick::Live(i) => {
                let live = self.live_devices();
                if live.is_empty() {
                    NEVER_DEVICE
                } else {
                    live[i.index(live.len())]
                }
            }
            DevPick::Destroyed(i) => {
                let dead: Vec<u32> = self.device_order.iter().copied().filter(|d| self.devices[d].destroyed).collect();
                if dead.is_empty() {
                    NEVER_DEVICE
                } else {
                    dead[i.index(dead.len())]
                }
            }
            DevPick::Garbage(bits) => shaped(*bits),
        }
    }

    pub(crate) fn pick_allocs(&self, device: u32, picks: &[AllocPick]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(picks.len());
        for pick in picks {
            let from = |list: Vec<u32>, i: &Index| if list.is_empty() { None } else { Some(list[i.index(list.len())]) };
            let own = |i: &Index| from(self.live_allocs(|a| a.device == device), i).unwrap_or(NEVER_ALLOCATION);
            let raw = match pick {
                AllocPick::Own(i) => own(i),
                AllocPick::OtherDevice(i) => {
                    from(self.live_allocs(|a| a.device != device), i).unwrap_or_else(|| own(i))
                }
                AllocPick::Stale(i) => {
                    let dead = self.alloc_order.iter().copied().filter(|a| self.allocs[a].destroyed).collect();
                    from(dead, i).unwrap_or(NEVER_ALLOCATION)
                }
                AllocPick::Garbage(bits) => shaped(*bits),
                AllocPick::Repeat => out
                    .last()
                    .copied()
                    .or_else(|| self.live_allocs(|a| a.device == device).first().copied())
                    .unwrap_or(NEVER_ALLOCATION),
            };
            out.push(raw);
        }
        out
    }

    // --- the contract's checks ---

    /// docs/contract.md §5 rule 2 (and the same rule everywhere): a device that exists
    /// and was not destroyed. Removed devices pass.
    fn live_device(&self, device: u32) -> Expect {
        match self.devices.get(&device) {
            Some(d) if !d.destroyed => Ok(()),
            _ => Err(IP),
        }
    }

    /// Rules 2 and 3: live and not removed.
    pub(crate) fn active_device(&self, device: u32) -> Expect {
        self.live_device(device)?;
        if self.devices[&device].removed.is_some() {
            return Err(DR);
        }
        Ok(())
    }

    /// Rule 4: a live allocation of exactly this device.
    fn allocation_of(&self, device: u32, alloc: u32) -> Expect {
        match self.allocs.get(&alloc) {
            Some(a) if !a.destroyed && a.device == device => Ok(()),
            _ => Err(IP),
        }
    }

    // --- operations: each returns the status the contract demands and, on
    // success, applies the effect ---

    pub(crate) fn create_allocations(&self, device: u32, descs: &[(u64, bool)]) -> Expect {
        self.active_device(device)?;
        if descs.is_empty() || descs.iter().any(|&(size, _)| size == 0) {
            return Err(IP);
        }
        let total: u64 = descs.iter().map(|&(size, _)| size.div_ceil(self.page_size) * self.page_size).sum();
        let adapter = &self.adapters[self.devices[&device].adapter];
        if adapter.used + total > self.budget {
            return Err(NVM);
        }
        Ok(())
    }

    /// A create through the raw path: after the device (live, active), a
    /// non-zero `hResource` is INVALID_HANDLE, resource flags NOT_SUPPORTED,
    /// `ExistingSysMem` and `StandardAllocation` apart INVALID_PARAMETER;
    /// then as `create_allocations`.
    pub(crate) fn create_raw(&self, device: u32, shape: CreateShape, descs: &[(u64, bool)]) -> Expect {
        self.active_device(device)?;
        match shape {
            CreateShape::UnknownResource => Err(NtStatus::INVALID_HANDLE),
            CreateShape::ResourceFlag(_) => Err(NtStatus::NOT_SUPPORTED),
            CreateShape::ExistingSysMemAlone | CreateShape::StandardAlone => Err(IP),
            CreateShape::Plain => self.create_allocations(device, descs),
        }
    }

    pub(crate) fn record_allocations(&mut self, device: u32, descs: &[(u64, bool)], handles: &[u32]) {
        for (&(size, cpu_visible), &raw) in descs.iter().zip(handles) {
            let pages = size.div_ceil(self.page_size);
            let size = pages * self.page_size;
            self.adapters[self.devices[&device].adapter].used += size;
            self.allocs.insert(
                raw,
                MAlloc {
                    device,
                    destroyed: false,
                    cpu_visible,
                    size,
                    pages,
                    lock_count: 0,
                    busy_count: 0,
                    base: None,
                    content: BTreeMap::new(),
                },
            );
            self.alloc_order.push(raw);
        }
    }

    pub(crate) fn destroy_allocations(&mut self, device: u32, allocs: &[u32]) -> Expect {
        self.live_device(device)?;
        for (i, &a) in allocs.iter().enumerate() {
            self.allocation_of(device, a)?;
            if allocs[..i].contains(&a) {
                return Err(IP);
            }
        }
        for a in allocs {
            self.destroy_one(*a);
        }
        Ok(())
    }

    fn destroy_one(&mut self, alloc: u32) {
        let a = self.allocs.get_mut(&alloc).unwrap();
        a.destroyed = true;
        a.lock_count = 0;
        a.busy_count = 0;
        let adapter = self.devices[&a.device].adapter;
        self.adapters[adapter].used -= a.size;
    }

    /// Lock2 (§5); `Ok` carries the mapping's offset (always 0).
    pub(crate) fn lock2(&mut self, device: u32, alloc: u32) -> Expect<u64> {
        self.active_device(device)?;
        self.allocation_of(device, alloc)?;
        let a = &self.allocs[&alloc];
        if !a.cpu_visible {
            return Err(IP);
        }
        if a.busy_count > 0 {
            match self.policy {
                // Wait: the test's timeout is 1 ms and nothing completes the
                // work meanwhile.
                BusyPolicy::Fail | BusyPolicy::Wait => return Err(BUSY),
                _ => {}
            }
        }
        if a.lock_count >= self.limit {
            return Err(TMR);
        }
        self.allocs.get_mut(&alloc).unwrap().lock_count += 1;
        Ok(0)
    }

    pub(crate) fn unlock2(&mut self, device: u32, alloc: u32) -> Expect {
        self.active_device(device)?;
        self.allocation_of(device, alloc)?;
        let a = self.allocs.get_mut(&alloc).unwrap();
        if a.lock_count == 0 {
            return Err(IP);
        }
        a.lock_count -= 1;
        Ok(())
    }

    /// The legacy Lock (§6); `pages` is `None` for `NumPages == 0`.
    pub(crate) fn lock(&mut self, device: u32, alloc: u32, flags: u32, pages: Option<&[u32]>) -> Expect<u64> {
        if flags & RESERVED_LOCK_BITS != 0 || flags & (FLAG_READ_ONLY | FLAG_WRITE_ONLY) == 3 {
            return Err(IP);
        }
        self.active_device(device)?;
        self.allocation_of(device, alloc)?;
        let a = &self.allocs[&alloc];
        if !a.cpu_visible {
            return Err(IP);
        }
        let offset = match pages {
            _ if flags & FLAG_LOCK_ENTIRE != 0 => 0,
            None => 0,
            Some([]) => return Err(IP),
            Some(list) => {
                if list.iter().any(|&p| u64::from(p) >= a.pages) {
                    return Err(IP);
                }
                u64::from(list[0]) * self.page_size
            }
        };
        // Busy: IgnoreSync skips the check; DonotWait fails; otherwise the
        // call waits 1 ms for work nobody completes, then fails.
        if a.busy_count > 0 && flags & FLAG_IGNORE_SYNC == 0 {
            return Err(BUSY);
        }
        if a.lock_count >= self.limit {
            return Err(TMR);
        }
        self.allocs.get_mut(&alloc).unwrap().lock_count += 1;
        Ok(offset)
    }

    pub(crate) fn unlock(&mut self, device: u32, allocs: &[u32]) -> Expect {
        if allocs.is_empty() {
            return Err(IP);
        }
        self.active_device(device)?;
        let mut asked: HashMap<u32, u32> = HashMap::new();
        for &a in allocs {
            self.allocation_of(device, a)?;
            *asked.entry(a).or_default() += 1;
        }
        if asked.iter().any(|(a, &n)| self.allocs[a].lock_count < n) {
            return Err(IP);
        }
        for (a, n) in asked {
            self.allocs.get_mut(&a).unwrap().lock_count -= n;
        }
        Ok(())
    }

    pub(crate) fn submit(&mut self, device: u32, allocs: &[u32]) -> Expect<u64> {
        if allocs.is_empty() {
            return Err(IP);
        }
        self.active_device(device)?;
        for &a in allocs {
            self.allocation_of(device, a)?;
        }
        let mut distinct = allocs.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for a in &distinct {
            self.allocs.get_mut(a).unwrap().busy_count += 1;
        }
        let d = self.devices.get_mut(&device).unwrap();
        let fence = d.next_fence;
        d.next_fence += 1;
        d.pending.push((fence, distinct));
        Ok(fence)
    }

    pub(crate) fn complete_fence(&mut self, device: u32, value: u64) -> Expect {
        self.active_device(device)?;
        let d = self.devices.get_mut(&device).unwrap();
        let (done, left): (Vec<_>, Vec<_>) = d.pending.drain(..).partition(|(fence, _)| value != 0 && *fence <= value);
        d.pending = left;
        for (_, allocs) in done {
            for a in allocs {
                let a = self.allocs.get_mut(&a).unwrap();
                if !a.destroyed {
                    a.busy_count -= 1;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn remove_device(&mut self, device: u32, reason: u32) -> Expect {
        // Argument first: ACTIVE (1) is not a removal reason.
        if !(2..=7).contains(&reason) {
            return Err(IP);
        }
        self.active_device(device)?;
        self.remove_now(device, reason);
        Ok(())
    }

    /// §7: the reason sticks, every lock goes, the work is dropped, written
    /// content is lost.
    fn remove_now(&mut self, device: u32, reason: u32) {
        let d = self.devices.get_mut(&device).unwrap();
        d.removed = Some(reason);
        d.pending.clear();
        for a in self.allocs.values_mut().filter(|a| a.device == device && !a.destroyed) {
            a.lock_count = 0;
            a.busy_count = 0;
            for c in a.content.values_mut() {
                *c = Content::Lost;
            }
        }
    }

    fn remove_all_on(&mut self, adapter: usize, reason: u32) {
        let victims: Vec<u32> = self
            .device_order
            .iter()
            .copied()
            .filter(|d| {
                let d = &self.devices[d];
                d.adapter == adapter && !d.destroyed && d.removed.is_none()
            })
            .collect();
        for d in victims {
            self.remove_now(d, reason);
        }
    }

    pub(crate) fn reset_adapter(&mut self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        self.remove_all_on(adapter, 2);
        Ok(())
    }

    pub(crate) fn remove_adapter(&mut self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        self.adapters[adapter].removed = true;
        self.remove_all_on(adapter, 4);
        Ok(())
    }

    pub(crate) fn create_device(&self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        Ok(())
    }

    pub(crate) fn record_device(&mut self, adapter: usize, raw: u32) {
        self.devices
            .insert(raw, MDevice { adapter, destroyed: false, removed: None, next_fence: 1, pending: Vec::new() });
        self.device_order.push(raw);
    }

    pub(crate) fn destroy_device(&mut self, device: u32) -> Expect {
        self.live_device(device)?;
        for a in self.live_allocs(|a| a.device == device) {
            self.destroy_one(a);
        }
        let d = self.devices.get_mut(&device).unwrap();
        d.destroyed = true;
        d.pending.clear();
        Ok(())
    }

    pub(crate) fn query(&self, device: u32, alloc: u32) -> Expect<&MAlloc> {
        self.live_device(device)?;
        self.allocation_of(device, alloc)?;
        Ok(&self.allocs[&alloc])
    }

    pub(crate) fn device_state(&self, device: u32) -> Expect<u32> {
        self.live_device(device)?;
        Ok(self.devices[&device].removed.unwrap_or(1))
    }
}
