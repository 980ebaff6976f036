//! Adapters: the simulated physical GPUs (LUID, memory budget, presence,
//! their devices, the profile queries answer from) and the adapter handles
//! that name them.
//!
//! A simulator has [`MAX_ADAPTERS`] adapters, of which the configured count
//! are present; a reset reconfigures them in place. An adapter handle is a
//! slot of kind `Adapter` whose object index is the adapter's.

mod query;

use std::collections::HashSet;
use std::sync::Arc;

pub use self::query::{AdapterAnswer, AdapterFilter, AdapterQuery, DeviceIds};
use crate::config::{AdapterProfile, SimConfig, MAX_ADAPTERS};
use crate::error::{ErrorKind, Result};
use crate::handle::{AdapterHandle, HandleKind};
use crate::slot::{Handles, Slot, Word};
use crate::sync::{AtomicBool, AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering::*};

/// A locally unique adapter identifier (Windows `LUID`).
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default().seed(7))?;
/// let info = sim.enum_adapters()?[0];
/// assert_eq!(sim.adapter_luid(info.handle)?, info.luid);
/// assert_ne!(info.luid, Luid::default(), "never zero");
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Luid {
    /// `LowPart`.
    pub low: u32,
    /// `HighPart`.
    pub high: i32,
}

/// One adapter returned by [`crate::Simulator::enum_adapters`], with a newly
/// opened handle the caller closes.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default().adapters(2))?;
/// let adapters = sim.enum_adapters()?;
/// assert_ne!(adapters[0].luid, adapters[1].luid);
/// for info in adapters {
///     sim.close_adapter(info.handle)?;
/// }
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The opened handle.
    pub handle: AdapterHandle,
    /// The adapter's LUID.
    pub luid: Luid,
    /// `NumOfSources`: video present sources (1 for an adapter that
    /// displays, else 0).
    pub sources: u32,
}

/// One simulated adapter.
#[derive(Default)]
pub(crate) struct Adapter {
    /// The LUID, packed as `HighPart << 32 | LowPart`.
    luid: AtomicU64,
    budget: AtomicU64,
    used: AtomicU64,
    removed: AtomicBool,
    /// Raw handles of its live devices. Lock order: this, then a device's.
    devices: Mutex<HashSet<u32>>,
    /// What queries answer; replaced only by a reset (which holds the
    /// gate alone).
    profile: Mutex<Arc<AdapterProfile>>,
    /// `KMTQAITYPE_ADAPTERGUID`, seeded.
    guid: Mutex<[u8; 16]>,
}

impl Adapter {
    /// The adapter's LUID.
    pub(crate) fn luid(&self) -> Luid {
        let packed = self.luid.load(Relaxed);
        Luid { low: packed as u32, high: (packed >> 32) as i32 }
    }

    /// True once the adapter was surprise-removed.
    pub(crate) fn is_removed(&self) -> bool {
        self.removed.load(Acquire)
    }

    /// Marks the adapter surprise-removed (the caller holds its device list).
    pub(crate) fn mark_removed(&self) {
        self.removed.store(true, Release);
    }

