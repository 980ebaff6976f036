//! Sequences of C ABI calls (the `D3DKMT*` and `SimKmt*` exports) with
//! fuzz-chosen struct contents, handles and counts, checked against a
//! shadow model of abi.md after every call.
//!
//! Each input starts with `SimKmtReset` (two adapters, a budget of 8 pages
//! each, a lock limit of 1 to 4, a fuzz-chosen busy policy, 1 ms waits) and
//! then decodes, byte by byte, up to 48 calls: enumerate, open and close
//! adapters, create and destroy devices and allocations (both create
//! variants), Lock2/Unlock2, legacy Lock/Unlock with page lists, submit and
//! complete work, remove devices, reset and remove adapters, query device
//! state, arm faults, and resets with valid or invalid configurations.
//! Handles are taken from what the shadow knows (live, destroyed, of another
//! kind) or are arbitrary `u32`s; counts are exact, zero, or hostile
//! (`k + 1` or `0xFFFFFFFF` over a buffer of `k` good elements followed by
//! a bad one, so a simulator that stops at the first bad element, as
//! abi.md §3 requires, never reads past the buffer). Pointers are NULL or
//! point into buffers this target owns; a misaligned `pSystemMem` points
//! into a leaked pool, so even a wrong acceptance stays memory-safe.
//!
//! After every call: the status is the one the shadow predicts (exactly
//! where abi.md fixes it, or "a failure" where the order leaves several
//! possible); a failed call wrote no output field and changed nothing, and
//! then every allocation is re-queried (`SimKmtQueryAllocation`: lock
//! count, busy bit, pages, CPU visibility) and its first bytes read at its
//! mapped address and compared with the bytes last written under a lock
//! (or 0xDD after a removal, which discards content). Every successful
//! Lock2 reads the allocation back before writing new bytes, and every
//! lock returns the allocation's one stable address.
#![no_main]

use core::ffi::c_void;
use core::ptr::{null, null_mut};

use d3dkmt_sim::ffi::*;
use libfuzzer_sys::fuzz_target;
use windows_sys::Wdk::Graphics::Direct3D::{
    D3DDDI_ALLOCATIONINFO, D3DDDI_ALLOCATIONINFO2, D3DKMT_ADAPTERINFO, D3DKMT_CLOSEADAPTER, D3DKMT_CREATEALLOCATION,
    D3DKMT_CREATEDEVICE, D3DKMT_DESTROYALLOCATION2, D3DKMT_DESTROYDEVICE, D3DKMT_ENUMADAPTERS2, D3DKMT_GETDEVICESTATE,
    D3DKMT_LOCK, D3DKMT_LOCK2, D3DKMT_OPENADAPTERFROMLUID, D3DKMT_UNLOCK, D3DKMT_UNLOCK2,
};
use windows_sys::Win32::Foundation::LUID;

const OK: i32 = 0;
const INVALID_HANDLE: i32 = 0xC000_0008_u32 as i32;
const INVALID: i32 = 0xC000_000D_u32 as i32;
const NOT_SUPPORTED: i32 = 0xC000_00BB_u32 as i32;
const TOO_SMALL: i32 = 0xC000_0023_u32 as i32;
const REMOVED: i32 = 0xC000_02B6_u32 as i32;
const NO_VIDEO_MEMORY: i32 = 0xC01E_0100_u32 as i32;
const BUSY: i32 = 0xC01E_0102_u32 as i32;
const TOO_MANY_REFS: i32 = 0xC01E_0103_u32 as i32;

const PAGE: u64 = 4096;
const BUDGET_PAGES: u64 = 8;
/// Bytes of each allocation the shadow follows (at its base).
const W: usize = 64;
const NOT_CPU_VISIBLE: u32 = 0x1;

// SIMKMT_CALL_* numbers.
const CALL_LOCK2: u32 = 1;
const CALL_UNLOCK2: u32 = 2;
const CALL_LOCK: u32 = 3;
const CALL_UNLOCK: u32 = 4;
const CALL_CREATEALLOCATION: u32 = 5;
const CALL_DESTROYALLOCATION: u32 = 6;
const CALL_CREATEDEVICE: u32 = 7;
const CALL_DESTROYDEVICE: u32 = 8;
const CALL_GETDEVICESTATE: u32 = 10;

/// The bytes of the input, read front to back; zeros once exhausted.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
}

/// What the shadow expects a call to return.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exactly this status.
    Is(i32),
    /// Some failure status (abi.md leaves the choice to the check order).
    Fails,
    /// Success or failure (the contract does not say); either way the
    /// shadow follows what happened.
    Any,
}

fn check(what: &str, expect: Expect, status: i32) {
    let fine = match expect {
        Expect::Is(s) => status == s,
        Expect::Fails => status < 0,
        Expect::Any => true,
    };
    assert!(fine, "{what}: expected {expect:x?}, got {:#010x}", status as u32);
}

#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// Never written: reads as zeros.
    Zero,
    /// Never written, then removed: zeros or 0xDD.
    ZeroOrDd,
    /// The bytes last written under a lock.
    Bytes([u8; W]),
}

#[derive(Debug)]
struct Alloc {
    h: u32,
    pages: u64,
    visible: bool,
    locks: u32,
    /// The fence of the last submission naming it.
    fence: u64,
    /// The address locks return, once one has.
    base: Option<usize>,
    content: Content,
}

#[derive(Debug)]
struct Dev {
    h: u32,
    adapter: usize,
    /// The removal reason, once removed.
    removed: Option<u32>,
    issued: u64,
    completed: u64,
    allocs: Vec<Alloc>,
}

impl Dev {
    fn busy(&self, a: &Alloc) -> bool {
        a.fence > self.completed
    }
    fn find(&self, h: u32) -> Option<usize> {
        self.allocs.iter().position(|a| a.h == h)
    }
}

