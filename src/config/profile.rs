//! [`AdapterProfile`]: what one simulated adapter says about itself to
//! `D3DKMTQueryAdapterInfo`, `D3DKMTEnumAdapters3` and
//! `D3DKMTCreateContextVirtual`.

use crate::error::{ErrorKind, Result};

/// What an adapter can do, as `D3DKMT_ADAPTERTYPE` reports it and
/// `D3DKMTEnumAdapters3`'s filter sees it.
///
/// ```
/// use d3dkmt_sim::AdapterKind;
/// assert!(AdapterKind::Render.renders());
/// assert!(!AdapterKind::Render.displays());
/// assert!(AdapterKind::DisplayOnly.displays() && !AdapterKind::DisplayOnly.renders());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AdapterKind {
    /// Renders, drives no display (`RenderSupported`): the default. Listed
    /// by every enumeration.
    #[default]
    Render,
    /// Renders and drives displays (`RenderSupported`, `DisplaySupported`,
    /// one video present source). Listed by every enumeration.
    RenderAndDisplay,
    /// A compute-only adapter (`ComputeOnly`, an MCDM device): listed by
    /// `D3DKMTEnumAdapters3` only with `IncludeComputeOnly`.
    ComputeOnly,
    /// A display-only adapter (`DisplaySupported` alone): listed by
    /// `D3DKMTEnumAdapters3` only with `IncludeDisplayOnly`.
    DisplayOnly,
}

impl AdapterKind {
    /// `RenderSupported`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(AdapterKind::RenderAndDisplay.renders());
    /// assert!(!AdapterKind::ComputeOnly.renders());
    /// ```
    pub const fn renders(self) -> bool {
        matches!(self, AdapterKind::Render | AdapterKind::RenderAndDisplay)
    }

    /// `DisplaySupported`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(AdapterKind::RenderAndDisplay.displays());
    /// assert!(!AdapterKind::ComputeOnly.displays());
    /// ```
    pub const fn displays(self) -> bool {
        matches!(self, AdapterKind::RenderAndDisplay | AdapterKind::DisplayOnly)
    }
}

/// Hardware GPU scheduling, as `D3DKMT_WDDM_2_7_CAPS` reports it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HwScheduling {
    /// Not supported (the default).
    #[default]
    Unsupported,
    /// Supported but off: contexts cannot ask for hardware queues.
    Supported,
    /// Supported and on: a context may set `HwQueueSupported`.
    Enabled,
}

/// `KMT_DRIVERVERSION_WDDM_2_7`, the default driver version.
pub const DRIVER_VERSION_WDDM_2_7: u32 = 2700;

/// The `D3DKMT_DRIVERVERSION` values Windows defines (WDDM 1.0 to 3.0).
const DRIVER_VERSIONS: [u32; 16] =
    [1000, 1102, 1105, 1200, 1300, 2000, 2100, 2200, 2300, 2400, 2500, 2600, 2700, 2800, 2900, 3000];

/// Most nodes (engine types) one adapter models.
pub const MAX_NODES: usize = 8;
/// Most engines one node models (`EngineAffinity` is a 32-bit mask).
pub const MAX_ENGINES_PER_NODE: u32 = 32;
/// Longest driver description, in characters (`D3DKMT_DRIVER_DESCRIPTION`
/// holds 4096 with its terminating NUL).
pub const MAX_DESCRIPTION_CHARS: usize = 4095;
/// Largest UMD-private blob (`KMTQAITYPE_UMDRIVERPRIVATE`).
pub const MAX_UMD_PRIVATE_BYTES: usize = 64 << 10;