    /// Its live devices, locked.
    pub(crate) fn devices(&self) -> MutexGuard<'_, HashSet<u32>> {
        self.devices.lock()
    }

    /// The adapter's profile.
    pub(crate) fn profile(&self) -> Arc<AdapterProfile> {
        self.profile.lock().clone()
    }

    /// `D3DKMTQueryAdapterInfo`'s answer for adapter `index` (this one);
    /// `InvalidParameter` for a physical adapter that does not exist.
    pub(crate) fn answer(&self, index: u32, query: AdapterQuery) -> Result<AdapterAnswer> {
        let guid = *self.guid.lock();
        query::answer(query, &self.profile(), index, guid, self.budget.load(Relaxed))
            .ok_or(ErrorKind::InvalidParameter("PhysicalAdapterIndex names no physical adapter").into())
    }

    /// Whether `bytes` more fit in the budget right now.
    pub(crate) fn fits(&self, bytes: u64) -> bool {
        bytes <= self.budget.load(Relaxed).saturating_sub(self.used.load(Relaxed))
    }

    /// Takes `bytes` of the budget, all or nothing.
    pub(crate) fn charge(&self, bytes: u64) -> Result<()> {
        let budget = self.budget.load(Relaxed);
        self.used
            .fetch_update(AcqRel, Acquire, |used| used.checked_add(bytes).filter(|&u| u <= budget))
            .map(drop)
            .map_err(|_| ErrorKind::NoVideoMemory.into())
    }

    /// Gives `bytes` of the budget back.
    pub(crate) fn refund(&self, bytes: u64) {
        self.used.fetch_sub(bytes, AcqRel);
    }
}

/// `splitmix64`: the simulator's one source of seeded choices.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// An open adapter handle, checked: the proof of liveness the rest of a
/// call uses.
pub(crate) struct LiveAdapter<'e> {
    /// The adapter's index.
    pub(crate) index: u32,
    pub(crate) adapter: &'e Adapter,
}

/// Every adapter of one simulator.
pub(crate) struct Adapters {
    list: Box<[Adapter]>,
    /// How many of `list` are configured.
    count: AtomicU32,
}

impl Adapters {
    /// [`MAX_ADAPTERS`] adapters configured by `config` (validated).
    pub(crate) fn new(config: &SimConfig) -> Self {
        let adapters =
            Adapters { list: (0..MAX_ADAPTERS).map(|_| Adapter::default()).collect(), count: AtomicU32::new(0) };
        adapters.configure(config);
        adapters
    }

    /// Puts every adapter in the state a new simulator built from `config`
    /// has: seeded LUIDs and GUIDs, full budgets, present, no devices, the
    /// configured profiles.
    pub(crate) fn configure(&self, config: &SimConfig) {
        let r = splitmix64(config.seed);
        for (i, adapter) in self.list.iter().enumerate() {
            *adapter.profile.lock() = Arc::new(config.profile(i));
            let (g0, g1) = (splitmix64(r ^ (2 * i as u64 + 1)), splitmix64(r ^ (2 * i as u64 + 2)));
            let mut guid = [0u8; 16];
            guid[..8].copy_from_slice(&g0.to_le_bytes());
            guid[8..].copy_from_slice(&g1.to_le_bytes());
            *adapter.guid.lock() = guid;
            // Seeded, unique within the simulator, never zero.
            let luid = Luid { low: ((r as u32) & 0xFFFF_0000) | 0x100 | i as u32, high: ((r >> 32) as i32) & 0x7FFF };
            adapter.luid.store(u64::from(luid.low) | (u64::from(luid.high as u32) << 32), Relaxed);
            adapter.budget.store(config.adapter_memory, Relaxed);
            adapter.used.store(0, Relaxed);
            adapter.removed.store(false, Relaxed);
            adapter.devices.lock().clear();
        }
        self.count.store(config.adapter_count, Release);
    }

    fn configured(&self) -> &[Adapter] {
        &self.list[..self.count.load(Acquire) as usize]
    }

    /// The adapter at `index` (an index of an object that was checked live).
    pub(crate) fn get(&self, index: u32) -> &Adapter {
        &self.list[(index as usize).min(self.list.len() - 1)]
    }