#[derive(Debug)]
struct Adapter {
    luid: (u32, i32),
    handles: Vec<u32>,
    removed: bool,
    /// Budget in use, in bytes.
    used: u64,
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    call: u32,
    skip: u32,
    count: u32,
    action: u32,
    status: i32,
}

#[derive(Debug, Clone, Copy)]
struct Cfg {
    policy: u32,
    max_locks: u32,
}

struct Shadow {
    cfg: Cfg,
    adapters: Vec<Adapter>,
    devices: Vec<Dev>,
    /// Handles of destroyed objects (never reissued within an input).
    dead: Vec<u32>,
    fault: Option<Fault>,
}

/// A pool the misaligned `pSystemMem` points into: leaked, so it outlives
/// anything a (wrongly) accepted allocation might do with it.
fn pool() -> *const c_void {
    use std::sync::OnceLock;
    static POOL: OnceLock<usize> = OnceLock::new();
    *POOL.get_or_init(|| Box::leak(vec![0u8; 4 * PAGE as usize].into_boxed_slice()).as_ptr() as usize) as *const c_void
}

fn config(policy: u32, max_locks: u32) -> SIMKMT_CONFIG {
    SIMKMT_CONFIG {
        Size: core::mem::size_of::<SIMKMT_CONFIG>() as u32,
        AdapterCount: 2,
        PageSize: 4096,
        MaxLockReferences: max_locks,
        BusyPolicy: policy,
        WaitTimeoutMs: 1,
        AdapterMemoryBytes: BUDGET_PAGES * PAGE,
        Seed: 1,
    }
}

fn handle_shape(h: u32) -> bool {
    h & 0xC000_003F == 0x4000_0000 && h != 0x4000_0000
}

impl Shadow {
    /// Resets the simulator and enumerates its adapters.
    fn reset(cfg: Cfg) -> Shadow {
        let c = config(cfg.policy, cfg.max_locks);
        // SAFETY: `c` is a valid SIMKMT_CONFIG for the call's duration.
        let status = unsafe { SimKmtReset(&c) };
        assert_eq!(status, OK, "SimKmtReset({c:?})");
        let mut s = Shadow { cfg, adapters: Vec::new(), devices: Vec::new(), dead: Vec::new(), fault: None };
        let mut info = [D3DKMT_ADAPTERINFO::default(); 4];
        let mut e = D3DKMT_ENUMADAPTERS2 { NumAdapters: 4, pAdapters: info.as_mut_ptr() };
        // SAFETY: `e` points at 4 writable entries.
        let status = unsafe { D3DKMTEnumAdapters2(&mut e) };
        assert_eq!((status, e.NumAdapters), (OK, 2), "enumerating a new simulator");
        for i in &info[..2] {
            assert!(handle_shape(i.hAdapter), "adapter handle {:#x}", i.hAdapter);
            s.adapters.push(Adapter {
                luid: (i.AdapterLuid.LowPart, i.AdapterLuid.HighPart),
                handles: vec![i.hAdapter],
                removed: false,
                used: 0,
            });
        }
        s
    }

    fn live_handles(&self) -> Vec<u32> {
        let mut v = Vec::new();
        for a in &self.adapters {
            v.extend(&a.handles);
        }
        for d in &self.devices {
            v.push(d.h);
            v.extend(d.allocs.iter().map(|a| a.h));
        }
        v
    }

    /// A handle for a call: a live one of the wanted kind (`pool`), a dead
    /// one, a live one of any kind, or an arbitrary value.
    fn pick(&self, inp: &mut Input, pool: &[u32]) -> u32 {
        let sel = inp.u8();
        let idx = inp.u8() as usize;
        match sel % 8 {
            0..=4 if !pool.is_empty() => pool[idx % pool.len()],
            5 if !self.dead.is_empty() => self.dead[idx % self.dead.len()],
            6 => {
                let all = self.live_handles();
                if all.is_empty() {
                    0
                } else {
                    all[idx % all.len()]
                }
            }
            7 => inp.u32(),
            _ => 0x4000_0000 | ((idx as u32 + 1) << 6),
        }
    }

    fn device_handles(&self) -> Vec<u32> {
        self.devices.iter().map(|d| d.h).collect()
    }
    fn adapter_handles(&self) -> Vec<u32> {
        self.adapters.iter().flat_map(|a| a.handles.iter().copied()).collect()
    }
    fn dev(&self, h: u32) -> Option<usize> {
        self.devices.iter().position(|d| d.h == h)
    }
    fn adapter_of_handle(&self, h: u32) -> Option<usize> {
        self.adapters.iter().position(|a| a.handles.contains(&h))
    }
    /// Allocation handles to pick from for a call on device `d`.
    fn alloc_pool(&self, d: Option<usize>) -> Vec<u32> {
        match d {
            Some(d) if !self.devices[d].allocs.is_empty() => self.devices[d].allocs.iter().map(|a| a.h).collect(),
            _ => self.devices.iter().flat_map(|d| d.allocs.iter().map(|a| a.h)).collect(),
        }
    }

    /// Counts a call against the armed fault: what fires, if anything.
    fn fault_hit(&mut self, call: u32) -> Option<Fault> {
        let f = self.fault.as_mut()?;
        if f.call != call {
            return None;
        }
        if f.skip > 0 {
            f.skip -= 1;
            return None;
        }
        let fired = *f;
        f.count -= 1;
        if f.count == 0 {
            self.fault = None;
        }
        Some(fired)
    }

    fn remove_device(&mut self, d: usize, reason: u32) {
        let dev = &mut self.devices[d];
        if dev.removed.is_some() {
            return;
        }
        dev.removed = Some(reason);
        for a in &mut dev.allocs {
            a.locks = 0;
            a.content = match a.content {
                Content::Bytes(_) => Content::Bytes([0xDD; W]),
                _ => Content::ZeroOrDd,
            };
        }
    }