/// What one simulated adapter reports about itself. `Default` is the
/// built-in adapter: a render-capable GPU with one node of one engine, no
/// hardware scheduling, a WDDM 2.7 driver (every default is listed in
/// `docs/c-library.md`).
///
/// ```
/// use d3dkmt_sim::*;
/// let gpu = AdapterProfile::default()
///     .ids(0x8086, 0x56A0)
///     .kind(AdapterKind::RenderAndDisplay)
///     .engines_per_node(&[2, 1])
///     .hw_scheduling(HwScheduling::Enabled)
///     .description("Simulated discrete GPU");
/// let compute = AdapterProfile::default().kind(AdapterKind::ComputeOnly);
/// let config = SimConfig::default().adapters(2).adapter_profile(0, gpu).adapter_profile(1, compute);
/// assert!(config.validate().is_ok());
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdapterProfile {
    /// PCI vendor id (default [`DEFAULT_VENDOR_ID`]).
    pub vendor_id: u32,
    /// PCI device id (default [`DEFAULT_DEVICE_ID`]).
    pub device_id: u32,
    /// PCI subsystem vendor id.
    pub sub_vendor_id: u32,
    /// PCI subsystem id.
    pub sub_system_id: u32,
    /// PCI revision id (default 1).
    pub revision_id: u32,
    /// Render, display or compute (default [`AdapterKind::Render`]).
    pub kind: AdapterKind,
    /// Engines of each node, in node order: `NodeOrdinal` indexes this,
    /// `EngineAffinity` bits index a node's engines. 1..=[`MAX_NODES`]
    /// nodes of 1..=[`MAX_ENGINES_PER_NODE`] engines (default `[1]`).
    pub engines_per_node: Vec<u32>,
    /// Hardware scheduling (default [`HwScheduling::Unsupported`]).
    pub hw_scheduling: HwScheduling,
    /// The `D3DKMT_DRIVERVERSION` (default [`DRIVER_VERSION_WDDM_2_7`]).
    pub driver_version: u32,
    /// `KMTQAITYPE_DRIVER_DESCRIPTION`, at most [`MAX_DESCRIPTION_CHARS`]
    /// characters, no NUL (default `"d3dkmt-sim simulated adapter"`).
    pub description: String,
    /// What `KMTQAITYPE_UMDRIVERPRIVATE` returns: the kernel-mode driver's
    /// private answer to its user-mode driver, at most
    /// [`MAX_UMD_PRIVATE_BYTES`] (default empty).
    pub umd_private: Vec<u8>,
}

/// The default PCI vendor id: unassigned by PCI-SIG, so no driver mistakes
/// the simulated adapter for real hardware (Microsoft's `0x1414`, say, makes
/// some runtimes skip it as the Basic Render Driver).
pub const DEFAULT_VENDOR_ID: u32 = 0xD3D5;
/// The default PCI device id.
pub const DEFAULT_DEVICE_ID: u32 = 0x0001;

impl Default for AdapterProfile {
    fn default() -> Self {
        AdapterProfile {
            vendor_id: DEFAULT_VENDOR_ID,
            device_id: DEFAULT_DEVICE_ID,
            sub_vendor_id: 0,
            sub_system_id: 0,
            revision_id: 1,
            kind: AdapterKind::Render,
            engines_per_node: vec![1],
            hw_scheduling: HwScheduling::Unsupported,
            driver_version: DRIVER_VERSION_WDDM_2_7,
            description: "d3dkmt-sim simulated adapter".to_owned(),
            umd_private: Vec::new(),
        }
    }
}

