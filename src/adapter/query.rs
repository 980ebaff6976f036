//! `D3DKMTQueryAdapterInfo`: what a simulated adapter answers about itself,
//! from its [`AdapterProfile`] and its budget.

use crate::config::{AdapterKind, AdapterProfile, HwScheduling};

/// One `KMTQUERYADAPTERINFOTYPE` the simulator models. The `_RENDER`
/// variants of Windows (`KMTQAITYPE_ADAPTERTYPE_RENDER`, …) ask the same
/// questions of the render side of an adapter, which for a simulated
/// adapter is the adapter itself, so they map to the same query.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdapterQuery {
    /// `KMTQAITYPE_ADAPTERTYPE` / `_ADAPTERTYPE_RENDER`: a
    /// `D3DKMT_ADAPTERTYPE`.
    AdapterType,
    /// `KMTQAITYPE_PHYSICALADAPTERDEVICEIDS`: the PCI ids of physical
    /// adapter `physical_adapter` (only 0 exists).
    DeviceIds {
        /// `PhysicalAdapterIndex`: below the physical adapter count (1).
        physical_adapter: u32,
    },
    /// `KMTQAITYPE_WDDM_2_7_CAPS`: hardware scheduling.
    Wddm27Caps,
    /// `KMTQAITYPE_DRIVER_DESCRIPTION` / `_DRIVER_DESCRIPTION_RENDER`.
    DriverDescription,
    /// `KMTQAITYPE_DRIVERVERSION` / `_DRIVERVERSION_RENDER`.
    DriverVersion,
    /// `KMTQAITYPE_ADAPTERGUID` / `_ADAPTERGUID_RENDER`.
    AdapterGuid,
    /// `KMTQAITYPE_ADAPTERADDRESS` / `_ADAPTERADDRESS_RENDER`.
    AdapterAddress,
    /// `KMTQAITYPE_PHYSICALADAPTERCOUNT`: always 1 (no linked adapters).
    PhysicalAdapterCount,
    /// `KMTQAITYPE_GETSEGMENTSIZE`: the budget, as dedicated video memory.
    SegmentSize,
    /// `KMTQAITYPE_CHECKDRIVERUPDATESTATUS` / `_RENDER`: never updating.
    CheckDriverUpdateStatus,
    /// `KMTQAITYPE_UMDRIVERPRIVATE`: the profile's opaque blob.
    UmDriverPrivate,
}

/// The PCI identity of a physical adapter (`D3DKMT_DEVICE_IDS`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeviceIds {
    /// `VendorID`.
    pub vendor_id: u32,
    /// `DeviceID`.
    pub device_id: u32,
    /// `SubVendorID`.
    pub sub_vendor_id: u32,
    /// `SubSystemID`.
    pub sub_system_id: u32,
    /// `RevisionID`.
    pub revision_id: u32,
    /// `BusType` (0: the simulated adapter sits on no real bus).
    pub bus_type: u32,
}

/// The answer to one [`AdapterQuery`], from
/// [`crate::Simulator::query_adapter_info`].
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
/// match sim.query_adapter_info(adapter, AdapterQuery::AdapterType)? {
///     AdapterAnswer::AdapterType(kind) => assert!(kind.renders()),
///     other => panic!("{other:?}"),
/// }
/// let AdapterAnswer::SegmentSize { dedicated_video, .. } = sim.query_adapter_info(adapter, AdapterQuery::SegmentSize)?
/// else { unreachable!() };
/// assert_eq!(dedicated_video, 4 << 30, "the budget");
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterAnswer {
    /// What the adapter can do.
    AdapterType(AdapterKind),
    /// The PCI ids.
    DeviceIds(DeviceIds),
    /// Hardware scheduling support and state.
    Wddm27Caps(HwScheduling),
    /// The driver description.
    DriverDescription(String),
    /// The `D3DKMT_DRIVERVERSION`.
    DriverVersion(u32),
    /// The adapter GUID (seeded, unique within the simulator), as the 16
    /// bytes of a Windows `GUID` in memory order.
    AdapterGuid([u8; 16]),
    /// The adapter's bus address: bus = adapter index, device 0, function 0.
    AdapterAddress {
        /// `BusNumber`.
        bus: u32,
        /// `DeviceNumber`.
        device: u32,
        /// `FunctionNumber`.
        function: u32,
    },
    /// Physical adapters behind the adapter.
    PhysicalAdapterCount(u32),
    /// `D3DKMT_SEGMENTSIZEINFO` in bytes.
    SegmentSize {
        /// `DedicatedVideoMemorySize`: the adapter's budget.
        dedicated_video: u64,
        /// `DedicatedSystemMemorySize` (0).
        dedicated_system: u64,
        /// `SharedSystemMemorySize` (0).
        shared_system: u64,
    },
    /// Whether a driver update is under way (never).
    CheckDriverUpdateStatus(bool),
    /// The UMD-private blob.
    UmDriverPrivate(Vec<u8>),
}