    fn remove_adapter_devices(&mut self, adapter: usize, reason: u32) {
        for d in 0..self.devices.len() {
            if self.devices[d].adapter == adapter {
                self.remove_device(d, reason);
            }
        }
    }

    /// Applies a fault that fired on a call naming device handle `h`.
    /// `Some(status)`: the call returns it and changes nothing.
    fn apply_fault(&mut self, call: u32, h: u32) -> Option<i32> {
        let f = self.fault_hit(call)?;
        match f.action {
            SIMKMT_FAULT_RETURN_STATUS => return Some(f.status),
            SIMKMT_FAULT_REMOVE_DEVICE => {
                if let Some(d) = self.dev(h) {
                    self.remove_device(d, 3);
                }
            }
            _ => {
                if let Some(d) = self.dev(h) {
                    let a = self.devices[d].adapter;
                    if !self.adapters[a].removed {
                        self.remove_adapter_devices(a, 2);
                    }
                }
            }
        }
        None
    }

    fn kill(&mut self, h: u32) {
        self.dead.push(h);
    }

    fn destroy_alloc(&mut self, d: usize, i: usize) {
        let a = self.devices[d].allocs.remove(i);
        let ad = self.devices[d].adapter;
        self.adapters[ad].used -= a.pages * PAGE;
        self.kill(a.h);
    }

    /// Re-queries everything the shadow knows and compares.
    fn verify(&self, when: &str) {
        for d in &self.devices {
            for a in &d.allocs {
                let mut q = SIMKMT_ALLOCATION_INFO::default();
                // SAFETY: `q` is writable for the call.
                let status = unsafe { SimKmtQueryAllocation(d.h, a.h, &mut q) };
                assert_eq!(status, OK, "{when}: query of {a:?} on {:#x}", d.h);
                assert_eq!(q.LockCount, a.locks, "{when}: lock count of {a:?}");
                assert_eq!(u64::from(q.PageCount), a.pages, "{when}: pages of {a:?}");
                assert_eq!(q.Flags & NOT_CPU_VISIBLE == 0, a.visible, "{when}: visibility of {a:?}");
                if d.removed.is_none() {
                    assert_eq!(q.Busy != 0, d.busy(a), "{when}: busy bit of {a:?}");
                }
                if let Some(base) = a.base {
                    let mut now = [0u8; W];
                    // SAFETY: `base` is the mapping of a live allocation of
                    // at least one page; abi.md §4/§7: it stays mapped until
                    // destroyed, and reading it unlocked is harmless here
                    // (one thread).
                    unsafe { core::ptr::copy_nonoverlapping(base as *const u8, now.as_mut_ptr(), W) };
                    check_content(when, a, &now);
                }
            }
        }
        for &h in self.dead.iter().rev().take(3) {
            let mut q = SIMKMT_ALLOCATION_INFO::default();
            for d in &self.devices {
                // SAFETY: `q` is writable for the call.
                let status = unsafe { SimKmtQueryAllocation(d.h, h, &mut q) };
                assert_eq!(status, INVALID, "{when}: a destroyed handle {h:#x} still answers");
            }
        }
        let mut e = D3DKMT_ENUMADAPTERS2 { NumAdapters: 0, pAdapters: null_mut() };
        // SAFETY: a NULL array asks for the count only.
        let status = unsafe { D3DKMTEnumAdapters2(&mut e) };
        let listed = self.adapters.iter().filter(|a| !a.removed).count() as u32;
        assert_eq!((status, e.NumAdapters), (OK, listed), "{when}: adapters listed");
    }
}

fn check_content(when: &str, a: &Alloc, now: &[u8; W]) {
    let fine = match &a.content {
        Content::Zero => now.iter().all(|&b| b == 0),
        Content::ZeroOrDd => now.iter().all(|&b| b == 0) || now.iter().all(|&b| b == 0xDD),
        Content::Bytes(b) => b == now,
    };
    assert!(fine, "{when}: content of {:#x} is {now:x?}, expected {:x?}", a.h, a.content);
}

/// A fuzz-chosen count over a buffer of `k` good elements followed by one
/// bad element: `(count, hostile)`.
fn count(inp: &mut Input, k: usize) -> (u32, bool) {
    match inp.u8() % 8 {
        0 => (0, false),
        1 => (k as u32 + 1, true),
        2 => (u32::MAX, true),
        _ => (k as u32, false),
    }
}

fn desc_for(inp: &mut Input) -> (SIMKMT_ALLOCATION_DESC, u32, bool, Option<u64>) {
    // (desc, data size, valid, pages)
    let sel = inp.u8();
    let version = if sel & 0x80 != 0 { inp.u8() as u32 } else { 1 };
    let flags = match (sel >> 4) & 7 {
        0 => NOT_CPU_VISIBLE,
        1 => inp.u32(),
        _ => 0,
    };
    let size = match sel & 0xF {
        0 => 0,
        1 => 1 << 40,
        2 => u64::MAX,
        3 => 5 * PAGE,
        _ => 1 + u64::from(inp.u32() % (3 * PAGE as u32)),
    };
    let data_size = if inp.u8() % 16 == 0 { inp.u8() as u32 % 16 } else { 16 };
    let desc = SIMKMT_ALLOCATION_DESC { Version: version, Flags: flags, SizeInBytes: size };
    let valid = version == 1 && flags & !NOT_CPU_VISIBLE == 0 && size > 0 && data_size >= 16;
    let pages = size.checked_add(PAGE - 1).map(|s| s / PAGE);
    (desc, data_size, valid, pages)
}