impl AdapterProfile {
    /// Sets the PCI vendor and device ids.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let profile = AdapterProfile::default().ids(0x1002, 0x73BF);
    /// assert_eq!((profile.vendor_id, profile.device_id), (0x1002, 0x73BF));
    /// ```
    pub fn ids(mut self, vendor_id: u32, device_id: u32) -> Self {
        self.vendor_id = vendor_id;
        self.device_id = device_id;
        self
    }
    /// Sets [`AdapterProfile::kind`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapter_profile(0, AdapterProfile::default().kind(AdapterKind::ComputeOnly)))?;
    /// assert!(sim.enum_adapters3(AdapterFilter::default())?.is_empty(), "compute-only is not listed by default");
    /// assert_eq!(sim.enum_adapters()?.len(), 1);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn kind(mut self, kind: AdapterKind) -> Self {
        self.kind = kind;
        self
    }
    /// Sets [`AdapterProfile::engines_per_node`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let profile = AdapterProfile::default().engines_per_node(&[2, 1]);
    /// let sim = Simulator::new(SimConfig::default().adapter_profile(0, profile))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert!(sim.create_context(device, &ContextDesc::default().node(1)).is_ok(), "two nodes");
    /// assert!(sim.create_context(device, &ContextDesc::default().node(1).engine_affinity(0b10)).is_err(), "one engine on node 1");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn engines_per_node(mut self, engines: &[u32]) -> Self {
        self.engines_per_node = engines.to_vec();
        self
    }
    /// Sets [`AdapterProfile::hw_scheduling`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{HwScheduling, CONTEXT_FLAG_HW_QUEUE_SUPPORTED};
    /// let profile = AdapterProfile::default().hw_scheduling(HwScheduling::Enabled);
    /// let sim = Simulator::new(SimConfig::default().adapter_profile(0, profile))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert!(sim.create_context(device, &ContextDesc::default().flags(CONTEXT_FLAG_HW_QUEUE_SUPPORTED)).is_ok());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn hw_scheduling(mut self, hw: HwScheduling) -> Self {
        self.hw_scheduling = hw;
        self
    }
    /// Sets [`AdapterProfile::driver_version`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(AdapterProfile::default().driver_version(3000).validate().is_ok(), "WDDM 3.0");
    /// assert!(AdapterProfile::default().driver_version(2750).validate().is_err(), "not a KMT_DRIVERVERSION_*");
    /// ```
    pub fn driver_version(mut self, version: u32) -> Self {
        self.driver_version = version;
        self
    }
    /// Sets [`AdapterProfile::description`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(AdapterProfile::default().description("GPU 0").description, "GPU 0");
    /// assert!(AdapterProfile::default().description("a\0b").validate().is_err(), "no NUL");
    /// ```
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }
    /// Sets [`AdapterProfile::umd_private`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(AdapterProfile::default().umd_private(b"blob").umd_private, b"blob");
    /// assert!(AdapterProfile::default().umd_private(&vec![0; 65 << 10]).validate().is_err(), "at most 64 KiB");
    /// ```
    pub fn umd_private(mut self, blob: &[u8]) -> Self {
        self.umd_private = blob.to_vec();
        self
    }

    /// The node count.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert_eq!(AdapterProfile::default().node_count(), 1);
    /// assert_eq!(AdapterProfile::default().engines_per_node(&[4, 1, 1]).node_count(), 3);
    /// ```
    pub fn node_count(&self) -> u32 {
        self.engines_per_node.len() as u32
    }

    /// Checks the ranges documented on each field.
    ///
    /// ```
    /// use d3dkmt_sim::AdapterProfile;
    /// assert!(AdapterProfile::default().validate().is_ok());
    /// assert!(AdapterProfile::default().engines_per_node(&[]).validate().is_err());
    /// assert!(AdapterProfile::default().driver_version(2750).validate().is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidParameter`, for the first of: a node count outside 1..=8, a node
    /// with an engine count outside 1..=32, a driver version that is not a
    /// `KMT_DRIVERVERSION_*` value, a description of more than 4095 characters
    /// or with a NUL, a UMD-private blob over 64 KiB.
    pub fn validate(&self) -> Result<()> {
        let nodes = self.engines_per_node.len();
        if nodes == 0 || nodes > MAX_NODES {
            return Err(ErrorKind::InvalidParameter("an adapter has 1..=8 nodes").into());
        }
        if self.engines_per_node.iter().any(|&e| e == 0 || e > MAX_ENGINES_PER_NODE) {
            return Err(ErrorKind::InvalidParameter("a node has 1..=32 engines").into());
        }
        if !DRIVER_VERSIONS.contains(&self.driver_version) {
            return Err(ErrorKind::InvalidParameter("the driver version is not a KMT_DRIVERVERSION_* value").into());
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS || self.description.contains('\0') {
            return Err(ErrorKind::InvalidParameter("the description has at most 4095 characters and no NUL").into());
        }
        if self.umd_private.len() > MAX_UMD_PRIVATE_BYTES {
            return Err(ErrorKind::InvalidParameter("the UMD-private blob is at most 64 KiB").into());
        }
        Ok(())
    }
}
