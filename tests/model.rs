//! Model-based test of the lock contract (abi.md §3–§8).
//!
//! proptest generates random sequences of up to 60 operations — allocation
//! create/destroy, Lock2/Unlock2, the legacy page Lock/Unlock, GPU submit and
//! fence completion, device and adapter removal, device create/destroy and the
//! queries — with handles picked from live objects, destroyed ones, another
//! device's and garbage values. Each operation runs against the simulator and
//! against `Model`, a deliberately naive reference written from abi.md alone
//! (plain maps, no engine helpers, the contract's check order spelled out
//! rule by rule). Every returned status must match, and after every step the
//! observable state must match too: each live allocation's lock count, busy
//! bit, size and visibility, each device's execution state and last fence.
//! At the end, destroyed handles must still be rejected and the bytes written
//! through lock guards must read back as written (or as 0xDD on a removed
//! device).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use d3dkmt_sim::{
    status_of, AdapterHandle, AllocationDesc, AllocationHandle, BusyPolicy, DeviceHandle, ExecutionState, LockFlags,
    Mapping, NtStatus, Pages, SimConfig, Simulator,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

const OK: NtStatus = NtStatus::SUCCESS;
const IP: NtStatus = NtStatus::INVALID_PARAMETER;
const DR: NtStatus = NtStatus::DEVICE_REMOVED;
const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
const TMR: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;
const NVM: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

/// abi.md §6 rule 1: the legacy lock's reserved flag bits.
const RESERVED_LOCK_BITS: u32 = 0xFFFF_F800;
const FLAG_READ_ONLY: u32 = 0x1;
const FLAG_WRITE_ONLY: u32 = 0x2;
const FLAG_DONOT_WAIT: u32 = 0x4;
const FLAG_IGNORE_SYNC: u32 = 0x8;
const FLAG_LOCK_ENTIRE: u32 = 0x10;

/// The byte of each page that the test writes and probes.
const PROBE: u64 = 17;
const LOST: u8 = 0xDD;

/// A handle that (with 2 adapters and a few dozen objects) is never issued:
/// slot index 0x3FFFFF, generation 255. Used when a pick has nothing to pick.
const NEVER_ALLOCATION: u32 = 0xFFFF_FFFF;
const NEVER_DEVICE: u32 = 0xFFFF_FFFE;

// === operations ===

#[derive(Debug, Clone)]
enum DevPick {
    /// A live device that owns live allocations (else as `Live`).
    WithAllocations(Index),
    /// A device that was created and not destroyed (removed or not).
    Live(Index),
    /// A destroyed device.
    Destroyed(Index),
    /// Random bits, with the device kind tag so the typed API accepts them.
    Garbage(u32),
}

#[derive(Debug, Clone)]
enum AllocPick {
    /// A live allocation of the device the operation names.
    Own(Index),
    /// A live allocation of another device.
    OtherDevice(Index),
    /// A destroyed allocation.
    Stale(Index),
    /// Random bits, with the allocation kind tag.
    Garbage(u32),
    /// The handle picked just before in the same list (a duplicate).
    Repeat,
}

#[derive(Debug, Clone)]
enum PageSel {
    In(Index),
    /// `page_count + n`.
    Out(u32),
}

#[derive(Debug, Clone)]
enum PagesPick {
    Entire,
    List(Vec<PageSel>),
}

#[derive(Debug, Clone)]
enum FencePick {
    Zero,
    /// One of the fences issued so far (1..=last).
    Issued(Index),
    AboveLast(u64),
    Any(u64),
}

