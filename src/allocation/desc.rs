//! The plain value types of allocations: what to create
//! ([`AllocationDesc`]) and what a query reports ([`AllocationInfo`]).

use crate::driver::Placement;
use crate::mem::SystemMemory;

/// What to create: size, CPU visibility and the optional caller memory of
/// `pSystemMem`. (The C ABI decodes it from a `SIMKMT_ALLOCATION_DESC`.)
///
/// ```
/// use d3dkmt_sim::AllocationDesc;
/// let desc = AllocationDesc::new(10_000);
/// assert!(desc.cpu_visible);
/// let hidden = AllocationDesc::new(4096).not_cpu_visible();
/// assert!(!hidden.cpu_visible);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocationDesc {
    /// Size in bytes, > 0; rounded up to whole pages.
    pub size: u64,
    /// Whether the CPU can lock it.
    pub cpu_visible: bool,
    /// Caller memory to use as the backing store instead of simulator memory.
    pub system_memory: Option<SystemMemory>,
    /// Where its memory lives (video memory, against the budget, by default).
    pub placement: Placement,
}

impl AllocationDesc {
    /// A CPU-visible allocation of `size` bytes backed by simulator memory.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(5000))?;
    /// assert_eq!(sim.query_allocation(device, alloc)?.size, 8192, "whole pages");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn new(size: u64) -> Self {
        AllocationDesc { size, cpu_visible: true, system_memory: None, placement: Placement::Video }
    }

    /// The same, placed at `placement` ([`Placement::System`] is outside the
    /// adapter budget).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::Placement;
    /// let sim = Simulator::new(SimConfig::default().adapter_memory(1 << 20))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let big = AllocationDesc::new(4 << 20);
    /// assert_eq!(sim.create_allocation(device, big).unwrap_err(), ErrorKind::NoVideoMemory);
    /// assert!(sim.create_allocation(device, big.placement(Placement::System)).is_ok());
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// The same, not CPU-visible (locks fail with `STATUS_INVALID_PARAMETER`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096).not_cpu_visible())?;
    /// assert_eq!(sim.lock2(device, alloc).unwrap_err().status(), NtStatus::INVALID_PARAMETER);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub const fn not_cpu_visible(mut self) -> Self {
        self.cpu_visible = false;
        self
    }

    /// The same, backed by caller memory.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::SystemMemory;
    /// let mut buf = [0u8; 16];
    /// // SAFETY: the descriptor is never used to create an allocation.
    /// let memory = unsafe { SystemMemory::new(buf.as_mut_ptr(), 16) };
    /// assert_eq!(AllocationDesc::new(16).with_system_memory(memory).system_memory, Some(memory));
    /// ```
    pub const fn with_system_memory(mut self, memory: SystemMemory) -> Self {
        self.system_memory = Some(memory);
        self
    }
}

/// The state of one allocation (`SIMKMT_ALLOCATION_INFO`).
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let adapter = sim.enum_adapters()?[0].handle;
/// let device = sim.create_device(adapter)?;
/// let alloc = sim.create_allocation(device, AllocationDesc::new(5000))?;
/// let info = sim.query_allocation(device, alloc)?;
/// assert_eq!((info.size, info.page_count, info.lock_count), (8192, 2, 0));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocationInfo {
    /// Size in bytes, rounded to pages.
    pub size: u64,
    /// Number of pages.
    pub page_count: u64,
    /// Lock references held (0 once the device was removed).
    pub lock_count: u32,
    /// True while uncompleted submitted work references it.
    pub busy: bool,
    /// Whether it is CPU-visible.
    pub cpu_visible: bool,
    /// Where its memory lives.
    pub placement: Placement,
}