/// What an adapter answers, given its profile, index, GUID and budget.
/// `None` when the query names a physical adapter that does not exist.
pub(crate) fn answer(
    query: AdapterQuery,
    profile: &AdapterProfile,
    index: u32,
    guid: [u8; 16],
    budget: u64,
) -> Option<AdapterAnswer> {
    Some(match query {
        AdapterQuery::AdapterType => AdapterAnswer::AdapterType(profile.kind),
        AdapterQuery::DeviceIds { physical_adapter: 0 } => AdapterAnswer::DeviceIds(DeviceIds {
            vendor_id: profile.vendor_id,
            device_id: profile.device_id,
            sub_vendor_id: profile.sub_vendor_id,
            sub_system_id: profile.sub_system_id,
            revision_id: profile.revision_id,
            bus_type: 0,
        }),
        AdapterQuery::DeviceIds { .. } => return None,
        AdapterQuery::Wddm27Caps => AdapterAnswer::Wddm27Caps(profile.hw_scheduling),
        AdapterQuery::DriverDescription => AdapterAnswer::DriverDescription(profile.description.clone()),
        AdapterQuery::DriverVersion => AdapterAnswer::DriverVersion(profile.driver_version),
        AdapterQuery::AdapterGuid => AdapterAnswer::AdapterGuid(guid),
        AdapterQuery::AdapterAddress => AdapterAnswer::AdapterAddress { bus: index, device: 0, function: 0 },
        AdapterQuery::PhysicalAdapterCount => AdapterAnswer::PhysicalAdapterCount(1),
        AdapterQuery::SegmentSize => {
            AdapterAnswer::SegmentSize { dedicated_video: budget, dedicated_system: 0, shared_system: 0 }
        }
        AdapterQuery::CheckDriverUpdateStatus => AdapterAnswer::CheckDriverUpdateStatus(false),
        AdapterQuery::UmDriverPrivate => AdapterAnswer::UmDriverPrivate(profile.umd_private.clone()),
    })
}

/// Which adapters `D3DKMTEnumAdapters3` lists besides the render-capable
/// ones (`D3DKMT_ENUMADAPTERS_FILTER`). `EnumAdapters2` lists every adapter
/// ([`AdapterFilter::ALL`]).
///
/// ```
/// use d3dkmt_sim::*;
/// let config = SimConfig::default().adapters(2).adapter_profile(1, AdapterProfile::default().kind(AdapterKind::ComputeOnly));
/// let sim = Simulator::new(config)?;
/// assert_eq!(sim.enum_adapters3(AdapterFilter::default())?.len(), 1, "compute-only left out");
/// assert_eq!(sim.enum_adapters3(AdapterFilter::default().include_compute_only())?.len(), 2);
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AdapterFilter {
    /// `IncludeComputeOnly`.
    pub compute_only: bool,
    /// `IncludeDisplayOnly`.
    pub display_only: bool,
}

impl AdapterFilter {
    /// Every adapter (what `EnumAdapters2` lists).
    pub const ALL: AdapterFilter = AdapterFilter { compute_only: true, display_only: true };

    /// The same, listing compute-only adapters too.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let config = SimConfig::default().adapters(2).adapter_profile(1, AdapterProfile::default().kind(AdapterKind::ComputeOnly));
    /// let sim = Simulator::new(config)?;
    /// assert_eq!(sim.enum_adapters3(AdapterFilter::default())?.len(), 1);
    /// assert_eq!(sim.enum_adapters3(AdapterFilter::default().include_compute_only())?.len(), 2);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn include_compute_only(mut self) -> Self {
        self.compute_only = true;
        self
    }

    /// The same, listing display-only adapters too.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let config = SimConfig::default().adapter_profile(0, AdapterProfile::default().kind(AdapterKind::DisplayOnly));
    /// let sim = Simulator::new(config)?;
    /// assert!(sim.enum_adapters3(AdapterFilter::default())?.is_empty());
    /// assert_eq!(sim.enum_adapters3(AdapterFilter::default().include_display_only())?.len(), 1);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn include_display_only(mut self) -> Self {
        self.display_only = true;
        self
    }

    /// Whether an adapter of `kind` is listed.
    pub(crate) const fn lists(self, kind: AdapterKind) -> bool {
        match kind {
            AdapterKind::ComputeOnly => self.compute_only,
            AdapterKind::DisplayOnly => self.display_only,
            AdapterKind::Render | AdapterKind::RenderAndDisplay => true,
        }
    }
}