#[derive(Debug, Clone)]
enum Op {
    CreateAllocations {
        dev: DevPick,
        descs: Vec<(u64, bool)>,
    },
    DestroyAllocations {
        dev: DevPick,
        allocs: Vec<AllocPick>,
    },
    Lock2 {
        dev: DevPick,
        alloc: AllocPick,
    },
    Unlock2 {
        dev: DevPick,
        alloc: AllocPick,
    },
    Lock {
        dev: DevPick,
        alloc: AllocPick,
        flags: u32,
        pages: PagesPick,
    },
    Unlock {
        dev: DevPick,
        allocs: Vec<AllocPick>,
    },
    Submit {
        dev: DevPick,
        allocs: Vec<AllocPick>,
    },
    CompleteFence {
        dev: DevPick,
        fence: FencePick,
    },
    RemoveDevice {
        dev: DevPick,
        reason: u32,
    },
    ResetAdapter {
        adapter: usize,
    },
    RemoveAdapter {
        adapter: usize,
    },
    CreateDevice {
        adapter: usize,
    },
    DestroyDevice {
        dev: DevPick,
    },
    Query {
        dev: DevPick,
        alloc: AllocPick,
    },
    DeviceState {
        dev: DevPick,
    },
    /// Lock2 as a guard, read the probe byte of a page back, write a new one,
    /// drop the guard (Unlock2).
    Touch {
        dev: DevPick,
        alloc: AllocPick,
        page: Index,
        value: u8,
    },
}

#[derive(Debug, Clone)]
struct Params {
    policy: BusyPolicy,
    page_size: u32,
    limit: u32,
    budget_pages: u64,
}

const ADAPTERS: usize = 2;

fn dev_pick() -> impl Strategy<Value = DevPick> {
    prop_oneof![
        70 => any::<Index>().prop_map(DevPick::WithAllocations),
        20 => any::<Index>().prop_map(DevPick::Live),
        4 => any::<Index>().prop_map(DevPick::Destroyed),
        6 => any::<u32>().prop_map(DevPick::Garbage),
    ]
}

fn alloc_pick() -> impl Strategy<Value = AllocPick> {
    prop_oneof![
        80 => any::<Index>().prop_map(AllocPick::Own),
        7 => any::<Index>().prop_map(AllocPick::OtherDevice),
        6 => any::<Index>().prop_map(AllocPick::Stale),
        4 => any::<u32>().prop_map(AllocPick::Garbage),
        3 => Just(AllocPick::Repeat),
    ]
}

/// A list that is empty one time in ten.
fn list<T: Strategy + 'static>(element: T, max: usize) -> impl Strategy<Value = Vec<T::Value>>
where
    T::Value: Clone,
{
    prop_oneof![1 => Just(Vec::new()), 9 => prop::collection::vec(element, 1..=max)]
}

fn alloc_list(max: usize) -> impl Strategy<Value = Vec<AllocPick>> {
    list(alloc_pick(), max)
}

fn lock_flags() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => Just(0),
        2 => Just(FLAG_DONOT_WAIT),
        2 => Just(FLAG_IGNORE_SYNC),
        1 => Just(FLAG_IGNORE_SYNC | FLAG_DONOT_WAIT),
        1 => Just(FLAG_LOCK_ENTIRE),
        1 => Just(FLAG_READ_ONLY | FLAG_WRITE_ONLY),
        4 => 0u32..0x800,
        1 => (0u32..0x800, 11u32..32).prop_map(|(f, bit)| f | (1 << bit)),
    ]
}

fn pages_pick() -> impl Strategy<Value = PagesPick> {
    let sel = prop_oneof![8 => any::<Index>().prop_map(PageSel::In), 1 => (0u32..3).prop_map(PageSel::Out)];
    prop_oneof![
        3 => Just(PagesPick::Entire),
        7 => list(sel, 3).prop_map(PagesPick::List),
    ]
}

fn fence_pick() -> impl Strategy<Value = FencePick> {
    prop_oneof![
        1 => Just(FencePick::Zero),
        5 => any::<Index>().prop_map(FencePick::Issued),
        2 => (1u64..4).prop_map(FencePick::AboveLast),
        1 => any::<u64>().prop_map(FencePick::Any),
    ]
}

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![1 => Just(0u64), 2 => 1u64..=4096, 7 => 1u64..=50_000]
}

