//! Contexts: the GPU contexts of a device (`D3DKMTCreateContextVirtual`,
//! `D3DKMTDestroyContext`).
//!
//! A context is a slot of kind `Context` whose metadata names its device;
//! what it was created with ([`ContextDesc`], defined with the device state
//! that holds it) lives in the device's state, under the device's lock,
//! beside its allocations. A context runs nothing yet (submission is
//! the simulator's `SimKmtSubmit`); it is an object with a handle in the one
//! sequence, checked against the adapter's nodes and engines, destroyed with
//! its device, and kept so a test can read back what its driver asked for.

use crate::config::HwScheduling;
use crate::device::{ContextDesc, DeviceInner};
use crate::error::{Error, ErrorKind, Result};
use crate::handle::{ContextHandle, DeviceHandle, HandleKind};
use crate::slot::{Slot, Word};
use crate::stores::view;

/// `D3DDDI_CREATECONTEXTFLAGS` bits Windows defines (WDDM 2.3 and later):
/// NullRendering, InitialData, DisableGpuTimeout, SynchronizationOnly,
/// HwQueueSupported, NoKmdAccess. Every other bit is reserved.
pub const CONTEXT_FLAGS_KNOWN: u32 = 0x3F;
/// `D3DDDI_CREATECONTEXTFLAGS.HwQueueSupported`: only on an adapter whose
/// hardware scheduling is enabled.
pub const CONTEXT_FLAG_HW_QUEUE_SUPPORTED: u32 = 0x10;

/// A live context, as [`crate::Simulator::context_info`] reports it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    /// The device that owns it.
    pub device: DeviceHandle,
    /// What it was created with.
    pub desc: ContextDesc,
}

view!(
    /// The context operations.
    Contexts
);

impl<'e> Contexts<'e> {
    /// `D3DKMTCreateContextVirtual`. In this order: the device (live:
    /// `InvalidParameter`; active: `DeviceRemoved`), then `decode` (the C
    /// skin reads its private data here), then the description against the
    /// adapter: reserved flag bits, a node or engine the adapter lacks, or
    /// `HwQueueSupported` without hardware scheduling enabled are
    /// `InvalidParameter`. `NoMemory` when the handle table is full.
    pub(crate) fn create(self, device: u32, decode: impl FnOnce() -> Result<ContextDesc>) -> Result<ContextHandle> {
        let stores = self.0;
        let dev = stores.devices.resolve(&stores.handles, device)?.active()?;
        let desc = decode()?;
        let profile = stores.adapters.get(dev.adapter()).profile();
        if desc.flags & !CONTEXT_FLAGS_KNOWN != 0 {
            return Err(ErrorKind::InvalidParameter("reserved D3DDDI_CREATECONTEXTFLAGS bits are set").into());
        }
        let engines = *profile
            .engines_per_node
            .get(desc.node as usize)
            .ok_or(ErrorKind::InvalidParameter("NodeOrdinal names a node the adapter lacks"))?;
        // 1..=32 engines (the profile's range): a shift of 0..=31.
        let known = u32::MAX >> (32 - engines);
        if desc.engine_affinity & !known != 0 {
            return Err(ErrorKind::InvalidParameter("EngineAffinity names an engine the node lacks").into());
        }
        if desc.flags & CONTEXT_FLAG_HW_QUEUE_SUPPORTED != 0 && profile.hw_scheduling != HwScheduling::Enabled {
            return Err(ErrorKind::InvalidParameter("HwQueueSupported needs hardware scheduling enabled").into());
        }
        let mut inner = dev.lock_active()?;
        let (n, slot) = stores.handles.issue(1).and_then(|mut s| s.pop()).ok_or(ErrorKind::NoMemory)?;
        slot.revive_owned(HandleKind::Context, dev.raw);
        inner.contexts.insert(n, desc);
        Ok(ContextHandle::from_index(n))
    }

    /// The live context `raw` names: its slot index, slot and owner.
    fn resolve(self, raw: u32) -> Result<(u32, &'e Slot, u32, Word)> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Context));
        let (n, slot) = self.0.handles.get(raw).ok_or(stale)?;
        let word = slot.word();
        if !word.is(HandleKind::Context) {
            return Err(stale);
        }
        let owner = slot.device();
        // The owner read is this context's if the slot still holds it.
        if !slot.still(word) {
            return Err(stale);
        }
        Ok((n, slot, owner, word))
    }

    /// `D3DKMTDestroyContext`: a live context (`InvalidParameter`
    /// otherwise), on a removed device too. Of two racing destroys, one
    /// wins.
    pub(crate) fn destroy(self, raw: u32) -> Result<()> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Context));
        let (n, slot, owner, word) = self.resolve(raw)?;
        let dev = self.0.devices.resolve(&self.0.handles, owner).map_err(|_| stale)?;
        let mut inner = dev.lock().map_err(|_| stale)?;
        // Re-checked under the owner's lock, which every context writer holds.
        if !slot.still(word) || inner.contexts.remove(&n).is_none() {
            return Err(stale);
        }
        slot.kill();
        self.0.handles.retire(n);
        Ok(())
    }

    /// What the live context `raw` was created with.
    pub(crate) fn info(self, raw: u32) -> Result<ContextInfo> {
        let stale = Error::from(ErrorKind::InvalidHandle(HandleKind::Context));
        let (n, slot, owner, word) = self.resolve(raw)?;
        let dev = self.0.devices.resolve(&self.0.handles, owner).map_err(|_| stale)?;
        let inner = dev.lock().map_err(|_| stale)?;
        match inner.contexts.get(&n) {
            Some(desc) if slot.still(word) => {
                Ok(ContextInfo { device: DeviceHandle::from_raw(owner).ok_or(stale)?, desc: desc.clone() })
            }
            _ => Err(stale),
        }
    }

    /// Destroys every context of the device whose lock is held, in slot
    /// order (a device's destruction).
    pub(crate) fn destroy_all(self, inner: &mut DeviceInner) {
        for n in core::mem::take(&mut inner.contexts).into_keys() {
            if let Some(slot) = self.0.handles.at(n) {
                slot.kill();
            }
            self.0.handles.retire(n);
        }
    }
}