    /// Indices of the adapters enumeration reports (removed ones vanish).
    fn present(&self) -> impl Iterator<Item = u32> + '_ {
        self.configured().iter().enumerate().filter(|(_, a)| !a.is_removed()).map(|(i, _)| i as u32)
    }

    /// Indices of the present adapters `filter` lists.
    fn listed(&self, filter: AdapterFilter) -> impl Iterator<Item = u32> + '_ {
        self.present().filter(move |&i| filter.lists(self.get(i).profile().kind))
    }

    /// How many adapters enumeration with `filter` reports.
    pub(crate) fn count_present(&self, filter: AdapterFilter) -> usize {
        self.listed(filter).count()
    }

    /// `D3DKMTEnumAdapters2` (filter [`AdapterFilter::ALL`]) and
    /// `D3DKMTEnumAdapters3`: one new handle per present adapter the filter
    /// lists, all or none; `BufferTooSmall` with room for fewer.
    pub(crate) fn enumerate(
        &self,
        handles: &Handles,
        capacity: usize,
        filter: AdapterFilter,
    ) -> Result<Vec<AdapterInfo>> {
        let present: Vec<u32> = self.listed(filter).collect();
        if present.len() > capacity {
            return Err(ErrorKind::BufferTooSmall { needed: present.len() }.into());
        }
        let slots = handles.issue(present.len()).ok_or(ErrorKind::NoMemory)?;
        Ok(present
            .into_iter()
            .zip(slots)
            .map(|(index, (n, slot))| AdapterInfo {
                handle: open_in(n, slot, index),
                luid: self.get(index).luid(),
                sources: u32::from(self.get(index).profile().kind.displays()),
            })
            .collect())
    }

    /// `D3DKMTOpenAdapterFromLuid`: unknown or removed LUID is
    /// `InvalidParameter`.
    pub(crate) fn open(&self, handles: &Handles, luid: Luid) -> Result<AdapterHandle> {
        let index = self
            .present()
            .find(|&i| self.get(i).luid() == luid)
            .ok_or(ErrorKind::InvalidParameter("no present adapter has this LUID"))?;
        let (n, slot) = handles.issue(1).and_then(|mut s| s.pop()).ok_or(ErrorKind::NoMemory)?;
        Ok(open_in(n, slot, index))
    }

    /// Checks an adapter handle once, for the rest of the call.
    pub(crate) fn resolve<'e>(&'e self, handles: &'e Handles, raw: u32) -> Result<LiveAdapter<'e>> {
        let (_, slot) = handles.get(raw).ok_or(ErrorKind::InvalidHandle(HandleKind::Adapter))?;
        let (_, index) = live_handle(slot)?;
        Ok(LiveAdapter { index, adapter: self.get(index) })
    }

    /// `D3DKMTCloseAdapter`. Devices created through the handle live on.
    pub(crate) fn close(&self, handles: &Handles, raw: u32) -> Result<()> {
        let (n, slot) = handles.get(raw).ok_or(ErrorKind::InvalidHandle(HandleKind::Adapter))?;
        let (word, _) = live_handle(slot)?;
        // Of two racing closes, one wins.
        if !slot.kill_if(word) {
            return Err(ErrorKind::InvalidHandle(HandleKind::Adapter).into());
        }
        handles.retire(n);
        Ok(())
    }
}

/// The word and adapter index of a live adapter-handle slot.
fn live_handle(slot: &Slot) -> Result<(Word, u32)> {
    let word = slot.word();
    let index = slot.object();
    // The index is the handle's if the slot still holds that handle.
    if !word.is(HandleKind::Adapter) || !slot.still(word) {
        return Err(ErrorKind::InvalidHandle(HandleKind::Adapter).into());
    }
    Ok((word, index))
}

/// Publishes an adapter handle in an issued slot.
fn open_in(n: u32, slot: &Slot, adapter: u32) -> AdapterHandle {
    slot.revive(HandleKind::Adapter, adapter);
    AdapterHandle::from_index(n)
}

impl Adapters {
    /// Closes every open adapter handle (a reset, which holds the gate
    /// alone and then restarts the handle sequence).
    pub(crate) fn close_every(&self, handles: &Handles) {
        for n in 1..handles.issued_end() {
            if let Some(slot) = handles.at(n) {
                let word = slot.word();
                if word.is(HandleKind::Adapter) {
                    slot.kill_if(word);
                }
            }
        }
    }
}