/// Weights per 1000: removal of any kind is rare enough (about one per
/// sequence) that most sequences spend most steps on live devices.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        110 => (dev_pick(), list((size(), prop::bool::weighted(0.9)), 3))
            .prop_map(|(dev, descs)| Op::CreateAllocations { dev, descs }),
        40 => (dev_pick(), alloc_list(3)).prop_map(|(dev, allocs)| Op::DestroyAllocations { dev, allocs }),
        150 => (dev_pick(), alloc_pick()).prop_map(|(dev, alloc)| Op::Lock2 { dev, alloc }),
        100 => (dev_pick(), alloc_pick()).prop_map(|(dev, alloc)| Op::Unlock2 { dev, alloc }),
        130 => (dev_pick(), alloc_pick(), lock_flags(), pages_pick())
            .prop_map(|(dev, alloc, flags, pages)| Op::Lock { dev, alloc, flags, pages }),
        80 => (dev_pick(), alloc_list(2)).prop_map(|(dev, allocs)| Op::Unlock { dev, allocs }),
        80 => (dev_pick(), alloc_list(3)).prop_map(|(dev, allocs)| Op::Submit { dev, allocs }),
        70 => (dev_pick(), fence_pick()).prop_map(|(dev, fence)| Op::CompleteFence { dev, fence }),
        10 => (dev_pick(), 1u32..=7).prop_map(|(dev, reason)| Op::RemoveDevice { dev, reason }),
        4 => (0..ADAPTERS).prop_map(|adapter| Op::ResetAdapter { adapter }),
        2 => (0..ADAPTERS).prop_map(|adapter| Op::RemoveAdapter { adapter }),
        12 => (0..ADAPTERS).prop_map(|adapter| Op::CreateDevice { adapter }),
        10 => dev_pick().prop_map(|dev| Op::DestroyDevice { dev }),
        60 => (dev_pick(), alloc_pick()).prop_map(|(dev, alloc)| Op::Query { dev, alloc }),
        20 => dev_pick().prop_map(|dev| Op::DeviceState { dev }),
        80 => (dev_pick(), alloc_pick(), any::<Index>(), 1u8..=255)
            .prop_map(|(dev, alloc, page, value)| Op::Touch { dev, alloc, page, value }),
    ]
}

fn params(policies: &'static [BusyPolicy]) -> impl Strategy<Value = Params> {
    (prop::sample::select(policies), prop_oneof![Just(4096u32), Just(8192u32)], 1u32..=4, 12u64..=48)
        .prop_map(|(policy, page_size, limit, budget_pages)| Params { policy, page_size, limit, budget_pages })
}

// === the naive reference model ===

/// What the probe byte of a page holds, as far as the model knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Written(u8),
    /// Written, then the device was removed: 0xDD.
    Lost,
}

#[derive(Debug)]
struct MAdapter {
    removed: bool,
    used: u64,
}

#[derive(Debug)]
struct MDevice {
    adapter: usize,
    destroyed: bool,
    /// Removal reason (2..=7) once removed.
    removed: Option<u32>,
    next_fence: u64,
    /// Uncompleted submissions: fence and the distinct allocations named.
    pending: Vec<(u64, Vec<u32>)>,
}

#[derive(Debug)]
struct MAlloc {
    device: u32,
    destroyed: bool,
    cpu_visible: bool,
    size: u64,
    pages: u64,
    lock_count: u32,
    /// Uncompleted submissions that reference it.
    busy_count: u32,
    /// Base address seen on the first successful lock; stable for life.
    base: Option<usize>,
    content: BTreeMap<u64, Content>,
}

#[derive(Debug)]
struct Model {
    policy: BusyPolicy,
    page_size: u64,
    limit: u32,
    budget: u64,
    adapters: Vec<MAdapter>,
    devices: HashMap<u32, MDevice>,
    device_order: Vec<u32>,
    allocs: HashMap<u32, MAlloc>,
    alloc_order: Vec<u32>,
}

type Expect<T = ()> = Result<T, NtStatus>;