fn run_op(s: &mut Shadow, inp: &mut Input, step: usize) {
    let op = inp.u8() % 20;
    let when = format!("step {step} op {op}");
    match op {
        // CreateDevice
        0 | 1 => {
            let h = s.pick(inp, &s.adapter_handles());
            let mut c = D3DKMT_CREATEDEVICE::default();
            c.Anonymous.hAdapter = h;
            let ad = s.adapter_of_handle(h);
            let mut expect = match ad {
                None => Expect::Is(INVALID),
                Some(a) if s.adapters[a].removed => Expect::Is(REMOVED),
                Some(_) => Expect::Is(OK),
            };
            if let Some(f) = s.fault_hit(CALL_CREATEDEVICE) {
                expect = Expect::Is(f.status);
            }
            // SAFETY: `c` is a valid D3DKMT_CREATEDEVICE.
            let status = unsafe { D3DKMTCreateDevice(&mut c) };
            check(&when, expect, status);
            if status == OK {
                assert!(handle_shape(c.hDevice) && !s.live_handles().contains(&c.hDevice), "{when}: {:#x}", c.hDevice);
                assert!(c.pCommandBuffer.is_null() && c.CommandBufferSize == 0, "{when}: outputs");
                s.devices.push(Dev {
                    h: c.hDevice,
                    adapter: ad.unwrap(),
                    removed: None,
                    issued: 0,
                    completed: 0,
                    allocs: Vec::new(),
                });
            } else {
                assert_eq!(c.hDevice, 0, "{when}: a failed create wrote hDevice");
            }
        }
        // DestroyDevice
        2 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let mut expect = if d.is_some() { Expect::Is(OK) } else { Expect::Is(INVALID) };
            if let Some(st) = s.apply_fault(CALL_DESTROYDEVICE, h) {
                expect = Expect::Is(st);
            }
            // SAFETY: the argument is a valid struct.
            let status = unsafe { D3DKMTDestroyDevice(&D3DKMT_DESTROYDEVICE { hDevice: h }) };
            check(&when, expect, status);
            if status == OK {
                let d = d.unwrap();
                while !s.devices[d].allocs.is_empty() {
                    s.destroy_alloc(d, 0);
                }
                s.devices.remove(d);
                s.kill(h);
            }
        }
        // CreateAllocation2 / CreateAllocation
        3..=5 => {
            let legacy = op == 5;
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let k = 1 + inp.u8() as usize % 4;
            let mut descs = [SIMKMT_ALLOCATION_DESC::default(); 5];
            let mut sizes = [0u32; 5];
            let mut all_valid = true;
            let mut pages_total: Option<u64> = Some(0);
            let mut pages = Vec::new();
            let mut misaligned = [false; 5];
            for i in 0..k {
                let (desc, size, valid, p) = desc_for(inp);
                descs[i] = desc;
                sizes[i] = size;
                misaligned[i] = inp.u8() % 16 == 0;
                all_valid &= valid && !misaligned[i];
                pages_total = match (pages_total, p) {
                    (Some(t), Some(p)) => t.checked_add(p),
                    _ => None,
                };
                pages.push((p.unwrap_or(0), desc.Flags & NOT_CPU_VISIBLE == 0));
            }
            let (n, hostile) = count(inp, k);
            let null_info = inp.u8() % 32 == 0;
            let resource = if inp.u8() % 32 == 0 { inp.u32() | 1 } else { 0 };
            let flags = if inp.u8() % 32 == 0 { inp.u32() } else { 0 };
            let dp = descs.as_ptr();
            let sys = |i: usize| if misaligned[i] { pool().wrapping_byte_add(1) } else { null() };
            let mut info2: [D3DDDI_ALLOCATIONINFO2; 5] = Default::default();
            let mut info: [D3DDDI_ALLOCATIONINFO; 5] = Default::default();
            for i in 0..k {
                info2[i].pPrivateDriverData = dp.wrapping_add(i) as *mut c_void;
                info2[i].PrivateDriverDataSize = sizes[i];
                info2[i].Anonymous1.pSystemMem = sys(i);
                info[i].pPrivateDriverData = dp.wrapping_add(i) as *mut c_void;
                info[i].PrivateDriverDataSize = sizes[i];
                info[i].pSystemMem = sys(i);
            }
            // Element k (the bad one) keeps a NULL description.
            let mut c =
                D3DKMT_CREATEALLOCATION { hDevice: h, hResource: resource, hGlobalShare: 0x55, ..Default::default() };
            c.NumAllocations = n;
            c.Flags._bitfield = flags;
            if !null_info {
                if legacy {
                    c.Anonymous2.pAllocationInfo = info.as_mut_ptr();
                } else {
                    c.Anonymous2.pAllocationInfo2 = info2.as_mut_ptr();
                }
            }
            let fault = s.apply_fault(CALL_CREATEALLOCATION, h);
            let mut expect = match d {
                None => Expect::Is(INVALID),
                Some(d) if s.devices[d].removed.is_some() => Expect::Is(REMOVED),
                Some(_) if resource != 0 => Expect::Is(INVALID_HANDLE),
                // docs/c-library.md: CreateResource and CreateShared are not
                // simulated; StandardAllocation and ExistingSysMem only
                // together (and then the standard path, which these inputs
                // never satisfy); other flags are ignored.
                Some(_) if flags & 3 != 0 => Expect::Is(NOT_SUPPORTED),
                Some(_) if flags & 0x20 != 0 || flags & 0x1_0000 != 0 => Expect::Is(INVALID),
                Some(_) if n == 0 || null_info || hostile || !all_valid => Expect::Is(INVALID),
                Some(d) => match pages_total {
                    Some(p) if p <= BUDGET_PAGES - s.adapters[s.devices[d].adapter].used / PAGE => Expect::Is(OK),
                    // A size that cannot be rounded to pages is past any
                    // budget (docs/c-library.md).
                    _ => Expect::Is(NO_VIDEO_MEMORY),
                },
            };
            if let Some(st) = fault {
                expect = Expect::Is(st);
            }
            // SAFETY: `c` and the arrays and descriptions it points at live
            // across the call; element k is NULL-described, so a count past
            // k stops there.
            let status = unsafe {
                if legacy {
                    D3DKMTCreateAllocation(&mut c)
                } else {
                    D3DKMTCreateAllocation2(&mut c)
                }
            };
            check(&when, expect, status);
            let handles: Vec<u32> =
                (0..5).map(|i| if legacy { info[i].hAllocation } else { info2[i].hAllocation }).collect();
            if status == OK {
                assert_eq!(c.hGlobalShare, 0, "{when}: hGlobalShare");
                let d = d.unwrap();
                let live = s.live_handles();
                for (i, &(p, visible)) in pages.iter().enumerate() {
                    let ha = handles[i];
                    assert!(handle_shape(ha) && !live.contains(&ha), "{when}: new handle {ha:#x}");
                    let ad = s.devices[d].adapter;
                    s.adapters[ad].used += p * PAGE;
                    s.devices[d].allocs.push(Alloc {
                        h: ha,
                        pages: p,
                        visible,
                        locks: 0,
                        fence: 0,
                        base: None,
                        content: Content::Zero,
                    });
                }
            } else {
                assert!(handles.iter().all(|&h| h == 0), "{when}: a failed create wrote handles {handles:x?}");
                assert_eq!(c.hGlobalShare, 0x55, "{when}: a failed create wrote hGlobalShare");
            }
        }
        // DestroyAllocation2
        6 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let k = inp.u8() as usize % 4;
            let pool = s.alloc_pool(d);
            let mut list = [0u32; 5];
            for slot in list.iter_mut().take(k) {
                *slot = s.pick(inp, &pool);
            }
            let (n, hostile) = count(inp, k);
            let null_list = inp.u8() % 32 == 0;
            let listed = &list[..k.min(n as usize)];
            let mut seen = Vec::new();
            let mut good = true;
            for &a in listed {
                good &= d.is_some_and(|d| s.devices[d].find(a).is_some()) && !seen.contains(&a);
                seen.push(a);
            }
            let mut expect = match d {
                None => Expect::Is(INVALID),
                Some(_) if n == 0 => Expect::Is(OK),
                Some(_) if null_list || hostile || !good => Expect::Is(INVALID),
                Some(_) => Expect::Is(OK),
            };
            if let Some(st) = s.apply_fault(CALL_DESTROYALLOCATION, h) {
                expect = Expect::Is(st);
            }
            let arg = D3DKMT_DESTROYALLOCATION2 {
                hDevice: h,
                phAllocationList: if null_list { null() } else { list.as_ptr() },
                AllocationCount: n,
                ..Default::default()
            };
            // SAFETY: the list holds k handles and a 0 after them.
            let status = unsafe { D3DKMTDestroyAllocation2(&arg) };
            check(&when, expect, status);
            if status == OK && n > 0 {
                let d = d.unwrap();
                for &a in listed {
                    let i = s.devices[d].find(a).unwrap();
                    s.destroy_alloc(d, i);
                }
            }
        }
        // Lock2
        7..=9 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let a = s.pick(inp, &s.alloc_pool(d));
            let flags = if inp.u8() % 32 == 0 { inp.u32() } else { 0 };
            let write = inp.u8();
            let null_arg = inp.u8() % 64 == 0;
            let mut expect = Expect::Is(INVALID);
            if !null_arg {
                if let Some(st) = s.apply_fault(CALL_LOCK2, h) {
                    expect = Expect::Is(st);
                } else {
                    expect = lock_expect(s, flags != 0, d, a, false, |_| true);
                }
            }
            let mut arg = D3DKMT_LOCK2 { hDevice: h, hAllocation: a, ..Default::default() };
            arg.Flags.Anonymous.Value = flags;
            // SAFETY: `arg` is a valid D3DKMT_LOCK2 (or NULL).
            let status = unsafe { D3DKMTLock2(if null_arg { null_mut() } else { &mut arg }) };
            check(&when, expect, status);
            if status == OK {
                let d = d.unwrap();
                let i = s.devices[d].find(a).unwrap();
                let al = &mut s.devices[d].allocs[i];
                let p = arg.pData as usize;
                assert!(p != 0 && p % PAGE as usize == 0, "{when}: pData {p:#x}");
                assert!(al.base.is_none_or(|b| b == p), "{when}: pData moved");
                al.base = Some(p);
                al.locks += 1;
                let mut now = [0u8; W];
                // SAFETY: locked: `p` maps at least one page.
                unsafe { core::ptr::copy_nonoverlapping(p as *const u8, now.as_mut_ptr(), W) };
                check_content(&when, al, &now);
                if write & 1 == 1 {
                    let mut bytes = [0u8; W];
                    for (j, b) in bytes.iter_mut().enumerate() {
                        *b = write.wrapping_add((j as u8).wrapping_mul(7)) ^ 0x5A;
                    }
                    // SAFETY: locked: `p` maps at least one page, writable.
                    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p as *mut u8, W) };
                    al.content = Content::Bytes(bytes);
                }
            } else {
                assert!(arg.pData.is_null(), "{when}: a failed Lock2 wrote pData");
            }
        }
        // Unlock2
        10 | 11 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let a = s.pick(inp, &s.alloc_pool(d));
            let mut expect = match d {
                None => Expect::Is(INVALID),
                Some(d) if s.devices[d].removed.is_some() => Expect::Is(REMOVED),
                Some(d) => match s.devices[d].find(a) {
                    Some(i) if s.devices[d].allocs[i].locks > 0 => Expect::Is(OK),
                    _ => Expect::Is(INVALID),
                },
            };
            if let Some(st) = s.apply_fault(CALL_UNLOCK2, h) {
                expect = Expect::Is(st);
            } else if let Some(dd) = d {
                if s.devices[dd].removed.is_some() {
                    expect = Expect::Is(REMOVED);
                }
            }
            // SAFETY: a valid D3DKMT_UNLOCK2.
            let status = unsafe { D3DKMTUnlock2(&D3DKMT_UNLOCK2 { hDevice: h, hAllocation: a }) };
            check(&when, expect, status);
            if status == OK {
                let d = d.unwrap();
                let i = s.devices[d].find(a).unwrap();
                s.devices[d].allocs[i].locks -= 1;
            }
        }
        // Legacy Lock
        12 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let a = s.pick(inp, &s.alloc_pool(d));
            let fsel = inp.u8();
            let flags = match fsel % 8 {
                0 => inp.u32(),
                1 => 0x4,
                2 => 0x8,
                3 => 0x10,
                4 => 0x1,
                5 => 0x2,
                _ => 0,
            };
            let k = inp.u8() as usize % 4;
            let mut pages = [u32::MAX; 5];
            for p in pages.iter_mut().take(k) {
                *p = if inp.u8() % 8 == 0 { inp.u32() } else { u32::from(inp.u8() % 4) };
            }
            let (n, hostile) = count(inp, k);
            let null_pages = inp.u8() % 16 == 0;
            let bad_flags = flags & 0xFFFF_F800 != 0 || flags & 3 == 3;
            let entire = flags & 0x10 != 0 || n == 0;
            let first = pages[0];
            let expect = if let Some(st) = s.apply_fault(CALL_LOCK, h) {
                Expect::Is(st)
            } else {
                let page_ok = |al: &Alloc| {
                    entire || (!null_pages && !hostile && pages[..k].iter().all(|&p| u64::from(p) < al.pages))
                };
                let mut e = lock_expect(s, bad_flags, d, a, true, page_ok);
                // Legacy busy: decided by the flags, not the policy.
                if let (Expect::Is(BUSY) | Expect::Is(TOO_MANY_REFS) | Expect::Is(OK), Some(dd)) = (e, d) {
                    let dev = &s.devices[dd];
                    let al = &dev.allocs[dev.find(a).unwrap()];
                    e = if dev.busy(al) && flags & 0x8 == 0 {
                        Expect::Is(BUSY)
                    } else if al.locks >= s.cfg.max_locks {
                        Expect::Is(TOO_MANY_REFS)
                    } else {
                        Expect::Is(OK)
                    };
                }
                e
            };
            let mut arg = D3DKMT_LOCK {
                hDevice: h,
                hAllocation: a,
                NumPages: n,
                pPages: if null_pages { null() } else { pages.as_ptr() },
                ..Default::default()
            };
            arg.Flags.Anonymous.Value = flags;
            // SAFETY: `arg` is valid; the page list holds k entries and an
            // out-of-range one after them.
            let status = unsafe { D3DKMTLock(&mut arg) };
            check(&when, expect, status);
            if status == OK {
                let d = d.unwrap();
                let i = s.devices[d].find(a).unwrap();
                let al = &mut s.devices[d].allocs[i];
                let p = arg.pData as usize;
                let off = if entire { 0 } else { first as usize * PAGE as usize };
                assert!(al.base.is_none_or(|b| b + off == p), "{when}: legacy pData {p:#x} vs {:x?}+{off:#x}", al.base);
                al.base = Some(p - off);
                al.locks += 1;
            } else {
                assert!(arg.pData.is_null(), "{when}: a failed Lock wrote pData");
            }
        }
        // Legacy Unlock
        13 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let k = inp.u8() as usize % 4;
            let pool = s.alloc_pool(d);
            let mut list = [0u32; 5];
            for slot in list.iter_mut().take(k) {
                *slot = s.pick(inp, &pool);
            }
            let (n, hostile) = count(inp, k);
            let null_list = inp.u8() % 32 == 0;
            let listed = &list[..k.min(n as usize)];
            let mut expect = Expect::Is(INVALID);
            if let Some(st) = s.apply_fault(CALL_UNLOCK, h) {
                expect = Expect::Is(st);
            } else if n != 0 && !null_list {
                expect = match d {
                    None => Expect::Is(INVALID),
                    Some(d) if s.devices[d].removed.is_some() => Expect::Is(REMOVED),
                    Some(_) if hostile => Expect::Is(INVALID),
                    Some(d) => {
                        let dev = &s.devices[d];
                        let good = listed.iter().all(|&a| {
                            dev.find(a).is_some_and(|i| {
                                dev.allocs[i].locks >= listed.iter().filter(|&&b| b == a).count() as u32
                            })
                        });
                        Expect::Is(if good { OK } else { INVALID })
                    }
                };
            }
            let arg = D3DKMT_UNLOCK {
                hDevice: h,
                NumAllocations: n,
                phAllocations: if null_list { null() } else { list.as_ptr() },
            };
            // SAFETY: the list holds k handles and a 0 after them.
            let status = unsafe { D3DKMTUnlock(&arg) };
            check(&when, expect, status);
            if status == OK {
                let d = d.unwrap();
                for &a in listed {
                    let i = s.devices[d].find(a).unwrap();
                    s.devices[d].allocs[i].locks -= 1;
                }
            }
        }
        // Submit
        14 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let k = inp.u8() as usize % 4;
            let pool = s.alloc_pool(d);
            let mut list = [0u32; 5];
            for slot in list.iter_mut().take(k) {
                *slot = s.pick(inp, &pool);
            }
            let (n, hostile) = count(inp, k);
            let listed = &list[..k.min(n as usize)];
            let expect = match d {
                _ if n == 0 => Expect::Is(INVALID),
                None => Expect::Is(INVALID),
                Some(d) if s.devices[d].removed.is_some() => Expect::Is(REMOVED),
                Some(d) => {
                    let good = listed.iter().all(|&a| s.devices[d].find(a).is_some());
                    Expect::Is(if good && !hostile { OK } else { INVALID })
                }
            };
            let mut arg = SIMKMT_SUBMIT { hDevice: h, NumAllocations: n, phAllocations: list.as_ptr(), FenceValue: 7 };
            // SAFETY: the list holds k handles and a 0 after them.
            let status = unsafe { SimKmtSubmit(&mut arg) };
            check(&when, expect, status);
            if status == OK {
                let dev = &mut s.devices[d.unwrap()];
                dev.issued += 1;
                assert_eq!(arg.FenceValue, dev.issued, "{when}: fence");
                for &a in listed {
                    let i = dev.find(a).unwrap();
                    dev.allocs[i].fence = dev.issued;
                }
            } else {
                assert_eq!(arg.FenceValue, 7, "{when}: a failed submit wrote FenceValue");
            }
        }
        // CompleteFence
        15 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let issued = d.map_or(0, |d| s.devices[d].issued);
            let v = match inp.u8() % 4 {
                0 => 0,
                1 => issued,
                2 => issued.saturating_sub(1),
                _ => inp.u64(),
            };
            let expect = match d {
                None => Expect::Is(INVALID),
                Some(d) if s.devices[d].removed.is_some() => Expect::Is(REMOVED),
                Some(_) => Expect::Is(OK),
            };
            // SAFETY: no pointers.
            let status = unsafe { SimKmtCompleteFence(h, v) };
            check(&when, expect, status);
            if status == OK {
                let dev = &mut s.devices[d.unwrap()];
                dev.completed = dev.completed.max(v.min(dev.issued));
            }
        }
        // RemoveDevice, GetDeviceState
        16 => {
            let h = s.pick(inp, &s.device_handles());
            let d = s.dev(h);
            let sel = inp.u8();
            if sel & 1 == 0 {
                let state = u32::from(sel >> 1) % 9;
                let good_state = state == 0 || (2..=7).contains(&state);
                let expect = match d {
                    None => Expect::Is(INVALID),
                    Some(d) if s.devices[d].removed.is_some() => {
                        if good_state {
                            Expect::Is(REMOVED)
                        } else {
                            Expect::Fails
                        }
                    }
                    Some(_) if !good_state => Expect::Is(INVALID),
                    Some(_) => Expect::Is(OK),
                };
                // SAFETY: no pointers.
                let status = unsafe { SimKmtRemoveDevice(h, state) };
                check(&when, expect, status);
                if status == OK {
                    s.remove_device(d.unwrap(), if state == 0 { 2 } else { state });
                }
            } else {
                let ty = if sel & 0x80 != 0 { u32::from(sel) } else { 1 };
                let mut expect = if d.is_some() && ty == 1 { Expect::Is(OK) } else { Expect::Is(INVALID) };
                if let Some(st) = s.apply_fault(CALL_GETDEVICESTATE, h) {
                    expect = Expect::Is(st);
                }
                let mut arg = D3DKMT_GETDEVICESTATE { hDevice: h, StateType: ty as _, ..Default::default() };
                // SAFETY: `arg` is a valid D3DKMT_GETDEVICESTATE.
                let status = unsafe { D3DKMTGetDeviceState(&mut arg) };
                check(&when, expect, status);
                if status == OK {
                    let want = s.devices[d.unwrap()].removed.unwrap_or(1);
                    // SAFETY: StateType 1 selects ExecutionState.
                    let got = unsafe { arg.Anonymous.ExecutionState };
                    assert_eq!(got as u32, want, "{when}: execution state");
                }
            }
        }
        // Adapters: enumerate, open, close, reset, remove
        17 => {
            let sel = inp.u8();
            match sel % 8 {
                0 | 1 => {
                    let mut info = [D3DKMT_ADAPTERINFO::default(); 4];
                    let asked = match inp.u8() % 4 {
                        0 => u32::MAX,
                        x => u32::from(x),
                    };
                    let null_array = sel & 0x10 != 0;
                    let mut e = D3DKMT_ENUMADAPTERS2 {
                        NumAdapters: asked,
                        pAdapters: if null_array { null_mut() } else { info.as_mut_ptr() },
                    };
                    let listed = s.adapters.iter().filter(|a| !a.removed).count() as u32;
                    let expect = if null_array || asked >= listed { Expect::Is(OK) } else { Expect::Is(TOO_SMALL) };
                    // SAFETY: `info` has 4 entries, more than there are
                    // adapters, so any count is backed.
                    let status = unsafe { D3DKMTEnumAdapters2(&mut e) };
                    check(&when, expect, status);
                    if status == OK {
                        assert_eq!(e.NumAdapters, listed, "{when}: count");
                        if !null_array {
                            for i in &info[..listed as usize] {
                                let luid = (i.AdapterLuid.LowPart, i.AdapterLuid.HighPart);
                                let a = s.adapters.iter().position(|a| a.luid == luid && !a.removed);
                                let a = a.unwrap_or_else(|| panic!("{when}: unknown LUID {luid:?}"));
                                assert!(!s.live_handles().contains(&i.hAdapter), "{when}: {:#x}", i.hAdapter);
                                s.adapters[a].handles.push(i.hAdapter);
                            }
                        }
                    } else {
                        assert_eq!(e.NumAdapters, asked, "{when}: a failed enum wrote NumAdapters");
                    }
                }
                2 | 3 => {
                    let (luid, a) = if sel & 0x10 == 0 {
                        let a = inp.u8() as usize % s.adapters.len();
                        (s.adapters[a].luid, Some(a))
                    } else {
                        let l = (inp.u32(), inp.u32() as i32);
                        (l, s.adapters.iter().position(|a| a.luid == l))
                    };
                    let a = a.filter(|&a| !s.adapters[a].removed);
                    let mut o = D3DKMT_OPENADAPTERFROMLUID {
                        AdapterLuid: LUID { LowPart: luid.0, HighPart: luid.1 },
                        hAdapter: 0,
                    };
                    // SAFETY: a valid struct.
                    let status = unsafe { D3DKMTOpenAdapterFromLuid(&mut o) };
                    check(&when, Expect::Is(if a.is_some() { OK } else { INVALID }), status);
                    if status == OK {
                        assert!(handle_shape(o.hAdapter) && !s.live_handles().contains(&o.hAdapter), "{when}");
                        s.adapters[a.unwrap()].handles.push(o.hAdapter);
                    } else {
                        assert_eq!(o.hAdapter, 0, "{when}: a failed open wrote hAdapter");
                    }
                }
                4 | 5 => {
                    let h = s.pick(inp, &s.adapter_handles());
                    let a = s.adapter_of_handle(h);
                    let expect = match a {
                        None => Expect::Is(INVALID),
                        Some(a) if s.adapters[a].removed => Expect::Any,
                        Some(_) => Expect::Is(OK),
                    };
                    // SAFETY: a valid struct.
                    let status = unsafe { D3DKMTCloseAdapter(&D3DKMT_CLOSEADAPTER { hAdapter: h }) };
                    check(&when, expect, status);
                    if status == OK {
                        s.adapters[a.unwrap()].handles.retain(|&x| x != h);
                        s.kill(h);
                    }
                }
                _ => {
                    let h = s.pick(inp, &s.adapter_handles());
                    let a = s.adapter_of_handle(h);
                    let remove = sel & 0x10 != 0 && sel & 0x20 != 0;
                    let expect = match a {
                        None => Expect::Is(INVALID),
                        Some(a) if s.adapters[a].removed => Expect::Is(REMOVED),
                        Some(_) => Expect::Is(OK),
                    };
                    // SAFETY: no pointers.
                    let status = unsafe {
                        if remove {
                            SimKmtRemoveAdapter(h)
                        } else {
                            SimKmtResetAdapter(h)
                        }
                    };
                    check(&when, expect, status);
                    if status == OK {
                        let a = a.unwrap();
                        if remove {
                            s.adapters[a].removed = true;
                            s.remove_adapter_devices(a, 4);
                        } else {
                            s.remove_adapter_devices(a, 2);
                        }
                    }
                }
            }
        }
        // SimKmtInjectFault
        18 => {
            let call = match inp.u8() % 10 {
                0 => inp.u32(),
                x => [1, 2, 3, 4, 5, 6, 7, 8, 10, 1][x as usize - 1],
            };
            let nth = inp.u8() as u32 % 4;
            let cnt = inp.u8() as u32 % 3;
            let action = inp.u8() as u32 % 4;
            let status = match inp.u8() % 4 {
                0 => inp.u32() as i32,
                1 => BUSY,
                2 => REMOVED,
                _ => 0xC000_0017_u32 as i32,
            };
            let reserved = if inp.u8() % 32 == 0 { 1 } else { 0 };
            let known = [1, 2, 3, 4, 5, 6, 7, 8, 10].contains(&call);
            let names_device = known && call != CALL_CREATEDEVICE;
            let valid = (1..=14).contains(&call)
                && reserved == 0
                && match action {
                    SIMKMT_FAULT_RETURN_STATUS => status < 0,
                    SIMKMT_FAULT_REMOVE_DEVICE => call != 9 && call != CALL_CREATEDEVICE,
                    SIMKMT_FAULT_RESET_ADAPTER => call != 9,
                    _ => false,
                };
            // Only one fault at a time, and only on calls this target models.
            let modelled = known && (action == SIMKMT_FAULT_RETURN_STATUS || names_device);
            if s.fault.is_some() || (valid && !modelled) {
                return;
            }
            let f =
                SIMKMT_FAULT { Call: call, Nth: nth, Count: cnt, Action: action, Status: status, Reserved: reserved };
            // SAFETY: a valid SIMKMT_FAULT.
            let st = unsafe { SimKmtInjectFault(&f) };
            check(&when, Expect::Is(if valid { OK } else { INVALID }), st);
            if st == OK {
                s.fault = Some(Fault { call, skip: nth.max(1) - 1, count: cnt.max(1), action, status });
            }
        }
        // SimKmtReset, valid or not
        _ => {
            let sel = inp.u8();
            if sel % 8 != 0 {
                return;
            }
            let mut c = config(u32::from(sel >> 3) % 3, 1 + u32::from(sel >> 5) % 4);
            let bad = match inp.u8() % 4 {
                0 => {
                    c.Size = 39;
                    true
                }
                1 => {
                    c.PageSize = 4097;
                    true
                }
                2 => {
                    c.BusyPolicy = 3;
                    true
                }
                _ => false,
            };
            if bad {
                // SAFETY: a valid SIMKMT_CONFIG to read.
                let st = unsafe { SimKmtReset(&c) };
                check(&when, Expect::Is(INVALID), st);
            } else {
                *s = Shadow::reset(Cfg { policy: c.BusyPolicy, max_locks: c.MaxLockReferences });
            }
        }
    }
}

