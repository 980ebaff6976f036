//! The operations a sequence is made of, how each picks its handles, and
//! their proptest strategies.

use d3dkmt_sim::BusyPolicy;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::{ADAPTERS, FLAG_DONOT_WAIT, FLAG_IGNORE_SYNC, FLAG_LOCK_ENTIRE, FLAG_READ_ONLY, FLAG_WRITE_ONLY};

#[derive(Debug, Clone)]
pub(crate) enum DevPick {
    /// A live device that owns live allocations (else as `Live`).
    WithAllocations(Index),
    /// A device that was created and not destroyed (removed or not).
    Live(Index),
    /// A destroyed device.
    Destroyed(Index),
    /// Random bits, given the handle shape so the typed API accepts them.
    Garbage(u32),
}

#[derive(Debug, Clone)]
pub(crate) enum AllocPick {
    /// A live allocation of the device the operation names.
    Own(Index),
    /// A live allocation of another device.
    OtherDevice(Index),
    /// A destroyed allocation.
    Stale(Index),
    /// Random bits, given the handle shape.
    Garbage(u32),
    /// The handle picked just before in the same list (a duplicate).
    Repeat,
}

#[derive(Debug, Clone)]
pub(crate) enum PageSel {
    In(Index),
    /// `page_count + n`.
    Out(u32),
}

#[derive(Debug, Clone)]
pub(crate) enum PagesPick {
    Entire,
    List(Vec<PageSel>),
}

#[derive(Debug, Clone)]
pub(crate) enum FencePick {
    Zero,
    /// One of the fences issued so far (1..=last).
    Issued(Index),
    AboveLast(u64),
    Any(u64),
}

/// The call-level shape of a create through the raw path (docs/contract.md §4's
/// rules after the list): valid, or breaking one rule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CreateShape {
    /// No call-level field set: each allocation's private data decides.
    Plain,
    /// A non-zero `hResource` (names no resource).
    UnknownResource,
    /// `CreateResource` or `CreateShared`.
    ResourceFlag(bool),
    /// `ExistingSysMem` without `StandardAllocation`.
    ExistingSysMemAlone,
    /// `StandardAllocation` without `ExistingSysMem` (and no description).
    StandardAlone,
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    CreateAllocations {
        dev: DevPick,
        descs: Vec<(u64, bool)>,
    },
    /// The same through `create_allocations_from` and the default driver
    /// model (a `SIMKMT_ALLOCATION_DESC` per allocation).
    CreateRaw {
        dev: DevPick,
        shape: CreateShape,
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
pub(crate) struct Params {
    pub(crate) policy: BusyPolicy,
    pub(crate) page_size: u32,
    pub(crate) limit: u32,
    pub(crate) budget_pages: u64,
}

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

fn create_shape() -> impl Strategy<Value = CreateShape> {
    prop_oneof![
        6 => Just(CreateShape::Plain),
        1 => Just(CreateShape::UnknownResource),
        1 => any::<bool>().prop_map(CreateShape::ResourceFlag),
        1 => Just(CreateShape::ExistingSysMemAlone),
        1 => Just(CreateShape::StandardAlone),
    ]
}

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![1 => Just(0u64), 2 => 1u64..=4096, 7 => 1u64..=50_000]
}

/// Weights per 1000: removal of any kind is rare enough (about one per
/// sequence) that most sequences spend most steps on live devices.
pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        110 => (dev_pick(), list((size(), prop::bool::weighted(0.9)), 3))
            .prop_map(|(dev, descs)| Op::CreateAllocations { dev, descs }),
        40 => (dev_pick(), create_shape(), list((size(), prop::bool::weighted(0.9)), 3))
            .prop_map(|(dev, shape, descs)| Op::CreateRaw { dev, shape, descs }),
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

pub(crate) fn params(policies: &'static [BusyPolicy]) -> impl Strategy<Value = Params> {
    (prop::sample::select(policies), prop_oneof![Just(4096u32), Just(8192u32)], 1u32..=4, 12u64..=48)
        .prop_map(|(policy, page_size, limit, budget_pages)| Params { policy, page_size, limit, budget_pages })
}

/// A few allocations to start with, so that early steps have something to
/// lock.
pub(crate) fn setup() -> impl Strategy<Value = Vec<Op>> {
    let create = (any::<Index>(), prop::collection::vec((size(), prop::bool::weighted(0.9)), 1..=2))
        .prop_map(|(i, descs)| Op::CreateAllocations { dev: DevPick::Live(i), descs });
    prop::collection::vec(create, 0..=4)
}