impl Model {
    fn new(p: &Params) -> Self {
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

    fn live_devices(&self) -> Vec<u32> {
        self.device_order.iter().copied().filter(|d| !self.devices[d].destroyed).collect()
    }

    fn live_allocs(&self, pred: impl Fn(&MAlloc) -> bool) -> Vec<u32> {
        self.alloc_order.iter().copied().filter(|a| !self.allocs[a].destroyed && pred(&self.allocs[a])).collect()
    }

    fn pick_device(&self, pick: &DevPick) -> u32 {
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
            DevPick::Garbage(bits) => (bits & !3) | 2,
        }
    }

    fn pick_allocs(&self, device: u32, picks: &[AllocPick]) -> Vec<u32> {
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
                AllocPick::Garbage(bits) => (bits & !3) | 3,
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

    /// abi.md §5 rule 2 (and the same rule everywhere): a device that exists
    /// and was not destroyed. Removed devices pass.
    fn live_device(&self, device: u32) -> Expect {
        match self.devices.get(&device) {
            Some(d) if !d.destroyed => Ok(()),
            _ => Err(IP),
        }
    }

    /// Rules 2 and 3: live and not removed.
    fn active_device(&self, device: u32) -> Expect {
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

    fn create_allocations(&self, device: u32, descs: &[(u64, bool)]) -> Expect {
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

    fn record_allocations(&mut self, device: u32, descs: &[(u64, bool)], handles: &[u32]) {
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

    fn destroy_allocations(&mut self, device: u32, allocs: &[u32]) -> Expect {
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
    fn lock2(&mut self, device: u32, alloc: u32) -> Expect<u64> {
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

    fn unlock2(&mut self, device: u32, alloc: u32) -> Expect {
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
    fn lock(&mut self, device: u32, alloc: u32, flags: u32, pages: Option<&[u32]>) -> Expect<u64> {
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

    fn unlock(&mut self, device: u32, allocs: &[u32]) -> Expect {
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

    fn submit(&mut self, device: u32, allocs: &[u32]) -> Expect<u64> {
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

    fn complete_fence(&mut self, device: u32, value: u64) -> Expect {
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

    fn remove_device(&mut self, device: u32, reason: u32) -> Expect {
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

    fn reset_adapter(&mut self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        self.remove_all_on(adapter, 2);
        Ok(())
    }

    fn remove_adapter(&mut self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        self.adapters[adapter].removed = true;
        self.remove_all_on(adapter, 4);
        Ok(())
    }

    fn create_device(&self, adapter: usize) -> Expect {
        if self.adapters[adapter].removed {
            return Err(DR);
        }
        Ok(())
    }

    fn record_device(&mut self, adapter: usize, raw: u32) {
        self.devices
            .insert(raw, MDevice { adapter, destroyed: false, removed: None, next_fence: 1, pending: Vec::new() });
        self.device_order.push(raw);
    }

    fn destroy_device(&mut self, device: u32) -> Expect {
        self.live_device(device)?;
        for a in self.live_allocs(|a| a.device == device) {
            self.destroy_one(a);
        }
        let d = self.devices.get_mut(&device).unwrap();
        d.destroyed = true;
        d.pending.clear();
        Ok(())
    }

    fn query(&self, device: u32, alloc: u32) -> Expect<&MAlloc> {
        self.live_device(device)?;
        self.allocation_of(device, alloc)?;
        Ok(&self.allocs[&alloc])
    }

    fn device_state(&self, device: u32) -> Expect<u32> {
        self.live_device(device)?;
        Ok(self.devices[&device].removed.unwrap_or(1))
    }
}

// === driving both ===

struct Harness {
    sim: Simulator,
    adapters: Vec<AdapterHandle>,
    model: Model,
}

fn dh(raw: u32) -> DeviceHandle {
    DeviceHandle::from_raw(raw).expect("picks carry the device kind tag")
}

fn ah(raw: u32) -> AllocationHandle {
    AllocationHandle::from_raw(raw).expect("picks carry the allocation kind tag")
}

fn ahs(raw: &[u32]) -> Vec<AllocationHandle> {
    raw.iter().map(|&r| ah(r)).collect()
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
        let adapters: Vec<AdapterHandle> = sim.enum_adapters(16).unwrap().iter().map(|a| a.handle).collect();
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
                    prop_assert_eq!(handles.len(), descs.len());
                    let raw: Vec<u32> = handles.iter().map(|h| h.raw()).collect();
                    for (i, &r) in raw.iter().enumerate() {
                        self.check_fresh(r)?;
                        prop_assert!(!raw[..i].contains(&r));
                    }
                    self.model.record_allocations(d, descs, &raw);
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
                let got = sim.lock(dh(d), ah(a), LockFlags(*flags), engine_pages);
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
                // stays mapped (abi.md §5 rule 8, §7); the probe offset is
                // inside page `p < pages`. Nothing else runs concurrently.
                let byte = unsafe { ptr.read_volatile() };
                let ok = match a.content.get(&p) {
                    Some(Content::Written(v)) => byte == *v,
                    Some(Content::Lost) => byte == LOST,
                    // abi.md §7: pages never written "may read as zero".
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

/// A few allocations to start with, so that early steps have something to
/// lock.
fn setup() -> impl Strategy<Value = Vec<Op>> {
    let create = (any::<Index>(), prop::collection::vec((size(), prop::bool::weighted(0.9)), 1..=2))
        .prop_map(|(i, descs)| Op::CreateAllocations { dev: DevPick::Live(i), descs });
    prop::collection::vec(create, 0..=4)
}

fn run(p: Params, setup: Vec<Op>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut h = Harness::new(&p)?;
    for op in setup.iter().chain(&ops) {
        h.step(op)?;
    }
    h.check_end()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The default busy policy: a busy Lock2 fails at once.
    #[test]
    fn model_busy_fail(p in params(&[BusyPolicy::Fail]), setup in setup(), ops in prop::collection::vec(op(), 1..=60)) {
        run(p, setup, ops)?;
    }

    /// A raw `D3DKMT_HANDLE` becomes a typed handle only with the right kind
    /// tag; with it, a value that was never issued is rejected by every call
    /// (the sequences above also pass such values, mixed with real ones).
    #[test]
    fn garbage_handles(raw in any::<u32>(), dev_raw in any::<u32>()) {
        let alloc = AllocationHandle::from_raw(raw);
        prop_assert_eq!(alloc.is_some(), raw & 3 == 3);
        prop_assert_eq!(DeviceHandle::from_raw(raw).is_some(), raw & 3 == 2);
        prop_assert_eq!(AdapterHandle::from_raw(raw).is_some(), raw & 3 == 1);
        let sim = Simulator::new(SimConfig::default()).unwrap();
        let adapter = sim.enum_adapters(1).unwrap()[0].handle;
        let device = sim.create_device(adapter).unwrap();
        let real = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
        let garbage = ah((raw & !3) | 3);
        prop_assume!(garbage != real);
        prop_assert_eq!(status_of(&sim.lock2(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.unlock2(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.lock(device, garbage, LockFlags::default(), Pages::Entire)), IP);
        prop_assert_eq!(status_of(&sim.unlock(device, &[garbage])), IP);
        prop_assert_eq!(status_of(&sim.submit(device, &[garbage])), IP);
        prop_assert_eq!(status_of(&sim.query_allocation(device, garbage)), IP);
        prop_assert_eq!(status_of(&sim.destroy_allocations(device, &[garbage, real])), IP);
        let garbage_device = dh((dev_raw & !3) | 2);
        prop_assume!(garbage_device != device);
        prop_assert_eq!(status_of(&sim.lock2(garbage_device, real)), IP);
        prop_assert_eq!(status_of(&sim.device_state(garbage_device)), IP);
        prop_assert_eq!(status_of(&sim.destroy_device(garbage_device)), IP);
        prop_assert!(sim.query_allocation(device, real).is_ok(), "the real allocation survived");
    }

    /// The other two policies: Ignore maps busy allocations, Wait times out
    /// (1 ms) because nothing completes the work while it waits.
    #[test]
    fn model_busy_ignore_or_wait(
        p in params(&[BusyPolicy::Ignore, BusyPolicy::Wait]),
        setup in setup(),
        ops in prop::collection::vec(op(), 1..=60),
    ) {
        run(p, setup, ops)?;
    }
}
