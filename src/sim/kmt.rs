//! The facade of the thunks libdxgtest calls besides the lock path:
//! `D3DKMTEnumAdapters3`, `D3DKMTQueryAdapterInfo`,
//! `D3DKMTCreateContextVirtual` and `D3DKMTDestroyContext`.

use super::Simulator;
use crate::adapter::{AdapterAnswer, AdapterFilter, AdapterInfo, AdapterQuery};
use crate::config::MAX_ADAPTERS;
use crate::context::ContextInfo;
use crate::device::ContextDesc;
use crate::error::Result;
use crate::handle::{AdapterHandle, ContextHandle, DeviceHandle};

impl Simulator {
    /// `D3DKMTEnumAdapters3`: as [`Simulator::enum_adapters`], listing only
    /// the adapters `filter` lets through (compute-only and display-only
    /// adapters are left out unless it includes them).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let display = AdapterProfile::default().kind(AdapterKind::DisplayOnly);
    /// let sim = Simulator::new(SimConfig::default().adapters(2).adapter_profile(0, display))?;
    /// assert_eq!(sim.enum_adapters3(AdapterFilter::default())?.len(), 1);
    /// assert_eq!(sim.enum_adapters3(AdapterFilter::default().include_display_only())?.len(), 2);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::EnumAdapters` fires
    ///   (before any check);
    /// - `NoMemory` when the handle table cannot hold the new handles.
    pub fn enum_adapters3(&self, filter: AdapterFilter) -> Result<Vec<AdapterInfo>> {
        self.engine.enum_adapters(MAX_ADAPTERS as usize, || Ok(filter))
    }

    /// `D3DKMTEnumAdapters2`/`3` as a C caller makes them, with an array of
    /// `capacity` entries: fails with `BufferTooSmall` when the adapters
    /// `filter` lists do not fit, and opens nothing then. For tests of
    /// code that mirrors that C contract; [`Simulator::enum_adapters`] and
    /// [`Simulator::enum_adapters3`] always have room.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(2))?;
    /// let short = sim.enum_adapters_with_capacity(1, AdapterFilter::ALL).unwrap_err();
    /// assert_eq!(short, ErrorKind::BufferTooSmall { needed: 2 });
    /// assert_eq!(sim.enum_adapters_with_capacity(2, AdapterFilter::ALL)?.len(), 2);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::EnumAdapters` fires
    ///   (before any check);
    /// - `BufferTooSmall { needed }` when `capacity` is below the number of
    ///   adapters `filter` lists (`needed`); nothing is opened;
    /// - `NoMemory` when the handle table cannot hold the new handles.
    pub fn enum_adapters_with_capacity(&self, capacity: usize, filter: AdapterFilter) -> Result<Vec<AdapterInfo>> {
        self.engine.enum_adapters(capacity, || Ok(filter))
    }

    /// Number of adapters [`Simulator::enum_adapters3`] with `filter` lists
    /// now.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let compute = AdapterProfile::default().kind(AdapterKind::ComputeOnly);
    /// let sim = Simulator::new(SimConfig::default().adapters(2).adapter_profile(1, compute))?;
    /// assert_eq!(sim.adapter_count_with(AdapterFilter::default()), 1);
    /// assert_eq!(sim.adapter_count_with(AdapterFilter::ALL), 2);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn adapter_count_with(&self, filter: AdapterFilter) -> usize {
        self.engine.adapter_count(filter)
    }

    /// `D3DKMTQueryAdapterInfo`: what the adapter says of itself, from its
    /// [`crate::AdapterProfile`].
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let profile = AdapterProfile::default().ids(0x10DE, 0x2684).hw_scheduling(HwScheduling::Enabled);
    /// let sim = Simulator::new(SimConfig::default().adapter_profile(0, profile))?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let AdapterAnswer::DeviceIds(ids) = sim.query_adapter_info(adapter, AdapterQuery::DeviceIds { physical_adapter: 0 })?
    /// else { unreachable!() };
    /// assert_eq!((ids.vendor_id, ids.device_id), (0x10DE, 0x2684));
    /// assert_eq!(sim.query_adapter_info(adapter, AdapterQuery::Wddm27Caps)?, AdapterAnswer::Wddm27Caps(HwScheduling::Enabled));
    /// sim.remove_adapter(adapter)?;
    /// assert_eq!(sim.query_adapter_info(adapter, AdapterQuery::AdapterType).unwrap_err(), ErrorKind::DeviceRemoved);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::QueryAdapterInfo` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was surprise-removed;
    /// - `InvalidParameter` for a `DeviceIds` query of a physical adapter other
    ///   than 0.
    pub fn query_adapter_info(&self, adapter: AdapterHandle, query: AdapterQuery) -> Result<AdapterAnswer> {
        self.engine.query_adapter_info(adapter.raw(), |ask| ask(query))
    }

    /// `D3DKMTCreateContextVirtual`: a context of `device` on the node and
    /// engines `desc` names. The context lives until
    /// [`Simulator::destroy_context`] or until its device is destroyed.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let profile = AdapterProfile::default().engines_per_node(&[1, 2]);
    /// let sim = Simulator::new(SimConfig::default().adapter_profile(0, profile))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let copy = sim.create_context(device, &ContextDesc::default().node(1).engine_affinity(0b10))?;
    /// assert_eq!(
    ///     sim.create_context(device, &ContextDesc::default().node(1).engine_affinity(0b100)).unwrap_err().status(),
    ///     NtStatus::INVALID_PARAMETER,
    ///     "node 1 has two engines"
    /// );
    /// sim.destroy_device(device)?;
    /// assert!(sim.destroy_context(copy).is_err(), "destroyed with its device");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CreateContext` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was removed;
    /// - `InvalidParameter` for reserved flag bits, a node the adapter lacks,
    ///   an engine the node lacks, or `HwQueueSupported` on an adapter without
    ///   hardware scheduling enabled (checked in that order);
    /// - `NoMemory` when the handle table is full.
    pub fn create_context(&self, device: DeviceHandle, desc: &ContextDesc) -> Result<ContextHandle> {
        self.engine.create_context(device.raw(), || Ok(desc.clone()))
    }

    /// `D3DKMTDestroyContext`: works on a removed device.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let context = sim.create_context(device, &ContextDesc::default())?;
    /// sim.destroy_context(context)?;
    /// assert_eq!(sim.destroy_context(context).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Context));
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::DestroyContext` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Context)` when `context` names no live
    ///   context (destroyed, also with its device; never issued; another kind).
    pub fn destroy_context(&self, context: ContextHandle) -> Result<()> {
        self.engine.destroy_context(context.raw())
    }

    /// What a live context was created with and which device owns it: what
    /// a test asserts its driver sent.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let context = sim.create_context(device, &ContextDesc::default().client_hint(3))?;
    /// let info = sim.context_info(context)?;
    /// assert_eq!((info.device, info.desc.client_hint), (device, 3));
    /// sim.destroy_device(device)?;
    /// assert!(sim.context_info(context).is_err(), "destroyed with its device");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidHandle(HandleKind::Context)` when `context` names no live
    /// context
    /// (destroyed, also with its device; never issued; another kind). No fault
    /// applies.
    pub fn context_info(&self, context: ContextHandle) -> Result<ContextInfo> {
        self.engine.context_info(context.raw())
    }
}