/// What Lock2 (and, before its flag-decided busy check, Lock) returns by
/// abi.md §5's order.
fn lock_expect(
    s: &Shadow,
    bad_flags: bool,
    d: Option<usize>,
    a: u32,
    legacy: bool,
    pages_ok: impl Fn(&Alloc) -> bool,
) -> Expect {
    if bad_flags {
        return Expect::Is(INVALID);
    }
    let Some(d) = d else { return Expect::Is(INVALID) };
    let dev = &s.devices[d];
    if dev.removed.is_some() {
        return Expect::Is(REMOVED);
    }
    let Some(i) = dev.find(a) else { return Expect::Is(INVALID) };
    let al = &dev.allocs[i];
    if !al.visible || !pages_ok(al) {
        return Expect::Is(INVALID);
    }
    if !legacy && dev.busy(al) && s.cfg.policy != 2 {
        return Expect::Is(BUSY);
    }
    if al.locks >= s.cfg.max_locks {
        return Expect::Is(TOO_MANY_REFS);
    }
    Expect::Is(OK)
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data, pos: 0 };
    let b = inp.u8();
    let mut s = Shadow::reset(Cfg { policy: u32::from(b) % 3, max_locks: 1 + u32::from(b >> 2) % 4 });
    let mut step = 0;
    while !inp.done() && step < 48 {
        run_op(&mut s, &mut inp, step);
        s.verify(&format!("after step {step}"));
        step += 1;
    }
});
